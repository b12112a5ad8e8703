/* The client-mapping table of lobby-netsim: slots in one array, found through
 * a chained hash on the client address, so a busy proxy does not scan. */
#include "netsim_flows.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    REFUSAL_LOG_INTERVAL_US = 1000000, /* at most one "refusing" line a second */
};

int netsim_flows_open_udp(const struct sockaddr_in *bind_to, const struct sockaddr_in *connect_to)
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

const char *netsim_flows_addr_text(const struct sockaddr_in *a, char *buf, size_t cap)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    return buf;
}

int netsim_flows_init(netsim_flows *t, uint32_t max_flows, uint64_t idle_timeout_us)
{
    t->max_flows = max_flows;
    t->active = 0;
    t->opened = 0;
    t->refused = 0;
    t->last_refusal_log_us = 0;
    t->idle_timeout_us = idle_timeout_us;
    /* Twice as many buckets as slots, a power of two, keeps chains short. */
    for (t->bucket_mask = 1; t->bucket_mask < 2 * max_flows; t->bucket_mask *= 2) {
    }
    t->buckets = malloc(t->bucket_mask * sizeof *t->buckets);
    t->bucket_mask--;
    t->slots = calloc(max_flows, sizeof *t->slots);
    if (t->buckets == NULL || t->slots == NULL) {
        free(t->buckets);
        free(t->slots);
        t->buckets = NULL;
        t->slots = NULL;
        return NETSIM_FLOWS_ERR_NOMEM;
    }
    memset(t->buckets, 0xFF, (t->bucket_mask + 1) * sizeof *t->buckets); /* all -1 */
    for (uint32_t i = 0; i < max_flows; i++)
        t->slots[i].fd = -1;
    return NETSIM_FLOWS_OK;
}

void netsim_flows_deinit(netsim_flows *t)
{
    for (uint32_t i = 0; t->slots != NULL && i < t->max_flows; i++)
        if (t->slots[i].fd >= 0)
            close(t->slots[i].fd);
    free(t->slots);
    free(t->buckets);
    t->slots = NULL;
    t->buckets = NULL;
    t->active = 0;
}

static uint32_t flow_hash(const netsim_flows *t, const struct sockaddr_in *a)
{
    uint64_t k = ((uint64_t)a->sin_addr.s_addr << 16) ^ a->sin_port;
    return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & t->bucket_mask;
}

int netsim_flows_find(const netsim_flows *t, const struct sockaddr_in *a)
{
    for (int i = t->buckets[flow_hash(t, a)]; i >= 0; i = t->slots[i].next)
        if (t->slots[i].client.sin_addr.s_addr == a->sin_addr.s_addr &&
            t->slots[i].client.sin_port == a->sin_port)
            return i;
    return -1;
}

static void log_refusal(netsim_flows *t, const struct sockaddr_in *a, const char *why,
                        uint64_t now_us)
{
    t->refused++;
    if (t->last_refusal_log_us != 0 && now_us - t->last_refusal_log_us < REFUSAL_LOG_INTERVAL_US)
        return;
    t->last_refusal_log_us = now_us;
    char at[32];
    fprintf(stderr, "lobby-netsim: refusing client %s: %s (%llu refused so far)\n",
            netsim_flows_addr_text(a, at, sizeof at), why, (unsigned long long)t->refused);
}

int netsim_flows_get(netsim_flows *t, const struct sockaddr_in *a, uint64_t now_us)
{
    int i = netsim_flows_find(t, a);
    if (i >= 0)
        return i;
    if (t->active == t->max_flows) {
        log_refusal(t, a, "--max-clients mappings in use", now_us);
        return NETSIM_FLOWS_ERR_FULL;
    }
    for (i = 0; t->slots[i].fd >= 0; i++) {
    }
    int fd = netsim_flows_open_udp(NULL, &t->server);
    if (fd < 0) {
        int saved = errno; /* the caller may look at errno for the reason */
        log_refusal(t, a, strerror(saved), now_us);
        errno = saved;
        return NETSIM_FLOWS_ERR_SOCKET;
    }
    netsim_flow *f = &t->slots[i];
    uint32_t h = flow_hash(t, a);
    *f = (netsim_flow){fd, (uint16_t)(f->generation + 1), *a, now_us, t->buckets[h]};
    t->buckets[h] = i;
    t->active++;
    t->opened++;
    char at[32];
    fprintf(stderr, "lobby-netsim: new client %s (%u active)\n",
            netsim_flows_addr_text(a, at, sizeof at), (unsigned)t->active);
    return i;
}

void netsim_flows_close(netsim_flows *t, int i)
{
    int *link = &t->buckets[flow_hash(t, &t->slots[i].client)];
    while (*link != i)
        link = &t->slots[*link].next;
    *link = t->slots[i].next;
    close(t->slots[i].fd);
    t->slots[i].fd = -1;
    t->active--;
}

void netsim_flows_expire(netsim_flows *t, uint64_t now_us)
{
    for (uint32_t i = 0; i < t->max_flows; i++) {
        if (t->slots[i].fd < 0 || now_us - t->slots[i].last_active_us < t->idle_timeout_us)
            continue;
        char at[32];
        fprintf(stderr, "lobby-netsim: client %s idle, mapping closed (%u active)\n",
                netsim_flows_addr_text(&t->slots[i].client, at, sizeof at),
                (unsigned)t->active - 1);
        netsim_flows_close(t, (int)i);
    }
}

uint32_t netsim_flows_id(const netsim_flows *t, int i)
{
    return (uint32_t)t->slots[i].generation << 16 | (uint32_t)i;
}

int netsim_flows_slot(const netsim_flows *t, uint32_t id)
{
    uint32_t i = id & 0xFFFFu;
    return i < t->max_flows && t->slots[i].fd >= 0 && t->slots[i].generation == id >> 16 ? (int)i
                                                                                         : -1;
}
