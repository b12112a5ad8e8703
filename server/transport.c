#include "transport.h"

#include "log.h"

#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>

enum { LINK_SAMPLE_INTERVAL_US = 1000000 };

struct transport {
    ENetHost *host;
    server *core;
    transport_config cfg;
    transport_stats stats;
    uint64_t next_link_sample_us;
};

int transport_create(const transport_config *cfg, server *core, transport **out)
{
    if (cfg->peer_count == 0 || cfg->peer_count > ENET_PROTOCOL_MAXIMUM_PEER_ID)
        return TRANSPORT_ERR_CONFIG;
    ENetAddress addr = {.host = ENET_HOST_ANY, .port = cfg->port};
    if (cfg->bind_host != NULL && enet_address_set_host(&addr, cfg->bind_host) != 0)
        return TRANSPORT_ERR_ADDRESS;
    transport *t = calloc(1, sizeof *t);
    if (t == NULL)
        return TRANSPORT_ERR_NOMEM;
    t->host = enet_host_create(&addr, cfg->peer_count, PROTO_CHANNEL_COUNT, 0, 0);
    if (t->host == NULL) {
        free(t);
        return TRANSPORT_ERR_BIND;
    }
    /* ENet would accept packets of up to 32 MB by default; nothing this
     * protocol can encode is larger than PROTO_MAX_MESSAGE_BYTES. */
    t->host->maximumPacketSize = PROTO_MAX_MESSAGE_BYTES;
    t->core = core;
    t->cfg = *cfg;
    *out = t;
    return TRANSPORT_OK;
}

void transport_destroy(transport *t)
{
    if (t == NULL)
        return;
    enet_host_destroy(t->host);
    free(t);
}

const char *transport_strerror(int err)
{
    switch (err) {
    case TRANSPORT_OK:
        return "ok";
    case TRANSPORT_ERR_ADDRESS:
        return "bind address does not resolve";
    case TRANSPORT_ERR_BIND:
        return "cannot bind the UDP socket (address in use or not available?)";
    case TRANSPORT_ERR_NOMEM:
        return "out of memory";
    case TRANSPORT_ERR_CONFIG:
        return "invalid transport configuration";
    }
    return "unknown transport error";
}

uint16_t transport_port(const transport *t)
{
    return t->host->address.port;
}

int transport_fd(const transport *t)
{
    return (int)t->host->socket;
}

const transport_stats *transport_get_stats(const transport *t)
{
    return &t->stats;
}

static uint32_t session_of(const transport *t, const ENetPeer *peer)
{
    return (uint32_t)(peer - t->host->peers);
}

static void handle_event(transport *t, const ENetEvent *ev, uint64_t now_us)
{
    uint32_t session = session_of(t, ev->peer);
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT: {
        char ip[64], label[80];
        if (enet_address_get_host_ip(&ev->peer->address, ip, sizeof ip) != 0)
            snprintf(ip, sizeof ip, "?");
        snprintf(label, sizeof label, "%s:%u", ip, (unsigned)ev->peer->address.port);
        enet_peer_timeout(ev->peer, ENET_PEER_TIMEOUT_LIMIT, t->cfg.timeout_ms, t->cfg.timeout_ms);
        /* Never let ENet's throttle drop relayed positions: each is small and
         * the next one supersedes it, so dropping saves nothing but looks
         * like network loss to the players. */
        enet_peer_throttle_configure(ev->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                     ENET_PEER_PACKET_THROTTLE_SCALE, 0);
        server_on_connect(t->core, session, ev->data, label, now_us);
        break;
    }
    case ENET_EVENT_TYPE_RECEIVE:
        t->stats.packets_in++;
        t->stats.bytes_in += ev->packet->dataLength;
        server_on_receive(t->core, session, ev->packet->data, ev->packet->dataLength, now_us);
        enet_packet_destroy(ev->packet);
        break;
    case ENET_EVENT_TYPE_DISCONNECT:
        server_on_disconnect(t->core, session, ev->data, now_us);
        break;
    case ENET_EVENT_TYPE_NONE:
        break;
    }
}

/* Hands every waiting event to the core: one service call to read the socket,
 * then the events ENet has already queued. */
static void drain_events(transport *t, uint64_t now_us)
{
    ENetEvent ev;
    int r = enet_host_service(t->host, &ev, 0);
    while (r > 0) {
        handle_event(t, &ev, now_us);
        r = enet_host_check_events(t->host, &ev);
    }
    if (r < 0) {
        /* ENet 1.3.17 reports one oversized datagram this way; it is not fatal. */
        t->stats.service_errors++;
        log_debug("transport", "enet_host_service failed (oversized datagram?)");
    }
}

static void send_packet(transport *t, const outbox *ob, const outbox_packet *op)
{
    ENetPacket *packet = enet_packet_create(ob->bytes + op->offset, op->len,
                                            op->reliable ? ENET_PACKET_FLAG_RELIABLE : 0);
    if (packet == NULL) {
        log_error("transport", "cannot allocate a %zu-byte packet", op->len);
        return;
    }
    for (size_t i = 0; i < op->dest_count; i++) {
        uint32_t session = ob->dests[op->first_dest + i];
        if (session == OUTBOX_NO_SESSION)
            continue;
        if (enet_peer_send(&t->host->peers[session], op->channel, packet) == 0) {
            t->stats.packets_out++;
            t->stats.bytes_out += op->len;
        }
    }
    if (packet->referenceCount == 0) /* nobody took it */
        enet_packet_destroy(packet);
}

static void send_outbox(transport *t)
{
    outbox *ob = server_outbox(t->core);
    for (size_t i = 0; i < ob->packet_count; i++)
        send_packet(t, ob, &ob->packets[i]);
    for (size_t i = 0; i < ob->disconnect_count; i++) {
        const outbox_disconnect *d = &ob->disconnects[i];
        if (d->session != OUTBOX_NO_SESSION)
            enet_peer_disconnect_later(&t->host->peers[d->session], d->reason);
    }
    outbox_clear(ob);
}

/* Hands ENet's per-peer link figures to the core, once a second: walking
 * every peer is not free, and the figures move slowly anyway. */
static void sample_links(transport *t, uint64_t now_us)
{
    if (now_us < t->next_link_sample_us)
        return;
    t->next_link_sample_us = now_us + LINK_SAMPLE_INTERVAL_US;
    for (size_t i = 0; i < t->host->peerCount; i++) {
        const ENetPeer *p = &t->host->peers[i];
        if (p->state != ENET_PEER_STATE_CONNECTED)
            continue;
        uint32_t loss = (uint32_t)((uint64_t)p->packetLoss * 10000u / ENET_PEER_PACKET_LOSS_SCALE);
        server_note_link(t->core, (uint32_t)i, p->roundTripTime, p->roundTripTimeVariance, loss);
    }
}

void transport_pump(transport *t, uint64_t now_us)
{
    drain_events(t, now_us);
    sample_links(t, now_us);
    server_tick(t->core, now_us);
    send_outbox(t);
    enet_host_flush(t->host);
}
