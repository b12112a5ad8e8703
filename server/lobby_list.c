/* The lobby list as plain data: LIST_LOBBIES's filters, the first matches in
 * slot order, the median member round trip, and closing lobbies that have
 * stood empty for the grace time. */
#include "lobby.h"

#include <stdlib.h>
#include <string.h>

static bool key_contains(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
    if (needle_len == 0)
        return true;
    for (size_t i = 0; i + needle_len <= hay_len; i++)
        if (memcmp(hay + i, needle, needle_len) == 0)
            return true;
    return false;
}

/* A name as compared: its key, or none when it has no key (not UTF-8, or
 * folding to more than LOBBY_NAME_KEY_BYTES). */
typedef struct name_key {
    bool ok;
    uint8_t len;
    char bytes[LOBBY_NAME_KEY_BYTES];
} name_key;

static name_key key_of(proto_str name)
{
    name_key k = {0};
    k.ok = lobby_name_key(name, k.bytes, &k.len);
    return k;
}

/* Compared as name keys, as player names are. An empty needle matches
 * every lobby; one without a key matches none. */
static bool name_matches(const lobby *l, proto_str needle, const name_key *needle_key)
{
    if (needle.len == 0)
        return true;
    return needle_key->ok && key_contains(l->key, l->key_len, needle_key->bytes, needle_key->len);
}

static bool has_pair(const lobby *l, const proto_meta *want)
{
    for (unsigned i = 0; i < l->meta_count; i++) {
        proto_str key = {l->meta[i].key, l->meta[i].key_len};
        proto_str value = {l->meta[i].value, l->meta[i].value_len};
        if (proto_str_eq(key, want->key) && proto_str_eq(value, want->value))
            return true;
    }
    return false;
}

static bool matches(const lobby *l, const lobby_filter *f, const name_key *needle_key)
{
    if (!l->in_use)
        return false;
    if ((f->flags & PROTO_FILTER_FREE_SEAT) && l->count >= l->capacity)
        return false;
    if ((f->flags & PROTO_FILTER_NO_PASSWORD) && l->password_len > 0)
        return false;
    if ((f->flags & PROTO_FILTER_OPEN) && l->state != PROTO_LOBBY_OPEN)
        return false;
    for (unsigned i = 0; i < f->meta.count; i++)
        if (!has_pair(l, &f->meta.pairs[i]))
            return false;
    return name_matches(l, f->name_contains, needle_key);
}

bool lobby_matches(const lobby *l, const lobby_filter *f)
{
    name_key needle_key = key_of(f->name_contains);
    return matches(l, f, &needle_key);
}

static bool entry_has_pair(const proto_lobby_entry *e, const proto_meta *want)
{
    for (unsigned i = 0; i < e->meta.count; i++)
        if (proto_str_eq(e->meta.pairs[i].key, want->key) &&
            proto_str_eq(e->meta.pairs[i].value, want->value))
            return true;
    return false;
}

bool lobby_entry_matches(const proto_lobby_entry *e, proto_str entry_key, const lobby_filter *f,
                         proto_str needle_key)
{
    if ((f->flags & PROTO_FILTER_FREE_SEAT) && e->players >= e->capacity)
        return false;
    if ((f->flags & PROTO_FILTER_NO_PASSWORD) && (e->flags & PROTO_LOBBYF_PASSWORD))
        return false;
    if ((f->flags & PROTO_FILTER_OPEN) && e->state != PROTO_LOBBY_OPEN)
        return false;
    for (unsigned i = 0; i < f->meta.count; i++)
        if (!entry_has_pair(e, &f->meta.pairs[i]))
            return false;
    if (f->name_contains.len == 0)
        return true;
    return needle_key.bytes != NULL &&
           key_contains(entry_key.bytes, entry_key.len, needle_key.bytes, needle_key.len);
}

size_t lobby_list(const lobby_set *set, const lobby_filter *f, int *out, size_t cap,
                  uint32_t *total)
{
    name_key needle_key = key_of(f->name_contains); /* once, not per lobby */
    size_t written = 0;
    *total = 0;
    for (uint32_t i = 0; i < set->max_lobbies; i++) {
        if (!matches(&set->lobbies[i], f, &needle_key))
            continue;
        if (written < cap)
            out[written++] = (int)i;
        (*total)++;
    }
    return written;
}

static int compare_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

uint16_t lobby_median_rtt(const uint16_t *rtts, size_t n)
{
    uint16_t known[PROTO_MAX_LOBBY_PLAYERS];
    size_t count = 0;
    for (size_t i = 0; i < n && count < PROTO_MAX_LOBBY_PLAYERS; i++)
        if (rtts[i] != PROTO_RTT_UNKNOWN)
            known[count++] = rtts[i];
    if (count == 0)
        return PROTO_RTT_UNKNOWN;
    qsort(known, count, sizeof known[0], compare_u16);
    if (count % 2 == 1)
        return known[count / 2];
    return (uint16_t)(((uint32_t)known[count / 2 - 1] + known[count / 2]) / 2);
}

size_t lobby_close_idle(lobby_set *set, uint64_t now_us, uint64_t grace_us, int *closed, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 1; i < set->max_lobbies; i++) { /* never the default lobby */
        lobby *l = &set->lobbies[i];
        if (!l->in_use)
            continue;
        if (l->count > 0 || l->watchers > 0 || lobby_holds_for_others(l, "", 0, now_us) > 0) {
            l->idle = false;
            continue;
        }
        if (!l->idle) {
            l->idle = true;
            l->idle_since_us = now_us;
        }
        if (now_us - l->idle_since_us >= grace_us) {
            l->in_use = false;
            if (n < cap)
                closed[n] = (int)i;
            n++;
        }
    }
    return n;
}
