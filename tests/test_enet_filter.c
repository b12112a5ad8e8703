/* The ENet pre-parse filter: datagrams built by hand from <enet/protocol.h>'s
 * layouts (tests/attack/enet_raw.c) pass or fail with the expected reason,
 * every truncation is judged without reading past the end (run under ASan),
 * and the datagrams real client cores send through the real transport all
 * pass. */
#include "clock.h"
#include "client.h"
#include "enet_filter.h"
#include "enet_raw.h"
#include "log.h"
#include "server.h"
#include "transport.h"

#include <enet/enet.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { MTU_FRAGMENT = 1400 - 4 - 24 }; /* what ENet's default MTU gives */

static enet_filter_config defaults(void)
{
    enet_filter_config cfg;
    enet_filter_config_defaults(&cfg);
    return cfg;
}

/* Checks a copy on the heap of exactly len bytes, so ASan sees any read past
 * the end. */
static int check_len(const enet_filter_config *cfg, const raw_dgram *d, size_t len,
                     enet_filter_info *info)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, d->bytes, len);
    int v = enet_filter_check(cfg, copy, len, info);
    free(copy);
    return v;
}

static int check(const raw_dgram *d)
{
    enet_filter_config cfg = defaults();
    return check_len(&cfg, d, d->len, NULL);
}

static raw_dgram connected(bool sent_time)
{
    raw_dgram d;
    raw_begin(&d, 5, 1, sent_time, 0x1234);
    return d;
}

static void fragment(raw_dgram *d, bool reliable, uint32_t count, uint32_t number, uint32_t total,
                     uint32_t offset, uint16_t len)
{
    raw_fragment_spec f = {.reliable = reliable,
                           .seq = (uint16_t)(7 + number),
                           .start_seq = 7,
                           .count = count,
                           .number = number,
                           .total = total,
                           .offset = offset,
                           .data_length = len,
                           .data_len = len};
    raw_fragment(d, &f);
}

/* ---- legitimate datagrams ----------------------------------------------- */

static void test_connect_passes(void **state)
{
    (void)state;
    raw_dgram d;
    raw_begin(&d, RAW_NO_PEER, 0, true, 99);
    raw_connect(&d, 1, 0xCAFE, 2, 0x4C420001);
    assert_int_equal(d.len, 4 + 48);
    enet_filter_config cfg = defaults();
    enet_filter_info info;
    assert_int_equal(check_len(&cfg, &d, d.len, &info), ENET_FILTER_PASS);
    assert_int_equal(info.peer_id, RAW_NO_PEER);
    assert_int_equal(info.connects, 1);
    assert_int_equal(info.commands, 1);
    assert_true(info.has_sent_time);
}

static void test_control_commands_pass(void **state)
{
    (void)state;
    raw_dgram d = connected(true);
    raw_verify_connect(&d, 1, 3, 2, 0xCAFE);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
    d = connected(true);
    raw_ping(&d, 2);
    raw_bandwidth_limit(&d, 3, 0, 0);
    raw_throttle_configure(&d, 4, 5000, 2, 2);
    raw_disconnect(&d, RAW_ACK, 5, 10);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
    d = connected(false); /* disconnect_now: unsequenced, no sent time */
    raw_disconnect(&d, RAW_UNSEQ, 0, 7);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
}

static void test_acknowledgements_pass_with_and_without_sent_time(void **state)
{
    (void)state;
    for (int with = 0; with < 2; with++) {
        raw_dgram d = connected(with);
        raw_ack(&d, RAW_CONTROL, 1, 0x1111);
        raw_ack(&d, 0, 2, 0x1112);
        assert_int_equal(check(&d), ENET_FILTER_PASS);
    }
}

