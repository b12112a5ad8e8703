/* One leveled logger for the server: lines go to stderr as
 *   2026-11-26T14:29:07.123Z INFO  [lobby] text
 * The level is checked before any formatting. The sink and level are the only
 * process-wide state; tests swap the sink to capture or silence lines. */
#ifndef LOBBY_LOG_H
#define LOBBY_LOG_H

#include <stdbool.h>

typedef enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3,
    LOG_OFF = 4,
} log_level;

/* Receives each finished line (without newline). */
typedef void (*log_sink)(log_level level, const char *line, void *user);

void log_set_level(log_level level);
/* NULL restores the default stderr sink. */
void log_set_sink(log_sink sink, void *user);
bool log_enabled(log_level level);
/* Parses "debug", "info", "warn", "error" or "off"; returns -1 when unknown. */
int log_level_parse(const char *name);

void log_write(log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(level, tag, ...)                                                                    \
    do {                                                                                           \
        if (log_enabled(level))                                                                    \
            log_write(level, tag, __VA_ARGS__);                                                    \
    } while (0)
#define log_debug(tag, ...) LOG_AT(LOG_DEBUG, tag, __VA_ARGS__)
#define log_info(tag, ...)  LOG_AT(LOG_INFO, tag, __VA_ARGS__)
#define log_warn(tag, ...)  LOG_AT(LOG_WARN, tag, __VA_ARGS__)
#define log_error(tag, ...) LOG_AT(LOG_ERROR, tag, __VA_ARGS__)

#endif
