/* End to end on loopback: the real lobby-server process, eight client cores
 * in this process, and the real lobby-chat binary. */
#include "client.h"
#include "clock.h"
#include "server_proc.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum {
    PLAYERS = 8,
    CHATS_EACH = 5,
    MAX_SEEN = 512,
    ID_SLOTS = 256, /* player ids in these tests stay small */
};

/* What one test client has seen, recorded from its events. */
typedef struct seen_chat {
    uint16_t from;
    uint32_t seq;
    char text[64];
} seen_chat;

typedef struct tclient {
    client *c;
    uint32_t acks, refusals;
    uint32_t ack_ids[MAX_SEEN];
    uint32_t ack_seqs[MAX_SEEN];
    uint32_t chat_count;
    seen_chat chats[MAX_SEEN];
    uint32_t positions_from[ID_SLOTS]; /* count per player id, small ids only */
    float last_x[ID_SLOTS], last_y[ID_SLOTS];
    int left_reason[ID_SLOTS];
    int status[ID_SLOTS]; /* last PLAYER_STATUS seen per player */
    bool rejected, disconnected;
    client_event last_end; /* the REJECTED or DISCONNECTED event */
    uint32_t end_reason;   /* its reason */
} tclient;

typedef struct fixture {
    server_proc server;
    tclient clients[PLAYERS];
} fixture;

static void record(tclient *t, const client_event *ev)
{
    switch (ev->type) {
    case CLIENT_EV_CHAT_ACK:
        t->ack_ids[t->acks % MAX_SEEN] = ev->chat_ack.msg_id;
        t->ack_seqs[t->acks++ % MAX_SEEN] = ev->chat_ack.seq;
        break;
    case CLIENT_EV_CHAT_REFUSED:
        t->refusals++;
        break;
    case CLIENT_EV_CHAT:
        if (t->chat_count < MAX_SEEN) {
            seen_chat *sc = &t->chats[t->chat_count++];
            sc->from = ev->chat.player_id;
            sc->seq = ev->chat.seq;
            snprintf(sc->text, sizeof sc->text, "%.63s", ev->text);
        }
        break;
    case CLIENT_EV_POSITION:
        if (ev->position.player_id < ID_SLOTS) {
            t->positions_from[ev->position.player_id]++;
            t->last_x[ev->position.player_id] = ev->position.x;
            t->last_y[ev->position.player_id] = ev->position.y;
        }
        break;
    case CLIENT_EV_PLAYER_LEFT:
        if (ev->player_left.player_id < ID_SLOTS)
            t->left_reason[ev->player_left.player_id] = (int)ev->player_left.reason;
        break;
    case CLIENT_EV_PLAYER_STATUS:
        if (ev->player_status.player_id < ID_SLOTS)
            t->status[ev->player_status.player_id] = (int)ev->player_status.status;
        break;
    case CLIENT_EV_REJECTED:
    case CLIENT_EV_DISCONNECTED:
        t->rejected |= ev->type == CLIENT_EV_REJECTED;
        t->disconnected |= ev->type == CLIENT_EV_DISCONNECTED;
        t->last_end = *ev;
        t->end_reason =
            ev->type == CLIENT_EV_REJECTED ? ev->rejected.reason : ev->disconnected.reason;
        break;
    default:
        break;
    }
}

typedef bool (*done_fn)(tclient *clients, int n, void *arg);

/* Drives n clients until done() holds or timeout_ms passes; returns done(). */
static bool pump_until(tclient *clients, int n, done_fn done, void *arg, int timeout_ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        struct pollfd fds[PLAYERS + 2];
        for (int i = 0; i < n; i++)
            fds[i] = (struct pollfd){.fd = client_fd(clients[i].c), .events = POLLIN};
        poll(fds, (nfds_t)n, 2);
        uint64_t now = clock_now_us();
        for (int i = 0; i < n; i++) {
            client_update(clients[i].c, now);
            client_event ev;
            while (client_next_event(clients[i].c, &ev))
                record(&clients[i], &ev);
        }
        if (done(clients, n, arg))
            return true;
        if (now > deadline)
            return false;
    }
}

