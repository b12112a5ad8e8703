#include "http_api.h"

#include "log.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A connection as we track it, from libmicrohttpd's STARTED notification
 * until it closes or we shut it down: its address for the per-address
 * limit, and the time by which its request headers must be in. */
typedef struct http_conn {
    struct MHD_Connection *conn; /* NULL: a free slot */
    uint32_t ip;                 /* network byte order */
    int fd; /* to shut down, which libmicrohttpd then reads as the client closing */
    /* The headers must be in by then, or once they are, the answer out: a
     * client that reads its answer a byte at a time is cut as one that
     * sends its headers so. */
    uint64_t due_us;
    bool answering; /* its headers are in: it may not be pushed out */
} http_conn;

struct http_api {
    struct MHD_Daemon *daemon;
    http_api_config cfg;
    uint16_t port;
    int epoll_fd;
    uint64_t now_us; /* of the current pass: requests are answered inside it */
    uint64_t due_us; /* when libmicrohttpd next needs a run without input */
    metrics_histogram tick;
    metrics_buf body; /* reused by every response; libmicrohttpd copies it */
    http_conn *conns; /* [cfg.max_conns] */
    http_api_stats stats;
    char last_error[160];
    bool drain_asked; /* POST /drain, until http_api_take_drain */
};

enum { PORT_TEXT_MAX = 5 };

bool http_api_parse_address(const char *text, http_api_address *out)
{
    if (strcmp(text, "off") == 0) {
        memset(out, 0, sizeof *out);
        return true;
    }
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof out->host)
        return false;
    http_api_address a = {.enabled = true};
    memcpy(a.host, text, (size_t)(colon - text));
    a.host[colon - text] = '\0';
    struct in_addr ip;
    if (inet_pton(AF_INET, a.host, &ip) != 1) /* strict dotted quad, no names */
        return false;
    a.ip = ip.s_addr;
    const char *port = colon + 1;
    size_t digits = strspn(port, "0123456789");
    if (digits == 0 || digits > PORT_TEXT_MAX || port[digits] != '\0')
        return false;
    unsigned long v = strtoul(port, NULL, 10);
    if (v > 65535)
        return false;
    a.port = (uint16_t)v;
    *out = a;
    return true;
}

void http_api_config_defaults(http_api_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_conns = 64;
    cfg->max_conns_per_ip = 4;
    cfg->idle_timeout_s = 10;
    cfg->header_timeout_ms = 5000;
    cfg->conn_memory = 32 * 1024;
}

const char *http_api_strerror(int err)
{
    switch (err) {
    case HTTP_API_OK:
        return "ok";
    case HTTP_API_ERR_START:
        return "cannot start the HTTP server";
    case HTTP_API_ERR_NOMEM:
        return "out of memory";
    case HTTP_API_ERR_CONFIG:
        return "invalid HTTP configuration";
    }
    return "unknown HTTP error";
}

/* libmicrohttpd's error messages: the last one is kept for http_api_create's
 * caller (why a bind failed); at run time they go to the debug log, since a
 * client can provoke them at will. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_api *h = cls;
    vsnprintf(h->last_error, sizeof h->last_error, fmt, ap);
    size_t len = strlen(h->last_error);
    while (len > 0 && (h->last_error[len - 1] == '\n' || h->last_error[len - 1] == '\r'))
        h->last_error[--len] = '\0';
    log_debug("http", "libmicrohttpd: %s", h->last_error);
}

/* ---- connections: limits and the header deadline ------------------------ */

/* libmicrohttpd's own limits cannot be counted (it closes refused sockets
 * before any callback), and its timeout is an idle one that every header
 * byte resets. So we keep our own table of connections. Each carries a
 * deadline for its headers that no byte moves, and once they are in, one as
 * long for its answer to be taken (a client reading a byte at a time is no
 * better than one sending so); a late one is shut down, which
 * libmicrohttpd then reads as the client closing, and its slot is free at
 * once.
 *
 * At a limit (per address, or in all), the newcomer takes the place of the
 * connection that has waited longest for its headers within that limit,
 * rather than being refused: a scraper's request is in within a few ms of
 * its connect, so slow connections, however many, push out each other
 * and not it (nginx's reset_timedout_connection spirit, ahead of time). Only
 * when every connection in the limit is being answered is the newcomer
 * refused. */

static http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http_conn *c = info != NULL ? info->socket_context : NULL;
    return c != NULL && c->conn == conn ? c : NULL; /* else shut down, its slot reused */
}

static void release(http_api *h, http_conn *c)
{
    c->conn = NULL;
    h->stats.open--;
}

