/* The plain-text chat port through the real lobby-server process, with raw
 * TCP sockets as the text clients and client cores as the game clients:
 * message framing (newline, quiet, split segments), limits (line length,
 * per-address and idle), hostile input (NUL bytes, a megabyte line, a reset
 * mid-line), and chat both ways between text and game clients. */
#include "client.h"
#include "clock.h"
#include "server_proc.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
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

enum { MANY_CONNS = 200, LINE_WAIT_MS = 2000 };

/* A text client: a blocking TCP socket and what it has read but not used. */
typedef struct tconn {
    int fd;
    char buf[8192];
    size_t len;
} tconn;

/* Owned by each test's teardown, so a failing assertion still stops the
 * server, closes the sockets and frees the client. */
typedef struct fixture {
    server_proc sp;
    bool running;
    client *game;
    tconn *conns;
    int conn_count;
} fixture;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void start(fixture *f, const char *const *args)
{
    assert_true(server_proc_start(&f->sp, args));
    f->running = true;
    assert_int_not_equal(f->sp.tcp_port, 0);
}

static int tcp_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1; /* each send its own segment, as a test of framing wants */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* A connection owned by the fixture (closed in teardown). */
static tconn *open_conn(fixture *f)
{
    if (f->conns == NULL)
        f->conns = calloc(MANY_CONNS + 8, sizeof *f->conns);
    assert_non_null(f->conns);
    assert_true(f->conn_count < MANY_CONNS + 8);
    tconn *t = &f->conns[f->conn_count++];
    t->fd = tcp_connect(f->sp.tcp_port);
    t->len = 0;
    return t;
}

static void send_bytes(tconn *t, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

static void send_str(tconn *t, const char *s)
{
    send_bytes(t, s, strlen(s));
}

/* Reads one line (without its "\n") within timeout_ms; false on timeout or
 * end of stream. */
static bool read_line_within(tconn *t, char *line, size_t cap, int timeout_ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        char *nl = memchr(t->buf, '\n', t->len);
        if (nl != NULL) {
            size_t n = (size_t)(nl - t->buf);
            assert_true(n < cap);
            memcpy(line, t->buf, n);
            line[n] = '\0';
            t->len -= n + 1;
            memmove(t->buf, nl + 1, t->len);
            return true;
        }
        uint64_t now = clock_now_us();
        if (now >= deadline || t->len == sizeof t->buf)
            return false;
        struct pollfd p = {.fd = t->fd, .events = POLLIN};
        if (poll(&p, 1, (int)((deadline - now) / 1000) + 1) <= 0)
            return false;
        ssize_t got = recv(t->fd, t->buf + t->len, sizeof t->buf - t->len, 0);
        if (got <= 0)
            return false;
        t->len += (size_t)got;
    }
}

static void expect_line(tconn *t, const char *want)
{
    char line[1024];
    assert_true(read_line_within(t, line, sizeof line, LINE_WAIT_MS));
    assert_string_equal(line, want);
}

/* Expects "ok SEQ" and returns SEQ. */
static unsigned expect_ok(tconn *t)
{
    char line[1024];
    unsigned seq = 0;
    assert_true(read_line_within(t, line, sizeof line, LINE_WAIT_MS));
    if (sscanf(line, "ok %u", &seq) != 1)
        fail_msg("expected 'ok SEQ', got '%s'", line);
    return seq;
}

/* Expects a line starting with prefix. */
static void expect_prefix(tconn *t, const char *prefix)
{
    char line[1024];
    assert_true(read_line_within(t, line, sizeof line, LINE_WAIT_MS));
    if (strncmp(line, prefix, strlen(prefix)) != 0)
        fail_msg("expected a line starting '%s', got '%s'", prefix, line);
}

/* The server closes the connection cleanly (FIN, not a reset) within 2 s,
 * with nothing more to read first. */
static void expect_eof(tconn *t)
{
    assert_int_equal(t->len, 0);
    char c;
    ssize_t n = recv(t->fd, &c, 1, 0);
    if (n != 0)
        fail_msg("expected a clean end of stream, got %zd (%s)", n, n < 0 ? strerror(errno) : "");
}

