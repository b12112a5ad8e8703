#include "render_target.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

bool render_target_open(render_target *t, int w, int h, const char *font_path)
{
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    if (TTF_Init() != 0) {
        fprintf(stderr, "TTF_Init: %s\n", TTF_GetError());
        return false;
    }
    t->w = w;
    t->h = h;
    t->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    t->sdl = t->surface ? SDL_CreateSoftwareRenderer(t->surface) : NULL;
    t->r = t->sdl ? renderer_create(t->sdl, font_path) : NULL;
    t->pixels = calloc((size_t)w * (size_t)h, sizeof *t->pixels);
    if (t->r == NULL || t->pixels == NULL) {
        fprintf(stderr, "render target: %s\n", SDL_GetError());
        return false;
    }
    return true;
}

void render_target_close(render_target *t)
{
    renderer_destroy(t->r);
    if (t->sdl != NULL)
        SDL_DestroyRenderer(t->sdl);
    SDL_FreeSurface(t->surface);
    free(t->pixels);
    TTF_Quit();
    SDL_Quit();
}

void render_target_read(render_target *t)
{
    SDL_Rect all = {0, 0, t->w, t->h};
    assert_int_equal(
        SDL_RenderReadPixels(t->sdl, &all, SDL_PIXELFORMAT_ARGB8888, t->pixels, t->w * 4), 0);
}

uint32_t render_target_rgb_at(const render_target *t, int x, int y)
{
    assert_true(x >= 0 && x < t->w && y >= 0 && y < t->h);
    return t->pixels[(size_t)y * (size_t)t->w + (size_t)x] & 0xFFFFFF;
}

int render_target_count_bright(const render_target *t, SDL_Rect rc)
{
    int n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++) {
            uint32_t p = render_target_rgb_at(t, x, y);
            int luma = (int)(((p >> 16) & 0xFF) * 3 + ((p >> 8) & 0xFF) * 6 + (p & 0xFF)) / 10;
            if (luma > 120)
                n++;
        }
    return n;
}

int render_target_group_setup(void **state, size_t fixture_bytes, int w, int h,
                              const char *font_path)
{
    render_target *t = calloc(1, fixture_bytes);
    *state = t;
    return t != NULL && render_target_open(t, w, h, font_path) ? 0 : -1;
}

int render_target_group_teardown(void **state)
{
    render_target *t = *state;
    if (t != NULL)
        render_target_close(t);
    free(t);
    return 0;
}
