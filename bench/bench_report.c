#include "bench_report.h"

#include <math.h>

static const double report_percentiles[] = {50.0, 90.0, 99.0, 99.9};

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static double per_s(uint64_t n, double seconds)
{
    return seconds > 0.0 ? (double)n / seconds : 0.0;
}

/* The server flags behind a REJECT reason a bot can get on joining. */
static const char *reject_hint(uint32_t reason)
{
    switch (reason) {
    case PROTO_REASON_SERVER_FULL:
        return " (lobby-server --max-players)";
    case PROTO_REASON_LOBBY_FULL:
        return " (lobby-server --lobby-capacity, or more lobby-bench --lobbies)";
    case PROTO_REASON_TOO_MANY_LOBBIES:
        return " (lobby-server --max-lobbies, or fewer lobby-bench --lobbies)";
    }
    return "";
}

void report_join_failure(FILE *out, const bench_config *cfg, const bench_results *r)
{
    const bench_join_failures *w = &r->why_not_joined;
    fprintf(out, "lobby-bench: %u of %u bots joined within %.3g s", (unsigned)r->bots_joined,
            (unsigned)cfg->bots, cfg->join_timeout_s);
    if (r->bots_joined == cfg->bots)
        fprintf(out, ", but not all of them saw every member of their lobby");
    /* lobby-server drops a CONNECT past its per-address limits without a
     * word (ENet has no refusal before the handshake): the bots see no
     * answer at all, while others from the same address got one. */
    if (w->unanswered > 0 && w->answered > 0)
        fprintf(out,
                "; %u refused: the server left their connection requests unanswered while it "
                "answered others from this address (its per-address limits: lobby-server "
                "--max-peers-per-ip, --max-half-open-per-ip, --connect-rate/--connect-burst)",
                (unsigned)w->unanswered);
    else if (w->unanswered > 0)
        fprintf(out, "; %u got no answer: cannot reach the server at %s:%u",
                (unsigned)w->unanswered, cfg->host, (unsigned)cfg->port);
    for (uint32_t reason = 1; reason <= PROTO_REASON_MAX; reason++)
        if (w->rejected[reason] > 0)
            fprintf(out, "; %u refused: %s%s", (unsigned)w->rejected[reason],
                    w->reject_text[reason][0] ? w->reject_text[reason] : proto_reason_text(reason),
                    reject_hint(reason));
    if (w->lost > 0)
        fprintf(out, "; %u lost their connection before joining", (unsigned)w->lost);
    if (w->pending > 0)
        fprintf(out, "; %u still joining (more time: --join-timeout)", (unsigned)w->pending);
    if (w->not_started > 0)
        fprintf(out,
                "; %u not started (at most %u bots join at once, and the refused ones held "
                "their places until the end)",
                (unsigned)w->not_started, (unsigned)w->join_window);
    fprintf(out, "\n");
}

