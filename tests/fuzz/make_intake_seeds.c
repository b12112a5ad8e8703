/* Writes the seed corpus of fuzz_intake (layout in fuzz_intake.c) into a
 * directory: message sequences built with proto_encode (valid sessions, rate
 * limiting, every reject, malformed input up to the kick), and raw datagrams
 * of a real ENet exchange on loopback for the filter mode. Run by hand after
 * a protocol change; the output is checked in as tests/fuzz/corpus/intake:
 *   cmake --build build --target fuzz_intake_seeds
 *   ./build/tests/fuzz/fuzz_intake_seeds tests/fuzz/corpus/intake */
#include "proto.h"

#include <enet/enet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MODE_TOKENS_FAIL = 2 << 3,
    MODE_INVALID_CONNECT = 3 << 3,
    MODE_CHATS_2 = 1 << 5, /* a bystander says 2, 20 or 70 lines first */
    MODE_CHATS_20 = 2 << 5,
    MODE_CHATS_70 = 3 << 5,
    MODE_FILTER = 0x80,
    OP_END_PASS = 0x20,
    OP_RECONNECT = 0x40,
    OP_RESUME = 0x80,
    OP_STEAL = 0xC0,
    STEP_1MS = 1, /* see step_us() in fuzz_intake.c */
    STEP_2MS = 2, /* even: the peer's disconnects are timeouts */
    STEP_100MS = 10,
    STEP_1S = 19,
    STEP_6S = 22,
    STEP_40S = 26,
    SEED_MAX = 70000,
};

static const char *g_dir;

typedef struct seed {
    uint8_t bytes[SEED_MAX];
    size_t len;
} seed;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_intake_seeds: %s\n", what);
    exit(1);
}

static void put(seed *s, const void *bytes, size_t len)
{
    if (len > sizeof s->bytes - s->len)
        die("seed too long");
    memcpy(s->bytes + s->len, bytes, len);
    s->len += len;
}

static void begin(seed *s, uint8_t mode)
{
    s->len = 0;
    put(s, &mode, 1);
}

/* One chunk: op, length (u8, or 0xFF and u16), bytes. */
static void chunk_raw(seed *s, uint8_t op, const uint8_t *bytes, size_t len)
{
    uint8_t head[4] = {op};
    size_t n = 2;
    if (len < 0xFF) {
        head[1] = (uint8_t)len;
    } else {
        head[1] = 0xFF;
        head[2] = (uint8_t)(len & 0xFF);
        head[3] = (uint8_t)(len >> 8);
        n = 4;
    }
    put(s, head, n);
    put(s, bytes, len);
}

static void chunk(seed *s, uint8_t op, const proto_msg *m)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int n = proto_encode(m, buf, sizeof buf);
    if (n <= 0)
        die("cannot encode a seed message");
    chunk_raw(s, op, buf, (size_t)n);
}

/* A chunk on the channel its message must not use: the long length form
 * with bit 15 set. */
static void chunk_other_channel(seed *s, uint8_t op, const proto_msg *m)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int n = proto_encode(m, buf, sizeof buf);
    if (n <= 0 || n >= 0x8000)
        die("cannot encode a seed message");
    uint8_t head[4] = {op, 0xFF, (uint8_t)(n & 0xFF), (uint8_t)(n >> 8 | 0x80)};
    put(s, head, sizeof head);
    put(s, buf, (size_t)n);
}

static void save(const seed *s, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(s->bytes, 1, s->len, f) != s->len || fclose(f) != 0)
        die(path);
}

/* ---- messages ------------------------------------------------------------- */

static void hello(seed *s, uint8_t op, const char *name, const char *lobby)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(name);
    m.u.hello.lobby = proto_str_from_cstr(lobby);
    chunk(s, op, &m);
}

