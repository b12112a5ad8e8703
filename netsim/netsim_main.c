/* lobby-netsim: a UDP proxy that delays, drops, duplicates, reorders and
 * rate-limits datagrams between ENet clients and a server, because the test
 * machines' kernels have no netem. Signals, sockets and the loop live here;
 * flags are parsed in netsim_cli.c, client mappings kept in netsim_flows.c and
 * the decisions made by the pure core in netsim.c. */
#include "cli.h"
#include "clock.h"
#include "netsim.h"
#include "netsim_cli.h"
#include "netsim_flows.h"

#include <errno.h>
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
    LOOP_MAX_WAIT_MS = 50,         /* bounds how long a signal that races poll() waits */
    RECV_BATCH = 64,               /* per socket per pass: one busy client cannot starve others */
    SWEEP_INTERVAL_US = 1000000,   /* how often idle mappings are looked for */
    LISTEN_BUFFER_BYTES = 4 << 20, /* the listen socket carries every client's traffic */
};

enum { DIR_UP, DIR_DOWN };

typedef struct proxy {
    int listen_fd;
    netsim_flows flows;
    netsim_dir *dir[2];
    uint64_t unsent[2]; /* per direction: released but not sent (send error, mapping gone) */
    uint64_t next_sweep_us;
    struct pollfd *pfds;
    uint32_t *pfd_flow;
    uint8_t buf[NETSIM_MAX_DATAGRAM_BYTES];
} proxy;

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

static void read_clients(proxy *p, uint64_t now_us)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t got =
            recvfrom(p->listen_fd, p->buf, sizeof p->buf, 0, (struct sockaddr *)&from, &len);
        if (got < 0)
            return; /* EAGAIN: drained; anything else is about one datagram */
        int i = from.sin_family == AF_INET ? netsim_flows_get(&p->flows, &from, now_us) : -1;
        if (i < 0)
            continue;
        p->flows.slots[i].last_active_us = now_us;
        netsim_submit(p->dir[DIR_UP], p->buf, (size_t)got, netsim_flows_id(&p->flows, i), now_us);
    }
}

static void read_server(proxy *p, int i, uint64_t now_us)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        ssize_t got = recv(p->flows.slots[i].fd, p->buf, sizeof p->buf, 0);
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            continue; /* ECONNREFUSED: the server's port was closed; keep trying */
        if (got < 0)
            return;
        p->flows.slots[i].last_active_us = now_us;
        netsim_submit(p->dir[DIR_DOWN], p->buf, (size_t)got, netsim_flows_id(&p->flows, i), now_us);
    }
}

