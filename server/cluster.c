/* Cluster membership: lifecycle, the core's hooks and seat holds
 * (cluster.h). What goes to and comes from Redis is in cluster_sync.c. */
#include "cluster_internal.h"

#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)CLUSTER_SECRET_MIN_BYTES == (int)CLUSTER_TICKETS_MIN_SECRET_BYTES,
               "one minimum for the cluster secret");

void cluster_config_defaults(cluster_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->text_addr = "";
    cfg->placement = CLUSTER_PLACE_LOCAL;
    cfg->heartbeat_ms = 1000;
    cfg->ttl_ms = 2500;
    cfg->read_ms = 250;
    cfg->publish_ms = 200;
    cfg->ticket_ms = 5000;
}

int cluster_cmd(cluster *c, redis_link_reply_fn cb, void *priv, int argc, const char **argv)
{
    size_t lens[24];
    if (argc > 24)
        return -1;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return redis_link_command(c->link, cb, priv, argc, argv, lens);
}

/* ---- the core's hooks ------------------------------------------------------- */

static bool hook_find(void *user, proto_str name, server_remote *where)
{
    cluster *c = user;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (!lobby_name_key(name, key, &key_len))
        return false;
    int i = cluster_dir_find(&c->dir, key, key_len);
    if (i < 0)
        return false;
    *where = c->dir.servers[c->dir.lobbies[i].server].where;
    return true;
}

/* A server that may take a new lobby: heard from within the TTL (the copy
 * drops the others), not draining, with a free seat, speaking our version. */
static bool can_take(const cluster_server_entry *s)
{
    return s->in_use && !s->draining && s->free_seats > 0 && s->proto == PROTO_VERSION;
}

static bool hook_place(void *user, bool avoid_self, server_remote *where)
{
    cluster *c = user;
    if (c->cfg.placement == CLUSTER_PLACE_LOCAL && !avoid_self)
        return false;
    /* Fewest players wins; among equals each is picked with equal chance
     * (reservoir sampling), this server included unless it drains. */
    uint32_t best = avoid_self ? UINT32_MAX : server_player_count(c->core);
    unsigned ties = avoid_self ? 0 : 1;
    int pick = -1;
    for (int i = 0; i < CLUSTER_MAX_SERVERS; i++) {
        const cluster_server_entry *s = &c->dir.servers[i];
        if (!can_take(s) || s->players > best)
            continue;
        ties = s->players < best ? 1 : ties + 1;
        best = s->players;
        if (randombytes_uniform(ties) == 0)
            pick = i;
    }
    if (pick < 0)
        return false;
    *where = c->dir.servers[pick].where;
    return true;
}

static int hook_issue(void *user, const server_remote *where, const server_ticket_ask *what,
                      uint8_t kind, uint64_t holder, uint8_t *out, size_t cap)
{
    cluster *c = user;
    uint64_t expires = c->unix_ms + c->cfg.ticket_ms;
    int n = cluster_tickets_issue(c->tickets, kind, what->lobby, what->player, where->id, expires,
                                  out, cap);
    if (n > 0 && kind == SERVER_TICKET_JOIN) {
        /* The host holds the seat from when this arrives: well before the
         * player, who needs a cookie round trip and a handshake first. */
        char channel[CLUSTER_KEY_BYTES], hold[200];
        snprintf(channel, sizeof channel, "lobby:to:%s", where->id);
        int len = snprintf(hold, sizeof hold, "hold\t%.*s\t%.*s\t%u\t%llu", (int)what->lobby.len,
                           what->lobby.bytes, (int)what->player.len, what->player.bytes,
                           (unsigned)c->cfg.ticket_ms, (unsigned long long)holder);
        redis_link_publish(c->link, channel, hold, (size_t)len);
    }
    return n;
}

static int hook_check(void *user, proto_str ticket, const server_ticket_ask *ask,
                      server_ticket_info *info, char *why, size_t cap)
{
    cluster *c = user;
    return cluster_tickets_check(c->tickets, (const uint8_t *)ticket.bytes, ticket.len, ask,
                                 c->unix_ms, info, why, cap);
}

static bool hook_claim(void *user, proto_str name, uint32_t claim_id)
{
    return cluster_sync_claim_for_core(user, name, claim_id);
}