static void chat_n(seed *s, uint8_t op, uint32_t msg_id, const char *text, size_t len)
{
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = msg_id;
    m.u.chat.text.bytes = text;
    m.u.chat.text.len = len;
    chunk(s, op, &m);
}

static void chat(seed *s, uint8_t op, uint32_t msg_id, const char *text)
{
    chat_n(s, op, msg_id, text, strlen(text));
}

static void position(seed *s, uint8_t op, uint32_t seq, float x, float y)
{
    proto_msg m = {.type = PROTO_POSITION};
    m.u.position.seq = seq;
    m.u.position.sent_us = 1000u * seq;
    m.u.position.x = x;
    m.u.position.y = y;
    chunk(s, op, &m);
}

static void ping(seed *s, uint8_t op, uint64_t client_us)
{
    proto_msg m = {.type = PROTO_PING};
    m.u.ping.client_us = client_us;
    chunk(s, op, &m);
}

/* Real lobbies: browsing, the lobby list, creating, owner requests, the
 * countdown and direct messages. Bystander ids are guesses (1..3). */
static void lobby_msg(seed *s, uint8_t op, proto_type type)
{
    proto_msg m = {.type = type};
    chunk(s, op, &m);
}

static void lobby_id_msg(seed *s, uint8_t op, proto_type type, uint16_t id)
{
    proto_msg m = {.type = type};
    if (type == PROTO_KICK)
        m.u.kick.player_id = id;
    else
        m.u.give_ownership.player_id = id;
    chunk(s, op, &m);
}

static void lobby_seeds(seed *s)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("browser");
    m.u.hello.mode = PROTO_HELLO_BROWSE;

    begin(s, 2);
    chunk(s, STEP_1MS, &m);
    proto_msg list = {.type = PROTO_LIST_LOBBIES};
    list.u.list_lobbies.request_id = 7;
    list.u.list_lobbies.name_contains = proto_str_from_cstr("MA");
    list.u.list_lobbies.flags = PROTO_FILTER_ALL;
    chunk(s, STEP_1MS, &list);
    chat(s, STEP_1MS, 1, "from the list");
    proto_msg create = {.type = PROTO_CREATE_LOBBY};
    create.u.create_lobby.name = proto_str_from_cstr("fuzzroom");
    create.u.create_lobby.capacity = 2;
    create.u.create_lobby.password = proto_str_from_cstr("pw");
    create.u.create_lobby.max_rtt_ms = 100;
    create.u.create_lobby.meta.count = 1;
    create.u.create_lobby.meta.pairs[0].key = proto_str_from_cstr("mode");
    create.u.create_lobby.meta.pairs[0].value = proto_str_from_cstr("ctf");
    chunk(s, OP_END_PASS | STEP_1MS, &create);
    proto_msg conf = {.type = PROTO_CONFIGURE_LOBBY};
    conf.u.configure_lobby.changes = PROTO_CONFIGURE_ALL;
    conf.u.configure_lobby.capacity = 1;
    chunk(s, STEP_1MS, &conf);
    lobby_msg(s, OP_END_PASS | STEP_1MS, PROTO_LEAVE_LOBBY);
    proto_msg join = {.type = PROTO_JOIN_LOBBY};
    join.u.join_lobby.name = proto_str_from_cstr("main");
    chunk(s, STEP_1MS, &join);
    for (int i = 0; i < 22; i++) /* over the lobby request rate */
        chunk(s, 0, &list);
    save(s, "20_lobby_browse_list_create");

    begin(s, 3);
    hello(s, STEP_1MS, "owner", "main");
    chunk(s, STEP_1MS, &create);
    lobby_id_msg(s, STEP_1MS, PROTO_GIVE_OWNERSHIP, 2);
    lobby_id_msg(s, STEP_1MS, PROTO_KICK, 1);
    lobby_msg(s, OP_END_PASS | STEP_1MS, PROTO_LEAVE_LOBBY);
    chunk(s, STEP_1MS, &join);
    lobby_id_msg(s, STEP_1MS, PROTO_KICK, 2);
    lobby_id_msg(s, STEP_1MS, PROTO_KICK, 3);
    proto_msg dm = {.type = PROTO_DIRECT_CHAT};
    dm.u.direct_chat.msg_id = 9;
    dm.u.direct_chat.to_id = 1;
    dm.u.direct_chat.text = proto_str_from_cstr("psst");
    chunk(s, STEP_1MS, &dm);
    save(s, "21_lobby_owner_kick_dm");

    begin(s, 1);
    hello(s, STEP_1MS, "starter", "solo");
    proto_msg ready = {.type = PROTO_SET_READY};
    ready.u.set_ready.ready = 1;
    chunk(s, STEP_1MS, &ready);
    lobby_msg(s, OP_END_PASS | STEP_1MS, PROTO_START_GAME);
    ping(s, STEP_1S, 1);
    ping(s, STEP_1S, 2);
    ping(s, STEP_1S, 3);
    ping(s, STEP_1S, 4);
    ready.u.set_ready.ready = 0;
    chunk(s, STEP_1MS, &ready);
    lobby_msg(s, OP_END_PASS | STEP_1MS, PROTO_LEAVE_LOBBY);
    ping(s, STEP_40S, 5);
    save(s, "22_lobby_countdown_game_start");
}

