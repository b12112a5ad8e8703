/* liblobby-client: connect a game to a lobby-server.
 *
 * One header, one library (pkg-config --cflags --libs lobby-client, or
 * find_package(LobbyClient) and LobbyClient::lobby-client in CMake). The
 * whole guide, with a complete example, is docs/CLIENT-API.md; the wire
 * protocol underneath is docs/PROTOCOL.md.
 *
 * The life of a connection:
 *   lobby_client_config_init(&cfg); set host, port, name, lobby;
 *   lobby_client_create(&cfg, now_us, &c);          starts connecting
 *   each frame: lobby_client_update(c, now_us);    network in, sends out
 *               while (lobby_client_next_event(c, &ev)) handle ev;
 *               lobby_client_send_position(c, x, y, now_us); ...
 *   lobby_client_leave(c); update until LOBBY_CLIENT_EV_DISCONNECTED
 *   lobby_client_destroy(c);
 *
 * Rules that hold for every function:
 * - Time is passed in: now_us is any monotonic clock in microseconds (the
 *   same one for every call on a client). The library reads no clock of
 *   its own for its timers.
 * - Nothing blocks: lobby_client_update() reads what has arrived and
 *   returns; wait on lobby_client_fd() with poll() if the game sleeps.
 * - No globals, no SDL, no threads: the library holds state only in the
 *   lobby_client handles it gives out.
 * - Thread safety: a lobby_client is not thread-safe; make every call on one
 *   client from one thread at a time (or under your own lock). Different
 *   clients may be used from different threads at once. Functions that
 *   take no lobby_client (config_init, strerror, reason_text, version) are
 *   safe from any thread.
 * - Strings passed in are copied before the call returns; strings and
 *   structs handed out are the caller's copies.
 * - Functions returning int return LOBBY_CLIENT_OK (0) or a negative
 *   lobby_client_error; the arguments are checked first (ERR_ARG, then
 *   ERR_TOO_LONG: nothing is ever cut short), then the state (ERR_STATE).
 *   Given a NULL lobby_client they return LOBBY_CLIENT_ERR_ARG; the other
 *   functions then do nothing and return false, 0, -1 or NULL
 *   (lobby_client_get_state: LOBBY_CLIENT_DISCONNECTED).
 *
 * Stability: names and behaviour follow semantic versioning from 1.0; in
 * 0.x, any change to a struct's layout or an enum's values changes the
 * SONAME (liblobby-client.so.0 now). */
#ifndef LOBBY_CLIENT_PUBLIC_H
#define LOBBY_CLIENT_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LOBBY_CLIENT_API __attribute__((visibility("default")))
#else
#define LOBBY_CLIENT_API
#endif

#define LOBBY_CLIENT_VERSION_MAJOR 0
#define LOBBY_CLIENT_VERSION_MINOR 1
#define LOBBY_CLIENT_VERSION_PATCH 0

/* Limits of the wire protocol (docs/PROTOCOL.md), in bytes of UTF-8
 * without the terminating NUL that every char array here has room for. */
enum {
    LOBBY_CLIENT_MAX_NAME = 24,       /* a player's name */
    LOBBY_CLIENT_MAX_LOBBY_NAME = 24, /* a lobby's name */
    LOBBY_CLIENT_MAX_PASSWORD = 32,
    LOBBY_CLIENT_MAX_CHAT = 512, /* one chat message */
    LOBBY_CLIENT_MAX_TEXT = 512, /* an event's text */
    LOBBY_CLIENT_MAX_SHORT_TEXT = 255,
    LOBBY_CLIENT_MAX_PLAYERS = 64, /* in one lobby */
    LOBBY_CLIENT_MAX_META = 8,     /* metadata pairs per lobby */
    LOBBY_CLIENT_MAX_META_KEY = 16,
    LOBBY_CLIENT_MAX_META_VALUE = 32,
    LOBBY_CLIENT_MAX_LIST = 64, /* lobbies in one list answer */
    LOBBY_CLIENT_MAX_SERVER_ID = 64,
    LOBBY_CLIENT_MAX_REDIRECTS = 3, /* followed in a row without reaching a lobby */
};

