/* Chat: the one path by which a line is posted into a lobby, whoever sends
 * it (a player, a text client, later a remote server): the rate and text
 * checks, the lobby's sequence number and history, the relay to the members
 * (CHAT_RELAY from a player, TEXT_CHAT_RELAY from anyone else), the ack to a
 * player, the chat tap and the counters. Refusing is the caller's: a player
 * hears CHAT_REFUSED, a text client a result code. */
#ifndef LOBBY_CHAT_H
#define LOBBY_CHAT_H

#include "lobby.h"
#include "proto.h"
#include "ratelimit.h"
#include "replies.h"
#include "server.h" /* server_config, server_chat_tap, server_chat_note */
#include "server_stats.h"
#include "text.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct chat {
    double per_s, burst;  /* lines per sender: sustained, back to back */
    uint32_t flood_limit; /* rate-limited lines in short order before a sender is put out */
    server_chat_tap tap;  /* NULL: none */
    void *tap_user;
    replies *out;
    /* Written here: chats_accepted, chat_relays, text_chats_accepted. */
    server_stats *stats;
} chat;

/* out and stats must outlive c. */
void chat_init(chat *c, const server_config *cfg, replies *out, server_stats *stats);
/* Installs the tap (NULL: none); see server_set_chat_tap. */
void chat_set_tap(chat *c, server_chat_tap tap, void *user);
/* The flood bucket's size: refusals in short order before a sender is out. */
double chat_flood_burst(const chat *c);
/* Full buckets for a new sender: its lines, and its refusals (flooding). */
void chat_fresh_buckets(const chat *c, rate_bucket *lines, rate_bucket *flood, uint64_t now_us);

typedef enum chat_verdict {
    CHAT_OK = 0,
    CHAT_RATE_LIMITED, /* too fast: refuse this line */
    CHAT_FLOODING,     /* too fast, and kept at it: refuse and put the sender out */
    CHAT_BAD_TEXT,     /* *why says what is wrong with the text */
} chat_verdict;

/* The checks every line passes, in this order: the sender's rate (a token
 * from lines; a refusal drains flood), then the text. Both buckets are
 * judged with the loop's stall (rate_stall_burst; stall may be NULL). */
chat_verdict chat_check(const chat *c, rate_bucket *lines, rate_bucket *flood, proto_str text,
                        const rate_stall *stall, uint64_t now_us, text_verdict *why);
/* Charges one refusal to a sender's flood bucket, at the rate that rate-
 * limited chat lines drain it: false when the bucket is empty, i.e. the
 * sender keeps sending what is refused and should be put out (FLOODING). */
bool chat_take_refusal(const chat *c, rate_bucket *flood, const rate_stall *stall, uint64_t now_us);

/* Who posts a line. */
typedef struct chat_sender {
    uint16_t player_id;               /* 0: not a player (a text client) */
    uint32_t slot;                    /* a player's session slot: it gets the CHAT_ACK */
    uint32_t msg_id;                  /* a player's message id, echoed in the ack */
    proto_str name;                   /* shown with the line (history, TEXT_CHAT_RELAY, tap) */
    const server_text_client *origin; /* the text client that posted it, or NULL */
} chat_sender;

/* Posts a checked line into lobby l (index lobby_index): the next sequence
 * number, history, ack, relay, tap, counters. Returns the sequence number. */
uint32_t chat_post(chat *c, lobby *l, int lobby_index, const chat_sender *from, proto_str text);

#endif
