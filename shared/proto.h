/* shared/: what every other folder builds on: the wire codec (wire.h,
 * proto.h), the text rules (text.h), the monotonic clock (clock.h, the one
 * file that reads it) and a seeded generator (rng.h). No I/O in the codec.
 * May include: libc and shared/ only. Must never include: any other folder,
 * ENet or SDL (tests/check_includes.py enforces these rules). */

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
    /* 2: snapshots; 3: real lobbies; 4: CHAT_HISTORY, server-owned lobbies;
     * 5: the connect cookie (proto_cookie_*); 6: REDIRECT and HELLO's ticket */
    PROTO_VERSION = 6,
    /* ENet's connect data carries (PROTO_CONNECT_MAGIC << 16) | version
     * up to version 4; since 5 it carries the connect cookie, and the
     * transport hands the core proto_connect_data(PROTO_VERSION). */
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
    /* Large enough for a maximal chat relay (type, from_id, seq, then the
     * str16 text), a welcome with PROTO_MAX_LOBBY_PLAYERS players of 255-byte
     * names, and any message the server builds from in-rule strings (a
     * LOBBY_LIST of 64 entries with 24-byte names and 8 maximal metadata
     * pairs is about 30 KB). Not for every encodable message: 64 entries of
     * 255-byte strings would need ~300 KB; an encoder given a buffer too
     * small for its message returns PROTO_ERR_BUFFER, never a partial one. */
    PROTO_MAX_MESSAGE_BYTES = 1 + 2 + 4 + 2 + PROTO_MAX_STR16_BYTES,
    /* The text of a TEXT_CHAT_RELAY is shorter than a str16 allows by the
     * most its str8 sender name can add, so that message too fits in
     * PROTO_MAX_MESSAGE_BYTES: 1 + 4 + 1 + 255 + 2 + 65279 = 65542. */
    PROTO_MAX_TEXT_RELAY_BYTES = PROTO_MAX_STR16_BYTES - 1 - PROTO_MAX_STR8_BYTES,
    /* CHAT_HISTORY's text has the same limit: 1 + 4 + 2 + 1 + 255 + 2 + 65279
     * = 65544, exactly PROTO_MAX_MESSAGE_BYTES. */

    /* Real lobbies (version 3). A password is 0..32 bytes (0: none). A
     * lobby carries up to 8 metadata pairs; a key is 1..16 bytes of
     * [a-z0-9_.-], a value 0..32 bytes of text (the chat rules, may be
     * empty). The codec enforces only the counts; the server the rest. */
    PROTO_MAX_PASSWORD_BYTES = 32,
    PROTO_MAX_META_PAIRS = 8,
    PROTO_MAX_META_KEY_BYTES = 16,
    PROTO_MAX_META_VALUE_BYTES = 32,
    /* Lobbies in one LOBBY_LIST; `total` says how many matched in all. */
    PROTO_MAX_LIST_ENTRIES = 64,
    /* Chat lines a player gets on joining a lobby (its recent history). */
    PROTO_JOIN_HISTORY_LINES = 50,
    PROTO_RTT_UNKNOWN = 0xFFFF, /* LOBBY_LIST median_rtt_ms: no member measured */
    /* REDIRECT (version 6): a server id is 1..64 bytes of [A-Za-z0-9._:-]
     * (proto_server_id_valid), a host 1..255 bytes of [A-Za-z0-9._-]. */
    PROTO_MAX_SERVER_ID_BYTES = 64,
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
    PROTO_LIST_LOBBIES = 0x05,    /* the lobby list, filtered; answered by LOBBY_LIST */
    PROTO_CREATE_LOBBY = 0x06,    /* open a lobby and join it as its owner */
    PROTO_JOIN_LOBBY = 0x07,      /* join by name (+ password); moves from a current lobby */
    PROTO_LEAVE_LOBBY = 0x08,     /* back to the lobby list, still connected */
    PROTO_SET_READY = 0x09,       /* ready-up toggle */
    PROTO_START_GAME = 0x0A,      /* owner: start the countdown (everyone ready) */
    PROTO_KICK = 0x0B,            /* owner: put a member out (with a rejoin cool-down) */
    PROTO_CONFIGURE_LOBBY = 0x0C, /* owner: capacity, password, metadata, max RTT */
    PROTO_GIVE_OWNERSHIP = 0x0D,  /* owner: hand the lobby to another member */
    PROTO_DIRECT_CHAT = 0x0E,     /* to one member; acked by CHAT_ACK with seq 0 */
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
    PROTO_LOBBY_REFUSED = 0x8D,     /* a lobby request was refused: which, why, text */
    PROTO_LOBBY_EXITED = 0x8E,      /* you are in no lobby now (browsing, left, kicked) */
    PROTO_LOBBY_LIST = 0x8F,        /* answer to LIST_LOBBIES */
    PROTO_LOBBY_STATE = 0x90,       /* owner, state, settings and ready flags; on any change */
    PROTO_COUNTDOWN = 0x91,         /* the start countdown, at its start and every second */
    PROTO_COUNTDOWN_CANCELLED = 0x92,
    PROTO_GAME_STARTING = 0x93, /* to every member in the same server tick */
    PROTO_DIRECT_CHAT_RELAY = 0x94,
    PROTO_CHAT_HISTORY = 0x95, /* a kept line for a joiner or a returning player, with its name */
    PROTO_CHAT_GAP = 0x96,     /* version 5: lines a returning player missed and will not get */
    PROTO_REDIRECT = 0x97,     /* version 6: the lobby is on another server: go there */
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
    /* A HELLO's join refused by the lobby's rules (version 3). */
    PROTO_REASON_WRONG_PASSWORD = 15,
    PROTO_REASON_LOBBY_STARTED = 16, /* counting down or in game */
    PROTO_REASON_KICKED = 17,        /* kicked from that lobby, cool-down not over */
    PROTO_REASON_RTT_TOO_HIGH = 18,  /* above the lobby's maximum round trip */
    /* Identity (version 5): a server started with --auth-key-file refuses a
     * HELLO without a valid identity token (shared/identity.h). */
    PROTO_REASON_AUTH_REQUIRED = 19,    /* no identity token in the HELLO */
    PROTO_REASON_AUTH_INVALID = 20,     /* malformed, bad signature, or not this name/seat */
    PROTO_REASON_AUTH_EXPIRED = 21,     /* its expiry has passed */
    PROTO_REASON_AUTH_WRONG_LOBBY = 22, /* it names another lobby */
    /* Since version 5: per-address and per-holder quotas. */
    PROTO_REASON_QUOTA =
        23, /* your address (or identity) holds its share: sessions, seats, lobbies */
    PROTO_REASON_IDLE = 24, /* at the lobby list with no lobby request for too long */
    /* Since version 6: a HELLO's redirect ticket (docs/PROTOCOL.md, "Redirects"). */
    PROTO_REASON_TICKET_INVALID = 25, /* forged, malformed, or for another server, name or lobby */
    PROTO_REASON_TICKET_EXPIRED = 26,
    PROTO_REASON_TICKET_USED = 27, /* replayed: a ticket admits once */
    PROTO_REASON_MAX = 27,
} proto_reason;