static void test_sends_pass(void **state)
{
    (void)state;
    static const uint8_t msg[40] = {0x02, 1, 0, 0, 0};
    raw_dgram d = connected(true);
    raw_send_reliable(&d, 0, 1, msg, sizeof msg);
    raw_send_unreliable(&d, 1, 0, 9, msg, 21);
    raw_send_unsequenced(&d, 1, 3, msg, 5);
    raw_ack(&d, 0, 4, 0x1000);
    enet_filter_config cfg = defaults();
    enet_filter_info info;
    assert_int_equal(check_len(&cfg, &d, d.len, &info), ENET_FILTER_PASS);
    assert_int_equal(info.commands, 4);
    assert_int_equal(info.packet_bytes, 40 + 21 + 5);
    d = connected(false); /* positions alone: no reliable command, no sent time */
    raw_send_unreliable(&d, 1, 0, 10, msg, 21);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
}

/* Any ENet client can send a packet of no bytes (enet_packet_create with
 * length 0). Its datagram passes, with the acknowledgements and packets
 * beside it: dropping it would make the sender resend it, and stall
 * everything behind it on its channel, until ENet gives up. The server core
 * counts the empty packet as malformed. Zero-length fragments stay out
 * (test_fragment_faults). */
static void test_empty_packets_pass_with_their_datagram(void **state)
{
    (void)state;
    static const uint8_t chat[] = {0x02, 1, 0, 0, 0, 2, 0, 'h', 'i'};
    raw_dgram d = connected(true);
    raw_ack(&d, 0, 3, 0x1000);
    raw_send_reliable(&d, 0, 1, NULL, 0);
    raw_send_reliable(&d, 0, 2, chat, sizeof chat);
    raw_send_unreliable(&d, 1, 2, 1, NULL, 0);
    enet_filter_config cfg = defaults();
    enet_filter_info info;
    assert_int_equal(check_len(&cfg, &d, d.len, &info), ENET_FILTER_PASS);
    assert_int_equal(info.commands, 4);
    assert_int_equal(info.packet_bytes, sizeof chat);
    d = connected(false); /* unsequenced: no sent time needed */
    raw_send_unsequenced(&d, 1, 1, NULL, 0);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
    d = connected(true); /* alone in its datagram */
    raw_send_reliable(&d, 0, 1, NULL, 0);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
}

/* ENet's own split of a packet: pieces of one size, the last shorter. */
static void test_consistent_fragments_pass(void **state)
{
    (void)state;
    static const uint32_t totals[] = {MTU_FRAGMENT + 1, 3000, 2 * MTU_FRAGMENT, 65544};
    for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++) {
        uint32_t total = totals[t], count = (total + MTU_FRAGMENT - 1) / MTU_FRAGMENT;
        for (uint32_t n = 0; n < count; n++) {
            uint32_t offset = n * MTU_FRAGMENT;
            uint16_t len =
                (uint16_t)(total - offset < MTU_FRAGMENT ? total - offset : MTU_FRAGMENT);
            for (int reliable = 0; reliable < 2; reliable++) {
                raw_dgram d = connected(reliable);
                fragment(&d, reliable, count, n, total, offset, len);
                assert_int_equal(check(&d), ENET_FILTER_PASS);
            }
        }
    }
}

static void test_extreme_mtus_fragments_pass(void **state)
{
    (void)state;
    /* 576-byte MTU with a checksum, and the largest MTU. */
    static const uint16_t sizes[] = {ENET_FILTER_MIN_FRAGMENT_BYTES, 4096 - 4 - 24};
    for (int i = 0; i < 2; i++) {
        raw_dgram d = connected(true);
        fragment(&d, true, 3, 1, 2 * sizes[i] + 1, sizes[i], sizes[i]);
        assert_int_equal(check(&d), ENET_FILTER_PASS);
        d = connected(true);
        fragment(&d, true, 3, 2, 2 * sizes[i] + 1, 2 * sizes[i], 1);
        assert_int_equal(check(&d), ENET_FILTER_PASS);
    }
}

static void test_thirty_two_commands_pass_thirty_three_do_not(void **state)
{
    (void)state;
    raw_dgram d = connected(true);
    for (int i = 0; i < 32; i++)
        raw_ack(&d, 0, (uint16_t)i, 1);
    assert_int_equal(check(&d), ENET_FILTER_PASS);
    raw_ping(&d, 40);
    assert_int_equal(check(&d), ENET_FILTER_TOO_MANY_COMMANDS);
}

