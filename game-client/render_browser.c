/* The lobby browser screen: the filter bar, the table of lobbies, the
 * buttons, and the create dialog or the password prompt over it. The
 * layout is computed without fonts, so clicks map to the same rectangles
 * that are drawn. */
#include "render.h"
#include "render_draw.h"

#include <stdio.h>
#include <string.h>

enum {
    M = 12,         /* window margin */
    STATUS_H = 24,  /* as render.c's */
    FIELD_H = 30,   /* filter fields and toggles */
    HEADER_H = 26,  /* table header */
    ROW_H = 28,     /* table rows */
    FOOTER_H = 32,  /* buttons and the status message */
    LABEL_H = 18,   /* a dialog field's label above its box */
    DIALOG_ROW = 52 /* label, box and gap */
};

static const char *const column_titles[RENDER_BROWSER_COLS] = {
    "Name", "Players", "", "State", "Owner", "RTT", "Metadata"};
/* Column starts in hundredths of the table's width. */
static const int column_starts[RENDER_BROWSER_COLS] = {0, 27, 37, 42, 54, 71, 81};

static SDL_Rect empty_rect(void)
{
    return (SDL_Rect){0, 0, 0, 0};
}

static bool inside(SDL_Rect rc, int x, int y)
{
    SDL_Point p = {x, y};
    return !draw_rect_empty(&rc) && SDL_PointInRect(&p, &rc);
}

/* ---- layout -------------------------------------------------------------- */

static void layout_filter_bar(browser_layout *l)
{
    SDL_Rect fb = l->filter_bar;
    int end = fb.x + fb.w;
    int name_w = draw_clampi(fb.w * 22 / 100, 60, 220);
    int meta_w = draw_clampi(fb.w * 24 / 100, 60, 240);
    l->fields[BROWSER_FIELD_FILTER_NAME] = (SDL_Rect){fb.x, fb.y, name_w, fb.h};
    l->fields[BROWSER_FIELD_FILTER_META] = (SDL_Rect){fb.x + name_w + 8, fb.y, meta_w, fb.h};
    static const int toggle_w[BROWSER_TOGGLE_COUNT] = {108, 136, 100};
    int x = fb.x + name_w + 8 + meta_w + 16;
    for (int t = 0; t < BROWSER_TOGGLE_COUNT; t++) {
        int w = draw_maxi(0, draw_mini(toggle_w[t], end - x));
        l->toggles[t] = (SDL_Rect){x, fb.y, w, fb.h};
        x += w + 8;
    }
}

static void layout_dialog(browser_layout *l, const browser *b, int width, int height)
{
    int first = BROWSER_FIELD_PASSWORD, last = BROWSER_FIELD_PASSWORD, dw = 400;
    if (b->overlay == BROWSER_OVERLAY_CREATE)
        first = BROWSER_FIELD_CREATE_NAME, last = BROWSER_FIELD_CREATE_MAX_RTT, dw = 460;
    int rows = last - first + 1;
    int dh = 44 + rows * DIALOG_ROW + 24 + FOOTER_H + 16;
    dw = draw_mini(dw, draw_maxi(0, width - 2 * M));
    dh = draw_mini(dh, draw_maxi(0, height - STATUS_H - 2 * M));
    SDL_Rect d = {(width - dw) / 2, STATUS_H + (height - STATUS_H - dh) / 2, dw, dh};
    l->dialog = d;
    for (int f = first; f <= last; f++) {
        int y = d.y + 44 + (f - first) * DIALOG_ROW + LABEL_H;
        l->fields[f] = (SDL_Rect){d.x + 16, y, draw_maxi(0, d.w - 32), FIELD_H};
    }
    int by = d.y + d.h - 16 - FOOTER_H;
    l->buttons[RENDER_BTN_OK] = (SDL_Rect){d.x + d.w - 16 - 110, by, 110, FOOTER_H};
    l->buttons[RENDER_BTN_CANCEL] = (SDL_Rect){d.x + d.w - 16 - 110 - 8 - 100, by, 100, FOOTER_H};
}

