/* The core's side of a cluster: redirects, name claims, tickets and the
 * other servers' lobbies in the list (server_cluster.h; docs/CLUSTER.md).
 * The directory itself is the cluster module's (cluster.c), reached only
 * through the hooks of server.h, so this file stays free of I/O. */
#include "server_cluster.h"

#include "log.h"
#include "server_ctx.h"
#include "server_handlers.h"
#include "server_lobby_msgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int request_index(uint8_t request)
{
    return request == PROTO_HELLO ? 0 : request == PROTO_CREATE_LOBBY ? 1 : 2;
}

static bool same_key(proto_str a, const char *key, uint8_t key_len)
{
    char k[LOBBY_NAME_KEY_BYTES];
    uint8_t len;
    return lobby_name_key(a, k, &len) && len == key_len && memcmp(k, key, len) == 0;
}

/* A refusal of a request that would open a lobby: a REJECT for a HELLO, a
 * LOBBY_REFUSED for a CREATE_LOBBY. */
static void refuse_new(server_ctx *s, uint32_t handle, uint8_t request, proto_reason reject,
                       proto_lobby_refusal refusal, const char *text)
{
    if (request == PROTO_HELLO)
        server_reject(s, handle, reject, "%s", text);
    else
        server_lobby_refuse(s, handle, request, refusal, "%s", text);
}

/* Signs a ticket for where and sends the REDIRECT that carries it. */
static void send_redirect(server_ctx *s, uint32_t handle, uint8_t request, proto_str lobby_name,
                          proto_str player, const server_remote *where, uint8_t kind)
{
    server_cluster_state *cs = s->cluster;
    uint8_t ticket[SERVER_TICKET_MAX_BYTES];
    server_ticket_ask what = {player, lobby_name, false};
    uint64_t holder = sessions_at(s->sessions, handle)->holder;
    int n =
        cs->hooks.issue_ticket(cs->hooks.user, where, &what, kind, holder, ticket, sizeof ticket);
    if (n <= 0) {
        log_error("cluster", "cannot sign a ticket for lobby=%.*s server=%s", (int)lobby_name.len,
                  lobby_name.bytes, where->id);
        refuse_new(s, handle, request, PROTO_REASON_SERVER_FULL, PROTO_LOBBY_SERVER_FULL,
                   "the cluster cannot issue a ticket now; try again");
        return;
    }
    char text[SERVER_ID_MAX_BYTES + SERVER_HOST_MAX_BYTES + 64];
    snprintf(text, sizeof text, "lobby '%.*s' is on server %s at %s:%u", (int)lobby_name.len,
             lobby_name.bytes, where->id, where->host, (unsigned)where->port);
    proto_msg m = {.type = PROTO_REDIRECT};
    m.u.redirect.request = request;
    m.u.redirect.lobby = lobby_name;
    m.u.redirect.host = proto_str_from_cstr(where->host);
    m.u.redirect.port = where->port;
    m.u.redirect.server_id = proto_str_from_cstr(where->id);
    m.u.redirect.ticket = (proto_str){(const char *)ticket, (size_t)n};
    m.u.redirect.text = proto_str_from_cstr(text);
    replies_to_one(s->out, handle, &m, PROTO_CHANNEL_RELIABLE, true);
    s->stats->redirects_sent[request_index(request)]++;
    log_info("cluster", "redirect player=%.*s lobby=%.*s to=%s (%s:%u) kind=%s", (int)player.len,
             player.bytes, (int)lobby_name.len, lobby_name.bytes, where->id, where->host,
             (unsigned)where->port, kind == SERVER_TICKET_JOIN ? "join" : "place");
}

bool server_cluster_join_elsewhere(server_ctx *s, uint32_t handle, proto_type request,
                                   proto_str name, proto_str player)
{
    server_cluster_state *cs = s->cluster;
    server_remote where;
    if (!cs->on || !cs->hooks.find_lobby(cs->hooks.user, name, &where))
        return false;
    send_redirect(s, handle, request, name, player, &where, SERVER_TICKET_JOIN);
    return true;
}

static server_claim *claim_of(server_cluster_state *cs, uint32_t handle)
{
    return handle < cs->claim_slots ? &cs->claims[handle] : NULL;
}

/* The leader of a claim in flight for key, if any. */
static const server_claim *leader_for(const server_cluster_state *cs, const char *key,
                                      uint8_t key_len)
{
    for (uint32_t i = 0; i < cs->claim_slots; i++) {
        const server_claim *c = &cs->claims[i];
        if (c->in_use && c->leads && c->key_len == key_len && memcmp(c->key, key, key_len) == 0)
            return c;
    }
    return NULL;
}

