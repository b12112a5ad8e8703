#include "interp.h"

/* How fast the clock-offset estimate may creep up: 1 ms per second. Lets a
 * drifting sender clock be followed without letting jitter pull playback. */
enum { OFFSET_CREEP_PER_S_US = 1000 };

void interp_init(interp_track *t, float x, float y)
{
    t->head = 0;
    t->count = 1;
    t->samples[0].sent_us = 0;
    t->samples[0].x = x;
    t->samples[0].y = y;
    t->offset_us = 0;
    t->offset_seen_us = 0;
}

static const interp_sample *nth(const interp_track *t, unsigned i)
{
    return &t->samples[(t->head + i) % INTERP_SAMPLES];
}

static void update_offset(interp_track *t, uint64_t sent_us, uint64_t arrival_us)
{
    int64_t seen = (int64_t)(arrival_us - sent_us);
    if (t->offset_seen_us == 0) {
        t->offset_us = seen;
    } else {
        uint64_t elapsed_us = arrival_us - t->offset_seen_us;
        t->offset_us += (int64_t)(elapsed_us * OFFSET_CREEP_PER_S_US / 1000000u);
        if (seen < t->offset_us)
            t->offset_us = seen;
    }
    t->offset_seen_us = arrival_us;
}

bool interp_push(interp_track *t, uint64_t sent_us, float x, float y, uint64_t arrival_us)
{
    const interp_sample *newest = nth(t, t->count - 1);
    bool only_initial = t->count == 1 && newest->sent_us == 0;
    if (!only_initial && sent_us <= newest->sent_us)
        return false;
    update_offset(t, sent_us, arrival_us);
    if (only_initial) {
        t->count = 0; /* the welcome position has no time: replace it */
    } else if (t->count == INTERP_SAMPLES) {
        t->head = (t->head + 1) % INTERP_SAMPLES;
        t->count--;
    }
    interp_sample *s = &t->samples[(t->head + t->count++) % INTERP_SAMPLES];
    s->sent_us = sent_us;
    s->x = x;
    s->y = y;
    return true;
}

void interp_position(const interp_track *t, uint64_t now_us, uint64_t delay_us, float *x, float *y)
{
    /* The sender's moment we show now: our clock, less its offset, less the delay. */
    int64_t target = (int64_t)now_us - t->offset_us - (int64_t)delay_us;
    const interp_sample *a = nth(t, 0);
    if (t->count == 1 || target <= (int64_t)a->sent_us) {
        *x = a->x;
        *y = a->y;
        return;
    }
    for (unsigned i = 1; i < t->count; i++) {
        const interp_sample *b = nth(t, i);
        if (target <= (int64_t)b->sent_us) {
            float f = (float)(target - (int64_t)a->sent_us) / (float)(b->sent_us - a->sent_us);
            *x = a->x + (b->x - a->x) * f;
            *y = a->y + (b->y - a->y) * f;
            return;
        }
        a = b;
    }
    *x = a->x; /* past the newest update: hold it rather than guess */
    *y = a->y;
}
