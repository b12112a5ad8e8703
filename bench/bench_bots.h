/* Private to lobby-bench: the bots and the bookkeeping behind bench_run. */
#ifndef LOBBY_BENCH_BOTS_H
#define LOBBY_BENCH_BOTS_H

#include "bench.h"
#include "client.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One chat message sent during the run, found again from its text. */
typedef struct chat_record {
    uint32_t sender, lobby;
    uint64_t sent_us, first_us, last_us;
    uint32_t expected; /* bots in the lobby at send time, sender excluded */
    uint32_t received; /* distinct members that got it */
    bool acked, refused;
} chat_record;

typedef struct bot {
    client *c;
    uint32_t index, lobby;
    uint64_t created_us, last_service_us;
    bool joined, gone;
    uint64_t next_move_us, next_chat_us, next_ping_us, next_rtt_sample_us;
    float centre_x, centre_y, phase;
    uint64_t last_ping_rtt_us;
    uint32_t last_chat_seq;
    uint32_t *record_of_msg; /* chat record index by msg_id - 1 */
    size_t msg_count, msg_cap;
} bot;

typedef struct bench {
    const bench_config *cfg;
    bench_results *res;
    bot *bots;
    struct pollfd *fds;
    uint32_t *lobby_size; /* bots assigned to each lobby */
    chat_record *records;
    size_t record_count, record_cap;
    bool sending;
    uint64_t window_start_us, window_end_us;
    uint64_t rng;
} bench;

/* Totals across bots, for progress lines. */
typedef struct bots_counters {
    uint32_t joined;
    client_traffic traffic;
    uint64_t chats, positions, at_us;
} bots_counters;

/* Creates every bot's connection. Returns 0 or -1 (reason in results). */
int bots_init(bench *b, const bench_config *cfg, bench_results *res);
void bots_deinit(bench *b);

/* Sends whatever is due for this bot; true when it queued something. */
bool bots_act(bench *b, bot *bt, uint64_t now_us);
/* Services the bot's ENet host and records what arrived. */
void bots_service(bench *b, bot *bt, uint64_t now_us);
/* Joined and seeing every bot of its lobby. */
bool bots_settled(const bench *b, const bot *bt);
void bots_count(const bench *b, bots_counters *out);
void bots_start_sending(bench *b, uint64_t now_us);
/* Every chat of the run acknowledged (or refused) and delivered everywhere. */
bool bots_chats_settled(const bench *b);
bool bots_any_connected(const bench *b);
/* Final figures from the chat records and the clients' counters. */
void bots_tally(bench *b);

#endif
