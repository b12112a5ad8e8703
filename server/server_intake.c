/* The server core's message handlers: everything a peer sends arrives here,
 * is decoded once, checked against the session's state, and answered through
 * the outbox. Nothing from the wire is trusted before it is checked. */
#include "log.h"
#include "server_ctx.h"
#include "server_handlers.h"
#include "server_lobby_msgs.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

static proto_str str_of(const char *bytes, size_t len)
{
    proto_str out = {bytes, len};
    return out;
}

/* Logs (as the refusal log gate allows) and sends a CHAT_REFUSED. */
static void refuse_chat_uncharged(server_ctx *s, uint32_t handle, uint32_t msg_id,
                                  proto_chat_refusal why, const char *text)
{
    const session *se = sessions_at(s->sessions, handle);
    uint32_t held = 0;
    char note[64];
    if (log_enabled(LOG_INFO) &&
        replies_log_due(s->out, se->label, REPLIES_LOG_CHAT | (uint32_t)why, s->msg_now_us,
                        &held)) {
        const char *where = se->state == SESSION_JOINED ? server_session_lobby(s, se)->name : "-";
        log_info("server", "chat refused lobby=%s peer=%s id=%u msg=%u: %s%s", where, se->label,
                 se->player_id, (unsigned)msg_id, text, replies_held_note(held, note, sizeof note));
    }
    replies_chat_refused(s->out, handle, msg_id, why, text);
}

void server_refuse_chat(server_ctx *s, uint32_t handle, uint32_t msg_id, proto_chat_refusal why,
                        const char *text)
{
    refuse_chat_uncharged(s, handle, msg_id, why, text);
    server_charge_refusal(s, handle, "kept sending refused chat", s->msg_now_us);
}

/* The one way a session is put out for flooding: chat over the rate limit,
 * or requests refused over and over. */
static void kick_flooding(server_ctx *s, uint32_t handle, const char *what)
{
    log_warn("server", "kick peer=%s: %s", sessions_at(s->sessions, handle)->label, what);
    s->stats->kicks++;
    s->stats->flood_kicks++;
    server_close_session(s, handle, PROTO_REASON_FLOODING);
}

bool server_take_token(server_ctx *s, uint32_t handle, session_bucket which, double per_s,
                       double burst, uint64_t now_us)
{
    return rate_bucket_take(sessions_bucket(s->sessions, handle, which), per_s,
                            rate_stall_burst(&s->stall, per_s, burst, now_us), now_us);
}

bool server_charge_refusal(server_ctx *s, uint32_t handle, const char *what, uint64_t now_us)
{
    if (sessions_at(s->sessions, handle)->state == SESSION_CLOSING)
        return false; /* already on its way out */
    if (chat_take_refusal(s->chat, sessions_bucket(s->sessions, handle, SESSION_BUCKET_FLOOD),
                          &s->stall, now_us))
        return true;
    s->stats->refusal_kicks++;
    kick_flooding(s, handle, what);
    return false;
}

