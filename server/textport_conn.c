/* One text-port connection: bytes in, framed into messages (textline.c),
 * chat lines answered with one line each, commands handed to
 * textport_cmd.c; the output queue and the error codes. */
#include "log.h"
#include "textport_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
    /* Per connection per pass, so one fast sender cannot hold up the loop;
     * what is left is read in the next pass (epoll is level-triggered). */
    READ_BUDGET_BYTES = 64 * 1024,
    /* The longest reply: "chat 4294967295 [text] " + a 24-byte name + ": "
     * + 512 bytes of text + "\n", with room to spare. */
    LINE_BYTES = 1024,
};

const char *textport_error_code(textport_reply_error code)
{
    switch (code) {
    case TEXTPORT_ERR_TOO_LONG:
        return "too-long";
    case TEXTPORT_ERR_BAD_TEXT:
        return "bad-text";
    case TEXTPORT_ERR_RATE_LIMITED:
        return "rate-limited";
    case TEXTPORT_ERR_FLOODING:
        return "flooding";
    case TEXTPORT_ERR_BAD_NAME:
        return "bad-name";
    case TEXTPORT_ERR_BAD_LOBBY:
        return "bad-lobby";
    case TEXTPORT_ERR_TOO_MANY_LOBBIES:
        return "too-many-lobbies";
    case TEXTPORT_ERR_IDLE:
        return "idle";
    case TEXTPORT_ERR_TOO_MANY_CONNECTIONS:
        return "too-many-connections";
    case TEXTPORT_ERR_SHUTTING_DOWN:
        return "shutting-down";
    case TEXTPORT_ERR_PASSWORD_REQUIRED:
        return "password-required";
    case TEXTPORT_ERR_WRONG_PASSWORD:
        return "wrong-password";
    case TEXTPORT_ERR_NO_SUCH_LOBBY:
        return "no-such-lobby";
    case TEXTPORT_ERR_UNKNOWN_COMMAND:
        return "unknown-command";
    case TEXTPORT_ERR_USAGE:
        return "usage";
    case TEXTPORT_ERR_NOT_ADMITTED:
        return "not-admitted";
    case TEXTPORT_ERR_LINE_TIMEOUT:
        return "line-timeout";
    case TEXTPORT_ERR_LOBBY_BUSY:
        return "lobby-busy";
    case TEXTPORT_ERR_ELSEWHERE:
        return "elsewhere";
    case TEXTPORT_ERR_CODES:
        break;
    }
    return "?";
}

/* Room for n more bytes, compacting before growing; false when out of
 * memory. */
static bool reserve_out(tp_conn *c, size_t n)
{
    size_t pending = c->out_len - c->out_off;
    if (c->out_off > 0 && c->out_len + n > c->out_cap) {
        memmove(c->out, c->out + c->out_off, pending);
        c->out_off = 0;
        c->out_len = pending;
    }
    if (c->out_len + n <= c->out_cap)
        return true;
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n)
        cap *= 2;
    char *grown = realloc(c->out, cap);
    if (grown == NULL)
        return false;
    c->out = grown;
    c->out_cap = cap;
    return true;
}

/* Whether n more bytes may wait for c; otherwise it is closed as a slow
 * reader: past max_out_bytes of its own, or, while all text clients
 * together hold more than max_out_total_bytes unsent, past
 * TP_PRESSURE_PENDING_BYTES (a client that reads has next to nothing
 * waiting, so only the ones that do not are closed). */
static bool room_for(textport *tp, tp_conn *c, size_t n)
{
    size_t pending = c->out_len - c->out_off;
    if (pending + n > tp->cfg.max_out_bytes)
        tp_log_limited(tp, TP_LOG_SLOW, tp->now_us,
                       "closing text client %s: more than %zu bytes of output unread", c->label,
                       tp->cfg.max_out_bytes);
    else if (tp->out_total + n > tp->cfg.max_out_total_bytes &&
             pending >= TP_PRESSURE_PENDING_BYTES)
        tp_log_limited(tp, TP_LOG_SLOW, tp->now_us,
                       "closing text client %s: %zu bytes of output unread while text clients "
                       "hold more than %zu in all",
                       c->label, pending, tp->cfg.max_out_total_bytes);
    else if (!reserve_out(c, n))
        log_error("textport", "closing text client %s: out of memory for its output", c->label);
    else
        return true;
    tp_kill(tp, c, TEXTPORT_CLOSE_SLOW);
    return false;
}

