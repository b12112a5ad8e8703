/* server/: lobby-server: the server core (sessions, lobbies, chat, routing
 * into an outbox, no sockets), its ENet transport, the text chat port, the
 * HTTP metrics, and main.c with its flags.
 * May include: shared/, cli/; ENet only in transport.c, enet_filter.c,
 * main.c and options.c; libmicrohttpd in http_api.c, libutf8proc in lobby.c.
 * Must never include: client/, game-client/, chat/, bench/ or SDL.
 * Inside, three layers (tests/check_includes.py holds them apart): the state
 * modules (sessions, replies, chat, lobby*, ratelimit, outbox, log) include
 * only shared/; the core (server.c and the handlers in server_*.c) works on
 * them through server_ctx.h; everything around it (main.c, transport.c,
 * textport*, http_api.c, metrics.c, options.c) sees the core only through
 * this header (and lobby.h's read-only views), never server_ctx.h. */

/* The server core: sessions, the handshake, lobby membership, chat and
 * position routing. It never touches a socket: the transport feeds it
 * connection events with the current time, and it answers by writing to its
 * outbox, which the transport sends once per loop pass.
 *
 * Sessions are identified by a handle in [0, max_sessions) chosen by the
 * transport (ENet's peer index); a handle is reused only after
 * server_on_disconnect has been called for it. */
#ifndef LOBBY_SERVER_H
#define LOBBY_SERVER_H

#include "identity.h"
#include "outbox.h"
#include "proto.h"
#include "ratelimit.h"
#include "server_stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct server_config {
    uint32_t max_players;          /* joined players, server-wide */
    uint32_t max_sessions;         /* connections, including ones still in handshake */
    uint32_t max_lobbies;          /* open lobbies, including the default one */
    uint8_t lobby_capacity;        /* default players per lobby, 1..PROTO_MAX_LOBBY_PLAYERS */
    uint32_t lobby_grace_ms;       /* an empty lobby (not the default one) closes after this */
    uint32_t kick_cooldown_ms;     /* a kicked player may not rejoin that lobby for this long */
    uint32_t countdown_ms;         /* START_GAME to GAME_STARTING, 1..600000 */
    uint32_t handshake_timeout_ms; /* connect to hello */
    double chat_per_s;             /* sustained chat rate per player */
    double chat_burst;             /* chat messages allowed back to back */
    uint32_t malformed_limit;      /* malformed messages before a kick */
    uint32_t flood_limit;          /* rate-limited chats in short order before a kick */
    double position_per_s;         /* position updates per player per second... */
    double position_burst;         /* ...and back to back; the rest are dropped */
    uint32_t member_stats_ms;      /* how often lobbies hear their members' link quality */
    uint32_t grace_ms;             /* a timed-out player's seat is held this long; 0: never */
    double resume_per_s;           /* reconnection attempts allowed per address per second */
    uint32_t snapshot_hz;          /* position snapshots per second, 1..1000 */
    bool snapshot_full;            /* every member in every snapshot, not only those who moved */
    /* LOBBY_LIST bytes one address may receive: a sustained rate, and back
     * to back (see addr_budget.h). Both above 0. */
    double list_bytes_per_s;
    double list_burst_bytes;
    /* Fills buf with n unpredictable bytes (session tokens). NULL: the OS's
     * CSPRNG (getrandom). Tests pass their own. Returns 0 on success. */
    int (*random_bytes)(void *user, uint8_t *buf, size_t n);
    void *random_user;
    /* Optional identity (--auth-key-file): every HELLO must carry an
     * identity token signed with the secret half of auth_public_key (a
     * libsodium crypto_sign key, IDENTITY_PUBLIC_KEY_BYTES), unexpired at
     * the UTC time given by server_set_unix_time. Off: open as before. */
    bool auth_required;
    uint8_t auth_public_key[IDENTITY_PUBLIC_KEY_BYTES];
    /* Quotas charged to a session's holder (its address, or its verified
     * identity) or to its address, so one address cannot fill the server: */
    uint32_t max_held_seats_per_holder;  /* past it, the holder's oldest held seat is given up */
    uint32_t max_lobbies_per_holder;     /* open lobbies one holder opened */
    double lobby_creates_per_s;          /* lobbies one holder may open per second, after a
                                            burst of max_lobbies_per_holder */
    uint32_t lobby_share_percent;        /* of a lobby's seats one holder may take, 1..100 */
    uint32_t max_browsing_per_address;   /* sessions at the lobby list from one address */
    uint32_t max_handshakes_per_address; /* sessions from one address not past their hello */
    uint32_t browse_idle_ms; /* a browsing session with no request this long is closed */
} server_config;

