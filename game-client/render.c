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
    MARGIN = 8,          /* around the room and between panels */
    PAD = 8,             /* inside panels */
    SWATCH = 12,         /* sidebar colour swatch */
    SIDEBAR_HEAD_H = 60, /* title, lobby name, lobby state, rule */
    BTN_H = 26,
    BTN_GAP = 6,
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

/* The sidebar's panel, its inside, and in it the member rows above two rows
 * of buttons: [Ready][Leave] and the owner's [Start][Kick][Owner]. */
static SDL_Rect sidebar_box(const render_layout *l)
{
    SDL_Rect box = l->sidebar;
    int m = draw_mini(MARGIN, box.w / 8);
    box = (SDL_Rect){box.x, box.y + m, draw_maxi(0, box.w - m), draw_maxi(0, box.h - 2 * m)};
    return box;
}

static void split_row(SDL_Rect row, const render_button *which, int n, SDL_Rect *buttons)
{
    int w = (row.w - BTN_GAP * (n - 1)) / n;
    for (int i = 0; i < n; i++)
        buttons[which[i]] = (SDL_Rect){row.x + i * (w + BTN_GAP), row.y, draw_maxi(0, w), row.h};
}

static void layout_sidebar(render_layout *out)
{
    SDL_Rect in = draw_inset(sidebar_box(out), PAD);
    int buttons_h = 2 * BTN_H + BTN_GAP;
    int members_y = in.y + SIDEBAR_HEAD_H;
    int members_h = in.h - SIDEBAR_HEAD_H - buttons_h - PAD;
    if (members_h < RENDER_MEMBER_ROW_H || in.w < 120) {
        /* too small for buttons: rows only */
        out->members = (SDL_Rect){in.x, members_y, in.w, draw_maxi(0, in.h - SIDEBAR_HEAD_H)};
        return;
    }
    out->members = (SDL_Rect){in.x, members_y, in.w, members_h};
    SDL_Rect row2 = {in.x, in.y + in.h - BTN_H, in.w, BTN_H};
    SDL_Rect row1 = {in.x, row2.y - BTN_GAP - BTN_H, in.w, BTN_H};
    static const render_button first[] = {RENDER_BTN_READY, RENDER_BTN_LEAVE};
    static const render_button second[] = {RENDER_BTN_START, RENDER_BTN_KICK, RENDER_BTN_GIVE};
    split_row(row1, first, 2, out->buttons);
    split_row(row2, second, 3, out->buttons);
}

SDL_Rect render_member_row(const render_layout *l, int index)
{
    SDL_Rect row = {l->members.x - 2, l->members.y + index * RENDER_MEMBER_ROW_H, l->members.w + 4,
                    RENDER_MEMBER_ROW_H};
    if (index < 0 || row.y + row.h > l->members.y + l->members.h)
        return (SDL_Rect){0, 0, 0, 0};
    return row;
}

static bool hit(SDL_Rect rc, int x, int y)
{
    SDL_Point p = {x, y};
    return !draw_rect_empty(&rc) && SDL_PointInRect(&p, &rc);
}

render_hit render_lobby_hit(const render_layout *l, const game_view *view, int x, int y)
{
    for (int b = RENDER_BTN_READY; b < RENDER_BTN_COUNT; b++)
        if (hit(l->buttons[b], x, y))
            return (render_hit){RENDER_HIT_BUTTON, b};
    for (int i = 0; i < draw_mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS); i++)
        if (hit(render_member_row(l, i), x, y))
            return (render_hit){RENDER_HIT_MEMBER, i};
    return (render_hit){RENDER_HIT_NONE, 0};
}

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
    int margin = draw_mini(MARGIN, draw_mini(area.w, area.h) / 4);
    area = draw_inset(area, margin);
    float sx = (float)area.w / PROTO_WORLD_WIDTH;
    float sy = (float)area.h / PROTO_WORLD_HEIGHT;
    float scale = sx < sy ? sx : sy;
    int room_w = draw_clampi((int)lroundf(PROTO_WORLD_WIDTH * scale), 0, area.w);
    int room_h = draw_clampi((int)lroundf(PROTO_WORLD_HEIGHT * scale), 0, area.h);
    out->room =
        (SDL_Rect){area.x + (area.w - room_w) / 2, area.y + (area.h - room_h) / 2, room_w, room_h};
    out->scale = scale;
    layout_sidebar(out);
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

