/* The chat log a player sees: messages from others, one's own messages with
 * their delivery state (pending until the server's acknowledgement, then
 * acknowledged or refused with the reason), and join/leave/status lines.
 * A bounded ring: the oldest line scrolls out when it is full. No SDL. */
#ifndef LOBBY_CHAT_LOG_H
#define LOBBY_CHAT_LOG_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CHAT_LOG_LINES = 100,
    CHAT_NOTE_BYTES = 128,
    CHAT_TEXT_CLIENT_COLOUR = 0xAAAAAA, /* text clients have no player colour */
};

typedef enum chat_line_kind {
    CHAT_LINE_MESSAGE, /* someone else's message */
    CHAT_LINE_OWN,     /* ours; see own_state */
    CHAT_LINE_SYSTEM,  /* joins, leaves, connection news */
} chat_line_kind;

typedef enum chat_own_state {
    CHAT_OWN_PENDING,
    CHAT_OWN_ACKED,
    CHAT_OWN_REFUSED, /* note says why */
} chat_own_state;

typedef struct chat_line {
    chat_line_kind kind;
    chat_own_state own_state;
    bool from_text;  /* MESSAGE from a plain-text (TCP) client, not a player */
    uint32_t msg_id; /* ours: the id the ack or refusal will name */
    uint32_t seq;    /* the server's sequence number, once known */
    uint32_t colour; /* the sender's, 0xRRGGBB */
    char who[PROTO_MAX_NAME_BYTES + 1];
    char text[PROTO_MAX_CHAT_BYTES + 1];
    char note[CHAT_NOTE_BYTES];
} chat_line;

typedef struct chat_log {
    chat_line lines[CHAT_LOG_LINES];
    size_t head, count; /* oldest at lines[head] */
} chat_log;

void chat_log_init(chat_log *log);
size_t chat_log_count(const chat_log *log);
/* Line i, 0 being the oldest kept. */
const chat_line *chat_log_line(const chat_log *log, size_t i);

void chat_log_message(chat_log *log, const char *who, uint32_t colour, uint32_t seq,
                      const char *text);
/* A message from a plain-text client (not a player): drawn with a mark. */
void chat_log_text_message(chat_log *log, const char *who, uint32_t seq, const char *text);
void chat_log_own(chat_log *log, const char *who, uint32_t colour, uint32_t msg_id,
                  const char *text, size_t len);
void chat_log_system(chat_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Marks our message msg_id acknowledged / refused; false when it scrolled out. */
bool chat_log_ack(chat_log *log, uint32_t msg_id, uint32_t seq);
bool chat_log_refuse(chat_log *log, uint32_t msg_id, const char *why);
/* Marks every pending message of ours refused with why (connection lost). */
void chat_log_fail_pending(chat_log *log, const char *why);

#endif