static void hook_each_remote(void *user,
                             bool (*fn)(void *ctx, const proto_lobby_entry *e, proto_str key),
                             void *ctx)
{
    cluster *c = user;
    proto_lobby_entry row;
    for (size_t i = 0; i < c->dir.count; i++) {
        const cluster_lobby_entry *e = &c->dir.lobbies[i];
        cluster_dir_row(e, &row);
        if (!fn(ctx, &row, (proto_str){e->key, e->key_len}))
            return;
    }
}

/* ---- seat holds: "hold\tLOBBY\tPLAYER\tMS\tHOLDER" on lobby:to:ID --------- */

typedef struct hold_msg {
    proto_str lobby, player;
    unsigned long long ms, holder;
} hold_msg;

/* A decimal field of at most 20 digits. */
static bool number(const char *f, size_t n, unsigned long long *out)
{
    *out = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (f[i] < '0' || f[i] > '9' || *out > (UINT64_MAX - 9) / 10)
            return false;
        *out = *out * 10 + (unsigned)(f[i] - '0');
    }
    return true;
}

static bool parse_hold(const char *p, size_t len, hold_msg *h)
{
    const char *end = p + len, *f[5];
    size_t n[5];
    for (int i = 0; i < 5; i++) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        if (i < 4 && tab == NULL)
            return false;
        f[i] = p;
        n[i] = (size_t)((i < 4 ? tab : end) - p);
        p = f[i] + n[i] + 1;
    }
    h->lobby = (proto_str){f[1], n[1]};
    h->player = (proto_str){f[2], n[2]};
    return n[0] == 4 && memcmp(f[0], "hold", 4) == 0 && number(f[3], n[3], &h->ms) &&
           h->ms <= 60000 && number(f[4], n[4], &h->holder) && memchr(f[4], '\t', n[4]) == NULL;
}

static void on_message(void *user, const char *payload, size_t len, uint64_t now_us)
{
    cluster *c = user;
    hold_msg h;
    if (!parse_hold(payload, len, &h)) {
        log_warn("cluster", "ignored a malformed message on %s (%zu bytes)", c->channel, len);
        return;
    }
    c->stats.holds_received++;
    if (!server_hold_seat(c->core, h.lobby, h.player, h.holder, now_us + h.ms * 1000u, now_us)) {
        c->stats.holds_refused++;
        log_info("cluster",
                 "no seat held in lobby=%.*s for player=%.*s: not open here, full, or its "
                 "holder has its share",
                 (int)h.lobby.len, h.lobby.bytes, (int)h.player.len, h.player.bytes);
    }
}

static void on_state(void *user, bool up, const char *why, uint64_t now_us)
{
    cluster *c = user;
    if (up) {
        log_info("cluster", "redis is up: registering as %s", c->server_id);
        cluster_sync_link_up(c, now_us);
    } else {
        log_warn("cluster", "redis is down (%s): serving this server's lobbies, retrying", why);
    }
}

/* ---- lifecycle -------------------------------------------------------------- */

static int start_link(cluster *c, uint64_t now_us, char *why, size_t cap)
{
    redis_link_config lc;
    redis_link_config_defaults(&lc);
    lc.url = c->cfg.url;
    lc.password = c->cfg.password;
    /* Back within the directory's 2 s of a Redis restart (docs/CLUSTER.md). */
    lc.backoff_max_ms = 1000;
    lc.subscribe_channel = c->channel;
    lc.on_message = on_message;
    lc.on_state = on_state;
    lc.user = c;
    return redis_link_create(&lc, now_us, &c->link, why, cap);
}

