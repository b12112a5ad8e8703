/* The server core driven in-process, as the transport would drive it:
 * connection events and encoded bytes go in with a time chosen by the test,
 * and each pass's outbox is decoded and checked for who receives what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "outbox.h"
#include "proto.h"
#include "server.h"
#include "server_harness.h"

enum { MS_US = 1000 };

/* ---- harness ---------------------------------------------------------------- */

/* Small enough to fill in a test, large enough for every scenario here. */
static void test_config(server_config *cfg)
{
    server_config_defaults(cfg);
    cfg->max_players = 32;
    cfg->max_sessions = 40;
    cfg->member_stats_ms = 0; /* off unless a test is about it */
    cfg->grace_ms = 0;        /* seats are not held unless a test is about it */
}

/* Replaces the fixture's server with one built from cfg. */
static void restart(harness *h, const server_config *cfg)
{
    server_fixture_restart(h, cfg);
}

static int quiet_logs(void **state)
{
    (void)state;
    log_set_level(LOG_OFF);
    return 0;
}

static int harness_setup(void **state)
{
    server_config cfg;
    test_config(&cfg);
    return server_fixture_setup(state, &cfg);
}

/* Lets one snapshot period pass, runs the tick and captures what it sent. */
static void snapshot_tick(harness *h)
{
    h->now_us += 1000000u / h->cfg.snapshot_hz + 1;
    server_tick(h->s, h->now_us);
    capture(h);
}

/* Captured messages addressed to session. */
static size_t count_for(const harness *h, uint32_t session)
{
    size_t n = 0;
    for (size_t i = 0; i < h->got_count; i++)
        n += addressed_to(&h->got[i], session);
    return n;
}

static size_t count_type(const harness *h, proto_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < h->got_count; i++)
        n += h->got[i].msg.type == type;
    return n;
}

/* Reason of the disconnect queued for session, or -1 when there is none. */
static long disconnect_reason(const harness *h, uint32_t session)
{
    return server_fixture_disconnect_reason(h, session);
}

/* The delivery goes to exactly these sessions, in this order. */
static void assert_dests(const delivery *d, const uint32_t *want, size_t count)
{
    assert_int_equal(d->dest_count, count);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(d->dests[i], want[i]);
}

static void assert_str(proto_str got, const char *want)
{
    size_t len = strlen(want);
    if (got.len != len || (len > 0 && memcmp(got.bytes, want, len) != 0))
        fail_msg("got '%.*s', want '%s'", (int)got.len, got.bytes, want);
}

/* ---- driving the server ----------------------------------------------------- */

static void connect_with(harness *h, uint32_t handle, uint32_t connect_data)
{
    server_fixture_connect(h->s, handle, connect_data, "test:1", h->now_us);
}

static void connect_peer(harness *h, uint32_t handle)
{
    connect_with(h, handle, proto_connect_data(PROTO_VERSION));
}

static void receive_on(harness *h, uint32_t handle, uint8_t channel, const uint8_t *bytes,
                       size_t len)
{
    server_on_receive(h->s, handle, channel, bytes, len, h->now_us);
}

/* On the channel a well-behaved client uses for the message's type. */
static void receive_bytes(harness *h, uint32_t handle, const uint8_t *bytes, size_t len)
{
    bool position = len > 0 && bytes[0] == PROTO_POSITION;
    receive_on(h, handle, position ? PROTO_CHANNEL_POSITION : PROTO_CHANNEL_RELIABLE, bytes, len);
}

static size_t encode(const proto_msg *m, uint8_t *buf, size_t cap)
{
    int len = proto_encode(m, buf, cap);
    if (len <= 0)
        fail_msg("cannot encode %s: %s", proto_type_name(m->type), proto_strerror(len));
    return (size_t)len;
}

static void receive(harness *h, uint32_t handle, const proto_msg *m)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    receive_bytes(h, handle, buf, encode(m, buf, sizeof buf));
}

static proto_msg hello_msg(proto_str name, const char *lobby_name)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = name;
    m.u.hello.lobby = proto_str_from_cstr(lobby_name);
    return m;
}

static void hello(harness *h, uint32_t handle, proto_str name, const char *lobby_name)
{
    proto_msg m = hello_msg(name, lobby_name);
    receive(h, handle, &m);
}

/* Connects and joins in a pass of its own; returns the player id. */
static uint16_t join(harness *h, uint32_t handle, const char *name, const char *lobby_name)
{
    connect_peer(h, handle);
    hello(h, handle, proto_str_from_cstr(name), lobby_name);
    capture(h);
    uint16_t id = must_find_for(h, handle, PROTO_WELCOME)->msg.u.welcome.your_id;
    end_pass(h);
    return id;
}

static void chat_bytes(harness *h, uint32_t handle, uint32_t msg_id, const char *text, size_t len)
{
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = msg_id;
    m.u.chat.text.bytes = text;
    m.u.chat.text.len = len;
    receive(h, handle, &m);
}

static void chat(harness *h, uint32_t handle, uint32_t msg_id, const char *text)
{
    chat_bytes(h, handle, msg_id, text, strlen(text));
}

static void position(harness *h, uint32_t handle, uint32_t seq, float x, float y)
{
    proto_msg m = {.type = PROTO_POSITION};
    m.u.position.seq = seq;
    m.u.position.sent_us = 4242;
    m.u.position.x = x;
    m.u.position.y = y;
    receive(h, handle, &m);
}

static void ping(harness *h, uint32_t handle, uint64_t client_us)
{
    proto_msg m = {.type = PROTO_PING};
    m.u.ping.client_us = client_us;
    receive(h, handle, &m);
}

/* This pass holds a REJECT with reason (and some text) for handle, nothing
 * else for it, and a disconnect with the same reason. */
static void assert_rejected(harness *h, uint32_t handle, proto_reason reason)
{
    capture(h);
    const delivery *d = must_find_for(h, handle, PROTO_REJECT);
    if (d->msg.u.reject.reason != reason)
        fail_msg("session %u rejected with %s, want %s", (unsigned)handle,
                 proto_reason_text(d->msg.u.reject.reason), proto_reason_text(reason));
    assert_true(d->msg.u.reject.text.len > 0);
    assert_int_equal(d->channel, PROTO_CHANNEL_RELIABLE);
    assert_true(d->reliable);
    assert_int_equal(count_for(h, handle), 1);
    assert_int_equal(disconnect_reason(h, handle), reason);
}

/* ---- configuration ---------------------------------------------------------- */

static void create_rejects_bad_config(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint32_t max_players, max_sessions, max_lobbies;
        unsigned lobby_capacity;
        double chat_per_s, chat_burst;
        uint32_t malformed_limit;
    } cases[] = {
        {"no players", 0, 10, 4, 4, 1.0, 1.0, 1},
        {"fewer sessions than players", 10, 9, 4, 4, 1.0, 1.0, 1},
        {"no lobbies", 10, 10, 0, 4, 1.0, 1.0, 1},
        {"capacity 0", 10, 10, 4, 0, 1.0, 1.0, 1},
        {"capacity too large", 10, 10, 4, PROTO_MAX_LOBBY_PLAYERS + 1, 1.0, 1.0, 1},
        {"no chat rate", 10, 10, 4, 4, 0.0, 1.0, 1},
        {"burst below one", 10, 10, 4, 4, 1.0, 0.5, 1},
        {"no malformed allowance", 10, 10, 4, 4, 1.0, 1.0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        server_config cfg;
        server_config_defaults(&cfg);
        cfg.max_players = cases[i].max_players;
        cfg.max_sessions = cases[i].max_sessions;
        cfg.max_lobbies = cases[i].max_lobbies;
        cfg.lobby_capacity = (uint8_t)cases[i].lobby_capacity;
        cfg.chat_per_s = cases[i].chat_per_s;
        cfg.chat_burst = cases[i].chat_burst;
        cfg.malformed_limit = cases[i].malformed_limit;
        server *s = NULL;
        int err = server_create(&cfg, &s);
        if (err != SERVER_ERR_CONFIG) {
            server_destroy(s);
            fail_msg("%s: server_create = %d, want SERVER_ERR_CONFIG", cases[i].what, err);
        }
    }
}

