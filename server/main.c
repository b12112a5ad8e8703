/* lobby-server: signals, start-up and the loop. Everything else lives in
 * the flags (options.c), the server core (server.c), the ENet transport
 * (transport.c), the text chat port (textport.c) and the HTTP metrics and
 * lobby listing (http_api.c). */
#include "cli.h"
#include "clock.h"
#include "cluster.h"
#include "http_api.h"
#include "log.h"
#include "options.h"
#include "proto.h"
#include "server.h"
#include "textport.h"
#include "transport.h"

#include <enet/enet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum {
    LOOP_WAIT_MS = 10,          /* ENet's resend and ping timers need servicing */
    SHUTDOWN_GRACE_US = 800000, /* exit within a second of SIGTERM, even if peers are silent */
    /* Descriptors besides the text and HTTP connections: stdio, the ENet
     * socket, the listeners and epoll fds, log sinks, and the one a listener
     * needs for a moment to accept a connection only to refuse it. */
    FD_RESERVE = 32,
    STALL_MIN_US = 200000,   /* a pass this much later than meant is a stall */
    LOG_FLUSH_WAIT_MS = 300, /* at exit, for stderr to take the buffered log */
};

/* How late this pass starts, if it is a stall: the time since the last
 * pass started, less the longest the loop meant to wait (the poll timeout,
 * or the pass spacing), is work and lateness; past STALL_MIN_US it is the
 * loop's own stall (the process stopped, starved of CPU or blocked), not
 * anything a peer did. 0 otherwise, and on the first pass. */
static uint64_t stall_us(uint64_t last_pass_us, uint64_t now_us, int timeout_ms,
                         uint32_t min_pass_us)
{
    uint64_t meant_us = (uint64_t)timeout_ms * 1000u;
    if (meant_us < min_pass_us)
        meant_us = min_pass_us;
    if (last_pass_us == 0 || now_us - last_pass_us < meant_us + STALL_MIN_US)
        return 0;
    return now_us - last_pass_us - meant_us;
}

/* Each text and HTTP connection is a descriptor. Out of descriptors, every
 * accept fails, /metrics included, just when an operator needs it, so the
 * server bounds its own use rather than keep a spare one: text connections
 * + http_fds + FD_RESERVE must fit in RLIMIT_NOFILE. The soft limit
 * is raised towards the hard one to make room; when that is not enough, the
 * text port gets fewer connections than --tcp-max-conns (said in the log),
 * so a text flood meets the text port's own limit first and the HTTP port
 * always has its descriptors. Returns the text connections that fit. */
static uint32_t fit_fd_limit(uint32_t text_conns, uint32_t http_fds)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)text_conns + http_fds + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return text_conns;
    if (rl.rlim_cur < want) {
        rlim_t cur = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = cur;
        else if (rl.rlim_cur > cur)
            log_info("server", "raised the file descriptor limit from %llu to %llu",
                     (unsigned long long)cur, (unsigned long long)rl.rlim_cur);
    }
    if (rl.rlim_cur >= want || text_conns == 0)
        return text_conns;
    rlim_t room =
        rl.rlim_cur > (rlim_t)http_fds + FD_RESERVE ? rl.rlim_cur - http_fds - FD_RESERVE : 1;
    log_warn("server",
             "only %llu file descriptors (RLIMIT_NOFILE): text connections cut from %u to %llu "
             "so that HTTP keeps %u of its own; raise the limit (ulimit -n) for more",
             (unsigned long long)rl.rlim_cur, (unsigned)text_conns, (unsigned long long)room,
             (unsigned)http_fds);
    return (uint32_t)room;
}

/* SIGINT and SIGTERM stop the loop (cli_signal_received); a text client
 * that hangs up must not kill the server with SIGPIPE. */
static void install_signal_handlers(void)
{
    cli_signal_install();
    cli_signal_install_usr1(); /* drain */
    signal(SIGPIPE, SIG_IGN);
}

/* SIGUSR1 or POST /drain: no new lobbies here, games go on; in a cluster
 * the server leaves the directory once its last lobby closes. */
static void drain(server *core, cluster *cl, uint64_t now_us)
{
    if (server_draining(core))
        return;
    log_info("server", "draining: no new lobbies; %u players play on",
             (unsigned)server_player_count(core));
    if (cl != NULL)
        cluster_drain(cl, now_us);
    else
        server_set_draining(core, true);
}

