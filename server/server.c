#include "server.h"

#include "log.h"
#include "server_ctx.h"
#include "server_lobby_msgs.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MALFORMED_LOG_INTERVAL_US = 10 * 1000 * 1000,
    TICK_INTERVAL_US = 100 * 1000,
};

/* Private to this file: everything else reaches the modules through the
 * server_ctx (server_ctx.h) or the public functions (server.h). */
struct server {
    server_config cfg;
    sessions *sessions; /* the session table, player ids and counts */
    lobby_set lobbies;
    replies replies;    /* the outbox, and the counts of what goes out */
    server_stats stats; /* each module writes its own fields (server_stats.h) */
    bool shutting_down;
    uint64_t next_tick_us;
    uint64_t next_snapshot_us;
    uint64_t next_member_stats_us;
    uint32_t tick;   /* snapshot ticks so far: the clock of countdowns and game starts */
    uint64_t unix_s; /* wall clock, UTC seconds (server_set_unix_time) */
    rate_bucket resume_buckets[RESUME_BUCKETS];
    addr_budget list_budget; /* LOBBY_LIST bytes per address */
    rate_bucket create_buckets[RESUME_BUCKETS];
    chat chat; /* the one path of a chat line into a lobby */
    /* Where LOBBY_STATE and LOBBY_LIST are built, one at a time; a list's
     * rows (about 20 KB) go in list_rows, which scratch then points at. */
    proto_msg scratch;
    proto_lobby_entry list_rows[PROTO_MAX_LIST_ENTRIES];
    server_cluster_state cluster;
    server_ctx ctx; /* pointers to the above, handed to handlers */
};

void server_config_defaults(server_config *cfg)
{
    cfg->max_players = 256;
    cfg->max_sessions = 256 + 64;
    cfg->max_lobbies = 64;
    cfg->lobby_capacity = 16;
    cfg->lobby_grace_ms = 30000;
    cfg->kick_cooldown_ms = 60000;
    cfg->countdown_ms = 3000;
    cfg->handshake_timeout_ms = 5000;
    cfg->chat_per_s = 5.0;
    cfg->chat_burst = 10.0;
    cfg->malformed_limit = 16;
    cfg->flood_limit = 30;
    cfg->position_per_s = 60.0;
    cfg->position_burst = 30.0;
    cfg->member_stats_ms = 1000;
    cfg->grace_ms = 30000;
    /* A household whose router drops: four players' seats kept at once. */
    cfg->max_held_seats_per_holder = 4;
    cfg->max_lobbies_per_holder = 3;
    cfg->lobby_creates_per_s = 0.2;
    cfg->lobby_share_percent = 50;
    cfg->max_browsing_per_address = 8;
    cfg->max_handshakes_per_address = 8;
    cfg->browse_idle_ms = 60000;
    cfg->resume_per_s = 1.0;
    cfg->snapshot_hz = 30;
    cfg->snapshot_full = false;
    cfg->list_bytes_per_s = 64.0 * 1024;
    cfg->list_burst_bytes = 256.0 * 1024;
    cfg->random_bytes = NULL;
    cfg->random_user = NULL;
    cfg->auth_required = false; /* open, as before version 5 */
    memset(cfg->auth_public_key, 0, sizeof cfg->auth_public_key);
}

/* The OS's CSPRNG; fails rather than hand out a guessable token. */
static int os_random_bytes(void *user, uint8_t *buf, size_t n)
{
    (void)user;
    while (n > 0) {
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0 && errno != EINTR)
            return -1;
        if (got > 0)
            buf += got, n -= (size_t)got;
    }
    return 0;
}

