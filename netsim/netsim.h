/* netsim/: lobby-netsim, a UDP impairment proxy on plain sockets.
 * May include: shared/ (clock, rng), cli/. Must never include: ENet,
 * client/, server/, any front end or SDL (tests/check_includes.py). */

/* The scheduling core of lobby-netsim: decides, for one direction of traffic,
 * which datagrams are lost, duplicated or held back, and when each one leaves.
 * No sockets and no clock: the caller passes the time in, so tests drive it.
 *
 * Order of effects for a datagram submitted at now_us:
 *   1. loss: dropped with probability loss_pct.
 *   2. delay: delay_us + uniform integer in [-jitter_us, +jitter_us], never below 0.
 *   3. rate: it cannot leave before the previous one left plus its own
 *      serialization time (size * 8 / rate_bps); a wait of more than
 *      queue_max_us before its serialization starts drops it.
 *   4. order: unless picked for reordering, it never leaves before the previous
 *      datagram of the direction (jitter alone does not reorder).
 *   5. reorder: with probability reorder_pct it is held back an extra
 *      delay_us + 2 * jitter_us + 10 ms, so datagrams sent after it overtake it.
 *   6. duplicate: with probability duplicate_pct a copy leaves 0..jitter_us after it.
 * Every datagram consumes the same five random draws whatever the settings, so
 * with one seed the loss pattern does not change when, say, jitter does. */
#ifndef LOBBY_NETSIM_H
#define LOBBY_NETSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    NETSIM_MAX_DATAGRAM_BYTES = 65536,
    NETSIM_REORDER_MARGIN_US = 10000, /* reorder hold beyond delay + 2 * jitter */
};

typedef enum netsim_error {
    NETSIM_OK = 0,
    NETSIM_ERR_CONFIG = -1,  /* a setting out of range */
    NETSIM_ERR_NOMEM = -2,   /* allocation failed */
    NETSIM_ERR_TOO_BIG = -3, /* datagram above NETSIM_MAX_DATAGRAM_BYTES */
} netsim_error;

typedef struct netsim_dir_config {
    uint32_t delay_us;
    uint32_t jitter_us;
    double loss_pct; /* 0 to 100, fractions allowed */
    double duplicate_pct;
    double reorder_pct;
    uint64_t rate_bps;        /* bits per second; 0 means unlimited */
    uint32_t queue_max_us;    /* longest wait for the rate limit (default 1 s) */
    uint32_t queue_max_count; /* datagrams pending at once (default 1000) */
    size_t queue_max_bytes;   /* payload bytes pending at once (default 16 MiB) */
    uint64_t seed;            /* any value; equal seeds give equal decisions */
} netsim_dir_config;

typedef struct netsim_dir_stats {
    uint64_t in;            /* datagrams submitted */
    uint64_t out;           /* datagrams handed out by netsim_next_due, copies included */
    uint64_t lost;          /* dropped by loss_pct */
    uint64_t queue_dropped; /* dropped because a queue limit was reached */
    uint64_t duplicated;    /* extra copies queued */
    uint64_t reordered;     /* datagrams held back to be overtaken */
    uint64_t bytes_in;
    uint64_t bytes_out;
} netsim_dir_stats;

typedef struct netsim_packet {
    const uint8_t *data; /* owned by the direction; valid until its next call */
    size_t size;
    uint32_t flow_id;    /* as given to netsim_submit */
    uint64_t submit_us;  /* when it was submitted */
    uint64_t release_us; /* when it was due to leave */
    bool duplicate;      /* the extra copy */
    bool reordered;      /* held back on purpose */
} netsim_packet;

typedef struct netsim_dir netsim_dir;

/* No impairment, the default queue limits, seed 1. */
void netsim_dir_config_defaults(netsim_dir_config *cfg);

/* Allocates a direction; NETSIM_OK and *out, or NETSIM_ERR_CONFIG / _NOMEM. */
int netsim_dir_create(const netsim_dir_config *cfg, netsim_dir **out);
/* Frees the direction and every datagram still pending. NULL is ignored. */
void netsim_dir_destroy(netsim_dir *d);

/* Copies the datagram in and schedules it. Returns how many copies were queued
 * (0 when lost or over a queue limit, 1, or 2 with a duplicate), or
 * NETSIM_ERR_TOO_BIG / NETSIM_ERR_NOMEM. now_us must not go backwards. */
int netsim_submit(netsim_dir *d, const uint8_t *data, size_t size, uint32_t flow_id,
                  uint64_t now_us);

/* Takes out the earliest datagram due at now_us (equal times in submission
 * order); false when none is due. out->data stays valid until the next call. */
bool netsim_next_due(netsim_dir *d, uint64_t now_us, netsim_packet *out);

/* When the earliest pending datagram is due; UINT64_MAX when none is pending. */
uint64_t netsim_next_release_us(const netsim_dir *d);

/* Datagrams pending, copies included. */
size_t netsim_pending(const netsim_dir *d);

const netsim_dir_stats *netsim_get_stats(const netsim_dir *d);

const char *netsim_strerror(int err);

#endif