typedef enum proto_leave_reason {
    PROTO_LEAVE_QUIT = 1,
    PROTO_LEAVE_TIMEOUT = 2,
    PROTO_LEAVE_KICKED = 3,
    PROTO_LEAVE_LEFT = 4, /* went back to the lobby list (or to another lobby) */
    PROTO_LEAVE_MAX = 4,
} proto_leave_reason;

/* HELLO's mode. */
typedef enum proto_hello_mode {
    PROTO_HELLO_JOIN = 0,   /* join `lobby` with `password`; absent: opened, locked with it */
    PROTO_HELLO_RESUME = 1, /* take a held seat back: token and last_chat_seq follow */
    PROTO_HELLO_BROWSE = 2, /* join no lobby: start at the lobby list */
    PROTO_HELLO_MODE_MAX = 2,
} proto_hello_mode;

/* Why a lobby request (LIST/CREATE/JOIN/LEAVE/SET_READY/START/KICK/
 * CONFIGURE/GIVE_OWNERSHIP) was refused; LOBBY_REFUSED carries it. */
typedef enum proto_lobby_refusal {
    PROTO_LOBBY_UNKNOWN = 1,        /* no lobby of that name */
    PROTO_LOBBY_WRONG_PASSWORD = 2, /* missing or wrong */
    PROTO_LOBBY_FULL = 3,
    PROTO_LOBBY_STARTED = 4,      /* counting down or in game: no joins, no readying */
    PROTO_LOBBY_KICKED = 5,       /* kicked from it; the text says when to retry */
    PROTO_LOBBY_RTT_TOO_HIGH = 6, /* your round trip is above the lobby's maximum */
    PROTO_LOBBY_NAME_TAKEN = 7,   /* your name is taken in that lobby */
    PROTO_LOBBY_NAME_INVALID = 8, /* lobby name breaks the name rules */
    PROTO_LOBBY_EXISTS = 9,       /* create: the name is in use */
    PROTO_LOBBY_NO_SLOTS = 10,    /* create: the server's lobby limit is reached */
    PROTO_LOBBY_NOT_OWNER = 11,
    PROTO_LOBBY_NOT_IN_LOBBY = 12, /* a member's request from the lobby list */
    PROTO_LOBBY_NO_SUCH_PLAYER = 13,
    PROTO_LOBBY_NOT_ALL_READY = 14,
    PROTO_LOBBY_BAD_VALUE = 15,   /* capacity, password or metadata out of range */
    PROTO_LOBBY_BELOW_COUNT = 16, /* capacity below the current member count */
    PROTO_LOBBY_SERVER_FULL = 17, /* max players reached */
    PROTO_LOBBY_RATE_LIMITED = 18,
    /* kick, configure, give ownership, start: the lobby (`main`) has no owner,
     * so that no player can lock or close the lobby every plain HELLO lands in */
    PROTO_LOBBY_SERVER_OWNED = 19,
    /* join, create: the player's identity token names another lobby (version 5) */
    PROTO_LOBBY_AUTH_WRONG_LOBBY = 20,
    /* Since version 5: your address (or identity) holds its share of the
     * lobby's seats, or has opened its share of lobbies, or opens them too
     * fast; the text says which. */
    PROTO_LOBBY_QUOTA = 21,
    PROTO_LOBBY_REFUSAL_MAX = 21,
} proto_lobby_refusal;

