/* Attacks on the plain-text TCP port (issue 16, item 7) against the real
 * lobby-server: attackers are TCP clients bound to 127.0.X.Y (X >= 10), the
 * legit player is a client core on 127.0.0.1. Each test runs the attack and
 * checks that the player's chat is still acknowledged promptly, that what it
 * receives stays bounded, and that the metric of the limit moved:
 *  - a command flood from 256 connections (/name, /join, /list, /who);
 *  - slowloris: one byte every 100 ms, never a newline;
 *  - 64 text clients, each within its own rates, spamming main;
 *  - text clients that never read while main is busy;
 *  - a resume after more lines than the history keeps (CHAT_GAP).
 *
 * `test_attack_textport measure commands|spam CONNS SECONDS UDP_PORT
 * TCP_PORT` runs the command flood (16 connections per address) or the
 * text spam (one connection per address) against a server already running
 * on 127.0.0.1 (any build, for before/after figures) and prints the player's
 * chat-ack p50/p99 and the text bytes a second it received. */
#include "client.h"
#include "clock.h"
#include "server_proc.h"

#include <arpa/inet.h>
#include <errno.h>
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
    PER_ADDRESS = 16, /* the server's default --tcp-max-conns-per-ip */
    MAX_SAMPLES = 512,
    CHAT_EVERY_MS = 250, /* under the players' default chat rate (5 a second) */
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- attackers' sockets ---------------------------------------------------- */

/* The n-th (< 250) attacker address of a group: 127.0.X.Y, X = 10 + group,
 * Y = 1 + n. */
static uint32_t attacker_ip(int group, int n)
{
    return (127u << 24) | ((uint32_t)(10 + group) << 8) | (uint32_t)(1 + n);
}

/* A TCP connection to the text port from ip (host order); rcvbuf > 0 sets
 * SO_RCVBUF first. -1 when it cannot connect. */
static int tcp_from(uint32_t ip, uint16_t port, bool nonblocking, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(ip)};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        close(fd);
        return -1;
    }
    if (nonblocking)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Reads and drops what is waiting; false when the server closed it. */
