/* Test support: a private redis-server for one test, never the system's.
 *
 * It listens on DIR/redis.sock in its own mkdtemp directory (and, when
 * asked, on a free TCP port of 127.0.0.1), with no persistence, optionally
 * with --requirepass. Every started server is stopped on every exit path:
 * redis_fixture_stop in the test's teardown, an atexit hook for early
 * exits, and PR_SET_PDEATHSIG (SIGKILL) in the child for deaths that skip
 * atexit (abort, a signal). */
#ifndef LOBBY_TEST_REDIS_FIXTURE_H
#define LOBBY_TEST_REDIS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct redisReply;

typedef struct redis_fixture {
    char dir[64];       /* the mkdtemp directory: socket, log */
    char sock_path[96]; /* DIR/redis.sock */
    uint16_t port;      /* the TCP port; 0 when unix socket only */
    char password[64];  /* --requirepass; "" none */
    pid_t pid;          /* 0 when not running */
    bool paused;        /* SIGSTOPped */
} redis_fixture;

/* Starts a redis-server and waits (up to 5 s) until it answers PING.
 * want_tcp: also listen on a free port of 127.0.0.1; password: NULL for
 * none. Returns 0, or -1 (nothing left running). */
int redis_fixture_start(redis_fixture *f, bool want_tcp, const char *password);

/* SIGTERM, wait up to 3 s, then SIGKILL; removes the directory. Safe to call
 * twice and on a fixture that never started (zeroed). */
void redis_fixture_stop(redis_fixture *f);

/* Freezes (SIGSTOP) / thaws (SIGCONT) the server: Redis stopped but its
 * sockets still accept connections, like a stalled host. */
int redis_fixture_pause(redis_fixture *f);
int redis_fixture_resume(redis_fixture *f);

/* SIGKILLs the server (connections reset, nothing saved) and reaps it; the
 * directory stays for a restart. */
int redis_fixture_kill(redis_fixture *f);

/* Stops the server when it runs and starts an empty one on the same socket
 * path and port. 0 or -1. */
int redis_fixture_restart(redis_fixture *f);

/* "unix:DIR/redis.sock" / "redis://[:PASSWORD@]127.0.0.1:PORT/DB" into buf. */
const char *redis_fixture_unix_url(const redis_fixture *f, char *buf, size_t cap);
const char *redis_fixture_tcp_url(const redis_fixture *f, int db, bool with_password, char *buf,
                                  size_t cap);

/* Runs one command synchronously (hiredis, over the unix socket, AUTH
 * first when there is a password) in database db. Returns the reply (free
 * it with freeReplyObject) or NULL when Redis did not answer in 2 s. */
struct redisReply *redis_fixture_cli(const redis_fixture *f, int db, int argc, const char **argv);

/* As redis_fixture_cli, the reply as text: a string, a status, an error
 * ("ERR ..."), an integer in decimal, "(nil)", or "(array N)". Returns out,
 * or NULL when Redis did not answer. */
const char *redis_fixture_cli_text(const redis_fixture *f, int db, char *out, size_t cap, int argc,
                                   const char **argv);

#endif