/* Why LOBBY_EXITED: the receiver is in no lobby now. */
typedef enum proto_exit_reason {
    PROTO_EXIT_BROWSING = 1, /* its HELLO asked for no lobby */
    PROTO_EXIT_LEFT = 2,     /* it sent LEAVE_LOBBY */
    PROTO_EXIT_KICKED = 3,   /* the owner kicked it; the text names the cool-down */
    PROTO_EXIT_MAX = 3,
} proto_exit_reason;

typedef enum proto_lobby_state {
    PROTO_LOBBY_OPEN = 1,
    PROTO_LOBBY_STARTING = 2, /* countdown running */
    PROTO_LOBBY_IN_GAME = 3,
    PROTO_LOBBY_STATE_MAX = 3,
} proto_lobby_state;

/* LIST_LOBBIES flags. */
enum {
    PROTO_FILTER_FREE_SEAT = 1u << 0,   /* players < capacity */
    PROTO_FILTER_NO_PASSWORD = 1u << 1, /* no password */
    PROTO_FILTER_OPEN = 1u << 2,        /* state OPEN (not starting, not in game) */
    PROTO_FILTER_ALL = 0x07,
};
/* Lobby flags in LOBBY_LIST entries and LOBBY_STATE. */
enum {
    PROTO_LOBBYF_PASSWORD = 1u << 0,
    PROTO_LOBBYF_SERVER_OWNED = 1u << 1, /* the server runs it (`main`): no owner, ever */
    PROTO_LOBBYF_ALL = 0x03,
};
/* CONFIGURE_LOBBY: which fields to apply (1..15). */
enum {
    PROTO_CONFIGURE_CAPACITY = 1u << 0,
    PROTO_CONFIGURE_PASSWORD = 1u << 1,
    PROTO_CONFIGURE_METADATA = 1u << 2, /* replaces all pairs */
    PROTO_CONFIGURE_MAX_RTT = 1u << 3,
    PROTO_CONFIGURE_ALL = 0x0F,
};
/* LOBBY_STATE member flags. */
enum {
    PROTO_MEMBER_READY = 1u << 0,
    PROTO_MEMBER_ALL = 0x01,
};

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
    PROTO_REFUSE_NO_SUCH_PLAYER = 6, /* DIRECT_CHAT: no such member in your lobby, or yourself */
    PROTO_REFUSE_NOT_IN_LOBBY = 7,   /* chat from the lobby list */
    PROTO_REFUSE_UNREACHABLE = 8,    /* DIRECT_CHAT: the member is reconnecting */
    PROTO_REFUSE_MAX = 8,
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

