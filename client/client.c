#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void client_config_defaults(client_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = PROTO_DEFAULT_PORT;
    cfg->protocol_version = PROTO_VERSION;
    cfg->timeout_ms = 5000;
    cfg->auto_reconnect = false;
    cfg->reconnect_base_ms = 500;
    cfg->reconnect_max_ms = 30000;
    cfg->jitter_seed = 0;
}

const char *client_strerror(int err)
{
    switch (err) {
    case CLIENT_OK:
        return "ok";
    case CLIENT_ERR_ADDRESS:
        return "server address does not resolve";
    case CLIENT_ERR_ENET:
        return "cannot create the ENet connection";
    case CLIENT_ERR_NOMEM:
        return "out of memory";
    case CLIENT_ERR_STATE:
        return "not possible now (not connected, or not in a lobby)";
    case CLIENT_ERR_TOO_LONG:
        return "message too long to send";
    case CLIENT_ERR_ARG:
        return "invalid argument";
    case CLIENT_ERR_FULL:
        return "the shared ENet host has no free connection";
    }
    return "unknown client error";
}

size_t client_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    if (len > 0)
        memcpy(dst, src, len);
    dst[len] = '\0';
    return len;
}

/* ---- creating and destroying ------------------------------------------------ */

static int check_config(const client_config *cfg, ENetAddress *addr)
{
    if (cfg->name == NULL || cfg->host == NULL || strlen(cfg->name) > PROTO_MAX_STR8_BYTES ||
        cfg->identity_token_len > PROTO_MAX_STR8_BYTES ||
        (cfg->identity_token == NULL && cfg->identity_token_len > 0) ||
        (cfg->lobby != NULL && strlen(cfg->lobby) > PROTO_MAX_STR8_BYTES) ||
        (cfg->password != NULL && strlen(cfg->password) > PROTO_MAX_PASSWORD_BYTES))
        return CLIENT_ERR_ARG;
    *addr = (ENetAddress){.port = cfg->port};
    return enet_address_set_host(addr, cfg->host) == 0 ? CLIENT_OK : CLIENT_ERR_ADDRESS;
}

int client_create_on(client_net *n, const client_config *cfg, uint64_t now_us, client **out)
{
    ENetAddress addr;
    int err = check_config(cfg, &addr);
    if (err != CLIENT_OK)
        return err;
    if (n->count == n->cap)
        return CLIENT_ERR_FULL;
    client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return CLIENT_ERR_NOMEM;
    c->cfg = *cfg;
    /* Own copies: the caller's strings need not outlive this call. */
    snprintf(c->name, sizeof c->name, "%s", cfg->name);
    snprintf(c->lobby, sizeof c->lobby, "%s", cfg->lobby ? cfg->lobby : "");
    c->cfg.name = c->name;
    c->cfg.lobby = c->lobby;
    snprintf(c->password, sizeof c->password, "%s", cfg->password ? cfg->password : "");
    c->cfg.password = c->password;
    if (cfg->identity_token_len > 0)
        memcpy(c->identity, cfg->identity_token, cfg->identity_token_len);
    c->cfg.identity_token = c->identity;
    c->at_list = cfg->browse;
    c->cfg.host = NULL;
    c->addr = addr;
    c->net = n;
    c->jitter_state = cfg->jitter_seed ? cfg->jitter_seed : now_us ^ (uint64_t)(uintptr_t)c;
    c->next_msg_id = 1;
    c->net_slot = n->count;
    n->clients[n->count++] = c;
    client_start_connecting(c, now_us);
    client_note_due(c);
    *out = c;
    return CLIENT_OK;
}

int client_create(const client_config *cfg, uint64_t now_us, client **out)
{
    ENetAddress addr;
    int err = check_config(cfg, &addr);
    if (err != CLIENT_OK)
        return err;
    client_net *n;
    if ((err = client_net_create(1, &n)) != CLIENT_OK)
        return err;
    err = client_create_on(n, cfg, now_us, out);
    if (err != CLIENT_OK) {
        client_net_destroy(n);
        return err == CLIENT_ERR_FULL ? CLIENT_ERR_ENET : err;
    }
    (*out)->owns_net = true;
    return CLIENT_OK;
}

