/* Draws a game_view into any SDL_Renderer (a window, or a software renderer
 * on a surface in tests). Reads state only; never calls the game or client. */
#ifndef LOBBY_RENDER_H
#define LOBBY_RENDER_H

#include "game.h"

#include "SDL.h"
#include "SDL_ttf.h"

#include <stdbool.h>
#include <stddef.h>

/* The chat input line, owned by the front end, and the window size the
 * last frame was drawn at (for mapping clicks). */
typedef struct ui_state {
    bool chat_open;
    size_t input_len;
    char input[PROTO_MAX_CHAT_BYTES + 1];
    int width, height;
} ui_state;

/* Clickable buttons of both screens. */
typedef enum render_button {
    RENDER_BTN_REFRESH, /* browser */
    RENDER_BTN_CREATE,
    RENDER_BTN_JOIN,
    RENDER_BTN_OK, /* the open overlay's */
    RENDER_BTN_CANCEL,
    RENDER_BTN_READY, /* lobby sidebar */
    RENDER_BTN_LEAVE,
    RENDER_BTN_START, /* owner only */
    RENDER_BTN_KICK,
    RENDER_BTN_GIVE,
    RENDER_BTN_COUNT,
} render_button;

/* Where things go in a window of a given size, in pixels. */
typedef struct render_layout {
    SDL_Rect room;    /* the world, scaled to fit with its aspect ratio kept */
    SDL_Rect sidebar; /* player list */
    SDL_Rect chat;    /* chat log and input line */
    SDL_Rect status;  /* status line */
    float scale;      /* pixels per world unit */
    /* inside the sidebar: the member rows and the lobby buttons */
    SDL_Rect members;                   /* rows of RENDER_MEMBER_ROW_H from its top */
    SDL_Rect buttons[RENDER_BTN_COUNT]; /* empty for the browser's buttons */
} render_layout;

/* The lobby browser screen's places, for drawing and for clicks. */
enum { RENDER_BROWSER_COLS = 7 }; /* name, players, lock, state, owner, RTT, metadata */
typedef struct browser_layout {
    SDL_Rect status, title, filter_bar, table, header, footer;
    SDL_Rect fields[BROWSER_FIELD_COUNT]; /* empty when not shown */
    SDL_Rect toggles[BROWSER_TOGGLE_COUNT];
    SDL_Rect buttons[RENDER_BTN_COUNT]; /* empty when not shown */
    SDL_Rect dialog;                    /* the open overlay; empty when none */
    int col_x[RENDER_BROWSER_COLS];     /* column starts */
    int row_h, first_row, visible_rows;
} browser_layout;

typedef enum render_hit_kind {
    RENDER_HIT_NONE,
    RENDER_HIT_FIELD,  /* index: browser_field */
    RENDER_HIT_TOGGLE, /* index: browser_filter_toggle */
    RENDER_HIT_ROW,    /* index: row of the lobby list */
    RENDER_HIT_BUTTON, /* index: render_button */
    RENDER_HIT_MEMBER, /* index: avatar index in the view */
} render_hit_kind;

typedef struct render_hit {
    render_hit_kind kind;
    int index;
} render_hit;

enum {
    RENDER_AVATAR_RADIUS = 14, /* pixels */
    RENDER_BACKGROUND = 0x14161C,
    RENDER_ROOM_FLOOR = 0x232733,
    RENDER_OWN_MARKER = 0xFFFFFF, /* ring around your own avatar */
    RENDER_MEMBER_ROW_H = 36,     /* sidebar member rows: name, then link quality */
    /* lobby markers and the browser, 0xRRGGBB (tests look for them) */
    RENDER_CROWN = 0xF5C542,         /* the owner's crown */
    RENDER_READY = 0x3FBF6A,         /* the disc behind a ready member's tick */
    RENDER_SELECTED = 0x2E5A9E,      /* the selected lobby row / member row */
    RENDER_LOCK = 0xD9A13B,          /* a password lobby's lock */
    RENDER_COUNTDOWN = 0xF2994A,     /* the countdown banner */
    RENDER_GAME_STARTING = 0x2FA35A, /* the "game starting" banner */
    RENDER_ACCENT = 0x4A7FE0,        /* focused fields, ticked toggles, main buttons */
    RENDER_DIALOG = 0x22262F,        /* overlay dialogs */
};

typedef struct renderer renderer;

/* Loads the font from font_path. Returns NULL (and logs SDL's reason to
 * stderr) when it cannot. TTF_Init must have succeeded. */
renderer *renderer_create(SDL_Renderer *sdl, const char *font_path);
void renderer_destroy(renderer *r);

void render_layout_for(int width, int height, render_layout *out);
/* World coordinates to pixel coordinates inside the room. */
void render_world_to_screen(const render_layout *l, float x, float y, int *sx, int *sy);

/* Draws one whole frame (does not present): the lobby browser or the lobby,
 * as view->screen says. */
void render_frame(renderer *r, const game_view *view, const ui_state *ui, int width, int height);

/* The browser screen's layout in a window of this size (b: which overlay,
 * which rows are scrolled into view). */
void render_browser_layout(int width, int height, const browser *b, browser_layout *out);
/* The rectangle of list row `row`, empty when it is scrolled out. */
SDL_Rect render_browser_row(const browser_layout *l, int row);
/* What is under (x, y) on the browser screen (the overlay alone when one is open). */
render_hit render_browser_hit(const browser_layout *l, const browser *b, int x, int y);
/* What is under (x, y) on the lobby screen: a member row or a button. */
render_hit render_lobby_hit(const render_layout *l, const game_view *view, int x, int y);
/* A member row's rectangle in the sidebar (empty when it does not fit). */
SDL_Rect render_member_row(const render_layout *l, int index);

#endif
