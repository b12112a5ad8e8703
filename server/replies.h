/* Replies: everything the server core sends goes through here into the
 * outbox it owns, and is counted here, where the message type is still
 * known (the transport sees only bytes). The refusal messages (REJECT,
 * LOBBY_REFUSED, CHAT_REFUSED), LOBBY_EXITED and WELCOME, and the texts that
 * say what is wrong with a name or a line, live here too, so hello, lobby
 * requests, resume and chat word them alike.
 *
 * Recipients are the transport's session slots; this module knows nothing
 * of session state: callers decide who is addressed and close sessions. */
#ifndef LOBBY_REPLIES_H
#define LOBBY_REPLIES_H

#include "lobby.h"
#include "log.h"
#include "outbox.h"
#include "proto.h"
#include "server_stats.h"
#include "text.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    REPLIES_LOG_GATES = 256,                  /* peers x reasons whose refusals are logged */
    REPLIES_LOG_WINDOW_US = 10 * 1000 * 1000, /* then one line per window, with the count */
    REPLIES_LOG_LOBBY = 0x100,                /* log kinds: LOBBY_REFUSED | reason, */
    REPLIES_LOG_CHAT = 0x200,                 /* CHAT_REFUSED | reason */
};

/* Caller-owned storage; read the fields, write only through the functions. */
typedef struct replies {
    outbox out;
    /* Written here: outbox_errors, messages_out, bytes_out, rejects,
     * chats_refused, lobby_refusals. */
    server_stats *stats;
    /* Which refusal lines are logged: the first per peer and reason, then
     * one per REPLIES_LOG_WINDOW_US saying how many were not (log_gate). */
    log_gate log_gates[REPLIES_LOG_GATES];
} replies;

/* stats (the server's counters) must outlive r. */
void replies_init(replies *r, server_stats *stats);
void replies_deinit(replies *r);

/* Queues msg for one session slot. Failures are counted and logged. */
void replies_to_one(replies *r, uint32_t slot, const proto_msg *msg, uint8_t channel,
                    bool reliable);
/* Queues msg, encoded once, for every connected member of l but except_id
 * (0: everyone). Returns the recipient count. */
uint32_t replies_to_lobby(replies *r, const lobby *l, uint16_t except_id, const proto_msg *msg,
                          uint8_t channel, bool reliable);
/* Queues a disconnect with a reason after this pass's packets. */
void replies_disconnect(replies *r, uint32_t slot, proto_reason reason);
/* Drops whatever is queued for a slot whose connection has gone. */
void replies_forget(replies *r, uint32_t slot);

/* REJECT (reason, text) to a session named label in the log; counted by
 * reason. The caller closes the session. */
void replies_reject(replies *r, uint32_t slot, const char *label, proto_reason reason,
                    const char *text);
/* LOBBY_REFUSED (request, reason, text) to one session, counted, and logged
 * as replies_log_due allows. */
void replies_lobby_refused(replies *r, uint32_t slot, const char *label, proto_type request,
                           proto_lobby_refusal reason, const char *text, uint64_t now_us);
/* Whether a refusal line of kind (REPLIES_LOG_* | reason) about the peer
 * named label is logged now: the first is, then one per window. *held gets
 * how many were not logged since the last one, for the line to say. */
bool replies_log_due(replies *r, const char *label, uint32_t kind, uint64_t now_us, uint32_t *held);
/* "" when held is 0, else " (and N more like it, not logged)" in buf. */
const char *replies_held_note(uint32_t held, char *buf, size_t cap);
/* CHAT_REFUSED (msg_id, reason, text) to one session, counted by reason. */
void replies_chat_refused(replies *r, uint32_t slot, uint32_t msg_id, proto_chat_refusal why,
                          const char *text);
/* LOBBY_EXITED (reason, text) to one session. */
void replies_exited(replies *r, uint32_t slot, proto_exit_reason reason, const char *text);
/* WELCOME for player me of lobby l (resumed: an old seat taken back). */
void replies_welcome(replies *r, uint32_t slot, const lobby *l, const lobby_player *me,
                     bool resumed);
/* A lobby player as PLAYER_JOINED and WELCOME carry it (views into p). */
void replies_fill_player(proto_player *out, const lobby_player *p);

/* "is not valid UTF-8", "must be 1 to N bytes", ...: what is wrong with a
 * name or text, for REJECT / LOBBY_REFUSED / CHAT_REFUSED texts. Returns a
 * constant or buf (cap bytes). */
const char *replies_text_problem(text_verdict v, size_t max_bytes, char *buf, size_t cap);
/* The CHAT_REFUSED reason for a chat line's text verdict (not TEXT_OK). */
proto_chat_refusal replies_chat_refusal_for(text_verdict v);

#endif