/* Keeps m in the session's place until the directory answers for its
 * lobby's name: follows a claim in flight for the same name, or sends one.
 * False when it cannot wait (no directory to ask now: open it here). */
static bool wait_for_claim(server_ctx *s, uint32_t handle, const proto_msg *m, proto_str name,
                           uint64_t now_us)
{
    server_cluster_state *cs = s->cluster;
    server_claim *c = claim_of(cs, handle);
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    int len = c ? proto_encode(m, c->msg, sizeof c->msg) : -1;
    if (len <= 0 || !lobby_name_key(name, key, &key_len))
        return false; /* cannot happen: a request that decoded encodes; a valid name has a key */
    c->leads = leader_for(cs, key, key_len) == NULL;
    if (c->leads) {
        c->serial = ++cs->next_serial % (UINT32_MAX / SERVER_CLAIM_ID_SLOTS);
        uint32_t id = c->serial * SERVER_CLAIM_ID_SLOTS + handle;
        if (!cs->hooks.claim_lobby(cs->hooks.user, name, id))
            return false;
    }
    c->in_use = true;
    c->gen = sessions_at(s->sessions, handle)->gen;
    c->since_us = now_us;
    c->key_len = key_len;
    memcpy(c->key, key, key_len);
    c->len = (uint16_t)len;
    return true;
}

/* Where a lobby not open anywhere goes: elsewhere (redirected, true), or
 * here (false); a draining server with nowhere to send it refuses (true). */
static bool placed_elsewhere(server_ctx *s, uint32_t handle, uint8_t request, proto_str name,
                             proto_str player)
{
    server_cluster_state *cs = s->cluster;
    server_remote where;
    if (cs->hooks.place_lobby(cs->hooks.user, cs->draining, &where)) {
        send_redirect(s, handle, request, name, player, &where, SERVER_TICKET_PLACE);
        return true;
    }
    if (!cs->draining)
        return false;
    refuse_new(s, handle, request, PROTO_REASON_TOO_MANY_LOBBIES, PROTO_LOBBY_NO_SLOTS,
               "this server is draining and no other server can take a new lobby");
    return true;
}

server_route server_cluster_route_new(server_ctx *s, uint32_t handle, const proto_msg *m,
                                      proto_str name, proto_str player, uint64_t now_us)
{
    server_cluster_state *cs = s->cluster;
    uint8_t request = (uint8_t)m->type;
    if (!cs->on) {
        if (!cs->draining)
            return SERVER_ROUTE_HERE;
        refuse_new(s, handle, request, PROTO_REASON_TOO_MANY_LOBBIES, PROTO_LOBBY_NO_SLOTS,
                   "this server is draining: it opens no new lobbies");
        return SERVER_ROUTE_DONE;
    }
    if (cs->claim_granted)
        return SERVER_ROUTE_HERE;
    const session *se = sessions_at(s->sessions, handle);
    bool ticketed = se->ticket_kind != 0 && same_key(name, se->ticket_lobby, se->ticket_lobby_len);
    server_remote where;
    if (cs->hooks.find_lobby(cs->hooks.user, name, &where)) {
        if (request == PROTO_HELLO) {
            send_redirect(s, handle, request, name, player, &where, SERVER_TICKET_JOIN);
        } else {
            char text[160];
            snprintf(text, sizeof text, "a lobby called '%.*s' is open on server %s", (int)name.len,
                     name.bytes, where.id);
            refuse_new(s, handle, request, PROTO_REASON_LOBBY_INVALID, PROTO_LOBBY_EXISTS, text);
        }
        return SERVER_ROUTE_DONE;
    }
    if (!ticketed && placed_elsewhere(s, handle, request, name, player))
        return SERVER_ROUTE_DONE;
    if (!server_may_open_lobby(s, se->holder, now_us))
        return SERVER_ROUTE_HERE; /* refused QUOTA there, and no name claimed for it */
    const server_claim *waiting = claim_of(cs, handle);
    if (waiting != NULL && waiting->in_use && waiting->gen == se->gen) {
        /* One request in flight per session: a second HELLO is a protocol
         * violation, a second CREATE_LOBBY comes too soon. */
        refuse_new(s, handle, request, PROTO_REASON_PROTOCOL_VIOLATION, PROTO_LOBBY_RATE_LIMITED,
                   "your previous lobby request is still waiting for the cluster directory");
        return SERVER_ROUTE_DONE;
    }
    if (wait_for_claim(s, handle, m, name, now_us))
        return SERVER_ROUTE_DONE;
    return SERVER_ROUTE_HERE; /* no directory to ask now: open it here, claimed later */
}

/* Handles a request held for its claim again, as if it had just arrived,
 * opening its lobby here without asking a second time. */