/* Shutting down, the loop may end only once the cluster's goodbye (its
 * entries removed from Redis) is written, or Redis is away. */
static bool cluster_done(const cluster *cl)
{
    return cl == NULL || !cluster_link_stats(cl)->up || cluster_link_stats(cl)->pending == 0;
}

/* When the loop must wake at the latest: the next snapshot, or a text-port
 * timer (a message ended by a pause, an idle client). */
static uint64_t next_due_us(const server *core, const textport *text)
{
    uint64_t due_us = server_next_tick_us(core);
    if (text != NULL && textport_next_deadline_us(text) < due_us)
        due_us = textport_next_deadline_us(text);
    return due_us;
}

static bool all_gone(const server *core, const textport *text)
{
    return server_session_count(core) == 0 && (text == NULL || textport_get_stats(text)->open == 0);
}

/* Runs until a stop signal, then until every peer is gone or the grace ends.
 *
 * Every pass costs ENet a walk over all its peer slots, several times, on top
 * of the datagrams, so under load a pass per datagram would spend most of the
 * core walking. A pass starts no sooner than min_pass_us after the previous
 * one: an idle server answers at once (the previous pass is long past), a
 * busy one handles what arrived in the meantime in one go.
 *
 * A pass drains first (text clients, then ENet: chat posted by either is
 * relayed to both in the same pass), then runs the core's periodic work,
 * and writes last (the core's outbox and ENet's flush, then the text
 * clients' output). text and http may be NULL; poll() skips the -1
 * descriptors they then leave. */
static void run_loop(server *core, transport *net, textport *text, http_api *http, cluster *cl,
                     uint32_t min_pass_us)
{
    struct pollfd pfds[5] = {{.fd = transport_fd(net), .events = POLLIN},
                             {.fd = text ? textport_fd(text) : -1, .events = POLLIN},
                             {.fd = http_api_fd(http), .events = POLLIN}};
    uint64_t give_up_us = 0, last_pass_us = 0;
    int usr1_seen = 0;
    for (;;) {
        int timeout_ms = http_api_wait_ms(http, clock_now_us(),
                                          clock_ms_until(next_due_us(core, text), LOOP_WAIT_MS));
        int redis_fds = cl ? cluster_pollfds(cl, pfds + 3, 2) : 0;
        if (cl != NULL)
            timeout_ms = cluster_wait_ms(cl, clock_now_us(), timeout_ms);
        if (poll(pfds, (nfds_t)(3 + redis_fds), timeout_ms) < 0 && errno != EINTR)
            log_error("server", "poll: %s", strerror(errno));
        uint64_t now_us = clock_hold_back(last_pass_us, min_pass_us);
        uint64_t late_us = stall_us(last_pass_us, now_us, timeout_ms, min_pass_us);
        if (late_us > 0) {
            server_note_stall(core, late_us, now_us);
            if (text != NULL)
                textport_note_stall(text, late_us, now_us);
        }
        last_pass_us = now_us;
        if (cli_signal_received() != 0 && give_up_us == 0) {
            log_info("server", "received %s",
                     cli_signal_received() == SIGINT ? "SIGINT" : "SIGTERM");
            server_begin_shutdown(core);
            if (text != NULL)
                textport_begin_shutdown(text, now_us);
            give_up_us = now_us + SHUTDOWN_GRACE_US;
            if (cl != NULL)
                cluster_leave(cl);
        }
        if (cli_usr1_count() != usr1_seen || http_api_take_drain(http)) {
            usr1_seen = cli_usr1_count();
            drain(core, cl, now_us);
        }
        /* drain */
        server_set_unix_time(core, clock_unix_s());
        if (cl != NULL)
            cluster_pass(cl, pfds + 3, redis_fds, now_us, clock_unix_ms());
        if (text != NULL)
            textport_pump(text, now_us);
        transport_drain(net, now_us);
        /* tick */
        server_tick(core, now_us);
        /* flush */
        transport_flush(net, now_us);
        if (text != NULL)
            textport_flush(text, now_us);
        http_api_pass(http, now_us, clock_now_us() - now_us, pfds[2].revents != 0);
        if (give_up_us != 0 && ((all_gone(core, text) && cluster_done(cl)) || now_us >= give_up_us))
            return;
    }
}