static client *connect_client(uint16_t port, const char *name, const char *lobby, uint16_t version)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = port;
    cfg.name = name;
    cfg.lobby = lobby;
    cfg.protocol_version = version;
    client *c = NULL;
    assert_int_equal(client_create(&cfg, clock_now_us(), &c), CLIENT_OK);
    return c;
}

static bool all_see_n_players(tclient *clients, int n, void *arg)
{
    int want = *(int *)arg;
    for (int i = 0; i < n; i++) {
        const client_view *v = client_get_view(clients[i].c);
        if (v->state != CLIENT_JOINED || v->player_count != want)
            return false;
    }
    return true;
}

/* Forgets what the clients saw so far, keeping their connections. */
static void reset_records(fixture *f)
{
    for (int i = 0; i < PLAYERS; i++) {
        client *c = f->clients[i].c;
        memset(&f->clients[i], 0, sizeof f->clients[i]);
        f->clients[i].c = c;
    }
}

static fixture g_fixture_storage; /* large; cmocka passes it as the group state */

static int group_setup(void **state)
{
    fixture *f = &g_fixture_storage;
    memset(f, 0, sizeof *f);
    /* Every player comes from 127.0.0.1: one address may fill `main` here. */
    const char *args[] = {
        "--timeout-ms",          "1500", "--grace-ms", "1500", "--chat-burst", "20",
        "--lobby-share-percent", "100",  NULL};
    if (enet_initialize() != 0 || !server_proc_start(&f->server, args))
        return -1;
    for (int i = 0; i < PLAYERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "player%d", i);
        f->clients[i].c = connect_client(f->server.port, name, NULL, PROTO_VERSION);
    }
    int want = PLAYERS;
    if (!pump_until(f->clients, PLAYERS, all_see_n_players, &want, 5000))
        return -1;
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < PLAYERS; i++)
        client_destroy(f->clients[i].c);
    server_proc_stop(&f->server, NULL, NULL);
    enet_deinitialize();
    return 0;
}

/* Every client's view lists all eight players, each with a distinct id and
 * colour, and marks itself. */
static void test_everyone_sees_everyone(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < PLAYERS; i++) {
        const client_view *v = client_get_view(f->clients[i].c);
        assert_int_equal(v->player_count, PLAYERS);
        assert_string_equal(v->lobby, "main");
        for (int j = 0; j < PLAYERS; j++) {
            char name[16];
            snprintf(name, sizeof name, "player%d", j);
            bool found = false;
            for (int k = 0; k < v->player_count; k++)
                found |= strcmp(v->players[k].name, name) == 0;
            assert_true(found);
            assert_int_not_equal(v->players[j].colour, v->players[(j + 1) % PLAYERS].colour);
        }
        assert_non_null(client_find_player(f->clients[i].c, v->my_id));
    }
}

static bool chats_settled(tclient *clients, int n, void *arg)
{
    (void)arg;
    for (int i = 0; i < n; i++)
        if (clients[i].acks < CHATS_EACH || clients[i].chat_count < (uint32_t)(n - 1) * CHATS_EACH)
            return false;
    return true;
}

/* Every chat is acknowledged to its sender and delivered to every other
 * member exactly once, in the server's order. */