static bool drain(int fd)
{
    char sink[16384];
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

/* ---- metrics ----------------------------------------------------------------- */

/* The value of one Prometheus sample (name with labels, as printed), or -1. */
static double metric(uint16_t http_port, const char *series)
{
    int fd = tcp_from(INADDR_LOOPBACK, http_port, false, 0);
    if (fd < 0)
        return -1;
    static const char request[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
    static char body[1 << 20];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof body - 1 && (n = recv(fd, body + len, sizeof body - 1 - len, 0)) > 0)
        len += (size_t)n;
    close(fd);
    body[len] = '\0';
    size_t sl = strlen(series);
    for (char *line = body; line != NULL; line = strchr(line, '\n')) {
        line += *line == '\n';
        if (strncmp(line, series, sl) == 0 && line[sl] == ' ')
            return strtod(line + sl + 1, NULL);
    }
    return -1;
}

/* Polls the sample until it reaches want (a connection is counted closed
 * once the client has closed its end too, or the server's linger passed). */
static bool metric_reaches(uint16_t http_port, const char *series, double want, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000u;
    double v;
    while ((v = metric(http_port, series)) < want && clock_now_us() < end)
        sleep_ms(50);
    if (v < want)
        print_message("%s is %.0f, wanted %.0f\n", series, v, want);
    return v >= want;
}

/* ---- the legit player ------------------------------------------------------ */

typedef struct player {
    client *c;
    uint64_t sent_us[MAX_SAMPLES];
    double ack_ms[MAX_SAMPLES];
    uint32_t first_msg_id;
    int sent, acked, refused;
    uint64_t text_bytes; /* TEXT_CHAT_RELAY bytes received: 8 + name + text */
    int text_lines;
    int resumes;
    int gaps;
    int history_lines; /* CHAT_HISTORY received */
    uint32_t gap_first_seq, gap_missed;
} player;

/* Joins main as "legit"; with auto_reconnect it takes its seat back by
 * itself after a timeout of timeout_ms. */
static void player_join_with(player *p, uint16_t port, bool auto_reconnect, uint32_t timeout_ms)
{
    memset(p, 0, sizeof *p);
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = port;
    cfg.name = "legit";
    cfg.auto_reconnect = auto_reconnect;
    cfg.reconnect_base_ms = 100;
    cfg.timeout_ms = timeout_ms;
    assert_int_equal(client_create(&cfg, clock_now_us(), &p->c), CLIENT_OK);
    uint64_t end = clock_now_us() + 5000000u;
    while (client_get_view(p->c)->state != CLIENT_JOINED && clock_now_us() < end) {
        struct pollfd pf = {.fd = client_fd(p->c), .events = POLLIN};
        poll(&pf, 1, 5);
        client_update(p->c, clock_now_us());
        client_event ev;
        while (client_next_event(p->c, &ev))
            ;
    }
    assert_int_equal(client_get_view(p->c)->state, CLIENT_JOINED);
}

static void player_join(player *p, uint16_t port)
{
    player_join_with(p, port, false, 5000);
}

static void player_on_event(player *p, const client_event *ev, uint64_t now)
{
    if (ev->type == CLIENT_EV_CHAT_ACK || ev->type == CLIENT_EV_CHAT_REFUSED) {
        uint32_t id =
            ev->type == CLIENT_EV_CHAT_ACK ? ev->chat_ack.msg_id : ev->chat_refused.msg_id;
        uint32_t i = id - p->first_msg_id;
        if (i < (uint32_t)p->sent && ev->type == CLIENT_EV_CHAT_ACK)
            p->ack_ms[p->acked++] = (double)(now - p->sent_us[i]) / 1000.0;
        else
            p->refused++;
    } else if (ev->type == CLIENT_EV_JOINED && ev->joined.resumed) {
        p->resumes++;
    } else if (ev->type == CLIENT_EV_CHAT_GAP) {
        p->gaps++;
        p->gap_first_seq = ev->chat_gap.first_seq;
        p->gap_missed = ev->chat_gap.missed;
    } else if (ev->type == CLIENT_EV_CHAT && ev->chat.history) {
        p->history_lines++;
    } else if (ev->type == CLIENT_EV_CHAT && ev->chat.from_text) {
        p->text_lines++;
        p->text_bytes += 8 + strlen(ev->chat.sender) + strlen(ev->text);
    }
}

/* Pumps the player for ms, sending a chat line every CHAT_EVERY_MS when
 * chatting. */
static void player_run(player *p, int ms, bool chatting)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000u, next = clock_now_us();
    for (uint64_t now = clock_now_us(); now < end; now = clock_now_us()) {
        if (chatting && now >= next && p->sent < MAX_SAMPLES) {
            uint32_t id;
            if (client_send_chat(p->c, "still here", 10, &id) == CLIENT_OK) {
                if (p->sent == 0)
                    p->first_msg_id = id;
                p->sent_us[p->sent++] = now;
            }
            next = now + CHAT_EVERY_MS * 1000u;
        }
        struct pollfd pf = {.fd = client_fd(p->c), .events = POLLIN};
        poll(&pf, 1, 2);
        client_update(p->c, clock_now_us());
        client_event ev;
        while (client_next_event(p->c, &ev))
            player_on_event(p, &ev, clock_now_us());
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of the acknowledgement times, in ms. */
static double ack_quantile(player *p, double q)
{
    if (p->acked == 0)
        return 1e9;
    qsort(p->ack_ms, (size_t)p->acked, sizeof p->ack_ms[0], by_value);
    int i = (int)(q * (p->acked - 1) + 0.5);
    return p->ack_ms[i];
}

/* ---- attackers in a child process --------------------------------------------- */

typedef enum attack_kind {
    ATTACK_COMMANDS, /* as fast as the socket takes them; reconnect when closed */
    ATTACK_SPAM,     /* a 480-byte chat line every 200 ms, within every per-client rate */
    ATTACK_NO_READ,  /* never read (tiny SO_RCVBUF); ask /help now and then */
} attack_kind;

/* Who attacks: conns connections, per_address from each address, from
 * address group `group` on (attacker_ip). */
typedef struct attackers {
    attack_kind kind;
    int conns, per_address, group;
} attackers;

static uint32_t attacker_of(const attackers *a, int i)
{
    int address = i / a->per_address;
    return attacker_ip(a->group + address / 250, address % 250);
}

static void attack_loop(const attackers *a, uint16_t port, int seconds)
{
    attack_kind kind = a->kind;
    int conns = a->conns;
    int *fds = calloc((size_t)conns, sizeof *fds);
    for (int i = 0; i < conns; i++)
        fds[i] = tcp_from(attacker_of(a, i), port, true, kind == ATTACK_NO_READ ? 2048 : 0);
    char flood[4096] = "", spam[482];
    while (strlen(flood) + 32 < sizeof flood)
        strcat(flood, "/name x\n/join main\n/list\n/who\n");
    memset(spam, 's', 480);
    spam[480] = '\n';
    uint64_t end = clock_now_us() + (uint64_t)seconds * 1000000u;
    while (clock_now_us() < end) {
        for (int i = 0; i < conns; i++) {
            if (fds[i] < 0 && kind == ATTACK_COMMANDS)
                fds[i] = tcp_from(attacker_of(a, i), port, true, 0);
            if (fds[i] < 0)
                continue;
            if (kind == ATTACK_COMMANDS)
                send(fds[i], flood, strlen(flood), MSG_NOSIGNAL | MSG_DONTWAIT);
            else if (kind == ATTACK_SPAM)
                send(fds[i], spam, 481, MSG_NOSIGNAL | MSG_DONTWAIT);
            else
                send(fds[i], "/help\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (kind != ATTACK_NO_READ && !drain(fds[i])) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        if (kind != ATTACK_COMMANDS)
            sleep_ms(200);
    }
    _exit(0);
}

static pid_t spawn_attack(attackers a, uint16_t port, int seconds)
{
    pid_t pid = fork();
    if (pid == 0)
        attack_loop(&a, port, seconds);
    return pid;
}

static void stop_attack(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* ---- fixture ------------------------------------------------------------------ */

typedef struct fixture {
    server_proc sp;
    bool running;
    pid_t attack;
    player p;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    return f == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    stop_attack(f->attack);
    if (f->p.c != NULL)
        client_destroy(f->p.c);
    if (f->running)
        server_proc_stop(&f->sp, NULL, NULL);
    free(f);
    return 0;
}

static void start(fixture *f, const char *const *args)
{
    assert_true(server_proc_start(&f->sp, args));
    f->running = true;
    player_join(&f->p, f->sp.port);
}

/* VmRSS of the server in kB. */
static long server_rss_kb(const fixture *f)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)f->sp.pid);
    read_text_file(path, buf, sizeof buf);
    const char *rss = strstr(buf, "VmRSS:");
    return rss ? atol(rss + 6) : -1;
}

/* ---- the attacks ------------------------------------------------------------ */

/* 256 connections from 16 addresses send commands as fast as they can: each
 * is refused past its line rate and closed for flooding, and the player's
 * chat is acknowledged as promptly as ever. */
static void command_flood_does_not_delay_players(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    attackers a = {ATTACK_COMMANDS, 256, PER_ADDRESS, 0};
    f->attack = spawn_attack(a, f->sp.tcp_port, 30);
    sleep_ms(500);
    player_run(&f->p, 3000, true);
    stop_attack(f->attack);
    f->attack = 0;
    player_run(&f->p, 500, false);
    double p50 = ack_quantile(&f->p, 0.5), p99 = ack_quantile(&f->p, 0.99);
    print_message("chat acks under a command flood from 256 connections: %d/%d, p50 %.1f ms, "
                  "p99 %.1f ms\n",
                  f->p.acked, f->p.sent, p50, p99);
    assert_int_equal(f->p.acked, f->p.sent);
    assert_true(p99 < 200.0);
    double floods =
        metric(f->sp.http_port, "lobby_text_connections_closed_total{reason=\"flooding\"}");
    double refused =
        metric(f->sp.http_port, "lobby_text_lines_refused_total{reason=\"line_rate\"}");
    print_message("closed for flooding: %.0f, lines refused: %.0f\n", floods, refused);
    assert_true(floods >= 256);
    assert_true(refused > 1000);
}

/* Each slowloris connection sends one byte every 100 ms and never a
 * newline: no chat line comes of it beyond the one-shot first message (a
 * lone byte after a pause), and it is closed at --tcp-line-ms. */
static void slowloris_makes_no_lines_and_is_closed(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-line-ms", "2000", NULL};
    start(f, args);
    enum { SLOW = 16 };
    int fds[SLOW];
    for (int i = 0; i < SLOW; i++)
        assert_true((fds[i] = tcp_from(attacker_ip(20, i), f->sp.tcp_port, true, 0)) >= 0);
    bool open[SLOW];
    int open_count = SLOW;
    for (int i = 0; i < SLOW; i++)
        open[i] = true;
    uint64_t end = clock_now_us() + 6000000u;
    while (open_count > 0 && clock_now_us() < end) {
        for (int i = 0; i < SLOW; i++) {
            if (!open[i])
                continue;
            send(fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (!drain(fds[i])) {
                close(fds[i]);
                open[i] = false;
                open_count--;
            }
        }
        player_run(&f->p, 100, false);
    }
    print_message("slowloris: %d chat lines reached the player; %d of %d connections open\n",
                  f->p.text_lines, open_count, SLOW);
    assert_int_equal(open_count, 0);
    assert_true(f->p.text_lines <= SLOW); /* at most the one-shot first message each */
    assert_true(metric_reaches(f->sp.http_port,
                               "lobby_text_connections_closed_total{reason=\"line_timeout\"}", SLOW,
                               3000));
    assert_true(metric(f->sp.http_port, "lobby_text_errors_total{code=\"line-timeout\"}") == SLOW);
}

/* Bytes that never complete a line do not keep a client from being idle. */
static void dribbled_bytes_do_not_reset_idle(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-idle-ms", "1000", "--tcp-line-ms", "60000", NULL};
    start(f, args);
    int fd = tcp_from(attacker_ip(21, 0), f->sp.tcp_port, true, 0);
    assert_true(fd >= 0);
    send(fd, "hi\n", 3, MSG_NOSIGNAL); /* a whole line: the quiet rule is off from now */
    uint64_t start_us = clock_now_us();
    while (drain(fd) && clock_now_us() - start_us < 5000000u) {
        send(fd, "b", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        player_run(&f->p, 100, false);
    }
    double took_ms = (double)(clock_now_us() - start_us) / 1000.0;
    close(fd);
    print_message("a dribbling client was closed idle after %.0f ms\n", took_ms);
    assert_true(took_ms < 3000.0);
    assert_true(metric_reaches(f->sp.http_port,
                               "lobby_text_connections_closed_total{reason=\"idle\"}", 1, 3000));
    assert_int_equal(f->p.text_lines, 1); /* "hi", and no byte after it */
}

/* 64 text clients from 64 addresses, each sending a 480-byte line every
 * 200 ms (within the chat and line rates of each): the player receives at
 * most the lobby's text budget, and its own chat goes on. */
static void text_spam_within_rates_is_bounded_per_lobby(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    attackers a = {ATTACK_SPAM, 64, 1, 0};
    f->attack = spawn_attack(a, f->sp.tcp_port, 30);
    sleep_ms(300);
    player_run(&f->p, 1000, true); /* the burst is spent in this second */
    uint64_t bytes_before = f->p.text_bytes, t0 = clock_now_us();
    player_run(&f->p, 4000, true);
    double seconds = (double)(clock_now_us() - t0) / 1e6;
    double rate = (double)(f->p.text_bytes - bytes_before) / seconds;
    stop_attack(f->attack);
    f->attack = 0;
    print_message("text spam from 64 clients: the player received %.0f B/s of text "
                  "(%d lines); chat acks %d/%d, p99 %.1f ms\n",
                  rate, f->p.text_lines, f->p.acked, f->p.sent, ack_quantile(&f->p, 0.99));
    assert_true(rate <= 8192.0 * 1.1); /* --tcp-lobby-bytes-per-s, with a margin for timing */
    assert_true(f->p.acked == f->p.sent);
    assert_true(
        metric(f->sp.http_port, "lobby_text_lines_refused_total{reason=\"lobby_bytes\"}") +
            metric(f->sp.http_port, "lobby_text_lines_refused_total{reason=\"lobby_address\"}") >
        100);
    assert_int_equal(client_get_view(f->p.c)->state, CLIENT_JOINED);
}

/* Text clients that never read, in a lobby made busy by talkers: each is
 * closed as a slow reader once its unsent output passes --tcp-max-out-kb
 * (the kernel's send queue is capped, so that comes soon), and the server's
 * memory stays bounded. */
/* 64 non-readers (tiny receive buffers) while 32 talkers keep main busy,
 * against a server started with limit_args (then lobby limits high enough
 * for that): every non-reader is closed as slow, the log says which limit
 * did it, and the server's memory grows by less than rss_growth_kb. */
static void expect_non_readers_closed(fixture *f, const char *limit_flag, const char *limit_value,
                                      const char *log_needle, long rss_growth_kb)
{
    /* clang-format off */
    const char *args[] = {limit_flag, limit_value,
                          "--tcp-lobby-bytes-per-s", "400000", "--tcp-lobby-bytes-burst", "400000",
                          "--tcp-lobby-ip-rate", "1000", "--tcp-lobby-ip-burst", "1000", NULL};
    /* clang-format on */
    start(f, args);
    long rss_before = server_rss_kb(f);
    enum { LAZY = 64 };
    attackers lazy = {ATTACK_NO_READ, LAZY, PER_ADDRESS, 0};
    f->attack = spawn_attack(lazy, f->sp.tcp_port, 30);
    sleep_ms(500);
    attackers talk = {ATTACK_SPAM, 32, PER_ADDRESS, 1};
    pid_t talkers = spawn_attack(talk, f->sp.tcp_port, 30);
    double slow = 0;
    uint64_t end = clock_now_us() + 15000000u;
    while (slow < LAZY && clock_now_us() < end) {
        player_run(&f->p, 500, false);
        slow = metric(f->sp.http_port, "lobby_text_connections_closed_total{reason=\"slow\"}");
    }
    long rss_after = server_rss_kb(f);
    stop_attack(talkers);
    print_message("%s %s: non-readers closed as slow: %.0f of %d; server RSS %ld -> %ld kB\n",
                  limit_flag, limit_value, slow, LAZY, rss_before, rss_after);
    assert_true(slow >= LAZY);
    assert_true(server_proc_log_contains(&f->sp, log_needle));
    assert_true(rss_after - rss_before < rss_growth_kb);
}

/* Each past its own limit (--tcp-max-out-kb). */
static void non_readers_are_closed_as_slow(void **state)
{
    expect_non_readers_closed(*state, "--tcp-max-out-kb", "64", "more than 65536 bytes of output",
                              16 * 1024);
}

/* Each past 16 kB once all of them hold more than --tcp-max-out-total-mb,
 * long before its own 256 kB. */
static void non_readers_are_closed_past_the_total(void **state)
{
    expect_non_readers_closed(*state, "--tcp-max-out-total-mb", "1",
                              "while text clients hold more than 1048576 in all", 8 * 1024);
}

/* The player is away (not pumped: the server times it out and holds its
 * seat) while a text client posts 100 lines, more than the 64 the lobby
 * keeps: when it takes its seat back, it is told by CHAT_GAP which lines it
 * will never get, then gets the 64 kept ones. */
static void resume_after_more_than_the_history_reports_the_gap(void **state)
{
    fixture *f = *state;
    /* One text client may post 100 lines at once. */
    /* clang-format off */
    const char *args[] = {"--timeout-ms", "1000", "--grace-ms", "20000",
                          "--chat-rate", "1000", "--chat-burst", "1000",
                          "--tcp-line-rate", "1000", "--tcp-line-burst", "1000",
                          "--tcp-lobby-ip-rate", "1000", "--tcp-lobby-ip-burst", "1000", NULL};
    /* clang-format on */
    assert_true(server_proc_start(&f->sp, args));
    f->running = true;
    player_join_with(&f->p, f->sp.port, true, 1500);
    int fd = tcp_from(attacker_ip(30, 0), f->sp.tcp_port, false, 0);
    assert_true(fd >= 0);
    send(fd, "before\n", 7, MSG_NOSIGNAL);
    player_run(&f->p, 300, false);
    uint32_t seen = client_get_view(f->p.c)->last_chat_seq;
    assert_int_equal(seen, 1);
    /* Away (not pumped) until the server has timed the player out and holds
     * its seat, so that no line below reaches the old connection. */
    assert_true(metric_reaches(f->sp.http_port, "lobby_seats_held_total", 1, 8000));
    char lines[1200] = "";
    for (int i = 0; i < 100; i++)
        snprintf(lines + strlen(lines), sizeof lines - strlen(lines), "l%d\n", i);
    send(fd, lines, strlen(lines), MSG_NOSIGNAL);
    sleep_ms(300);
    uint64_t end = clock_now_us() + 8000000u;
    while (f->p.resumes == 0 && clock_now_us() < end)
        player_run(&f->p, 100, false);
    player_run(&f->p, 500, false);
    close(fd);
    print_message("resumed %d time(s); CHAT_GAP first_seq %u missed %u; %d lines replayed\n",
                  f->p.resumes, (unsigned)f->p.gap_first_seq, (unsigned)f->p.gap_missed,
                  f->p.history_lines);
    assert_int_equal(f->p.resumes, 1);
    assert_int_equal(f->p.history_lines, 64);
    assert_int_equal(f->p.gaps, 1);
    assert_int_equal(f->p.gap_first_seq, 2);     /* the first line after "before" */
    assert_int_equal(f->p.gap_missed, 100 - 64); /* 100 posted after it, 64 kept */
    assert_int_equal(client_get_view(f->p.c)->last_chat_seq, 101);
    assert_true(metric(f->sp.http_port, "lobby_resume_chat_lines_missed_total") == 36);
}

/* ---- measuring against any running server ------------------------------------- */

static int measure(int argc, char **argv)
{
    bool spam = argc == 7 && strcmp(argv[2], "spam") == 0;
    if (argc != 7 || (!spam && strcmp(argv[2], "commands") != 0)) {
        fprintf(stderr, "usage: %s measure commands|spam CONNS SECONDS UDP_PORT TCP_PORT\n",
                argv[0]);
        return 2;
    }
    int conns = atoi(argv[3]), seconds = atoi(argv[4]);
    uint16_t udp = (uint16_t)atoi(argv[5]), tcp = (uint16_t)atoi(argv[6]);
    static player p;
    player_join(&p, udp);
    player_run(&p, 1000, true);
    double idle50 = ack_quantile(&p, 0.5), idle99 = ack_quantile(&p, 0.99);
    p.sent = p.acked = p.refused = 0;
    attackers a = {spam ? ATTACK_SPAM : ATTACK_COMMANDS, conns, spam ? 1 : PER_ADDRESS, 0};
    pid_t pid = spawn_attack(a, tcp, seconds + 2);
    sleep_ms(500);
    uint64_t bytes_before = p.text_bytes;
    player_run(&p, seconds * 1000, true);
    stop_attack(pid);
    double text_rate = (double)(p.text_bytes - bytes_before) / seconds;
    player_run(&p, 1000, false);
    printf("%s from %d conns: idle p50 %.1f p99 %.1f ms; under attack acked %d/%d p50 %.1f p99 "
           "%.1f ms; text received %.0f B/s; state %s\n",
           argv[2], conns, idle50, idle99, p.acked, p.sent, ack_quantile(&p, 0.5),
           ack_quantile(&p, 0.99), text_rate,
           client_get_view(p.c)->state == CLIENT_JOINED ? "joined" : "NOT JOINED");
    client_destroy(p.c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "measure") == 0)
        return measure(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(command_flood_does_not_delay_players, setup, teardown),
        cmocka_unit_test_setup_teardown(slowloris_makes_no_lines_and_is_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(dribbled_bytes_do_not_reset_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(text_spam_within_rates_is_bounded_per_lobby, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(non_readers_are_closed_as_slow, setup, teardown),
        cmocka_unit_test_setup_teardown(non_readers_are_closed_past_the_total, setup, teardown),
        cmocka_unit_test_setup_teardown(resume_after_more_than_the_history_reports_the_gap, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("attack_textport", tests, NULL, NULL);
}
