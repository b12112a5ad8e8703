/* What this server writes to the Redis directory and reads from it
 * (docs/CLUSTER.md, "Keys"): its own entry every heartbeat, its lobbies'
 * lines and name claims as they change, and the other servers' entries
 * and lines, read again only when their generation moves. Every command is
 * asynchronous; the replies update the copy in cluster_dir. */
#include "cluster_internal.h"

#include "log.h"

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVERS_SET "lobby:servers"

/* Claims a lobby name key (KEYS[1]) for server ARGV[1] for ARGV[2] ms, or
 * refreshes our own claim; answers the owner either way. Atomic: two
 * servers claiming one name at one instant get one winner. */
static const char CLAIM_LUA[] = "local cur = redis.call('GET', KEYS[1])\n"
                                "if cur == false or cur == ARGV[1] then\n"
                                "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
                                "  return ARGV[1]\n"
                                "end\n"
                                "return cur\n";
/* Frees a name only if we hold it (a claim that expired and was taken by
 * another server is theirs now). */
static const char RELEASE_LUA[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                  "  return redis.call('DEL', KEYS[1])\n"
                                  "end\n"
                                  "return 0\n";

static void name_key(char *out, size_t cap, const char *key, uint8_t key_len)
{
    snprintf(out, cap, "lobby:name:%.*s", (int)key_len, key);
}

static int eval_name(cluster *c, const char *script, const char *key, uint8_t key_len,
                     redis_link_reply_fn cb, void *priv)
{
    char k[CLUSTER_KEY_BYTES], ttl[16];
    name_key(k, sizeof k, key, key_len);
    snprintf(ttl, sizeof ttl, "%u", (unsigned)c->cfg.ttl_ms);
    const char *argv[] = {"EVAL", script, "1", k, c->server_id, ttl};
    return cluster_cmd(c, cb, priv, 6, argv);
}

static bool reply_is(const redisReply *r, const char *s)
{
    return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
           r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;
}

/* ---- this server's lobbies ------------------------------------------------- */

static void *pub_tag(uint32_t slot, uint32_t gen)
{
    return (void *)(uintptr_t)(((uint64_t)gen << 32) | slot);
}

/* Others re-read our lobbies when gen moves; the counts go with it. */
static void bump_gen(cluster *c)
{
    char gen[24], ttl[16], lobbies[16], players[16];
    snprintf(gen, sizeof gen, "%llu", (unsigned long long)++c->gen);
    snprintf(ttl, sizeof ttl, "%u", (unsigned)c->cfg.ttl_ms);
    snprintf(lobbies, sizeof lobbies, "%u", (unsigned)c->stats.local_entries);
    snprintf(players, sizeof players, "%u", (unsigned)server_player_count(c->core));
    const char *hset[] = {"HSET",    c->key_server, "gen",     gen,
                          "lobbies", lobbies,       "players", players};
    const char *expire[] = {"PEXPIRE", c->key_lobbies, ttl};
    const char *expire_server[] = {"PEXPIRE", c->key_server, ttl}; /* never a key without TTL */
    cluster_cmd(c, NULL, NULL, 8, hset);
    cluster_cmd(c, NULL, NULL, 3, expire);
    cluster_cmd(c, NULL, NULL, 3, expire_server);
}

static void remove_line(cluster *c, local_pub *p)
{
    if (p->line_hash == 0)
        return;
    char key[LOBBY_NAME_KEY_BYTES + 1];
    snprintf(key, sizeof key, "%.*s", (int)p->key_len, p->key);
    const char *argv[] = {"HDEL", c->key_lobbies, key};
    cluster_cmd(c, NULL, NULL, 3, argv);
    p->line_hash = 0;
    c->stats.lines_removed++;
    c->stats.local_entries--;
}

static void on_pub_claim(void *user, void *priv, const redisReply *r, uint64_t now_us)
{
    (void)now_us;
    cluster *c = user;
    uint64_t tag = (uint64_t)(uintptr_t)priv;
    uint32_t slot = (uint32_t)tag, gen = (uint32_t)(tag >> 32);
    local_pub *p = slot < c->pub_count ? &c->pubs[slot] : NULL;
    if (p == NULL || !p->open || p->lobby_gen != gen)
        return; /* closed meanwhile: an unrefreshed claim expires by itself */
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        if (p->state == PUB_CLAIMING)
            p->state = PUB_NONE; /* asked again at the next publish */
        return;
    }
    if (reply_is(r, c->server_id)) {
        if (p->state == PUB_CONFLICT)
            log_info("cluster", "lobby %.*s: its name is ours again", (int)p->key_len, p->key);
        p->state = PUB_CLAIMED;
        return;
    }
    if (p->state != PUB_CONFLICT) {
        c->stats.conflicts++;
        log_warn("cluster",
                 "lobby %.*s: server %.*s holds this name in the directory; the lobby stays "
                 "open here but is listed nowhere else",
                 (int)p->key_len, p->key, (int)r->len, r->str);
    }
    p->state = PUB_CONFLICT;
    remove_line(c, p);
}