static void test_chat_acked_and_delivered_once_in_order(void **state)
{
    fixture *f = *state;
    reset_records(f);
    uint32_t ids[PLAYERS][CHATS_EACH];
    for (int j = 0; j < CHATS_EACH; j++) {
        for (int i = 0; i < PLAYERS; i++) {
            char text[32];
            int len = snprintf(text, sizeof text, "p%d-m%d", i, j);
            assert_int_equal(client_send_chat(f->clients[i].c, text, (size_t)len, &ids[i][j]),
                             CLIENT_OK);
        }
    }
    assert_true(pump_until(f->clients, PLAYERS, chats_settled, NULL, 5000));
    for (int i = 0; i < PLAYERS; i++) {
        tclient *t = &f->clients[i];
        uint16_t me = client_get_view(t->c)->my_id;
        assert_int_equal(t->acks, CHATS_EACH);
        assert_int_equal(t->refusals, 0);
        for (int j = 0; j < CHATS_EACH; j++)
            assert_int_equal(t->ack_ids[j], ids[i][j]);
        assert_int_equal(t->chat_count, (PLAYERS - 1) * CHATS_EACH);
        for (uint32_t k = 0; k < t->chat_count; k++) {
            assert_int_not_equal(t->chats[k].from, me);
            if (k > 0) /* strictly increasing: in order and no duplicates */
                assert_true(t->chats[k].seq > t->chats[k - 1].seq);
        }
    }
    /* Each message reached each other member with the seq its sender was given. */
    for (int i = 0; i < PLAYERS; i++) {
        uint16_t sender = client_get_view(f->clients[i].c)->my_id;
        for (int j = 0; j < CHATS_EACH; j++) {
            char text[32];
            snprintf(text, sizeof text, "p%d-m%d", i, j);
            for (int r = 0; r < PLAYERS; r++) {
                if (r == i)
                    continue;
                int copies = 0;
                for (uint32_t k = 0; k < f->clients[r].chat_count; k++) {
                    const seen_chat *sc = &f->clients[r].chats[k];
                    if (strcmp(sc->text, text) == 0) {
                        copies++;
                        assert_int_equal(sc->from, sender);
                        assert_int_equal(sc->seq, f->clients[i].ack_seqs[j]);
                    }
                }
                assert_int_equal(copies, 1);
            }
        }
    }
}

static bool positions_seen(tclient *clients, int n, void *arg)
{
    (void)arg;
    for (int r = 0; r < n; r++)
        for (int i = 0; i < n; i++) {
            uint16_t id = client_get_view(clients[i].c)->my_id;
            if (r != i && clients[r].positions_from[id] == 0)
                return false;
        }
    return true;
}

/* Positions reach the other members (not the sender), clamped to the world. */
static void test_positions_reach_others_clamped(void **state)
{
    fixture *f = *state;
    reset_records(f);
    uint64_t now = clock_now_us();
    for (int i = 0; i < PLAYERS; i++)
        assert_int_equal(client_send_position(f->clients[i].c, 100.0f + (float)i, 1e9f, now),
                         CLIENT_OK);
    assert_true(pump_until(f->clients, PLAYERS, positions_seen, NULL, 3000));
    for (int r = 0; r < PLAYERS; r++) {
        uint16_t me = client_get_view(f->clients[r].c)->my_id;
        assert_int_equal(f->clients[r].positions_from[me], 0);
        for (int i = 0; i < PLAYERS; i++) {
            uint16_t id = client_get_view(f->clients[i].c)->my_id;
            if (i == r)
                continue;
            assert_true(f->clients[r].last_x[id] == 100.0f + (float)i);
            assert_true(f->clients[r].last_y[id] == PROTO_WORLD_HEIGHT);
            const client_player *p = client_find_player(f->clients[r].c, id);
            assert_true(p->x == 100.0f + (float)i && p->y == PROTO_WORLD_HEIGHT);
        }
    }
}

static uint16_t find_id_by_name(const client *c, const char *name)
{
    const client_view *v = client_get_view(c);
    for (int i = 0; i < v->player_count; i++)
        if (strcmp(v->players[i].name, name) == 0)
            return v->players[i].id;
    return 0;
}

static bool victim_present(tclient *clients, int n, void *arg)
{
    for (int i = 0; i < n; i++)
        if (find_id_by_name(clients[i].c, arg) == 0)
            return false;
    return true;
}

