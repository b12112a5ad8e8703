#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "stderr_flood.h"

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Reads what the pipe holds now (non-blocking) into buf at *n. */
static void drain(int fd, char *buf, size_t cap, size_t *n)
{
    for (ssize_t got = 1; got > 0 && *n + 1 < cap;)
        if ((got = read(fd, buf + *n, cap - 1 - *n)) > 0)
            *n += (size_t)got;
    buf[*n] = '\0';
}

void stderr_flood_run(int lines, const char *last_line, char *out, size_t cap, stderr_flood *result)
{
    size_t n = 0;
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    fcntl(fds[1], F_SETPIPE_SZ, 4096);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    log_set_sink(NULL, NULL);
    log_set_level(LOG_INFO);
    result->before = log_get_stats();
    if (log_start_async(4096) != 0)
        abort();
    double t0 = now_ms();
    for (int i = 0; i < lines; i++)
        log_info("test", "line %d of a log that nobody reads yet", i);
    result->logging_ms = now_ms() - t0;
    result->logged = log_get_stats();
    for (double t1 = now_ms(); now_ms() - t1 < 300;)
        drain(fds[0], out, cap, &n);
    if (last_line != NULL)
        log_info("test", "%s", last_line);
    result->flushed = false;
    for (double t1 = now_ms(); !result->flushed && now_ms() - t1 < 2000;) {
        drain(fds[0], out, cap, &n);
        result->flushed = log_stop_async(10);
    }
    drain(fds[0], out, cap, &n);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[0]);
}
