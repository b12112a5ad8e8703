/* Draws a game_view: the layout and the panels (room, sidebar, status line,
 * chat). The shapes and text they are made of are in render_draw.c. */
#include "render.h"
#include "render_draw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    STATUS_H = 24,
    SIDEBAR_W = 220,
    CHAT_H = 170,
    FONT_PX = 14, /* names, chat, status */
    SMALL_PX = 12,
};

/* ---- lifecycle --------------------------------------------------------- */

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
    r->font = draw_open_font(font_path, FONT_PX, TTF_STYLE_NORMAL);
    r->bold = r->font ? draw_open_font(font_path, FONT_PX, TTF_STYLE_BOLD) : NULL;
    r->italic = r->bold ? draw_open_font(font_path, FONT_PX, TTF_STYLE_ITALIC) : NULL;
    r->small = r->italic ? draw_open_font(font_path, SMALL_PX, TTF_STYLE_NORMAL) : NULL;
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
    int w = draw_maxi(0, width), h = draw_maxi(0, height);
    memset(out, 0, sizeof *out);

    int status_h = draw_mini(STATUS_H, h);
    int below = h - status_h;
    int sidebar_w = draw_mini(SIDEBAR_W, w * 3 / 10);
    int chat_h = draw_mini(CHAT_H, below * 2 / 5);

    out->status = (SDL_Rect){0, 0, w, status_h};
    out->sidebar = (SDL_Rect){w - sidebar_w, status_h, sidebar_w, below};
    out->chat = (SDL_Rect){0, h - chat_h, w - sidebar_w, chat_h};

    SDL_Rect area = {0, status_h, w - sidebar_w, below - chat_h};
    int margin = draw_mini(DRAW_MARGIN, draw_mini(area.w, area.h) / 4);
    area = draw_inset(area, margin);
    float sx = (float)area.w / PROTO_WORLD_WIDTH;
    float sy = (float)area.h / PROTO_WORLD_HEIGHT;
    float scale = sx < sy ? sx : sy;
    int room_w = draw_clampi((int)lroundf(PROTO_WORLD_WIDTH * scale), 0, area.w);
    int room_h = draw_clampi((int)lroundf(PROTO_WORLD_HEIGHT * scale), 0, area.h);
    out->room =
        (SDL_Rect){area.x + (area.w - room_w) / 2, area.y + (area.h - room_h) / 2, room_w, room_h};
    out->scale = scale;
    render_layout_sidebar(out);
}

void render_world_to_screen(const render_layout *l, float x, float y, int *sx, int *sy)
{
    *sx = l->room.x + (int)lroundf(x * l->scale);
    *sy = l->room.y + (int)lroundf(y * l->scale);
}

/* ---- the room ---------------------------------------------------------- */

/* The countdown ("Starting in 3") or, once it is over, "Game starting!",
 * across the top of the room. */
static void paint_banner(renderer *r, const game_view *view, const SDL_Rect *room)
{
    char text[64];
    uint32_t bg;
    if (view->countdown_ms > 0) {
        snprintf(text, sizeof text, "Game starts in %u\xE2\x80\xA6",
                 (unsigned)((view->countdown_ms + 999) / 1000));
        bg = RENDER_COUNTDOWN;
    } else if (view->starting_notice) {
        snprintf(text, sizeof text, "Game starting!");
        bg = RENDER_GAME_STARTING;
    } else {
        return;
    }
    int w = draw_mini(280, room->w - 20), h = draw_mini(40, room->h / 4);
    SDL_Rect rc = {room->x + (room->w - w) / 2, room->y + 14, w, h};
    draw_banner(r, rc, bg, text);
}

