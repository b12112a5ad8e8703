#include "transport.h"

#include "cookie.h"
#include "log.h"
#include "ratelimit.h"

#include <enet/enet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
    LINK_SAMPLE_INTERVAL_US = 1000000,
    DROP_LOG_INTERVAL_US = 10000000,
    /* One service call reads up to 256 datagrams but stops at the first it
     * cannot take (an oversized one) or at an event; bound the retries so a
     * flood cannot starve the rest of the pass. */
    DRAIN_MAX_SERVICE_CALLS = 64,
    /* Every admitted CONNECT costs a walk over the peers: bound them all. */
    ALL_CONNECTS_PER_S = 1000,
    /* Every cookie reply costs a send: each address may ask this many times
     * its CONNECT rate and burst (a client resends every 250 ms), and all
     * together this many a second, so a flood of requests from forged
     * addresses is mostly dropped at the cost of a lookup, and the server
     * keeps reading its socket faster than the kernel fills it. */
    COOKIE_REQUESTS_PER_CONNECT = 4,
    ALL_COOKIE_REPLIES_PER_S = 20000,
    CONNECT_SOURCES = 1024, /* per-IP CONNECT buckets, direct-mapped by IP */
    /* Commands ENet holds for a peer, waiting for an earlier one: a real
     * client (chat at a few a second) has a handful at most. */
    MAX_QUEUED_COMMANDS = 1024,
    /* The default share of peer slots kept for addresses that hold none:
     * max(8, peers / 8). A household can still open far more than its
     * players' worth of connections (options.c makes max_players + 25 %
     * + 16 slots), and whoever has none yet always finds a slot. */
    RESERVE_MIN_PEERS = 8,
};

/* A CONNECT token bucket for one source IP. */
typedef struct connect_source {
    uint32_t ip; /* network order, as ENet keeps it; 0 while unused */
    rate_bucket bucket;
} connect_source;

struct transport {
    ENetHost *host;
    server *core;
    transport_config cfg;
    transport_stats stats;
    uint64_t now_us; /* of the current pump: the intercept callback gets no time */
    uint64_t next_link_sample_us;
    uint64_t next_drop_log_us;
    uint64_t drops_logged[TRANSPORT_DROP_REASONS];
    bool connects_admitted; /* since the last half-open sweep */
    cookie_key cookie;
    uint32_t reserve_peers; /* cfg.reserve_peers, or its default */
    rate_bucket all_connects;
    connect_source sources[CONNECT_SOURCES];
    rate_bucket all_cookie_replies;
    connect_source cookie_sources[CONNECT_SOURCES]; /* cookie requests per source IP */
    /* Peers that datagrams arrived for in this pass, each once: only their
     * queues can have grown, so only they need checking (check_queues). */
    uint16_t *touched;
    uint8_t *is_touched; /* by peer index */
    /* By peer index: a DISCONNECT command came from the peer since its
     * connect, so its DISCONNECT event is a goodbye, not a timeout. */
    uint8_t *said_goodbye;
    size_t touched_count;
};

void transport_config_defaults(transport_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_ms = 5000;
    enet_filter_config_defaults(&cfg->filter);
    /* ENet resends VERIFY_CONNECT after 0.5, 1.5, 3.5 s... and checks its
     * timeout only then. 1500 ms gave up at the second send and dropped about
     * 1 % of real handshakes through 5 % loss; 2500 waits for the third and
     * still frees a spoofed slot at 3.5 s, so a real player gets in within 5 s
     * of a flood, instead of ENet's 30. */
    cfg->half_open_ms = 2500;
    cfg->max_half_open_per_ip = 4;
    cfg->max_peers_per_ip = 64;
    cfg->connect_per_s = 16;
    cfg->connect_burst = 64; /* a whole bench of bots behind one address */
    cfg->max_waiting_kb = 256;
    cfg->max_backlog_kb = 1024;
}

