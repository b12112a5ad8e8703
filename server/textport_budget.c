/* What text clients may post into one lobby, so that many of them, each
 * within its own rates, cannot flood the lobby's players: a line rate per
 * address per lobby (addresses hashed with a secret key into TP_ADDR_BUCKETS
 * buckets, so an outsider cannot aim at another's bucket), and a byte budget
 * per lobby from all text clients together, counted as the TEXT_CHAT_RELAY
 * bytes each player receives. A line is checked first and charged only once
 * the core has posted it, so a refused line costs the lobby nothing. */
#include "lobby.h"
#include "textport_internal.h"

#include <stdlib.h>
#include <sys/random.h>

bool tp_budget_init(textport *tp)
{
    tp->lobby_budget_count = server_lobbies(tp->core)->max_lobbies;
    tp->lobby_budget = calloc(tp->lobby_budget_count, sizeof *tp->lobby_budget);
    tp->addr_buckets = calloc(TP_ADDR_BUCKETS, sizeof *tp->addr_buckets);
    if (getrandom(&tp->addr_seed, sizeof tp->addr_seed, GRND_NONBLOCK) != sizeof tp->addr_seed)
        tp->addr_seed = (uint64_t)(uintptr_t)tp ^ 0x9e3779b97f4a7c15ull; /* still per process */
    return tp->lobby_budget != NULL && tp->addr_buckets != NULL;
}

void tp_budget_deinit(textport *tp)
{
    free(tp->lobby_budget);
    free(tp->addr_buckets);
}

/* The bucket refilled to now_us (full when never used), without taking. */
static double level(rate_bucket *b, double per_s, double burst, uint64_t now_us)
{
    if (b->last_us == 0)
        rate_bucket_init(b, burst, now_us);
    return rate_bucket_refill(b, per_s, burst, now_us);
}

/* splitmix64's finaliser over the key, the address and the lobby slot. */
static rate_bucket *addr_bucket(textport *tp, const tp_conn *c)
{
    uint64_t h = tp->addr_seed ^ ((uint64_t)c->ip << 32) ^
                 ((uint64_t)(uint32_t)c->tc.lobby_index * 0x9e3779b97f4a7c15ull) ^ c->tc.lobby_gen;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    return &tp->addr_buckets[h % TP_ADDR_BUCKETS];
}

/* The budget of c's lobby, reset when its slot holds a lobby opened since. */
static tp_lobby_budget *lobby_budget(textport *tp, const tp_conn *c)
{
    int index = c->tc.lobby_index;
    if (index < 0 || (uint32_t)index >= tp->lobby_budget_count)
        return NULL; /* no lobby: the core refuses the line */
    tp_lobby_budget *b = &tp->lobby_budget[index];
    if (!b->used || b->gen != c->tc.lobby_gen) {
        b->used = true;
        b->gen = c->tc.lobby_gen;
        b->bytes.last_us = 0; /* full at the next level() */
    }
    return b;
}

textport_line_refusal tp_budget_check(textport *tp, const tp_conn *c, size_t relay_bytes,
                                      uint64_t now_us)
{
    const textport_config *cfg = &tp->cfg;
    tp_lobby_budget *lb = lobby_budget(tp, c);
    if (lb == NULL)
        return TEXTPORT_LINE_REFUSALS;
    if (!rate_bucket_covers(
            level(addr_bucket(tp, c), cfg->lobby_ip_lines_per_s, cfg->lobby_ip_line_burst, now_us),
            1.0))
        return TEXTPORT_LINE_LOBBY_ADDRESS;
    if (!rate_bucket_covers(
            level(&lb->bytes, cfg->lobby_bytes_per_s, cfg->lobby_bytes_burst, now_us),
            (double)relay_bytes))
        return TEXTPORT_LINE_LOBBY_BYTES;
    return TEXTPORT_LINE_REFUSALS;
}

void tp_budget_charge(textport *tp, const tp_conn *c, size_t relay_bytes, uint64_t now_us)
{
    tp_lobby_budget *lb = lobby_budget(tp, c);
    if (lb == NULL)
        return;
    rate_bucket *a = addr_bucket(tp, c);
    level(a, tp->cfg.lobby_ip_lines_per_s, tp->cfg.lobby_ip_line_burst, now_us);
    level(&lb->bytes, tp->cfg.lobby_bytes_per_s, tp->cfg.lobby_bytes_burst, now_us);
    a->tokens -= 1.0;
    lb->bytes.tokens -= (double)relay_bytes;
}