/* Player ids are 16 bits and never 0: a larger player cap would make the
 * id allocator spin once every id is in use. */
static void create_rejects_more_players_than_player_ids(void **state)
{
    (void)state;
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.max_players = 65536;
    cfg.max_sessions = 65536;
    server *s = NULL;
    int err = server_create(&cfg, &s);
    server_destroy(s);
    if (err != SERVER_ERR_CONFIG)
        fail_msg("server_create accepted max_players = 65536 (returned %d); "
                 "the 65536th join would spin in server_claim_player_id",
                 err);
}

static void create_accepts_defaults(void **state)
{
    (void)state;
    server_config cfg;
    server_config_defaults(&cfg);
    server *s = NULL;
    assert_int_equal(server_create(&cfg, &s), SERVER_OK);
    assert_int_equal(server_player_count(s), 0);
    assert_int_equal(server_session_count(s), 0);
    assert_int_equal(server_outbox(s)->packet_count, 0);
    server_destroy(s);
}

/* ---- handshake -------------------------------------------------------------- */

static void connect_sends_nothing_until_hello(void **state)
{
    harness *h = *state;
    connect_peer(h, 0);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(disconnect_reason(h, 0), -1);
    assert_int_equal(server_session_count(h->s), 1);
    assert_int_equal(server_player_count(h->s), 0);
}

static void hello_welcomes_joiner_with_itself(void **state)
{
    harness *h = *state;
    connect_peer(h, 3);
    hello(h, 3, proto_str_from_cstr("alice"), "");
    capture(h);
    assert_int_equal(h->got_count, 2); /* WELCOME, then the lobby's LOBBY_STATE */
    assert_int_equal(h->got[1].msg.type, PROTO_LOBBY_STATE);
    const delivery *d = must_find_for(h, 3, PROTO_WELCOME);
    static const uint32_t only_joiner[] = {3};
    assert_dests(d, only_joiner, 1);
    assert_int_equal(d->channel, PROTO_CHANNEL_RELIABLE);
    assert_true(d->reliable);
    const proto_msg *w = &d->msg;
    assert_int_not_equal(w->u.welcome.your_id, 0);
    assert_int_equal(w->u.welcome.capacity, h->cfg.lobby_capacity);
    assert_str(w->u.welcome.lobby, PROTO_DEFAULT_LOBBY);
    assert_int_equal(w->u.welcome.count, 1);
    assert_int_equal(w->u.welcome.players[0].id, w->u.welcome.your_id);
    assert_str(w->u.welcome.players[0].name, "alice");
    assert_int_equal(server_player_count(h->s), 1);
}

static void hello_welcome_lists_lobby_in_join_order(void **state)
{
    harness *h = *state;
    uint16_t a = join(h, 0, "alice", "");
    uint16_t b = join(h, 1, "bob", "");
    connect_peer(h, 2);
    hello(h, 2, proto_str_from_cstr("carol"), "");
    capture(h);
    const proto_msg *w = &must_find_for(h, 2, PROTO_WELCOME)->msg;
    assert_int_equal(w->u.welcome.count, 3);
    assert_int_equal(w->u.welcome.players[0].id, a);
    assert_str(w->u.welcome.players[0].name, "alice");
    assert_int_equal(w->u.welcome.players[1].id, b);
    assert_str(w->u.welcome.players[1].name, "bob");
    assert_int_equal(w->u.welcome.players[2].id, w->u.welcome.your_id);
    assert_str(w->u.welcome.players[2].name, "carol");
    assert_true(w->u.welcome.your_id != a && w->u.welcome.your_id != b);
}

static void hello_announces_joiner_to_others_only(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    connect_peer(h, 2);
    hello(h, 2, proto_str_from_cstr("carol"), "");
    capture(h);
    assert_int_equal(count_type(h, PROTO_PLAYER_JOINED), 1);
    const delivery *d = must_find_for(h, 0, PROTO_PLAYER_JOINED);
    static const uint32_t others[] = {0, 1};
    assert_dests(d, others, 2);
    assert_true(d->reliable);
    const delivery *w = must_find_for(h, 2, PROTO_WELCOME);
    assert_int_equal(d->msg.u.joined.id, w->msg.u.welcome.your_id);
    assert_int_equal(d->msg.u.joined.colour, w->msg.u.welcome.players[2].colour);
    assert_str(d->msg.u.joined.name, "carol");
    assert_null(find_for(h, 2, PROTO_PLAYER_JOINED));
}

static void hello_into_named_lobby_welcomes_to_it(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    connect_peer(h, 1);
    hello(h, 1, proto_str_from_cstr("bob"), "red");
    capture(h);
    const delivery *w = must_find_for(h, 1, PROTO_WELCOME);
    assert_str(w->msg.u.welcome.lobby, "red");
    assert_int_equal(w->msg.u.welcome.count, 1);
    assert_int_equal(count_for(h, 0), 0); /* alice is in another lobby */
}

static void connect_with_wrong_version_is_rejected(void **state)
{
    harness *h = *state;
    static const uint16_t versions[] = {0, PROTO_VERSION + 1, 0xFFFF};
    for (uint32_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        connect_with(h, i, proto_connect_data(versions[i]));
        assert_rejected(h, i, PROTO_REASON_VERSION_MISMATCH);
        end_pass(h);
    }
    assert_int_equal(server_get_stats(h->s)->rejects[PROTO_REASON_VERSION_MISMATCH], 3);
}

static void connect_without_magic_is_version_mismatch(void **state)
{
    harness *h = *state;
    static const uint32_t data[] = {0, PROTO_VERSION, 0x12340001u, 0x4C430001u};
    for (uint32_t i = 0; i < sizeof data / sizeof data[0]; i++) {
        connect_with(h, i, data[i]);
        assert_rejected(h, i, PROTO_REASON_VERSION_MISMATCH);
        end_pass(h);
    }
}

/* ENet's server caps a request for more channels to its own 2; with fewer,
 * channel 1 (snapshots) would not exist for the peer. */
static void connect_with_one_channel_is_version_mismatch(void **state)
{
    harness *h = *state;
    server_on_connect(h->s, 0, proto_connect_data(PROTO_VERSION), 1, server_fixture_ip(0), "test:1",
                      h->now_us);
    assert_rejected(h, 0, PROTO_REASON_VERSION_MISMATCH);
    assert_str(must_find_for(h, 0, PROTO_REJECT)->msg.u.reject.text,
               "the protocol needs 2 ENet channels, the client asked for 1");
    assert_int_equal(server_get_stats(h->s)->rejects[PROTO_REASON_VERSION_MISMATCH], 1);
    end_pass(h);
    hello(h, 0, proto_str_from_cstr("alice"), ""); /* still arriving: ignored */
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_player_count(h->s), 0);
}

static void hello_with_invalid_name_is_rejected(void **state)
{
    harness *h = *state;
    static const char name_25[] = "abcdefghijklmnopqrstuvwxy";
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"empty", "", 0},
        {"25 bytes", name_25, 25},
        {"invalid UTF-8", "bad\xC3\x28", 5},
        {"lone continuation byte", "\x80x", 2},
        {"truncated sequence", "ab\xE2\x82", 4},
        {"C0 control", "bad\x01name", 8},
        {"tab", "tab\tname", 8},
        {"NUL", "nul\0name", 8},
        {"DEL", "del\x7F", 4},
        {"C1 control", "c1\xC2\x85", 4},
    };
    for (uint32_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        connect_peer(h, i);
        proto_str name = {cases[i].bytes, cases[i].len};
        hello(h, i, name, "");
        capture(h);
        const delivery *d = find_for(h, i, PROTO_REJECT);
        if (d == NULL || d->msg.u.reject.reason != PROTO_REASON_NAME_INVALID)
            fail_msg("%s name: not rejected with NAME_INVALID", cases[i].what);
        assert_rejected(h, i, PROTO_REASON_NAME_INVALID);
        end_pass(h);
    }
    assert_int_equal(server_player_count(h->s), 0);
}

