#include "client.h"

#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pending events, oldest first: a growable ring, so no event is ever dropped
 * however long the caller waits between drains. Its capacity is a power of
 * two, so indices wrap with a mask instead of a division. */
typedef struct event_queue {
    client_event *items;
    size_t head, count, cap;
} event_queue;

/* The ENet host behind one or many clients. Each client owns at most one of
 * its peers at a time, and the peer's data points back at that client (NULL
 * while no client owns it), so an event is handed to the client whose
 * connection it belongs to and never to a client that reused the slot. */
struct client_net {
    ENetHost *host;
    client **clients; /* registered clients, any order; cap = max_clients */
    size_t count, cap;
    client **ready; /* clients with events not yet announced to the caller */
    size_t ready_count;
    uint64_t next_due_us; /* no client has a timer before this */
    client_traffic traffic;
};

struct client {
    client_config cfg;
    client_net *net;
    bool owns_net; /* client_create: a private net, destroyed with the client */
    size_t net_slot;
    bool in_ready;
    uint64_t due_us; /* its next timer (handshake timeout, reconnection) */
    /* Sent as given, even when too long or invalid: the server is the judge
     * and answers with a reasoned reject. */
    char name[PROTO_MAX_STR8_BYTES + 1];
    char lobby[PROTO_MAX_STR8_BYTES + 1];
    char password[PROTO_MAX_STR8_BYTES + 1];
    ENetPeer *peer; /* NULL between connections: the slot may serve another client */
    ENetAddress addr;
    uint64_t started_us;
    bool leaving;
    uint8_t token[PROTO_TOKEN_BYTES];
    bool has_token;
    uint32_t attempt; /* reconnection attempts since the last join */
    /* After a REJECT the server disconnects the rejected connection: wait for
     * that (up to timeout_ms) before reconnecting, or its late DISCONNECT
     * would kill the new attempt, which ENet cannot tell apart. */
    bool await_close;
    uint64_t await_close_until_us;
    uint64_t jitter_state;
    uint32_t next_msg_id;
    uint32_t next_pos_seq;
    client_view view;
    event_queue events;
    uint8_t scratch[PROTO_MAX_MESSAGE_BYTES];
};

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
        return "not joined to a lobby";
    case CLIENT_ERR_TOO_LONG:
        return "message too long to send";
    case CLIENT_ERR_ARG:
        return "invalid argument";
    case CLIENT_ERR_FULL:
        return "the shared ENet host has no free connection";
    }
    return "unknown client error";
}

/* Copies a length-delimited string, NUL-terminated, cut to fit dst. */
static size_t copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    if (len > 0)
        memcpy(dst, src, len);
    dst[len] = '\0';
    return len;
}

/* ---- the shared host ------------------------------------------------------ */

enum { NET_MIN_RCVBUF = 256 * 1024, NET_RCVBUF_PER_CLIENT = 8 * 1024, NET_MAX_RCVBUF = 4 << 20 };

int client_net_create(size_t max_clients, client_net **out)
{
    if (max_clients == 0 || max_clients > ENET_PROTOCOL_MAXIMUM_PEER_ID)
        return CLIENT_ERR_ARG;
    client_net *n = calloc(1, sizeof *n);
    if (n == NULL)
        return CLIENT_ERR_NOMEM;
    n->clients = calloc(max_clients, sizeof *n->clients);
    n->ready = calloc(max_clients, sizeof *n->ready);
    n->cap = max_clients;
    n->next_due_us = UINT64_MAX;
    if (n->clients == NULL || n->ready == NULL) {
        client_net_destroy(n);
        return CLIENT_ERR_NOMEM;
    }
    n->host = enet_host_create(NULL, max_clients, PROTO_CHANNEL_COUNT, 0, 0);
    if (n->host == NULL) {
        client_net_destroy(n);
        return CLIENT_ERR_ENET;
    }
    /* One socket now takes every client's snapshot burst of a server tick:
     * ENet's 256 kB would overflow at a few hundred clients (the kernel caps
     * it at net.core.rmem_max). */
    size_t rcvbuf = max_clients * NET_RCVBUF_PER_CLIENT;
    if (rcvbuf > NET_MIN_RCVBUF)
        enet_socket_set_option(n->host->socket, ENET_SOCKOPT_RCVBUF,
                               rcvbuf < NET_MAX_RCVBUF ? (int)rcvbuf : NET_MAX_RCVBUF);
    *out = n;
    return CLIENT_OK;
}

