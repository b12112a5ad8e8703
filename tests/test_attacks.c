/* Hostile datagrams against the real lobby-server process over loopback,
 * from plain UDP sockets: the weaknesses of Debian's ENet 1.3.17 that the
 * transport's filter and limits close. After each attack the server must
 * still run, its resident memory must not have grown by more than
 * RSS_GROWTH_LIMIT_KB, and a real client core must join within 5 s.
 *
 * Attackers bind 127.0.0.2 and up (all of 127/8 is local), so to the server
 * they are other machines than the client that joins from 127.0.0.1. */
#include "client.h"
#include "clock.h"
#include "enet_raw.h"
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum {
    RSS_GROWTH_LIMIT_KB = 32 * 1024,
    JOIN_LIMIT_MS = 5000,
    CONNECT_ID_BASE = 0x10000,
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long rss_kb(pid_t pid)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    read_text_file(path, text, sizeof text);
    const char *at = strstr(text, "VmRSS:");
    return at ? strtol(at + strlen("VmRSS:"), NULL, 10) : -1;
}

static bool running(pid_t pid)
{
    return waitpid(pid, NULL, WNOHANG) == 0;
}

/* Starts a client core joining; NULL if it cannot even start. */
static client *start_client(uint16_t port, const char *name)
{
    client_config cc;
    client_config_defaults(&cc);
    cc.host = "127.0.0.1";
    cc.port = port;
    cc.name = name;
    client *c = NULL;
    return client_create(&cc, clock_now_us(), &c) == CLIENT_OK ? c : NULL;
}

/* Drives c until it has joined; false after limit_ms. */
static bool await_join(client *c, long limit_ms)
{
    uint64_t end = clock_now_us() + (uint64_t)limit_ms * 1000;
    while (client_get_view(c)->state != CLIENT_JOINED && clock_now_us() < end) {
        struct pollfd pfd = {.fd = client_fd(c), .events = POLLIN};
        poll(&pfd, 1, 5);
        client_update(c, clock_now_us());
    }
    return client_get_view(c)->state == CLIENT_JOINED;
}

/* How long a fresh client core takes to join, in ms; -1 if not within 5 s. */
static long join_ms(uint16_t port, const char *name)
{
    uint64_t start = clock_now_us();
    client *c = start_client(port, name);
    long joined =
        c != NULL && await_join(c, JOIN_LIMIT_MS) ? (long)((clock_now_us() - start) / 1000) : -1;
    client_destroy(c);
    return joined;
}

typedef struct fixture {
    server_proc server;
    long rss_before_kb;
} fixture;

static int start_server(void **state, const char *const *args)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || !server_proc_start(&f->server, args))
        return -1;
    f->rss_before_kb = rss_kb(f->server.pid);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return start_server(state, NULL);
}

/* 26 peer slots: few enough for a flood to take them all. */
static int setup_small(void **state)
{
    static const char *const args[] = {"--max-players", "8", NULL};
    return start_server(state, args);
}

static int teardown(void **state)
{
    fixture *f = *state;
    int code = 0;
    server_proc_stop(&f->server, &code, NULL);
    free(f);
    return 0;
}

/* The checks after every attack. */
static void expect_unharmed(fixture *f, const char *what)
{
    sleep_ms(300); /* let the server take in what is still queued */
    assert_true(running(f->server.pid));
    long rss = rss_kb(f->server.pid);
    long joined = join_ms(f->server.port, "after");
    printf("# %s: RSS %ld -> %ld kB, a client joined in %ld ms\n", what, f->rss_before_kb, rss,
           joined);
    assert_true(rss - f->rss_before_kb < RSS_GROWTH_LIMIT_KB);
    assert_true(joined >= 0);
}

static void expect_logged(const fixture *f, const char *needle)
{
    if (!server_proc_log_contains(&f->server, needle))
        fail_msg("the server log does not mention '%s'", needle);
}

/* ---- (a) datagrams larger than ENet's receive buffer -------------------- */

static void test_oversized_datagrams(void **state)
{
    fixture *f = *state;
    int fd = raw_socket("127.0.0.2", f->server.port);
    assert_true(fd >= 0);
    static uint8_t big[5000];
    memset(big, 0x41, sizeof big);
    assert_int_equal(send(fd, big, sizeof big, 0), (ssize_t)sizeof big);
    sleep_ms(50);
    for (int i = 0; i < 100; i++)
        send(fd, big, sizeof big, 0);
    close(fd);
    expect_unharmed(f, "oversized datagrams");
    expect_logged(f, "larger than ENet's receive buffer");
}

