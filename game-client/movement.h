/* Input to movement: pure arithmetic, so speed is the same at any frame rate. */
#ifndef LOBBY_MOVEMENT_H
#define LOBBY_MOVEMENT_H

#include <stdbool.h>

/* Moves (*x, *y) by speed * dt_s in the held direction (diagonals are no
 * faster), clamped to the world. dt_s above 0.1 s counts as 0.1 s so a stall
 * does not teleport the player. */
void movement_step(float *x, float *y, bool up, bool down, bool left, bool right, float speed,
                   double dt_s);

#endif