static void hello_with_24_byte_names_is_accepted(void **state)
{
    harness *h = *state;
    join(h, 0, "abcdefghijklmnopqrstuvwx", "");
    /* 12 two-byte characters: 24 bytes. */
    join(h, 1,
         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
         "\xC3\xA9\xC3\xA9",
         "");
    assert_int_equal(server_player_count(h->s), 2);
}

static void hello_with_invalid_lobby_name_is_rejected(void **state)
{
    harness *h = *state;
    connect_peer(h, 0);
    hello(h, 0, proto_str_from_cstr("alice"), "abcdefghijklmnopqrstuvwxy"); /* 25 bytes */
    assert_rejected(h, 0, PROTO_REASON_LOBBY_INVALID);
}

static void hello_with_taken_name_is_rejected(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    connect_peer(h, 1);
    hello(h, 1, proto_str_from_cstr("alice"), "");
    assert_rejected(h, 1, PROTO_REASON_NAME_TAKEN);
    assert_int_equal(count_for(h, 0), 0);
    assert_int_equal(server_player_count(h->s), 1);
}

static void hello_with_name_taken_in_other_lobby_is_accepted(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "alice", "red");
    assert_int_equal(server_player_count(h->s), 2);
}

static void hello_into_full_lobby_is_rejected(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.lobby_capacity = 2;
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    connect_peer(h, 2);
    hello(h, 2, proto_str_from_cstr("carol"), "");
    assert_rejected(h, 2, PROTO_REASON_LOBBY_FULL);
    assert_int_equal(count_for(h, 0) + count_for(h, 1), 0);
}

static void hello_past_max_players_is_rejected(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.max_players = 2;
    cfg.max_sessions = 4;
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "red");
    connect_peer(h, 2);
    hello(h, 2, proto_str_from_cstr("carol"), "blue");
    assert_rejected(h, 2, PROTO_REASON_SERVER_FULL);
    assert_int_equal(server_player_count(h->s), 2);
}

static void hello_past_max_lobbies_is_rejected(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.max_lobbies = 2;
    restart(h, &cfg);
    join(h, 0, "alice", "red");
    connect_peer(h, 1);
    hello(h, 1, proto_str_from_cstr("bob"), "blue");
    assert_rejected(h, 1, PROTO_REASON_TOO_MANY_LOBBIES);
}

static void rejected_session_input_is_ignored(void **state)
{
    harness *h = *state;
    connect_with(h, 0, 0);
    end_pass(h);
    ping(h, 0, 1);
    hello(h, 0, proto_str_from_cstr("alice"), "");
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_get_stats(h->s)->malformed, 0);
    assert_int_equal(server_player_count(h->s), 0);
}

/* ---- player ids --------------------------------------------------------------- */

static void player_ids_not_reused_after_leave(void **state)
{
    harness *h = *state;
    uint16_t seen[20];
    for (unsigned i = 0; i < 20; i++) {
        seen[i] = join(h, 0, "alice", "");
        server_on_disconnect(h->s, 0, PROTO_REASON_QUIT, true, h->now_us);
        end_pass(h);
        assert_int_not_equal(seen[i], 0);
        for (unsigned j = 0; j < i; j++)
            if (seen[j] == seen[i])
                fail_msg("id %u handed out again after %u joins", (unsigned)seen[i], i);
    }
}

static void player_ids_distinct_among_players(void **state)
{
    harness *h = *state;
    uint16_t ids[8];
    for (uint32_t i = 0; i < 8; i++) {
        char name[8];
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        ids[i] = join(h, i, name, i % 2 ? "red" : "");
        assert_int_not_equal(ids[i], 0);
        for (uint32_t j = 0; j < i; j++)
            assert_int_not_equal(ids[j], ids[i]);
    }
}

/* ---- chat --------------------------------------------------------------------- */

static void chat_acked_to_sender_with_increasing_seq(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    for (uint32_t i = 0; i < 3; i++) {
        chat(h, 0, 100 + i, "hello");
        capture(h);
        const delivery *d = must_find_for(h, 0, PROTO_CHAT_ACK);
        static const uint32_t sender[] = {0};
        assert_dests(d, sender, 1);
        assert_true(d->reliable);
        assert_int_equal(d->msg.u.chat_ack.msg_id, 100 + i);
        assert_int_equal(d->msg.u.chat_ack.seq, i + 1);
        end_pass(h);
    }
}

static void chat_relayed_to_others_not_sender(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    uint16_t bob = join(h, 1, "bob", "");
    join(h, 2, "carol", "");
    chat(h, 1, 5, "hi all");
    capture(h);
    assert_int_equal(count_type(h, PROTO_CHAT_RELAY), 1);
    const delivery *d = must_find_for(h, 0, PROTO_CHAT_RELAY);
    static const uint32_t others[] = {0, 2};
    assert_dests(d, others, 2);
    assert_int_equal(d->channel, PROTO_CHANNEL_RELIABLE);
    assert_true(d->reliable);
    assert_int_equal(d->msg.u.chat_relay.from_id, bob);
    assert_int_equal(d->msg.u.chat_relay.seq, 1);
    assert_str(d->msg.u.chat_relay.text, "hi all");
    assert_int_equal(count_for(h, 1), 1); /* just the ack */
    assert_int_equal(server_get_stats(h->s)->chat_relays, 2);
    assert_int_equal(server_get_stats(h->s)->chats_accepted, 1);
}

static void chat_of_512_bytes_is_accepted(void **state)
{
    harness *h = *state;
    static char text[PROTO_MAX_CHAT_BYTES];
    memset(text, 'a', sizeof text);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    chat_bytes(h, 0, 1, text, sizeof text);
    capture(h);
    must_find_for(h, 0, PROTO_CHAT_ACK);
    const delivery *d = must_find_for(h, 1, PROTO_CHAT_RELAY);
    assert_int_equal(d->msg.u.chat_relay.text.len, PROTO_MAX_CHAT_BYTES);
}

static void chat_refusals_name_their_reason(void **state)
{
    harness *h = *state;
    static char too_long[PROTO_MAX_CHAT_BYTES + 1];
    memset(too_long, 'a', sizeof too_long);
    static const struct {
        const char *bytes;
        size_t len;
        proto_chat_refusal want;
    } cases[] = {
        {"", 0, PROTO_REFUSE_EMPTY},
        {too_long, sizeof too_long, PROTO_REFUSE_TOO_LONG},
        {"bad \xFF byte", 10, PROTO_REFUSE_INVALID_UTF8},
        {"overlong \xC0\xAF", 11, PROTO_REFUSE_INVALID_UTF8},
        {"bell\x07", 5, PROTO_REFUSE_CONTROL_CHARS},
        {"line\nbreak", 10, PROTO_REFUSE_CONTROL_CHARS},
        {"esc\x1B[2J", 7, PROTO_REFUSE_CONTROL_CHARS},
    };
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    for (uint32_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h->now_us += 10ull * 1000 * MS_US; /* keep the rate limit out of it */
        chat_bytes(h, 0, 50 + i, cases[i].bytes, cases[i].len);
        capture(h);
        assert_int_equal(h->got_count, 1); /* one answer, to the sender only */
        const delivery *d = must_find_for(h, 0, PROTO_CHAT_REFUSED);
        if (d->msg.u.chat_refused.reason != cases[i].want)
            fail_msg("case %u: refused with %s, want %s", (unsigned)i,
                     proto_refusal_text(d->msg.u.chat_refused.reason),
                     proto_refusal_text(cases[i].want));
        assert_int_equal(d->msg.u.chat_refused.msg_id, 50 + i);
        assert_true(d->msg.u.chat_refused.text.len > 0);
        assert_true(d->reliable);
        end_pass(h);
    }
    const server_stats *st = server_get_stats(h->s);
    assert_int_equal(st->chats_refused[PROTO_REFUSE_EMPTY], 1);
    assert_int_equal(st->chats_refused[PROTO_REFUSE_TOO_LONG], 1);
    assert_int_equal(st->chats_refused[PROTO_REFUSE_INVALID_UTF8], 2);
    assert_int_equal(st->chats_refused[PROTO_REFUSE_CONTROL_CHARS], 3);
    assert_int_equal(st->chats_accepted, 0);
}