bool server_chat_checks(server_ctx *s, uint32_t handle, uint32_t msg_id, proto_str text,
                        uint64_t now_us)
{
    char why[96], detail[48];
    text_verdict v;
    chat_verdict cv = chat_check(s->chat, sessions_bucket(s->sessions, handle, SESSION_BUCKET_CHAT),
                                 sessions_bucket(s->sessions, handle, SESSION_BUCKET_FLOOD), text,
                                 &s->stall, now_us, &v);
    if (cv == CHAT_RATE_LIMITED || cv == CHAT_FLOODING) {
        snprintf(why, sizeof why, "sending too fast: at most %g messages a second",
                 s->cfg->chat_per_s);
        /* chat_check has charged the flood bucket already */
        refuse_chat_uncharged(s, handle, msg_id, PROTO_REFUSE_RATE_LIMITED, why);
        if (cv == CHAT_FLOODING)
            kick_flooding(s, handle, "kept chatting over the rate limit");
        return false;
    }
    if (cv == CHAT_BAD_TEXT) {
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
static void handle_chat(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    const session *se = sessions_at(s->sessions, handle);
    proto_str text = m->u.chat.text;
    if (se->state != SESSION_JOINED) {
        server_refuse_chat(s, handle, m->u.chat.msg_id, PROTO_REFUSE_NOT_IN_LOBBY,
                           "you are at the lobby list: join a lobby to chat");
        return;
    }
    if (!server_chat_checks(s, handle, m->u.chat.msg_id, text, now_us))
        return;
    chat_sender from = {.player_id = se->player_id,
                        .slot = handle,
                        .msg_id = m->u.chat.msg_id,
                        .name = str_of(se->name, se->name_len)};
    chat_post(s->chat, server_session_lobby(s, se), server_session_lobby_index(s, se), &from, text);
}

/* A position from the lobby list that comes this soon after leaving a lobby
 * was in flight when the session left: channel 1 is independent of the
 * LEAVE_LOBBY on channel 0, so it can arrive after it. */
enum { POSITION_IN_FLIGHT_S = 1 };

/* Newer positions are clamped and stored for the next snapshot; older ones
 * are dropped. */
static void handle_position(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    const session *se = sessions_at(s->sessions, handle);
    s->stats->positions_received++;
    if (se->state != SESSION_JOINED) {
        /* The tick counter follows the clock at snapshot_hz (server_tick). */
        if (se->left_lobby &&
            (*s->tick) - se->left_lobby_tick <= POSITION_IN_FLIGHT_S * s->cfg->snapshot_hz)
            s->stats->positions_stale++;
        else
            server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_STATE,
                             "POSITION from the lobby list");
        return;
    }
    lobby *l = server_session_lobby(s, se);
    lobby_player *p = lobby_player_find(l, se->player_id);
    if (!server_take_token(s, handle, SESSION_BUCKET_POSITION, s->cfg->position_per_s,
                           s->cfg->position_burst, now_us)) {
        s->stats->positions_rate_limited++; /* dropped: the next update supersedes it */
        return;
    }
    if (p == NULL || !lobby_move(p, m->u.position.seq, m->u.position.x, m->u.position.y)) {
        s->stats->positions_stale++;
        return;
    }
    p->pos_sent_us = m->u.position.sent_us;
    if (p->moved && p->merged < UINT8_MAX)
        p->merged++;
    p->moved = true;
}

static void handle_ping(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    proto_msg pong = {.type = PROTO_PONG};
    pong.u.pong.client_us = m->u.ping.client_us;
    pong.u.pong.server_us = now_us;
    replies_to_one(s->out, handle, &pong, PROTO_CHANNEL_RELIABLE, true);
    s->stats->pings++;
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

/* ---- the dispatch table ---------------------------------------------------
 * Every client message type, at one level: the session states in which it
 * is handled (in any other it counts as malformed, wrong_state), the
 * channel it must come on (docs/PROTOCOL.md, Transport: positions on
 * channel 1, where a newer one supersedes an older one, the rest on channel
 * 0, in order among themselves; only the channel is judged, not ENet's
 * reliability flag), and the checks before its handler: the lobby-request
 * rate, being in a lobby, and that lobby not being the server's. A type
 * without a handler (a server message) is wrong_state in every state. */

enum {
    IN_HANDSHAKE = 1u << SESSION_HANDSHAKE,
    IN_BROWSING = 1u << SESSION_BROWSING,
    IN_JOINED = 1u << SESSION_JOINED,
    AFTER_HELLO = IN_BROWSING | IN_JOINED,
};

typedef enum route_check {
    ROUTE_PLAIN = 0,
    ROUTE_LOBBY_OP, /* takes a lobby-request token (LOBBY_OPS_PER_S) */
    ROUTE_MEMBER,   /* ... and needs a lobby: LOBBY_REFUSED from the list */
    ROUTE_OWNER,    /* ... and refused in a lobby the server owns */
} route_check;

typedef struct route {
    server_handler *handle;
    uint8_t states; /* IN_* bits */
    uint8_t channel;
    uint8_t check; /* route_check */
} route;

static const route ROUTES[SERVER_MSG_TYPES] = {
    [PROTO_PING] = {handle_ping, IN_HANDSHAKE | AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_PLAIN},
    [PROTO_HELLO] = {server_hello, IN_HANDSHAKE, PROTO_CHANNEL_RELIABLE, ROUTE_PLAIN},
    /* From the list these are refused or dropped by their handlers. */
    [PROTO_CHAT] = {handle_chat, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_PLAIN},
    [PROTO_POSITION] = {handle_position, AFTER_HELLO, PROTO_CHANNEL_POSITION, ROUTE_PLAIN},
    [PROTO_DIRECT_CHAT] = {server_direct_chat, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_PLAIN},
    [PROTO_LIST_LOBBIES] = {server_list_lobbies, AFTER_HELLO, PROTO_CHANNEL_RELIABLE,
                            ROUTE_LOBBY_OP},
    [PROTO_CREATE_LOBBY] = {server_create_lobby, AFTER_HELLO, PROTO_CHANNEL_RELIABLE,
                            ROUTE_LOBBY_OP},
    [PROTO_JOIN_LOBBY] = {server_join_lobby, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_LOBBY_OP},
    [PROTO_LEAVE_LOBBY] = {server_leave_lobby, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_MEMBER},
    [PROTO_SET_READY] = {server_set_ready, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_MEMBER},
    [PROTO_START_GAME] = {server_start_game, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_OWNER},
    [PROTO_KICK] = {server_kick, AFTER_HELLO, PROTO_CHANNEL_RELIABLE, ROUTE_OWNER},
    [PROTO_CONFIGURE_LOBBY] = {server_configure_lobby, AFTER_HELLO, PROTO_CHANNEL_RELIABLE,
                               ROUTE_OWNER},
    [PROTO_GIVE_OWNERSHIP] = {server_give_ownership, AFTER_HELLO, PROTO_CHANNEL_RELIABLE,
                              ROUTE_OWNER},
};

static void wrong_state(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    char what[64];
    if (sessions_at(s->sessions, handle)->state == SESSION_HANDSHAKE)
        snprintf(what, sizeof what, "%s not allowed before hello", proto_type_name(m->type));
    else
        snprintf(what, sizeof what, "%s",
                 m->type == PROTO_HELLO ? "HELLO not allowed after hello"
                                        : "server message sent by a client");
    server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_STATE, what);
}

/* The route's checks before its handler; false when the request was refused. */
static bool route_allows(server_ctx *s, uint32_t handle, const proto_msg *m, route_check check,
                         uint64_t now_us)
{
    if (check == ROUTE_PLAIN)
        return true;
    const session *se = sessions_at(s->sessions, handle);
    if (!server_take_token(s, handle, SESSION_BUCKET_LOBBY, LOBBY_OPS_PER_S, LOBBY_OPS_BURST,
                           now_us)) {
        server_lobby_refuse(s, handle, m->type, PROTO_LOBBY_RATE_LIMITED,
                            "too many lobby requests: at most %d a second", LOBBY_OPS_PER_S);
        return false;
    }
    if (check == ROUTE_LOBBY_OP)
        return true;
    if (se->state != SESSION_JOINED) {
        server_lobby_refuse(s, handle, m->type, PROTO_LOBBY_NOT_IN_LOBBY,
                            "%s needs a lobby: you are at the lobby list",
                            proto_type_name(m->type));
        return false;
    }
    /* Nobody owns a lobby the server opened (`main`): had it an owner, that
     * player could lock it with a password, kick others out of the server's
     * front door or start a game in it, which refuses every later join. */
    const lobby *l = server_session_lobby(s, se);
    if (check == ROUTE_MEMBER || !l->server_owned)
        return true;
    server_lobby_refuse(s, handle, m->type, PROTO_LOBBY_SERVER_OWNED,
                        "lobby '%s' belongs to the server: nobody may kick, configure, hand it "
                        "over or start a game there; create a lobby (/create NAME) to run one",
                        l->name);
    return false;
}

void server_on_receive(server *srv, uint32_t handle, uint8_t channel, const uint8_t *data,
                       size_t len, uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    if (handle >= s->cfg->max_sessions)
        return;
    s->msg_now_us = now_us;
    const session *se = sessions_at(s->sessions, handle);
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
    s->stats->messages_in[(uint8_t)m.type]++;
    s->stats->bytes_in[(uint8_t)m.type] += len;
    const route *r = &ROUTES[(uint8_t)m.type];
    if (channel != r->channel) {
        char what[80];
        snprintf(what, sizeof what, "%s on channel %u (must be channel %u)",
                 proto_type_name(m.type), (unsigned)channel, (unsigned)r->channel);
        server_malformed(s, handle, now_us, SERVER_MALFORMED_WRONG_CHANNEL, what);
        return;
    }
    if (r->handle == NULL || !(r->states & (1u << se->state)))
        wrong_state(s, handle, &m, now_us);
    else if (route_allows(s, handle, &m, (route_check)r->check, now_us))
        r->handle(s, handle, &m, now_us);
}

void server_note_stall(server *srv, uint64_t stall_us, uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    rate_stall_note(&s->stall, stall_us, now_us);
    s->stats->loop_stalls++;
    s->stats->loop_stall_ms += stall_us / 1000;
    log_warn("server",
             "the loop stalled for %llu ms: rate limits judge what arrived meanwhile as if "
             "spread over it",
             (unsigned long long)(stall_us / 1000));
}
