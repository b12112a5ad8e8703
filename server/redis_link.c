/* The Redis link: its state machine (waiting -> connecting -> up -> down),
 * timers (connect and command timeouts, reconnect backoff) and the command
 * API. The hiredis connections themselves are in redis_link_conn.c. */
#include "redis_link.h"
#include "redis_link_internal.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

enum { REDIS_LINK_HANDSHAKE_SLOTS = 4 }; /* AUTH, SELECT, PING, SUBSCRIBE */

void redis_link_config_defaults(redis_link_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 1000;
    cfg->command_timeout_ms = 2000;
    cfg->backoff_min_ms = 100;
    cfg->backoff_max_ms = 2000;
    cfg->max_pending = 10000;
}

static void set_why(char *why, size_t cap, const char *text)
{
    if (why != NULL && cap > 0)
        snprintf(why, cap, "%s", text);
}

/* ---- the ring of commands in flight ---- */

int redis_link_ring_init(redis_link_ring *r, uint32_t cap)
{
    memset(r, 0, sizeof *r);
    r->slots = calloc(cap, sizeof *r->slots);
    if (r->slots == NULL)
        return -1;
    r->cap = cap;
    return 0;
}

void redis_link_ring_free(redis_link_ring *r)
{
    free(r->slots);
    memset(r, 0, sizeof *r);
}

bool redis_link_ring_push(redis_link_ring *r, uint8_t kind, redis_link_reply_fn cb, void *privdata,
                          const char *what)
{
    if (r->count >= r->cap)
        return false;
    redis_link_entry *e = &r->slots[(r->head + r->count) % r->cap];
    *e = (redis_link_entry){.cb = cb, .privdata = privdata, .what = what, .kind = kind};
    r->count++;
    return true;
}

bool redis_link_ring_pop(redis_link_ring *r, redis_link_entry *out)
{
    if (r->count == 0)
        return false;
    *out = r->slots[r->head];
    r->head = (r->head + 1) % r->cap;
    r->count--;
    if (r->stamped > 0)
        r->stamped--;
    return true;
}

/* Commands queued since the last pass are written in this one (hiredis
 * writes only from redisAsyncHandleWrite): their timeout starts now. */
void redis_link_ring_stamp(redis_link_ring *r, uint64_t now_us)
{
    for (uint32_t i = r->stamped; i < r->count; i++)
        r->slots[(r->head + i) % r->cap].send_us = now_us;
    r->stamped = r->count;
}

const redis_link_entry *redis_link_ring_oldest_stamped(const redis_link_ring *r)
{
    return r->stamped > 0 ? &r->slots[r->head] : NULL;
}

/* ---- state ---- */

void redis_link_fail(redis_link *l, const char *why)
{
    if (l->state == REDIS_LINK_WAITING)
        return;
    if (!l->failing)
        snprintf(l->why, sizeof l->why, "%s", why);
    l->failing = true;
    l->stats.up = false;
}

void redis_link_conn_ready(redis_link *l)
{
    bool sub_ok = l->cfg.subscribe_channel == NULL || l->conns[1].ready;
    if (l->failing || l->state != REDIS_LINK_CONNECTING || !l->conns[0].ready || !sub_ok)
        return;
    l->state = REDIS_LINK_UP;
    l->stats.up = true;
    l->stats.connects++;
    if (l->ever_up)
        l->stats.reconnects++;
    l->ever_up = true;
    l->failures = 0;
    l->report_pending = true;
    l->report_up = true;
    l->report_why[0] = '\0';
}

static uint32_t link_random(const redis_link *l)
{
    uint32_t v = 0;
    if (l->cfg.random_u32 != NULL) {
        if (l->cfg.random_u32(l->cfg.user, &v) != 0)
            v = 0;
    } else if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
        v = 0;
    }
    return v;
}

/* backoff_min doubled per consecutive failure, capped at backoff_max, then
 * "equal jitter": half fixed, half random, so servers that lost the same
 * Redis do not all come back in the same millisecond, and the delays still
 * never shrink from one failure to the next. */
static uint32_t backoff_ms(const redis_link *l)
{
    uint64_t base = l->cfg.backoff_min_ms;
    for (uint32_t i = 0; i < l->failures && base < l->cfg.backoff_max_ms; i++)
        base *= 2;
    if (base > l->cfg.backoff_max_ms)
        base = l->cfg.backoff_max_ms;
    uint32_t half = (uint32_t)(base / 2);
    return (uint32_t)(base - half) + link_random(l) % (half + 1);
}

/* Takes the link down (not from a hiredis callback): frees both contexts,
 * so every command in flight gets NULL, and schedules the next attempt. */
static void link_teardown(redis_link *l)
{
    bool was_up = l->state == REDIS_LINK_UP;
    l->state = REDIS_LINK_WAITING; /* from here our own frees are not failures */
    l->failing = false;
    l->stats.up = false;
    snprintf(l->stats.last_error, sizeof l->stats.last_error, "%s", l->why);
    redis_link_conn_close(&l->conns[0]);
    redis_link_conn_close(&l->conns[1]);
    if (!was_up)
        l->stats.connect_failures++;
    uint32_t delay = backoff_ms(l);
    if (!was_up)
        l->failures++;
    l->stats.retry_delay_ms = delay;
    l->retry_at_us = l->now_us + (uint64_t)delay * 1000;
    if (was_up || !l->reported_any) {
        l->report_pending = true;
        l->report_up = false;
        snprintf(l->report_why, sizeof l->report_why, "%s", l->why);
    }
    l->why[0] = '\0';
}

