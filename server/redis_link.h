/* A Redis connection for a poll loop that must never wait for Redis.
 *
 * Generic: it knows nothing of lobbies. hiredis's async API (0.14) on the
 * caller's own poll(): redis_link_pollfds says which descriptors to wait on,
 * redis_link_pass handles their readiness and the timers. One command
 * connection (AUTH, SELECT, then the caller's commands, pipelined) and, when
 * a channel is set, a second connection SUBSCRIBEd to it. hiredis 0.14 has
 * no timeouts: the link keeps the send time of every command and takes
 * itself down when the oldest reply is older than command_timeout_ms (Redis
 * stopped or lost), fails every pending command (callback with NULL) and
 * reconnects with backoff. Time is passed in (now_us, monotonic). */
#ifndef LOBBY_SERVER_REDIS_LINK_H
#define LOBBY_SERVER_REDIS_LINK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct redis_link redis_link;
struct redisReply; /* hiredis */

/* reply is NULL when the command failed: link down, timed out, or dropped
 * by a disconnect. An error reply (REDIS_REPLY_ERROR) is passed as it is.
 * The reply belongs to hiredis and is freed when the callback returns. The
 * callback may issue new commands, but must never destroy the link. */
typedef void (*redis_link_reply_fn)(void *user, void *privdata, const struct redisReply *reply,
                                    uint64_t now_us);

typedef struct redis_link_config {
    const char *url;             /* "redis://[USER:PASSWORD@]HOST[:PORT][/DB]" or "unix:PATH";
                                    copied. USER may be empty (AUTH PASSWORD); %XX is decoded. */
    const char *password;        /* overrides the URL's (from --cluster-password-file); NULL:
                                    none; copied */
    uint32_t connect_timeout_ms; /* default 1000 */
    uint32_t command_timeout_ms; /* default 2000: a reply older than this takes the link down
                                    (Redis stopped or lost) and a reconnect follows */
    uint32_t backoff_min_ms, backoff_max_ms; /* 100, 2000: reconnect delay doubles per failure,
                                                with jitter, reset on success */
    uint32_t max_pending;          /* default 10000: commands in flight past this are refused
                                      (redis_link_command returns -1), so memory stays bounded while
                                      Redis is stopped */
    const char *subscribe_channel; /* NULL: none; else a second connection SUBSCRIBEs to it;
                                      copied */
    void (*on_message)(void *user, const char *payload, size_t len, uint64_t now_us);
    /* up: connected, AUTH and SELECT done (and subscribed, when a channel is
     * set); down: with the reason. Called at the end of a pass on each
     * change, and once for the first failure after create (so a caller
     * learns why it is not up); failed retries after that only count in the
     * stats. May issue commands (when up), never destroy the link. */
    void (*on_state)(void *user, bool up, const char *why, uint64_t now_us);
    void *user;
    int (*random_u32)(void *user, uint32_t *out); /* jitter: 0 on success; NULL: getrandom */
} redis_link_config;

typedef struct redis_link_stats {
    uint64_t commands;         /* queued by redis_link_command / redis_link_publish */
    uint64_t replies;          /* replies to those (error replies included) */
    uint64_t errors;           /* error replies + failed commands (callback got NULL) */
    uint64_t timeouts;         /* times the link was taken down by a command timeout */
    uint64_t connects;         /* times the link came up */
    uint64_t reconnects;       /* of those, after the first */
    uint64_t connect_failures; /* attempts that failed before the link came up */
    uint64_t refused_full;     /* commands refused: max_pending in flight */
    uint64_t refused_down;     /* commands refused: link not up */
    uint64_t messages;         /* pub/sub messages passed to on_message */
    uint32_t pending;          /* commands in flight now */
    uint32_t retry_delay_ms;   /* the delay before the latest (re)connect attempt (0: none) */
    bool up;
    char last_error[128];
} redis_link_stats;

void redis_link_config_defaults(redis_link_config *cfg);

/* Parses the URL into its parts (for option checking at start-up): returns
 * 0, or -1 with why. */
int redis_link_check_url(const char *url, char *why, size_t cap);

/* Creates the link and starts connecting (non-blocking). A host name (not
 * an address literal) is resolved here, once, with getaddrinfo: the only
 * call of this module that may block, at start-up. 0, or -1 with why (bad
 * URL, unresolvable host, no memory). */
int redis_link_create(const redis_link_config *cfg, uint64_t now_us, redis_link **out, char *why,
                      size_t cap);

/* Pending callbacks are called with NULL first. Never from a callback. */
void redis_link_destroy(redis_link *l);

/* The descriptors to wait on this pass (0..2), with POLLIN/POLLOUT as
 * hiredis asked through the adapter hooks. Returns how many were written. */
int redis_link_pollfds(const redis_link *l, struct pollfd *out, int max);

/* ms until the link needs a pass at the latest (reconnect timer, connect
 * timeout, oldest command's timeout), capped at cap_ms; 0 when overdue. */
int redis_link_wait_ms(const redis_link *l, uint64_t now_us, int cap_ms);

/* Handles readiness of the fds returned by redis_link_pollfds (pass them
 * back with revents; other fds are ignored), then timers: reconnects,
 * timeouts. Never blocks. */
void redis_link_pass(redis_link *l, const struct pollfd *fds, int n, uint64_t now_us);

bool redis_link_up(const redis_link *l);

/* Queues a command (binary-safe argv; argvlen NULL: strlen of each); hiredis writes all commands
 * queued in a pass together (pipelining) when the socket is writable. cb may be NULL (fire and
 * forget). 0, or -1 when down/over max_pending (cb is then NOT called). */
int redis_link_command(redis_link *l, redis_link_reply_fn cb, void *privdata, int argc,
                       const char **argv, const size_t *argvlen);

/* PUBLISH channel payload, fire and forget on the command connection. 0 or
 * -1 as redis_link_command. */
int redis_link_publish(redis_link *l, const char *channel, const char *payload, size_t len);

const redis_link_stats *redis_link_get_stats(const redis_link *l);

/* Where the link connects, for logs and /healthz, never with the user name
 * or password: "unix:PATH" or "HOST:PORT/DB (ADDRESS)". Lives as long as l. */
const char *redis_link_target(const redis_link *l);

#endif