static void log_text_totals(const textport *text)
{
    if (text == NULL)
        return;
    const textport_stats *t = textport_get_stats(text);
    uint64_t refused = 0, closed_by_limit = 0;
    for (int r = 0; r < TEXTPORT_REFUSE_REASONS; r++)
        refused += t->refused[r];
    for (int r = TEXTPORT_CLOSE_TOO_LONG; r < TEXTPORT_CLOSE_SHUTDOWN; r++)
        closed_by_limit += t->closed[r];
    log_info("server",
             "text totals: connections=%llu refused=%llu closed_by_limits=%llu messages=%llu "
             "messages_refused=%llu bytes_in=%llu bytes_out=%llu",
             (unsigned long long)t->accepted, (unsigned long long)refused,
             (unsigned long long)closed_by_limit, (unsigned long long)t->messages_accepted,
             (unsigned long long)t->messages_refused, (unsigned long long)t->bytes_in,
             (unsigned long long)t->bytes_out);
}

static void log_totals(const server *core, const transport *net, const textport *text)
{
    const server_stats *st = server_get_stats(core);
    const transport_stats *ts = transport_get_stats(net);
    uint64_t dropped = 0;
    for (int r = 0; r < TRANSPORT_DROP_REASONS; r++)
        dropped += ts->dropped[r];
    log_info("server",
             "stopped: %u sessions still open; totals: joins=%llu chats=%llu positions=%llu "
             "malformed=%llu kicks=%llu enet_errors=%llu dropped_datagrams=%llu slow_peers=%llu "
             "snapshots=%llu position_relays=%llu passes=%llu service_calls=%llu",
             (unsigned)server_session_count(core), (unsigned long long)st->joins,
             (unsigned long long)st->chats_accepted, (unsigned long long)st->positions_received,
             (unsigned long long)st->malformed, (unsigned long long)st->kicks,
             (unsigned long long)ts->service_errors, (unsigned long long)dropped,
             (unsigned long long)ts->slow_peers, (unsigned long long)st->snapshots,
             (unsigned long long)st->position_relays, (unsigned long long)ts->passes,
             (unsigned long long)ts->service_calls);
    log_text_totals(text);
}

/* ENet allocates a fragmented packet before its fragments arrive and 1.3.17
 * delivers it even when a crafted fragment claimed more bytes than anyone
 * sent; zeroed memory makes sure those bytes are not another peer's. */
static void *ENET_CALLBACK zeroing_malloc(size_t size)
{
    return calloc(1, size);
}

static void ENET_CALLBACK enet_out_of_memory(void)
{
    log_error("server", "ENet ran out of memory");
    abort();
}

/* Starts the HTTP api unless --http off. An explicit --http that cannot be
 * served is fatal (false); the default address being taken (a second server
 * on this machine) only costs the metrics, so the game goes on. */
static bool start_http(const options *o, const server *core, const transport *net,
                       const textport *text, const cluster *cl, http_api **out)
{
    *out = NULL;
    if (!o->http.enabled)
        return true;
    http_api_config cfg;
    http_api_config_defaults(&cfg);
    cfg.listen = o->http;
    cfg.core = core;
    cfg.net = net;
    cfg.text = text;
    cfg.cluster = cl;
    cfg.start_us = clock_now_us();
    cfg.version = LOBBY_VERSION;
    cfg.max_conns = o->http_max_conns;
    cfg.max_conns_per_ip = o->http_max_conns_per_ip;
    cfg.header_timeout_ms = o->http_header_timeout_ms;
    char why[160];
    int err = http_api_create(&cfg, out, why, sizeof why);
    if (err == HTTP_API_OK) {
        log_info("http", "http on %s:%u", o->http.host, (unsigned)http_api_port(*out));
        return true;
    }
    if (o->http_given) {
        fprintf(stderr, "lobby-server: --http %s:%u: %s: %s\n", o->http.host,
                (unsigned)o->http.port, http_api_strerror(err), why);
        return false;
    }
    log_warn("http",
             "metrics are off: cannot serve HTTP on %s:%u (%s); pass --http ADDR:PORT to "
             "pick another address (port 0: any free one) or --http off",
             o->http.host, (unsigned)o->http.port, why);
    return true;
}

