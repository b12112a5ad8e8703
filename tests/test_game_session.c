/* The game session (client core behind the window) against the real server:
 * losing the server shows why and retries with backoff until it is back. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lost_server_is_retried_until_back),
    };
    return cmocka_run_group_tests_name("game session", tests, NULL, NULL);
}
