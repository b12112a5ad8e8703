#include "options_internal.h"

#include "cli.h"
#include "identity.h"
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
    http_api_config http;
    http_api_config_defaults(&http);
    o->http_max_conns = http.max_conns;
    o->http_max_conns_per_ip = http.max_conns_per_ip;
    o->http_header_timeout_ms = http.header_timeout_ms;
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
            "  --http-max-conns N     HTTP connections at once (default 64)\n"
            "  --http-max-conns-per-ip N\n"
            "                         HTTP connections from one IP address (default 4)\n"
            "  --http-header-timeout-ms N\n"
            "                         close an HTTP connection whose request headers are\n"
            "                         not all in N ms after it opened (or after its last\n"
            "                         answer), however it trickles them, or that takes\n"
            "                         longer than N ms more to read the answer\n"
            "                         (default 5000)\n"
            "  --log-level LEVEL      debug, info, warn, error or off (default info)\n"
            "  --log-format FORMAT    text (default): one line per event, as\n"
            "                         'TIME LEVEL [tag] message'; json: one JSON object\n"
            "                         per line (time, level, tag, msg) for log shippers\n"
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
            "  --tcp-idle-ms N        close a text client that sends no whole line for N ms\n"
            "                         (default 300000)\n"
            "  --tcp-line-rate R      lines (chat and commands) per second per text\n"
            "                         connection (default 10); over it 'error rate-limited',\n"
            "                         and 30 refusals in short order close it (flooding)\n"
            "  --tcp-line-burst N     lines back to back per text connection (default 20)\n"
            "  --tcp-line-ms N        a line must arrive whole within N ms of its first\n"
            "                         byte, else 'error line-timeout' and close (default\n"
            "                         10000)\n"
            "  --tcp-sndbuf-bytes N   SO_SNDBUF of text sockets; the kernel doubles it\n"
            "                         (default 65536; 0 = the system's default)\n"
            "  --tcp-max-out-kb N     close a text client with more than N kB of replies\n"
            "                         unread (default 256)\n"
            "  --tcp-max-out-total-mb N\n"
            "                         when text clients together have more than N MB of\n"
            "                         replies unread, close each with over 16 kB unread\n"
            "                         (default 64)\n"
            "  --tcp-lobby-ip-rate R  chat lines per second from one IP address's text\n"
            "                         clients into one lobby (default 2)\n"
            "  --tcp-lobby-ip-burst N ...back to back (default 10)\n"
            "  --tcp-lobby-bytes-per-s N\n"
            "                         bytes of text-client chat per second into one lobby,\n"
            "                         from all text clients, as each player receives them\n"
            "                         (default 8192); over it 'error lobby-busy'\n"
            "  --tcp-lobby-bytes-burst N\n"
            "                         ...back to back (default 16384, at least 1024)\n"
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
            "  --reserve-peers N      while no more than N connection slots are free, admit\n"
            "                         only addresses that hold none (default 0: the larger\n"
            "                         of 8 and an eighth of the slots)\n"
            "  --list-kb-per-s N      lobby-list (LOBBY_LIST) kB one IP address may get a\n"
            "                         second; past it, LIST_LOBBIES is refused\n"
            "                         RATE_LIMITED (default 64, 1..1048576)\n"
            "  --list-burst-kb N      lobby-list kB one IP address may get back to back\n"
            "                         (default 256, 1..1048576)\n"
            "\n"
            "Identity (see README, 'Identity (optional)'):\n"
            "  --auth-key-file FILE   admit only players whose HELLO carries an identity\n"
            "                         token signed by the game's backend (lobby-token mint);\n"
            "                         FILE holds the backend's Ed25519 public key as 64 hex\n"
            "                         digits (lobby-token keygen). Text clients are then\n"
            "                         refused. Default: off, anyone may join\n"
            "\n"
            "Quotas (a holder is an IP address, or a verified identity):\n"
            "  --max-held-seats-per-holder N\n"
            "                         seats held for one holder's timed-out players at\n"
            "                         once; past it the oldest is given up (default 4;\n"
            "                         0 = hold none)\n"
            "  --max-lobbies-per-holder N\n"
            "                         open lobbies one holder may have opened (default 3;\n"
            "                         after that many back to back, 1 every 5 s)\n"
            "  --lobby-share-percent N\n"
            "                         of a lobby's seats one holder may take, live and held,\n"
            "                         unless it opened the lobby (default 50, at least 2\n"
            "                         seats; 100 = no limit)\n"
            "  --max-browsing-per-address N\n"
            "                         sessions from one IP at the lobby list (default 8)\n"
            "  --max-handshakes-per-address N\n"
            "                         sessions from one IP not past their hello (default 8)\n"
            "  --browse-idle-ms N     close a session at the lobby list that sends no lobby\n"
            "                         request for N ms (default 60000; 0 = never)\n"
            "\n",
            PROTO_DEFAULT_PORT, PROTO_MAX_LOBBY_PLAYERS, HTTP_API_DEFAULT_ADDRESS);
    options_cluster_usage(to);
    fprintf(to, "Configuration file (see lobby-server.conf(5)):\n"
                "  --config FILE          read settings from the INI file FILE first: one\n"
                "                         'key = value' a line, every key a long flag's name\n"
                "                         without '--' (port = 7777, http = off,\n"
                "                         snapshot-full = on); flags override it wherever\n"
                "                         they stand\n"
                "  --print-config         print the effective configuration (defaults, file,\n"
                "                         flags) in that format and exit; secrets appear as\n"
                "                         their files' paths only\n"
                "\n"
                "  --help                 show this help and exit\n"
                "  --version              show the version and exit\n"
                "\n"
                "Exit status: 0 after SIGINT or SIGTERM (every client told, then gone or a\n"
                "second passed), --help, --version or --print-config; 1 cannot start (a port\n"
                "taken, an address that does not resolve, an unreadable --config file, an\n"
                "unreadable or malformed --auth-key-file, --cluster-secret-file or\n"
                "--cluster-password-file: the message names the flag to change; ENet or\n"
                "memory failed); 2 bad usage (cluster flags that contradict each other, and\n"
                "any error in the --config file, as FILE:LINE: reason, included).\n");
}

