/* lobby-netsim: a UDP proxy that delays, drops, duplicates, reorders and
 * rate-limits datagrams between ENet clients and a server, because the test
 * machines' kernels have no netem. Flags, sockets and the loop live here; the
 * decisions are made by the pure core in netsim.c. */
#include "addr.h"
#include "clock.h"
#include "netsim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    EXIT_USAGE = 2,
    LOOP_MAX_WAIT_MS = 50,       /* bounds how long a signal that races poll() waits */
    RECV_BATCH = 64,             /* per socket per pass: one busy client cannot starve others */
    SWEEP_INTERVAL_US = 1000000, /* how often idle mappings are looked for */
    REFUSAL_LOG_INTERVAL_US = 1000000, /* at most one "refusing" line a second */
    LISTEN_BUFFER_BYTES = 4 << 20,     /* the listen socket carries every client's traffic */
    MAX_CLIENTS_LIMIT = 65535,         /* a flow id holds a 16-bit slot index */
};

/* The one mutable global: set from the signal handler, read by the loop. */
static volatile sig_atomic_t g_stop_signal = 0;

static void on_stop_signal(int sig)
{
    g_stop_signal = sig;
}

enum { IMP_DELAY, IMP_JITTER, IMP_LOSS, IMP_DUPLICATE, IMP_REORDER, IMP_RATE, IMP_COUNT };
enum { SIDE_BOTH, SIDE_UP, SIDE_DOWN, SIDE_COUNT };
enum { DIR_UP, DIR_DOWN };

typedef struct options {
    const char *bind_host;
    long listen_port; /* -1: not given */
    char fwd_host[256];
    uint16_t fwd_port;
    double imp[SIDE_COUNT][IMP_COUNT];
    bool imp_set[SIDE_COUNT][IMP_COUNT];
    uint64_t seed;
    bool have_seed;
    unsigned long idle_timeout_s, max_clients, queue_limit;
} options;

/* One client source address and the upstream socket that stands for it. */
typedef struct flow {
    int fd; /* -1: free slot */
    uint16_t generation;
    struct sockaddr_in client;
    uint64_t last_active_us;
    int next; /* hash chain: next slot index, or -1 */
} flow;

typedef struct proxy {
    int listen_fd;
    struct sockaddr_in server;
    flow *flows;
    int *buckets; /* first slot of each hash chain, or -1 */
    uint32_t max_flows, active, bucket_mask;
    netsim_dir *dir[2];
    uint64_t unsent[2]; /* per direction: released but not sent (send error, mapping gone) */
    uint64_t idle_timeout_us, next_sweep_us, opened, refused, last_refusal_log_us;
    struct pollfd *pfds;
    uint32_t *pfd_flow;
    uint8_t buf[NETSIM_MAX_DATAGRAM_BYTES];
} proxy;

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
            "ready and per-direction totals on SIGINT or SIGTERM, then exits 0.\n",
            MAX_CLIENTS_LIMIT);
}

