/* Private to the server core: the session table and the helpers shared by
 * server.c (connection lifecycle) and server_intake.c (message handlers). */
#ifndef LOBBY_SERVER_INTERNAL_H
#define LOBBY_SERVER_INTERNAL_H

#include "chat.h"
#include "lobby.h"
#include "ratelimit.h"
#include "replies.h"
#include "sessions.h"
#include "server.h"
#include "text.h"

enum {
    MALFORMED_LOG_INTERVAL_US = 10 * 1000 * 1000,
    TICK_INTERVAL_US = 100 * 1000,
};

enum {
    RESUME_BUCKETS = 256, /* per-address reconnection limits, hashed */
    LOBBY_OPS_PER_S = 10, /* lobby requests per session: sustained... */
    LOBBY_OPS_BURST = 20, /* ...and back to back */
};

struct server {
    server_config cfg;
    sessions sessions; /* the session table, player ids and counts */
    lobby_set lobbies;
    replies replies;    /* the outbox, and the counts of what goes out */
    server_stats stats; /* each module writes its own fields (server_stats.h) */
    bool shutting_down;
    uint64_t next_tick_us;
    uint64_t next_snapshot_us;
    uint64_t next_member_stats_us;
    uint32_t tick; /* snapshot ticks so far: the clock of countdowns and game starts */
    rate_bucket resume_buckets[RESUME_BUCKETS];
    chat chat; /* the one path of a chat line into a lobby */
    /* Where LOBBY_STATE and LOBBY_LIST (about 20 KB as structs) are built,
     * one at a time, rather than on the stack. */
    proto_msg scratch;
};

/* A joined session's lobby, through its generation-checked reference:
 * NULL (index -1) when it names none or a lobby since closed. */
lobby *server_session_lobby(server *s, const session *se);
int server_session_lobby_index(const server *s, const session *se);
/* Makes the session the connection of player_id in lobby_index (a join, or
 * a seat taken back) and takes its name from the seat. */
void server_bind_session(server *s, uint32_t handle, uint16_t player_id, int lobby_index);
/* Full rate buckets: at the hello, and when a seat is taken back. Moving
 * between lobbies keeps them, so leaving and rejoining refills nothing. */
void server_fresh_limits(server *s, uint32_t handle, uint64_t now_us);
/* The session is at the lobby list now (no player id, no lobby). */
void server_to_browsing(server *s, uint32_t handle);

/* Queues every lobby's position snapshot (server_snapshot.c). */
void server_send_snapshots(server *s);

/* Takes a player out of its lobby for good and tells the others why
 * (PLAYER_LEFT, a cancelled countdown, the new LOBBY_STATE). The session,
 * if any, is not changed. */
void server_remove_player(server *s, int lobby_index, uint16_t player_id, proto_leave_reason why);
/* Gives the player a fresh session token; false when no randomness. */
bool server_new_token(server *s, lobby_player *p);

/* HELLO with a session token: the seat back, or a reasoned reject. */
void server_resume(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us);
/* Sends the kept chat lines after last_seen (not the player's own) to one
 * session: what a reconnecting player missed, or a joiner's history. */
void server_replay_chat(server *s, uint32_t handle, const lobby *l, uint16_t me,
                        uint32_t last_seen);

/* ---- real lobbies (server_hello.c, server_lobbies.c, server_lobby_ops.c,
 * server_countdown.c) */

/* Message handlers, one per client message type, called only from the
 * dispatch table in server_intake.c once the message decoded, came on its
 * channel, in a state that allows it, within its rate, and (where the
 * table says so) from a member of a lobby that is not the server's. */
typedef void server_handler(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us);
server_handler server_hello; /* JOIN / BROWSE (RESUME goes to server_resume) */
server_handler server_list_lobbies, server_create_lobby, server_join_lobby; /* server_lobbies.c */
server_handler server_leave_lobby;
server_handler server_set_ready, server_start_game, server_kick; /* server_lobby_ops.c */
server_handler server_configure_lobby, server_give_ownership, server_direct_chat;
/* The rate and text checks of a chat or direct message: true when it may go
 * on; otherwise it was refused (and a flooder closed). */
bool server_chat_checks(server *s, uint32_t handle, uint32_t msg_id, proto_str text,
                        uint64_t now_us);
/* CHAT_REFUSED with reason and text to one session, logged and counted. */
void server_refuse_chat(server *s, uint32_t handle, uint32_t msg_id, proto_chat_refusal why,
                        const char *text);
/* LOBBY_LIST of the lobbies matching f (the first PROTO_MAX_LIST_ENTRIES
 * and the total), built in s->scratch: for LIST_LOBBIES and text clients. */
const proto_msg *server_build_lobby_list(server *s, const lobby_filter *f, uint32_t request_id);
/* LOBBY_STATE of l to every live member / to one session. */
void server_send_lobby_state(server *s, const lobby *l);
void server_send_lobby_state_to(server *s, uint32_t handle, const lobby *l);
/* LOBBY_REFUSED (request, reason, text) to one session, logged and counted. */
void server_lobby_refuse(server *s, uint32_t handle, proto_type request, proto_lobby_refusal reason,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* lobby_admit for the session's name and measured round trip; also
 * LOBBY_ERR_NO_SLOTS when a session from the list would pass max_players. */
int server_admit(server *s, uint32_t handle, const lobby *l, proto_str password, uint64_t now_us,
                 uint64_t *wait_us);
/* Joins the (admitted) session to lobby index: out of its current lobby
 * first, a new player id and token, WELCOME, LOBBY_STATE, PLAYER_JOINED,
 * the recent chat. LOBBY_OK, or an error with nothing changed. */
int server_enter_lobby(server *s, uint32_t handle, int index);
/* COUNTDOWN_CANCELLED (by_id, text) to every member, then LOBBY_STATE. */
void server_countdown_cancelled(server *s, const lobby *l, uint16_t by_id, const char *text);
/* The first COUNTDOWN of a lobby that just started counting down. */
void server_countdown_begin(server *s, lobby *l);
/* Countdowns on the snapshot tick: COUNTDOWN each second, GAME_STARTING to
 * every member of every lobby whose start tick has come, in this pass. */
void server_run_countdowns(server *s, uint64_t now_us);
/* Milliseconds until a counting-down lobby's start tick (0 otherwise). */
uint32_t server_countdown_left_ms(const server *s, const lobby *l);
/* Lobbies empty for --lobby-grace-ms close (server tick). */
void server_close_idle_lobbies(server *s, uint64_t now_us);

/* Queues a disconnect with a reason (a joined player is reported kicked). */
void server_close_session(server *s, uint32_t handle, proto_reason reason);

/* Sends a REJECT with code and text, then disconnects the session. */
void server_reject(server *s, uint32_t handle, proto_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Counts a malformed message against the session; kicks past the limit. */
void server_malformed(server *s, uint32_t handle, uint64_t now_us, server_malformed_kind kind,
                      const char *what);

#endif