static void chat_refusal_uses_no_sequence_number(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    chat(h, 0, 1, "");
    end_pass(h);
    chat(h, 0, 2, "ok");
    capture(h);
    assert_int_equal(must_find_for(h, 0, PROTO_CHAT_ACK)->msg.u.chat_ack.seq, 1);
}

static server_config rate_config(void)
{
    server_config cfg;
    test_config(&cfg);
    cfg.chat_burst = 3.0;
    cfg.chat_per_s = 2.0;
    return cfg;
}

/* Sends `count` chats from handle 0 at the current time; returns the acks. */
static unsigned chat_burst(harness *h, unsigned count)
{
    unsigned acked = 0;
    for (unsigned i = 0; i < count; i++) {
        chat(h, 0, i, "spam");
        capture(h);
        acked += find_for(h, 0, PROTO_CHAT_ACK) != NULL;
        end_pass(h);
    }
    return acked;
}

static void chat_rate_limited_after_burst(void **state)
{
    harness *h = *state;
    server_config cfg = rate_config();
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    assert_int_equal(chat_burst(h, 3), 3);
    chat(h, 0, 99, "one more");
    capture(h);
    assert_int_equal(h->got_count, 1);
    const delivery *d = must_find_for(h, 0, PROTO_CHAT_REFUSED);
    assert_int_equal(d->msg.u.chat_refused.reason, PROTO_REFUSE_RATE_LIMITED);
    assert_int_equal(d->msg.u.chat_refused.msg_id, 99);
    assert_true(d->msg.u.chat_refused.text.len > 0);
    assert_int_equal(server_get_stats(h->s)->chats_refused[PROTO_REFUSE_RATE_LIMITED], 1);
}

/* Chatting on far over the limit gets the player kicked for flooding. */
static void persistent_flooder_is_kicked(void **state)
{
    harness *h = *state;
    server_config cfg = rate_config();
    cfg.flood_limit = 5;
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    chat_burst(h, 3 + 4); /* the burst, then four refusals */
    assert_int_equal(disconnect_reason(h, 0), -1);
    chat(h, 0, 50, "and one more");
    capture(h);
    assert_int_equal(disconnect_reason(h, 0), PROTO_REASON_FLOODING);
    assert_int_equal(must_find_for(h, 1, PROTO_PLAYER_LEFT)->msg.u.left.reason, PROTO_LEAVE_KICKED);
    assert_int_equal(server_get_stats(h->s)->flood_kicks, 1);
}

/* Positions above the allowed rate are dropped and counted, not relayed. */
static void positions_over_the_rate_are_dropped(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.position_per_s = 10;
    cfg.position_burst = 3;
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    for (uint32_t seq = 1; seq <= 5; seq++)
        position(h, 0, seq, 10.0f * (float)seq, 10.0f);
    assert_int_equal(server_get_stats(h->s)->positions_rate_limited, 2);
    snapshot_tick(h);
    /* The third, the last one let through, is what the snapshot carries. */
    assert_int_equal(must_find_for(h, 1, PROTO_POSITION_SNAPSHOT)->msg.u.snapshot.entries[0].seq,
                     3);
    end_pass(h);
    h->now_us += 100 * MS_US; /* one token back */
    position(h, 0, 6, 60.0f, 10.0f);
    position(h, 0, 7, 70.0f, 10.0f);
    assert_int_equal(server_get_stats(h->s)->positions_rate_limited, 3);
    snapshot_tick(h);
    assert_int_equal(must_find_for(h, 1, PROTO_POSITION_SNAPSHOT)->msg.u.snapshot.entries[0].seq,
                     6);
}

static void chat_accepted_again_after_refill(void **state)
{
    harness *h = *state;
    server_config cfg = rate_config();
    restart(h, &cfg);
    join(h, 0, "alice", "");
    assert_int_equal(chat_burst(h, 4), 3);
    h->now_us += 250 * MS_US; /* 2/s: a token every 500 ms */
    assert_int_equal(chat_burst(h, 1), 0);
    h->now_us += 250 * MS_US;
    assert_int_equal(chat_burst(h, 1), 1);
    assert_int_equal(chat_burst(h, 1), 0);
}

static void chat_rate_limit_is_per_player(void **state)
{
    harness *h = *state;
    server_config cfg = rate_config();
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    assert_int_equal(chat_burst(h, 4), 3);
    chat(h, 1, 7, "my turn");
    capture(h);
    must_find_for(h, 1, PROTO_CHAT_ACK);
}

static void chat_stays_in_its_lobby(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    join(h, 2, "carol", "red");
    join(h, 3, "dave", "red");
    chat(h, 0, 1, "in main");
    capture(h);
    static const uint32_t bob[] = {1};
    assert_dests(must_find_for(h, 1, PROTO_CHAT_RELAY), bob, 1);
    assert_int_equal(count_for(h, 2) + count_for(h, 3), 0);
    end_pass(h);

    chat(h, 2, 2, "in red");
    capture(h);
    static const uint32_t dave[] = {3};
    assert_dests(must_find_for(h, 3, PROTO_CHAT_RELAY), dave, 1);
    assert_int_equal(count_for(h, 0) + count_for(h, 1), 0);
    /* Each lobby numbers its own chat. */
    assert_int_equal(must_find_for(h, 2, PROTO_CHAT_ACK)->msg.u.chat_ack.seq, 1);
}

/* ---- positions ------------------------------------------------------------------ */

/* Positions wait for the snapshot tick; one packet, shared by every member of
 * the lobby, carries them. */
static void position_waits_for_the_snapshot(void **state)
{
    harness *h = *state;
    uint16_t alice = join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    join(h, 2, "carol", "");
    end_pass(h);
    position(h, 0, 7, 100.5f, 200.25f);
    capture(h);
    assert_int_equal(h->got_count, 0);
    snapshot_tick(h);
    assert_int_equal(h->got_count, 1);
    const delivery *d = must_find_for(h, 1, PROTO_POSITION_SNAPSHOT);
    static const uint32_t everyone[] = {0, 1, 2};
    assert_dests(d, everyone, 3);
    assert_int_equal(d->channel, PROTO_CHANNEL_POSITION);
    assert_false(d->reliable);
    assert_int_equal(d->msg.u.snapshot.count, 1);
    const proto_snapshot_entry *e = &d->msg.u.snapshot.entries[0];
    assert_int_equal(e->id, alice);
    assert_int_equal(e->seq, 7);
    assert_int_equal(e->sent_us, 4242);
    assert_float_equal(e->x, 100.5f, 0.0f);
    assert_float_equal(e->y, 200.25f, 0.0f);
    /* Delivered to bob and carol; alice's copy of her own does not count. */
    assert_int_equal(server_get_stats(h->s)->position_relays, 2);
    assert_int_equal(server_get_stats(h->s)->snapshots, 3);
}

/* Only the newest position of each player goes out, once; a lobby where
 * nobody moved gets no snapshot at all. */
static void snapshot_carries_newest_of_each_mover_once(void **state)
{
    harness *h = *state;
    uint16_t alice = join(h, 0, "alice", "");
    uint16_t bob = join(h, 1, "bob", "");
    join(h, 2, "carol", "");
    end_pass(h);
    position(h, 0, 1, 10.0f, 10.0f);
    position(h, 1, 1, 20.0f, 20.0f);
    position(h, 0, 2, 11.0f, 11.0f);
    snapshot_tick(h);
    const delivery *d = must_find_for(h, 2, PROTO_POSITION_SNAPSHOT);
    assert_int_equal(d->msg.u.snapshot.count, 2);
    assert_int_equal(d->msg.u.snapshot.entries[0].id, alice);
    assert_int_equal(d->msg.u.snapshot.entries[0].seq, 2);
    assert_int_equal(d->msg.u.snapshot.entries[0].merged, 1); /* seq 1 never went out */
    assert_int_equal(d->msg.u.snapshot.entries[1].id, bob);
    assert_int_equal(d->msg.u.snapshot.entries[1].merged, 0);
    assert_int_equal(server_get_stats(h->s)->positions_merged, 1);
    assert_int_equal(server_get_stats(h->s)->position_relays, 2 * 3 - 2);
    end_pass(h);
    snapshot_tick(h);
    assert_int_equal(h->got_count, 0);
}

