/* Token bucket: `burst` tokens at most, refilled at `per_s` tokens a second.
 * Time is passed in. */
#ifndef LOBBY_RATELIMIT_H
#define LOBBY_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rate_bucket {
    double tokens;
    uint64_t last_us;
} rate_bucket;

/* Starts full. */
void rate_bucket_init(rate_bucket *b, double burst, uint64_t now_us);
/* Adds what was earned since the last call (at most burst) and returns the
 * tokens there are now, without taking any. */
double rate_bucket_refill(rate_bucket *b, double per_s, double burst, uint64_t now_us);
/* Whether tokens (as rate_bucket_refill returns them) cover need: refills
 * added in many small steps can fall a rounding error short of a token that
 * has been fully earned, and this allows for it. */
bool rate_bucket_covers(double tokens, double need);
/* Takes one token when there is one; false when the caller is over the rate. */
bool rate_bucket_take(rate_bucket *b, double per_s, double burst, uint64_t now_us);

#endif
