#include "input.h"

#include <stdio.h>
#include <string.h>

static void open_chat(ui_state *ui)
{
    ui->chat_open = true;
    ui->input_len = 0;
    ui->input[0] = '\0';
    SDL_StartTextInput();
}

static void close_chat(ui_state *ui)
{
    ui->chat_open = false;
    SDL_StopTextInput();
}

/* Drops the last UTF-8 character, not just its last byte. */
static void backspace(ui_state *ui)
{
    while (ui->input_len > 0) {
        unsigned char c = (unsigned char)ui->input[--ui->input_len];
        if ((c & 0xC0) != 0x80)
            break;
    }
    ui->input[ui->input_len] = '\0';
}

static void append_text(ui_state *ui, game *g, const char *text)
{
    size_t n = strlen(text);
    if (ui->input_len + n > PROTO_MAX_CHAT_BYTES) {
        /* Refuse the whole keystroke rather than cut a character in two. */
        char note[96];
        snprintf(note, sizeof note, "A message holds at most %d bytes; press Enter to send it.",
                 PROTO_MAX_CHAT_BYTES);
        game_note(g, note);
        return;
    }
    memcpy(ui->input + ui->input_len, text, n + 1);
    ui->input_len += n;
}

/* The lobby screen's keys while the chat line is closed. */
static void on_lobby_key(ui_state *ui, game *g, const SDL_Keysym *k)
{
    switch (k->sym) {
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        open_chat(ui);
        break;
    case SDLK_ESCAPE:
        if (game_get_view(g)->conn == GAME_JOINED)
            game_leave_lobby(g);
        break;
    case SDLK_r:
        game_toggle_ready(g);
        break;
    case SDLK_p:
        game_start_game(g);
        break;
    case SDLK_k:
        game_kick_selected(g);
        break;
    case SDLK_o:
        game_give_selected(g);
        break;
    case SDLK_TAB:
        game_select_next(g, (k->mod & KMOD_SHIFT) ? -1 : 1);
        break;
    default:
        break;
    }
}

static void on_browser_key(game *g, const SDL_Keysym *k)
{
    browser *b = game_browser(g);
    switch (k->sym) {
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        browser_confirm(b);
        break;
    case SDLK_ESCAPE:
        browser_cancel(b);
        break;
    case SDLK_BACKSPACE:
        browser_backspace(b);
        break;
    case SDLK_TAB:
        browser_next_field(b);
        break;
    case SDLK_UP:
    case SDLK_DOWN:
    case SDLK_PAGEUP:
    case SDLK_PAGEDOWN:
        if (b->overlay == BROWSER_OVERLAY_NONE)
            browser_move_selection(b, k->sym == SDLK_UP       ? -1
                                      : k->sym == SDLK_DOWN   ? 1
                                      : k->sym == SDLK_PAGEUP ? -10
                                                              : 10);
        break;
    case SDLK_F2:
    case SDLK_F3:
    case SDLK_F4:
        browser_toggle(b, (browser_filter_toggle)(k->sym - SDLK_F2));
        break;
    case SDLK_F5:
        browser_refresh(b);
        break;
    case SDLK_n:
        if (k->mod & KMOD_CTRL)
            browser_open_create(b);
        break;
    default:
        break;
    }
}

static void press_button(game *g, render_button btn)
{
    browser *b = game_browser(g);
    switch (btn) {
    case RENDER_BTN_REFRESH:
        browser_refresh(b);
        break;
    case RENDER_BTN_CREATE:
        browser_open_create(b);
        break;
    case RENDER_BTN_JOIN:
    case RENDER_BTN_OK:
        browser_confirm(b);
        break;
    case RENDER_BTN_CANCEL:
        browser_cancel(b);
        break;
    case RENDER_BTN_READY:
        game_toggle_ready(g);
        break;
    case RENDER_BTN_LEAVE:
        game_leave_lobby(g);
        break;
    case RENDER_BTN_START:
        game_start_game(g);
        break;
    case RENDER_BTN_KICK:
        game_kick_selected(g);
        break;
    case RENDER_BTN_GIVE:
        game_give_selected(g);
        break;
    case RENDER_BTN_COUNT:
    default:
        break;
    }
}

/* Window coordinates to the renderer's pixels (they differ on HiDPI screens). */
static SDL_Point to_pixels(const ui_state *ui, const SDL_MouseButtonEvent *m)
{
    SDL_Point p = {m->x, m->y};
    SDL_Window *w = SDL_GetWindowFromID(m->windowID);
    int ww = 0, wh = 0;
    if (w != NULL)
        SDL_GetWindowSize(w, &ww, &wh);
    if (ww > 0 && wh > 0) {
        p.x = (int)((long)p.x * ui->width / ww);
        p.y = (int)((long)p.y * ui->height / wh);
    }
    return p;
}

