/* What a normal ENet client may send that the protocol does not allow,
 * against the real lobby-server process over loopback, with client cores
 * (client_send_raw for what they would never send themselves) and a bare
 * ENet host: an empty packet must cost the connection nothing but a
 * malformed count, a message on the wrong channel is dropped and counted, a
 * peer with too few channels is refused at connect, and a position from the
 * lobby list is stale only while it can have been in flight. The server's
 * /metrics says how each was counted. */
#include "client.h"
#include "clock.h"
#include "proto.h"
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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum {
    /* What must happen at all: a loopback round trip takes about a
     * millisecond, so these only bound a wait for something that, broken,
     * never comes (an unacknowledged chat is resent until ENet gives up). */
    ARRIVAL_LIMIT_MS = 3000,
    /* How long something that must not come is waited for. */
    QUIET_MS = 300,
    MAX_ACKS = 16,
    /* Message ids the client core itself would not pick this soon. */
    RAW_MSG_ID = 7777,
};

#define EMPTY_MALFORMED "lobby_malformed_messages_total{reason=\"empty\"}"
#define WRONG_CHANNEL   "lobby_malformed_messages_total{reason=\"wrong_channel\"}"
#define WRONG_STATE     "lobby_malformed_messages_total{reason=\"wrong_state\"}"
#define STALE_POSITIONS "lobby_positions_stale_total"

typedef struct fixture {
    server_proc server;
} fixture;

/* A client core and what it has seen. */
typedef struct player {
    client *c;
    uint32_t acked[MAX_ACKS]; /* msg_ids of CHAT_ACKs */
    size_t acks;
    size_t refusals; /* CHAT_REFUSED */
    size_t relays;   /* CHAT from others */
    size_t positions;
} player;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || !server_proc_start(&f->server, NULL)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    server_proc_stop(&f->server, NULL, NULL);
    free(f);
    return 0;
}

/* ---- /metrics ------------------------------------------------------------ */

/* The value of one sample of the server's /metrics (server_proc_metric). */
static double metric(const fixture *f, const char *sample)
{
    return server_proc_metric(f->server.http_port, sample);
}

/* Scrapes until the sample reads want (the server counts within a loop pass
 * of receiving); fails the test with what it read last. */
static void expect_metric(const fixture *f, const char *sample, double want)
{
    double got = -1;
    for (uint64_t end = clock_now_us() + ARRIVAL_LIMIT_MS * 1000u; clock_now_us() < end;
         sleep_ms(10))
        if ((got = metric(f, sample)) == want)
            return;
    fail_msg("%s is %g, want %g", sample, got, want);
}

/* ---- client cores ------------------------------------------------------- */

static void record(player *p, const client_event *ev)
{
    switch (ev->type) {
    case CLIENT_EV_CHAT_ACK:
        if (p->acks < MAX_ACKS)
            p->acked[p->acks++] = ev->chat_ack.msg_id;
        break;
    case CLIENT_EV_CHAT_REFUSED:
        p->refusals++;
        break;
    case CLIENT_EV_CHAT:
        p->relays++;
        break;
    case CLIENT_EV_POSITION:
        p->positions++;
        break;
    default:
        break;
    }
}

/* One round: waits up to 5 ms for traffic, then updates every player. */
static void pump_once(player *ps, int n)
{
    struct pollfd fds[4];
    for (int i = 0; i < n; i++)
        fds[i] = (struct pollfd){.fd = client_fd(ps[i].c), .events = POLLIN};
    poll(fds, (nfds_t)n, 5);
    for (int i = 0; i < n; i++) {
        client_update(ps[i].c, clock_now_us());
        client_event ev;
        while (client_next_event(ps[i].c, &ev))
            record(&ps[i], &ev);
    }
}

static void pump_for(player *ps, int n, int ms)
{
    for (uint64_t end = clock_now_us() + (uint64_t)ms * 1000u; clock_now_us() < end;)
        pump_once(ps, n);
}

