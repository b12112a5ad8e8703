/* The plain-text chat port through the real lobby-server process, with raw
 * TCP sockets as the text clients and client cores as the game clients:
 * message framing (newline, quiet, split segments), limits (line length,
 * per-address and idle), hostile input (NUL bytes, a megabyte line, a reset
 * mid-line), chat both ways between text and game clients, the commands
 * (/help, /who, /list, /join with passwords, /quit, //text, unknown ones,
 * their rate) and clients the server cannot admit. */
#include "client.h"
#include "clock.h"
#include "enet_group.h"
#include "server_proc.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
    client *game2; /* a second player, for /who */
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

/* Pumps a game client until an event of type arrives (into g_ev). */
static bool wait_event(client *c, client_event_type type, int timeout_ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000u;
    while (clock_now_us() < deadline) {
        struct pollfd p = {.fd = client_fd(c), .events = POLLIN};
        poll(&p, 1, 5);
        client_update(c, clock_now_us());
        while (client_next_event(c, &g_ev))
            if (g_ev.type == type)
                return true;
    }
    return false;
}

static bool game_wait(fixture *f, client_event_type type, int timeout_ms)
{
    return wait_event(f->game, type, timeout_ms);
}

/* A game client called name in lobby (NULL: main), given password. */
static void connect_game(fixture *f, client **out, const char *name, const char *lobby,
                         const char *password)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = f->sp.port;
    cfg.name = name;
    cfg.lobby = lobby;
    cfg.password = password;
    assert_int_equal(client_create(&cfg, clock_now_us(), out), CLIENT_OK);
    assert_true(wait_event(*out, CLIENT_EV_JOINED, 5000));
}

static void join_game(fixture *f, const char *name, const char *lobby)
{
    connect_game(f, &f->game, name, lobby, NULL);
}

/* The game client creates a lobby (it owns it) and moves there. */
static void game_creates(fixture *f, const char *name, uint8_t capacity, const char *password)
{
    client_lobby_settings s = {.name = name, .capacity = capacity, .password = password};
    assert_int_equal(client_create_lobby(f->game, &s), CLIENT_OK);
    assert_true(game_wait(f, CLIENT_EV_JOINED, 5000));
    assert_string_equal(client_get_view(f->game)->lobby, name);
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
    const char *args[] = {"--chat-burst", "50", "--tcp-lobby-ip-burst", "50", NULL};
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
    /* Every rate out of the way: only the output queue limits. */
    /* clang-format off */
    const char *args[] = {"--chat-rate", "1000000", "--chat-burst", "1000",
                          "--tcp-line-rate", "1000000", "--tcp-line-burst", "1000",
                          "--tcp-lobby-ip-rate", "1000000", "--tcp-lobby-ip-burst", "100000",
                          "--tcp-lobby-bytes-per-s", "100000000",
                          "--tcp-lobby-bytes-burst", "100000000", NULL};
    /* clang-format on */
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
    snprintf(want, sizeof want, "chat %u player: among idlers", (unsigned)g_ev.chat_ack.seq);
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
    assert_true(g_ev.chat.from_text);
    assert_string_equal(g_ev.chat.sender, "ann");
    assert_string_equal(g_ev.text, "hello players");
    assert_int_equal(g_ev.chat.seq, seq);
    assert_int_equal(g_ev.chat.player_id, 0);
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
    assert_int_equal(g_ev.chat_ack.seq, 2); /* one sequence for both kinds of client */
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

/* ---- commands ---------------------------------------------------------------- */

/* Reads a header line "TAG N..." and returns N. */
static unsigned expect_count(tconn *t, const char *tag)
{
    char line[1024], want[64];
    unsigned n = 0;
    assert_true(read_line_within(t, line, sizeof line, LINE_WAIT_MS));
    snprintf(want, sizeof want, "%s %%u", tag);
    if (sscanf(line, want, &n) != 1)
        fail_msg("expected '%s N...', got '%s'", tag, line);
    return n;
}

/* /help, /who and /list answer the client alone and post nothing; the
 * reply of each ends where its count says, so the next reply follows. */
static void help_lists_every_command_after_a_count(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "gamer", "den");
    tconn *watcher = open_conn(f);
    tconn *t = open_conn(f);
    send_str(watcher, "/join den\n");
    expect_line(watcher, "joined den");
    send_str(t, "/join den\n/help\n/who\n/list name=den\nafter\n");
    expect_line(t, "joined den");
    expect_line(t, "commands 7");
    static const char *const lines[] = {"command /help - ",
                                        "command /who - ",
                                        "command /list [FILTER...] - ",
                                        "command /join NAME [PASSWORD] - ",
                                        "command /name NAME - ",
                                        "command /quit - ",
                                        "command //TEXT - "};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        expect_prefix(t, lines[i]);
    expect_line(t, "players 1 watchers:2 lobby:\"den\"");
    expect_line(t, "player \"gamer\" owner:yes ready:no");
    expect_line(t, "lobbies 1 1");
    expect_line(t, "lobby \"den\" 1/16 password:no state:open owner:\"gamer\"");
    assert_int_equal(expect_ok(t), 1); /* the commands took no sequence number */
    expect_line(watcher, "chat 1 [text] guest-2: after");
    assert_true(game_wait(f, CLIENT_EV_CHAT, 3000));
    assert_string_equal(g_ev.text, "after"); /* the first line the players saw */
}

