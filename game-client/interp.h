/* Smooth remote motion: a short history of one player's positions stamped
 * with the sender's clock, replayed a little in the past (the playout delay)
 * so that jitter and a lost update do not show. Older-than-newest updates
 * are refused, so a reordered packet never moves a player backwards. */
#ifndef LOBBY_INTERP_H
#define LOBBY_INTERP_H

#include <stdbool.h>
#include <stdint.h>

enum { INTERP_SAMPLES = 32 };

typedef struct interp_sample {
    uint64_t sent_us; /* sender's clock */
    float x, y;
} interp_sample;

typedef struct interp_track {
    interp_sample samples[INTERP_SAMPLES]; /* oldest at [head] */
    unsigned head, count;
    /* Our clock minus the sender's, as seen by the fastest update so far;
     * allowed to creep up slowly so clock drift cannot freeze playback. */
    int64_t offset_us;
    uint64_t offset_seen_us;
} interp_track;

/* Starts a track at a known position (from a welcome or join). */
void interp_init(interp_track *t, float x, float y);

/* Adds an update that arrived at arrival_us (our clock). Returns false, and
 * changes nothing, when it is not newer than the newest held. */
bool interp_push(interp_track *t, uint64_t sent_us, float x, float y, uint64_t arrival_us);

/* Position to draw at now_us with the given playout delay: interpolated
 * between the two updates around that moment, or the nearest end. */
void interp_position(const interp_track *t, uint64_t now_us, uint64_t delay_us, float *x, float *y);

#endif
