/* The lobby screen's sidebar: the lobby's name, state and metadata, its
 * members (owner's crown, ready marker, link quality, the picked member) and
 * the lobby buttons; and where they are, for clicks. */
#include "render.h"
#include "render_draw.h"

#include <stdio.h>
#include <string.h>

enum {
    SWATCH = 12,         /* colour swatch */
    SIDEBAR_HEAD_H = 60, /* title, lobby name, lobby state, rule */
    BTN_H = 26,
    BTN_GAP = 6,
};

/* ---- layout ------------------------------------------------------------ */

/* The sidebar's panel, its inside, and in it the member rows above two rows
 * of buttons: [Ready][Leave] and the owner's [Start][Kick][Owner]. */
static SDL_Rect sidebar_box(const render_layout *l)
{
    SDL_Rect box = l->sidebar;
    int m = draw_mini(DRAW_MARGIN, box.w / 8);
    box = (SDL_Rect){box.x, box.y + m, draw_maxi(0, box.w - m), draw_maxi(0, box.h - 2 * m)};
    return box;
}

static void split_row(SDL_Rect row, const render_button *which, int n, SDL_Rect *buttons)
{
    int w = (row.w - BTN_GAP * (n - 1)) / n;
    for (int i = 0; i < n; i++)
        buttons[which[i]] = (SDL_Rect){row.x + i * (w + BTN_GAP), row.y, draw_maxi(0, w), row.h};
}

void render_layout_sidebar(render_layout *out)
{
    SDL_Rect in = draw_inset(sidebar_box(out), DRAW_PAD);
    int buttons_h = 2 * BTN_H + BTN_GAP;
    int members_y = in.y + SIDEBAR_HEAD_H;
    int members_h = in.h - SIDEBAR_HEAD_H - buttons_h - DRAW_PAD;
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

/* Start, Kick and Owner: not offered in a lobby the server runs. */
static bool owner_button(int b)
{
    return b == RENDER_BTN_START || b == RENDER_BTN_KICK || b == RENDER_BTN_GIVE;
}

render_hit render_lobby_hit(const render_layout *l, const game_view *view, int x, int y)
{
    for (int b = RENDER_BTN_READY; b < RENDER_BTN_COUNT; b++)
        if (hit(l->buttons[b], x, y) && !(view->server_owned && owner_button(b)))
            return (render_hit){RENDER_HIT_BUTTON, b};
    for (int i = 0; i < draw_mini(view->avatar_count, PROTO_MAX_LOBBY_PLAYERS); i++)
        if (hit(render_member_row(l, i), x, y))
            return (render_hit){RENDER_HIT_MEMBER, i};
    return (render_hit){RENDER_HIT_NONE, 0};
}

/* ---- the sidebar ------------------------------------------------------- */

/* Nothing before the first LOBBY_STATE says what the lobby is doing. */
static const char *lobby_state_text(uint8_t state)
{
    return state == 0 ? "" : proto_lobby_state_text(state);
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
        *rgb = draw_rtt_colour(a->rtt_ms);
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
    if (view->server_owned) { /* no owner, ever: nothing to offer but a note */
        SDL_Rect row = l->buttons[RENDER_BTN_START];
        row.w = l->buttons[RENDER_BTN_GIVE].x + l->buttons[RENDER_BTN_GIVE].w - row.x;
        draw_text_fit(r, r->small, "Run by the server: no owner", row.x,
                      row.y + (row.h - TTF_FontHeight(r->small)) / 2, row.w, COL_FAINT);
        return;
    }
    draw_button(r, l->buttons[RENDER_BTN_START], "Start", true, owner);
    draw_button(r, l->buttons[RENDER_BTN_KICK], "Kick", false, owner && other_selected);
    draw_button(r, l->buttons[RENDER_BTN_GIVE], "Owner", false, owner && other_selected);
}

void render_paint_sidebar(renderer *r, const game_view *view, const render_layout *l)
{
    SDL_Renderer *s = r->sdl;
    SDL_Rect box = sidebar_box(l);
    if (draw_rect_empty(&box))
        return;
    draw_panel(s, box, COL_PANEL, COL_PANEL_EDGE);
    SDL_Rect in = draw_inset(box, DRAW_PAD);
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
