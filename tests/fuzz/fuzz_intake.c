/* Fuzz target for the server's whole intake: the server core as the
 * transport drives it, with a fuzzed peer.
 *
 * The server is created once (a small configuration) and lives across inputs;
 * each input connects its peer, replays a sequence of messages into
 * server_on_receive with time advancing between them and server_tick after
 * each, and disconnects everyone again, so every input starts from a server
 * with no session (and, an hour later, no seat held for a reconnection).
 *
 * Input layout (every byte string is a valid input; short ones just end early):
 *
 *   mode    u8: bits 0-2 scenario: other players already in lobbies (value % 5,
 *               see scenarios[]); bits 3-4: 0, 1 valid connect data, 2 valid
 *               but every other session token fails to be made, 3 invalid
 *               connect data (bits 5-6 choose how; with valid data they make
 *               a bystander chat first, see bystander_chats[]); bit 7: below.
 *   chunk*  op u8: bits 0-4 time step before the chunk (step_us());
 *                  bit 5: end the loop pass first (check and clear the outbox);
 *                  bits 6-7: what the peer does first (OP_*): nothing;
 *                  reconnect on the same handle; reconnect and resume with the
 *                  last session token it was given; or resume from a second
 *                  connection while the first is still up (the second becomes
 *                  the peer). Disconnects in these are timeouts when the step
 *                  code is even, quits when it is odd.
 *           len u8, or 0xFF then a u16 little-endian: bits 0-14 len, bit 15
 *           set sends the chunk on the wrong channel;
 *           len bytes (fewer when the input ends): fed to server_on_receive
 *           on the channel of the message type its first byte names
 *           (channel_for()), or for a resume: last_chat_seq (u32 LE) then a
 *           byte that, when not 0, forges the token (flips token[byte % 16]).
 *
 * After each pass every packet in the outbox must decode (the server never
 * sends garbage), be a server-to-client message on a channel that suits it,
 * and go to a session that is connected; disconnects are performed the way
 * the transport's would be. Session tokens come from a deterministic
 * generator, so a crash replays.
 *
 * Filter mode: when server/enet_filter.h exists (LOBBY_FUZZ_HAS_ENET_FILTER),
 * an input whose mode has bit 7 set is a raw UDP datagram for
 * enet_filter_check instead (fuzz_filter()). */
#include "fuzz.h"

#include "log.h"
#include "outbox.h"
#include "proto.h"
#include "server.h"

#ifdef LOBBY_FUZZ_HAS_ENET_FILTER
#include "enet_filter.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    FUZZ_SESSIONS = 5, /* the peer's two handles (0 and 4) and three bystanders */
    PEER_A = 0,
    PEER_B = 4,
    MODE_FILTER = 0x80,
    MODE_TOKENS_FAIL = 2 << 3,
    MODE_INVALID_CONNECT = 3 << 3,
    OP_STEP = 0x1F,
    OP_END_PASS = 0x20,
    OP_ACTION = 0xC0,
    OP_RECONNECT = 0x40,
    OP_RESUME = 0x80,
    OP_STEAL = 0xC0,
    LEN_LONG = 0xFF,
    LEN_OTHER_CHANNEL = 0x8000, /* in the long form */
};
#define HOUR_US (UINT64_C(3600) * 1000000u)

static void require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_intake: %s\n", what);
        abort();
    }
}

/* ---- the server and the fake transport around it ------------------------- */

static server *g_server;
static uint64_t g_now_us = 1000000; /* grows across inputs: time never goes back */
static bool g_connected[FUZZ_SESSIONS];
static uint32_t g_peer; /* the handle the fuzzed messages go to */
static uint8_t g_token[PROTO_TOKEN_BYTES];
static bool g_have_token;
static uint64_t g_random_state;
static bool g_tokens_fail; /* every other token cannot be made */
static uint64_t g_random_calls;
static bool g_trace; /* FUZZ_INTAKE_TRACE=1: print what the server queues */

/* Lines are formatted (log_write runs) but go nowhere. */
static void quiet_sink(log_level level, const char *line, void *user)
{
    (void)level;
    (void)line;
    (void)user;
}

