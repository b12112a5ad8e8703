/* Seats, browse slots and lobbies charged to whoever holds them (issue 16,
 * items 1, 2, 6 and 10), against the real lobby-server process over
 * loopback. Attackers are crowds of real ENet peers bound to 127.0.X.Y
 * (X >= 1); the legit player joins from 127.0.0.1, another address to the
 * server. Each test runs the attack, checks that the legit player gets in
 * within a few seconds and that the quota's metric moved.
 *
 * A crowd is one ENet host (one address, one port) with up to CROWD_MAX
 * peers to the server, each a session of its own: ENet tells peers of one
 * address and port apart by their connect id. */
#include "client.h"
#include "clock.h"
#include "enet_raw.h"
#include "proto.h"
#include "server_proc.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum {
    CROWD_MAX = 64,
    LEGIT_LIMIT_MS = 5000, /* a legit player gets in within this */
    METRIC_WAIT_MS = 3000,
};

typedef struct crowd {
    ENetHost *host;
    proto_msg hello; /* sent on connect; the name gets the peer's index appended */
    char prefix[16];
    char names[CROWD_MAX][24];
    size_t peers;
    bool welcomed[CROWD_MAX];
    bool browsing[CROWD_MAX];
    bool gone[CROWD_MAX];
    uint8_t rejected[CROWD_MAX]; /* REJECT's reason; 0: none */
    uint16_t id[CROWD_MAX];      /* WELCOME's your_id */
    uint16_t joined_id;          /* the last PLAYER_JOINED any peer heard */
    uint8_t refused;             /* the last LOBBY_REFUSED reason any peer got */
    char text[256];              /* the last REJECT or LOBBY_REFUSED text */
} crowd;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void keep_text(crowd *c, proto_str text)
{
    snprintf(c->text, sizeof c->text, "%.*s", (int)text.len, text.bytes);
}

static void crowd_send(crowd *c, size_t i, const proto_msg *m)
{
    uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int len = proto_encode(m, buf, sizeof buf);
    assert_true(len > 0);
    ENetPacket *pk = enet_packet_create(buf, (size_t)len, ENET_PACKET_FLAG_RELIABLE);
    assert_int_equal(enet_peer_send(&c->host->peers[i], PROTO_CHANNEL_RELIABLE, pk), 0);
}

static void on_message(crowd *c, size_t i, const ENetPacket *pk)
{
    proto_msg m;
    if (proto_decode(pk->data, pk->dataLength, &m) != PROTO_OK)
        return;
    if (m.type == PROTO_WELCOME) {
        c->welcomed[i] = true;
        c->browsing[i] = false;
        c->id[i] = m.u.welcome.your_id;
    } else if (m.type == PROTO_LOBBY_EXITED) {
        c->browsing[i] = true;
        c->welcomed[i] = false;
    } else if (m.type == PROTO_PLAYER_JOINED) {
        c->joined_id = m.u.joined.id;
    } else if (m.type == PROTO_REJECT) {
        c->rejected[i] = m.u.reject.reason;
        keep_text(c, m.u.reject.text);
    } else if (m.type == PROTO_LOBBY_REFUSED) {
        c->refused = m.u.lobby_refused.reason;
        keep_text(c, m.u.lobby_refused.text);
    }
}

/* Services the crowd's host for ms milliseconds: hellos on connect,
 * messages noted, disconnects noted. */
static void crowd_pump(crowd *c, long ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000u;
    do {
        ENetEvent ev;
        while (enet_host_service(c->host, &ev, 1) > 0) {
            size_t i = (size_t)(ev.peer - c->host->peers);
            if (ev.type == ENET_EVENT_TYPE_CONNECT) {
                proto_msg hello = c->hello;
                snprintf(c->names[i], sizeof c->names[i], "%s%zu", c->prefix, i);
                hello.u.hello.name = proto_str_from_cstr(c->names[i]);
                crowd_send(c, i, &hello);
            } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                on_message(c, i, ev.packet);
                enet_packet_destroy(ev.packet);
            } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
                c->gone[i] = true;
            }
        }
    } while (clock_now_us() < end);
}

/* A crowd of `peers` sessions from ip, each saying hello with mode (to the
 * lobby for a JOIN) under the name prefix + its index. */
