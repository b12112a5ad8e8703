/* The lobby wire protocol: constants, message structs, one encoder and one
 * decoder. Pure: no I/O, no allocation, no clock, no ENet types. The byte
 * layout is documented in docs/PROTOCOL.md and pinned by tests/test_proto.c.
 *
 * Decoded strings are views into the caller's input buffer (no copy), so a
 * decoded message is valid only as long as that buffer is. */
#ifndef LOBBY_PROTO_H
#define LOBBY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    PROTO_VERSION = 2, /* 2: positions travel in snapshots */
    /* ENet's connect data carries (PROTO_CONNECT_MAGIC << 16) | version. */
    PROTO_CONNECT_MAGIC = 0x4C42,
    PROTO_DEFAULT_PORT = 7777,

    PROTO_CHANNEL_RELIABLE = 0, /* handshake, membership, chat: reliable, ordered */
    PROTO_CHANNEL_POSITION = 1, /* positions: unreliable, sequenced */
    PROTO_CHANNEL_COUNT = 2,

    PROTO_MAX_NAME_BYTES = 24,
    PROTO_MAX_LOBBY_NAME_BYTES = 24,
    PROTO_MAX_CHAT_BYTES = 512,
    PROTO_MAX_LOBBY_PLAYERS = 64,
    PROTO_MAX_STR8_BYTES = 255,
    PROTO_TOKEN_BYTES = 16, /* session token: proves a reconnecting client owns its seat */
    PROTO_MAX_STR16_BYTES = 65535,
    /* Entries in one POSITION_SNAPSHOT: 2 + 48 * 23 = 1106 bytes, so a
     * snapshot always fits one ENet datagram (MTU 1400) unfragmented. */
    PROTO_MAX_SNAPSHOT_ENTRIES = 48,
    /* Large enough for any message this codec can encode (a welcome with
     * PROTO_MAX_LOBBY_PLAYERS players of maximal names, or a maximal chat
     * relay: type, from_id, seq, then the str16 text). */
    PROTO_MAX_MESSAGE_BYTES = 1 + 2 + 4 + 2 + PROTO_MAX_STR16_BYTES,
    /* The text of a TEXT_CHAT_RELAY is shorter than a str16 allows by the
     * most its str8 sender name can add, so that message too fits in
     * PROTO_MAX_MESSAGE_BYTES: 1 + 4 + 1 + 255 + 2 + 65279 = 65542. */
    PROTO_MAX_TEXT_RELAY_BYTES = PROTO_MAX_STR16_BYTES - 1 - PROTO_MAX_STR8_BYTES,
};

/* The room every lobby plays in, in world units; positions are clamped to it. */
#define PROTO_WORLD_WIDTH   1200.0f
#define PROTO_WORLD_HEIGHT  800.0f
#define PROTO_DEFAULT_LOBBY "main"

typedef enum proto_type {
    /* client -> server */
    PROTO_HELLO = 0x01,
    PROTO_CHAT = 0x02,
    PROTO_POSITION = 0x03,
    PROTO_PING = 0x04,
    /* server -> client; REJECT's layout is frozen across versions */
    PROTO_REJECT = 0x80,
    PROTO_WELCOME = 0x81,
    PROTO_PLAYER_JOINED = 0x82,
    PROTO_PLAYER_LEFT = 0x83,
    PROTO_CHAT_ACK = 0x84,
    PROTO_CHAT_REFUSED = 0x85,
    PROTO_CHAT_RELAY = 0x86,
    PROTO_PONG = 0x88,
    PROTO_MEMBER_STATS = 0x89,
    PROTO_PLAYER_STATUS = 0x8A,
    PROTO_POSITION_SNAPSHOT = 0x8B, /* replaces version 1's POSITION_RELAY (0x87) */
    PROTO_TEXT_CHAT_RELAY = 0x8C,   /* chat from a plain-text (TCP) client, not a player */
} proto_type;

/* Why a join was rejected or a connection closed: REJECT messages and the
 * 32-bit data of ENet disconnects in both directions. 0 is reserved: ENet
 * reports a timed-out peer with data 0. */