int server_create(const server_config *cfg, server **out)
{
    /* Negated comparisons so that NaN rates are refused too. Player ids are 16
     * bits and never 0, which bounds max_players. */
    if (cfg->max_players == 0 || cfg->max_players >= SESSIONS_PLAYER_ID_SPACE - 1 ||
        cfg->max_sessions < cfg->max_players || !(cfg->chat_burst >= 1.0) ||
        !(cfg->chat_per_s > 0.0) || cfg->malformed_limit == 0 || !(cfg->resume_per_s > 0.0) ||
        !(cfg->position_per_s > 0.0) || !(cfg->position_burst >= 1.0) || cfg->flood_limit == 0 ||
        cfg->snapshot_hz == 0 || cfg->snapshot_hz > 1000 || cfg->countdown_ms == 0 ||
        cfg->countdown_ms > 600000 || !(cfg->list_bytes_per_s > 0.0) ||
        !(cfg->list_burst_bytes > 0.0) || cfg->max_lobbies_per_holder == 0 ||
        !(cfg->lobby_creates_per_s > 0.0) || cfg->lobby_share_percent == 0 ||
        cfg->lobby_share_percent > 100 || cfg->max_browsing_per_address == 0 ||
        cfg->max_handshakes_per_address == 0)
        return SERVER_ERR_CONFIG;
    server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SERVER_ERR_NOMEM;
    s->cfg = *cfg;
    if (s->cfg.random_bytes == NULL)
        s->cfg.random_bytes = os_random_bytes;
    int no_table = sessions_create(cfg->max_sessions, &s->sessions);
    int err = lobby_set_init(&s->lobbies, cfg->max_lobbies, cfg->lobby_capacity);
    if (no_table != 0 || err != LOBBY_OK) {
        if (err == LOBBY_OK)
            lobby_set_deinit(&s->lobbies);
        sessions_destroy(s->sessions);
        free(s);
        return err == LOBBY_ERR_ARG ? SERVER_ERR_CONFIG : SERVER_ERR_NOMEM;
    }
    if (addr_budget_init(&s->list_budget, cfg->max_sessions, cfg->list_bytes_per_s,
                         cfg->list_burst_bytes) != 0 ||
        server_cluster_init(&s->cluster, cfg->max_sessions) != 0) {
        addr_budget_deinit(&s->list_budget);
        lobby_set_deinit(&s->lobbies);
        sessions_destroy(s->sessions);
        free(s);
        return SERVER_ERR_NOMEM;
    }
    replies_init(&s->replies, &s->stats);
    chat_init(&s->chat, &s->cfg, &s->replies, &s->stats);
    s->ctx = (server_ctx){.cfg = &s->cfg,
                          .sessions = s->sessions,
                          .lobbies = &s->lobbies,
                          .out = &s->replies,
                          .chat = &s->chat,
                          .stats = &s->stats,
                          .tick = &s->tick,
                          .unix_s = &s->unix_s,
                          .shutting_down = &s->shutting_down,
                          .resume_buckets = s->resume_buckets,
                          .list_budget = &s->list_budget,
                          .create_buckets = s->create_buckets,
                          .scratch = &s->scratch,
                          .list_rows = s->list_rows,
                          .cluster = &s->cluster};
    *out = s;
    return SERVER_OK;
}

void server_destroy(server *s)
{
    if (s == NULL)
        return;
    replies_deinit(&s->replies);
    server_cluster_deinit(&s->cluster);
    addr_budget_deinit(&s->list_budget);
    lobby_set_deinit(&s->lobbies);
    sessions_destroy(s->sessions);
    free(s);
}