/* No line arrives within ms. */
static void expect_silence(tconn *t, int ms)
{
    char line[1024];
    if (read_line_within(t, line, sizeof line, ms))
        fail_msg("expected nothing, got '%s'", line);
}

/* ---- the game client ------------------------------------------------------ */

static client_event g_ev;

/* Pumps the game client until an event of type arrives (into g_ev). */
static bool game_wait(fixture *f, client_event_type type, int timeout_ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000u;
    while (clock_now_us() < deadline) {
        struct pollfd p = {.fd = client_fd(f->game), .events = POLLIN};
        poll(&p, 1, 5);
        client_update(f->game, clock_now_us());
        while (client_next_event(f->game, &g_ev))
            if (g_ev.type == type)
                return true;
    }
    return false;
}

static void join_game(fixture *f, const char *name, const char *lobby)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = f->sp.port;
    cfg.name = name;
    cfg.lobby = lobby;
    assert_int_equal(client_create(&cfg, clock_now_us(), &f->game), CLIENT_OK);
    assert_true(game_wait(f, CLIENT_EV_JOINED, 5000));
}

/* ---- framing --------------------------------------------------------------- */

/* The one-shot client of the issue: no newline, then a blocking recv. */
static void one_shot_without_newline_gets_its_reply(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "Hello server!");
    char reply[64] = {0};
    ssize_t n = recv(t->fd, reply, sizeof reply - 1, 0); /* SO_RCVTIMEO: 2 s */
    assert_true(n > 0);
    assert_string_equal(reply, "ok 1\n");
}

static void many_lines_in_one_write_get_one_ack_each_in_order(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--chat-burst", "50", NULL};
    start(f, args);
    tconn *t = open_conn(f);
    char all[2048] = "";
    for (int i = 0; i < 20; i++) {
        char line[32];
        snprintf(line, sizeof line, "line %d%s", i, i % 2 ? "\r\n" : "\n");
        strcat(all, line);
    }
    strcat(all, "\n\r\n"); /* empty lines: no reply */
    send_str(t, all);
    for (unsigned i = 0; i < 20; i++)
        assert_int_equal(expect_ok(t), i + 1);
    expect_silence(t, 300);
}

/* Bytes dribbled in well under 100 ms apart are one message. */
static void lines_split_across_segments_are_reassembled(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *watcher = open_conn(f);
    tconn *t = open_conn(f);
    send_str(t, "/name dribbler\n");
    expect_line(t, "name dribbler");
    const char *msg = "split across segments\nand a second\n";
    for (const char *p = msg; *p; p++) {
        send_bytes(t, p, 1);
        sleep_ms(15);
    }
    assert_int_equal(expect_ok(t), 1);
    assert_int_equal(expect_ok(t), 2);
    expect_line(watcher, "chat 1 [text] dribbler: split across segments");
    expect_line(watcher, "chat 2 [text] dribbler: and a second");
}

/* A pause of well over 100 ms after some bytes ends the message there. */
static void a_pause_ends_a_message(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "first");
    assert_int_equal(expect_ok(t), 1);
    send_str(t, "second\n");
    assert_int_equal(expect_ok(t), 2);
}

/* A half-close ends the pending message; the reply still arrives, then the
 * server closes. */
static void half_close_ends_the_message(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "bye now");
    shutdown(t->fd, SHUT_WR);
    assert_int_equal(expect_ok(t), 1);
    expect_eof(t);
}

/* ---- limits and hostile input ---------------------------------------------- */

static void line_of_512_bytes_accepted_513_refused(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    char line[600];
    memset(line, 'a', 512);
    memcpy(line + 512, "\r\n", 3);
    send_str(t, line);
    assert_int_equal(expect_ok(t), 1);
    memset(line, 'b', 513);
    memcpy(line + 513, "\n", 2);
    send_str(t, line);
    expect_line(t, "error too-long message longer than 512 bytes; closing");
    expect_eof(t);
}

/* A megabyte without a newline: an error line, a clean close, never a
 * truncated message; and the server carries on. */