void tp_send_line(textport *tp, tp_conn *c, const char *fmt, ...)
{
    if (c->dead)
        return;
    char line[LINE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1) { /* cannot happen: replies are bounded */
        log_error("textport", "reply to %s too long to format; closing it", c->label);
        tp_kill(tp, c, TEXTPORT_CLOSE_RESET);
        return;
    }
    line[n++] = '\n';
    if (!room_for(tp, c, (size_t)n))
        return;
    memcpy(c->out + c->out_len, line, (size_t)n);
    c->out_len += (size_t)n;
    tp->out_total += (size_t)n;
    tp_mark_dirty(tp, c);
}

void tp_send_error(textport *tp, tp_conn *c, textport_reply_error code, const char *detail)
{
    tp->stats.errors[code]++;
    tp_send_line(tp, c, "error %s %s", textport_error_code(code), detail);
}

void tp_linger(textport *tp, tp_conn *c, textport_close_reason why, uint64_t now_us)
{
    if (c->dead)
        return;
    c->state = TP_LINGERING;
    c->reason = why;
    c->deadline_us = now_us + (uint64_t)tp->cfg.linger_ms * 1000u;
    server_text_leave(tp->core, &c->tc); /* it hears no more chat */
    tp_mark_dirty(tp, c);
}

void tp_close_with(textport *tp, tp_conn *c, textport_reply_error code, const char *detail,
                   textport_close_reason why, uint64_t now_us)
{
    tp_send_error(tp, c, code, detail);
    tp_linger(tp, c, why, now_us);
}

textport_reply_error tp_error_for(int result)
{
    switch (result) {
    case SERVER_TEXT_EMPTY:
    case SERVER_TEXT_INVALID_UTF8:
    case SERVER_TEXT_CONTROL:
        return TEXTPORT_ERR_BAD_TEXT;
    case SERVER_TEXT_TOO_LONG:
        return TEXTPORT_ERR_TOO_LONG;
    case SERVER_TEXT_RATE_LIMITED:
    case SERVER_TEXT_TOO_MANY_COMMANDS:
        return TEXTPORT_ERR_RATE_LIMITED;
    case SERVER_TEXT_FLOODING:
        return TEXTPORT_ERR_FLOODING;
    case SERVER_TEXT_BAD_NAME:
        return TEXTPORT_ERR_BAD_NAME;
    case SERVER_TEXT_BAD_LOBBY:
    case SERVER_TEXT_NO_LOBBY: /* not for an admitted client */
        return TEXTPORT_ERR_BAD_LOBBY;
    case SERVER_TEXT_NO_SLOTS:
    case SERVER_TEXT_QUOTA: /* the text says it is this address's share */
        return TEXTPORT_ERR_TOO_MANY_LOBBIES;
    case SERVER_TEXT_SHUTTING_DOWN:
        return TEXTPORT_ERR_SHUTTING_DOWN;
    case SERVER_TEXT_PASSWORD:
        return TEXTPORT_ERR_PASSWORD_REQUIRED;
    case SERVER_TEXT_WRONG_PASSWORD:
        return TEXTPORT_ERR_WRONG_PASSWORD;
    case SERVER_TEXT_NO_SUCH_LOBBY:
        return TEXTPORT_ERR_NO_SUCH_LOBBY;
    case SERVER_TEXT_ELSEWHERE:
        return TEXTPORT_ERR_ELSEWHERE;
    }
    return TEXTPORT_ERR_NOT_ADMITTED; /* SERVER_TEXT_OK: not an error at all */
}

/* A line refused by the text port's own limits (textport_budget.c). */
static void refuse_lobby_line(textport *tp, tp_conn *c, textport_line_refusal why, uint64_t now_us)
{
    tp->stats.messages_refused++;
    tp->stats.lines_refused[why]++;
    char detail[128];
    if (why == TEXTPORT_LINE_LOBBY_ADDRESS)
        snprintf(detail, sizeof detail,
                 "your address is posting too fast into this lobby: at most %g lines a second",
                 tp->cfg.lobby_ip_lines_per_s);
    else
        snprintf(detail, sizeof detail,
                 "text clients are posting too much into this lobby: at most %g bytes a second",
                 tp->cfg.lobby_bytes_per_s);
    tp_log_limited(tp, TP_LOG_REFUSED_LINE, now_us, "text client %s: message refused: %s", c->label,
                   detail);
    tp_send_error(tp, c,
                  why == TEXTPORT_LINE_LOBBY_ADDRESS ? TEXTPORT_ERR_RATE_LIMITED
                                                     : TEXTPORT_ERR_LOBBY_BUSY,
                  detail);
}