/* Session tokens: splitmix64, reset for every input, so inputs replay. */
static int fuzz_random_bytes(void *user, uint8_t *buf, size_t n)
{
    (void)user;
    if (g_tokens_fail && g_random_calls++ % 2 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (g_random_state += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        buf[i] = (uint8_t)(z ^ (z >> 31));
    }
    return 0;
}

static void setup_once(void)
{
    if (g_server != NULL)
        return;
    g_trace = getenv("FUZZ_INTAKE_TRACE") != NULL;
    log_set_level(LOG_DEBUG);
    if (!g_trace)
        log_set_sink(quiet_sink, NULL);
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.max_players = 3; /* server full is reachable */
    cfg.max_sessions = FUZZ_SESSIONS;
    cfg.max_lobbies = 2; /* so is "too many lobbies" */
    cfg.lobby_capacity = 2;
    cfg.malformed_limit = 16;
    cfg.random_bytes = fuzz_random_bytes;
    cfg.random_user = NULL;
    require(server_create(&cfg, &g_server) == SERVER_OK, "server_create failed");
}

/* Server-to-client types have the high bit set (docs/PROTOCOL.md). */
static bool is_server_message(proto_type t)
{
    return (t & 0x80) != 0;
}

static bool is_position_channel_message(proto_type t)
{
    return t == PROTO_POSITION_SNAPSHOT || t == PROTO_MEMBER_STATS;
}

/* Remembers the token of a welcome to either of the peer's handles. */
static void note_welcome(const outbox *ob, const outbox_packet *p, const proto_msg *m)
{
    if (m->type != PROTO_WELCOME)
        return;
    for (size_t d = 0; d < p->dest_count; d++) {
        uint32_t to = ob->dests[p->first_dest + d];
        if (to == PEER_A || to == PEER_B) {
            memcpy(g_token, m->u.welcome.token, sizeof g_token);
            g_have_token = true;
        }
    }
}

/* The end of a loop pass: what the transport would send must be sendable.
 * Then the queued disconnects happen and ENet reports each peer gone. */
static void end_pass(void)
{
    outbox *ob = server_outbox(g_server);
    for (size_t i = 0; i < ob->packet_count; i++) {
        const outbox_packet *p = &ob->packets[i];
        require(p->offset <= ob->bytes_len && p->len <= ob->bytes_len - p->offset,
                "outbox packet outside the byte buffer");
        require(p->first_dest <= ob->dest_count && p->dest_count <= ob->dest_count - p->first_dest,
                "outbox packet recipients outside the recipient list");
        proto_msg m;
        int rc = proto_decode(ob->bytes + p->offset, p->len, &m);
        if (rc != PROTO_OK) {
            fprintf(stderr, "fuzz_intake: %zu-byte message of type 0x%02x: %s\n", p->len,
                    p->len ? ob->bytes[p->offset] : 0u, proto_strerror(rc));
            require(false, "the server queued a message that does not decode");
        }
        if (g_trace)
            fprintf(stderr, "fuzz_intake: t=%.3f s queued %s for %zu\n", (double)g_now_us / 1e6,
                    proto_type_name(m.type), p->dest_count);
        require(is_server_message(m.type), "the server queued a client-to-server message");
        /* Channel 0 is reliable and ordered, channel 1 unreliable; everything
         * but positions and link figures must be reliable. */
        require(p->channel < PROTO_CHANNEL_COUNT,
                "message queued on a channel that does not exist");
        require(p->reliable == (p->channel == PROTO_CHANNEL_RELIABLE),
                "message queued with the wrong reliability for its channel");
        require(p->channel == PROTO_CHANNEL_RELIABLE || is_position_channel_message(m.type),
                "a message that must arrive was queued on the unreliable channel");
        for (size_t d = 0; d < p->dest_count; d++) {
            uint32_t to = ob->dests[p->first_dest + d];
            require(to == OUTBOX_NO_SESSION || (to < FUZZ_SESSIONS && g_connected[to]),
                    "message queued for a session that is not connected");
        }
        note_welcome(ob, p, &m);
    }
    uint32_t gone[FUZZ_SESSIONS], reasons[FUZZ_SESSIONS];
    size_t gone_count = 0;
    for (size_t i = 0; i < ob->disconnect_count; i++) {
        const outbox_disconnect *d = &ob->disconnects[i];
        if (d->session == OUTBOX_NO_SESSION)
            continue;
        require(d->session < FUZZ_SESSIONS && g_connected[d->session],
                "disconnect queued for a session that is not connected");
        require(d->reason >= 1 && d->reason <= PROTO_REASON_MAX, "disconnect with a bad reason");
        if (g_trace)
            fprintf(stderr, "fuzz_intake: disconnect session %u: %s\n", (unsigned)d->session,
                    proto_reason_text(d->reason));
        bool seen = false;
        for (size_t k = 0; k < gone_count; k++)
            seen |= gone[k] == d->session;
        if (!seen && gone_count < FUZZ_SESSIONS) {
            gone[gone_count] = d->session;
            reasons[gone_count++] = d->reason;
        }
    }
    outbox_clear(ob);
    for (size_t k = 0; k < gone_count; k++) {
        server_on_disconnect(g_server, gone[k], reasons[k], reasons[k] != 0, g_now_us);
        g_connected[gone[k]] = false;
    }
}

static void connect_session(uint32_t session, uint32_t connect_data)
{
    char label[32];
    snprintf(label, sizeof label, "10.0.0.%u:%u", (unsigned)session, 40000u + session);
    uint32_t ip = 0x0000000Au | (session << 24); /* 10.0.0.session, network order */
    server_on_connect(g_server, session, connect_data, PROTO_CHANNEL_COUNT, ip, label, g_now_us);
    g_connected[session] = true;
}

static void disconnect_session(uint32_t session, uint32_t data)
{
    if (!g_connected[session])
        return;
    server_on_disconnect(g_server, session, data, data != 0, g_now_us);
    g_connected[session] = false;
}

/* The channel a well-behaved client sends these bytes on; other_channel:
 * the one it must not. */
static uint8_t channel_for(const uint8_t *data, size_t len, bool other_channel)
{
    bool position = len > 0 && data[0] == PROTO_POSITION;
    return position != other_channel ? PROTO_CHANNEL_POSITION : PROTO_CHANNEL_RELIABLE;
}

static void send_msg(uint32_t session, const proto_msg *m)
{
    uint8_t buf[256];
    int n = proto_encode(m, buf, sizeof buf);
    require(n > 0, "cannot encode the harness's own message");
    server_on_receive(g_server, session, channel_for(buf, (size_t)n, false), buf, (size_t)n,
                      g_now_us);
}

static void send_hello(uint32_t session, const char *name, const char *lobby)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(name);
    m.u.hello.lobby = proto_str_from_cstr(lobby);
    send_msg(session, &m);
}

