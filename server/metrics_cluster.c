/* The cluster's figures for /metrics, /lobbies and /healthz (metrics.h). */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

static void family(metrics_buf *b, const char *name, const char *type, const char *help)
{
    metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(metrics_buf *b, const char *name, const char *type, const char *help, double value)
{
    family(b, name, type, help);
    metrics_buf_printf(b, "%s %.17g\n", name, value);
}

static void core_counters(metrics_buf *b, const server_stats *st)
{
    static const char *const requests[3] = {"hello", "create_lobby", "join_lobby"};
    static const char *const reasons[3] = {"invalid", "expired", "used"};
    family(b, "lobby_cluster_redirects_sent_total", "counter",
           "REDIRECTs sent: the lobby is, or is placed, on another server");
    for (int i = 0; i < 3; i++)
        metrics_buf_printf(b, "lobby_cluster_redirects_sent_total{request=\"%s\"} %llu\n",
                           requests[i], (unsigned long long)st->redirects_sent[i]);
    one(b, "lobby_cluster_redirects_honoured_total", "counter",
        "players who came with a valid ticket and got into its lobby",
        (double)st->redirects_honoured);
    family(b, "lobby_cluster_tickets_refused_total", "counter",
           "HELLOs refused for their ticket, by reason");
    for (int i = 0; i < 3; i++)
        metrics_buf_printf(b, "lobby_cluster_tickets_refused_total{reason=\"%s\"} %llu\n",
                           reasons[i], (unsigned long long)st->tickets_refused[i]);
    one(b, "lobby_cluster_tickets_expired_total", "counter",
        "seats held for a redirected player who never came, freed at the ticket's expiry",
        (double)st->tickets_expired);
    one(b, "lobby_cluster_seats_held_total", "counter",
        "seats held here for players another server redirected",
        (double)st->seats_held_for_tickets);
    family(b, "lobby_cluster_claims_total", "counter",
           "name claims of new lobbies answered by the directory, by result");
    metrics_buf_printf(b, "lobby_cluster_claims_total{result=\"won\"} %llu\n",
                       (unsigned long long)st->claims_won);
    metrics_buf_printf(b, "lobby_cluster_claims_total{result=\"lost\"} %llu\n",
                       (unsigned long long)st->claims_lost);
    metrics_buf_printf(b, "lobby_cluster_claims_total{result=\"unanswered\"} %llu\n",
                       (unsigned long long)st->claims_unanswered);
}

static void directory(metrics_buf *b, const cluster *c, uint64_t now_us)
{
    const cluster_stats *cs = cluster_get_stats(c);
    const redis_link_stats *ls = cluster_link_stats(c);
    one(b, "lobby_cluster_redis_up", "gauge", "1 while the Redis link is up", ls->up ? 1 : 0);
    one(b, "lobby_cluster_servers_seen", "gauge",
        "other servers in this server's copy of the directory", cs->servers_seen);
    family(b, "lobby_cluster_directory_entries", "gauge", "lobby entries in the directory");
    metrics_buf_printf(b, "lobby_cluster_directory_entries{server=\"others\"} %u\n",
                       (unsigned)cs->remote_lobbies);
    metrics_buf_printf(b, "lobby_cluster_directory_entries{server=\"this\"} %u\n",
                       (unsigned)cs->local_entries);
    double lag = cs->last_read_us == 0 ? -1.0 : (double)(now_us - cs->last_read_us) / 1e6;
    one(b, "lobby_cluster_directory_lag_seconds", "gauge",
        "age of the last complete read of the directory (-1: never read)", lag);
    one(b, "lobby_cluster_redis_errors_total", "counter",
        "Redis commands that failed or were answered with an error", (double)ls->errors);
    one(b, "lobby_cluster_redis_reconnects_total", "counter",
        "times the Redis link came back after being down", (double)ls->reconnects);
    one(b, "lobby_cluster_redis_timeouts_total", "counter",
        "times the Redis link was taken down for a reply that did not come", (double)ls->timeouts);
    one(b, "lobby_cluster_redis_pending", "gauge", "Redis commands in flight", ls->pending);
    one(b, "lobby_cluster_registrations_total", "counter",
        "full registrations: at start, after a reconnect, when Redis lost our entry",
        (double)cs->registrations);
    one(b, "lobby_cluster_name_conflicts_total", "counter",
        "lobbies open here whose name another server holds in the directory",
        (double)cs->conflicts);
    one(b, "lobby_cluster_draining", "gauge", "1 while the server drains", cs->draining ? 1 : 0);
}

void metrics_render_cluster_prometheus(const cluster *c, const server_stats *st, uint64_t now_us,
                                       metrics_buf *out)
{
    core_counters(out, st);
    if (c != NULL)
        directory(out, c, now_us);
}

static void json_server(metrics_buf *b, const cluster_server_entry *s, uint64_t now_us)
{
    metrics_buf_append(b, "{\"id\":", 6);
    metrics_json_string(b, s->where.id, strlen(s->where.id));
    metrics_buf_printf(b, ",\"udp\":\"%s:%u\",\"text\":", s->where.host, (unsigned)s->where.port);
    metrics_json_string(b, s->where.text_addr, strlen(s->where.text_addr));
    metrics_buf_printf(b,
                       ",\"players\":%u,\"lobbies\":%u,\"free\":%u,\"draining\":%s,"
                       "\"age_ms\":%llu}",
                       (unsigned)s->players, (unsigned)s->lobbies, (unsigned)s->free_seats,
                       s->draining ? "true" : "false",
                       (unsigned long long)((now_us - s->seen_us) / 1000u));
}

static void json_lobby(metrics_buf *b, const cluster_dir *d, const cluster_lobby_entry *e)
{
    metrics_buf_append(b, "{\"name\":", 8);
    metrics_json_string(b, e->name, e->name_len);
    const char *id = d->servers[e->server].where.id;
    metrics_buf_append(b, ",\"server\":", 10);
    metrics_json_string(b, id, strlen(id));
    static const char *const STATES[] = {"?", "open", "starting", "in_game"};
    metrics_buf_printf(
        b, ",\"players\":%u,\"capacity\":%u,\"password\":%s,\"state\":\"%s\",\"owner\":",
        (unsigned)e->players, (unsigned)e->capacity,
        (e->flags & PROTO_LOBBYF_PASSWORD) ? "true" : "false",
        STATES[e->state <= PROTO_LOBBY_STATE_MAX ? e->state : 0]);
    metrics_json_string(b, e->owner, e->owner_len);
    metrics_buf_printf(b, ",\"median_rtt_ms\":%u,\"max_rtt_ms\":%u}", (unsigned)e->median_rtt_ms,
                       (unsigned)e->max_rtt_ms);
}

void metrics_render_cluster_json(const cluster *c, uint64_t now_us, metrics_buf *out)
{
    const cluster_dir *d = cluster_directory(c);
    metrics_buf_append(out, "\"cluster\":{\"server_id\":", 23);
    const char *id = cluster_server_id(c);
    metrics_json_string(out, id, strlen(id));
    metrics_buf_printf(out, ",\"redis\":\"%s\",\"draining\":%s,\"servers\":[",
                       cluster_link_stats(c)->up ? "up" : "down",
                       cluster_get_stats(c)->draining ? "true" : "false");
    bool first = true;
    for (int i = 0; i < CLUSTER_MAX_SERVERS; i++) {
        if (!d->servers[i].in_use)
            continue;
        if (!first)
            metrics_buf_append(out, ",", 1);
        first = false;
        json_server(out, &d->servers[i], now_us);
    }
    metrics_buf_append(out, "],\"lobbies\":[", 13);
    for (size_t i = 0; i < d->count; i++) {
        if (i > 0)
            metrics_buf_append(out, ",", 1);
        json_lobby(out, d, &d->lobbies[i]);
    }
    metrics_buf_append(out, "]}", 2);
}

void metrics_render_cluster_health(const cluster *c, uint64_t now_us, metrics_buf *out)
{
    const redis_link_stats *ls = cluster_link_stats(c);
    const cluster_stats *cs = cluster_get_stats(c);
    if (ls->up)
        metrics_buf_printf(
            out,
            "ok\ncluster: redis up, %u other servers, directory read %llu ms "
            "ago%s\n",
            (unsigned)cs->servers_seen,
            cs->last_read_us ? (unsigned long long)((now_us - cs->last_read_us) / 1000u) : 0ull,
            cs->draining ? ", draining" : "");
    else
        metrics_buf_printf(out,
                           "ok\ncluster: redis down (%s); serving this server's lobbies, "
                           "retrying every %u ms at most%s\n",
                           ls->last_error[0] ? ls->last_error : "not connected yet",
                           (unsigned)ls->retry_delay_ms, cs->draining ? ", draining" : "");
}