/* Parses a whole decimal number in [min, max]; false (with the reason in
 * why) otherwise. */
static bool parse_uint(char *why, const char *text, unsigned long min, unsigned long max,
                       unsigned long *out)
{
    unsigned long long v;
    if (!cli_uint_in_range(text, min, max, &v)) {
        snprintf(why, OPTIONS_WHY_BYTES, "must be a whole number from %lu to %lu, got '%s'", min,
                 max, text);
        return false;
    }
    *out = (unsigned long)v;
    return true;
}

/* A rate: above 0 (fractions allowed: 0.5 is one every 2 s), at most a million. */
static bool parse_positive(char *why, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > 0.0) || v > 1e6) {
        snprintf(why, OPTIONS_WHY_BYTES, "must be a number above 0 and at most 1000000, got '%s'",
                 text);
        return false;
    }
    *out = v;
    return true;
}

/* A switch in a config file: on/off, true/false, yes/no, 1/0. A flag
 * (text NULL) turns it on. */
static bool parse_switch(char *why, const char *text, bool *out)
{
    static const char *const words[] = {"on", "off", "true", "false", "yes", "no", "1", "0"};
    for (size_t i = 0; text != NULL && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(text, words[i]) == 0) {
            *out = i % 2 == 0;
            return true;
        }
    if (text == NULL)
        return *out = true;
    snprintf(why, OPTIONS_WHY_BYTES, "must be on or off (true/false, yes/no, 1/0), got '%s'", text);
    return false;
}

static bool apply_net_option(transport_config *n, int opt, const char *arg, char *why)
{
    unsigned long v;
    switch (opt) {
    case OPT_BIND:
        n->bind_host = arg;
        return true;
    case OPT_PORT:
        return parse_uint(why, arg, 0, 65535, &v) && (n->port = (uint16_t)v, true);
    case OPT_TIMEOUT:
        return parse_uint(why, arg, 200, 600000, &v) && (n->timeout_ms = (uint32_t)v, true);
    case OPT_CONNECT_RATE:
        return parse_positive(why, arg, &n->connect_per_s);
    case OPT_CONNECT_BURST:
        return parse_uint(why, arg, 1, 4095, &v) && (n->connect_burst = (double)v, true);
    case OPT_MAX_HALF_OPEN:
        return parse_uint(why, arg, 1, 4095, &v) && (n->max_half_open_per_ip = (uint32_t)v, true);
    case OPT_HALF_OPEN_MS:
        return parse_uint(why, arg, 500, 60000, &v) && (n->half_open_ms = (uint32_t)v, true);
    case OPT_MAX_PER_IP:
        return parse_uint(why, arg, 1, 4095, &v) && (n->max_peers_per_ip = (uint32_t)v, true);
    case OPT_MAX_WAITING:
        return parse_uint(why, arg, 64, 1048576, &v) && (n->max_waiting_kb = (uint32_t)v, true);
    case OPT_MAX_BACKLOG:
        return parse_uint(why, arg, 64, 1048576, &v) && (n->max_backlog_kb = (uint32_t)v, true);
    case OPT_RESERVE_PEERS:
        return parse_uint(why, arg, 0, 4095, &v) && (n->reserve_peers = (uint32_t)v, true);
    }
    return false;
}

