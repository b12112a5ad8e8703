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

static void on_key(ui_state *ui, game *g, SDL_Keycode key)
{
    if (!ui->chat_open) {
        if (key == SDLK_RETURN || key == SDLK_KP_ENTER)
            open_chat(ui);
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
        on_key(ui, g, ev->key.keysym.sym);
        break;
    case SDL_TEXTINPUT:
        if (ui->chat_open)
            append_text(ui, g, ev->text.text);
        break;
    default:
        break;
    }
    return true;
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