static void shut(http_api *h, http_conn *c)
{
    shutdown(c->fd, SHUT_RDWR);
    release(h, c);
}

/* The connection from ip (any address: all) waiting longest for its
 * headers, through *oldest (NULL: none waits); returns how many ip holds. */
static unsigned scan_conns(http_api *h, bool any_ip, uint32_t ip, http_conn **oldest)
{
    unsigned n = 0;
    *oldest = NULL;
    for (unsigned i = 0; i < h->cfg.max_conns; i++) {
        http_conn *c = &h->conns[i];
        if (c->conn == NULL || (!any_ip && c->ip != ip))
            continue;
        n++;
        if (!c->answering && (*oldest == NULL || c->due_us < (*oldest)->due_us))
            *oldest = c;
    }
    return n;
}

/* Makes room within one limit: true when there was room or a waiting
 * connection gave up its place. */
static bool room_within(http_api *h, bool any_ip, uint32_t ip, unsigned limit,
                        http_api_refuse_reason why)
{
    http_conn *oldest;
    if (scan_conns(h, any_ip, ip, &oldest) < limit)
        return true;
    if (oldest == NULL) {
        h->stats.refused[why]++;
        return false;
    }
    shut(h, oldest);
    h->stats.evicted++;
    return true;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    http_api *h = cls;
    if (addr->sa_family != AF_INET || addrlen < sizeof(struct sockaddr_in))
        return MHD_NO; /* the daemon listens on IPv4 only */
    uint32_t ip = ((const struct sockaddr_in *)addr)->sin_addr.s_addr;
    bool ok = room_within(h, false, ip, h->cfg.max_conns_per_ip, HTTP_API_REFUSE_PER_IP) &&
              room_within(h, true, 0, h->cfg.max_conns, HTTP_API_REFUSE_TOTAL);
    return ok ? MHD_YES : MHD_NO;
}

static uint64_t deadline(const http_api *h)
{
    return h->now_us + (uint64_t)h->cfg.header_timeout_ms * 1000;
}

static http_conn *free_conn(http_api *h)
{
    for (unsigned i = 0; i < h->cfg.max_conns; i++)
        if (h->conns[i].conn == NULL)
            return &h->conns[i];
    return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode event)
{
    http_api *h = cls;
    if (event == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_conn *c = conn_of(conn);
        if (c != NULL)
            release(h, c);
        return;
    }
    const union MHD_ConnectionInfo *addr =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    http_conn *c = free_conn(h); /* on_accept made room */
    *socket_context = c;
    if (c == NULL || addr == NULL || fd == NULL) {
        if (fd != NULL)
            shutdown(fd->connect_fd, SHUT_RDWR);
        h->stats.refused[HTTP_API_REFUSE_TOTAL]++;
        return;
    }
    *c = (http_conn){.conn = conn,
                     .ip = ((const struct sockaddr_in *)addr->client_addr)->sin_addr.s_addr,
                     .fd = fd->connect_fd,
                     .due_us = deadline(h)};
    h->stats.open++;
    h->stats.accepted++;
}

/* A response went out (or failed): the next request's headers have the
 * same time from now as the first one had from the accept. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)req_cls, (void)why;
    http_conn *c = conn_of(conn);
    if (c != NULL) {
        c->answering = false;
        c->due_us = deadline(cls);
    }
}

/* Shuts down every connection past its deadline (headers, or the answer
 * once they are in); returns the earliest deadline still ahead
 * (UINT64_MAX: none). */
static uint64_t cut_late_conns(http_api *h, uint64_t now_us)
{
    uint64_t next_us = UINT64_MAX;
    for (unsigned i = 0; i < h->cfg.max_conns; i++) {
        http_conn *c = &h->conns[i];
        if (c->conn == NULL)
            continue;
        if (c->due_us > now_us) {
            next_us = c->due_us < next_us ? c->due_us : next_us;
            continue;
        }
        shut(h, c);
        h->stats.closed_late++;
    }
    return next_us;
}

