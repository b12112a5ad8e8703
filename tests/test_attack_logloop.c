/* A loop that nothing stalls (issue 16, items 4 and 5), against the real
 * lobby-server process over loopback, with raw ENet clients from other
 * loopback addresses:
 *
 * (a) the server's stderr is a pipe that nobody reads (shrunk to one page,
 *     and a 4 KB log buffer, so both fill within a few KB of log). An
 *     attacker at 127.0.0.2 floods requests that are refused (CHAT from the
 *     lobby list, LIST_LOBBIES over the lobby-request rate), reconnecting
 *     four times a second after it is put out, for 5 s; a player at
 *     127.0.0.3 chats in `main` meanwhile. Each of
 *     its lines must be acknowledged within ACK_LIMIT_MS, the attacker must
 *     be kicked FLOODING every time, the dropped-log-lines metric must move,
 *     and SIGTERM must still end the server within 2 s.
 * (b) a player chats at exactly the documented rate (5 a second) while the
 *     server is stopped (SIGSTOP) for 3 s: every line must be acknowledged,
 *     none refused, the player not kicked, and the loop-stall metric must
 *     move.
 *
 * LOGLOOP_SERVER=path runs another lobby-server build (e.g. one from before
 * this work: it knows no --log-buffer-kb, so LOGLOOP_BASELINE=1 leaves the
 * flag and the new metrics out and only prints the figures). */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "clock.h"
#include "enet_raw.h"
#include "proto.h"
#include "server_proc.h"

#include <enet/enet.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum {
    ACK_LIMIT_MS = 2000,       /* a legit line's acknowledgement, under attack */
    KICK_LIMIT_MS = 2000,      /* from the first refused request to the kick */
    ATTACK_ROUNDS = 20,        /* attacker sessions, one after the other... */
    ROUND_EVERY_MS = 250,      /* ...one every 250 ms (under the per-address CONNECT rate) */
    CHAT_EVERY_MS = 250,       /* the player in (a): under its 5 a second */
    RATE_EVERY_MS = 200,       /* the player in (b): exactly 5 a second */
    TEXT_EVERY_MS = 125,       /* the text client in (b): 8 commands a second, under 10 */
    STOP_MS = 3000,            /* how long (b) stops the server */
    STOP_EXIT_LIMIT_MS = 2000, /* the 0.8 s grace for silent peers, the 0.3 s log flush */
};