/* What to change after a failed bind, by its errno: the port when it is
 * taken or privileged, the address when it is not this machine's. */
static const char *bind_hint(char *buf, size_t cap, int bind_errno, const char *port_flag,
                             const char *port_off)
{
    if (bind_errno == EADDRNOTAVAIL)
        return "--bind ADDR must be an address of this machine, or 0.0.0.0";
    snprintf(buf, cap, "%schoose another port with %s N, %s",
             bind_errno == EACCES ? "ports below 1024 need root: " : "", port_flag, port_off);
    return buf;
}

/* Why the UDP port cannot be had, and the flag that changes it, in one line
 * (errno from transport_create). */
static void print_udp_error(const options *o, int err)
{
    int bind_errno = errno;
    char hint[128];
    if (err == TRANSPORT_ERR_BIND)
        fprintf(stderr, "lobby-server: cannot bind UDP %s:%u: %s (%s)\n", o->net.bind_host,
                (unsigned)o->net.port, bind_errno != 0 ? strerror(bind_errno) : "unknown error",
                bind_hint(hint, sizeof hint, bind_errno, "--port", "0 picks a free one"));
    else if (err == TRANSPORT_ERR_ADDRESS)
        fprintf(stderr, "lobby-server: --bind %s: %s\n", o->net.bind_host, transport_strerror(err));
    else
        fprintf(stderr, "lobby-server: %s:%u: %s\n", o->net.bind_host, (unsigned)o->net.port,
                transport_strerror(err));
}

/* The same for the text chat port (errno from textport_create). Unless
 * --tcp-port is given it has --port's number, so a UDP port that is free
 * can still fail here. */
static void print_tcp_error(const options *o, int err)
{
    int bind_errno = errno;
    char hint[128];
    if (err == TEXTPORT_ERR_BIND)
        fprintf(stderr,
                "lobby-server: cannot listen on TCP %s:%u (the text chat port): %s (%s%s)\n",
                o->text.bind_host, (unsigned)o->text.port,
                bind_errno != 0 ? strerror(bind_errno) : "unknown error",
                bind_hint(hint, sizeof hint, bind_errno, "--tcp-port", "0 turns it off"),
                o->tcp_port_given ? "" : "; without --tcp-port it is --port's number");
    else
        fprintf(stderr, "lobby-server: tcp %s:%u: %s\n", o->text.bind_host, (unsigned)o->text.port,
                textport_strerror(err));
}

/* Joins the cluster when --cluster is given: the public address (the bound
 * port when --port 0 left it open), the text address, the secret. */
static bool start_cluster(const options *o, server *core, const transport *net,
                          const textport *text, cluster **out)
{
    *out = NULL;
    if (o->cluster.url == NULL)
        return true;
    cluster_config cfg;
    cluster_config_defaults(&cfg);
    char text_addr[SERVER_HOST_MAX_BYTES + 8] = "";
    uint16_t port = o->cluster.public_port ? o->cluster.public_port : transport_port(net);
    if (text != NULL)
        snprintf(text_addr, sizeof text_addr, "%s:%u", o->cluster.public_host,
                 (unsigned)textport_port(text));
    char id[SERVER_HOST_MAX_BYTES + 8];
    snprintf(id, sizeof id, "%s:%u", o->cluster.public_host, (unsigned)port);
    if (o->cluster.server_id == NULL && strlen(id) > SERVER_ID_MAX_BYTES) {
        fprintf(stderr,
                "lobby-server: the public address %s is too long to be the server id "
                "(at most %d characters): pass --server-id ID\n",
                id, SERVER_ID_MAX_BYTES);
        return false;
    }
    cfg.url = o->cluster.url;
    cfg.password = o->cluster.has_password ? o->cluster.password : NULL;
    cfg.secret = o->cluster.secret;
    cfg.secret_len = o->cluster.secret_len;
    cfg.server_id = o->cluster.server_id ? o->cluster.server_id : id;
    cfg.public_host = o->cluster.public_host;
    cfg.public_port = port;
    cfg.text_addr = text_addr;
    cfg.placement = o->cluster.placement;
    cfg.max_players = o->core.max_players;
    char why[200];
    if (cluster_create(&cfg, core, clock_now_us(), out, why, sizeof why) != 0) {
        fprintf(stderr, "lobby-server: --cluster %s: %s\n", o->cluster.url, why);
        return false;
    }
    log_info("cluster", "cluster %s as server %s, players sent to %s:%u, placement %s",
             o->cluster.url, cfg.server_id, cfg.public_host, (unsigned)port,
             cfg.placement == CLUSTER_PLACE_LOCAL ? "local" : "least-loaded");
    return true;
}

