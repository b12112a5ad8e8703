/* The log writer against a stderr that does not keep up, for the tests of
 * server/log.c: stderr becomes a one-page pipe that nobody reads while
 * lines are logged, then is read until the writer has stopped. */
#ifndef LOBBY_TEST_STDERR_FLOOD_H
#define LOBBY_TEST_STDERR_FLOOD_H

#include "log.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct stderr_flood {
    double logging_ms; /* what the `lines` log calls took */
    log_stats before;  /* the writer's counts before them */
    log_stats logged;  /* and right after them */
    bool flushed;      /* log_stop_async emptied the buffer in time */
} stderr_flood;

/* Starts the asynchronous writer with a 4 KB buffer, logs `lines` info
 * lines while nobody reads, reads the pipe for 300 ms, logs last_line
 * (when not NULL), stops the writer within 2 s while reading, and puts
 * stderr back. out receives everything written, NUL-terminated. */
void stderr_flood_run(int lines, const char *last_line, char *out, size_t cap,
                      stderr_flood *result);

#endif
