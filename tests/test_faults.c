/* Faults on loopback with the real processes: a connection cut and restored
 * (through lobby-netsim), the server killed and restarted, a client frozen for
 * longer than the grace period. Client cores with auto_reconnect come back by
 * themselves; every wait is bounded. A client killed mid-chat is covered in
 * test_integration.c. */
#include "client.h"
#include "clock.h"
#include "enet_group.h"
#include "server_proc.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum {
    MAX_CLIENTS = 6,
    MAX_SEEN = 64,
    ID_SLOTS = 256, /* player ids in these tests stay small */
};

/* ---- what each client saw ------------------------------------------------- */

typedef struct seen_chat {
    uint16_t from;
    uint32_t seq;
    char text[64];
} seen_chat;

typedef struct tclient {
    client *c;
    uint32_t joins; /* JOINED events */
    bool last_join_resumed;
    uint64_t joined_at_us; /* when the last JOINED came out */
    uint32_t reconnecting; /* RECONNECTING events */
    uint32_t first_delay_ms;
    uint32_t retry_reasons[PROTO_REASON_MAX + 1]; /* RECONNECTING events by reason */
    char retries[256];      /* "reason/delay" of each RECONNECTING, for the log */
    uint64_t refused_at_us; /* first RECONNECTING for a refused token */
    uint32_t acks, last_ack_seq;
    uint32_t chat_count;
    seen_chat chats[MAX_SEEN];
    int status[ID_SLOTS]; /* last PLAYER_STATUS per player id */
    uint64_t status_at_us[ID_SLOTS];
    uint32_t status_events[ID_SLOTS];
    int left_reason[ID_SLOTS];
    uint64_t left_at_us[ID_SLOTS];
    uint32_t joined_events[ID_SLOTS]; /* PLAYER_JOINED per player id */
} tclient;

static void record(tclient *t, const client_event *ev, uint64_t now_us)
{
    uint16_t id;
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        t->joins++;
        t->last_join_resumed = ev->joined.resumed;
        t->joined_at_us = now_us;
        break;
    case CLIENT_EV_RECONNECTING:
        if (t->reconnecting++ == 0)
            t->first_delay_ms = ev->reconnecting.delay_ms;
        if (ev->reconnecting.reason <= PROTO_REASON_MAX)
            t->retry_reasons[ev->reconnecting.reason]++;
        if (ev->reconnecting.reason == PROTO_REASON_TOKEN_INVALID && t->refused_at_us == 0)
            t->refused_at_us = now_us;
        size_t used = strlen(t->retries);
        snprintf(t->retries + used, sizeof t->retries - used, " %u/%ums",
                 (unsigned)ev->reconnecting.reason, (unsigned)ev->reconnecting.delay_ms);
        break;
    case CLIENT_EV_CHAT_ACK:
        t->acks++;
        t->last_ack_seq = ev->chat_ack.seq;
        break;
    case CLIENT_EV_CHAT:
        if (t->chat_count < MAX_SEEN) {
            seen_chat *sc = &t->chats[t->chat_count++];
            sc->from = ev->chat.player_id;
            sc->seq = ev->chat.seq;
            snprintf(sc->text, sizeof sc->text, "%.63s", ev->text);
        }
        break;
    case CLIENT_EV_PLAYER_STATUS:
        id = ev->player_status.player_id < ID_SLOTS ? ev->player_status.player_id : 0;
        t->status[id] = (int)ev->player_status.status;
        t->status_at_us[id] = now_us;
        t->status_events[id]++;
        break;
    case CLIENT_EV_PLAYER_LEFT:
        id = ev->player_left.player_id < ID_SLOTS ? ev->player_left.player_id : 0;
        t->left_reason[id] = (int)ev->player_left.reason;
        t->left_at_us[id] = now_us;
        break;
    case CLIENT_EV_PLAYER_JOINED:
        id = ev->player_joined.player_id < ID_SLOTS ? ev->player_joined.player_id : 0;
        t->joined_events[id]++;
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
        struct pollfd fds[MAX_CLIENTS];
        for (int i = 0; i < n; i++)
            fds[i] = (struct pollfd){.fd = client_fd(clients[i].c), .events = POLLIN};
        poll(fds, (nfds_t)n, 2);
        uint64_t now = clock_now_us();
        for (int i = 0; i < n; i++) {
            client_update(clients[i].c, now);
            client_event ev;
            while (client_next_event(clients[i].c, &ev))
                record(&clients[i], &ev, now);
        }
        if (done != NULL && done(clients, n, arg))
            return true;
        if (now > deadline)
            return done != NULL ? done(clients, n, arg) : true;
    }
}

