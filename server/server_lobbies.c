/* Real lobbies in the server core: joining and moving between lobbies,
 * creating them, leaving to the lobby list, and LIST_LOBBIES (the hello's
 * modes are in server_hello.c). The rules themselves are plain data in lobby_rules.c and
 * lobby_list.c; this file turns their answers into messages and log lines.
 * Owner requests and direct messages are in server_lobby_ops.c. */
#include "log.h"
#include "server_ctx.h"
#include "server_handlers.h"
#include "server_lobby_msgs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static proto_str lobby_name_of(const lobby *l)
{
    proto_str out = {l->name, l->name_len};
    return out;
}

static proto_str session_name(const session *se)
{
    proto_str out = {se->name, se->name_len};
    return out;
}

/* The lobby's metadata as the wire carries it (views into l). */
static void meta_of(const lobby *l, proto_meta_list *out)
{
    out->count = l->meta_count;
    for (unsigned i = 0; i < l->meta_count; i++) {
        out->pairs[i].key.bytes = l->meta[i].key;
        out->pairs[i].key.len = l->meta[i].key_len;
        out->pairs[i].value.bytes = l->meta[i].value;
        out->pairs[i].value.len = l->meta[i].value_len;
    }
}

/* PROTO_LOBBYF_* as LOBBY_STATE and LOBBY_LIST carry them. */
static uint8_t lobby_flags(const lobby *l)
{
    return (uint8_t)((l->password_len > 0 ? PROTO_LOBBYF_PASSWORD : 0) |
                     (l->server_owned ? PROTO_LOBBYF_SERVER_OWNED : 0));
}

/* ---- LOBBY_STATE ---------------------------------------------------------- */

static void lobby_state_msg(const server_ctx *s, const lobby *l, proto_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = PROTO_LOBBY_STATE;
    m->u.lobby_state.owner_id = l->owner_id;
    m->u.lobby_state.state = l->state;
    m->u.lobby_state.capacity = l->capacity;
    m->u.lobby_state.flags = lobby_flags(l);
    m->u.lobby_state.max_rtt_ms = l->max_rtt_ms;
    m->u.lobby_state.countdown_ms = server_countdown_left_ms(s, l);
    meta_of(l, &m->u.lobby_state.meta);
    m->u.lobby_state.count = l->count;
    for (unsigned i = 0; i < l->count; i++) {
        m->u.lobby_state.members[i].id = l->players[i].id;
        m->u.lobby_state.members[i].flags = l->players[i].ready ? PROTO_MEMBER_READY : 0;
    }
}

void server_send_lobby_state(server_ctx *s, const lobby *l)
{
    lobby_state_msg(s, l, s->scratch);
    replies_to_lobby(s->out, l, 0, s->scratch, PROTO_CHANNEL_RELIABLE, true);
}

void server_send_lobby_state_to(server_ctx *s, uint32_t handle, const lobby *l)
{
    lobby_state_msg(s, l, s->scratch);
    replies_to_one(s->out, handle, s->scratch, PROTO_CHANNEL_RELIABLE, true);
}

/* ---- refusals ------------------------------------------------------------- */

void server_lobby_refuse(server_ctx *s, uint32_t handle, proto_type request,
                         proto_lobby_refusal reason, const char *fmt, ...)
{
    char text[PROTO_MAX_STR8_BYTES + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    replies_lobby_refused(s->out, handle, sessions_at(s->sessions, handle)->label, request, reason,
                          text, s->msg_now_us);
    server_charge_refusal(s, handle, "kept sending refused lobby requests", s->msg_now_us);
}

/* ---- joining -------------------------------------------------------------- */

/* What a joiner's measured round trip is, for a lobby's max_rtt_ms. */
static uint32_t joiner_rtt(const session *se)
{
    return se->link_measured ? se->link.rtt_ms : LOBBY_RTT_UNMEASURED;
}

int server_admit(server_ctx *s, uint32_t handle, const lobby *l, proto_str password,
                 uint64_t now_us, uint64_t *wait_us)
{
    const session *se = sessions_at(s->sessions, handle);
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (!lobby_name_key(session_name(se), key, &key_len))
        return LOBBY_ERR_ARG;
    if (!sessions_player_room(s->sessions, handle, s->cfg->max_players))
        return LOBBY_ERR_NO_SLOTS;
    lobby_joiner who = {key, key_len, se->holder,
                        lobby_holder_share(l, s->cfg->lobby_share_percent)};
    int err = lobby_admit(l, &who, password, joiner_rtt(se), now_us, wait_us);
    if (err == LOBBY_ERR_QUOTA)
        s->stats->quota_hits[SERVER_QUOTA_LOBBY_SHARE]++;
    return err;
}

/* The holder's lobby-opening bucket, hashed (FNV-1a over its 8 bytes). */
static rate_bucket *create_bucket(server_ctx *s, uint64_t holder)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 8; i++)
        h = (h ^ (uint8_t)(holder >> (8 * i))) * 16777619u;
    return &s->create_buckets[h % RESUME_BUCKETS];
}

