/* Many client cores on one shared ENet host (client_net), against the real
 * server process: they join two lobbies, see each other's positions and
 * chat, survive one of them being destroyed (and its slot reused) in the
 * middle, and come back by themselves after a server restart. */
#include "client.h"
#include "clock.h"
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

enum { N = 40, LOBBY_SIZE = N / 2 };

/* What one client saw, kept by the test (client cfg.user points here). */
typedef struct tclient {
    client *c;
    int lobby;
    uint32_t joins, acks, chats, left_events;
    uint32_t positions_from[N];
    uint32_t events_before_join; /* anything but JOINED before the first JOINED */
} tclient;

typedef struct fixture {
    server_proc server;
    bool server_running;
    client_net *net;
    tclient t[N + 1];
    uint16_t id_of[N + 1];
} fixture;

static fixture g_fixture;

static int index_of_id(fixture *f, uint16_t id)
{
    for (int i = 0; i <= N; i++)
        if (f->t[i].c != NULL && f->id_of[i] == id)
            return i;
    return -1;
}

static void on_event(fixture *f, tclient *t, const client_event *ev)
{
    if (ev->type != CLIENT_EV_JOINED && t->joins == 0)
        t->events_before_join++;
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        t->joins++;
        f->id_of[t - f->t] = client_get_view(t->c)->my_id;
        break;
    case CLIENT_EV_CHAT_ACK:
        t->acks++;
        break;
    case CLIENT_EV_CHAT:
        t->chats++;
        break;
    case CLIENT_EV_PLAYER_LEFT:
        t->left_events++;
        break;
    case CLIENT_EV_POSITION: {
        int from = index_of_id(f, ev->position.player_id);
        if (from >= 0 && from < N)
            t->positions_from[from]++;
        break;
    }
    default:
        break;
    }
}

/* One loop pass over the shared host, the way lobby-bench does it. */
static void pump(fixture *f, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000u;
    while (clock_now_us() < end) {
        struct pollfd pfd = {.fd = client_net_fd(f->net), .events = POLLIN};
        poll(&pfd, 1, 1);
        client_net_update(f->net, clock_now_us());
        client *c;
        client_event ev;
        while (client_net_next_ready(f->net, &c))
            while (client_next_event(c, &ev))
                on_event(f, client_user(c), &ev);
    }
}

static void create_client(fixture *f, int i, bool reconnect)
{
    char name[16], lobby[16];
    snprintf(name, sizeof name, "p%d", i);
    snprintf(lobby, sizeof lobby, "l%d", i % 2);
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = f->server.port;
    cfg.name = name;
    cfg.lobby = lobby;
    cfg.user = &f->t[i];
    cfg.auto_reconnect = reconnect;
    cfg.timeout_ms = reconnect ? 1500 : 5000;
    cfg.jitter_seed = (uint64_t)i + 1;
    memset(&f->t[i], 0, sizeof f->t[i]);
    f->t[i].lobby = i % 2;
    assert_int_equal(client_create_on(f->net, &cfg, clock_now_us(), &f->t[i].c), CLIENT_OK);
}

static bool all_complete(fixture *f, int n, uint32_t joins)
{
    for (int i = 0; i < n; i++) {
        const client_view *v = client_get_view(f->t[i].c);
        if (f->t[i].joins < joins || v->state != CLIENT_JOINED || v->player_count != n / 2)
            return false;
    }
    return true;
}

static void wait_complete(fixture *f, int n, uint32_t joins, int max_ms)
{
    for (int waited = 0; waited < max_ms && !all_complete(f, n, joins); waited += 20)
        pump(f, 20);
    assert_true(all_complete(f, n, joins));
}

static int setup(void **state)
{
    fixture *f = &g_fixture;
    memset(f, 0, sizeof *f);
    const char *args[] = {"--lobby-capacity", "32", "--max-half-open-per-ip", "64", NULL};
    if (!server_proc_start(&f->server, args))
        return -1;
    f->server_running = true;
    if (client_net_create(N + 1, &f->net) != CLIENT_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    client_net_destroy(f->net); /* destroys the clients still on it */
    if (f->server_running)
        server_proc_stop(&f->server, NULL, NULL);
    return 0;
}

/* Every client on the one socket, each sees its own lobby complete. */
static void forty_clients_join_two_lobbies(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < N; i++)
        create_client(f, i, false);
    assert_int_equal(client_fd(f->t[0].c), client_net_fd(f->net));
    wait_complete(f, N, 1, 10000);
    for (int i = 0; i < N; i++) {
        const client_view *v = client_get_view(f->t[i].c);
        char want[8];
        snprintf(want, sizeof want, "l%d", i % 2);
        assert_string_equal(v->lobby, want);
        assert_int_equal(f->t[i].events_before_join, 0);
    }
    client_traffic tr;
    client_net_get_traffic(f->net, &tr);
    assert_true(tr.packets_in > 0 && tr.packets_out > 0);
}

