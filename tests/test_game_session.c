/* The game session (client core behind the window) against the real server:
 * losing the server shows why and retries with backoff until it is back; a
 * refusal a retry cannot fix (name taken, version mismatch) stops it with
 * the server's reason; a passing one (server full) is retried until it
 * clears. */
#include "clock.h"
#include "game.h"
#include "server_proc.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

typedef struct notices {
    int count;
    char last[256];
} notices;

static void remember(void *user, const char *line)
{
    notices *n = user;
    n->count++;
    snprintf(n->last, sizeof n->last, "%s", line);
}

/* Runs frames until the session is in state `want` or timeout_ms passes. */
static bool run_until(game *g, game_conn want, int timeout_ms)
{
    game_input idle = {0};
    for (uint64_t end = clock_now_us() + (uint64_t)timeout_ms * 1000u; clock_now_us() < end;) {
        struct pollfd pfd = {.fd = game_fd(g), .events = POLLIN};
        poll(&pfd, pfd.fd >= 0 ? 1 : 0, 5); /* no socket between connections: just wait */
        game_update(g, clock_now_us(), &idle);
        if (game_get_view(g)->conn == want)
            return true;
    }
    return false;
}

static bool log_has(const game_view *v, const char *needle)
{
    for (size_t i = 0; i < chat_log_count(v->chat); i++)
        if (strstr(chat_log_line(v->chat, i)->text, needle) ||
            strstr(chat_log_line(v->chat, i)->note, needle))
            return true;
    return false;
}

static void test_lost_server_is_retried_until_back(void **state)
{
    (void)state;
    assert_int_equal(enet_initialize(), 0);
    server_proc sp;
    assert_true(server_proc_start(&sp, NULL));
    notices seen = {0};
    game_config cfg;
    game_config_defaults(&cfg);
    cfg.client.port = sp.port;
    cfg.client.name = "traveller";
    cfg.client.timeout_ms = 600;
    cfg.notify = remember;
    cfg.notify_user = &seen;
    game *g = NULL;
    assert_int_equal(game_create(&cfg, clock_now_us(), &g), CLIENT_OK);
    assert_true(run_until(g, GAME_JOINED, 5000));
    assert_true(game_send_chat(g, "in flight", 9));

    /* The server dies without a word: the session says so and waits to retry.
     * The message sent just before is acknowledged or marked undelivered,
     * never left pending. */
    int exit_code;
    kill(sp.pid, SIGKILL);
    server_proc_stop(&sp, &exit_code, NULL);
    assert_true(run_until(g, GAME_WAITING_RETRY, 5000));
    const game_view *v = game_get_view(g);
    assert_non_null(strstr(v->status, "Connection lost"));
    assert_non_null(strstr(v->status, "retrying in"));
    assert_int_not_equal(chat_log_line(v->chat, 1)->own_state, CHAT_OWN_PENDING);

    /* Nobody is there on the next attempt: it says so and tries again. */
    assert_true(run_until(g, GAME_CONNECTING, 3000));
    assert_true(run_until(g, GAME_WAITING_RETRY, 5000));
    assert_non_null(strstr(v->status, "Not connected: cannot reach the server"));
    assert_non_null(strstr(v->status, "retrying in"));

    /* The server comes back on the same port: the session rejoins by itself. */
    char port_arg[8];
    snprintf(port_arg, sizeof port_arg, "%u", (unsigned)cfg.client.port);
    /* Same UDP port; no text port, whose number might not be free. */
    const char *args[] = {"--port", port_arg, "--tcp-port", "0", NULL};
    assert_true(server_proc_start(&sp, args));
    assert_true(run_until(g, GAME_JOINED, 8000));
    assert_true(log_has(v, "Joined lobby main"));
    assert_non_null(strstr(seen.last, "In lobby main"));
    assert_true(seen.count >= 5);

    game_destroy(g);
    server_proc_stop(&sp, NULL, NULL);
    enet_deinitialize();
}

/* A session joining lobby main that would retry fast (at most 100 ms apart)
 * if it retried at all. */
static game *start_session(uint16_t port, const char *name, uint16_t version, notices *seen)
{
    game_config cfg;
    game_config_defaults(&cfg);
    cfg.client.port = port;
    cfg.client.name = name;
    cfg.client.lobby = "main";
    cfg.client.protocol_version = version;
    cfg.client.timeout_ms = 600;
    cfg.client.reconnect_base_ms = 20;
    cfg.max_backoff_ms = 100;
    cfg.notify = remember;
    cfg.notify_user = seen;
    game *g = NULL;
    assert_int_equal(game_create(&cfg, clock_now_us(), &g), CLIENT_OK);
    return g;
}

/* A client core in lobby main under that name, and the pass that keeps it
 * there while the session runs. */