static void paint_room(renderer *r, const game_view *view, const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    const SDL_Rect *room = &l->room;
    if (draw_rect_empty(room))
        return;

    SDL_Rect edge = draw_inset(*room, -2);
    draw_fill_rounded(s, edge, 3, COL_ROOM_EDGE, 255);
    draw_fill_rect(s, room->x, room->y, room->w, room->h, RENDER_ROOM_FLOOR, 255);

    /* grid: a line every 50 world units (fewer when zoomed far out), stronger every 200 */
    int step = 50;
    while (step < 400 && (float)step * l->scale < 16.0f)
        step *= 2;
    for (int u = step; u < (int)PROTO_WORLD_WIDTH; u += step) {
        int x = room->x + (int)lroundf((float)u * l->scale);
        draw_fill_rect(s, x, room->y, 1, room->h, u % 200 == 0 ? COL_GRID_MAJOR : COL_GRID, 255);
    }
    for (int u = step; u < (int)PROTO_WORLD_HEIGHT; u += step) {
        int y = room->y + (int)lroundf((float)u * l->scale);
        draw_fill_rect(s, room->x, y, room->w, 1, u % 200 == 0 ? COL_GRID_MAJOR : COL_GRID, 255);
    }

    draw_clip_to(s, room);
    /* the lobby name, faint, in the bottom right corner of the floor */
    if (view->lobby[0] != '\0') {
        int w = draw_text_width(r->bold, view->lobby);
        draw_text(r, r->bold, view->lobby, room->x + room->w - w - 10,
                  room->y + room->h - TTF_FontLineSkip(r->bold) - 6, COL_GRID_MAJOR + 0x0A0A0A);
    }

    if (view->avatar_count == 0) {
        const char *msg = view->conn == GAME_JOINED ? "Nobody here yet" : "Not in a lobby";
        int w = draw_text_width(r->font, msg);
        draw_text(r, r->font, msg, room->x + (room->w - w) / 2,
                  room->y + (room->h - TTF_FontLineSkip(r->font)) / 2, COL_FAINT);
    }

    int count = draw_mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS);
    const float rad = (float)RENDER_AVATAR_RADIUS;
    /* bodies: others first, then ours on top */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < count; i++) {
            const game_avatar *a = &view->avatars[i];
            if (a->is_me != (pass == 1))
                continue;
            int cx, cy;
            render_world_to_screen(l, a->x, a->y, &cx, &cy);
            draw_fill_circle(s, cx + 2, cy + 3, rad + 1.0f, 0x000000, 90); /* shadow */
            draw_fill_annulus(s, cx, cy, rad - 1.5f, rad, 0x000000, 70);   /* rim */
            /* A player who is reconnecting is drawn faded, like a ghost. */
            draw_fill_circle(s, cx, cy, rad - 1.0f, a->colour & 0xFFFFFF,
                             a->reconnecting ? 90 : 255);
            draw_fill_circle(s, cx - RENDER_AVATAR_RADIUS / 3, cy - RENDER_AVATAR_RADIUS / 3, 3.0f,
                             0xFFFFFF, 70); /* highlight */
            if (a->is_me)
                draw_fill_annulus(s, cx, cy, rad + 2.5f, rad + 5.0f, RENDER_OWN_MARKER, 255);
        }
    }
    /* name labels over everything */
    for (int i = 0; i < count; i++) {
        const game_avatar *a = &view->avatars[i];
        char label[PROTO_MAX_NAME_BYTES + 32];
        snprintf(label, sizeof label, "%.*s%s",
                 (int)draw_bounded_len(a->name, PROTO_MAX_NAME_BYTES), a->name,
                 a->is_me          ? " (you)"
                 : a->reconnecting ? " (reconnecting)"
                                   : "");
        int cx, cy;
        render_world_to_screen(l, a->x, a->y, &cx, &cy);
        int w = draw_text_width(r->small, label);
        int h = TTF_FontHeight(r->small);
        int above = RENDER_AVATAR_RADIUS + (a->is_me ? 7 : 4);
        int y = cy - above - h;
        if (y < room->y + 2)
            y = cy + above + 2;
        int x =
            draw_clampi(cx - w / 2, room->x + 3, draw_maxi(room->x + 3, room->x + room->w - w - 3));
        draw_text_n(r, r->small, label, strlen(label), x, y, COL_LABEL, true);
    }
    draw_clip_to(s, NULL);
    paint_banner(r, view, room);
}

/* ---- the status line --------------------------------------------------- */

static uint32_t conn_colour(game_conn c)
{
    switch (c) {
    case GAME_JOINED:
    case GAME_BROWSING:
        return COL_OK;
    case GAME_CONNECTING:
        return COL_WARN;
    case GAME_WAITING_RETRY:
    default:
        return COL_BAD;
    }
}

