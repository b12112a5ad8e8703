/* The server core's message handlers: everything a peer sends arrives here,
 * is decoded once, checked against the session's state, and answered through
 * the outbox. Nothing from the wire is trusted before it is checked. */
#include "log.h"
#include "server_internal.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

static proto_str str_of(const char *bytes, size_t len)
{
    proto_str out = {bytes, len};
    return out;
}

void server_refuse_chat(server *s, uint32_t handle, uint32_t msg_id, proto_chat_refusal why,
                        const char *text)
{
    session *se = &s->sessions[handle];
    const char *where = se->state == SESSION_JOINED ? server_session_lobby(s, se)->name : "-";
    log_info("server", "chat refused lobby=%s peer=%s id=%u msg=%u: %s", where, se->label,
             se->player_id, (unsigned)msg_id, text);
    replies_chat_refused(&s->replies, handle, msg_id, why, text);
}

bool server_chat_checks(server *s, uint32_t handle, uint32_t msg_id, proto_str text,
                        uint64_t now_us)
{
    session *se = &s->sessions[handle];
    char why[96], detail[48];
    bool flooding = false;
    if (!server_chat_allowed(s, &se->chat_bucket, &se->flood_bucket, now_us, &flooding)) {
        snprintf(why, sizeof why, "sending too fast: at most %g messages a second",
                 s->cfg.chat_per_s);
        server_refuse_chat(s, handle, msg_id, PROTO_REFUSE_RATE_LIMITED, why);
        if (flooding) {
            log_warn("server", "kick peer=%s: kept chatting over the rate limit", se->label);
            s->stats.kicks++;
            s->stats.flood_kicks++;
            server_close_session(s, handle, PROTO_REASON_FLOODING);
        }
        return false;
    }
    text_verdict v = text_check(text.bytes, text.len, PROTO_MAX_CHAT_BYTES);
    if (v != TEXT_OK) {
        snprintf(why, sizeof why, "message %s",
                 replies_text_problem(v, PROTO_MAX_CHAT_BYTES, detail, sizeof detail));
        server_refuse_chat(s, handle, msg_id, replies_chat_refusal_for(v), why);
        return false;
    }
    return true;
}

/* Accepted chat gets the lobby's next sequence number, an ack to the sender
 * and a relay to everyone else; a refused one gets its reason. Chat from the
 * lobby list has no lobby to go to. */
static void handle_chat(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    session *se = &s->sessions[handle];
    proto_str text = m->u.chat.text;
    if (se->state != SESSION_JOINED) {
        server_refuse_chat(s, handle, m->u.chat.msg_id, PROTO_REFUSE_NOT_IN_LOBBY,
                           "you are at the lobby list: join a lobby to chat");
        return;
    }
    if (!server_chat_checks(s, handle, m->u.chat.msg_id, text, now_us))
        return;
    lobby *l = server_session_lobby(s, se);
    uint32_t seq = lobby_next_chat_seq(l);
    lobby_remember_chat(l, seq, se->player_id, str_of(se->name, se->name_len), text);
    proto_msg ack = {.type = PROTO_CHAT_ACK};
    ack.u.chat_ack.msg_id = m->u.chat.msg_id;
    ack.u.chat_ack.seq = seq;
    replies_to_one(&s->replies, handle, &ack, PROTO_CHANNEL_RELIABLE, true);
    proto_msg relay = {.type = PROTO_CHAT_RELAY};
    relay.u.chat_relay.from_id = se->player_id;
    relay.u.chat_relay.seq = seq;
    relay.u.chat_relay.text = text;
    s->stats.chat_relays +=
        replies_to_lobby(&s->replies, l, se->player_id, &relay, PROTO_CHANNEL_RELIABLE, true);
    s->stats.chats_accepted++;
    log_info("server", "chat lobby=%s id=%u seq=%u: %.*s", l->name, se->player_id, (unsigned)seq,
             (int)text.len, text.bytes);
    server_chat_note note = {.lobby_index = se->lobby_index,
                             .lobby = {l->name, l->name_len},
                             .seq = seq,
                             .sender = str_of(se->name, se->name_len),
                             .text = text};
    server_note_chat(s, &note);
}

bool server_chat_allowed(server *s, rate_bucket *chat, rate_bucket *flood, uint64_t now_us,
                         bool *flooding)
{
    *flooding = false;
    if (rate_bucket_take(chat, s->cfg.chat_per_s, s->cfg.chat_burst, now_us))
        return true;
    /* Refusals drain a second bucket that refills at a tenth of the limit per
     * second: a sender who sometimes types too fast is never put out, one who
     * keeps flooding is, whatever its exact rate. */
    double burst = (double)s->cfg.flood_limit - 1.0;
    *flooding = !rate_bucket_take(flood, burst / 10.0 + 0.1, burst, now_us);
    return false;
}

/* A position from the lobby list that comes this soon after leaving a lobby
 * was in flight when the session left: channel 1 is independent of the
 * LEAVE_LOBBY on channel 0, so it can arrive after it. */
enum { POSITION_IN_FLIGHT_S = 1 };