/* ---- malformed datagrams, one reason each -------------------------------- */

static void test_header_faults(void **state)
{
    (void)state;
    raw_dgram d;
    raw_begin(&d, 5, 0, false, 0);
    assert_int_equal(check_len(&(enet_filter_config){0}, &d, 1, NULL), ENET_FILTER_TOO_SHORT);
    raw_begin(&d, 5, 0, true, 0);
    assert_int_equal(check_len(&(enet_filter_config){.max_datagram_bytes = 9}, &d, 3, NULL),
                     ENET_FILTER_TOO_SHORT);
    assert_int_equal(check(&d), ENET_FILTER_NO_COMMANDS);
    raw_ping(&d, 1);
    d.bytes[0] |= 0x40; /* compressed */
    assert_int_equal(check(&d), ENET_FILTER_COMPRESSED);
    raw_begin(&d, RAW_NO_PEER, 2, true, 0);
    raw_connect(&d, 1, 1, 2, 0);
    assert_int_equal(check(&d), ENET_FILTER_BAD_HEADER);
    d = connected(true);
    raw_bytes(&d, NULL, 4093); /* 4097 bytes */
    assert_int_equal(check(&d), ENET_FILTER_TOO_LONG);
}

static void test_command_faults(void **state)
{
    (void)state;
    static const uint8_t unknown[] = {0, 13, 15};
    for (size_t i = 0; i < sizeof unknown; i++) {
        raw_dgram d = connected(true);
        raw_command(&d, unknown[i], RAW_CONTROL, 1);
        raw_u32(&d, 0);
        assert_int_equal(check(&d), ENET_FILTER_UNKNOWN_COMMAND);
    }
    raw_dgram d = connected(true);
    raw_ping(&d, 1);
    raw_u16(&d, 0x8500); /* half a command header */
    assert_int_equal(check(&d), ENET_FILTER_TRUNCATED);
    d = connected(true);
    raw_command(&d, 0x80 | 10, RAW_CONTROL, 1); /* BANDWIDTH_LIMIT without its body */
    assert_int_equal(check(&d), ENET_FILTER_TRUNCATED);
    d = connected(true);
    raw_send_reliable(&d, 0, 1, "hello", 5);
    d.len--; /* data length says 5, 4 follow */
    assert_int_equal(check(&d), ENET_FILTER_TRUNCATED);
}

static void test_flag_faults(void **state)
{
    (void)state;
    raw_dgram d = connected(true);
    raw_command(&d, 0x80 | 0x10 | 5, RAW_CONTROL, 1); /* reserved bit */
    assert_int_equal(check(&d), ENET_FILTER_BAD_FLAGS);
    d = connected(true);
    raw_command(&d, RAW_ACK | 7, 1, 1); /* SEND_UNRELIABLE marked reliable */
    raw_u16(&d, 1);
    raw_u16(&d, 1);
    raw_u8(&d, 4);
    assert_int_equal(check(&d), ENET_FILTER_BAD_FLAGS);
    d = connected(true);
    raw_disconnect(&d, RAW_ACK | RAW_UNSEQ, 1, 0);
    assert_int_equal(check(&d), ENET_FILTER_BAD_FLAGS);
    d = connected(false); /* reliable, and no sent time to acknowledge */
    raw_send_reliable(&d, 0, 1, "x", 1);
    assert_int_equal(check(&d), ENET_FILTER_BAD_FLAGS);
}

static void test_channel_faults(void **state)
{
    (void)state;
    raw_dgram d = connected(true);
    raw_command(&d, RAW_ACK | 5, 0, 1); /* PING on a data channel */
    assert_int_equal(check(&d), ENET_FILTER_BAD_CHANNEL);
    d = connected(true);
    raw_send_reliable(&d, RAW_CONTROL, 1, "x", 1);
    assert_int_equal(check(&d), ENET_FILTER_BAD_CHANNEL);
}

