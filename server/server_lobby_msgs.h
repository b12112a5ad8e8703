/* Lobby messages of the server core, shared by its handlers and tick:
 * LOBBY_STATE, LOBBY_LIST, LOBBY_REFUSED, joining a lobby, chat replay,
 * countdowns, snapshots and closing idle lobbies. */
#ifndef LOBBY_SERVER_LOBBY_MSGS_H
#define LOBBY_SERVER_LOBBY_MSGS_H

#include "lobby.h"
#include "proto.h"
#include "server_ctx.h"

#include <stdint.h>

/* LOBBY_LIST of the lobbies matching f (the first PROTO_MAX_LIST_ENTRIES
 * and the total), built in s->scratch with its rows in s->list_rows: for
 * LIST_LOBBIES and text clients; valid until the next build. */
const proto_msg *server_build_lobby_list(server_ctx *s, const lobby_filter *f, uint32_t request_id);
/* LOBBY_STATE of l to every live member / to one session. */
void server_send_lobby_state(server_ctx *s, const lobby *l);
void server_send_lobby_state_to(server_ctx *s, uint32_t handle, const lobby *l);
/* LOBBY_REFUSED (request, reason, text) to one session, logged and counted;
 * the refusal is charged to the session (server_charge_refusal), which may
 * kick it: the caller's handling of the request ends here. */
void server_lobby_refuse(server_ctx *s, uint32_t handle, proto_type request,
                         proto_lobby_refusal reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* lobby_admit for the session's name and measured round trip; also
 * LOBBY_ERR_NO_SLOTS when a session from the list would pass max_players. */
int server_admit(server_ctx *s, uint32_t handle, const lobby *l, proto_str password,
                 uint64_t now_us, uint64_t *wait_us);
/* True when the session's identity token (if any) lets it into the lobby
 * called lobby_name: the token named none, or one with the same key. */
bool server_lobby_allowed(const server_ctx *s, uint32_t handle, proto_str lobby_name);
/* Joins the (admitted) session to lobby index: out of its current lobby
 * first, a new player id and token, WELCOME, LOBBY_STATE, PLAYER_JOINED,
 * the recent chat. LOBBY_OK, or an error with nothing changed. */
int server_enter_lobby(server_ctx *s, uint32_t handle, int index);
/* COUNTDOWN_CANCELLED (by_id, text) to every member, then LOBBY_STATE. */
void server_countdown_cancelled(server_ctx *s, const lobby *l, uint16_t by_id, const char *text);
/* The first COUNTDOWN of a lobby that just started counting down. */
void server_countdown_begin(server_ctx *s, lobby *l);
/* Countdowns on the snapshot tick: COUNTDOWN each second, GAME_STARTING to
 * every member of every lobby whose start tick has come, in this pass. */
void server_run_countdowns(server_ctx *s, uint64_t now_us);
/* Milliseconds until a counting-down lobby's start tick (0 otherwise). */
uint32_t server_countdown_left_ms(const server_ctx *s, const lobby *l);
/* Lobbies empty for --lobby-grace-ms close (server tick). */
void server_close_idle_lobbies(server_ctx *s, uint64_t now_us);

/* Sends the kept chat lines after last_seen (not the player's own) to one
 * session: what a reconnecting player missed, or a joiner's history. */
void server_replay_chat(server_ctx *s, uint32_t handle, const lobby *l, uint16_t me,
                        uint32_t last_seen);

/* Queues every lobby's position snapshot (server_snapshot.c). */
void server_send_snapshots(server_ctx *s);

#endif
