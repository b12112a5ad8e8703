/* Where a message from a plain-text client ends: the framing rules of the
 * text port, as pure code (no sockets, time passed in).
 *
 * A message ends
 *  - at "\n" (one "\r" right before it is dropped: "\r\n" works too);
 *  - for the connection's first message only, when the client has sent
 *    nothing more for TEXTLINE_QUIET_US after some bytes (a one-shot client
 *    that sends "Hello server!" without a newline and waits for its reply);
 *    once one message has ended, only "\n" or the end of the stream ends
 *    one, so a client dribbling a byte at a time (slowloris) never makes a
 *    message of each byte;
 *  - at the end of the stream (the peer's FIN) with bytes pending.
 * How long a pending message may take is the caller's limit: see
 * textline_started_us.
 * Empty messages are reported with len 0 for the caller to ignore. A
 * message longer than TEXTLINE_MAX_BYTES is never cut: it is reported as
 * TEXTLINE_TOO_LONG as soon as that is certain, and the stream is unusable
 * after it. */
#ifndef LOBBY_TEXTLINE_H
#define LOBBY_TEXTLINE_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TEXTLINE_MAX_BYTES = PROTO_MAX_CHAT_BYTES, /* a message, without its "\r\n" */
    TEXTLINE_QUIET_US = 100 * 1000,
};

typedef enum textline_status {
    TEXTLINE_NONE = 0, /* no message ends yet */
    TEXTLINE_MESSAGE,  /* *msg holds one (possibly empty) */
    TEXTLINE_TOO_LONG, /* over TEXTLINE_MAX_BYTES: refuse it and close */
} textline_status;

typedef struct textline {
    /* One byte beyond the limit: a "\r" that may turn out to precede "\n". */
    char buf[TEXTLINE_MAX_BYTES + 1];
    size_t len;
    uint64_t last_byte_us;  /* when the pending bytes last grew */
    uint64_t first_byte_us; /* when the pending message began */
    bool ended_one;         /* a message has ended: no more quiet endings */
    bool too_long;          /* sticky: nothing more is framed */
} textline;

void textline_init(textline *tl);

/* Frames data[0..len) received at now_us. Returns how many bytes it consumed:
 * up to and including the end of the first message, or all of them. *status
 * says whether a message (*msg, a view into tl valid until the next call)
 * ended or the line is too long. Call again with the rest. */
size_t textline_feed(textline *tl, const char *data, size_t len, uint64_t now_us,
                     textline_status *status, proto_str *msg);

/* Ends a pending message when it is the connection's first and the client
 * has been quiet for TEXTLINE_QUIET_US, or at once when eof. Returns TEXTLINE_NONE when there
 * is none to end (nothing pending, or not quiet long enough). */
textline_status textline_flush(textline *tl, uint64_t now_us, bool eof, proto_str *msg);

/* Bytes of a message still waiting for its end. */
size_t textline_pending(const textline *tl);
/* When textline_flush will end the pending message, or UINT64_MAX. */
uint64_t textline_deadline_us(const textline *tl);
/* When the pending message's first byte arrived, or UINT64_MAX when none is
 * pending: the caller bounds how long one message may take to arrive. */
uint64_t textline_started_us(const textline *tl);

#endif