void client_destroy(client *c)
{
    if (c == NULL)
        return;
    ENetPeer *peer = c->peer;
    client_attach_peer(c, NULL);
    if (peer != NULL && peer->state == ENET_PEER_STATE_CONNECTED)
        enet_peer_disconnect_now(peer, PROTO_REASON_QUIT);
    else if (peer != NULL)
        enet_peer_reset(peer); /* frees the slot for the net's other clients */
    client_net_unregister(c);
    if (c->owns_net)
        client_net_destroy(c->net);
    free(c->events.items);
    free(c->list);
    free(c);
}

/* ---- events --------------------------------------------------------------- */

/* Appends a zeroed event of the given type and returns it, or NULL when out of
 * memory (the caller then has nothing to fill in). */
client_event *client_push_event(client *c, client_event_type type)
{
    event_queue *q = &c->events;
    if (q->count == q->cap) {
        size_t new_cap = q->cap ? q->cap * 2 : 64;
        client_event *grown = malloc(new_cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        for (size_t i = 0; i < q->count; i++)
            grown[i] = q->items[(q->head + i) & (q->cap - 1)];
        free(q->items);
        q->items = grown;
        q->head = 0;
        q->cap = new_cap;
    }
    client_event *ev = &q->items[(q->head + q->count++) & (q->cap - 1)];
    memset(ev, 0, offsetof(client_event, text) + 1);
    ev->type = type;
    if (!c->in_ready) {
        c->in_ready = true;
        c->net->ready[c->net->ready_count++] = c;
    }
    return ev;
}

bool client_next_event(client *c, client_event *out)
{
    event_queue *q = &c->events;
    if (q->count == 0)
        return false;
    /* Not the whole struct: most events carry no text, and the text buffer
     * is most of its size (a bench takes a million events a second). */
    const client_event *ev = &q->items[q->head];
    memcpy(out, ev, offsetof(client_event, text) + ev->text_len + 1);
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    return true;
}

void client_set_event_text(client_event *ev, proto_str s)
{
    ev->text_len = client_copy_text(ev->text, sizeof ev->text, s.bytes, s.len);
}

proto_str client_text_or(proto_str text, const char *fallback)
{
    return text.len > 0 ? text : proto_str_from_cstr(fallback);
}

/* ---- the local view ------------------------------------------------------- */

const client_view *client_get_view(const client *c)
{
    return &c->view;
}

client_player *client_find_player_mut(client *c, uint16_t id)
{
    for (unsigned i = 0; i < c->view.player_count; i++)
        if (c->view.players[i].id == id)
            return &c->view.players[i];
    return NULL;
}

const client_player *client_find_player(const client *c, uint16_t id)
{
    return client_find_player_mut((client *)c, id);
}

static void view_add_player(client_view *v, const proto_player *p)
{
    if (v->player_count >= PROTO_MAX_LOBBY_PLAYERS)
        return;
    client_player *dst = &v->players[v->player_count++];
    memset(dst, 0, sizeof *dst);
    dst->id = p->id;
    dst->colour = p->colour;
    client_copy_text(dst->name, sizeof dst->name, p->name.bytes, p->name.len);
    dst->x = p->x;
    dst->y = p->y;
}

static void view_remove_player(client_view *v, uint16_t id)
{
    for (unsigned i = 0; i < v->player_count; i++) {
        if (v->players[i].id == id) {
            memmove(&v->players[i], &v->players[i + 1],
                    (v->player_count - i - 1) * sizeof v->players[0]);
            v->player_count--;
            return;
        }
    }
}

/* Ends the session in the view, keeping the first reason given. */
client_event *client_view_end(client *c, client_state state, uint32_t reason, proto_str text)
{
    if (c->view.state == CLIENT_REJECTED || c->view.state == CLIENT_DISCONNECTED)
        return NULL;
    bool unanswered = c->view.state == CLIENT_CONNECTING;
    c->view.state = state;
    c->view.reason = reason;
    client_copy_text(c->view.reason_text, sizeof c->view.reason_text, text.bytes, text.len);
    client_event *ev = client_push_event(c, state == CLIENT_REJECTED ? CLIENT_EV_REJECTED
                                                                     : CLIENT_EV_DISCONNECTED);
    if (ev == NULL)
        return NULL;
    if (state == CLIENT_REJECTED) { /* a REJECT is an answer: never unanswered */
        ev->rejected.reason = reason;
    } else {
        ev->disconnected.reason = reason;
        ev->disconnected.unanswered = unanswered;
    }
    client_set_event_text(ev, text);
    return ev;
}

/* splitmix64 step: the reconnection jitter needs no more than this. */
static uint64_t next_jitter(client *c)
{
    uint64_t z = (c->jitter_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
static uint32_t reconnect_delay_ms(client *c)
{
    uint64_t cap = c->cfg.reconnect_base_ms;
    for (uint32_t i = 0; i < c->attempt && cap < c->cfg.reconnect_max_ms; i++)
        cap *= 2;
    if (cap > c->cfg.reconnect_max_ms)
        cap = c->cfg.reconnect_max_ms;
    c->attempt++;
    return (uint32_t)(next_jitter(c) % (cap + 1));
}

bool client_reason_is_permanent(uint32_t reason)
{
    switch (reason) {
    case PROTO_REASON_VERSION_MISMATCH:
    case PROTO_REASON_NAME_INVALID:
    case PROTO_REASON_NAME_TAKEN:
    case PROTO_REASON_LOBBY_INVALID:
    case PROTO_REASON_WRONG_PASSWORD:
    case PROTO_REASON_KICKED: /* until the cool-down ends; the text says when */
    case PROTO_REASON_PROTOCOL_VIOLATION:
    case PROTO_REASON_FLOODING:
    case PROTO_REASON_AUTH_REQUIRED: /* a new token needs the backend, not a retry */
    case PROTO_REASON_AUTH_INVALID:
    case PROTO_REASON_AUTH_EXPIRED:
    case PROTO_REASON_AUTH_WRONG_LOBBY:
        return true;
    default:
        return false;
    }
}

/* The connection is over: for good, or (with auto_reconnect) until the next
 * attempt. A refused token only means the seat is gone: join afresh at once.
 * A permanent reason (client_reason_is_permanent) ends it: another attempt
 * would be refused the same way. */
static void connection_over(client *c, client_state final_state, uint32_t reason, proto_str text,
                            uint64_t now_us)
{
    if (c->view.state == CLIENT_REJECTED || c->view.state == CLIENT_DISCONNECTED)
        return;        /* the disconnect that follows a permanent REJECT */
    c->ticket_len = 0; /* single use: a retry that sent it again would be refused */
    if (c->redirect_connecting && c->view.state == CLIENT_CONNECTING) {
        client_redirect_unreachable(c, text);
        return;
    }
    if (!c->cfg.auto_reconnect || c->leaving || client_reason_is_permanent(reason)) {
        client_view_end(c, final_state, reason, text);
        return;
    }
    if (c->view.state == CLIENT_RECONNECTING)
        return; /* a reject is followed by its disconnect: one retry is enough */
    uint32_t delay_ms = reconnect_delay_ms(c);
    bool unanswered = c->view.state == CLIENT_CONNECTING;
    if (final_state == CLIENT_REJECTED && reason == PROTO_REASON_TOKEN_INVALID) {
        c->has_token = false;
        delay_ms = 0;
    }
    c->view.state = CLIENT_RECONNECTING;
    c->await_close = final_state == CLIENT_REJECTED;
    c->await_close_until_us = now_us + (uint64_t)c->cfg.timeout_ms * 1000u;
    c->view.reason = reason;
    client_copy_text(c->view.reason_text, sizeof c->view.reason_text, text.bytes, text.len);
    c->view.retry_at_us = now_us + (uint64_t)delay_ms * 1000u;
    client_event *ev = client_push_event(c, CLIENT_EV_RECONNECTING);
    if (ev != NULL) {
        ev->reconnecting.reason = reason;
        ev->reconnecting.delay_ms = delay_ms;
        ev->reconnecting.unanswered = unanswered;
        client_set_event_text(ev, text);
    }
}

/* ---- connecting: the cookie, then ENet's handshake ------------------------ */

static void send_cookie_request(client *c, uint64_t now_us)
{
    proto_cookie_request req = {.version = c->cfg.protocol_version, .nonce = c->cookie_nonce};
    uint8_t bytes[PROTO_COOKIE_REQUEST_BYTES];
    proto_cookie_request_encode(&req, bytes);
    ENetBuffer buf = {.data = bytes, .dataLength = sizeof bytes};
    /* From the host's own socket: the cookie is bound to its port. A send
     * that fails is as good as one lost on the way: the timer resends. */
    enet_socket_send(c->net->host->socket, &c->addr, &buf, 1);
    c->cookie_sent_us = now_us;
}

/* A nonce nobody off the path can guess, so nobody can answer for the
 * server; the jitter generator if the kernel will not say. */
static uint32_t fresh_nonce(client *c)
{
    uint32_t nonce;
    if (getrandom(&nonce, sizeof nonce, GRND_NONBLOCK) != (ssize_t)sizeof nonce)
        nonce = (uint32_t)next_jitter(c);
    return nonce;
}

/* Starts an attempt: first the cookie; client_on_cookie goes on. */
void client_start_connecting(client *c, uint64_t now_us)
{
    c->view.state = CLIENT_CONNECTING;
    c->started_us = now_us;
    c->awaiting_cookie = true;
    c->cookie_nonce = fresh_nonce(c);
    send_cookie_request(c, now_us);
}

void client_on_cookie(client *c, const proto_cookie_reply *reply, uint64_t now_us)
{
    c->awaiting_cookie = false;
    if (reply->status != PROTO_COOKIE_OK) {
        char why[96];
        snprintf(why, sizeof why, "server speaks protocol version %u, client version %u",
                 (unsigned)reply->version, (unsigned)c->cfg.protocol_version);
        connection_over(c, CLIENT_REJECTED, PROTO_REASON_VERSION_MISMATCH, proto_str_from_cstr(why),
                        now_us);
        return;
    }
    ENetPeer *peer = enet_host_connect(c->net->host, &c->addr, PROTO_CHANNEL_COUNT, reply->cookie);
    if (peer == NULL) {
        connection_over(c, CLIENT_DISCONNECTED, 0,
                        proto_str_from_cstr("the shared ENet host has no free connection"), now_us);
        return;
    }
    client_attach_peer(c, peer);
    enet_peer_timeout(peer, ENET_PEER_TIMEOUT_LIMIT, c->cfg.timeout_ms, c->cfg.timeout_ms);
}

/* Starts the next attempt on a fresh ENet connection. */
static void reconnect(client *c, uint64_t now_us)
{
    client_drop_peer(c);
    client_start_connecting(c, now_us);
}

/* ---- sending -------------------------------------------------------------- */

int client_send_msg(client *c, const proto_msg *m, uint8_t channel, bool reliable)
{
    if (c->peer == NULL)
        return CLIENT_ERR_STATE;
    int len = proto_encode(m, c->scratch, sizeof c->scratch);
    if (len < 0)
        return len == PROTO_ERR_TOO_LONG ? CLIENT_ERR_TOO_LONG : CLIENT_ERR_ARG;
    ENetPacket *p =
        enet_packet_create(c->scratch, (size_t)len, reliable ? ENET_PACKET_FLAG_RELIABLE : 0);
    if (p == NULL)
        return CLIENT_ERR_NOMEM;
    if (enet_peer_send(c->peer, channel, p) != 0) {
        enet_packet_destroy(p);
        return CLIENT_ERR_STATE;
    }
    return CLIENT_OK;
}

int client_send_raw(client *c, uint8_t channel, const uint8_t *bytes, size_t len, bool reliable)
{
    if (channel >= PROTO_CHANNEL_COUNT || c->peer == NULL ||
        c->peer->state != ENET_PEER_STATE_CONNECTED)
        return CLIENT_ERR_STATE;
    ENetPacket *p = enet_packet_create(bytes, len, reliable ? ENET_PACKET_FLAG_RELIABLE : 0);
    if (p == NULL)
        return CLIENT_ERR_NOMEM;
    if (enet_peer_send(c->peer, channel, p) != 0) {
        enet_packet_destroy(p);
        return CLIENT_ERR_STATE;
    }
    return CLIENT_OK;
}

int client_send_chat(client *c, const char *text, size_t len, uint32_t *msg_id)
{
    if (c->view.state != CLIENT_JOINED)
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = c->next_msg_id;
    m.u.chat.text.bytes = text;
    m.u.chat.text.len = len;
    int err = client_send_msg(c, &m, PROTO_CHANNEL_RELIABLE, true);
    if (err == CLIENT_OK && msg_id != NULL)
        *msg_id = c->next_msg_id;
    c->next_msg_id += err == CLIENT_OK;
    return err;
}

int client_send_position(client *c, float x, float y, uint64_t now_us)
{
    if (c->view.state != CLIENT_JOINED)
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = PROTO_POSITION};
    m.u.position.seq = ++c->next_pos_seq;
    m.u.position.sent_us = now_us;
    m.u.position.x = proto_clamp_x(x);
    m.u.position.y = proto_clamp_y(y);
    return client_send_msg(c, &m, PROTO_CHANNEL_POSITION, false);
}

int client_send_ping(client *c, uint64_t now_us)
{
    client_state s = c->view.state;
    if (s != CLIENT_JOINING && s != CLIENT_JOINED && s != CLIENT_BROWSING)
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = PROTO_PING};
    m.u.ping.client_us = now_us;
    return client_send_msg(c, &m, PROTO_CHANNEL_RELIABLE, true);
}

void client_leave(client *c)
{
    c->leaving = true;
    if (c->peer != NULL && c->peer->state == ENET_PEER_STATE_CONNECTED)
        enet_peer_disconnect_later(c->peer, PROTO_REASON_QUIT);
}

void client_get_traffic(const client *c, client_traffic *out)
{
    client_net_get_traffic(c->net, out);
}

int client_fd(const client *c)
{
    return client_net_fd(c->net);
}

void *client_user(const client *c)
{
    return c->cfg.user;
}

/* ---- receiving ------------------------------------------------------------ */

static void on_welcome(client *c, const proto_msg *m)
{
    client_view *v = &c->view;
    v->state = CLIENT_JOINED;
    v->my_id = m->u.welcome.your_id;
    memcpy(c->token, m->u.welcome.token, PROTO_TOKEN_BYTES);
    c->has_token = true;
    c->attempt = 0;
    c->redirects = 0; /* a lobby reached */
    c->ticket_len = 0;
    c->replay_create = false;
    if (!m->u.welcome.resumed)
        v->last_chat_seq = 0; /* a new seat: the lobby's numbering is new to us */
    v->capacity = m->u.welcome.capacity;
    client_copy_text(v->lobby, sizeof v->lobby, m->u.welcome.lobby.bytes, m->u.welcome.lobby.len);
    v->player_count = 0;
    for (unsigned i = 0; i < m->u.welcome.count; i++)
        view_add_player(v, &m->u.welcome.players[i]);
    client_lobby_entered(c, m->u.welcome.resumed);
    client_event *ev = client_push_event(c, CLIENT_EV_JOINED);
    if (ev != NULL)
        ev->joined.resumed = m->u.welcome.resumed;
}

static void on_player_status(client *c, const proto_msg *m)
{
    client_player *p = client_find_player_mut(c, m->u.player_status.id);
    if (p == NULL)
        return;
    p->reconnecting = m->u.player_status.status == PROTO_STATUS_RECONNECTING;
    client_event *ev = client_push_event(c, CLIENT_EV_PLAYER_STATUS);
    if (ev != NULL) {
        ev->player_status.player_id = p->id;
        ev->player_status.status = m->u.player_status.status;
        ev->text_len = client_copy_text(ev->text, sizeof ev->text, p->name, strlen(p->name));
    }
}

void client_note_chat_seq(client *c, uint32_t seq)
{
    if (seq == 0)
        return; /* a direct message's ack: no lobby sequence number */
    if (c->view.last_chat_seq == 0 || proto_seq_newer(seq, c->view.last_chat_seq))
        c->view.last_chat_seq = seq;
}

static void on_player_joined(client *c, const proto_msg *m)
{
    view_add_player(&c->view, &m->u.joined);
    client_event *ev = client_push_event(c, CLIENT_EV_PLAYER_JOINED);
    if (ev != NULL) {
        ev->player_joined.player_id = m->u.joined.id;
        client_set_event_text(ev, m->u.joined.name);
    }
}

static void on_player_left(client *c, const proto_msg *m)
{
    client_event *ev = client_push_event(c, CLIENT_EV_PLAYER_LEFT);
    const client_player *p = client_find_player(c, m->u.left.id);
    if (ev != NULL) {
        ev->player_left.player_id = m->u.left.id;
        ev->player_left.reason = m->u.left.reason;
        if (p != NULL)
            ev->text_len = client_copy_text(ev->text, sizeof ev->text, p->name, strlen(p->name));
    }
    view_remove_player(&c->view, m->u.left.id);
}

/* One snapshot entry: positions older than the newest we hold are dropped,
 * so a reordered datagram never moves a player backwards. Our own entry is
 * the server's copy of what we sent; we know better. */
static void on_snapshot_entry(client *c, const proto_snapshot_entry *e)
{
    client_player *p = client_find_player_mut(c, e->id);
    if (p == NULL || e->id == c->view.my_id)
        return;
    if (p->has_pos_seq && !proto_seq_newer(e->seq, p->pos_seq)) {
        if (e->seq == p->pos_seq)
            c->view.duplicate_positions++;
        else
            c->view.reordered_positions++;
        return;
    }
    p->has_pos_seq = true;
    p->pos_seq = e->seq;
    p->x = e->x;
    p->y = e->y;
    client_event *ev = client_push_event(c, CLIENT_EV_POSITION);
    if (ev != NULL) {
        ev->position.player_id = p->id;
        ev->position.seq = p->pos_seq;
        ev->position.sent_us = e->sent_us;
        ev->position.x = p->x;
        ev->position.y = p->y;
        ev->position.merged = e->merged;
    }
}

static void on_snapshot(client *c, const proto_msg *m)
{
    for (unsigned i = 0; i < m->u.snapshot.count; i++)
        on_snapshot_entry(c, &m->u.snapshot.entries[i]);
}

static void on_member_stats(client *c, const proto_msg *m)
{
    for (unsigned i = 0; i < m->u.member_stats.count; i++) {
        const proto_member_stat *st = &m->u.member_stats.members[i];
        client_player *p = client_find_player_mut(c, st->id);
        if (p == NULL)
            continue;
        p->has_link = true;
        p->rtt_ms = st->rtt_ms;
        p->jitter_ms = st->jitter_ms;
        p->loss_permyriad = st->loss_permyriad;
    }
}

static void on_chat_message(client *c, const proto_msg *m)
{
    client_event *ev;
    switch (m->type) {
    case PROTO_CHAT_RELAY:
        client_note_chat_seq(c, m->u.chat_relay.seq);
        if ((ev = client_push_event(c, CLIENT_EV_CHAT)) != NULL) {
            const client_player *from = client_find_player(c, m->u.chat_relay.from_id);
            ev->chat.player_id = m->u.chat_relay.from_id;
            ev->chat.seq = m->u.chat_relay.seq;
            if (from != NULL)
                client_copy_text(ev->chat.sender, sizeof ev->chat.sender, from->name,
                                 strlen(from->name));
            client_set_event_text(ev, m->u.chat_relay.text);
        }
        break;
    case PROTO_CHAT_GAP:
        if ((ev = client_push_event(c, CLIENT_EV_CHAT_GAP)) != NULL) {
            ev->chat_gap.first_seq = m->u.chat_gap.first_seq;
            ev->chat_gap.missed = m->u.chat_gap.missed;
        }
        break;
    case PROTO_CHAT_HISTORY:
        client_note_chat_seq(c, m->u.chat_history.seq);
        if ((ev = client_push_event(c, CLIENT_EV_CHAT)) != NULL) {
            ev->chat.player_id = m->u.chat_history.from_id;
            ev->chat.from_text = m->u.chat_history.from_id == 0;
            ev->chat.history = true;
            ev->chat.seq = m->u.chat_history.seq;
            client_copy_text(ev->chat.sender, sizeof ev->chat.sender, m->u.chat_history.name.bytes,
                             m->u.chat_history.name.len);
            client_set_event_text(ev, m->u.chat_history.text);
        }
        break;
    case PROTO_TEXT_CHAT_RELAY:
        client_note_chat_seq(c, m->u.text_chat_relay.seq);
        if ((ev = client_push_event(c, CLIENT_EV_CHAT)) != NULL) {
            ev->chat.from_text = true;
            ev->chat.seq = m->u.text_chat_relay.seq;
            client_copy_text(ev->chat.sender, sizeof ev->chat.sender,
                             m->u.text_chat_relay.name.bytes, m->u.text_chat_relay.name.len);
            client_set_event_text(ev, m->u.text_chat_relay.text);
        }
        break;
    case PROTO_CHAT_ACK:
        client_note_chat_seq(c, m->u.chat_ack.seq);
        if ((ev = client_push_event(c, CLIENT_EV_CHAT_ACK)) != NULL) {
            ev->chat_ack.msg_id = m->u.chat_ack.msg_id;
            ev->chat_ack.seq = m->u.chat_ack.seq;
        }
        break;
    case PROTO_CHAT_REFUSED:
        if ((ev = client_push_event(c, CLIENT_EV_CHAT_REFUSED)) != NULL) {
            ev->chat_refused.msg_id = m->u.chat_refused.msg_id;
            ev->chat_refused.reason = m->u.chat_refused.reason;
            client_set_event_text(ev, client_text_or(m->u.chat_refused.text,
                                                     proto_refusal_text(ev->chat_refused.reason)));
        }
        break;
    default:
        break;
    }
}

static void on_pong(client *c, const proto_msg *m, uint64_t now_us)
{
    if (m->u.pong.client_us > now_us)
        return; /* not a ping of ours */
    c->view.ping_rtt_us = now_us - m->u.pong.client_us;
    client_event *ev = client_push_event(c, CLIENT_EV_PONG);
    if (ev != NULL) {
        ev->pong.rtt_us = c->view.ping_rtt_us;
        ev->pong.sent_us = m->u.pong.client_us;
    }
}

/* Messages that cannot be decoded are dropped: a client cannot fix a server. */
static void on_receive(client *c, const uint8_t *data, size_t len, uint64_t now_us)
{
    proto_msg msg;
    if (proto_decode(data, len, &msg) != PROTO_OK)
        return;
    if (client_lobby_on_receive(c, &msg, now_us))
        return;
    switch (msg.type) {
    case PROTO_WELCOME:
        on_welcome(c, &msg);
        break;
    case PROTO_REJECT:
        connection_over(c, CLIENT_REJECTED, msg.u.reject.reason,
                        client_text_or(msg.u.reject.text, proto_reason_text(msg.u.reject.reason)),
                        now_us);
        break;
    case PROTO_PLAYER_STATUS:
        on_player_status(c, &msg);
        break;
    case PROTO_PLAYER_JOINED:
        on_player_joined(c, &msg);
        break;
    case PROTO_PLAYER_LEFT:
        on_player_left(c, &msg);
        break;
    case PROTO_POSITION_SNAPSHOT:
        on_snapshot(c, &msg);
        break;
    case PROTO_PONG:
        on_pong(c, &msg, now_us);
        break;
    case PROTO_MEMBER_STATS:
        on_member_stats(c, &msg);
        break;
    case PROTO_REDIRECT:
        client_on_redirect(c, &msg, now_us);
        break;
    default:
        on_chat_message(c, &msg);
        break;
    }
}

/* With a token from an earlier welcome, asks for that seat back and for the
 * chat missed since last_chat_seq; without one, joins our lobby, or goes to
 * the lobby list when we browse (or were at the list when the connection
 * was lost). */
static void send_hello(client *c, uint64_t now_us)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(c->name);
    m.u.hello.mode = c->at_list ? PROTO_HELLO_BROWSE : PROTO_HELLO_JOIN;
    if (!c->at_list) {
        m.u.hello.lobby = proto_str_from_cstr(c->lobby);
        m.u.hello.password = proto_str_from_cstr(c->password);
    }
    m.u.hello.identity.bytes = (const char *)c->identity;
    m.u.hello.identity.len = c->cfg.identity_token_len;
    m.u.hello.ticket.bytes = (const char *)c->ticket;
    m.u.hello.ticket.len = c->ticket_len;
    if (c->has_token) {
        m.u.hello.mode = PROTO_HELLO_RESUME;
        memcpy(m.u.hello.token, c->token, PROTO_TOKEN_BYTES);
        m.u.hello.last_chat_seq = c->view.last_chat_seq;
    }
    c->view.state = CLIENT_JOINING;
    if (client_send_msg(c, &m, PROTO_CHANNEL_RELIABLE, true) != CLIENT_OK)
        connection_over(c, CLIENT_DISCONNECTED, 0, proto_str_from_cstr("cannot send hello"),
                        now_us);
}