static void test_connect_faults(void **state)
{
    (void)state;
    raw_dgram d = connected(true); /* CONNECT to an existing peer */
    raw_connect(&d, 1, 1, 2, 0);
    assert_int_equal(check(&d), ENET_FILTER_BAD_CONNECT);
    raw_begin(&d, RAW_NO_PEER, 0, true, 0); /* two CONNECTs */
    raw_connect(&d, 1, 1, 2, 0);
    raw_connect(&d, 2, 2, 2, 0);
    assert_int_equal(check(&d), ENET_FILTER_BAD_CONNECT);
    raw_begin(&d, RAW_NO_PEER, 0, true, 0); /* CONNECT and more */
    raw_connect(&d, 1, 1, 2, 0);
    raw_ping(&d, 2);
    assert_int_equal(check(&d), ENET_FILTER_BAD_CONNECT);
    raw_begin(&d, RAW_NO_PEER, 0, true, 0); /* anything else for no peer */
    raw_ping(&d, 1);
    assert_int_equal(check(&d), ENET_FILTER_BAD_CONNECT);
    static const uint32_t bad_channels[] = {0, 256, 0xFFFFFFFFu};
    for (int i = 0; i < 3; i++) {
        raw_begin(&d, RAW_NO_PEER, 0, true, 0);
        raw_connect(&d, 1, 1, bad_channels[i], 0);
        assert_int_equal(check(&d), ENET_FILTER_BAD_CONNECT);
    }
}

static void test_packet_faults(void **state)
{
    (void)state;
    enet_filter_config small = defaults();
    small.max_packet_bytes = 100;
    raw_dgram d = connected(true);
    raw_send_reliable(&d, 0, 1, NULL, 101);
    assert_int_equal(check_len(&small, &d, d.len, NULL), ENET_FILTER_OVERSIZED_PACKET);
}

static int fragment_verdict(uint32_t count, uint32_t number, uint32_t total, uint32_t offset,
                            uint16_t len)
{
    raw_dgram d = connected(true);
    fragment(&d, true, count, number, total, offset, len);
    return check(&d);
}

static void test_fragment_faults(void **state)
{
    (void)state;
    enet_filter_config cfg = defaults();
    const uint32_t F = MTU_FRAGMENT;
    assert_int_equal(fragment_verdict(0, 0, 100, 0, 100), ENET_FILTER_FRAGMENT_COUNT);
    assert_int_equal(fragment_verdict(1, 0, 100, 0, 100), ENET_FILTER_FRAGMENT_COUNT);
    assert_int_equal(fragment_verdict(1u << 20, 0, 1, 0, 1), ENET_FILTER_FRAGMENT_COUNT);
    assert_int_equal(fragment_verdict(cfg.max_fragment_count + 1, 0, 70000, 0, (uint16_t)F),
                     ENET_FILTER_FRAGMENT_COUNT);
    assert_int_equal(fragment_verdict(3, 3, 3 * F, 3 * F, (uint16_t)F),
                     ENET_FILTER_FRAGMENT_NUMBER);
    assert_int_equal(fragment_verdict(3, 0, 3 * F, 0, 0), ENET_FILTER_FRAGMENT_EMPTY);
    assert_int_equal(fragment_verdict(2, 0, 65545, 0, 1000), ENET_FILTER_FRAGMENT_TOTAL);
    assert_int_equal(fragment_verdict(2, 1, 2 * F, 2 * F - 10, 20), ENET_FILTER_FRAGMENT_RANGE);
    assert_int_equal(fragment_verdict(2, 1, 0xFFFFFFF0u, 0xFFFFFF00u, 0x200),
                     ENET_FILTER_FRAGMENT_TOTAL);
}

/* Each piece must belong to one even split: the tricks that make ENet hold
 * or deliver memory nobody wrote. */