void render_browser_layout(int width, int height, const browser *b, browser_layout *l)
{
    int w = draw_maxi(0, width), h = draw_maxi(0, height);
    memset(l, 0, sizeof *l);
    int inner_w = draw_maxi(0, w - 2 * M);
    l->status = (SDL_Rect){0, 0, w, draw_mini(STATUS_H, h)};
    l->title = (SDL_Rect){M, STATUS_H + 10, inner_w, 22};
    l->filter_bar = (SDL_Rect){M, l->title.y + l->title.h + 6, inner_w, FIELD_H};
    layout_filter_bar(l);
    l->footer = (SDL_Rect){M, draw_maxi(0, h - M - FOOTER_H), inner_w, FOOTER_H};
    int table_y = l->filter_bar.y + FIELD_H + 10;
    l->table = (SDL_Rect){M, table_y, inner_w, draw_maxi(0, l->footer.y - 10 - table_y)};
    l->header = (SDL_Rect){M, table_y, inner_w, draw_mini(HEADER_H, l->table.h)};
    for (int c = 0; c < RENDER_BROWSER_COLS; c++)
        l->col_x[c] = l->table.x + 10 + l->table.w * column_starts[c] / 100;
    l->row_h = ROW_H;
    l->visible_rows = draw_maxi(0, (l->table.h - HEADER_H - 4) / ROW_H);
    int sel = b != NULL ? b->selected : -1;
    l->first_row = sel >= l->visible_rows ? sel - l->visible_rows + 1 : 0;

    int x = l->footer.x + l->footer.w;
    static const render_button order[] = {RENDER_BTN_JOIN, RENDER_BTN_CREATE, RENDER_BTN_REFRESH};
    static const int widths[] = {110, 120, 110};
    for (int i = 0; i < 3; i++) {
        x -= widths[i];
        l->buttons[order[i]] = (SDL_Rect){x, l->footer.y, widths[i], FOOTER_H};
        x -= 8;
    }
    if (b != NULL && b->overlay != BROWSER_OVERLAY_NONE)
        layout_dialog(l, b, w, h);
}

SDL_Rect render_browser_row(const browser_layout *l, int row)
{
    int i = row - l->first_row;
    if (i < 0 || i >= l->visible_rows)
        return empty_rect();
    return (SDL_Rect){l->table.x + 1, l->header.y + HEADER_H + 2 + i * ROW_H, l->table.w - 2,
                      ROW_H};
}

render_hit render_browser_hit(const browser_layout *l, const browser *b, int x, int y)
{
    if (b->overlay != BROWSER_OVERLAY_NONE) {
        for (int f = BROWSER_FIELD_CREATE_NAME; f < BROWSER_FIELD_COUNT; f++)
            if (inside(l->fields[f], x, y))
                return (render_hit){RENDER_HIT_FIELD, f};
        for (int btn = RENDER_BTN_OK; btn <= RENDER_BTN_CANCEL; btn++)
            if (inside(l->buttons[btn], x, y))
                return (render_hit){RENDER_HIT_BUTTON, btn};
        return (render_hit){RENDER_HIT_NONE, 0};
    }
    for (int f = BROWSER_FIELD_FILTER_NAME; f <= BROWSER_FIELD_FILTER_META; f++)
        if (inside(l->fields[f], x, y))
            return (render_hit){RENDER_HIT_FIELD, f};
    for (int t = 0; t < BROWSER_TOGGLE_COUNT; t++)
        if (inside(l->toggles[t], x, y))
            return (render_hit){RENDER_HIT_TOGGLE, t};
    for (int btn = RENDER_BTN_REFRESH; btn <= RENDER_BTN_JOIN; btn++)
        if (inside(l->buttons[btn], x, y))
            return (render_hit){RENDER_HIT_BUTTON, btn};
    for (int row = l->first_row; row < b->list.count; row++)
        if (inside(render_browser_row(l, row), x, y))
            return (render_hit){RENDER_HIT_ROW, row};
    return (render_hit){RENDER_HIT_NONE, 0};
}

/* ---- widgets ------------------------------------------------------------- */

/* "•" per character, for a password. */
static void mask(const char *text, char *out, size_t size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 4 < size; p++)
        if ((*p & 0xC0) != 0x80)
            n += (size_t)snprintf(out + n, size - n, "\xE2\x80\xA2");
    out[n] = '\0';
}

/* The shortest suffix start of text[0..len) that fits in max_w. */
static size_t fitting_tail(TTF_Font *f, const char *text, size_t len, int max_w)
{
    if (draw_text_width_n(f, text, len) <= max_w)
        return 0;
    size_t lo = 0, hi = len; /* suffix from hi fits; from lo does not */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (draw_text_width_n(f, text + mid, len - mid) <= max_w)
            hi = mid;
        else
            lo = mid;
    }
    while (hi < len && ((unsigned char)text[hi] & 0xC0) == 0x80)
        hi++;
    return hi;
}

