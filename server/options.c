#include "options.h"

#include "cli.h"
#include "log.h"
#include "proto.h"

#include <enet/enet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_MIN_PASS_US = 1000 };

void options_defaults(options *o)
{
    memset(o, 0, sizeof *o);
    server_config_defaults(&o->core);
    o->min_pass_us = DEFAULT_MIN_PASS_US;
    o->log_buffer_kb = LOG_ASYNC_BUFFER_BYTES / 1024;
    transport_config_defaults(&o->net);
    o->net.bind_host = "0.0.0.0";
    o->net.port = PROTO_DEFAULT_PORT;
    http_api_parse_address(HTTP_API_DEFAULT_ADDRESS, &o->http);
    textport_config_defaults(&o->text);
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: lobby-server [options]\n"
            "Holds lobbies of players over ENet (UDP): relays chat (acknowledged) and positions.\n"
            "\n"
            "  --bind ADDR            IPv4 address or host to listen on (default 0.0.0.0)\n"
            "  --port N               UDP port (default %d; 0 picks a free one)\n"
            "  --max-players N        players on the server at once (default 256, at most 4000)\n"
            "  --lobby-capacity N     players per lobby unless its creator chose\n"
            "                         (default 16, at most %d)\n"
            "  --max-lobbies N        lobbies open at once, 'main' included (default 64)\n"
            "  --chat-rate R          chat messages per second per player (default 5)\n"
            "  --chat-burst N         chat messages allowed back to back (default 10)\n"
            "  --timeout-ms N         drop a silent peer after about N ms (default 5000)\n"
            "  --grace-ms N           hold a timed-out player's seat this long for its\n"
            "                         reconnection (default 30000; 0 = never)\n"
            "  --lobby-grace-ms N     close a lobby other than 'main' after it stood\n"
            "                         empty this long (default 30000, 0..86400000)\n"
            "  --kick-cooldown-ms N   a kicked player may not rejoin that lobby for\n"
            "                         this long (default 60000, 0..86400000)\n"
            "  --countdown-ms N       START_GAME to GAME_STARTING (default 3000,\n"
            "                         1..600000)\n"
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
            "  --log-buffer-kb N      log lines wait in a buffer of N KB (4..65536,\n"
            "                         default 256) for a writer thread, so a slow stderr\n"
            "                         never stalls the game; when it is full lines are\n"
            "                         dropped and counted (lobby_log_lines_dropped_total)\n"
            "\n"
            "Plain-text chat over TCP (see README, 'Chatting over TCP'):\n"
            "  --tcp-port N           TCP port for text clients (default: the same number\n"
            "                         as --port, a free one when that is 0; 0 = off)\n"
            "  --tcp-max-conns N      text connections at once (default 1024)\n"
            "  --tcp-max-conns-per-ip N\n"
            "                         text connections from one IP address (default 16)\n"
            "  --tcp-idle-ms N        close a text client that sends nothing for N ms\n"
            "                         (default 300000)\n"
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
            "                         (default 1024)\n"
            "\n"
            "  --help                 show this help and exit\n"
            "  --version              show the version and exit\n"
            "\n"
            "Exit status: 0 after SIGINT or SIGTERM (every client told, then gone or a\n"
            "second passed), --help or --version; 1 cannot start (a port taken or an\n"
            "address that does not resolve: the message names the flag to change; ENet\n"
            "or memory failed); 2 bad usage.\n",
            PROTO_DEFAULT_PORT, PROTO_MAX_LOBBY_PLAYERS, HTTP_API_DEFAULT_ADDRESS);
}

/* Parses a whole decimal number in [min, max]; false (with a message) otherwise. */
static bool parse_uint(const char *flag, const char *text, unsigned long min, unsigned long max,
                       unsigned long *out)
{
    unsigned long long v;
    if (!cli_parse_uint("lobby-server", flag, text, min, max, &v))
        return false;
    *out = (unsigned long)v;
    return true;
}

