/* What GET /metrics and GET /lobbies answer: the server's counters in the
 * Prometheus text format (version 0.0.4) and its lobbies as JSON, rendered
 * into a growable buffer. Pure: no sockets, no clock, no logging; the HTTP
 * glue (http_api.c) gathers the inputs and passes the time in, so tests can
 * render known figures and compare text. */
#ifndef LOBBY_METRICS_H
#define LOBBY_METRICS_H

#include "http_api.h"
#include "lobby.h"
#include "log.h"
#include "server.h"
#include "textport.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable text buffer. A failed allocation sets the sticky `failed` flag
 * and later appends do nothing, so renderers check once at the end. data is
 * NUL-terminated whenever len > 0 and not failed. */
typedef struct metrics_buf {
    char *data;
    size_t len, cap;
    bool failed;
} metrics_buf;

void metrics_buf_init(metrics_buf *b);
void metrics_buf_deinit(metrics_buf *b);
/* Empties the buffer, keeping its memory; clears `failed`. */
void metrics_buf_clear(metrics_buf *b);
void metrics_buf_append(metrics_buf *b, const char *bytes, size_t len);
void metrics_buf_printf(metrics_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum { METRICS_MAX_BUCKETS = 16 };

/* A Prometheus histogram: upper bounds in ascending order (the caller's
 * array, which must outlive the histogram), with +Inf implied. */
typedef struct metrics_histogram {
    const double *bounds;
    size_t bucket_count;                      /* finite bounds, <= METRICS_MAX_BUCKETS */
    uint64_t counts[METRICS_MAX_BUCKETS + 1]; /* per bucket, not cumulative; last: +Inf */
    uint64_t count;
    double sum;
} metrics_histogram;

/* bucket_count is cut to METRICS_MAX_BUCKETS. */
void metrics_histogram_init(metrics_histogram *h, const double *bounds, size_t bucket_count);
void metrics_histogram_observe(metrics_histogram *h, double value);
/* The buckets used for lobby_peer_rtt_seconds (1 ms .. 2.5 s: ENet measures in
 * whole ms) and lobby_tick_duration_seconds (100 us .. 100 ms). */
void metrics_histogram_init_rtt(metrics_histogram *h);
void metrics_histogram_init_tick(metrics_histogram *h);

/* Everything /metrics shows, gathered by the caller at scrape time. */
typedef struct metrics_input {
    const server_stats *server;
    const transport_stats *transport;
    uint32_t sessions;             /* connections, handshakes included */
    uint32_t players_connected;    /* joined players with a live connection */
    uint32_t players_reconnecting; /* seats held for players who lost theirs */
    uint32_t lobbies_open;
    uint32_t lobbies_by_state[PROTO_LOBBY_STATE_MAX + 1]; /* by proto_lobby_state */
    const metrics_histogram *peer_rtt; /* seconds; one observation per connected peer */
    const metrics_histogram *tick;     /* seconds of work per loop pass */
    double uptime_s;
    const char *version;
    const textport_stats *text; /* NULL: no text port */
    const http_api_stats *http; /* NULL: leaves out the lobby_http_* families */
    const log_stats *log;       /* NULL: not shown */
} metrics_input;

/* Fills players_connected, players_reconnecting, lobbies_open and
 * lobbies_by_state from the
 * lobbies (the core counts held seats as players). */
void metrics_count_lobbies(const lobby_set *set, metrics_input *in);

/* Appends every lobby_* family with # HELP and # TYPE lines. */
void metrics_render_prometheus(const metrics_input *in, metrics_buf *out);

/* A connected session's round trip in ms; false when it has none. */
typedef bool (*metrics_rtt_lookup)(void *user, uint32_t session, uint32_t *rtt_ms);

/* Appends {"lobbies":[{"name":..,"players":..,"capacity":..,"members":[{"id":..,
 * "name":..,"rtt_ms":..,"reconnecting":..}]}]} for the open lobbies, in slot
 * order. rtt_ms is null for a held seat or when rtt has no figure. */
void metrics_render_lobbies(const lobby_set *set, metrics_rtt_lookup rtt, void *rtt_user,
                            metrics_buf *out);

/* Appends bytes as a quoted JSON string: quotes, backslashes and control
 * characters escaped; valid UTF-8 kept as is; when the text is not valid
 * UTF-8, every byte above 0x7F becomes U+FFFD so the output still is. */
void metrics_json_string(metrics_buf *out, const char *bytes, size_t len);

/* ---- metrics_cluster.c: the cluster's figures (docs/CLUSTER.md) ---------- */
/* Appends the lobby_cluster_* families: the core's redirect and ticket
 * counters always (a ticket can be refused by a server alone), the
 * directory's and Redis's figures when c is not NULL. */
void metrics_render_cluster_prometheus(const cluster *c, const server_stats *st, uint64_t now_us,
                                       metrics_buf *out);
/* Appends "cluster":{"server_id":..,"redis":"up"|"down","servers":[..],
 * "lobbies":[..]}: the other servers and their lobbies as this one sees them. */
void metrics_render_cluster_json(const cluster *c, uint64_t now_us, metrics_buf *out);
/* /healthz's text with a cluster: "ok" and the directory's state. */
void metrics_render_cluster_health(const cluster *c, uint64_t now_us, metrics_buf *out);

#endif