/* Channels and empty packets: a position on channel 0, chat and ping on
 * channel 1, an empty packet, then positions from the lobby list right
 * after leaving (stale) and later (malformed). */
static void channel_seeds(seed *s)
{
    begin(s, 1);
    hello(s, STEP_1MS, "channels", "main");
    proto_msg pos = {.type = PROTO_POSITION};
    pos.u.position.seq = 1;
    pos.u.position.x = 10.0f;
    chunk_other_channel(s, STEP_1MS, &pos);
    proto_msg text = {.type = PROTO_CHAT};
    text.u.chat.msg_id = 1;
    text.u.chat.text = proto_str_from_cstr("wrong channel");
    chunk_other_channel(s, STEP_1MS, &text);
    proto_msg probe = {.type = PROTO_PING};
    chunk_other_channel(s, STEP_1MS, &probe);
    static const uint8_t nothing[1];
    chunk_raw(s, STEP_1MS, nothing, 0); /* an empty packet */
    chat(s, OP_END_PASS | STEP_1MS, 2, "still here");
    lobby_msg(s, STEP_1MS, PROTO_LEAVE_LOBBY);
    position(s, STEP_1MS, 2, 20.0f, 20.0f);
    position(s, OP_END_PASS | STEP_1S, 3, 30.0f, 30.0f);
    position(s, STEP_1S, 4, 40.0f, 40.0f);
    save(s, "23_channels_and_empty_packets");
}

/* Seeds of one HELLO after the mode's bystanders: every reject (name taken,
 * lobby full, too many lobbies, server full), and names and lobby names the
 * text rules refuse. */