/* Applies one HTTP limit flag; false with the reason in why when the value is wrong. */
static bool apply_http_option(options *o, int opt, const char *arg, char *why)
{
    unsigned long v;
    switch (opt) {
    case OPT_HTTP_MAX_CONNS:
        return parse_uint(why, arg, 1, 1024, &v) && (o->http_max_conns = (uint32_t)v, true);
    case OPT_HTTP_MAX_PER_IP:
        return parse_uint(why, arg, 1, 1024, &v) && (o->http_max_conns_per_ip = (uint32_t)v, true);
    case OPT_HTTP_HEADER_MS:
        return parse_uint(why, arg, 100, 600000, &v) &&
               (o->http_header_timeout_ms = (uint32_t)v, true);
    }
    return apply_net_option(&o->net, opt, arg, why);
}

/* Applies one of the text port's rate and buffer flags; false with the
 * reason in why when the value is wrong, or when opt is none of them. */
static bool apply_text_limit_option(textport_config *t, int opt, const char *arg, char *why)
{
    unsigned long v;
    switch (opt) {
    case OPT_TCP_LINE_RATE:
        return parse_positive(why, arg, &t->line_per_s);
    case OPT_TCP_LINE_BURST:
        return parse_uint(why, arg, 1, 1000, &v) && (t->line_burst = (double)v, true);
    case OPT_TCP_LINE_MS:
        return parse_uint(why, arg, 100, 600000, &v) && (t->max_line_ms = (uint32_t)v, true);
    case OPT_TCP_SNDBUF:
        return parse_uint(why, arg, 0, 16777216, &v) && (t->sndbuf_bytes = (uint32_t)v, true);
    case OPT_TCP_MAX_OUT_KB:
        return parse_uint(why, arg, 4, 65536, &v) && (t->max_out_bytes = (size_t)v * 1024u, true);
    case OPT_TCP_MAX_OUT_TOTAL_MB:
        return parse_uint(why, arg, 1, 65536, &v) &&
               (t->max_out_total_bytes = (size_t)v * 1024u * 1024u, true);
    case OPT_TCP_LOBBY_IP_RATE:
        return parse_positive(why, arg, &t->lobby_ip_lines_per_s);
    case OPT_TCP_LOBBY_IP_BURST:
        return parse_uint(why, arg, 1, 100000, &v) && (t->lobby_ip_line_burst = (double)v, true);
    case OPT_TCP_LOBBY_BYTES:
        return parse_uint(why, arg, 1, 100000000, &v) && (t->lobby_bytes_per_s = (double)v, true);
    case OPT_TCP_LOBBY_BYTES_BURST:
        return parse_uint(why, arg, 1024, 100000000, &v) &&
               (t->lobby_bytes_burst = (double)v, true);
    }
    return false;
}

/* Applies one quota flag; false with the reason in why when the value is wrong. */
static bool apply_quota_option(options *o, int opt, const char *arg, char *why)
{
    unsigned long v;
    switch (opt) {
    case OPT_MAX_HELD_SEATS:
        return parse_uint(why, arg, 0, 4000, &v) &&
               (o->core.max_held_seats_per_holder = (uint32_t)v, true);
    case OPT_MAX_LOBBIES_PER_HOLDER:
        return parse_uint(why, arg, 1, 4000, &v) &&
               (o->core.max_lobbies_per_holder = (uint32_t)v, true);
    case OPT_MAX_BROWSING:
        return parse_uint(why, arg, 1, 4095, &v) &&
               (o->core.max_browsing_per_address = (uint32_t)v, true);
    case OPT_MAX_HANDSHAKES:
        return parse_uint(why, arg, 1, 4095, &v) &&
               (o->core.max_handshakes_per_address = (uint32_t)v, true);
    case OPT_LOBBY_SHARE:
        return parse_uint(why, arg, 1, 100, &v) &&
               (o->core.lobby_share_percent = (uint32_t)v, true);
    case OPT_BROWSE_IDLE:
        return parse_uint(why, arg, 0, 86400000, &v) &&
               (o->core.browse_idle_ms = (uint32_t)v, true);
    }
    return apply_http_option(o, opt, arg, why);
}

