/* The HTTP side of the server: GET /metrics (Prometheus text), GET /lobbies
 * (JSON) and GET /healthz, served by libmicrohttpd inside the server's own
 * loop. No thread: the daemon runs in external-polling mode on an epoll fd
 * that the loop polls next to the game socket, and http_api_pass answers
 * whatever is waiting, so every request reads the core and the transport
 * between two pumps, without locks.
 *
 * Only GET and HEAD (405 otherwise, with an Allow header), and POST /drain
 * from a loopback address (drain the server, docs/CLUSTER.md), no request
 * bodies (413), unknown paths 404; malformed requests get libmicrohttpd's
 * own 400. Connections are limited in number, per address, in memory, in
 * idle time and in the total time their request headers may take (a
 * slowloris trickling a header line every few seconds is closed when that
 * time is up, however busy it keeps the connection), so a slow or hostile
 * client cannot hold the game loop or keep a scraper out. */
#ifndef LOBBY_HTTP_API_H
#define LOBBY_HTTP_API_H

#include "cluster.h"
#include "server.h"
#include "textport.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_API_DEFAULT_ADDRESS "127.0.0.1:7780"

/* Where to serve, parsed from --http. */
typedef struct http_api_address {
    bool enabled;  /* false: --http off */
    uint32_t ip;   /* IPv4, network byte order */
    uint16_t port; /* 0: the kernel picks one */
    char host[16]; /* the dotted address as given */
} http_api_address;

typedef struct http_api_config {
    http_api_address listen;
    const server *core;   /* read at every request; must outlive the api */
    const transport *net; /* likewise; NULL leaves out round trips */
    const textport *text; /* likewise; NULL: no text port, no text metrics */
    uint64_t start_us;    /* the loop's clock at start, for uptime */
    const char *version;  /* lobby_build_info's label */
    unsigned max_conns;   /* HTTP connections at once */
    unsigned max_conns_per_ip;
    unsigned idle_timeout_s; /* an idle connection is closed after this */
    /* A request's headers must be in within this many ms of the accept (or
     * of the previous response, on a kept-alive connection), bytes or not,
     * and its answer must be taken within as long again. */
    uint32_t header_timeout_ms;
    size_t conn_memory;     /* bytes per connection for the request */
    const cluster *cluster; /* NULL: alone; else /lobbies and /metrics show the cluster */
} http_api_config;

/* Why a connection was refused at accept (http_api_stats.refused): the
 * limit was reached and every connection within it was being answered (a
 * connection still waiting for its headers gives its place up instead). */
typedef enum http_api_refuse_reason {
    HTTP_API_REFUSE_PER_IP = 0, /* its address holds max_conns_per_ip */
    HTTP_API_REFUSE_TOTAL,      /* max_conns are open */
    HTTP_API_REFUSE_REASONS,
} http_api_refuse_reason;

/* The HTTP port's own counters, for /metrics. */
typedef struct http_api_stats {
    uint32_t open;     /* connections now */
    uint64_t accepted; /* connections taken */
    uint64_t refused[HTTP_API_REFUSE_REASONS];
    uint64_t closed_late; /* closed for not sending headers, or taking the answer, in time */
    uint64_t evicted;     /* closed before their headers were in, to make room at a limit */
} http_api_stats;

typedef struct http_api http_api;

typedef enum http_api_error {
    HTTP_API_OK = 0,
    HTTP_API_ERR_START = -1, /* libmicrohttpd would not start (bind failed, ...) */
    HTTP_API_ERR_NOMEM = -2,
    HTTP_API_ERR_CONFIG = -3,
} http_api_error;

/* Parses "off" or "A.B.C.D:PORT" (dotted IPv4, port 0..65535, decimal, no
 * sign). Returns false for anything else, leaving *out unchanged. */
bool http_api_parse_address(const char *text, http_api_address *out);

/* Defaults for everything but listen, core, net, start_us and version. */
void http_api_config_defaults(http_api_config *cfg);

/* Starts serving on cfg->listen (which must be enabled). Returns HTTP_API_OK
 * and the api in *out, or a negative http_api_error with libmicrohttpd's
 * reason (e.g. "Address already in use") in why[0, why_cap). */
int http_api_create(const http_api_config *cfg, http_api **out, char *why, size_t why_cap);
/* Closes every HTTP connection and the listening socket. NULL is fine. */
void http_api_destroy(http_api *h);
const char *http_api_strerror(int err);

/* The counters; NULL for NULL. */
const http_api_stats *http_api_get_stats(const http_api *h);

/* The TCP port actually bound (useful with port 0). */
uint16_t http_api_port(const http_api *h);
/* The fd to poll for readability; -1 for NULL, which poll() ignores. */
int http_api_fd(const http_api *h);
/* cap_ms, or less when libmicrohttpd has work due sooner (a connection
 * timeout, a header deadline, or data it has read but not handled). NULL:
 * cap_ms. */
int http_api_wait_ms(const http_api *h, uint64_t now_us, int cap_ms);

/* Once per loop pass, after the pump: records the pass's work time
 * (lobby_tick_duration_seconds) and, when the fd polled readable or a
 * timeout is due, closes the connections past their header deadline and
 * answers every waiting request. NULL does nothing. */
void http_api_pass(http_api *h, uint64_t now_us, uint64_t work_us, bool readable);

/* True once after POST /drain from this machine was answered (the loop then
 * drains the server, as on SIGUSR1). */
bool http_api_take_drain(http_api *h);

#endif
