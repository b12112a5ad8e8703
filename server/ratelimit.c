#include "ratelimit.h"

#include <stddef.h>

void rate_bucket_init(rate_bucket *b, double burst, uint64_t now_us)
{
    b->tokens = burst;
    b->last_us = now_us;
}

double rate_bucket_refill(rate_bucket *b, double per_s, double burst, uint64_t now_us)
{
    if (now_us > b->last_us) {
        b->tokens += (double)(now_us - b->last_us) * per_s / 1e6;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_us = now_us;
    }
    return b->tokens;
}

bool rate_bucket_covers(double tokens, double need)
{
    return tokens >= need - 1e-9;
}

bool rate_bucket_take(rate_bucket *b, double per_s, double burst, uint64_t now_us)
{
    if (!rate_bucket_covers(rate_bucket_refill(b, per_s, burst, now_us), 1.0))
        return false;
    b->tokens -= 1.0;
    return true;
}

void rate_stall_note(rate_stall *st, uint64_t stall_us, uint64_t now_us)
{
    if (stall_us > RATE_STALL_MAX_US)
        stall_us = RATE_STALL_MAX_US;
    /* A second stall while the first's backlog is still read adds to it. */
    if (now_us < st->until_us)
        stall_us = stall_us + st->stall_us > RATE_STALL_MAX_US ? RATE_STALL_MAX_US
                                                               : stall_us + st->stall_us;
    st->stall_us = stall_us;
    st->until_us = now_us + stall_us + RATE_STALL_SETTLE_US;
}

double rate_stall_burst(const rate_stall *st, double per_s, double burst, uint64_t now_us)
{
    if (st == NULL || now_us >= st->until_us)
        return burst;
    return burst + per_s * (double)st->stall_us / 1e6;
}
