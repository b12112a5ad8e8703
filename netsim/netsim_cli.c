/* lobby-netsim's flags. Each impairment has three long options (both
 * directions, -up, -down) whose getopt codes encode the impairment and the
 * side, so one table entry per impairment covers all three. */
#include "netsim_cli.h"

#include "cli.h"
#include "netsim_flows.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void netsim_cli_defaults(netsim_cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->bind_host = "127.0.0.1";
    o->listen_port = -1;
    o->idle_timeout_s = 60;
    o->max_clients = 1024;
    o->queue_limit = 1000;
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: lobby-netsim --listen PORT --forward HOST:PORT [impairments] [options]\n"
            "Relays UDP datagrams between clients and a server, impairing them on the way.\n"
            "Each client source address gets its own upstream socket, so the server sees\n"
            "one peer per client.\n"
            "\n"
            "Impairments apply to both directions; add -up (client to server) or -down\n"
            "(server to client) to set one direction, e.g. --loss-up 5 --delay-down 80.\n"
            "  --delay MS        fixed one-way delay (default 0)\n"
            "  --jitter MS       add a uniform random [-MS, +MS] to the delay, never going\n"
            "                    below zero; datagrams still leave in order\n"
            "  --loss PCT        drop this percentage of datagrams (fractions allowed: 0.5)\n"
            "  --duplicate PCT   send this percentage twice; the copy 0..jitter ms later\n"
            "  --reorder PCT     hold this percentage back an extra delay + 2*jitter + 10 ms,\n"
            "                    so datagrams sent after them overtake them\n"
            "  --rate KBIT       link rate in kbit/s (1000 bit/s), payload bytes only: a\n"
            "                    datagram leaves no sooner than the previous one plus\n"
            "                    size*8/rate; one waiting over 1 s is dropped (0: unlimited)\n"
            "Order: loss, delay+jitter, rate, in-order clamp, reorder hold, duplicate.\n"
            "\n"
            "  --bind ADDR            IPv4 address to listen on (default 127.0.0.1)\n"
            "  --seed N               random seed; same seed, same decisions (default: from\n"
            "                         the clock, printed at start)\n"
            "  --idle-timeout S       forget a client silent for S seconds (default 60)\n"
            "  --max-clients N        client mappings at once (default 1024, at most %d)\n"
            "  --queue-limit N        datagrams pending per direction (default 1000)\n"
            "  --help, --version\n"
            "\n"
            "Prints 'lobby-netsim: listening on ADDR:PORT, forwarding to HOST:PORT' when\n"
            "ready and per-direction totals on SIGINT or SIGTERM, then exits 0.\n"
            "Exit status: 0 stopped by a signal, or --help/--version; 1 cannot start (the\n"
            "port is taken, an address does not resolve); 2 bad usage.\n",
            NETSIM_FLOWS_MAX);
}

static bool parse_real(const char *flag, const char *text, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 0.0 && v <= max)) {
        fprintf(stderr, "lobby-netsim: %s must be a number from 0 to %g, got '%s' (try --help)\n",
                flag, max, text);
        return false;
    }
    *out = v;
    return true;
}

enum {
    OPT_LISTEN = 1000,
    OPT_FORWARD,
    OPT_BIND,
    OPT_SEED,
    OPT_IDLE,
    OPT_MAX_CLIENTS,
    OPT_QUEUE_LIMIT,
    OPT_HELP,
    OPT_VERSION,
    OPT_IMPAIR, /* OPT_IMPAIR + impairment * NETSIM_CLI_SIDE_COUNT + side */
};

static const double imp_max[NETSIM_CLI_IMP_COUNT] = {60000, 60000, 100, 100, 100, 10e6};

/* Applies one flag; returns false after printing why it is wrong. */
static bool apply_option(netsim_cli_options *o, int opt, const char *flag, const char *arg)
{
    unsigned long long v;
    if (opt >= OPT_IMPAIR && opt < OPT_IMPAIR + NETSIM_CLI_IMP_COUNT * NETSIM_CLI_SIDE_COUNT) {
        int imp = (opt - OPT_IMPAIR) / NETSIM_CLI_SIDE_COUNT,
            side = (opt - OPT_IMPAIR) % NETSIM_CLI_SIDE_COUNT;
        o->imp_set[side][imp] = true;
        return parse_real(flag, arg, imp_max[imp], &o->imp[side][imp]);
    }
    switch (opt) {
    case OPT_LISTEN:
        return cli_parse_uint("lobby-netsim", flag, arg, 0, 65535, &v) &&
               (o->listen_port = (long)v, true);
    case OPT_FORWARD:
        /* Default port 0 so that a missing port is an error: there is no usual one to assume. */
        if (cli_parse_host_port(arg, 0, o->fwd_host, sizeof o->fwd_host, &o->fwd_port) &&
            o->fwd_port != 0)
            return true;
        fprintf(stderr, "lobby-netsim: --forward must be HOST:PORT, got '%s' (try --help)\n", arg);
        o->fwd_port = 0;
        return false;
    case OPT_BIND:
        o->bind_host = arg;
        return true;
    case OPT_SEED:
        return cli_parse_uint("lobby-netsim", flag, arg, 0, UINT64_MAX, &v) &&
               (o->seed = v, o->have_seed = true);
    case OPT_IDLE:
        return cli_parse_uint("lobby-netsim", flag, arg, 1, 86400, &v) &&
               (o->idle_timeout_s = (unsigned long)v, true);
    case OPT_MAX_CLIENTS:
        return cli_parse_uint("lobby-netsim", flag, arg, 1, NETSIM_FLOWS_MAX, &v) &&
               (o->max_clients = (unsigned long)v, true);
    case OPT_QUEUE_LIMIT:
        return cli_parse_uint("lobby-netsim", flag, arg, 1, 1000000, &v) &&
               (o->queue_limit = (unsigned long)v, true);
    }
    return false;
}

