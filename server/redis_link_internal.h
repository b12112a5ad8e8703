/* Inside the Redis link (redis_link*.c only): the parsed URL and the
 * per-connection state shared by the link and its hiredis adapter. */
#ifndef LOBBY_SERVER_REDIS_LINK_INTERNAL_H
#define LOBBY_SERVER_REDIS_LINK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis_link.h"

enum {
    REDIS_LINK_MAX_PATH_BYTES = 107, /* sun_path less its terminator */
    REDIS_LINK_MAX_HOST_BYTES = 255,
    REDIS_LINK_MAX_SECRET_BYTES = 511, /* user name or password, decoded */
};

typedef struct redis_link_url {
    bool is_unix;
    char path[REDIS_LINK_MAX_PATH_BYTES + 1]; /* unix: */
    char host[REDIS_LINK_MAX_HOST_BYTES + 1]; /* redis://, without IPv6 brackets */
    uint16_t port;
    char user[REDIS_LINK_MAX_SECRET_BYTES + 1]; /* "" none */
    char password[REDIS_LINK_MAX_SECRET_BYTES + 1];
    bool has_password;
    uint32_t db;
} redis_link_url;

/* Parses url into *out: 0, or -1 with why. */
int redis_link_url_parse(const char *url, redis_link_url *out, char *why, size_t cap);

/* What a queued command is, so its reply goes to the right place. */
enum redis_link_entry_kind {
    REDIS_LINK_ENTRY_USER,      /* the caller's: its callback gets the reply */
    REDIS_LINK_ENTRY_HANDSHAKE, /* AUTH, SELECT, PING before the link is up */
    REDIS_LINK_ENTRY_SUBSCRIBE, /* answered through the subscribe callback */
};

typedef struct redis_link_entry {
    redis_link_reply_fn cb;
    void *privdata;
    uint64_t send_us; /* the pass that wrote it (see redis_link_ring.stamped) */
    const char *what; /* for the handshake's error messages: "AUTH", "SELECT", ... */
    uint8_t kind;
} redis_link_entry;

/* Commands in flight on one connection, oldest first. Redis answers in
 * order, so the head is the command the next reply belongs to and its
 * send time is the one a timeout is measured from. */
typedef struct redis_link_ring {
    redis_link_entry *slots;
    uint32_t cap, head, count;
    uint32_t stamped; /* entries from the head with a send time; the rest were
                         queued since the last pass and get its now_us */
} redis_link_ring;

struct redisAsyncContext;

/* One hiredis connection with the events it wants (the adapter hooks). */
typedef struct redis_link_conn {
    struct redis_link *link;
    struct redisAsyncContext *ac; /* NULL: none (never opened, freed by us or by hiredis) */
    int fd;
    short want; /* POLLIN | POLLOUT as hiredis asked */
    bool is_sub;
    bool ready; /* handshake done; the subscriber: subscribed */
    uint32_t handshake_left;
    uint64_t started_us;
    redis_link_ring ring;
} redis_link_conn;

enum redis_link_state {
    REDIS_LINK_WAITING,    /* down, a (re)connect is due at retry_at_us */
    REDIS_LINK_CONNECTING, /* connections opened, handshake under way */
    REDIS_LINK_UP,
};

struct redis_link {
    redis_link_config cfg; /* strings point at the copies below */
    char *url_copy, *password_copy, *channel_copy;
    redis_link_url url;
    char address[64];     /* the host as a numeric address (resolved at create) */
    const char *password; /* effective: the override, else the URL's; NULL none */
    char db_text[12];
    char target[REDIS_LINK_MAX_HOST_BYTES + 96]; /* redis_link_target */
    enum redis_link_state state;
    bool failing; /* a connection failed this pass: torn down at its end */
    char why[128];
    uint64_t now_us, retry_at_us;
    uint32_t failures; /* consecutive failed attempts, for the backoff */
    bool ever_up;
    bool reported_any, report_pending, report_up;
    char report_why[128];
    redis_link_conn conns[2]; /* [0] commands, [1] the subscriber */
    redis_link_stats stats;
};

/* Marks the link failing with why (the first reason of a pass wins): no
 * longer up for new commands; torn down at the end of the pass. Ignored
 * while the link is already down (our own frees report through it too). */
void redis_link_fail(struct redis_link *l, const char *why);
/* Both connections ready: the link is up. */
void redis_link_conn_ready(struct redis_link *l);

int redis_link_ring_init(redis_link_ring *r, uint32_t cap);
void redis_link_ring_free(redis_link_ring *r);
bool redis_link_ring_push(redis_link_ring *r, uint8_t kind, redis_link_reply_fn cb, void *privdata,
                          const char *what);
bool redis_link_ring_pop(redis_link_ring *r, redis_link_entry *out);
void redis_link_ring_stamp(redis_link_ring *r, uint64_t now_us);
const redis_link_entry *redis_link_ring_oldest_stamped(const redis_link_ring *r);

/* Opens c (non-blocking connect, adapter hooks, handshake queued): 0, or
 * -1 with the reason given to redis_link_fail. */
int redis_link_conn_open(redis_link_conn *c, uint64_t now_us);
/* Frees c's context (not from a hiredis callback): every command in
 * flight gets its callback with NULL. */
void redis_link_conn_close(redis_link_conn *c);
/* Queues a command on an open connection; false when hiredis refused it. */
bool redis_link_conn_send(redis_link_conn *c, uint8_t kind, redis_link_reply_fn cb, void *privdata,
                          const char *what, int argc, const char **argv, const size_t *argvlen);
/* Handles one fd's readiness for c. */
void redis_link_conn_handle(redis_link_conn *c, short revents);
/* Whether c's connect(2) completed. */
bool redis_link_conn_connected(const redis_link_conn *c);

#endif
