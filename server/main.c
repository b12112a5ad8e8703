/* lobby-server: flags, signals and the loop. Everything else lives in the
 * server core (server.c), the ENet transport (transport.c) and the HTTP
 * metrics and lobby listing (http_api.c). */
#include "clock.h"
#include "http_api.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "textport.h"
#include "transport.h"

#include <enet/enet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum {
    DEFAULT_MIN_PASS_US = 1000,
    LOOP_WAIT_MS = 10,          /* ENet's resend and ping timers need servicing */
    SHUTDOWN_GRACE_US = 800000, /* exit within a second of SIGTERM, even if peers are silent */
};

/* The one mutable global: set from the signal handler, read by the loop. */
static volatile sig_atomic_t g_stop_signal = 0;

static void on_stop_signal(int sig)
{
    g_stop_signal = sig;
}

typedef struct options {
    server_config core;
    transport_config net; /* bind_host, port and timeout_ms included */
    uint32_t min_pass_us; /* see run_loop */
    http_api_address http;
    bool http_given;      /* --http was passed: failing to serve it is fatal */
    textport_config text; /* bind_host and port set after parsing */
    bool tcp_port_given;  /* --tcp-port: else the text port follows --port */
    uint16_t tcp_port;    /* as given; 0 = no text port */
} options;

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: lobby-server [options]\n"
            "Holds lobbies of players over ENet (UDP): relays chat (acknowledged) and positions.\n"
            "\n"
            "  --bind ADDR            IPv4 address or host to listen on (default 0.0.0.0)\n"
            "  --port N               UDP port (default %d; 0 picks a free one)\n"
            "  --max-players N        players on the server at once (default 256, at most 4000)\n"
            "  --lobby-capacity N     players per lobby (default 16, at most %d)\n"
            "  --max-lobbies N        lobbies open at once, 'main' included (default 64)\n"
            "  --chat-rate R          chat messages per second per player (default 5)\n"
            "  --chat-burst N         chat messages allowed back to back (default 10)\n"
            "  --timeout-ms N         drop a silent peer after about N ms (default 5000)\n"
            "  --grace-ms N           hold a timed-out player's seat this long for its\n"
            "                         reconnection (default 30000; 0 = never)\n"
            "  --snapshot-hz N        position snapshots per second: each player gets the\n"
            "                         lobby's newest positions in one datagram (default 30)\n"
            "  --snapshot-full        put every member in every snapshot, not only those\n"
            "                         who moved since the last one (more bytes, heals loss\n"
            "                         of a stationary player's last position sooner)\n"
            "  --min-pass-us N        under load, start a loop pass no sooner than N us\n"
            "                         after the previous one, so each handles many\n"
            "                         datagrams at once; an idle server still answers at\n"
            "                         once (default 1000; 0 = a pass per wake-up)\n"
            "  --http ADDR:PORT       serve /metrics (Prometheus), /lobbies (JSON) and\n"
            "                         /healthz over HTTP on this IPv4 address and TCP\n"
            "                         port (default %s; port 0 picks a free\n"
            "                         one; 'off' disables it). When the default address\n"
            "                         is taken the server warns and runs without it\n"
            "  --log-level LEVEL      debug, info, warn, error or off (default info)\n"
            "\n"
            "Plain-text chat over TCP (see README, 'Chatting over TCP'):\n"
            "  --tcp-port N           TCP port for text clients (default: the same number\n"
            "                         as --port, a free one when that is 0; 0 = off)\n"
            "  --tcp-max-conns N      text connections at once (default 1024)\n"
            "  --tcp-max-conns-per-ip N\n"
            "                         text connections from one IP address (default 16)\n"
            "  --tcp-idle-ms N        close a text client that sends nothing for N ms\n"
            "                         (default 300000)\n"
            "  --help                 show this help and exit\n"
            "  --version              show the version and exit\n"
            "\n"
            "Hostile networks (malformed ENet datagrams are always dropped and counted):\n"
            "  --connect-rate R       CONNECTs per second from one IP address (default 16)\n"
            "  --connect-burst N      CONNECTs from one IP address back to back (default 64)\n"
            "  --max-half-open-per-ip N\n"
            "                         handshakes from one IP left unanswered past 0.5 s\n"
            "                         before its CONNECTs are dropped (default 4)\n"
            "  --half-open-ms N       free the slot of an unanswered handshake after about\n"
            "                         N ms (default 2500; ENet's own is 30000)\n"
            "  --max-peers-per-ip N   connections from one IP address (default 64)\n"
            "  --max-waiting-kb N     incoming data ENet holds per peer (default 256)\n"
            "  --max-peer-backlog-kb N\n"
            "                         disconnect a peer with more outgoing data queued\n"
            "                         (default 1024)\n",
            PROTO_DEFAULT_PORT, PROTO_MAX_LOBBY_PLAYERS, HTTP_API_DEFAULT_ADDRESS);
}