static void unpublish(cluster *c, local_pub *p)
{
    if (p->state == PUB_CLAIMED) {
        remove_line(c, p);
        eval_name(c, RELEASE_LUA, p->key, p->key_len, NULL, NULL);
    }
    memset(p, 0, sizeof *p);
}

static uint64_t hash_line(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h | 1; /* never 0: 0 means nothing written */
}

/* Writes the line of a claimed lobby when it changed; true when written. */
static bool write_line(cluster *c, uint32_t slot, local_pub *p)
{
    proto_lobby_entry e;
    char line[CLUSTER_LINE_BYTES], key[LOBBY_NAME_KEY_BYTES + 1];
    if (!server_lobby_entry(c->core, (int)slot, &e))
        return false;
    int n = cluster_dir_format_line(&e, line, sizeof line);
    uint64_t h = n > 0 ? hash_line(line, (size_t)n) : 0;
    if (n <= 0 || h == p->line_hash)
        return false;
    snprintf(key, sizeof key, "%.*s", (int)p->key_len, p->key);
    const char *argv[] = {"HSET", c->key_lobbies, key, line};
    if (cluster_cmd(c, NULL, NULL, 4, argv) != 0)
        return false;
    if (p->line_hash == 0)
        c->stats.local_entries++;
    p->line_hash = h;
    c->stats.lines_written++;
    return true;
}

static void publish(cluster *c)
{
    const lobby_set *set = server_lobbies(c->core);
    bool changed = false;
    for (uint32_t i = 0; i < c->pub_count; i++) {
        const lobby *l = &set->lobbies[i];
        local_pub *p = &c->pubs[i];
        bool open = l->in_use && !l->server_owned; /* every server has its own `main` */
        if (p->open && (!open || l->gen != p->lobby_gen)) {
            changed |= p->line_hash != 0;
            unpublish(c, p);
        }
        if (!open)
            continue;
        if (!p->open) {
            p->open = true;
            p->lobby_gen = l->gen;
            p->key_len = l->key_len;
            memcpy(p->key, l->key, l->key_len);
        }
        if (p->state == PUB_NONE) {
            if (eval_name(c, CLAIM_LUA, p->key, p->key_len, on_pub_claim, pub_tag(i, l->gen)) == 0) {
                p->state = PUB_CLAIMING;
                c->stats.claims_sent++;
            }
        } else if (p->state == PUB_CLAIMED) {
            changed |= write_line(c, i, p);
        }
    }
    if (changed)
        bump_gen(c);
}

/* ---- the server's own entry ------------------------------------------------- */

static void on_registered(void *user, void *priv, const redisReply *r, uint64_t now_us)
{
    (void)priv, (void)now_us;
    cluster *c = user;
    if (r != NULL && r->type == REDIS_REPLY_NIL && !c->stats.drained) {
        log_warn("cluster", "this server's entry is gone from redis (restarted or flushed?): "
                            "registering everything again");
        c->must_register = true;
    }
}