static void link_attempt(redis_link *l)
{
    l->state = REDIS_LINK_CONNECTING;
    l->why[0] = '\0';
    if (redis_link_conn_open(&l->conns[0], l->now_us) == 0 && l->cfg.subscribe_channel != NULL)
        redis_link_conn_open(&l->conns[1], l->now_us);
    if (l->failing)
        link_teardown(l);
}

static void check_timeouts(redis_link *l)
{
    uint64_t connect_us = (uint64_t)l->cfg.connect_timeout_ms * 1000;
    uint64_t command_us = (uint64_t)l->cfg.command_timeout_ms * 1000;
    for (int i = 0; i < 2 && !l->failing; i++) {
        redis_link_conn *c = &l->conns[i];
        if (c->ac == NULL)
            continue;
        if (!redis_link_conn_connected(c) && l->now_us - c->started_us > connect_us) {
            redis_link_fail(l, "connect timed out");
            continue;
        }
        const redis_link_entry *e = redis_link_ring_oldest_stamped(&c->ring);
        if (e != NULL && l->now_us - e->send_us > command_us) {
            char why[128];
            snprintf(why, sizeof why, "%s: no reply in %u ms", e->what ? e->what : "command",
                     (unsigned)l->cfg.command_timeout_ms);
            l->stats.timeouts++;
            redis_link_fail(l, why);
        }
    }
}

static void report(redis_link *l)
{
    if (!l->report_pending)
        return;
    l->report_pending = false;
    l->reported_any = true;
    if (l->cfg.on_state != NULL)
        l->cfg.on_state(l->cfg.user, l->report_up, l->report_up ? "up" : l->report_why, l->now_us);
}

void redis_link_pass(redis_link *l, const struct pollfd *fds, int n, uint64_t now_us)
{
    l->now_us = now_us;
    for (int i = 0; i < 2; i++)
        redis_link_ring_stamp(&l->conns[i].ring, now_us);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            redis_link_conn *c = &l->conns[k];
            if (c->ac != NULL && fds[i].fd == c->fd && fds[i].revents != 0)
                redis_link_conn_handle(c, fds[i].revents);
        }
    }
    if (l->state != REDIS_LINK_WAITING)
        check_timeouts(l);
    if (l->failing)
        link_teardown(l);
    if (l->state == REDIS_LINK_WAITING && now_us >= l->retry_at_us)
        link_attempt(l);
    report(l);
}

/* ---- create / destroy ---- */

/* A host name becomes an address once, here: hiredis would otherwise call
 * getaddrinfo (and wait for DNS) on every reconnect inside the loop. */