/* The holder's lobby quotas: LOBBY_OK, or LOBBY_ERR_QUOTA with why (and
 * counted when take, which also takes the opening's token). */
static int lobby_quota(server_ctx *s, uint64_t holder, uint64_t now_us, bool take, char *why,
                       size_t cap)
{
    uint32_t open = lobby_count_created_by(s->lobbies, holder);
    if (open >= s->cfg->max_lobbies_per_holder) {
        s->stats->quota_hits[SERVER_QUOTA_LOBBIES_OPEN] += take;
        snprintf(why, cap,
                 "your address already has %u lobbies open, the most it may; an empty one "
                 "closes after %u s",
                 (unsigned)open, (unsigned)(s->cfg->lobby_grace_ms / 1000));
        return LOBBY_ERR_QUOTA;
    }
    /* Back to back, as many as it may have open; then a few a minute. */
    double burst = s->cfg->max_lobbies_per_holder;
    rate_bucket *b = create_bucket(s, holder);
    if (b->last_us == 0)
        rate_bucket_init(b, burst, now_us);
    rate_bucket peek = *b;
    if (!rate_bucket_take(take ? b : &peek, s->cfg->lobby_creates_per_s, burst, now_us)) {
        s->stats->quota_hits[SERVER_QUOTA_LOBBY_RATE] += take;
        snprintf(why, cap, "lobbies opened too fast from your address; wait a few seconds");
        return LOBBY_ERR_QUOTA;
    }
    return LOBBY_OK;
}

bool server_may_open_lobby(server_ctx *s, uint64_t holder, uint64_t now_us)
{
    char why[8];
    return lobby_quota(s, holder, now_us, false, why, sizeof why) == LOBBY_OK;
}

int server_open_lobby_for(server_ctx *s, uint64_t holder, proto_str name, uint64_t now_us,
                          char *why, size_t cap)
{
    int err = lobby_quota(s, holder, now_us, true, why, cap);
    if (err != LOBBY_OK)
        return err;
    int index = lobby_open(s->lobbies, name);
    if (index >= 0)
        s->lobbies->lobbies[index].creator = holder;
    else
        snprintf(why, cap, "%s", lobby_strerror(index));
    return index;
}

/* Welcome to the newcomer (the whole lobby, itself included), the new state
 * to everyone, the join to the rest, then the recent chat to the newcomer. */
static void announce_join(server_ctx *s, uint32_t handle, const lobby *l)
{
    const lobby_player *me = &l->players[l->count - 1];
    replies_welcome(s->out, handle, l, me, false);
    server_send_lobby_state(s, l);
    proto_msg joined = {.type = PROTO_PLAYER_JOINED};
    replies_fill_player(&joined.u.joined, me);
    replies_to_lobby(s->out, l, me->id, &joined, PROTO_CHANNEL_RELIABLE, true);
    uint32_t last_seen =
        l->chat_seq > PROTO_JOIN_HISTORY_LINES ? l->chat_seq - PROTO_JOIN_HISTORY_LINES : 0;
    server_replay_chat(s, handle, l, me->id, last_seen);
}

int server_enter_lobby(server_ctx *s, uint32_t handle, int index)
{
    const session *se = sessions_at(s->sessions, handle);
    uint8_t token[PROTO_TOKEN_BYTES];
    /* The only step that can fail after admission: done before anything
     * changes, so a refused move leaves the player where it was. */
    if (s->cfg->random_bytes(s->cfg->random_user, token, sizeof token) != 0) {
        log_error("server", "no randomness for session tokens");
        return LOBBY_ERR_NOMEM;
    }
    if (se->state == SESSION_JOINED) {
        server_remove_player(s, server_session_lobby_index(s, se), se->player_id, PROTO_LEAVE_LEFT);
        server_to_browsing(s, handle);
    }
    uint16_t id = sessions_claim_player_id(s->sessions);
    int joined = lobby_join_at(s->lobbies, index, session_name(se), handle, id);
    if (joined < 0) { /* admitted just before: cannot happen, but never lose a player */
        sessions_release_player_id(s->sessions, id);
        return joined;
    }
    lobby *l = &s->lobbies->lobbies[index];
    memcpy(l->players[l->count - 1].token, token, sizeof token);
    l->players[l->count - 1].holder = se->holder;
    server_bind_session(s, handle, id, index);
    server_cluster_joined(s, handle, l);
    s->stats->joins++;
    log_info("server", "join lobby=%s player=%s id=%u peer=%s players=%u owner=%u", l->name,
             se->name, id, se->label, l->count, l->owner_id);
    announce_join(s, handle, l);
    return LOBBY_OK;
}

