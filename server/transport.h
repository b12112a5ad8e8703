/* The ENet side of the server: owns the ENet host, turns ENet events into
 * server core calls and sends the core's outbox. Each pump drains every
 * waiting event, then sends and flushes once. The caller waits on
 * transport_fd() with poll() so signals and timers can wake the loop. */
#ifndef LOBBY_TRANSPORT_H
#define LOBBY_TRANSPORT_H

#include "server.h"

#include <stdint.h>

typedef struct transport_config {
    const char *bind_host; /* dotted IPv4 or hostname; NULL or "0.0.0.0" for any */
    uint16_t port;         /* 0 picks a free port */
    uint32_t peer_count;   /* ENet peer slots; must equal the core's max_sessions */
    uint32_t timeout_ms;   /* a silent peer is dropped after about this long */
} transport_config;

/* Counters that only the transport can see. */
typedef struct transport_stats {
    uint64_t service_errors; /* enet_host_service < 0, e.g. an oversized datagram */
    uint64_t packets_in, bytes_in;
    uint64_t packets_out, bytes_out; /* per recipient */
} transport_stats;

typedef struct transport transport;

typedef enum transport_error {
    TRANSPORT_OK = 0,
    TRANSPORT_ERR_ADDRESS = -1, /* bind_host does not resolve */
    TRANSPORT_ERR_BIND = -2,    /* ENet could not create the host (port in use, ...) */
    TRANSPORT_ERR_NOMEM = -3,
    TRANSPORT_ERR_CONFIG = -4,
} transport_error;

/* enet_initialize() must have been called. core must outlive the transport. */
int transport_create(const transport_config *cfg, server *core, transport **out);
void transport_destroy(transport *t);
const char *transport_strerror(int err);

/* The port actually bound (useful with port 0). */
uint16_t transport_port(const transport *t);
/* The UDP socket to poll for readability. */
int transport_fd(const transport *t);

/* Drains all waiting events into the core, runs its tick, sends its outbox
 * and flushes once. */
void transport_pump(transport *t, uint64_t now_us);

const transport_stats *transport_get_stats(const transport *t);

#endif