/* Parses a whole decimal number in [min, max]; false (with a message) otherwise. */
static bool parse_uint(const char *flag, const char *text, unsigned long min, unsigned long max,
                       unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
        fprintf(stderr, "lobby-server: %s must be a whole number from %lu to %lu, got '%s'\n", flag,
                min, max, text);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_positive(const char *flag, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > 0.0) || v > 1e6) {
        fprintf(stderr, "lobby-server: %s must be a positive number, got '%s'\n", flag, text);
        return false;
    }
    *out = v;
    return true;
}

enum {
    OPT_BIND = 1000,
    OPT_PORT,
    OPT_MAX_PLAYERS,
    OPT_CAPACITY,
    OPT_MAX_LOBBIES,
    OPT_CHAT_RATE,
    OPT_CHAT_BURST,
    OPT_TIMEOUT,
    OPT_GRACE,
    OPT_LOG_LEVEL,
    OPT_SNAPSHOT_HZ,
    OPT_SNAPSHOT_FULL,
    OPT_MIN_PASS_US,
    OPT_CONNECT_RATE,
    OPT_CONNECT_BURST,
    OPT_MAX_HALF_OPEN,
    OPT_HALF_OPEN_MS,
    OPT_MAX_PER_IP,
    OPT_MAX_WAITING,
    OPT_MAX_BACKLOG,
    OPT_HTTP,
    OPT_TCP_PORT,
    OPT_TCP_MAX_CONNS,
    OPT_TCP_MAX_PER_IP,
    OPT_TCP_IDLE_MS,
    OPT_HELP,
    OPT_VERSION,
};

/* Applies one transport flag; returns false after printing why it is wrong. */
static bool apply_net_option(transport_config *n, int opt, const char *arg)
{
    unsigned long v;
    switch (opt) {
    case OPT_BIND:
        n->bind_host = arg;
        return true;
    case OPT_PORT:
        return parse_uint("--port", arg, 0, 65535, &v) && (n->port = (uint16_t)v, true);
    case OPT_TIMEOUT:
        return parse_uint("--timeout-ms", arg, 200, 600000, &v) &&
               (n->timeout_ms = (uint32_t)v, true);
    case OPT_CONNECT_RATE:
        return parse_positive("--connect-rate", arg, &n->connect_per_s);
    case OPT_CONNECT_BURST:
        return parse_uint("--connect-burst", arg, 1, 4095, &v) &&
               (n->connect_burst = (double)v, true);
    case OPT_MAX_HALF_OPEN:
        return parse_uint("--max-half-open-per-ip", arg, 1, 4095, &v) &&
               (n->max_half_open_per_ip = (uint32_t)v, true);
    case OPT_HALF_OPEN_MS:
        return parse_uint("--half-open-ms", arg, 500, 60000, &v) &&
               (n->half_open_ms = (uint32_t)v, true);
    case OPT_MAX_PER_IP:
        return parse_uint("--max-peers-per-ip", arg, 1, 4095, &v) &&
               (n->max_peers_per_ip = (uint32_t)v, true);
    case OPT_MAX_WAITING:
        return parse_uint("--max-waiting-kb", arg, 64, 1048576, &v) &&
               (n->max_waiting_kb = (uint32_t)v, true);
    case OPT_MAX_BACKLOG:
        return parse_uint("--max-peer-backlog-kb", arg, 64, 1048576, &v) &&
               (n->max_backlog_kb = (uint32_t)v, true);
    }
    return false;
}