typedef struct server server;
typedef struct lobby_set lobby_set; /* lobby.h */
struct lobby;
struct lobby_filter;

typedef enum server_error {
    SERVER_OK = 0,
    SERVER_ERR_CONFIG = -1,
    SERVER_ERR_NOMEM = -2,
} server_error;

void server_config_defaults(server_config *cfg);

/* Returns SERVER_OK and a new server in *out, or a negative server_error. */
int server_create(const server_config *cfg, server **out);
void server_destroy(server *s);
const char *server_strerror(int err);

/* connect_data is ENet's connect data and channel_count the channels the
 * peer asked for (fewer than PROTO_CHANNEL_COUNT is refused); ip is the
 * peer's IPv4 address in network order (per-address quotas); peer_label
 * names the peer in logs (e.g. "127.0.0.1:50000") and is copied. */
void server_on_connect(server *s, uint32_t session, uint32_t connect_data, size_t channel_count,
                       uint32_t ip, const char *peer_label, uint64_t now_us);
/* One ENet packet of len bytes (0 allowed: data may then be NULL) that
 * arrived on ENet channel `channel`. */
void server_on_receive(server *s, uint32_t session, uint8_t channel, const uint8_t *data,
                       size_t len, uint64_t now_us);
/* data is the peer's ENet disconnect data (0 when ENet timed the peer out);
 * said_goodbye is true when the peer sent an ENet DISCONNECT itself: then
 * it left, whatever the data, and no seat is held for it. False (a timeout,
 * a transport drop) holds a joined player's seat for grace_ms. */
void server_on_disconnect(server *s, uint32_t session, uint32_t data, bool said_goodbye,
                          uint64_t now_us);

/* The transport's measure of a session's link, kept for MEMBER_STATS:
 * round trip and its variance in ms, reliable packet loss in 1/10000. */
void server_note_link(server *s, uint32_t session, uint32_t rtt_ms, uint32_t jitter_ms,
                      uint32_t loss_permyriad);

/* The loop started a pass stall_us later than it meant to (the process was
 * stopped, starved of CPU or blocked): what peers sent meanwhile arrives at
 * once, and the sessions' rate limits judge it as if spread over the stall
 * (rate_stall in ratelimit.h; docs/PROTOCOL.md, Rate limits). Counted in
 * loop_stalls. Call before draining the pass's input. */
void server_note_stall(server *s, uint64_t stall_us, uint64_t now_us);

/* Periodic work: position snapshots, handshake timeouts, member stats. Call
 * it every pass, and by server_next_tick_us at the latest. */
void server_tick(server *s, uint64_t now_us);
/* When the next periodic work is due (the next snapshot, at the latest). */
uint64_t server_next_tick_us(const server *s);

/* The wall-clock time (UTC seconds since 1970) that identity tokens'
 * expiries are judged against; the loop passes it in before each pass's
 * events (the core never reads a clock). */
void server_set_unix_time(server *s, uint64_t unix_s);

/* Refuses new connections and disconnects everyone with SHUTTING_DOWN. */
void server_begin_shutdown(server *s);

/* ---- a cluster of servers (server_cluster.c; docs/CLUSTER.md) -----------
 * The core knows nothing of Redis: the cluster module (cluster.c) answers
 * these hooks from its cached copy of the directory, and tells the core of
 * claims decided and seats to hold. Without hooks the server is alone. */
