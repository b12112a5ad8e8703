#include "addr_budget.h"

#include <stdlib.h>
#include <string.h>

/* A full table is half used: linear probes then stay short. */
static bool crowded(const addr_budget *b)
{
    return b->count >= b->cap / 2;
}

static uint32_t home_of(const addr_budget *b, uint64_t key)
{
    key ^= key >> 33; /* murmur3's finaliser: addresses differ in few bits */
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    key ^= key >> 33;
    return (uint32_t)key & (b->cap - 1);
}

int addr_budget_init(addr_budget *b, uint32_t keys, double per_s, double burst)
{
    memset(b, 0, sizeof *b);
    if (keys == 0 || keys > (1u << 24) || !(per_s > 0.0) || !(burst > 0.0))
        return -1;
    uint32_t cap = 8;
    while (cap < 2 * keys)
        cap *= 2;
    b->slots = calloc(cap, sizeof *b->slots);
    if (b->slots == NULL)
        return -1;
    b->cap = cap;
    b->per_s = per_s;
    b->burst = burst;
    return 0;
}

void addr_budget_deinit(addr_budget *b)
{
    free(b->slots);
    memset(b, 0, sizeof *b);
}

static void refill(const addr_budget *b, addr_budget_entry *e, uint64_t now_us)
{
    if (now_us > e->last_us) {
        e->tokens += b->per_s * (double)(now_us - e->last_us) / 1e6;
        if (e->tokens > b->burst)
            e->tokens = b->burst;
        e->last_us = now_us;
    }
}

static addr_budget_entry *find(addr_budget *b, uint64_t key)
{
    for (uint32_t i = home_of(b, key);; i = (i + 1) & (b->cap - 1)) {
        addr_budget_entry *e = &b->slots[i];
        if (!e->used || e->key == key)
            return e;
    }
}

/* Rebuilds the table with the entries that keep(e) holds on to. */
static void keep_only(addr_budget *b,
                      bool (*keep)(const addr_budget *, addr_budget_entry *, uint64_t),
                      uint64_t now_us)
{
    addr_budget_entry *old = b->slots;
    addr_budget_entry *fresh = calloc(b->cap, sizeof *fresh);
    if (fresh == NULL) { /* forget everything in place rather than fail */
        b->forgotten_in_debt += b->count;
        memset(old, 0, b->cap * sizeof *old);
        b->count = 0;
        return;
    }
    b->slots = fresh;
    b->count = 0;
    for (uint32_t i = 0; i < b->cap; i++) {
        if (!old[i].used)
            continue;
        if (!keep(b, &old[i], now_us)) {
            b->forgotten_in_debt += old[i].tokens < 0.0;
            continue;
        }
        *find(b, old[i].key) = old[i];
        b->count++;
    }
    free(old);
}

static bool not_refilled(const addr_budget *b, addr_budget_entry *e, uint64_t now_us)
{
    refill(b, e, now_us);
    return e->tokens < b->burst;
}

static bool in_debt(const addr_budget *b, addr_budget_entry *e, uint64_t now_us)
{
    refill(b, e, now_us);
    return e->tokens < 0.0;
}

static bool keep_none(const addr_budget *b, addr_budget_entry *e, uint64_t now_us)
{
    (void)b, (void)e, (void)now_us;
    return false;
}

/* key's entry, added with a full bucket when absent. */
static addr_budget_entry *entry_of(addr_budget *b, uint64_t key, uint64_t now_us)
{
    addr_budget_entry *e = find(b, key);
    if (e->used)
        return e;
    if (crowded(b)) {
        keep_only(b, not_refilled, now_us); /* forgetting these changes nothing */
        if (crowded(b))
            keep_only(b, in_debt, now_us);
        if (crowded(b))
            keep_only(b, keep_none, now_us);
        e = find(b, key);
    }
    *e = (addr_budget_entry){.key = key, .last_us = now_us, .tokens = b->burst, .used = true};
    b->count++;
    return e;
}

bool addr_budget_allows(addr_budget *b, uint64_t key, uint64_t now_us)
{
    addr_budget_entry *e = find(b, key);
    if (!e->used)
        return true; /* a full bucket, without taking room for it */
    refill(b, e, now_us);
    return e->tokens > 0.0;
}

void addr_budget_charge(addr_budget *b, uint64_t key, size_t bytes, uint64_t now_us)
{
    addr_budget_entry *e = entry_of(b, key, now_us);
    refill(b, e, now_us);
    e->tokens -= (double)bytes;
}
