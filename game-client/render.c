/* Draws a game_view with SDL_Renderer primitives and SDL_ttf text. Shapes are
 * scanline fills with anti-aliased edge pixels; text is rendered per string
 * per frame (nothing cached) and every surface and texture is freed at once. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    STATUS_H = 24,
    SIDEBAR_W = 220,
    CHAT_H = 170,
    MARGIN = 8,   /* around the room and between panels */
    PAD = 8,      /* inside panels */
    ROW_H = 24,   /* sidebar player rows */
    SWATCH = 12,  /* sidebar colour swatch */
    FONT_PX = 14, /* names, chat, status */
    SMALL_PX = 12,
    TEXT_MAX = PROTO_MAX_CHAT_BYTES + CHAT_NOTE_BYTES + 64,
    WRAP_MAX_ROWS = 64,
};

/* Palette, 0xRRGGBB. */
enum {
    COL_STATUS_BG = 0x0E1015,
    COL_PANEL = 0x1B1E27,
    COL_PANEL_EDGE = 0x2B303D,
    COL_ROW_ME = 0x262B38,
    COL_INPUT_BG = 0x10121A,
    COL_GRID = 0x2A2F3D,
    COL_GRID_MAJOR = 0x313747,
    COL_ROOM_EDGE = 0x414A60,
    COL_TEXT = 0xE4E7EE,
    COL_LABEL = 0xF0F2F7, /* avatar names: light, never pure white */
    COL_OUTLINE = 0x07080B,
    COL_DIM = 0x8D93A3,
    COL_FAINT = 0x5C6273,
    COL_OK = 0x6EDC8A,
    COL_WARN = 0xF2C94C,
    COL_BAD = 0xF0625A,
    COL_ACKED = 0x7FBF95,
};

struct renderer {
    SDL_Renderer *sdl;
    TTF_Font *font;   /* FONT_PX regular */
    TTF_Font *bold;   /* FONT_PX bold: names, titles */
    TTF_Font *italic; /* FONT_PX italic: system lines */
    TTF_Font *small;  /* SMALL_PX regular: labels, markers, hints */
};

/* ---- small helpers ---------------------------------------------------- */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static int mini(int a, int b)
{
    return a < b ? a : b;
}

static int maxi(int a, int b)
{
    return a > b ? a : b;
}