static bool victim_reconnecting(tclient *clients, int n, void *arg)
{
    uint16_t id = *(uint16_t *)arg;
    for (int i = 0; i < n; i++)
        if (clients[i].status[id] != PROTO_STATUS_RECONNECTING)
            return false;
    return true;
}

static bool victim_left(tclient *clients, int n, void *arg)
{
    uint16_t id = *(uint16_t *)arg;
    for (int i = 0; i < n; i++)
        if (clients[i].left_reason[id] == 0)
            return false;
    return true;
}

/* A lobby-chat process killed without goodbye is first shown as reconnecting
 * (its seat held for --grace-ms), then reported as left by timeout. */
static void test_killed_client_leaves_by_timeout(void **state)
{
    fixture *f = *state;
    reset_records(f);
    int victim_stdin;
    pid_t pid = spawn_lobby_chat(f->server.port, "victim", &victim_stdin);
    assert_true(pid > 0);
    assert_true(pump_until(f->clients, PLAYERS, victim_present, "victim", 5000));
    uint16_t id = find_id_by_name(f->clients[0].c, "victim");
    assert_true(id > 0 && id < ID_SLOTS);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(victim_stdin);
    /* The server drops a silent peer after --timeout-ms 1500 plus ENet's slack. */
    assert_true(pump_until(f->clients, PLAYERS, victim_reconnecting, &id, 8000));
    for (int i = 0; i < PLAYERS; i++)
        assert_int_equal(f->clients[i].left_reason[id], 0);
    assert_true(pump_until(f->clients, PLAYERS, victim_left, &id, 5000));
    for (int i = 0; i < PLAYERS; i++)
        assert_int_equal(f->clients[i].left_reason[id], PROTO_LEAVE_TIMEOUT);
    assert_true(server_proc_log_contains(&f->server, "player=victim"));
    assert_true(server_proc_log_contains(&f->server, "reason=timeout"));
}

static bool first_ended(tclient *clients, int n, void *arg)
{
    (void)n, (void)arg;
    return clients[0].rejected || clients[0].disconnected;
}

/* A client speaking another protocol version is rejected with the reason. */
static void test_wrong_version_rejected_with_reason(void **state)
{
    fixture *f = *state;
    tclient t = {.c = connect_client(f->server.port, "future", NULL, PROTO_VERSION + 1)};
    assert_true(pump_until(&t, 1, first_ended, NULL, 5000));
    assert_true(t.rejected);
    assert_int_equal(t.end_reason, PROTO_REASON_VERSION_MISMATCH);
    assert_non_null(strstr(t.last_end.text, "version"));
    assert_int_equal(client_get_view(t.c)->state, CLIENT_REJECTED);
    client_destroy(t.c);
}

/* A taken name is rejected, and the reason says so. */
static void test_taken_name_rejected(void **state)
{
    fixture *f = *state;
    tclient t = {.c = connect_client(f->server.port, "player3", NULL, PROTO_VERSION)};
    assert_true(pump_until(&t, 1, first_ended, NULL, 5000));
    assert_true(t.rejected);
    assert_int_equal(t.end_reason, PROTO_REASON_NAME_TAKEN);
    assert_non_null(strstr(t.last_end.text, "taken"));
    client_destroy(t.c);
}

static bool all_got_chat(tclient *clients, int n, void *arg)
{
    (void)arg;
    for (int i = 0; i < n; i++)
        if (clients[i].chat_count == 0)
            return false;
    return true;
}

/* `lobby-chat --say` joins, prints the server's acknowledgement, exits 0,
 * and the members of the lobby receive the message. */
