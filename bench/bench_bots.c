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

/* Marks round(percent % of the bots) as malformed: a partial Fisher-Yates
 * shuffle from their own generator, so the choice depends on the seed only. */
static void choose_malformed(bench *b)
{
    uint32_t n = b->cfg->bots;
    uint32_t want = (uint32_t)(b->cfg->malformed_percent / 100.0 * n + 0.5);
    if (want == 0)
        return;
    uint32_t *order = malloc(n * sizeof *order);
    if (order == NULL)
        return;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t rng = b->cfg->seed ^ UINT64_C(0x6D616C666F726D65); /* "malforme" */
    for (uint32_t i = 0; i < want && i < n; i++) {
        uint32_t j = i + (uint32_t)(rng_next(&rng) % (n - i));
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
        b->bots[order[i]].malformed = true;
        b->res->malformed_bots++;
    }
    free(order);
}

/* Bot i goes on net i / bots_per_host; the last net may hold fewer. */
static int create_nets(bench *b)
{
    uint32_t per = b->cfg->bots_per_host ? b->cfg->bots_per_host : 1;
    b->net_count = (b->bot_count + per - 1) / per;
    b->nets = calloc(b->net_count, sizeof *b->nets);
    b->fds = calloc(b->net_count, sizeof *b->fds);
    b->net_service_us = calloc(b->net_count, sizeof *b->net_service_us);
    b->net_dirty = calloc(b->net_count, sizeof *b->net_dirty);
    if (b->nets == NULL || b->fds == NULL || b->net_service_us == NULL || b->net_dirty == NULL)
        return -1;
    for (uint32_t h = 0; h < b->net_count; h++) {
        uint32_t first = h * per;
        uint32_t n = b->bot_count - first < per ? b->bot_count - first : per;
        int err = client_net_create(n, &b->nets[h]);
        if (err != CLIENT_OK) {
            snprintf(b->res->first_join_error, sizeof b->res->first_join_error,
                     "cannot create ENet host %u: %s", (unsigned)h, client_strerror(err));
            return -1;
        }
        b->fds[h].fd = client_net_fd(b->nets[h]);
        b->fds[h].events = POLLIN;
    }
    b->res->hosts = b->net_count;
    return 0;
}

int bots_init(bench *b, const bench_config *cfg, bench_results *res)
{
    memset(b, 0, sizeof *b);
    b->cfg = cfg;
    b->res = res;
    b->rng = cfg->seed;
    b->abuse_rng = cfg->seed ^ UINT64_C(0x61627573655F726E); /* "abuse_rn" */
    b->bot_count = cfg->bots + cfg->flooders;
    b->bots = calloc(b->bot_count, sizeof *b->bots);
    b->due_bots = calloc(b->bot_count, sizeof *b->due_bots);
    b->lobby_size = calloc(cfg->lobbies, sizeof *b->lobby_size);
    b->lobby_members = calloc(cfg->lobbies, sizeof *b->lobby_members);
    b->lobby_good_members = calloc(cfg->lobbies, sizeof *b->lobby_good_members);
    b->bot_of_id = malloc(BOT_ID_SPACE * sizeof *b->bot_of_id);
    if (b->bots == NULL || b->due_bots == NULL || b->lobby_size == NULL ||
        b->lobby_members == NULL || b->lobby_good_members == NULL || b->bot_of_id == NULL ||
        sched_init(&b->sched, b->bot_count) != 0 || create_nets(b) != 0)
        return -1;
    for (uint32_t id = 0; id < BOT_ID_SPACE; id++)
        b->bot_of_id[id] = BOT_NONE;
    choose_malformed(b);
    for (uint32_t i = 0; i < b->bot_count; i++) {
        bot *bt = &b->bots[i];
        bt->index = i;
        bt->flooder = i >= cfg->bots;
        /* Flooders go to the last lobbies, which hold fewer bots when they
         * do not divide evenly. */
        bt->lobby =
            bt->flooder ? cfg->lobbies - 1 - (i - cfg->bots) % cfg->lobbies : i % cfg->lobbies;
        bt->net = i / (cfg->bots_per_host ? cfg->bots_per_host : 1);
        b->lobby_size[bt->lobby]++;
        bt->centre_x = 200.0f + (float)(rng_unit(&b->rng) * (PROTO_WORLD_WIDTH - 400.0f));
        bt->centre_y = 200.0f + (float)(rng_unit(&b->rng) * (PROTO_WORLD_HEIGHT - 400.0f));
        bt->phase = (float)(rng_unit(&b->rng) * 6.2831853);
    }
    return 0;
}