/* A reconnection: HELLO with the last token, last_chat_seq from the chunk,
 * and a forged token when the chunk's fifth byte says so. */
static void send_resume(uint32_t session, const uint8_t *data, size_t len)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("peer");
    m.u.hello.lobby = proto_str_from_cstr("");
    m.u.hello.mode = PROTO_HELLO_RESUME;
    memcpy(m.u.hello.token, g_token, sizeof g_token);
    if (len >= 4)
        m.u.hello.last_chat_seq = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
                                  (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    if (len >= 5 && data[4] != 0)
        m.u.hello.token[data[4] % PROTO_TOKEN_BYTES] ^= data[4];
    send_msg(session, &m);
}

/* Players already on the server when the peer connects, so that its chat and
 * positions are relayed, its name can be taken, its lobby full, the lobbies
 * exhausted (max 2) or the server full (max 3 players). */
static const struct {
    int count;
    const char *lobby[3];
} scenarios[] = {
    {0, {NULL}},
    {1, {"main"}},
    {2, {"main", "main"}},
    {2, {"main", "side"}},
    {3, {"main", "main", "side"}},
};
static const char *const bystander_names[] = {"alice", "bob", "carol"};

/* With valid connect data, mode bits 5-6 make the first bystander say this
 * many lines first (history for a reconnection to replay; 64 are kept). */
static const int bystander_chats[] = {0, 2, 20, 70};

