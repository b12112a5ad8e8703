/* Many servers, one lobby list (docs/CLUSTER.md): this server's membership
 * of a cluster whose directory lives in Redis. It registers the server and
 * the lobbies it hosts (with TTLs, refreshed), claims lobby names
 * atomically, keeps a copy of the other servers' entries fresh, answers the
 * core's cluster hooks (server.h) from that copy, signs and checks redirect
 * tickets, and holds seats other servers send players to.
 *
 * Everything goes through redis_link on the loop's own poll(): nothing
 * here ever waits for Redis. Redis away, the server serves its own lobbies,
 * retries, and re-registers everything once Redis is back. */
#ifndef LOBBY_CLUSTER_H
#define LOBBY_CLUSTER_H

#include "cluster_dir.h"
#include "redis_link.h"
#include "server.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CLUSTER_SECRET_MIN_BYTES = 16 }; /* bytes of the shared secret, at least */

typedef enum cluster_placement {
    CLUSTER_PLACE_LOCAL = 0,    /* a new lobby opens where it is asked for */
    CLUSTER_PLACE_LEAST_LOADED, /* ...on the server with the fewest players */
} cluster_placement;

typedef struct cluster_config {
    const char *url;      /* redis://... or unix:PATH (redis_link.h) */
    const char *password; /* NULL: the URL's, or none */
    const uint8_t *secret;
    size_t secret_len; /* at least CLUSTER_SECRET_MIN_BYTES */
    const char *server_id;
    const char *public_host; /* what players are told to connect to */
    uint16_t public_port;
    const char *text_addr; /* "HOST:PORT" of the text port; "" for none */
    cluster_placement placement;
    uint32_t max_players;  /* for the free capacity it advertises */
    uint32_t heartbeat_ms; /* the server's entry refreshed this often... */
    uint32_t ttl_ms;       /* ...and gone this long after its last refresh */
    uint32_t read_ms;      /* the others' entries read this often */
    uint32_t publish_ms;   /* local lobby changes written at most this late */
    uint32_t ticket_ms;    /* a redirected player's seat is held this long */
} cluster_config;

typedef struct cluster_stats {
    uint64_t reads;           /* directory reads completed */
    uint64_t lines_written;   /* lobby entries written (new or changed) */
    uint64_t lines_removed;   /* lobby entries removed (closed) */
    uint64_t bad_lines;       /* others' entries that did not parse */
    uint64_t claims_sent;     /* name claims and refreshes */
    uint64_t conflicts;       /* a lobby here whose name another server holds */
    uint64_t registrations;   /* full re-registrations (start, reconnect, Redis emptied) */
    uint64_t holds_received;  /* seat holds asked by other servers */
    uint64_t holds_refused;   /* ...that could not be held (lobby gone or full) */
    uint64_t servers_dropped; /* others dropped: expired or gone from Redis */
    uint64_t last_read_us;    /* when the directory was last read (0: never) */
    uint32_t servers_seen;    /* other servers in the copy now */
    uint32_t remote_lobbies;  /* their lobbies in the copy now */
    uint32_t local_entries;   /* this server's lobbies in the directory now */
    bool draining, drained;   /* drained: left the directory */
} cluster_stats;

typedef struct cluster cluster;

void cluster_config_defaults(cluster_config *cfg);
/* Starts connecting and installs the core's hooks. 0, or -1 with why. */
int cluster_create(const cluster_config *cfg, server *core, uint64_t now_us, cluster **out,
                   char *why, size_t cap);
/* Removes the hooks from the core first. NULL is a no-op. */
void cluster_destroy(cluster *c);

/* The loop's share: descriptors to wait on, how long at most, and a pass
 * (readiness, then timers) with the monotonic and the UTC clocks. */
int cluster_pollfds(const cluster *c, struct pollfd *out, int max);
int cluster_wait_ms(const cluster *c, uint64_t now_us, int cap_ms);
void cluster_pass(cluster *c, const struct pollfd *fds, int n, uint64_t now_us, uint64_t unix_ms);

/* Draining: no new lobby opens here; the server leaves the directory when
 * its last lobby (besides the default one, once empty) closes. */
void cluster_drain(cluster *c, uint64_t now_us);
/* Shutting down: remove this server's entries and claims now. */
void cluster_leave(cluster *c);

const cluster_stats *cluster_get_stats(const cluster *c);
const redis_link_stats *cluster_link_stats(const cluster *c);
const cluster_dir *cluster_directory(const cluster *c);
const char *cluster_server_id(const cluster *c);

#endif