/* A rate: above 0 (fractions allowed: 0.5 is one every 2 s), at most a million. */
static bool parse_positive(const char *flag, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > 0.0) || v > 1e6) {
        fprintf(stderr,
                "lobby-server: %s must be a number above 0 and at most 1000000, got '%s' (try "
                "--help)\n",
                flag, text);
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
    OPT_LOBBY_GRACE,
    OPT_KICK_COOLDOWN,
    OPT_COUNTDOWN,
    OPT_LOG_LEVEL,
    OPT_SNAPSHOT_HZ,
    OPT_SNAPSHOT_FULL,
    OPT_MIN_PASS_US,
    OPT_LOG_BUFFER_KB,
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
    case OPT_LOBBY_GRACE:
        return parse_uint("--lobby-grace-ms", arg, 0, 86400000, &v) &&
               (o->core.lobby_grace_ms = (uint32_t)v, true);
    case OPT_KICK_COOLDOWN:
        return parse_uint("--kick-cooldown-ms", arg, 0, 86400000, &v) &&
               (o->core.kick_cooldown_ms = (uint32_t)v, true);
    case OPT_COUNTDOWN:
        return parse_uint("--countdown-ms", arg, 1, 600000, &v) &&
               (o->core.countdown_ms = (uint32_t)v, true);
    case OPT_SNAPSHOT_HZ:
        return parse_uint("--snapshot-hz", arg, 1, 1000, &v) &&
               (o->core.snapshot_hz = (uint32_t)v, true);
    case OPT_SNAPSHOT_FULL:
        o->core.snapshot_full = true;
        return true;
    case OPT_MIN_PASS_US:
        return parse_uint("--min-pass-us", arg, 0, 10000, &v) &&
               (o->min_pass_us = (uint32_t)v, true);
    case OPT_LOG_BUFFER_KB:
        return parse_uint("--log-buffer-kb", arg, 4, 65536, &v) &&
               (o->log_buffer_kb = (uint32_t)v, true);
    case OPT_HTTP:
        o->http_given = true;
        if (http_api_parse_address(arg, &o->http))
            return true;
        fprintf(stderr,
                "lobby-server: --http must be ADDR:PORT (an IPv4 address such as 127.0.0.1 and "
                "a port from 0 to 65535) or 'off', got '%s' (try --help)\n",
                arg);
        return false;
    case OPT_LOG_LEVEL: {
        int level = log_level_parse(arg);
        if (level < 0)
            fprintf(stderr,
                    "lobby-server: --log-level must be debug, info, warn, error or off, got '%s' "
                    "(try --help)\n",
                    arg);
        else
            log_set_level((log_level)level);
        return level >= 0;
    }
    }
    return apply_text_option(o, opt, arg);
}

int options_parse(int argc, char **argv, options *o)
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
        {"lobby-grace-ms", required_argument, NULL, OPT_LOBBY_GRACE},
        {"kick-cooldown-ms", required_argument, NULL, OPT_KICK_COOLDOWN},
        {"countdown-ms", required_argument, NULL, OPT_COUNTDOWN},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"snapshot-hz", required_argument, NULL, OPT_SNAPSHOT_HZ},
        {"snapshot-full", no_argument, NULL, OPT_SNAPSHOT_FULL},
        {"min-pass-us", required_argument, NULL, OPT_MIN_PASS_US},
        {"log-buffer-kb", required_argument, NULL, OPT_LOG_BUFFER_KB},
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
    /* A flag's value may not be empty: --bind "" would otherwise fail later
     * as an address that does not resolve. */
    while ((opt = cli_next_option("lobby-server", argc, argv, longopts, NULL)) != CLI_OPT_END) {
        if (opt == CLI_OPT_BAD)
            return CLI_EXIT_USAGE;
        if (opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == OPT_VERSION) {
            printf("lobby-server %s (protocol %d)\n", LOBBY_VERSION, PROTO_VERSION);
            return 0;
        }
        if (!apply_option(o, opt, optarg))
            return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error("lobby-server", "unexpected argument", argv[optind]);
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