static void test_inconsistent_fragments(void **state)
{
    (void)state;
    const uint32_t F = MTU_FRAGMENT;
    /* The uninitialised-packet trick: one small piece of a large total. */
    assert_int_equal(fragment_verdict(2, 0, 65000, 0, (uint16_t)F),
                     ENET_FILTER_FRAGMENT_INCONSISTENT);
    assert_int_equal(fragment_verdict(2, 0, 65544, 0, 1), ENET_FILTER_FRAGMENT_INCONSISTENT);
    /* Offset not number * size. */
    assert_int_equal(fragment_verdict(3, 1, 3 * F, F + 1, (uint16_t)F),
                     ENET_FILTER_FRAGMENT_INCONSISTENT);
    /* Last piece: offset not a multiple of its number, or longer than a piece,
     * or not ending at the total. */
    assert_int_equal(fragment_verdict(3, 2, 2 * F + 11, 2 * F + 1, 10),
                     ENET_FILTER_FRAGMENT_INCONSISTENT);
    assert_int_equal(fragment_verdict(2, 1, 2 * F + 1, F, (uint16_t)(F + 1)),
                     ENET_FILTER_FRAGMENT_INCONSISTENT);
    assert_int_equal(fragment_verdict(3, 2, 3 * F, 2 * F, 10), ENET_FILTER_FRAGMENT_INCONSISTENT);
    /* Pieces smaller than any ENet sender uses. */
    assert_int_equal(fragment_verdict(3, 0, 300, 0, 100), ENET_FILTER_FRAGMENT_INCONSISTENT);
    /* Count that does not match total / size. */
    assert_int_equal(fragment_verdict(5, 0, 2 * F, 0, (uint16_t)F),
                     ENET_FILTER_FRAGMENT_INCONSISTENT);
}

static void test_strerror_names_every_verdict(void **state)
{
    (void)state;
    for (int v = 0; v > -ENET_FILTER_VERDICT_COUNT; v--) {
        assert_non_null(enet_filter_strerror(v));
        assert_string_not_equal(enet_filter_strerror(v), "unknown verdict");
        for (int w = 0; w > v; w--)
            assert_string_not_equal(enet_filter_strerror(v), enet_filter_strerror(w));
    }
    assert_string_equal(enet_filter_strerror(-ENET_FILTER_VERDICT_COUNT), "unknown verdict");
    assert_string_equal(enet_filter_strerror(1), "unknown verdict");
}

/* ---- truncations and mutations ------------------------------------------ */

/* A legitimate datagram with the lengths at which it ends on a command. */
typedef struct sample {
    raw_dgram d;
    size_t ends[40];
    size_t end_count;
} sample;

static void mark(sample *s)
{
    s->ends[s->end_count++] = s->d.len;
}

static void build_samples(sample *s)
{
    static const uint8_t data[1400] = {3, 1, 2, 3};
    memset(s, 0, 3 * sizeof *s);
    raw_begin(&s[0].d, RAW_NO_PEER, 0, true, 7);
    raw_connect(&s[0].d, 1, 42, 2, 0x4C420001);
    mark(&s[0]);
    s[1].d = connected(true);
    raw_ack(&s[1].d, 0, 1, 5), mark(&s[1]);
    raw_send_reliable(&s[1].d, 0, 2, data, 60), mark(&s[1]);
    raw_send_unreliable(&s[1].d, 1, 0, 3, data, 21), mark(&s[1]);
    raw_send_unsequenced(&s[1].d, 1, 4, data, 9), mark(&s[1]);
    raw_ping(&s[1].d, 5), mark(&s[1]);
    raw_verify_connect(&s[1].d, 6, 1, 2, 42), mark(&s[1]);
    raw_bandwidth_limit(&s[1].d, 7, 1, 2), mark(&s[1]);
    raw_throttle_configure(&s[1].d, 8, 1, 2, 3), mark(&s[1]);
    raw_disconnect(&s[1].d, RAW_ACK, 9, 0), mark(&s[1]);
    s[2].d = connected(true);
    raw_fragment_spec f = {.reliable = true,
                           .seq = 3,
                           .start_seq = 3,
                           .count = 3,
                           .total = 3000,
                           .data_length = MTU_FRAGMENT,
                           .data = data,
                           .data_len = MTU_FRAGMENT};
    raw_fragment(&s[2].d, &f), mark(&s[2]);
}