static bool parse_real(const char *flag, const char *text, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 0.0 && v <= max)) {
        fprintf(stderr, "lobby-netsim: %s must be a number from 0 to %g, got '%s'\n", flag, max,
                text);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_uint(const char *flag, const char *text, unsigned long long min,
                       unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
        fprintf(stderr, "lobby-netsim: %s must be a whole number from %llu to %llu, got '%s'\n",
                flag, min, max, text);
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
    OPT_IMPAIR, /* OPT_IMPAIR + IMP_x * SIDE_COUNT + SIDE_y */
};

static const double imp_max[IMP_COUNT] = {60000, 60000, 100, 100, 100, 10e6};

/* Applies one flag; returns false after printing why it is wrong. */
static bool apply_option(options *o, int opt, const char *flag, const char *arg)
{
    unsigned long long v;
    if (opt >= OPT_IMPAIR && opt < OPT_IMPAIR + IMP_COUNT * SIDE_COUNT) {
        int imp = (opt - OPT_IMPAIR) / SIDE_COUNT, side = (opt - OPT_IMPAIR) % SIDE_COUNT;
        o->imp_set[side][imp] = true;
        return parse_real(flag, arg, imp_max[imp], &o->imp[side][imp]);
    }
    switch (opt) {
    case OPT_LISTEN:
        return parse_uint(flag, arg, 0, 65535, &v) && (o->listen_port = (long)v, true);
    case OPT_FORWARD:
        /* Default port 0 so that a missing port is an error: there is no usual one to assume. */
        if (addr_parse(arg, 0, o->fwd_host, sizeof o->fwd_host, &o->fwd_port) && o->fwd_port != 0)
            return true;
        fprintf(stderr, "lobby-netsim: --forward must be HOST:PORT, got '%s'\n", arg);
        o->fwd_port = 0;
        return false;
    case OPT_BIND:
        o->bind_host = arg;
        return true;
    case OPT_SEED:
        return parse_uint(flag, arg, 0, UINT64_MAX, &v) && (o->seed = v, o->have_seed = true);
    case OPT_IDLE:
        return parse_uint(flag, arg, 1, 86400, &v) && (o->idle_timeout_s = (unsigned long)v, true);
    case OPT_MAX_CLIENTS:
        return parse_uint(flag, arg, 1, MAX_CLIENTS_LIMIT, &v) &&
               (o->max_clients = (unsigned long)v, true);
    case OPT_QUEUE_LIMIT:
        return parse_uint(flag, arg, 1, 1000000, &v) && (o->queue_limit = (unsigned long)v, true);
    }
    return false;
}

#define IMPAIR_OPTS(name, imp)                                                                     \
    {name, required_argument, NULL, OPT_IMPAIR + (imp)*SIDE_COUNT + SIDE_BOTH},                    \
        {name "-up", required_argument, NULL, OPT_IMPAIR + (imp)*SIDE_COUNT + SIDE_UP},            \
    {                                                                                              \
        name "-down", required_argument, NULL, OPT_IMPAIR + (imp)*SIDE_COUNT + SIDE_DOWN           \
    }

static int fail_usage(const char *msg)
{
    if (msg != NULL)
        fprintf(stderr, "lobby-netsim: %s\n", msg);
    fprintf(stderr, "Try 'lobby-netsim --help'.\n");
    return EXIT_USAGE;
}

/* Returns -1 to continue, or an exit status. */
static int parse_options(int argc, char **argv, options *o)
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
        IMPAIR_OPTS("delay", IMP_DELAY),
        IMPAIR_OPTS("jitter", IMP_JITTER),
        IMPAIR_OPTS("loss", IMP_LOSS),
        IMPAIR_OPTS("duplicate", IMP_DUPLICATE),
        IMPAIR_OPTS("reorder", IMP_REORDER),
        IMPAIR_OPTS("rate", IMP_RATE),
        {NULL, 0, NULL, 0},
    };
    int opt, index = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, &index)) != -1) {
        if (opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == OPT_VERSION) {
            printf("lobby-netsim %s\n", LOBBY_VERSION);
            return 0;
        }
        char flag[32];
        snprintf(flag, sizeof flag, "--%s", opt == '?' ? "" : longopts[index].name);
        if (opt == '?' || !apply_option(o, opt, flag, optarg))
            return fail_usage(NULL);
    }
    if (optind < argc) {
        fprintf(stderr, "lobby-netsim: unexpected argument '%s'\n", argv[optind]);
        return fail_usage(NULL);
    }
    if (o->listen_port < 0)
        return fail_usage("--listen PORT is required (0 picks a free port)");
    if (o->fwd_port == 0)
        return fail_usage("--forward HOST:PORT is required");
    return -1;
}

/* A -up/-down value wins over the both-directions one, whatever the order. */
static void direction_config(const options *o, int side, uint64_t seed, netsim_dir_config *c)
{
    double v[IMP_COUNT];
    for (int i = 0; i < IMP_COUNT; i++)
        v[i] = o->imp_set[side][i] ? o->imp[side][i] : o->imp[SIDE_BOTH][i];
    netsim_dir_config_defaults(c);
    c->delay_us = (uint32_t)(v[IMP_DELAY] * 1000.0 + 0.5);
    c->jitter_us = (uint32_t)(v[IMP_JITTER] * 1000.0 + 0.5);
    c->loss_pct = v[IMP_LOSS];
    c->duplicate_pct = v[IMP_DUPLICATE];
    c->reorder_pct = v[IMP_REORDER];
    c->rate_bps = v[IMP_RATE] > 0 ? (uint64_t)(v[IMP_RATE] * 1000.0 + 0.5) : 0;
    if (v[IMP_RATE] > 0 && c->rate_bps == 0)
        c->rate_bps = 1;
    c->queue_max_count = (uint32_t)o->queue_limit;
    c->seed = seed;
}

static void describe(const char *name, const netsim_dir_config *c)
{
    fprintf(stderr,
            "lobby-netsim: %s: delay=%.3fms jitter=%.3fms loss=%g%% duplicate=%g%% "
            "reorder=%g%% rate=%gkbit/s%s\n",
            name, c->delay_us / 1000.0, c->jitter_us / 1000.0, c->loss_pct, c->duplicate_pct,
            c->reorder_pct, c->rate_bps / 1000.0, c->rate_bps == 0 ? " (unlimited)" : "");
}