static float clampf01(float v)
{
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

static bool rect_empty(const SDL_Rect *rc)
{
    return rc->w <= 0 || rc->h <= 0;
}

static SDL_Rect inset(SDL_Rect rc, int by)
{
    SDL_Rect out = {rc.x + by, rc.y + by, maxi(0, rc.w - 2 * by), maxi(0, rc.h - 2 * by)};
    return out;
}

/* Opaque colours are drawn without blending: the software renderer blends
 * every pixel otherwise, even at full alpha. */
static void set_colour(SDL_Renderer *s, uint32_t rgb, uint8_t alpha)
{
    SDL_SetRenderDrawBlendMode(s, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(s, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, alpha);
}

static void fill_rect(SDL_Renderer *s, int x, int y, int w, int h, uint32_t rgb, uint8_t alpha)
{
    if (w <= 0 || h <= 0)
        return;
    SDL_Rect rc = {x, y, w, h};
    set_colour(s, rgb, alpha);
    SDL_RenderFillRect(s, &rc);
}

static void clip_to(SDL_Renderer *s, const SDL_Rect *rc)
{
    SDL_RenderSetClipRect(s, rc);
}

/* One horizontal run of pixels x0..x1 on row y, in the current colour (a
 * one-pixel-high rectangle: exact, where lines may drop their last pixel). */
static void hline(SDL_Renderer *s, int x0, int x1, int y)
{
    if (x1 < x0)
        return;
    SDL_Rect row = {x0, y, x1 - x0 + 1, 1};
    SDL_RenderFillRect(s, &row);
}

static void blend_point(SDL_Renderer *s, int x, int y, uint32_t rgb, uint8_t alpha, float cov)
{
    int a = (int)lroundf((float)alpha * cov);
    if (a <= 0)
        return;
    set_colour(s, rgb, (uint8_t)a);
    SDL_RenderDrawPoint(s, x, y);
}

/* Fills the pixels whose centres lie between r_in and r_out of (cx, cy),
 * row by row: runs of full coverage as lines, the anti-aliased edge pixels
 * one by one. r_in <= 0 gives a disc. */
static void fill_annulus(SDL_Renderer *s, int cx, int cy, float r_in, float r_out, uint32_t rgb,
                         uint8_t alpha)
{
    int reach = (int)ceilf(r_out + 0.5f);
    for (int dy = -reach; dy <= reach; dy++) {
        int run_start = 0;
        bool in_run = false;
        for (int dx = -reach; dx <= reach + 1; dx++) {
            float cov = 0.0f;
            if (dx <= reach) {
                float d = sqrtf((float)(dx * dx + dy * dy));
                cov = clampf01(r_out + 0.5f - d);
                if (r_in > 0.0f)
                    cov = fminf(cov, clampf01(d - r_in + 0.5f));
            }
            if (cov >= 1.0f) {
                if (!in_run) {
                    in_run = true;
                    run_start = dx;
                }
                continue;
            }
            if (in_run) {
                set_colour(s, rgb, alpha);
                hline(s, cx + run_start, cx + dx - 1, cy + dy);
                in_run = false;
            }
            if (cov > 0.0f)
                blend_point(s, cx + dx, cy + dy, rgb, alpha, cov);
        }
    }
}

static void fill_circle(SDL_Renderer *s, int cx, int cy, float r, uint32_t rgb, uint8_t alpha)
{
    fill_annulus(s, cx, cy, 0.0f, r, rgb, alpha);
}

/* A rectangle with anti-aliased round corners of radius rad. */
static void fill_rounded(SDL_Renderer *s, SDL_Rect rc, int rad, uint32_t rgb, uint8_t alpha)
{
    if (rect_empty(&rc))
        return;
    rad = clampi(rad, 0, mini(rc.w, rc.h) / 2);
    if (rad == 0) {
        fill_rect(s, rc.x, rc.y, rc.w, rc.h, rgb, alpha);
        return;
    }
    fill_rect(s, rc.x, rc.y + rad, rc.w, rc.h - 2 * rad, rgb, alpha);
    for (int row = 0; row < rad; row++) {
        float dyc = (float)rad - ((float)row + 0.5f);
        int solid_from = rad; /* first column (from either side) of full coverage */
        for (int col = 0; col < rad; col++) {
            float dxc = (float)rad - ((float)col + 0.5f);
            float cov = clampf01((float)rad - sqrtf(dxc * dxc + dyc * dyc) + 0.5f);
            if (cov >= 1.0f) {
                solid_from = col;
                break;
            }
            int top = rc.y + row, bottom = rc.y + rc.h - 1 - row;
            blend_point(s, rc.x + col, top, rgb, alpha, cov);
            blend_point(s, rc.x + rc.w - 1 - col, top, rgb, alpha, cov);
            blend_point(s, rc.x + col, bottom, rgb, alpha, cov);
            blend_point(s, rc.x + rc.w - 1 - col, bottom, rgb, alpha, cov);
        }
        set_colour(s, rgb, alpha);
        hline(s, rc.x + solid_from, rc.x + rc.w - 1 - solid_from, rc.y + row);
        hline(s, rc.x + solid_from, rc.x + rc.w - 1 - solid_from, rc.y + rc.h - 1 - row);
    }
}

/* A panel: 1-pixel edge, rounded. */
static void panel(SDL_Renderer *s, SDL_Rect rc, uint32_t fill, uint32_t edge)
{
    fill_rounded(s, rc, 6, edge, 255);
    fill_rounded(s, inset(rc, 1), 5, fill, 255);
}

/* ---- text -------------------------------------------------------------- */

static int text_width_n(TTF_Font *f, const char *s, size_t len)
{
    char buf[TEXT_MAX];
    if (len == 0)
        return 0;
    len = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int w = 0, h = 0;
    if (TTF_SizeUTF8(f, buf, &w, &h) != 0)
        return 0;
    return w;
}

static int text_width(TTF_Font *f, const char *s)
{
    return text_width_n(f, s, bounded_len(s, TEXT_MAX - 1));
}

/* Draws s[0..len) at (x, y) (top left) in rgb, with a dark outline when
 * outline is set. Returns the width drawn, 0 when nothing was (an empty
 * string, or SDL_ttf failed). */
static int draw_text_n(renderer *r, TTF_Font *f, const char *s, size_t len, int x, int y,
                       uint32_t rgb, bool outline)
{
    char buf[TEXT_MAX];
    if (len == 0)
        return 0;
    len = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';

    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *surf = TTF_RenderUTF8_Blended(f, buf, white);
    if (surf == NULL)
        return 0;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(r->sdl, surf);
    int w = surf->w, h = surf->h;
    SDL_FreeSurface(surf);
    if (tex == NULL)
        return 0;
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    if (outline) {
        static const int offsets[][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {1, 1}, {2, 2}};
        SDL_SetTextureColorMod(tex, (COL_OUTLINE >> 16) & 0xFF, (COL_OUTLINE >> 8) & 0xFF,
                               COL_OUTLINE & 0xFF);
        for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
            SDL_SetTextureAlphaMod(tex, i < 4 ? 220 : 110);
            SDL_Rect dst = {x + offsets[i][0], y + offsets[i][1], w, h};
            SDL_RenderCopy(r->sdl, tex, NULL, &dst);
        }
        SDL_SetTextureAlphaMod(tex, 255);
    }
    SDL_SetTextureColorMod(tex, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
    SDL_Rect dst = {x, y, w, h};
    SDL_RenderCopy(r->sdl, tex, NULL, &dst);
    SDL_DestroyTexture(tex);
    return w;
}

static int draw_text(renderer *r, TTF_Font *f, const char *s, int x, int y, uint32_t rgb)
{
    return draw_text_n(r, f, s, bounded_len(s, TEXT_MAX - 1), x, y, rgb, false);
}

static size_t utf8_next(const char *s, size_t len, size_t i)
{
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* The longest prefix of s[0..len), cut at a character boundary, that is at
 * most max_w pixels wide (0 when not even one character fits). */
static size_t fit_prefix(TTF_Font *f, const char *s, size_t len, int max_w)
{
    if (max_w <= 0 || len == 0)
        return 0;
    if (text_width_n(f, s, len) <= max_w)
        return len;
    size_t lo = 0, hi = len; /* prefix lo fits, prefix hi does not */
    while (true) {
        size_t mid = lo + (hi - lo) / 2;
        /* move mid to a character boundary strictly between lo and hi */
        while (mid > lo && ((unsigned char)s[mid] & 0xC0) == 0x80)
            mid--;
        if (mid <= lo) {
            mid = utf8_next(s, len, lo);
            if (mid >= hi)
                return lo;
        }
        if (text_width_n(f, s, mid) <= max_w)
            lo = mid;
        else
            hi = mid;
    }
}

/* Draws s clipped to max_w, ending in an ellipsis when cut. Returns the width. */
static int draw_text_fit(renderer *r, TTF_Font *f, const char *s, int x, int y, int max_w,
                         uint32_t rgb)
{
    size_t len = bounded_len(s, TEXT_MAX - 1);
    if (text_width_n(f, s, len) <= max_w)
        return draw_text_n(r, f, s, len, x, y, rgb, false);
    static const char ellipsis[] = "\xE2\x80\xA6";
    size_t keep = fit_prefix(f, s, len, max_w - text_width(f, ellipsis));
    int w = draw_text_n(r, f, s, keep, x, y, rgb, false);
    return w + draw_text(r, f, ellipsis, x + w, y, rgb);
}

/* A piece of a line of text in one font and colour. */
typedef struct text_run {
    TTF_Font *font;
    uint32_t rgb;
    const char *text;
} text_run;

/* Lays runs out from (x, y) in a column max_w wide, wrapping at spaces (or
 * anywhere inside a word longer than a row); continuation rows are indented.
 * Draws when draw is set. Returns the number of rows used. */
static int layout_runs(renderer *r, const text_run *runs, size_t n, int x, int y, int max_w,
                       int line_h, int indent, bool draw)
{
    int row = 0, pen = 0, row_start = 0;
    for (size_t k = 0; k < n; k++) {
        const char *p = runs[k].text;
        size_t rem = bounded_len(p, TEXT_MAX - 1);
        while (rem > 0 && row < WRAP_MAX_ROWS) {
            size_t fit = fit_prefix(runs[k].font, p, rem, max_w - pen);
            size_t take = fit;
            if (fit < rem) {
                size_t space = fit;
                while (space > 0 && p[space - 1] != ' ')
                    space--;
                if (space > 0) {
                    take = space;
                } else if (pen > row_start) {
                    row++;
                    pen = row_start = indent;
                    continue;
                } else if (take == 0) {
                    take = utf8_next(p, rem, 0);
                }
            }
            int w = text_width_n(runs[k].font, p, take);
            if (draw)
                draw_text_n(r, runs[k].font, p, take, x + pen, y + row * line_h, runs[k].rgb,
                            false);
            pen += w;
            p += take;
            rem -= take;
            if (rem > 0) {
                row++;
                pen = row_start = indent;
                while (rem > 0 && *p == ' ') {
                    p++;
                    rem--;
                }
            }
        }
    }
    return row + 1;
}

/* ---- lifecycle --------------------------------------------------------- */

static TTF_Font *open_font(const char *path, int px, int style)
{
    TTF_Font *f = TTF_OpenFont(path, px);
    if (f == NULL) {
        fprintf(stderr, "render: cannot load font %s: %s\n", path, TTF_GetError());
        return NULL;
    }
    TTF_SetFontStyle(f, style);
    TTF_SetFontHinting(f, TTF_HINTING_LIGHT);
    return f;
}

renderer *renderer_create(SDL_Renderer *sdl, const char *font_path)
{
    if (sdl == NULL || font_path == NULL) {
        fprintf(stderr, "render: no SDL renderer or font path\n");
        return NULL;
    }
    renderer *r = SDL_calloc(1, sizeof *r);
    if (r == NULL) {
        fprintf(stderr, "render: out of memory\n");
        return NULL;
    }
    r->sdl = sdl;
    r->font = open_font(font_path, FONT_PX, TTF_STYLE_NORMAL);
    r->bold = r->font ? open_font(font_path, FONT_PX, TTF_STYLE_BOLD) : NULL;
    r->italic = r->bold ? open_font(font_path, FONT_PX, TTF_STYLE_ITALIC) : NULL;
    r->small = r->italic ? open_font(font_path, SMALL_PX, TTF_STYLE_NORMAL) : NULL;
    if (r->small == NULL) {
        renderer_destroy(r);
        return NULL;
    }
    return r;
}

void renderer_destroy(renderer *r)
{
    if (r == NULL)
        return;
    TTF_Font *fonts[] = {r->font, r->bold, r->italic, r->small};
    for (size_t i = 0; i < sizeof fonts / sizeof fonts[0]; i++)
        if (fonts[i] != NULL)
            TTF_CloseFont(fonts[i]);
    SDL_free(r);
}

/* ---- layout ------------------------------------------------------------ */

void render_layout_for(int width, int height, render_layout *out)
{
    int w = maxi(0, width), h = maxi(0, height);
    memset(out, 0, sizeof *out);

    int status_h = mini(STATUS_H, h);
    int below = h - status_h;
    int sidebar_w = mini(SIDEBAR_W, w * 3 / 10);
    int chat_h = mini(CHAT_H, below * 2 / 5);

    out->status = (SDL_Rect){0, 0, w, status_h};
    out->sidebar = (SDL_Rect){w - sidebar_w, status_h, sidebar_w, below};
    out->chat = (SDL_Rect){0, h - chat_h, w - sidebar_w, chat_h};

    SDL_Rect area = {0, status_h, w - sidebar_w, below - chat_h};
    int margin = mini(MARGIN, mini(area.w, area.h) / 4);
    area = inset(area, margin);
    float sx = (float)area.w / PROTO_WORLD_WIDTH;
    float sy = (float)area.h / PROTO_WORLD_HEIGHT;
    float scale = sx < sy ? sx : sy;
    int room_w = clampi((int)lroundf(PROTO_WORLD_WIDTH * scale), 0, area.w);
    int room_h = clampi((int)lroundf(PROTO_WORLD_HEIGHT * scale), 0, area.h);
    out->room =
        (SDL_Rect){area.x + (area.w - room_w) / 2, area.y + (area.h - room_h) / 2, room_w, room_h};
    out->scale = scale;
}

void render_world_to_screen(const render_layout *l, float x, float y, int *sx, int *sy)
{
    *sx = l->room.x + (int)lroundf(x * l->scale);
    *sy = l->room.y + (int)lroundf(y * l->scale);
}

/* ---- the room ---------------------------------------------------------- */

static void draw_room(renderer *r, const game_view *view, const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    const SDL_Rect *room = &l->room;
    if (rect_empty(room))
        return;

    SDL_Rect edge = inset(*room, -2);
    fill_rounded(s, edge, 3, COL_ROOM_EDGE, 255);
    fill_rect(s, room->x, room->y, room->w, room->h, RENDER_ROOM_FLOOR, 255);

    /* grid: a line every 50 world units (fewer when zoomed far out), stronger every 200 */
    int step = 50;
    while (step < 400 && (float)step * l->scale < 16.0f)
        step *= 2;
    for (int u = step; u < (int)PROTO_WORLD_WIDTH; u += step) {
        int x = room->x + (int)lroundf((float)u * l->scale);
        fill_rect(s, x, room->y, 1, room->h, u % 200 == 0 ? COL_GRID_MAJOR : COL_GRID, 255);
    }
    for (int u = step; u < (int)PROTO_WORLD_HEIGHT; u += step) {
        int y = room->y + (int)lroundf((float)u * l->scale);
        fill_rect(s, room->x, y, room->w, 1, u % 200 == 0 ? COL_GRID_MAJOR : COL_GRID, 255);
    }

    clip_to(s, room);
    /* the lobby name, faint, in the bottom right corner of the floor */
    if (view->lobby[0] != '\0') {
        int w = text_width(r->bold, view->lobby);
        draw_text(r, r->bold, view->lobby, room->x + room->w - w - 10,
                  room->y + room->h - TTF_FontLineSkip(r->bold) - 6, COL_GRID_MAJOR + 0x0A0A0A);
    }

    if (view->avatar_count == 0) {
        const char *msg = view->conn == GAME_JOINED ? "Nobody here yet" : "Not in a lobby";
        int w = text_width(r->font, msg);
        draw_text(r, r->font, msg, room->x + (room->w - w) / 2,
                  room->y + (room->h - TTF_FontLineSkip(r->font)) / 2, COL_FAINT);
    }

    int count = mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS);
    const float rad = (float)RENDER_AVATAR_RADIUS;
    /* bodies: others first, then ours on top */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < count; i++) {
            const game_avatar *a = &view->avatars[i];
            if (a->is_me != (pass == 1))
                continue;
            int cx, cy;
            render_world_to_screen(l, a->x, a->y, &cx, &cy);
            fill_circle(s, cx + 2, cy + 3, rad + 1.0f, 0x000000, 90); /* shadow */
            fill_annulus(s, cx, cy, rad - 1.5f, rad, 0x000000, 70);   /* rim */
            fill_circle(s, cx, cy, rad - 1.0f, a->colour & 0xFFFFFF, 255);
            fill_circle(s, cx - RENDER_AVATAR_RADIUS / 3, cy - RENDER_AVATAR_RADIUS / 3, 3.0f,
                        0xFFFFFF, 70); /* highlight */
            if (a->is_me)
                fill_annulus(s, cx, cy, rad + 2.5f, rad + 5.0f, RENDER_OWN_MARKER, 255);
        }
    }
    /* name labels over everything */
    for (int i = 0; i < count; i++) {
        const game_avatar *a = &view->avatars[i];
        char label[PROTO_MAX_NAME_BYTES + 16];
        snprintf(label, sizeof label, "%.*s%s", (int)bounded_len(a->name, PROTO_MAX_NAME_BYTES),
                 a->name, a->is_me ? " (you)" : "");
        int cx, cy;
        render_world_to_screen(l, a->x, a->y, &cx, &cy);
        int w = text_width(r->small, label);
        int h = TTF_FontHeight(r->small);
        int above = RENDER_AVATAR_RADIUS + (a->is_me ? 7 : 4);
        int y = cy - above - h;
        if (y < room->y + 2)
            y = cy + above + 2;
        int x = clampi(cx - w / 2, room->x + 3, maxi(room->x + 3, room->x + room->w - w - 3));
        draw_text_n(r, r->small, label, strlen(label), x, y, COL_LABEL, true);
    }
    clip_to(s, NULL);
}