/* Keeps the clients running for ms, so late duplicates would show. */
static void pump_for(tclient *clients, int n, int ms)
{
    pump_until(clients, n, NULL, NULL, ms);
}

/* Forgets what the clients saw so far, keeping their connections. */
static void reset_records(tclient *clients, int n)
{
    for (int i = 0; i < n; i++) {
        client *c = clients[i].c;
        memset(&clients[i], 0, sizeof clients[i]);
        clients[i].c = c;
    }
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

static uint16_t find_id_by_name(const client *c, const char *name)
{
    const client_view *v = client_get_view(c);
    for (int i = 0; i < v->player_count; i++)
        if (strcmp(v->players[i].name, name) == 0)
            return v->players[i].id;
    return 0;
}

static uint32_t copies_of(const tclient *t, const char *text)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < t->chat_count; k++)
        n += strcmp(t->chats[k].text, text) == 0;
    return n;
}

static const seen_chat *find_chat(const tclient *t, const char *text)
{
    for (uint32_t k = 0; k < t->chat_count; k++)
        if (strcmp(t->chats[k].text, text) == 0)
            return &t->chats[k];
    return NULL;
}

static client *make_client(uint16_t port, const char *name, bool auto_reconnect,
                           uint64_t jitter_seed)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = port;
    cfg.name = name;
    cfg.timeout_ms = 1500;
    cfg.auto_reconnect = auto_reconnect;
    cfg.reconnect_base_ms = 500;
    cfg.reconnect_max_ms = 2000; /* bounds the wait once the way is clear again */
    cfg.jitter_seed = jitter_seed;
    client *c = NULL;
    assert_int_equal(client_create(&cfg, clock_now_us(), &c), CLIENT_OK);
    return c;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- lobby-netsim as a child process -------------------------------------- */

typedef struct proxy_proc {
    pid_t pid; /* 0 when not running */
    uint16_t port;
    char log_path[64];
} proxy_proc;

/* Starts `lobby-netsim --listen LISTEN --forward 127.0.0.1:SERVER` (no
 * impairment: a plain relay to cut) and waits up to 3 s for its ready line. */
static bool proxy_start(proxy_proc *p, uint16_t listen_port, uint16_t server_port)
{
    static char log_buf[4096];
    char listen_arg[8], forward_arg[32];
    snprintf(listen_arg, sizeof listen_arg, "%u", (unsigned)listen_port);
    snprintf(forward_arg, sizeof forward_arg, "127.0.0.1:%u", (unsigned)server_port);
    snprintf(p->log_path, sizeof p->log_path, "/tmp/lobby-netsim-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(p->log_path);
    if (fd < 0)
        return false;
    close(fd);
    char *argv[] = {LOBBY_NETSIM_PATH, "--listen", listen_arg, "--forward",
                    forward_arg,       "--seed",   "1",        NULL};
    p->pid = spawn_logged(argv, p->log_path);
    if (p->pid <= 0)
        return false;
    const char *marker = "listening on 127.0.0.1:";
    for (int i = 0; i < 300; i++, sleep_ms(10)) {
        read_text_file(p->log_path, log_buf, sizeof log_buf);
        const char *at = strstr(log_buf, marker);
        if (at != NULL) {
            p->port = (uint16_t)atoi(at + strlen(marker));
            return p->port != 0;
        }
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            break;
        }
    }
    fprintf(stderr, "lobby-netsim did not start; its log:\n%s\n", log_buf);
    return false;
}

/* kill -9: the path is cut without a word to either side. */
static void proxy_kill(proxy_proc *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
    unlink(p->log_path);
}