static crowd *crowd_start(const server_proc *sp, const char *ip, size_t peers, uint8_t mode,
                          const char *lobby, const char *prefix)
{
    crowd *c = calloc(1, sizeof *c);
    assert_non_null(c);
    ENetAddress me = {.port = 0};
    assert_int_equal(enet_address_set_host_ip(&me, ip), 0);
    c->host = enet_host_create(&me, peers, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(c->host);
    c->peers = peers;
    snprintf(c->prefix, sizeof c->prefix, "%s", prefix);
    c->hello.type = PROTO_HELLO;
    c->hello.u.hello.mode = mode;
    c->hello.u.hello.lobby = proto_str_from_cstr(lobby);
    for (size_t i = 0; i < peers; i++)
        assert_non_null(raw_enet_connect(c->host, sp->port, PROTO_CHANNEL_COUNT));
    return c;
}

static size_t count_true(const bool *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += v[i];
    return k;
}

/* n sessions from ip saying hello with mode (names prefix + index), pumped
 * until all are in: WELCOME for a JOIN, LOBBY_EXITED for a BROWSE. */
static crowd *all_in(const server_proc *sp, const char *ip, size_t n, uint8_t mode,
                     const char *lobby, const char *prefix)
{
    crowd *c = crowd_start(sp, ip, n, mode, lobby, prefix);
    const bool *in = mode == PROTO_HELLO_BROWSE ? c->browsing : c->welcomed;
    for (int t = 0; t < 200 && count_true(in, n) < n; t++)
        crowd_pump(c, 10);
    assert_int_equal(count_true(in, n), n);
    return c;
}

static crowd *one_in(const server_proc *sp, const char *ip, uint8_t mode, const char *lobby,
                     const char *name)
{
    return all_in(sp, ip, 1, mode, lobby, name);
}

/* Drops the crowd without a word: to the server its peers time out. */
static void crowd_vanish(crowd *c)
{
    enet_host_destroy(c->host);
    free(c);
}

/* ---- the legit player: a client core from 127.0.0.1 ----------------------- */

/* How long a fresh client core takes to get into lobby as name, in ms; -1
 * when it is not in within LEGIT_LIMIT_MS. */
static long legit_join_ms(const server_proc *sp, const char *name, const char *lobby)
{
    client_config cc;
    client_config_defaults(&cc);
    cc.host = "127.0.0.1";
    cc.port = sp->port;
    cc.name = name;
    cc.lobby = lobby;
    client *c = NULL;
    uint64_t start = clock_now_us();
    if (client_create(&cc, start, &c) != CLIENT_OK)
        return -1;
    uint64_t end = start + LEGIT_LIMIT_MS * 1000u;
    while (client_get_view(c)->state != CLIENT_JOINED &&
           client_get_view(c)->state != CLIENT_REJECTED && clock_now_us() < end) {
        struct pollfd pfd = {.fd = client_fd(c), .events = POLLIN};
        poll(&pfd, 1, 5);
        client_update(c, clock_now_us());
    }
    bool joined = client_get_view(c)->state == CLIENT_JOINED;
    client_destroy(c);
    return joined ? (long)((clock_now_us() - start) / 1000) : -1;
}

static double metric(const server_proc *sp, const char *sample)
{
    return server_proc_metric(sp, sample, METRIC_WAIT_MS);
}

/* Scrapes until sample reaches at least want; fails with what it read last. */
static void expect_metric_at_least(const server_proc *sp, const char *sample, double want)
{
    double got = -1;
    for (uint64_t end = clock_now_us() + METRIC_WAIT_MS * 1000u; clock_now_us() < end; sleep_ms(20))
        if ((got = metric(sp, sample)) >= want)
            return;
    fail_msg("%s is %g, want at least %g", sample, got, want);
}

/* The running test's server, stopped by the teardown even when the test
 * failed half way. */
static server_proc *running_server;

static server_proc *start_server(const char *const *args)
{
    server_proc *sp = calloc(1, sizeof *sp);
    assert_non_null(sp);
    assert_true(server_proc_start(sp, args));
    running_server = sp;
    return sp;
}

static void stop_server(server_proc *sp)
{
    int code = -1;
    running_server = NULL;
    server_proc_stop(sp, &code, NULL);
    free(sp);
    assert_int_equal(code, 0);
}

static int teardown(void **state)
{
    (void)state;
    if (running_server != NULL)
        stop_server(running_server);
    return 0;
}

/* ---- held seats ------------------------------------------------------------ */

/* One address joins `main` and vanishes, four players at a time, over and
 * over: on 003083f each vanished player's seat was held for --grace-ms, so
 * 16 filled `main` and 256 the server. Now the address keeps at most
 * --max-held-seats-per-holder held seats (the oldest are given up), and the
 * legit player gets in. */
static void test_held_seat_flood(void **state)
{
    (void)state;
    static const char *const args[] = {"--timeout-ms", "400", NULL};
    server_proc *sp = start_server(args);
    char prefix[16];
    for (int round = 0; round < 6; round++) {
        snprintf(prefix, sizeof prefix, "sq%d-", round);
        crowd *c = crowd_start(sp, "127.0.1.1", 4, PROTO_HELLO_JOIN, "main", prefix);
        for (int t = 0; t < 200 && count_true(c->welcomed, c->peers) < c->peers; t++)
            crowd_pump(c, 10);
        if (count_true(c->welcomed, c->peers) < c->peers)
            printf("# round %d: %zu of 4 joined main; '%s'\n", round,
                   count_true(c->welcomed, c->peers), c->text);
        assert_int_equal(count_true(c->welcomed, c->peers), c->peers);
        crowd_vanish(c);
        /* Each round's seats are held before the next joins. */
        expect_metric_at_least(sp, "lobby_seats_held_total", 4.0 * (round + 1));
    }
    expect_metric_at_least(sp, "lobby_quota_hits_total{quota=\"held_seats\"}", 20);
    long ms = legit_join_ms(sp, "legit", "main");
    printf("# held-seat flood: 24 seats vanished from one address, %g given up; a legit player "
           "joined main in %ld ms\n",
           metric(sp, "lobby_quota_hits_total{quota=\"held_seats\"}"), ms);
    assert_true(ms >= 0);
    stop_server(sp);
}

static size_t count_rejected(const crowd *c, uint8_t reason)
{
    size_t k = 0;
    for (size_t i = 0; i < c->peers; i++)
        k += c->rejected[i] == reason;
    return k;
}

/* One address cannot take more than its share of `main` (half its 16
 * seats) even with live players; the refusal says why. */
static void test_one_address_cannot_fill_main(void **state)
{
    (void)state;
    server_proc *sp = start_server(NULL);
    crowd *first = all_in(sp, "127.0.1.2", 8, PROTO_HELLO_JOIN, "main", "fill");
    crowd *more = crowd_start(sp, "127.0.1.2", 8, PROTO_HELLO_JOIN, "main", "more");
    for (int t = 0; t < 200 && count_rejected(more, PROTO_REASON_QUOTA) < 8; t++) {
        crowd_pump(more, 5);
        crowd_pump(first, 5);
    }
    printf("# one address asked for all 16 seats of main: %zu granted; '%s'\n",
           count_true(first->welcomed, 8) + count_true(more->welcomed, 8), more->text);
    assert_int_equal(count_rejected(more, PROTO_REASON_QUOTA), 8);
    assert_non_null(strstr(more->text, "seats of lobby 'main'"));
    expect_metric_at_least(sp, "lobby_quota_hits_total{quota=\"lobby_share\"}", 8);
    expect_metric_at_least(sp, "lobby_rejects_total{reason=\"quota\"}", 8);
    assert_true(legit_join_ms(sp, "legit", "main") >= 0);
    crowd_vanish(more);
    crowd_vanish(first);
    stop_server(sp);
}

/* ---- an explicit disconnect is a leave ------------------------------------ */

/* alice disconnects with ENet data 0 (which 003083f took for a timeout and
 * held her seat, and her name, for 30 s): now her name is free at once. */
static void test_goodbye_frees_the_seat_at_once(void **state)
{
    (void)state;
    server_proc *sp = start_server(NULL);
    crowd *c = one_in(sp, "127.0.2.1", PROTO_HELLO_JOIN, "main", "alice");
    enet_peer_disconnect(&c->host->peers[0], 0);
    for (int t = 0; t < 200 && !c->gone[0]; t++)
        crowd_pump(c, 10);
    assert_true(c->gone[0]);
    long ms = legit_join_ms(sp, "alice0", "main");
    printf("# alice said goodbye; her name was free again after %ld ms (-1: not within %d)\n", ms,
           LEGIT_LIMIT_MS);
    assert_true(ms >= 0 && ms < 2000);
    expect_metric_at_least(sp, "lobby_goodbyes_total", 1);
    assert_int_equal(metric(sp, "lobby_seats_held_total"), 0);
    crowd_vanish(c);
    stop_server(sp);
}

/* ---- browse slots ------------------------------------------------------------ */

/* 6 addresses x 64 browsing sessions took every one of 003083f's 320
 * session slots, indefinitely. Now each address gets a few, and the legit
 * player from another address joins. */
static void test_browse_slot_flood(void **state)
{
    (void)state;
    server_proc *sp = start_server(NULL);
    crowd *crowds[6];
    char ip[32];
    for (int a = 0; a < 6; a++) {
        snprintf(ip, sizeof ip, "127.0.3.%d", a + 1);
        crowds[a] = crowd_start(sp, ip, CROWD_MAX, PROTO_HELLO_BROWSE, "", "b");
    }
    for (int t = 0; t < 30; t++)
        for (int a = 0; a < 6; a++)
            crowd_pump(crowds[a], 20);
    size_t browsing = 0;
    for (int a = 0; a < 6; a++)
        browsing += count_true(crowds[a]->browsing, CROWD_MAX);
    long ms = legit_join_ms(sp, "legit", "main");
    printf("# 6 addresses x 64 browse sessions: %zu at the list; a legit player joined in %ld ms "
           "(-1: not within %d)\n",
           browsing, ms, LEGIT_LIMIT_MS);
    assert_true(browsing <= 6 * 8);
    assert_true(ms >= 0);
    expect_metric_at_least(sp, "lobby_quota_hits_total{quota=\"browsing\"}", 6);
    for (int a = 0; a < 6; a++)
        crowd_vanish(crowds[a]);
    stop_server(sp);
}

/* A browsing session that sends no lobby request is closed, ENet pings
 * notwithstanding (the crowd's host is serviced all along); one address
 * cannot have more than its share at the list. */
static void test_idle_browser_is_closed(void **state)
{
    (void)state;
    static const char *const args[] = {"--browse-idle-ms", "800", NULL};
    server_proc *sp = start_server(args);
    crowd *c = all_in(sp, "127.0.3.7", 8, PROTO_HELLO_BROWSE, "", "idle");
    crowd *ninth = crowd_start(sp, "127.0.3.7", 1, PROTO_HELLO_BROWSE, "", "ninth");
    for (int t = 0; t < 50 && ninth->rejected[0] == 0; t++) {
        crowd_pump(ninth, 5);
        crowd_pump(c, 5);
    }
    assert_int_equal(ninth->rejected[0], PROTO_REASON_QUOTA);
    expect_metric_at_least(sp, "lobby_quota_hits_total{quota=\"browsing\"}", 1);
    for (int t = 0; t < 200 && count_rejected(c, PROTO_REASON_IDLE) < 8; t++)
        crowd_pump(c, 10);
    assert_int_equal(count_rejected(c, PROTO_REASON_IDLE), 8);
    expect_metric_at_least(sp, "lobby_quota_hits_total{quota=\"browse_idle\"}", 8);
    crowd_vanish(ninth);
    crowd_vanish(c);
    stop_server(sp);
}

/* ---- lobby slots ---------------------------------------------------------------- */

static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *at = text; (at = strstr(at, prefix)) != NULL; at++)
        n++;
    return n;
}