typedef bool (*condition)(const player *p, uint32_t arg);

/* Pumps until cond(watched, arg) holds; false after limit_ms. */
static bool pump_until(player *ps, int n, const player *watched, condition cond, uint32_t arg,
                       int limit_ms)
{
    for (uint64_t end = clock_now_us() + (uint64_t)limit_ms * 1000u; clock_now_us() < end;) {
        pump_once(ps, n);
        if (cond(watched, arg))
            return true;
    }
    return cond(watched, arg);
}

static bool in_state(const player *p, uint32_t state)
{
    return client_get_view(p->c)->state == (client_state)state;
}

static bool has_ack(const player *p, uint32_t msg_id)
{
    for (size_t i = 0; i < p->acks; i++)
        if (p->acked[i] == msg_id)
            return true;
    return false;
}

static bool has_positions(const player *p, uint32_t n)
{
    return p->positions >= n;
}

/* Connects n players named after their index to the default lobby and
 * waits until all are in. */
static void join_all(const fixture *f, player *ps, int n)
{
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "player%d", i);
        client_config cc;
        client_config_defaults(&cc);
        cc.host = "127.0.0.1";
        cc.port = f->server.port;
        cc.name = name;
        memset(&ps[i], 0, sizeof ps[i]);
        assert_int_equal(client_create(&cc, clock_now_us(), &ps[i].c), CLIENT_OK);
    }
    for (int i = 0; i < n; i++)
        assert_true(pump_until(ps, n, &ps[i], in_state, CLIENT_JOINED, ARRIVAL_LIMIT_MS));
}

static void destroy_all(player *ps, int n)
{
    for (int i = 0; i < n; i++)
        client_destroy(ps[i].c);
}

static size_t encode(const proto_msg *m, uint8_t *buf, size_t cap)
{
    int n = proto_encode(m, buf, cap);
    assert_true(n > 0);
    return (size_t)n;
}

static size_t position_bytes(uint32_t seq, uint8_t *buf, size_t cap)
{
    proto_msg m = {.type = PROTO_POSITION};
    m.u.position.seq = seq;
    m.u.position.x = 100.0f;
    m.u.position.y = 100.0f;
    return encode(&m, buf, cap);
}

/* Sends a chat and waits for its acknowledgement. */
static void chat_is_acked(player *ps, int n, player *from, const char *text)
{
    uint32_t id;
    assert_int_equal(client_send_chat(from->c, text, strlen(text), &id), CLIENT_OK);
    if (!pump_until(ps, n, from, has_ack, id, ARRIVAL_LIMIT_MS))
        fail_msg("chat '%s' was not acknowledged within %d ms", text, ARRIVAL_LIMIT_MS);
}

/* ---- (a) an empty packet ------------------------------------------------ */

/* A packet of no bytes on channel 0, sent reliably, then a chat. The filter
 * used to drop the empty packet's datagram: ENet resent it until it gave up
 * on the connection, and the chat, queued behind it on channel 0, was never
 * acknowledged. Now the empty packet is counted as malformed and the chat
 * acknowledged. */
static void empty_packet_then_chat(fixture *f, bool same_datagram)
{
    player p;
    join_all(f, &p, 1);
    assert_int_equal(client_send_raw(p.c, PROTO_CHANNEL_RELIABLE, NULL, 0, true), CLIENT_OK);
    /* Sends whatever is queued: the empty packet alone in its datagram. */
    if (!same_datagram)
        client_update(p.c, clock_now_us());
    /* Queued before the same flush, ENet packs both into one datagram. */
    chat_is_acked(&p, 1, &p, "after an empty packet");
    chat_is_acked(&p, 1, &p, "and another");
    assert_int_equal(client_get_view(p.c)->state, CLIENT_JOINED);
    assert_int_equal(p.refusals, 0);
    expect_metric(f, EMPTY_MALFORMED, 1);
    expect_metric(f, "lobby_kicks_total{reason=\"malformed\"}", 0);
    destroy_all(&p, 1);
}