static int init(cluster *c, const cluster_config *cfg, server *core, char *why, size_t cap)
{
    c->cfg = *cfg;
    c->core = core;
    snprintf(c->server_id, sizeof c->server_id, "%s", cfg->server_id);
    snprintf(c->public_host, sizeof c->public_host, "%s", cfg->public_host);
    snprintf(c->text_addr, sizeof c->text_addr, "%s", cfg->text_addr ? cfg->text_addr : "");
    c->cfg.server_id = c->server_id;
    c->cfg.public_host = c->public_host;
    c->cfg.text_addr = c->text_addr;
    snprintf(c->key_server, sizeof c->key_server, "lobby:server:%s", c->server_id);
    snprintf(c->key_lobbies, sizeof c->key_lobbies, "lobby:server:%s:lobbies", c->server_id);
    snprintf(c->channel, sizeof c->channel, "lobby:to:%s", c->server_id);
    cluster_dir_init(&c->dir);
    c->pub_count = server_lobbies(core)->max_lobbies;
    c->pubs = calloc(c->pub_count, sizeof *c->pubs);
    c->tickets = malloc(sizeof *c->tickets);
    if (c->pubs == NULL || c->tickets == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    if (cluster_tickets_init(c->tickets, cfg->secret, cfg->secret_len, c->server_id) != 0) {
        snprintf(why, cap, "the cluster secret must be at least %d bytes",
                 CLUSTER_SECRET_MIN_BYTES);
        return -1;
    }
    return 0;
}

int cluster_create(const cluster_config *cfg, server *core, uint64_t now_us, cluster **out,
                   char *why, size_t cap)
{
    cluster *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    if (init(c, cfg, core, why, cap) != 0 || start_link(c, now_us, why, cap) != 0) {
        cluster_destroy(c);
        return -1;
    }
    c->now_us = now_us;
    server_cluster_hooks hooks = {.user = c,
                                  .find_lobby = hook_find,
                                  .place_lobby = hook_place,
                                  .issue_ticket = hook_issue,
                                  .check_ticket = hook_check,
                                  .claim_lobby = hook_claim,
                                  .each_remote_lobby = hook_each_remote};
    server_set_cluster(core, &hooks);
    *out = c;
    return 0;
}

void cluster_destroy(cluster *c)
{
    if (c == NULL)
        return;
    if (c->core != NULL)
        server_set_cluster(c->core, NULL);
    redis_link_destroy(c->link);
    cluster_dir_deinit(&c->dir);
    if (c->tickets != NULL)
        sodium_memzero(c->tickets, sizeof *c->tickets);
    free(c->tickets);
    free(c->pubs);
    free(c);
}

int cluster_pollfds(const cluster *c, struct pollfd *out, int max)
{
    return redis_link_pollfds(c->link, out, max);
}

int cluster_wait_ms(const cluster *c, uint64_t now_us, int cap_ms)
{
    int wait = redis_link_wait_ms(c->link, now_us, cap_ms);
    if (!redis_link_up(c->link)) /* the link's own timers: reconnects */
        return wait;
    uint64_t due = c->read_in_flight ? UINT64_MAX : c->next_read_us;
    if (!c->stats.drained) {
        if (c->next_publish_us < due)
            due = c->next_publish_us;
        if (c->next_heartbeat_us < due)
            due = c->next_heartbeat_us;
    }
    int timers = due <= now_us             ? 0
                 : due - now_us > 1000000u ? 1000
                                           : (int)((due - now_us + 999) / 1000);
    return timers < wait ? timers : wait;
}

void cluster_pass(cluster *c, const struct pollfd *fds, int n, uint64_t now_us, uint64_t unix_ms)
{
    c->now_us = now_us;
    c->unix_ms = unix_ms;
    redis_link_pass(c->link, fds, n, now_us);
    cluster_sync_timers(c, now_us);
    /* A walk of the server table: ten times a second, not every pass. */
    if (now_us >= c->next_expire_us) {
        c->next_expire_us = now_us + 100000;
        c->stats.servers_dropped +=
            cluster_dir_expire(&c->dir, now_us, (uint64_t)c->cfg.ttl_ms * 1000u);
        c->stats.servers_seen = cluster_dir_server_count(&c->dir);
    }
    c->stats.remote_lobbies = (uint32_t)c->dir.count;
}

void cluster_drain(cluster *c, uint64_t now_us)
{
    (void)now_us;
    if (c->stats.draining)
        return;
    c->stats.draining = true;
    server_set_draining(c->core, true);
    c->next_heartbeat_us = 0; /* tell the others at once */
    log_info("cluster", "draining: no new lobbies here; leaving the directory when the last "
                        "lobby closes");
}

void cluster_leave(cluster *c)
{
    if (!c->stats.drained)
        cluster_sync_remove_all(c);
    c->stats.drained = true;
}

const cluster_stats *cluster_get_stats(const cluster *c)
{
    return &c->stats;
}

const redis_link_stats *cluster_link_stats(const cluster *c)
{
    return redis_link_get_stats(c->link);
}

const cluster_dir *cluster_directory(const cluster *c)
{
    return &c->dir;
}

const char *cluster_server_id(const cluster *c)
{
    return c->server_id;
}