static void on_click(ui_state *ui, game *g, const SDL_MouseButtonEvent *m)
{
    if (m->button != SDL_BUTTON_LEFT)
        return;
    const game_view *v = game_get_view(g);
    SDL_Point at = to_pixels(ui, m);
    render_hit h;
    if (v->screen == GAME_SCREEN_BROWSER) {
        browser *b = game_browser(g);
        browser_layout l;
        render_browser_layout(ui->width, ui->height, b, &l);
        h = render_browser_hit(&l, b, at.x, at.y);
        if (h.kind == RENDER_HIT_FIELD)
            browser_focus(b, (browser_field)h.index);
        else if (h.kind == RENDER_HIT_TOGGLE)
            browser_toggle(b, (browser_filter_toggle)h.index);
        else if (h.kind == RENDER_HIT_ROW)
            browser_select(b, h.index);
        if (h.kind == RENDER_HIT_ROW && m->clicks >= 2)
            browser_join_selected(b); /* double click */
    } else {
        render_layout l;
        render_layout_for(ui->width, ui->height, &l);
        h = render_lobby_hit(&l, v, at.x, at.y);
        if (h.kind == RENDER_HIT_MEMBER)
            game_select_member(g, v->avatars[h.index].id);
    }
    if (h.kind == RENDER_HIT_BUTTON)
        press_button(g, (render_button)h.index);
}

static void on_key(ui_state *ui, game *g, const SDL_Keysym *k)
{
    SDL_Keycode key = k->sym;
    if (game_get_view(g)->screen == GAME_SCREEN_BROWSER) {
        on_browser_key(g, k);
        return;
    }
    if (!ui->chat_open) {
        on_lobby_key(ui, g, k);
        return;
    }
    if (key == SDLK_ESCAPE) {
        close_chat(ui);
    } else if (key == SDLK_BACKSPACE) {
        backspace(ui);
    } else if (key == SDLK_RETURN || key == SDLK_KP_ENTER) {
        if (ui->input_len > 0)
            game_send_chat(g, ui->input, ui->input_len);
        close_chat(ui);
    }
}

bool input_handle_event(ui_state *ui, game *g, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        return false;
    case SDL_KEYDOWN:
        on_key(ui, g, &ev->key.keysym);
        break;
    case SDL_TEXTINPUT:
        if (game_get_view(g)->screen == GAME_SCREEN_BROWSER)
            browser_type(game_browser(g), ev->text.text);
        else if (ui->chat_open)
            append_text(ui, g, ev->text.text);
        break;
    case SDL_MOUSEBUTTONDOWN:
        on_click(ui, g, &ev->button);
        break;
    default:
        break;
    }
    return true;
}

void input_sync_screen(ui_state *ui, const game *g)
{
    bool browsing = game_get_view(g)->screen == GAME_SCREEN_BROWSER;
    if (browsing)
        ui->chat_open = false; /* the chat line belongs to the lobby screen */
    bool want_text = browsing || ui->chat_open;
    if (want_text && !SDL_IsTextInputActive())
        SDL_StartTextInput();
    else if (!want_text && SDL_IsTextInputActive())
        SDL_StopTextInput();
}

void input_movement(const ui_state *ui, game_input *out)
{
    const Uint8 *keys = SDL_GetKeyboardState(NULL);
    memset(out, 0, sizeof *out);
    if (ui->chat_open)
        return;
    out->up = keys[SDL_SCANCODE_W] || keys[SDL_SCANCODE_UP];
    out->down = keys[SDL_SCANCODE_S] || keys[SDL_SCANCODE_DOWN];
    out->left = keys[SDL_SCANCODE_A] || keys[SDL_SCANCODE_LEFT];
    out->right = keys[SDL_SCANCODE_D] || keys[SDL_SCANCODE_RIGHT];
}

static void push_key(SDL_Keycode key, SDL_Scancode scancode)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = key;
    ev.key.keysym.scancode = scancode;
    SDL_PushEvent(&ev);
}

void input_inject_chat(const char *text)
{
    push_key(SDLK_RETURN, SDL_SCANCODE_RETURN);
    size_t len = strlen(text);
    for (size_t at = 0; at < len;) {
        /* A text event holds 31 bytes; split only between characters. */
        size_t n = len - at < SDL_TEXTINPUTEVENT_TEXT_SIZE - 1 ? len - at
                                                               : SDL_TEXTINPUTEVENT_TEXT_SIZE - 1;
        while (at + n < len && n > 0 && ((unsigned char)text[at + n] & 0xC0) == 0x80)
            n--;
        SDL_Event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = SDL_TEXTINPUT;
        memcpy(ev.text.text, text + at, n);
        SDL_PushEvent(&ev);
        at += n;
    }
    push_key(SDLK_RETURN, SDL_SCANCODE_RETURN);
}