static void test_empty_packet_then_chat_in_a_later_datagram(void **state)
{
    empty_packet_then_chat(*state, false);
}

static void test_empty_packet_and_chat_in_one_datagram(void **state)
{
    empty_packet_then_chat(*state, true);
}

/* ---- (b) the wrong channel ---------------------------------------------- */

/* A POSITION sent reliably on channel 0 is not relayed; one on channel 1
 * still is. */
static void test_position_on_channel_0_is_not_relayed(void **state)
{
    fixture *f = *state;
    player ps[2];
    join_all(f, ps, 2);
    uint8_t buf[64];
    size_t n = position_bytes(1, buf, sizeof buf);
    assert_int_equal(client_send_raw(ps[0].c, PROTO_CHANNEL_RELIABLE, buf, n, true), CLIENT_OK);
    /* Behind it on channel 0: once this is acknowledged, the position was
     * taken in; a relay would go out with the next snapshot tick. */
    chat_is_acked(ps, 2, &ps[0], "after a position on channel 0");
    pump_for(ps, 2, QUIET_MS);
    assert_int_equal(ps[1].positions, 0);
    expect_metric(f, WRONG_CHANNEL, 1);
    expect_metric(f, STALE_POSITIONS, 0);
    assert_int_equal(client_send_position(ps[0].c, 200.0f, 200.0f, clock_now_us()), CLIENT_OK);
    assert_true(pump_until(ps, 2, &ps[1], has_positions, 1, ARRIVAL_LIMIT_MS));
    expect_metric(f, WRONG_CHANNEL, 1);
    destroy_all(ps, 2);
}

/* A CHAT on channel 1, reliable or not, gets no answer at all and reaches
 * nobody; the same chat on channel 0 then goes through. */
static void test_chat_on_channel_1_is_not_acknowledged(void **state)
{
    fixture *f = *state;
    player ps[2];
    join_all(f, ps, 2);
    uint8_t buf[64];
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.text = proto_str_from_cstr("on the position channel");
    for (int reliable = 0; reliable < 2; reliable++) {
        m.u.chat.msg_id = RAW_MSG_ID + (uint32_t)reliable;
        size_t n = encode(&m, buf, sizeof buf);
        assert_int_equal(client_send_raw(ps[0].c, PROTO_CHANNEL_POSITION, buf, n, reliable),
                         CLIENT_OK);
        pump_once(ps, 2); /* each in a datagram of its own, before the next */
    }
    chat_is_acked(ps, 2, &ps[0], "on channel 0");
    pump_for(ps, 2, QUIET_MS);
    assert_false(has_ack(&ps[0], RAW_MSG_ID));
    assert_false(has_ack(&ps[0], RAW_MSG_ID + 1));
    assert_int_equal(ps[0].refusals, 0);
    assert_int_equal(ps[1].relays, 1); /* the one on channel 0 */
    assert_int_equal(client_get_view(ps[0].c)->state, CLIENT_JOINED);
    expect_metric(f, WRONG_CHANNEL, 2);
    destroy_all(ps, 2);
}

/* ---- (c) too few channels ----------------------------------------------- */

/* A bare ENet host that asks for one channel: REJECT VERSION_MISMATCH with
 * the reason in its text, then the disconnect; the HELLO it sends at once
 * gets no WELCOME. */