static void post_chat(textport *tp, tp_conn *c, proto_str text, uint64_t now_us)
{
    proto_str name = {c->name, c->name_len};
    size_t relay_bytes = TP_RELAY_OVERHEAD_BYTES + name.len + text.len;
    textport_line_refusal why = tp_budget_check(tp, c, relay_bytes, now_us);
    if (why != TEXTPORT_LINE_REFUSALS) {
        refuse_lobby_line(tp, c, why, now_us);
        return;
    }
    uint32_t seq = 0;
    int rc = server_text_chat(tp->core, &c->tc, name, text, now_us, &seq);
    if (rc == SERVER_TEXT_OK) {
        tp_budget_charge(tp, c, relay_bytes, now_us);
        tp->stats.messages_accepted++;
        tp_send_line(tp, c, "ok %u", (unsigned)seq);
        return;
    }
    tp->stats.messages_refused++;
    if (rc == SERVER_TEXT_FLOODING) {
        tp_log_limited(tp, TP_LOG_FLOODING, now_us,
                       "closing text client %s: kept sending over the chat rate", c->label);
        tp_close_with(tp, c, TEXTPORT_ERR_FLOODING, "kept sending too fast; closing",
                      TEXTPORT_CLOSE_FLOODING, now_us);
        return;
    }
    tp_log_limited(tp, TP_LOG_REFUSED_LINE, now_us, "text client %s: message refused: %s", c->label,
                   server_text_strerror(rc));
    tp_send_error(tp, c, tp_error_for(rc), server_text_strerror(rc));
}

static bool is_quit(proto_str msg)
{
    return msg.len >= 5 && memcmp(msg.bytes, "/quit", 5) == 0 &&
           (msg.len == 5 || msg.bytes[5] == ' ');
}

/* Every message but /quit takes a token of the connection's line bucket, so
 * that no mix of commands and chat costs the loop more than the line rate.
 * Refusals drain the flood bucket; when it is empty the client is closed. */
static bool line_allowed(textport *tp, tp_conn *c, proto_str msg, uint64_t now_us)
{
    const textport_config *cfg = &tp->cfg;
    double burst = rate_stall_burst(&tp->stall, cfg->line_per_s, cfg->line_burst, now_us);
    if (is_quit(msg) || rate_bucket_take(&c->line_bucket, cfg->line_per_s, burst, now_us))
        return true;
    tp->stats.lines_refused[TEXTPORT_LINE_RATE]++;
    double flood_burst = (double)cfg->line_flood_limit - 1.0;
    if (!rate_bucket_take(&c->line_flood, flood_burst / 10.0 + 0.1, flood_burst, now_us)) {
        tp_log_limited(tp, TP_LOG_FLOODING, now_us,
                       "closing text client %s: kept sending over the line rate", c->label);
        tp_close_with(tp, c, TEXTPORT_ERR_FLOODING, "kept sending lines too fast; closing",
                      TEXTPORT_CLOSE_FLOODING, now_us);
        return false;
    }
    char detail[80];
    snprintf(detail, sizeof detail, "too many lines: at most %g a second", cfg->line_per_s);
    tp_log_limited(tp, TP_LOG_REFUSED_LINE, now_us, "text client %s: line refused: %s", c->label,
                   detail);
    tp_send_error(tp, c, TEXTPORT_ERR_RATE_LIMITED, detail);
    return false;
}

/* One framed message: a command, a chat line, or nothing when empty. "//"
 * escapes a chat line that starts with "/". */
static void on_message(textport *tp, tp_conn *c, proto_str msg, uint64_t now_us)
{
    c->last_line_us = now_us; /* only a whole message counts against idleness */
    if (msg.len == 0)
        return;
    if (!line_allowed(tp, c, msg, now_us))
        return;
    bool slash = msg.bytes[0] == '/', escaped = slash && msg.len > 1 && msg.bytes[1] == '/';
    if (slash && !escaped) {
        tp_command(tp, c, msg, now_us);
        return;
    }
    if (escaped) {
        msg.bytes++;
        msg.len--;
    }
    post_chat(tp, c, msg, now_us);
}

static void on_too_long(textport *tp, tp_conn *c, uint64_t now_us)
{
    char detail[96];
    snprintf(detail, sizeof detail, "message longer than %d bytes; closing", TEXTLINE_MAX_BYTES);
    tp_log_limited(tp, TP_LOG_TOO_LONG, now_us, "closing text client %s: message over %d bytes",
                   c->label, TEXTLINE_MAX_BYTES);
    tp_close_with(tp, c, TEXTPORT_ERR_TOO_LONG, detail, TEXTPORT_CLOSE_TOO_LONG, now_us);
}

/* Frames bytes just received into messages and acts on each in order. */
static void frame(textport *tp, tp_conn *c, const char *data, size_t len, uint64_t now_us)
{
    while (len > 0 && c->state == TP_OPEN && !c->dead) {
        textline_status st;
        proto_str msg;
        size_t used = textline_feed(&c->line, data, len, now_us, &st, &msg);
        data += used;
        len -= used;
        if (st == TEXTLINE_MESSAGE)
            on_message(tp, c, msg, now_us);
        else if (st == TEXTLINE_TOO_LONG)
            on_too_long(tp, c, now_us);
    }
}