/* One lobby metadata pair ("mode" = "ctf"). */
typedef struct proto_meta {
    proto_str key;
    proto_str value;
} proto_meta;

typedef struct proto_meta_list {
    uint8_t count; /* 0..PROTO_MAX_META_PAIRS */
    proto_meta pairs[PROTO_MAX_META_PAIRS];
} proto_meta_list;

/* One row of LOBBY_LIST. */
typedef struct proto_lobby_entry {
    proto_str name;
    uint8_t players;        /* members, held seats included */
    uint8_t capacity;       /* 1..PROTO_MAX_LOBBY_PLAYERS */
    uint8_t flags;          /* PROTO_LOBBYF_* */
    uint8_t state;          /* proto_lobby_state */
    proto_str owner;        /* the owner's name; empty when the lobby is empty */
    uint16_t median_rtt_ms; /* of its members as the server measures them; PROTO_RTT_UNKNOWN */
    uint16_t max_rtt_ms;    /* joining needs a round trip at most this; 0: no limit */
    proto_meta_list meta;
} proto_lobby_entry;

/* LOBBY_LIST's body. Its rows live outside the message, so that a message
 * stays small (a few KB) whatever it carries: to encode, point `entries` at
 * `count` rows the caller owns; a decoded list has `entries` NULL and keeps
 * its validated rows as wire bytes in `rows` (a view into the decoded buffer).
 * Read the rows of either kind with proto_lobby_list_next. */
typedef struct proto_lobby_list {
    uint32_t request_id;
    uint16_t total;                   /* lobbies that matched; count of them follow */
    uint8_t count;                    /* 0..PROTO_MAX_LIST_ENTRIES */
    const proto_lobby_entry *entries; /* count rows; NULL: the rows are in `rows` */
    struct {
        const uint8_t *bytes; /* the count rows as they are on the wire */
        size_t len;
    } rows;
} proto_lobby_list;

/* One member in LOBBY_STATE. */
typedef struct proto_lobby_member {
    uint16_t id;
    uint8_t flags; /* PROTO_MEMBER_* */
} proto_lobby_member;

