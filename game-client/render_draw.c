/* Drawing primitives for render.c: scanline fills with anti-aliased edge
 * pixels, rounded panels, and SDL_ttf text rendered per string per frame
 * (nothing cached; every surface and texture is freed at once). */
#include "render_draw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    TEXT_MAX = PROTO_MAX_CHAT_BYTES + CHAT_NOTE_BYTES + 64,
    WRAP_MAX_ROWS = 64,
    COL_OUTLINE = 0x07080B, /* behind outlined text, 0xRRGGBB */
};

/* ---- small helpers ---------------------------------------------------- */

int draw_clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

int draw_mini(int a, int b)
{
    return a < b ? a : b;
}

int draw_maxi(int a, int b)
{
    return a > b ? a : b;
}

static float clampf01(float v)
{
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

size_t draw_bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

bool draw_rect_empty(const SDL_Rect *rc)
{
    return rc->w <= 0 || rc->h <= 0;
}

SDL_Rect draw_inset(SDL_Rect rc, int by)
{
    SDL_Rect out = {rc.x + by, rc.y + by, draw_maxi(0, rc.w - 2 * by), draw_maxi(0, rc.h - 2 * by)};
    return out;
}

/* Opaque colours are drawn without blending: the software renderer blends
 * every pixel otherwise, even at full alpha. */
void draw_set_colour(SDL_Renderer *s, uint32_t rgb, uint8_t alpha)
{
    SDL_SetRenderDrawBlendMode(s, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(s, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, alpha);
}

void draw_fill_rect(SDL_Renderer *s, int x, int y, int w, int h, uint32_t rgb, uint8_t alpha)
{
    if (w <= 0 || h <= 0)
        return;
    SDL_Rect rc = {x, y, w, h};
    draw_set_colour(s, rgb, alpha);
    SDL_RenderFillRect(s, &rc);
}

void draw_clip_to(SDL_Renderer *s, const SDL_Rect *rc)
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
    draw_set_colour(s, rgb, (uint8_t)a);
    SDL_RenderDrawPoint(s, x, y);
}

/* Row by row: runs of full coverage as lines, the anti-aliased edge pixels
 * one by one. */
void draw_fill_annulus(SDL_Renderer *s, int cx, int cy, float r_in, float r_out, uint32_t rgb,
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
                draw_set_colour(s, rgb, alpha);
                hline(s, cx + run_start, cx + dx - 1, cy + dy);
                in_run = false;
            }
            if (cov > 0.0f)
                blend_point(s, cx + dx, cy + dy, rgb, alpha, cov);
        }
    }
}

void draw_fill_circle(SDL_Renderer *s, int cx, int cy, float r, uint32_t rgb, uint8_t alpha)
{
    draw_fill_annulus(s, cx, cy, 0.0f, r, rgb, alpha);
}

void draw_fill_rounded(SDL_Renderer *s, SDL_Rect rc, int rad, uint32_t rgb, uint8_t alpha)
{
    if (draw_rect_empty(&rc))
        return;
    rad = draw_clampi(rad, 0, draw_mini(rc.w, rc.h) / 2);
    if (rad == 0) {
        draw_fill_rect(s, rc.x, rc.y, rc.w, rc.h, rgb, alpha);
        return;
    }
    draw_fill_rect(s, rc.x, rc.y + rad, rc.w, rc.h - 2 * rad, rgb, alpha);
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
        draw_set_colour(s, rgb, alpha);
        hline(s, rc.x + solid_from, rc.x + rc.w - 1 - solid_from, rc.y + row);
        hline(s, rc.x + solid_from, rc.x + rc.w - 1 - solid_from, rc.y + rc.h - 1 - row);
    }
}

void draw_panel(SDL_Renderer *s, SDL_Rect rc, uint32_t fill, uint32_t edge)
{
    draw_fill_rounded(s, rc, 6, edge, 255);
    draw_fill_rounded(s, draw_inset(rc, 1), 5, fill, 255);
}

/* ---- text -------------------------------------------------------------- */

int draw_text_width_n(TTF_Font *f, const char *s, size_t len)
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

int draw_text_width(TTF_Font *f, const char *s)
{
    return draw_text_width_n(f, s, draw_bounded_len(s, TEXT_MAX - 1));
}

int draw_text_n(renderer *r, TTF_Font *f, const char *s, size_t len, int x, int y, uint32_t rgb,
                bool outline)
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

int draw_text(renderer *r, TTF_Font *f, const char *s, int x, int y, uint32_t rgb)
{
    return draw_text_n(r, f, s, draw_bounded_len(s, TEXT_MAX - 1), x, y, rgb, false);
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
    if (draw_text_width_n(f, s, len) <= max_w)
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
        if (draw_text_width_n(f, s, mid) <= max_w)
            lo = mid;
        else
            hi = mid;
    }
}

int draw_text_fit(renderer *r, TTF_Font *f, const char *s, int x, int y, int max_w, uint32_t rgb)
{
    size_t len = draw_bounded_len(s, TEXT_MAX - 1);
    if (draw_text_width_n(f, s, len) <= max_w)
        return draw_text_n(r, f, s, len, x, y, rgb, false);
    static const char ellipsis[] = "\xE2\x80\xA6";
    size_t keep = fit_prefix(f, s, len, max_w - draw_text_width(f, ellipsis));
    int w = draw_text_n(r, f, s, keep, x, y, rgb, false);
    return w + draw_text(r, f, ellipsis, x + w, y, rgb);
}