/* The README's one-shot client: a command without a newline, one recv. */
static void one_shot_command_without_newline_gets_its_reply(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "/who");
    char reply[128] = {0};
    ssize_t n = recv(t->fd, reply, sizeof reply - 1, 0); /* SO_RCVTIMEO: 2 s */
    assert_true(n > 0);
    assert_string_equal(reply, "players 0 watchers:1 lobby:\"main\"\n");
}

static void who_shows_owner_and_ready_marks_and_watchers(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "alice", "den");
    connect_game(f, &f->game2, "say \"hi\" \\o/", "den", NULL);
    assert_int_equal(client_set_ready(f->game, true), CLIENT_OK);
    const client_player *me = NULL;
    for (int i = 0; i < 100 && !(me != NULL && me->ready); i++) {
        game_wait(f, CLIENT_EV_LOBBY_STATE, 50);
        me = client_find_player(f->game, client_get_view(f->game)->my_id);
    }
    assert_true(me != NULL && me->ready);
    tconn *t = open_conn(f), *u = open_conn(f);
    send_str(u, "/join den\n");
    expect_line(u, "joined den");
    send_str(t, "/join den\n/who\n");
    expect_line(t, "joined den");
    assert_int_equal(expect_count(t, "players"), 2);
    expect_line(t, "player \"alice\" owner:yes ready:yes");
    expect_line(t, "player \"say \\\"hi\\\" \\\\o/\" owner:no ready:no"); /* quoted, escaped */
    send_str(u, "/join main\n");
    expect_line(u, "joined main");
    send_str(t, "/who\n");
    expect_line(t, "players 2 watchers:1 lobby:\"den\"");
}

static void list_shows_lobbies_like_the_lobby_list(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "alice", NULL);
    game_creates(f, "Vault", 4, "sesame");
    tconn *t = open_conn(f);
    send_str(t, "/list\n");
    expect_line(t, "lobbies 2 2");
    expect_line(t, "lobby \"main\" 0/16 password:no state:open owner:(server)");
    expect_line(t, "lobby \"Vault\" 1/4 password:yes state:open owner:\"alice\"");
    send_str(t, "/list nopass\n/list  name=vAU  free \n/list open k=v\n/list bogus\n");
    expect_line(t, "lobbies 1 1");
    expect_line(t, "lobby \"main\" 0/16 password:no state:open owner:(server)");
    expect_line(t, "lobbies 1 1");
    expect_line(t, "lobby \"Vault\" 1/4 password:yes state:open owner:\"alice\"");
    expect_line(t, "lobbies 0 0");
    expect_prefix(t, "error usage /list [FILTER...]; filters: ");
}

/* More lobbies than a list holds: the first 64 and the total, like
 * LIST_LOBBIES. Text clients open them (each /join leaves the last one
 * standing empty for the lobby grace time). */