static void snapshot_full_repeats_everyone(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.snapshot_full = true;
    restart(h, &cfg);
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    end_pass(h);
    for (int tick = 0; tick < 2; tick++) {
        snapshot_tick(h);
        assert_int_equal(must_find_for(h, 0, PROTO_POSITION_SNAPSHOT)->msg.u.snapshot.count, 2);
        end_pass(h);
    }
}

/* A lobby larger than one snapshot's entries is split over several packets. */
static void snapshot_splits_large_lobbies(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.max_players = 64;
    cfg.max_sessions = 64;
    cfg.lobby_capacity = 64;
    restart(h, &cfg);
    for (uint32_t i = 0; i < 60; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        join(h, i, name, "");
    }
    end_pass(h);
    for (uint32_t i = 0; i < 60; i++)
        position(h, i, 1, (float)i, 1.0f);
    snapshot_tick(h);
    assert_int_equal(count_type(h, PROTO_POSITION_SNAPSHOT), 2);
    assert_int_equal(h->got[0].msg.u.snapshot.count, PROTO_MAX_SNAPSHOT_ENTRIES);
    assert_int_equal(h->got[1].msg.u.snapshot.count, 60 - PROTO_MAX_SNAPSHOT_ENTRIES);
    assert_int_equal(server_get_stats(h->s)->position_relays, 60 * 59);
}

/* The tick keeps its grid: a late pass does not shift later snapshots. */
static void snapshot_tick_keeps_its_period(void **state)
{
    harness *h = *state;
    server_tick(h->s, h->now_us);
    uint64_t first = server_next_tick_us(h->s);
    assert_int_equal(first, h->now_us + 1000000u / h->cfg.snapshot_hz);
    server_tick(h->s, first + 5 * MS_US);
    assert_int_equal(server_next_tick_us(h->s), first + 1000000u / h->cfg.snapshot_hz);
    server_tick(h->s, first + 500 * MS_US); /* far behind: skips, does not burst */
    assert_int_equal(server_next_tick_us(h->s),
                     first + 500 * MS_US + 1000000u / h->cfg.snapshot_hz);
}

static void position_is_clamped_to_world(void **state)
{
    harness *h = *state;
    static const struct {
        float x, y, want_x, want_y;
    } cases[] = {
        {-50.0f, 9999.0f, 0.0f, PROTO_WORLD_HEIGHT},
        {1e9f, -1e9f, PROTO_WORLD_WIDTH, 0.0f},
        {PROTO_WORLD_WIDTH + 0.5f, PROTO_WORLD_HEIGHT + 0.5f, PROTO_WORLD_WIDTH,
         PROTO_WORLD_HEIGHT},
    };
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    end_pass(h);
    for (uint32_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        position(h, 0, i + 1, cases[i].x, cases[i].y);
        snapshot_tick(h);
        const proto_snapshot_entry *e =
            &must_find_for(h, 1, PROTO_POSITION_SNAPSHOT)->msg.u.snapshot.entries[0];
        assert_float_equal(e->x, cases[i].want_x, 0.0f);
        assert_float_equal(e->y, cases[i].want_y, 0.0f);
        end_pass(h);
    }
}

static void position_stale_is_dropped_and_counted(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    end_pass(h);
    position(h, 0, 5, 10.0f, 10.0f);
    snapshot_tick(h);
    end_pass(h);
    position(h, 0, 5, 20.0f, 20.0f); /* equal */
    position(h, 0, 4, 30.0f, 30.0f); /* older */
    snapshot_tick(h);
    assert_int_equal(h->got_count, 0);
    const server_stats *st = server_get_stats(h->s);
    assert_int_equal(st->positions_received, 3);
    assert_int_equal(st->positions_stale, 2);
    assert_int_equal(st->position_relays, 1);
    assert_int_equal(st->malformed, 0);
}

/* Channel 1 does not wait for LEAVE_LOBBY on channel 0: a position that
 * comes from the lobby list within a second of leaving was in flight and is
 * dropped as stale; later it is misplaced. */
static void position_from_the_list(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    snapshot_tick(h);
    end_pass(h);
    proto_msg leave = {.type = PROTO_LEAVE_LOBBY};
    receive(h, 0, &leave);
    end_pass(h);
    const server_stats *st = server_get_stats(h->s);
    position(h, 0, 1, 10.0f, 10.0f);
    uint32_t ticks = h->cfg.snapshot_hz * 9 / 10;
    for (uint32_t i = 0; i < ticks; i++) /* 0.9 s */
        snapshot_tick(h);
    position(h, 0, 2, 10.0f, 10.0f);
    assert_int_equal(st->positions_stale, 2);
    assert_int_equal(st->malformed, 0);
    for (uint32_t i = ticks; i < h->cfg.snapshot_hz + 2; i++) /* past 1 s and a tick */
        snapshot_tick(h);
    end_pass(h);
    position(h, 0, 3, 10.0f, 10.0f);
    assert_int_equal(st->positions_stale, 2);
    assert_int_equal(st->malformed_by[SERVER_MALFORMED_WRONG_STATE], 1);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_outbox(h->s)->disconnect_count, 0);
    /* Never in a lobby: misplaced at once. */
    connect_peer(h, 2);
    proto_msg browse = hello_msg(proto_str_from_cstr("carol"), "");
    browse.u.hello.mode = PROTO_HELLO_BROWSE;
    receive(h, 2, &browse);
    end_pass(h);
    position(h, 2, 1, 10.0f, 10.0f);
    assert_int_equal(st->malformed_by[SERVER_MALFORMED_WRONG_STATE], 2);
    assert_int_equal(st->positions_stale, 2);
}

static void position_seq_wraps_around(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    end_pass(h);
    position(h, 0, 0xFFFFFFFFu, 10.0f, 10.0f);
    position(h, 0, 0, 20.0f, 20.0f);
    snapshot_tick(h);
    assert_int_equal(must_find_for(h, 1, PROTO_POSITION_SNAPSHOT)->msg.u.snapshot.entries[0].seq,
                     0);
    assert_int_equal(server_get_stats(h->s)->positions_stale, 0);
}

static void position_stays_in_its_lobby(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    join(h, 2, "carol", "red");
    join(h, 3, "dave", "red");
    end_pass(h);
    position(h, 2, 1, 50.0f, 60.0f);
    snapshot_tick(h);
    static const uint32_t red[] = {2, 3};
    assert_dests(must_find_for(h, 3, PROTO_POSITION_SNAPSHOT), red, 2);
    assert_int_equal(count_for(h, 0) + count_for(h, 1), 0);
}

/* ---- ping ------------------------------------------------------------------------- */

static void ping_answered_with_pong(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    h->now_us = 123456789;
    ping(h, 0, 987654321ull);
    capture(h);
    assert_int_equal(h->got_count, 1);
    const delivery *d = must_find_for(h, 0, PROTO_PONG);
    assert_int_equal(d->dest_count, 1);
    assert_int_equal(d->msg.u.pong.client_us, 987654321ull);
    assert_int_equal(d->msg.u.pong.server_us, 123456789);
    assert_int_equal(server_get_stats(h->s)->pings, 1);
}

static void ping_before_hello_answered(void **state)
{
    harness *h = *state;
    connect_peer(h, 0);
    h->now_us += 250 * MS_US;
    ping(h, 0, 1);
    capture(h);
    const delivery *d = must_find_for(h, 0, PROTO_PONG);
    assert_int_equal(d->msg.u.pong.server_us, h->now_us);
}

/* ---- malformed input -------------------------------------------------------------- */