static void test_one_channel_connect_is_rejected(void **state)
{
    fixture *f = *state;
    ENetHost *host = enet_host_create(NULL, 1, 1, 0, 0);
    assert_non_null(host);
    ENetAddress addr = {.port = f->server.port};
    assert_int_equal(enet_address_set_host(&addr, "127.0.0.1"), 0);
    assert_non_null(enet_host_connect(host, &addr, 1, proto_connect_data(PROTO_VERSION)));
    bool rejected = false, welcomed = false, disconnected = false;
    uint32_t disconnect_data = 0;
    proto_msg reject = {0};
    char text[PROTO_MAX_STR8_BYTES + 1] = "";
    for (uint64_t end = clock_now_us() + ARRIVAL_LIMIT_MS * 1000u;
         !disconnected && clock_now_us() < end;) {
        ENetEvent ev;
        if (enet_host_service(host, &ev, 5) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_CONNECT) {
            uint8_t buf[64];
            proto_msg hello = {.type = PROTO_HELLO};
            hello.u.hello.name = proto_str_from_cstr("onechannel");
            size_t n = encode(&hello, buf, sizeof buf);
            enet_peer_send(ev.peer, PROTO_CHANNEL_RELIABLE,
                           enet_packet_create(buf, n, ENET_PACKET_FLAG_RELIABLE));
        } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            proto_msg m;
            if (proto_decode(ev.packet->data, ev.packet->dataLength, &m) == PROTO_OK) {
                welcomed |= m.type == PROTO_WELCOME;
                if (m.type == PROTO_REJECT && !rejected) {
                    rejected = true;
                    reject = m;
                    snprintf(text, sizeof text, "%.*s", (int)m.u.reject.text.len,
                             m.u.reject.text.bytes);
                }
            }
            enet_packet_destroy(ev.packet);
        } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            disconnected = true;
            disconnect_data = ev.data;
        }
    }
    enet_host_destroy(host);
    assert_true(rejected);
    assert_false(welcomed);
    assert_int_equal(reject.u.reject.reason, PROTO_REASON_VERSION_MISMATCH);
    assert_string_equal(text, "the protocol needs 2 ENet channels, the client asked for 1");
    assert_true(disconnected);
    assert_int_equal(disconnect_data, PROTO_REASON_VERSION_MISMATCH);
    expect_metric(f, "lobby_rejects_total{reason=\"version_mismatch\"}", 1);
    expect_metric(f, "lobby_joins_total", 0);
}

/* ---- (d) a position from the lobby list --------------------------------- */

/* Right after LEAVE_LOBBY a position may still be in flight on channel 1:
 * dropped as stale. Long after, it is misplaced: malformed, wrong_state. */
static void test_position_from_the_list(void **state)
{
    fixture *f = *state;
    player p;
    join_all(f, &p, 1);
    assert_int_equal(client_leave_lobby(p.c), CLIENT_OK);
    assert_true(pump_until(&p, 1, &p, in_state, CLIENT_BROWSING, ARRIVAL_LIMIT_MS));
    uint8_t buf[64];
    size_t n = position_bytes(1, buf, sizeof buf);
    assert_int_equal(client_send_raw(p.c, PROTO_CHANNEL_POSITION, buf, n, false), CLIENT_OK);
    pump_once(&p, 1);
    expect_metric(f, STALE_POSITIONS, 1);
    expect_metric(f, WRONG_STATE, 0);
    pump_for(&p, 1, 1500); /* past the second in which it could be in flight */
    n = position_bytes(2, buf, sizeof buf);
    assert_int_equal(client_send_raw(p.c, PROTO_CHANNEL_POSITION, buf, n, false), CLIENT_OK);
    pump_once(&p, 1);
    expect_metric(f, WRONG_STATE, 1);
    expect_metric(f, STALE_POSITIONS, 1);
    pump_for(&p, 1, QUIET_MS);
    assert_int_equal(client_get_view(p.c)->state, CLIENT_BROWSING);
    destroy_all(&p, 1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_packet_then_chat_in_a_later_datagram, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_empty_packet_and_chat_in_one_datagram, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_position_on_channel_0_is_not_relayed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_on_channel_1_is_not_acknowledged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_channel_connect_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position_from_the_list, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return failed;
}