/* check: ask whether our entry is still there (not right after writing it). */
static void heartbeat(cluster *c, bool check)
{
    char udp[SERVER_HOST_MAX_BYTES + 8], players[16], lobbies[16], free_seats[16], gen[24], ttl[16],
        proto[8];
    uint32_t n = server_player_count(c->core);
    snprintf(udp, sizeof udp, "%s:%u", c->public_host, (unsigned)c->cfg.public_port);
    snprintf(players, sizeof players, "%u", (unsigned)n);
    snprintf(lobbies, sizeof lobbies, "%u", (unsigned)c->stats.local_entries);
    snprintf(free_seats, sizeof free_seats, "%u",
             (unsigned)(n < c->cfg.max_players ? c->cfg.max_players - n : 0));
    snprintf(gen, sizeof gen, "%llu", (unsigned long long)c->gen);
    snprintf(ttl, sizeof ttl, "%u", (unsigned)c->cfg.ttl_ms);
    snprintf(proto, sizeof proto, "%d", PROTO_VERSION);
    const char *check_argv[] = {"HGET", c->key_server, "id"};
    const char *hset[] = {"HSET",     c->key_server,
                          "id",       c->server_id,
                          "udp",      udp,
                          "text",     c->text_addr,
                          "players",  players,
                          "lobbies",  lobbies,
                          "free",     free_seats,
                          "proto",    proto,
                          "draining", c->stats.draining ? "1" : "0",
                          "gen",      gen};
    const char *expire_server[] = {"PEXPIRE", c->key_server, ttl};
    const char *expire_lobbies[] = {"PEXPIRE", c->key_lobbies, ttl};
    const char *add[] = {"SADD", SERVERS_SET, c->server_id};
    if (check)
        cluster_cmd(c, on_registered, NULL, 3, check_argv);
    cluster_cmd(c, NULL, NULL, 20, hset);
    cluster_cmd(c, NULL, NULL, 3, expire_server);
    cluster_cmd(c, NULL, NULL, 3, expire_lobbies);
    cluster_cmd(c, NULL, NULL, 3, add);
    /* Claims live as long as the server's entry, refreshed with it; a lost
     * name is asked for again, so it comes back once its holder lets go. */
    for (uint32_t i = 0; i < c->pub_count; i++) {
        local_pub *p = &c->pubs[i];
        if (p->state == PUB_CLAIMED || p->state == PUB_CONFLICT) {
            eval_name(c, CLAIM_LUA, p->key, p->key_len, on_pub_claim, pub_tag(i, p->lobby_gen));
            c->stats.claims_sent++;
        }
    }
}

/* Everything written again from nothing: at start, after a reconnect, and
 * when Redis lost our entry. */
static void register_all(cluster *c)
{
    const char *del[] = {"DEL", c->key_lobbies};
    cluster_cmd(c, NULL, NULL, 2, del);
    for (uint32_t i = 0; i < c->pub_count; i++) {
        c->pubs[i].state = PUB_NONE;
        c->pubs[i].line_hash = 0;
    }
    c->stats.local_entries = 0;
    c->gen++;
    c->must_register = false;
    c->stats.registrations++;
    heartbeat(c, false);
    publish(c);
}

void cluster_sync_remove_all(cluster *c)
{
    for (uint32_t i = 0; i < c->pub_count; i++)
        if (c->pubs[i].state == PUB_CLAIMED)
            eval_name(c, RELEASE_LUA, c->pubs[i].key, c->pubs[i].key_len, NULL, NULL);
    const char *del_lobbies[] = {"DEL", c->key_lobbies};
    const char *del_server[] = {"DEL", c->key_server};
    const char *rem[] = {"SREM", SERVERS_SET, c->server_id};
    cluster_cmd(c, NULL, NULL, 2, del_lobbies);
    cluster_cmd(c, NULL, NULL, 2, del_server);
    cluster_cmd(c, NULL, NULL, 3, rem);
    memset(c->pubs, 0, c->pub_count * sizeof *c->pubs);
    c->stats.local_entries = 0;
}

/* ---- the other servers ------------------------------------------------------ */

typedef struct read_tag {
    uint64_t gen;
    char id[SERVER_ID_MAX_BYTES + 1];
} read_tag;

static read_tag *new_tag(const char *id, size_t len, uint64_t gen)
{
    read_tag *t = malloc(sizeof *t);
    if (t != NULL) {
        snprintf(t->id, sizeof t->id, "%.*s", (int)len, id);
        t->gen = gen;
    }
    return t;
}

static int find_server(const cluster_dir *d, const char *id)
{
    for (int i = 0; i < CLUSTER_MAX_SERVERS; i++)
        if (d->servers[i].in_use && strcmp(d->servers[i].where.id, id) == 0)
            return i;
    return -1;
}