/* ---- JOIN_LOBBY, CREATE_LOBBY, LEAVE_LOBBY -------------------------------- */

/* A refused JOIN_LOBBY / CREATE_LOBBY: the detail names the lobby. */
static void refuse_join(server_ctx *s, uint32_t handle, proto_type request, int err, const lobby *l,
                        uint64_t wait_us)
{
    const session *se = sessions_at(s->sessions, handle);
    switch (err) {
    case LOBBY_ERR_WRONG_PASSWORD:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_WRONG_PASSWORD,
                            "lobby '%s' needs the right password", l->name);
        break;
    case LOBBY_ERR_FULL:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_FULL, "lobby '%s' is full (%u players)",
                            l->name, (unsigned)l->capacity);
        break;
    case LOBBY_ERR_STARTED:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_STARTED,
                            "lobby '%s' is starting or in game", l->name);
        break;
    case LOBBY_ERR_KICKED:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_KICKED,
                            "kicked from '%s'; you may rejoin in %u s", l->name,
                            (unsigned)((wait_us + 999999) / 1000000));
        break;
    case LOBBY_ERR_RTT_TOO_HIGH:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_RTT_TOO_HIGH,
                            "your round trip of %u ms is above lobby '%s''s maximum of %u ms",
                            (unsigned)se->link.rtt_ms, l->name, (unsigned)l->max_rtt_ms);
        break;
    case LOBBY_ERR_NAME_TAKEN:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_NAME_TAKEN,
                            "name '%s' is taken in lobby '%s'", se->name, l->name);
        break;
    case LOBBY_ERR_NO_SLOTS:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_SERVER_FULL,
                            "server is full (%u players)", (unsigned)s->cfg->max_players);
        break;
    case LOBBY_ERR_QUOTA:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_QUOTA,
                            "your address already has %u of the %u seats of lobby '%s', the most "
                            "one address may take there",
                            lobby_holder_seats(l, se->holder), (unsigned)l->capacity, l->name);
        break;
    default:
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_SERVER_FULL, "cannot join '%s': %s",
                            l->name, lobby_strerror(err));
    }
}

bool server_lobby_allowed(const server_ctx *s, uint32_t handle, proto_str lobby_name)
{
    const session *se = sessions_at(s->sessions, handle);
    if (se->lobby_only_len == 0)
        return true;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    return lobby_name_key(lobby_name, key, &key_len) && key_len == se->lobby_only_len &&
           memcmp(key, se->lobby_only, key_len) == 0;
}

/* A JOIN_LOBBY's or CREATE_LOBBY's name: the name rules, then the lobby
 * the player's identity token allows; false after a LOBBY_REFUSED. */
static bool lobby_name_ok(server_ctx *s, uint32_t handle, proto_type request, proto_str name)
{
    char why[64];
    text_verdict v = text_check_name(name.bytes, name.len, PROTO_MAX_LOBBY_NAME_BYTES);
    if (v != TEXT_OK) {
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_NAME_INVALID, "lobby name %s",
                            replies_text_problem(v, PROTO_MAX_LOBBY_NAME_BYTES, why, sizeof why));
        return false;
    }
    if (!server_lobby_allowed(s, handle, name)) {
        server_lobby_refuse(s, handle, request, PROTO_LOBBY_AUTH_WRONG_LOBBY,
                            "your identity token does not let you into lobby '%.*s'", (int)name.len,
                            name.bytes);
        return false;
    }
    return true;
}