/* The world positions live in, in world units: x in [0, 1200], y in
 * [0, 800], y growing downwards; the server clamps positions to it. */
#define LOBBY_CLIENT_WORLD_WIDTH  1200.0f
#define LOBBY_CLIENT_WORLD_HEIGHT 800.0f

typedef enum lobby_client_error {
    LOBBY_CLIENT_OK = 0,
    LOBBY_CLIENT_ERR_ADDRESS = -1, /* the host name does not resolve */
    LOBBY_CLIENT_ERR_NETWORK = -2, /* no UDP socket or connection could be had */
    LOBBY_CLIENT_ERR_NOMEM = -3,
    LOBBY_CLIENT_ERR_STATE = -4,    /* not possible in this state (not joined, ...) */
    LOBBY_CLIENT_ERR_TOO_LONG = -5, /* a string over its protocol limit */
    LOBBY_CLIENT_ERR_ARG = -6,      /* a NULL or otherwise invalid argument */
} lobby_client_error;

typedef struct lobby_client lobby_client; /* opaque: one connection */

typedef struct lobby_client_config {
    const char *host;     /* IPv4 address or host name of the server */
    uint16_t port;        /* its UDP port (lobby-server's --port, 7777) */
    const char *name;     /* player name, 1..24 bytes of UTF-8 (the server judges the rest) */
    const char *lobby;    /* lobby to join or open; NULL or "": the default lobby */
    const char *password; /* the lobby's password; NULL or "": none */
    bool browse;          /* join no lobby: start at the lobby list */
    uint32_t timeout_ms;  /* give up connecting / drop a silent server (default 5000; not 0) */
    /* Reconnect by itself after a loss or a refusal that may pass, after a
     * random delay up to min(reconnect_max_ms, reconnect_base_ms * 2^n),
     * taking the seat back when the server still holds it. */
    bool auto_reconnect;        /* default false */
    uint32_t reconnect_base_ms; /* default 500 */
    uint32_t reconnect_max_ms;  /* default 30000 */
    uint64_t jitter_seed;       /* 0: derived from the start time */
    /* An identity token from the game's backend (docs/PROTOCOL.md,
     * "Identity tokens"), 1..255 bytes, copied; NULL: none. */
    const uint8_t *identity_token;
    size_t identity_token_len;
    void *user; /* the caller's own pointer: lobby_client_user() */
} lobby_client_config;

typedef enum lobby_client_state {
    LOBBY_CLIENT_CONNECTING = 0,   /* UDP handshake */
    LOBBY_CLIENT_JOINING = 1,      /* hello sent, waiting for the lobby */
    LOBBY_CLIENT_JOINED = 2,       /* in a lobby */
    LOBBY_CLIENT_REJECTED = 3,     /* refused: status.reason, status.reason_text */
    LOBBY_CLIENT_DISCONNECTED = 4, /* over: status.reason (0: timed out) */
    LOBBY_CLIENT_RECONNECTING = 5, /* lost; next attempt at status.retry_at_us */
    LOBBY_CLIENT_BROWSING = 6,     /* connected, in no lobby */
} lobby_client_state;

typedef enum lobby_client_lobby_state {
    LOBBY_CLIENT_LOBBY_UNKNOWN = 0, /* no state received yet */
    LOBBY_CLIENT_LOBBY_OPEN = 1,
    LOBBY_CLIENT_LOBBY_STARTING = 2, /* counting down */
    LOBBY_CLIENT_LOBBY_IN_GAME = 3,
} lobby_client_lobby_state;

typedef struct lobby_client_meta {
    char key[LOBBY_CLIENT_MAX_META_KEY + 1];
    char value[LOBBY_CLIENT_MAX_META_VALUE + 1];
} lobby_client_meta;