/* ---- the sidebar ------------------------------------------------------- */

static uint32_t rtt_colour(unsigned rtt_ms)
{
    return rtt_ms < 80 ? COL_OK : (rtt_ms < 200 ? COL_WARN : COL_BAD);
}

static void draw_sidebar(renderer *r, const game_view *view, const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    SDL_Rect box = l->sidebar;
    int m = mini(MARGIN, box.w / 8);
    box = (SDL_Rect){box.x, box.y + m, box.w - m, box.h - 2 * m};
    if (rect_empty(&box))
        return;
    panel(s, box, COL_PANEL, COL_PANEL_EDGE);
    SDL_Rect in = inset(box, PAD);
    if (rect_empty(&in))
        return;
    clip_to(s, &box);

    char title[64];
    int count = mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS);
    if (view->capacity > 0)
        snprintf(title, sizeof title, "Players %d/%u", count, (unsigned)view->capacity);
    else
        snprintf(title, sizeof title, "Players %d", count);
    int y = in.y;
    draw_text(r, r->bold, title, in.x, y, COL_TEXT);
    y += TTF_FontLineSkip(r->bold);
    if (view->lobby[0] != '\0') {
        char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 16];
        snprintf(lobby, sizeof lobby, "Lobby: %.*s",
                 (int)bounded_len(view->lobby, PROTO_MAX_LOBBY_NAME_BYTES), view->lobby);
        draw_text_fit(r, r->small, lobby, in.x, y, in.w, COL_DIM);
    }
    y += TTF_FontLineSkip(r->small) + 4;
    fill_rect(s, in.x, y, in.w, 1, COL_PANEL_EDGE, 255);
    y += 5;

    int font_h = TTF_FontHeight(r->font), small_h = TTF_FontHeight(r->small);
    for (int i = 0; i < count; i++) {
        const game_avatar *a = &view->avatars[i];
        bool last_row_fits = y + 2 * ROW_H <= in.y + in.h;
        if (!last_row_fits && i < count - 1) {
            char more[32];
            snprintf(more, sizeof more, "+%d more", count - i);
            draw_text(r, r->small, more, in.x + 4, y + (ROW_H - small_h) / 2, COL_DIM);
            break;
        }
        if (a->is_me)
            fill_rounded(s, (SDL_Rect){in.x - 2, y, in.w + 4, ROW_H}, 4, COL_ROW_ME, 255);
        int mid = y + ROW_H / 2;
        SDL_Rect sw = {in.x + 4, mid - SWATCH / 2, SWATCH, SWATCH};
        fill_rounded(s, sw, 3, a->colour & 0xFFFFFF, 255);

        char rtt[16];
        uint32_t rtt_rgb = COL_FAINT;
        if (a->has_link) {
            snprintf(rtt, sizeof rtt, "%u ms", (unsigned)a->rtt_ms);
            rtt_rgb = rtt_colour(a->rtt_ms);
        } else {
            snprintf(rtt, sizeof rtt, "-- ms");
        }
        int rtt_w = 0;
        if (in.w >= 150) { /* no room for it in a narrow sidebar */
            rtt_w = text_width(r->small, rtt);
            draw_text(r, r->small, rtt, in.x + in.w - rtt_w - 2, mid - small_h / 2, rtt_rgb);
        }

        int name_x = sw.x + SWATCH + 8;
        int name_max = in.x + in.w - rtt_w - 10 - name_x;
        const char *you = " (you)";
        int you_w = a->is_me ? text_width(r->small, you) : 0;
        char name[PROTO_MAX_NAME_BYTES + 1];
        size_t nlen = bounded_len(a->name, PROTO_MAX_NAME_BYTES);
        memcpy(name, a->name, nlen);
        name[nlen] = '\0';
        TTF_Font *name_font = a->is_me ? r->bold : r->font;
        if (you_w > 0 && text_width(name_font, name) + you_w > name_max)
            you_w = 0; /* too narrow: the row's highlight alone marks us */
        int nw =
            draw_text_fit(r, name_font, name, name_x, mid - font_h / 2, name_max - you_w, COL_TEXT);
        if (you_w > 0)
            draw_text(r, r->small, you, name_x + nw, mid - small_h / 2 + 1, COL_DIM);
        y += ROW_H;
    }
    clip_to(s, NULL);
}