typedef enum proto_reason {
    PROTO_REASON_VERSION_MISMATCH = 1,
    PROTO_REASON_SERVER_FULL = 2,
    PROTO_REASON_LOBBY_FULL = 3,
    PROTO_REASON_NAME_INVALID = 4,
    PROTO_REASON_NAME_TAKEN = 5,
    PROTO_REASON_LOBBY_INVALID = 6,
    PROTO_REASON_SHUTTING_DOWN = 7,
    PROTO_REASON_PROTOCOL_VIOLATION = 8,
    PROTO_REASON_HANDSHAKE_TIMEOUT = 9,
    PROTO_REASON_QUIT = 10,
    PROTO_REASON_TOO_MANY_LOBBIES = 11,
    PROTO_REASON_TOKEN_INVALID = 12,     /* unknown, expired or already used */
    PROTO_REASON_TOO_MANY_ATTEMPTS = 13, /* token guessing is rate-limited */
    PROTO_REASON_FLOODING = 14,          /* kept sending chat far over the rate limit */
    PROTO_REASON_MAX = 14,
} proto_reason;

typedef enum proto_leave_reason {
    PROTO_LEAVE_QUIT = 1,
    PROTO_LEAVE_TIMEOUT = 2,
    PROTO_LEAVE_KICKED = 3,
    PROTO_LEAVE_MAX = 3,
} proto_leave_reason;

/* A member's connection as the others see it. */
typedef enum proto_player_status {
    PROTO_STATUS_RECONNECTING = 1, /* lost; its seat is held for the grace period */
    PROTO_STATUS_BACK = 2,         /* reconnected with its token */
    PROTO_STATUS_MAX = 2,
} proto_player_status;

typedef enum proto_chat_refusal {
    PROTO_REFUSE_EMPTY = 1,
    PROTO_REFUSE_TOO_LONG = 2,
    PROTO_REFUSE_INVALID_UTF8 = 3,
    PROTO_REFUSE_CONTROL_CHARS = 4,
    PROTO_REFUSE_RATE_LIMITED = 5,
    PROTO_REFUSE_MAX = 5,
} proto_chat_refusal;

typedef enum proto_error {
    PROTO_OK = 0,
    PROTO_ERR_TRUNCATED = -1,    /* input ended inside a field */
    PROTO_ERR_TRAILING = -2,     /* bytes left after the last field */
    PROTO_ERR_UNKNOWN_TYPE = -3, /* first byte names no message */
    PROTO_ERR_BAD_VALUE = -4,    /* enum out of range, non-finite float, ... */
    PROTO_ERR_TOO_LONG = -5,     /* encode: a string or list exceeds its wire limit */
    PROTO_ERR_BUFFER = -6,       /* encode: output buffer too small */
} proto_error;

/* A byte string that is not NUL-terminated; points into someone else's buffer. */
typedef struct proto_str {
    const char *bytes;
    size_t len;
} proto_str;

typedef struct proto_player {
    uint16_t id;
    uint32_t colour; /* 0xRRGGBB */
    proto_str name;
    float x, y;
} proto_player;

/* The server's measure of one member's link (ENet's figures for its peer). */
typedef struct proto_member_stat {
    uint16_t id;
    uint16_t rtt_ms;
    uint16_t jitter_ms;      /* round-trip time variance */
    uint16_t loss_permyriad; /* reliable packets lost, in 1/10000 (0..10000) */
} proto_member_stat;

enum { PROTO_MAX_LOSS_PERMYRIAD = 10000 };

/* A player's newest accepted position, as a snapshot carries it. */
typedef struct proto_snapshot_entry {
    uint16_t id;
    uint32_t seq;     /* the player's own position sequence number */
    uint64_t sent_us; /* the player's clock when it sent this position */
    float x, y;
    /* Positions of this player that arrived since the last snapshot and
     * that this newer one replaced (saturates at 255): a gap in seq that
     * the server made, not the network. */
    uint8_t merged;
} proto_snapshot_entry;