static void megabyte_line_gets_error_and_clean_close(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *watcher = open_conn(f);
    tconn *t = open_conn(f);
    size_t big = 1u << 20;
    char *data = malloc(big + 1);
    assert_non_null(data);
    memset(data, 'x', big);
    data[big] = '\n';
    send_bytes(t, data, big + 1); /* the server reads and drops it all */
    free(data);
    expect_line(t, "error too-long message longer than 512 bytes; closing");
    expect_eof(t);
    expect_silence(watcher, 200); /* nothing of it was posted */
    tconn *after = open_conn(f);
    send_str(after, "still here\n");
    assert_int_equal(expect_ok(after), 1);
}

static void nul_bytes_refused_connection_stays_open(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_bytes(t, "a\0b\n", 4);
    expect_prefix(t, "error bad-text ");
    send_bytes(t, "\xC3\x28 bad utf-8\n", 13);
    expect_prefix(t, "error bad-text ");
    send_str(t, "tab\there\n");
    expect_prefix(t, "error bad-text ");
    send_str(t, "clean\n");
    assert_int_equal(expect_ok(t), 1); /* refused lines take no sequence number */
}

/* A reset in the middle of a line: the partial line is not a message. */
static void client_reset_mid_line_posts_nothing(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *watcher = open_conn(f);
    tconn *t = open_conn(f);
    send_str(t, "partial li");
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close with a reset */
    setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(t->fd);
    t->fd = -1;
    expect_silence(watcher, 300);
    tconn *after = open_conn(f);
    send_str(after, "after\n");
    assert_int_equal(expect_ok(after), 1);
    expect_line(watcher, "chat 1 [text] guest-3: after");
}

static void per_address_limit_refuses_with_an_error_line(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-max-conns-per-ip", "2", NULL};
    start(f, args);
    tconn *a = open_conn(f), *b = open_conn(f);
    send_str(a, "/name a\n");
    expect_line(a, "name a");
    tconn *c = open_conn(f);
    expect_line(c, "error too-many-connections too many connections from your address");
    expect_eof(c);
    send_str(b, "/name b\n"); /* the two admitted ones are untouched */
    expect_line(b, "name b");
    assert_true(server_proc_log_contains(&f->sp, "refused text client 127.0.0.1:"));
}

static void total_limit_refuses_with_an_error_line(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-max-conns", "2", NULL};
    start(f, args);
    tconn *a = open_conn(f), *b = open_conn(f);
    send_str(a, "/name a\n");
    expect_line(a, "name a");
    send_str(b, "/name b\n");
    expect_line(b, "name b");
    tconn *c = open_conn(f);
    expect_line(c, "error too-many-connections server has too many text connections");
    expect_eof(c);
}

/* A client that never reads while chat keeps coming is closed once 256 kB
 * wait for it, and logged; the server does not block or grow without bound. */
