/* client/: the client core library: connection, lobby requests, events and
 * the lobby view, over ENet (only client_internal.h includes it: this header
 * is what a game may use, the private one what the core's files share).
 * May include: shared/. Must never include: SDL, game-client/, server/,
 * chat/, bench/ or any other front end (tests/check_includes.py). */

/* The client core: one connection to a lobby server, the local view of the
 * lobby, and the messages that arrive. No SDL and no clock: the caller passes
 * the time and drives it with client_update(). The SDL window, the CLI chat
 * client, the bots and the tests all use this.
 *
 * Flow: client_create() starts connecting; each client_update() drains the
 * network and flushes what was sent since; events come out of
 * client_next_event() in arrival order; client_get_view() is the lobby as
 * this client knows it.
 *
 * Redirects (protocol version 6): a server whose cluster keeps the lobby
 * elsewhere answers a HELLO, JOIN_LOBBY or CREATE_LOBBY with a REDIRECT.
 * The core follows it by itself: CLIENT_EV_REDIRECTED, it leaves this
 * server, connects to the other (cookie exchange as usual) and joins the
 * lobby there with the ticket it was given (the same password; a create is
 * sent again with the same settings), then CLIENT_EV_JOINED as usual. At
 * most CLIENT_MAX_REDIRECTS in a row without reaching a lobby; the fourth,
 * or a target that cannot be reached, ends the client in DISCONNECTED with
 * disconnected.redirect_failed and a text saying which (no reconnection).
 *
 * Many clients can share one ENet host (one UDP socket, one event loop):
 * client_net_create(), then client_create_on() for each, and one
 * client_net_update() per loop pass for all of them (see below). */
#ifndef LOBBY_CLIENT_H
#define LOBBY_CLIENT_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CLIENT_MAX_REDIRECTS = 3 }; /* followed in a row without reaching a lobby */

typedef struct client_config {
    const char *host; /* IPv4 address or host name of the server */
    uint16_t port;
    const char *name;          /* player name, 1..24 bytes of UTF-8 */
    const char *lobby;         /* NULL or "" for the default lobby */
    const char *password;      /* the lobby's password; NULL or "" for none */
    bool browse;               /* join no lobby: start at the lobby list (lobby ignored) */
    uint16_t protocol_version; /* PROTO_VERSION; tests override it */
    uint32_t timeout_ms;       /* give up connecting / drop a silent server after this */
    /* Reconnect by itself when the connection is lost or refused, after a
     * delay drawn uniformly from [0, min(max, base * 2^attempt)] ("full
     * jitter", so a restarted server is not hit by every client at once),
     * taking the seat back with the session token when the server still
     * holds it. Not for a reason client_reason_is_permanent() calls
     * permanent: the client then ends in REJECTED or DISCONNECTED with it.
     * Off: the client ends in DISCONNECTED or REJECTED. */
    bool auto_reconnect;
    uint32_t reconnect_base_ms; /* default 500 */
    uint32_t reconnect_max_ms;  /* default 30000 */
    uint64_t jitter_seed;       /* 0: derived from the start time */
    /* An identity token from the game's backend (docs/PROTOCOL.md,
     * "Identity tokens"), sent as is in every HELLO (resumes included);
     * 1..255 bytes, copied. NULL or 0: none (an open server). A server
     * started with --auth-key-file refuses a HELLO without a valid one:
     * REJECT with PROTO_REASON_AUTH_*, permanent (a new token is the
     * backend's business, not a retry's). */
    const uint8_t *identity_token;
    size_t identity_token_len;
    void *user; /* the caller's, handed back by client_user() */
} client_config;

typedef enum client_state {
    CLIENT_CONNECTING, /* ENet handshake in progress */
    CLIENT_JOINING,    /* hello sent, waiting for welcome */
    CLIENT_JOINED,
    CLIENT_REJECTED,     /* the server refused the join; see view.reason */
    CLIENT_DISCONNECTED, /* connection over; see view.reason */
    CLIENT_RECONNECTING, /* lost or refused; next attempt at view.retry_at_us */
    CLIENT_BROWSING,     /* connected, in no lobby: at the lobby list */
} client_state;

/* A lobby metadata pair, NUL-terminated. */
typedef struct client_meta {
    char key[PROTO_MAX_META_KEY_BYTES + 1];
    char value[PROTO_MAX_META_VALUE_BYTES + 1];
} client_meta;