/* Applies one text-port flag; false with the reason in why when the value is wrong. */
static bool apply_text_option(options *o, int opt, const char *arg, char *why)
{
    unsigned long v;
    switch (opt) {
    case OPT_TCP_PORT:
        o->tcp_port_given = true;
        return parse_uint(why, arg, 0, 65535, &v) && (o->tcp_port = (uint16_t)v, true);
    case OPT_TCP_MAX_CONNS:
        return parse_uint(why, arg, 1, 65536, &v) && (o->text.max_conns = (uint32_t)v, true);
    case OPT_TCP_MAX_PER_IP:
        return parse_uint(why, arg, 1, 65536, &v) && (o->text.max_conns_per_ip = (uint32_t)v, true);
    case OPT_TCP_IDLE_MS:
        return parse_uint(why, arg, 100, 86400000, &v) && (o->text.idle_ms = (uint32_t)v, true);
    }
    return apply_text_limit_option(&o->text, opt, arg, why) || apply_quota_option(o, opt, arg, why);
}

/* Applies one flag; false with the reason in why when the value is wrong. */
static bool apply_option(options *o, int opt, const char *arg, char *why)
{
    unsigned long v;
    switch (opt) {
    case OPT_MAX_PLAYERS:
        return parse_uint(why, arg, 1, 4000, &v) && (o->core.max_players = (uint32_t)v, true);
    case OPT_CAPACITY:
        return parse_uint(why, arg, 1, PROTO_MAX_LOBBY_PLAYERS, &v) &&
               (o->core.lobby_capacity = (uint8_t)v, true);
    case OPT_MAX_LOBBIES:
        return parse_uint(why, arg, 1, 4000, &v) && (o->core.max_lobbies = (uint32_t)v, true);
    case OPT_CHAT_RATE:
        return parse_positive(why, arg, &o->core.chat_per_s);
    case OPT_CHAT_BURST:
        return parse_uint(why, arg, 1, 1000, &v) && (o->core.chat_burst = (double)v, true);
    case OPT_GRACE:
        return parse_uint(why, arg, 0, 3600000, &v) && (o->core.grace_ms = (uint32_t)v, true);
    case OPT_LOBBY_GRACE:
        return parse_uint(why, arg, 0, 86400000, &v) &&
               (o->core.lobby_grace_ms = (uint32_t)v, true);
    case OPT_KICK_COOLDOWN:
        return parse_uint(why, arg, 0, 86400000, &v) &&
               (o->core.kick_cooldown_ms = (uint32_t)v, true);
    case OPT_COUNTDOWN:
        return parse_uint(why, arg, 1, 600000, &v) && (o->core.countdown_ms = (uint32_t)v, true);
    case OPT_SNAPSHOT_HZ:
        return parse_uint(why, arg, 1, 1000, &v) && (o->core.snapshot_hz = (uint32_t)v, true);
    case OPT_LIST_KB_PER_S:
        return parse_uint(why, arg, 1, 1048576, &v) &&
               (o->core.list_bytes_per_s = 1024.0 * (double)v, true);
    case OPT_LIST_BURST_KB:
        return parse_uint(why, arg, 1, 1048576, &v) &&
               (o->core.list_burst_bytes = 1024.0 * (double)v, true);
    case OPT_SNAPSHOT_FULL:
        return parse_switch(why, arg, &o->core.snapshot_full);
    case OPT_AUTH_KEY_FILE:
        o->auth_key_file = arg;
        return true;
    case OPT_MIN_PASS_US:
        return parse_uint(why, arg, 0, 10000, &v) && (o->min_pass_us = (uint32_t)v, true);
    case OPT_LOG_BUFFER_KB:
        return parse_uint(why, arg, 4, 65536, &v) && (o->log_buffer_kb = (uint32_t)v, true);
    case OPT_HTTP:
        o->http_given = true;
        if (http_api_parse_address(arg, &o->http))
            return true;
        snprintf(why, OPTIONS_WHY_BYTES,
                 "must be ADDR:PORT (an IPv4 address such as 127.0.0.1 and a port from 0 to "
                 "65535) or 'off', got '%s'",
                 arg);
        return false;
    case OPT_LOG_LEVEL: {
        int level = log_level_parse(arg);
        if (level < 0)
            snprintf(why, OPTIONS_WHY_BYTES, "must be debug, info, warn, error or off, got '%s'",
                     arg);
        else
            log_set_level((log_level)level);
        return level >= 0;
    }
    case OPT_LOG_FORMAT: {
        int format = log_format_parse(arg);
        if (format < 0)
            snprintf(why, OPTIONS_WHY_BYTES, "must be text or json, got '%s'", arg);
        else
            log_set_format((log_format)format);
        return format >= 0;
    }
    }
    return apply_text_option(o, opt, arg, why);
}

