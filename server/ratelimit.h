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
/* Takes one token when there is one; false when the caller is over the rate. */
bool rate_bucket_take(rate_bucket *b, double per_s, double burst, uint64_t now_us);

#endif
