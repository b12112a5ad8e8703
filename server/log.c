#include "log.h"

#include "text.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The logger's level, sink and writer are process-wide on purpose, so any
 * module can log without threading a handle through; everything else lives
 * in structs. */
static log_level g_level = LOG_INFO;
static log_format g_format = LOG_FORMAT_TEXT;
static log_sink g_sink = NULL;
static void *g_sink_user = NULL;

/* The asynchronous writer: a byte ring of whole lines, each ended by '\n'.
 * head and tail count bytes ever queued and ever written, so head - tail is
 * what the ring holds; the logging thread only appends at head, the writer
 * only writes from tail, and the lock guards the indices and counters, never
 * a write(2). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* writer: lines queued, or stop */
    pthread_cond_t drained; /* log_stop_async: the ring is empty */
    pthread_t thread;
    char *ring;
    size_t cap;
    uint64_t head, tail;
    uint64_t unreported; /* dropped since the writer last said so */
    bool running, stop;
    log_stats stats;
} g_async = {.lock = PTHREAD_MUTEX_INITIALIZER,
             .wake = PTHREAD_COND_INITIALIZER,
             .drained = PTHREAD_COND_INITIALIZER};

static const char *const level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
static const char *const level_words[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(log_level level)
{
    g_level = level;
}

log_level log_get_level(void)
{
    return g_level;
}

const char *log_level_name(log_level level)
{
    return level_words[level];
}

void log_set_format(log_format format)
{
    g_format = format;
}

log_format log_get_format(void)
{
    return g_format;
}

int log_format_parse(const char *name)
{
    if (strcmp(name, "text") == 0)
        return LOG_FORMAT_TEXT;
    if (strcmp(name, "json") == 0)
        return LOG_FORMAT_JSON;
    return -1;
}

const char *log_format_name(log_format format)
{
    return format == LOG_FORMAT_JSON ? "json" : "text";
}

void log_set_sink(log_sink sink, void *user)
{
    g_sink = sink;
    g_sink_user = user;
}

bool log_enabled(log_level level)
{
    return level >= g_level && level < LOG_OFF;
}

int log_level_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, level_words[i]) == 0)
            return i;
    return -1;
}

/* "2026-11-26T14:29:07.123Z" (UTC, milliseconds) into stamp[64]. */
static void format_time(char stamp[64])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(stamp, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* "2026-11-26T14:29:07.123Z INFO  [tag] "; returns its length. */
static int format_prefix(char *line, size_t cap, log_level level, const char *tag)
{
    char stamp[64];
    format_time(stamp);
    return snprintf(line, cap, "%s %s [%s] ", stamp, level_names[level], tag);
}

/* Appends text (len bytes) to out at *at as the inside of a JSON string:
 * quote and backslash escaped, control bytes (and DEL) as \u00XX, each byte
 * that is not valid UTF-8 as U+FFFD, so any bytes give valid JSON. Stops
 * before a character that would pass limit; false when it had to. */
static bool json_escape(char *out, size_t *at, size_t limit, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        char unit[8];
        size_t ulen = text_utf8_sequence_len(text + i, len - i), take = ulen ? ulen : 1;
        if (ulen == 0)
            memcpy(unit, "\xEF\xBF\xBD", ulen = 3); /* U+FFFD */
        else if (s[i] == '"' || s[i] == '\\')
            unit[0] = '\\', unit[1] = (char)s[i], ulen = 2;
        else if (s[i] < 0x20 || s[i] == 0x7F)
            ulen = (size_t)snprintf(unit, sizeof unit, "\\u%04x", s[i]);
        else
            memcpy(unit, s + i, ulen);
        if (*at + ulen > limit)
            return false;
        memcpy(out + *at, unit, ulen);
        *at += ulen, i += take;
    }
    return true;
}

/* {"time":"...","level":"info","tag":"...","msg":"..."} into line (at most
 * cap bytes, no NUL); a message that does not fit ends in "...". Returns
 * the length. cap must leave room for the fixed fields (cap >= 256). */