static void test_lobby_chat_say_prints_ack(void **state)
{
    fixture *f = *state;
    reset_records(f);
    char server_arg[32], out[4096];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)f->server.port);
    char *argv[] = {LOBBY_CHAT_PATH,
                    "--server",
                    server_arg,
                    "--name",
                    "cli",
                    "--say",
                    "hello from the command line",
                    NULL};
    int status = run_command(argv, out, sizeof out, 10);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "ack id=1 seq="));
    assert_true(pump_until(f->clients, PLAYERS, all_got_chat, NULL, 3000));
    for (int i = 0; i < PLAYERS; i++)
        assert_string_equal(f->clients[i].chats[0].text, "hello from the command line");
}

/* `lobby-chat --say` with a message the server refuses exits non-zero and
 * prints the server's reason. */
static void test_lobby_chat_refusal_is_reported(void **state)
{
    fixture *f = *state;
    char server_arg[32], out[4096], big[700];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)f->server.port);
    char *argv[] = {LOBBY_CHAT_PATH, "--server", server_arg, "--name", "cli2", "--say", big, NULL};
    assert_int_equal(run_command(argv, out, sizeof out, 10), 1);
    assert_non_null(strstr(out, "refused"));
    assert_non_null(strstr(out, "512 bytes"));
}

/* lobby-chat against a port nobody serves fails with a message, not a hang. */
static void test_lobby_chat_unreachable_times_out(void **state)
{
    (void)state;
    /* A bound UDP socket that never answers: nobody else can take its port. */
    int silent = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sa_len = sizeof sa;
    assert_int_equal(bind(silent, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(silent, (struct sockaddr *)&sa, &sa_len), 0);
    char server_arg[32], out[4096];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    char *argv[] = {LOBBY_CHAT_PATH, "--server", server_arg,  "--name", "x",
                    "--say",         "anyone?",  "--timeout", "1",      NULL};
    assert_int_equal(run_command(argv, out, sizeof out, 10), 1);
    assert_non_null(strstr(out, "cannot reach the server"));
    close(silent);
}

static bool other_joined(tclient *clients, int n, void *arg)
{
    (void)n, (void)arg;
    return client_get_view(clients[0].c)->state == CLIENT_JOINED;
}

static bool first_has_ack(tclient *clients, int n, void *arg)
{
    (void)arg;
    for (int i = 0; i < n; i++)
        if (clients[i].acks == 0)
            return false;
    return true;
}

/* Chat and positions never cross lobbies. */
static void test_lobbies_kept_apart(void **state)
{
    fixture *f = *state;
    reset_records(f);
    tclient other = {.c = connect_client(f->server.port, "player0", "other", PROTO_VERSION)};
    assert_true(pump_until(&other, 1, other_joined, NULL, 5000));
    const client_view *v = client_get_view(other.c);
    assert_string_equal(v->lobby, "other");
    assert_int_equal(v->player_count, 1); /* same name as in main is fine: other lobby */

    uint64_t now = clock_now_us();
    assert_int_equal(client_send_chat(other.c, "only for other", 14, NULL), CLIENT_OK);
    assert_int_equal(client_send_position(other.c, 5.0f, 5.0f, now), CLIENT_OK);
    assert_int_equal(client_send_chat(f->clients[0].c, "only for main", 13, NULL), CLIENT_OK);
    assert_true(pump_until(&other, 1, first_has_ack, NULL, 3000));
    assert_true(pump_until(f->clients, 1, first_has_ack, NULL, 3000));
    /* Let anything that would wrongly cross arrive before checking. */
    for (int i = 0; i < 20; i++) {
        pump_until(&other, 1, first_has_ack, NULL, 0);
        pump_until(f->clients, PLAYERS, first_has_ack, NULL, 0);
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    assert_int_equal(other.chat_count, 0);
    for (int i = 0; i < PLAYERS; i++) {
        for (uint32_t k = 0; k < f->clients[i].chat_count; k++)
            assert_string_equal(f->clients[i].chats[k].text, "only for main");
        uint16_t other_id = v->my_id;
        assert_int_equal(f->clients[i].positions_from[other_id], 0);
        assert_int_equal(client_get_view(f->clients[i].c)->player_count, PLAYERS);
    }
    client_destroy(other.c);
}

/* ---- shutdown, on a server of its own --------------------------------------- */

static bool both_disconnected(tclient *clients, int n, void *arg)
{
    (void)arg;
    for (int i = 0; i < n; i++)
        if (!clients[i].disconnected)
            return false;
    return true;
}

/* SIGTERM: every client gets a disconnect saying the server is shutting
 * down, and the process exits 0 within a second. */
static void test_shutdown_tells_clients_and_exits_fast(void **state)
{
    (void)state;
    server_proc sp;
    assert_true(server_proc_start(&sp, NULL));
    tclient t[2] = {{.c = connect_client(sp.port, "a", NULL, PROTO_VERSION)},
                    {.c = connect_client(sp.port, "b", NULL, PROTO_VERSION)}};
    int two = 2;
    assert_true(pump_until(t, 2, all_see_n_players, &two, 5000));
    uint64_t start_us = clock_now_us();
    kill(sp.pid, SIGTERM);
    assert_true(pump_until(t, 2, both_disconnected, NULL, 3000));
    /* The log says what the players were told, not that they were kicked. */
    assert_true(server_proc_log_contains(&sp, "player=a id=1 reason=shutdown"));
    assert_false(server_proc_log_contains(&sp, "reason=kicked"));
    int exit_code;
    server_proc_stop(&sp, &exit_code, NULL);
    assert_int_equal(exit_code, 0);
    assert_true(clock_now_us() - start_us < 1000000u);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t[i].end_reason, PROTO_REASON_SHUTTING_DOWN);
        assert_string_equal(t[i].last_end.text, "server is shutting down");
        client_destroy(t[i].c);
    }
}