const char *transport_drop_reason(int reason)
{
    switch (reason) {
    case TRANSPORT_DROP_CONNECT_RATE:
        return "CONNECT over its rate";
    case TRANSPORT_DROP_HALF_OPEN:
        return "CONNECT from an address with too many unanswered handshakes";
    case TRANSPORT_DROP_OVERSIZED:
        return "larger than ENet's receive buffer";
    case TRANSPORT_DROP_NO_COOKIE:
        return "CONNECT without a valid cookie";
    case TRANSPORT_DROP_COOKIE_REQUEST:
        return "malformed cookie request";
    case TRANSPORT_DROP_CONNECT_TOTAL:
        return "CONNECT over the server-wide rate";
    case TRANSPORT_DROP_RESERVE:
        return "CONNECT from an address with peers while only the reserve is free";
    case TRANSPORT_DROP_COOKIE_RATE:
        return "cookie request over its rate";
    case TRANSPORT_DROP_COOKIE_TOTAL:
        return "cookie request over the server-wide rate";
    }
    return enet_filter_strerror(-reason);
}

static void address_label(const ENetAddress *a, char *out, size_t cap)
{
    char ip[64];
    if (enet_address_get_host_ip(a, ip, sizeof ip) != 0)
        snprintf(ip, sizeof ip, "?");
    snprintf(out, cap, "%s:%u", ip, (unsigned)a->port);
}

/* Counts a drop; the first of each kind is logged at once, the rest in the
 * summary every 10 s (log_drop_summary), so a flood cannot flood the log. */
static void note_drop(transport *t, int reason, const ENetAddress *from)
{
    if (t->stats.dropped[reason]++ > 0)
        return;
    t->drops_logged[reason] = 1;
    char label[80] = "an unknown address"; /* ENet keeps no sender for an oversized one */
    if (from != NULL)
        address_label(from, label, sizeof label);
    log_warn("transport", "dropped a datagram from %s: %s (more are summarised every 10 s)", label,
             transport_drop_reason(reason));
}

static void log_drop_summary(transport *t, uint64_t now_us)
{
    if (now_us < t->next_drop_log_us)
        return;
    t->next_drop_log_us = now_us + DROP_LOG_INTERVAL_US;
    char line[512];
    size_t used = 0;
    for (int r = 1; r < TRANSPORT_DROP_REASONS && used < sizeof line; r++) {
        uint64_t fresh = t->stats.dropped[r] - t->drops_logged[r];
        t->drops_logged[r] = t->stats.dropped[r];
        if (fresh > 0)
            used +=
                (size_t)snprintf(line + used, sizeof line - used, "%s%s: %llu", used ? ", " : "",
                                 transport_drop_reason(r), (unsigned long long)fresh);
    }
    if (used > 0)
        log_warn("transport", "dropped datagrams in the last 10 s: %s", line);
}

/* What the peer slots hold, as far as one CONNECT from ip needs to know. */
typedef struct peer_census {
    uint32_t free;       /* slots ENet could give a new peer */
    uint32_t held;       /* slots ip holds, in any state */
    uint32_t unanswered; /* ip's handshakes unanswered past the first resend */
} peer_census;

/* Handshakes count as unanswered once past the first resend of our
 * VERIFY_CONNECT (ENet sets earliestTimeout then). A real client answers
 * within a round trip, so a burst of fresh ones (bots starting together)
 * does not count, but a pile that nobody answers does. Walks every peer:
 * only for the CONNECTs that passed the rate limits. */
static peer_census census(const ENetHost *host, uint32_t ip)
{
    peer_census c = {0};
    for (size_t i = 0; i < host->peerCount; i++) {
        const ENetPeer *p = &host->peers[i];
        if (p->state == ENET_PEER_STATE_DISCONNECTED) {
            c.free++;
            continue;
        }
        if (p->address.host != ip)
            continue;
        c.held++;
        c.unanswered +=
            p->state == ENET_PEER_STATE_ACKNOWLEDGING_CONNECT && p->earliestTimeout != 0;
    }
    return c;
}

/* ip's bucket in table (CONNECT_SOURCES of them), full when new. */
static rate_bucket *bucket_of(transport *t, connect_source *table, uint32_t ip, double burst)
{
    uint32_t slot = (ip * 2654435761u) >> 22; /* Fibonacci hashing to 10 bits */
    connect_source *s = &table[slot % CONNECT_SOURCES];
    if (s->ip != ip) {
        s->ip = ip;
        rate_bucket_init(&s->bucket, burst, t->now_us);
    }
    return &s->bucket;
}