static client *hold_name(uint16_t port, const char *name)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = port;
    cfg.name = name;
    client *c = NULL;
    assert_int_equal(client_create(&cfg, clock_now_us(), &c), CLIENT_OK);
    for (uint64_t end = clock_now_us() + 5000000; clock_now_us() < end;) {
        struct pollfd pfd = {.fd = client_fd(c), .events = POLLIN};
        poll(&pfd, 1, 5);
        client_update(c, clock_now_us());
        if (client_get_view(c)->state == CLIENT_JOINED)
            return c;
    }
    fail_msg("%s did not join", name);
    return c;
}

/* Runs the session (and the holder, when given) for ms milliseconds, or
 * until the session is in state `want` when want_it. */
static bool run_with(game *g, client *holder, bool want_it, game_conn want, int ms)
{
    game_input idle = {0};
    for (uint64_t end = clock_now_us() + (uint64_t)ms * 1000u; clock_now_us() < end;) {
        struct pollfd pfd = {.fd = game_fd(g), .events = POLLIN};
        poll(&pfd, pfd.fd >= 0 ? 1 : 0, 5);
        game_update(g, clock_now_us(), &idle);
        if (holder != NULL)
            client_update(holder, clock_now_us());
        if (want_it && game_get_view(g)->conn == want)
            return true;
    }
    return !want_it;
}

/* Stopped: the view and the one notice say why, and nothing more happens,
 * although a retrying session would have tried several times by now. */
static void assert_stopped_for_good(game *g, client *holder, const notices *seen,
                                    const char *reason)
{
    const game_view *v = game_get_view(g);
    assert_int_equal(v->conn, GAME_STOPPED);
    assert_non_null(strstr(v->status, "Refused by the server"));
    assert_non_null(strstr(v->status, reason));
    assert_non_null(strstr(v->status, "not retrying"));
    assert_true(log_has(v, reason));
    int count = seen->count;
    run_with(g, holder, false, GAME_STOPPED, 600);
    assert_int_equal(v->conn, GAME_STOPPED);
    assert_int_equal(seen->count, count);
    assert_non_null(strstr(seen->last, reason));
}

/* A server, and what runs against it, in a fixture: the teardown stops
 * them even when a test fails half-way. */
typedef struct fixture {
    server_proc sp;
    client *holder;
    game *g;
    notices seen;
} fixture;

static int start_server(void **state, const char *const *args)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (enet_initialize() != 0 || !server_proc_start(&f.sp, args))
        return -1;
    *state = &f;
    return 0;
}

static int setup(void **state)
{
    return start_server(state, NULL);
}

static int setup_one_seat(void **state)
{
    const char *args[] = {"--max-players", "1", NULL};
    return start_server(state, args);
}

static int teardown(void **state)
{
    fixture *f = *state;
    game_destroy(f->g);
    client_destroy(f->holder);
    server_proc_stop(&f->sp, NULL, NULL);
    enet_deinitialize();
    return 0;
}

static void test_name_taken_stops_the_retries(void **state)
{
    fixture *f = *state;
    f->holder = hold_name(f->sp.port, "taken");
    f->g = start_session(f->sp.port, "taken", PROTO_VERSION, &f->seen);
    assert_true(run_with(f->g, f->holder, true, GAME_STOPPED, 5000));
    assert_stopped_for_good(f->g, f->holder, &f->seen, "name 'taken' is taken in lobby 'main'");
}

static void test_version_mismatch_stops_the_retries(void **state)
{
    fixture *f = *state;
    f->g = start_session(f->sp.port, "future", PROTO_VERSION + 1, &f->seen);
    assert_true(run_with(f->g, NULL, true, GAME_STOPPED, 5000));
    assert_stopped_for_good(f->g, NULL, &f->seen, "server speaks protocol version");
}

/* A full server is a passing refusal: retried, and joined once a seat frees. */
static void test_server_full_is_retried_until_a_seat_frees(void **state)
{
    fixture *f = *state;
    f->holder = hold_name(f->sp.port, "first");
    f->g = start_session(f->sp.port, "second", PROTO_VERSION, &f->seen);
    assert_true(run_with(f->g, f->holder, true, GAME_WAITING_RETRY, 5000));
    const game_view *v = game_get_view(f->g);
    assert_non_null(strstr(v->status, "server is full"));
    assert_non_null(strstr(v->status, "retrying in"));
    assert_true(run_with(f->g, f->holder, true, GAME_CONNECTING, 3000)); /* it tries again */
    client_destroy(f->holder);
    f->holder = NULL;
    assert_true(run_with(f->g, NULL, true, GAME_JOINED, 8000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lost_server_is_retried_until_back),
        cmocka_unit_test_setup_teardown(test_name_taken_stops_the_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_mismatch_stops_the_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_full_is_retried_until_a_seat_frees,
                                        setup_one_seat, teardown),
    };
    return cmocka_run_group_tests_name("game session", tests, NULL, NULL);
}