static int resolve_host(redis_link *l, char *why, size_t cap)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, l->url.host, buf) == 1 || inet_pton(AF_INET6, l->url.host, buf) == 1) {
        snprintf(l->address, sizeof l->address, "%.63s", l->url.host);
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(l->url.host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        char text[300];
        snprintf(text, sizeof text, "cannot resolve %s: %s", l->url.host, gai_strerror(rc));
        set_why(why, cap, text);
        return -1;
    }
    /* IPv4 first: "localhost" often resolves to ::1 first, and Redis's
     * default bind is 127.0.0.1 (and hiredis 0.14 tries IPv4 first too). */
    const struct addrinfo *pick = res;
    for (const struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    }
    const void *addr = pick->ai_family == AF_INET
                           ? (const void *)&((struct sockaddr_in *)pick->ai_addr)->sin_addr
                           : (const void *)&((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
    inet_ntop(pick->ai_family, addr, l->address, sizeof l->address);
    freeaddrinfo(res);
    return 0;
}

static char *copy_or_null(const char *s, bool *oom)
{
    if (s == NULL)
        return NULL;
    char *c = strdup(s);
    if (c == NULL)
        *oom = true;
    return c;
}

static int link_init(redis_link *l, const redis_link_config *cfg, char *why, size_t cap)
{
    l->cfg = *cfg;
    if (l->cfg.max_pending == 0 || l->cfg.backoff_min_ms == 0 ||
        l->cfg.backoff_max_ms < l->cfg.backoff_min_ms) {
        set_why(why, cap, "max_pending and backoff_min_ms must be > 0, backoff_max >= min");
        return -1;
    }
    if (redis_link_url_parse(cfg->url, &l->url, why, cap) != 0)
        return -1;
    if (!l->url.is_unix && resolve_host(l, why, cap) != 0)
        return -1;
    bool oom = false;
    l->url_copy = copy_or_null(cfg->url, &oom);
    l->password_copy = copy_or_null(cfg->password, &oom);
    l->channel_copy = copy_or_null(cfg->subscribe_channel, &oom);
    l->cfg.url = l->url_copy;
    l->cfg.password = l->password_copy;
    l->cfg.subscribe_channel = l->channel_copy;
    l->password = l->password_copy != NULL ? l->password_copy
                                           : (l->url.has_password ? l->url.password : NULL);
    snprintf(l->db_text, sizeof l->db_text, "%u", (unsigned)l->url.db);
    if (l->url.is_unix)
        snprintf(l->target, sizeof l->target, "unix:%s", l->url.path);
    else
        snprintf(l->target, sizeof l->target, "%s%s%s:%u/%u (%s)",
                 strchr(l->url.host, ':') ? "[" : "", l->url.host,
                 strchr(l->url.host, ':') ? "]" : "", (unsigned)l->url.port, (unsigned)l->url.db,
                 l->address);
    for (int i = 0; i < 2; i++) {
        l->conns[i] = (redis_link_conn){.link = l, .fd = -1, .is_sub = i == 1};
        uint32_t slots =
            i == 0 ? l->cfg.max_pending + REDIS_LINK_HANDSHAKE_SLOTS : REDIS_LINK_HANDSHAKE_SLOTS;
        if (redis_link_ring_init(&l->conns[i].ring, slots) != 0)
            oom = true;
    }
    if (oom) {
        set_why(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

static void link_free(redis_link *l)
{
    for (int i = 0; i < 2; i++)
        redis_link_ring_free(&l->conns[i].ring);
    free(l->url_copy);
    free(l->password_copy);
    free(l->channel_copy);
    free(l);
}

int redis_link_create(const redis_link_config *cfg, uint64_t now_us, redis_link **out, char *why,
                      size_t cap)
{
    *out = NULL;
    redis_link *l = calloc(1, sizeof *l);
    if (l == NULL) {
        set_why(why, cap, "out of memory");
        return -1;
    }
    if (link_init(l, cfg, why, cap) != 0) {
        link_free(l);
        return -1;
    }
    l->now_us = now_us;
    l->state = REDIS_LINK_WAITING;
    l->retry_at_us = now_us;
    link_attempt(l); /* a failure here is reported at the first pass */
    *out = l;
    return 0;
}

void redis_link_destroy(redis_link *l)
{
    if (l == NULL)
        return;
    l->state = REDIS_LINK_WAITING;
    l->failing = false;
    l->stats.up = false;
    redis_link_conn_close(&l->conns[0]);
    redis_link_conn_close(&l->conns[1]);
    link_free(l);
}

/* ---- the loop's view ---- */

int redis_link_pollfds(const redis_link *l, struct pollfd *out, int max)
{
    int n = 0;
    for (int i = 0; i < 2 && n < max; i++) {
        const redis_link_conn *c = &l->conns[i];
        if (c->ac != NULL && c->fd >= 0 && c->want != 0)
            out[n++] = (struct pollfd){.fd = c->fd, .events = c->want};
    }
    return n;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

int redis_link_wait_ms(const redis_link *l, uint64_t now_us, int cap_ms)
{
    if (l->failing || l->report_pending)
        return 0;
    uint64_t deadline = UINT64_MAX;
    if (l->state == REDIS_LINK_WAITING)
        deadline = l->retry_at_us;
    for (int i = 0; i < 2; i++) {
        const redis_link_conn *c = &l->conns[i];
        if (c->ac == NULL)
            continue;
        if (!redis_link_conn_connected(c))
            deadline = min_u64(deadline, c->started_us + l->cfg.connect_timeout_ms * 1000ull + 1);
        const redis_link_entry *e = redis_link_ring_oldest_stamped(&c->ring);
        if (e != NULL)
            deadline = min_u64(deadline, e->send_us + l->cfg.command_timeout_ms * 1000ull + 1);
    }
    if (deadline <= now_us)
        return 0;
    uint64_t ms = (deadline - now_us + 999) / 1000;
    return ms < (uint64_t)cap_ms ? (int)ms : cap_ms;
}

bool redis_link_up(const redis_link *l)
{
    return l->stats.up;
}

int redis_link_command(redis_link *l, redis_link_reply_fn cb, void *privdata, int argc,
                       const char **argv, const size_t *argvlen)
{
    if (argc < 1)
        return -1;
    if (!l->stats.up) {
        l->stats.refused_down++;
        return -1;
    }
    redis_link_conn *c = &l->conns[0];
    if (c->ring.count >= l->cfg.max_pending) {
        l->stats.refused_full++;
        return -1;
    }
    if (!redis_link_conn_send(c, REDIS_LINK_ENTRY_USER, cb, privdata, NULL, argc, argv, argvlen)) {
        l->stats.errors++;
        return -1;
    }
    l->stats.commands++;
    return 0;
}

int redis_link_publish(redis_link *l, const char *channel, const char *payload, size_t len)
{
    const char *argv[] = {"PUBLISH", channel, payload};
    const size_t argvlen[] = {7, strlen(channel), len};
    return redis_link_command(l, NULL, NULL, 3, argv, argvlen);
}

const redis_link_stats *redis_link_get_stats(const redis_link *l)
{
    return &l->stats;
}

const char *redis_link_target(const redis_link *l)
{
    return l->target;
}
