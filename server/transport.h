/* The ENet side of the server: owns the ENet host, turns ENet events into
 * server core calls and sends the core's outbox. Each pump drains every
 * waiting event, then sends and flushes once. The caller waits on
 * transport_fd() with poll() so signals and timers can wake the loop. */
#ifndef LOBBY_TRANSPORT_H
#define LOBBY_TRANSPORT_H

#include "enet_filter.h"
#include "server.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every received datagram, before the filter judges it (tests record them). */
typedef void (*transport_tap)(void *user, const uint8_t *datagram, size_t len);

typedef struct transport_config {
    const char *bind_host; /* dotted IPv4 or hostname; NULL or "0.0.0.0" for any */
    uint16_t port;         /* 0 picks a free port */
    uint32_t peer_count;   /* ENet peer slots; must equal the core's max_sessions */
    uint32_t timeout_ms;   /* a silent peer is dropped after about this long */
    /* Hostile input. Datagrams that fail enet_filter_check are dropped before
     * ENet parses them; CONNECTs need a connect cookie (cookie.h) and are
     * rate-limited per source IP. */
    enet_filter_config filter;
    uint32_t half_open_ms;         /* an unanswered handshake frees its slot after this */
    uint32_t max_half_open_per_ip; /* unanswered handshakes before an IP's CONNECTs drop */
    uint32_t max_peers_per_ip;     /* ENet's duplicatePeers */
    uint32_t reserve_peers;        /* slots kept for IPs holding none; 0: max(8, peer_count/8) */
    double connect_per_s;          /* CONNECTs per source IP: sustained rate ... */
    double connect_burst;          /* ... and burst */
    uint32_t max_waiting_kb;       /* ENet's maximumWaitingData: incoming data held per peer */
    uint32_t max_backlog_kb;       /* outgoing data queued for a peer before it is dropped */
    transport_tap tap;             /* NULL: none */
    void *tap_user;
} transport_config;

/* Why the transport dropped a datagram: the filter's reasons (indexed by
 * -verdict, so 0 is unused) followed by these. */
enum {
    TRANSPORT_DROP_CONNECT_RATE = ENET_FILTER_VERDICT_COUNT, /* over its IP's rate */
    TRANSPORT_DROP_HALF_OPEN,      /* its IP has too many unanswered handshakes */
    TRANSPORT_DROP_OVERSIZED,      /* larger than ENet's buffer: enet_host_service < 0 */
    TRANSPORT_DROP_NO_COOKIE,      /* CONNECT whose data is no valid cookie for its source */
    TRANSPORT_DROP_COOKIE_REQUEST, /* "LBYQ" datagram of the wrong size */
    TRANSPORT_DROP_CONNECT_TOTAL,  /* over the server-wide CONNECT rate */
    TRANSPORT_DROP_RESERVE,      /* from an address holding peers while only the reserve is free */
    TRANSPORT_DROP_COOKIE_RATE,  /* cookie request over its IP's rate */
    TRANSPORT_DROP_COOKIE_TOTAL, /* cookie request over the server-wide rate */
    TRANSPORT_DROP_REASONS,
};

/* Counters that only the transport can see. */
typedef struct transport_stats {
    uint64_t service_errors; /* enet_host_service < 0, e.g. an oversized datagram */
    uint64_t service_calls;  /* enet_host_service calls that did not fail */
    uint64_t passes;         /* transport_drain calls */
    uint64_t packets_in, bytes_in;
    uint64_t packets_out, bytes_out; /* per recipient */
    uint64_t datagrams_in;           /* seen by the filter */
    uint64_t dropped[TRANSPORT_DROP_REASONS];
    uint64_t half_open_shortened; /* handshakes given the half_open_ms timeout */
    uint64_t slow_peers;          /* disconnected for their outgoing backlog */
    uint64_t flooding_peers;      /* disconnected for too many commands out of order */
    uint64_t cookies_sent;        /* cookie replies with status ok */
    uint64_t cookie_mismatches;   /* cookie replies with status version mismatch */
    uint64_t peers_in_use;        /* ENet peer slots not free, sampled once a second */
    /* UDP traffic as ENet counts it (its headers, acknowledgements and pings
     * included; in: every datagram read, dropped ones too), gathered each pump. */
    uint64_t udp_datagrams_in, udp_bytes_in;
    uint64_t udp_datagrams_out, udp_bytes_out;
} transport_stats;

typedef struct transport transport;

typedef enum transport_error {
    TRANSPORT_OK = 0,
    TRANSPORT_ERR_ADDRESS = -1, /* bind_host does not resolve */
    TRANSPORT_ERR_BIND = -2,    /* ENet could not create the host: errno says why */
    TRANSPORT_ERR_NOMEM = -3,
    TRANSPORT_ERR_CONFIG = -4,
} transport_error;

/* Defaults for everything but bind_host, port and peer_count. */
void transport_config_defaults(transport_config *cfg);

/* enet_initialize() must have been called. core must outlive the transport. */
int transport_create(const transport_config *cfg, server *core, transport **out);
void transport_destroy(transport *t);
const char *transport_strerror(int err);

/* The port actually bound (useful with port 0). */
uint16_t transport_port(const transport *t);
/* The UDP socket to poll for readability. */
int transport_fd(const transport *t);

/* One loop pass is transport_drain, server_tick, transport_flush (main.c's
 * run_loop). Drain hands every waiting event to the core; once a second it
 * also disconnects peers whose backlog is over max_backlog_kb (the core hears
 * of it as a timeout). */
void transport_drain(transport *t, uint64_t now_us);
/* Sends the core's outbox and flushes ENet once: the end of a pass. */
void transport_flush(transport *t, uint64_t now_us);

const transport_stats *transport_get_stats(const transport *t);

/* The round trip ENet measures to a connected session's peer, in ms (1 ms
 * resolution); false when the session has no connected peer. */
bool transport_session_rtt_ms(const transport *t, uint32_t session, uint32_t *rtt_ms);
/* Calls fn for every connected peer with its session and round trip in ms.
 * Walks every peer slot: for scrapes, not for every pass. */
void transport_for_each_rtt(const transport *t,
                            void (*fn)(void *user, uint32_t session, uint32_t rtt_ms), void *user);
/* A short phrase for a TRANSPORT_DROP_* or -enet_filter_verdict index. */
const char *transport_drop_reason(int reason);

#endif
