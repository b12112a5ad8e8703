/* The directory cache and the lobby line format (cluster_dir.h). */
#include "cluster_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cluster_dir_init(cluster_dir *d)
{
    memset(d, 0, sizeof *d);
}

void cluster_dir_deinit(cluster_dir *d)
{
    free(d->lobbies);
    d->lobbies = NULL;
    d->count = d->cap = 0;
}

int cluster_dir_server(cluster_dir *d, const char *id)
{
    int spare = -1;
    for (int i = 0; i < CLUSTER_MAX_SERVERS; i++) {
        if (d->servers[i].in_use && strcmp(d->servers[i].where.id, id) == 0)
            return i;
        if (!d->servers[i].in_use && spare < 0)
            spare = i;
    }
    if (spare < 0 || strlen(id) > SERVER_ID_MAX_BYTES)
        return -1;
    cluster_server_entry *s = &d->servers[spare];
    memset(s, 0, sizeof *s);
    s->in_use = true;
    s->have_gen = UINT64_MAX;
    snprintf(s->where.id, sizeof s->where.id, "%s", id);
    return spare;
}

/* Removes the lobbies of one server, keeping the others' order. */
static void remove_lobbies_of(cluster_dir *d, int slot)
{
    size_t kept = 0;
    for (size_t i = 0; i < d->count; i++)
        if (d->lobbies[i].server != slot)
            d->lobbies[kept++] = d->lobbies[i];
    d->count = kept;
}

void cluster_dir_drop_server(cluster_dir *d, int slot)
{
    remove_lobbies_of(d, slot);
    d->servers[slot].in_use = false;
}

unsigned cluster_dir_expire(cluster_dir *d, uint64_t now_us, uint64_t ttl_us)
{
    unsigned n = 0;
    for (int i = 0; i < CLUSTER_MAX_SERVERS; i++)
        if (d->servers[i].in_use && now_us - d->servers[i].seen_us > ttl_us) {
            cluster_dir_drop_server(d, i);
            n++;
        }
    return n;
}

static bool grow(cluster_dir *d, size_t need)
{
    if (need <= d->cap)
        return true;
    size_t cap = d->cap ? d->cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    cluster_lobby_entry *bigger = realloc(d->lobbies, cap * sizeof *bigger);
    if (bigger == NULL)
        return false;
    d->lobbies = bigger;
    d->cap = cap;
    return true;
}

void cluster_dir_set_lobbies(cluster_dir *d, int slot, const char *const *keys,
                             const size_t *key_lens, const char *const *lines,
                             const size_t *line_lens, size_t n, unsigned *bad)
{
    remove_lobbies_of(d, slot);
    if (!grow(d, d->count + n)) {
        *bad += (unsigned)n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        cluster_lobby_entry *e = &d->lobbies[d->count];
        if (key_lens[i] == 0 || key_lens[i] > LOBBY_NAME_KEY_BYTES ||
            !cluster_dir_parse_line(lines[i], line_lens[i], e)) {
            (*bad)++;
            continue;
        }
        e->server = (uint16_t)slot;
        e->key_len = (uint8_t)key_lens[i];
        memcpy(e->key, keys[i], key_lens[i]);
        d->count++;
    }
}

int cluster_dir_find(const cluster_dir *d, const char *key, uint8_t key_len)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->lobbies[i].key_len == key_len && memcmp(d->lobbies[i].key, key, key_len) == 0)
            return (int)i;
    return -1;
}

unsigned cluster_dir_server_count(const cluster_dir *d)
{
    unsigned n = 0;
    for (int i = 0; i < CLUSTER_MAX_SERVERS; i++)
        n += d->servers[i].in_use;
    return n;
}

/* ---- the line format -------------------------------------------------------- */