static size_t format_json(char *line, size_t cap, log_level level, const char *tag, const char *msg,
                          size_t msg_len)
{
    static const char tail[] = "\"}";
    char stamp[64];
    format_time(stamp);
    size_t at = (size_t)snprintf(line, cap, "{\"time\":\"%s\",\"level\":\"%s\",\"tag\":\"", stamp,
                                 level_words[level]);
    json_escape(line, &at, 64 + at, tag, strlen(tag)); /* tags are short literals */
    memcpy(line + at, "\",\"msg\":\"", 9);
    at += 9;
    if (!json_escape(line, &at, cap - 3 - (sizeof tail - 1), msg, msg_len)) {
        memcpy(line + at, "...", 3);
        at += 3;
    }
    memcpy(line + at, tail, sizeof tail - 1);
    return at + sizeof tail - 1;
}

/* Writes all of bytes to stderr, waiting as long as it takes (the writer
 * thread only); gives up on an error other than an interruption. */
static void write_all(const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, bytes, len);
        if (n > 0) {
            bytes += n, len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = STDERR_FILENO, .events = POLLOUT};
            poll(&pfd, 1, 100);
        } else if (n < 0 && errno != EINTR) {
            return;
        }
    }
}

/* Says how many lines the full ring cost, once stderr has caught up. */
static void report_dropped(uint64_t dropped)
{
    char msg[80], line[320];
    int m = snprintf(msg, sizeof msg, "%llu log lines dropped: stderr did not keep up",
                     (unsigned long long)dropped);
    size_t n;
    if (g_format == LOG_FORMAT_JSON) {
        n = format_json(line, sizeof line - 1, LOG_WARN, "log", msg, (size_t)m);
    } else {
        n = (size_t)format_prefix(line, sizeof line, LOG_WARN, "log");
        n += (size_t)snprintf(line + n, sizeof line - 1 - n, "%s", msg);
    }
    line[n] = '\n';
    write_all(line, n + 1);
}

static void *writer_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&g_async.lock);
    for (;;) {
        while (g_async.head == g_async.tail && g_async.unreported == 0 && !g_async.stop)
            pthread_cond_wait(&g_async.wake, &g_async.lock);
        if (g_async.head != g_async.tail) {
            size_t at = (size_t)(g_async.tail % g_async.cap);
            size_t n = (size_t)(g_async.head - g_async.tail);
            if (n > g_async.cap - at)
                n = g_async.cap - at; /* up to the ring's end; the rest next time */
            pthread_mutex_unlock(&g_async.lock);
            write_all(g_async.ring + at, n);
            pthread_mutex_lock(&g_async.lock);
            g_async.tail += n;
        } else if (g_async.unreported > 0) {
            uint64_t dropped = g_async.unreported;
            g_async.unreported = 0;
            pthread_mutex_unlock(&g_async.lock);
            report_dropped(dropped);
            pthread_mutex_lock(&g_async.lock);
        } else { /* stop, with nothing left */
            break;
        }
        if (g_async.head == g_async.tail)
            pthread_cond_broadcast(&g_async.drained);
    }
    pthread_cond_broadcast(&g_async.drained);
    pthread_mutex_unlock(&g_async.lock);
    return NULL;
}

int log_start_async(size_t buffer_bytes)
{
    if (buffer_bytes < 4096)
        buffer_bytes = 4096;
    pthread_mutex_lock(&g_async.lock);
    int err = g_async.running ? -1 : 0;
    if (err == 0) {
        g_async.ring = malloc(buffer_bytes);
        g_async.cap = buffer_bytes;
        g_async.stop = false;
        err = g_async.ring != NULL && pthread_create(&g_async.thread, NULL, writer_main, NULL) == 0
                  ? 0
                  : -1;
        g_async.running = err == 0;
        if (err != 0) {
            free(g_async.ring);
            g_async.ring = NULL;
        }
    }
    pthread_mutex_unlock(&g_async.lock);
    return err;
}