/* The client's own state and its lobby's (lobby_client_get_status). */
typedef struct lobby_client_status {
    lobby_client_state state;
    uint16_t my_id; /* our player id in the lobby; 0 outside one */
    char lobby[LOBBY_CLIENT_MAX_LOBBY_NAME + 1];
    uint8_t capacity;
    uint8_t player_count;
    uint16_t owner_id; /* 0: no owner */
    lobby_client_lobby_state lobby_state;
    bool has_password;
    bool server_owned; /* run by the server (`main`): no owner, no settings */
    uint16_t max_rtt_ms;
    uint8_t meta_count;
    lobby_client_meta meta[LOBBY_CLIENT_MAX_META];
    uint32_t reason; /* REJECTED or DISCONNECTED: the REJECT reason code */
    char reason_text[LOBBY_CLIENT_MAX_SHORT_TEXT + 1];
    uint32_t rtt_ms;           /* the transport's smoothed round trip */
    uint64_t ping_rtt_us;      /* the last lobby_client_send_ping round trip; 0: none */
    uint64_t retry_at_us;      /* RECONNECTING: when the next attempt starts */
    uint64_t countdown_end_us; /* STARTING: when the game starts, on our clock */
    uint32_t start_tick;       /* the server tick of the last game start; 0: none */
} lobby_client_status;

/* A member of our lobby (us included). */
typedef struct lobby_client_player {
    uint16_t id;
    uint32_t colour; /* 0xRRGGBB, chosen by the server */
    char name[LOBBY_CLIENT_MAX_NAME + 1];
    float x, y;              /* last known position (from joining, then each relayed one) */
    bool has_position;       /* a position of it was relayed since we joined */
    bool ready;              /* toggled ready */
    bool reconnecting;       /* lost its connection; its seat is held */
    uint16_t rtt_ms;         /* as the server measures it */
    uint16_t jitter_ms;      /* as the server measures it */
    uint16_t loss_permyriad; /* as the server measures it, 0..10000 */
} lobby_client_player;

/* One row of the lobby list. */
typedef struct lobby_client_lobby {
    char name[LOBBY_CLIENT_MAX_LOBBY_NAME + 1];
    uint8_t players, capacity;
    bool has_password;
    bool server_owned;
    lobby_client_lobby_state state;
    char owner[LOBBY_CLIENT_MAX_NAME + 1]; /* "" when none */
    bool rtt_known;
    uint16_t median_rtt_ms; /* of its members */
    uint16_t max_rtt_ms;    /* 0: no limit */
    uint8_t meta_count;
    lobby_client_meta meta[LOBBY_CLIENT_MAX_META];
} lobby_client_lobby;

/* What to list; all zero: every lobby. */
typedef struct lobby_client_filter {
    const char *name_contains; /* NULL or "": any */
    bool free_seat, no_password, open_only;
    uint8_t meta_count;
    lobby_client_meta meta[LOBBY_CLIENT_MAX_META]; /* every pair must match */
} lobby_client_filter;

/* A lobby's settings (create and configure). */
typedef struct lobby_client_settings {
    const char *name;     /* create only */
    uint8_t capacity;     /* 0: the server's default (create) */
    const char *password; /* NULL or "": none */
    uint16_t max_rtt_ms;  /* 0: no limit */
    uint8_t meta_count;
    lobby_client_meta meta[LOBBY_CLIENT_MAX_META];
} lobby_client_settings;

/* lobby_client_configure_lobby: which settings to apply. */
enum {
    LOBBY_CLIENT_SET_CAPACITY = 1u << 0,
    LOBBY_CLIENT_SET_PASSWORD = 1u << 1,
    LOBBY_CLIENT_SET_METADATA = 1u << 2, /* replaces every pair */
    LOBBY_CLIENT_SET_MAX_RTT = 1u << 3,
};

