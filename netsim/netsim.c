#include "netsim.h"

#include "rng.h"

#include <stdlib.h>
#include <string.h>

enum {
    DEFAULT_QUEUE_MAX_US = 1000000,
    DEFAULT_QUEUE_MAX_COUNT = 1000, /* like netem's default limit */
    DEFAULT_QUEUE_MAX_BYTES = 16 * 1024 * 1024,
    MAX_DELAY_US = 600 * 1000 * 1000, /* keeps every sum of delays far from overflow */
};

/* One scheduled datagram. seq breaks ties so equal release times keep
 * submission order. */
typedef struct pending {
    uint64_t release_us;
    uint64_t submit_us;
    uint64_t seq;
    uint8_t *data;
    uint32_t size;
    uint32_t flow_id;
    bool duplicate;
    bool reordered;
} pending;

struct netsim_dir {
    netsim_dir_config cfg;
    uint64_t rng;
    uint64_t next_seq;
    uint64_t last_release_us; /* of the last datagram kept in order */
    uint64_t link_free_us;    /* when the rate-limited link finishes its backlog */
    pending *heap;            /* min-heap on (release_us, seq), cfg.queue_max_count slots */
    size_t count;
    size_t pending_bytes;
    uint8_t *handed_out; /* data of the last datagram returned; freed on the next call */
    netsim_dir_stats stats;
};

/* The random draws one datagram consumes, always all of them (see netsim.h). */
typedef struct draws {
    double loss, jitter, reorder, duplicate, duplicate_jitter;
} draws;

static bool pct_ok(double pct)
{
    return pct >= 0.0 && pct <= 100.0; /* false for NaN too */
}

void netsim_dir_config_defaults(netsim_dir_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->queue_max_us = DEFAULT_QUEUE_MAX_US;
    cfg->queue_max_count = DEFAULT_QUEUE_MAX_COUNT;
    cfg->queue_max_bytes = DEFAULT_QUEUE_MAX_BYTES;
    cfg->seed = 1;
}

int netsim_dir_create(const netsim_dir_config *cfg, netsim_dir **out)
{
    *out = NULL;
    if (cfg->delay_us > MAX_DELAY_US || cfg->jitter_us > MAX_DELAY_US ||
        cfg->queue_max_us > MAX_DELAY_US || !pct_ok(cfg->loss_pct) || !pct_ok(cfg->duplicate_pct) ||
        !pct_ok(cfg->reorder_pct) || cfg->queue_max_count == 0)
        return NETSIM_ERR_CONFIG;
    netsim_dir *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NETSIM_ERR_NOMEM;
    d->heap = calloc(cfg->queue_max_count, sizeof *d->heap);
    if (d->heap == NULL) {
        free(d);
        return NETSIM_ERR_NOMEM;
    }
    d->cfg = *cfg;
    d->rng = cfg->seed;
    *out = d;
    return NETSIM_OK;
}

void netsim_dir_destroy(netsim_dir *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->count; i++)
        free(d->heap[i].data);
    free(d->heap);
    free(d->handed_out);
    free(d);
}

static bool earlier(const pending *a, const pending *b)
{
    return a->release_us < b->release_us || (a->release_us == b->release_us && a->seq < b->seq);
}

static void heap_swap(pending *a, pending *b)
{
    pending t = *a;
    *a = *b;
    *b = t;
}