/* Ends a pending message if the rules say so (quiet, or eof). */
static void flush_pending(textport *tp, tp_conn *c, uint64_t now_us, bool eof)
{
    proto_str msg;
    textline_status st = textline_flush(&c->line, now_us, eof, &msg);
    if (st == TEXTLINE_MESSAGE)
        on_message(tp, c, msg, now_us);
    else if (st == TEXTLINE_TOO_LONG)
        on_too_long(tp, c, now_us);
}

/* The peer's FIN: what it sent last is a message; reply, then close. */
static void on_eof(textport *tp, tp_conn *c, uint64_t now_us)
{
    if (c->state == TP_LINGERING) {
        tp_kill(tp, c, c->reason); /* it has read our error line, or never will */
        return;
    }
    if (c->state == TP_OPEN) {
        flush_pending(tp, c, now_us, true);
        if (c->state == TP_OPEN) {
            c->state = TP_DRAINING;
            c->reason = TEXTPORT_CLOSE_PEER;
            c->deadline_us = now_us + (uint64_t)tp->cfg.linger_ms * 1000u;
            tp_update_events(tp, c); /* no more input to wait for */
        }
    }
    tp_mark_dirty(tp, c); /* closes it once the replies are out */
}

void tp_conn_read(textport *tp, tp_conn *c, uint64_t now_us)
{
    char *buf = tp->read_buf;
    size_t budget = READ_BUDGET_BYTES;
    while (budget > 0 && !c->dead && c->state != TP_DRAINING) {
        ssize_t n =
            recv(c->fd, buf, sizeof tp->read_buf < budget ? sizeof tp->read_buf : budget, 0);
        if (n > 0) {
            tp->stats.bytes_in += (uint64_t)n;
            budget -= (size_t)n;
            if (c->state == TP_OPEN) /* LINGERING: dropped unread */
                frame(tp, c, buf, (size_t)n, now_us);
        } else if (n == 0) {
            on_eof(tp, c, now_us);
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            /* A reset: the client is gone mid-line; what it had not ended
             * is not a message. */
            log_debug("textport", "text client %s: %s", c->label, strerror(errno));
            tp_kill(tp, c, c->state == TP_LINGERING ? c->reason : TEXTPORT_CLOSE_RESET);
            return;
        }
    }
}

void tp_conn_sweep(textport *tp, tp_conn *c, uint64_t now_us)
{
    if (c->dead)
        return;
    if (c->state != TP_OPEN) {
        if (now_us >= c->deadline_us)
            tp_kill(tp, c, c->reason);
        return;
    }
    flush_pending(tp, c, now_us, false);
    uint64_t started = textline_started_us(&c->line);
    if (c->state == TP_OPEN && started != UINT64_MAX &&
        now_us - started >= (uint64_t)tp->cfg.max_line_ms * 1000u) {
        char detail[80];
        snprintf(detail, sizeof detail, "a message must arrive whole within %u ms; closing",
                 (unsigned)tp->cfg.max_line_ms);
        tp_log_limited(tp, TP_LOG_LINE_TIMEOUT, now_us,
                       "closing text client %s: message not whole after %u ms", c->label,
                       (unsigned)tp->cfg.max_line_ms);
        tp_close_with(tp, c, TEXTPORT_ERR_LINE_TIMEOUT, detail, TEXTPORT_CLOSE_LINE_TIMEOUT,
                      now_us);
        return;
    }
    if (c->state == TP_OPEN && now_us - c->last_line_us >= (uint64_t)tp->cfg.idle_ms * 1000u) {
        char detail[64];
        snprintf(detail, sizeof detail, "nothing received for %u ms; closing",
                 (unsigned)tp->cfg.idle_ms);
        tp_log_limited(tp, TP_LOG_IDLE, now_us, "closing text client %s: idle for %u ms", c->label,
                       (unsigned)tp->cfg.idle_ms);
        tp_close_with(tp, c, TEXTPORT_ERR_IDLE, detail, TEXTPORT_CLOSE_IDLE, now_us);
    }
}

bool tp_conn_write(textport *tp, tp_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            tp->out_total -= (size_t)n;
            tp->stats.bytes_out += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        } else {
            log_debug("textport", "text client %s: send: %s", c->label, strerror(errno));
            return false;
        }
    }
    c->out_off = c->out_len = 0;
    if (c->out_cap > TP_PRESSURE_PENDING_BYTES) { /* a burst is over: give its memory back */
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    return true;
}