/* ---- the status line --------------------------------------------------- */

static uint32_t conn_colour(game_conn c)
{
    switch (c) {
    case GAME_JOINED:
        return COL_OK;
    case GAME_CONNECTING:
        return COL_WARN;
    case GAME_WAITING_RETRY:
    default:
        return COL_BAD;
    }
}

static void draw_status(renderer *r, const game_view *view, const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    const SDL_Rect *st = &l->status;
    if (rect_empty(st))
        return;
    fill_rect(s, st->x, st->y, st->w, st->h, COL_STATUS_BG, 255);
    fill_rect(s, st->x, st->y + st->h - 1, st->w, 1, COL_PANEL_EDGE, 255);
    clip_to(s, st);

    uint32_t rgb = conn_colour(view->conn);
    int mid = st->y + st->h / 2;
    fill_circle(s, st->x + 12, mid, 6.0f, rgb, 60);
    fill_circle(s, st->x + 12, mid, 3.5f, rgb, 255);

    int right = st->x + st->w - 10;
    int font_h = TTF_FontHeight(r->font);
    if (view->conn == GAME_JOINED) {
        char rtt[32];
        snprintf(rtt, sizeof rtt, "RTT %u ms", (unsigned)view->rtt_ms);
        int w = text_width(r->font, rtt);
        draw_text(r, r->font, rtt, right - w, mid - font_h / 2, rtt_colour(view->rtt_ms));
        right -= w + 16;
    }

    const char *text = view->status;
    if (bounded_len(text, sizeof view->status) == 0 ||
        bounded_len(text, sizeof view->status) == sizeof view->status)
        text = view->conn == GAME_JOINED       ? "Joined"
               : view->conn == GAME_CONNECTING ? "Connecting\xE2\x80\xA6"
                                               : "Waiting to retry";
    int x = st->x + 26;
    draw_text_fit(r, r->font, text, x, mid - font_h / 2, right - x, rgb);
    clip_to(s, NULL);
}