void render_paint_status(renderer *r, const game_view *view, SDL_Rect status)
{
    SDL_Renderer *s = r->sdl;
    const SDL_Rect *st = &status;
    if (draw_rect_empty(st))
        return;
    draw_fill_rect(s, st->x, st->y, st->w, st->h, COL_STATUS_BG, 255);
    draw_fill_rect(s, st->x, st->y + st->h - 1, st->w, 1, COL_PANEL_EDGE, 255);
    draw_clip_to(s, st);

    uint32_t rgb = conn_colour(view->conn);
    int mid = st->y + st->h / 2;
    draw_fill_circle(s, st->x + 12, mid, 6.0f, rgb, 60);
    draw_fill_circle(s, st->x + 12, mid, 3.5f, rgb, 255);

    int right = st->x + st->w - 10;
    int font_h = TTF_FontHeight(r->font);
    if (view->conn == GAME_JOINED || view->conn == GAME_BROWSING) {
        char rtt[32];
        snprintf(rtt, sizeof rtt, "RTT %u ms", (unsigned)view->rtt_ms);
        int w = draw_text_width(r->font, rtt);
        draw_text(r, r->font, rtt, right - w, mid - font_h / 2, draw_rtt_colour(view->rtt_ms));
        right -= w + 16;
    }

    const char *text = view->status;
    if (draw_bounded_len(text, sizeof view->status) == 0 ||
        draw_bounded_len(text, sizeof view->status) == sizeof view->status)
        text = view->conn == GAME_JOINED       ? "Joined"
               : view->conn == GAME_BROWSING   ? "At the lobby list"
               : view->conn == GAME_CONNECTING ? "Connecting\xE2\x80\xA6"
               : view->conn == GAME_STOPPED    ? "Refused: not retrying"
                                               : "Waiting to retry";
    int x = st->x + 26;
    draw_text_fit(r, r->font, text, x, mid - font_h / 2, right - x, rgb);
    draw_clip_to(s, NULL);
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
    if (ln->from_text) /* a plain-text (TCP) client: not a player in the lobby */
        runs[n++] = (text_run){r->small, COL_FAINT, "[text] "};
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
static void paint_chat_input(renderer *r, const ui_state *ui, SDL_Rect rc, uint32_t accent)
{
    SDL_Renderer *s = r->sdl;
    int font_h = TTF_FontHeight(r->font);
    int mid = rc.y + rc.h / 2;
    if (ui == NULL || !ui->chat_open) {
        const char *hint = "Press Enter to chat";
        draw_text(r, r->small, hint, rc.x + 4, mid - TTF_FontHeight(r->small) / 2, COL_FAINT);
        return;
    }
    draw_fill_rounded(s, rc, 5, accent, 255);
    draw_fill_rounded(s, draw_inset(rc, 1), 4, COL_INPUT_BG, 255);
    SDL_Rect in = draw_inset(rc, 6);
    if (draw_rect_empty(&in))
        return;

    char text[PROTO_MAX_CHAT_BYTES + 1];
    size_t len = ui->input_len < PROTO_MAX_CHAT_BYTES ? ui->input_len : PROTO_MAX_CHAT_BYTES;
    len = draw_bounded_len(ui->input, len);
    memcpy(text, ui->input, len);
    text[len] = '\0';

    char count[24];
    snprintf(count, sizeof count, "%zu/%d", len, PROTO_MAX_CHAT_BYTES);
    int count_w = len > 0 ? draw_text_width(r->small, count) : 0;
    if (len > 0)
        draw_text(r, r->small, count, in.x + in.w - count_w, mid - TTF_FontHeight(r->small) / 2,
                  len * 10 >= PROTO_MAX_CHAT_BYTES * 9 ? COL_WARN : COL_FAINT);

    int avail = in.w - count_w - 10;
    /* keep the end (where the cursor is) in view: drop whole characters */
    size_t start = 0;
    if (draw_text_width_n(r->font, text, len) > avail) {
        size_t lo = 0, hi = len; /* suffix from hi fits; from lo does not */
        while (hi - lo > 1) {
            size_t mid_i = lo + (hi - lo) / 2;
            if (draw_text_width_n(r->font, text + mid_i, len - mid_i) <= avail)
                hi = mid_i;
            else
                lo = mid_i;
        }
        start = hi;
        while (start < len && ((unsigned char)text[start] & 0xC0) == 0x80)
            start++;
    }
    int w = 0;
    SDL_Rect clip = {in.x, rc.y, draw_maxi(0, avail + 4), rc.h};
    draw_clip_to(s, &clip);
    if (len > 0)
        w = draw_text_n(r, r->font, text + start, len - start, in.x, mid - font_h / 2, COL_TEXT,
                        false);
    else
        draw_text(r, r->font, "Say something\xE2\x80\xA6", in.x + 3, mid - font_h / 2, COL_FAINT);
    draw_fill_rect(s, in.x + w + 1, mid - font_h / 2 + 1, 2, font_h - 2, accent, 255); /* cursor */
}

static uint32_t own_colour(const game_view *view)
{
    for (int i = 0; i < draw_mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS); i++)
        if (view->avatars[i].is_me)
            return view->avatars[i].colour & 0xFFFFFF;
    return COL_DIM;
}