void client_net_destroy(client_net *n)
{
    if (n == NULL)
        return;
    while (n->count > 0)
        client_destroy(n->clients[n->count - 1]);
    if (n->host != NULL)
        enet_host_destroy(n->host);
    free(n->clients);
    free(n->ready);
    free(n);
}

int client_net_fd(const client_net *n)
{
    return (int)n->host->socket;
}

/* ENet counts in 32 bits and leaves resetting to us: fold into 64 bits. */
static void net_fold_traffic(client_net *n)
{
    ENetHost *h = n->host;
    n->traffic.bytes_out += h->totalSentData;
    n->traffic.packets_out += h->totalSentPackets;
    n->traffic.bytes_in += h->totalReceivedData;
    n->traffic.packets_in += h->totalReceivedPackets;
    h->totalSentData = h->totalSentPackets = 0;
    h->totalReceivedData = h->totalReceivedPackets = 0;
}

void client_net_get_traffic(client_net *n, client_traffic *out)
{
    net_fold_traffic(n);
    *out = n->traffic;
}

bool client_net_next_ready(client_net *n, client **out)
{
    if (n->ready_count == 0)
        return false;
    client *c = n->ready[--n->ready_count];
    c->in_ready = false;
    *out = c;
    return true;
}

/* The client's connection is now this peer (or none): a later event of the
 * old peer, whose slot may go to another client, is no longer ours. */
static void attach_peer(client *c, ENetPeer *peer)
{
    if (c->peer != NULL && c->peer->data == c)
        c->peer->data = NULL;
    c->peer = peer;
    if (peer != NULL)
        peer->data = c;
}

/* Drops the connection at once without telling the server. */
static void drop_peer(client *c)
{
    ENetPeer *peer = c->peer;
    attach_peer(c, NULL);
    if (peer != NULL)
        enet_peer_reset(peer);
}

static uint64_t timer_due_us(const client *c)
{
    switch (c->view.state) {
    case CLIENT_CONNECTING:
    case CLIENT_JOINING:
        return c->started_us + (uint64_t)c->cfg.timeout_ms * 1000u;
    case CLIENT_RECONNECTING:
        if (c->await_close && c->await_close_until_us > c->view.retry_at_us)
            return c->await_close_until_us;
        return c->view.retry_at_us;
    default:
        return UINT64_MAX;
    }
}

/* Called after anything that may move the client's timer. */
static void note_due(client *c)
{
    c->due_us = timer_due_us(c);
    if (c->due_us < c->net->next_due_us)
        c->net->next_due_us = c->due_us;
}

/* ---- creating and destroying ------------------------------------------------ */