typedef struct malformed_case {
    const char *what;
    bool joined; /* send it after joining, else during the handshake */
    uint8_t bytes[64];
    size_t len;
    server_malformed_kind kind; /* how it must be counted */
    bool other_channel;         /* on the channel its type must not use */
} malformed_case;

/* Builds the malformed inputs: some are mangled encodings of valid messages. */
static size_t malformed_cases(malformed_case *out, size_t cap)
{
    size_t n = 0;
    proto_msg m;
    malformed_case *c;
    assert_true(cap >= 10);

    c = &out[n++];
    c->what = "empty packet";
    c->len = 0;
    c->kind = SERVER_MALFORMED_EMPTY;

    c = &out[n++];
    c->what = "empty packet after join";
    c->joined = true;
    c->len = 0;
    c->kind = SERVER_MALFORMED_EMPTY;

    c = &out[n++];
    c->what = "truncated hello";
    m = hello_msg(proto_str_from_cstr("alice"), "");
    c->len = encode(&m, c->bytes, sizeof c->bytes) - 1;
    c->kind = SERVER_MALFORMED_TRUNCATED;

    c = &out[n++];
    c->what = "truncated chat";
    c->joined = true;
    m = (proto_msg){.type = PROTO_CHAT};
    m.u.chat.msg_id = 1;
    m.u.chat.text = proto_str_from_cstr("hello");
    c->len = encode(&m, c->bytes, sizeof c->bytes) - 3;
    c->kind = SERVER_MALFORMED_TRUNCATED;

    c = &out[n++];
    c->what = "unknown type 0x7F";
    c->bytes[0] = 0x7F;
    c->len = 1;
    c->kind = SERVER_MALFORMED_UNKNOWN_TYPE;

    c = &out[n++];
    c->what = "unknown type 0x00 after join";
    c->joined = true;
    c->bytes[0] = 0x00;
    c->len = 1;
    c->kind = SERVER_MALFORMED_UNKNOWN_TYPE;

    c = &out[n++];
    c->what = "ping with a trailing byte";
    c->joined = true;
    m = (proto_msg){.type = PROTO_PING};
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->bytes[c->len++] = 0;
    c->kind = SERVER_MALFORMED_TRAILING;

    c = &out[n++];
    c->what = "chat before hello";
    m = (proto_msg){.type = PROTO_CHAT};
    m.u.chat.text = proto_str_from_cstr("too early");
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_STATE;

    c = &out[n++];
    c->what = "position before hello";
    m = (proto_msg){.type = PROTO_POSITION};
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_STATE;

    c = &out[n++];
    c->what = "second hello";
    c->joined = true;
    m = hello_msg(proto_str_from_cstr("mallory"), "");
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_STATE;

    c = &out[n++];
    c->what = "server message from a client";
    c->joined = true;
    m = (proto_msg){.type = PROTO_PONG};
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_STATE;

    c = &out[n++];
    c->what = "position on channel 0";
    c->joined = true;
    m = (proto_msg){.type = PROTO_POSITION};
    m.u.position.seq = 1;
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_CHANNEL;
    c->other_channel = true;

    c = &out[n++];
    c->what = "chat on channel 1";
    c->joined = true;
    m = (proto_msg){.type = PROTO_CHAT};
    m.u.chat.msg_id = 1;
    m.u.chat.text = proto_str_from_cstr("hello");
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_CHANNEL;
    c->other_channel = true;

    c = &out[n++];
    c->what = "ping on channel 1";
    m = (proto_msg){.type = PROTO_PING};
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_CHANNEL;
    c->other_channel = true;

    c = &out[n++];
    c->what = "hello on channel 1";
    m = hello_msg(proto_str_from_cstr("mallory"), "");
    c->len = encode(&m, c->bytes, sizeof c->bytes);
    c->kind = SERVER_MALFORMED_WRONG_CHANNEL;
    c->other_channel = true;
    return n;
}

static void malformed_input_gets_no_reply_and_is_counted(void **state)
{
    harness *h = *state;
    malformed_case cases[20];
    memset(cases, 0, sizeof cases);
    size_t n = malformed_cases(cases, sizeof cases / sizeof cases[0]);
    for (size_t i = 0; i < n; i++) {
        server_config cfg;
        test_config(&cfg);
        restart(h, &cfg);
        join(h, 1, "bob", "");
        if (cases[i].joined)
            join(h, 0, "mallory", "");
        else
            connect_peer(h, 0);
        end_pass(h);
        if (cases[i].other_channel) {
            bool position = cases[i].bytes[0] == PROTO_POSITION;
            receive_on(h, 0, position ? PROTO_CHANNEL_RELIABLE : PROTO_CHANNEL_POSITION,
                       cases[i].bytes, cases[i].len);
        } else {
            receive_bytes(h, 0, cases[i].len > 0 ? cases[i].bytes : NULL, cases[i].len);
        }
        capture(h);
        if (h->got_count != 0 || server_outbox(h->s)->disconnect_count != 0)
            fail_msg("%s: %zu replies, %zu disconnects", cases[i].what, h->got_count,
                     server_outbox(h->s)->disconnect_count);
        const server_stats *st = server_get_stats(h->s);
        if (st->malformed != 1 || st->malformed_by[cases[i].kind] != 1)
            fail_msg("%s: counted %u malformed, %u as %s; want 1", cases[i].what,
                     (unsigned)st->malformed, (unsigned)st->malformed_by[cases[i].kind],
                     server_malformed_kind_name(cases[i].kind));
        assert_int_equal(server_player_count(h->s), cases[i].joined ? 2 : 1);
    }
}

static server_config kick_config(void)
{
    server_config cfg;
    test_config(&cfg);
    cfg.malformed_limit = 3;
    return cfg;
}

static void send_garbage(harness *h, uint32_t handle, unsigned count)
{
    static const uint8_t garbage[] = {0x7F, 0x01, 0x02};
    for (unsigned i = 0; i < count; i++)
        receive_bytes(h, handle, garbage, sizeof garbage);
}

static void malformed_below_limit_keeps_session(void **state)
{
    harness *h = *state;
    server_config cfg = kick_config();
    restart(h, &cfg);
    join(h, 0, "mallory", "");
    send_garbage(h, 0, 2);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(disconnect_reason(h, 0), -1);
    ping(h, 0, 1); /* still served */
    capture(h);
    must_find_for(h, 0, PROTO_PONG);
}

static void malformed_limit_kicks_with_protocol_violation(void **state)
{
    harness *h = *state;
    server_config cfg = kick_config();
    restart(h, &cfg);
    uint16_t mallory = join(h, 0, "mallory", "");
    join(h, 1, "bob", "");
    send_garbage(h, 0, 3);
    capture(h);
    assert_int_equal(disconnect_reason(h, 0), PROTO_REASON_PROTOCOL_VIOLATION);
    const delivery *d = must_find_for(h, 1, PROTO_PLAYER_LEFT);
    static const uint32_t bob[] = {1};
    assert_dests(d, bob, 1);
    assert_int_equal(d->msg.u.left.id, mallory);
    assert_int_equal(d->msg.u.left.reason, PROTO_LEAVE_KICKED);
    assert_int_equal(server_get_stats(h->s)->kicks, 1);
    assert_int_equal(server_get_stats(h->s)->malformed, 3);
    assert_int_equal(server_player_count(h->s), 1);
}

static void malformed_limit_kicks_during_handshake(void **state)
{
    harness *h = *state;
    server_config cfg = kick_config();
    restart(h, &cfg);
    join(h, 1, "bob", "");
    connect_peer(h, 0);
    send_garbage(h, 0, 3);
    capture(h);
    assert_int_equal(disconnect_reason(h, 0), PROTO_REASON_PROTOCOL_VIOLATION);
    assert_int_equal(h->got_count, 0); /* bob never saw it join */
}

static void kicked_session_input_is_ignored(void **state)
{
    harness *h = *state;
    server_config cfg = kick_config();
    restart(h, &cfg);
    join(h, 0, "mallory", "");
    join(h, 1, "bob", "");
    send_garbage(h, 0, 3);
    end_pass(h);
    chat(h, 0, 1, "still here?");
    ping(h, 0, 1);
    send_garbage(h, 0, 5);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_outbox(h->s)->disconnect_count, 0);
    assert_int_equal(server_get_stats(h->s)->malformed, 3);
    assert_int_equal(server_get_stats(h->s)->kicks, 1);
}