/* Returns 0 to let a CONNECT through, or the TRANSPORT_DROP_* reason. The
 * cookie comes first: it proves the source address, so nothing after it
 * can be charged to an address the sender does not own. Then the address's
 * own rate, so that one address's flood is refused before it can spend the
 * server-wide budget the others share; that budget in turn bounds the peer
 * walks of the checks after it. */
static int judge_connect(transport *t, const ENetAddress *from, uint32_t data)
{
    if (!cookie_valid(&t->cookie, from->host, from->port, data, t->now_us))
        return TRANSPORT_DROP_NO_COOKIE;
    rate_bucket *b = bucket_of(t, t->sources, from->host, t->cfg.connect_burst);
    if (!rate_bucket_take(b, t->cfg.connect_per_s, t->cfg.connect_burst, t->now_us))
        return TRANSPORT_DROP_CONNECT_RATE;
    if (!rate_bucket_take(&t->all_connects, ALL_CONNECTS_PER_S, ALL_CONNECTS_PER_S, t->now_us))
        return TRANSPORT_DROP_CONNECT_TOTAL;
    peer_census c = census(t->host, from->host);
    if (c.unanswered >= t->cfg.max_half_open_per_ip)
        return TRANSPORT_DROP_HALF_OPEN;
    /* Its new peer would eat into the reserve: only for an address with none. */
    if (c.free <= t->reserve_peers && c.held > 0)
        return TRANSPORT_DROP_RESERVE;
    t->connects_admitted = true;
    return 0;
}

/* A cookie request is answered at once from the intercept, with nothing
 * kept: the reply (16 bytes) is smaller than the request (64), so a forged
 * source gains nothing by reflecting it. */
static int answer_cookie_request(transport *t, ENetHost *host)
{
    proto_cookie_request req;
    if (!proto_cookie_request_decode(host->receivedData, host->receivedDataLength, &req))
        return TRANSPORT_DROP_COOKIE_REQUEST;
    const ENetAddress *from = &host->receivedAddress;
    double per_s = COOKIE_REQUESTS_PER_CONNECT * t->cfg.connect_per_s;
    double burst = COOKIE_REQUESTS_PER_CONNECT * t->cfg.connect_burst;
    rate_bucket *b = bucket_of(t, t->cookie_sources, from->host, burst);
    if (!rate_bucket_take(b, per_s, burst, t->now_us))
        return TRANSPORT_DROP_COOKIE_RATE;
    if (!rate_bucket_take(&t->all_cookie_replies, ALL_COOKIE_REPLIES_PER_S,
                          ALL_COOKIE_REPLIES_PER_S, t->now_us))
        return TRANSPORT_DROP_COOKIE_TOTAL;
    proto_cookie_reply reply = {.version = PROTO_VERSION, .nonce = req.nonce};
    if (req.version != PROTO_VERSION) {
        reply.status = PROTO_COOKIE_VERSION_MISMATCH;
        t->stats.cookie_mismatches++;
    } else {
        reply.cookie = cookie_make(&t->cookie, from->host, from->port, t->now_us);
        t->stats.cookies_sent++;
    }
    uint8_t bytes[PROTO_COOKIE_REPLY_BYTES];
    proto_cookie_reply_encode(&reply, bytes);
    ENetBuffer buf = {.data = bytes, .dataLength = sizeof bytes};
    enet_socket_send(host->socket, from, &buf, 1);
    return 0;
}

static void note_touched(transport *t, uint16_t peer_id)
{
    if (peer_id >= t->host->peerCount || t->is_touched[peer_id])
        return;
    t->is_touched[peer_id] = 1;
    t->touched[t->touched_count++] = peer_id;
}

/* A DISCONNECT command for a connected peer, from that peer's address and
 * session as ENet will check them: the peer leaves on purpose. */
static void note_goodbye(transport *t, const ENetHost *host, const enet_filter_info *info)
{
    if (info->goodbyes == 0 || info->peer_id >= host->peerCount)
        return;
    const ENetPeer *p = &host->peers[info->peer_id];
    if (p->state != ENET_PEER_STATE_DISCONNECTED && p->address.host == host->receivedAddress.host &&
        p->address.port == host->receivedAddress.port && p->incomingSessionID == info->session_id)
        t->said_goodbye[info->peer_id] = 1;
}