static int check_config(const client_config *cfg, ENetAddress *addr)
{
    if (cfg->name == NULL || cfg->host == NULL || strlen(cfg->name) > PROTO_MAX_STR8_BYTES ||
        (cfg->lobby != NULL && strlen(cfg->lobby) > PROTO_MAX_STR8_BYTES) ||
        (cfg->password != NULL && strlen(cfg->password) > PROTO_MAX_STR8_BYTES))
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
    snprintf(c->password, sizeof c->password, "%s", cfg->password ? cfg->password : "");
    c->cfg.name = c->name;
    c->cfg.lobby = c->lobby;
    c->cfg.password = c->password;
    c->cfg.host = NULL;
    c->addr = addr;
    c->net = n;
    c->jitter_state = cfg->jitter_seed ? cfg->jitter_seed : now_us ^ (uint64_t)(uintptr_t)c;
    ENetPeer *peer = enet_host_connect(n->host, &addr, PROTO_CHANNEL_COUNT,
                                       proto_connect_data(cfg->protocol_version));
    if (peer == NULL) {
        free(c);
        return CLIENT_ERR_FULL;
    }
    attach_peer(c, peer);
    enet_peer_timeout(peer, ENET_PEER_TIMEOUT_LIMIT, cfg->timeout_ms, cfg->timeout_ms);
    c->started_us = now_us;
    c->next_msg_id = 1;
    c->view.state = CLIENT_CONNECTING;
    c->net_slot = n->count;
    n->clients[n->count++] = c;
    note_due(c);
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

static void net_unregister(client *c)
{
    client_net *n = c->net;
    n->clients[c->net_slot] = n->clients[--n->count];
    n->clients[c->net_slot]->net_slot = c->net_slot;
    for (size_t i = 0; c->in_ready && i < n->ready_count; i++)
        if (n->ready[i] == c)
            n->ready[i] = n->ready[--n->ready_count];
}

void client_destroy(client *c)
{
    if (c == NULL)
        return;
    ENetPeer *peer = c->peer;
    attach_peer(c, NULL);
    if (peer != NULL && peer->state == ENET_PEER_STATE_CONNECTED)
        enet_peer_disconnect_now(peer, PROTO_REASON_QUIT);
    else if (peer != NULL)
        enet_peer_reset(peer); /* frees the slot for the net's other clients */
    net_unregister(c);
    if (c->owns_net)
        client_net_destroy(c->net);
    free(c->events.items);
    free(c);
}

/* ---- events --------------------------------------------------------------- */

/* Appends a zeroed event of the given type and returns it, or NULL when out of
 * memory (the caller then has nothing to fill in). */
static client_event *push_event(client *c, client_event_type type)
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

static void set_event_text(client_event *ev, proto_str s)
{
    ev->text_len = copy_text(ev->text, sizeof ev->text, s.bytes, s.len);
}

/* ---- the local view ------------------------------------------------------- */

const client_view *client_get_view(const client *c)
{
    return &c->view;
}

static client_player *find_player(client *c, uint16_t id)
{
    for (unsigned i = 0; i < c->view.player_count; i++)
        if (c->view.players[i].id == id)
            return &c->view.players[i];
    return NULL;
}

const client_player *client_find_player(const client *c, uint16_t id)
{
    return find_player((client *)c, id);
}

static void view_add_player(client_view *v, const proto_player *p)
{
    if (v->player_count >= PROTO_MAX_LOBBY_PLAYERS)
        return;
    client_player *dst = &v->players[v->player_count++];
    memset(dst, 0, sizeof *dst);
    dst->id = p->id;
    dst->colour = p->colour;
    copy_text(dst->name, sizeof dst->name, p->name.bytes, p->name.len);
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
static void view_end(client *c, client_state state, uint32_t reason, proto_str text)
{
    if (c->view.state == CLIENT_REJECTED || c->view.state == CLIENT_DISCONNECTED)
        return;
    c->view.state = state;
    c->view.reason = reason;
    copy_text(c->view.reason_text, sizeof c->view.reason_text, text.bytes, text.len);
    client_event *ev =
        push_event(c, state == CLIENT_REJECTED ? CLIENT_EV_REJECTED : CLIENT_EV_DISCONNECTED);
    if (ev != NULL) {
        ev->reason = reason;
        set_event_text(ev, text);
    }
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

/* The connection is over: for good, or (with auto_reconnect) until the next
 * attempt. A refused token only means the seat is gone: join afresh at once. */
static void connection_over(client *c, client_state final_state, uint32_t reason, proto_str text,
                            uint64_t now_us)
{
    if (!c->cfg.auto_reconnect || c->leaving) {
        view_end(c, final_state, reason, text);
        return;
    }
    if (c->view.state == CLIENT_RECONNECTING)
        return; /* a reject is followed by its disconnect: one retry is enough */
    uint32_t delay_ms = reconnect_delay_ms(c);
    if (final_state == CLIENT_REJECTED && reason == PROTO_REASON_TOKEN_INVALID) {
        c->has_token = false;
        delay_ms = 0;
    }
    c->view.state = CLIENT_RECONNECTING;
    c->await_close = final_state == CLIENT_REJECTED;
    c->await_close_until_us = now_us + (uint64_t)c->cfg.timeout_ms * 1000u;
    c->view.reason = reason;
    copy_text(c->view.reason_text, sizeof c->view.reason_text, text.bytes, text.len);
    c->view.retry_at_us = now_us + (uint64_t)delay_ms * 1000u;
    client_event *ev = push_event(c, CLIENT_EV_RECONNECTING);
    if (ev != NULL) {
        ev->reason = reason;
        ev->delay_ms = delay_ms;
        set_event_text(ev, text);
    }
}

/* Starts the next attempt on a fresh ENet connection. */
static void reconnect(client *c, uint64_t now_us)
{
    drop_peer(c);
    ENetPeer *peer = enet_host_connect(c->net->host, &c->addr, PROTO_CHANNEL_COUNT,
                                       proto_connect_data(c->cfg.protocol_version));
    c->started_us = now_us;
    if (peer == NULL) {
        c->view.retry_at_us = now_us + (uint64_t)reconnect_delay_ms(c) * 1000u;
        return;
    }
    attach_peer(c, peer);
    enet_peer_timeout(peer, ENET_PEER_TIMEOUT_LIMIT, c->cfg.timeout_ms, c->cfg.timeout_ms);
    c->view.state = CLIENT_CONNECTING;
}

/* ---- sending -------------------------------------------------------------- */

static int send_msg(client *c, const proto_msg *m, uint8_t channel, bool reliable)
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
    int err = send_msg(c, &m, PROTO_CHANNEL_RELIABLE, true);
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
    return send_msg(c, &m, PROTO_CHANNEL_POSITION, false);
}

int client_send_ping(client *c, uint64_t now_us)
{
    if (c->view.state != CLIENT_JOINING && c->view.state != CLIENT_JOINED)
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = PROTO_PING};
    m.u.ping.client_us = now_us;
    return send_msg(c, &m, PROTO_CHANNEL_RELIABLE, true);
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
    if (!m->u.welcome.resumed)
        v->last_chat_seq = 0; /* a new seat: the lobby's numbering is new to us */
    v->capacity = m->u.welcome.capacity;
    copy_text(v->lobby, sizeof v->lobby, m->u.welcome.lobby.bytes, m->u.welcome.lobby.len);
    v->player_count = 0;
    for (unsigned i = 0; i < m->u.welcome.count; i++)
        view_add_player(v, &m->u.welcome.players[i]);
    client_event *ev = push_event(c, CLIENT_EV_JOINED);
    if (ev != NULL)
        ev->resumed = m->u.welcome.resumed;
}

static void on_player_status(client *c, const proto_msg *m)
{
    client_player *p = find_player(c, m->u.player_status.id);
    if (p == NULL)
        return;
    p->reconnecting = m->u.player_status.status == PROTO_STATUS_RECONNECTING;
    client_event *ev = push_event(c, CLIENT_EV_PLAYER_STATUS);
    if (ev != NULL) {
        ev->player_id = p->id;
        ev->reason = m->u.player_status.status;
        ev->text_len = copy_text(ev->text, sizeof ev->text, p->name, strlen(p->name));
    }
}

static void note_chat_seq(client *c, uint32_t seq)
{
    if (c->view.last_chat_seq == 0 || proto_seq_newer(seq, c->view.last_chat_seq))
        c->view.last_chat_seq = seq;
}

static void on_player_joined(client *c, const proto_msg *m)
{
    view_add_player(&c->view, &m->u.joined);
    client_event *ev = push_event(c, CLIENT_EV_PLAYER_JOINED);
    if (ev != NULL) {
        ev->player_id = m->u.joined.id;
        set_event_text(ev, m->u.joined.name);
    }
}

static void on_player_left(client *c, const proto_msg *m)
{
    client_event *ev = push_event(c, CLIENT_EV_PLAYER_LEFT);
    const client_player *p = client_find_player(c, m->u.left.id);
    if (ev != NULL) {
        ev->player_id = m->u.left.id;
        ev->reason = m->u.left.reason;
        if (p != NULL)
            ev->text_len = copy_text(ev->text, sizeof ev->text, p->name, strlen(p->name));
    }
    view_remove_player(&c->view, m->u.left.id);
}

/* One snapshot entry: positions older than the newest we hold are dropped,
 * so a reordered datagram never moves a player backwards. Our own entry is
 * the server's copy of what we sent; we know better. */
static void on_snapshot_entry(client *c, const proto_snapshot_entry *e)
{
    client_player *p = find_player(c, e->id);
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
    client_event *ev = push_event(c, CLIENT_EV_POSITION);
    if (ev != NULL) {
        ev->player_id = p->id;
        ev->seq = p->pos_seq;
        ev->sent_us = e->sent_us;
        ev->x = p->x;
        ev->y = p->y;
        ev->merged = e->merged;
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
        client_player *p = find_player(c, st->id);
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
        note_chat_seq(c, m->u.chat_relay.seq);
        if ((ev = push_event(c, CLIENT_EV_CHAT)) != NULL) {
            ev->player_id = m->u.chat_relay.from_id;
            ev->seq = m->u.chat_relay.seq;
            set_event_text(ev, m->u.chat_relay.text);
        }
        break;
    case PROTO_TEXT_CHAT_RELAY:
        note_chat_seq(c, m->u.text_chat_relay.seq);
        if ((ev = push_event(c, CLIENT_EV_CHAT)) != NULL) {
            ev->from_text = true;
            ev->seq = m->u.text_chat_relay.seq;
            copy_text(ev->sender, sizeof ev->sender, m->u.text_chat_relay.name.bytes,
                      m->u.text_chat_relay.name.len);
            set_event_text(ev, m->u.text_chat_relay.text);
        }
        break;
    case PROTO_CHAT_ACK:
        note_chat_seq(c, m->u.chat_ack.seq);
        if ((ev = push_event(c, CLIENT_EV_CHAT_ACK)) != NULL) {
            ev->msg_id = m->u.chat_ack.msg_id;
            ev->seq = m->u.chat_ack.seq;
        }
        break;
    case PROTO_CHAT_REFUSED:
        if ((ev = push_event(c, CLIENT_EV_CHAT_REFUSED)) != NULL) {
            ev->msg_id = m->u.chat_refused.msg_id;
            ev->reason = m->u.chat_refused.reason;
            set_event_text(ev, m->u.chat_refused.text);
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
    client_event *ev = push_event(c, CLIENT_EV_PONG);
    if (ev != NULL) {
        ev->rtt_us = c->view.ping_rtt_us;
        ev->sent_us = m->u.pong.client_us;
    }
}

/* Messages that cannot be decoded are dropped: a client cannot fix a server. */
static void on_receive(client *c, const uint8_t *data, size_t len, uint64_t now_us)
{
    proto_msg msg;
    if (proto_decode(data, len, &msg) != PROTO_OK)
        return;
    switch (msg.type) {
    case PROTO_WELCOME:
        on_welcome(c, &msg);
        break;
    case PROTO_REJECT:
        connection_over(c, CLIENT_REJECTED, msg.u.reject.reason, msg.u.reject.text, now_us);
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
    default:
        on_chat_message(c, &msg);
        break;
    }
}

/* With a token from an earlier welcome, asks for that seat back and for the
 * chat missed since last_chat_seq. */
static void send_hello(client *c, uint64_t now_us)
{
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(c->name);
    m.u.hello.lobby = proto_str_from_cstr(c->lobby);
    m.u.hello.password = proto_str_from_cstr(c->password);
    if (c->has_token) {
        m.u.hello.mode = PROTO_HELLO_RESUME;
        memcpy(m.u.hello.token, c->token, PROTO_TOKEN_BYTES);
        m.u.hello.last_chat_seq = c->view.last_chat_seq;
    }
    c->view.state = CLIENT_JOINING;
    if (send_msg(c, &m, PROTO_CHANNEL_RELIABLE, true) != CLIENT_OK)
        connection_over(c, CLIENT_DISCONNECTED, 0, proto_str_from_cstr("cannot send hello"),
                        now_us);
}

static void handle_event(client *c, const ENetEvent *ev, uint64_t now_us)
{
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT:
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
        attach_peer(c, NULL);
        c->await_close = false;
        const char *why = c->view.state == CLIENT_CONNECTING ? "cannot reach the server"
                                                             : proto_reason_text(ev->data);
        connection_over(c, CLIENT_DISCONNECTED, ev->data, proto_str_from_cstr(why), now_us);
        break;
    }
    case ENET_EVENT_TYPE_NONE:
        break;
    }
}

/* The handshake timeout and the next reconnection attempt. */
static void run_timers(client *c, uint64_t now_us)
{
    bool handshaking = c->view.state == CLIENT_CONNECTING || c->view.state == CLIENT_JOINING;
    if (handshaking && now_us - c->started_us > (uint64_t)c->cfg.timeout_ms * 1000u) {
        drop_peer(c);
        connection_over(c, CLIENT_DISCONNECTED, 0,
                        proto_str_from_cstr(c->view.state == CLIENT_CONNECTING
                                                ? "cannot reach the server: no answer"
                                                : "server did not answer the hello"),
                        now_us);
    }
    bool closed = !c->await_close || now_us >= c->await_close_until_us;
    if (c->view.state == CLIENT_RECONNECTING && now_us >= c->view.retry_at_us && closed)
        reconnect(c, now_us);
}

static void refresh_rtt(client *c)
{
    if (c->peer != NULL && c->peer->state == ENET_PEER_STATE_CONNECTED)
        c->view.enet_rtt_ms = c->peer->roundTripTime;
}

/* Hands each event to the client whose peer it came from; an event of a
 * peer no client owns (its client was destroyed) is dropped. */
static void net_dispatch(ENetEvent *ev, uint64_t now_us)
{
    client *c = ev->peer->data;
    if (c != NULL && c->peer == ev->peer) {
        handle_event(c, ev, now_us);
        refresh_rtt(c);
        note_due(c);
    } else if (ev->type == ENET_EVENT_TYPE_RECEIVE) {
        enet_packet_destroy(ev->packet);
    }
}

/* Walks the clients only when one of them has a timer due. */
static void net_run_timers(client_net *n, uint64_t now_us)
{
    if (now_us < n->next_due_us)
        return;
    n->next_due_us = UINT64_MAX;
    for (size_t i = 0; i < n->count; i++) {
        client *c = n->clients[i];
        if (now_us >= c->due_us)
            run_timers(c, now_us);
        note_due(c);
    }
}

void client_net_flush(client_net *n, uint64_t now_us)
{
    net_run_timers(n, now_us);
    enet_host_flush(n->host);
}

void client_net_update(client_net *n, uint64_t now_us)
{
    ENetEvent ev;
    int r = enet_host_service(n->host, &ev, 0);
    while (r > 0) {
        net_dispatch(&ev, now_us);
        r = enet_host_check_events(n->host, &ev);
    }
    net_run_timers(n, now_us);
    enet_host_flush(n->host);
}

void client_update(client *c, uint64_t now_us)
{
    if (c->owns_net) {
        client_net_update(c->net, now_us);
    } else {
        run_timers(c, now_us);
        note_due(c);
    }
    refresh_rtt(c);
}
