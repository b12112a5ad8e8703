/* What the rendering tests draw on: SDL with its dummy drivers, an ARGB8888
 * surface with a software renderer (no window), the game's renderer on it
 * and the frame's pixels read back. Shared by test_render*.c. */
#ifndef LOBBY_TEST_RENDER_TARGET_H
#define LOBBY_TEST_RENDER_TARGET_H

#include "render.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct render_target {
    SDL_Surface *surface;
    SDL_Renderer *sdl;
    renderer *r;
    uint32_t *pixels; /* w * h, ARGB8888, after render_target_read */
    int w, h;
} render_target;

/* Starts SDL_ttf and makes t's surface (w x h), renderers (font from
 * font_path) and pixel buffer; false, with the reason on stderr, when any
 * of it fails. render_target_close undoes what was made either way. */
bool render_target_open(render_target *t, int w, int h, const char *font_path);
/* Frees what render_target_open made (t may be partly made) and quits
 * SDL_ttf and SDL. */
void render_target_close(render_target *t);
/* Reads the whole surface into t->pixels, failing the running test when
 * SDL cannot. */
void render_target_read(render_target *t);
/* The RGB (no alpha) of the pixel at x, y of the last read; fails the
 * running test outside the surface. */
uint32_t render_target_rgb_at(const render_target *t, int x, int y);
/* Pixels in rc brighter (luma above 120) than any panel or floor colour:
 * text. */
int render_target_count_bright(const render_target *t, SDL_Rect rc);

/* cmocka group setup for a test fixture of fixture_bytes whose first member
 * is a render_target: allocates it zeroed into *state and opens the target;
 * -1 when either fails (the group teardown still frees what was made). */
int render_target_group_setup(void **state, size_t fixture_bytes, int w, int h,
                              const char *font_path);
/* cmocka group teardown for render_target_group_setup's fixture. */
int render_target_group_teardown(void **state);

#endif
