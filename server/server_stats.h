/* The server core's public counters (server_get_stats). Each counter is
 * written only by the module that does the counted thing: the server core's
 * modules get a pointer to this struct at creation and write their own
 * fields (replies.c what goes out and the refusals, chat.c the chat lines,
 * ...). Everyone else reads it through server_get_stats. */
#ifndef LOBBY_SERVER_STATS_H
#define LOBBY_SERVER_STATS_H

#include "proto.h"

#include <stdint.h>

/* Why a message counted as malformed: it did not decode (the first four
 * follow proto_error), it decoded but is not allowed in the session's state
 * (a chat before the hello, a second hello), it was an empty packet, or it
 * came on the other channel than its type's. */
typedef enum server_malformed_kind {
    SERVER_MALFORMED_TRUNCATED = 0,
    SERVER_MALFORMED_TRAILING,
    SERVER_MALFORMED_UNKNOWN_TYPE,
    SERVER_MALFORMED_BAD_VALUE,
    SERVER_MALFORMED_WRONG_STATE,
    SERVER_MALFORMED_EMPTY,         /* an ENet packet of no bytes */
    SERVER_MALFORMED_WRONG_CHANNEL, /* decoded, but on another channel than its type's */
    SERVER_MALFORMED_KINDS,
} server_malformed_kind;

/* Which per-holder or per-address quota stopped something (quota_hits). */
typedef enum server_quota {
    SERVER_QUOTA_HELD_SEATS = 0, /* a holder's oldest held seat given up for a newer one */
    SERVER_QUOTA_LOBBY_SHARE,    /* a join past the holder's share of a lobby */
    SERVER_QUOTA_BROWSING,       /* a BROWSE hello past the address's browsing sessions */
    SERVER_QUOTA_HANDSHAKES,     /* a connection past the address's sessions before hello */
    SERVER_QUOTA_LOBBIES_OPEN,   /* a lobby past the holder's open lobbies */
    SERVER_QUOTA_LOBBY_RATE,     /* a lobby opened too fast by one holder */
    SERVER_QUOTA_BROWSE_IDLE,    /* a browsing session closed for sending no request */
    SERVER_QUOTAS,
} server_quota;

/* Message counters are indexed by the type byte; proto_type_name names it. */
enum { SERVER_MSG_TYPES = 256 };

/* Counters for logs and metrics; only ever grow. */
typedef struct server_stats {
    uint64_t connects;
    uint64_t joins;
    uint64_t rejects[PROTO_REASON_MAX + 1];
    uint64_t leaves[PROTO_LEAVE_MAX + 1]; /* by proto_leave_reason; [0]: the shutdown */
    uint64_t chats_accepted;
    uint64_t chats_refused[PROTO_REFUSE_MAX + 1];
    uint64_t chat_relays; /* one per recipient */
    uint64_t positions_received;
    uint64_t positions_stale;
    uint64_t positions_rate_limited;
    uint64_t flood_kicks;
    uint64_t position_relays;  /* positions delivered: one per snapshot entry per other member */
    uint64_t snapshots;        /* snapshot packets queued, one per recipient */
    uint64_t positions_merged; /* replaced by a newer one of the same player before a snapshot */
    uint64_t pings;
    uint64_t malformed;
    uint64_t malformed_by[SERVER_MALFORMED_KINDS]; /* the same, by why */
    uint64_t kicks;
    uint64_t seats_held;          /* timed-out players whose seat was kept for the grace period */
    uint64_t resumes;             /* players who came back with their token */
    uint64_t resume_refused;      /* forged, expired, reused or rate-limited tokens */
    uint64_t resume_chat_gaps;    /* resumes told CHAT_GAP: lines passed out of the history */
    uint64_t resume_lines_missed; /* the lines those CHAT_GAPs counted */
    uint64_t outbox_errors;
    /* Every message that decoded, out-of-state ones included, and its bytes. */
    uint64_t messages_in[SERVER_MSG_TYPES];
    uint64_t bytes_in[SERVER_MSG_TYPES];
    /* Every message queued in the outbox, once per recipient, and its bytes
     * (ENet's own headers not included). */
    uint64_t messages_out[SERVER_MSG_TYPES];
    uint64_t bytes_out[SERVER_MSG_TYPES];
    uint64_t text_chats_accepted; /* from text clients; also in chats_accepted */
    uint64_t text_chats_refused;  /* from text clients, any reason */
    uint64_t lobby_refusals[PROTO_LOBBY_REFUSAL_MAX + 1]; /* LOBBY_REFUSED, by reason */
    uint64_t lobbies_created;                             /* CREATE_LOBBY accepted */
    uint64_t lobbies_closed;     /* closed after standing empty for the grace time */
    uint64_t owner_kicks;        /* KICK accepted */
    uint64_t countdowns_started; /* START_GAME accepted */
    uint64_t countdowns_cancelled;
    uint64_t games_started;
    uint64_t direct_chats; /* DIRECT_CHAT relayed */
    /* LIST_LOBBIES refused because its address's LOBBY_LIST bytes were over
     * budget (also in lobby_refusals[RATE_LIMITED]). */
    uint64_t lists_over_budget;
    uint64_t quota_hits[SERVER_QUOTAS]; /* by server_quota */
    uint64_t goodbyes;                  /* disconnects the peer asked for (no seat held) */
    uint64_t loop_stalls;               /* server_note_stall: passes that started far too late */
    uint64_t loop_stall_ms;
    uint64_t refusal_kicks; /* kicked FLOODING for refused requests (also in flood_kicks) */
    /* A cluster (docs/CLUSTER.md). Redirects sent, by the request they
     * answered: [0] HELLO, [1] CREATE_LOBBY, [2] JOIN_LOBBY. */
    uint64_t redirects_sent[3];
    uint64_t redirects_honoured; /* players who came with a ticket and got in */
    uint64_t tickets_refused[3]; /* by reason: [0] invalid, [1] expired, [2] used */
    uint64_t tickets_expired;    /* seats held for a ticket that never came */
    uint64_t seats_held_for_tickets;
    uint64_t claims_won, claims_lost;
    uint64_t claims_unanswered; /* the directory did not answer in time: opened unclaimed */
} server_stats;

#endif