static bool baseline(void)
{
    return getenv("LOGLOOP_BASELINE") != NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double since_ms(uint64_t t0_us)
{
    return (double)(clock_now_us() - t0_us) / 1000.0;
}

/* ---- the server process --------------------------------------------------- */

typedef struct proc {
    pid_t pid;
    uint16_t port, http_port, tcp_port;
    int stderr_fd; /* the pipe's read end in (a), kept open and never read; else -1 */
} proc;

static uint16_t port_after(const char *text, const char *marker)
{
    const char *at = strstr(text, marker);
    return at ? (uint16_t)atoi(at + strlen(marker)) : 0;
}

/* Starts lobby-server on 127.0.0.1 (free ports, the text port too) with stderr a
 * pipe: read until the "listening on" line, then, when block is true, never
 * again (else drained into /dev/null by a child). False when it did not
 * start within 5 s. */
static bool proc_start(proc *p, bool block, const char *const *extra)
{
    const char *path = getenv("LOGLOOP_SERVER") ? getenv("LOGLOOP_SERVER") : LOBBY_SERVER_PATH;
    const char *argv[24] = {path, "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0"};
    int argc = 7;
    for (int i = 0; extra != NULL && extra[i] != NULL; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    if (block)
        fcntl(fds[1], F_SETPIPE_SZ, 4096); /* one page: the least Linux allows */
    p->pid = fork();
    if (p->pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char text[4096] = "";
    size_t n = 0;
    uint64_t t0 = clock_now_us();
    while (strstr(text, "listening on 127.0.0.1:") == NULL && since_ms(t0) < 5000 &&
           n + 1 < sizeof text) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        if (poll(&pfd, 1, 100) == 1) {
            ssize_t got = read(fds[0], text + n, sizeof text - 1 - n);
            if (got <= 0)
                break;
            n += (size_t)got;
            text[n] = '\0';
        }
    }
    /* the whole "listening on" line, so the port is not cut in half */
    while (strstr(text, "listening on") != NULL &&
           strchr(strstr(text, "listening on"), '\n') == NULL && n + 1 < sizeof text &&
           read(fds[0], text + n, 1) == 1)
        text[++n] = '\0';
    p->port = port_after(text, "listening on 127.0.0.1:");
    p->http_port = port_after(text, "http on 127.0.0.1:");
    p->tcp_port = port_after(text, "text chat on 127.0.0.1:");
    p->stderr_fd = fds[0];
    /* Keep draining: at once, or (a) with LOGLOOP_DRAIN_KBPS at that rate (a
     * slow terminal rather than a blocked one); (a) alone blocks. */
    long kbps = block && getenv("LOGLOOP_DRAIN_KBPS") ? atol(getenv("LOGLOOP_DRAIN_KBPS")) : 0;
    if ((!block || kbps > 0) && fork() == 0) {
        char sink[1024];
        while (read(fds[0], sink, kbps > 0 ? sizeof sink : 1) > 0)
            if (kbps > 0)
                sleep_ms(1000 / kbps);
        _exit(0);
    }
    if (!block) {
        close(fds[0]);
        p->stderr_fd = -1;
    }
    if (p->port == 0)
        fprintf(stderr, "lobby-server did not start:\n%s\n", text);
    return p->port != 0 && p->http_port != 0;
}

/* SIGTERM, and how long until it exited (ms; -1: not within 5 s, then
 * killed). */
static double proc_stop(proc *p, int *exit_code)
{
    uint64_t t0 = clock_now_us();
    kill(p->pid, SIGTERM);
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(p->pid, &status, WNOHANG)) == 0 && since_ms(t0) < 5000)
        sleep_ms(5);
    double took = since_ms(t0);
    if (done == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        took = -1;
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (p->stderr_fd >= 0)
        close(p->stderr_fd);
    p->pid = 0;
    p->stderr_fd = -1;
    return took;
}

/* One sample of the server's /metrics (-1 when absent or unreachable). */
static double metric(const proc *p, const char *series)
{
    return server_proc_metric_at(p->http_port, series, 3000);
}

/* ---- raw ENet clients ------------------------------------------------------ */

typedef struct peer_client {
    ENetHost *host;
    ENetPeer *peer;
    bool gone;
    uint32_t gone_data; /* the server's disconnect data: a proto_reason */
    /* what came back */
    bool welcomed;
    uint32_t acks, refused, last_acked;
    uint32_t refusals_seen; /* CHAT_REFUSED + LOBBY_REFUSED */
} peer_client;

static bool pc_open(peer_client *c, const char *ip, uint16_t port)
{
    memset(c, 0, sizeof *c);
    ENetAddress bind = {.port = 0};
    enet_address_set_host_ip(&bind, ip);
    c->host = enet_host_create(&bind, 1, PROTO_CHANNEL_COUNT, 0, 0);
    if (c->host == NULL)
        return false;
    c->peer = raw_enet_connect(c->host, port, PROTO_CHANNEL_COUNT);
    if (c->peer == NULL)
        return false;
    ENetEvent ev;
    for (uint64_t t0 = clock_now_us(); since_ms(t0) < 3000;)
        if (enet_host_service(c->host, &ev, 10) > 0 && ev.type == ENET_EVENT_TYPE_CONNECT)
            return true;
    return false;
}

static void pc_close(peer_client *c)
{
    if (c->host != NULL)
        enet_host_destroy(c->host);
    c->host = NULL;
}

static void pc_send(peer_client *c, const proto_msg *m)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int n = proto_encode(m, buf, sizeof buf);
    assert_true(n > 0);
    enet_peer_send(c->peer, PROTO_CHANNEL_RELIABLE,
                   enet_packet_create(buf, (size_t)n, ENET_PACKET_FLAG_RELIABLE));
}