/* Applies one text-port flag; returns false after printing why it is wrong. */
static bool apply_text_option(options *o, int opt, const char *arg)
{
    unsigned long v;
    switch (opt) {
    case OPT_TCP_PORT:
        o->tcp_port_given = true;
        return parse_uint("--tcp-port", arg, 0, 65535, &v) && (o->tcp_port = (uint16_t)v, true);
    case OPT_TCP_MAX_CONNS:
        return parse_uint("--tcp-max-conns", arg, 1, 65536, &v) &&
               (o->text.max_conns = (uint32_t)v, true);
    case OPT_TCP_MAX_PER_IP:
        return parse_uint("--tcp-max-conns-per-ip", arg, 1, 65536, &v) &&
               (o->text.max_conns_per_ip = (uint32_t)v, true);
    case OPT_TCP_IDLE_MS:
        return parse_uint("--tcp-idle-ms", arg, 100, 86400000, &v) &&
               (o->text.idle_ms = (uint32_t)v, true);
    }
    return apply_net_option(&o->net, opt, arg);
}

/* Applies one flag; returns false after printing why it is wrong. */
static bool apply_option(options *o, int opt, const char *arg)
{
    unsigned long v;
    switch (opt) {
    case OPT_MAX_PLAYERS:
        return parse_uint("--max-players", arg, 1, 4000, &v) &&
               (o->core.max_players = (uint32_t)v, true);
    case OPT_CAPACITY:
        return parse_uint("--lobby-capacity", arg, 1, PROTO_MAX_LOBBY_PLAYERS, &v) &&
               (o->core.lobby_capacity = (uint8_t)v, true);
    case OPT_MAX_LOBBIES:
        return parse_uint("--max-lobbies", arg, 1, 4000, &v) &&
               (o->core.max_lobbies = (uint32_t)v, true);
    case OPT_CHAT_RATE:
        return parse_positive("--chat-rate", arg, &o->core.chat_per_s);
    case OPT_CHAT_BURST:
        return parse_uint("--chat-burst", arg, 1, 1000, &v) &&
               (o->core.chat_burst = (double)v, true);
    case OPT_GRACE:
        return parse_uint("--grace-ms", arg, 0, 3600000, &v) &&
               (o->core.grace_ms = (uint32_t)v, true);
    case OPT_SNAPSHOT_HZ:
        return parse_uint("--snapshot-hz", arg, 1, 1000, &v) &&
               (o->core.snapshot_hz = (uint32_t)v, true);
    case OPT_SNAPSHOT_FULL:
        o->core.snapshot_full = true;
        return true;
    case OPT_MIN_PASS_US:
        return parse_uint("--min-pass-us", arg, 0, 10000, &v) &&
               (o->min_pass_us = (uint32_t)v, true);
    case OPT_HTTP:
        o->http_given = true;
        if (http_api_parse_address(arg, &o->http))
            return true;
        fprintf(stderr,
                "lobby-server: --http must be ADDR:PORT (an IPv4 address such as 127.0.0.1 and "
                "a port from 0 to 65535) or 'off', got '%s'\n",
                arg);
        return false;
    case OPT_LOG_LEVEL: {
        int level = log_level_parse(arg);
        if (level < 0)
            fprintf(stderr, "lobby-server: unknown --log-level '%s'\n", arg);
        else
            log_set_level((log_level)level);
        return level >= 0;
    }
    }
    return apply_text_option(o, opt, arg);
}