bool log_stop_async(int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&g_async.lock);
    if (!g_async.running) {
        pthread_mutex_unlock(&g_async.lock);
        return true;
    }
    g_async.stop = true;
    pthread_cond_signal(&g_async.wake);
    int waited = 0;
    while ((g_async.head != g_async.tail || g_async.unreported > 0) && waited == 0)
        waited = pthread_cond_timedwait(&g_async.drained, &g_async.lock, &until);
    bool drained = g_async.head == g_async.tail && g_async.unreported == 0;
    pthread_mutex_unlock(&g_async.lock);
    if (!drained) /* stuck on stderr: lines still go to the ring, or are dropped */
        return false;
    pthread_join(g_async.thread, NULL);
    pthread_mutex_lock(&g_async.lock);
    g_async.running = false;
    free(g_async.ring);
    g_async.ring = NULL;
    pthread_mutex_unlock(&g_async.lock);
    return true;
}

log_stats log_get_stats(void)
{
    pthread_mutex_lock(&g_async.lock);
    log_stats out = g_async.stats;
    pthread_mutex_unlock(&g_async.lock);
    return out;
}

/* Hands a finished line (len bytes, then room for '\n') to stderr: into the
 * ring when the writer runs, dropped when the ring is full, else written at
 * once. */
static void to_stderr(char *line, size_t len)
{
    line[len] = '\n';
    pthread_mutex_lock(&g_async.lock);
    if (!g_async.running) {
        g_async.stats.lines++;
        pthread_mutex_unlock(&g_async.lock);
        fwrite(line, 1, len + 1, stderr);
        return;
    }
    if (g_async.cap - (size_t)(g_async.head - g_async.tail) < len + 1) {
        g_async.stats.dropped++;
        g_async.unreported++;
    } else {
        size_t at = (size_t)(g_async.head % g_async.cap);
        size_t first = len + 1 < g_async.cap - at ? len + 1 : g_async.cap - at;
        memcpy(g_async.ring + at, line, first);
        memcpy(g_async.ring, line + first, len + 1 - first);
        g_async.head += len + 1;
        g_async.stats.lines++;
        pthread_cond_signal(&g_async.wake);
    }
    pthread_mutex_unlock(&g_async.lock);
}

/* Hands a finished line to the sink, or to stderr. */
static void emit(log_level level, char *line, size_t len)
{
    if (g_sink != NULL)
        g_sink(level, line, g_sink_user);
    else
        to_stderr(line, len);
}

/* One JSON object: the message is formatted first, then escaped (which
 * may make it up to six times longer). */
static void write_json(log_level level, const char *tag, const char *fmt, va_list ap)
{
    char msg[1024];
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    if (m >= (int)sizeof msg) { /* say so rather than cut silently */
        memcpy(msg + sizeof msg - 4, "...", 4);
        m = (int)sizeof msg - 1;
    }
    char line[2048 + 2]; /* room for to_stderr's newline and the sink's NUL */
    size_t n = format_json(line, sizeof line - 2, level, tag, msg, m < 0 ? 0 : (size_t)m);
    line[n] = '\0';
    emit(level, line, n);
}

void log_write(log_level level, const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (g_format == LOG_FORMAT_JSON) {
        write_json(level, tag, fmt, ap);
        va_end(ap);
        return;
    }
    char line[1024 + 1]; /* the last byte is room for to_stderr's newline */
    const size_t cap = sizeof line - 1;
    int n = format_prefix(line, cap, level, tag);
    int m = vsnprintf(line + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    if (m >= (int)(cap - (size_t)n)) { /* say so rather than cut silently */
        memcpy(line + cap - 4, "...", 4);
        m = (int)(cap - (size_t)n) - 1;
    }
    emit(level, line, (size_t)n + (size_t)m);
}

/* ---- rate-limited lines --------------------------------------------------- */

uint64_t log_gate_key(const char *text, uint32_t kind)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = text; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h = (h ^ kind) * 1099511628211ull;
    return h != 0 ? h : 1;
}

bool log_gate_pass(log_gate *gates, size_t count, uint64_t key, uint64_t now_us, uint64_t window_us,
                   uint32_t *held_back)
{
    log_gate *g = &gates[key % count];
    *held_back = 0;
    if (g->key != key) { /* a new peer or kind: its first line is always logged */
        *g = (log_gate){.key = key, .opened_us = now_us, .held = 0};
        return true;
    }
    if (now_us - g->opened_us < window_us) {
        g->held++;
        return false;
    }
    *held_back = g->held;
    g->opened_us = now_us;
    g->held = 0;
    return true;
}