static void handle_again(server_ctx *s, uint32_t handle, const server_claim *c, uint64_t now_us)
{
    proto_msg m;
    if (proto_decode(c->msg, c->len, &m) != PROTO_OK)
        return; /* encoded by us: cannot happen */
    s->cluster->claim_granted = true;
    if (m.type == PROTO_HELLO)
        server_hello(s, handle, &m, now_us);
    else
        server_create_lobby(s, handle, &m, now_us);
    s->cluster->claim_granted = false;
}

/* The claim's session is still the one that asked, and still there. */
static bool claim_session_live(const server_ctx *s, uint32_t handle, const server_claim *c)
{
    const session *se = sessions_at(s->sessions, handle);
    return se->gen == c->gen && se->state != SESSION_FREE && se->state != SESSION_CLOSING;
}

static void lost_claim(server_ctx *s, uint32_t handle, const server_claim *c, proto_str owner,
                       const server_remote *where)
{
    proto_msg m;
    if (proto_decode(c->msg, c->len, &m) != PROTO_OK)
        return;
    const session *se = sessions_at(s->sessions, handle);
    proto_str player = {se->name, se->name_len};
    if (m.type == PROTO_HELLO && where != NULL) {
        proto_str lobby_name = m.u.hello.lobby;
        send_redirect(s, handle, PROTO_HELLO, lobby_name, player, where, SERVER_TICKET_JOIN);
        return;
    }
    proto_str lobby_name = m.type == PROTO_HELLO ? m.u.hello.lobby : m.u.create_lobby.name;
    char text[200];
    snprintf(text, sizeof text, "a lobby called '%.*s' was just opened on server %.*s",
             (int)lobby_name.len, lobby_name.bytes, (int)owner.len, owner.bytes);
    refuse_new(s, handle, (uint8_t)m.type, PROTO_REASON_LOBBY_INVALID, PROTO_LOBBY_EXISTS, text);
}

/* The answer for one waiting request: handled again (won, or unanswered),
 * or told who has the name. Its place is free first, so the request can
 * wait again should it need to. */
static void resolve(server_ctx *s, uint32_t handle, server_claim *c, bool won, proto_str owner,
                    const server_remote *where, uint64_t now_us)
{
    server_claim copy = *c;
    c->in_use = false;
    if (!claim_session_live(s, handle, &copy))
        return;
    if (won)
        handle_again(s, handle, &copy, now_us);
    else
        lost_claim(s, handle, &copy, owner, where);
}

void server_on_claim(server *srv, uint32_t claim_id, bool won, proto_str owner,
                     const server_remote *where, uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    server_cluster_state *cs = s->cluster;
    uint32_t handle = claim_id % SERVER_CLAIM_ID_SLOTS;
    server_claim *lead = claim_of(cs, handle);
    if (lead == NULL || !lead->in_use || !lead->leads ||
        lead->serial != claim_id / SERVER_CLAIM_ID_SLOTS)
        return; /* answered late: it was handled when its wait ran out */
    if (won)
        s->stats->claims_won++;
    else
        s->stats->claims_lost++;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len = lead->key_len;
    memcpy(key, lead->key, key_len);
    resolve(s, handle, lead, won, owner, where, now_us);
    for (uint32_t i = 0; i < cs->claim_slots; i++) {
        server_claim *c = &cs->claims[i];
        if (c->in_use && !c->leads && c->key_len == key_len && memcmp(c->key, key, key_len) == 0)
            resolve(s, i, c, won, owner, where, now_us);
    }
}

bool server_cluster_hello_ticket(server_ctx *s, uint32_t handle, const proto_msg *m, proto_str name)
{
    proto_str ticket = m->u.hello.ticket;
    if (ticket.len == 0)
        return true;
    server_cluster_state *cs = s->cluster;
    server_ticket_ask ask = {name, m->u.hello.lobby, m->u.hello.mode == PROTO_HELLO_BROWSE};
    if (ask.lobby.len == 0)
        ask.lobby = proto_str_from_cstr(PROTO_DEFAULT_LOBBY);
    server_ticket_info info;
    char why[128] = "";
    int verdict = PROTO_REASON_TICKET_INVALID;
    if (!cs->on)
        snprintf(why, sizeof why, "this server is not in a cluster");
    else
        verdict = cs->hooks.check_ticket(cs->hooks.user, ticket, &ask, &info, why, sizeof why);
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len = 0;
    if (verdict == 0 && !lobby_name_key((proto_str){info.lobby, info.lobby_len}, key, &key_len))
        verdict = PROTO_REASON_TICKET_INVALID; /* a decoded lobby name always has a key */
    if (verdict != 0) {
        s->stats->tickets_refused[verdict - PROTO_REASON_TICKET_INVALID]++;
        server_reject(s, handle, (proto_reason)verdict, "ticket refused: %s", why);
        return false;
    }
    sessions_set_ticket(s->sessions, handle, info.kind, key, key_len);
    return true;
}