static void add_bystanders(uint8_t mode)
{
    int scenario = (mode & 7) % (int)(sizeof scenarios / sizeof scenarios[0]);
    for (int i = 0; i < scenarios[scenario].count; i++) {
        uint32_t session = (uint32_t)i + 1;
        connect_session(session, proto_connect_data(PROTO_VERSION));
        send_hello(session, bystander_names[i], scenarios[scenario].lobby[i]);
    }
    end_pass();
    int chats =
        (mode & MODE_INVALID_CONNECT) == MODE_INVALID_CONNECT || scenarios[scenario].count == 0
            ? 0
            : bystander_chats[(mode >> 5) & 3];
    for (int i = 0; i < chats; i++) {
        char text[32];
        proto_msg m = {.type = PROTO_CHAT};
        m.u.chat.msg_id = (uint32_t)i + 1;
        snprintf(text, sizeof text, "line %d", i);
        m.u.chat.text = proto_str_from_cstr(text);
        g_now_us += 250000; /* within the chat rate limit */
        send_msg(1, &m);
        server_tick(g_server, g_now_us);
        if (i % 16 == 15)
            end_pass();
    }
    end_pass();
}

static uint32_t peer_connect_data(uint8_t mode)
{
    if ((mode & MODE_INVALID_CONNECT) != MODE_INVALID_CONNECT)
        return proto_connect_data(PROTO_VERSION);
    switch ((mode >> 5) & 3) {
    case 0:
        return proto_connect_data(PROTO_VERSION + 1);
    case 1:
        return 0; /* not a lobby client */
    case 2:
        return proto_connect_data(0);
    default:
        return ((uint32_t)PROTO_CONNECT_MAGIC ^ 1u) << 16 | PROTO_VERSION;
    }
}

/* 0..9 ms, 100 ms..1 s, 2..12 s (past the handshake timeout), 40 s (past
 * the reconnection grace period), 10..40 us. */
static uint64_t step_us(uint8_t code)
{
    code &= OP_STEP;
    if (code < 10)
        return (uint64_t)code * 1000u;
    if (code < 20)
        return (uint64_t)(code - 9) * 100000u;
    if (code < 26)
        return (uint64_t)(code - 19) * 2000000u;
    if (code < 28)
        return UINT64_C(40000000);
    return (uint64_t)(code - 27) * 10u;
}

/* Before a chunk: the peer reconnects, resumes, or resumes from its other
 * handle. Returns true when the chunk was used up as resume data. */
static bool peer_action(uint8_t op, const uint8_t *data, size_t len)
{
    uint32_t why = (op & 1) ? PROTO_REASON_QUIT : 0;
    switch (op & OP_ACTION) {
    case OP_RECONNECT:
        disconnect_session(g_peer, why);
        connect_session(g_peer, proto_connect_data(PROTO_VERSION));
        return false;
    case OP_RESUME:
        disconnect_session(g_peer, why);
        connect_session(g_peer, proto_connect_data(PROTO_VERSION));
        send_resume(g_peer, data, len);
        return true;
    case OP_STEAL: {
        uint32_t other = g_peer == PEER_A ? PEER_B : PEER_A;
        disconnect_session(other, why);
        connect_session(other, proto_connect_data(PROTO_VERSION));
        send_resume(other, data, len);
        g_peer = other;
        return true;
    }
    default:
        return false;
    }
}

static void fuzz_session(const uint8_t *data, size_t size)
{
    uint8_t mode = data[0];
    size_t at = 1;
    g_random_state = UINT64_C(0x746F6B656E73); /* "tokens" */
    g_random_calls = 0;
    g_tokens_fail = (mode & MODE_INVALID_CONNECT) == MODE_TOKENS_FAIL;
    g_have_token = false;
    memset(g_token, 0, sizeof g_token);
    g_peer = PEER_A;
    add_bystanders(mode);
    connect_session(g_peer, peer_connect_data(mode));
    while (at < size) {
        uint8_t op = data[at++];
        size_t len = 0;
        bool other_channel = false;
        if (at < size)
            len = data[at++];
        if (len == LEN_LONG) {
            len = 0;
            if (at < size)
                len = data[at++];
            if (at < size)
                len |= (size_t)data[at++] << 8;
            other_channel = (len & LEN_OTHER_CHANNEL) != 0;
            len &= ~(size_t)LEN_OTHER_CHANNEL;
        }
        if (len > size - at)
            len = size - at;
        g_now_us += step_us(op);
        if (op & OP_END_PASS)
            end_pass();
        if (!peer_action(op, data + at, len))
            server_on_receive(g_server, g_peer, channel_for(data + at, len, other_channel),
                              len > 0 ? data + at : NULL, len, g_now_us);
        at += len;
        server_tick(g_server, g_now_us);
    }
    end_pass();
    /* The peer times out (data 0), so its seat may be held for the grace
     * period; the bystanders quit. An hour later nothing may be left. */
    for (uint32_t s = 0; s < FUZZ_SESSIONS; s++)
        disconnect_session(s, s == PEER_A || s == PEER_B ? 0 : PROTO_REASON_QUIT);
    end_pass();
    require(server_session_count(g_server) == 0, "sessions left after everyone disconnected");
    g_now_us += HOUR_US;
    server_tick(g_server, g_now_us);
    end_pass();
    require(server_player_count(g_server) == 0, "players left an hour after everyone left");
}

