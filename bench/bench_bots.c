#include "bench_bots.h"

#include "rng.h"

#include "clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t period_us(double per_s)
{
    return per_s > 0.0 ? (uint64_t)(1e6 / per_s) : UINT64_MAX;
}

int bots_init(bench *b, const bench_config *cfg, bench_results *res)
{
    memset(b, 0, sizeof *b);
    b->cfg = cfg;
    b->res = res;
    b->rng = cfg->seed;
    b->bots = calloc(cfg->bots, sizeof *b->bots);
    b->fds = calloc(cfg->bots, sizeof *b->fds);
    b->lobby_size = calloc(cfg->lobbies, sizeof *b->lobby_size);
    if (b->bots == NULL || b->fds == NULL || b->lobby_size == NULL)
        return -1;
    for (uint32_t i = 0; i < cfg->bots; i++) {
        bot *bt = &b->bots[i];
        char name[32], lobby[32];
        bt->index = i;
        bt->lobby = i % cfg->lobbies;
        b->lobby_size[bt->lobby]++;
        snprintf(name, sizeof name, "bot%u", (unsigned)i);
        snprintf(lobby, sizeof lobby, "bench-%u", (unsigned)bt->lobby);
        client_config cc;
        client_config_defaults(&cc);
        cc.host = cfg->host;
        cc.port = cfg->port;
        cc.name = name;
        cc.lobby = lobby;
        cc.timeout_ms = (uint32_t)(cfg->join_timeout_s * 1000.0);
        bt->created_us = bt->last_service_us = clock_now_us();
        int err = client_create(&cc, bt->created_us, &bt->c);
        if (err != CLIENT_OK) {
            snprintf(res->first_join_error, sizeof res->first_join_error, "%s:%u: %s", cfg->host,
                     (unsigned)cfg->port, client_strerror(err));
            return -1;
        }
        b->fds[i].fd = client_fd(bt->c);
        b->fds[i].events = POLLIN;
        bt->centre_x = 200.0f + (float)(rng_unit(&b->rng) * (PROTO_WORLD_WIDTH - 400.0f));
        bt->centre_y = 200.0f + (float)(rng_unit(&b->rng) * (PROTO_WORLD_HEIGHT - 400.0f));
        bt->phase = (float)(rng_unit(&b->rng) * 6.2831853);
    }
    return 0;
}

void bots_deinit(bench *b)
{
    for (uint32_t i = 0; b->bots != NULL && i < b->cfg->bots; i++) {
        client_destroy(b->bots[i].c);
        free(b->bots[i].record_of_msg);
    }
    free(b->bots);
    free(b->fds);
    free(b->lobby_size);
    free(b->records);
}

/* Bots of a lobby that are in it now (as far as the harness knows). */
static uint32_t members_now(const bench *b, uint32_t lobby)
{
    uint32_t n = 0;
    for (uint32_t i = lobby; i < b->cfg->bots; i += b->cfg->lobbies)
        n += b->bots[i].joined && !b->bots[i].gone;
    return n;
}

void bots_start_sending(bench *b, uint64_t now_us)
{
    b->sending = true;
    for (uint32_t i = 0; i < b->cfg->bots; i++) {
        bot *bt = &b->bots[i];
        /* Spread each bot's first send over one period so they do not beat
         * in step. */
        bt->next_move_us =
            now_us + (uint64_t)(rng_unit(&b->rng) *
                                (double)period_us(b->cfg->move_hz > 0 ? b->cfg->move_hz : 1));
        bt->next_chat_us = b->cfg->chat_per_s > 0
                               ? now_us + (uint64_t)(rng_unit(&b->rng) * 1e6 / b->cfg->chat_per_s)
                               : UINT64_MAX;
        bt->next_ping_us = now_us + (uint64_t)(rng_unit(&b->rng) * 1e6 / b->cfg->ping_hz);
        bt->next_rtt_sample_us = now_us + 1000000;
        if (b->cfg->move_hz <= 0)
            bt->next_move_us = UINT64_MAX;
    }
}

/* ---- sending ---------------------------------------------------------------- */