/* One row of the lobby list. */
typedef struct client_lobby_info {
    char name[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    uint8_t players, capacity;
    bool has_password;
    bool server_owned;                    /* the server runs it (`main`): it has no owner */
    uint8_t state;                        /* proto_lobby_state */
    char owner[PROTO_MAX_NAME_BYTES + 1]; /* "" when empty or server_owned */
    bool rtt_known;
    uint16_t median_rtt_ms; /* of its members, as the server measures them */
    uint16_t max_rtt_ms;    /* 0: no limit */
    uint8_t meta_count;
    client_meta meta[PROTO_MAX_META_PAIRS];
} client_lobby_info;

/* The newest LOBBY_LIST received. */
typedef struct client_lobby_list {
    uint32_t request_id; /* of the request it answers; 0 before any */
    uint16_t total;      /* lobbies that matched; count of them are here */
    uint8_t count;
    client_lobby_info lobbies[PROTO_MAX_LIST_ENTRIES];
} client_lobby_list;

/* What to list (client_list_lobbies); zeroed: every lobby. */
typedef struct client_lobby_filter {
    const char *name_contains; /* NULL or "": any */
    bool free_seat, no_password, open_only;
    uint8_t meta_count;
    client_meta meta[PROTO_MAX_META_PAIRS]; /* every pair must equal */
} client_lobby_filter;

/* A lobby's settings, for client_create_lobby and client_configure_lobby. */
typedef struct client_lobby_settings {
    const char *name;     /* create only */
    uint8_t capacity;     /* 0: the server's default (create) */
    const char *password; /* NULL or "": none */
    uint16_t max_rtt_ms;  /* 0: no limit */
    uint8_t meta_count;
    client_meta meta[PROTO_MAX_META_PAIRS];
} client_lobby_settings;

typedef struct client_player {
    uint16_t id;
    uint32_t colour; /* 0xRRGGBB */
    char name[PROTO_MAX_NAME_BYTES + 1];
    float x, y;
    uint32_t pos_seq;
    bool has_pos_seq;                           /* false until the first relayed position */
    bool has_link;                              /* the server has reported this member's link */
    bool reconnecting;                          /* lost its connection; the server holds its seat */
    bool ready;                                 /* toggled ready (LOBBY_STATE) */
    uint16_t rtt_ms, jitter_ms, loss_permyriad; /* as the server measures them */
} client_player;

typedef struct client_view {
    client_state state;
    uint16_t my_id;
    char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    uint8_t capacity;
    uint8_t player_count;
    client_player players[PROTO_MAX_LOBBY_PLAYERS]; /* join order, you included */
    uint32_t reason; /* proto_reason once REJECTED or DISCONNECTED; 0 = timeout */
    char reason_text[PROTO_MAX_STR8_BYTES + 1];
    uint32_t enet_rtt_ms;         /* ENet's smoothed round trip */
    uint64_t ping_rtt_us;         /* last application-level ping round trip, 0 before one */
    uint64_t retry_at_us;         /* RECONNECTING: when the next attempt starts */
    uint32_t last_chat_seq;       /* newest chat sequence number seen in this lobby */
    uint64_t duplicate_positions; /* relayed positions dropped: same sequence as the newest */
    uint64_t reordered_positions; /* relayed positions dropped: older than the newest */
    /* The lobby's shared state, from its latest LOBBY_STATE. */
    uint16_t owner_id;   /* 0: none (yet, or ever when server_owned) */
    uint8_t lobby_state; /* proto_lobby_state; 0 before the first LOBBY_STATE */
    bool has_password;
    bool server_owned; /* the server runs this lobby: no owner, no kicks, settings or game */
    uint16_t max_rtt_ms;
    uint8_t meta_count;
    client_meta meta[PROTO_MAX_META_PAIRS];
    uint64_t countdown_end_us; /* STARTING: when the game starts, on our clock; else 0 */
    uint32_t start_tick;       /* the server tick of the last GAME_STARTING; 0: none */
} client_view;

/* The text of REJECTED, CHAT_REFUSED, LOBBY_REFUSED and LOBBY_EXITED is the
 * server's, or the reason code's proto_*_text when it sent none: print it
 * alone, never followed by the code's text. Each type's own fields are in
 * the client_event member of the same name (CHAT: ev.chat). */
typedef enum client_event_type {
    CLIENT_EV_JOINED,              /* welcome received; the view holds the lobby; joined */
    CLIENT_EV_REJECTED,            /* rejected, text */
    CLIENT_EV_DISCONNECTED,        /* disconnected, text */
    CLIENT_EV_PLAYER_JOINED,       /* player_joined, text = name */
    CLIENT_EV_PLAYER_LEFT,         /* player_left, text = name */
    CLIENT_EV_CHAT,                /* chat, text */
    CLIENT_EV_CHAT_ACK,            /* chat_ack */
    CLIENT_EV_CHAT_REFUSED,        /* chat_refused, text */
    CLIENT_EV_POSITION,            /* position */
    CLIENT_EV_PONG,                /* pong */
    CLIENT_EV_RECONNECTING,        /* reconnecting, text (why it was lost) */
    CLIENT_EV_PLAYER_STATUS,       /* player_status, text = name */
    CLIENT_EV_LOBBY_LIST,          /* lobby_list; client_get_lobby_list() holds it */
    CLIENT_EV_LOBBY_REFUSED,       /* lobby_refused, text */
    CLIENT_EV_LOBBY_EXITED,        /* in no lobby now: lobby_exited, text */
    CLIENT_EV_LOBBY_STATE,         /* owner, state, settings or ready flags changed (see view) */
    CLIENT_EV_COUNTDOWN,           /* countdown */
    CLIENT_EV_COUNTDOWN_CANCELLED, /* countdown_cancelled, text */
    CLIENT_EV_GAME_STARTING,       /* game_starting */
    CLIENT_EV_DIRECT_CHAT,         /* direct_chat, text; to us alone */
    CLIENT_EV_CHAT_GAP,            /* chat_gap: lines we missed while away that no replay brings */
    CLIENT_EV_REDIRECTED,          /* redirected, text: the lobby is on another server; going */
} client_event_type;

typedef struct client_event {
    client_event_type type;
    /* The fields of `type`, in the member named after it; the others are
     * not meaningful. The queue copies and zeroes only up to `text`. */
    union {
        struct {
            bool resumed; /* the server gave us our old seat back */
        } joined;
        struct {
            uint32_t reason; /* proto_reason */
        } rejected;
        struct {
            uint32_t reason; /* proto_reason; 0: timed out; QUIT after client_leave */
            /* The server never answered the connection request (ENet's
             * CONNECT): unreachable, or it dropped the request, as
             * lobby-server does past its per-address limits. */
            bool unanswered;
            /* A redirect could not be followed: more than
             * CLIENT_MAX_REDIRECTS in a row (reason PROTO_REASON_QUIT: we
             * left), or its target did not resolve or answer (reason 0).
             * The text names the target as HOST:PORT. */
            bool redirect_failed;
        } disconnected;
        struct {
            uint32_t reason;   /* why it was lost: proto_reason, 0: timed out */
            uint32_t delay_ms; /* until the next attempt */
            bool unanswered;   /* as for disconnected */
        } reconnecting;
        struct {
            uint16_t player_id;
        } player_joined;
        struct {
            uint16_t player_id;
            uint32_t reason; /* proto_leave_reason */
        } player_left;
        struct {
            uint16_t player_id; /* the sender's id; 0 from a text client */
            uint32_t seq;       /* the lobby's chat sequence number */
            /* A plain-text (TCP) client, not a player (player_id 0). */
            bool from_text;
            /* A kept line from before we joined or while we were away
             * (CHAT_HISTORY); its sender may have left since. */
            bool history;
            char sender[PROTO_MAX_STR8_BYTES + 1]; /* the sender's name, NUL-terminated */
        } chat;
        struct {
            uint32_t msg_id;
            uint32_t seq; /* the lobby's sequence number; 0 for a direct message */
        } chat_ack;
        struct {
            uint32_t first_seq; /* the oldest line not replayed */
            uint32_t missed;    /* lines from first_seq on that we will never see */
        } chat_gap;
        struct {
            uint32_t msg_id;
            uint32_t reason; /* proto_chat_refusal */
        } chat_refused;
        struct {
            uint16_t player_id;
            uint32_t seq;     /* the player's position sequence number */
            uint64_t sent_us; /* the sender's clock */
            float x, y;
            /* Older positions of this player the server replaced with this
             * one before its snapshot went out (not lost: superseded). */
            uint8_t merged;
        } position;
        struct {
            uint64_t rtt_us;
            uint64_t sent_us; /* when the ping left, on our clock */
        } pong;
        struct {
            uint16_t player_id;
            uint32_t status; /* proto_player_status */
        } player_status;
        struct {
            uint32_t request_id; /* of the request it answers */
        } lobby_list;
        struct {
            uint32_t request; /* the refused request's proto_type */
            uint32_t reason;  /* proto_lobby_refusal */
        } lobby_refused;
        struct {
            uint32_t reason; /* proto_exit_reason */
        } lobby_exited;
        struct {
            uint32_t seconds_left;
            uint32_t start_tick; /* the server tick the game starts at */
        } countdown;
        struct {
            uint16_t by_id; /* the member whose leave or unready cancelled it; 0: none */
        } countdown_cancelled;
        struct {
            uint32_t tick;      /* the server tick, the same for every member */
            uint64_t server_us; /* the server's clock */
        } game_starting;
        struct {
            uint16_t player_id;                    /* the sender */
            char sender[PROTO_MAX_STR8_BYTES + 1]; /* its name, NUL-terminated */
        } direct_chat;
        struct {
            /* The request the server answered (PROTO_HELLO, PROTO_JOIN_LOBBY
             * or PROTO_CREATE_LOBBY); the core is now connecting to
             * host:port to join (or open) lobby there. The event's text is
             * the server's, for people (may be empty). */
            uint32_t request;
            uint16_t port;
            char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1];
            char server_id[PROTO_MAX_SERVER_ID_BYTES + 1]; /* the target's id */
            char host[PROTO_MAX_STR8_BYTES + 1];           /* IPv4 address or host name */
        } redirected;
    };
    size_t text_len;
    char text[PROTO_MAX_CHAT_BYTES + 1]; /* NUL-terminated */
} client_event;