/* A text client from ip: sends `send` in one write, reads what comes back
 * for wait_ms, closes. The bytes read (NUL-terminated) go to reply. */
static void text_client_from(const char *ip, uint16_t tcp_port, const char *send_text, long wait_ms,
                             char *reply, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &me.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    to.sin_port = htons(tcp_port);
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    size_t len = strlen(send_text);
    assert_int_equal(send(fd, send_text, len, 0), (ssize_t)len);
    size_t got = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    for (uint64_t end = clock_now_us() + (uint64_t)wait_ms * 1000u;
         clock_now_us() < end && got < cap - 1 && poll(&pfd, 1, 20) >= 0;) {
        ssize_t n = (pfd.revents & POLLIN) ? recv(fd, reply + got, cap - 1 - got, 0) : 0;
        if (n < 0 || ((pfd.revents & POLLIN) && n == 0))
            break;
        got += (size_t)n;
    }
    reply[got] = '\0';
    close(fd);
}

static void send_create(crowd *c, size_t i, const char *name)
{
    proto_msg m = {.type = PROTO_CREATE_LOBBY};
    m.u.create_lobby.name = proto_str_from_cstr(name);
    crowd_send(c, i, &m);
}

/* One TCP write of /join x1..x100 opened 62 lobbies in 2 ms on 003083f, and
 * CREATE 10 a second; then every player's create was refused. Now each
 * address opens at most --max-lobbies-per-holder, through either port. */