/* ---- the chat panel ---------------------------------------------------- */

/* Splits one chat line into runs; marker is storage for the state marker. */
static size_t chat_runs(renderer *r, const chat_line *ln, text_run *runs, char *marker,
                        size_t marker_size)
{
    size_t n = 0;
    if (ln->kind == CHAT_LINE_SYSTEM) {
        runs[n++] = (text_run){r->italic, COL_DIM, "\xE2\x80\xA2 "};
        runs[n++] = (text_run){r->italic, COL_DIM, ln->text};
        return n;
    }
    bool refused = ln->kind == CHAT_LINE_OWN && ln->own_state == CHAT_OWN_REFUSED;
    runs[n++] = (text_run){r->bold, ln->colour & 0xFFFFFF, ln->who};
    runs[n++] = (text_run){r->font, COL_DIM, ": "};
    runs[n++] = (text_run){r->font, refused ? COL_BAD : COL_TEXT, ln->text};
    if (ln->kind != CHAT_LINE_OWN)
        return n;
    switch (ln->own_state) {
    case CHAT_OWN_PENDING:
        snprintf(marker, marker_size, "  (sending\xE2\x80\xA6)");
        runs[n++] = (text_run){r->small, COL_FAINT, marker};
        break;
    case CHAT_OWN_ACKED:
        snprintf(marker, marker_size, "  \xE2\x9C\x93 #%u", (unsigned)ln->seq);
        runs[n++] = (text_run){r->small, COL_ACKED, marker};
        break;
    case CHAT_OWN_REFUSED:
    default:
        snprintf(marker, marker_size, "  \xE2\x9C\x97 %s",
                 ln->note[0] != '\0' ? ln->note : "refused");
        runs[n++] = (text_run){r->small, COL_BAD, marker};
        break;
    }
    return n;
}