int draw_layout_runs(renderer *r, const text_run *runs, size_t n, int x, int y, int max_w,
                     int line_h, int indent, bool draw)
{
    int row = 0, pen = 0, row_start = 0;
    for (size_t k = 0; k < n; k++) {
        const char *p = runs[k].text;
        size_t rem = draw_bounded_len(p, TEXT_MAX - 1);
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
            int w = draw_text_width_n(runs[k].font, p, take);
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

uint32_t draw_rtt_colour(unsigned rtt_ms)
{
    return rtt_ms < 80 ? COL_OK : (rtt_ms < 200 ? COL_WARN : COL_BAD);
}

/* ---- widgets ----------------------------------------------------------- */

/* Clips to rc within the current clip; returns the clip to restore. */
static SDL_Rect push_clip(SDL_Renderer *s, SDL_Rect rc, bool *had_clip)
{
    SDL_Rect old;
    SDL_RenderGetClipRect(s, &old);
    *had_clip = SDL_RenderIsClipEnabled(s);
    SDL_Rect clip = rc;
    if (*had_clip && !SDL_IntersectRect(&old, &rc, &clip))
        clip = (SDL_Rect){rc.x, rc.y, 0, 0};
    if (clip.w == 0 || clip.h == 0)
        clip = (SDL_Rect){-2, -2, 1, 1}; /* nothing visible; SDL treats 0x0 as no clip */
    SDL_RenderSetClipRect(s, &clip);
    return old;
}

static void pop_clip(SDL_Renderer *s, SDL_Rect old, bool had_clip)
{
    SDL_RenderSetClipRect(s, had_clip ? &old : NULL);
}

void draw_button(renderer *r, SDL_Rect rc, const char *label, bool primary, bool enabled)
{
    if (draw_rect_empty(&rc))
        return;
    uint32_t fill = primary && enabled ? RENDER_ACCENT : COL_BUTTON;
    draw_fill_rounded(r->sdl, rc, 5, enabled ? fill : COL_PANEL_EDGE, 255);
    int w = draw_text_width(r->small, label);
    int h = TTF_FontHeight(r->small);
    bool had;
    SDL_Rect old = push_clip(r->sdl, draw_inset(rc, 2), &had);
    draw_text(r, r->small, label, rc.x + (rc.w - w) / 2, rc.y + (rc.h - h) / 2,
              enabled ? COL_TEXT : COL_FAINT);
    pop_clip(r->sdl, old, had);
}

void draw_lock(SDL_Renderer *s, int x, int y)
{
    draw_fill_annulus(s, x + 5, y + 5, 2.0f, 4.0f, RENDER_LOCK, 255); /* shackle */
    draw_fill_rounded(s, (SDL_Rect){x, y + 5, 11, 8}, 2, RENDER_LOCK, 255);
    draw_fill_rect(s, x + 5, y + 8, 1, 3, COL_DARK_TEXT, 255); /* keyhole */
}

void draw_crown(SDL_Renderer *s, int x, int y)
{
    draw_fill_rect(s, x, y + 6, 14, 4, RENDER_CROWN, 255); /* band */
    for (int i = 0; i < 3; i++) {                          /* three points */
        int px = x + 1 + i * 5;
        draw_fill_rect(s, px, y + 3, 2, 3, RENDER_CROWN, 255);
        draw_fill_circle(s, px + 1, y + 2, 1.6f, RENDER_CROWN, 255);
    }
}

void draw_ready_marker(renderer *r, int cx, int cy, bool ready)
{
    if (!ready) {
        draw_fill_annulus(r->sdl, cx, cy, 5.5f, 7.0f, COL_FAINT, 255);
        return;
    }
    draw_fill_circle(r->sdl, cx, cy, 7.5f, RENDER_READY, 255);
    static const char tick[] = "\xE2\x9C\x93";
    int w = draw_text_width(r->small, tick), h = TTF_FontHeight(r->small);
    draw_text(r, r->small, tick, cx - w / 2, cy - h / 2, COL_DARK_TEXT);
}

void draw_banner(renderer *r, SDL_Rect rc, uint32_t bg, const char *text)
{
    if (draw_rect_empty(&rc))
        return;
    draw_fill_rounded(r->sdl, (SDL_Rect){rc.x + 2, rc.y + 3, rc.w, rc.h}, 8, 0x000000, 90);
    draw_fill_rounded(r->sdl, rc, 8, bg, 255);
    int w = draw_text_width(r->bold, text), h = TTF_FontHeight(r->bold);
    bool had;
    SDL_Rect old = push_clip(r->sdl, rc, &had);
    draw_text(r, r->bold, text, rc.x + (rc.w - w) / 2, rc.y + (rc.h - h) / 2, COL_DARK_TEXT);
    pop_clip(r->sdl, old, had);
}

/* ---- fonts ------------------------------------------------------------- */

TTF_Font *draw_open_font(const char *path, int px, int style)
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