static void heap_push(netsim_dir *d, const pending *p)
{
    size_t i = d->count++;
    d->heap[i] = *p;
    while (i > 0 && earlier(&d->heap[i], &d->heap[(i - 1) / 2])) {
        heap_swap(&d->heap[i], &d->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static pending heap_pop(netsim_dir *d)
{
    pending top = d->heap[0];
    d->heap[0] = d->heap[--d->count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < d->count && earlier(&d->heap[l], &d->heap[m]))
            m = l;
        if (r < d->count && earlier(&d->heap[r], &d->heap[m]))
            m = r;
        if (m == i)
            return top;
        heap_swap(&d->heap[i], &d->heap[m]);
        i = m;
    }
}

static bool has_room(const netsim_dir *d, size_t size)
{
    return d->count < d->cfg.queue_max_count && d->pending_bytes + size <= d->cfg.queue_max_bytes;
}

/* Copies the payload and queues it; false when out of memory. */
static bool enqueue(netsim_dir *d, const uint8_t *data, size_t size, pending *p)
{
    p->data = malloc(size > 0 ? size : 1);
    if (p->data == NULL)
        return false;
    if (size > 0)
        memcpy(p->data, data, size);
    p->size = (uint32_t)size;
    p->seq = d->next_seq++;
    d->pending_bytes += size;
    heap_push(d, p);
    return true;
}

/* delay + jitter, never below zero. */
static uint64_t jittered_delay_us(const netsim_dir_config *c, double u)
{
    int64_t j = (int64_t)(u * (2.0 * c->jitter_us + 1.0)) - (int64_t)c->jitter_us;
    int64_t total = (int64_t)c->delay_us + j;
    return total > 0 ? (uint64_t)total : 0;
}

/* Serialization time of size bytes on the rate-limited link, rounded up. */
static uint64_t serialization_us(uint64_t rate_bps, size_t size)
{
    return ((uint64_t)size * 8u * 1000000u + rate_bps - 1) / rate_bps;
}

/* Release time before reordering: delay, jitter, then the rate limit.
 * Returns false when the rate queue is too long (nothing is changed then). */
static bool schedule(netsim_dir *d, const draws *r, size_t size, uint64_t now_us, uint64_t *t_us)
{
    uint64_t arrive_us = now_us + jittered_delay_us(&d->cfg, r->jitter);
    if (d->cfg.rate_bps == 0) {
        *t_us = arrive_us;
        return true;
    }
    uint64_t start_us = arrive_us > d->link_free_us ? arrive_us : d->link_free_us;
    if (start_us - arrive_us > d->cfg.queue_max_us)
        return false;
    *t_us = start_us + serialization_us(d->cfg.rate_bps, size);
    d->link_free_us = *t_us;
    return true;
}

/* Queues the extra copy 0..jitter after the original; false when there is no
 * room for it (the original still goes). */
static bool queue_duplicate(netsim_dir *d, const uint8_t *data, size_t size, const pending *orig,
                            double u)
{
    pending dup = *orig;
    dup.duplicate = true;
    dup.release_us += (uint64_t)(u * (d->cfg.jitter_us + 1.0));
    if (!has_room(d, size) || !enqueue(d, data, size, &dup))
        return false;
    d->stats.duplicated++;
    /* The copy does not hold back what follows: if it did, at high rates the
     * copies' extra delays would add up without bound. A late copy may
     * arrive after later datagrams, as duplicates do on real networks. */
    return true;
}

int netsim_submit(netsim_dir *d, const uint8_t *data, size_t size, uint32_t flow_id,
                  uint64_t now_us)
{
    if (size > NETSIM_MAX_DATAGRAM_BYTES)
        return NETSIM_ERR_TOO_BIG;
    draws r = {rng_unit(&d->rng), rng_unit(&d->rng), rng_unit(&d->rng), rng_unit(&d->rng),
               rng_unit(&d->rng)};
    d->stats.in++;
    d->stats.bytes_in += size;
    if (r.loss * 100.0 < d->cfg.loss_pct) {
        d->stats.lost++;
        return 0;
    }
    pending p = {.submit_us = now_us, .flow_id = flow_id};
    if (!has_room(d, size) || !schedule(d, &r, size, now_us, &p.release_us)) {
        d->stats.queue_dropped++;
        return 0;
    }
    p.reordered = r.reorder * 100.0 < d->cfg.reorder_pct;
    if (p.reordered) {
        p.release_us += d->cfg.delay_us + 2ull * d->cfg.jitter_us + NETSIM_REORDER_MARGIN_US;
        d->stats.reordered++;
    } else {
        if (p.release_us < d->last_release_us)
            p.release_us = d->last_release_us;
        d->last_release_us = p.release_us;
    }
    if (!enqueue(d, data, size, &p))
        return NETSIM_ERR_NOMEM;
    if (r.duplicate * 100.0 < d->cfg.duplicate_pct &&
        queue_duplicate(d, data, size, &p, r.duplicate_jitter))
        return 2;
    return 1;
}

bool netsim_next_due(netsim_dir *d, uint64_t now_us, netsim_packet *out)
{
    free(d->handed_out);
    d->handed_out = NULL;
    if (d->count == 0 || d->heap[0].release_us > now_us)
        return false;
    pending p = heap_pop(d);
    d->pending_bytes -= p.size;
    d->handed_out = p.data;
    d->stats.out++;
    d->stats.bytes_out += p.size;
    *out = (netsim_packet){.data = p.data,
                           .size = p.size,
                           .flow_id = p.flow_id,
                           .submit_us = p.submit_us,
                           .release_us = p.release_us,
                           .duplicate = p.duplicate,
                           .reordered = p.reordered};
    return true;
}

uint64_t netsim_next_release_us(const netsim_dir *d)
{
    return d->count > 0 ? d->heap[0].release_us : UINT64_MAX;
}

size_t netsim_pending(const netsim_dir *d)
{
    return d->count;
}

const netsim_dir_stats *netsim_get_stats(const netsim_dir *d)
{
    return &d->stats;
}

const char *netsim_strerror(int err)
{
    switch (err) {
    case NETSIM_OK:
        return "ok";
    case NETSIM_ERR_CONFIG:
        return "impairment setting out of range";
    case NETSIM_ERR_NOMEM:
        return "out of memory";
    case NETSIM_ERR_TOO_BIG:
        return "datagram larger than 65536 bytes";
    }
    return "unknown netsim error";
}