/* ENet 1.3.17 calls this for every datagram it receives, before parsing it:
 * 1 swallows the datagram, 0 hands it to ENet. Its only argument we can use
 * is the host, so the transport rides in compressor.context, which ENet
 * passes to nothing but compressor callbacks, and this host has none. */
static int ENET_CALLBACK intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    transport *t = host->compressor.context;
    t->stats.datagrams_in++;
    if (t->cfg.tap != NULL)
        t->cfg.tap(t->cfg.tap_user, host->receivedData, host->receivedDataLength);
    /* Before the filter, which would call the magic a compressed header. */
    if (proto_cookie_has_magic(host->receivedData, host->receivedDataLength,
                               PROTO_COOKIE_REQUEST_MAGIC)) {
        int why = answer_cookie_request(t, host);
        if (why != 0)
            note_drop(t, why, &host->receivedAddress);
        return 1;
    }
    enet_filter_info info;
    int verdict =
        enet_filter_check(&t->cfg.filter, host->receivedData, host->receivedDataLength, &info);
    int reason = verdict != ENET_FILTER_PASS ? -verdict : 0;
    if (reason == 0 && info.connects > 0)
        reason = judge_connect(t, &host->receivedAddress, info.connect_data);
    if (reason == 0) {
        note_touched(t, info.peer_id);
        note_goodbye(t, host, &info);
        return 0;
    }
    note_drop(t, reason, &host->receivedAddress);
    return 1;
}

static void apply_host_limits(ENetHost *host, const transport_config *cfg)
{
    /* ENet would accept packets of up to 32 MB by default; nothing this
     * protocol can encode is larger than PROTO_MAX_MESSAGE_BYTES. */
    host->maximumPacketSize = PROTO_MAX_MESSAGE_BYTES;
    /* Per peer in 1.3.17: data queued for reassembly or delivery (32 MB by
     * default); a peer over it has its next data command refused. */
    host->maximumWaitingData = (size_t)cfg->max_waiting_kb * 1024;
    host->duplicatePeers = cfg->max_peers_per_ip;
    host->intercept = intercept;
}

enum {
    SOCKET_BUFFER_PER_PEER = 8 * 1024,
    SOCKET_BUFFER_MIN = 256 * 1024,
    SOCKET_BUFFER_MAX = 4 << 20
};

/* Every member's datagrams of a snapshot tick leave, and every player's
 * positions arrive, through one socket. ENet asks for 256 kB, which a
 * thousand players moving at 30 Hz overflow within a scheduling hiccup:
 * the kernel then drops datagrams before ENet sees them. Ask for more; the
 * kernel caps it at net.core.rmem_max / wmem_max, so say what we got. */
static void enlarge_socket_buffers(ENetHost *host, uint32_t peer_count)
{
    size_t want = (size_t)peer_count * SOCKET_BUFFER_PER_PEER;
    if (want <= SOCKET_BUFFER_MIN)
        return;
    if (want > SOCKET_BUFFER_MAX)
        want = SOCKET_BUFFER_MAX;
    enet_socket_set_option(host->socket, ENET_SOCKOPT_RCVBUF, (int)want);
    enet_socket_set_option(host->socket, ENET_SOCKOPT_SNDBUF, (int)want);
    /* ENet 1.3.17's enet_socket_get_option knows neither option. */
    int rcv = 0, snd = 0;
    socklen_t len = sizeof rcv;
    getsockopt(host->socket, SOL_SOCKET, SO_RCVBUF, &rcv, &len);
    len = sizeof snd;
    getsockopt(host->socket, SOL_SOCKET, SO_SNDBUF, &snd, &len);
    /* Linux reports double what it granted (the rest is its bookkeeping). */
    rcv /= 2;
    snd /= 2;
    if ((size_t)rcv < want || (size_t)snd < want)
        log_info("transport",
                 "socket buffers are %d kB in, %d kB out of %zu kB asked for: raise "
                 "net.core.rmem_max and wmem_max for %u players",
                 rcv / 1024, snd / 1024, want / 1024, (unsigned)peer_count);
    else
        log_info("transport", "socket buffers %d kB in, %d kB out", rcv / 1024, snd / 1024);
}