/* ---- per-test fixture: whatever a failed assertion leaves running is
 * stopped in the teardown ------------------------------------------------- */

typedef struct fixture {
    server_proc server;
    bool server_running;
    proxy_proc proxy;
    pid_t chat_pid;
    int chat_stdin;
    tclient clients[MAX_CLIENTS];
} fixture;

static fixture g_fixture; /* large: kept off the stack */

static int fixture_setup(void **state)
{
    memset(&g_fixture, 0, sizeof g_fixture);
    g_fixture.chat_stdin = -1;
    *state = &g_fixture;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < MAX_CLIENTS; i++)
        client_destroy(f->clients[i].c);
    proxy_kill(&f->proxy);
    if (f->chat_pid > 0) {
        kill(f->chat_pid, SIGKILL);
        waitpid(f->chat_pid, NULL, 0);
    }
    if (f->chat_stdin >= 0)
        close(f->chat_stdin);
    if (f->server_running)
        server_proc_stop(&f->server, NULL, NULL);
    return 0;
}

static void start_server(fixture *f, const char *const *args)
{
    assert_true(server_proc_start(&f->server, args));
    f->server_running = true;
}

/* SIGTERMs the server: it must exit 0, so it neither crashed nor tripped a
 * sanitizer on the way. */
static void stop_server_cleanly(fixture *f)
{
    int exit_code = -1;
    server_proc_stop(&f->server, &exit_code, NULL);
    f->server_running = false;
    assert_int_equal(exit_code, 0);
}

/* ---- a. connection cut and restored --------------------------------------- */

typedef struct cut_watch {
    uint16_t id;       /* the player behind the proxy (client 0) */
    int status;        /* what client 1 must have seen for it */
    uint32_t joins;    /* JOINED events client 0 must have had */
    uint32_t acks[2];  /* acknowledgements each must have had */
    uint32_t chats[2]; /* chat lines each must have received */
} cut_watch;

static bool cut_watch_done(tclient *t, int n, void *arg)
{
    (void)n;
    const cut_watch *w = arg;
    return t[1].status[w->id] == w->status && t[0].joins >= w->joins && t[0].acks >= w->acks[0] &&
           t[1].acks >= w->acks[1] && t[0].chat_count >= w->chats[0] &&
           t[1].chat_count >= w->chats[1] &&
           (w->joins == 0 || client_get_view(t[0].c)->state == CLIENT_JOINED);
}

static bool cut_noticed(tclient *t, int n, void *arg)
{
    (void)n;
    const cut_watch *w = arg;
    return t[1].status[w->id] == PROTO_STATUS_RECONNECTING && t[0].reconnecting > 0;
}

static void say(tclient *t, const char *text)
{
    assert_int_equal(client_send_chat(t->c, text, strlen(text), NULL), CLIENT_OK);
}

/* Alice reaches the server through a proxy, Bob directly. The proxy is killed:
 * Bob sees Alice reconnecting and chats meanwhile. A proxy comes back on the
 * same port: Alice takes her seat back by herself (same id, resumed), Bob sees
 * her back without a leave or join, and Alice gets Bob's line from the outage
 * exactly once, and not the one she already had. */