static bool resolve_ipv4(const char *host, uint16_t port, struct sockaddr_in *out)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return false;
    memcpy(out, res->ai_addr, sizeof *out);
    out->sin_port = htons(port);
    freeaddrinfo(res);
    return true;
}

static const char *addr_text(const struct sockaddr_in *a, char *buf, size_t cap)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    return buf;
}

/* A non-blocking UDP socket, bound (listen) or connected (upstream); -1 on error. */
static int open_udp(const struct sockaddr_in *bind_to, const struct sockaddr_in *connect_to)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    bool ok = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 &&
              fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
    if (ok && bind_to != NULL)
        ok = bind(fd, (const struct sockaddr *)bind_to, sizeof *bind_to) == 0;
    if (ok && connect_to != NULL)
        ok = connect(fd, (const struct sockaddr *)connect_to, sizeof *connect_to) == 0;
    if (!ok) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static uint32_t flow_hash(const proxy *p, const struct sockaddr_in *a)
{
    uint64_t k = ((uint64_t)a->sin_addr.s_addr << 16) ^ a->sin_port;
    return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & p->bucket_mask;
}

static int flow_find(const proxy *p, const struct sockaddr_in *a)
{
    for (int i = p->buckets[flow_hash(p, a)]; i >= 0; i = p->flows[i].next)
        if (p->flows[i].client.sin_addr.s_addr == a->sin_addr.s_addr &&
            p->flows[i].client.sin_port == a->sin_port)
            return i;
    return -1;
}

static void log_refusal(proxy *p, const struct sockaddr_in *a, const char *why, uint64_t now_us)
{
    p->refused++;
    if (p->last_refusal_log_us != 0 && now_us - p->last_refusal_log_us < REFUSAL_LOG_INTERVAL_US)
        return;
    p->last_refusal_log_us = now_us;
    char at[32];
    fprintf(stderr, "lobby-netsim: refusing client %s: %s (%llu refused so far)\n",
            addr_text(a, at, sizeof at), why, (unsigned long long)p->refused);
}

/* The mapping for a client address, created on its first datagram; -1 when refused. */
static int flow_get(proxy *p, const struct sockaddr_in *a, uint64_t now_us)
{
    int i = flow_find(p, a);
    if (i >= 0)
        return i;
    if (p->active == p->max_flows) {
        log_refusal(p, a, "--max-clients mappings in use", now_us);
        return -1;
    }
    for (i = 0; p->flows[i].fd >= 0; i++) {
    }
    int fd = open_udp(NULL, &p->server);
    if (fd < 0) {
        log_refusal(p, a, strerror(errno), now_us);
        return -1;
    }
    flow *f = &p->flows[i];
    uint32_t h = flow_hash(p, a);
    *f = (flow){fd, (uint16_t)(f->generation + 1), *a, now_us, p->buckets[h]};
    p->buckets[h] = i;
    p->active++;
    p->opened++;
    char at[32];
    fprintf(stderr, "lobby-netsim: new client %s (%u active)\n", addr_text(a, at, sizeof at),
            (unsigned)p->active);
    return i;
}

static void flow_close(proxy *p, int i)
{
    int *link = &p->buckets[flow_hash(p, &p->flows[i].client)];
    while (*link != i)
        link = &p->flows[*link].next;
    *link = p->flows[i].next;
    close(p->flows[i].fd);
    p->flows[i].fd = -1;
    p->active--;
}

static uint32_t flow_id(const proxy *p, int i)
{
    return (uint32_t)p->flows[i].generation << 16 | (uint32_t)i;
}

/* The slot a flow id names if it still holds the same mapping, else -1. */
static int flow_of(const proxy *p, uint32_t id)
{
    uint32_t i = id & 0xFFFFu;
    return p->flows[i].fd >= 0 && p->flows[i].generation == id >> 16 ? (int)i : -1;
}

static void read_clients(proxy *p, uint64_t now_us)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t got =
            recvfrom(p->listen_fd, p->buf, sizeof p->buf, 0, (struct sockaddr *)&from, &len);
        if (got < 0)
            return; /* EAGAIN: drained; anything else is about one datagram */
        int i = from.sin_family == AF_INET ? flow_get(p, &from, now_us) : -1;
        if (i < 0)
            continue;
        p->flows[i].last_active_us = now_us;
        netsim_submit(p->dir[DIR_UP], p->buf, (size_t)got, flow_id(p, i), now_us);
    }
}