/* The getopt code of one impairment's flag for one side. */
#define IMPAIR_CODE(imp, side) (OPT_IMPAIR + (imp)*NETSIM_CLI_SIDE_COUNT + (side))
#define IMPAIR_OPTS(name, imp)                                                                     \
    {name, required_argument, NULL, IMPAIR_CODE(imp, NETSIM_CLI_SIDE_BOTH)},                       \
        {name "-up", required_argument, NULL, IMPAIR_CODE(imp, NETSIM_CLI_SIDE_UP)},               \
    {                                                                                              \
        name "-down", required_argument, NULL, IMPAIR_CODE(imp, NETSIM_CLI_SIDE_DOWN)              \
    }

static int fail_usage(const char *msg)
{
    fprintf(stderr, "lobby-netsim: %s (try --help)\n", msg);
    return NETSIM_CLI_EXIT_USAGE;
}

int netsim_cli_parse(int argc, char **argv, netsim_cli_options *o)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"forward", required_argument, NULL, OPT_FORWARD},
        {"bind", required_argument, NULL, OPT_BIND},
        {"seed", required_argument, NULL, OPT_SEED},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
        {"queue-limit", required_argument, NULL, OPT_QUEUE_LIMIT},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        IMPAIR_OPTS("delay", NETSIM_CLI_IMP_DELAY),
        IMPAIR_OPTS("jitter", NETSIM_CLI_IMP_JITTER),
        IMPAIR_OPTS("loss", NETSIM_CLI_IMP_LOSS),
        IMPAIR_OPTS("duplicate", NETSIM_CLI_IMP_DUPLICATE),
        IMPAIR_OPTS("reorder", NETSIM_CLI_IMP_REORDER),
        IMPAIR_OPTS("rate", NETSIM_CLI_IMP_RATE),
        {NULL, 0, NULL, 0},
    };
    int opt, index;
    while ((opt = cli_next_option("lobby-netsim", argc, argv, longopts, &index)) != CLI_OPT_END) {
        if (opt == CLI_OPT_BAD)
            return NETSIM_CLI_EXIT_USAGE;
        if (opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == OPT_VERSION) {
            printf("lobby-netsim %s\n", LOBBY_VERSION);
            return 0;
        }
        char flag[32];
        snprintf(flag, sizeof flag, "--%s", longopts[index].name);
        if (!apply_option(o, opt, flag, optarg))
            return NETSIM_CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error("lobby-netsim", "unexpected argument", argv[optind]);
    if (o->listen_port < 0)
        return fail_usage("--listen PORT is required (0 picks a free port)");
    if (o->fwd_port == 0)
        return fail_usage("--forward HOST:PORT is required");
    return -1;
}

void netsim_cli_direction_config(const netsim_cli_options *o, netsim_cli_side side, uint64_t seed,
                                 netsim_dir_config *c)
{
    double v[NETSIM_CLI_IMP_COUNT];
    for (int i = 0; i < NETSIM_CLI_IMP_COUNT; i++)
        v[i] = o->imp_set[side][i] ? o->imp[side][i] : o->imp[NETSIM_CLI_SIDE_BOTH][i];
    netsim_dir_config_defaults(c);
    c->delay_us = (uint32_t)(v[NETSIM_CLI_IMP_DELAY] * 1000.0 + 0.5);
    c->jitter_us = (uint32_t)(v[NETSIM_CLI_IMP_JITTER] * 1000.0 + 0.5);
    c->loss_pct = v[NETSIM_CLI_IMP_LOSS];
    c->duplicate_pct = v[NETSIM_CLI_IMP_DUPLICATE];
    c->reorder_pct = v[NETSIM_CLI_IMP_REORDER];
    c->rate_bps =
        v[NETSIM_CLI_IMP_RATE] > 0 ? (uint64_t)(v[NETSIM_CLI_IMP_RATE] * 1000.0 + 0.5) : 0;
    if (v[NETSIM_CLI_IMP_RATE] > 0 && c->rate_bps == 0)
        c->rate_bps = 1;
    c->queue_max_count = (uint32_t)o->queue_limit;
    c->seed = seed;
}

void netsim_cli_describe(const char *name, const netsim_dir_config *c)
{
    fprintf(stderr,
            "lobby-netsim: %s: delay=%.3fms jitter=%.3fms loss=%g%% duplicate=%g%% "
            "reorder=%g%% rate=%gkbit/s%s\n",
            name, c->delay_us / 1000.0, c->jitter_us / 1000.0, c->loss_pct, c->duplicate_pct,
            c->reorder_pct, c->rate_bps / 1000.0, c->rate_bps == 0 ? " (unlimited)" : "");
}