static bool is_end(const sample *s, size_t len)
{
    for (size_t i = 0; i < s->end_count; i++)
        if (s->ends[i] == len)
            return true;
    return false;
}

/* Every prefix passes exactly when it ends on a command, and none is read
 * past its end (ASan would stop the test). */
static void test_every_truncation_is_judged_in_bounds(void **state)
{
    (void)state;
    static sample s[3];
    build_samples(s);
    enet_filter_config cfg = defaults();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(check_len(&cfg, &s[i].d, s[i].d.len, NULL), ENET_FILTER_PASS);
        for (size_t len = 0; len <= s[i].d.len; len++) {
            int v = check_len(&cfg, &s[i].d, len, NULL);
            assert_true(v <= 0 && v > -ENET_FILTER_VERDICT_COUNT);
            assert_int_equal(v == ENET_FILTER_PASS, is_end(&s[i], len));
        }
    }
}

/* Random byte changes never crash it or read out of bounds. */
static void test_mutations_stay_in_bounds(void **state)
{
    (void)state;
    static sample s[3];
    build_samples(s);
    enet_filter_config cfg = defaults();
    uint32_t seed = 12345;
    for (int round = 0; round < 30000; round++) {
        raw_dgram d = s[round % 3].d;
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            d.bytes[(seed >> 8) % d.len] ^= (uint8_t)(seed >> 24 | 1);
        }
        seed = seed * 1103515245u + 12345u;
        int v = check_len(&cfg, &d, (seed >> 8) % (d.len + 1), NULL);
        assert_true(v <= 0 && v > -ENET_FILTER_VERDICT_COUNT);
    }
}

/* ---- real traffic ------------------------------------------------------- */

typedef struct capture {
    size_t count, failed, connects, fragments, cookie_requests;
    int first_failure;
} capture;

static void record(void *user, const uint8_t *datagram, size_t len)
{
    capture *c = user;
    if (proto_cookie_has_magic(datagram, len, PROTO_COOKIE_REQUEST_MAGIC)) {
        c->cookie_requests++; /* not ENet's: the transport answers it before the filter */
        return;
    }
    enet_filter_config cfg = defaults();
    enet_filter_info info;
    int v = enet_filter_check(&cfg, datagram, len, &info);
    c->count++;
    c->connects += info.connects;
    c->fragments += info.fragments;
    if (v != ENET_FILTER_PASS && c->failed++ == 0)
        c->first_failure = v;
}

typedef struct live {
    server *core;
    transport *net;
    capture cap;
} live;

static void live_start(live *l)
{
    memset(l, 0, sizeof *l);
    server_config sc;
    server_config_defaults(&sc);
    sc.max_players = 8;
    sc.max_sessions = 26;
    assert_int_equal(server_create(&sc, &l->core), SERVER_OK);
    transport_config tc;
    transport_config_defaults(&tc);
    tc.bind_host = "127.0.0.1";
    tc.peer_count = sc.max_sessions;
    tc.tap = record;
    tc.tap_user = &l->cap;
    assert_int_equal(transport_create(&tc, l->core, &l->net), TRANSPORT_OK);
}

/* Runs the server and the clients for ms milliseconds. */
static void run(live *l, client **clients, int n, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < end) {
        struct pollfd pfd = {.fd = transport_fd(l->net), .events = POLLIN};
        poll(&pfd, 1, 1);
        uint64_t now = clock_now_us();
        transport_drain(l->net, now);
        server_tick(l->core, now);
        transport_flush(l->net, now);
        for (int i = 0; i < n; i++)
            if (clients[i] != NULL)
                client_update(clients[i], now);
    }
}

static client *join(live *l, const char *name)
{
    client_config cc;
    client_config_defaults(&cc);
    cc.host = "127.0.0.1";
    cc.port = transport_port(l->net);
    cc.name = name;
    client *c = NULL;
    assert_int_equal(client_create(&cc, clock_now_us(), &c), CLIENT_OK);
    return c;
}