static void test_cut_connection_resumes_seat_and_replays_chat(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--timeout-ms", "1500", "--grace-ms", "10000", NULL};
    start_server(f, args);
    assert_true(proxy_start(&f->proxy, 0, f->server.port));
    uint16_t proxy_port = f->proxy.port;
    tclient *t = f->clients;
    t[0].c = make_client(proxy_port, "alice", true, 11);
    t[1].c = make_client(f->server.port, "bob", false, 0);
    int two = 2;
    assert_true(pump_until(t, 2, all_see_n_players, &two, 5000));
    reset_records(t, 2); /* Bob may have seen Alice join: that is not the point */
    uint16_t alice = client_get_view(t[0].c)->my_id;
    uint16_t bob = client_get_view(t[1].c)->my_id;
    assert_true(alice > 0 && alice < ID_SLOTS);
    uint32_t alice_colour = client_find_player(t[1].c, alice)->colour;

    say(&t[1], "before the cut");
    cut_watch w = {.id = alice, .joins = 0, .acks = {0, 1}, .chats = {1, 0}};
    assert_true(pump_until(t, 2, cut_watch_done, &w, 3000));

    /* Cut: the server times Alice out after --timeout-ms and holds her seat. */
    uint64_t cut_us = clock_now_us();
    proxy_kill(&f->proxy);
    assert_true(pump_until(t, 2, cut_noticed, &w, 8000));
    printf("cut noticed after %.0f ms (server) and %.0f ms (client)\n",
           (double)(t[1].status_at_us[alice] - cut_us) / 1000.0,
           (double)(clock_now_us() - cut_us) / 1000.0);
    const client_player *held = client_find_player(t[1].c, alice);
    assert_non_null(held);
    assert_true(held->reconnecting);
    assert_int_equal(client_get_view(t[1].c)->player_count, 2);

    say(&t[1], "during the cut");
    w.acks[1] = 2;
    w.status = PROTO_STATUS_RECONNECTING;
    assert_true(pump_until(t, 2, cut_watch_done, &w, 3000));
    uint32_t during_seq = t[1].last_ack_seq;

    /* Restore: a new proxy on the same port (a new upstream socket, so the
     * server sees a new connection from a new port). */
    uint64_t restore_us = clock_now_us();
    assert_true(proxy_start(&f->proxy, proxy_port, f->server.port));
    assert_int_equal(f->proxy.port, proxy_port);
    w.status = PROTO_STATUS_BACK;
    w.joins = 1;
    w.chats[0] = 2;
    assert_true(pump_until(t, 2, cut_watch_done, &w, 8000));
    printf("back %.0f ms after the path was restored\n",
           (double)(t[0].joined_at_us - restore_us) / 1000.0);
    pump_for(t, 2, 300);

    /* Alice: the same seat, by herself. */
    assert_int_equal(t[0].joins, 1);
    assert_true(t[0].last_join_resumed);
    assert_int_equal(client_get_view(t[0].c)->my_id, alice);
    assert_int_equal(client_get_view(t[0].c)->player_count, 2);
    assert_int_equal(t[0].retry_reasons[0], t[0].reconnecting); /* only timeouts, no reject */
    /* Alice: the missed line exactly once, with its sequence number; the
     * line she had before is not replayed. */
    assert_int_equal(copies_of(&t[0], "during the cut"), 1);
    assert_int_equal(find_chat(&t[0], "during the cut")->from, bob);
    assert_int_equal(find_chat(&t[0], "during the cut")->seq, during_seq);
    assert_int_equal(copies_of(&t[0], "before the cut"), 1);
    assert_int_equal(t[0].chat_count, 2);
    /* Bob: reconnecting then back, never a leave or a join. */
    assert_int_equal(t[1].status_events[alice], 2);
    assert_int_equal(t[1].left_reason[alice], 0);
    assert_int_equal(t[1].joined_events[alice], 0);
    const client_player *back = client_find_player(t[1].c, alice);
    assert_non_null(back);
    assert_false(back->reconnecting);
    assert_string_equal(back->name, "alice");
    assert_int_equal(back->colour, alice_colour);

    /* The seat works: Alice's next line is acknowledged and reaches Bob. */
    say(&t[0], "after the cut");
    w.acks[0] = 1;
    w.chats[1] = 1;
    assert_true(pump_until(t, 2, cut_watch_done, &w, 3000));
    assert_int_equal(t[0].acks, 1);
    assert_int_equal(t[0].last_ack_seq, during_seq + 1);
    assert_int_equal(copies_of(&t[1], "after the cut"), 1);
    assert_int_equal(find_chat(&t[1], "after the cut")->from, alice);
    assert_true(server_proc_log_contains(&f->server, "back lobby=main player=alice"));
    stop_server_cleanly(f);
}

/* ---- b. server killed and restarted ---------------------------------------- */

/* Kills the fixture's server and starts a new one on the same port, which
 * knows none of the old tokens. Returns when the new one listens. */