/* A frozen client (stopped process) does not hold the shutdown past a second. */
static void test_shutdown_does_not_wait_for_frozen_client(void **state)
{
    (void)state;
    server_proc sp;
    assert_true(server_proc_start(&sp, NULL));
    int frozen_stdin;
    pid_t pid = spawn_lobby_chat(sp.port, "frozen", &frozen_stdin);
    assert_true(pid > 0);
    for (int i = 0; i < 500 && !server_proc_log_contains(&sp, "player=frozen"); i++)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    assert_true(server_proc_log_contains(&sp, "player=frozen"));
    kill(pid, SIGSTOP);
    int exit_code;
    double elapsed_ms;
    server_proc_stop(&sp, &exit_code, &elapsed_ms);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(frozen_stdin);
    assert_int_equal(exit_code, 0);
    assert_true(elapsed_ms < 1000.0);
}

int main(void)
{
    const struct CMUnitTest lobby_tests[] = {
        cmocka_unit_test(test_everyone_sees_everyone),
        cmocka_unit_test(test_chat_acked_and_delivered_once_in_order),
        cmocka_unit_test(test_positions_reach_others_clamped),
        cmocka_unit_test(test_killed_client_leaves_by_timeout),
        cmocka_unit_test(test_wrong_version_rejected_with_reason),
        cmocka_unit_test(test_taken_name_rejected),
        cmocka_unit_test(test_lobby_chat_say_prints_ack),
        cmocka_unit_test(test_lobby_chat_refusal_is_reported),
        cmocka_unit_test(test_lobby_chat_unreachable_times_out),
        cmocka_unit_test(test_lobbies_kept_apart),
    };
    const struct CMUnitTest shutdown_tests[] = {
        cmocka_unit_test(test_shutdown_tells_clients_and_exits_fast),
        cmocka_unit_test(test_shutdown_does_not_wait_for_frozen_client),
    };
    int failed =
        cmocka_run_group_tests_name("integration", lobby_tests, group_setup, group_teardown);
    if (enet_initialize() != 0)
        return 1;
    failed += cmocka_run_group_tests_name("shutdown", shutdown_tests, NULL, NULL);
    enet_deinitialize();
    return failed;
}
