/* One hiredis async connection on the caller's poll loop: the adapter
 * hooks (hiredis 0.14 has none for a hand-made loop; these do what
 * adapters/ae.h does, recording the wanted events instead of registering
 * them), the handshake, and the callbacks that route replies.
 *
 * hiredis frees a context by itself when the connection fails (EOF, I/O
 * error, a failed connect): inside redisAsyncHandleRead/Write, after
 * calling every pending callback with NULL. The cleanup hook is the one
 * call that comes on every such path (onDisconnect only comes when the
 * connect had completed), so it is where the connection forgets its
 * context. We never free a context from inside its callbacks: a failure
 * seen there marks the link failing and the pass tears it down after. */
#include "redis_link_internal.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

static void ev_add_read(void *p)
{
    ((redis_link_conn *)p)->want |= POLLIN;
}

static void ev_del_read(void *p)
{
    ((redis_link_conn *)p)->want &= (short)~POLLIN;
}

static void ev_add_write(void *p)
{
    ((redis_link_conn *)p)->want |= POLLOUT;
}

static void ev_del_write(void *p)
{
    ((redis_link_conn *)p)->want &= (short)~POLLOUT;
}

/* hiredis frees a failed context after answering each pending callback
 * with NULL, then calls ev.cleanup, then onDisconnect: the first of them
 * to run names the reason, from the context's own error. */
static void fail_with_context(redis_link_conn *c, const redisAsyncContext *ac)
{
    char why[128];
    const char *who = c->is_sub ? "subscriber" : "connection";
    if (ac != NULL && ac->c.err != 0)
        snprintf(why, sizeof why, "%s: %.100s", who, ac->c.errstr);
    else
        snprintf(why, sizeof why, "%s closed", who);
    redis_link_fail(c->link, why);
}

/* Called by __redisAsyncFree whoever started it (a failure inside hiredis
 * or our redisAsyncFree), with the context still readable. */
static void ev_cleanup(void *p)
{
    redis_link_conn *c = p;
    fail_with_context(c, c->ac);
    c->ac = NULL;
    c->fd = -1;
    c->want = 0;
    c->ready = false;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    redis_link_conn *c = ac->data;
    if (status != REDIS_OK) {
        char why[128];
        snprintf(why, sizeof why, "connect: %.100s", ac->c.errstr);
        redis_link_fail(c->link, why);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    redis_link_conn *c = ac->data;
    if (status != REDIS_OK) {
        char why[128];
        snprintf(why, sizeof why, "disconnected: %.100s", ac->c.errstr);
        redis_link_fail(c->link, why);
    }
}

static void handshake_done(redis_link_conn *c);

static void handshake_reply(redis_link_conn *c, const redis_link_entry *e, const redisReply *reply)
{
    if (reply == NULL)
        return; /* the connection is going away: already failing */
    if (reply->type == REDIS_REPLY_ERROR) {
        char why[128];
        snprintf(why, sizeof why, "%s: %.*s", e->what, (int)(reply->len < 100 ? reply->len : 100),
                 reply->str);
        redis_link_fail(c->link, why);
        return;
    }
    if (c->handshake_left > 0 && --c->handshake_left == 0)
        handshake_done(c);
}

/* Every reply on the regular callback list, in the order sent. */
static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redis_link_conn *c = privdata;
    redis_link *l = c->link;
    const redisReply *reply = r;
    redis_link_entry e;
    if (!redis_link_ring_pop(&c->ring, &e))
        return;
    if (!c->is_sub)
        l->stats.pending = c->ring.count;
    if (reply == NULL)
        fail_with_context(c, ac);
    if (e.kind != REDIS_LINK_ENTRY_USER) {
        handshake_reply(c, &e, reply);
        return;
    }
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        l->stats.errors++;
    if (reply != NULL)
        l->stats.replies++;
    if (e.cb != NULL)
        e.cb(l->cfg.user, e.privdata, reply, l->now_us);
}

/* The SUBSCRIBE's entry (its timeout) ends with its confirmation. */
static void pop_subscribe(redis_link_conn *c)
{
    redis_link_entry e;
    if (c->ring.count > 0 && c->ring.slots[c->ring.head].kind == REDIS_LINK_ENTRY_SUBSCRIBE)
        redis_link_ring_pop(&c->ring, &e);
}