void server_join_lobby(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    sessions_note_request(s->sessions, handle, now_us);
    proto_str name = m->u.join_lobby.name;
    if (!lobby_name_ok(s, handle, PROTO_JOIN_LOBBY, name))
        return;
    int index = lobby_find(s->lobbies, name);
    const session *asker = sessions_at(s->sessions, handle);
    if (index < 0 && server_cluster_join_elsewhere(s, handle, PROTO_JOIN_LOBBY, name,
                                                   (proto_str){asker->name, asker->name_len}))
        return;
    if (index < 0) {
        server_lobby_refuse(s, handle, PROTO_JOIN_LOBBY, PROTO_LOBBY_UNKNOWN,
                            "no lobby called '%.*s'", (int)name.len, name.bytes);
        return;
    }
    const session *se = sessions_at(s->sessions, handle);
    lobby *l = &s->lobbies->lobbies[index];
    if (se->state == SESSION_JOINED && server_session_lobby_index(s, se) == index) {
        server_lobby_refuse(s, handle, PROTO_JOIN_LOBBY, PROTO_LOBBY_NAME_TAKEN,
                            "you are already in lobby '%s'", l->name);
        return;
    }
    uint64_t wait_us = 0;
    int err = server_admit(s, handle, l, m->u.join_lobby.password, now_us, &wait_us);
    if (err == LOBBY_OK)
        err = server_enter_lobby(s, handle, index);
    if (err != LOBBY_OK)
        refuse_join(s, handle, PROTO_JOIN_LOBBY, err, l, wait_us);
}

static lobby_settings create_settings(const server_ctx *s, const proto_msg *m)
{
    lobby_settings in = {
        .capacity =
            m->u.create_lobby.capacity ? m->u.create_lobby.capacity : s->cfg->lobby_capacity,
        .password = m->u.create_lobby.password,
        .max_rtt_ms = m->u.create_lobby.max_rtt_ms,
        .meta = m->u.create_lobby.meta,
    };
    return in;
}

void server_create_lobby(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    sessions_note_request(s->sessions, handle, now_us);
    proto_str name = m->u.create_lobby.name;
    if (!lobby_name_ok(s, handle, PROTO_CREATE_LOBBY, name))
        return;
    int alike = lobby_find(s->lobbies, name);
    if (alike >= 0) {
        server_lobby_refuse(s, handle, PROTO_CREATE_LOBBY, PROTO_LOBBY_EXISTS,
                            "a lobby called '%s' exists", s->lobbies->lobbies[alike].name);
        return;
    }
    char why[128];
    lobby_settings in = create_settings(s, m);
    if (lobby_check_settings(&in, PROTO_CONFIGURE_ALL, why, sizeof why) != LOBBY_OK) {
        server_lobby_refuse(s, handle, PROTO_CREATE_LOBBY, PROTO_LOBBY_BAD_VALUE, "%s", why);
        return;
    }
    if (!sessions_player_room(s->sessions, handle, s->cfg->max_players)) {
        server_lobby_refuse(s, handle, PROTO_CREATE_LOBBY, PROTO_LOBBY_SERVER_FULL,
                            "server is full (%u players)", (unsigned)s->cfg->max_players);
        return;
    }
    const session *se = sessions_at(s->sessions, handle);
    if (server_cluster_route_new(s, handle, m, name, (proto_str){se->name, se->name_len}, now_us) !=
        SERVER_ROUTE_HERE)
        return;
    int index = server_open_lobby_for(s, se->holder, name, now_us, why, sizeof why);
    if (index == LOBBY_ERR_QUOTA) {
        server_lobby_refuse(s, handle, PROTO_CREATE_LOBBY, PROTO_LOBBY_QUOTA, "%s", why);
        return;
    }
    if (index < 0) {
        server_lobby_refuse(s, handle, PROTO_CREATE_LOBBY, PROTO_LOBBY_NO_SLOTS,
                            "server cannot open more lobbies (%u)",
                            (unsigned)s->lobbies->max_lobbies);
        return;
    }
    lobby *l = &s->lobbies->lobbies[index];
    lobby_configure(l, &in, PROTO_CONFIGURE_ALL, why, sizeof why);
    log_info("server", "create lobby=%s by=%s capacity=%u password=%s max_rtt_ms=%u meta=%u",
             l->name, sessions_at(s->sessions, handle)->name, (unsigned)l->capacity,
             l->password_len ? "yes" : "no", (unsigned)l->max_rtt_ms, (unsigned)l->meta_count);
    s->stats->lobbies_created++;
    int err = server_enter_lobby(s, handle, index);
    if (err != LOBBY_OK) /* the empty lobby closes after the grace time */
        refuse_join(s, handle, PROTO_CREATE_LOBBY, err, l, 0);
}

void server_leave_lobby(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    (void)m;
    sessions_note_request(s->sessions, handle, now_us);
    const session *se = sessions_at(s->sessions, handle);
    const lobby *l = server_session_lobby(s, se);
    char text[64];
    snprintf(text, sizeof text, "left '%s'", l->name);
    server_remove_player(s, server_session_lobby_index(s, se), se->player_id, PROTO_LEAVE_LEFT);
    server_to_browsing(s, handle);
    replies_exited(s->out, handle, PROTO_EXIT_LEFT, text);
}