static void test_lobby_creation_flood(void **state)
{
    (void)state;
    server_proc *sp = start_server(NULL);
    char flood[100 * 16], name[16];
    static char reply[1 << 14];
    char ip[32];
    for (int a = 0; a < 4; a++) { /* four text addresses, each its own names */
        size_t used = 0;
        for (int i = 1; i <= 100; i++)
            used += (size_t)snprintf(flood + used, sizeof flood - used, "/join t%d-x%d\n", a, i);
        snprintf(ip, sizeof ip, "127.0.5.%d", a + 1);
        text_client_from(ip, sp->tcp_port, flood, 300, reply, sizeof reply);
        printf("# text address %d: %d lobbies opened by 100 /join in one write\n", a,
               count_lines(reply, "joined t"));
        assert_non_null(strstr(reply, "-x3\n"));
        assert_null(strstr(reply, "-x4\n"));
        assert_non_null(strstr(reply, "share of lobbies"));
    }
    crowd *c[4];
    for (int a = 0; a < 4; a++) {
        snprintf(ip, sizeof ip, "127.0.4.%d", a + 1);
        c[a] = one_in(sp, ip, PROTO_HELLO_BROWSE, "", "maker");
        for (int i = 1; i <= 20; i++) { /* the lobby-request burst */
            snprintf(name, sizeof name, "a%d-%d", a, i);
            send_create(c[a], 0, name);
        }
        crowd_pump(c[a], 200);
        assert_int_equal(c[a]->refused, PROTO_LOBBY_QUOTA);
        assert_non_null(strstr(c[a]->text, "lobbies open"));
    }
    double open = metric(sp, "lobby_lobbies_open");
    printf("# lobby flood: 4 text addresses x 100 /join and 4 addresses x 20 CREATE: %g lobbies "
           "open (main included)\n",
           open);
    assert_true(open >= 1 && open <= 1 + 8 * 3); /* main, and 3 per address */
    expect_metric_at_least(sp, "lobby_quota_hits_total{quota=\"lobbies_open\"}", 4);
    /* The legit player creates its lobby. */
    crowd *legit = one_in(sp, "127.0.0.1", PROTO_HELLO_BROWSE, "", "legit");
    send_create(legit, 0, "legit game");
    for (int t = 0; t < 200 && !legit->welcomed[0]; t++)
        crowd_pump(legit, 10);
    assert_true(legit->welcomed[0]);
    crowd_vanish(legit);
    for (int a = 0; a < 4; a++)
        crowd_vanish(c[a]);
    stop_server(sp);
}