static void send_positions(fixture *f, int rounds)
{
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            if (f->t[i].c != NULL)
                client_send_position(f->t[i].c, 100.0f + (float)r, 50.0f, clock_now_us());
        pump(f, 40);
    }
    pump(f, 200);
}

/* Positions reach the other members of the sender's lobby, never the other
 * lobby; chat is acknowledged and delivered to the 19 others. */
static void positions_and_chat_stay_in_their_lobby(void **state)
{
    fixture *f = *state;
    forty_clients_join_two_lobbies(state);
    send_positions(f, 10);
    for (int i = 0; i < N; i++)
        for (int from = 0; from < N; from++) {
            uint32_t got = f->t[i].positions_from[from];
            if (from == i || from % 2 != i % 2)
                assert_int_equal(got, 0);
            else
                assert_true(got >= 5); /* loopback: nearly all 10, ticks may merge */
        }
    for (int i = 0; i < N; i++)
        assert_int_equal(client_send_chat(f->t[i].c, "hi", 2, NULL), CLIENT_OK);
    for (int waited = 0; waited < 5000; waited += 20) {
        bool done = true;
        for (int i = 0; i < N; i++)
            done = done && f->t[i].acks == 1 && f->t[i].chats == LOBBY_SIZE - 1;
        if (done)
            break;
        pump(f, 20);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(f->t[i].acks, 1);
        assert_int_equal(f->t[i].chats, LOBBY_SIZE - 1);
    }
}

/* Destroying one client mid-run leaves the others undisturbed; a new client
 * that takes over its connection slot gets only its own events. */
static void destroying_one_disturbs_no_other(void **state)
{
    fixture *f = *state;
    forty_clients_join_two_lobbies(state);
    send_positions(f, 3);
    /* Destroyed with datagrams for it likely still in the socket. */
    client_send_position(f->t[2].c, 1.0f, 1.0f, clock_now_us());
    client_destroy(f->t[2].c);
    f->t[2].c = NULL;
    create_client(f, N, false); /* p40, lobby l0, in the freed slot */
    for (int i = 0; i < N; i++)
        memset(f->t[i].positions_from, 0, sizeof f->t[i].positions_from);
    send_positions(f, 5);
    for (int waited = 0; waited < 5000 && f->t[N].joins == 0; waited += 20)
        pump(f, 20);
    assert_int_equal(f->t[N].joins, 1);
    assert_int_equal(f->t[N].events_before_join, 0);
    assert_string_equal(client_get_view(f->t[N].c)->lobby, "l0");
    for (int i = 0; i < N; i++) {
        if (i == 2)
            continue;
        assert_int_equal(client_get_view(f->t[i].c)->state, CLIENT_JOINED);
        if (i % 2 == 0)
            assert_true(f->t[i].left_events >= 1); /* p2 left lobby l0 */
        for (int from = 0; from < N; from++)
            if (from != i && from != 2 && from % 2 == i % 2)
                assert_true(f->t[i].positions_from[from] >= 2);
    }
}

/* The server is killed and started again on the same port: every client of
 * the shared host notices, reconnects by itself and joins again. */
static void shared_clients_come_back_after_a_restart(void **state)
{
    fixture *f = *state;
    enum { M = 8 };
    for (int i = 0; i < M; i++)
        create_client(f, i, true);
    wait_complete(f, M, 1, 10000);
    char port_arg[8];
    snprintf(port_arg, sizeof port_arg, "%u", (unsigned)f->server.port);
    kill(f->server.pid, SIGKILL);
    server_proc_stop(&f->server, NULL, NULL); /* reaps it */
    f->server_running = false;
    /* Same UDP port; no text port, whose number might not be free. */
    const char *again[] = {"--port", port_arg, "--tcp-port", "0", "--lobby-capacity", "32", NULL};
    assert_true(server_proc_start(&f->server, again));
    f->server_running = true;
    wait_complete(f, M, 2, 20000);
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(forty_clients_join_two_lobbies, setup, teardown),
        cmocka_unit_test_setup_teardown(positions_and_chat_stay_in_their_lobby, setup, teardown),
        cmocka_unit_test_setup_teardown(destroying_one_disturbs_no_other, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_clients_come_back_after_a_restart, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return failed;
}