int cluster_dir_format_line(const proto_lobby_entry *e, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%.*s\t%u\t%u\t%u\t%u\t%.*s\t%u\t%u", (int)e->name.len,
                     e->name.bytes, (unsigned)e->players, (unsigned)e->capacity, (unsigned)e->flags,
                     (unsigned)e->state, (int)e->owner.len, e->owner.bytes,
                     (unsigned)e->median_rtt_ms, (unsigned)e->max_rtt_ms);
    for (unsigned i = 0; i < e->meta.count && n >= 0 && (size_t)n < cap; i++) {
        const proto_meta *m = &e->meta.pairs[i];
        int more = snprintf(out + n, cap - (size_t)n, "\t%.*s\t%.*s", (int)m->key.len, m->key.bytes,
                            (int)m->value.len, m->value.bytes);
        n = more < 0 ? -1 : n + more;
    }
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* The next tab-separated field of [*at, end): a view, and *at past it. */
static bool next_field(const char **at, const char *end, const char **field, size_t *len)
{
    if (*at > end)
        return false;
    const char *tab = memchr(*at, '\t', (size_t)(end - *at));
    const char *stop = tab ? tab : end;
    *field = *at;
    *len = (size_t)(stop - *at);
    *at = stop + 1;
    return true;
}

static bool number_field(const char **at, const char *end, unsigned max, unsigned *out)
{
    const char *f;
    size_t len;
    if (!next_field(at, end, &f, &len) || len == 0 || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (f[i] < '0' || f[i] > '9')
            return false;
        v = v * 10 + (unsigned)(f[i] - '0');
    }
    *out = v;
    return v <= max;
}

static bool text_field(const char **at, const char *end, size_t min, size_t max, char *dst,
                       uint8_t *dst_len)
{
    const char *f;
    size_t len;
    if (!next_field(at, end, &f, &len) || len < min || len > max)
        return false;
    memcpy(dst, f, len);
    *dst_len = (uint8_t)len;
    return true;
}

bool cluster_dir_parse_line(const char *line, size_t len, cluster_lobby_entry *out)
{
    const char *at = line, *end = line + len;
    unsigned players, capacity, flags, state, median, max_rtt;
    memset(out, 0, sizeof *out);
    if (!text_field(&at, end, 1, PROTO_MAX_LOBBY_NAME_BYTES, out->name, &out->name_len) ||
        !number_field(&at, end, PROTO_MAX_LOBBY_PLAYERS, &players) ||
        !number_field(&at, end, PROTO_MAX_LOBBY_PLAYERS, &capacity) || capacity == 0 ||
        !number_field(&at, end, PROTO_LOBBYF_ALL, &flags) ||
        !number_field(&at, end, PROTO_LOBBY_STATE_MAX, &state) || state == 0 ||
        !text_field(&at, end, 0, PROTO_MAX_NAME_BYTES, out->owner, &out->owner_len) ||
        !number_field(&at, end, 0xFFFF, &median) || !number_field(&at, end, 0xFFFF, &max_rtt))
        return false;
    out->players = (uint8_t)players;
    out->capacity = (uint8_t)capacity;
    out->flags = (uint8_t)flags;
    out->state = (uint8_t)state;
    out->median_rtt_ms = (uint16_t)median;
    out->max_rtt_ms = (uint16_t)max_rtt;
    while (at <= end && out->meta_count < PROTO_MAX_META_PAIRS) {
        lobby_meta_pair *p = &out->meta[out->meta_count];
        if (!text_field(&at, end, 1, PROTO_MAX_META_KEY_BYTES, p->key, &p->key_len) ||
            !text_field(&at, end, 0, PROTO_MAX_META_VALUE_BYTES, p->value, &p->value_len))
            return false;
        out->meta_count++;
    }
    return at > end;
}

void cluster_dir_row(const cluster_lobby_entry *e, proto_lobby_entry *row)
{
    memset(row, 0, sizeof *row);
    row->name = (proto_str){e->name, e->name_len};
    row->players = e->players;
    row->capacity = e->capacity;
    row->flags = e->flags;
    row->state = e->state;
    row->owner = (proto_str){e->owner, e->owner_len};
    row->median_rtt_ms = e->median_rtt_ms;
    row->max_rtt_ms = e->max_rtt_ms;
    row->meta.count = e->meta_count;
    for (unsigned i = 0; i < e->meta_count; i++) {
        row->meta.pairs[i].key = (proto_str){e->meta[i].key, e->meta[i].key_len};
        row->meta.pairs[i].value = (proto_str){e->meta[i].value, e->meta[i].value_len};
    }
}