void bots_deinit(bench *b)
{
    for (uint32_t i = 0; b->bots != NULL && i < b->bot_count; i++) {
        client_destroy(b->bots[i].c);
        free(b->bots[i].record_of_msg);
        free(b->bots[i].got);
    }
    for (uint32_t h = 0; b->nets != NULL && h < b->net_count; h++)
        client_net_destroy(b->nets[h]);
    free(b->nets);
    free(b->fds);
    free(b->net_service_us);
    free(b->net_dirty);
    sched_deinit(&b->sched);
    free(b->due_bots);
    free(b->bots);
    free(b->lobby_size);
    free(b->lobby_members);
    free(b->lobby_good_members);
    free(b->bot_of_id);
    free(b->records);
}

/* Starts one bot's connection. 0, or -1 with the reason in results. */
static int start_bot(bench *b, bot *bt)
{
    const bench_config *cfg = b->cfg;
    char name[32], lobby[32];
    if (bt->flooder)
        snprintf(name, sizeof name, "flood%u", (unsigned)(bt->index - cfg->bots));
    else
        snprintf(name, sizeof name, "bot%u", (unsigned)bt->index);
    snprintf(lobby, sizeof lobby, "bench-%u", (unsigned)bt->lobby);
    client_config cc;
    client_config_defaults(&cc);
    cc.host = cfg->host;
    cc.port = cfg->port;
    if (cfg->server_count > 1) { /* round-robin over --server A,B,... */
        cc.host = cfg->hosts[bt->index % cfg->server_count];
        cc.port = cfg->ports[bt->index % cfg->server_count];
    }
    cc.name = name;
    cc.lobby = lobby;
    cc.timeout_ms = (uint32_t)(cfg->join_timeout_s * 1000.0);
    cc.auto_reconnect = cfg->reconnect && !bot_misbehaves(bt);
    cc.reconnect_max_ms = 5000;
    cc.jitter_seed = cfg->seed * 1000003u + bt->index + 1;
    cc.user = bt;
    bt->created_us = clock_now_us();
    int err = client_create_on(b->nets[bt->net], &cc, bt->created_us, &bt->c);
    if (err != CLIENT_OK) {
        snprintf(b->res->first_join_error, sizeof b->res->first_join_error, "%s:%u: %s", cc.host,
                 (unsigned)cc.port, client_strerror(err));
        return -1;
    }
    return 0;
}

int bots_start_more(bench *b)
{
    while (b->started < b->bot_count && b->started - b->settled_or_gone < BOTS_JOIN_WINDOW)
        if (start_bot(b, &b->bots[b->started++]) != 0)
            return -1;
    return 0;
}

/* Bots of a lobby that are in it now (as far as the harness knows), with or
 * without the misbehaving ones. */
static uint32_t members_now(const bench *b, uint32_t lobby, bool with_misbehaving)
{
    return with_misbehaving ? b->lobby_members[lobby] : b->lobby_good_members[lobby];
}

/* A bot enters (first join) or leaves (gone) its lobby's member counts. */
static void count_member(bench *b, const bot *bt, int delta)
{
    b->lobby_members[bt->lobby] += (uint32_t)delta;
    if (!bot_misbehaves(bt))
        b->lobby_good_members[bt->lobby] += (uint32_t)delta;
}

void bots_start_sending(bench *b, uint64_t now_us)
{
    b->sending = true;
    for (uint32_t i = 0; i < b->bot_count; i++) {
        bot *bt = &b->bots[i];
        /* One malformed message a second, the first within the first second;
         * flooders chat at flood_per_s from the start. */
        bt->next_malformed_us = now_us + (uint64_t)(rng_unit(&b->abuse_rng) * 1e6);
        bt->next_flood_us = now_us;
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
        uint64_t due = bots_next_due(b, bt);
        if (due != UINT64_MAX)
            sched_push(&b->sched, due, i);
    }
}

