/* The server core's context: what its message handlers and tick steps may
 * touch (the modules server.c owns, through pointers, each changed only
 * through its own header's functions), and the session-level actions of
 * server.c that combine them (bind a session to a seat, remove a player,
 * reject, close, count a malformed message). struct server itself is
 * private to server.c. */
#ifndef LOBBY_SERVER_CTX_H
#define LOBBY_SERVER_CTX_H

#include "addr_budget.h"
#include "chat.h"
#include "lobby.h"
#include "ratelimit.h"
#include "replies.h"
#include "server.h"
#include "server_cluster.h"
#include "server_stats.h"
#include "sessions.h"

enum {
    RESUME_BUCKETS = 256, /* per-address reconnection limits, hashed */
    LOBBY_OPS_PER_S = 10, /* lobby requests per session: sustained... */
    LOBBY_OPS_BURST = 20, /* ...and back to back */
};

/* What the server core's message handlers and tick steps may touch: the
 * modules server.c owns, each changed only through its own header's
 * functions, and the server's clock and shutdown flag, read-only. struct
 * server itself is private to server.c. */
typedef struct server_ctx {
    const server_config *cfg;
    sessions *sessions;     /* sessions.h */
    lobby_set *lobbies;     /* lobby.h */
    replies *out;           /* replies.h: the outbox */
    chat *chat;             /* chat.h */
    server_stats *stats;    /* each module writes its own fields */
    const uint32_t *tick;   /* snapshot ticks so far: the clock of countdowns */
    const uint64_t *unix_s; /* wall clock, UTC seconds: identity token expiries */
    const bool *shutting_down;
    rate_bucket *resume_buckets; /* [RESUME_BUCKETS], per-address reconnection limits */
    addr_budget *list_budget;    /* LOBBY_LIST bytes per address (LIST_LOBBIES) */
    rate_bucket *create_buckets; /* [RESUME_BUCKETS], lobbies opened per holder, hashed */
    /* Where LOBBY_STATE and LOBBY_LIST are built, one at a time, rather
     * than on the stack; a list's rows (about 20 KB) go in list_rows
     * ([PROTO_MAX_LIST_ENTRIES]), which scratch then points at. */
    proto_msg *scratch;
    proto_lobby_entry *list_rows;
    /* Values rather than modules, written only in server_intake.c: the
     * loop's last stall (server_note_stall), by which every session bucket
     * is judged, and the time of the message being handled
     * (server_on_receive), for the refusal paths that take no time. */
    rate_stall stall;
    uint64_t msg_now_us;
    server_cluster_state *cluster; /* server_cluster.h: written only by server_cluster.c */
} server_ctx;

/* The context of a server, for the public entry points outside server.c. */
server_ctx *server_context(server *srv);
const server_ctx *server_context_const(const server *srv);

/* A joined session's lobby, through its generation-checked reference:
 * NULL (index -1) when it names none or a lobby since closed. */
lobby *server_session_lobby(server_ctx *s, const session *se);
int server_session_lobby_index(const server_ctx *s, const session *se);
/* Makes the session the connection of player_id in lobby_index (a join, or
 * a seat taken back) and takes its name from the seat. */
void server_bind_session(server_ctx *s, uint32_t handle, uint16_t player_id, int lobby_index);
/* The live session in a seat, through its generation-checked reference
 * (slot and generation, set by server_bind_session): NULL while the seat is
 * held, or should the reference be stale. */
const session *server_seat_session(const server_ctx *s, const lobby_player *p);
/* Full rate buckets: at the hello, and when a seat is taken back. Moving
 * between lobbies keeps them, so leaving and rejoining refills nothing. */
void server_fresh_limits(server_ctx *s, uint32_t handle, uint64_t now_us);
/* The session is at the lobby list now (no player id, no lobby). */
void server_to_browsing(server_ctx *s, uint32_t handle);

/* Takes a player out of its lobby for good and tells the others why
 * (PLAYER_LEFT, a cancelled countdown, the new LOBBY_STATE). The session,
 * if any, is not changed. */
void server_remove_player(server_ctx *s, int lobby_index, uint16_t player_id,
                          proto_leave_reason why);
/* Gives the player a fresh session token; false when no randomness. */
bool server_new_token(server_ctx *s, lobby_player *p);

/* Opens the lobby called name charged to holder (a session's or a text
 * client's): the one place where the per-holder lobby quotas are checked.
 * Returns its index, LOBBY_ERR_QUOTA (why says which quota, counted), or
 * lobby_open's errors. */
int server_open_lobby_for(server_ctx *s, uint64_t holder, proto_str name, uint64_t now_us,
                          char *why, size_t cap);
/* Whether server_open_lobby_for would pass the holder's quotas now, taking
 * nothing (a cluster claims a name only for a lobby that may open). */
bool server_may_open_lobby(server_ctx *s, uint64_t holder, uint64_t now_us);

/* Queues a disconnect with a reason (a joined player is reported kicked). */
void server_close_session(server_ctx *s, uint32_t handle, proto_reason reason);

/* Sends a REJECT with code and text, then disconnects the session. */
void server_reject(server_ctx *s, uint32_t handle, proto_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A session's rate bucket judged with the loop's stall (rate_stall_burst):
 * takes a token, false when the session is over per_s / burst. */
bool server_take_token(server_ctx *s, uint32_t handle, session_bucket which, double per_s,
                       double burst, uint64_t now_us);
/* A refused request drains the session's FLOOD bucket as a rate-limited
 * chat line does; when it is empty the session is kicked FLOODING (what
 * says why, for the log) and false is returned. */
bool server_charge_refusal(server_ctx *s, uint32_t handle, const char *what, uint64_t now_us);

/* Counts a malformed message against the session; kicks past the limit. */
void server_malformed(server_ctx *s, uint32_t handle, uint64_t now_us, server_malformed_kind kind,
                      const char *what);

#endif