static void read_server(proxy *p, int i, uint64_t now_us)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        ssize_t got = recv(p->flows[i].fd, p->buf, sizeof p->buf, 0);
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            continue; /* ECONNREFUSED: the server's port was closed; keep trying */
        if (got < 0)
            return;
        p->flows[i].last_active_us = now_us;
        netsim_submit(p->dir[DIR_DOWN], p->buf, (size_t)got, flow_id(p, i), now_us);
    }
}

static void release_due(proxy *p, int d, uint64_t now_us)
{
    netsim_packet pkt;
    while (netsim_next_due(p->dir[d], now_us, &pkt)) {
        int i = flow_of(p, pkt.flow_id);
        ssize_t sent = -1;
        if (i >= 0 && d == DIR_UP)
            sent = send(p->flows[i].fd, pkt.data, pkt.size, 0);
        else if (i >= 0)
            sent = sendto(p->listen_fd, pkt.data, pkt.size, 0,
                          (const struct sockaddr *)&p->flows[i].client, sizeof p->flows[i].client);
        if (sent < 0)
            p->unsent[d]++;
    }
}

static void sweep_idle(proxy *p, uint64_t now_us)
{
    p->next_sweep_us = now_us + SWEEP_INTERVAL_US;
    for (uint32_t i = 0; i < p->max_flows; i++) {
        if (p->flows[i].fd < 0 || now_us - p->flows[i].last_active_us < p->idle_timeout_us)
            continue;
        char at[32];
        fprintf(stderr, "lobby-netsim: client %s idle, mapping closed (%u active)\n",
                addr_text(&p->flows[i].client, at, sizeof at), (unsigned)p->active - 1);
        flow_close(p, (int)i);
    }
}

static int poll_timeout_ms(const proxy *p, uint64_t now_us)
{
    uint64_t next = netsim_next_release_us(p->dir[DIR_UP]);
    uint64_t down = netsim_next_release_us(p->dir[DIR_DOWN]);
    next = down < next ? down : next;
    if (next <= now_us)
        return 0;
    uint64_t wait_ms = (next - now_us + 999) / 1000; /* late by under 1 ms rather than early */
    return wait_ms < LOOP_MAX_WAIT_MS ? (int)wait_ms : LOOP_MAX_WAIT_MS;
}

static void run(proxy *p)
{
    while (g_stop_signal == 0) {
        nfds_t n = 1;
        p->pfds[0] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        for (uint32_t i = 0; i < p->max_flows; i++) {
            if (p->flows[i].fd >= 0) {
                p->pfd_flow[n] = i;
                p->pfds[n++] = (struct pollfd){.fd = p->flows[i].fd, .events = POLLIN};
            }
        }
        if (poll(p->pfds, n, poll_timeout_ms(p, clock_now_us())) < 0 && errno != EINTR)
            fprintf(stderr, "lobby-netsim: poll: %s\n", strerror(errno));
        uint64_t now_us = clock_now_us();
        if (p->pfds[0].revents != 0)
            read_clients(p, now_us);
        for (nfds_t k = 1; k < n; k++)
            if (p->pfds[k].revents != 0)
                read_server(p, (int)p->pfd_flow[k], now_us);
        release_due(p, DIR_UP, now_us);
        release_due(p, DIR_DOWN, now_us);
        if (now_us >= p->next_sweep_us)
            sweep_idle(p, now_us);
    }
}

static void print_totals(const proxy *p, int d, const char *name)
{
    const netsim_dir_stats *s = netsim_get_stats(p->dir[d]);
    uint64_t unsent = p->unsent[d];
    fprintf(stderr,
            "%s in=%llu out=%llu dropped=%llu (lost=%llu queue=%llu unsent=%llu) "
            "duplicated=%llu reordered=%llu pending=%llu",
            name, (unsigned long long)s->in, (unsigned long long)(s->out - unsent),
            (unsigned long long)(s->lost + s->queue_dropped + unsent), (unsigned long long)s->lost,
            (unsigned long long)s->queue_dropped, (unsigned long long)unsent,
            (unsigned long long)s->duplicated, (unsigned long long)s->reordered,
            (unsigned long long)netsim_pending(p->dir[d]));
}