/* Returns -1 to continue, or an exit status. */
static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"bind", required_argument, NULL, OPT_BIND},
        {"port", required_argument, NULL, OPT_PORT},
        {"max-players", required_argument, NULL, OPT_MAX_PLAYERS},
        {"lobby-capacity", required_argument, NULL, OPT_CAPACITY},
        {"max-lobbies", required_argument, NULL, OPT_MAX_LOBBIES},
        {"chat-rate", required_argument, NULL, OPT_CHAT_RATE},
        {"chat-burst", required_argument, NULL, OPT_CHAT_BURST},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"grace-ms", required_argument, NULL, OPT_GRACE},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"snapshot-hz", required_argument, NULL, OPT_SNAPSHOT_HZ},
        {"snapshot-full", no_argument, NULL, OPT_SNAPSHOT_FULL},
        {"min-pass-us", required_argument, NULL, OPT_MIN_PASS_US},
        {"connect-rate", required_argument, NULL, OPT_CONNECT_RATE},
        {"connect-burst", required_argument, NULL, OPT_CONNECT_BURST},
        {"max-half-open-per-ip", required_argument, NULL, OPT_MAX_HALF_OPEN},
        {"half-open-ms", required_argument, NULL, OPT_HALF_OPEN_MS},
        {"max-peers-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
        {"max-waiting-kb", required_argument, NULL, OPT_MAX_WAITING},
        {"max-peer-backlog-kb", required_argument, NULL, OPT_MAX_BACKLOG},
        {"http", required_argument, NULL, OPT_HTTP},
        {"tcp-port", required_argument, NULL, OPT_TCP_PORT},
        {"tcp-max-conns", required_argument, NULL, OPT_TCP_MAX_CONNS},
        {"tcp-max-conns-per-ip", required_argument, NULL, OPT_TCP_MAX_PER_IP},
        {"tcp-idle-ms", required_argument, NULL, OPT_TCP_IDLE_MS},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == OPT_VERSION) {
            printf("lobby-server %s (protocol %d)\n", LOBBY_VERSION, PROTO_VERSION);
            return 0;
        }
        if (opt == '?' || !apply_option(o, opt, optarg)) {
            fprintf(stderr, "Try 'lobby-server --help'.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lobby-server: unexpected argument '%s'\nTry 'lobby-server --help'.\n",
                argv[optind]);
        return 2;
    }
    /* Slots beyond the player cap let a full server still answer "server full"
     * and let handshakes proceed while it is busy. */
    o->core.max_sessions = o->core.max_players + o->core.max_players / 4 + 16;
    if (o->core.max_sessions > ENET_PROTOCOL_MAXIMUM_PEER_ID)
        o->core.max_sessions = ENET_PROTOCOL_MAXIMUM_PEER_ID;
    o->net.peer_count = o->core.max_sessions;
    /* The text port has the game port's number unless told otherwise, so
     * "--port 0" gives a free TCP port too (the log line says which). */
    if (!o->tcp_port_given)
        o->tcp_port = o->net.port;
    o->text.bind_host = o->net.bind_host;
    o->text.port = o->tcp_port;
    return -1;
}

/* Each text connection is a descriptor: raise the soft limit towards the
 * hard one so that --tcp-max-conns can be reached. Past the limit accepts
 * fail, are counted and logged, and accepting pauses briefly. */