static void one_hello_seeds(seed *s)
{
    static const struct {
        uint8_t mode;
        const char *name, *lobby, *file;
    } seeds[] = {
        {1, "alice", "main", "07_name_taken"},
        {2, "dave", "main", "08_lobby_full"},
        {3, "dave", "elsewhere", "09_too_many_lobbies"},
        {4, "dave", "side", "10_server_full"},
        {0, "", "", "13_name_empty"},
        {0, "bad\xC3", "", "13_name_invalid_utf8"},
        {0, "tab\tname", "", "13_name_control"},
        {0, "abcdefghijklmnopqrstuvwxy", "", "13_name_too_long"},
        {0, "ok", "lobby\xC2\x85", "13_lobby_c1_control"},
        {0, "ok", "\xED\xA0\x80", "13_lobby_surrogate"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        begin(s, seeds[i].mode);
        hello(s, STEP_1MS, seeds[i].name, seeds[i].lobby);
        save(s, seeds[i].file);
    }
}

static void session_seeds(void)
{
    seed *s = malloc(sizeof *s);
    if (s == NULL)
        die("out of memory");

    /* A normal player among others: join, chat, move, ping. */
    begin(s, 1);
    hello(s, STEP_1MS, "fuzz", "");
    chat(s, STEP_1MS, 1, "hello");
    position(s, STEP_1MS, 1, 100.0f, 200.0f);
    ping(s, STEP_1MS, 42);
    chat(s, OP_END_PASS | STEP_100MS, 2, "h\xC3\xA9llo \xE2\x9C\x93");
    position(s, STEP_100MS, 2, 110.0f, 210.0f);
    position(s, STEP_1S, 3, 120.0f, 220.0f);
    save(s, "01_hello_chat_position_ping");

    /* Positions: in order, out of the world, stale and repeated. */
    begin(s, 2);
    hello(s, STEP_1MS, "mover", "main");
    for (uint32_t i = 1; i <= 8; i++)
        position(s, (uint8_t)(i % 3 ? STEP_1MS : OP_END_PASS | STEP_1MS), i, 50.0f * (float)i,
                 30.0f * (float)i);
    position(s, STEP_1MS, 5, 1.0f, 1.0f);
    position(s, STEP_1MS, 9, -500.0f, 99999.0f);
    position(s, STEP_1MS, 9, 3.0f, 3.0f);
    position(s, STEP_1S, 0xFFFFFFF0u, 4.0f, 4.0f);
    save(s, "02_positions");

    /* Chat faster than the rate limit, then slowly enough again. */
    begin(s, 1);
    hello(s, STEP_1MS, "flood", "");
    for (uint32_t i = 1; i <= 14; i++)
        chat(s, 0, i, "spam");
    chat(s, STEP_1S, 15, "calm again");
    save(s, "03_chat_rate_limit");

    /* Garbage after joining, up to the kick; input after the kick. */
    begin(s, 1);
    hello(s, STEP_1MS, "noisy", "");
    for (int i = 0; i < 17; i++) {
        uint8_t junk[6] = {(uint8_t)(0x05 + i), 0xDE, 0xAD, 0xBE, 0xEF, (uint8_t)i};
        chunk_raw(s, (uint8_t)(i == 10 ? OP_END_PASS | STEP_1MS : STEP_1MS), junk,
                  (size_t)(i % 6) + 1);
    }
    chat(s, STEP_1MS, 1, "after the kick");
    save(s, "04_malformed_kick");

    /* Messages not allowed before joining, then a join. */
    begin(s, 0);
    chat(s, STEP_1MS, 1, "too early");
    position(s, STEP_1MS, 1, 5.0f, 5.0f);
    ping(s, STEP_1MS, 7);
    hello(s, STEP_1MS, "late", "");
    hello(s, STEP_1MS, "twice", "");
    save(s, "05_before_join_and_double_hello");

    /* No hello within the handshake timeout. */
    begin(s, 1);
    ping(s, STEP_1MS, 1);
    ping(s, STEP_6S, 2);
    hello(s, STEP_1MS, "slow", "");
    save(s, "06_handshake_timeout");

    one_hello_seeds(s);
    begin(s, 3);
    hello(s, STEP_1MS, "dave", "side");
    chat(s, STEP_1MS, 1, "in a second lobby");
    save(s, "11_second_lobby");

    /* Invalid connect data: each variant, then a hello anyway. */
    for (int v = 0; v < 4; v++) {
        char name[64];
        begin(s, (uint8_t)(MODE_INVALID_CONNECT | v << 5 | 1));
        hello(s, STEP_1MS, "intruder", "");
        chat(s, STEP_1MS, 1, "hi");
        snprintf(name, sizeof name, "12_invalid_connect_%d", v);
        save(s, name);
    }

    /* Chat the text rules refuse: empty, invalid UTF-8, control, too long. */
    begin(s, 1);
    hello(s, STEP_1MS, "texter", "");
    chat(s, STEP_1MS, 1, "");
    chat(s, STEP_1MS, 2, "\xFF\xFE");
    chat(s, STEP_1MS, 3, "bell\a");
    {
        static char longtext[600];
        memset(longtext, 'x', sizeof longtext);
        chat_n(s, STEP_1MS, 4, longtext, sizeof longtext);
        chat_n(s, STEP_1MS, 5, longtext, PROTO_MAX_CHAT_BYTES);
    }
    save(s, "14_chat_refused");

    /* Reconnecting on the same handle within one pass, twice. */
    begin(s, 1);
    hello(s, STEP_1MS, "phoenix", "");
    chat(s, STEP_1MS, 1, "before");
    hello(s, OP_RECONNECT | STEP_1MS, "phoenix", "");
    chat(s, STEP_1MS, 1, "after");
    hello(s, OP_RECONNECT | OP_END_PASS | 1, "phoenix", "side");
    save(s, "15_reconnect");

    /* Lengths that lie, truncations, unknown types, trailing bytes. */
    begin(s, 1);
    hello(s, STEP_1MS, "liar", "");
    {
        static const uint8_t lies[][12] = {
            {PROTO_CHAT, 1, 0, 0, 0, 0xFF, 0xFF, 'h', 'i'},          /* str16 says 65535 */
            {PROTO_CHAT, 1, 0, 0, 0, 2, 0, 'h', 'i', 'x', 'y', 'z'}, /* trailing */
            {PROTO_CHAT, 1, 0, 0},                                   /* truncated msg_id */
            {PROTO_POSITION, 1, 0, 0, 0},                            /* truncated */
            {PROTO_PING, 1, 2, 3, 4, 5, 6, 7, 8, 9},                 /* trailing */
            {0x00},                                                  /* unknown */
            {0x7F, 1, 2},                                            /* unknown */
            {PROTO_HELLO, 200, 'a'},                                 /* str8 says 200 */
        };
        static const size_t lens[] = {9, 12, 4, 5, 10, 1, 3, 3};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            chunk_raw(s, STEP_1MS, lies[i], lens[i]);
        chunk_raw(s, STEP_1MS, lies[0], 0); /* empty packet */
        /* A position whose floats are NaN and infinity. */
        uint8_t nan_pos[] = {PROTO_POSITION, 1,    0, 0, 0,    0,   0, 0, 0, 0, 0, 0, 0, 0, 0,
                             0xC0,           0x7F, 0, 0, 0x80, 0x7F};
        chunk_raw(s, STEP_1MS, nan_pos, sizeof nan_pos);
    }
    save(s, "16_lying_lengths");

    /* Server-to-client messages sent by a client. */
    begin(s, 1);
    hello(s, STEP_1MS, "mirror", "");
    {
        proto_msg m = {.type = PROTO_CHAT_ACK};
        m.u.chat_ack.msg_id = 1;
        m.u.chat_ack.seq = 1;
        chunk(s, STEP_1MS, &m);
        m = (proto_msg){.type = PROTO_REJECT};
        m.u.reject.reason = PROTO_REASON_QUIT;
        m.u.reject.text = proto_str_from_cstr("bye");
        chunk(s, STEP_1MS, &m);
        m = (proto_msg){.type = PROTO_PONG};
        chunk(s, STEP_1MS, &m);
    }
    save(s, "17_server_messages_from_client");

    /* Reconnections: resume with the token (last_chat_seq u32 LE, then a
     * byte that forges the token when not 0), from the same handle or from
     * a second connection while the first is up; after the grace period. */
    {
        static const uint8_t seen_none[5] = {0, 0, 0, 0, 0};
        static const uint8_t seen_3[5] = {3, 0, 0, 0, 0};
        static const uint8_t seen_far[5] = {0xF0, 0xFF, 0xFF, 0xFF, 0};
        static const uint8_t forged[5] = {0, 0, 0, 0, 0x11};
        begin(s, 1 | MODE_CHATS_20);
        hello(s, STEP_1MS, "peer", "main");
        chat(s, STEP_1MS, 1, "before the cut");
        chunk_raw(s, OP_END_PASS | OP_RESUME | STEP_2MS, seen_3, sizeof seen_3);
        chat(s, STEP_1MS, 2, "after the cut");
        save(s, "19_resume");
        begin(s, 1 | MODE_CHATS_70);
        hello(s, STEP_1MS, "peer", "main");
        chunk_raw(s, OP_END_PASS | OP_RESUME | STEP_2MS, seen_none, sizeof seen_none);
        chunk_raw(s, OP_END_PASS | OP_RESUME | STEP_2MS, seen_far, sizeof seen_far);
        save(s, "19_resume_replay_history");
        begin(s, 1);
        hello(s, STEP_1MS, "peer", "main");
        chunk_raw(s, OP_END_PASS | OP_RESUME | STEP_2MS, forged, sizeof forged);
        for (int i = 0; i < 6; i++)
            chunk_raw(s, OP_RESUME | STEP_2MS, forged, sizeof forged);
        save(s, "19_resume_forged_token");
        begin(s, 1 | MODE_CHATS_2);
        hello(s, STEP_1MS, "peer", "main");
        chunk_raw(s, OP_END_PASS | OP_STEAL | STEP_1MS, seen_none, sizeof seen_none);
        chat(s, STEP_1MS, 1, "from the second connection");
        chunk_raw(s, OP_END_PASS | OP_STEAL | STEP_2MS, seen_none, sizeof seen_none);
        save(s, "19_resume_second_connection");
        begin(s, 1);
        hello(s, STEP_1MS, "peer", "main");
        ping(s, OP_END_PASS | OP_RECONNECT | STEP_2MS, 1);
        ping(s, STEP_40S, 2);
        chunk_raw(s, OP_END_PASS | OP_RESUME | STEP_1MS, seen_none, sizeof seen_none);
        save(s, "19_resume_after_grace");
        begin(s, 1 | MODE_TOKENS_FAIL);
        hello(s, STEP_1MS, "peer", "main");
        chunk_raw(s, OP_END_PASS | OP_RESUME | STEP_2MS, seen_none, sizeof seen_none);
        hello(s, OP_END_PASS | OP_RECONNECT | STEP_1MS, "peer", "main");
        save(s, "19_tokens_fail");
    }

    /* Idle among others long enough for member stats, with a ping. */
    begin(s, 3);
    hello(s, STEP_1MS, "idle", "main");
    ping(s, STEP_1S, 1);
    ping(s, STEP_1S, 2);
    position(s, STEP_1S, 1, 600.0f, 400.0f);
    save(s, "18_member_stats");

    lobby_seeds(s);
    channel_seeds(s);
    free(s);
}

/* ---- real ENet datagrams for the filter mode ------------------------------ */

static int g_datagrams;

static void save_datagram(const char *name, const uint8_t *bytes, size_t len)
{
    seed *s = malloc(sizeof *s);
    if (s == NULL)
        die("out of memory");
    begin(s, MODE_FILTER);
    put(s, bytes, len);
    save(s, name);
    free(s);
}

static size_t put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

static size_t put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
    return 4;
}

