#include "mini_cli.h"

#include "cli.h"
#include "proto.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(const mini_program *prog, FILE *to)
{
    fprintf(to,
            "Usage: %s [options]\n"
            "%s\n"
            "\n"
            "  --bind ADDR       IPv4 address to listen on (default 127.0.0.1)\n"
            "  --port N          UDP port (default %d; 0 picks a free one)\n"
            "  --max-peers N     ENet peer slots (default and at most %d)\n",
            prog->name, prog->summary, PROTO_DEFAULT_PORT, ENET_PROTOCOL_MAXIMUM_PEER_ID);
    if (prog->has_tick)
        fprintf(to,
                "  --snapshot-hz N   position snapshots per second (default 30)\n"
                "  --min-pass-us N   under load, start a loop pass no sooner than N us after\n"
                "                    the previous one, as lobby-server's flag (default %d;\n"
                "                    0 = a pass per wake-up)\n",
                MINI_DEFAULT_MIN_PASS_US);
    fprintf(to, "  --help            show this help and exit\n");
}

enum { OPT_BIND = 1000, OPT_PORT, OPT_MAX_PEERS, OPT_SNAPSHOT_HZ, OPT_MIN_PASS_US, OPT_HELP };

static bool apply_option(const mini_program *prog, int opt, const char *arg, mini_options *o)
{
    unsigned long long v;
    switch (opt) {
    case OPT_BIND:
        o->bind_host = arg;
        return true;
    case OPT_PORT:
        return cli_parse_uint(prog->name, "--port", arg, 0, 65535, &v) &&
               (o->port = (uint16_t)v, true);
    case OPT_MAX_PEERS:
        return cli_parse_uint(prog->name, "--max-peers", arg, 1, ENET_PROTOCOL_MAXIMUM_PEER_ID,
                              &v) &&
               (o->max_peers = (uint32_t)v, true);
    case OPT_SNAPSHOT_HZ:
        return cli_parse_uint(prog->name, "--snapshot-hz", arg, 1, 1000, &v) &&
               (o->snapshot_hz = (uint32_t)v, true);
    case OPT_MIN_PASS_US:
        return cli_parse_uint(prog->name, "--min-pass-us", arg, 0, 10000, &v) &&
               (o->min_pass_us = (uint32_t)v, true);
    }
    return false;
}