typedef enum lobby_client_event_type {
    LOBBY_CLIENT_EV_JOINED = 1,         /* in a lobby now: joined; see status */
    LOBBY_CLIENT_EV_REJECTED = 2,       /* refused by the server: rejected, text */
    LOBBY_CLIENT_EV_DISCONNECTED = 3,   /* over: disconnected, text */
    LOBBY_CLIENT_EV_RECONNECTING = 4,   /* lost, trying again: reconnecting, text */
    LOBBY_CLIENT_EV_REDIRECTED = 5,     /* the lobby is on another server; going: redirected */
    LOBBY_CLIENT_EV_PLAYER_JOINED = 6,  /* player_id, text = name */
    LOBBY_CLIENT_EV_PLAYER_LEFT = 7,    /* player_id, player_left; text = name */
    LOBBY_CLIENT_EV_PLAYER_STATUS = 8,  /* player_id, player_status; text = name */
    LOBBY_CLIENT_EV_POSITION = 9,       /* player_id, position */
    LOBBY_CLIENT_EV_CHAT = 10,          /* player_id, chat, text */
    LOBBY_CLIENT_EV_DIRECT_CHAT = 11,   /* player_id, chat (seq 0), text: to us alone */
    LOBBY_CLIENT_EV_CHAT_ACK = 12,      /* chat_ack: the server took our message */
    LOBBY_CLIENT_EV_CHAT_REFUSED = 13,  /* chat_refused, text */
    LOBBY_CLIENT_EV_CHAT_GAP = 14,      /* chat_gap: lines missed while away */
    LOBBY_CLIENT_EV_PONG = 15,          /* pong */
    LOBBY_CLIENT_EV_LOBBY_LIST = 16,    /* lobby_list; rows: lobby_client_get_lobby */
    LOBBY_CLIENT_EV_LOBBY_REFUSED = 17, /* lobby_refused, text */
    LOBBY_CLIENT_EV_LOBBY_EXITED = 18,  /* in no lobby now: lobby_exited, text */
    LOBBY_CLIENT_EV_LOBBY_STATE = 19,   /* owner, state, settings or ready flags changed */
    LOBBY_CLIENT_EV_COUNTDOWN = 20,     /* countdown */
    LOBBY_CLIENT_EV_COUNTDOWN_CANCELLED = 21, /* player_id (who cancelled; 0: none), text */
    LOBBY_CLIENT_EV_GAME_STARTING = 22,       /* game_starting */
} lobby_client_event_type;

/* One event. Only the member named after the type (and player_id where the
 * type says so) is meaningful; text is always NUL-terminated, "" when the
 * type has none. Texts of refusals are the server's, or the code's
 * standard text when it sent none: print them alone. */