/* A datagram to peer 0 with a sent time and one SEND_FRAGMENT command. */
static size_t fragment_datagram(uint8_t *buf, uint32_t count, uint32_t number, uint32_t total,
                                uint32_t offset, uint16_t length)
{
    size_t n = put_be16(buf, ENET_PROTOCOL_HEADER_FLAG_SENT_TIME);
    n += put_be16(buf + n, 0x1234);
    buf[n++] = ENET_PROTOCOL_COMMAND_SEND_FRAGMENT | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE;
    buf[n++] = 0; /* channel */
    n += put_be16(buf + n, 1);
    n += put_be16(buf + n, 1); /* start sequence number */
    n += put_be16(buf + n, length);
    n += put_be32(buf + n, count);
    n += put_be32(buf + n, number);
    n += put_be32(buf + n, total);
    n += put_be32(buf + n, offset);
    memset(buf + n, 'F', length);
    return n + length;
}

/* Hand-made datagrams around the limits of the filter: fragments that would
 * make ENet allocate for ever or deliver unwritten bytes, and their honest
 * neighbours; too many commands; a compressed header. */
static void crafted_datagrams(void)
{
    static uint8_t buf[2048];
    static const struct {
        const char *name;
        uint32_t count, number, total, offset;
        uint16_t length;
    } fragments[] = {
        {"60_fragment_first_ok", 2, 0, 1096, 0, 548},
        {"60_fragment_last_ok", 2, 1, 1096, 548, 548},
        {"60_fragment_huge_count", 0x00FFFFFF, 0, 0x7FFFFFFF, 0, 548},
        {"60_fragment_huge_total", 2, 0, 0x7FFFFFFF, 0, 548},
        {"60_fragment_empty", 2, 0, 1096, 0, 0},
        {"60_fragment_overlap", 3, 1, 1644, 100, 548},
        {"60_fragment_beyond_total", 2, 1, 600, 548, 548},
        {"60_fragment_short_total", 2, 0, 4000, 0, 548},
        {"60_fragment_number_past_count", 2, 2, 1096, 1096, 548},
    };
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        size_t n = fragment_datagram(buf, fragments[i].count, fragments[i].number,
                                     fragments[i].total, fragments[i].offset, fragments[i].length);
        save_datagram(fragments[i].name, buf, n);
    }

    size_t n = put_be16(buf, ENET_PROTOCOL_HEADER_FLAG_SENT_TIME);
    n += put_be16(buf + n, 0x1234);
    for (uint16_t i = 0; i < 40; i++) {
        buf[n++] = ENET_PROTOCOL_COMMAND_PING | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE;
        buf[n++] = 0xFF;
        n += put_be16(buf + n, (uint16_t)(i + 1));
    }
    save_datagram("61_too_many_commands", buf, n);

    n = put_be16(buf, ENET_PROTOCOL_HEADER_FLAG_SENT_TIME | ENET_PROTOCOL_HEADER_FLAG_COMPRESSED);
    n += put_be16(buf + n, 0x1234);
    memset(buf + n, 0x42, 32);
    save_datagram("61_compressed", buf, n + 32);
}

