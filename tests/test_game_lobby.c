/* The game session's lobby screens against the real server, driven through
 * the same intents the window's keys and clicks produce: browse, create a
 * password lobby, join it through the password prompt (a wrong password
 * first), hand over ownership, ready up, count down, start, kick, leave. */
#include "clock.h"
#include "game.h"
#include "server_proc.h"
#include "wait_for.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static game *games[2];
static server_proc sp;
static bool sp_running;

/* Runs after the test even when it fails: no server left behind. */
static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        game_destroy(games[i]);
        games[i] = NULL;
    }
    if (sp_running)
        server_proc_stop(&sp, NULL, NULL);
    sp_running = false;
    enet_deinitialize();
    return 0;
}

static void pump(void)
{
    game_input idle = {0};
    struct pollfd pfd[2];
    nfds_t n = 0;
    for (int i = 0; i < 2; i++)
        if (games[i] != NULL && game_fd(games[i]) >= 0)
            pfd[n++] = (struct pollfd){.fd = game_fd(games[i]), .events = POLLIN};
    poll(pfd, n, 5);
    for (int i = 0; i < 2; i++)
        if (games[i] != NULL)
            game_update(games[i], clock_now_us(), &idle);
}

static game *start_browsing(uint16_t port, const char *name)
{
    game_config cfg = {0};
    game_config_defaults(&cfg);
    cfg.client.port = port;
    cfg.client.name = name;
    cfg.client.browse = true;
    cfg.client.timeout_ms = 2000;
    game *g = NULL;
    assert_int_equal(game_create(&cfg, clock_now_us(), &g), CLIENT_OK);
    assert_int_equal(game_get_view(g)->screen, GAME_SCREEN_BROWSER);
    return g;
}

static void type_into(browser *b, browser_field f, const char *text)
{
    browser_focus(b, f);
    while (b->fields[f].len > 0)
        browser_backspace(b);
    browser_type(b, text);
}

static int row_of(const browser *b, const char *name)
{
    for (int i = 0; i < b->list.count; i++)
        if (strcmp(b->list.lobbies[i].name, name) == 0)
            return i;
    return -1;
}

static const game_avatar *avatar_named(const game_view *v, const char *name)
{
    for (int i = 0; i < v->avatar_count; i++)
        if (strcmp(v->avatars[i].name, name) == 0)
            return &v->avatars[i];
    return NULL;
}

static bool log_has(const game_view *v, const char *needle)
{
    for (size_t i = 0; i < chat_log_count(v->chat); i++)
        if (strstr(chat_log_line(v->chat, i)->text, needle))
            return true;
    return false;
}

