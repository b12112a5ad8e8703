#include "client_internal.h"

#include <stdlib.h>

/* ---- the shared host ------------------------------------------------------ */

/* The client waiting for this cookie reply: same nonce, and it came from
 * that client's server. */
static client *cookie_waiter(const client_net *n, const proto_cookie_reply *reply,
                             const ENetAddress *from)
{
    for (size_t i = 0; i < n->count; i++) {
        client *c = n->clients[i];
        if (c->awaiting_cookie && c->view.state == CLIENT_CONNECTING &&
            c->cookie_nonce == reply->nonce && c->addr.host == from->host &&
            c->addr.port == from->port)
            return c;
    }
    return NULL;
}

/* ENet 1.3.17 shows this every datagram before parsing it: a cookie reply
 * is not ENet's and goes to its client (1: swallowed). The net rides in
 * compressor.context, which only compressor callbacks get, and this host
 * has none. */
static int ENET_CALLBACK net_intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    client_net *n = host->compressor.context;
    if (!proto_cookie_has_magic(host->receivedData, host->receivedDataLength,
                                PROTO_COOKIE_REPLY_MAGIC))
        return 0;
    proto_cookie_reply reply;
    client *c = NULL;
    if (proto_cookie_reply_decode(host->receivedData, host->receivedDataLength, &reply) &&
        (c = cookie_waiter(n, &reply, &host->receivedAddress)) != NULL) {
        client_on_cookie(c, &reply, n->now_us);
        client_note_due(c);
    }
    return 1;
}

enum { NET_MIN_RCVBUF = 256 * 1024, NET_RCVBUF_PER_CLIENT = 8 * 1024, NET_MAX_RCVBUF = 4 << 20 };

int client_net_create(size_t max_clients, client_net **out)
{
    if (max_clients == 0 || max_clients > ENET_PROTOCOL_MAXIMUM_PEER_ID)
        return CLIENT_ERR_ARG;
    /* ENet wants this before any host; on Unix it keeps no state and
     * returns 0, so calling it for every net is harmless for front ends
     * that called it already, and liblobby-client's games need not know
     * ENet exists (no enet_deinitialize: it would undo nothing either). */
    if (enet_initialize() != 0)
        return CLIENT_ERR_ENET;
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
    n->host->compressor.context = n; /* see net_intercept() */
    n->host->intercept = net_intercept;
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
    if (n->host != NULL) {
        n->host->compressor.context = NULL; /* ours, not a compressor's */
        enet_host_destroy(n->host);
    }
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
void client_attach_peer(client *c, ENetPeer *peer)
{
    if (c->peer != NULL && c->peer->data == c)
        c->peer->data = NULL;
    c->peer = peer;
    if (peer != NULL)
        peer->data = c;
}

/* Drops the connection at once without telling the server. */
void client_drop_peer(client *c)
{
    ENetPeer *peer = c->peer;
    client_attach_peer(c, NULL);
    if (peer != NULL)
        enet_peer_reset(peer);
}

static uint64_t timer_due_us(const client *c)
{
    switch (c->view.state) {
    case CLIENT_CONNECTING:
        if (c->awaiting_cookie) {
            uint64_t resend = c->cookie_sent_us + CLIENT_COOKIE_RESEND_MS * 1000u;
            uint64_t give_up = c->started_us + (uint64_t)c->cfg.timeout_ms * 1000u;
            return resend < give_up ? resend : give_up;
        }
        return c->started_us + (uint64_t)c->cfg.timeout_ms * 1000u;
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
void client_note_due(client *c)
{
    c->due_us = timer_due_us(c);
    if (c->due_us < c->net->next_due_us)
        c->net->next_due_us = c->due_us;
}

void client_net_unregister(client *c)
{
    client_net *n = c->net;
    n->clients[c->net_slot] = n->clients[--n->count];
    n->clients[c->net_slot]->net_slot = c->net_slot;
    for (size_t i = 0; c->in_ready && i < n->ready_count; i++)
        if (n->ready[i] == c)
            n->ready[i] = n->ready[--n->ready_count];
}

/* Hands each event to the client whose peer it came from; an event of a
 * peer no client owns (its client was destroyed) is dropped. */
static void net_dispatch(ENetEvent *ev, uint64_t now_us)
{
    client *c = ev->peer->data;
    if (c != NULL && c->peer == ev->peer) {
        client_handle_enet_event(c, ev, now_us);
        client_refresh_rtt(c);
        client_note_due(c);
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
            client_run_timers(c, now_us);
        client_note_due(c);
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
    n->now_us = now_us;
    int r = enet_host_service(n->host, &ev, 0);
    while (r > 0) {
        net_dispatch(&ev, now_us);
        r = enet_host_check_events(n->host, &ev);
    }
    net_run_timers(n, now_us);
    enet_host_flush(n->host);
}