static void list_shows_the_first_64_and_the_total(void **state)
{
    fixture *f = *state;
    /* Every opener comes from 127.0.0.1: lift its lobby quota. */
    const char *args[] = {"--max-lobbies", "100", "--max-lobbies-per-holder", "100", NULL};
    start(f, args);
    enum { OPENERS = 4, EACH = 17 };
    for (int o = 0; o < OPENERS; o++) {
        tconn *t = open_conn(f);
        char all[1024] = "";
        for (int i = 0; i < EACH; i++) {
            char line[32];
            snprintf(line, sizeof line, "/join room-%d-%d\n", o, i);
            strcat(all, line);
        }
        send_str(t, all);
        for (int i = 0; i < EACH; i++)
            expect_prefix(t, "joined room-");
    }
    tconn *t = open_conn(f);
    send_str(t, "/list\n/list name=room-3-1\n");
    expect_line(t, "lobbies 64 69");
    expect_line(t, "lobby \"main\" 0/16 password:no state:open owner:(server)");
    for (int i = 1; i < 64; i++)
        expect_prefix(t, "lobby \"room-");
    expect_line(t, "lobbies 8 8"); /* room-3-1 and room-3-10 .. room-3-16 */
}

/* /join of a lobby a game client created with a password: refused without
 * it or with another one (staying put), joined with it. */
static void join_needs_the_password_of_a_password_lobby(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "alice", NULL);
    game_creates(f, "vault", 0, "sesame");
    tconn *t = open_conn(f);
    send_str(t, "/join vault\n/join vault Sesame\n/join nowhere sesame\nstill in main\n");
    expect_line(t, "error password-required lobby has a password: /join NAME PASSWORD");
    expect_line(t, "error wrong-password wrong password for this lobby");
    expect_prefix(t, "error no-such-lobby ");
    assert_int_equal(expect_ok(t), 1);
    send_str(t, "/join   vault   sesame  \nhello vault\n"); /* runs of spaces separate */
    expect_line(t, "joined vault");
    unsigned seq = expect_ok(t);
    assert_true(game_wait(f, CLIENT_EV_CHAT, 3000));
    assert_true(g_ev.chat.from_text);
    assert_string_equal(g_ev.text, "hello vault");
    assert_int_equal(g_ev.chat.seq, seq);
    assert_true(server_proc_log_contains(&f->sp, "/join refused: lobby has a password"));
}

/* Quotes keep a lobby name with a space in one word. */
static void join_takes_a_quoted_name(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "/join \"friday night\"\n/who\n/join a b c\n");
    expect_line(t, "joined friday night");
    expect_line(t, "players 0 watchers:1 lobby:\"friday night\"");
    expect_line(t, "error usage /join NAME [PASSWORD]");
}

/* "//text" posts "/text"; any other "/word" is an unknown command, and the
 * connection stays open. */
static void slash_slash_is_chat_and_unknown_commands_are_errors(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    join_game(f, "gamer", NULL);
    tconn *watcher = open_conn(f);
    tconn *t = open_conn(f);
    send_str(t, "/dance now\n/\n/who extra\n/quit now\n//me waves\n");
    expect_line(t, "error unknown-command unknown command '/dance'; /help lists the commands");
    expect_line(t, "error unknown-command unknown command '/'; /help lists the commands");
    expect_line(t, "error usage /who");
    expect_line(t, "error usage /quit");
    assert_int_equal(expect_ok(t), 1);
    expect_line(watcher, "chat 1 [text] guest-2: /me waves");
    assert_true(game_wait(f, CLIENT_EV_CHAT, 3000));
    assert_string_equal(g_ev.text, "/me waves");
}

/* /name takes the rest of the line: names with spaces work as before,
 * the spaces around it go. */
static void name_takes_the_rest_of_the_line(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    send_str(t, "/name   Ann Smith  \n");
    expect_line(t, "name Ann Smith");
}

static void quit_says_bye_and_closes_cleanly(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *watcher = open_conn(f);
    tconn *t = open_conn(f);
    send_str(t, "/quit\nnot posted\n");
    expect_line(t, "bye");
    expect_eof(t);
    expect_silence(watcher, 300);
}

/* Commands take the players' lobby-request rate (burst 20, then 10 a
 * second); chat has its own, and /quit is never refused. */
static void commands_are_rate_limited(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *t = open_conn(f);
    char all[256] = "";
    for (int i = 0; i < 25; i++)
        strcat(all, "/who\n");
    send_str(t, all);
    for (int i = 0; i < 20; i++)
        expect_line(t, "players 0 watchers:1 lobby:\"main\"");
    for (int i = 0; i < 5; i++)
        expect_line(t, "error rate-limited too many lines: at most 10 a second");
    sleep_ms(150); /* a line's token back */
    send_str(t, "chat goes on\n/quit\n");
    assert_int_equal(expect_ok(t), 1);
    expect_line(t, "bye");
    expect_eof(t);
    assert_true(server_proc_log_contains(&f->sp, "line refused: too many lines"));
}