/* The input box (chat open) or the hint (closed), in rc. */
static void draw_chat_input(renderer *r, const ui_state *ui, SDL_Rect rc, uint32_t accent)
{
    SDL_Renderer *s = r->sdl;
    int font_h = TTF_FontHeight(r->font);
    int mid = rc.y + rc.h / 2;
    if (ui == NULL || !ui->chat_open) {
        const char *hint = "Press Enter to chat";
        draw_text(r, r->small, hint, rc.x + 4, mid - TTF_FontHeight(r->small) / 2, COL_FAINT);
        return;
    }
    fill_rounded(s, rc, 5, accent, 255);
    fill_rounded(s, inset(rc, 1), 4, COL_INPUT_BG, 255);
    SDL_Rect in = inset(rc, 6);
    if (rect_empty(&in))
        return;

    char text[PROTO_MAX_CHAT_BYTES + 1];
    size_t len = ui->input_len < PROTO_MAX_CHAT_BYTES ? ui->input_len : PROTO_MAX_CHAT_BYTES;
    len = bounded_len(ui->input, len);
    memcpy(text, ui->input, len);
    text[len] = '\0';

    char count[24];
    snprintf(count, sizeof count, "%zu/%d", len, PROTO_MAX_CHAT_BYTES);
    int count_w = len > 0 ? text_width(r->small, count) : 0;
    if (len > 0)
        draw_text(r, r->small, count, in.x + in.w - count_w, mid - TTF_FontHeight(r->small) / 2,
                  len * 10 >= PROTO_MAX_CHAT_BYTES * 9 ? COL_WARN : COL_FAINT);

    int avail = in.w - count_w - 10;
    /* keep the end (where the cursor is) in view: drop whole characters */
    size_t start = 0;
    if (text_width_n(r->font, text, len) > avail) {
        size_t lo = 0, hi = len; /* suffix from hi fits; from lo does not */
        while (hi - lo > 1) {
            size_t mid_i = lo + (hi - lo) / 2;
            if (text_width_n(r->font, text + mid_i, len - mid_i) <= avail)
                hi = mid_i;
            else
                lo = mid_i;
        }
        start = hi;
        while (start < len && ((unsigned char)text[start] & 0xC0) == 0x80)
            start++;
    }
    int w = 0;
    SDL_Rect clip = {in.x, rc.y, maxi(0, avail + 4), rc.h};
    clip_to(s, &clip);
    if (len > 0)
        w = draw_text_n(r, r->font, text + start, len - start, in.x, mid - font_h / 2, COL_TEXT,
                        false);
    else
        draw_text(r, r->font, "Say something\xE2\x80\xA6", in.x + 3, mid - font_h / 2, COL_FAINT);
    fill_rect(s, in.x + w + 1, mid - font_h / 2 + 1, 2, font_h - 2, accent, 255); /* cursor */
}

