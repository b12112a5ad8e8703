/* The window's input mapping end to end: SDL key, text and mouse events go
 * through input.c into a game session on the real server, on both screens.
 * Clicks land where render.c / render_browser.c lay the buttons and rows
 * out. SDL's dummy video driver; no window. */
#include "clock.h"
#include "game.h"
#include "input.h"
#include "render.h"
#include "server_proc.h"
#include "wait_for.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { W = 1024, H = 640 };

static server_proc sp;
static bool sp_running;
static game *g;
static ui_state ui;

static void pump(void)
{
    game_input idle = {0};
    struct pollfd pfd = {.fd = game_fd(g), .events = POLLIN};
    poll(&pfd, pfd.fd >= 0 ? 1 : 0, 5);
    game_update(g, clock_now_us(), &idle);
    input_sync_screen(&ui, g);
}

static void key(SDL_Keycode k, Uint16 mod)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = k;
    ev.key.keysym.mod = mod;
    assert_true(input_handle_event(&ui, g, &ev));
}

static void text(const char *s)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_TEXTINPUT;
    snprintf(ev.text.text, sizeof ev.text.text, "%s", s);
    assert_true(input_handle_event(&ui, g, &ev));
}

static void click(SDL_Rect rc, int clicks)
{
    assert_true(rc.w > 0 && rc.h > 0);
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.clicks = (Uint8)clicks;
    ev.button.x = rc.x + rc.w / 2;
    ev.button.y = rc.y + rc.h / 2;
    assert_true(input_handle_event(&ui, g, &ev));
}

static SDL_Rect lobby_button(render_button b)
{
    render_layout l;
    render_layout_for(W, H, &l);
    return l.buttons[b];
}

static const game_avatar *me(const game_view *v)
{
    for (int i = 0; i < v->avatar_count; i++)
        if (v->avatars[i].is_me)
            return &v->avatars[i];
    fail_msg("no own avatar");
    return NULL;
}

static int row_of(const browser *b, const char *name)
{
    for (int i = 0; i < b->list.count; i++)
        if (strcmp(b->list.lobbies[i].name, name) == 0)
            return i;
    return -1;
}

static int teardown(void **state)
{
    (void)state;
    game_destroy(g);
    g = NULL;
    if (sp_running)
        server_proc_stop(&sp, NULL, NULL);
    sp_running = false;
    enet_deinitialize();
    SDL_Quit();
    return 0;
}

static void test_keys_and_clicks_drive_both_screens(void **state)
{
    (void)state;
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    assert_int_equal(SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS), 0);
    assert_int_equal(enet_initialize(), 0);
    assert_true(sp_running = server_proc_start(&sp, NULL));
    game_config cfg = {0};
    game_config_defaults(&cfg);
    cfg.client.port = sp.port;
    cfg.client.name = "ann";
    cfg.client.browse = true;
    assert_int_equal(game_create(&cfg, clock_now_us(), &g), CLIENT_OK);
    memset(&ui, 0, sizeof ui);
    ui.width = W;
    ui.height = H;
    const game_view *v = game_get_view(g);
    browser *b = game_browser(g);
    WAIT_FOR(v->conn == GAME_BROWSING && b->have_list, 5000);
    assert_true(SDL_IsTextInputActive()); /* the browser takes typing */

    /* typing goes to the name filter; F2 toggles "free seat" */
    text("ar");
    assert_string_equal(b->fields[BROWSER_FIELD_FILTER_NAME].text, "ar");
    key(SDLK_BACKSPACE, 0);
    key(SDLK_BACKSPACE, 0);
    key(SDLK_F2, 0);
    assert_true(b->toggles[BROWSER_TOGGLE_FREE_SEAT]);
    browser_layout bl;
    render_browser_layout(W, H, b, &bl);
    click(bl.toggles[BROWSER_TOGGLE_FREE_SEAT], 1);
    assert_false(b->toggles[BROWSER_TOGGLE_FREE_SEAT]);

    /* Ctrl+N, a name, Tab, a capacity, Enter: created and joined */
    key(SDLK_n, KMOD_LCTRL);
    assert_int_equal(b->overlay, BROWSER_OVERLAY_CREATE);
    text("arena");
    key(SDLK_TAB, 0);
    text("4");
    key(SDLK_RETURN, 0);
    WAIT_FOR(v->conn == GAME_JOINED && v->i_own, 5000);
    assert_string_equal(v->lobby, "arena");
    assert_int_equal(v->capacity, 4);
    assert_false(SDL_IsTextInputActive()); /* WASD moves again */

    /* R readies, the Ready button un-readies */
    key(SDLK_r, 0);
    WAIT_FOR(me(v)->ready, 5000);
    click(lobby_button(RENDER_BTN_READY), 1);
    WAIT_FOR(!me(v)->ready, 5000);

    /* Enter opens the chat line; typing there is chat, not lobby keys */
    key(SDLK_RETURN, 0);
    assert_true(ui.chat_open);
    text("r");
    key(SDLK_RETURN, 0);
    assert_false(ui.chat_open);
    const chat_log *log = v->chat;
    const chat_line *last = chat_log_line(log, chat_log_count(log) - 1);
    assert_int_equal(last->kind, CHAT_LINE_OWN);
    assert_string_equal(last->text, "r");
    WAIT_FOR(last->own_state == CHAT_OWN_ACKED, 5000);
    assert_false(me(v)->ready);

    /* Esc: back to the browser; a double click on arena joins it again */
    key(SDLK_ESCAPE, 0);
    WAIT_FOR(v->screen == GAME_SCREEN_BROWSER && v->conn == GAME_BROWSING, 5000);
    WAIT_FOR(row_of(b, "arena") >= 0, 5000);
    render_browser_layout(W, H, b, &bl);
    click(render_browser_row(&bl, row_of(b, "arena")), 2);
    WAIT_FOR(v->conn == GAME_JOINED, 5000);
    assert_string_equal(v->lobby, "arena");
    assert_true(v->i_own); /* the first joiner of an empty lobby owns it */

    /* the Leave button */
    click(lobby_button(RENDER_BTN_LEAVE), 1);
    WAIT_FOR(v->screen == GAME_SCREEN_BROWSER, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_keys_and_clicks_drive_both_screens, teardown),
    };
    return cmocka_run_group_tests_name("window input", tests, NULL, NULL);
}
