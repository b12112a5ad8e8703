#include "bench.h"

#include "bench_bots.h"
#include "clock.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SERVICE_EVERY_US = 5000, /* idle bots still service ENet this often (acks, pings) */
    SETTLE_US = 300000,      /* after the last send: positions in flight */
};

const char *bench_measure_name(int measure)
{
    static const char *const names[BENCH_MEASURES] = {
        "chat_ack_rtt", "chat_delivery", "chat_spread", "position_latency",
        "ping_rtt",     "ping_jitter",   "enet_rtt",    "join_time",
    };
    return measure >= 0 && measure < BENCH_MEASURES ? names[measure] : "?";
}

double bench_position_loss_percent(const bench_results *r)
{
    if (r->positions_expected == 0)
        return 0.0;
    double received = (double)r->positions_received;
    double expected = (double)r->positions_expected;
    return received >= expected ? 0.0 : 100.0 * (expected - received) / expected;
}

void bench_results_deinit(bench_results *r)
{
    for (int m = 0; m < BENCH_MEASURES; m++)
        histogram_deinit(&r->latency[m]);
}

/* One loop pass: wait for any socket (at most 1 ms), then let every bot act
 * and service the ones that have something to do. */
static void pump(bench *b)
{
    poll(b->fds, b->bot_count, 1);
    for (uint32_t i = 0; i < b->bot_count; i++) {
        bot *bt = &b->bots[i];
        if (bt->c == NULL)
            continue;
        uint64_t now = clock_now_us();
        bool queued = bots_act(b, bt, now);
        if (queued || (b->fds[i].revents & POLLIN) || now - bt->last_service_us >= SERVICE_EVERY_US)
            bots_service(b, bt, now);
    }
}

static void report_progress(bench *b, uint64_t now, uint64_t *next_us, bots_counters *last)
{
    if (b->cfg->progress == NULL || now < *next_us)
        return;
    bots_counters cur;
    bots_count(b, &cur);
    double dt = (double)(now - last->at_us) / 1e6;
    bench_progress p = {
        .elapsed_s = (double)(now - b->window_start_us) / 1e6,
        .duration_s = b->cfg->duration_s,
        .bots_joined = cur.joined,
        .bots = b->cfg->bots,
        .chats_per_s = (double)(b->res->chats_sent - last->chats) / dt,
        .positions_per_s = (double)(b->res->positions_sent - last->positions) / dt,
        .kbytes_out_per_s = (double)(cur.traffic.bytes_out - last->traffic.bytes_out) / dt / 1e3,
        .kbytes_in_per_s = (double)(cur.traffic.bytes_in - last->traffic.bytes_in) / dt / 1e3,
    };
    cur.chats = b->res->chats_sent;
    cur.positions = b->res->positions_sent;
    cur.at_us = now;
    *last = cur;
    *next_us = now + 1000000;
    b->cfg->progress(b->cfg->progress_user, &p);
}

/* Joins every bot; false (with the reason in results) when not all made it. */
static bool join_phase(bench *b)
{
    uint64_t deadline = clock_now_us() + (uint64_t)(b->cfg->join_timeout_s * 1e6);
    while (!bots_all_settled(b) && clock_now_us() < deadline)
        pump(b);
    bots_counters c;
    bots_count(b, &c);
    b->res->bots_joined = c.joined;
    b->res->join_failures = b->cfg->bots - c.joined;
    if (c.joined == b->cfg->bots && bots_all_settled(b))
        return true;
    if (b->res->first_join_error[0] == '\0')
        snprintf(b->res->first_join_error, sizeof b->res->first_join_error,
                 "%u of %u bots joined within %.0f s", (unsigned)c.joined, (unsigned)b->cfg->bots,
                 b->cfg->join_timeout_s);
    return false;
}

static void run_phase(bench *b)
{
    uint64_t now = clock_now_us();
    b->window_start_us = now;
    b->window_end_us = now + (uint64_t)(b->cfg->duration_s * 1e6);
    bots_start_sending(b, now);
    bots_counters last;
    bots_count(b, &last);
    last.at_us = now;
    uint64_t next_progress = now + 1000000;
    client_traffic start_traffic = last.traffic;
    while ((now = clock_now_us()) < b->window_end_us) {
        pump(b);
        report_progress(b, now, &next_progress, &last);
    }
    b->sending = false;
    bots_counters end;
    bots_count(b, &end);
    b->res->run_s = (double)(now - b->window_start_us) / 1e6;
    b->res->bytes_out = end.traffic.bytes_out - start_traffic.bytes_out;
    b->res->bytes_in = end.traffic.bytes_in - start_traffic.bytes_in;
    b->res->packets_out = end.traffic.packets_out - start_traffic.packets_out;
    b->res->packets_in = end.traffic.packets_in - start_traffic.packets_in;
}

/* Waits for acknowledgements and deliveries still on their way. */
static void drain_phase(bench *b)
{
    uint64_t start = clock_now_us();
    uint64_t deadline = start + (uint64_t)(b->cfg->drain_s * 1e6);
    uint64_t now;
    while ((now = clock_now_us()) < deadline) {
        pump(b);
        if (now - start >= SETTLE_US && bots_chats_settled(b))
            break;
    }
}

static void leave_phase(bench *b)
{
    b->leaving = true;
    for (uint32_t i = 0; i < b->bot_count; i++)
        if (b->bots[i].c != NULL)
            client_leave(b->bots[i].c);
    uint64_t deadline = clock_now_us() + 2000000;
    while (clock_now_us() < deadline && bots_any_connected(b))
        pump(b);
}

int bench_run(const bench_config *cfg, bench_results *res)
{
    memset(res, 0, sizeof *res);
    for (int m = 0; m < BENCH_MEASURES; m++)
        if (histogram_init(&res->latency[m]) != 0)
            return -1;
    bench b;
    if (bots_init(&b, cfg, res) != 0) {
        bots_deinit(&b);
        return -1;
    }
    bool joined = join_phase(&b);
    if (joined) {
        run_phase(&b);
        drain_phase(&b);
        bots_tally(&b);
    }
    leave_phase(&b);
    bots_deinit(&b);
    return joined ? 0 : -1;
}