typedef struct client client;

typedef enum client_error {
    CLIENT_OK = 0,
    CLIENT_ERR_ADDRESS = -1, /* host name does not resolve */
    CLIENT_ERR_ENET = -2,    /* ENet could not create a host or connect */
    CLIENT_ERR_NOMEM = -3,
    CLIENT_ERR_STATE = -4,    /* not joined (yet or any more) */
    CLIENT_ERR_TOO_LONG = -5, /* chat cannot be encoded (> 65535 bytes) */
    CLIENT_ERR_ARG = -6,
    CLIENT_ERR_FULL = -7, /* the shared host has no free connection */
} client_error;

void client_config_defaults(client_config *cfg);

/* True when a proto_reason (REJECT, or an ENet disconnect's data) is one that
 * trying again cannot fix: the name, the version, the lobby's name or
 * password, a kick's cool-down, or the server throwing us out. The others
 * (0 = timeout, full, shutting down, rate limits, lobby started, RTT too
 * high, an unknown code) may pass: auto_reconnect retries them. */
bool client_reason_is_permanent(uint32_t reason);

/* Starts connecting. Returns CLIENT_OK and the client in *out, or a negative
 * client_error. (It calls enet_initialize() itself, a no-op on Unix.) */
int client_create(const client_config *cfg, uint64_t now_us, client **out);
/* Leaves without waiting (sends ENet's disconnect once) and frees everything. */
void client_destroy(client *c);
const char *client_strerror(int err);

