#include "ratelimit.h"

void rate_bucket_init(rate_bucket *b, double burst, uint64_t now_us)
{
    b->tokens = burst;
    b->last_us = now_us;
}

bool rate_bucket_take(rate_bucket *b, double per_s, double burst, uint64_t now_us)
{
    if (now_us > b->last_us) {
        b->tokens += (double)(now_us - b->last_us) * per_s / 1e6;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_us = now_us;
    }
    /* Refills added in many small steps can fall a rounding error short of a
     * token that has been fully earned: allow for it. */
    if (b->tokens < 1.0 - 1e-9)
        return false;
    b->tokens -= 1.0;
    return true;
}