const char *server_strerror(int err)
{
    switch (err) {
    case SERVER_OK:
        return "ok";
    case SERVER_ERR_CONFIG:
        return "invalid server configuration";
    case SERVER_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown server error";
}

server_ctx *server_context(server *srv)
{
    return &srv->ctx;
}

const server_ctx *server_context_const(const server *srv)
{
    return &srv->ctx;
}

outbox *server_outbox(server *s)
{
    return &s->replies.out;
}

void server_set_chat_tap(server *s, server_chat_tap tap, void *user)
{
    chat_set_tap(&s->chat, tap, user);
}

const server_stats *server_get_stats(const server *s)
{
    return &s->stats;
}

uint32_t server_player_count(const server *s)
{
    return sessions_player_count(s->sessions);
}

uint32_t server_session_count(const server *s)
{
    return sessions_open_count(s->sessions);
}

const lobby_set *server_lobbies(const server *s)
{
    return &s->lobbies;
}

bool server_shutting_down(const server *s)
{
    return s->shutting_down;
}

const char *server_malformed_kind_name(int kind)
{
    switch (kind) {
    case SERVER_MALFORMED_TRUNCATED:
        return "truncated";
    case SERVER_MALFORMED_TRAILING:
        return "trailing_bytes";
    case SERVER_MALFORMED_UNKNOWN_TYPE:
        return "unknown_type";
    case SERVER_MALFORMED_BAD_VALUE:
        return "bad_value";
    case SERVER_MALFORMED_WRONG_STATE:
        return "wrong_state";
    case SERVER_MALFORMED_EMPTY:
        return "empty";
    case SERVER_MALFORMED_WRONG_CHANNEL:
        return "wrong_channel";
    }
    return "unknown";
}

/* ---- closing sessions ----------------------------------------------------- */

lobby *server_session_lobby(server_ctx *s, const session *se)
{
    int index = lobby_ref_index(s->lobbies, se->lobby);
    return index < 0 ? NULL : &s->lobbies->lobbies[index];
}

int server_session_lobby_index(const server_ctx *s, const session *se)
{
    return lobby_ref_index(s->lobbies, se->lobby);
}

void server_bind_session(server_ctx *s, uint32_t handle, uint16_t player_id, int lobby_index)
{
    lobby_player *p = lobby_player_find(&s->lobbies->lobbies[lobby_index], player_id);
    const session *se = sessions_at(s->sessions, handle);
    proto_str name = {p != NULL ? p->name : se->name, p != NULL ? p->name_len : se->name_len};
    sessions_bind(s->sessions, handle, player_id, lobby_ref_of(s->lobbies, lobby_index), name);
    if (p != NULL)
        p->session_gen = se->gen; /* the seat's reference: slot and generation */
}

const session *server_seat_session(const server_ctx *s, const lobby_player *p)
{
    if (p->session == LOBBY_NO_SESSION)
        return NULL;
    session_ref ref = {p->session, p->session_gen};
    return sessions_resolve(s->sessions, ref);
}

void server_fresh_limits(server_ctx *s, uint32_t handle, uint64_t now_us)
{
    double burst[SESSION_BUCKETS] = {
        [SESSION_BUCKET_CHAT] = s->chat->burst,
        [SESSION_BUCKET_FLOOD] = chat_flood_burst(s->chat),
        [SESSION_BUCKET_LOBBY] = LOBBY_OPS_BURST,
        [SESSION_BUCKET_POSITION] = s->cfg->position_burst,
    };
    sessions_fresh_limits(s->sessions, handle, burst, now_us);
}

void server_to_browsing(server_ctx *s, uint32_t handle)
{
    sessions_to_browsing(s->sessions, handle, (*s->tick));
}

void server_remove_player(server_ctx *s, int lobby_index, uint16_t player_id,
                          proto_leave_reason why)
{
    if (lobby_index < 0) /* a stale lobby reference: nothing to leave */
        return;
    lobby *l = &s->lobbies->lobbies[lobby_index];
    lobby_player *p = lobby_player_find(l, player_id);
    if (p == NULL)
        return;
    /* At a shutdown every session is closed as if kicked; say what it was. */
    log_info("server", "leave lobby=%s player=%s id=%u reason=%s", l->name, p->name, player_id,
             (*s->shutting_down) ? "shutdown" : proto_leave_text(why));
    char cancel_text[96];
    snprintf(cancel_text, sizeof cancel_text, "%s %s", p->name,
             why == PROTO_LEAVE_KICKED ? "was kicked" : "left");
    unsigned changed = lobby_leave(s->lobbies, lobby_index, player_id);
    proto_msg left = {.type = PROTO_PLAYER_LEFT};
    left.u.left.id = player_id;
    left.u.left.reason = (uint8_t)why;
    if (!(*s->shutting_down)) { /* everyone is being disconnected anyway */
        replies_to_lobby(s->out, l, player_id, &left, PROTO_CHANNEL_RELIABLE, true);
        if (changed & LOBBY_LEFT_COUNTDOWN_CANCELLED)
            server_countdown_cancelled(s, l, player_id, cancel_text);
        else
            server_send_lobby_state(s, l);
    }
    sessions_release_player_id(s->sessions, player_id);
    s->stats->leaves[(*s->shutting_down) ? 0 : why]++;
}

static void remove_player(server_ctx *s, const session *se, proto_leave_reason why)
{
    server_remove_player(s, server_session_lobby_index(s, se), se->player_id, why);
}

bool server_new_token(server_ctx *s, lobby_player *p)
{
    if (s->cfg->random_bytes(s->cfg->random_user, p->token, PROTO_TOKEN_BYTES) == 0)
        return true;
    log_error("server", "no randomness for session tokens");
    return false;
}

/* The holder's held seats (any lobby): how many, and the oldest. */
static uint32_t held_seats_of(server_ctx *s, uint64_t holder, int *oldest_lobby,
                              uint16_t *oldest_id)
{
    uint32_t n = 0;
    uint64_t oldest_us = UINT64_MAX;
    for (uint32_t i = 0; i < s->lobbies->max_lobbies; i++) {
        const lobby *l = &s->lobbies->lobbies[i];
        for (unsigned k = 0; l->in_use && k < l->count; k++) {
            const lobby_player *p = &l->players[k];
            if (p->session != LOBBY_NO_SESSION || p->holder != holder)
                continue;
            n++;
            if (p->away_since_us < oldest_us) {
                oldest_us = p->away_since_us;
                *oldest_lobby = (int)i;
                *oldest_id = p->id;
            }
        }
    }
    return n;
}

/* A holder past max_held_seats_per_holder gives up its oldest held seat for
 * the new one: a household's router drop keeps everyone's seat, one address
 * joining and vanishing in a loop cannot pile up seats nobody will take. */
static void make_room_to_hold(server_ctx *s, uint64_t holder)
{
    int lobby_index = -1;
    uint16_t id = 0;
    if (held_seats_of(s, holder, &lobby_index, &id) < s->cfg->max_held_seats_per_holder)
        return;
    s->stats->quota_hits[SERVER_QUOTA_HELD_SEATS]++;
    server_remove_player(s, lobby_index, id, PROTO_LEAVE_TIMEOUT);
}

/* A player whose connection timed out keeps its seat for the grace period;
 * the others see it as reconnecting, not gone. */
static void hold_seat(server_ctx *s, const session *se, uint64_t now_us)
{
    lobby *l = server_session_lobby(s, se);
    lobby_player *p = lobby_player_find(l, se->player_id);
    if (p == NULL)
        return;
    if (s->cfg->max_held_seats_per_holder == 0) {
        remove_player(s, se, PROTO_LEAVE_TIMEOUT);
        return;
    }
    make_room_to_hold(s, p->holder);
    p = lobby_player_find(l, se->player_id); /* the lobby's players may have moved */
    p->session = LOBBY_NO_SESSION;
    p->away_since_us = now_us;
    s->stats->seats_held++;
    log_info("server", "reconnecting lobby=%s player=%s id=%u: seat held for %u ms", l->name,
             p->name, p->id, (unsigned)s->cfg->grace_ms);
    proto_msg m = {.type = PROTO_PLAYER_STATUS};
    m.u.player_status.id = p->id;
    m.u.player_status.status = PROTO_STATUS_RECONNECTING;
    replies_to_lobby(s->out, l, p->id, &m, PROTO_CHANNEL_RELIABLE, true);
    /* A member that cannot hear GAME_STARTING must not be started without. */
    if (lobby_cancel_countdown(l)) {
        char text[96];
        snprintf(text, sizeof text, "%s lost the connection", p->name);
        server_countdown_cancelled(s, l, p->id, text);
    }
}

/* Queues a disconnect with a reason; the slot is freed when ENet reports the
 * peer gone (server_on_disconnect), never in the middle of a pass. */
void server_close_session(server_ctx *s, uint32_t handle, proto_reason reason)
{
    const session *se = sessions_at(s->sessions, handle);
    if (se->state == SESSION_JOINED)
        remove_player(s, se, PROTO_LEAVE_KICKED);
    sessions_mark_closing(s->sessions, handle);
    replies_disconnect(s->out, handle, reason);
}

/* Tells the peer why in a REJECT (text and code), then disconnects it. */
void server_reject(server_ctx *s, uint32_t handle, proto_reason reason, const char *fmt, ...)
{
    char text[PROTO_MAX_STR8_BYTES + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    replies_reject(s->out, handle, sessions_at(s->sessions, handle)->label, reason, text);
    server_close_session(s, handle, reason);
}

/* Counts a malformed or out-of-state message; logs the first one per peer and
 * then at most one summary line every 10 s; kicks past the limit. */
void server_malformed(server_ctx *s, uint32_t handle, uint64_t now_us, server_malformed_kind kind,
                      const char *what)
{
    const session *se = sessions_at(s->sessions, handle);
    s->stats->malformed++;
    s->stats->malformed_by[kind]++;
    uint32_t unlogged = 0;
    if (sessions_note_malformed(s->sessions, handle, now_us, MALFORMED_LOG_INTERVAL_US, &unlogged))
        log_warn("server", "malformed message from peer=%s: %s (%u so far, %u not logged)",
                 se->label, what, se->malformed, unlogged);
    if (se->malformed >= s->cfg->malformed_limit) {
        log_warn("server", "kick peer=%s: %u malformed messages", se->label, se->malformed);
        s->stats->kicks++;
        server_close_session(s, handle, PROTO_REASON_PROTOCOL_VIOLATION);
    }
}

/* ---- connection events ---------------------------------------------------- */

void server_on_connect(server *s, uint32_t handle, uint32_t connect_data, size_t channel_count,
                       uint32_t ip, const char *peer_label, uint64_t now_us)
{
    if (!sessions_open(s->sessions, handle, peer_label, ip, now_us)) {
        log_error("server", "transport reused session %u while in use", handle);
        return;
    }
    s->stats.connects++;
    uint16_t version;
    if (s->shutting_down)
        server_reject(&s->ctx, handle, PROTO_REASON_SHUTTING_DOWN, "server is shutting down");
    else if (!proto_connect_version(connect_data, &version))
        server_reject(&s->ctx, handle, PROTO_REASON_VERSION_MISMATCH,
                      "not a lobby client (connect data 0x%08x)", (unsigned)connect_data);
    else if (version != PROTO_VERSION)
        server_reject(&s->ctx, handle, PROTO_REASON_VERSION_MISMATCH,
                      "server speaks protocol version %d, client version %u", PROTO_VERSION,
                      (unsigned)version);
    /* With one channel the peer could never receive a snapshot (ENet refuses
     * to send on a channel the peer lacks), so it would sit in a lobby blind. */
    else if (channel_count < PROTO_CHANNEL_COUNT)
        server_reject(&s->ctx, handle, PROTO_REASON_VERSION_MISMATCH,
                      "the protocol needs %d ENet channels, the client asked for %zu",
                      PROTO_CHANNEL_COUNT, channel_count);
    /* Sessions that have not said hello yet hold a slot and cost nothing:
     * one address may have only a few at a time. */
    else if (sessions_count_from(s->sessions, ip, SESSION_HANDSHAKE) >
             s->cfg.max_handshakes_per_address) {
        s->stats.quota_hits[SERVER_QUOTA_HANDSHAKES]++;
        server_reject(&s->ctx, handle, PROTO_REASON_QUOTA,
                      "too many connections from your address waiting for their hello (%u)",
                      (unsigned)s->cfg.max_handshakes_per_address);
    }
}

void server_on_disconnect(server *s, uint32_t handle, uint32_t data, bool said_goodbye,
                          uint64_t now_us)
{
    (void)data; /* what the peer said it left for; said_goodbye is what counts */
    if (handle >= s->cfg.max_sessions || sessions_at(s->sessions, handle)->state == SESSION_FREE)
        return;
    const session *se = sessions_at(s->sessions, handle);
    /* Only a lost connection holds a seat: a peer that sent ENet's
     * DISCONNECT left on purpose, whatever data it gave. */
    bool timed_out = !said_goodbye;
    s->stats.goodbyes += said_goodbye;
    if (se->state == SESSION_JOINED && timed_out && s->cfg.grace_ms > 0 && !s->shutting_down)
        hold_seat(&s->ctx, se, now_us);
    else if (se->state == SESSION_JOINED)
        remove_player(&s->ctx, se, timed_out ? PROTO_LEAVE_TIMEOUT : PROTO_LEAVE_QUIT);
    replies_forget(&s->replies, handle);
    sessions_release(s->sessions, handle);
}

void server_note_link(server *s, uint32_t handle, uint32_t rtt_ms, uint32_t jitter_ms,
                      uint32_t loss_permyriad)
{
    if (handle < s->cfg.max_sessions)
        sessions_note_link(s->sessions, handle, rtt_ms, jitter_ms, loss_permyriad);
}

/* Tells every lobby how each of its members' links look from the server, so a
 * player list can show everyone's round trip, not only one's own. */
static void send_member_stats(server_ctx *s)
{
    for (uint32_t i = 0; i < s->lobbies->max_lobbies; i++) {
        const lobby *l = &s->lobbies->lobbies[i];
        if (!l->in_use || l->count == 0)
            continue;
        proto_msg m = {.type = PROTO_MEMBER_STATS};
        m.u.member_stats.count = l->count;
        for (unsigned k = 0; k < l->count; k++) {
            const session *held = server_seat_session(s, &l->players[k]);
            proto_member_stat none = {0};
            m.u.member_stats.members[k] = held == NULL ? none : held->link;
            m.u.member_stats.members[k].id = l->players[k].id;
        }
        replies_to_lobby(s->out, l, 0, &m, PROTO_CHANNEL_POSITION, false);
    }
}

static void expire_handshakes(server_ctx *s, uint64_t now_us)
{
    uint64_t limit_us = (uint64_t)s->cfg->handshake_timeout_ms * 1000u;
    for (uint32_t i = 0; i < s->cfg->max_sessions; i++) {
        const session *se = sessions_at(s->sessions, i);
        if (se->state == SESSION_HANDSHAKE && now_us - se->connected_us >= limit_us)
            server_reject(s, i, PROTO_REASON_HANDSHAKE_TIMEOUT, "no hello within %u ms",
                          (unsigned)s->cfg->handshake_timeout_ms);
    }
}

/* A browsing session that sends no lobby request for browse_idle_ms holds
 * a slot for nothing (the game client lists every few seconds). */
static void expire_browsing(server_ctx *s, uint64_t now_us)
{
    uint64_t limit_us = (uint64_t)s->cfg->browse_idle_ms * 1000u;
    for (uint32_t i = 0; limit_us > 0 && i < s->cfg->max_sessions; i++) {
        const session *se = sessions_at(s->sessions, i);
        if (se->state == SESSION_BROWSING && now_us - se->last_request_us >= limit_us) {
            s->stats->quota_hits[SERVER_QUOTA_BROWSE_IDLE]++;
            server_reject(s, i, PROTO_REASON_IDLE, "no lobby request for %u ms at the lobby list",
                          (unsigned)s->cfg->browse_idle_ms);
        }
    }
}

/* Seats held longer than the grace period are given up: now the player left. */
static void expire_seats(server_ctx *s, uint64_t now_us)
{
    uint64_t grace_us = (uint64_t)s->cfg->grace_ms * 1000u;
    for (uint32_t i = 0; i < s->lobbies->max_lobbies; i++) {
        lobby *l = &s->lobbies->lobbies[i];
        for (unsigned k = 0; l->in_use && k < l->count; k++) {
            lobby_player *p = &l->players[k];
            if (p->session == LOBBY_NO_SESSION && now_us - p->away_since_us >= grace_us) {
                server_remove_player(s, (int)i, p->id, PROTO_LEAVE_TIMEOUT);
                k--; /* the next player moved into this slot */
            }
        }
    }
}

/* On a fixed grid, so a slow pass delays one snapshot, not all later ones;
 * a pass late by more than a period skips the missed ones. */
static void snapshot_tick(server *s, uint64_t now_us)
{
    if (now_us < s->next_snapshot_us)
        return;
    uint64_t period = 1000000u / s->cfg.snapshot_hz;
    /* The tick counter follows the clock, skipped periods included, so a
     * countdown lasts its time even when passes come late. */
    uint64_t missed = s->next_snapshot_us == 0 ? 0 : (now_us - s->next_snapshot_us) / period;
    s->tick += 1 + (uint32_t)missed;
    server_run_countdowns(&s->ctx, now_us);
    server_send_snapshots(&s->ctx);
    s->next_snapshot_us += period;
    if (s->next_snapshot_us <= now_us)
        s->next_snapshot_us = now_us + period;
}

uint64_t server_next_tick_us(const server *s)
{
    return s->next_snapshot_us < s->next_tick_us ? s->next_snapshot_us : s->next_tick_us;
}

void server_tick(server *s, uint64_t now_us)
{
    snapshot_tick(s, now_us);
    if (now_us < s->next_tick_us)
        return;
    s->next_tick_us = now_us + TICK_INTERVAL_US;
    expire_handshakes(&s->ctx, now_us);
    expire_browsing(&s->ctx, now_us);
    expire_seats(&s->ctx, now_us);
    server_close_idle_lobbies(&s->ctx, now_us);
    server_cluster_tick(&s->ctx, now_us);
    if (s->cfg.member_stats_ms > 0 && now_us >= s->next_member_stats_us) {
        s->next_member_stats_us = now_us + (uint64_t)s->cfg.member_stats_ms * 1000u;
        send_member_stats(&s->ctx);
    }
}

void server_set_unix_time(server *s, uint64_t unix_s)
{
    s->unix_s = unix_s;
}

void server_begin_shutdown(server *s)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    log_info("server", "shutting down: disconnecting %u sessions",
             sessions_open_count(s->sessions));
    for (uint32_t i = 0; i < s->cfg.max_sessions; i++)
        if (sessions_at(s->sessions, i)->state == SESSION_HANDSHAKE ||
            sessions_at(s->sessions, i)->state == SESSION_BROWSING ||
            sessions_at(s->sessions, i)->state == SESSION_JOINED)
            server_close_session(&s->ctx, i, PROTO_REASON_SHUTTING_DOWN);
}
