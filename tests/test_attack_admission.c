/* Admission under attack, against the real lobby-server process: the
 * connect cookie (no ENet peer before a round trip), the per-address CONNECT
 * limits charged before the server-wide budget, and the reserve of peer
 * slots for addresses that hold none. Attackers are forked processes or
 * ENet hosts bound to 127.0.X.Y (all of 127/8 is local), so to the server
 * they are other machines than the legit client core on 127.0.0.1. */
#include "client.h"
#include "clock.h"
#include "enet_raw.h"
#include "proto.h"
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
    FLOOD_MS = 3000,
    LEGIT_LIMIT_MS = 3000, /* join and get a chat acknowledged */
    SPOOFED_ADDRESSES = 120,
    OTHER_ADDRESSES = 8,
    METRIC_WAIT_MS = 5000, /* a scrape under load */
};

#define NO_COOKIE_DROPS "lobby_dropped_datagrams_total{reason=\"CONNECT without a valid cookie\"}"
#define RATE_DROPS      "lobby_dropped_datagrams_total{reason=\"CONNECT over its rate\"}"
#define RESERVE_DROPS                                                                              \
    "lobby_dropped_datagrams_total{reason=\"CONNECT from an address with peers while only the "    \
    "reserve is free\"}"
#define MALFORMED_DROPS    "lobby_dropped_datagrams_total{reason=\"malformed cookie request\"}"
#define REQUEST_RATE_DROPS "lobby_dropped_datagrams_total{reason=\"cookie request over its rate\"}"
#define REQUEST_TOTAL_DROPS                                                                        \
    "lobby_dropped_datagrams_total{reason=\"cookie request over the server-wide rate\"}"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int start(void **state, const char *const *args)
{
    server_proc *sp = calloc(1, sizeof *sp);
    if (sp == NULL || !server_proc_start(sp, args)) {
        free(sp);
        return -1;
    }
    *state = sp;
    return 0;
}

static int setup(void **state)
{
    return start(state, NULL);
}

/* 4 players: 21 peer slots, of which the default reserve keeps 8. The
 * core's own cap on sessions before HELLO from one address is lifted, so
 * that the reserve alone is what stops the holder. */
static int setup_small(void **state)
{
    static const char *const args[] = {"--max-players", "4", "--max-handshakes-per-address",
                                       "64", NULL};
    return start(state, args);
}

static int teardown(void **state)
{
    server_proc *sp = *state;
    server_proc_stop(sp, NULL, NULL);
    free(sp);
    return 0;
}

/* ---- the legit client ----------------------------------------------------- */

static client *start_client(uint16_t port, const char *name, uint16_t version)
{
    client_config cc;
    client_config_defaults(&cc);
    cc.port = port;
    cc.name = name;
    cc.protocol_version = version;
    client *c = NULL;
    return client_create(&cc, clock_now_us(), &c) == CLIENT_OK ? c : NULL;
}

static void pump(client *c, int ms)
{
    struct pollfd pfd = {.fd = client_fd(c), .events = POLLIN};
    poll(&pfd, 1, ms);
    client_update(c, clock_now_us());
}

/* A client core from 127.0.0.1 joins and has one chat acknowledged: the
 * milliseconds that took, or -1 after limit_ms. */
static long join_and_chat_ms(uint16_t port, const char *name, long limit_ms)
{
    uint64_t start = clock_now_us(), end = start + (uint64_t)limit_ms * 1000u;
    client *c = start_client(port, name, PROTO_VERSION);
    assert_non_null(c);
    bool sent = false, acked = false;
    while (!acked && clock_now_us() < end) {
        pump(c, 5);
        if (!sent && client_get_view(c)->state == CLIENT_JOINED) {
            uint32_t id;
            sent = client_send_chat(c, "hello", 5, &id) == CLIENT_OK;
        }
        client_event ev;
        while (client_next_event(c, &ev))
            acked |= ev.type == CLIENT_EV_CHAT_ACK;
    }
    client_destroy(c);
    return acked ? (long)((clock_now_us() - start) / 1000u) : -1;
}