/* ---- kick bans by holder ----------------------------------------------------------- */

/* After the owner kicks bob, the same address is refused as b0b for the
 * cool-down (003083f let b0b in at once); another address is not. */
static void test_kick_ban_by_holder(void **state)
{
    (void)state;
    server_proc *sp = start_server(NULL);
    crowd *owner = one_in(sp, "127.0.0.1", PROTO_HELLO_JOIN, "party", "owner");
    crowd *bob = crowd_start(sp, "127.0.6.1", 1, PROTO_HELLO_JOIN, "party", "bob");
    for (int t = 0; t < 200 && !bob->welcomed[0]; t++) {
        crowd_pump(bob, 5);
        crowd_pump(owner, 5);
    }
    assert_true(bob->welcomed[0]);
    for (int t = 0; t < 100 && owner->joined_id != bob->id[0]; t++)
        crowd_pump(owner, 10);
    proto_msg kick = {.type = PROTO_KICK};
    kick.u.kick.player_id = bob->id[0];
    crowd_send(owner, 0, &kick);
    for (int t = 0; t < 200 && !bob->browsing[0]; t++) {
        crowd_pump(owner, 5);
        crowd_pump(bob, 5);
    }
    assert_true(bob->browsing[0]);
    crowd *b0b = crowd_start(sp, "127.0.6.1", 1, PROTO_HELLO_JOIN, "party", "b0b");
    for (int t = 0; t < 200 && b0b->rejected[0] == 0 && !b0b->welcomed[0]; t++)
        crowd_pump(b0b, 10);
    printf("# kicked bob came back as b0b from his address: %s\n", b0b->text);
    assert_int_equal(b0b->rejected[0], PROTO_REASON_KICKED);
    expect_metric_at_least(sp, "lobby_rejects_total{reason=\"kicked\"}", 1);
    crowd *carol = one_in(sp, "127.0.7.1", PROTO_HELLO_JOIN, "party", "carol");
    crowd_vanish(carol);
    crowd_vanish(b0b);
    crowd_vanish(bob);
    crowd_vanish(owner);
    stop_server(sp);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_held_seat_flood, teardown),
        cmocka_unit_test_teardown(test_one_address_cannot_fill_main, teardown),
        cmocka_unit_test_teardown(test_goodbye_frees_the_seat_at_once, teardown),
        cmocka_unit_test_teardown(test_browse_slot_flood, teardown),
        cmocka_unit_test_teardown(test_idle_browser_is_closed, teardown),
        cmocka_unit_test_teardown(test_lobby_creation_flood, teardown),
        cmocka_unit_test_teardown(test_kick_ban_by_holder, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