void report_table(FILE *out, const bench_config *cfg, const bench_results *r)
{
    fprintf(out,
            "\nlobby-bench: %u bots in %u lobbies, %.1f s, move %.3g Hz, chat %.3g/s per bot\n\n",
            (unsigned)cfg->bots, (unsigned)cfg->lobbies, r->run_s, cfg->move_hz, cfg->chat_per_s);
    fprintf(out, "%-18s %9s %9s %9s %9s %9s %9s\n", "latency (ms)", "count", "p50", "p90", "p99",
            "p99.9", "max");
    for (int m = 0; m < BENCH_MEASURES; m++) {
        const histogram *h = &r->latency[m];
        fprintf(out, "%-18s %9llu", bench_measure_name(m), (unsigned long long)h->total);
        for (size_t i = 0; i < sizeof report_percentiles / sizeof report_percentiles[0]; i++)
            fprintf(out, " %9.3f", ms(histogram_percentile(h, report_percentiles[i])));
        fprintf(out, " %9.3f\n", ms(h->total ? h->max : 0));
    }
    fprintf(out, "\nbots joined        %u of %u\n", (unsigned)r->bots_joined, (unsigned)cfg->bots);
    fprintf(out, "chats              %llu sent, %llu acked, %llu refused, %llu unacked\n",
            (unsigned long long)r->chats_sent, (unsigned long long)r->chats_acked,
            (unsigned long long)r->chats_refused, (unsigned long long)r->chats_unacked);
    fprintf(out, "chat deliveries    %llu (duplicates %llu, out of order %llu)\n",
            (unsigned long long)r->chat_deliveries, (unsigned long long)r->chat_duplicates,
            (unsigned long long)r->chat_out_of_order);
    fprintf(out, "acked chats lost   %llu\n", (unsigned long long)r->acked_chats_lost);
    fprintf(out,
            "positions          %llu sent, %llu of %llu expected received, %llu merged at "
            "the server: %.2f %% lost (duplicates %llu, reordered %llu)\n",
            (unsigned long long)r->positions_sent, (unsigned long long)r->positions_received,
            (unsigned long long)r->positions_expected, (unsigned long long)r->positions_merged,
            bench_position_loss_percent(r), (unsigned long long)r->position_duplicates,
            (unsigned long long)r->position_reordered);
    fprintf(out,
            "traffic (all bots) out %.1f kB/s %.0f datagrams/s, in %.1f kB/s %.0f datagrams/s\n",
            per_s(r->bytes_out, r->run_s) / 1e3, per_s(r->packets_out, r->run_s),
            per_s(r->bytes_in, r->run_s) / 1e3, per_s(r->packets_in, r->run_s));
    fprintf(out, "lobby-bench cpu    %.2f s, %.1f %% of one core (%u ENet hosts, %u bots each)\n",
            r->bench_cpu_s, bench_cpu_percent(r->bench_cpu_s, r), (unsigned)r->hosts,
            (unsigned)cfg->bots_per_host);
    if (cfg->server_pid > 0 && r->server_measured)
        fprintf(out,
                "server (pid %d)  cpu %.2f s, %.1f %% of one core, %.3f us per relayed "
                "position, rss %llu kB at the end\n",
                cfg->server_pid, r->server_cpu_s, bench_cpu_percent(r->server_cpu_s, r),
                bench_server_us_per_position(r), (unsigned long long)r->server_rss_kb);
    else if (cfg->server_pid > 0)
        fprintf(out, "server (pid %d)  could not be measured (/proc/%d unreadable)\n",
                cfg->server_pid, cfg->server_pid);
    if (cfg->reconnect)
        fprintf(out, "reconnections      %llu (%llu took their seat back)\n",
                (unsigned long long)r->reconnections, (unsigned long long)r->resumes);
    if (cfg->server_count > 1 || r->redirects > 0)
        fprintf(out, "redirects          %llu (bots over %u servers, sent to their lobby's)\n",
                (unsigned long long)r->redirects,
                (unsigned)(cfg->server_count > 1 ? cfg->server_count : 1));
    if (r->malformed_bots > 0 || cfg->flooders > 0)
        fprintf(out,
                "misbehaving        %u malformed bots sent %llu malformed messages; %u flooders "
                "sent %llu chats (%llu acked, %llu refused); %u misbehaving bots kicked\n",
                (unsigned)r->malformed_bots, (unsigned long long)r->malformed_sent,
                (unsigned)cfg->flooders, (unsigned long long)r->flood_chats_sent,
                (unsigned long long)r->flood_chats_acked, (unsigned long long)r->flood_refused,
                (unsigned)r->misbehaving_bots_kicked);
}

static void json_measure(FILE *f, const char *name, const histogram *h)
{
    fprintf(f,
            "  \"%s\": {\"count\": %llu, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
            "\"p999_ms\": %.3f, \"max_ms\": %.3f, \"mean_ms\": %.3f},\n",
            name, (unsigned long long)h->total, ms(histogram_percentile(h, 50)),
            ms(histogram_percentile(h, 90)), ms(histogram_percentile(h, 99)),
            ms(histogram_percentile(h, 99.9)), ms(h->total ? h->max : 0),
            histogram_mean(h) / 1000.0);
}

/* Escapes a string for JSON (the texts here are ours, but be safe). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned)(unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_counts(FILE *f, const bench_results *r)
{
    const struct {
        const char *name;
        uint64_t value;
    } counts[] = {
        {"bots_joined", r->bots_joined},
        {"join_failures", r->join_failures},
        {"chats_sent", r->chats_sent},
        {"chats_acked", r->chats_acked},
        {"chats_refused", r->chats_refused},
        {"chats_unacked", r->chats_unacked},
        {"chat_deliveries", r->chat_deliveries},
        {"chat_duplicates", r->chat_duplicates},
        {"chat_out_of_order", r->chat_out_of_order},
        {"acked_chats_lost", r->acked_chats_lost},
        {"positions_sent", r->positions_sent},
        {"positions_expected", r->positions_expected},
        {"positions_received", r->positions_received},
        {"positions_merged", r->positions_merged},
        {"position_duplicates", r->position_duplicates},
        {"position_reordered", r->position_reordered},
        {"bytes_out", r->bytes_out},
        {"bytes_in", r->bytes_in},
        {"packets_out", r->packets_out},
        {"packets_in", r->packets_in},
        {"malformed_bots", r->malformed_bots},
        {"malformed_sent", r->malformed_sent},
        {"flood_chats_sent", r->flood_chats_sent},
        {"flood_chats_acked", r->flood_chats_acked},
        {"flood_refused", r->flood_refused},
        {"misbehaving_bots_kicked", r->misbehaving_bots_kicked},
        {"reconnections", r->reconnections},
        {"resumes", r->resumes},
        {"redirects", r->redirects},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        fprintf(f, "  \"%s\": %llu,\n", counts[i].name, (unsigned long long)counts[i].value);
}

/* "bench_cpu" always; "server" is null without --server-pid or when its
 * /proc entry could not be read. */