/* Creates the core, the transports and the HTTP api, then runs the loop.
 * Returns the exit status; whatever it created is destroyed by the caller's
 * one clean-up path (NULL pointers are no-ops). */
static int serve(const options *o, server **core, transport **net, textport **text, http_api **http,
                 cluster **cl)
{
    int err = server_create(&o->core, core);
    if (err != SERVER_OK) {
        fprintf(stderr, "lobby-server: %s\n", server_strerror(err));
        return 1;
    }
    err = transport_create(&o->net, *core, net);
    if (err != TRANSPORT_OK) {
        print_udp_error(o, err);
        return 1;
    }
    bool text_on = o->text.port != 0 || !o->tcp_port_given;
    textport_config text_cfg = o->text;
    /* An HTTP connection shut down to make room for another holds its
     * descriptor until libmicrohttpd closes it, in the same or the next
     * pass: HTTP gets two per connection. */
    uint32_t http_fds = o->http.enabled ? 2 * o->http_max_conns : 0;
    text_cfg.max_conns = fit_fd_limit(text_on ? o->text.max_conns : 0, http_fds);
    if (text_on) {
        err = textport_create(&text_cfg, *core, text);
        if (err != TEXTPORT_OK) {
            print_tcp_error(o, err);
            return 1;
        }
        /* Before the UDP line: scripts wait for that one, then read both. */
        log_info("server", "text chat on %s:%u (tcp)", o->text.bind_host,
                 (unsigned)textport_port(*text));
    }
    if (!start_cluster(o, *core, *net, *text, cl))
        return 1;
    if (!start_http(o, *core, *net, *text, *cl, http))
        return 1;
    install_signal_handlers();
    if (o->core.auth_required)
        log_info("server", "identity tokens required (key %s); text clients refused",
                 o->auth_key_file);
    log_info("server", "listening on %s:%u (udp), protocol %d, max %u players, %u per lobby",
             o->net.bind_host, (unsigned)transport_port(*net), PROTO_VERSION,
             (unsigned)o->core.max_players, (unsigned)o->core.lobby_capacity);
    run_loop(*core, *net, *text, *http, *cl, o->min_pass_us);
    log_totals(*core, *net, *text);
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    options_defaults(&o);
    int status = options_parse(argc, argv, &o);
    if (status < 0)
        status = options_load_auth_key(&o);
    if (status < 0)
        status = options_cluster_load_files(&o);
    if (status >= 0) {
        options_deinit(&o);
        return status;
    }
    ENetCallbacks callbacks = {
        .malloc = zeroing_malloc, .free = free, .no_memory = enet_out_of_memory};
    if (enet_initialize_with_callbacks(ENET_VERSION, &callbacks) != 0) {
        fprintf(stderr, "lobby-server: cannot initialise ENet\n");
        return 1;
    }
    /* From here on a slow or blocked stderr costs log lines, never the
     * loop's time (log.h). */
    if (log_start_async((size_t)o.log_buffer_kb * 1024u) != 0)
        log_warn("server", "cannot start the log writer thread: logging stays synchronous");
    server *core = NULL;
    transport *net = NULL;
    textport *text = NULL;
    http_api *http = NULL;
    cluster *cl = NULL;
    status = serve(&o, &core, &net, &text, &http, &cl);
    /* The one way out once ENet is initialised, whatever serve got to. */
    http_api_destroy(http);
    cluster_destroy(cl);
    textport_destroy(text);
    transport_destroy(net);
    server_destroy(core);
    enet_deinitialize();
    log_stop_async(LOG_FLUSH_WAIT_MS);
    options_deinit(&o);
    return status;
}