static void client_that_never_reads_is_closed(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--chat-rate", "1000000", "--chat-burst", "1000", NULL};
    start(f, args);
    tconn *lazy = open_conn(f);
    int small = 4096;
    setsockopt(lazy->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    tconn *talker = open_conn(f);
    char line[520];
    memset(line, 'z', 500);
    line[500] = '\n';
    bool closed = false;
    for (int i = 0; i < 20000 && !closed; i++) {
        send_bytes(talker, line, 501);
        if (i % 100 == 99) {
            char ack[64]; /* keep the talker's own acks flowing */
            while (read_line_within(talker, ack, sizeof ack, 1))
                ;
            closed = server_proc_log_contains(&f->sp, "bytes of output unread");
        }
    }
    assert_true(server_proc_log_contains(&f->sp, "closing text client 127.0.0.1:"));
    assert_true(server_proc_log_contains(&f->sp, "more than 262144 bytes of output unread"));
    send_str(talker, "/name still-fine\n"); /* the others are served on */
    char reply[64];
    bool named = false;
    for (int i = 0; i < 30000 && !named; i++) {
        if (!read_line_within(talker, reply, sizeof reply, LINE_WAIT_MS))
            break;
        named = strcmp(reply, "name still-fine") == 0;
    }
    assert_true(named);
}

static void idle_client_is_told_and_closed(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-idle-ms", "300", NULL};
    start(f, args);
    tconn *t = open_conn(f);
    expect_line(t, "error idle nothing received for 300 ms; closing");
    expect_eof(t);
}

static void chat_over_the_rate_is_refused(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--chat-burst", "3", "--chat-rate", "1", NULL};
    start(f, args);
    tconn *t = open_conn(f);
    send_str(t, "1\n2\n3\n4\n");
    for (unsigned i = 1; i <= 3; i++)
        assert_int_equal(expect_ok(t), i);
    expect_prefix(t, "error rate-limited ");
}

/* 200 connections that say nothing are all admitted, and a game client is
 * served as usual meanwhile. */
static void two_hundred_idle_connections_and_a_game_client(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-max-conns-per-ip", "250", NULL};
    start(f, args);
    for (int i = 0; i < MANY_CONNS; i++)
        open_conn(f);
    join_game(f, "player", NULL);
    uint32_t id;
    assert_int_equal(client_send_chat(f->game, "among idlers", 12, &id), CLIENT_OK);
    assert_true(game_wait(f, CLIENT_EV_CHAT_ACK, 3000));
    /* Every idle connection was admitted and heard the game chat. */
    char want[64];
    snprintf(want, sizeof want, "chat %u player: among idlers", (unsigned)g_ev.seq);
    for (int i = 0; i < MANY_CONNS; i++)
        expect_line(&f->conns[i], want);
}

/* ---- text and game clients --------------------------------------------------- */

static void game_client_sees_text_chat_marked(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "gamer", NULL);
    tconn *t = open_conn(f);
    send_str(t, "/name ann\nhello players\n");
    expect_line(t, "name ann");
    unsigned seq = expect_ok(t);
    assert_true(game_wait(f, CLIENT_EV_CHAT, 3000));
    assert_true(g_ev.from_text);
    assert_string_equal(g_ev.sender, "ann");
    assert_string_equal(g_ev.text, "hello players");
    assert_int_equal(g_ev.seq, seq);
    assert_int_equal(g_ev.player_id, 0);
    /* A text client is no player: the game client's lobby holds only itself. */
    assert_int_equal(client_get_view(f->game)->player_count, 1);
}

/* lobby-chat prints a text client's line with the mark. */
static void lobby_chat_prints_text_lines_marked(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    char out_path[] = "/tmp/lobby-chat-out-XXXXXX";
    int fd = mkstemp(out_path);
    assert_true(fd >= 0);
    close(fd);
    int in_fd = -1;
    pid_t pid = spawn_lobby_chat_logged(f->sp.port, "reader", &in_fd, out_path);
    assert_true(pid > 0);
    /* Wait for the join, seen from the server's log. */
    for (int i = 0; i < 500 && !server_proc_log_contains(&f->sp, "player=reader"); i++)
        sleep_ms(10);
    tconn *t = open_conn(f);
    send_str(t, "/name ann\nhi reader\n");
    expect_line(t, "name ann");
    expect_ok(t);
    char text[4096] = "";
    for (int i = 0; i < 300 && strstr(text, "[text] ann: hi reader") == NULL; i++) {
        sleep_ms(10);
        read_text_file(out_path, text, sizeof text);
    }
    close(in_fd); /* end of input: lobby-chat leaves */
    int status;
    waitpid(pid, &status, 0);
    unlink(out_path);
    assert_non_null(strstr(text, "[text] ann: hi reader\n"));
}

static void text_client_sees_game_chat_in_sequence(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    join_game(f, "gamer", NULL);
    send_str(t, "text first\n");
    assert_int_equal(expect_ok(t), 1);
    uint32_t id;
    assert_int_equal(client_send_chat(f->game, "game second", 11, &id), CLIENT_OK);
    assert_true(game_wait(f, CLIENT_EV_CHAT_ACK, 3000));
    assert_int_equal(g_ev.seq, 2); /* one sequence for both kinds of client */
    expect_line(t, "chat 2 gamer: game second");
}

static void join_moves_a_text_client_between_lobbies(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "gamer", "friday");
    tconn *t = open_conn(f);
    send_str(t, "/join friday\n/name bob\n");
    expect_line(t, "joined friday");
    expect_line(t, "name bob");
    send_str(t, "in friday\n");
    assert_int_equal(expect_ok(t), 1);
    assert_true(game_wait(f, CLIENT_EV_CHAT, 3000));
    assert_string_equal(g_ev.text, "in friday");
    send_str(t, "/join \n/name \xE2\x80\x8B\n/join saturday\n");
    expect_prefix(t, "error bad-lobby ");
    expect_prefix(t, "error bad-name ");
    expect_line(t, "joined saturday");
}