static void print_stats(const proxy *p)
{
    fprintf(stderr, "lobby-netsim: stopped (%s); ", g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    print_totals(p, DIR_UP, "up:");
    print_totals(p, DIR_DOWN, "; down:");
    fprintf(stderr, "; clients: active=%u opened=%llu refused=%llu\n", (unsigned)p->active,
            (unsigned long long)p->opened, (unsigned long long)p->refused);
}

static void proxy_destroy(proxy *p)
{
    for (uint32_t i = 0; p->flows != NULL && i < p->max_flows; i++)
        if (p->flows[i].fd >= 0)
            close(p->flows[i].fd);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    netsim_dir_destroy(p->dir[DIR_UP]);
    netsim_dir_destroy(p->dir[DIR_DOWN]);
    free(p->flows);
    free(p->buckets);
    free(p->pfds);
    free(p->pfd_flow);
    free(p);
}

/* Allocates the mapping table and both directions; NULL (after a message) on failure. */
static proxy *proxy_create(const options *o, const netsim_dir_config *up,
                           const netsim_dir_config *down)
{
    proxy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->listen_fd = -1;
    p->max_flows = (uint32_t)o->max_clients;
    for (p->bucket_mask = 1; p->bucket_mask < 2 * p->max_flows; p->bucket_mask *= 2) {
    }
    p->buckets = malloc(p->bucket_mask * sizeof *p->buckets);
    p->bucket_mask--;
    p->flows = calloc(p->max_flows, sizeof *p->flows);
    p->pfds = calloc(p->max_flows + 1, sizeof *p->pfds);
    p->pfd_flow = calloc(p->max_flows + 1, sizeof *p->pfd_flow);
    if (p->buckets == NULL || p->flows == NULL || p->pfds == NULL || p->pfd_flow == NULL) {
        fprintf(stderr, "lobby-netsim: out of memory\n");
        proxy_destroy(p);
        return NULL;
    }
    memset(p->buckets, 0xFF, (p->bucket_mask + 1) * sizeof *p->buckets); /* all -1 */
    for (uint32_t i = 0; i < p->max_flows; i++)
        p->flows[i].fd = -1;
    p->idle_timeout_us = (uint64_t)o->idle_timeout_s * 1000000u;
    int err = netsim_dir_create(up, &p->dir[DIR_UP]);
    if (err == NETSIM_OK)
        err = netsim_dir_create(down, &p->dir[DIR_DOWN]);
    if (err != NETSIM_OK) {
        fprintf(stderr, "lobby-netsim: %s\n", netsim_strerror(err));
        proxy_destroy(p);
        return NULL;
    }
    return p;
}

/* Resolves both ends and binds the listen socket; false after a message. */
static bool proxy_open(proxy *p, const options *o)
{
    struct sockaddr_in local;
    if (!resolve_ipv4(o->bind_host, (uint16_t)o->listen_port, &local)) {
        fprintf(stderr, "lobby-netsim: --bind: cannot resolve '%s' to IPv4\n", o->bind_host);
        return false;
    }
    if (!resolve_ipv4(o->fwd_host, o->fwd_port, &p->server)) {
        fprintf(stderr, "lobby-netsim: --forward: cannot resolve '%s' to IPv4\n", o->fwd_host);
        return false;
    }
    p->listen_fd = open_udp(&local, NULL);
    if (p->listen_fd < 0) {
        fprintf(stderr, "lobby-netsim: %s:%ld: %s\n", o->bind_host, o->listen_port,
                strerror(errno));
        return false;
    }
    int bytes = LISTEN_BUFFER_BYTES; /* the kernel caps it; a smaller buffer still works */
    setsockopt(p->listen_fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    setsockopt(p->listen_fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    socklen_t len = sizeof local;
    getsockname(p->listen_fd, (struct sockaddr *)&local, &len);
    char at[32];
    fprintf(stderr, "lobby-netsim: listening on %s, forwarding to %s:%u\n",
            addr_text(&local, at, sizeof at), o->fwd_host, (unsigned)o->fwd_port);
    return true;
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: poll() returns EINTR at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
    options o = {.bind_host = "127.0.0.1",
                 .listen_port = -1,
                 .idle_timeout_s = 60,
                 .max_clients = 1024,
                 .queue_limit = 1000};
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    uint64_t seed = o.have_seed ? o.seed : clock_now_us() ^ ((uint64_t)getpid() << 32);
    netsim_dir_config up, down;
    direction_config(&o, SIDE_UP, seed, &up);
    direction_config(&o, SIDE_DOWN, ~seed, &down); /* independent streams from one seed */
    install_signal_handlers(); /* before the ready line: a test may signal right after it */
    proxy *p = proxy_create(&o, &up, &down);
    if (p == NULL)
        return 1;
    if (!proxy_open(p, &o)) {
        proxy_destroy(p);
        return 1;
    }
    describe("up (client to server)", &up);
    describe("down (server to client)", &down);
    fprintf(stderr, "lobby-netsim: seed %llu (pass --seed %llu to repeat these decisions)\n",
            (unsigned long long)seed, (unsigned long long)seed);
    run(p);
    print_stats(p);
    proxy_destroy(p);
    return 0;
}
