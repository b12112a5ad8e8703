/* Sending and counting replies, and the refusal texts (replies.h). */
#include "replies.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

void replies_init(replies *r, server_stats *stats)
{
    outbox_init(&r->out);
    r->stats = stats;
    memset(r->log_gates, 0, sizeof r->log_gates);
}

void replies_deinit(replies *r)
{
    outbox_deinit(&r->out);
}

static void note_outbox_error(replies *r, int err)
{
    if (err == OUTBOX_OK)
        return;
    r->stats->outbox_errors++;
    log_error("server", "cannot queue message: %s",
              err == OUTBOX_ERR_NOMEM ? "out of memory" : "encode failed");
}

/* Counts the packet pushed last as sent to `recipients` peers. */
static void count_out(replies *r, uint32_t type, uint32_t recipients)
{
    if (recipients == 0 || r->out.packet_count == 0)
        return;
    uint8_t t = (uint8_t)type;
    r->stats->messages_out[t] += recipients;
    r->stats->bytes_out[t] += (uint64_t)r->out.packets[r->out.packet_count - 1].len * recipients;
}

void replies_to_one(replies *r, uint32_t slot, const proto_msg *msg, uint8_t channel, bool reliable)
{
    int err = outbox_push(&r->out, msg, channel, reliable);
    if (err == OUTBOX_OK)
        err = outbox_add_dest(&r->out, slot);
    if (err == OUTBOX_OK)
        count_out(r, msg->type, 1);
    note_outbox_error(r, err);
}

uint32_t replies_to_lobby(replies *r, const lobby *l, uint16_t except_id, const proto_msg *msg,
                          uint8_t channel, bool reliable)
{
    uint32_t sent = 0;
    int err = OUTBOX_OK;
    for (unsigned i = 0; i < l->count && err == OUTBOX_OK; i++) {
        if (l->players[i].id == except_id || l->players[i].session == LOBBY_NO_SESSION)
            continue;
        if (sent == 0) /* encode once, on the first recipient */
            err = outbox_push(&r->out, msg, channel, reliable);
        if (err == OUTBOX_OK)
            err = outbox_add_dest(&r->out, l->players[i].session);
        sent += err == OUTBOX_OK;
    }
    count_out(r, msg->type, sent);
    note_outbox_error(r, err);
    return sent;
}

void replies_disconnect(replies *r, uint32_t slot, proto_reason reason)
{
    note_outbox_error(r, outbox_disconnect_session(&r->out, slot, reason));
}

void replies_forget(replies *r, uint32_t slot)
{
    outbox_forget_session(&r->out, slot);
}

void replies_reject(replies *r, uint32_t slot, const char *label, proto_reason reason,
                    const char *text)
{
    log_info("server", "reject peer=%s reason=%s: %s", label, proto_reason_text(reason), text);
    proto_msg msg = {.type = PROTO_REJECT};
    msg.u.reject.reason = (uint8_t)reason;
    msg.u.reject.text = proto_str_from_cstr(text);
    replies_to_one(r, slot, &msg, PROTO_CHANNEL_RELIABLE, true);
    r->stats->rejects[reason]++;
}

const char *replies_held_note(uint32_t held, char *buf, size_t cap)
{
    if (held == 0)
        return "";
    snprintf(buf, cap, " (and %u more like it, not logged)", (unsigned)held);
    return buf;
}

bool replies_log_due(replies *r, const char *label, uint32_t kind, uint64_t now_us, uint32_t *held)
{
    return log_gate_pass(r->log_gates, REPLIES_LOG_GATES, log_gate_key(label, kind), now_us,
                         REPLIES_LOG_WINDOW_US, held);
}

