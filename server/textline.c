#include "textline.h"

void textline_init(textline *tl)
{
    tl->len = 0;
    tl->last_byte_us = 0;
    tl->first_byte_us = 0;
    tl->ended_one = false;
    tl->too_long = false;
}

/* The pending bytes as a message, which starts the next one afresh. */
static proto_str take(textline *tl, size_t len)
{
    proto_str out = {tl->buf, len};
    tl->len = 0;
    tl->ended_one = true;
    return out;
}

/* Marks the line too long; the rest of the input is of no use. */
static size_t refuse(textline *tl, size_t len, textline_status *status)
{
    tl->too_long = true;
    *status = TEXTLINE_TOO_LONG;
    return len;
}

size_t textline_feed(textline *tl, const char *data, size_t len, uint64_t now_us,
                     textline_status *status, proto_str *msg)
{
    *status = TEXTLINE_NONE;
    if (tl->too_long)
        return refuse(tl, len, status);
    for (size_t i = 0; i < len; i++) {
        char b = data[i];
        if (b == '\n') {
            size_t n = tl->len;
            if (n > 0 && tl->buf[n - 1] == '\r')
                n--;
            *status = TEXTLINE_MESSAGE;
            *msg = take(tl, n);
            return i + 1;
        }
        /* Full, so the last byte is a "\r" beyond the limit (see below),
         * and it is not followed by its "\n". */
        if (tl->len == sizeof tl->buf)
            return refuse(tl, len, status);
        if (tl->len == 0)
            tl->first_byte_us = now_us;
        tl->buf[tl->len++] = b;
        tl->last_byte_us = now_us;
        /* One byte beyond the limit is too long, unless it is a "\r" that
         * the next byte may yet show to be the start of "\r\n". */
        if (tl->len == sizeof tl->buf && b != '\r')
            return refuse(tl, len, status);
    }
    return len;
}

textline_status textline_flush(textline *tl, uint64_t now_us, bool eof, proto_str *msg)
{
    if (tl->too_long)
        return TEXTLINE_TOO_LONG;
    if (tl->len == 0 || (!eof && (tl->ended_one || now_us - tl->last_byte_us < TEXTLINE_QUIET_US)))
        return TEXTLINE_NONE;
    if (tl->len > TEXTLINE_MAX_BYTES) { /* a "\r" beyond the limit, never followed by "\n" */
        tl->too_long = true;
        return TEXTLINE_TOO_LONG;
    }
    *msg = take(tl, tl->len);
    return TEXTLINE_MESSAGE;
}

size_t textline_pending(const textline *tl)
{
    return tl->len;
}

uint64_t textline_deadline_us(const textline *tl)
{
    return tl->len == 0 || tl->too_long || tl->ended_one ? UINT64_MAX
                                                         : tl->last_byte_us + TEXTLINE_QUIET_US;
}

uint64_t textline_started_us(const textline *tl)
{
    return tl->len == 0 || tl->too_long ? UINT64_MAX : tl->first_byte_us;
}