typedef struct lobby_client_event {
    lobby_client_event_type type;
    uint16_t player_id; /* the player the event is about or from; 0: none */
    union {
        struct {
            bool resumed; /* the server gave our old seat back */
        } joined;
        struct {
            uint32_t reason; /* REJECT reason code (docs/PROTOCOL.md) */
        } rejected;
        struct {
            uint32_t reason;      /* REJECT reason code; 0: timed out; 10 (QUIT): we left */
            bool unanswered;      /* the server never answered the connection */
            bool redirect_failed; /* a redirect could not be followed (text: HOST:PORT) */
        } disconnected;
        struct {
            uint32_t reason;   /* why it was lost: reason code; 0: timed out */
            uint32_t delay_ms; /* until the next attempt */
            bool unanswered;
        } reconnecting;
        struct {
            uint16_t port;
            char host[LOBBY_CLIENT_MAX_SHORT_TEXT + 1];
            char lobby[LOBBY_CLIENT_MAX_LOBBY_NAME + 1];
            char server_id[LOBBY_CLIENT_MAX_SERVER_ID + 1];
        } redirected;
        struct {
            uint32_t reason; /* 1 quit, 2 timed out, 3 kicked, 4 left for the list */
        } player_left;
        struct {
            uint32_t status; /* 1 reconnecting (seat held), 2 back */
        } player_status;
        struct {
            float x, y;
            uint32_t seq;     /* the sender's position sequence number */
            uint64_t sent_us; /* the sender's clock */
        } position;
        struct {
            uint32_t seq;   /* the lobby's chat sequence number; 0 for direct */
            bool from_text; /* from a plain-text (TCP) client: player_id 0 */
            bool history;   /* replayed from before we joined or while away */
            char sender[LOBBY_CLIENT_MAX_SHORT_TEXT + 1];
        } chat;
        struct {
            uint32_t msg_id; /* as lobby_client_send_chat returned it */
            uint32_t seq;    /* the lobby's sequence number; 0 for direct */
        } chat_ack;
        struct {
            uint32_t msg_id;
            uint32_t reason; /* CHAT_REFUSED reason code */
        } chat_refused;
        struct {
            uint32_t first_seq; /* the oldest line we will not see */
            uint32_t missed;
        } chat_gap;
        struct {
            uint64_t rtt_us;
            uint64_t sent_us;
        } pong;
        struct {
            uint32_t request_id; /* as lobby_client_list_lobbies returned it */
            uint32_t total;      /* lobbies that matched */
            /* Rows held: lobby_client_get_lobby(0..count-1). Only the newest
             * list is held: with several requests out, an earlier one's
             * event shows the rows (and total) of the newest answer. */
            uint32_t count;
        } lobby_list;
        struct {
            uint32_t request; /* the refused request's message type */
            uint32_t reason;  /* LOBBY_REFUSED reason code */
        } lobby_refused;
        struct {
            uint32_t reason; /* 1 browsing, 2 left, 3 kicked */
        } lobby_exited;
        struct {
            uint32_t seconds_left;
            uint32_t start_tick;
        } countdown;
        struct {
            uint32_t tick;      /* the server tick the game starts at */
            uint64_t server_us; /* the server's clock */
        } game_starting;
    };
    char text[LOBBY_CLIENT_MAX_TEXT + 1];
} lobby_client_event;

/* ---- setting up ----------------------------------------------------------- */

/* The library's version, "MAJOR.MINOR.PATCH", and the protocol it speaks. */
LOBBY_CLIENT_API const char *lobby_client_version(void);
LOBBY_CLIENT_API uint16_t lobby_client_protocol_version(void);
/* A lobby_client_error's text; "unknown error" for anything else. */
LOBBY_CLIENT_API const char *lobby_client_strerror(int err);
/* A REJECT reason code's standard text ("lobby is full", ...). */
LOBBY_CLIENT_API const char *lobby_client_reason_text(uint32_t reason);
/* True when trying again cannot fix a REJECT reason (a bad name, password
 * or token, a kick, a protocol mismatch); auto_reconnect stops on these. */
LOBBY_CLIENT_API bool lobby_client_reason_is_permanent(uint32_t reason);

/* Every field to its default: host 127.0.0.1, port 7777, timeout 5000 ms. */
LOBBY_CLIENT_API void lobby_client_config_init(lobby_client_config *cfg);

/* Starts connecting; on LOBBY_CLIENT_OK *out is the new client. */
LOBBY_CLIENT_API int lobby_client_create(const lobby_client_config *cfg, uint64_t now_us,
                                         lobby_client **out);
/* Drops the connection at once (the server notices) and frees everything.
 * NULL is allowed. */
LOBBY_CLIENT_API void lobby_client_destroy(lobby_client *c);

/* ---- the loop ------------------------------------------------------------- */

/* Reads what arrived into events and the status, runs timers (timeouts,
 * reconnection), then sends everything queued since the last call. Call it
 * every frame, at least every 50 ms while connected. */
LOBBY_CLIENT_API void lobby_client_update(lobby_client *c, uint64_t now_us);
/* Takes the oldest event; false when there is none. */
LOBBY_CLIENT_API bool lobby_client_next_event(lobby_client *c, lobby_client_event *out);
/* The UDP socket, to poll() for reading when the game sleeps. */
LOBBY_CLIENT_API int lobby_client_fd(const lobby_client *c);
/* cfg.user as given to lobby_client_create. */
LOBBY_CLIENT_API void *lobby_client_user(const lobby_client *c);