/* ---- disconnects ------------------------------------------------------------------ */

typedef struct leave_case {
    uint32_t data;
    proto_leave_reason want;
} leave_case;

static void assert_disconnect_announced(harness *h, const leave_case *c)
{
    uint16_t alice = join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    join(h, 2, "carol", "");
    server_on_disconnect(h->s, 0, c->data, c->data != 0, h->now_us);
    capture(h);
    assert_int_equal(h->got_count, 2); /* PLAYER_LEFT, then the new LOBBY_STATE */
    assert_int_equal(must_find_for(h, 2, PROTO_LOBBY_STATE)->msg.u.lobby_state.count, 2);
    const delivery *d = must_find_for(h, 1, PROTO_PLAYER_LEFT);
    static const uint32_t others[] = {1, 2};
    assert_dests(d, others, 2);
    assert_true(d->reliable);
    assert_int_equal(d->msg.u.left.id, alice);
    assert_int_equal(d->msg.u.left.reason, c->want);
    assert_int_equal(server_player_count(h->s), 2);
    assert_int_equal(server_session_count(h->s), 2);
    assert_int_equal(server_get_stats(h->s)->leaves[c->want], 1);
}

static void disconnect_timeout_announces_left_timeout(void **state)
{
    static const leave_case c = {0, PROTO_LEAVE_TIMEOUT};
    assert_disconnect_announced(*state, &c);
}

static void disconnect_quit_announces_left_quit(void **state)
{
    static const leave_case c = {PROTO_REASON_QUIT, PROTO_LEAVE_QUIT};
    assert_disconnect_announced(*state, &c);
}

static void disconnect_during_handshake_announces_nothing(void **state)
{
    harness *h = *state;
    join(h, 1, "bob", "");
    connect_peer(h, 0);
    server_on_disconnect(h->s, 0, 0, false, h->now_us);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_session_count(h->s), 1);
}

static void disconnect_frees_name_and_handle(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    server_on_disconnect(h->s, 0, PROTO_REASON_QUIT, true, h->now_us);
    end_pass(h);
    join(h, 0, "alice", "");
    assert_int_equal(server_player_count(h->s), 1);
    assert_int_equal(server_session_count(h->s), 1);
}

/* An empty lobby stays (listed, joinable) for the grace time, then closes. */
static void disconnect_of_last_member_closes_named_lobby_after_grace(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.max_lobbies = 2;
    cfg.lobby_grace_ms = 1000;
    restart(h, &cfg);
    join(h, 0, "alice", "red");
    server_on_disconnect(h->s, 0, PROTO_REASON_QUIT, true, h->now_us);
    end_pass(h);
    server_tick(h->s, h->now_us); /* red is seen empty */
    connect_peer(h, 0);
    hello(h, 0, proto_str_from_cstr("bob"), "blue");
    assert_rejected(h, 0, PROTO_REASON_TOO_MANY_LOBBIES); /* red still holds the slot */
    server_on_disconnect(h->s, 0, PROTO_REASON_QUIT, true, h->now_us);
    end_pass(h);
    h->now_us += 1000 * MS_US;
    server_tick(h->s, h->now_us);
    end_pass(h);
    join(h, 0, "bob", "blue"); /* red's slot is free again */
}

/* ---- handshake timeout ------------------------------------------------------------ */

static server_config timeout_config(void)
{
    server_config cfg;
    test_config(&cfg);
    cfg.handshake_timeout_ms = 2000;
    return cfg;
}

static void handshake_timeout_rejects_silent_session(void **state)
{
    harness *h = *state;
    server_config cfg = timeout_config();
    restart(h, &cfg);
    uint64_t t0 = h->now_us;
    connect_peer(h, 0);
    server_tick(h->s, t0 + 1800 * MS_US);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(disconnect_reason(h, 0), -1);
    h->now_us = t0 + 2000 * MS_US;
    server_tick(h->s, h->now_us);
    assert_rejected(h, 0, PROTO_REASON_HANDSHAKE_TIMEOUT);
}

static void handshake_timeout_counts_from_each_connect(void **state)
{
    harness *h = *state;
    server_config cfg = timeout_config();
    restart(h, &cfg);
    uint64_t t0 = h->now_us;
    connect_peer(h, 0);
    h->now_us = t0 + 1000 * MS_US;
    connect_peer(h, 1);
    h->now_us = t0 + 2000 * MS_US;
    server_tick(h->s, h->now_us);
    assert_rejected(h, 0, PROTO_REASON_HANDSHAKE_TIMEOUT);
    assert_int_equal(disconnect_reason(h, 1), -1);
    end_pass(h);
    h->now_us = t0 + 3000 * MS_US;
    server_tick(h->s, h->now_us);
    assert_rejected(h, 1, PROTO_REASON_HANDSHAKE_TIMEOUT);
}

static void handshake_timeout_spares_joined_players(void **state)
{
    harness *h = *state;
    server_config cfg = timeout_config();
    restart(h, &cfg);
    join(h, 0, "alice", "");
    for (int i = 1; i <= 10; i++)
        server_tick(h->s, h->now_us + (uint64_t)i * 1000 * MS_US);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_outbox(h->s)->disconnect_count, 0);
}

/* ---- shutdown --------------------------------------------------------------------- */

static void shutdown_disconnects_every_session(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    join(h, 2, "carol", "red");
    connect_peer(h, 3); /* still in handshake */
    end_pass(h);
    server_begin_shutdown(h->s);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(disconnect_reason(h, i), PROTO_REASON_SHUTTING_DOWN);
    assert_int_equal(server_outbox(h->s)->disconnect_count, 4);
    assert_int_equal(server_player_count(h->s), 0);
}

static void shutdown_rejects_new_connects(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    server_begin_shutdown(h->s);
    end_pass(h);
    connect_peer(h, 1);
    assert_rejected(h, 1, PROTO_REASON_SHUTTING_DOWN);
}

/* ---- the outbox across disconnects ------------------------------------------------ */

static void disconnect_forgets_queued_packets_for_session(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    join(h, 1, "bob", "");
    join(h, 2, "carol", "");
    chat(h, 0, 1, "bye bob"); /* relay queued for bob and carol */
    server_on_disconnect(h->s, 1, PROTO_REASON_QUIT, true, h->now_us);
    capture(h);
    const delivery *relay = must_find_for(h, 2, PROTO_CHAT_RELAY);
    static const uint32_t forgotten[] = {OUTBOX_NO_SESSION, 2};
    assert_dests(relay, forgotten, 2);
    assert_int_equal(count_for(h, 1), 0);
}

static void disconnect_forgets_queued_disconnect_for_session(void **state)
{
    harness *h = *state;
    connect_with(h, 0, 0); /* rejected: REJECT and disconnect queued */
    server_on_disconnect(h->s, 0, 0, false, h->now_us);
    capture(h);
    assert_int_equal(count_for(h, 0), 0);
    const delivery *reject = &h->got[0];
    assert_int_equal(reject->msg.type, PROTO_REJECT);
    assert_int_equal(reject->dests[0], OUTBOX_NO_SESSION);
    assert_int_equal(disconnect_reason(h, 0), -1);
}

static void handle_reused_in_same_pass_gets_only_its_own_packets(void **state)
{
    harness *h = *state;
    connect_with(h, 0, 0); /* old peer: rejected */
    server_on_disconnect(h->s, 0, 0, false, h->now_us);
    connect_peer(h, 0); /* new peer on the same handle */
    hello(h, 0, proto_str_from_cstr("alice"), "");
    capture(h);
    assert_int_equal(count_for(h, 0), 2); /* WELCOME and LOBBY_STATE */
    must_find_for(h, 0, PROTO_WELCOME);
    assert_int_equal(disconnect_reason(h, 0), -1);
}

