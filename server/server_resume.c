/* Reconnection: a client that lost its connection presents the session token
 * from its welcome and gets its seat back (same id, name, colour, lobby),
 * with the chat it missed. Tokens are single-use and guessing is
 * rate-limited per address. */
#include "log.h"
#include "server_ctx.h"
#include "server_handlers.h"
#include "server_lobby_msgs.h"

#include <string.h>

/* The address part of "ip:port", hashed to a rate bucket. */
static rate_bucket *resume_bucket(server_ctx *s, const char *label)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = label; *c && *c != ':'; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return &s->resume_buckets[h % RESUME_BUCKETS];
}

static bool resume_allowed(server_ctx *s, const session *se, uint64_t now_us)
{
    rate_bucket *b = resume_bucket(s, se->label);
    double burst = 5.0;
    if (b->last_us == 0)
        rate_bucket_init(b, burst, now_us);
    return rate_bucket_take(b, s->cfg->resume_per_s, burst, now_us);
}

/* Sends the lines the player missed: everything after last_seen still kept,
 * except its own (those it had acknowledgements for, or will see as lost).
 * CHAT_HISTORY names each sender, who may have left the lobby since. */
void server_replay_chat(server_ctx *s, uint32_t handle, const lobby *l, uint16_t me,
                        uint32_t last_seen)
{
    uint32_t from = last_seen + 1;
    if (l->chat_seq - last_seen > LOBBY_HISTORY)
        from = l->chat_seq - LOBBY_HISTORY + 1;
    for (uint32_t seq = from; seq != l->chat_seq + 1 && seq != 0; seq++) {
        const lobby_chat_line *line = lobby_chat_at(l, seq);
        if (line == NULL || (me != 0 && line->from_id == me))
            continue;
        proto_msg m = {.type = PROTO_CHAT_HISTORY};
        m.u.chat_history.seq = line->seq;
        m.u.chat_history.from_id = line->from_id;
        m.u.chat_history.name.bytes = line->from_name;
        m.u.chat_history.name.len = line->from_name_len;
        m.u.chat_history.text.bytes = line->text;
        m.u.chat_history.text.len = line->len;
        replies_to_one(s->out, handle, &m, PROTO_CHANNEL_RELIABLE, true);
    }
}

/* A returning player more than LOBBY_HISTORY lines behind cannot get them
 * all back: it is told where its replay starts late and by how many lines,
 * before the replay (CHAT_GAP), rather than losing them without a word. */
static void tell_chat_gap(server_ctx *s, uint32_t handle, const lobby *l, uint32_t last_seen)
{
    uint32_t behind = l->chat_seq - last_seen;
    if (last_seen > l->chat_seq || behind <= LOBBY_HISTORY)
        return; /* everything is still kept (or the client's number is from the future) */
    proto_msg m = {.type = PROTO_CHAT_GAP};
    m.u.chat_gap.first_seq = last_seen + 1;
    m.u.chat_gap.missed = behind - LOBBY_HISTORY;
    replies_to_one(s->out, handle, &m, PROTO_CHANNEL_RELIABLE, true);
    s->stats->resume_chat_gaps++;
    s->stats->resume_lines_missed += m.u.chat_gap.missed;
}

/* The old connection of a seat being taken over is closed without a word to
 * the lobby: the player never left. */
static void retire_old_session(server_ctx *s, const lobby_player *p)
{
    const session *gone = server_seat_session(s, p);
    if (gone == NULL || gone->state != SESSION_JOINED)
        return;
    uint32_t old = p->session;
    sessions_mark_closing(s->sessions, old);
    replies_disconnect(s->out, old, PROTO_REASON_QUIT);
}

/* With identities, the seat's name and lobby must be the token's: a
 * session token passed to another player does not move the seat. False
 * after a REJECT (the seat stays held; the session token is not spent). */
static bool seat_is_theirs(server_ctx *s, uint32_t handle, const lobby_player *p, int index,
                           proto_str name)
{
    const lobby *l = &s->lobbies->lobbies[index];
    if (name.len != p->name_len || memcmp(name.bytes, p->name, name.len) != 0) {
        server_reject(s, handle, PROTO_REASON_AUTH_INVALID,
                      "identity token is for name '%.*s', not the seat's '%s'", (int)name.len,
                      name.bytes, p->name);
        return false;
    }
    if (!server_lobby_allowed(s, handle, proto_str_from_cstr(l->name))) {
        server_reject(s, handle, PROTO_REASON_AUTH_WRONG_LOBBY,
                      "your identity token does not let you into lobby '%s'", l->name);
        return false;
    }
    return true;
}

void server_resume(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    const session *se = sessions_at(s->sessions, handle);
    if (!resume_allowed(s, se, now_us)) {
        s->stats->resume_refused++;
        server_reject(s, handle, PROTO_REASON_TOO_MANY_ATTEMPTS,
                      "too many reconnection attempts from this address; wait a second");
        return;
    }
    /* A seat is taken back with the identity it was taken with: an
     * expired or foreign token loses it like any other HELLO. */
    proto_str name;
    if (!server_hello_identity(s, handle, m, &name))
        return;
    int index = -1;
    lobby_player *p = lobby_find_token(s->lobbies, m->u.hello.token, &index);
    if (p == NULL) {
        s->stats->resume_refused++;
        server_reject(s, handle, PROTO_REASON_TOKEN_INVALID,
                      "session token unknown, expired or already used; join afresh");
        return;
    }
    if (s->cfg->auth_required && !seat_is_theirs(s, handle, p, index, name))
        return;
    bool was_away = p->session == LOBBY_NO_SESSION;
    uint16_t id = p->id;
    retire_old_session(s, p);
    if (!server_new_token(s, p)) { /* the old token is spent either way */
        server_remove_player(s, index, id, PROTO_LEAVE_TIMEOUT);
        server_reject(s, handle, PROTO_REASON_SERVER_FULL, "server cannot make a session token");
        return;
    }
    p->session = handle;
    server_bind_session(s, handle, id, index);
    server_fresh_limits(s, handle, now_us);
    s->stats->resumes++;
    lobby *l = &s->lobbies->lobbies[index];
    log_info("server", "back lobby=%s player=%s id=%u peer=%s", l->name, p->name, id, se->label);
    replies_welcome(s->out, handle, l, p, true);
    server_send_lobby_state_to(s, handle, l);
    if (was_away) {
        proto_msg back = {.type = PROTO_PLAYER_STATUS};
        back.u.player_status.id = id;
        back.u.player_status.status = PROTO_STATUS_BACK;
        replies_to_lobby(s->out, l, id, &back, PROTO_CHANNEL_RELIABLE, true);
    }
    tell_chat_gap(s, handle, l, m->u.hello.last_chat_seq);
    server_replay_chat(s, handle, l, id, m->u.hello.last_chat_seq);
}