static void paint_chat(renderer *r, const game_view *view, const ui_state *ui,
                       const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    SDL_Rect box = l->chat;
    int m = draw_mini(DRAW_MARGIN, draw_mini(box.w, box.h) / 8);
    box = (SDL_Rect){box.x + m, box.y, box.w - 2 * m, box.h - m};
    if (draw_rect_empty(&box))
        return;
    draw_panel(s, box, COL_PANEL, COL_PANEL_EDGE);
    int pad = draw_mini(DRAW_PAD, box.h / 10);
    SDL_Rect in = draw_inset(box, pad);
    if (draw_rect_empty(&in))
        return;

    int line_h = TTF_FontLineSkip(r->font);
    int input_h = draw_mini(in.h, line_h + 10);
    SDL_Rect input = {in.x, in.y + in.h - input_h, in.w, input_h};
    SDL_Rect lines = {in.x, in.y, in.w, draw_maxi(0, in.h - input_h - pad)};

    draw_clip_to(s, &box);
    paint_chat_input(r, ui, input, own_colour(view));
    draw_clip_to(s, NULL);

    size_t total = view->chat != NULL ? chat_log_count(view->chat) : 0;
    int max_rows = line_h > 0 ? lines.h / line_h : 0;
    if (total == 0 || max_rows <= 0)
        return;

    /* the newest lines that fit, measured from the newest back */
    const int indent = 16;
    size_t first = total;
    int rows = 0;
    while (first > 0) {
        text_run runs[5]; /* mark, name, ": ", text, state */
        char marker[CHAT_NOTE_BYTES + 16];
        const chat_line *ln = chat_log_line(view->chat, first - 1);
        if (ln == NULL)
            break;
        size_t n = chat_runs(r, ln, runs, marker, sizeof marker);
        int need = draw_layout_runs(r, runs, n, 0, 0, lines.w, line_h, indent, false);
        if (rows + need > max_rows && rows > 0)
            break;
        rows += need;
        first--;
        if (rows >= max_rows)
            break;
    }

    draw_clip_to(s, &lines);
    int y = lines.y + lines.h - draw_mini(rows, max_rows) * line_h;
    for (size_t i = first; i < total; i++) {
        text_run runs[5]; /* mark, name, ": ", text, state */
        char marker[CHAT_NOTE_BYTES + 16];
        const chat_line *ln = chat_log_line(view->chat, i);
        if (ln == NULL)
            continue;
        size_t n = chat_runs(r, ln, runs, marker, sizeof marker);
        y += line_h * draw_layout_runs(r, runs, n, lines.x, y, lines.w, line_h, indent, true);
    }
    draw_clip_to(s, NULL);
}

/* ---- the frame --------------------------------------------------------- */

void render_frame(renderer *r, const game_view *view, const ui_state *ui, int width, int height)
{
    SDL_Renderer *s = r->sdl;
    render_layout l;
    render_layout_for(width, height, &l);

    SDL_RenderSetClipRect(s, NULL);
    SDL_SetRenderDrawBlendMode(s, SDL_BLENDMODE_NONE);
    draw_set_colour(s, RENDER_BACKGROUND, 255);
    SDL_RenderClear(s);
    SDL_SetRenderDrawBlendMode(s, SDL_BLENDMODE_BLEND);
    if (view == NULL)
        return;

    if (view->screen == GAME_SCREEN_BROWSER && view->browser != NULL) {
        render_paint_browser(r, view, width, height);
        render_paint_status(r, view, l.status);
        SDL_RenderSetClipRect(s, NULL);
        return;
    }
    paint_room(r, view, &l);
    render_paint_sidebar(r, view, &l);
    paint_chat(r, view, ui, &l);
    render_paint_status(r, view, l.status);
    SDL_RenderSetClipRect(s, NULL);
}