static uint32_t own_colour(const game_view *view)
{
    for (int i = 0; i < mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS); i++)
        if (view->avatars[i].is_me)
            return view->avatars[i].colour & 0xFFFFFF;
    return COL_DIM;
}

static void draw_chat(renderer *r, const game_view *view, const ui_state *ui,
                      const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    SDL_Rect box = l->chat;
    int m = mini(MARGIN, mini(box.w, box.h) / 8);
    box = (SDL_Rect){box.x + m, box.y, box.w - 2 * m, box.h - m};
    if (rect_empty(&box))
        return;
    panel(s, box, COL_PANEL, COL_PANEL_EDGE);
    int pad = mini(PAD, box.h / 10);
    SDL_Rect in = inset(box, pad);
    if (rect_empty(&in))
        return;

    int line_h = TTF_FontLineSkip(r->font);
    int input_h = mini(in.h, line_h + 10);
    SDL_Rect input = {in.x, in.y + in.h - input_h, in.w, input_h};
    SDL_Rect lines = {in.x, in.y, in.w, maxi(0, in.h - input_h - pad)};

    clip_to(s, &box);
    draw_chat_input(r, ui, input, own_colour(view));
    clip_to(s, NULL);

    size_t total = view->chat != NULL ? chat_log_count(view->chat) : 0;
    int max_rows = line_h > 0 ? lines.h / line_h : 0;
    if (total == 0 || max_rows <= 0)
        return;

    /* the newest lines that fit, measured from the newest back */
    const int indent = 16;
    size_t first = total;
    int rows = 0;
    while (first > 0) {
        text_run runs[4];
        char marker[CHAT_NOTE_BYTES + 16];
        const chat_line *ln = chat_log_line(view->chat, first - 1);
        if (ln == NULL)
            break;
        size_t n = chat_runs(r, ln, runs, marker, sizeof marker);
        int need = layout_runs(r, runs, n, 0, 0, lines.w, line_h, indent, false);
        if (rows + need > max_rows && rows > 0)
            break;
        rows += need;
        first--;
        if (rows >= max_rows)
            break;
    }

    clip_to(s, &lines);
    int y = lines.y + lines.h - mini(rows, max_rows) * line_h;
    for (size_t i = first; i < total; i++) {
        text_run runs[4];
        char marker[CHAT_NOTE_BYTES + 16];
        const chat_line *ln = chat_log_line(view->chat, i);
        if (ln == NULL)
            continue;
        size_t n = chat_runs(r, ln, runs, marker, sizeof marker);
        y += line_h * layout_runs(r, runs, n, lines.x, y, lines.w, line_h, indent, true);
    }
    clip_to(s, NULL);
}

/* ---- the frame --------------------------------------------------------- */

void render_frame(renderer *r, const game_view *view, const ui_state *ui, int width, int height)
{
    SDL_Renderer *s = r->sdl;
    render_layout l;
    render_layout_for(width, height, &l);

    SDL_RenderSetClipRect(s, NULL);
    SDL_SetRenderDrawBlendMode(s, SDL_BLENDMODE_NONE);
    set_colour(s, RENDER_BACKGROUND, 255);
    SDL_RenderClear(s);
    SDL_SetRenderDrawBlendMode(s, SDL_BLENDMODE_BLEND);
    if (view == NULL)
        return;

    draw_room(r, view, &l);
    draw_sidebar(r, view, &l);
    draw_chat(r, view, ui, &l);
    draw_status(r, view, &l);
    SDL_RenderSetClipRect(s, NULL);
}