static void raise_fd_limit(uint32_t text_conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)text_conns + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        log_warn("server", "only %llu file descriptors: fewer than %u text connections fit",
                 (unsigned long long)rl.rlim_cur, (unsigned)text_conns);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: poll() returns EINTR at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
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
 * relayed to both in the same pass) and writes last (ENet's flush inside
 * transport_pump, then the text clients' output). text and http may be
 * NULL; poll() skips the -1 descriptors they then leave. */
static void run_loop(server *core, transport *net, textport *text, http_api *http,
                     uint32_t min_pass_us)
{
    struct pollfd pfds[3] = {{.fd = transport_fd(net), .events = POLLIN},
                             {.fd = text ? textport_fd(text) : -1, .events = POLLIN},
                             {.fd = http_api_fd(http), .events = POLLIN}};
    uint64_t give_up_us = 0, last_pass_us = 0;
    for (;;) {
        int timeout_ms = http_api_wait_ms(http, clock_now_us(),
                                          clock_ms_until(next_due_us(core, text), LOOP_WAIT_MS));
        if (poll(pfds, 3, timeout_ms) < 0 && errno != EINTR)
            log_error("server", "poll: %s", strerror(errno));
        uint64_t now_us = clock_hold_back(last_pass_us, min_pass_us);
        last_pass_us = now_us;
        if (g_stop_signal != 0 && give_up_us == 0) {
            log_info("server", "received %s", g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
            server_begin_shutdown(core);
            if (text != NULL)
                textport_begin_shutdown(text, now_us);
            give_up_us = now_us + SHUTDOWN_GRACE_US;
        }
        if (text != NULL)
            textport_pump(text, now_us);
        transport_pump(net, now_us);
        if (text != NULL)
            textport_flush(text, now_us);
        http_api_pass(http, now_us, clock_now_us() - now_us, pfds[2].revents != 0);
        if (give_up_us != 0 && (all_gone(core, text) || now_us >= give_up_us))
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
                       const textport *text, http_api **out)
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
    cfg.start_us = clock_now_us();
    cfg.version = LOBBY_VERSION;
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

int main(int argc, char **argv)
{
    options o = {0};
    server_config_defaults(&o.core);
    o.min_pass_us = DEFAULT_MIN_PASS_US;
    transport_config_defaults(&o.net);
    o.net.bind_host = "0.0.0.0";
    o.net.port = PROTO_DEFAULT_PORT;
    http_api_parse_address(HTTP_API_DEFAULT_ADDRESS, &o.http);
    textport_config_defaults(&o.text);
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    ENetCallbacks callbacks = {
        .malloc = zeroing_malloc, .free = free, .no_memory = enet_out_of_memory};
    if (enet_initialize_with_callbacks(ENET_VERSION, &callbacks) != 0) {
        fprintf(stderr, "lobby-server: cannot initialise ENet\n");
        return 1;
    }
    server *core = NULL;
    transport *net = NULL;
    int err = server_create(&o.core, &core);
    if (err != SERVER_OK) {
        fprintf(stderr, "lobby-server: %s\n", server_strerror(err));
        return 1;
    }
    err = transport_create(&o.net, core, &net);
    if (err != TRANSPORT_OK) {
        fprintf(stderr, "lobby-server: %s:%u: %s\n", o.net.bind_host, (unsigned)o.net.port,
                transport_strerror(err));
        server_destroy(core);
        return 1;
    }
    textport *text = NULL;
    if (o.text.port != 0 || !o.tcp_port_given) {
        raise_fd_limit(o.text.max_conns);
        err = textport_create(&o.text, core, &text);
        if (err != TEXTPORT_OK) {
            fprintf(stderr, "lobby-server: tcp %s:%u: %s\n", o.text.bind_host,
                    (unsigned)o.text.port, textport_strerror(err));
            transport_destroy(net);
            server_destroy(core);
            enet_deinitialize();
            return 1;
        }
        /* Before the UDP line: scripts wait for that one, then read both. */
        log_info("server", "text chat on %s:%u (tcp)", o.text.bind_host,
                 (unsigned)textport_port(text));
    }
    http_api *http = NULL;
    if (!start_http(&o, core, net, text, &http)) {
        textport_destroy(text);
        transport_destroy(net);
        server_destroy(core);
        enet_deinitialize();
        return 1;
    }
    install_signal_handlers();
    log_info("server", "listening on %s:%u (udp), protocol %d, max %u players, %u per lobby",
             o.net.bind_host, (unsigned)transport_port(net), PROTO_VERSION,
             (unsigned)o.core.max_players, (unsigned)o.core.lobby_capacity);
    run_loop(core, net, text, http, o.min_pass_us);
    log_totals(core, net, text);
    http_api_destroy(http);
    textport_destroy(text);
    transport_destroy(net);
    server_destroy(core);
    enet_deinitialize();
    return 0;
}