/* ---- the ENet pre-parse filter ------------------------------------------- */

#ifdef LOBBY_FUZZ_HAS_ENET_FILTER
static bool same_info(const enet_filter_info *a, const enet_filter_info *b)
{
    return a->peer_id == b->peer_id && a->session_id == b->session_id &&
           a->has_sent_time == b->has_sent_time && a->commands == b->commands &&
           a->connects == b->connects && a->fragments == b->fragments &&
           a->packet_bytes == b->packet_bytes;
}

/* One raw datagram. Beyond "no crash, no read outside it" (it is checked in a
 * buffer of exactly its size): the verdict is a known one, the same with or
 * without info and on a second look; what passes respects the limits; and
 * tightening the limits never lets more through. */
static void fuzz_filter(const uint8_t *data, size_t size)
{
    uint8_t *datagram = malloc(size ? size : 1);
    require(datagram != NULL, "out of memory");
    if (size > 0)
        memcpy(datagram, data, size);
    enet_filter_config cfg;
    enet_filter_config_defaults(&cfg);

    enet_filter_info info, again;
    memset(&info, 0xA5, sizeof info);
    memset(&again, 0x5A, sizeof again);
    int verdict = enet_filter_check(&cfg, datagram, size, &info);
    require(verdict <= 0 && verdict > -ENET_FILTER_VERDICT_COUNT, "unknown filter verdict");
    require(enet_filter_strerror(verdict) != NULL, "no text for a verdict");
    if (g_trace)
        fprintf(stderr, "fuzz_intake: %zu-byte datagram: %s\n", size,
                enet_filter_strerror(verdict));
    require(enet_filter_check(&cfg, datagram, size, &again) == verdict,
            "the filter's verdict changed on a second look");
    require(same_info(&info, &again), "the filter's info changed on a second look");
    require(enet_filter_check(&cfg, datagram, size, NULL) == verdict,
            "the filter's verdict depends on whether info is asked for");
    if (verdict == ENET_FILTER_PASS) {
        require(size <= cfg.max_datagram_bytes, "passed a datagram over the size limit");
        require(info.commands >= 1, "passed a datagram without commands");
        require(info.connects <= 1, "passed more than one CONNECT in a datagram");
        require(info.fragments <= info.commands, "more fragments than commands");
        /* Every command has at least a 4-byte header; its data comes on top. */
        size_t header_bytes = info.has_sent_time ? 4 : 2;
        require(header_bytes + 4u * info.commands + info.packet_bytes <= size,
                "passed a datagram whose commands and data do not fit in it");
    }

    /* Half the limits: whatever passes them passes the defaults too. */
    enet_filter_config tight = cfg;
    tight.max_packet_bytes /= 2;
    tight.max_fragment_count /= 2;
    tight.max_datagram_bytes /= 2;
    if (enet_filter_check(&tight, datagram, size, NULL) == ENET_FILTER_PASS)
        require(verdict == ENET_FILTER_PASS, "passes tighter limits but not the defaults");
    free(datagram);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    setup_once();
#ifdef LOBBY_FUZZ_HAS_ENET_FILTER
    if (data[0] & MODE_FILTER) {
        fuzz_filter(data + 1, size - 1);
        return 0;
    }
#endif
    fuzz_session(data, size);
    return 0;
}