static void test_browse_create_join_own_start_kick_leave(void **state)
{
    (void)state;
    assert_int_equal(enet_initialize(), 0);
    const char *args[] = {"--countdown-ms", "600", NULL};
    assert_true(sp_running = server_proc_start(&sp, args));

    /* ann browses and creates a password lobby with metadata */
    game *ann = games[0] = start_browsing(sp.port, "ann");
    const game_view *av = game_get_view(ann);
    browser *ab = game_browser(ann);
    WAIT_FOR(av->conn == GAME_BROWSING && ab->have_list, 5000);
    browser_open_create(ab);
    type_into(ab, BROWSER_FIELD_CREATE_NAME, "arena");
    type_into(ab, BROWSER_FIELD_CREATE_CAPACITY, "4");
    type_into(ab, BROWSER_FIELD_CREATE_PASSWORD, "pw");
    type_into(ab, BROWSER_FIELD_CREATE_META, "mode=ctf");
    browser_confirm(ab);
    WAIT_FOR(av->conn == GAME_JOINED && av->i_own, 5000);
    assert_int_equal(av->screen, GAME_SCREEN_LOBBY);
    assert_string_equal(av->lobby, "arena");
    assert_int_equal(av->capacity, 4);
    assert_true(av->has_password);
    assert_int_equal(av->meta_count, 1);
    assert_string_equal(av->meta[0].value, "ctf");

    /* bob finds it with a filter, and is asked for its password */
    game *bob = games[1] = start_browsing(sp.port, "bob");
    const game_view *bv = game_get_view(bob);
    browser *bb = game_browser(bob);
    type_into(bb, BROWSER_FIELD_FILTER_META, "mode=ctf");
    WAIT_FOR(bv->conn == GAME_BROWSING && bb->list.count == 1 && row_of(bb, "arena") == 0, 5000);
    assert_true(bb->list.lobbies[0].has_password);
    assert_string_equal(bb->list.lobbies[0].owner, "ann");
    browser_select(bb, 0);
    browser_confirm(bb);
    assert_int_equal(bb->overlay, BROWSER_OVERLAY_PASSWORD);
    browser_type(bb, "wrong");
    browser_confirm(bb);
    WAIT_FOR(bb->overlay == BROWSER_OVERLAY_PASSWORD && bb->dialog_error[0] != '\0', 5000);
    assert_int_equal(bv->screen, GAME_SCREEN_BROWSER);
    browser_type(bb, "pw");
    browser_confirm(bb);
    WAIT_FOR(bv->conn == GAME_JOINED && bv->avatar_count == 2, 5000);
    assert_int_equal(bv->screen, GAME_SCREEN_LOBBY);
    assert_false(bv->i_own);
    assert_false(game_kick_selected(bob)); /* not the owner: said locally */

    /* ann hands the lobby to bob */
    WAIT_FOR(av->avatar_count == 2, 5000);
    game_select_next(ann, 1);
    assert_true(avatar_named(av, "bob") != NULL);
    WAIT_FOR(avatar_named(av, "bob")->selected, 1000);
    assert_true(game_give_selected(ann));
    WAIT_FOR(bv->i_own && !av->i_own, 5000);
    assert_true(avatar_named(av, "bob")->is_owner);
    WAIT_FOR(log_has(av, "bob owns the lobby now"), 2000);

    /* not everyone ready: refused, shown in the log */
    assert_true(game_start_game(bob));
    WAIT_FOR(log_has(bv, "Refused"), 5000);
    /* ready up, count down, start */
    assert_true(game_toggle_ready(ann));
    assert_true(game_toggle_ready(bob));
    WAIT_FOR(avatar_named(bv, "ann")->ready && avatar_named(bv, "bob")->ready, 5000);
    assert_true(game_start_game(bob));
    WAIT_FOR(av->countdown_ms > 0 && bv->countdown_ms > 0, 5000);
    assert_true(av->countdown_ms <= 600);
    WAIT_FOR(av->starting_notice && bv->starting_notice, 5000);
    assert_int_equal(av->countdown_ms, 0);
    assert_int_equal(av->lobby_state, PROTO_LOBBY_IN_GAME);

    /* bob kicks ann: she is back at the list, told why */
    game_select_member(bob, avatar_named(bv, "ann")->id);
    assert_true(game_kick_selected(bob));
    WAIT_FOR(av->screen == GAME_SCREEN_BROWSER && av->conn == GAME_BROWSING, 5000);
    assert_true(ab->status_is_error);
    assert_non_null(strstr(ab->status, "arena"));
    WAIT_FOR(bv->avatar_count == 1, 5000);

    /* bob leaves: back at the list, where arena is listed empty */
    assert_true(game_leave_lobby(bob));
    WAIT_FOR(bv->screen == GAME_SCREEN_BROWSER && bv->conn == GAME_BROWSING, 5000);
    type_into(bb, BROWSER_FIELD_FILTER_META, ""); /* every lobby again */
    browser_refresh(bb);
    bb->have_list = false;
    WAIT_FOR(bb->have_list && row_of(bb, "arena") >= 0, 5000);
    assert_int_equal(bb->list.lobbies[row_of(bb, "arena")].players, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_browse_create_join_own_start_kick_leave, teardown),
    };
    return cmocka_run_group_tests_name("game session lobbies", tests, NULL, NULL);
}