/* The subscriber's callback: the SUBSCRIBE confirmation, then messages. */
static void on_sub(redisAsyncContext *ac, void *r, void *privdata)
{
    redis_link_conn *c = privdata;
    redis_link *l = c->link;
    const redisReply *reply = r;
    if (reply == NULL) {
        pop_subscribe(c);
        fail_with_context(c, ac);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = reply->element[0]->str;
    const redisReply *payload = reply->element[2];
    if (strcmp(kind, "subscribe") == 0) {
        pop_subscribe(c);
        c->ready = true;
        redis_link_conn_ready(l);
    } else if (strcmp(kind, "message") == 0 && payload->type == REDIS_REPLY_STRING) {
        l->stats.messages++;
        if (l->cfg.on_message != NULL)
            l->cfg.on_message(l->cfg.user, payload->str, payload->len, l->now_us);
    }
}

bool redis_link_conn_send(redis_link_conn *c, uint8_t kind, redis_link_reply_fn cb, void *privdata,
                          const char *what, int argc, const char **argv, const size_t *argvlen)
{
    if (c->ac == NULL || c->ring.count >= c->ring.cap)
        return false;
    redisCallbackFn *fn = kind == REDIS_LINK_ENTRY_SUBSCRIBE ? on_sub : on_reply;
    if (redisAsyncCommandArgv(c->ac, fn, c, argc, argv, argvlen) != REDIS_OK)
        return false;
    /* hiredis never calls back from inside redisAsyncCommandArgv, so the
     * entry is in place before its reply can come. */
    redis_link_ring_push(&c->ring, kind, cb, privdata, what);
    if (!c->is_sub)
        c->link->stats.pending = c->ring.count;
    return true;
}

static bool send_handshake(redis_link_conn *c, const char *what, int argc, const char **argv)
{
    if (!redis_link_conn_send(c, REDIS_LINK_ENTRY_HANDSHAKE, NULL, NULL, what, argc, argv, NULL))
        return false;
    c->handshake_left++;
    return true;
}

/* AUTH [user] pass, SELECT db (the command connection, db != 0), PING:
 * queued before the connect completes (hiredis writes them once the socket
 * is writable). The PING makes a handshake of at least one reply, so "up"
 * always means Redis answered. */
static bool queue_handshake(redis_link_conn *c)
{
    redis_link *l = c->link;
    if (l->password != NULL) {
        const char *with_user[] = {"AUTH", l->url.user, l->password};
        const char *plain[] = {"AUTH", l->password};
        bool ok = l->url.user[0] != '\0' ? send_handshake(c, "AUTH", 3, with_user)
                                         : send_handshake(c, "AUTH", 2, plain);
        if (!ok)
            return false;
    }
    if (!c->is_sub && l->url.db != 0) {
        const char *select[] = {"SELECT", l->db_text};
        if (!send_handshake(c, "SELECT", 2, select))
            return false;
    }
    const char *ping[] = {"PING"};
    return send_handshake(c, "PING", 1, ping);
}

/* The subscriber SUBSCRIBEs only after AUTH succeeded: sent together, a
 * refused AUTH would leave the SUBSCRIBE's error reply with no callback in
 * hiredis 0.14 (it is taken for a pub/sub push). */
static void handshake_done(redis_link_conn *c)
{
    if (!c->is_sub) {
        c->ready = true;
        redis_link_conn_ready(c->link);
        return;
    }
    const char *argv[] = {"SUBSCRIBE", c->link->cfg.subscribe_channel};
    if (!redis_link_conn_send(c, REDIS_LINK_ENTRY_SUBSCRIBE, NULL, NULL, "SUBSCRIBE", 2, argv,
                              NULL))
        redis_link_fail(c->link, "SUBSCRIBE could not be queued");
}

static redisAsyncContext *connect_async(const redis_link *l)
{
    if (l->url.is_unix)
        return redisAsyncConnectUnix(l->url.path);
    return redisAsyncConnect(l->address, l->url.port);
}

int redis_link_conn_open(redis_link_conn *c, uint64_t now_us)
{
    redis_link *l = c->link;
    redisAsyncContext *ac = connect_async(l);
    if (ac == NULL) {
        redis_link_fail(l, "connect: out of memory");
        return -1;
    }
    if (ac->err != 0) { /* refused at once (e.g. no socket file): no hooks yet */
        char why[128];
        snprintf(why, sizeof why, "connect: %.100s", ac->errstr);
        redisAsyncFree(ac);
        redis_link_fail(l, why);
        return -1;
    }
    c->ac = ac;
    c->fd = ac->c.fd;
    c->want = POLLOUT; /* connect(2) completes when writable */
    c->ready = false;
    c->handshake_left = 0;
    c->started_us = now_us;
    ac->data = c;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    ac->ev.data = c;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (!queue_handshake(c)) {
        redis_link_fail(l, "handshake could not be queued");
        return -1;
    }
    redis_link_ring_stamp(&c->ring, now_us);
    return 0;
}

void redis_link_conn_close(redis_link_conn *c)
{
    if (c->ac != NULL)
        redisAsyncFree(c->ac); /* callbacks with NULL, then ev_cleanup */
    c->ac = NULL;
    c->fd = -1;
    c->want = 0;
    c->ready = false;
    c->handshake_left = 0;
    /* hiredis answered every callback it held; anything left (none is
     * expected) is answered here so no caller waits forever. */
    redis_link_entry e;
    while (redis_link_ring_pop(&c->ring, &e)) {
        if (e.kind == REDIS_LINK_ENTRY_USER) {
            c->link->stats.errors++;
            if (e.cb != NULL)
                e.cb(c->link->cfg.user, e.privdata, NULL, c->link->now_us);
        }
    }
    if (!c->is_sub)
        c->link->stats.pending = 0;
}

void redis_link_conn_handle(redis_link_conn *c, short revents)
{
    if (c->ac != NULL && (revents & (POLLIN | POLLERR | POLLHUP)) && (c->want & POLLIN))
        redisAsyncHandleRead(c->ac);
    /* The read may have freed the context (EOF): look again. */
    if (c->ac != NULL && (revents & (POLLOUT | POLLERR | POLLHUP)) && (c->want & POLLOUT))
        redisAsyncHandleWrite(c->ac);
}

bool redis_link_conn_connected(const redis_link_conn *c)
{
    return c->ac != NULL && (c->ac->c.flags & REDIS_CONNECTED) != 0;
}