enum {
    SERVER_ID_MAX_BYTES = 64,
    SERVER_HOST_MAX_BYTES = 255,
    SERVER_TICKET_MAX_BYTES = 255,
    /* A new lobby's name claim gets this long to be answered; then the
     * lobby opens here unclaimed (Redis stopped or slow), and the cluster
     * module claims it later (docs/CLUSTER.md, "When Redis is away"). */
    SERVER_CLAIM_WAIT_US = 1000000,
    /* Ticket kinds (shared/ticket.h's TICKET_JOIN and TICKET_PLACE). */
    SERVER_TICKET_JOIN = 1,  /* a seat is held for the player in that lobby */
    SERVER_TICKET_PLACE = 2, /* the lobby was placed on this server: open it here */
};

/* ---- text clients (server_text.c) ----------------------------------------
 * A text client (the plain-text TCP port) is not a player: no seat, no id,
 * no position, not in any player list. It watches one lobby, whose chat it
 * reads and into which it posts under a display name; its lines take the
 * lobby's chat sequence like a player's and reach the players as
 * TEXT_CHAT_RELAY. The caller (the text port) owns this struct. */
/* What a /list line costs besides the lobby's and owner's names: "lobby ",
 * the counts, the password, state and owner words, quotes and the newline. */
enum { SERVER_TEXT_LIST_LINE_BYTES = 48 };

typedef struct server_text_client {
    int lobby_index;    /* the lobby watched, -1 for none */
    uint32_t lobby_gen; /* ...and its slot's generation: a closed lobby's slot reopened is not it */
    rate_bucket chat_bucket;
    rate_bucket flood_bucket;   /* drained by rate-limited lines; empty: flooding */
    rate_bucket command_bucket; /* commands (/list, /join, ...): the players' lobby-request rate */
    /* Who lobbies the client opens are charged to: the caller sets its IPv4
     * address (network order) before server_text_enter. */
    uint64_t holder;
    /* After SERVER_TEXT_ELSEWHERE: which server has the lobby and its text
     * port's address, for the client's error line. */
    char elsewhere[SERVER_HOST_MAX_BYTES + SERVER_ID_MAX_BYTES + 96];
} server_text_client;

typedef enum server_text_result {
    SERVER_TEXT_OK = 0,
    SERVER_TEXT_EMPTY = -1,
    SERVER_TEXT_TOO_LONG = -2,
    SERVER_TEXT_INVALID_UTF8 = -3,
    SERVER_TEXT_CONTROL = -4,
    SERVER_TEXT_RATE_LIMITED = -5,
    SERVER_TEXT_FLOODING = -6,  /* rate-limited, and kept at it: close the client */
    SERVER_TEXT_BAD_NAME = -7,  /* the sender's name breaks the name rules */
    SERVER_TEXT_BAD_LOBBY = -8, /* the lobby name breaks the name rules */
    SERVER_TEXT_NO_SLOTS = -9,  /* max_lobbies are open */
    SERVER_TEXT_NO_LOBBY = -10, /* the client watches no lobby */
    SERVER_TEXT_SHUTTING_DOWN = -11,
    SERVER_TEXT_PASSWORD = -12,          /* the lobby has a password and none was given */
    SERVER_TEXT_WRONG_PASSWORD = -13,    /* the password given is not the lobby's */
    SERVER_TEXT_NO_SUCH_LOBBY = -14,     /* a password given for a lobby that is not open */
    SERVER_TEXT_TOO_MANY_COMMANDS = -15, /* over the command rate (LOBBY_OPS_PER_S) */
    SERVER_TEXT_AUTH_REQUIRED = -16,     /* --auth-key-file: text clients are not admitted */
    SERVER_TEXT_QUOTA = -17,             /* the address opened its share of lobbies, or too fast */
    SERVER_TEXT_ELSEWHERE = -18, /* the lobby is on another server of the cluster (see elsewhere) */
} server_text_result;

/* Starts a text client in the default lobby with full rate buckets. Returns
 * SERVER_TEXT_OK, or why it cannot be admitted: SERVER_TEXT_SHUTTING_DOWN,
 * or what server_text_join says of the default lobby. Pair with
 * server_text_leave either way. */
