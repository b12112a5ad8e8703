/* Draws a game_view into any SDL_Renderer (a window, or a software renderer
 * on a surface in tests). Reads state only; never calls the game or client. */
#ifndef LOBBY_RENDER_H
#define LOBBY_RENDER_H

#include "game.h"

#include "SDL.h"
#include "SDL_ttf.h"

#include <stdbool.h>
#include <stddef.h>

/* The chat input line, owned by the front end. */
typedef struct ui_state {
    bool chat_open;
    size_t input_len;
    char input[PROTO_MAX_CHAT_BYTES + 1];
} ui_state;

/* Where things go in a window of a given size, in pixels. */
typedef struct render_layout {
    SDL_Rect room;    /* the world, scaled to fit with its aspect ratio kept */
    SDL_Rect sidebar; /* player list */
    SDL_Rect chat;    /* chat log and input line */
    SDL_Rect status;  /* status line */
    float scale;      /* pixels per world unit */
} render_layout;

enum {
    RENDER_AVATAR_RADIUS = 14, /* pixels */
    RENDER_BACKGROUND = 0x14161C,
    RENDER_ROOM_FLOOR = 0x232733,
    RENDER_OWN_MARKER = 0xFFFFFF, /* ring around your own avatar */
};

typedef struct renderer renderer;

/* Loads the font from font_path. Returns NULL (and logs SDL's reason to
 * stderr) when it cannot. TTF_Init must have succeeded. */
renderer *renderer_create(SDL_Renderer *sdl, const char *font_path);
void renderer_destroy(renderer *r);

void render_layout_for(int width, int height, render_layout *out);
/* World coordinates to pixel coordinates inside the room. */
void render_world_to_screen(const render_layout *l, float x, float y, int *sx, int *sy);

/* Draws one whole frame (does not present). */
void render_frame(renderer *r, const game_view *view, const ui_state *ui, int width, int height);

#endif
