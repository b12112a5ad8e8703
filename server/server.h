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

#include "outbox.h"
#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct server_config {
    uint32_t max_players;          /* joined players, server-wide */
    uint32_t max_sessions;         /* connections, including ones still in handshake */
    uint32_t max_lobbies;          /* open lobbies, including the default one */
    uint8_t lobby_capacity;        /* players per lobby, 1..PROTO_MAX_LOBBY_PLAYERS */
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
    /* Fills buf with n unpredictable bytes (session tokens). NULL: the OS's
     * CSPRNG (getrandom). Tests pass their own. Returns 0 on success. */
    int (*random_bytes)(void *user, uint8_t *buf, size_t n);
    void *random_user;
} server_config;

/* Why a message counted as malformed: it did not decode (the first four
 * follow proto_error), or it decoded but is not allowed in the session's
 * state (a chat before the hello, a second hello). */
typedef enum server_malformed_kind {
    SERVER_MALFORMED_TRUNCATED = 0,
    SERVER_MALFORMED_TRAILING,
    SERVER_MALFORMED_UNKNOWN_TYPE,
    SERVER_MALFORMED_BAD_VALUE,
    SERVER_MALFORMED_WRONG_STATE,
    SERVER_MALFORMED_KINDS,
} server_malformed_kind;

/* Message counters are indexed by the type byte; proto_type_name names it. */
enum { SERVER_MSG_TYPES = 256 };

/* Counters for logs and metrics; only ever grow. */
typedef struct server_stats {
    uint64_t connects;
    uint64_t joins;
    uint64_t rejects[PROTO_REASON_MAX + 1];
    uint64_t leaves[PROTO_LEAVE_MAX + 1];
    uint64_t chats_accepted;
    uint64_t chats_refused[PROTO_REFUSE_MAX + 1];
    uint64_t chat_relays; /* one per recipient */
    uint64_t positions_received;
    uint64_t positions_stale;
    uint64_t positions_rate_limited;
    uint64_t flood_kicks;
    uint64_t position_relays;  /* positions delivered: one per snapshot entry per other member */
    uint64_t snapshots;        /* snapshot packets queued, one per recipient */
    uint64_t positions_merged; /* replaced by a newer one of the same player before a snapshot */
    uint64_t pings;
    uint64_t malformed;
    uint64_t malformed_by[SERVER_MALFORMED_KINDS]; /* the same, by why */
    uint64_t kicks;
    uint64_t seats_held;     /* timed-out players whose seat was kept for the grace period */
    uint64_t resumes;        /* players who came back with their token */
    uint64_t resume_refused; /* forged, expired, reused or rate-limited tokens */
    uint64_t outbox_errors;
    /* Every message that decoded, out-of-state ones included, and its bytes. */
    uint64_t messages_in[SERVER_MSG_TYPES];
    uint64_t bytes_in[SERVER_MSG_TYPES];
    /* Every message queued in the outbox, once per recipient, and its bytes
     * (ENet's own headers not included). */
    uint64_t messages_out[SERVER_MSG_TYPES];
    uint64_t bytes_out[SERVER_MSG_TYPES];
} server_stats;

typedef struct server server;
typedef struct lobby_set lobby_set; /* lobby.h */

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

/* connect_data is ENet's connect data; peer_label names the peer in logs
 * (e.g. "127.0.0.1:50000") and is copied. */
void server_on_connect(server *s, uint32_t session, uint32_t connect_data, const char *peer_label,
                       uint64_t now_us);
void server_on_receive(server *s, uint32_t session, const uint8_t *data, size_t len,
                       uint64_t now_us);
/* data is the peer's ENet disconnect data: 0 when ENet timed the peer out. */
void server_on_disconnect(server *s, uint32_t session, uint32_t data, uint64_t now_us);

/* The transport's measure of a session's link, kept for MEMBER_STATS:
 * round trip and its variance in ms, reliable packet loss in 1/10000. */
void server_note_link(server *s, uint32_t session, uint32_t rtt_ms, uint32_t jitter_ms,
                      uint32_t loss_permyriad);

/* Periodic work: position snapshots, handshake timeouts, member stats. Call
 * it every pass, and by server_next_tick_us at the latest. */
void server_tick(server *s, uint64_t now_us);
/* When the next periodic work is due (the next snapshot, at the latest). */
uint64_t server_next_tick_us(const server *s);

/* Refuses new connections and disconnects everyone with SHUTTING_DOWN. */
void server_begin_shutdown(server *s);

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
/* True once server_begin_shutdown has been called. */
bool server_shutting_down(const server *s);

#endif