static void paint_field(renderer *r, SDL_Rect rc, const char *text, const char *placeholder,
                        bool focused, bool masked)
{
    if (draw_rect_empty(&rc))
        return;
    draw_fill_rounded(r->sdl, rc, 5, focused ? RENDER_ACCENT : COL_PANEL_EDGE, 255);
    draw_fill_rounded(r->sdl, draw_inset(rc, 1), 4, COL_INPUT_BG, 255);
    SDL_Rect in = draw_inset(rc, 7);
    int font_h = TTF_FontHeight(r->font);
    int y = rc.y + (rc.h - font_h) / 2;
    char shown[BROWSER_TEXT_MAX * 3 + 1];
    if (masked)
        mask(text, shown, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s", text);
    size_t len = strlen(shown);
    SDL_Rect clip = {in.x, rc.y, in.w, rc.h};
    draw_clip_to(r->sdl, &clip);
    int w = 0;
    if (len > 0) {
        size_t start = fitting_tail(r->font, shown, len, in.w - 4);
        w = draw_text_n(r, r->font, shown + start, len - start, in.x, y, COL_TEXT, false);
    } else if (!focused) {
        draw_text(r, r->small, placeholder, in.x, rc.y + (rc.h - TTF_FontHeight(r->small)) / 2,
                  COL_FAINT);
    }
    if (focused)
        draw_fill_rect(r->sdl, in.x + w + 1, y + 1, 2, font_h - 2, RENDER_ACCENT, 255);
    draw_clip_to(r->sdl, NULL);
}

static void paint_toggle(renderer *r, SDL_Rect rc, const char *label, bool on)
{
    if (draw_rect_empty(&rc))
        return;
    SDL_Rect box = {rc.x, rc.y + (rc.h - 16) / 2, 16, 16};
    if (on) {
        draw_fill_rounded(r->sdl, box, 3, RENDER_ACCENT, 255);
        static const char tick[] = "\xE2\x9C\x93";
        int w = draw_text_width(r->small, tick);
        draw_text(r, r->small, tick, box.x + (16 - w) / 2,
                  box.y + (16 - TTF_FontHeight(r->small)) / 2, COL_TEXT);
    } else {
        draw_fill_rounded(r->sdl, box, 3, COL_DIM, 255);
        draw_fill_rounded(r->sdl, draw_inset(box, 1), 2, COL_INPUT_BG, 255);
    }
    SDL_Rect clip = rc;
    draw_clip_to(r->sdl, &clip);
    draw_text(r, r->small, label, box.x + 22, rc.y + (rc.h - TTF_FontHeight(r->small)) / 2,
              on ? COL_TEXT : COL_DIM);
    draw_clip_to(r->sdl, NULL);
}

/* ---- the table ----------------------------------------------------------- */

static void cell(renderer *r, const browser_layout *l, int col, int y, TTF_Font *f,
                 const char *text, uint32_t rgb)
{
    int end = col + 1 < RENDER_BROWSER_COLS ? l->col_x[col + 1] - 8 : l->table.x + l->table.w - 8;
    int h = TTF_FontHeight(f);
    draw_text_fit(r, f, text, l->col_x[col], y + (ROW_H - h) / 2, end - l->col_x[col], rgb);
}

static void paint_row(renderer *r, const browser_layout *l, const client_lobby_info *info,
                      SDL_Rect rc, bool selected, bool odd)
{
    if (selected)
        draw_fill_rect(r->sdl, rc.x, rc.y, rc.w, rc.h, RENDER_SELECTED, 255);
    else if (odd)
        draw_fill_rect(r->sdl, rc.x, rc.y, rc.w, rc.h, COL_ROW_ALT, 255);
    char buf[PROTO_MAX_META_PAIRS * (PROTO_MAX_META_KEY_BYTES + PROTO_MAX_META_VALUE_BYTES + 2) +
             32];
    cell(r, l, 0, rc.y, r->bold, info->name, COL_TEXT);
    snprintf(buf, sizeof buf, "%u/%u", (unsigned)info->players, (unsigned)info->capacity);
    cell(r, l, 1, rc.y, r->font, buf, info->players >= info->capacity ? COL_BAD : COL_TEXT);
    if (info->has_password)
        draw_lock(r->sdl, l->col_x[2], rc.y + (ROW_H - 13) / 2);
    const char *state = proto_lobby_state_text(info->state);
    cell(r, l, 3, rc.y, r->font, state, info->state == PROTO_LOBBY_OPEN ? COL_OK : COL_WARN);
    const char *owner = info->server_owned ? "(server)"
                        : info->owner[0]   ? info->owner
                                           : "\xE2\x80\x94";
    cell(r, l, 4, rc.y, r->font, owner, info->owner[0] ? COL_TEXT : COL_FAINT);
    if (info->rtt_known)
        snprintf(buf, sizeof buf, "%u ms", (unsigned)info->median_rtt_ms);
    else
        snprintf(buf, sizeof buf, "--");
    cell(r, l, 5, rc.y, r->font, buf,
         info->rtt_known ? draw_rtt_colour(info->median_rtt_ms) : COL_FAINT);
    int n = 0;
    buf[0] = '\0';
    if (info->max_rtt_ms > 0)
        n = snprintf(buf, sizeof buf, "max RTT %u", (unsigned)info->max_rtt_ms);
    for (int i = 0; i < info->meta_count && i < PROTO_MAX_META_PAIRS && (size_t)n < sizeof buf; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s=%s", n > 0 ? "  " : "",
                      info->meta[i].key, info->meta[i].value);
    cell(r, l, 6, rc.y, r->small, buf, COL_DIM);
}

static void paint_table(renderer *r, const browser *b, const browser_layout *l)
{
    if (draw_rect_empty(&l->table))
        return;
    draw_panel(r->sdl, l->table, COL_PANEL, COL_PANEL_EDGE);
    draw_clip_to(r->sdl, &l->table);
    for (int c = 0; c < RENDER_BROWSER_COLS; c++)
        draw_text(r, r->small, column_titles[c], l->col_x[c],
                  l->header.y + (HEADER_H - TTF_FontHeight(r->small)) / 2, COL_DIM);
    draw_fill_rect(r->sdl, l->table.x + 1, l->header.y + HEADER_H, l->table.w - 2, 1,
                   COL_PANEL_EDGE, 255);
    for (int row = l->first_row; row < b->list.count; row++) {
        SDL_Rect rc = render_browser_row(l, row);
        if (draw_rect_empty(&rc))
            break;
        paint_row(r, l, &b->list.lobbies[row], rc, row == b->selected, row % 2 == 1);
    }
    if (b->list.count == 0) {
        const char *msg = b->have_list ? "No lobby matches the filters"
                                       : "Asking the server for its lobbies\xE2\x80\xA6";
        int w = draw_text_width(r->font, msg);
        draw_text(r, r->font, msg, l->table.x + (l->table.w - w) / 2, l->header.y + HEADER_H + 30,
                  COL_FAINT);
    }
    draw_clip_to(r->sdl, NULL);
}

/* ---- overlays ------------------------------------------------------------ */

static const char *field_label(browser_field f)
{
    switch (f) {
    case BROWSER_FIELD_CREATE_NAME:
        return "Name (1 to 24 bytes)";
    case BROWSER_FIELD_CREATE_CAPACITY:
        return "Capacity (1 to 64; empty: the server's default)";
    case BROWSER_FIELD_CREATE_PASSWORD:
        return "Password (empty: none)";
    case BROWSER_FIELD_CREATE_META:
        return "Metadata (key=value pairs, e.g. mode=ctf map=harbour)";
    case BROWSER_FIELD_CREATE_MAX_RTT:
        return "Max RTT in ms (empty: no limit)";
    case BROWSER_FIELD_PASSWORD:
        return "Password";
    default:
        return "";
    }
}

static void paint_dialog(renderer *r, const browser *b, const browser_layout *l, int w, int h)
{
    draw_fill_rect(r->sdl, 0, 0, w, h, 0x000000, 150); /* dim what is behind */
    SDL_Rect d = l->dialog;
    if (draw_rect_empty(&d))
        return;
    draw_panel(r->sdl, d, RENDER_DIALOG, RENDER_ACCENT);
    draw_clip_to(r->sdl, &d);
    char title[PROTO_MAX_LOBBY_NAME_BYTES + 48];
    bool create = b->overlay == BROWSER_OVERLAY_CREATE;
    if (create)
        snprintf(title, sizeof title, "Create a lobby");
    else
        snprintf(title, sizeof title, "Password for '%s'", b->prompt_lobby);
    draw_text_fit(r, r->bold, title, d.x + 16, d.y + 14, d.w - 32, COL_TEXT);
    for (int f = BROWSER_FIELD_CREATE_NAME; f < BROWSER_FIELD_COUNT; f++) {
        if (draw_rect_empty(&l->fields[f]))
            continue;
        draw_clip_to(r->sdl, &d);
        draw_text_fit(r, r->small, field_label(f), l->fields[f].x, l->fields[f].y - LABEL_H + 1,
                      l->fields[f].w, COL_DIM);
        bool masked = f == BROWSER_FIELD_PASSWORD || f == BROWSER_FIELD_CREATE_PASSWORD;
        paint_field(r, l->fields[f], b->fields[f].text, "", b->focus == (browser_field)f, masked);
    }
    draw_clip_to(r->sdl, &d);
    if (b->dialog_error[0] != '\0')
        draw_text_fit(r, r->small, b->dialog_error, d.x + 16, l->buttons[RENDER_BTN_OK].y - 22,
                      d.w - 32, COL_BAD);
    draw_button(r, l->buttons[RENDER_BTN_CANCEL], "Cancel (Esc)", false, true);
    draw_button(r, l->buttons[RENDER_BTN_OK], create ? "Create (Enter)" : "Join (Enter)", true,
                true);
    draw_clip_to(r->sdl, NULL);
}

/* ---- the screen ---------------------------------------------------------- */

static void paint_title(renderer *r, const browser *b, const browser_layout *l)
{
    draw_text(r, r->bold, "Lobbies", l->title.x, l->title.y, COL_TEXT);
    char count[64];
    if (b->have_list)
        snprintf(count, sizeof count, "%u shown of %u matching", (unsigned)b->list.count,
                 (unsigned)b->list.total);
    else
        count[0] = '\0';
    int w = draw_text_width(r->small, count);
    draw_text(r, r->small, count, l->title.x + l->title.w - w, l->title.y + 3, COL_DIM);
}

static void paint_footer(renderer *r, const browser *b, const browser_layout *l)
{
    bool can_join = b->selected >= 0 && b->selected < b->list.count;
    draw_button(r, l->buttons[RENDER_BTN_REFRESH], "Refresh (F5)", false, true);
    draw_button(r, l->buttons[RENDER_BTN_CREATE], "Create (Ctrl+N)", false, true);
    draw_button(r, l->buttons[RENDER_BTN_JOIN], "Join (Enter)", true, can_join);
    int text_w = l->buttons[RENDER_BTN_REFRESH].x - 12 - l->footer.x;
    int y = l->footer.y + (FOOTER_H - TTF_FontHeight(r->font)) / 2;
    if (b->status[0] != '\0')
        draw_text_fit(r, r->font, b->status, l->footer.x, y, text_w,
                      b->status_is_error ? COL_BAD : COL_TEXT);
    else
        draw_text_fit(r, r->small,
                      "\xE2\x86\x91\xE2\x86\x93 select \xC2\xB7 Tab next field \xC2\xB7 F2 F3 F4 "
                      "filters \xC2\xB7 Esc clear",
                      l->footer.x, l->footer.y + (FOOTER_H - TTF_FontHeight(r->small)) / 2, text_w,
                      COL_FAINT);
}

void render_paint_browser(renderer *r, const game_view *view, int width, int height)
{
    const browser *b = view->browser;
    browser_layout l;
    render_browser_layout(width, height, b, &l);
    paint_title(r, b, &l);
    static const char *const placeholders[] = {"name contains\xE2\x80\xA6",
                                               "key=value\xE2\x80\xA6"};
    bool filters_focused = b->overlay == BROWSER_OVERLAY_NONE;
    for (int f = BROWSER_FIELD_FILTER_NAME; f <= BROWSER_FIELD_FILTER_META; f++)
        paint_field(r, l.fields[f], b->fields[f].text, placeholders[f - BROWSER_FIELD_FILTER_NAME],
                    filters_focused && b->focus == (browser_field)f, false);
    static const char *const toggles[] = {"Free seat (F2)", "No password (F3)", "Open (F4)"};
    for (int t = 0; t < BROWSER_TOGGLE_COUNT; t++)
        paint_toggle(r, l.toggles[t], toggles[t], b->toggles[t]);
    paint_table(r, b, &l);
    paint_footer(r, b, &l);
    if (b->overlay != BROWSER_OVERLAY_NONE)
        paint_dialog(r, b, &l, width, height);
}
