#include "log.h"

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

void log_set_level(log_level level)
{
    g_level = level;
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
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* "2026-11-26T14:29:07.123Z INFO  [tag] "; returns its length. */
static int format_prefix(char *line, size_t cap, log_level level, const char *tag)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    return snprintf(line, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    ts.tv_nsec / 1000000, level_names[level], tag);
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
    char line[160];
    int n = format_prefix(line, sizeof line, LOG_WARN, "log");
    n += snprintf(line + n, sizeof line - (size_t)n,
                  "%llu log lines dropped: stderr did not keep up\n", (unsigned long long)dropped);
    write_all(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
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

void log_write(log_level level, const char *tag, const char *fmt, ...)
{
    char line[1024 + 1]; /* the last byte is room for to_stderr's newline */
    const size_t cap = sizeof line - 1;
    int n = format_prefix(line, cap, level, tag);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    if (m >= (int)(cap - (size_t)n)) { /* say so rather than cut silently */
        memcpy(line + cap - 4, "...", 4);
        m = (int)(cap - (size_t)n) - 1;
    }
    if (g_sink != NULL)
        g_sink(level, line, g_sink_user);
    else
        to_stderr(line, (size_t)n + (size_t)m);
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
