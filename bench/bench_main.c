/* lobby-bench: N headless bots against a lobby server, measuring what the
 * players get. Flags, progress line, outputs and gates; the engine is
 * bench.c. */
#include "cli.h"
#include "bench.h"
#include "bench_report.h"
#include "proto.h"

#include <enet/enet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_GATE = 3 };

typedef struct options {
    char host[BENCH_MAX_SERVERS][256];
    bench_config cfg;
    const char *json, *csv, *cdf;
    double max_p99_ms, max_loss_percent; /* < 0: no gate */
    bool quiet;
} options;

static void usage(FILE *to)
{
    fprintf(
        to,
        "Usage: lobby-bench --server HOST[:PORT][,...] --bots N --lobbies K --duration S\n"
        "                   --move-hz R --chat-per-s C [options]\n"
        "Runs N headless bots in K lobbies for S seconds and reports the latency, jitter\n"
        "and loss they saw, measured from timestamps in their own messages.\n"
        "\n"
        "  --server HOST[:PORT]   lobby server (port defaults to %d); a comma-separated\n"
        "                         list (up to 16) spreads the bots round-robin over them,\n"
        "                         e.g. a cluster's servers (redirects are counted)\n"
        "  --bots N               bots, each with its own connection (default 16)\n"
        "  --bots-per-host N      bots sharing one ENet host and UDP socket (default 256;\n"
        "                         1 = a socket per bot)\n"
        "  --lobbies K            lobbies bench-0 .. bench-K-1, bots spread evenly (default 1)\n"
        "  --duration S           seconds of measurement after all have joined (default 10)\n"
        "  --move-hz R            position updates per bot per second (default 20; 0 = none)\n"
        "  --chat-per-s C         chat messages per bot per second, may be fractional\n"
        "                         (0.1 = one every 10 s; default 1; 0 = none)\n"
        "  --ping-hz P            application pings per bot per second (default 1)\n"
        "  --seed N               seed for movement and timing (default 1)\n"
        "  --malformed-percent P  P %% of the bots (chosen from the seed) also send one\n"
        "                         malformed message a second; the server kicks them\n"
        "  --flooders N           N extra bots that chat as fast as --flood-per-s to trip\n"
        "                         the rate limit; refusals and kicks of misbehaving bots\n"
        "                         are expected, not errors (default 0)\n"
        "  --flood-per-s R        a flooder's chat messages per second (default 100)\n"
        "  --reconnect            well-behaved bots that lose their connection reconnect\n"
        "                         and take their seat back (default: they are gone)\n"
        "  --server-pid PID       also report the server's CPU time, CPU per relayed\n"
        "                         position and RSS over the run (from /proc/PID)\n"
        "  --json FILE            every figure, named with its unit (docs/BENCH.md)\n"
        "  --csv FILE             one row per latency measure\n"
        "  --cdf FILE             latency distributions for bench/plot.sh\n"
        "  --max-p99-ms X         fail (exit 3) when a chat or position p99 exceeds X ms\n"
        "  --max-loss P           fail (exit 3) when position loss exceeds P %%\n"
        "  --join-timeout S       give up on bots not joined after S seconds (default 15)\n"
        "  --quiet                no progress line\n"
        "  --help, --version\n"
        "\n"
        "Exit status: 0 all good; 1 could not run (server unreachable, or not every bot\n"
        "joined: the line says why and which server flags limit it); 2 bad usage; 3 a\n"
        "gate failed or an acknowledged chat was not delivered.\n",
        PROTO_DEFAULT_PORT);
}

static int fail_usage(const char *what, const char *arg)
{
    return cli_usage_error("lobby-bench", what, arg);
}