static void release_due(proxy *p, int d, uint64_t now_us)
{
    netsim_packet pkt;
    while (netsim_next_due(p->dir[d], now_us, &pkt)) {
        int i = netsim_flows_slot(&p->flows, pkt.flow_id);
        ssize_t sent = -1;
        if (i >= 0 && d == DIR_UP)
            sent = send(p->flows.slots[i].fd, pkt.data, pkt.size, 0);
        else if (i >= 0)
            sent = sendto(p->listen_fd, pkt.data, pkt.size, 0,
                          (const struct sockaddr *)&p->flows.slots[i].client,
                          sizeof p->flows.slots[i].client);
        if (sent < 0)
            p->unsent[d]++;
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
    while (cli_signal_received() == 0) {
        nfds_t n = 1;
        p->pfds[0] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        for (uint32_t i = 0; i < p->flows.max_flows; i++) {
            if (p->flows.slots[i].fd >= 0) {
                p->pfd_flow[n] = i;
                p->pfds[n++] = (struct pollfd){.fd = p->flows.slots[i].fd, .events = POLLIN};
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
        if (now_us >= p->next_sweep_us) {
            p->next_sweep_us = now_us + SWEEP_INTERVAL_US;
            netsim_flows_expire(&p->flows, now_us);
        }
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
    fprintf(stderr, "lobby-netsim: stopped (%s); ",
            cli_signal_received() == SIGINT ? "SIGINT" : "SIGTERM");
    print_totals(p, DIR_UP, "up:");
    print_totals(p, DIR_DOWN, "; down:");
    fprintf(stderr, "; clients: active=%u opened=%llu refused=%llu\n", (unsigned)p->flows.active,
            (unsigned long long)p->flows.opened, (unsigned long long)p->flows.refused);
}

static void proxy_destroy(proxy *p)
{
    netsim_flows_deinit(&p->flows);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    netsim_dir_destroy(p->dir[DIR_UP]);
    netsim_dir_destroy(p->dir[DIR_DOWN]);
    free(p->pfds);
    free(p->pfd_flow);
    free(p);
}

/* Allocates the mapping table and both directions; NULL (after a message) on failure. */
static proxy *proxy_create(const netsim_cli_options *o, const netsim_dir_config *up,
                           const netsim_dir_config *down)
{
    proxy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->listen_fd = -1;
    uint32_t max_flows = (uint32_t)o->max_clients;
    int flows_err = netsim_flows_init(&p->flows, max_flows, (uint64_t)o->idle_timeout_s * 1000000u);
    p->pfds = calloc(max_flows + 1, sizeof *p->pfds);
    p->pfd_flow = calloc(max_flows + 1, sizeof *p->pfd_flow);
    if (flows_err != NETSIM_FLOWS_OK || p->pfds == NULL || p->pfd_flow == NULL) {
        fprintf(stderr, "lobby-netsim: out of memory\n");
        proxy_destroy(p);
        return NULL;
    }
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
static bool proxy_open(proxy *p, const netsim_cli_options *o)
{
    struct sockaddr_in local;
    if (!resolve_ipv4(o->bind_host, (uint16_t)o->listen_port, &local)) {
        fprintf(stderr, "lobby-netsim: --bind: cannot resolve '%s' to IPv4\n", o->bind_host);
        return false;
    }
    if (!resolve_ipv4(o->fwd_host, o->fwd_port, &p->flows.server)) {
        fprintf(stderr, "lobby-netsim: --forward: cannot resolve '%s' to IPv4\n", o->fwd_host);
        return false;
    }
    p->listen_fd = netsim_flows_open_udp(&local, NULL);
    if (p->listen_fd < 0) {
        fprintf(stderr,
                "lobby-netsim: cannot listen on UDP %s:%ld: %s (pick another with --listen PORT, "
                "0 picks a free one, or --bind ADDR)\n",
                o->bind_host, o->listen_port, strerror(errno));
        return false;
    }
    int bytes = LISTEN_BUFFER_BYTES; /* the kernel caps it; a smaller buffer still works */
    setsockopt(p->listen_fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    setsockopt(p->listen_fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    socklen_t len = sizeof local;
    getsockname(p->listen_fd, (struct sockaddr *)&local, &len);
    char at[32];
    fprintf(stderr, "lobby-netsim: listening on %s, forwarding to %s:%u\n",
            netsim_flows_addr_text(&local, at, sizeof at), o->fwd_host, (unsigned)o->fwd_port);
    return true;
}

int main(int argc, char **argv)
{
    netsim_cli_options o;
    netsim_cli_defaults(&o);
    int status = netsim_cli_parse(argc, argv, &o);
    if (status >= 0)
        return status;
    uint64_t seed = o.have_seed ? o.seed : clock_now_us() ^ ((uint64_t)getpid() << 32);
    netsim_dir_config up, down;
    /* ~seed: independent streams from one seed. */
    netsim_cli_direction_config(&o, NETSIM_CLI_SIDE_UP, seed, &up);
    netsim_cli_direction_config(&o, NETSIM_CLI_SIDE_DOWN, ~seed, &down);
    cli_signal_install(); /* before the ready line: a test may signal right after it */
    proxy *p = proxy_create(&o, &up, &down);
    if (p == NULL)
        return 1;
    if (!proxy_open(p, &o)) {
        proxy_destroy(p);
        return 1;
    }
    netsim_cli_describe("up (client to server)", &up);
    netsim_cli_describe("down (server to client)", &down);
    fprintf(stderr, "lobby-netsim: seed %llu (pass --seed %llu to repeat these decisions)\n",
            (unsigned long long)seed, (unsigned long long)seed);
    run(p);
    print_stats(p);
    proxy_destroy(p);
    return 0;
}
