/* The snapshot tick through the real server process and real sockets:
 * positions wait for the tick and say what they merged, chat never waits,
 * and the tick's flags are checked. */
#include "client.h"
#include "clock.h"
#include "enet_group.h"
#include "server_proc.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct watcher {
    client *c;
    uint32_t positions, merged, acks;
    uint32_t last_seq;
    float last_x;
    uint64_t ack_at_us;
} watcher;

static void drain(watcher *w, uint64_t now_us)
{
    client_update(w->c, now_us);
    client_event ev;
    while (client_next_event(w->c, &ev)) {
        if (ev.type == CLIENT_EV_POSITION) {
            w->positions++;
            w->merged += ev.position.merged;
            w->last_seq = ev.position.seq;
            w->last_x = ev.position.x;
        } else if (ev.type == CLIENT_EV_CHAT_ACK) {
            w->acks++;
            w->ack_at_us = now_us;
        }
    }
}

/* Owned by each test's teardown, so a failing assertion still stops the
 * server and frees the clients instead of leaving them running. */
typedef struct fixture {
    server_proc sp;
    bool running;
    watcher a, b;
} fixture;

/* Services both clients for ms milliseconds. */
static void pump(watcher *a, watcher *b, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000u;
    while (clock_now_us() < end) {
        struct pollfd fds[2] = {{.fd = client_fd(a->c), .events = POLLIN},
                                {.fd = client_fd(b->c), .events = POLLIN}};
        poll(fds, 2, 1);
        uint64_t now = clock_now_us();
        drain(a, now);
        drain(b, now);
    }
}

static void start_and_join(fixture *f, const char *const *server_args)
{
    assert_true(server_proc_start(&f->sp, server_args));
    f->running = true;
    watcher *a = &f->a, *b = &f->b;
    watcher *w[2] = {a, b};
    const char *names[2] = {"mover", "watcher"};
    for (int i = 0; i < 2; i++) {
        memset(w[i], 0, sizeof *w[i]);
        client_config cfg;
        client_config_defaults(&cfg);
        cfg.port = f->sp.port;
        cfg.name = names[i];
        assert_int_equal(client_create(&cfg, clock_now_us(), &w[i]->c), CLIENT_OK);
    }
    for (int tries = 0; tries < 500; tries++) {
        pump(a, b, 10);
        if (client_get_view(a->c)->player_count == 2 && client_get_view(b->c)->player_count == 2)
            return;
    }
    fail_msg("the two clients did not see each other");
}

/* The mover sends 40 positions a second (under the server's 60/s limit) for
 * 1.5 s; a 10 Hz tick hands the watcher about 15 of them, and the rest are
 * accounted for as merged. */
static void positions_wait_for_the_tick_and_count_merges(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--snapshot-hz", "10", NULL};
    start_and_join(f, args);
    uint32_t sent = 0;
    while (sent < 60) {
        sent++;
        assert_int_equal(client_send_position(f->a.c, (float)sent, 5.0f, clock_now_us()),
                         CLIENT_OK);
        pump(&f->a, &f->b, 25);
    }
    pump(&f->a, &f->b, 300); /* the last tick, and the way back */
    assert_in_range(f->b.positions, 11, 20);
    assert_int_equal(f->b.last_seq, sent); /* sequence numbers start at 1 */
    assert_true(f->b.last_x == (float)sent);
    /* Loopback loses nothing here: every position arrived or was merged. */
    assert_int_equal(f->b.positions + f->b.merged, sent);
}

/* With a tick of one second, a chat is still acknowledged at once. */
static void chat_does_not_wait_for_the_tick(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--snapshot-hz", "1", NULL};
    start_and_join(f, args);
    watcher *a = &f->a, *b = &f->b;
    pump(a, b, 50);
    for (int i = 0; i < 5; i++) {
        uint64_t sent_at = clock_now_us();
        assert_int_equal(client_send_chat(a->c, "now", 3, NULL), CLIENT_OK);
        uint32_t before = a->acks;
        for (int tries = 0; tries < 100 && a->acks == before; tries++)
            pump(a, b, 5);
        assert_int_equal(a->acks, before + 1);
        /* Far below the 1000 ms tick even on a busy machine. */
        assert_true(a->ack_at_us - sent_at < 400 * 1000);
        pump(a, b, 137); /* land the next one elsewhere in the tick */
    }
}

static void bad_tick_flags_are_refused(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"--snapshot-hz", "0"},  {"--snapshot-hz", "1001"},  {"--snapshot-hz", "ten"},
        {"--min-pass-us", "-1"}, {"--min-pass-us", "10001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[1024];
        char *argv[] = {LOBBY_SERVER_PATH, (char *)cases[i][0], (char *)cases[i][1], NULL};
        assert_int_equal(run_command(argv, out, sizeof out, 10), 2);
        assert_non_null(strstr(out, cases[i][0]));
    }
}

static int test_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    return f ? 0 : -1;
}

static int test_teardown(void **state)
{
    fixture *f = *state;
    if (f->a.c)
        client_destroy(f->a.c);
    if (f->b.c)
        client_destroy(f->b.c);
    if (f->running)
        server_proc_stop(&f->sp, NULL, NULL);
    free(f);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(positions_wait_for_the_tick_and_count_merges, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(chat_does_not_wait_for_the_tick, test_setup, test_teardown),
        cmocka_unit_test(bad_tick_flags_are_refused),
    };
    return cmocka_run_group_tests(tests, enet_group_setup, enet_group_teardown);
}