int transport_create(const transport_config *cfg, server *core, transport **out)
{
    if (cfg->peer_count == 0 || cfg->peer_count > ENET_PROTOCOL_MAXIMUM_PEER_ID ||
        cfg->max_peers_per_ip == 0 || cfg->max_half_open_per_ip == 0 || cfg->half_open_ms == 0 ||
        !(cfg->connect_per_s > 0) || cfg->connect_burst < 1 || cfg->max_waiting_kb == 0 ||
        cfg->max_backlog_kb == 0)
        return TRANSPORT_ERR_CONFIG;
    ENetAddress addr = {.host = ENET_HOST_ANY, .port = cfg->port};
    if (cfg->bind_host != NULL && enet_address_set_host(&addr, cfg->bind_host) != 0)
        return TRANSPORT_ERR_ADDRESS;
    transport *t = calloc(1, sizeof *t);
    if (t == NULL)
        return TRANSPORT_ERR_NOMEM;
    t->touched = calloc(cfg->peer_count, sizeof *t->touched);
    t->is_touched = calloc(cfg->peer_count, 1);
    t->said_goodbye = calloc(cfg->peer_count, 1);
    if (t->touched == NULL || t->is_touched == NULL || t->said_goodbye == NULL) {
        transport_destroy(t);
        return TRANSPORT_ERR_NOMEM;
    }
    /* ENet says only NULL; its socket() or bind() left errno (what it frees
     * afterwards does not touch it: close and glibc's free keep errno). */
    errno = 0;
    t->host = enet_host_create(&addr, cfg->peer_count, PROTO_CHANNEL_COUNT, 0, 0);
    if (t->host == NULL) {
        int bind_errno = errno;
        transport_destroy(t);
        errno = bind_errno;
        return TRANSPORT_ERR_BIND;
    }
    if (!cookie_key_init(&t->cookie)) {
        transport_destroy(t);
        return TRANSPORT_ERR_NOMEM;
    }
    t->host->compressor.context = t; /* see intercept() */
    apply_host_limits(t->host, cfg);
    enlarge_socket_buffers(t->host, cfg->peer_count);
    rate_bucket_init(&t->all_connects, ALL_CONNECTS_PER_S, 0);
    rate_bucket_init(&t->all_cookie_replies, ALL_COOKIE_REPLIES_PER_S, 0);
    t->reserve_peers = cfg->reserve_peers;
    if (t->reserve_peers == 0)
        t->reserve_peers =
            cfg->peer_count / 8 > RESERVE_MIN_PEERS ? cfg->peer_count / 8 : RESERVE_MIN_PEERS;
    t->core = core;
    t->cfg = *cfg;
    *out = t;
    return TRANSPORT_OK;
}