/* ---- the sidebar ------------------------------------------------------- */

static uint32_t rtt_colour(unsigned rtt_ms)
{
    return rtt_ms < 80 ? COL_OK : (rtt_ms < 200 ? COL_WARN : COL_BAD);
}

static const char *lobby_state_text(uint8_t state)
{
    switch (state) {
    case PROTO_LOBBY_OPEN:
        return "open";
    case PROTO_LOBBY_STARTING:
        return "starting";
    case PROTO_LOBBY_IN_GAME:
        return "in game";
    default:
        return "";
    }
}

/* "open · password · mode=ctf map=harbour" */
static void lobby_summary(const game_view *view, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s", lobby_state_text(view->lobby_state),
                     view->has_password ? " \xC2\xB7 password" : "");
    for (int i = 0; i < view->meta_count && n > 0 && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, "%s%s=%s", i == 0 ? " \xC2\xB7 " : " ",
                      view->meta[i].key, view->meta[i].value);
}

/* The link as the server measures it: "23 ms  ±4  0.5% loss". */
static void link_text(const game_avatar *a, char *out, size_t size, uint32_t *rgb)
{
    if (a->reconnecting) {
        snprintf(out, size, "reconnecting\xE2\x80\xA6");
        *rgb = COL_WARN;
    } else if (!a->has_link) {
        snprintf(out, size, "-- ms");
        *rgb = COL_FAINT;
    } else {
        snprintf(out, size, "%u ms  \xC2\xB1%u  %u.%u%% loss", (unsigned)a->rtt_ms,
                 (unsigned)a->jitter_ms, (unsigned)(a->loss_permyriad / 100),
                 (unsigned)(a->loss_permyriad % 100 / 10));
        *rgb = rtt_colour(a->rtt_ms);
    }
}

static void paint_member(renderer *r, const game_avatar *a, SDL_Rect row)
{
    SDL_Renderer *s = r->sdl;
    if (a->selected)
        draw_fill_rounded(s, row, 4, RENDER_SELECTED, 255);
    else if (a->is_me)
        draw_fill_rounded(s, row, 4, COL_ROW_ME, 255);
    int font_h = TTF_FontHeight(r->font), small_h = TTF_FontHeight(r->small);
    int top = row.y + 3, x = row.x + 6;
    SDL_Rect sw = {x, top + (font_h - SWATCH) / 2, SWATCH, SWATCH};
    draw_fill_rounded(s, sw, 3, a->colour & 0xFFFFFF, 255);

    int ready_cx = row.x + row.w - 12;
    draw_ready_marker(r, ready_cx, top + font_h / 2, a->ready);

    int name_x = sw.x + SWATCH + 8;
    int crown_w = a->is_owner ? 18 : 0;
    int name_max = ready_cx - 12 - name_x - crown_w;
    const char *you = " (you)";
    int you_w = a->is_me ? draw_text_width(r->small, you) : 0;
    char name[PROTO_MAX_NAME_BYTES + 1];
    size_t nlen = draw_bounded_len(a->name, PROTO_MAX_NAME_BYTES);
    memcpy(name, a->name, nlen);
    name[nlen] = '\0';
    TTF_Font *name_font = a->is_me ? r->bold : r->font;
    if (you_w > 0 && draw_text_width(name_font, name) + you_w > name_max)
        you_w = 0; /* too narrow: the row's highlight alone marks us */
    int nw = draw_text_fit(r, name_font, name, name_x, top, name_max - you_w, COL_TEXT);
    if (a->is_owner)
        draw_crown(s, name_x + nw + 3, top + (font_h - 10) / 2);
    if (you_w > 0)
        draw_text(r, r->small, you, name_x + nw + crown_w, top + 1, COL_DIM);

    char link[64];
    uint32_t link_rgb;
    link_text(a, link, sizeof link, &link_rgb);
    draw_text_fit(r, r->small, link, name_x, top + font_h + 1, row.x + row.w - 6 - name_x,
                  link_rgb);
    (void)small_h;
}