/* ---- flags and process ------------------------------------------------------ */

static void tcp_port_flags_are_checked(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"--tcp-port", "65536"},         {"--tcp-port", "x"},     {"--tcp-max-conns", "0"},
        {"--tcp-max-conns-per-ip", "0"}, {"--tcp-idle-ms", "99"}, {"--tcp-idle-ms", "-5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[1024];
        char *argv[] = {LOBBY_SERVER_PATH, (char *)cases[i][0], (char *)cases[i][1], NULL};
        assert_int_equal(run_command(argv, out, sizeof out, 10), 2);
        assert_non_null(strstr(out, cases[i][0]));
    }
}

static void tcp_port_zero_turns_it_off(void **state)
{
    fixture *f = *state;
    const char *args[] = {"--tcp-port", "0", NULL};
    assert_true(server_proc_start(&f->sp, args));
    f->running = true;
    assert_int_equal(f->sp.tcp_port, 0);
    assert_false(server_proc_log_contains(&f->sp, "text chat on"));
}

static void tcp_port_in_use_is_fatal(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    char port[16], out[2048];
    snprintf(port, sizeof port, "%u", (unsigned)ntohs(addr.sin_port));
    char *argv[] = {LOBBY_SERVER_PATH, "--bind", "127.0.0.1", "--port", "0",
                    "--tcp-port",      port,     NULL};
    assert_int_equal(run_command(argv, out, sizeof out, 10), 1);
    assert_non_null(strstr(out, "Address already in use"));
    close(fd);
}

static void shutdown_tells_text_clients(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "/name x\n");
    expect_line(t, "name x");
    int code = -1;
    server_proc_stop(&f->sp, &code, NULL);
    f->running = false;
    assert_int_equal(code, 0);
    expect_line(t, "error shutting-down server is shutting down");
    expect_eof(t);
}

/* ---- fixture ----------------------------------------------------------------- */

static int test_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    return f ? 0 : -1;
}

static int test_teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < f->conn_count; i++)
        if (f->conns[i].fd >= 0)
            close(f->conns[i].fd);
    free(f->conns);
    if (f->game)
        client_destroy(f->game);
    if (f->running)
        server_proc_stop(&f->sp, NULL, NULL);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return enet_initialize();
}

static int group_teardown(void **state)
{
    (void)state;
    enet_deinitialize();
    return 0;
}

#define TEXT_TEST(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEXT_TEST(one_shot_without_newline_gets_its_reply),
        TEXT_TEST(many_lines_in_one_write_get_one_ack_each_in_order),
        TEXT_TEST(lines_split_across_segments_are_reassembled),
        TEXT_TEST(a_pause_ends_a_message),
        TEXT_TEST(half_close_ends_the_message),
        TEXT_TEST(line_of_512_bytes_accepted_513_refused),
        TEXT_TEST(megabyte_line_gets_error_and_clean_close),
        TEXT_TEST(nul_bytes_refused_connection_stays_open),
        TEXT_TEST(client_reset_mid_line_posts_nothing),
        TEXT_TEST(per_address_limit_refuses_with_an_error_line),
        TEXT_TEST(total_limit_refuses_with_an_error_line),
        TEXT_TEST(client_that_never_reads_is_closed),
        TEXT_TEST(idle_client_is_told_and_closed),
        TEXT_TEST(chat_over_the_rate_is_refused),
        TEXT_TEST(two_hundred_idle_connections_and_a_game_client),
        TEXT_TEST(game_client_sees_text_chat_marked),
        TEXT_TEST(text_client_sees_game_chat_in_sequence),
        TEXT_TEST(lobby_chat_prints_text_lines_marked),
        TEXT_TEST(join_moves_a_text_client_between_lobbies),
        cmocka_unit_test(tcp_port_flags_are_checked),
        TEXT_TEST(tcp_port_zero_turns_it_off),
        cmocka_unit_test(tcp_port_in_use_is_fatal),
        TEXT_TEST(shutdown_tells_text_clients),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