/* ---- answers -------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO; /* libmicrohttpd closes the connection */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return reply(conn, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* Sends what the renderer left in h->body, or a 500 when it ran out of memory. */
static enum MHD_Result reply_body(http_api *h, struct MHD_Connection *conn, const char *type)
{
    if (h->body.failed)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    return reply(conn, MHD_HTTP_OK, type, h->body.data, h->body.len);
}

static void observe_rtt(void *user, uint32_t session, uint32_t rtt_ms)
{
    (void)session;
    metrics_histogram_observe(user, (double)rtt_ms / 1000.0);
}

static enum MHD_Result serve_metrics(http_api *h, struct MHD_Connection *conn)
{
    metrics_histogram rtt;
    metrics_histogram_init_rtt(&rtt);
    log_stats logged = log_get_stats();
    if (h->cfg.net != NULL)
        transport_for_each_rtt(h->cfg.net, observe_rtt, &rtt);
    metrics_input in = {
        .server = server_get_stats(h->cfg.core),
        .transport = h->cfg.net != NULL ? transport_get_stats(h->cfg.net) : NULL,
        .sessions = server_session_count(h->cfg.core),
        .peer_rtt = h->cfg.net != NULL ? &rtt : NULL,
        .tick = &h->tick,
        .text = h->cfg.text != NULL ? textport_get_stats(h->cfg.text) : NULL,
        .http = &h->stats,
        .uptime_s = (double)(h->now_us - h->cfg.start_us) / 1e6,
        .version = h->cfg.version,
        .log = &logged,
    };
    metrics_count_lobbies(server_lobbies(h->cfg.core), &in);
    metrics_buf_clear(&h->body);
    metrics_render_prometheus(&in, &h->body);
    metrics_render_cluster_prometheus(h->cfg.cluster, in.server, h->now_us, &h->body);
    return reply_body(h, conn, "text/plain; version=0.0.4; charset=utf-8");
}

static bool session_rtt(void *user, uint32_t session, uint32_t *rtt_ms)
{
    return transport_session_rtt_ms(user, session, rtt_ms);
}

static enum MHD_Result serve_lobbies(http_api *h, struct MHD_Connection *conn)
{
    metrics_buf_clear(&h->body);
    metrics_render_lobbies(server_lobbies(h->cfg.core), h->cfg.net ? session_rtt : NULL,
                           (void *)h->cfg.net, &h->body);
    if (h->cfg.cluster != NULL && h->body.len >= 2) {
        h->body.len -= 2; /* reopen the object: "...]" then ,"cluster":{...}} */
        metrics_buf_append(&h->body, ",", 1);
        metrics_render_cluster_json(h->cfg.cluster, h->now_us, &h->body);
        metrics_buf_append(&h->body, "}\n", 2);
    }
    return reply_body(h, conn, "application/json");
}

static bool from_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL || info->client_addr->sa_family != AF_INET)
        return false;
    const struct sockaddr_in *in = (const struct sockaddr_in *)info->client_addr;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
}

/* POST /drain: an operator on this machine drains the server (as SIGUSR1). */
static enum MHD_Result serve_drain(http_api *h, struct MHD_Connection *conn)
{
    if (!from_loopback(conn))
        return reply_text(conn, MHD_HTTP_FORBIDDEN,
                          "POST /drain is only taken from this machine\n");
    h->drain_asked = true;
    return reply_text(conn, MHD_HTTP_OK, "draining: no new lobbies; games go on\n");
}

static enum MHD_Result serve_health(http_api *h, struct MHD_Connection *conn)
{
    if (server_shutting_down(h->cfg.core))
        return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n");
    if (h->cfg.cluster == NULL)
        return reply_text(conn, MHD_HTTP_OK, "ok\n");
    /* The server plays on without Redis: still healthy, and says so. */
    metrics_buf_clear(&h->body);
    metrics_render_cluster_health(h->cfg.cluster, h->now_us, &h->body);
    return reply_body(h, conn, "text/plain; charset=utf-8");
}

/* A request that announces a body: we take none, and answering before it
 * arrives makes libmicrohttpd close the connection instead of reading it. */
static bool has_body(struct MHD_Connection *conn)
{
    const char *len =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *chunked =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return chunked != NULL || (len != NULL && strspn(len, "0") != strlen(len));
}

/* libmicrohttpd calls this once the headers are in (and again per chunk of
 * a body, which never happens: every request is answered on the first call). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    http_api *h = cls;
    (void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
    http_conn *c = conn_of(conn);
    if (c != NULL && !c->answering) { /* the headers are in: now the answer has the time */
        c->answering = true;
        c->due_us = deadline(h);
    }
    bool drain_asked = strcmp(method, MHD_HTTP_METHOD_POST) == 0 && strcmp(url, "/drain") == 0;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
        !drain_asked)
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "only GET and HEAD are allowed (and POST /drain)\n");
    if (has_body(conn))
        return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
    if (drain_asked)
        return serve_drain(h, conn);
    if (strcmp(url, "/metrics") == 0)
        return serve_metrics(h, conn);
    if (strcmp(url, "/lobbies") == 0)
        return serve_lobbies(h, conn);
    if (strcmp(url, "/healthz") == 0)
        return serve_health(h, conn);
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /lobbies or /healthz\n");
}

/* ---- lifecycle ------------------------------------------------------------ */