static uint64_t restart_server(fixture *f)
{
    char port_arg[8];
    snprintf(port_arg, sizeof port_arg, "%u", (unsigned)f->server.port);
    /* Same UDP port; no text port, whose number might not be free. */
    const char *again[] = {"--port", port_arg, "--tcp-port", "0", NULL};
    kill(f->server.pid, SIGKILL);
    server_proc_stop(&f->server, NULL, NULL); /* reaps it */
    f->server_running = false;
    uint64_t restart_us = clock_now_us();
    start_server(f, again);
    return restart_us;
}

static bool all_rejoined(tclient *clients, int n, void *arg)
{
    for (int i = 0; i < n; i++)
        if (clients[i].joins < 2)
            return false;
    return all_see_n_players(clients, n, arg);
}

/* Six clients lose the server to kill -9; it comes back on the same port with
 * no memory of them. Each comes back by itself: its token is refused, so it
 * joins afresh, and all six see each other again. Full jitter spreads them
 * out instead of bringing them back in one burst. */
static void test_restarted_server_is_rejoined_with_jitter(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--timeout-ms", "1500", NULL};
    start_server(f, args);
    tclient *t = f->clients;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        t[i].c = make_client(f->server.port, name, true, 1000u + (uint64_t)i * 7919u);
    }
    int six = MAX_CLIENTS;
    assert_true(pump_until(t, MAX_CLIENTS, all_see_n_players, &six, 5000));

    uint64_t restart_us = restart_server(f);
    assert_true(pump_until(t, MAX_CLIENTS, all_rejoined, &six, 10000));
    uint64_t first = UINT64_MAX, last = 0;
    uint32_t delays_equal = 0, token_refusals = 0, rate_limited = 0;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        assert_int_equal(t[i].joins, 2);
        assert_false(t[i].last_join_resumed); /* a fresh seat on a fresh server */
        assert_true(t[i].retry_reasons[PROTO_REASON_TOKEN_INVALID] >= 1);
        assert_true(t[i].first_delay_ms <= 500); /* uniform in [0, base] */
        delays_equal += t[i].first_delay_ms == t[0].first_delay_ms;
        token_refusals += t[i].retry_reasons[PROTO_REASON_TOKEN_INVALID];
        rate_limited += t[i].retry_reasons[PROTO_REASON_TOO_MANY_ATTEMPTS];
        first = t[i].joined_at_us < first ? t[i].joined_at_us : first;
        last = t[i].joined_at_us > last ? t[i].joined_at_us : last;
        printf("p%d: rejoined %.0f ms after the restart; retries (reason/delay):%s\n", i,
               (double)(t[i].joined_at_us - restart_us) / 1000.0, t[i].retries);
    }
    printf("rejoins spread over %.0f ms; %u tokens refused, %u attempts rate-limited\n",
           (double)(last - first) / 1000.0, (unsigned)token_refusals, (unsigned)rate_limited);
    assert_true(delays_equal < MAX_CLIENTS); /* different seeds, different delays */
    assert_true(last - first > 50000u);      /* not one burst */
    assert_true(server_proc_log_contains(&f->server, "session token unknown"));
    stop_server_cleanly(f);
}

static bool rejoined(tclient *t, int n, void *arg)
{
    (void)n, (void)arg;
    return t[0].joins >= 2 && client_get_view(t[0].c)->state == CLIENT_JOINED;
}

/* A refused token means the seat is gone: the client core joins afresh at
 * once (PROTOCOL.md, Reconnection, 6), not after another backoff. One client,
 * so the per-address rate limit plays no part. */
static void test_refused_token_joins_afresh_at_once(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--timeout-ms", "1500", NULL};
    start_server(f, args);
    tclient *t = f->clients;
    t[0].c = make_client(f->server.port, "solo", true, 5);
    int one = 1;
    assert_true(pump_until(t, 1, all_see_n_players, &one, 5000));
    uint64_t restart_us = restart_server(f);
    assert_true(pump_until(t, 1, rejoined, NULL, 10000));
    double after_refusal_ms = (double)(t[0].joined_at_us - t[0].refused_at_us) / 1000.0;
    printf("rejoined %.0f ms after the restart, %.0f ms after the refusal; retries:%s\n",
           (double)(t[0].joined_at_us - restart_us) / 1000.0, after_refusal_ms, t[0].retries);
    assert_false(t[0].last_join_resumed);
    assert_int_not_equal(t[0].refused_at_us, 0);
    /* The lost connection, then the refused token, then the fresh join. */
    assert_int_equal(t[0].retry_reasons[PROTO_REASON_TOKEN_INVALID], 1);
    assert_int_equal(t[0].reconnecting, 2);
    assert_true(after_refusal_ms < 300.0);
    stop_server_cleanly(f);
}