/* ---- LIST_LOBBIES --------------------------------------------------------- */

static uint16_t median_rtt(const server_ctx *s, const lobby *l)
{
    uint16_t rtts[PROTO_MAX_LOBBY_PLAYERS];
    for (unsigned i = 0; i < l->count; i++) {
        const session *se = server_seat_session(s, &l->players[i]);
        bool known = se != NULL && se->link_measured;
        rtts[i] = known ? se->link.rtt_ms : PROTO_RTT_UNKNOWN;
        if (rtts[i] == PROTO_RTT_UNKNOWN && known)
            rtts[i] = PROTO_RTT_UNKNOWN - 1; /* measured, just enormous */
    }
    return lobby_median_rtt(rtts, l->count);
}

static void fill_entry(const server_ctx *s, const lobby *l, proto_lobby_entry *e)
{
    e->name = lobby_name_of(l);
    /* Seats held for redirected players are taken, as a joiner finds them
     * (held until the tick that expires them, hence no clock here). */
    unsigned taken = l->count + lobby_holds_for_others(l, "", 0, 0);
    e->players = (uint8_t)(taken < l->capacity ? taken : l->capacity);
    e->capacity = l->capacity;
    e->flags = lobby_flags(l);
    e->state = l->state;
    const lobby_player *owner = lobby_player_find((lobby *)l, l->owner_id);
    e->owner.bytes = owner ? owner->name : "";
    e->owner.len = owner ? owner->name_len : 0;
    e->median_rtt_ms = median_rtt(s, l);
    e->max_rtt_ms = l->max_rtt_ms;
    meta_of(l, &e->meta);
}

bool server_lobby_entry(const server *srv, int index, proto_lobby_entry *e)
{
    const server_ctx *s = server_context_const(srv);
    if (index < 0 || (uint32_t)index >= s->lobbies->max_lobbies ||
        !s->lobbies->lobbies[index].in_use)
        return false;
    fill_entry(s, &s->lobbies->lobbies[index], e);
    return true;
}

const proto_msg *server_build_lobby_list(server_ctx *s, const lobby_filter *f, uint32_t request_id)
{
    int found[PROTO_MAX_LIST_ENTRIES];
    uint32_t total;
    size_t n = lobby_list(s->lobbies, f, found, PROTO_MAX_LIST_ENTRIES, &total);
    uint8_t count = (uint8_t)n;
    for (size_t i = 0; i < n; i++)
        fill_entry(s, &s->lobbies->lobbies[found[i]], &s->list_rows[i]);
    server_cluster_list_remote(s, f, s->list_rows, &count, &total);
    proto_msg *out = s->scratch;
    memset(out, 0, sizeof *out);
    out->type = PROTO_LOBBY_LIST;
    out->u.lobby_list.request_id = request_id;
    out->u.lobby_list.total = (uint16_t)(total > UINT16_MAX ? UINT16_MAX : total);
    out->u.lobby_list.count = count;
    out->u.lobby_list.entries = s->list_rows;
    return out;
}

/* A LIST_LOBBIES of a few bytes can draw a LOBBY_LIST of 29 kB, and the
 * lobby-request rate alone (per session, and 64 sessions per address) let
 * one address draw 17 MB/s. So the answers' bytes are charged to the
 * sender's address: while its budget is in debt the request is refused
 * RATE_LIMITED (a few dozen bytes), and what an address receives in lists
 * is bounded by the budget's rate, whatever it asks. */
void server_list_lobbies(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    sessions_note_request(s->sessions, handle, now_us);
    uint64_t payer = sessions_at(s->sessions, handle)->ip;
    if (!addr_budget_allows(s->list_budget, payer, now_us)) {
        s->stats->lists_over_budget++;
        server_lobby_refuse(s, handle, PROTO_LIST_LOBBIES, PROTO_LOBBY_RATE_LIMITED,
                            "lists over %.0f kB/s per address", s->cfg->list_bytes_per_s / 1024.0);
        return;
    }
    lobby_filter f = {.name_contains = m->u.list_lobbies.name_contains,
                      .flags = m->u.list_lobbies.flags,
                      .meta = m->u.list_lobbies.meta};
    const proto_msg *out = server_build_lobby_list(s, &f, m->u.list_lobbies.request_id);
    size_t queued = s->out->out.bytes_len;
    replies_to_one(s->out, handle, out, PROTO_CHANNEL_RELIABLE, true);
    addr_budget_charge(s->list_budget, payer, s->out->out.bytes_len - queued, now_us);
}
