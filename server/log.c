#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The logger's level and sink are process-wide on purpose, so any module can
 * log without threading a handle through; everything else lives in structs. */
static log_level g_level = LOG_INFO;
static log_sink g_sink = NULL;
static void *g_sink_user = NULL;

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

void log_write(log_level level, const char *tag, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level], tag);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m >= (int)(sizeof line - (size_t)n)) /* say so rather than cut silently */
        memcpy(line + sizeof line - 5, "...", 4);
    if (g_sink != NULL)
        g_sink(level, line, g_sink_user);
    else
        fprintf(stderr, "%s\n", line);
}