/* A captured CONNECT with its channel count bent out of range. */
static void bent_connects(const uint8_t *datagram, size_t len)
{
    static uint8_t buf[2048];
    const size_t header = sizeof(ENetProtocolHeader);
    const size_t at = header + offsetof(ENetProtocolConnect, channelCount);
    if (len < at + 4 || len > sizeof buf ||
        (datagram[header] & ENET_PROTOCOL_COMMAND_MASK) != ENET_PROTOCOL_COMMAND_CONNECT)
        return;
    static const uint32_t counts[] = {0, 256, 0xFFFFFFFF};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char name[64];
        memcpy(buf, datagram, len);
        put_be32(buf + at, counts[i]);
        snprintf(name, sizeof name, "62_connect_channels_%zu", i);
        save_datagram(name, buf, len);
    }
    /* Two CONNECTs in one datagram. */
    memcpy(buf, datagram, len);
    memcpy(buf + len, datagram + header, len - header);
    save_datagram("62_connect_twice", buf, 2 * len - header);
}

/* Saves each raw datagram a host receives as a filter-mode input. */
static int ENET_CALLBACK capture(ENetHost *host, ENetEvent *event)
{
    (void)event;
    if (g_datagrams >= 40)
        return 0;
    if (g_datagrams == 0)
        bent_connects(host->receivedData, host->receivedDataLength);
    char name[64];
    snprintf(name, sizeof name, "50_enet_%02d_%s", g_datagrams++,
             host->peerCount == 1 ? "to_client" : "to_server");
    save_datagram(name, host->receivedData, host->receivedDataLength);
    return 0;
}