/* ---- what the client knows ------------------------------------------------ */

LOBBY_CLIENT_API lobby_client_state lobby_client_get_state(const lobby_client *c);
LOBBY_CLIENT_API void lobby_client_get_status(const lobby_client *c, lobby_client_status *out);
/* Members of our lobby, in join order (us included): index 0..count-1. */
LOBBY_CLIENT_API size_t lobby_client_player_count(const lobby_client *c);
LOBBY_CLIENT_API bool lobby_client_get_player(const lobby_client *c, size_t index,
                                              lobby_client_player *out);
/* The member with this id; false when none. */
LOBBY_CLIENT_API bool lobby_client_find_player(const lobby_client *c, uint16_t id,
                                               lobby_client_player *out);
/* The newest lobby list received: rows 0..count-1 (0 before any). */
LOBBY_CLIENT_API size_t lobby_client_lobby_count(const lobby_client *c);
LOBBY_CLIENT_API bool lobby_client_get_lobby(const lobby_client *c, size_t index,
                                             lobby_client_lobby *out);

/* ---- playing (JOINED) ----------------------------------------------------- */

/* Sends a chat line to our lobby (reliable, ordered); *msg_id (may be NULL)
 * is the id its CHAT_ACK or CHAT_REFUSED event carries. */
LOBBY_CLIENT_API int lobby_client_send_chat(lobby_client *c, const char *text, uint32_t *msg_id);
/* A chat line to one member only; acked or refused like chat. */
LOBBY_CLIENT_API int lobby_client_send_direct(lobby_client *c, uint16_t to_id, const char *text,
                                              uint32_t *msg_id);
/* Our position (unreliable: send it every frame you move); world units. */
LOBBY_CLIENT_API int lobby_client_send_position(lobby_client *c, float x, float y, uint64_t now_us);
/* Measures the round trip: a PONG event follows. */
LOBBY_CLIENT_API int lobby_client_send_ping(lobby_client *c, uint64_t now_us);

/* ---- lobbies (answered by events: LOBBY_LIST, JOINED, LOBBY_EXITED,
 * LOBBY_STATE or LOBBY_REFUSED) --------------------------------------------- */

/* JOINED or BROWSING. filter NULL: every lobby. *request_id may be NULL. */
LOBBY_CLIENT_API int lobby_client_list_lobbies(lobby_client *c, const lobby_client_filter *filter,
                                               uint32_t *request_id);
/* JOINED or BROWSING: opens a lobby we then own (and moves us into it). */
LOBBY_CLIENT_API int lobby_client_create_lobby(lobby_client *c,
                                               const lobby_client_settings *settings);
/* JOINED or BROWSING: joins (or moves to) the named lobby. */
LOBBY_CLIENT_API int lobby_client_join_lobby(lobby_client *c, const char *name,
                                             const char *password);
/* JOINED: back to the lobby list, still connected. */
LOBBY_CLIENT_API int lobby_client_leave_lobby(lobby_client *c);
LOBBY_CLIENT_API int lobby_client_set_ready(lobby_client *c, bool ready);
/* The owner, with every member ready: starts the countdown. */
LOBBY_CLIENT_API int lobby_client_start_game(lobby_client *c);
LOBBY_CLIENT_API int lobby_client_kick(lobby_client *c, uint16_t player_id);
LOBBY_CLIENT_API int lobby_client_give_ownership(lobby_client *c, uint16_t player_id);
/* The owner: applies the settings named in changes (LOBBY_CLIENT_SET_*). */
LOBBY_CLIENT_API int lobby_client_configure_lobby(lobby_client *c, unsigned changes,
                                                  const lobby_client_settings *settings);

/* Starts a clean goodbye; LOBBY_CLIENT_EV_DISCONNECTED follows. */
LOBBY_CLIENT_API void lobby_client_leave(lobby_client *c);

#ifdef __cplusplus
}
#endif

#endif