int options_load_auth_key(options *o)
{
    if (o->auth_key_file == NULL)
        return -1;
    char text[256];
    int n =
        cli_read_small_file("lobby-server", "--auth-key-file", o->auth_key_file, text, sizeof text);
    if (n < 0)
        return 1;
    int got = identity_hex_decode(text, (size_t)n, o->core.auth_public_key,
                                  sizeof o->core.auth_public_key);
    if (got != IDENTITY_PUBLIC_KEY_BYTES) {
        fprintf(stderr,
                "lobby-server: --auth-key-file %s: not a public key: the file must hold the "
                "backend's Ed25519 public key as %d hex digits (lobby-token keygen writes it)\n",
                o->auth_key_file, 2 * IDENTITY_PUBLIC_KEY_BYTES);
        return 1;
    }
    o->core.auth_required = true;
    return -1;
}

/* Every long option of the server's own, in --help order. */
static const struct option own_longopts[] = {
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
    {"snapshot-hz", required_argument, NULL, OPT_SNAPSHOT_HZ},
    {"snapshot-full", no_argument, NULL, OPT_SNAPSHOT_FULL},
    {"min-pass-us", required_argument, NULL, OPT_MIN_PASS_US},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-max-conns", required_argument, NULL, OPT_HTTP_MAX_CONNS},
    {"http-max-conns-per-ip", required_argument, NULL, OPT_HTTP_MAX_PER_IP},
    {"http-header-timeout-ms", required_argument, NULL, OPT_HTTP_HEADER_MS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"log-buffer-kb", required_argument, NULL, OPT_LOG_BUFFER_KB},
    {"tcp-port", required_argument, NULL, OPT_TCP_PORT},
    {"tcp-max-conns", required_argument, NULL, OPT_TCP_MAX_CONNS},
    {"tcp-max-conns-per-ip", required_argument, NULL, OPT_TCP_MAX_PER_IP},
    {"tcp-idle-ms", required_argument, NULL, OPT_TCP_IDLE_MS},
    {"tcp-line-rate", required_argument, NULL, OPT_TCP_LINE_RATE},
    {"tcp-line-burst", required_argument, NULL, OPT_TCP_LINE_BURST},
    {"tcp-line-ms", required_argument, NULL, OPT_TCP_LINE_MS},
    {"tcp-sndbuf-bytes", required_argument, NULL, OPT_TCP_SNDBUF},
    {"tcp-max-out-kb", required_argument, NULL, OPT_TCP_MAX_OUT_KB},
    {"tcp-max-out-total-mb", required_argument, NULL, OPT_TCP_MAX_OUT_TOTAL_MB},
    {"tcp-lobby-ip-rate", required_argument, NULL, OPT_TCP_LOBBY_IP_RATE},
    {"tcp-lobby-ip-burst", required_argument, NULL, OPT_TCP_LOBBY_IP_BURST},
    {"tcp-lobby-bytes-per-s", required_argument, NULL, OPT_TCP_LOBBY_BYTES},
    {"tcp-lobby-bytes-burst", required_argument, NULL, OPT_TCP_LOBBY_BYTES_BURST},
    {"connect-rate", required_argument, NULL, OPT_CONNECT_RATE},
    {"connect-burst", required_argument, NULL, OPT_CONNECT_BURST},
    {"max-half-open-per-ip", required_argument, NULL, OPT_MAX_HALF_OPEN},
    {"half-open-ms", required_argument, NULL, OPT_HALF_OPEN_MS},
    {"max-peers-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
    {"max-waiting-kb", required_argument, NULL, OPT_MAX_WAITING},
    {"max-peer-backlog-kb", required_argument, NULL, OPT_MAX_BACKLOG},
    {"reserve-peers", required_argument, NULL, OPT_RESERVE_PEERS},
    {"list-kb-per-s", required_argument, NULL, OPT_LIST_KB_PER_S},
    {"list-burst-kb", required_argument, NULL, OPT_LIST_BURST_KB},
    {"auth-key-file", required_argument, NULL, OPT_AUTH_KEY_FILE},
    {"max-held-seats-per-holder", required_argument, NULL, OPT_MAX_HELD_SEATS},
    {"max-lobbies-per-holder", required_argument, NULL, OPT_MAX_LOBBIES_PER_HOLDER},
    {"lobby-share-percent", required_argument, NULL, OPT_LOBBY_SHARE},
    {"max-browsing-per-address", required_argument, NULL, OPT_MAX_BROWSING},
    {"max-handshakes-per-address", required_argument, NULL, OPT_MAX_HANDSHAKES},
    {"browse-idle-ms", required_argument, NULL, OPT_BROWSE_IDLE},
};

/* The command-line-only options, after the cluster's. */
static const struct option tail_longopts[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void options_longopts(struct option all[OPTIONS_MAX_LONGOPTS])
{
    enum { OWN = sizeof own_longopts / sizeof own_longopts[0] };
    enum { TAIL = sizeof tail_longopts / sizeof tail_longopts[0] };
    size_t n = 0;
    while (options_cluster_longopts[n].name != NULL)
        n++;
    _Static_assert(OWN + TAIL + 16 <= OPTIONS_MAX_LONGOPTS, "OPTIONS_MAX_LONGOPTS is too small");
    if (OWN + n + TAIL > OPTIONS_MAX_LONGOPTS)
        abort(); /* a cluster option too many: OPTIONS_MAX_LONGOPTS must grow */
    memcpy(all, own_longopts, sizeof own_longopts);
    memcpy(all + OWN, options_cluster_longopts, n * sizeof all[0]);
    memcpy(all + OWN + n, tail_longopts, sizeof tail_longopts);
}

bool options_is_key(int opt)
{
    return opt != OPT_CONFIG && opt != OPT_PRINT_CONFIG && opt != OPT_HELP && opt != OPT_VERSION;
}

bool options_apply(options *o, int opt, const char *arg, char *why)
{
    return opt >= OPTIONS_CLUSTER_FIRST ? options_cluster_apply(o, opt, arg, why)
                                        : apply_option(o, opt, arg, why);
}

/* The first pass over argv: --help and --version answer at once; the file
 * of --config (one at most) is loaded before any flag, so that every flag
 * overrides it wherever it stands. -1 to go on, or the exit status. */
static int first_pass(int argc, char **argv, const struct option *all, options *o, bool *print)
{
    const char *config = NULL;
    int opt;
    while ((opt = cli_next_option("lobby-server", argc, argv, all, NULL)) != CLI_OPT_END) {
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
        if (opt == OPT_CONFIG && config != NULL)
            return cli_usage_error("lobby-server", "--config may be given once, got a second",
                                   optarg);
        if (opt == OPT_CONFIG)
            config = optarg;
        *print = *print || opt == OPT_PRINT_CONFIG;
    }
    if (optind < argc)
        return cli_usage_error("lobby-server", "unexpected argument", argv[optind]);
    return config != NULL ? options_file_load(o, config) : -1;
}

int options_parse(int argc, char **argv, options *o)
{
    struct option all[OPTIONS_MAX_LONGOPTS];
    options_longopts(all);
    bool print = false;
    int status = first_pass(argc, argv, all, o, &print);
    if (status >= 0)
        return status;
    optind = 0; /* glibc: start argv over */
    int opt, index = 0;
    while ((opt = cli_next_option("lobby-server", argc, argv, all, &index)) != CLI_OPT_END) {
        char why[OPTIONS_WHY_BYTES] = "";
        if (opt == CLI_OPT_BAD) /* the first pass has said so already */
            return CLI_EXIT_USAGE;
        if (!options_is_key(opt))
            continue;
        if (!options_apply(o, opt, optarg, why)) {
            fprintf(stderr, "lobby-server: --%s %s (try --help)\n", all[index].name, why);
            return CLI_EXIT_USAGE;
        }
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
    status = options_cluster_check(o);
    if (status < 0 && print) { /* a configuration that would not start is not printed */
        options_print_config(o, stdout);
        return 0;
    }
    return status;
}