void client_handle_enet_event(client *c, const ENetEvent *ev, uint64_t now_us)
{
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT:
        c->redirect_connecting = false; /* a redirect's target is reached */
        /* ENet's throttle would drop unreliable packets (positions) when it
         * suspects congestion: loss the network never caused, for packets
         * that are small and superseded anyway. */
        enet_peer_throttle_configure(ev->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                     ENET_PEER_PACKET_THROTTLE_SCALE, 0);
        send_hello(c, now_us);
        break;
    case ENET_EVENT_TYPE_RECEIVE:
        on_receive(c, ev->packet->data, ev->packet->dataLength, now_us);
        enet_packet_destroy(ev->packet);
        break;
    case ENET_EVENT_TYPE_DISCONNECT: {
        /* ENet has reset the peer: its slot is free for any client now. */
        client_attach_peer(c, NULL);
        c->await_close = false;
        uint32_t reason = ev->data;
        const char *why = c->view.state == CLIENT_CONNECTING ? "cannot reach the server"
                                                             : proto_reason_text(reason);
        if (c->leaving && reason == 0) { /* the server agreed to our own leave: no timeout */
            reason = PROTO_REASON_QUIT;
            why = "left the server";
        }
        connection_over(c, CLIENT_DISCONNECTED, reason, proto_str_from_cstr(why), now_us);
        break;
    }
    case ENET_EVENT_TYPE_NONE:
        break;
    }
}