void transport_destroy(transport *t)
{
    if (t == NULL)
        return;
    if (t->host != NULL) {
        t->host->compressor.context = NULL; /* ours, not a compressor's */
        enet_host_destroy(t->host);
    }
    free(t->touched);
    free(t->is_touched);
    free(t->said_goodbye);
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
        return "cannot bind the UDP socket";
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

bool transport_session_rtt_ms(const transport *t, uint32_t session, uint32_t *rtt_ms)
{
    if (session >= t->host->peerCount || t->host->peers[session].state != ENET_PEER_STATE_CONNECTED)
        return false;
    *rtt_ms = t->host->peers[session].roundTripTime;
    return true;
}

void transport_for_each_rtt(const transport *t,
                            void (*fn)(void *user, uint32_t session, uint32_t rtt_ms), void *user)
{
    for (uint32_t i = 0; i < t->host->peerCount; i++)
        if (t->host->peers[i].state == ENET_PEER_STATE_CONNECTED)
            fn(user, i, t->host->peers[i].roundTripTime);
}

/* ENet keeps its traffic totals in 32 bits, which wrap after 4 GB: move them
 * into our 64-bit counters and restart ENet's from zero, as enet.h asks. */
static void gather_udp_totals(transport *t)
{
    ENetHost *h = t->host;
    t->stats.udp_datagrams_in += h->totalReceivedPackets;
    t->stats.udp_bytes_in += h->totalReceivedData;
    t->stats.udp_datagrams_out += h->totalSentPackets;
    t->stats.udp_bytes_out += h->totalSentData;
    h->totalReceivedPackets = h->totalReceivedData = 0;
    h->totalSentPackets = h->totalSentData = 0;
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
        char label[80];
        address_label(&ev->peer->address, label, sizeof label);
        /* The data was the cookie, already checked in the intercept together
         * with the version (the cookie request carries it). */
        uint32_t connect_data = proto_connect_data(PROTO_VERSION);
        /* Also undoes the short half-open timeout. */
        enet_peer_timeout(ev->peer, ENET_PEER_TIMEOUT_LIMIT, t->cfg.timeout_ms, t->cfg.timeout_ms);
        /* Never let ENet's throttle drop relayed positions: each is small and
         * the next one supersedes it, so dropping saves nothing but looks
         * like network loss to the players. */
        enet_peer_throttle_configure(ev->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                     ENET_PEER_PACKET_THROTTLE_SCALE, 0);
        t->said_goodbye[session] = 0;
        server_on_connect(t->core, session, connect_data, ev->peer->channelCount,
                          ev->peer->address.host, label, now_us);
        /* ENet (since 1.3.15, "quicker RTT initialization") sets
         * roundTripTime straight from the first acknowledgement, and on this
         * side the connect event comes from the acknowledgement of
         * VERIFY_CONNECT: a fresh connection's round trip is already
         * measured, so a lobby's max RTT applies from the first HELLO. */
        server_note_link(t->core, session, ev->peer->roundTripTime, ev->peer->roundTripTimeVariance,
                         0);
        break;
    }
    case ENET_EVENT_TYPE_RECEIVE:
        t->stats.packets_in++;
        t->stats.bytes_in += ev->packet->dataLength;
        server_on_receive(t->core, session, ev->channelID, ev->packet->data, ev->packet->dataLength,
                          now_us);
        enet_packet_destroy(ev->packet);
        break;
    case ENET_EVENT_TYPE_DISCONNECT:
        server_on_disconnect(t->core, session, ev->data, t->said_goodbye[session] != 0, now_us);
        t->said_goodbye[session] = 0;
        break;
    case ENET_EVENT_TYPE_NONE:
        break;
    }
}

/* A handshake that is never answered holds its peer slot until ENet gives up
 * on VERIFY_CONNECT, 30 s by default, so a few spoofed CONNECTs could lock
 * real players out. Give fresh half-open peers half_open_ms instead; ENet
 * resets an unanswered one silently, so the core never hears of it. */
static void sweep_half_open(transport *t)
{
    if (!t->connects_admitted)
        return;
    t->connects_admitted = false;
    for (size_t i = 0; i < t->host->peerCount; i++) {
        ENetPeer *p = &t->host->peers[i];
        if (p->state == ENET_PEER_STATE_ACKNOWLEDGING_CONNECT &&
            p->timeoutMaximum != t->cfg.half_open_ms) {
            enet_peer_timeout(p, ENET_PEER_TIMEOUT_LIMIT, t->cfg.half_open_ms, t->cfg.half_open_ms);
            t->stats.half_open_shortened++;
        }
    }
}