static void service(ENetHost *a, ENetHost *b, int rounds)
{
    ENetEvent ev;
    for (int i = 0; i < rounds; i++) {
        while (enet_host_service(a, &ev, 1) > 0)
            if (ev.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(ev.packet);
        while (enet_host_service(b, &ev, 1) > 0)
            if (ev.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(ev.packet);
    }
}

static void send_msg(ENetPeer *peer, const proto_msg *m, uint8_t channel, uint32_t flags)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int n = proto_encode(m, buf, sizeof buf);
    if (n <= 0 || enet_peer_send(peer, channel, enet_packet_create(buf, (size_t)n, flags)) != 0)
        die("cannot send");
}

static void enet_seeds(void)
{
    if (enet_initialize() != 0)
        die("enet_initialize");
    ENetAddress addr = {.host = ENET_HOST_ANY, .port = 0};
    enet_address_set_host(&addr, "127.0.0.1");
    ENetHost *server = enet_host_create(&addr, 4, PROTO_CHANNEL_COUNT, 0, 0);
    ENetHost *client = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    if (server == NULL || client == NULL)
        die("enet_host_create");
    ENetAddress bound;
    if (enet_socket_get_address(server->socket, &bound) != 0)
        die("enet_socket_get_address");
    addr.port = bound.port;
    server->intercept = capture;
    client->intercept = capture;
    ENetPeer *peer =
        enet_host_connect(client, &addr, PROTO_CHANNEL_COUNT, proto_connect_data(PROTO_VERSION));
    if (peer == NULL)
        die("enet_host_connect");
    service(client, server, 20);

    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("captured");
    m.u.hello.lobby = proto_str_from_cstr("");
    send_msg(peer, &m, PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE);
    m = (proto_msg){.type = PROTO_CHAT};
    m.u.chat.msg_id = 1;
    m.u.chat.text = proto_str_from_cstr("hello over enet");
    send_msg(peer, &m, PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE);
    m = (proto_msg){.type = PROTO_POSITION};
    m.u.position.seq = 1;
    m.u.position.x = 10.0f;
    m.u.position.y = 20.0f;
    send_msg(peer, &m, PROTO_CHANNEL_POSITION, 0);
    m.u.position.seq = 2;
    send_msg(peer, &m, PROTO_CHANNEL_POSITION, ENET_PACKET_FLAG_UNSEQUENCED);
    m = (proto_msg){.type = PROTO_PING};
    m.u.ping.client_us = 12345;
    send_msg(peer, &m, PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE);
    service(client, server, 10);

    /* Larger than the MTU: reliable fragments, then unreliable ones. */
    static char big[3000];
    memset(big, 'f', sizeof big);
    m = (proto_msg){.type = PROTO_CHAT};
    m.u.chat.msg_id = 2;
    m.u.chat.text.bytes = big;
    m.u.chat.text.len = sizeof big;
    send_msg(peer, &m, PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE);
    send_msg(peer, &m, PROTO_CHANNEL_POSITION, ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT);
    service(client, server, 10);

    enet_peer_disconnect(peer, PROTO_REASON_QUIT);
    service(client, server, 20);
    enet_host_destroy(client);
    enet_host_destroy(server);
    enet_deinitialize();
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    g_dir = argv[1];
    session_seeds();
    enet_seeds();
    crafted_datagrams();
    printf("fuzz_intake_seeds: wrote the session seeds and %d ENet datagrams to %s\n", g_datagrams,
           g_dir);
    return 0;
}
