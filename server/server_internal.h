/* Private to the server core: the session table and the helpers shared by
 * server.c (connection lifecycle) and server_intake.c (message handlers). */
#ifndef LOBBY_SERVER_INTERNAL_H
#define LOBBY_SERVER_INTERNAL_H

#include "lobby.h"
#include "ratelimit.h"
#include "server.h"

enum {
    MALFORMED_LOG_INTERVAL_US = 10 * 1000 * 1000,
    TICK_INTERVAL_US = 100 * 1000,
    PLAYER_ID_SPACE = 65536,
};

typedef enum session_state {
    SESSION_FREE = 0,
    SESSION_HANDSHAKE, /* connected, waiting for hello */
    SESSION_JOINED,
    SESSION_CLOSING, /* disconnect queued; input ignored until ENet reports it gone */
} session_state;

enum { RESUME_BUCKETS = 256 }; /* per-address reconnection limits, hashed */

typedef struct session {
    session_state state;
    uint64_t connected_us;
    char label[64];
    uint16_t player_id;
    int lobby_index;
    rate_bucket chat_bucket;
    rate_bucket position_bucket;
    rate_bucket flood_bucket; /* drained by rate-limited chats; empty: kicked */
    uint32_t malformed;
    uint32_t malformed_unlogged;
    uint64_t malformed_logged_us;
    bool malformed_ever_logged;
    proto_member_stat link; /* id unused; see server_note_link */
} session;

struct server {
    server_config cfg;
    session *sessions;
    lobby_set lobbies;
    outbox out;
    server_stats stats;
    uint8_t player_id_used[PLAYER_ID_SPACE / 8];
    uint16_t next_player_id;
    uint32_t player_count;
    uint32_t session_count;
    bool shutting_down;
    uint64_t next_tick_us;
    uint64_t next_snapshot_us;
    uint64_t next_member_stats_us;
    rate_bucket resume_buckets[RESUME_BUCKETS];
    server_chat_tap chat_tap; /* NULL: none */
    void *chat_tap_user;
};

/* Hands an accepted line to the chat tap, if any (server_text.c). */
void server_note_chat(server *s, const server_chat_note *note);
/* The rate-limit half of a chat's checks, shared by players and text
 * clients: true when a token was taken; otherwise *flooding says whether the
 * sender kept at it long enough to be put out. */
bool server_chat_allowed(server *s, rate_bucket *chat, rate_bucket *flood, uint64_t now_us,
                         bool *flooding);

/* Queues msg for one session / for every member of l but except_id
 * (returns the recipient count). Failures are counted and logged. */
void server_send_one(server *s, uint32_t handle, const proto_msg *msg, uint8_t channel,
                     bool reliable);
uint32_t server_send_lobby(server *s, const lobby *l, uint16_t except_id, const proto_msg *msg,
                           uint8_t channel, bool reliable);
lobby *server_session_lobby(server *s, const session *se);
/* A player id not in use (never 0); max_players < 65535 guarantees one. */
uint16_t server_claim_player_id(server *s);
void server_release_player_id(server *s, uint16_t id);
/* Makes the session the connection of player_id in lobby_index, with fresh
 * rate limits (a join, or a seat taken back). */
void server_bind_session(server *s, uint32_t handle, uint16_t player_id, int lobby_index,
                         uint64_t now_us);

/* Queues every lobby's position snapshot (server_snapshot.c). */
void server_send_snapshots(server *s);

/* Takes a player out of its lobby for good and tells the others why. */
void server_remove_player(server *s, int lobby_index, uint16_t player_id, proto_leave_reason why);
/* Gives the player a fresh session token; false when no randomness. */
bool server_new_token(server *s, lobby_player *p);

/* WELCOME for player me of lobby l (resumed: an old seat taken back). */
void server_send_welcome(server *s, uint32_t handle, const lobby *l, const lobby_player *me,
                         bool resumed);
/* HELLO with a session token: the seat back, or a reasoned reject. */
void server_resume(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us);

/* Queues a disconnect with a reason (a joined player is reported kicked). */
void server_close_session(server *s, uint32_t handle, proto_reason reason);

/* Sends a REJECT with code and text, then disconnects the session. */
void server_reject(server *s, uint32_t handle, proto_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Counts a malformed message against the session; kicks past the limit. */
void server_malformed(server *s, uint32_t handle, uint64_t now_us, server_malformed_kind kind,
                      const char *what);

#endif
