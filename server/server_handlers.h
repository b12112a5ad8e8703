/* The server core's message handlers, one per client message type, and
 * the chat-refusal helpers they share. Only the dispatch table in
 * server_intake.c calls the handlers. */
#ifndef LOBBY_SERVER_HANDLERS_H
#define LOBBY_SERVER_HANDLERS_H

#include "proto.h"
#include "server_ctx.h"

#include <stdbool.h>
#include <stdint.h>

/* Called only from the dispatch table in server_intake.c once the message
 * decoded, came on its channel, in a state that allows it, within its rate, and (where the
 * table says so) from a member of a lobby that is not the server's. */
typedef void server_handler(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us);
server_handler server_hello; /* JOIN / BROWSE (RESUME goes to server_resume) */
server_handler server_list_lobbies, server_create_lobby, server_join_lobby; /* server_lobbies.c */
server_handler server_leave_lobby;
server_handler server_set_ready, server_start_game, server_kick; /* server_lobby_ops.c */
server_handler server_configure_lobby, server_give_ownership, server_direct_chat;
/* The rate and text checks of a chat or direct message: true when it may go
 * on; otherwise it was refused (and a flooder closed). */
bool server_chat_checks(server_ctx *s, uint32_t handle, uint32_t msg_id, proto_str text,
                        uint64_t now_us);
/* CHAT_REFUSED with reason and text to one session, logged and counted; the
 * refusal is charged to the session (server_charge_refusal), which may kick
 * it. */
void server_refuse_chat(server_ctx *s, uint32_t handle, uint32_t msg_id, proto_chat_refusal why,
                        const char *text);
/* HELLO with a session token: the seat back, or a reasoned reject. */
void server_resume(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us);
/* With --auth-key-file (cfg->auth_required): verifies the HELLO's identity
 * token, sets the session's holder and lobby restriction, and puts in
 *name the name to use (the token's); false after a REJECT. Without it:
 * true, with the HELLO's name. For JOIN, BROWSE and RESUME alike. */
bool server_hello_identity(server_ctx *s, uint32_t handle, const proto_msg *m, proto_str *name);

#endif