static chat_record *new_record(bench *b, uint32_t *index)
{
    if (b->record_count == b->record_cap) {
        size_t cap = b->record_cap ? b->record_cap * 2 : 1024;
        chat_record *grown = realloc(b->records, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        b->records = grown;
        b->record_cap = cap;
    }
    *index = (uint32_t)b->record_count;
    chat_record *r = &b->records[b->record_count++];
    memset(r, 0, sizeof *r);
    return r;
}

static bool remember_msg(bot *bt, uint32_t msg_id, uint32_t record)
{
    if (msg_id > bt->msg_cap) {
        size_t cap = bt->msg_cap ? bt->msg_cap * 2 : 64;
        while (cap < msg_id)
            cap *= 2;
        uint32_t *grown = realloc(bt->record_of_msg, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        bt->record_of_msg = grown;
        bt->msg_cap = cap;
    }
    bt->record_of_msg[msg_id - 1] = record;
    bt->msg_count = msg_id;
    return true;
}

/* The text carries the record index and the send time: receivers need
 * nothing else to measure delivery. */
static void send_chat(bench *b, bot *bt, uint64_t now_us)
{
    uint32_t index, msg_id;
    chat_record *r = new_record(b, &index);
    if (r == NULL)
        return;
    char text[64];
    int len = snprintf(text, sizeof text, "bench r=%u t=%llu", (unsigned)index,
                       (unsigned long long)now_us);
    if (client_send_chat(bt->c, text, (size_t)len, &msg_id) != CLIENT_OK ||
        !remember_msg(bt, msg_id, index)) {
        b->record_count--;
        return;
    }
    r->sender = bt->index;
    r->lobby = bt->lobby;
    r->sent_us = now_us;
    r->expected = members_now(b, bt->lobby) - 1;
    b->res->chats_sent++;
}

static void send_position(bench *b, bot *bt, uint64_t now_us)
{
    double t = (double)(now_us - b->window_start_us) / 1e6;
    float angle = bt->phase + (float)(t * 0.8);
    float x = bt->centre_x + 150.0f * cosf(angle);
    float y = bt->centre_y + 150.0f * sinf(angle);
    if (client_send_position(bt->c, x, y, now_us) != CLIENT_OK)
        return;
    b->res->positions_sent++;
    b->res->positions_expected += members_now(b, bt->lobby) - 1;
}

bool bots_act(bench *b, bot *bt, uint64_t now_us)
{
    if (!b->sending || !bt->joined || bt->gone)
        return false;
    bool queued = false;
    if (now_us >= bt->next_move_us) {
        send_position(b, bt, now_us);
        bt->next_move_us += period_us(b->cfg->move_hz);
        queued = true;
    }
    if (now_us >= bt->next_chat_us) {
        send_chat(b, bt, now_us);
        bt->next_chat_us += period_us(b->cfg->chat_per_s);
        queued = true;
    }
    if (now_us >= bt->next_ping_us) {
        client_send_ping(bt->c, now_us);
        bt->next_ping_us += period_us(b->cfg->ping_hz);
        queued = true;
    }
    if (now_us >= bt->next_rtt_sample_us) {
        histogram_record(&b->res->latency[BENCH_ENET_RTT],
                         (uint64_t)client_get_view(bt->c)->enet_rtt_ms * 1000u);
        bt->next_rtt_sample_us += 1000000;
    }
    return queued;
}

/* ---- receiving -------------------------------------------------------------- */

static void record_latency(bench *b, int measure, uint64_t from_us, uint64_t to_us)
{
    histogram_record(&b->res->latency[measure], to_us > from_us ? to_us - from_us : 0);
}

/* A chat from another bot: finds its record from the text and checks that
 * each member gets each message once, in the server's order. */
static void on_chat(bench *b, bot *bt, const client_event *ev, uint64_t now_us)
{
    unsigned index;
    unsigned long long sent_us;
    if (sscanf(ev->text, "bench r=%u t=%llu", &index, &sent_us) != 2 || index >= b->record_count)
        return; /* not one of ours */
    if (bt->last_chat_seq != 0 && !proto_seq_newer(ev->seq, bt->last_chat_seq)) {
        if (ev->seq == bt->last_chat_seq)
            b->res->chat_duplicates++;
        else
            b->res->chat_out_of_order++;
        return;
    }
    bt->last_chat_seq = ev->seq;
    chat_record *r = &b->records[index];
    record_latency(b, BENCH_CHAT_DELIVERY, (uint64_t)sent_us, now_us);
    if (r->received++ == 0)
        r->first_us = now_us;
    r->last_us = now_us;
    b->res->chat_deliveries++;
}

static void on_ack(bench *b, bot *bt, const client_event *ev, uint64_t now_us, bool refused)
{
    if (ev->msg_id == 0 || ev->msg_id > bt->msg_count)
        return;
    chat_record *r = &b->records[bt->record_of_msg[ev->msg_id - 1]];
    if (refused) {
        r->refused = true;
        b->res->chats_refused++;
        return;
    }
    r->acked = true;
    b->res->chats_acked++;
    record_latency(b, BENCH_CHAT_ACK_RTT, r->sent_us, now_us);
    /* The ack is the moment the server took it: everyone then in the lobby
     * must get it. The sender also owns its own seq from now on. */
    if (!proto_seq_newer(bt->last_chat_seq, ev->seq))
        bt->last_chat_seq = ev->seq;
}

static void on_pong(bench *b, bot *bt, const client_event *ev, uint64_t now_us)
{
    /* From the ping's own timestamp to when we saw the answer. */
    uint64_t rtt_us = now_us > ev->sent_us ? now_us - ev->sent_us : 0;
    histogram_record(&b->res->latency[BENCH_PING_RTT], rtt_us);
    if (bt->last_ping_rtt_us != 0) {
        uint64_t diff = rtt_us > bt->last_ping_rtt_us ? rtt_us - bt->last_ping_rtt_us
                                                      : bt->last_ping_rtt_us - rtt_us;
        histogram_record(&b->res->latency[BENCH_PING_JITTER], diff);
    }
    bt->last_ping_rtt_us = rtt_us;
}

static void on_event(bench *b, bot *bt, const client_event *ev, uint64_t now_us)
{
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        bt->joined = true;
        record_latency(b, BENCH_JOIN_TIME, bt->created_us, now_us);
        break;
    case CLIENT_EV_REJECTED:
    case CLIENT_EV_DISCONNECTED:
        if (!bt->gone && b->res->first_join_error[0] == '\0')
            snprintf(b->res->first_join_error, sizeof b->res->first_join_error, "bot%u: %.200s",
                     (unsigned)bt->index, ev->text);
        bt->gone = true;
        break;
    case CLIENT_EV_CHAT:
        on_chat(b, bt, ev, now_us);
        break;
    case CLIENT_EV_CHAT_ACK:
    case CLIENT_EV_CHAT_REFUSED:
        on_ack(b, bt, ev, now_us, ev->type == CLIENT_EV_CHAT_REFUSED);
        break;
    case CLIENT_EV_POSITION:
        if (ev->sent_us >= b->window_start_us && b->window_start_us != 0) {
            b->res->positions_received++;
            record_latency(b, BENCH_POSITION, ev->sent_us, now_us);
        }
        break;
    case CLIENT_EV_PONG:
        on_pong(b, bt, ev, now_us);
        break;
    case CLIENT_EV_PLAYER_JOINED:
    case CLIENT_EV_PLAYER_LEFT:
    case CLIENT_EV_PLAYER_STATUS:
    case CLIENT_EV_RECONNECTING: /* bots do not ask for reconnection */
        break;
    }
}

void bots_service(bench *b, bot *bt, uint64_t now_us)
{
    client_update(bt->c, now_us);
    bt->last_service_us = now_us;
    /* Stamp arrivals after the service call: a reply can come back while it
     * runs (the server is on the other core), and stamping with the time
     * before would make it look faster than light. */
    uint64_t arrived_us = clock_now_us();
    client_event ev;
    while (client_next_event(bt->c, &ev))
        on_event(b, bt, &ev, arrived_us);
}

/* ---- totals ------------------------------------------------------------------- */

bool bots_settled(const bench *b, const bot *bt)
{
    if (bt->c == NULL || !bt->joined || bt->gone)
        return false;
    return client_get_view(bt->c)->player_count >= b->lobby_size[bt->lobby];
}

void bots_count(const bench *b, bots_counters *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < b->cfg->bots; i++) {
        const bot *bt = &b->bots[i];
        if (bt->c == NULL)
            continue;
        out->joined += bt->joined && !bt->gone;
        client_traffic t;
        client_get_traffic(bt->c, &t);
        out->traffic.bytes_out += t.bytes_out;
        out->traffic.bytes_in += t.bytes_in;
        out->traffic.packets_out += t.packets_out;
        out->traffic.packets_in += t.packets_in;
    }
}