static void paint_lobby_buttons(renderer *r, const game_view *view, const render_layout *l)
{
    bool joined = view->conn == GAME_JOINED;
    bool me_ready = false, other_selected = false;
    for (int i = 0; i < draw_mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS); i++) {
        if (view->avatars[i].is_me)
            me_ready = view->avatars[i].ready;
        if (view->avatars[i].selected)
            other_selected = true;
    }
    bool owner = joined && view->i_own;
    draw_button(r, l->buttons[RENDER_BTN_READY], me_ready ? "Unready (R)" : "Ready (R)", !me_ready,
                joined);
    draw_button(r, l->buttons[RENDER_BTN_LEAVE], "Leave (Esc)", false, joined);
    draw_button(r, l->buttons[RENDER_BTN_START], "Start", true, owner);
    draw_button(r, l->buttons[RENDER_BTN_KICK], "Kick", false, owner && other_selected);
    draw_button(r, l->buttons[RENDER_BTN_GIVE], "Owner", false, owner && other_selected);
}

static void paint_sidebar(renderer *r, const game_view *view, const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    SDL_Rect box = sidebar_box(l);
    if (draw_rect_empty(&box))
        return;
    draw_panel(s, box, COL_PANEL, COL_PANEL_EDGE);
    SDL_Rect in = draw_inset(box, PAD);
    if (draw_rect_empty(&in))
        return;
    draw_clip_to(s, &box);

    char title[64];
    int count = draw_mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS);
    if (view->capacity > 0)
        snprintf(title, sizeof title, "Players %d/%u", count, (unsigned)view->capacity);
    else
        snprintf(title, sizeof title, "Players %d", count);
    int y = in.y;
    draw_text(r, r->bold, title, in.x, y, COL_TEXT);
    y += 19;
    if (view->lobby[0] != '\0') {
        char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 16];
        snprintf(lobby, sizeof lobby, "Lobby: %.*s",
                 (int)draw_bounded_len(view->lobby, PROTO_MAX_LOBBY_NAME_BYTES), view->lobby);
        draw_text_fit(r, r->small, lobby, in.x, y, in.w, COL_DIM);
    }
    y += 16;
    char
        summary[PROTO_MAX_META_PAIRS * (PROTO_MAX_META_KEY_BYTES + PROTO_MAX_META_VALUE_BYTES + 2) +
                48];
    lobby_summary(view, summary, sizeof summary);
    draw_text_fit(r, r->small, summary, in.x, y, in.w, COL_FAINT);
    draw_fill_rect(s, in.x, in.y + SIDEBAR_HEAD_H - 5, in.w, 1, COL_PANEL_EDGE, 255);

    int small_h = TTF_FontHeight(r->small);
    for (int i = 0; i < count; i++) {
        SDL_Rect row = render_member_row(l, i);
        if (draw_rect_empty(&row))
            break;
        SDL_Rect next = render_member_row(l, i + 1);
        if (i + 1 < count && draw_rect_empty(&next)) {
            char more[32];
            snprintf(more, sizeof more, "+%d more", count - i);
            draw_text(r, r->small, more, row.x + 6, row.y + (row.h - small_h) / 2, COL_DIM);
            break;
        }
        paint_member(r, &view->avatars[i], row);
    }
    if (view->screen == GAME_SCREEN_LOBBY)
        paint_lobby_buttons(r, view, l);
    draw_clip_to(s, NULL);
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
        draw_text(r, r->font, rtt, right - w, mid - font_h / 2, rtt_colour(view->rtt_ms));
        right -= w + 16;
    }

    const char *text = view->status;
    if (draw_bounded_len(text, sizeof view->status) == 0 ||
        draw_bounded_len(text, sizeof view->status) == sizeof view->status)
        text = view->conn == GAME_JOINED       ? "Joined"
               : view->conn == GAME_BROWSING   ? "At the lobby list"
               : view->conn == GAME_CONNECTING ? "Connecting\xE2\x80\xA6"
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
    int m = draw_mini(MARGIN, draw_mini(box.w, box.h) / 8);
    box = (SDL_Rect){box.x + m, box.y, box.w - 2 * m, box.h - m};
    if (draw_rect_empty(&box))
        return;
    draw_panel(s, box, COL_PANEL, COL_PANEL_EDGE);
    int pad = draw_mini(PAD, box.h / 10);
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
    paint_sidebar(r, view, &l);
    paint_chat(r, view, ui, &l);
    render_paint_status(r, view, l.status);
    SDL_RenderSetClipRect(s, NULL);
}