static void pc_hello(peer_client *c, const char *name, proto_hello_mode mode)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(name);
    m.u.hello.mode = (uint8_t)mode;
    pc_send(c, &m);
}

static void pc_chat(peer_client *c, uint32_t msg_id, const char *text)
{
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = msg_id;
    m.u.chat.text = proto_str_from_cstr(text);
    pc_send(c, &m);
}

static void pc_list(peer_client *c, uint32_t request_id)
{
    proto_msg m = {.type = PROTO_LIST_LOBBIES};
    m.u.list_lobbies.request_id = request_id;
    pc_send(c, &m);
}

static void pc_note(peer_client *c, const ENetPacket *packet)
{
    proto_msg m;
    if (proto_decode(packet->data, packet->dataLength, &m) != PROTO_OK)
        return;
    if (m.type == PROTO_WELCOME)
        c->welcomed = true;
    else if (m.type == PROTO_CHAT_ACK)
        c->acks++, c->last_acked = m.u.chat_ack.msg_id;
    else if (m.type == PROTO_CHAT_REFUSED)
        c->refused++, c->refusals_seen++;
    else if (m.type == PROTO_LOBBY_REFUSED)
        c->refusals_seen++;
}

/* Flushes what was sent and takes in everything waiting, waiting up to
 * wait_ms for the first event. */
static void pc_pump(peer_client *c, int wait_ms)
{
    ENetEvent ev;
    if (c->host == NULL)
        return;
    for (int r = enet_host_service(c->host, &ev, (enet_uint32)wait_ms); r > 0;
         r = enet_host_check_events(c->host, &ev)) {
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            pc_note(c, ev.packet);
            enet_packet_destroy(ev.packet);
        } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            c->gone = true;
            c->gone_data = ev.data;
        }
    }
    enet_host_flush(c->host);
}

/* A player in `main`, from ip. */
static void join_main(peer_client *c, const char *ip, uint16_t port, const char *name)
{
    assert_true(pc_open(c, ip, port));
    pc_hello(c, name, PROTO_HELLO_JOIN);
    for (uint64_t t0 = clock_now_us(); !c->welcomed && since_ms(t0) < 3000;)
        pc_pump(c, 5);
    assert_true(c->welcomed);
}

/* ---- (a) refusal flood with a blocked stderr ------------------------------ */

typedef struct legit_chat {
    peer_client c;
    uint32_t next_id;
    uint64_t sent_us[1024];
    uint64_t next_send_us;
    double worst_ack_ms;
} legit_chat;

/* Sends the player's next line when due, and records how long each
 * acknowledgement took (lines are acknowledged in order). */
static void legit_step(legit_chat *l)
{
    uint32_t acked_before = l->c.acks;
    pc_pump(&l->c, 0);
    for (uint32_t id = acked_before + 1; id <= l->c.acks && id < 1024; id++) {
        double ms = (double)(clock_now_us() - l->sent_us[id]) / 1000.0;
        if (ms > l->worst_ack_ms)
            l->worst_ack_ms = ms;
    }
    uint32_t waiting = l->next_id - l->c.acks - l->c.refused;
    if (waiting > 0 && l->next_id >= 1) { /* the oldest line still unanswered */
        double ms = since_ms(l->sent_us[l->c.acks + l->c.refused + 1]);
        if (ms > l->worst_ack_ms)
            l->worst_ack_ms = ms;
    }
    if (clock_now_us() >= l->next_send_us && l->next_id + 1 < 1024 && !l->c.gone) {
        l->next_id++;
        l->sent_us[l->next_id] = clock_now_us();
        pc_chat(&l->c, l->next_id, "hello from a legit player who just wants to chat");
        l->next_send_us += CHAT_EVERY_MS * 1000u;
    }
}

/* One attacker session: browse, then refused requests back to back until
 * the server puts it out; returns the ms that took (-1: not connected, or
 * not kicked within KICK_LIMIT_MS) and *reason the disconnect data. */
