#include "bench_sched.h"

#include <stdlib.h>

int sched_init(bench_sched *s, uint32_t cap)
{
    s->items = malloc((cap ? cap : 1) * sizeof *s->items);
    s->count = 0;
    s->cap = cap;
    return s->items != NULL ? 0 : -1;
}

void sched_deinit(bench_sched *s)
{
    free(s->items);
    s->items = NULL;
    s->count = s->cap = 0;
}

static void swap(sched_item *a, sched_item *b)
{
    sched_item t = *a;
    *a = *b;
    *b = t;
}

void sched_push(bench_sched *s, uint64_t due_us, uint32_t bot)
{
    if (s->count == s->cap)
        return;
    uint32_t i = s->count++;
    s->items[i] = (sched_item){due_us, bot};
    while (i > 0 && s->items[(i - 1) / 2].due_us > s->items[i].due_us) {
        swap(&s->items[(i - 1) / 2], &s->items[i]);
        i = (i - 1) / 2;
    }
}

bool sched_pop_due(bench_sched *s, uint64_t until_us, uint32_t *bot)
{
    if (s->count == 0 || s->items[0].due_us > until_us)
        return false;
    *bot = s->items[0].bot;
    s->items[0] = s->items[--s->count];
    for (uint32_t i = 0;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->count && s->items[l].due_us < s->items[m].due_us)
            m = l;
        if (r < s->count && s->items[r].due_us < s->items[m].due_us)
            m = r;
        if (m == i)
            break;
        swap(&s->items[i], &s->items[m]);
        i = m;
    }
    return true;
}

uint64_t sched_next_us(const bench_sched *s)
{
    return s->count ? s->items[0].due_us : UINT64_MAX;
}
