/* bench/: lobby-bench, the latency test harness: bots on the client core,
 * and the scripts around it (plot.sh, soak.sh, perf_matrix.py).
 * May include: shared/, cli/, client/ (ENet only in bench_main.c, for
 * enet_initialize). Must never include: server/, game-client/, chat/,
 * netsim/, compare/, SDL (tests/check_includes.py). */

/* lobby-bench's engine: N bots on the client core, many sharing each ENet
 * host (bots_per_host), driven by one loop; they join K lobbies, move, chat
 * and ping, and measure everything from timestamps in their own messages
 * (one process, one clock). No printing here: bench_report.c turns results
 * into text. */
#ifndef LOBBY_BENCH_H
#define LOBBY_BENCH_H

#include "histogram.h"
#include "proto.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct bench_progress {
    double elapsed_s, duration_s;
    uint32_t bots_joined, bots;
    double chats_per_s, positions_per_s; /* sent, over the last second */
    double kbytes_out_per_s, kbytes_in_per_s;
} bench_progress;

enum { BENCH_MAX_SERVERS = 16 }; /* --server A,B,...: servers the bots spread over */

typedef struct bench_config {
    const char *host; /* the first server (reports name it) */
    uint16_t port;
    /* Bot i connects to server i % server_count (round-robin); 0 or 1:
     * host:port alone. With a cluster, a bot whose lobby lives on another
     * server is redirected there (counted in redirects). */
    uint32_t server_count;
    const char *hosts[BENCH_MAX_SERVERS];
    uint16_t ports[BENCH_MAX_SERVERS];
    uint32_t bots;
    uint32_t lobbies;
    double duration_s;
    double move_hz;    /* position updates per bot per second */
    double chat_per_s; /* chat messages per bot per second; may be below 1 */
    double ping_hz;    /* application pings per bot per second */
    uint64_t seed;
    /* Misbehaving bots. This percentage of the bots (chosen from the seed)
     * also sends one malformed message a second; `flooders` extra bots chat
     * at flood_per_s to trip the rate limit. The server may refuse or kick
     * them: that is expected, never an error. */
    double malformed_percent;
    uint32_t flooders;
    double flood_per_s;
    /* Well-behaved bots reconnect by themselves when their connection is
     * lost (the client core's auto_reconnect), taking their seat back with
     * its token and getting the chat they missed replayed. */
    bool reconnect;
    /* Bots per ENet host (one UDP socket each): 1 is a socket per bot, as
     * separate machines would have; more keeps one process ahead of
     * thousands of bots. */
    uint32_t bots_per_host;
    /* With a pid, the server's CPU time and RSS are sampled over the run. */
    int server_pid;        /* 0: none */
    double join_timeout_s; /* bots not joined by then have failed */
    double drain_s;        /* after the last send, how long to wait for stragglers */
    /* Called about once a second while running (may be NULL). */
    void (*progress)(void *user, const bench_progress *p);
    void *progress_user;
} bench_config;

/* Latency measures, all in microseconds. */
enum {
    BENCH_CHAT_ACK_RTT,  /* send to acknowledgement */
    BENCH_CHAT_DELIVERY, /* send to arrival at each other member */
    BENCH_CHAT_SPREAD,   /* first to last member receiving the same message */
    BENCH_POSITION,      /* position send to arrival at each other member */
    BENCH_PING_RTT,      /* application ping round trip */
    BENCH_PING_JITTER,   /* difference between a bot's consecutive ping RTTs */
    BENCH_ENET_RTT,      /* ENet's smoothed RTT, sampled once a second per bot */
    BENCH_JOIN_TIME,     /* connect to welcome */
    BENCH_MEASURES,
};

/* Why the bots that were not in their lobby when the join phase ended
 * (flooders aside) are not. */
typedef struct bench_join_failures {
    bool incomplete; /* the join phase ended without every bot in its lobby */
    /* Their connection request (ENet's CONNECT) was never answered. Others'
     * were (answered > 0): the server is there and dropped these, as it does
     * past its per-address limits. */
    uint32_t unanswered;
    uint32_t answered;                       /* bots whose connection request the server answered */
    uint32_t rejected[PROTO_REASON_MAX + 1]; /* REJECT, by reason */
    /* The server's text of the first REJECT of each reason (at most a str8). */
    char reject_text[PROTO_REASON_MAX + 1][PROTO_MAX_STR8_BYTES + 1];
    uint32_t lost;        /* connected, then disconnected before being counted in */
    uint32_t pending;     /* still joining, no answer and no failure yet */
    uint32_t not_started; /* never started: the join window stayed full */
    uint32_t join_window; /* bots joining at once at most */
} bench_join_failures;

typedef struct bench_results {
    histogram latency[BENCH_MEASURES];
    uint32_t bots_joined, join_failures;
    char first_join_error[256];
    bench_join_failures why_not_joined;
    uint64_t chats_sent, chats_acked, chats_refused, chats_unacked;
    uint64_t chat_deliveries, chat_duplicates, chat_out_of_order;
    uint64_t acked_chats_lost; /* acked, yet missing at a member present at send time */
    uint64_t positions_sent, positions_expected, positions_received;
    /* Superseded at the server by a newer position before its tick: not
     * delivered by design, so not loss. */
    uint64_t positions_merged;
    uint64_t position_duplicates, position_reordered;
    uint64_t bytes_out, bytes_in, packets_out, packets_in; /* during the run */
    uint32_t malformed_bots;                               /* bots chosen to misbehave */
    uint64_t malformed_sent;                               /* malformed messages sent */
    uint64_t flood_chats_sent, flood_chats_acked, flood_refused;
    uint32_t misbehaving_bots_kicked; /* refused at join or disconnected by the server */
    uint64_t reconnections;           /* well-behaved bots that lost their connection */
    uint64_t resumes;                 /* ... and got their seat back with their token */
    uint64_t redirects;               /* REDIRECTs followed: a bot sent to its lobby's server */
    double run_s;                     /* measured length of the sending phase */
    uint32_t hosts;                   /* ENet hosts the bots used */
    /* Over the sending phase (run_s): lobby-bench's own CPU time, and with
     * server_pid the server's CPU time and its RSS at the end. */
    double bench_cpu_s;
    bool server_measured; /* false: no server_pid, or /proc could not be read */
    double server_cpu_s;
    uint64_t server_rss_kb;
} bench_results;

const char *bench_measure_name(int measure);

/* Runs the whole benchmark. Returns 0, or -1 when the bots could not be
 * started (results->first_join_error says why) or not all joined
 * (results->why_not_joined.incomplete, and the rest of it says why).
 * results must be freed with bench_results_deinit, whatever the return
 * value. */
int bench_run(const bench_config *cfg, bench_results *results);
void bench_results_deinit(bench_results *results);

double bench_position_loss_percent(const bench_results *r);
/* CPU seconds as a percentage of one core over run_s. */
double bench_cpu_percent(double cpu_s, const bench_results *r);
/* Server CPU microseconds per position received by the bots (0: none). */
double bench_server_us_per_position(const bench_results *r);

#endif
