#define _GNU_SOURCE /* ppoll: a wait to the microsecond, not the millisecond */
#include "bench.h"

#include "bench_bots.h"
#include "bench_proc.h"
#include "clock.h"

#include <poll.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SERVICE_EVERY_US = 5000, /* idle hosts still service ENet this often (acks, pings) */
    SEND_BATCH_US = 1000,    /* a pass takes the sends due within this much */
    CHECK_EVERY_US = 10000,  /* whole-run checks (all joined? all delivered?) */
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
    double accounted = (double)(r->positions_received + r->positions_merged);
    double expected = (double)r->positions_expected;
    return accounted >= expected ? 0.0 : 100.0 * (expected - accounted) / expected;
}

void bench_results_deinit(bench_results *r)
{
    for (int m = 0; m < BENCH_MEASURES; m++)
        histogram_deinit(&r->latency[m]);
}

double bench_cpu_percent(double cpu_s, const bench_results *r)
{
    return r->run_s > 0.0 ? 100.0 * cpu_s / r->run_s : 0.0;
}

double bench_server_us_per_position(const bench_results *r)
{
    if (!r->server_measured || r->positions_received == 0)
        return 0.0;
    return r->server_cpu_s * 1e6 / (double)r->positions_received;
}

/* The next moment the loop has work without a datagram arriving: a bot's
 * send, or a host's periodic service. */
static uint64_t next_wake_us(const bench *b)
{
    uint64_t wake = sched_next_us(&b->sched);
    for (uint32_t h = 0; h < b->net_count; h++)
        if (b->net_service_us[h] + SERVICE_EVERY_US < wake)
            wake = b->net_service_us[h] + SERVICE_EVERY_US;
    return wake;
}

/* Sleeps in one ppoll over the hosts' sockets until a datagram or the next
 * wake; 0 when something is due already. */
static void wait_for_work(bench *b)
{
    uint64_t now = clock_now_us();
    uint64_t wake = next_wake_us(b);
    uint64_t wait_us = wake > now ? wake - now : 0;
    if (wait_us > SERVICE_EVERY_US)
        wait_us = SERVICE_EVERY_US;
    struct timespec ts = {(time_t)(wait_us / 1000000u), (long)(wait_us % 1000000u) * 1000L};
    if (ppoll(b->fds, b->net_count, &ts, NULL) <= 0)
        for (uint32_t h = 0; h < b->net_count; h++)
            b->fds[h].revents = 0;
}

/* Lets every bot with a send due act, then puts it back for its next one.
 * Taken out first, so that no bot acts twice in one pass. */
static void act_due(bench *b, uint64_t now)
{
    uint32_t n = 0, i;
    while (sched_pop_due(&b->sched, now + SEND_BATCH_US, &i))
        b->due_bots[n++] = i;
    for (uint32_t k = 0; k < n; k++) {
        bot *bt = &b->bots[b->due_bots[k]];
        if (bots_act(b, bt, now, now + SEND_BATCH_US))
            b->net_dirty[bt->net] = true;
        uint64_t due = bots_next_due(b, bt);
        if (due != UINT64_MAX)
            sched_push(&b->sched, due, bt->index);
    }
}

/* One loop pass: wait, send what is due, then service each host that has
 * datagrams waiting or has not been serviced for a while, and flush the
 * others that have sends queued.
 * Nothing here walks the bots: an idle pass costs the same for 20 or 2000. */
static void pump(bench *b)
{
    wait_for_work(b);
    uint64_t now = clock_now_us();
    act_due(b, now);
    for (uint32_t h = 0; h < b->net_count; h++) {
        if ((b->fds[h].revents & POLLIN) || now - b->net_service_us[h] >= SERVICE_EVERY_US) {
            bots_service_net(b, h, now);
        } else if (b->net_dirty[h]) {
            /* Sends only: a flush walks the host's peers once, a service
             * three times plus a receive that finds nothing. */
            client_net_flush(b->nets[h], now);
            b->net_dirty[h] = false;
        }
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
    uint64_t next_check = 0, now;
    while ((now = clock_now_us()) < deadline) {
        if (bots_start_more(b) != 0)
            return false;
        if (now >= next_check) {
            if (bots_all_settled(b) || bots_join_hopeless(b))
                break;
            next_check = now + CHECK_EVERY_US;
        }
        pump(b);
    }
    bots_counters c;
    bots_count(b, &c);
    b->res->bots_joined = c.joined;
    b->res->join_failures = b->cfg->bots - c.joined;
    if (c.joined == b->cfg->bots && bots_all_settled(b))
        return true;
    bots_join_failures(b);
    return false;
}

static void run_phase(bench *b)
{
    uint64_t now = clock_now_us();
    b->window_start_us = now;
    b->window_end_us = now + (uint64_t)(b->cfg->duration_s * 1e6);
    bots_start_sending(b, now);
    uint64_t cpu_start_us = proc_self_cpu_us(), server_start_us = 0;
    b->res->server_measured =
        b->cfg->server_pid > 0 && proc_cpu_us(b->cfg->server_pid, &server_start_us);
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
    b->res->bench_cpu_s = (double)(proc_self_cpu_us() - cpu_start_us) / 1e6;
    uint64_t server_end_us;
    if (b->res->server_measured && proc_cpu_us(b->cfg->server_pid, &server_end_us) &&
        proc_rss_kb(b->cfg->server_pid, &b->res->server_rss_kb))
        b->res->server_cpu_s = (double)(server_end_us - server_start_us) / 1e6;
    else
        b->res->server_measured = false;
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
    uint64_t next_check = start + SETTLE_US;
    while ((now = clock_now_us()) < deadline) {
        pump(b);
        if (now >= next_check) {
            if (bots_chats_settled(b))
                break;
            next_check = now + CHECK_EVERY_US;
        }
    }
}

static void leave_phase(bench *b)
{
    b->leaving = true;
    for (uint32_t i = 0; i < b->bot_count; i++)
        if (b->bots[i].c != NULL)
            client_leave(b->bots[i].c);
    uint64_t deadline = clock_now_us() + 2000000, next_check = 0, now;
    while ((now = clock_now_us()) < deadline) {
        if (now >= next_check) {
            if (!bots_any_connected(b))
                break;
            next_check = now + CHECK_EVERY_US;
        }
        pump(b);
    }
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