static bool socket_readable(const transport *t)
{
    struct pollfd pfd = {.fd = (int)t->host->socket, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

/* Hands every waiting event to the core. Each service call walks every peer
 * slot twice (ENet sends before and after reading), which at thousands of
 * peers costs more than the datagrams, so call it again only while the
 * socket still holds something: after 256 datagrams, or after a CONNECT or
 * DISCONNECT, which end ENet's read early. ENet 1.3.17's service call
 * reports a datagram larger than its buffer by returning < 0 and leaves the
 * rest unread: count it and go on. */
static void drain_events(transport *t, uint64_t now_us)
{
    for (int calls = 0; calls < DRAIN_MAX_SERVICE_CALLS; calls++) {
        ENetEvent ev;
        int r = enet_host_service(t->host, &ev, 0);
        if (r < 0) {
            t->stats.service_errors++;
            note_drop(t, TRANSPORT_DROP_OVERSIZED, NULL);
            continue;
        }
        t->stats.service_calls++;
        while (r > 0) {
            handle_event(t, &ev, now_us);
            r = enet_host_check_events(t->host, &ev);
        }
        if (!socket_readable(t))
            break;
    }
    sweep_half_open(t);
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

/* Bytes a peer has not taken yet: reliable data in flight plus everything
 * queued behind it. Stops counting past limit: the walk is all it costs. */
static size_t backlog_bytes(const ENetPeer *p, size_t limit)
{
    size_t total = p->reliableDataInTransit;
    const ENetListNode *end = &p->outgoingCommands.sentinel;
    for (const ENetListNode *n = end->next; n != end && total <= limit; n = n->next)
        total += ((const ENetOutgoingCommand *)n)->fragmentLength;
    return total;
}

/* Disconnects a peer the transport gave up on. ENet's disconnect_now resets
 * it without an event, so the core hears of it here, as of a timeout. */
static void drop_peer(transport *t, uint32_t session, uint64_t now_us, const char *why)
{
    ENetPeer *p = &t->host->peers[session];
    char label[80];
    address_label(&p->address, label, sizeof label);
    log_warn("transport", "peer %s %s; disconnecting", label, why);
    enet_peer_disconnect_now(p, PROTO_REASON_PROTOCOL_VIOLATION);
    server_on_disconnect(t->core, session, 0, false, now_us);
}

static size_t count_up_to(const ENetList *list, size_t limit)
{
    size_t n = 0;
    const ENetListNode *end = &list->sentinel;
    for (const ENetListNode *node = end->next; node != end && n <= limit; node = node->next)
        n++;
    return n;
}

/* Commands ENet keeps for a peer until an earlier one arrives. Each costs
 * some 200 bytes while maximumWaitingData counts only its data, so one-byte
 * packets ahead of a withheld one would pile up to tens of MB. */
static size_t queued_commands(const ENetPeer *p, size_t limit)
{
    size_t n = 0;
    for (size_t c = 0; c < p->channelCount && n <= limit; c++) {
        n += count_up_to(&p->channels[c].incomingReliableCommands, limit);
        n += count_up_to(&p->channels[c].incomingUnreliableCommands, limit);
    }
    return n;
}

/* Every pass, so a flood is stopped after at most one socket buffer of it;
 * only the peers that got datagrams in this pass can have grown. */
static void check_queues(transport *t, uint64_t now_us)
{
    for (size_t k = 0; k < t->touched_count; k++) {
        uint16_t i = t->touched[k];
        t->is_touched[i] = 0;
        const ENetPeer *p = &t->host->peers[i];
        if (p->state != ENET_PEER_STATE_CONNECTED ||
            queued_commands(p, MAX_QUEUED_COMMANDS) <= MAX_QUEUED_COMMANDS)
            continue;
        t->stats.flooding_peers++;
        drop_peer(t, i, now_us, "holds too many commands out of order");
    }
    t->touched_count = 0;
}

/* Once a second: drops peers over their backlog and hands ENet's link
 * figures of the others to the core. Walking every peer is not free, and
 * the figures move slowly anyway. */
static void check_peers(transport *t, uint64_t now_us)
{
    if (now_us < t->next_link_sample_us)
        return;
    t->next_link_sample_us = now_us + LINK_SAMPLE_INTERVAL_US;
    size_t limit = (size_t)t->cfg.max_backlog_kb * 1024;
    t->stats.peers_in_use = 0;
    for (uint32_t i = 0; i < t->host->peerCount; i++) {
        const ENetPeer *p = &t->host->peers[i];
        t->stats.peers_in_use += p->state != ENET_PEER_STATE_DISCONNECTED;
        if (p->state != ENET_PEER_STATE_CONNECTED)
            continue;
        size_t queued = backlog_bytes(p, limit);
        if (queued > limit) {
            char why[64];
            snprintf(why, sizeof why, "too slow: %zu KB queued", queued / 1024);
            t->stats.slow_peers++;
            drop_peer(t, i, now_us, why);
            continue;
        }
        uint32_t loss = (uint32_t)((uint64_t)p->packetLoss * 10000u / ENET_PEER_PACKET_LOSS_SCALE);
        server_note_link(t->core, i, p->roundTripTime, p->roundTripTimeVariance, loss);
    }
}

void transport_drain(transport *t, uint64_t now_us)
{
    t->now_us = now_us;
    t->stats.passes++;
    drain_events(t, now_us);
    check_queues(t, now_us);
    check_peers(t, now_us);
}

void transport_flush(transport *t, uint64_t now_us)
{
    send_outbox(t);
    enet_host_flush(t->host);
    gather_udp_totals(t);
    log_drop_summary(t, now_us);
}
