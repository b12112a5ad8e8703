/* Drawing primitives shared by render*.c: shapes, panels and text. Private to
 * render*.c; render.h does not include it, so the public API stays the same.
 * Colours are 0xRRGGBB; alpha 255 is opaque. Nothing here keeps state between
 * calls other than the SDL renderer's draw colour, blend mode and clip rect. */
#ifndef LOBBY_RENDER_DRAW_H
#define LOBBY_RENDER_DRAW_H

#include "render.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defined here, not in render.h, because both render.c (fonts, panels) and
 * render_draw.c (text) read its fields while front ends must not. The sizes
 * FONT_PX and SMALL_PX are chosen by renderer_create in render.c. */
struct renderer {
    SDL_Renderer *sdl;
    TTF_Font *font;   /* FONT_PX regular */
    TTF_Font *bold;   /* FONT_PX bold: names, titles */
    TTF_Font *italic; /* FONT_PX italic: system lines */
    TTF_Font *small;  /* SMALL_PX regular: labels, markers, hints */
};

/* Palette shared by render*.c, 0xRRGGBB (render.h has the ones tests check). */
enum {
    COL_STATUS_BG = 0x0E1015,
    COL_PANEL = 0x1B1E27,
    COL_PANEL_EDGE = 0x2B303D,
    COL_ROW_ME = 0x262B38,
    COL_ROW_ALT = 0x1F2330,
    COL_INPUT_BG = 0x10121A,
    COL_GRID = 0x2A2F3D,
    COL_GRID_MAJOR = 0x313747,
    COL_ROOM_EDGE = 0x414A60,
    COL_TEXT = 0xE4E7EE,
    COL_LABEL = 0xF0F2F7, /* avatar names: light, never pure white */
    COL_DIM = 0x8D93A3,
    COL_FAINT = 0x5C6273,
    COL_OK = 0x6EDC8A,
    COL_WARN = 0xF2C94C,
    COL_BAD = 0xF0625A,
    COL_ACKED = 0x7FBF95,
    COL_BUTTON = 0x2F3646,
    COL_DARK_TEXT = 0x14161C,
};

enum {
    DRAW_MARGIN = 8, /* around the room and between panels */
    DRAW_PAD = 8,    /* inside panels */
};

/* Green, yellow or red for a round trip. */
uint32_t draw_rtt_colour(unsigned rtt_ms);

/* A piece of a line of text in one font and colour; text is borrowed. */
typedef struct text_run {
    TTF_Font *font;
    uint32_t rgb;
    const char *text;
} text_run;

int draw_clampi(int v, int lo, int hi);
int draw_mini(int a, int b);
int draw_maxi(int a, int b);
/* strlen(s), but never reading past s[max - 1]. */
size_t draw_bounded_len(const char *s, size_t max);
bool draw_rect_empty(const SDL_Rect *rc);
/* rc shrunk by `by` pixels on every side (grown when negative); never negative in size. */
SDL_Rect draw_inset(SDL_Rect rc, int by);

/* Sets the draw colour, and the blend mode to match alpha. */
void draw_set_colour(SDL_Renderer *s, uint32_t rgb, uint8_t alpha);
void draw_fill_rect(SDL_Renderer *s, int x, int y, int w, int h, uint32_t rgb, uint8_t alpha);
/* Clips later drawing to rc; NULL clears the clip. */
void draw_clip_to(SDL_Renderer *s, const SDL_Rect *rc);
/* Fills the pixels whose centres lie between r_in and r_out pixels of
 * (cx, cy), anti-aliased at both edges. r_in <= 0 gives a disc. */
void draw_fill_annulus(SDL_Renderer *s, int cx, int cy, float r_in, float r_out, uint32_t rgb,
                       uint8_t alpha);
void draw_fill_circle(SDL_Renderer *s, int cx, int cy, float r, uint32_t rgb, uint8_t alpha);
/* A rectangle with anti-aliased round corners of radius rad. */
void draw_fill_rounded(SDL_Renderer *s, SDL_Rect rc, int rad, uint32_t rgb, uint8_t alpha);
/* A panel: 1-pixel edge, rounded. */
void draw_panel(SDL_Renderer *s, SDL_Rect rc, uint32_t fill, uint32_t edge);

/* Text longer than an internal limit (a chat line plus its note and marker)
 * is cut at that limit. Widths are in pixels; 0 when SDL_ttf fails. */
int draw_text_width_n(TTF_Font *f, const char *s, size_t len);
int draw_text_width(TTF_Font *f, const char *s);
/* Draws s[0..len) at (x, y) (top left) in rgb, with a dark outline when
 * outline is set. Returns the width drawn, 0 when nothing was (an empty
 * string, or SDL_ttf failed). */
int draw_text_n(renderer *r, TTF_Font *f, const char *s, size_t len, int x, int y, uint32_t rgb,
                bool outline);
int draw_text(renderer *r, TTF_Font *f, const char *s, int x, int y, uint32_t rgb);
/* Draws s clipped to max_w, ending in an ellipsis when cut. Returns the width. */
int draw_text_fit(renderer *r, TTF_Font *f, const char *s, int x, int y, int max_w, uint32_t rgb);
/* Lays runs out from (x, y) in a column max_w wide, wrapping at spaces (or
 * anywhere inside a word longer than a row); continuation rows are indented.
 * Draws when draw is set. Returns the number of rows used. */
int draw_layout_runs(renderer *r, const text_run *runs, size_t n, int x, int y, int max_w,
                     int line_h, int indent, bool draw);

/* ---- widgets shared by the lobby and browser screens ---- */
/* A push button with its label centred; primary ones in the accent colour,
 * disabled ones dimmed. */
void draw_button(renderer *r, SDL_Rect rc, const char *label, bool primary, bool enabled);
/* A padlock about 10x13 pixels with its top left at (x, y), in RENDER_LOCK. */
void draw_lock(SDL_Renderer *s, int x, int y);
/* A crown about 14x10 pixels with its top left at (x, y), in RENDER_CROWN. */
void draw_crown(SDL_Renderer *s, int x, int y);
/* Ready: a filled disc with a tick; not ready: a faint ring. */
void draw_ready_marker(renderer *r, int cx, int cy, bool ready);
/* A banner: a rounded box in bg with text centred in dark letters. */
void draw_banner(renderer *r, SDL_Rect rc, uint32_t bg, const char *text);
/* The lobby sidebar's places (render_sidebar.c), set by render_layout_for. */
void render_layout_sidebar(render_layout *out);
/* The lobby sidebar (render_sidebar.c). */
void render_paint_sidebar(renderer *r, const game_view *view, const render_layout *l);
/* The status line across the top (render.c). */
void render_paint_status(renderer *r, const game_view *view, SDL_Rect st);
/* The browser screen below the status line (render_browser.c). */
void render_paint_browser(renderer *r, const game_view *view, int width, int height);

/* Opens path at px pixels in style (TTF_STYLE_*). Returns NULL, after
 * logging SDL_ttf's reason to stderr, when it cannot. */
TTF_Font *draw_open_font(const char *path, int px, int style);

#endif