/* The handshake timeout and the next reconnection attempt. */
void client_run_timers(client *c, uint64_t now_us)
{
    bool handshaking = c->view.state == CLIENT_CONNECTING || c->view.state == CLIENT_JOINING;
    if (handshaking && now_us - c->started_us > (uint64_t)c->cfg.timeout_ms * 1000u) {
        client_drop_peer(c);
        connection_over(c, CLIENT_DISCONNECTED, 0,
                        proto_str_from_cstr(c->view.state == CLIENT_CONNECTING
                                                ? "cannot reach the server: no answer"
                                                : "server did not answer the hello"),
                        now_us);
    }
    if (c->view.state == CLIENT_CONNECTING && c->awaiting_cookie &&
        now_us - c->cookie_sent_us >= CLIENT_COOKIE_RESEND_MS * 1000u)
        send_cookie_request(c, now_us);
    bool closed = !c->await_close || now_us >= c->await_close_until_us;
    if (c->view.state == CLIENT_RECONNECTING && now_us >= c->view.retry_at_us && closed)
        reconnect(c, now_us);
}

void client_refresh_rtt(client *c)
{
    if (c->peer != NULL && c->peer->state == ENET_PEER_STATE_CONNECTED)
        c->view.enet_rtt_ms = c->peer->roundTripTime;
}

void client_update(client *c, uint64_t now_us)
{
    if (c->owns_net) {
        client_net_update(c->net, now_us);
    } else {
        client_run_timers(c, now_us);
        client_note_due(c);
    }
    client_refresh_rtt(c);
}