/* ---- flooders --------------------------------------------------------------- */

/* Runs fn(arg) in a child process for FLOOD_MS; returns its pid. */
static pid_t fork_flood(void (*fn)(uint16_t port, uint64_t until_us), uint16_t port)
{
    pid_t pid = fork();
    if (pid == 0) {
        fn(port, clock_now_us() + FLOOD_MS * 1000u);
        _exit(0);
    }
    return pid;
}

static int await_child(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What a host forging 120 source addresses can do, as fast as one process
 * can send: CONNECTs with no cookie or a made-up one, or cookie requests
 * (each of which the server would answer). */
static void spoofed_flood(uint16_t port, uint64_t until_us, bool requests)
{
    int fds[SPOOFED_ADDRESSES];
    for (int i = 0; i < SPOOFED_ADDRESSES; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.30.%d", i + 1);
        if ((fds[i] = raw_socket(ip, port)) < 0)
            _exit(1);
    }
    raw_dgram d;
    uint32_t n = 0;
    while (clock_now_us() < until_us) {
        for (int i = 0; i < SPOOFED_ADDRESSES; i++, n++) {
            if (requests) {
                proto_cookie_request_encode(&(proto_cookie_request){PROTO_VERSION, n}, d.bytes);
                d.len = PROTO_COOKIE_REQUEST_BYTES;
            } else {
                raw_begin(&d, RAW_NO_PEER, 0, true, 1);
                raw_connect(&d, 1, n, 2,
                            n % 2 ? n * 2654435761u : proto_connect_data(PROTO_VERSION));
            }
            send(fds[i], d.bytes, d.len, MSG_DONTWAIT);
        }
    }
}

static void spoofed_connects(uint16_t port, uint64_t until_us)
{
    spoofed_flood(port, until_us, false);
}

static void spoofed_requests(uint16_t port, uint64_t until_us)
{
    spoofed_flood(port, until_us, true);
}

/* One address that owns its address: eight source ports, each with its own
 * valid cookie, CONNECTs as fast as it can send. */
static void cookied_connects(uint16_t port, uint64_t until_us)
{
    int fds[8];
    uint32_t cookies[8];
    for (int i = 0; i < 8; i++) {
        if ((fds[i] = raw_socket("127.0.31.1", port)) < 0)
            _exit(1);
        cookies[i] = raw_cookie_for(fds[i], 0);
    }
    raw_dgram d;
    uint32_t n = 0;
    while (clock_now_us() < until_us) {
        for (int i = 0; i < 8; i++, n++) {
            raw_begin(&d, RAW_NO_PEER, 0, true, 1);
            raw_connect(&d, 1, n, 2, cookies[i]);
            send(fds[i], d.bytes, d.len, MSG_DONTWAIT);
        }
        if (n % 512 == 0)
            sleep_ms(1); /* thousands a second, not a socket buffer's worth */
    }
}

/* ---- ENet hosts from other addresses ------------------------------------- */

static ENetHost *host_at(const char *ip, size_t peers)
{
    ENetAddress a = {.port = 0};
    enet_address_set_host(&a, ip);
    ENetHost *h = enet_host_create(&a, peers, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(h);
    return h;
}

/* Services the hosts for ms; returns the CONNECT events seen. */
static int service_hosts(ENetHost **hosts, int n, long ms)
{
    int connected = 0;
    for (uint64_t end = clock_now_us() + (uint64_t)ms * 1000u; clock_now_us() < end;) {
        for (int i = 0; i < n; i++) {
            ENetEvent ev;
            while (enet_host_service(hosts[i], &ev, 0) > 0) {
                connected += ev.type == ENET_EVENT_TYPE_CONNECT;
                if (ev.type == ENET_EVENT_TYPE_RECEIVE)
                    enet_packet_destroy(ev.packet);
            }
        }
        sleep_ms(2);
    }
    return connected;
}

/* ---- (a) a spoofed CONNECT flood ------------------------------------------ */

static void test_spoofed_flood_takes_no_slot(void **state)
{
    server_proc *sp = *state;
    double drops_before = server_proc_metric(sp, NO_COOKIE_DROPS, METRIC_WAIT_MS);
    pid_t flood = fork_flood(spoofed_connects, sp->port);
    sleep_ms(300);
    long ms = join_and_chat_ms(sp->port, "legit", LEGIT_LIMIT_MS);
    sleep_ms(1100); /* the gauge is sampled once a second */
    double peers = server_proc_metric(sp, "lobby_enet_peers_in_use", METRIC_WAIT_MS);
    double drops = server_proc_metric(sp, NO_COOKIE_DROPS, METRIC_WAIT_MS);
    assert_int_equal(await_child(flood), 0);
    printf("# spoofed flood from %d addresses: legit join + chat ack in %ld ms; %g peers in "
           "use; %g CONNECTs dropped without a cookie\n",
           SPOOFED_ADDRESSES, ms, peers, drops - drops_before);
    assert_true(ms >= 0 && ms <= LEGIT_LIMIT_MS);
    assert_true(peers >= 0 && peers <= 1); /* the legit client's, if it is not gone yet */
    assert_true(drops - drops_before > 1000);
}

/* Forged cookie requests: each address gets a few answers, the rest are
 * dropped at the cost of a lookup, so the server keeps up with its socket
 * and a real request still gets its answer. */
static void test_spoofed_cookie_requests_lock_nobody_out(void **state)
{
    server_proc *sp = *state;
    pid_t flood = fork_flood(spoofed_requests, sp->port);
    sleep_ms(300);
    long ms = join_and_chat_ms(sp->port, "legit", LEGIT_LIMIT_MS);
    assert_int_equal(await_child(flood), 0);
    sleep_ms(100);
    double drops = server_proc_metric(sp, REQUEST_RATE_DROPS, METRIC_WAIT_MS) +
                   server_proc_metric(sp, REQUEST_TOTAL_DROPS, METRIC_WAIT_MS);
    printf("# spoofed cookie requests from %d addresses: legit join + chat ack in %ld ms; "
           "%g requests dropped over their address's or the server-wide rate\n",
           SPOOFED_ADDRESSES, ms, drops);
    assert_true(ms >= 0 && ms <= LEGIT_LIMIT_MS);
    assert_true(drops > 1000);
}

/* A cookie is bound to the address and port it was given to. */
static void test_cookie_of_another_address_is_refused(void **state)
{
    server_proc *sp = *state;
    int owner = raw_socket("127.0.35.1", sp->port), thief = raw_socket("127.0.35.2", sp->port);
    assert_true(owner >= 0 && thief >= 0);
    uint32_t cookie = raw_cookie_for(owner, 0);
    double before = server_proc_metric(sp, NO_COOKIE_DROPS, METRIC_WAIT_MS);
    raw_dgram d;
    raw_begin(&d, RAW_NO_PEER, 0, true, 1);
    raw_connect(&d, 1, 7, 2, cookie);
    assert_true(raw_send(thief, &d));
    struct pollfd pfd = {.fd = thief, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 500), 0); /* never answered */
    assert_true(server_proc_metric(sp, NO_COOKIE_DROPS, METRIC_WAIT_MS) == before + 1);
    /* The owner's own CONNECT with it goes through. */
    raw_peer p = {.fd = owner};
    assert_true(raw_handshake(&p, 8, 2000));
    close(owner);
    close(thief);
}

/* ---- (b) one address's flood does not spend the others' budget ---------- */

static void test_one_address_flood_spares_the_others(void **state)
{
    server_proc *sp = *state;
    pid_t flood = fork_flood(cookied_connects, sp->port);
    sleep_ms(500);
    ENetHost *hosts[OTHER_ADDRESSES];
    for (int i = 0; i < OTHER_ADDRESSES; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.32.%d", i + 1);
        hosts[i] = host_at(ip, 1);
        assert_non_null(raw_enet_connect(hosts[i], sp->port, PROTO_CHANNEL_COUNT));
    }
    int connected = service_hosts(hosts, OTHER_ADDRESSES, 2000);
    double rate_drops = server_proc_metric(sp, RATE_DROPS, METRIC_WAIT_MS);
    assert_int_equal(await_child(flood), 0);
    printf("# one address at thousands of cookied CONNECTs/s: %d of %d other addresses "
           "connected; %g dropped over its rate\n",
           connected, OTHER_ADDRESSES, rate_drops);
    for (int i = 0; i < OTHER_ADDRESSES; i++)
        enet_host_destroy(hosts[i]);
    assert_int_equal(connected, OTHER_ADDRESSES);
    assert_true(rate_drops > 1000);
}

/* ---- (c) the reserve -------------------------------------------------------- */

/* One address takes what it can of 21 slots: it stops at the reserve (8),
 * and a new address still gets in and chats. */
static void test_reserve_lets_a_new_address_in(void **state)
{
    server_proc *sp = *state;
    enum { SLOTS = 4 + 4 / 4 + 16, RESERVE = 8 };
    ENetHost *holder = host_at("127.0.33.1", SLOTS);
    for (int i = 0; i < SLOTS; i++)
        assert_non_null(raw_enet_connect(holder, sp->port, PROTO_CHANNEL_COUNT));
    int held = service_hosts(&holder, 1, 1500);
    printf("# one address holds %d of %d slots\n", held, SLOTS);
    assert_int_equal(held, SLOTS - RESERVE);
    assert_true(server_proc_metric(sp, RESERVE_DROPS, METRIC_WAIT_MS) > 0);
    long ms = join_and_chat_ms(sp->port, "newcomer", LEGIT_LIMIT_MS);
    printf("# a new address joined and chatted in %ld ms\n", ms);
    assert_true(ms >= 0);
    enet_host_destroy(holder);
}

/* ---- (d) versions -------------------------------------------------------- */

static void test_version_mismatch_in_the_cookie_exchange(void **state)
{
    server_proc *sp = *state;
    int fd = raw_socket("127.0.34.1", sp->port);
    assert_true(fd >= 0);
    proto_cookie_reply reply;
    assert_true(raw_cookie(fd, 0, PROTO_VERSION + 1, &reply, 2000));
    assert_int_equal(reply.status, PROTO_COOKIE_VERSION_MISMATCH);
    assert_int_equal(reply.version, PROTO_VERSION);
    assert_int_equal(reply.cookie, 0);
    /* A request of the wrong size is dropped, counted and not answered. */
    uint8_t shorter[PROTO_COOKIE_REQUEST_BYTES - 1] = {'L', 'B', 'Y', 'Q'};
    assert_int_equal(send(fd, shorter, sizeof shorter, 0), (ssize_t)sizeof shorter);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 300), 0);
    assert_true(server_proc_metric(sp, MALFORMED_DROPS, METRIC_WAIT_MS) == 1);
    close(fd);

    /* The client core says which versions differ, and does not retry. */
    client *c = start_client(sp->port, "future", PROTO_VERSION + 1);
    assert_non_null(c);
    for (uint64_t end = clock_now_us() + 2000000u;
         client_get_view(c)->state == CLIENT_CONNECTING && clock_now_us() < end;)
        pump(c, 5);
    const client_view *v = client_get_view(c);
    assert_int_equal(v->state, CLIENT_REJECTED);
    assert_int_equal(v->reason, PROTO_REASON_VERSION_MISMATCH);
    char want[96];
    snprintf(want, sizeof want, "server speaks protocol version %d, client version %d",
             PROTO_VERSION, PROTO_VERSION + 1);
    assert_string_equal(v->reason_text, want);
    client_destroy(c);
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spoofed_flood_takes_no_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spoofed_cookie_requests_lock_nobody_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cookie_of_another_address_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_address_flood_spares_the_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_lets_a_new_address_in, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_version_mismatch_in_the_cookie_exchange, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return failed;
}