static void on_lobbies(void *user, void *priv, const redisReply *r, uint64_t now_us)
{
    (void)now_us;
    cluster *c = user;
    read_tag *t = priv;
    int s = find_server(&c->dir, t->id);
    if (s >= 0 && r != NULL && r->type == REDIS_REPLY_ARRAY) {
        size_t n = r->elements / 2;
        const char **keys = calloc(n + 1, sizeof *keys), **lines = calloc(n + 1, sizeof *lines);
        size_t *key_lens = calloc(n + 1, sizeof *key_lens),
               *line_lens = calloc(n + 1, sizeof *line_lens);
        if (keys && lines && key_lens && line_lens) {
            for (size_t i = 0; i < n; i++) {
                keys[i] = r->element[2 * i]->str, key_lens[i] = r->element[2 * i]->len;
                lines[i] = r->element[2 * i + 1]->str, line_lens[i] = r->element[2 * i + 1]->len;
            }
            unsigned bad = 0;
            cluster_dir_set_lobbies(&c->dir, s, keys, key_lens, lines, line_lens, n, &bad);
            c->dir.servers[s].have_gen = t->gen;
            c->stats.bad_lines += bad;
            if (bad > 0)
                log_warn("cluster", "server %s: skipped %u lobby entries that break the format",
                         t->id, bad);
        }
        free(keys), free(lines), free(key_lens), free(line_lens);
    }
    free(t);
}

static unsigned long long field_number(const redisReply *v)
{
    return v->type == REDIS_REPLY_STRING ? strtoull(v->str, NULL, 10) : 0;
}

/* Fills a server's entry from its hash (field, value, ...). */
static void apply_server(cluster_server_entry *e, const redisReply *r)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(f->str, "udp") == 0) {
            const char *colon = strrchr(v->str, ':');
            size_t host_len = colon ? (size_t)(colon - v->str) : 0;
            snprintf(e->where.host, sizeof e->where.host, "%.*s", (int)host_len, v->str);
            e->where.port = colon ? (uint16_t)strtoul(colon + 1, NULL, 10) : 0;
        } else if (strcmp(f->str, "text") == 0) {
            snprintf(e->where.text_addr, sizeof e->where.text_addr, "%s", v->str);
        } else if (strcmp(f->str, "players") == 0) {
            e->players = (uint32_t)field_number(v);
        } else if (strcmp(f->str, "lobbies") == 0) {
            e->lobbies = (uint32_t)field_number(v);
        } else if (strcmp(f->str, "free") == 0) {
            e->free_seats = (uint32_t)field_number(v);
        } else if (strcmp(f->str, "proto") == 0) {
            e->proto = (uint32_t)field_number(v);
        } else if (strcmp(f->str, "draining") == 0) {
            e->draining = strcmp(v->str, "1") == 0;
        } else if (strcmp(f->str, "gen") == 0) {
            e->gen = field_number(v);
        }
    }
}

static void on_server(void *user, void *priv, const redisReply *r, uint64_t now_us)
{
    cluster *c = user;
    read_tag *t = priv;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        free(t);
        return;
    }
    int s = find_server(&c->dir, t->id);
    if (r->elements == 0) { /* expired: dead, or cut off from Redis for the TTL */
        if (s >= 0) {
            cluster_dir_drop_server(&c->dir, s);
            c->stats.servers_dropped++;
        }
        const char *rem[] = {"SREM", SERVERS_SET, t->id};
        cluster_cmd(c, NULL, NULL, 3, rem);
        free(t);
        return;
    }
    s = s >= 0 ? s : cluster_dir_server(&c->dir, t->id);
    if (s < 0) {
        free(t);
        return;
    }
    cluster_server_entry *e = &c->dir.servers[s];
    apply_server(e, r);
    e->seen_us = now_us;
    if (e->gen == e->have_gen || e->where.port == 0) {
        free(t);
        return;
    }
    char key[CLUSTER_KEY_BYTES];
    snprintf(key, sizeof key, "lobby:server:%s:lobbies", t->id);
    t->gen = e->gen;
    const char *argv[] = {"HGETALL", key};
    if (cluster_cmd(c, on_lobbies, t, 2, argv) != 0)
        free(t);
}

/* A server that left the set (drained, or shut down) is gone now, not when
 * its entry would have aged out of the copy. */
static void drop_unlisted(cluster *c, const redisReply *members)
{
    for (int s = 0; s < CLUSTER_MAX_SERVERS; s++) {
        if (!c->dir.servers[s].in_use)
            continue;
        bool listed = false;
        for (size_t i = 0; i < members->elements && !listed; i++)
            listed = members->element[i]->type == REDIS_REPLY_STRING &&
                     strcmp(members->element[i]->str, c->dir.servers[s].where.id) == 0;
        if (!listed) {
            cluster_dir_drop_server(&c->dir, s);
            c->stats.servers_dropped++;
        }
    }
}

