/* A member's lobby requests (ready, start, and the owner's kick, configure
 * and hand-over) and direct messages between members. The rules are in
 * lobby_rules.c; here their answers become messages, refusals and logs. */
#include "log.h"
#include "server_ctx.h"
#include "server_handlers.h"
#include "server_lobby_msgs.h"

#include <stdio.h>
#include <string.h>

static lobby *member_lobby(server_ctx *s, uint32_t handle)
{
    return server_session_lobby(s, sessions_at(s->sessions, handle));
}

static void refuse_not_owner(server_ctx *s, uint32_t handle, proto_type request, const lobby *l)
{
    const lobby_player *owner = lobby_player_find((lobby *)l, l->owner_id);
    server_lobby_refuse(s, handle, request, PROTO_LOBBY_NOT_OWNER,
                        "only the owner of '%s' (%s) may do that", l->name,
                        owner ? owner->name : "nobody");
}

static void refuse_no_such_player(server_ctx *s, uint32_t handle, proto_type request,
                                  const lobby *l, uint16_t id)
{
    server_lobby_refuse(s, handle, request, PROTO_LOBBY_NO_SUCH_PLAYER,
                        "player %u is not another member of '%s'", (unsigned)id, l->name);
}

void server_set_ready(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    (void)now_us;
    const session *se = sessions_at(s->sessions, handle);
    lobby *l = member_lobby(s, handle);
    lobby_player *p = lobby_player_find(l, se->player_id);
    bool ready = m->u.set_ready.ready != 0, was_ready = p->ready, cancelled;
    if (lobby_set_ready(l, se->player_id, ready, &cancelled) != LOBBY_OK) {
        server_lobby_refuse(s, handle, PROTO_SET_READY, PROTO_LOBBY_STARTED,
                            "lobby '%s' is counting down or in game", l->name);
        return;
    }
    log_info("server", "ready lobby=%s player=%s id=%u ready=%d", l->name, p->name, p->id,
             (int)ready);
    char text[64];
    snprintf(text, sizeof text, "%s is not ready", p->name);
    if (cancelled)
        server_countdown_cancelled(s, l, p->id, text);
    else if (was_ready != ready)
        server_send_lobby_state(s, l);
}

/* "not ready: bob, carol" within the text limit. */
static void not_ready_names(const lobby *l, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "not everyone is ready:");
    const char *sep = " ";
    for (unsigned i = 0; i < l->count && used < cap; i++) {
        const lobby_player *p = &l->players[i];
        bool away = p->session == LOBBY_NO_SESSION;
        if (p->ready && !away)
            continue;
        used += (size_t)snprintf(out + used, cap - used, "%s%s%s", sep, p->name,
                                 away ? " (reconnecting)" : "");
        sep = ", ";
    }
}

static uint32_t countdown_ticks(const server_ctx *s)
{
    uint64_t ticks = ((uint64_t)s->cfg->countdown_ms * s->cfg->snapshot_hz + 999) / 1000;
    return ticks == 0 ? 1 : (uint32_t)ticks;
}

void server_start_game(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    (void)m, (void)now_us;
    const session *se = sessions_at(s->sessions, handle);
    lobby *l = member_lobby(s, handle);
    const lobby_player *not_ready;
    int err = lobby_start_countdown(l, se->player_id, (*s->tick) + countdown_ticks(s), &not_ready);
    char text[PROTO_MAX_STR8_BYTES + 1];
    if (err == LOBBY_ERR_NOT_OWNER) {
        refuse_not_owner(s, handle, PROTO_START_GAME, l);
    } else if (err == LOBBY_ERR_STARTED) {
        server_lobby_refuse(s, handle, PROTO_START_GAME, PROTO_LOBBY_STARTED,
                            "lobby '%s' is already counting down or in game", l->name);
    } else if (err == LOBBY_ERR_NOT_ALL_READY) {
        not_ready_names(l, text, sizeof text);
        server_lobby_refuse(s, handle, PROTO_START_GAME, PROTO_LOBBY_NOT_ALL_READY, "%s", text);
    } else {
        s->stats->countdowns_started++;
        server_countdown_begin(s, l);
    }
}

void server_kick(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    const session *se = sessions_at(s->sessions, handle);
    lobby *l = member_lobby(s, handle);
    uint16_t target = m->u.kick.player_id;
    int err = lobby_check_kick(l, se->player_id, target);
    if (err == LOBBY_ERR_NOT_OWNER) {
        refuse_not_owner(s, handle, PROTO_KICK, l);
        return;
    }
    if (err != LOBBY_OK) {
        refuse_no_such_player(s, handle, PROTO_KICK, l, target);
        return;
    }
    lobby_player *p = lobby_player_find(l, target);
    uint32_t target_session = p->session;
    bool connected = server_seat_session(s, p) != NULL;
    /* By name and by holder: under another name, the same address (or
     * identity) is still kicked. */
    lobby_ban(l, p->key, p->key_len, p->holder,
              now_us + (uint64_t)s->cfg->kick_cooldown_ms * 1000u);
    char text[96];
    snprintf(text, sizeof text, "kicked from '%s'; you may rejoin in %u s", l->name,
             (unsigned)((s->cfg->kick_cooldown_ms + 999) / 1000));
    log_info("server", "kick lobby=%s player=%s id=%u by=%s cooldown_ms=%u", l->name, p->name,
             target, se->name, (unsigned)s->cfg->kick_cooldown_ms);
    s->stats->owner_kicks++;
    server_remove_player(s, server_session_lobby_index(s, se), target, PROTO_LEAVE_KICKED);
    if (connected) {
        server_to_browsing(s, target_session);
        sessions_note_request(s->sessions, target_session, now_us); /* its idle time starts now */
        replies_exited(s->out, target_session, PROTO_EXIT_KICKED, text);
    }
}

