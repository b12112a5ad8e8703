/* Private to lobby-bench: the bots' next sends in a binary min-heap, so a
 * loop pass touches only the bots that have something due, however many
 * there are. */
#ifndef LOBBY_BENCH_SCHED_H
#define LOBBY_BENCH_SCHED_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sched_item {
    uint64_t due_us;
    uint32_t bot;
} sched_item;

typedef struct bench_sched {
    sched_item *items;
    uint32_t count, cap;
} bench_sched;

/* Room for cap entries (each bot is in it at most once). 0 or -1. */
int sched_init(bench_sched *s, uint32_t cap);
void sched_deinit(bench_sched *s);
/* Ignored when full (cannot happen with one entry per bot). */
void sched_push(bench_sched *s, uint64_t due_us, uint32_t bot);
/* Takes the earliest entry due at or before until_us. */
bool sched_pop_due(bench_sched *s, uint64_t until_us, uint32_t *bot);
/* The earliest due time, UINT64_MAX when empty. */
uint64_t sched_next_us(const bench_sched *s);

#endif