typedef struct proto_msg {
    proto_type type;
    union {
        struct {
            proto_str name;
            proto_str lobby; /* empty: the default lobby */
            uint8_t resume;  /* 1: token and last_chat_seq follow */
            uint8_t token[PROTO_TOKEN_BYTES];
            uint32_t last_chat_seq; /* newest chat seen, to replay what was missed */
        } hello;
        struct {
            uint32_t msg_id; /* chosen by the sender, echoed in ack/refusal */
            proto_str text;
        } chat;
        struct {
            uint32_t seq;
            uint64_t sent_us; /* sender's clock */
            float x, y;
        } position;
        struct {
            uint64_t client_us;
        } ping;
        struct {
            uint8_t reason; /* proto_reason */
            proto_str text;
        } reject;
        struct {
            uint16_t your_id;
            uint8_t token[PROTO_TOKEN_BYTES]; /* present it to get this seat back */
            uint8_t resumed;                  /* 1: an old seat, not a new one */
            uint8_t capacity;
            proto_str lobby;
            uint8_t count;
            proto_player players[PROTO_MAX_LOBBY_PLAYERS]; /* includes you */
        } welcome;
        proto_player joined;
        struct {
            uint16_t id;
            uint8_t reason; /* proto_leave_reason */
        } left;
        struct {
            uint32_t msg_id;
            uint32_t seq; /* the lobby's server sequence number */
        } chat_ack;
        struct {
            uint32_t msg_id;
            uint8_t reason; /* proto_chat_refusal */
            proto_str text;
        } chat_refused;
        struct {
            uint16_t from_id;
            uint32_t seq;
            proto_str text;
        } chat_relay;
        struct {
            uint32_t seq;   /* the lobby's chat sequence, shared with CHAT_RELAY */
            proto_str name; /* the text client's display name */
            proto_str text; /* at most PROTO_MAX_TEXT_RELAY_BYTES */
        } text_chat_relay;
        struct {
            uint8_t count; /* 1..PROTO_MAX_SNAPSHOT_ENTRIES */
            proto_snapshot_entry entries[PROTO_MAX_SNAPSHOT_ENTRIES];
        } snapshot;
        struct {
            uint64_t client_us; /* echoed from the ping */
            uint64_t server_us;
        } pong;
        struct {
            uint8_t count;
            proto_member_stat members[PROTO_MAX_LOBBY_PLAYERS];
        } member_stats;
        struct {
            uint16_t id;
            uint8_t status; /* proto_player_status */
        } player_status;
    } u;
} proto_msg;

/* Writes msg into buf. Returns the byte count (> 0) or a negative proto_error. */
int proto_encode(const proto_msg *msg, uint8_t *buf, size_t cap);

/* Parses exactly one message from buf[0..len). Returns PROTO_OK or a negative
 * proto_error; out's strings point into buf. Decoding is canonical: a message
 * that decodes re-encodes to the same bytes. */
int proto_decode(const uint8_t *buf, size_t len, proto_msg *out);

/* ENet connect data for a protocol version, and its inverse (false when the
 * magic does not match, i.e. the peer is not a lobby client at all). */
uint32_t proto_connect_data(uint16_t version);
bool proto_connect_version(uint32_t data, uint16_t *version);

/* Positions are clamped into the world; non-finite values become 0. */
float proto_clamp_x(float x);
float proto_clamp_y(float y);

/* Wrap-around aware: true when sequence a comes after b. */
bool proto_seq_newer(uint32_t a, uint32_t b);

/* Static English text for codes; never NULL. */
const char *proto_strerror(int err);
const char *proto_reason_text(uint32_t reason);
const char *proto_leave_text(uint32_t reason);
const char *proto_refusal_text(uint32_t reason);
const char *proto_status_text(uint32_t status);
const char *proto_type_name(uint32_t type);

proto_str proto_str_from_cstr(const char *s);
bool proto_str_eq(proto_str a, proto_str b);

#endif