/* ---- transport misuse ------------------------------------------------------------- */

static void events_for_unknown_handles_are_ignored(void **state)
{
    harness *h = *state;
    uint32_t outside = h->cfg.max_sessions;
    connect_peer(h, outside);
    ping(h, outside, 1);
    ping(h, 5, 1); /* in range, never connected */
    server_on_disconnect(h->s, outside, 0, false, h->now_us);
    server_on_disconnect(h->s, 5, 0, false, h->now_us);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_session_count(h->s), 0);
}

static void connect_on_busy_handle_is_ignored(void **state)
{
    harness *h = *state;
    join(h, 0, "alice", "");
    connect_peer(h, 0);
    capture(h);
    assert_int_equal(h->got_count, 0);
    assert_int_equal(server_session_count(h->s), 1);
    assert_int_equal(server_player_count(h->s), 1);
}

#define HARNESS_TEST(f) cmocka_unit_test_setup_teardown(f, harness_setup, server_fixture_teardown)

static void assert_stat(const proto_member_stat *st, uint16_t id, uint16_t rtt, uint16_t jitter,
                        uint16_t loss)
{
    assert_int_equal(st->id, id);
    assert_int_equal(st->rtt_ms, rtt);
    assert_int_equal(st->jitter_ms, jitter);
    assert_int_equal(st->loss_permyriad, loss);
}

/* Each lobby hears its own members' link figures, clamped to the wire's
 * range, once per interval, unreliably on the position channel. */
static void member_stats_go_to_each_lobby_once_per_interval(void **state)
{
    harness *h = *state;
    server_config cfg;
    test_config(&cfg);
    cfg.member_stats_ms = 1000;
    restart(h, &cfg);
    uint16_t alice = join(h, 0, "alice", "");
    uint16_t bob = join(h, 1, "bob", "");
    uint16_t carol = join(h, 2, "carol", "red");
    server_note_link(h->s, 0, 20, 3, 150);
    server_note_link(h->s, 1, 70000, 5, 20000);
    server_tick(h->s, h->now_us);
    capture(h);
    const delivery *main_stats = must_find_for(h, 0, PROTO_MEMBER_STATS);
    assert_dests(main_stats, (const uint32_t[]){0, 1}, 2);
    assert_int_equal(main_stats->channel, PROTO_CHANNEL_POSITION);
    assert_false(main_stats->reliable);
    assert_int_equal(main_stats->msg.u.member_stats.count, 2);
    assert_stat(&main_stats->msg.u.member_stats.members[0], alice, 20, 3, 150);
    assert_stat(&main_stats->msg.u.member_stats.members[1], bob, UINT16_MAX, 5, 10000);
    const delivery *red_stats = must_find_for(h, 2, PROTO_MEMBER_STATS);
    assert_int_equal(red_stats->msg.u.member_stats.count, 1);
    assert_stat(&red_stats->msg.u.member_stats.members[0], carol, 0, 0, 0);
    end_pass(h);

    server_tick(h->s, h->now_us + 500 * MS_US);
    capture(h);
    assert_int_equal(count_type(h, PROTO_MEMBER_STATS), 0);
    end_pass(h);
    server_tick(h->s, h->now_us + 1000 * MS_US);
    capture(h);
    assert_int_equal(count_type(h, PROTO_MEMBER_STATS), 2);
    end_pass(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(member_stats_go_to_each_lobby_once_per_interval,
                                        harness_setup, server_fixture_teardown),
        cmocka_unit_test(create_rejects_bad_config),
        cmocka_unit_test(create_rejects_more_players_than_player_ids),
        cmocka_unit_test(create_accepts_defaults),
        HARNESS_TEST(connect_sends_nothing_until_hello),
        HARNESS_TEST(hello_welcomes_joiner_with_itself),
        HARNESS_TEST(hello_welcome_lists_lobby_in_join_order),
        HARNESS_TEST(hello_announces_joiner_to_others_only),
        HARNESS_TEST(hello_into_named_lobby_welcomes_to_it),
        HARNESS_TEST(connect_with_wrong_version_is_rejected),
        HARNESS_TEST(connect_without_magic_is_version_mismatch),
        HARNESS_TEST(connect_with_one_channel_is_version_mismatch),
        HARNESS_TEST(hello_with_invalid_name_is_rejected),
        HARNESS_TEST(hello_with_24_byte_names_is_accepted),
        HARNESS_TEST(hello_with_invalid_lobby_name_is_rejected),
        HARNESS_TEST(hello_with_taken_name_is_rejected),
        HARNESS_TEST(hello_with_name_taken_in_other_lobby_is_accepted),
        HARNESS_TEST(hello_into_full_lobby_is_rejected),
        HARNESS_TEST(hello_past_max_players_is_rejected),
        HARNESS_TEST(hello_past_max_lobbies_is_rejected),
        HARNESS_TEST(rejected_session_input_is_ignored),
        HARNESS_TEST(player_ids_not_reused_after_leave),
        HARNESS_TEST(player_ids_distinct_among_players),
        HARNESS_TEST(chat_acked_to_sender_with_increasing_seq),
        HARNESS_TEST(chat_relayed_to_others_not_sender),
        HARNESS_TEST(chat_of_512_bytes_is_accepted),
        HARNESS_TEST(chat_refusals_name_their_reason),
        HARNESS_TEST(chat_refusal_uses_no_sequence_number),
        HARNESS_TEST(chat_rate_limited_after_burst),
        HARNESS_TEST(persistent_flooder_is_kicked),
        HARNESS_TEST(positions_over_the_rate_are_dropped),
        HARNESS_TEST(chat_accepted_again_after_refill),
        HARNESS_TEST(chat_rate_limit_is_per_player),
        HARNESS_TEST(chat_stays_in_its_lobby),
        HARNESS_TEST(position_waits_for_the_snapshot),
        HARNESS_TEST(snapshot_carries_newest_of_each_mover_once),
        HARNESS_TEST(snapshot_full_repeats_everyone),
        HARNESS_TEST(snapshot_splits_large_lobbies),
        HARNESS_TEST(snapshot_tick_keeps_its_period),
        HARNESS_TEST(position_is_clamped_to_world),
        HARNESS_TEST(position_stale_is_dropped_and_counted),
        HARNESS_TEST(position_from_the_list),
        HARNESS_TEST(position_seq_wraps_around),
        HARNESS_TEST(position_stays_in_its_lobby),
        HARNESS_TEST(ping_answered_with_pong),
        HARNESS_TEST(ping_before_hello_answered),
        HARNESS_TEST(malformed_input_gets_no_reply_and_is_counted),
        HARNESS_TEST(malformed_below_limit_keeps_session),
        HARNESS_TEST(malformed_limit_kicks_with_protocol_violation),
        HARNESS_TEST(malformed_limit_kicks_during_handshake),
        HARNESS_TEST(kicked_session_input_is_ignored),
        HARNESS_TEST(disconnect_timeout_announces_left_timeout),
        HARNESS_TEST(disconnect_quit_announces_left_quit),
        HARNESS_TEST(disconnect_during_handshake_announces_nothing),
        HARNESS_TEST(disconnect_frees_name_and_handle),
        HARNESS_TEST(disconnect_of_last_member_closes_named_lobby_after_grace),
        HARNESS_TEST(handshake_timeout_rejects_silent_session),
        HARNESS_TEST(handshake_timeout_counts_from_each_connect),
        HARNESS_TEST(handshake_timeout_spares_joined_players),
        HARNESS_TEST(shutdown_disconnects_every_session),
        HARNESS_TEST(shutdown_rejects_new_connects),
        HARNESS_TEST(disconnect_forgets_queued_packets_for_session),
        HARNESS_TEST(disconnect_forgets_queued_disconnect_for_session),
        HARNESS_TEST(handle_reused_in_same_pass_gets_only_its_own_packets),
        HARNESS_TEST(events_for_unknown_handles_are_ignored),
        HARNESS_TEST(connect_on_busy_handle_is_ignored),
    };
    return cmocka_run_group_tests_name("server_core", tests, quiet_logs, NULL);
}