void replies_lobby_refused(replies *r, uint32_t slot, const char *label, proto_type request,
                           proto_lobby_refusal reason, const char *text, uint64_t now_us)
{
    uint32_t held = 0;
    char note[64];
    if (log_enabled(LOG_INFO) &&
        replies_log_due(r, label, REPLIES_LOG_LOBBY | (uint32_t)reason, now_us, &held))
        log_info("server", "lobby refused peer=%s request=%s reason=%s: %s%s", label,
                 proto_type_name(request), proto_refusal_text(reason), text,
                 replies_held_note(held, note, sizeof note));
    proto_msg m = {.type = PROTO_LOBBY_REFUSED};
    m.u.lobby_refused.request = (uint8_t)request;
    m.u.lobby_refused.reason = (uint8_t)reason;
    m.u.lobby_refused.text = proto_str_from_cstr(text);
    replies_to_one(r, slot, &m, PROTO_CHANNEL_RELIABLE, true);
    r->stats->lobby_refusals[reason]++;
}

void replies_chat_refused(replies *r, uint32_t slot, uint32_t msg_id, proto_chat_refusal why,
                          const char *text)
{
    proto_msg m = {.type = PROTO_CHAT_REFUSED};
    m.u.chat_refused.msg_id = msg_id;
    m.u.chat_refused.reason = (uint8_t)why;
    m.u.chat_refused.text = proto_str_from_cstr(text);
    replies_to_one(r, slot, &m, PROTO_CHANNEL_RELIABLE, true);
    r->stats->chats_refused[why]++;
}

void replies_exited(replies *r, uint32_t slot, proto_exit_reason reason, const char *text)
{
    proto_msg m = {.type = PROTO_LOBBY_EXITED};
    m.u.lobby_exited.reason = (uint8_t)reason;
    m.u.lobby_exited.text = proto_str_from_cstr(text);
    replies_to_one(r, slot, &m, PROTO_CHANNEL_RELIABLE, true);
}

void replies_fill_player(proto_player *out, const lobby_player *p)
{
    out->id = p->id;
    out->colour = p->colour;
    out->name.bytes = p->name;
    out->name.len = p->name_len;
    out->x = p->x;
    out->y = p->y;
}

void replies_welcome(replies *r, uint32_t slot, const lobby *l, const lobby_player *me,
                     bool resumed)
{
    proto_msg welcome = {.type = PROTO_WELCOME};
    welcome.u.welcome.your_id = me->id;
    memcpy(welcome.u.welcome.token, me->token, PROTO_TOKEN_BYTES);
    welcome.u.welcome.resumed = resumed;
    welcome.u.welcome.capacity = l->capacity;
    welcome.u.welcome.lobby.bytes = l->name;
    welcome.u.welcome.lobby.len = l->name_len;
    welcome.u.welcome.count = l->count;
    for (unsigned i = 0; i < l->count; i++)
        replies_fill_player(&welcome.u.welcome.players[i], &l->players[i]);
    replies_to_one(r, slot, &welcome, PROTO_CHANNEL_RELIABLE, true);
}

const char *replies_text_problem(text_verdict v, size_t max_bytes, char *buf, size_t cap)
{
    switch (v) {
    case TEXT_OK:
        return "ok";
    case TEXT_EMPTY:
    case TEXT_TOO_LONG:
        snprintf(buf, cap, "must be 1 to %zu bytes", max_bytes);
        return buf;
    case TEXT_INVALID_UTF8:
        return "is not valid UTF-8";
    case TEXT_CONTROL:
        return "contains control or formatting characters";
    case TEXT_SPACING:
        return "must not start or end with white space or have two spaces in a row";
    }
    return "is invalid";
}

proto_chat_refusal replies_chat_refusal_for(text_verdict v)
{
    switch (v) {
    case TEXT_EMPTY:
        return PROTO_REFUSE_EMPTY;
    case TEXT_TOO_LONG:
        return PROTO_REFUSE_TOO_LONG;
    case TEXT_INVALID_UTF8:
        return PROTO_REFUSE_INVALID_UTF8;
    default:
        return PROTO_REFUSE_CONTROL_CHARS;
    }
}