int server_text_enter(server *s, server_text_client *tc, uint64_t now_us);
/* Moves the client to the lobby called name, opening it within max_lobbies
 * and the quotas of the client's holder (SERVER_TEXT_QUOTA) when no password
 * is given. A lobby with a password needs it (compared in
 * constant time); an empty password is none. Returns SERVER_TEXT_OK,
 * _BAD_LOBBY, _NO_SLOTS, _PASSWORD (none given), _WRONG_PASSWORD or
 * _NO_SUCH_LOBBY (a password for a lobby that is not open: a text client
 * cannot open a locked one); on refusal it stays where it was. */
int server_text_join(server *s, server_text_client *tc, proto_str lobby_name, proto_str password,
                     uint64_t now_us);
/* The client is gone: its lobby may close. */
void server_text_leave(server *s, server_text_client *tc);
/* The name of the client's lobby (empty when none); valid until it moves. */
proto_str server_text_lobby_name(const server *s, const server_text_client *tc);
/* The client's lobby, read-only (NULL when none); valid until the next call
 * that takes a non-const server. */
const struct lobby *server_text_lobby(const server *s, const server_text_client *tc);
/* Takes one of the client's command tokens: SERVER_TEXT_OK, or
 * SERVER_TEXT_TOO_MANY_COMMANDS past the players' lobby-request rate (with
 * the loop's stall allowed for, as for sessions). */
int server_text_command(server *s, server_text_client *tc, uint64_t now_us);
/* The lobbies matching f, as LIST_LOBBIES answers a game client: a
 * PROTO_LOBBY_LIST message with the first PROTO_MAX_LIST_ENTRIES matches in
 * slot order and the total. It lives in s (views into its lobbies) until the
 * next call that takes a non-const server. Its text is charged to the
 * client's address on the budget binary lists use (--list-kb-per-s), by
 * SERVER_TEXT_LIST_LINE_BYTES a lobby and the names; NULL while that budget
 * is spent (counted as a list over budget). */
const proto_msg *server_text_list(server *s, const server_text_client *tc,
                                  const struct lobby_filter *f, uint64_t now_us);
/* Posts text from sender (checked with the name rules) into the client's
 * lobby, under the same rate policy as a player's chat. On SERVER_TEXT_OK
 * *seq receives the lobby's sequence number; otherwise a negative
 * server_text_result says why, and nothing was posted. */
int server_text_chat(server *s, server_text_client *tc, proto_str sender, proto_str text,
                     uint64_t now_us, uint32_t *seq);
/* English detail for a server_text_result; never NULL. */
const char *server_text_strerror(int result);

/* Every chat line accepted in any lobby, player's or text client's, as it is
 * relayed. The text port echoes these to its clients in the same lobby. */
typedef struct server_chat_note {
    int lobby_index;
    proto_str lobby;
    uint32_t seq;
    proto_str sender; /* the player's or text client's name */
    bool from_text;
    const server_text_client *origin; /* the text client that posted it, or NULL */
    proto_str text;
} server_chat_note;
typedef void (*server_chat_tap)(void *user, const server_chat_note *note);
/* Installs the tap (NULL: none). It is called synchronously, inside
 * server_on_receive or server_text_chat, and must not call back into s. */
void server_set_chat_tap(server *s, server_chat_tap tap, void *user);

/* Another server, as the directory knows it. */
typedef struct server_remote {
    char id[SERVER_ID_MAX_BYTES + 1];
    char host[SERVER_HOST_MAX_BYTES + 1]; /* its public UDP address */
    uint16_t port;
    char text_addr[SERVER_HOST_MAX_BYTES + 8]; /* "HOST:PORT" of its text port; empty: none */
} server_remote;

/* What the HELLO that carries a ticket asks for: the ticket must name the
 * same player and lobby (as name keys); a browsing HELLO's must be PLACE. */
typedef struct server_ticket_ask {
    proto_str player;
    proto_str lobby;
    bool browse;
} server_ticket_ask;