static double attack_round(const proc *p, legit_chat *l, uint32_t *reason)
{
    peer_client a;
    *reason = 0;
    if (!pc_open(&a, "127.0.0.2", p->port)) { /* a server that no longer answers */
        pc_close(&a);
        return -1;
    }
    pc_hello(&a, "flooder", PROTO_HELLO_BROWSE);
    uint64_t t0 = clock_now_us();
    uint32_t id = 0;
    while (!a.gone && since_ms(t0) < KICK_LIMIT_MS) {
        for (int i = 0; i < 8; i++) {
            pc_chat(&a, ++id, "refused: I am at the lobby list");
            pc_list(&a, id);
        }
        pc_pump(&a, 1);
        legit_step(l);
    }
    double took = a.gone ? since_ms(t0) : -1;
    *reason = a.gone_data;
    pc_close(&a);
    return took;
}

static void test_refusal_flood_with_blocked_stderr(void **state)
{
    static const char *const flags[] = {"--log-buffer-kb", "4", NULL};
    proc *pp = *state, p;
    assert_true(proc_start(pp, true, baseline() ? NULL : flags));
    p = *pp;
    static legit_chat l;
    memset(&l, 0, sizeof l);
    join_main(&l.c, "127.0.0.3", p.port, "legit");
    l.next_send_us = clock_now_us();
    double worst_kick_ms = 0;
    uint64_t t0 = clock_now_us();
    int kicked_flooding = 0;
    for (int round = 0; round < ATTACK_ROUNDS && !l.c.gone; round++) {
        uint32_t reason = 0;
        double took = attack_round(&p, &l, &reason);
        if (took < 0 || took > worst_kick_ms)
            worst_kick_ms = took < 0 ? 1e9 : took;
        kicked_flooding += took >= 0 && reason == PROTO_REASON_FLOODING;
        for (uint64_t next = t0 + (uint64_t)(round + 1) * ROUND_EVERY_MS * 1000u;
             clock_now_us() < next;)
            legit_step(&l), sleep_ms(2);
    }
    /* the last lines' acknowledgements */
    for (uint64_t t1 = clock_now_us();
         l.c.acks + l.c.refused < l.next_id && since_ms(t1) < ACK_LIMIT_MS;)
        legit_step(&l), sleep_ms(2);
    double dropped = metric(&p, "lobby_log_lines_dropped_total");
    double refusal_kicks = metric(&p, "lobby_kicks_total{reason=\"refusals\"}");
    int code = -2;
    double stop_ms = proc_stop(pp, &code);
    printf(
        "# blocked stderr, refusal flood: legit lines %u acked %u refused %u, worst ack %.0f ms, "
        "legit %s; attacker kicked FLOODING %d/%d times (slowest %.0f ms); log lines dropped "
        "%.0f; SIGTERM exit %d after %.0f ms\n",
        l.next_id, l.c.acks, l.c.refused, l.worst_ack_ms, l.c.gone ? "KICKED" : "still in",
        kicked_flooding, ATTACK_ROUNDS, worst_kick_ms, dropped, code, stop_ms);
    pc_close(&l.c);
    if (baseline())
        return;
    assert_false(l.c.gone);
    assert_int_equal(l.c.refused, 0);
    assert_int_equal(l.c.acks, l.next_id);
    assert_true(l.worst_ack_ms < ACK_LIMIT_MS);
    assert_int_equal(kicked_flooding, ATTACK_ROUNDS);
    assert_true(dropped > 0);
    assert_true(refusal_kicks >= ATTACK_ROUNDS);
    assert_int_equal(code, 0);
    assert_true(stop_ms >= 0 && stop_ms < STOP_EXIT_LIMIT_MS);
}

/* ---- (b) the server stalls, the player keeps to its rate ----------------- */

/* ---- a text client sending commands at a steady rate ----------------------- */

typedef struct text_client {
    int fd;
    char buf[4096];
    size_t len;
    uint32_t answers, errors; /* "players ..." lines to /who, and "error ..." lines */
} text_client;

static bool tc_open(text_client *t, const char *ip, uint16_t port)
{
    memset(t, 0, sizeof *t);
    t->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &me.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    to.sin_port = htons(port);
    return t->fd >= 0 && bind(t->fd, (struct sockaddr *)&me, sizeof me) == 0 &&
           connect(t->fd, (struct sockaddr *)&to, sizeof to) == 0;
}