int mini_cli_parse(const mini_program *prog, int argc, char **argv, mini_options *o)
{
    /* The tickless program must not accept --snapshot-hz: it would do nothing. */
    static const struct option with_tick[] = {
        {"bind", required_argument, NULL, OPT_BIND},
        {"port", required_argument, NULL, OPT_PORT},
        {"max-peers", required_argument, NULL, OPT_MAX_PEERS},
        {"help", no_argument, NULL, OPT_HELP},
        {"snapshot-hz", required_argument, NULL, OPT_SNAPSHOT_HZ},
        {"min-pass-us", required_argument, NULL, OPT_MIN_PASS_US},
        {NULL, 0, NULL, 0},
    };
    static const struct option without_tick[] = {
        {"bind", required_argument, NULL, OPT_BIND},
        {"port", required_argument, NULL, OPT_PORT},
        {"max-peers", required_argument, NULL, OPT_MAX_PEERS},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    *o = (mini_options){.bind_host = "127.0.0.1",
                        .port = PROTO_DEFAULT_PORT,
                        .max_peers = ENET_PROTOCOL_MAXIMUM_PEER_ID,
                        .snapshot_hz = prog->has_tick ? 30 : 0,
                        .min_pass_us = prog->has_tick ? MINI_DEFAULT_MIN_PASS_US : 0};
    int opt;
    opterr = 0; /* one line of our own, as lobby-server prints it */
    while ((opt = getopt_long(argc, argv, ":", prog->has_tick ? with_tick : without_tick, NULL)) !=
           -1) {
        if (opt == OPT_HELP) {
            usage(prog, stdout);
            return 0;
        }
        if (opt == '?' || opt == ':') {
            const char *word = optind > 0 ? argv[optind - 1] : "?";
            int len = (int)strcspn(word, "=");
            if (opt == ':')
                fprintf(stderr, "%s: option '%.*s' needs a value (try --help)\n", prog->name, len,
                        word);
            else
                fprintf(stderr, "%s: unknown option '%.*s' (try --help)\n", prog->name, len, word);
            return 2;
        }
        if (!apply_option(prog, opt, optarg, o))
            return 2;
    }
    if (optind < argc)
        return cli_usage_error(prog->name, "unexpected argument", argv[optind]);
    return -1;
}

static void announce(const mini_program *prog, const mini_options *o, uint16_t port)
{
    char line[256];
    snprintf(line, sizeof line, "%s: listening on %s:%u (udp), protocol %d, max %u peers",
             prog->name, o->bind_host, (unsigned)port, PROTO_VERSION, (unsigned)o->max_peers);
    /* stdout for scripts; stderr because that is where lobby-server logs it
     * and where tests/server_proc.c and the test scripts look. */
    printf("%s\n", line);
    fflush(stdout);
    fprintf(stderr, "%s\n", line);
}

/* Answers the connect cookie request (docs/PROTOCOL.md, "Connecting") that
 * every client core sends first, with any cookie: these servers measure
 * ENet's cost, and they check no CONNECT data. 1: the datagram was ours. */
static int ENET_CALLBACK answer_cookie(ENetHost *host, ENetEvent *event)
{
    (void)event;
    proto_cookie_request req;
    if (!proto_cookie_has_magic(host->receivedData, host->receivedDataLength,
                                PROTO_COOKIE_REQUEST_MAGIC))
        return 0;
    if (proto_cookie_request_decode(host->receivedData, host->receivedDataLength, &req)) {
        proto_cookie_reply reply = {.version = PROTO_VERSION, .nonce = req.nonce};
        reply.status =
            req.version == PROTO_VERSION ? PROTO_COOKIE_OK : PROTO_COOKIE_VERSION_MISMATCH;
        uint8_t bytes[PROTO_COOKIE_REPLY_BYTES];
        proto_cookie_reply_encode(&reply, bytes);
        ENetBuffer buf = {.data = bytes, .dataLength = sizeof bytes};
        enet_socket_send(host->socket, &host->receivedAddress, &buf, 1);
    }
    return 1;
}

ENetHost *mini_cli_listen(const mini_program *prog, const mini_options *o)
{
    if (enet_initialize() != 0) {
        fprintf(stderr, "%s: cannot initialise ENet\n", prog->name);
        return NULL;
    }
    ENetAddress addr = {.host = ENET_HOST_ANY, .port = o->port};
    if (enet_address_set_host(&addr, o->bind_host) != 0) {
        fprintf(stderr, "%s: --bind %s does not resolve\n", prog->name, o->bind_host);
        enet_deinitialize();
        return NULL;
    }
    errno = 0; /* ENet returns only NULL; its bind() leaves errno (see server/transport.c) */
    ENetHost *host = enet_host_create(&addr, o->max_peers, PROTO_CHANNEL_COUNT, 0, 0);
    if (host == NULL) {
        fprintf(stderr, "%s: cannot bind UDP %s:%u: %s (choose another port with --port N)\n",
                prog->name, o->bind_host, (unsigned)o->port,
                errno != 0 ? strerror(errno) : "unknown error");
        enet_deinitialize();
        return NULL;
    }
    host->intercept = answer_cookie;
    announce(prog, o, host->address.port);
    return host;
}

void mini_cli_close(ENetHost *host)
{
    enet_host_destroy(host);
    enet_deinitialize();
}

int mini_cli_main(const mini_program *prog, void *state, int argc, char **argv)
{
    mini_options o;
    int status = mini_cli_parse(prog, argc, argv, &o);
    if (status >= 0)
        return status;
    ENetHost *host = mini_cli_listen(prog, &o);
    if (host == NULL)
        return 1;
    mini_lobby *ml = NULL;
    if (mini_lobby_create(host, prog->packet_per_recipient, &ml) != 0) {
        fprintf(stderr, "%s: out of memory\n", prog->name);
        mini_cli_close(host);
        return 1;
    }
    cli_signal_install();
    prog->run(ml, &o, state);
    mini_lobby_disconnect_all(ml);
    fprintf(stderr, "%s: stopped: joins=%llu positions=%llu chats=%llu pings=%llu ", prog->name,
            (unsigned long long)ml->stats.joins, (unsigned long long)ml->stats.positions_in,
            (unsigned long long)ml->stats.chats, (unsigned long long)ml->stats.pings);
    prog->report(ml, state);
    mini_lobby_destroy(ml);
    mini_cli_close(host);
    return 0;
}