typedef struct proto_msg {
    proto_type type;
    union {
        struct {
            proto_str name;
            proto_str lobby;    /* JOIN: empty means the default lobby */
            proto_str password; /* JOIN: the lobby's password, empty for none */
            uint8_t mode;       /* proto_hello_mode; RESUME: token and last_chat_seq follow */
            uint8_t token[PROTO_TOKEN_BYTES];
            uint32_t last_chat_seq; /* newest chat seen, to replay what was missed */
            /* Optional trailing field (version 5): an identity token
             * (shared/identity.h), 1..255 bytes; len 0: none sent. */
            proto_str identity;
            /* Optional trailing field after it (version 6): a REDIRECT's
             * ticket, 1..255 opaque bytes; len 0: none. With a ticket and
             * no identity, the identity goes on the wire with length 0. */
            proto_str ticket;
        } hello;
        struct {
            uint32_t request_id;     /* chosen by the client, echoed in LOBBY_LIST */
            proto_str name_contains; /* case-insensitive substring; empty: any */
            uint8_t flags;           /* PROTO_FILTER_* */
            proto_meta_list meta;    /* every pair must equal the lobby's */
        } list_lobbies;
        struct {
            proto_str name;
            uint8_t capacity; /* 0: the server's default */
            proto_str password;
            uint16_t max_rtt_ms; /* 0: no limit */
            proto_meta_list meta;
        } create_lobby;
        struct {
            proto_str name;
            proto_str password;
        } join_lobby;
        struct {
            uint8_t ready; /* 0 or 1 */
        } set_ready;
        struct {
            uint16_t player_id;
        } kick, give_ownership;
        struct {
            uint8_t changes; /* PROTO_CONFIGURE_*, 1..15; only those fields apply */
            uint8_t capacity;
            proto_str password;
            uint16_t max_rtt_ms;
            proto_meta_list meta;
        } configure_lobby;
        struct {
            uint32_t msg_id;
            uint16_t to_id;
            proto_str text;
        } direct_chat;
        struct {
            uint8_t request; /* the proto_type of the refused request */
            uint8_t reason;  /* proto_lobby_refusal */
            proto_str text;
        } lobby_refused;
        struct {
            uint8_t reason; /* proto_exit_reason */
            proto_str text;
        } lobby_exited;
        proto_lobby_list lobby_list;
        struct {
            uint16_t owner_id; /* 0: none */
            uint8_t state;     /* proto_lobby_state */
            uint8_t capacity;
            uint8_t flags; /* PROTO_LOBBYF_* */
            uint16_t max_rtt_ms;
            uint32_t countdown_ms; /* STARTING: time left; otherwise 0 */
            proto_meta_list meta;
            uint8_t count; /* members, in join order */
            proto_lobby_member members[PROTO_MAX_LOBBY_PLAYERS];
        } lobby_state;
        struct {
            uint8_t seconds_left; /* 1.. */
            uint32_t start_tick;  /* the server tick the game starts at */
        } countdown;
        struct {
            uint16_t by_id; /* the member whose leave or unready cancelled it; 0: none */
            proto_str text;
        } countdown_cancelled;
        struct {
            uint32_t tick; /* the server tick, the same for every member */
            uint64_t server_us;
        } game_starting;
        struct {
            uint16_t from_id;
            proto_str text;
        } direct_chat_relay;
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
            uint32_t seq;     /* the lobby's chat sequence number of the line */
            uint16_t from_id; /* the sending player's id then; 0: a text client */
            proto_str name;   /* the sender's name then (it may have left since) */
            proto_str text;   /* at most PROTO_MAX_TEXT_RELAY_BYTES */
        } chat_history;
        struct {
            uint32_t first_seq; /* the oldest sequence number not replayed */
            uint32_t missed;    /* how many lines from first_seq on are not replayed */
        } chat_gap;
        struct {
            uint8_t request;     /* the proto_type it answers: HELLO, CREATE_LOBBY, JOIN_LOBBY */
            proto_str lobby;     /* 1..24 bytes, the lobby name rules */
            proto_str host;      /* 1..255 bytes of [A-Za-z0-9._-]: IPv4 or host name */
            uint16_t port;       /* not 0 */
            proto_str server_id; /* 1..PROTO_MAX_SERVER_ID_BYTES, proto_server_id_valid */
            proto_str ticket;    /* 1..255 opaque bytes, for the HELLO there */
            proto_str text;      /* str16, for people; may be empty */
        } redirect;
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

/* Messages live on the stack of every handler: keep them small (the largest
 * arm is WELCOME's players; lobby lists keep their rows outside). */
_Static_assert(sizeof(proto_msg) <= 4096, "proto_msg must stay a few KB at most");

/* Writes msg into buf. Returns the byte count (> 0) or a negative proto_error:
 * PROTO_ERR_BUFFER when the message does not fit cap (see
 * PROTO_MAX_MESSAGE_BYTES). */
int proto_encode(const proto_msg *msg, uint8_t *buf, size_t cap);

/* Parses exactly one message from buf[0..len). Returns PROTO_OK or a negative
 * proto_error; out's strings point into buf. Decoding is canonical: a message
 * that decodes re-encodes to the same bytes. */
int proto_decode(const uint8_t *buf, size_t len, proto_msg *out);

/* The next row of a LOBBY_LIST, from `entries` or else from `rows`: start
 * with *cursor = 0 (it then belongs to this function). Returns false after
 * the count-th row, or at a row of `rows` that does not parse (never in a
 * list proto_decode accepted). The row's strings point where the list's do. */
bool proto_lobby_list_next(const proto_lobby_list *l, size_t *cursor, proto_lobby_entry *out);

/* ENet connect data for a protocol version, and its inverse (false when the
 * magic does not match, i.e. the peer is not a lobby client at all). */
uint32_t proto_connect_data(uint16_t version);
bool proto_connect_version(uint32_t data, uint16_t *version);

/* ---- the connect cookie (docs/PROTOCOL.md, "Connecting") ----------------
 * Two plain UDP datagrams outside ENet, exchanged before the ENet CONNECT
 * from the socket that then connects: the client asks, the server answers
 * with a cookie bound to the client's address, port and a time bucket, and
 * the client's CONNECT carries it as its data. The request is larger than
 * the reply, so the exchange cannot amplify a forged source's traffic. */
enum {
    PROTO_COOKIE_REQUEST_BYTES = 64,
    PROTO_COOKIE_REPLY_BYTES = 16,
    PROTO_COOKIE_OK = 0,               /* reply status: the cookie is valid */
    PROTO_COOKIE_VERSION_MISMATCH = 1, /* reply status: no cookie, versions differ */
};

/* "LBYQ": its first two bytes read as an ENet header have the compressed
 * flag set, which this protocol never uses, so no ENet datagram of a lobby
 * peer starts like this. */
extern const uint8_t PROTO_COOKIE_REQUEST_MAGIC[4];
extern const uint8_t PROTO_COOKIE_REPLY_MAGIC[4]; /* "LBYC" */

typedef struct proto_cookie_request {
    uint16_t version; /* the client's PROTO_VERSION */
    uint32_t nonce;   /* random, echoed in the reply */
} proto_cookie_request;

typedef struct proto_cookie_reply {
    uint16_t version; /* the server's PROTO_VERSION */
    uint16_t status;  /* PROTO_COOKIE_OK or PROTO_COOKIE_VERSION_MISMATCH */
    uint32_t nonce;   /* the request's */
    uint32_t cookie;  /* 0 unless status is PROTO_COOKIE_OK */
} proto_cookie_reply;

/* True when a datagram starts with magic (it may still be malformed). */
bool proto_cookie_has_magic(const uint8_t *buf, size_t len, const uint8_t magic[4]);
/* Writes exactly PROTO_COOKIE_REQUEST_BYTES / PROTO_COOKIE_REPLY_BYTES. */
void proto_cookie_request_encode(const proto_cookie_request *r,
                                 uint8_t out[PROTO_COOKIE_REQUEST_BYTES]);
void proto_cookie_reply_encode(const proto_cookie_reply *r, uint8_t out[PROTO_COOKIE_REPLY_BYTES]);
/* False unless buf is one whole datagram of that kind (magic and size);
 * the request's reserved bytes are not judged. */
bool proto_cookie_request_decode(const uint8_t *buf, size_t len, proto_cookie_request *out);
bool proto_cookie_reply_decode(const uint8_t *buf, size_t len, proto_cookie_reply *out);

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
const char *proto_lobby_refusal_text(uint32_t reason);
const char *proto_exit_text(uint32_t reason);
const char *proto_lobby_state_text(uint32_t state);
const char *proto_type_name(uint32_t type);

/* REDIRECT's field rules, for servers building one and tickets naming one:
 * a server id is 1..PROTO_MAX_SERVER_ID_BYTES of [A-Za-z0-9._:-], a host
 * 1..255 bytes of [A-Za-z0-9._-] (what a terminal may print as it is). */
bool proto_server_id_valid(const char *s, size_t len);
bool proto_host_valid(const char *s, size_t len);

proto_str proto_str_from_cstr(const char *s);
bool proto_str_eq(proto_str a, proto_str b);

#endif