/* ---- c. a client frozen past the grace period ----------------------------- */

typedef struct watch_id {
    uint16_t id;
} watch_id;

static bool sleeper_present(tclient *t, int n, void *arg)
{
    (void)n;
    return find_id_by_name(t[0].c, arg) != 0;
}

static bool sleeper_reconnecting(tclient *t, int n, void *arg)
{
    (void)n;
    return t[0].status[((watch_id *)arg)->id] == PROTO_STATUS_RECONNECTING;
}

static bool sleeper_left(tclient *t, int n, void *arg)
{
    (void)n;
    return t[0].left_reason[((watch_id *)arg)->id] != 0;
}

static bool line_seen(tclient *t, int n, void *arg)
{
    (void)n;
    return copies_of(&t[0], arg) > 0;
}

/* A lobby-chat process is stopped (SIGSTOP): the others see it reconnecting,
 * then, when --grace-ms has passed without it, gone by timeout. Woken up
 * afterwards (SIGCONT) it talks to a server that has forgotten it; the server
 * carries on serving others and exits cleanly. */
static void test_frozen_client_loses_seat_after_grace(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--timeout-ms", "1500", "--grace-ms", "1500", NULL};
    start_server(f, args);
    tclient *t = f->clients;
    t[0].c = make_client(f->server.port, "watcher", false, 0);
    f->chat_pid = spawn_lobby_chat(f->server.port, "sleeper", &f->chat_stdin);
    assert_true(f->chat_pid > 0);
    assert_true(pump_until(t, 1, sleeper_present, "sleeper", 5000));
    watch_id w = {find_id_by_name(t[0].c, "sleeper")};
    assert_true(w.id > 0 && w.id < ID_SLOTS);

    kill(f->chat_pid, SIGSTOP);
    assert_true(pump_until(t, 1, sleeper_reconnecting, &w, 8000));
    assert_int_equal(t[0].left_reason[w.id], 0);
    assert_non_null(client_find_player(t[0].c, w.id)); /* its seat is held */
    assert_true(pump_until(t, 1, sleeper_left, &w, 5000));
    double held_ms = (double)(t[0].left_at_us[w.id] - t[0].status_at_us[w.id]) / 1000.0;
    printf("seat held for %.0f ms (--grace-ms 1500)\n", held_ms);
    assert_int_equal(t[0].left_reason[w.id], PROTO_LEAVE_TIMEOUT);
    assert_int_equal(t[0].status_events[w.id], 1); /* never back */
    assert_true(held_ms >= 1300.0 && held_ms < 3500.0);
    assert_null(client_find_player(t[0].c, w.id));

    kill(f->chat_pid, SIGCONT);
    pump_for(t, 1, 1000);
    assert_int_equal(client_get_view(t[0].c)->state, CLIENT_JOINED);
    assert_int_equal(client_get_view(t[0].c)->player_count, 1);
    assert_int_equal(waitpid(f->server.pid, NULL, WNOHANG), 0); /* still running */

    char server_arg[32], out[1024];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)f->server.port);
    char *say_argv[] = {LOBBY_CHAT_PATH, "--server", server_arg,      "--name",
                        "late",          "--say",    "still serving", NULL};
    assert_int_equal(run_command(say_argv, out, sizeof out, 5), 0);
    assert_non_null(strstr(out, "ack id="));
    assert_true(pump_until(t, 1, line_seen, "still serving", 3000));

    stop_server_cleanly(f);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cut_connection_resumes_seat_and_replays_chat,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_restarted_server_is_rejoined_with_jitter,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_refused_token_joins_afresh_at_once, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_frozen_client_loses_seat_after_grace, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests_name("faults", tests, enet_group_setup, enet_group_teardown);
}