/* Newer positions are clamped and stored for the next snapshot; older ones
 * are dropped. */
static void handle_position(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    session *se = &s->sessions[handle];
    s->stats.positions_received++;
    if (se->state != SESSION_JOINED) {
        /* The tick counter follows the clock at snapshot_hz (server_tick). */
        if (se->left_lobby &&
            s->tick - se->left_lobby_tick <= POSITION_IN_FLIGHT_S * s->cfg.snapshot_hz)
            s->stats.positions_stale++;
        else
            server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_STATE,
                             "POSITION from the lobby list");
        return;
    }
    lobby *l = server_session_lobby(s, se);
    lobby_player *p = lobby_player_find(l, se->player_id);
    if (!rate_bucket_take(&se->position_bucket, s->cfg.position_per_s, s->cfg.position_burst,
                          now_us)) {
        s->stats.positions_rate_limited++; /* dropped: the next update supersedes it */
        return;
    }
    if (p == NULL || !lobby_move(p, m->u.position.seq, m->u.position.x, m->u.position.y)) {
        s->stats.positions_stale++;
        return;
    }
    p->pos_sent_us = m->u.position.sent_us;
    if (p->moved && p->merged < UINT8_MAX)
        p->merged++;
    p->moved = true;
}

static void handle_ping(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    proto_msg pong = {.type = PROTO_PONG};
    pong.u.pong.client_us = m->u.ping.client_us;
    pong.u.pong.server_us = now_us;
    replies_to_one(&s->replies, handle, &pong, PROTO_CHANNEL_RELIABLE, true);
    s->stats.pings++;
}

static server_malformed_kind malformed_kind_of(int decode_error)
{
    switch (decode_error) {
    case PROTO_ERR_TRUNCATED:
        return SERVER_MALFORMED_TRUNCATED;
    case PROTO_ERR_TRAILING:
        return SERVER_MALFORMED_TRAILING;
    case PROTO_ERR_UNKNOWN_TYPE:
        return SERVER_MALFORMED_UNKNOWN_TYPE;
    default:
        return SERVER_MALFORMED_BAD_VALUE;
    }
}

static bool is_lobby_request(proto_type t)
{
    return t >= PROTO_LIST_LOBBIES && t <= PROTO_GIVE_OWNERSHIP;
}

/* Client messages that a session may send once past its hello. */
static void dispatch_after_hello(server *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    if (m->type == PROTO_CHAT)
        handle_chat(s, handle, m, now_us);
    else if (m->type == PROTO_POSITION)
        handle_position(s, handle, m, now_us);
    else if (m->type == PROTO_DIRECT_CHAT)
        server_direct_chat(s, handle, m, now_us);
    else if (is_lobby_request(m->type))
        server_lobby_request(s, handle, m, now_us);
    else
        server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_STATE,
                         m->type == PROTO_HELLO ? "HELLO not allowed after hello"
                                                : "server message sent by a client");
}

/* Every client message has one channel (docs/PROTOCOL.md, Transport):
 * positions on channel 1, where a newer one supersedes an older one, the
 * rest on channel 0, in order among themselves. Only the channel is judged,
 * not ENet's reliability flag. */
static uint8_t channel_of(proto_type t)
{
    return t == PROTO_POSITION ? PROTO_CHANNEL_POSITION : PROTO_CHANNEL_RELIABLE;
}

void server_on_receive(server *s, uint32_t handle, uint8_t channel, const uint8_t *data, size_t len,
                       uint64_t now_us)
{
    if (handle >= s->cfg.max_sessions)
        return;
    session *se = &s->sessions[handle];
    if (se->state != SESSION_HANDSHAKE && se->state != SESSION_BROWSING &&
        se->state != SESSION_JOINED)
        return;     /* closing: its remaining input no longer matters */
    if (len == 0) { /* ENet delivers these (data NULL); no message is empty */
        server_malformed(s, handle, now_us, SERVER_MALFORMED_EMPTY, "empty packet");
        return;
    }
    proto_msg m;
    int err = proto_decode(data, len, &m);
    if (err != PROTO_OK) {
        server_malformed(s, handle, now_us, malformed_kind_of(err), proto_strerror(err));
        return;
    }
    s->stats.messages_in[(uint8_t)m.type]++;
    s->stats.bytes_in[(uint8_t)m.type] += len;
    if (channel != channel_of(m.type)) {
        char what[80];
        snprintf(what, sizeof what, "%s on channel %u (must be channel %u)",
                 proto_type_name(m.type), (unsigned)channel, (unsigned)channel_of(m.type));
        server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_CHANNEL, what);
        return;
    }
    if (m.type == PROTO_PING) {
        handle_ping(s, handle, &m, now_us);
    } else if (se->state == SESSION_HANDSHAKE) {
        if (m.type == PROTO_HELLO) {
            server_hello(s, handle, &m, now_us);
        } else {
            char what[64];
            snprintf(what, sizeof what, "%s not allowed before hello", proto_type_name(m.type));
            server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_STATE, what);
        }
    } else {
        dispatch_after_hello(s, handle, &m, now_us);
    }
}
