#include "chat_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void chat_log_init(chat_log *log)
{
    log->head = 0;
    log->count = 0;
}

size_t chat_log_count(const chat_log *log)
{
    return log->count;
}

const chat_line *chat_log_line(const chat_log *log, size_t i)
{
    return i < log->count ? &log->lines[(log->head + i) % CHAT_LOG_LINES] : NULL;
}

/* A fresh line at the end, pushing out the oldest when full. */
static chat_line *append(chat_log *log, chat_line_kind kind)
{
    chat_line *line;
    if (log->count < CHAT_LOG_LINES) {
        line = &log->lines[(log->head + log->count++) % CHAT_LOG_LINES];
    } else {
        line = &log->lines[log->head];
        log->head = (log->head + 1) % CHAT_LOG_LINES;
    }
    memset(line, 0, sizeof *line);
    line->kind = kind;
    return line;
}

static void copy_bounded(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static chat_line *chat_log_line_at_end(chat_log *log)
{
    return &log->lines[(log->head + log->count - 1) % CHAT_LOG_LINES];
}

void chat_log_message(chat_log *log, const char *who, uint32_t colour, uint32_t seq,
                      const char *text)
{
    chat_line *line = append(log, CHAT_LINE_MESSAGE);
    line->colour = colour;
    line->seq = seq;
    copy_bounded(line->who, sizeof line->who, who, strlen(who));
    copy_bounded(line->text, sizeof line->text, text, strlen(text));
}

void chat_log_text_message(chat_log *log, const char *who, uint32_t seq, const char *text)
{
    chat_log_message(log, who, CHAT_TEXT_CLIENT_COLOUR, seq, text);
    chat_log_line_at_end(log)->from_text = true;
}

void chat_log_own(chat_log *log, const char *who, uint32_t colour, uint32_t msg_id,
                  const char *text, size_t len)
{
    chat_line *line = append(log, CHAT_LINE_OWN);
    line->own_state = CHAT_OWN_PENDING;
    line->msg_id = msg_id;
    line->colour = colour;
    copy_bounded(line->who, sizeof line->who, who, strlen(who));
    copy_bounded(line->text, sizeof line->text, text, len);
}

void chat_log_system(chat_log *log, const char *fmt, ...)
{
    chat_line *line = append(log, CHAT_LINE_SYSTEM);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line->text, sizeof line->text, fmt, ap);
    va_end(ap);
}

static chat_line *find_pending(chat_log *log, uint32_t msg_id)
{
    for (size_t i = 0; i < log->count; i++) {
        chat_line *line = &log->lines[(log->head + i) % CHAT_LOG_LINES];
        if (line->kind == CHAT_LINE_OWN && line->own_state == CHAT_OWN_PENDING &&
            line->msg_id == msg_id)
            return line;
    }
    return NULL;
}

bool chat_log_ack(chat_log *log, uint32_t msg_id, uint32_t seq)
{
    chat_line *line = find_pending(log, msg_id);
    if (line == NULL)
        return false;
    line->own_state = CHAT_OWN_ACKED;
    line->seq = seq;
    return true;
}

bool chat_log_refuse(chat_log *log, uint32_t msg_id, const char *why)
{
    chat_line *line = find_pending(log, msg_id);
    if (line == NULL)
        return false;
    line->own_state = CHAT_OWN_REFUSED;
    snprintf(line->note, sizeof line->note, "%s", why);
    return true;
}

void chat_log_fail_pending(chat_log *log, const char *why)
{
    for (size_t i = 0; i < log->count; i++) {
        chat_line *line = &log->lines[(log->head + i) % CHAT_LOG_LINES];
        if (line->kind == CHAT_LINE_OWN && line->own_state == CHAT_OWN_PENDING) {
            line->own_state = CHAT_OWN_REFUSED;
            snprintf(line->note, sizeof line->note, "%s", why);
        }
    }
}