static void json_cpu(FILE *f, const bench_config *cfg, const bench_results *r)
{
    fprintf(f, "  \"hosts\": %u,\n", (unsigned)r->hosts);
    fprintf(f, "  \"bench_cpu\": {\"cpu_s\": %.3f, \"cpu_percent\": %.2f},\n", r->bench_cpu_s,
            bench_cpu_percent(r->bench_cpu_s, r));
    if (!r->server_measured) {
        fprintf(f, "  \"server\": null,\n");
        return;
    }
    fprintf(f,
            "  \"server\": {\"pid\": %d, \"cpu_s\": %.3f, \"cpu_percent\": %.2f, \"rss_kb\": %llu, "
            "\"cpu_us_per_position\": %.4f},\n",
            cfg->server_pid, r->server_cpu_s, bench_cpu_percent(r->server_cpu_s, r),
            (unsigned long long)r->server_rss_kb, bench_server_us_per_position(r));
}

/* Every server the bots were spread over, as "HOST:PORT" (the first is
 * config.server and config.port). */
static void json_servers(FILE *f, const bench_config *cfg)
{
    fprintf(f, "  \"servers\": [");
    uint32_t n = cfg->server_count > 1 ? cfg->server_count : 1;
    for (uint32_t i = 0; i < n; i++) {
        char where[300];
        snprintf(where, sizeof where, "%s:%u", n > 1 ? cfg->hosts[i] : cfg->host,
                 (unsigned)(n > 1 ? cfg->ports[i] : cfg->port));
        fputs(i ? ", " : "", f);
        json_string(f, where);
    }
    fprintf(f, "],\n");
}

int report_json(const char *path, const bench_config *cfg, const bench_results *r,
                const bench_verdict *v)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "{\n  \"schema\": \"lobby-bench/1\",\n  \"config\": {\"server\": ");
    json_string(f, cfg->host);
    fprintf(f,
            ", \"port\": %u, \"bots\": %u, \"lobbies\": %u, \"duration_s\": %.3f, "
            "\"move_hz\": %.3f, \"chat_per_s\": %.4f, \"ping_hz\": %.3f, \"seed\": %llu, "
            "\"malformed_percent\": %.3f, \"flooders\": %u, \"flood_per_s\": %.3f, "
            "\"reconnect\": %s, \"bots_per_host\": %u},\n",
            (unsigned)cfg->port, (unsigned)cfg->bots, (unsigned)cfg->lobbies, cfg->duration_s,
            cfg->move_hz, cfg->chat_per_s, cfg->ping_hz, (unsigned long long)cfg->seed,
            cfg->malformed_percent, (unsigned)cfg->flooders, cfg->flood_per_s,
            cfg->reconnect ? "true" : "false", (unsigned)cfg->bots_per_host);
    json_servers(f, cfg);
    fprintf(f, "  \"run_s\": %.3f,\n", r->run_s);
    for (int m = 0; m < BENCH_MEASURES; m++)
        json_measure(f, bench_measure_name(m), &r->latency[m]);
    json_counts(f, r);
    fprintf(f, "  \"position_loss_percent\": %.3f,\n", bench_position_loss_percent(r));
    fprintf(f, "  \"bytes_out_per_s\": %.1f,\n  \"bytes_in_per_s\": %.1f,\n",
            per_s(r->bytes_out, r->run_s), per_s(r->bytes_in, r->run_s));
    fprintf(f, "  \"packets_out_per_s\": %.1f,\n  \"packets_in_per_s\": %.1f,\n",
            per_s(r->packets_out, r->run_s), per_s(r->packets_in, r->run_s));
    json_cpu(f, cfg, r);
    fprintf(f, "  \"passed\": %s,\n  \"failures\": [", v->passed ? "true" : "false");
    for (int i = 0; i < v->failure_count; i++) {
        fputs(i ? ", " : "", f);
        json_string(f, v->failures[i]);
    }
    fprintf(f, "]\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

int report_csv(const char *path, const bench_results *r)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "measure,count,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms\n");
    for (int m = 0; m < BENCH_MEASURES; m++) {
        const histogram *h = &r->latency[m];
        fprintf(f, "%s,%llu,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n", bench_measure_name(m),
                (unsigned long long)h->total, ms(histogram_percentile(h, 50)),
                ms(histogram_percentile(h, 90)), ms(histogram_percentile(h, 99)),
                ms(histogram_percentile(h, 99.9)), ms(h->total ? h->max : 0),
                histogram_mean(h) / 1000.0);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int report_cdf(const char *path, const bench_results *r)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "measure\tpercentile\tvalue_ms\n");
    static const double tail[] = {99.9, 99.99, 100.0};
    for (int m = 0; m < BENCH_MEASURES; m++) {
        const histogram *h = &r->latency[m];
        if (h->total == 0)
            continue;
        for (int i = 0; i < 200; i++)
            fprintf(f, "%s\t%.1f\t%.3f\n", bench_measure_name(m), i * 0.5,
                    ms(histogram_percentile(h, i * 0.5)));
        for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
            fprintf(f, "%s\t%g\t%.3f\n", bench_measure_name(m), tail[i],
                    ms(histogram_percentile(h, tail[i])));
    }
    return fclose(f) == 0 ? 0 : -1;
}