/* Reads what is there without waiting; counts whole lines. */
static void tc_pump(text_client *t)
{
    ssize_t got;
    while ((got = recv(t->fd, t->buf + t->len, sizeof t->buf - 1 - t->len, MSG_DONTWAIT)) > 0) {
        t->len += (size_t)got;
        char *nl;
        while ((nl = memchr(t->buf, '\n', t->len)) != NULL) {
            t->answers += strncmp(t->buf, "players ", 8) == 0;
            t->errors += strncmp(t->buf, "error ", 6) == 0;
            t->len -= (size_t)(nl + 1 - t->buf);
            memmove(t->buf, nl + 1, t->len);
        }
    }
}

static void test_stall_does_not_punish_the_rate(void **state)
{
    proc *pp = *state, p;
    assert_true(proc_start(pp, false, NULL));
    p = *pp;
    peer_client c;
    join_main(&c, "127.0.0.3", p.port, "steady");
    text_client tc;
    assert_true(tc_open(&tc, "127.0.0.4", p.tcp_port));
    double stalls_before = metric(&p, "lobby_loop_stalls_total");
    uint64_t t0 = clock_now_us();
    uint32_t sent = 0, commands = 0;
    bool stopped = false, resumed = false;
    /* 1 s before the stop, 3 s stopped, 2 s after: 30 lines at 5 a second */
    while (since_ms(t0) < 1000 + STOP_MS + 2000 && !c.gone) {
        if (since_ms(t0) >= (double)sent * RATE_EVERY_MS) {
            char text[32];
            snprintf(text, sizeof text, "steady line %u", sent + 1);
            pc_chat(&c, ++sent, text);
        }
        if (since_ms(t0) >= (double)commands * TEXT_EVERY_MS)
            commands += send(tc.fd, "/who\n", 5, MSG_NOSIGNAL) == 5;
        if (!stopped && since_ms(t0) >= 1000)
            stopped = kill(p.pid, SIGSTOP) == 0;
        if (stopped && !resumed && since_ms(t0) >= 1000 + STOP_MS)
            resumed = kill(p.pid, SIGCONT) == 0;
        pc_pump(&c, 2);
        tc_pump(&tc);
    }
    for (uint64_t t1 = clock_now_us();
         (c.acks + c.refused < sent || tc.answers + tc.errors < commands) && !c.gone &&
         since_ms(t1) < 3000;) {
        pc_pump(&c, 5);
        tc_pump(&tc);
    }
    close(tc.fd);
    double stalls = metric(&p, "lobby_loop_stalls_total");
    int code = -2;
    proc_stop(pp, &code);
    printf("# stopped 3 s while chatting at 5/s: sent %u, acked %u, refused %u, %s; a text "
           "client's /who at 8/s: %u sent, %u answered, %u errors; loop stalls %.0f -> %.0f\n",
           sent, c.acks, c.refused, c.gone ? "KICKED" : "not kicked", commands, tc.answers,
           tc.errors, stalls_before, stalls);
    pc_close(&c);
    assert_true(stopped && resumed);
    assert_false(c.gone);
    assert_int_equal(c.refused, 0);
    assert_int_equal(c.acks, sent);
    assert_int_equal(tc.errors, 0);
    assert_int_equal(tc.answers, commands);
    if (!baseline())
        assert_true(stalls >= stalls_before + 1);
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* the figures, even if a run is cut short */
    return enet_initialize() == 0 ? 0 : -1;
}

/* Each test's server, so that a failed assertion does not leave it running. */
static int setup(void **state)
{
    static proc p;
    p = (proc){.pid = 0, .stderr_fd = -1};
    *state = &p;
    return 0;
}

static int teardown(void **state)
{
    proc *p = *state;
    if (p->pid > 0) {
        int code;
        proc_stop(p, &code);
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    enet_deinitialize();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refusal_flood_with_blocked_stderr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_does_not_punish_the_rate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
