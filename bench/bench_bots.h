/* Private to lobby-bench: the bots and the bookkeeping behind bench_run. */
#ifndef LOBBY_BENCH_BOTS_H
#define LOBBY_BENCH_BOTS_H

#include "bench.h"
#include "bench_sched.h"
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
    bool abandoned; /* its sender misbehaved and was kicked before the answer */
} chat_record;

/* How a bot's way into its lobby last failed (bots_join_failures). */
typedef enum bot_join_failure {
    BOT_JOIN_OK,         /* no failure seen */
    BOT_JOIN_UNANSWERED, /* its connection request was never answered */
    BOT_JOIN_REJECTED,   /* REJECT, reason in join_reason */
    BOT_JOIN_LOST,       /* the connection ended after the server answered */
} bot_join_failure;

typedef struct bot {
    client *c;
    uint32_t index, lobby, net;
    uint64_t created_us;
    bool joined, gone;
    bool answered;        /* the server answered its connection request at least once */
    uint8_t join_failure; /* bot_join_failure, before it first joined */
    uint8_t join_reason;  /* proto_reason of BOT_JOIN_REJECTED */
    uint64_t next_move_us, next_chat_us, next_ping_us, next_rtt_sample_us;
    float centre_x, centre_y, phase;
    uint64_t last_ping_rtt_us;
    uint32_t last_chat_seq;
    uint32_t *record_of_msg; /* chat record index by msg_id - 1 */
    size_t msg_count, msg_cap;
    /* Misbehaving bots (bench_config's malformed_percent and flooders). */
    bool malformed, flooder;
    uint64_t next_malformed_us, next_flood_us;
    size_t first_record; /* the first chat record sent while it was a member */
    uint8_t *got;        /* bitmap by record index: chats it received */
    size_t got_bytes;
} bot;

typedef struct bench {
    const bench_config *cfg;
    bench_results *res;
    bot *bots;
    uint32_t bot_count; /* cfg->bots well-behaved or malformed, then cfg->flooders */
    client_net **nets;  /* bot i is on nets[i / cfg->bots_per_host] */
    uint32_t net_count;
    struct pollfd *fds;       /* one per net */
    uint64_t *net_service_us; /* when each net was last serviced */
    bool *net_dirty;          /* sends queued since its last service */
    bench_sched sched;        /* sending bots by their next due send */
    uint32_t *due_bots;       /* scratch: the bots taken from sched in one pass */
    uint32_t *lobby_size;     /* bots assigned to each lobby */
    uint32_t started;         /* bots 0 .. started-1 have a client */
    uint32_t settled_or_gone; /* of those, joined once or given up */
    /* Bots in each lobby now (joined, not gone), all and well-behaved only:
     * kept up to date so a send need not count them. */
    uint32_t *lobby_members, *lobby_good_members;
    uint32_t *bot_of_id; /* bot index by player id (BOT_NONE: none of ours) */
    chat_record *records;
    size_t record_count, record_cap;
    bool sending;
    uint64_t window_start_us, window_end_us;
    uint64_t rng;
    uint64_t abuse_rng; /* malformed bytes: apart, so movement does not depend on it */
    bool leaving;       /* the bots are leaving: disconnects are no longer kicks */
} bench;

/* At most this many bots are joining at once: a storm of thousands of
 * handshakes at the same instant overflows socket buffers on both sides and
 * loses hellos; a player base never connects like that either. */
enum { BOT_NONE = UINT32_MAX, BOT_ID_SPACE = 65536, BOTS_JOIN_WINDOW = 128 };

/* A misbehaving bot: malformed or flooder. */
static inline bool bot_misbehaves(const bot *bt)
{
    return bt->malformed || bt->flooder;
}

/* Totals across bots, for progress lines. */
typedef struct bots_counters {
    uint32_t joined; /* of cfg->bots, flooders not included */
    client_traffic traffic;
    uint64_t chats, positions, at_us;
} bots_counters;

/* Sets up every bot and its host; connects none. 0 or -1 (reason in results). */
int bots_init(bench *b, const bench_config *cfg, bench_results *res);
/* Starts the next bots' connections, keeping BOTS_JOIN_WINDOW joining at
 * once. 0 or -1 (reason in results). */
int bots_start_more(bench *b);
void bots_deinit(bench *b);

/* Sends whatever of this bot is due by until_us (stamped now_us); true when
 * it queued something. */
bool bots_act(bench *b, bot *bt, uint64_t now_us, uint64_t until_us);
/* When the bot next has something to send; UINT64_MAX: never (gone). */
uint64_t bots_next_due(const bench *b, const bot *bt);
/* Services one net (its ENet host) and records what arrived for its bots. */
void bots_service_net(bench *b, uint32_t net, uint64_t now_us);
/* Joined and seeing every bot of its lobby that has not given up. */
bool bots_settled(const bench *b, const bot *bt);
/* Every bot settled; a flooder may have been refused instead. */
bool bots_all_settled(const bench *b);
/* Every bot started and each of cfg->bots joined or gone, at least one gone:
 * the join phase cannot succeed any more, so there is no use waiting. */
bool bots_join_hopeless(const bench *b);
void bots_count(const bench *b, bots_counters *out);
/* Schedules every bot's first sends, spread over one period. */
void bots_start_sending(bench *b, uint64_t now_us);
/* Every chat of the run acknowledged (or refused) and delivered everywhere. */
bool bots_chats_settled(const bench *b);
bool bots_any_connected(const bench *b);
/* Final figures from the chat records and the clients' counters. */
void bots_tally(bench *b);
/* Fills results->why_not_joined from each bot's state and last failure. */
void bots_join_failures(bench *b);

#endif