static void on_members(void *user, void *priv, const redisReply *r, uint64_t now_us)
{
    (void)priv;
    cluster *c = user;
    c->read_in_flight = false;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return;
    c->stats.reads++;
    c->stats.last_read_us = now_us;
    drop_unlisted(c, r);
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *id = r->element[i];
        if (id->type != REDIS_REPLY_STRING || id->len == 0 || id->len > SERVER_ID_MAX_BYTES ||
            strcmp(id->str, c->server_id) == 0)
            continue;
        read_tag *t = new_tag(id->str, id->len, 0);
        char key[CLUSTER_KEY_BYTES];
        snprintf(key, sizeof key, "lobby:server:%s", t ? t->id : "");
        const char *argv[] = {"HGETALL", key};
        if (t != NULL && cluster_cmd(c, on_server, t, 2, argv) != 0)
            free(t);
    }
}

static void read_directory(cluster *c)
{
    const char *argv[] = {"SMEMBERS", SERVERS_SET};
    if (cluster_cmd(c, on_members, NULL, 2, argv) == 0)
        c->read_in_flight = true;
}

/* ---- claims for the core ---------------------------------------------------- */

static void on_core_claim(void *user, void *priv, const redisReply *r, uint64_t now_us)
{
    cluster *c = user;
    uint32_t claim_id = (uint32_t)(uintptr_t)priv;
    if (r == NULL || r->type != REDIS_REPLY_STRING)
        return; /* the core stops waiting after SERVER_CLAIM_WAIT_US */
    bool won = reply_is(r, c->server_id);
    char owner[SERVER_ID_MAX_BYTES + 1];
    snprintf(owner, sizeof owner, "%.*s", (int)r->len, r->str);
    int s = won ? -1 : find_server(&c->dir, owner);
    server_on_claim(c->core, claim_id, won, proto_str_from_cstr(owner),
                    s >= 0 ? &c->dir.servers[s].where : NULL, now_us);
}

bool cluster_sync_claim_for_core(cluster *c, proto_str name, uint32_t claim_id)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (!redis_link_up(c->link) || c->must_register || !lobby_name_key(name, key, &key_len))
        return false;
    c->stats.claims_sent++;
    return eval_name(c, CLAIM_LUA, key, key_len, on_core_claim, (void *)(uintptr_t)claim_id) == 0;
}

/* ---- timers ----------------------------------------------------------------- */

/* Draining and nothing left to host (the default lobby empty): leave. */
static void maybe_drained(cluster *c)
{
    const lobby_set *set = server_lobbies(c->core);
    for (uint32_t i = 0; i < set->max_lobbies; i++)
        if (set->lobbies[i].in_use && (!set->lobbies[i].server_owned || set->lobbies[i].count > 0))
            return;
    cluster_sync_remove_all(c);
    c->stats.drained = true;
    log_info("cluster", "drained: the last lobby has closed; left the directory");
}

void cluster_sync_link_up(cluster *c, uint64_t now_us)
{
    (void)now_us;
    c->must_register = !c->stats.drained;
    c->read_in_flight = false;
    c->next_heartbeat_us = c->next_publish_us = c->next_read_us = 0;
}

void cluster_sync_timers(cluster *c, uint64_t now_us)
{
    if (!redis_link_up(c->link))
        return;
    if (!c->stats.drained) {
        if (c->must_register) {
            register_all(c);
            c->next_heartbeat_us = now_us + (uint64_t)c->cfg.heartbeat_ms * 1000u;
            c->next_publish_us = now_us + (uint64_t)c->cfg.publish_ms * 1000u;
        }
        if (now_us >= c->next_heartbeat_us) {
            heartbeat(c, true);
            c->next_heartbeat_us = now_us + (uint64_t)c->cfg.heartbeat_ms * 1000u;
        }
        if (now_us >= c->next_publish_us) {
            publish(c);
            c->next_publish_us = now_us + (uint64_t)c->cfg.publish_ms * 1000u;
        }
        /* After the heartbeat that said "draining" (cluster_drain asks for
         * one at once), so the others stop placing here before we go. */
        if (c->stats.draining)
            maybe_drained(c);
    }
    if (now_us >= c->next_read_us && !c->read_in_flight) {
        read_directory(c);
        c->next_read_us = now_us + (uint64_t)c->cfg.read_ms * 1000u;
    }
}