static struct MHD_Daemon *start_daemon(http_api *h)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons(h->cfg.listen.port),
                               .sin_addr.s_addr = h->cfg.listen.ip};
    /* MHD_USE_EPOLL without a threading flag: no thread of its own, we poll
     * its epoll fd and call MHD_run. The logger goes first, or the options
     * before it would log to stderr. Strict parsing: an HTTP/1.1 request
     * without Host gets a 400, as the standard asks; curl and Prometheus
     * always send one. The connection limits are on_accept's; libmicrohttpd's
     * own total is only a backstop above it (it still counts connections
     * that closed in this run), and it gets no per-address one, which it
     * would apply silently before on_accept could count it. */
    return MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, h->cfg.listen.port, on_accept, h, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, 2 * h->cfg.max_conns,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        h, MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        h->cfg.conn_memory, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
}

int http_api_create(const http_api_config *cfg, http_api **out, char *why, size_t why_cap)
{
    if (why_cap > 0)
        why[0] = '\0';
    if (!cfg->listen.enabled || cfg->core == NULL || cfg->max_conns == 0 ||
        cfg->max_conns_per_ip == 0 || cfg->header_timeout_ms == 0)
        return HTTP_API_ERR_CONFIG;
    http_api *h = calloc(1, sizeof *h);
    if (h == NULL)
        return HTTP_API_ERR_NOMEM;
    h->cfg = *cfg;
    h->conns = calloc(cfg->max_conns, sizeof *h->conns);
    if (h->conns == NULL) {
        free(h);
        return HTTP_API_ERR_NOMEM;
    }
    h->now_us = cfg->start_us;
    metrics_histogram_init_tick(&h->tick);
    metrics_buf_init(&h->body);
    h->daemon = start_daemon(h);
    const union MHD_DaemonInfo *port = NULL, *fd = NULL;
    if (h->daemon != NULL) {
        port = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
        fd = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    }
    if (port == NULL || fd == NULL || port->port == 0) {
        if (why_cap > 0)
            snprintf(why, why_cap, "%s",
                     h->last_error[0] ? h->last_error : "libmicrohttpd would not start");
        http_api_destroy(h);
        return HTTP_API_ERR_START;
    }
    h->port = port->port;
    h->epoll_fd = fd->epoll_fd;
    *out = h;
    return HTTP_API_OK;
}

void http_api_destroy(http_api *h)
{
    if (h == NULL)
        return;
    if (h->daemon != NULL)
        MHD_stop_daemon(h->daemon);
    metrics_buf_deinit(&h->body);
    free(h->conns);
    free(h);
}

const http_api_stats *http_api_get_stats(const http_api *h)
{
    return h != NULL ? &h->stats : NULL;
}

uint16_t http_api_port(const http_api *h)
{
    return h->port;
}

int http_api_fd(const http_api *h)
{
    return h != NULL ? h->epoll_fd : -1;
}

int http_api_wait_ms(const http_api *h, uint64_t now_us, int cap_ms)
{
    if (h == NULL || h->due_us == UINT64_MAX)
        return cap_ms;
    if (h->due_us <= now_us)
        return 0;
    uint64_t ms = (h->due_us - now_us + 999) / 1000;
    return ms < (uint64_t)cap_ms ? (int)ms : cap_ms;
}

/* When libmicrohttpd wants to run again without input: a connection's idle
 * timeout, or at once when it holds data it has read but not handled. */
static uint64_t mhd_due_us(const http_api *h, uint64_t now_us)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(h->daemon, &ms) != MHD_YES)
        return UINT64_MAX;
    if (ms > (UINT64_MAX - now_us) / 1000)
        return UINT64_MAX;
    return now_us + (uint64_t)ms * 1000;
}

void http_api_pass(http_api *h, uint64_t now_us, uint64_t work_us, bool readable)
{
    if (h == NULL)
        return;
    metrics_histogram_observe(&h->tick, (double)work_us / 1e6);
    if (!readable && now_us < h->due_us)
        return;
    h->now_us = now_us;
    cut_late_conns(h, now_us); /* their shutdown shows in this run's epoll */
    if (MHD_run(h->daemon) != MHD_YES)
        log_debug("http", "MHD_run failed: %s", h->last_error);
    /* Again after the run, which may have taken connections. */
    uint64_t header_due_us = cut_late_conns(h, now_us);
    uint64_t mhd_us = mhd_due_us(h, now_us);
    h->due_us = header_due_us < mhd_us ? header_due_us : mhd_us;
}

bool http_api_take_drain(http_api *h)
{
    if (h == NULL || !h->drain_asked)
        return false;
    h->drain_asked = false;
    return true;
}