static uint64_t min_us(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t bots_next_due(const bench *b, const bot *bt)
{
    if (!b->sending || !bt->joined || bt->gone)
        return UINT64_MAX;
    if (bt->flooder)
        return period_us(b->cfg->flood_per_s) == UINT64_MAX ? UINT64_MAX : bt->next_flood_us;
    uint64_t due = min_us(min_us(bt->next_move_us, bt->next_chat_us),
                          min_us(bt->next_ping_us, bt->next_rtt_sample_us));
    return bt->malformed ? min_us(due, bt->next_malformed_us) : due;
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
    /* Misbehaving members count while they are in the lobby; one that is
     * kicked is excused for what it had not received (excuse_departed). */
    r->expected = members_now(b, bt->lobby, true) - 1;
    b->res->chats_sent++;
}

/* A flood chat is not a record: receivers ignore it, only its answer counts. */
static void send_flood_chat(bench *b, bot *bt)
{
    char text[32];
    int len =
        snprintf(text, sizeof text, "flood %llu", (unsigned long long)b->res->flood_chats_sent);
    if (client_send_chat(bt->c, text, (size_t)len, NULL) == CLIENT_OK)
        b->res->flood_chats_sent++;
}

/* ---- malformed messages --------------------------------------------------- */

static uint32_t rng_below(uint64_t *rng, uint32_t n)
{
    return (uint32_t)(rng_next(rng) % n);
}

static void random_bytes(uint64_t *rng, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rng_next(rng);
}

/* A valid client message to cut or bend: a chat, a position or a hello. */
static size_t valid_client_message(uint64_t *rng, uint8_t *buf, size_t cap)
{
    proto_msg m;
    switch (rng_below(rng, 3)) {
    case 0:
        m = (proto_msg){.type = PROTO_CHAT};
        m.u.chat.msg_id = (uint32_t)rng_next(rng);
        m.u.chat.text = proto_str_from_cstr("malformed on purpose");
        break;
    case 1:
        m = (proto_msg){.type = PROTO_POSITION};
        m.u.position.seq = (uint32_t)rng_next(rng);
        m.u.position.x = 10.0f;
        m.u.position.y = 20.0f;
        break;
    default:
        m = (proto_msg){.type = PROTO_HELLO};
        m.u.hello.name = proto_str_from_cstr("intruder");
        m.u.hello.lobby = proto_str_from_cstr("");
        break;
    }
    int n = proto_encode(&m, buf, cap);
    return n > 0 ? (size_t)n : 0;
}

/* One message the server must count as malformed, of a kind picked at random:
 * random bytes, a truncated message, an unknown type, a string length that
 * lies (too long or too short), or a message not allowed after joining (a
 * second hello, or a server-to-client type). Never a message the server would
 * accept. Returns its length. */
static size_t make_malformed(uint64_t *rng, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    switch (rng_below(rng, 5)) {
    case 0: /* random bytes */
        len = 1 + rng_below(rng, 48);
        random_bytes(rng, buf, len);
        break;
    case 1: /* truncated */
        len = valid_client_message(rng, buf, cap);
        len = len > 1 ? 1 + rng_below(rng, (uint32_t)len - 1) : len;
        break;
    case 2: /* unknown type */
        len = 1 + rng_below(rng, 16);
        random_bytes(rng, buf, len);
        buf[0] = (uint8_t)(0x10 + rng_below(rng, 0x60));
        break;
    case 3: { /* a chat whose text length lies */
        static const char text[] = "length lies";
        size_t real = sizeof text - 1;
        size_t said = rng_below(rng, 2) ? real + 1 + rng_below(rng, 1000) : rng_below(rng, real);
        buf[0] = PROTO_CHAT;
        random_bytes(rng, buf + 1, 4);
        buf[5] = (uint8_t)(said & 0xFF);
        buf[6] = (uint8_t)(said >> 8);
        memcpy(buf + 7, text, real);
        len = 7 + real;
        break;
    }
    default: /* valid bytes, wrong state: a hello after joining, or a server message */
        if (rng_below(rng, 2)) {
            proto_msg m = {.type = PROTO_HELLO};
            m.u.hello.name = proto_str_from_cstr("again");
            m.u.hello.lobby = proto_str_from_cstr("");
            int n = proto_encode(&m, buf, cap);
            len = n > 0 ? (size_t)n : 0;
        } else {
            proto_msg m = {.type = PROTO_CHAT_ACK};
            m.u.chat_ack.msg_id = 1;
            m.u.chat_ack.seq = 1;
            int n = proto_encode(&m, buf, cap);
            len = n > 0 ? (size_t)n : 0;
        }
        return len;
    }
    /* Whatever random bytes made, the server must not take it as a chat,
     * position or ping: force an unknown type when it would decode. */
    proto_msg check;
    if (len > 0 && proto_decode(buf, len, &check) == PROTO_OK)
        buf[0] = 0x7F;
    return len;
}

static void send_malformed(bench *b, bot *bt)
{
    uint8_t buf[128];
    size_t len = make_malformed(&b->abuse_rng, buf, sizeof buf);
    if (len > 0 && client_send_raw(bt->c, PROTO_CHANNEL_RELIABLE, buf, len, true) == CLIENT_OK)
        b->res->malformed_sent++;
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
    /* Only between well-behaved bots: they are never kicked, so a kick in
     * the middle of the run cannot look like loss. */
    if (!bot_misbehaves(bt))
        b->res->positions_expected += members_now(b, bt->lobby, false) - 1;
}

/* A relayed position counts when both ends are well-behaved bots. */
static bool position_counts(const bench *b, const bot *to, uint16_t from_id)
{
    uint32_t from = b->bot_of_id[from_id];
    return !bot_misbehaves(to) && from != BOT_NONE && !bot_misbehaves(&b->bots[from]);
}

/* A flooder chats as fast as flood_per_s allows, and does nothing else. */
static bool flooder_act(bench *b, bot *bt, uint64_t until_us)
{
    bool queued = false;
    uint64_t period = period_us(b->cfg->flood_per_s);
    while (until_us >= bt->next_flood_us && period != UINT64_MAX) {
        send_flood_chat(b, bt);
        bt->next_flood_us += period;
        queued = true;
    }
    return queued;
}

/* Sends are taken up to until_us, a little ahead of their time, so that one
 * loop pass sends a batch and each host flushes once for it; each is still
 * stamped with now_us, when it really leaves, so no latency is flattered. */
bool bots_act(bench *b, bot *bt, uint64_t now_us, uint64_t until_us)
{
    if (!b->sending || !bt->joined || bt->gone)
        return false;
    if (bt->flooder)
        return flooder_act(b, bt, until_us);
    bool queued = false;
    if (bt->malformed && until_us >= bt->next_malformed_us) {
        send_malformed(b, bt);
        bt->next_malformed_us += 1000000;
        queued = true;
    }
    if (until_us >= bt->next_move_us) {
        send_position(b, bt, now_us);
        bt->next_move_us += period_us(b->cfg->move_hz);
        queued = true;
    }
    if (until_us >= bt->next_chat_us) {
        send_chat(b, bt, now_us);
        bt->next_chat_us += period_us(b->cfg->chat_per_s);
        queued = true;
    }
    if (until_us >= bt->next_ping_us) {
        client_send_ping(bt->c, now_us);
        bt->next_ping_us += period_us(b->cfg->ping_hz);
        queued = true;
    }
    if (until_us >= bt->next_rtt_sample_us) {
        if (!bot_misbehaves(bt))
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

/* Remembers that a misbehaving bot got record `index`, so that if it is
 * kicked later it is excused only for what it had not received. */
static bool note_received(bot *bt, size_t index)
{
    size_t byte = index / 8;
    if (byte >= bt->got_bytes) {
        size_t n = bt->got_bytes ? bt->got_bytes * 2 : 1024;
        while (n <= byte)
            n *= 2;
        uint8_t *grown = realloc(bt->got, n);
        if (grown == NULL)
            return false;
        memset(grown + bt->got_bytes, 0, n - bt->got_bytes);
        bt->got = grown;
        bt->got_bytes = n;
    }
    bt->got[byte] |= (uint8_t)(1u << (index % 8));
    return true;
}

static bool has_received(const bot *bt, size_t index)
{
    return index / 8 < bt->got_bytes && (bt->got[index / 8] & (1u << (index % 8)));
}

/* A misbehaving bot is gone (kicked or refused): the chats sent to its lobby
 * while it was a member and that it never got are no longer expected of it,
 * and its own chats still unanswered will never be. */
static void excuse_departed(bench *b, const bot *bt)
{
    if (!bt->joined)
        return;
    for (size_t i = bt->first_record; i < b->record_count; i++) {
        chat_record *r = &b->records[i];
        if (r->sender == bt->index) {
            if (!r->acked && !r->refused)
                r->abandoned = true;
        } else if (r->lobby == bt->lobby && !has_received(bt, i) && r->expected > 0) {
            r->expected--;
        }
    }
}

/* A chat from another bot: finds its record from the text and checks that
 * each member gets each message once, in the server's order. */
static void on_chat(bench *b, bot *bt, const client_event *ev, uint64_t now_us)
{
    unsigned index;
    unsigned long long sent_us;
    if (sscanf(ev->text, "bench r=%u t=%llu", &index, &sent_us) != 2 || index >= b->record_count)
        return; /* not one of ours */
    if (bt->last_chat_seq != 0 && !proto_seq_newer(ev->chat.seq, bt->last_chat_seq)) {
        if (ev->chat.seq == bt->last_chat_seq)
            b->res->chat_duplicates++;
        else
            b->res->chat_out_of_order++;
        return;
    }
    bt->last_chat_seq = ev->chat.seq;
    chat_record *r = &b->records[index];
    if (bot_misbehaves(bt) && !note_received(bt, index))
        return;
    record_latency(b, BENCH_CHAT_DELIVERY, (uint64_t)sent_us, now_us);
    if (r->received++ == 0)
        r->first_us = now_us;
    r->last_us = now_us;
    b->res->chat_deliveries++;
}

/* CHAT_ACK (seq: the lobby's number) or CHAT_REFUSED (refused) of msg_id. */
static void on_ack(bench *b, bot *bt, uint32_t msg_id, uint32_t seq, uint64_t now_us, bool refused)
{
    if (bt->flooder) {
        if (refused)
            b->res->flood_refused++;
        else
            b->res->flood_chats_acked++;
        return;
    }
    if (msg_id == 0 || msg_id > bt->msg_count)
        return;
    chat_record *r = &b->records[bt->record_of_msg[msg_id - 1]];
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
    if (!proto_seq_newer(bt->last_chat_seq, seq))
        bt->last_chat_seq = seq;
}

static void on_pong(bench *b, bot *bt, const client_event *ev, uint64_t now_us)
{
    /* From the ping's own timestamp to when we saw the answer. */
    uint64_t rtt_us = now_us > ev->pong.sent_us ? now_us - ev->pong.sent_us : 0;
    histogram_record(&b->res->latency[BENCH_PING_RTT], rtt_us);
    if (bt->last_ping_rtt_us != 0) {
        uint64_t diff = rtt_us > bt->last_ping_rtt_us ? rtt_us - bt->last_ping_rtt_us
                                                      : bt->last_ping_rtt_us - rtt_us;
        histogram_record(&b->res->latency[BENCH_PING_JITTER], diff);
    }
    bt->last_ping_rtt_us = rtt_us;
}

/* A failure on a bot's way in (it never joined): remembered for the report
 * of why bots did not join (bots_join_failures). The server disconnects a
 * rejected peer with the REJECT's reason as ENet's disconnect data, so a
 * reason also names the refusal when the REJECT itself was lost, or when
 * the bot is reconnecting by itself (--reconnect) and gets no REJECTED.
 * why: the event's text. */
static void note_join_failure(bench *b, bot *bt, uint32_t reason, bool unanswered, const char *why)
{
    if (bt->joined || b->leaving)
        return;
    if (unanswered) {
        bt->join_failure = BOT_JOIN_UNANSWERED;
        return;
    }
    bt->answered = true;
    if (reason == 0 || reason > PROTO_REASON_MAX) {
        bt->join_failure = BOT_JOIN_LOST;
        return;
    }
    bt->join_failure = BOT_JOIN_REJECTED;
    bt->join_reason = (uint8_t)reason;
    char *text = b->res->why_not_joined.reject_text[reason];
    int cap = (int)sizeof b->res->why_not_joined.reject_text[0];
    if (text[0] == '\0') /* a REJECT's text is a str8: it fits */
        snprintf(text, (size_t)cap, "%.*s", cap - 1, why);
}

static void on_event(bench *b, bot *bt, const client_event *ev, uint64_t now_us)
{
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        bt->answered = true;
        b->bot_of_id[client_get_view(bt->c)->my_id] = bt->index;
        if (bt->joined) { /* back after a reconnection (--reconnect) */
            b->res->resumes += ev->joined.resumed;
            break;
        }
        bt->joined = true;
        b->settled_or_gone++;
        if (!bt->gone)
            count_member(b, bt, +1);
        bt->first_record = b->record_count;
        if (!bot_misbehaves(bt))
            record_latency(b, BENCH_JOIN_TIME, bt->created_us, now_us);
        break;
    case CLIENT_EV_RECONNECTING:
        /* Lost (--reconnect only): still a member, its seat is held; what it
         * misses must be replayed when it is back. */
        if (bt->joined && !b->leaving)
            b->res->reconnections++;
        note_join_failure(b, bt, ev->reconnecting.reason, ev->reconnecting.unanswered, ev->text);
        break;
    case CLIENT_EV_REJECTED:
    case CLIENT_EV_DISCONNECTED:
        if (bt->gone)
            break;
        if (ev->type == CLIENT_EV_REJECTED) /* never unanswered: the server sent it */
            note_join_failure(b, bt, ev->rejected.reason, false, ev->text);
        else
            note_join_failure(b, bt, ev->disconnected.reason, ev->disconnected.unanswered,
                              ev->text);
        if (bot_misbehaves(bt)) {
            /* Expected: the server may refuse or kick a misbehaving bot. */
            if (!b->leaving) {
                b->res->misbehaving_bots_kicked++;
                excuse_departed(b, bt);
            }
        } else if (b->res->first_join_error[0] == '\0') {
            snprintf(b->res->first_join_error, sizeof b->res->first_join_error, "bot%u: %.200s",
                     (unsigned)bt->index, ev->text);
        }
        if (bt->joined)
            count_member(b, bt, -1);
        else
            b->settled_or_gone++;
        bt->gone = true;
        break;
    case CLIENT_EV_CHAT:
        on_chat(b, bt, ev, now_us);
        break;
    case CLIENT_EV_CHAT_ACK:
        on_ack(b, bt, ev->chat_ack.msg_id, ev->chat_ack.seq, now_us, false);
        break;
    case CLIENT_EV_CHAT_REFUSED:
        on_ack(b, bt, ev->chat_refused.msg_id, 0, now_us, true);
        break;
    case CLIENT_EV_POSITION:
        if (ev->position.sent_us >= b->window_start_us && b->window_start_us != 0 &&
            position_counts(b, bt, ev->position.player_id)) {
            b->res->positions_received++;
            b->res->positions_merged += ev->position.merged;
            record_latency(b, BENCH_POSITION, ev->position.sent_us, now_us);
        }
        break;
    case CLIENT_EV_PONG:
        on_pong(b, bt, ev, now_us);
        break;
    case CLIENT_EV_REDIRECTED: /* the client core follows it; JOINED comes next */
        b->res->redirects++;
        break;
    case CLIENT_EV_PLAYER_JOINED:
    case CLIENT_EV_PLAYER_LEFT:
    case CLIENT_EV_PLAYER_STATUS:
    /* Bots join one lobby by HELLO and use no lobby requests. */
    case CLIENT_EV_LOBBY_LIST:
    case CLIENT_EV_LOBBY_REFUSED:
    case CLIENT_EV_LOBBY_EXITED:
    case CLIENT_EV_LOBBY_STATE:
    case CLIENT_EV_COUNTDOWN:
    case CLIENT_EV_COUNTDOWN_CANCELLED:
    case CLIENT_EV_GAME_STARTING:
    case CLIENT_EV_DIRECT_CHAT:
    case CLIENT_EV_CHAT_GAP:
        break;
    }
}

void bots_service_net(bench *b, uint32_t net, uint64_t now_us)
{
    client_net_update(b->nets[net], now_us);
    b->net_service_us[net] = now_us;
    b->net_dirty[net] = false;
    /* Stamp arrivals after the service call: a reply can come back while it
     * runs (the server is on the other core), and stamping with the time
     * before would make it look faster than light. */
    uint64_t arrived_us = clock_now_us();
    client *c;
    client_event ev;
    while (client_net_next_ready(b->nets[net], &c)) {
        bot *bt = client_user(c);
        while (client_next_event(c, &ev))
            on_event(b, bt, &ev, arrived_us);
    }
}

/* ---- totals ------------------------------------------------------------------- */

bool bots_settled(const bench *b, const bot *bt)
{
    if (bt->c == NULL || !bt->joined || bt->gone)
        return false;
    /* Flooders refused on the way in are not waited for. */
    uint32_t expected = b->lobby_size[bt->lobby];
    for (uint32_t i = b->cfg->bots; i < b->bot_count; i++)
        expected -= b->bots[i].lobby == bt->lobby && b->bots[i].gone;
    return client_get_view(bt->c)->player_count >= expected;
}

bool bots_all_settled(const bench *b)
{
    for (uint32_t i = 0; i < b->bot_count; i++) {
        const bot *bt = &b->bots[i];
        if (bt->flooder && bt->gone)
            continue;
        if (!bots_settled(b, bt))
            return false;
    }
    return true;
}

bool bots_join_hopeless(const bench *b)
{
    if (b->started < b->bot_count)
        return false;
    bool any_gone = false;
    for (uint32_t i = 0; i < b->cfg->bots; i++) {
        const bot *bt = &b->bots[i];
        if (bt->gone)
            any_gone = true;
        else if (!bt->joined)
            return false;
    }
    return any_gone;
}

void bots_count(const bench *b, bots_counters *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < b->bot_count; i++) {
        const bot *bt = &b->bots[i];
        if (bt->c == NULL)
            continue;
        out->joined += bt->joined && !bt->gone && !bt->flooder;
    }
    for (uint32_t h = 0; h < b->net_count; h++) {
        client_traffic t;
        client_net_get_traffic(b->nets[h], &t);
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
        if (!r->refused && !r->abandoned && (!r->acked || r->received < r->expected))
            return false;
    }
    return true;
}

bool bots_any_connected(const bench *b)
{
    for (uint32_t i = 0; i < b->bot_count; i++) {
        const bot *bt = &b->bots[i];
        if (bt->c != NULL && client_get_view(bt->c)->state != CLIENT_DISCONNECTED &&
            client_get_view(bt->c)->state != CLIENT_REJECTED)
            return true;
    }
    return false;
}

void bots_join_failures(bench *b)
{
    bench_join_failures *w = &b->res->why_not_joined;
    w->incomplete = true;
    w->join_window = BOTS_JOIN_WINDOW;
    for (uint32_t i = 0; i < b->cfg->bots; i++) { /* flooders come after */
        const bot *bt = &b->bots[i];
        w->answered += bt->answered;
        if (bt->c == NULL) {
            w->not_started++;
            continue;
        }
        if (bt->joined && !bt->gone)
            continue; /* in, though its lobby may not be complete yet */
        /* The bots' handshake timeout is the join phase's: one still
         * connecting at its end has had no answer all along. */
        bool connecting = client_get_view(bt->c)->state == CLIENT_CONNECTING && !bt->gone;
        if (bt->joined || bt->join_failure == BOT_JOIN_LOST)
            w->lost++;
        else if (bt->join_failure == BOT_JOIN_UNANSWERED || connecting)
            w->unanswered++;
        else if (bt->join_failure == BOT_JOIN_REJECTED)
            w->rejected[bt->join_reason]++;
        else
            w->pending++;
    }
}

void bots_tally(bench *b)
{
    bench_results *res = b->res;
    for (size_t i = 0; i < b->record_count; i++) {
        const chat_record *r = &b->records[i];
        if (!r->acked && !r->refused && !r->abandoned)
            res->chats_unacked++;
        if (r->acked && r->received < r->expected)
            res->acked_chats_lost += r->expected - r->received;
        if (r->received >= 2)
            histogram_record(&res->latency[BENCH_CHAT_SPREAD], r->last_us - r->first_us);
    }
    for (uint32_t i = 0; i < b->bot_count; i++) {
        if (b->bots[i].c == NULL || bot_misbehaves(&b->bots[i]))
            continue;
        const client_view *v = client_get_view(b->bots[i].c);
        res->position_duplicates += v->duplicate_positions;
        res->position_reordered += v->reordered_positions;
    }
}