/* A number in [min, max]; false for anything else, including trailing junk. */
static bool parse_number(const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

typedef struct numeric_flag {
    const char *name;
    double min, max;
    bool whole; /* no fraction: a count, a seed, a pid */
    double *target;
} numeric_flag;

/* Returns -1 to go on, or an exit status. */
/* "A" or "A,B,...": each HOST[:PORT] into o->host[i] and cfg.ports[i].
 * A later --server replaces an earlier one, as any repeated flag does. */
static bool parse_servers(options *o, const char *text)
{
    uint32_t n = 0;
    for (const char *at = text;; n++) {
        const char *comma = strchr(at, ',');
        size_t len = comma ? (size_t)(comma - at) : strlen(at);
        char one[sizeof o->host[0] + 8];
        if (n == BENCH_MAX_SERVERS || len >= sizeof one)
            return false;
        memcpy(one, at, len);
        one[len] = '\0';
        if (!cli_parse_host_port(one, PROTO_DEFAULT_PORT, o->host[n], sizeof o->host[n],
                                 &o->cfg.ports[n]))
            return false;
        o->cfg.hosts[n] = o->host[n];
        if (comma == NULL)
            break;
        at = comma + 1;
    }
    o->cfg.server_count = n + 1;
    return true;
}

static int parse_options(int argc, char **argv, options *o)
{
    double bots = 16, lobbies = 1, seed = 1, flooders = 0, per_host = 256, server_pid = 0;
    const numeric_flag numeric[] = {
        {"bots", 1, 4000, true, &bots},
        {"bots-per-host", 1, 4095, true, &per_host},
        {"server-pid", 1, 4194304, true, &server_pid},
        {"lobbies", 1, 4000, true, &lobbies},
        {"duration", 0.1, 86400, false, &o->cfg.duration_s},
        {"move-hz", 0, 1000, false, &o->cfg.move_hz},
        {"chat-per-s", 0, 1000, false, &o->cfg.chat_per_s},
        {"ping-hz", 0.01, 1000, false, &o->cfg.ping_hz},
        {"seed", 0, 1e15, true, &seed},
        {"malformed-percent", 0, 100, false, &o->cfg.malformed_percent},
        {"flooders", 0, 4000, true, &flooders},
        {"flood-per-s", 0.1, 10000, false, &o->cfg.flood_per_s},
        {"max-p99-ms", 0, 1e9, false, &o->max_p99_ms},
        {"max-loss", 0, 100, false, &o->max_loss_percent},
        {"join-timeout", 1, 3600, false, &o->cfg.join_timeout_s},
    };
    enum { N_NUMERIC = sizeof numeric / sizeof numeric[0] };
    enum {
        OPT_SERVER = 1000,
        OPT_JSON,
        OPT_CSV,
        OPT_CDF,
        OPT_RECONNECT,
        OPT_QUIET,
        OPT_HELP,
        OPT_VERSION
    };
    const struct option named[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"json", required_argument, NULL, OPT_JSON},
        {"csv", required_argument, NULL, OPT_CSV},
        {"cdf", required_argument, NULL, OPT_CDF},
        {"reconnect", no_argument, NULL, OPT_RECONNECT},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct option longopts[N_NUMERIC + sizeof named / sizeof named[0]];
    for (int i = 0; i < N_NUMERIC; i++)
        longopts[i] = (struct option){numeric[i].name, required_argument, NULL, i};
    memcpy(longopts + N_NUMERIC, named, sizeof named);
    bool have_server = false;
    int opt;
    /* A flag's value may not be empty: --json "" would otherwise fail only
     * after the whole run. */
    while ((opt = cli_next_option("lobby-bench", argc, argv, longopts, NULL)) != CLI_OPT_END) {
        if (opt == CLI_OPT_BAD)
            return EXIT_USAGE;
        if (opt >= 0 && opt < N_NUMERIC) {
            const numeric_flag *nf = &numeric[opt];
            if (!parse_number(optarg, nf->min, nf->max, nf->target) ||
                (nf->whole && *nf->target != floor(*nf->target))) {
                char what[96];
                snprintf(what, sizeof what, "--%s must be a %s from %.15g to %.15g, got", nf->name,
                         nf->whole ? "whole number" : "number", nf->min, nf->max);
                return fail_usage(what, optarg);
            }
            continue;
        }
        switch (opt) {
        case OPT_SERVER:
            if (!parse_servers(o, optarg))
                return fail_usage("--server must be HOST[:PORT], or up to 16 of them separated "
                                  "by commas, got",
                                  optarg);
            have_server = true;
            break;
        case OPT_JSON:
            o->json = optarg;
            break;
        case OPT_CSV:
            o->csv = optarg;
            break;
        case OPT_CDF:
            o->cdf = optarg;
            break;
        case OPT_RECONNECT:
            o->cfg.reconnect = true;
            break;
        case OPT_QUIET:
            o->quiet = true;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("lobby-bench %s (protocol %d)\n", LOBBY_VERSION, PROTO_VERSION);
            return 0;
        }
    }
    if (optind < argc)
        return fail_usage("unexpected argument", argv[optind]);
    if (!have_server)
        return fail_usage("--server is required", NULL);
    if (lobbies > bots)
        return fail_usage("--lobbies must be at most --bots", NULL);
    if (server_pid > 0 && kill((pid_t)server_pid, 0) != 0 && errno == ESRCH)
        return fail_usage("--server-pid: no such process", NULL);
    o->cfg.bots_per_host = (uint32_t)per_host;
    o->cfg.server_pid = (int)server_pid;
    o->cfg.bots = (uint32_t)bots;
    o->cfg.flooders = (uint32_t)flooders;
    o->cfg.lobbies = (uint32_t)lobbies;
    o->cfg.seed = (uint64_t)seed;
    o->cfg.host = o->host[0];
    o->cfg.port = o->cfg.ports[0];
    return -1;
}

typedef struct progress_state {
    bool tty;
    unsigned calls;
} progress_state;

/* One updating line on a terminal; a plain line every 5 s in a log. */
static void show_progress(void *user, const bench_progress *p)
{
    progress_state *ps = user;
    bool tty = ps->tty;
    if (!tty && ps->calls++ % 5 != 0)
        return;
    fprintf(stderr,
            "%s[%5.1f/%.0f s] bots %u/%u  chat %.1f/s  positions %.0f/s  out %.1f kB/s  in %.1f "
            "kB/s%s",
            tty ? "\r" : "", p->elapsed_s, p->duration_s, (unsigned)p->bots_joined,
            (unsigned)p->bots, p->chats_per_s, p->positions_per_s, p->kbytes_out_per_s,
            p->kbytes_in_per_s, tty ? "   " : "\n");
}

static void add_failure(bench_verdict *v, const char *fmt, double got, double bound)
{
    v->passed = false;
    if (v->failure_count < 8)
        snprintf(v->failures[v->failure_count++], sizeof v->failures[0], fmt, got, bound);
}

/* The gates: latency bounds, loss bound, and no acknowledged chat lost;
 * the verdict in *v. */
static void judge(const options *o, const bench_results *r, bench_verdict *v)
{
    *v = (bench_verdict){.passed = true};
    if (r->acked_chats_lost > 0)
        add_failure(v, "%.0f acknowledged chat deliveries missing (must be %.0f)",
                    (double)r->acked_chats_lost, 0.0);
    static const int gated[] = {BENCH_CHAT_ACK_RTT, BENCH_CHAT_DELIVERY, BENCH_POSITION};
    for (size_t i = 0; o->max_p99_ms >= 0 && i < sizeof gated / sizeof gated[0]; i++) {
        double p99 = (double)histogram_percentile(&r->latency[gated[i]], 99) / 1000.0;
        if (p99 > o->max_p99_ms) {
            char fmt[96];
            snprintf(fmt, sizeof fmt, "%s p99 %%.3f ms is over --max-p99-ms %%.3f",
                     bench_measure_name(gated[i]));
            add_failure(v, fmt, p99, o->max_p99_ms);
        }
    }
    double loss = bench_position_loss_percent(r);
    if (o->max_loss_percent >= 0 && loss > o->max_loss_percent)
        add_failure(v, "position loss %.3f %% is over --max-loss %.3f", loss, o->max_loss_percent);
}

static int write_outputs(const options *o, const bench_results *r, const bench_verdict *v)
{
    int status = 0;
    if (o->json && report_json(o->json, &o->cfg, r, v) != 0)
        status = -1, fprintf(stderr, "lobby-bench: cannot write %s\n", o->json);
    if (o->csv && report_csv(o->csv, r) != 0)
        status = -1, fprintf(stderr, "lobby-bench: cannot write %s\n", o->csv);
    if (o->cdf && report_cdf(o->cdf, r) != 0)
        status = -1, fprintf(stderr, "lobby-bench: cannot write %s\n", o->cdf);
    return status;
}

/* Prints the table and the gate failures and writes the files: the exit
 * status. Apart from run_and_report, so that the verdict and the results
 * are not in one frame. */
static int report_results(const options *o, const bench_results *r)
{
    bench_verdict v;
    judge(o, r, &v);
    report_table(stdout, &o->cfg, r);
    for (int i = 0; i < v.failure_count; i++)
        printf("FAIL: %s\n", v.failures[i]);
    return write_outputs(o, r, &v) != 0 ? EXIT_RUNTIME : v.passed ? 0 : EXIT_GATE;
}

/* Runs the bots, then reports: the exit status. progress_line: end the
 * progress line on stderr first. The results live on the heap: with a text
 * per REJECT reason they pass the 8 KB a frame may take. */
static int run_and_report(const options *o, bool progress_line)
{
    bench_results *r = malloc(sizeof *r);
    if (r == NULL) {
        fprintf(stderr, "lobby-bench: out of memory\n");
        return EXIT_RUNTIME;
    }
    int err = bench_run(&o->cfg, r);
    if (progress_line)
        fputc('\n', stderr);
    int status;
    if (err != 0 && r->why_not_joined.incomplete) {
        report_join_failure(stderr, &o->cfg, r);
        status = EXIT_RUNTIME;
    } else if (err != 0) {
        fprintf(stderr, "lobby-bench: %s\n",
                r->first_join_error[0] ? r->first_join_error : "cannot start the bots");
        status = EXIT_RUNTIME;
    } else
        status = report_results(o, r);
    bench_results_deinit(r);
    free(r);
    return status;
}

int main(int argc, char **argv)
{
    options o = {.max_p99_ms = -1, .max_loss_percent = -1};
    o.cfg = (bench_config){.duration_s = 10,
                           .move_hz = 20,
                           .chat_per_s = 1,
                           .ping_hz = 1,
                           .flood_per_s = 100,
                           .join_timeout_s = 15,
                           .drain_s = 5};
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    progress_state ps = {.tty = isatty(STDERR_FILENO) == 1};
    if (!o.quiet) {
        o.cfg.progress = show_progress;
        o.cfg.progress_user = &ps;
    }
    if (enet_initialize() != 0) {
        fprintf(stderr, "lobby-bench: cannot initialise ENet\n");
        return EXIT_RUNTIME;
    }
    status = run_and_report(&o, ps.tty && !o.quiet);
    enet_deinitialize();
    return status;
}