/* What a HELLO's ticket said, once verified. */
typedef struct server_ticket_info {
    uint8_t kind; /* TICKET_JOIN or TICKET_PLACE (shared/ticket.h) */
    char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    uint8_t lobby_len;
} server_ticket_info;

typedef struct server_cluster_hooks {
    void *user;
    /* The lobby called name is open on another live server: *where. */
    bool (*find_lobby)(void *user, proto_str name, server_remote *where);
    /* Where a new lobby goes: true and *where for another server, false for
     * this one. avoid_self (this server drains): never here; then false
     * means nowhere. */
    bool (*place_lobby)(void *user, bool avoid_self, server_remote *where);
    /* Signs a ticket (kind, lobby, player) for where into out; for a JOIN
     * it also asks where to hold the seat, charged to holder (the player's
     * address or identity, as seats are). Returns its length, or < 0. */
    int (*issue_ticket)(void *user, const server_remote *where, const server_ticket_ask *what,
                        uint8_t kind, uint64_t holder, uint8_t *out, size_t cap);
    /* Verifies a HELLO's ticket for this server and what the HELLO asks,
     * and uses it up: 0 and *info, or PROTO_REASON_TICKET_INVALID /
     * _EXPIRED / _USED with *why (docs/PROTOCOL.md, "Redirect tickets"). */
    int (*check_ticket)(void *user, proto_str ticket, const server_ticket_ask *ask,
                        server_ticket_info *info, char *why, size_t cap);
    /* Claims the name of a lobby about to open here. True: the answer comes
     * through server_on_claim(claim_id); false: no directory to ask now
     * (Redis is away), open it at once. */
    bool (*claim_lobby)(void *user, proto_str name, uint32_t claim_id);
    /* Calls fn with each lobby open on another live server and its name key
     * (lobby_name_key), until fn returns false. The strings live until the
     * cluster's next pass. */
    void (*each_remote_lobby)(void *user,
                              bool (*fn)(void *ctx, const proto_lobby_entry *e, proto_str key),
                              void *ctx);
} server_cluster_hooks;

/* Installs the hooks (copied; NULL: alone again). */
void server_set_cluster(server *s, const server_cluster_hooks *hooks);
/* The directory's answer to claim_lobby(claim_id): won, or lost to owner
 * (its id; where is NULL when the directory does not know that server). */
void server_on_claim(server *s, uint32_t claim_id, bool won, proto_str owner,
                     const server_remote *where, uint64_t now_us);
/* Another server redirected player (a name; holder: its address or
 * identity there) to the lobby called lobby here: hold a seat for it until
 * until_us. False when the lobby is not open here, has no seat to hold, or
 * the holder has its share of it (lobby_hold_seat). */
bool server_hold_seat(server *s, proto_str lobby, proto_str player, uint64_t holder,
                      uint64_t until_us, uint64_t now_us);
/* Draining (SIGUSR1, POST /drain): no new lobby opens here; games go on. */
void server_set_draining(server *s, bool draining);
bool server_draining(const server *s);

/* What to send at the end of this pass; the transport clears it after. */
outbox *server_outbox(server *s);
const server_stats *server_get_stats(const server *s);
/* A short snake_case name for a server_malformed_kind (metric labels). */
const char *server_malformed_kind_name(int kind);
/* Joined players, seats held for reconnecting players included. */
uint32_t server_player_count(const server *s);
/* Connections not yet reported gone by server_on_disconnect. */
uint32_t server_session_count(const server *s);
/* The lobbies, read-only, for listings and metrics: slots [0, max_lobbies),
 * open ones have in_use set; a player's session is the transport's handle,
 * or LOBBY_NO_SESSION while its seat is held. Valid until the next call
 * that takes a non-const server. */
const lobby_set *server_lobbies(const server *s);
/* Lobby slot index as a LOBBY_LIST row (views into the lobby, valid until
 * the next call that takes a non-const server); false when the slot is not
 * open. */
bool server_lobby_entry(const server *s, int index, proto_lobby_entry *e);
/* True once server_begin_shutdown has been called. */
bool server_shutting_down(const server *s);

#endif