/* Three client cores join, chat (one message long enough to be fragmented),
 * move, ping, send an empty packet, and leave in every way; the transport's
 * own filter must drop none of their datagrams, and each checked by the test
 * passes too. */
static void test_real_client_traffic_passes(void **state)
{
    (void)state;
    live l;
    live_start(&l);
    client *c[3] = {join(&l, "ann"), join(&l, "bob"), join(&l, "cat")};
    run(&l, c, 3, 300);
    for (int i = 0; i < 3; i++)
        assert_int_equal(client_get_view(c[i])->state, CLIENT_JOINED);
    static char longtext[3000];
    memset(longtext, 'a', sizeof longtext);
    uint32_t id;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 3; i++) {
            client_send_position(c[i], (float)round, (float)i, clock_now_us());
            if (round % 3 == 0)
                client_send_chat(c[i], "hello", 5, &id);
        }
        client_send_ping(c[0], clock_now_us());
        run(&l, c, 3, 30);
    }
    client_send_chat(c[1], longtext, sizeof longtext, &id); /* refused, but arrives */
    assert_int_equal(client_send_raw(c[2], PROTO_CHANNEL_RELIABLE, NULL, 0, true), CLIENT_OK);
    run(&l, c, 3, 1200); /* ENet pings in between */
    assert_int_equal(server_get_stats(l.core)->malformed_by[SERVER_MALFORMED_EMPTY], 1);
    assert_int_equal(client_get_view(c[2])->state, CLIENT_JOINED);
    client_leave(c[0]);
    client_destroy(c[1]); /* one disconnect command, no wait */
    c[1] = NULL;
    run(&l, c, 3, 300);
    client_destroy(c[0]);
    client_destroy(c[2]);
    const transport_stats *ts = transport_get_stats(l.net);
    for (int r = 0; r < TRANSPORT_DROP_REASONS; r++)
        assert_int_equal(ts->dropped[r], 0);
    assert_true(l.cap.count > 50);
    assert_int_equal(l.cap.connects, 3);
    assert_true(l.cap.fragments >= 3); /* the long chat, in MTU-sized pieces */
    /* Each client asked for its cookie (once, or again after 250 ms). */
    assert_true(l.cap.cookie_requests >= 3);
    assert_int_equal(ts->cookies_sent, l.cap.cookie_requests);
    assert_int_equal(ts->datagrams_in, l.cap.count + l.cap.cookie_requests);
    if (l.cap.failed > 0)
        fail_msg("%zu of %zu datagrams failed, first: %s", l.cap.failed, l.cap.count,
                 enet_filter_strerror(l.cap.first_failure));
    transport_destroy(l.net);
    server_destroy(l.core);
}

int main(void)
{
    log_set_level(LOG_WARN);
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_passes),
        cmocka_unit_test(test_control_commands_pass),
        cmocka_unit_test(test_acknowledgements_pass_with_and_without_sent_time),
        cmocka_unit_test(test_sends_pass),
        cmocka_unit_test(test_empty_packets_pass_with_their_datagram),
        cmocka_unit_test(test_consistent_fragments_pass),
        cmocka_unit_test(test_extreme_mtus_fragments_pass),
        cmocka_unit_test(test_thirty_two_commands_pass_thirty_three_do_not),
        cmocka_unit_test(test_header_faults),
        cmocka_unit_test(test_command_faults),
        cmocka_unit_test(test_flag_faults),
        cmocka_unit_test(test_channel_faults),
        cmocka_unit_test(test_connect_faults),
        cmocka_unit_test(test_packet_faults),
        cmocka_unit_test(test_fragment_faults),
        cmocka_unit_test(test_inconsistent_fragments),
        cmocka_unit_test(test_strerror_names_every_verdict),
        cmocka_unit_test(test_every_truncation_is_judged_in_bounds),
        cmocka_unit_test(test_mutations_stay_in_bounds),
        cmocka_unit_test(test_real_client_traffic_passes),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return failed;
}