bool bots_chats_settled(const bench *b)
{
    for (size_t i = 0; i < b->record_count; i++) {
        const chat_record *r = &b->records[i];
        if (!r->refused && (!r->acked || r->received < r->expected))
            return false;
    }
    return true;
}

bool bots_any_connected(const bench *b)
{
    for (uint32_t i = 0; i < b->cfg->bots; i++) {
        const bot *bt = &b->bots[i];
        if (bt->c != NULL && client_get_view(bt->c)->state != CLIENT_DISCONNECTED &&
            client_get_view(bt->c)->state != CLIENT_REJECTED)
            return true;
    }
    return false;
}

void bots_tally(bench *b)
{
    bench_results *res = b->res;
    for (size_t i = 0; i < b->record_count; i++) {
        const chat_record *r = &b->records[i];
        if (!r->acked && !r->refused)
            res->chats_unacked++;
        if (r->acked && r->received < r->expected)
            res->acked_chats_lost += r->expected - r->received;
        if (r->received >= 2)
            histogram_record(&res->latency[BENCH_CHAT_SPREAD], r->last_us - r->first_us);
    }
    for (uint32_t i = 0; i < b->cfg->bots; i++) {
        if (b->bots[i].c == NULL)
            continue;
        const client_view *v = client_get_view(b->bots[i].c);
        res->position_duplicates += v->duplicate_positions;
        res->position_reordered += v->reordered_positions;
    }
}
