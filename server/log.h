/* One leveled logger for the server: lines go to stderr as
 *   2026-11-26T14:29:07.123Z INFO  [lobby] text
 * or, in the JSON format (--log-format json), one object per line:
 *   {"time":"2026-11-26T14:29:07.123Z","level":"info","tag":"lobby","msg":"text"}
 * The level is checked before any formatting. The sink, the level, the
 * format and the asynchronous writer are the only process-wide state; tests
 * swap the sink to capture or silence lines.
 *
 * Once log_start_async has run, the default sink never blocks its caller:
 * a line is copied into a bounded buffer and a writer thread writes it to
 * stderr. When stderr does not keep up (a full pipe, a slow terminal) and
 * the buffer is full, the line is dropped and counted, and the writer says
 * "N log lines dropped" once it can write again. */
#ifndef LOBBY_LOG_H
#define LOBBY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3,
    LOG_OFF = 4,
} log_level;

/* Receives each finished line (without newline). */
typedef void (*log_sink)(log_level level, const char *line, void *user);

typedef enum log_format {
    LOG_FORMAT_TEXT = 0,
    LOG_FORMAT_JSON = 1, /* the message JSON-escaped; bytes not UTF-8 become U+FFFD */
} log_format;

void log_set_level(log_level level);
log_level log_get_level(void);
/* "debug", "info", "warn", "error" or "off". */
const char *log_level_name(log_level level);
/* Set it before log_start_async: the writer thread reads it for its own
 * "N log lines dropped" line. Sinks receive lines in this format too. */
void log_set_format(log_format format);
log_format log_get_format(void);
/* Parses "text" or "json"; returns -1 when unknown. */
int log_format_parse(const char *name);
/* "text" or "json". */
const char *log_format_name(log_format format);
/* NULL restores the default stderr sink. A sink is always called
 * synchronously, by the thread that logs. */
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

/* ---- writing without blocking -------------------------------------------- */

enum { LOG_ASYNC_BUFFER_BYTES = 256 * 1024 };

/* From now on the default sink queues lines in a buffer of buffer_bytes
 * (at least 4 KB) for a writer thread. 0, or -1 when the buffer or the
 * thread cannot be had (lines then stay synchronous). Call once. */
int log_start_async(size_t buffer_bytes);
/* Waits up to wait_ms for the writer to empty the buffer, then stops it;
 * lines logged afterwards are written synchronously again. A writer stuck
 * on a stderr that never drains is left behind (the process is exiting):
 * what it holds is lost. Returns true when everything was written. */
bool log_stop_async(int wait_ms);

/* Lines given to stderr (written, or queued for the writer) and lines
 * dropped because the buffer was full. Only grow. */
typedef struct log_stats {
    uint64_t lines;
    uint64_t dropped;
} log_stats;
log_stats log_get_stats(void);

/* ---- rate-limited lines --------------------------------------------------- */

/* One kind of line from one peer (the key says which): the first is logged,
 * later ones within window_us are only counted, and the first after the
 * window is logged again with the count of those held back. Owned by the
 * caller (a table in the struct that owns the peers); time is passed in. */
typedef struct log_gate {
    uint64_t key; /* 0: unused */
    uint64_t opened_us;
    uint32_t held;
} log_gate;

/* True when the line for key may be logged now; *held_back gets how many
 * lines of that key were not logged before it. gates is a direct-mapped
 * table of count entries: a key that lands on another key's entry takes it
 * over (its held-back count is then lost, never its first line). key must
 * not be 0. */
bool log_gate_pass(log_gate *gates, size_t count, uint64_t key, uint64_t now_us, uint64_t window_us,
                   uint32_t *held_back);
/* A key for (text, kind): text names the peer (its address label). */
uint64_t log_gate_key(const char *text, uint32_t kind);

#endif