/* Drains the network into events and the view, then flushes queued sends. */
void client_update(client *c, uint64_t now_us);

/* Queues a chat message; *msg_id receives the id its ack or refusal will carry. */
int client_send_chat(client *c, const char *text, size_t len, uint32_t *msg_id);
/* Queues our position (unreliable); coordinates are in world units. */
int client_send_position(client *c, float x, float y, uint64_t now_us);
/* Queues an application-level ping; the PONG event carries the round trip. */
int client_send_ping(client *c, uint64_t now_us);
/* ---- lobbies: each returns CLIENT_OK or CLIENT_ERR_STATE (list, create
 * and join need JOINED or BROWSING; the rest JOINED), CLIENT_ERR_ARG (a
 * string over its wire limit). The server answers with events: LOBBY_LIST,
 * JOINED (+ LOBBY_STATE), LOBBY_EXITED, LOBBY_STATE, or LOBBY_REFUSED. */
int client_list_lobbies(client *c, const client_lobby_filter *filter, uint32_t *request_id);
int client_create_lobby(client *c, const client_lobby_settings *settings);
/* Joins (or moves to) the lobby called name; password NULL or "" for none. */
int client_join_lobby(client *c, const char *name, const char *password);
int client_leave_lobby(client *c);
int client_set_ready(client *c, bool ready);
int client_start_game(client *c); /* owner, everyone ready */
int client_kick(client *c, uint16_t player_id);
int client_give_ownership(client *c, uint16_t player_id);
/* Applies the fields named in changes (PROTO_CONFIGURE_*) from settings. */
int client_configure_lobby(client *c, uint8_t changes, const client_lobby_settings *settings);
/* A message to one member of our lobby; acked (CHAT_ACK, seq 0) or refused
 * (CHAT_REFUSED) under msg_id like chat. */