void server_configure_lobby(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    (void)now_us;
    const session *se = sessions_at(s->sessions, handle);
    lobby *l = member_lobby(s, handle);
    if (l->owner_id != se->player_id) {
        refuse_not_owner(s, handle, PROTO_CONFIGURE_LOBBY, l);
        return;
    }
    lobby_settings in = {
        .capacity =
            m->u.configure_lobby.capacity ? m->u.configure_lobby.capacity : s->cfg->lobby_capacity,
        .password = m->u.configure_lobby.password,
        .max_rtt_ms = m->u.configure_lobby.max_rtt_ms,
        .meta = m->u.configure_lobby.meta,
    };
    char why[128];
    int err = lobby_configure(l, &in, m->u.configure_lobby.changes, why, sizeof why);
    if (err != LOBBY_OK) {
        server_lobby_refuse(s, handle, PROTO_CONFIGURE_LOBBY,
                            err == LOBBY_ERR_BELOW_COUNT ? PROTO_LOBBY_BELOW_COUNT
                                                         : PROTO_LOBBY_BAD_VALUE,
                            "%s", why);
        return;
    }
    log_info("server",
             "configure lobby=%s by=%s changes=0x%x capacity=%u password=%s "
             "max_rtt_ms=%u meta=%u",
             l->name, se->name, (unsigned)m->u.configure_lobby.changes, (unsigned)l->capacity,
             l->password_len ? "yes" : "no", (unsigned)l->max_rtt_ms, (unsigned)l->meta_count);
    server_send_lobby_state(s, l);
}

void server_give_ownership(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    (void)now_us;
    const session *se = sessions_at(s->sessions, handle);
    lobby *l = member_lobby(s, handle);
    uint16_t to = m->u.give_ownership.player_id;
    int err = lobby_give_ownership(l, se->player_id, to);
    if (err == LOBBY_ERR_NOT_OWNER) {
        refuse_not_owner(s, handle, PROTO_GIVE_OWNERSHIP, l);
        return;
    }
    if (err != LOBBY_OK) {
        refuse_no_such_player(s, handle, PROTO_GIVE_OWNERSHIP, l, to);
        return;
    }
    log_info("server", "owner lobby=%s from=%u to=%u", l->name, se->player_id, to);
    server_send_lobby_state(s, l);
}

/* ---- DIRECT_CHAT ---------------------------------------------------------- */

/* To one member of the sender's lobby; acked with seq 0 (direct messages
 * take no lobby sequence number) and kept out of the history. The log line
 * names who and how long, not what: it is a private message. */
void server_direct_chat(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    const session *se = sessions_at(s->sessions, handle);
    uint32_t msg_id = m->u.direct_chat.msg_id;
    if (se->state != SESSION_JOINED) {
        server_refuse_chat(s, handle, msg_id, PROTO_REFUSE_NOT_IN_LOBBY,
                           "you are at the lobby list: join a lobby to send direct messages");
        return;
    }
    if (!server_chat_checks(s, handle, msg_id, m->u.direct_chat.text, now_us))
        return;
    lobby *l = member_lobby(s, handle);
    uint16_t to = m->u.direct_chat.to_id;
    const lobby_player *target = to == se->player_id ? NULL : lobby_player_find(l, to);
    char why[96];
    if (target == NULL) {
        snprintf(why, sizeof why, "player %u is not another member of '%s'", (unsigned)to, l->name);
        server_refuse_chat(s, handle, msg_id, PROTO_REFUSE_NO_SUCH_PLAYER, why);
        return;
    }
    if (server_seat_session(s, target) == NULL) {
        snprintf(why, sizeof why, "%s is reconnecting and cannot receive it", target->name);
        server_refuse_chat(s, handle, msg_id, PROTO_REFUSE_UNREACHABLE, why);
        return;
    }
    proto_msg ack = {.type = PROTO_CHAT_ACK};
    ack.u.chat_ack.msg_id = msg_id;
    ack.u.chat_ack.seq = 0;
    replies_to_one(s->out, handle, &ack, PROTO_CHANNEL_RELIABLE, true);
    proto_msg relay = {.type = PROTO_DIRECT_CHAT_RELAY};
    relay.u.direct_chat_relay.from_id = se->player_id;
    relay.u.direct_chat_relay.text = m->u.direct_chat.text;
    replies_to_one(s->out, target->session, &relay, PROTO_CHANNEL_RELIABLE, true);
    s->stats->direct_chats++;
    log_info("server", "direct chat lobby=%s from=%u to=%u bytes=%zu", l->name, se->player_id, to,
             m->u.direct_chat.text.len);
}