/* ---- (b) CONNECTs that are never acknowledged --------------------------- */

/* CONNECTs with fd's own valid cookie: what a sender that owns its address
 * can do, and what gets past the cookie to the rate limits. */
static void flood_connects(int fd, int count, uint32_t *next_id)
{
    raw_dgram d;
    uint32_t cookie = raw_cookie_for(fd, 0);
    for (int i = 0; i < count; i++) {
        raw_begin(&d, RAW_NO_PEER, 0, true, 1);
        raw_connect(&d, 1, (*next_id)++, 2, cookie);
        raw_send(fd, &d);
    }
}

/* Bytes the server sends back to fds within ms. */
static long replies_within(const int *fds, int n, long ms)
{
    long bytes = 0;
    uint8_t buf[RAW_MAX_DATAGRAM];
    for (uint64_t end = clock_now_us() + (uint64_t)ms * 1000; clock_now_us() < end;) {
        sleep_ms(5);
        for (int i = 0; i < n; i++)
            for (ssize_t got; (got = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0;)
                bytes += got;
    }
    return bytes;
}

/* One attacking address, eight source ports, 800 CONNECTs, then more while
 * the first are still unanswered: the server's 336 slots must not fill, and
 * the replies must not outweigh the flood. */
static void test_connect_flood_one_address(void **state)
{
    fixture *f = *state;
    int fds[8];
    uint32_t id = CONNECT_ID_BASE;
    for (int i = 0; i < 8; i++) {
        fds[i] = raw_socket("127.0.0.2", f->server.port);
        assert_true(fds[i] >= 0);
        flood_connects(fds[i], 100, &id);
    }
    long replied = replies_within(fds, 8, 700);
    for (int i = 0; i < 8; i++)
        flood_connects(fds[i], 10, &id);
    replied += replies_within(fds, 8, 1300);
    long sent = (long)(id - CONNECT_ID_BASE) * (4 + 48);
    printf("# CONNECT flood: %ld bytes sent, %ld bytes of replies in 2 s\n", sent, replied);
    assert_true(replied < sent / 2);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    expect_unharmed(f, "CONNECT flood from one address");
    expect_logged(f, "CONNECT over its rate");
    expect_logged(f, "too many unanswered handshakes");
}

/* As if spoofed: 200 addresses, 2 CONNECTs each, against 26 slots. They
 * must be free again well within a client's connection timeout. */
static void test_connect_flood_many_addresses(void **state)
{
    fixture *f = *state;
    uint32_t id = CONNECT_ID_BASE;
    for (int a = 2; a < 202; a++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.1.%d", a);
        int fd = raw_socket(ip, f->server.port);
        assert_true(fd >= 0);
        flood_connects(fd, 2, &id);
        close(fd);
    }
    expect_unharmed(f, "CONNECT flood from 200 addresses");
}

/* ---- (c) crafted fragments ---------------------------------------------- */

typedef enum fragment_trick {
    HUGE_COUNT,       /* 2^20 fragments of a 1-byte packet: a 128 KB bitmap each */
    NEAR_LIMIT_TOTAL, /* the first piece of many 65544-byte packets */
    ZERO_LENGTH,      /* pieces with no data */
    INCONSISTENT,     /* pieces of no even split: 2 of 600 bytes make no 65544 */
    CLAIMS_MORE,      /* (d) one piece that claims a 1000-byte whole */
} fragment_trick;

static raw_fragment_spec trick_piece(fragment_trick trick, uint16_t start)
{
    raw_fragment_spec s = {.reliable = true,
                           .seq = start,
                           .start_seq = start,
                           .count = 2,
                           .data_length = 1,
                           .data_len = 1};
    switch (trick) {
    case HUGE_COUNT:
        s.count = 1u << 20, s.total = 1;
        break;
    case NEAR_LIMIT_TOTAL: /* what ENet would send for a 65544-byte packet */
        s.count = 48, s.total = 65544, s.data_length = 1372, s.data_len = 1372;
        break;
    case ZERO_LENGTH:
        s.total = 2744, s.data_length = 0, s.data_len = 0;
        break;
    case INCONSISTENT:
        s.total = 65544, s.data_length = 600, s.data_len = 600;
        break;
    case CLAIMS_MORE:
        s.count = 1, s.total = 1000;
        break;
    }
    return s;
}

/* Connects from addr by hand and sends `datagrams` datagrams of the trick,
 * as many pieces in each as fit, each piece a new packet. */
static void send_trick(const fixture *f, const char *addr, fragment_trick trick, int datagrams)
{
    raw_peer p = {.fd = raw_socket(addr, f->server.port)};
    assert_true(p.fd >= 0);
    assert_true(raw_handshake(&p, 0xABC, 2000));
    sleep_ms(20);
    uint16_t start = 1;
    for (int i = 0; i < datagrams; i++) {
        raw_dgram d;
        raw_begin(&d, p.peer_id, p.session, true, (uint16_t)i);
        for (int k = 0; k < 32 && d.len + 24 + trick_piece(trick, 0).data_len <= 1400; k++) {
            raw_fragment_spec s = trick_piece(trick, start++);
            raw_fragment(&d, &s);
        }
        raw_send(p.fd, &d);
        if (i % 8 == 7)
            sleep_ms(2); /* stay within the socket buffers */
    }
    close(p.fd);
}

static void test_huge_fragment_counts(void **state)
{
    fixture *f = *state;
    send_trick(f, "127.0.0.3", HUGE_COUNT, 40);
    expect_unharmed(f, "fragment counts of 2^20");
    expect_logged(f, "bad fragment count");
}

static void test_fragmented_packets_near_the_size_limit(void **state)
{
    fixture *f = *state;
    send_trick(f, "127.0.0.4", NEAR_LIMIT_TOTAL, 400);
    expect_unharmed(f, "400 first pieces of 64 KB packets");
}

static void test_zero_length_and_inconsistent_fragments(void **state)
{
    fixture *f = *state;
    send_trick(f, "127.0.0.5", ZERO_LENGTH, 40);
    send_trick(f, "127.0.0.6", INCONSISTENT, 100);
    expect_unharmed(f, "zero-length and inconsistent fragments");
    expect_logged(f, "zero-length fragment");
    expect_logged(f, "inconsistent fragment");
}

/* ---- (d) a packet of bytes nobody sent ---------------------------------- */

static void test_fragment_claiming_more_than_sent(void **state)
{
    fixture *f = *state;
    send_trick(f, "127.0.0.7", CLAIMS_MORE, 10);
    expect_unharmed(f, "fragments claiming more than they carry");
    expect_logged(f, "bad fragment count");
    /* ENet would have handed each to the core as a 1000-byte message. */
    assert_false(server_proc_log_contains(&f->server, "malformed message from peer=127.0.0.7"));
}

/* ---- a client that stops reading ---------------------------------------- */

/* Chat from one player piles up for another that has stopped acknowledging
 * (its process frozen); past --max-peer-backlog-kb it is disconnected. */
static int setup_slow_reader(void **state)
{
    static const char *const args[] = {"--max-peer-backlog-kb",
                                       "64",
                                       "--timeout-ms",
                                       "60000",
                                       "--chat-rate",
                                       "1000",
                                       "--chat-burst",
                                       "1000",
                                       NULL};
    return start_server(state, args);
}

static void test_slow_reader_is_disconnected(void **state)
{
    fixture *f = *state;
    client *frozen = start_client(f->server.port, "frozen");
    client *talker = start_client(f->server.port, "talker");
    assert_non_null(frozen);
    assert_non_null(talker);
    assert_true(await_join(frozen, JOIN_LIMIT_MS));
    assert_true(await_join(talker, JOIN_LIMIT_MS));
    static char text[500];
    memset(text, 'x', sizeof text);
    uint32_t id;
    for (int i = 0; i < 400 && !server_proc_log_contains(&f->server, "too slow"); i++) {
        client_send_chat(talker, text, sizeof text, &id);
        client_update(talker, clock_now_us());
        sleep_ms(5);
    }
    for (int i = 0; i < 300 && !server_proc_log_contains(&f->server, "too slow"); i++) {
        client_update(talker, clock_now_us());
        sleep_ms(10);
    }
    expect_logged(f, "too slow");
    client_update(talker, clock_now_us());
    assert_int_equal(client_get_view(talker)->state, CLIENT_JOINED);
    client_destroy(frozen);
    client_destroy(talker);
    expect_unharmed(f, "a client that stopped reading");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_oversized_datagrams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_flood_one_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_flood_many_addresses, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_huge_fragment_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragmented_packets_near_the_size_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zero_length_and_inconsistent_fragments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fragment_claiming_more_than_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_reader_is_disconnected, setup_slow_reader,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return failed;
}