/* /list is charged to the address's lobby-list budget, as LIST_LOBBIES is:
 * a burst of 1 kB holds about a dozen lists of `main` alone. */
static void lists_are_charged_to_the_address(void **state)
{
    fixture *f = *state;
    static const char *const args[] = {"--list-burst-kb", "1", "--list-kb-per-s", "1", NULL};
    start(f, args);
    tconn *t = open_conn(f);
    char all[256] = "";
    for (int i = 0; i < 20; i++)
        strcat(all, "/list\n");
    send_str(t, all);
    int lists = 0;
    for (;;) {
        char line[256];
        assert_true(read_line_within(t, line, sizeof line, LINE_WAIT_MS));
        if (strcmp(line, "lobbies 1 1") == 0) {
            lists++;
            assert_true(read_line_within(t, line, sizeof line, LINE_WAIT_MS)); /* `main` */
            continue;
        }
        assert_string_equal(line, "error rate-limited lists over your address's budget "
                                  "(--list-kb-per-s); wait a moment");
        break;
    }
    assert_in_range(lists, 8, 19);
}

/* ---- flags and process ------------------------------------------------------ */

static void tcp_port_flags_are_checked(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"--tcp-port", "65536"},
        {"--tcp-port", "x"},
        {"--tcp-max-conns", "0"},
        {"--tcp-max-conns-per-ip", "0"},
        {"--tcp-idle-ms", "99"},
        {"--tcp-idle-ms", "-5"},
        {"--tcp-line-rate", "0"},
        {"--tcp-line-burst", "0"},
        {"--tcp-line-ms", "99"},
        {"--tcp-sndbuf-bytes", "x"},
        {"--tcp-max-out-kb", "3"},
        {"--tcp-lobby-ip-rate", "-1"},
        {"--tcp-lobby-ip-burst", "0"},
        {"--tcp-lobby-bytes-per-s", "0"},
        {"--tcp-lobby-bytes-burst", "1023"},
        {"--tcp-max-out-total-mb", "0"},
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

/* A client that connects while the server is stopping cannot be admitted:
 * it is told so in a line and the connection ends cleanly, never reset, and
 * the log says why. */
static void client_connecting_during_shutdown_gets_an_error_line(void **state)
{
    fixture *f = *state;
    start(f, NULL);
    tconn *stay = open_conn(f); /* never closes: keeps the server in its grace time */
    send_str(stay, "/name stay\n");
    expect_line(stay, "name stay");
    kill(f->sp.pid, SIGTERM);
    expect_line(stay, "error shutting-down server is shutting down");
    tconn *late = open_conn(f);
    expect_line(late, "error shutting-down server is shutting down");
    expect_eof(late);
    assert_true(server_proc_log_contains(&f->sp, "cannot admit text client 127.0.0.1:"));
    assert_true(server_proc_log_contains(&f->sp, ": server is shutting down"));
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
    if (f->game2)
        client_destroy(f->game2);
    if (f->running)
        server_proc_stop(&f->sp, NULL, NULL);
    free(f);
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
        TEXT_TEST(help_lists_every_command_after_a_count),
        TEXT_TEST(one_shot_command_without_newline_gets_its_reply),
        TEXT_TEST(who_shows_owner_and_ready_marks_and_watchers),
        TEXT_TEST(list_shows_lobbies_like_the_lobby_list),
        TEXT_TEST(list_shows_the_first_64_and_the_total),
        TEXT_TEST(join_needs_the_password_of_a_password_lobby),
        TEXT_TEST(join_takes_a_quoted_name),
        TEXT_TEST(slash_slash_is_chat_and_unknown_commands_are_errors),
        TEXT_TEST(name_takes_the_rest_of_the_line),
        TEXT_TEST(quit_says_bye_and_closes_cleanly),
        TEXT_TEST(commands_are_rate_limited),
        TEXT_TEST(lists_are_charged_to_the_address),
        cmocka_unit_test(tcp_port_flags_are_checked),
        TEXT_TEST(tcp_port_zero_turns_it_off),
        cmocka_unit_test(tcp_port_in_use_is_fatal),
        TEXT_TEST(shutdown_tells_text_clients),
        TEXT_TEST(client_connecting_during_shutdown_gets_an_error_line),
    };
    return cmocka_run_group_tests(tests, enet_group_setup, enet_group_teardown);
}