int client_send_direct(client *c, uint16_t to_id, const char *text, size_t len, uint32_t *msg_id);
/* The newest lobby list received (empty before one). */
const client_lobby_list *client_get_lobby_list(const client *c);
/* The member of our lobby with this name (exact bytes), or NULL. */
const client_player *client_find_player_by_name(const client *c, const char *name);

/* Sends bytes that need not be a valid message: for robustness tests and
 * lobby-bench's misbehaving bots, never for normal play. */
int client_send_raw(client *c, uint8_t channel, const uint8_t *bytes, size_t len, bool reliable);
/* Starts a clean leave; CLIENT_EV_DISCONNECTED follows once the server agrees. */
void client_leave(client *c);

/* Takes the oldest pending event; false when there is none. */
bool client_next_event(client *c, client_event *out);
const client_view *client_get_view(const client *c);
/* The view's entry for a player id, or NULL. */
const client_player *client_find_player(const client *c, uint16_t id);
/* Bytes and datagrams through this client's ENet host since it was created:
 * for a client of a shared net, the whole host's. */
typedef struct client_traffic {
    uint64_t bytes_out, packets_out, bytes_in, packets_in;
} client_traffic;
void client_get_traffic(const client *c, client_traffic *out);

/* The UDP socket, for poll(); shared with the other clients of its net. */
int client_fd(const client *c);
/* cfg.user as given to client_create / client_create_on. */
void *client_user(const client *c);

/* ---- many clients on one ENet host ---------------------------------------- */

typedef struct client_net client_net;

/* An ENet host for up to max_clients clients (1..4095), with a receive buffer
 * sized for them. Returns CLIENT_OK or a negative client_error. */
int client_net_create(size_t max_clients, client_net **out);
/* Destroys the clients still on it (as client_destroy), then the host. */
void client_net_destroy(client_net *n);
/* Like client_create, on the shared host: CLIENT_ERR_FULL when max_clients
 * are on it. client_destroy frees the client and its connection slot. */
int client_create_on(client_net *n, const client_config *cfg, uint64_t now_us, client **out);

/* One loop pass for every client of the net: services the host once and
 * drains every waiting ENet event into the client owning its peer, runs the
 * clients' timers (handshake timeout, reconnection; only when one is due, so
 * an idle pass costs the same for 10 clients or 4000), then flushes once.
 *
 * client_update() on a client of a shared net does not touch the host: it
 * runs that client's timers only; its events arrive through
 * client_net_update(). (On a client from client_create it is exactly
 * client_net_update() of its private net.) The view's enet_rtt_ms is
 * refreshed whenever an event reaches the client and by client_update(). */
void client_net_update(client_net *n, uint64_t now_us);
/* Sends what the clients queued (one enet_host_flush) and runs due timers,
 * without servicing the host: for a pass with nothing to receive. ENet still
 * needs a client_net_update() every few milliseconds for its acks, pings and
 * retransmissions. */
void client_net_flush(client_net *n, uint64_t now_us);
/* Each client that received events since it was last returned here, once:
 * the caller then drains it with client_next_event(). False when none. */
bool client_net_next_ready(client_net *n, client **out);
/* The host's UDP socket, for poll(). */
int client_net_fd(const client_net *n);
/* Bytes and datagrams through the host since it was created (64-bit totals:
 * ENet's own 32-bit counters are folded in and reset). */
void client_net_get_traffic(client_net *n, client_traffic *out);

#endif
