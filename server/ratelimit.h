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

/* The server's own stall (the loop ran late: the process was stopped,
 * starved of CPU, or blocked), so that rate limits do not blame senders for
 * it: what they sent during a stall of stall_us arrives at once, and is
 * judged as if spread over the stall. For the stall's length plus
 * RATE_STALL_SETTLE_US after it (while its backlog is read, ENet's resends
 * included), a bucket holds up to burst + per_s x stall_us instead of
 * burst, so the tokens earned during the stall are not cut off at burst.
 * Zeroed: no stall. */
typedef struct rate_stall {
    uint64_t stall_us; /* the last stall's length, at most RATE_STALL_MAX_US */
    uint64_t until_us; /* buckets are judged with the grown cap before this */
} rate_stall;

enum {
    RATE_STALL_MAX_US = 10 * 1000 * 1000, /* a longer stall is credited as this long */
    RATE_STALL_SETTLE_US = 1000 * 1000,   /* the backlog's time to arrive after it */
};

/* The loop found itself stall_us late at now_us (it measures; the core
 * only keeps the figure). */
void rate_stall_note(rate_stall *st, uint64_t stall_us, uint64_t now_us);
/* The cap for a bucket of per_s and burst at now_us: burst, grown by
 * per_s x the stall while a stall's backlog is being read. st may be NULL. */
double rate_stall_burst(const rate_stall *st, double per_s, double burst, uint64_t now_us);

#endif