void server_cluster_joined(server_ctx *s, uint32_t handle, lobby *l)
{
    const session *se = sessions_at(s->sessions, handle);
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (lobby_name_key((proto_str){se->name, se->name_len}, key, &key_len))
        lobby_use_hold(l, key, key_len);
    if (se->ticket_kind == 0 || se->ticket_lobby_len != l->key_len ||
        memcmp(se->ticket_lobby, l->key, l->key_len) != 0)
        return;
    s->stats->redirects_honoured++;
    sessions_set_ticket(s->sessions, handle, 0, NULL, 0);
}

typedef struct remote_rows {
    const lobby_filter *f;
    proto_str needle_key;
    proto_lobby_entry *rows;
    uint8_t *count;
    uint32_t *total;
} remote_rows;

static bool add_remote_row(void *ctx, const proto_lobby_entry *e, proto_str key)
{
    remote_rows *r = ctx;
    if (!lobby_entry_matches(e, key, r->f, r->needle_key))
        return true;
    if (*r->count < PROTO_MAX_LIST_ENTRIES)
        r->rows[(*r->count)++] = *e;
    (*r->total)++;
    return true;
}

void server_cluster_list_remote(server_ctx *s, const lobby_filter *f, proto_lobby_entry *rows,
                                uint8_t *count, uint32_t *total)
{
    server_cluster_state *cs = s->cluster;
    if (!cs->on)
        return;
    /* The needle's key once, not once per lobby of the whole cluster. */
    char needle[LOBBY_NAME_KEY_BYTES];
    uint8_t needle_len = 0;
    proto_str needle_key = {"", 0};
    if (f->name_contains.len > 0)
        needle_key = lobby_name_key(f->name_contains, needle, &needle_len)
                         ? (proto_str){needle, needle_len}
                         : (proto_str){NULL, 0};
    remote_rows r = {f, needle_key, rows, count, total};
    cs->hooks.each_remote_lobby(cs->hooks.user, add_remote_row, &r);
}

void server_cluster_tick(server_ctx *s, uint64_t now_us)
{
    for (uint32_t i = 0; i < s->lobbies->max_lobbies; i++)
        if (s->lobbies->lobbies[i].in_use)
            s->stats->tickets_expired += lobby_expire_holds(&s->lobbies->lobbies[i], now_us);
    server_cluster_state *cs = s->cluster;
    for (uint32_t i = 0; i < cs->claim_slots; i++) {
        server_claim *c = &cs->claims[i];
        if (!c->in_use || now_us - c->since_us < SERVER_CLAIM_WAIT_US)
            continue;
        s->stats->claims_unanswered++;
        log_warn("cluster",
                 "the directory did not answer a name claim within %u ms: the lobby "
                 "opens here unclaimed, and is claimed once the directory answers",
                 (unsigned)(SERVER_CLAIM_WAIT_US / 1000));
        resolve(s, i, c, true, (proto_str){"", 0}, NULL, now_us);
    }
}

/* ---- the public side ------------------------------------------------------ */

int server_cluster_init(server_cluster_state *cs, uint32_t max_sessions)
{
    memset(cs, 0, sizeof *cs);
    if (max_sessions > SERVER_CLAIM_ID_SLOTS)
        return -1;
    cs->claims = calloc(max_sessions, sizeof *cs->claims);
    cs->claim_slots = max_sessions;
    return cs->claims != NULL ? 0 : -1;
}

void server_cluster_deinit(server_cluster_state *cs)
{
    free(cs->claims);
    cs->claims = NULL;
    cs->claim_slots = 0;
}

void server_set_cluster(server *srv, const server_cluster_hooks *hooks)
{
    server_cluster_state *cs = server_context(srv)->cluster;
    cs->on = hooks != NULL;
    if (hooks != NULL)
        cs->hooks = *hooks;
}

bool server_hold_seat(server *srv, proto_str lobby_name, proto_str player, uint64_t holder,
                      uint64_t until_us, uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    int index = lobby_find(s->lobbies, lobby_name);
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (index < 0 || !lobby_name_key(player, key, &key_len))
        return false;
    lobby *l = &s->lobbies->lobbies[index];
    lobby_joiner who = {key, key_len, holder, lobby_holder_share(l, s->cfg->lobby_share_percent)};
    if (!lobby_hold_seat(l, &who, now_us, until_us))
        return false;
    s->stats->seats_held_for_tickets++;
    return true;
}

void server_set_draining(server *srv, bool draining)
{
    server_context(srv)->cluster->draining = draining;
}

bool server_draining(const server *srv)
{
    return server_context_const(srv)->cluster->draining;
}
