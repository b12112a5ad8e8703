/* The text port's epoll set and its pass: events, timers, writing and
 * freeing; the chat tap that echoes lobby chat to text clients. The
 * listening socket and accepting are in textport_accept.c, per-connection
 * input in textport_conn.c. */
#include "textport.h"

#include "log.h"
#include "textport_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_EVENTS = 256 }; /* per pass; the rest wait for the next one */

void textport_config_defaults(textport_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_conns = 1024;
    cfg->max_conns_per_ip = 16;
    cfg->idle_ms = 300000;
    cfg->max_out_bytes = 256 * 1024;
    cfg->max_out_total_bytes = 64 * 1024 * 1024;
    cfg->linger_ms = 2000;
    cfg->line_per_s = 10.0;
    cfg->line_burst = 20.0;
    cfg->line_flood_limit = 30;
    cfg->max_line_ms = 10000;
    cfg->sndbuf_bytes = 64 * 1024;
    cfg->lobby_ip_lines_per_s = 2.0;
    cfg->lobby_ip_line_burst = 10.0;
    cfg->lobby_bytes_per_s = 8192.0;
    cfg->lobby_bytes_burst = 16384.0;
}

const char *textport_strerror(int err)
{
    switch (err) {
    case TEXTPORT_OK:
        return "ok";
    case TEXTPORT_ERR_ADDRESS:
        return "address does not resolve to IPv4";
    case TEXTPORT_ERR_BIND:
        return "cannot listen on the TCP port";
    case TEXTPORT_ERR_NOMEM:
        return "out of memory";
    case TEXTPORT_ERR_CONFIG:
        return "invalid text port configuration";
    case TEXTPORT_ERR_SYSTEM:
        return "cannot set up epoll";
    }
    return "unknown text port error";
}

/* ---- logging, bookkeeping ------------------------------------------------- */

void tp_log_limited(textport *tp, tp_log_kind kind, uint64_t now_us, const char *fmt, ...)
{
    if (now_us < tp->log_next_us[kind]) {
        tp->log_unlogged[kind]++;
        return;
    }
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (tp->log_unlogged[kind] > 0)
        log_warn("textport", "%s (and %llu more like it in the last %d s)", line,
                 (unsigned long long)tp->log_unlogged[kind], TP_LOG_INTERVAL_US / 1000000);
    else
        log_warn("textport", "%s", line);
    tp->log_unlogged[kind] = 0;
    tp->log_next_us[kind] = now_us + TP_LOG_INTERVAL_US;
}

void tp_mark_dirty(textport *tp, tp_conn *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    tp->dirty[tp->dirty_count++] = (uint32_t)(c - tp->conns);
}

void tp_kill(textport *tp, tp_conn *c, textport_close_reason why)
{
    if (c->dead)
        return;
    c->dead = true;
    c->reason = why;
    tp->dead[tp->dead_count++] = (uint32_t)(c - tp->conns);
}

void tp_update_events(textport *tp, tp_conn *c)
{
    struct epoll_event ev = {.events = 0, .data.u32 = (uint32_t)(c - tp->conns)};
    if (c->state != TP_DRAINING)
        ev.events |= EPOLLIN;
    if (c->want_write)
        ev.events |= EPOLLOUT;
    if (epoll_ctl(tp->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        log_error("textport", "epoll_ctl %s: %s", c->label, strerror(errno));
}

/* ---- creating ------------------------------------------------------------- */

static void on_chat(void *user, const server_chat_note *note);

int textport_create(const textport_config *cfg, server *core, textport **out)
{
    if (cfg->max_conns == 0 || cfg->max_conns_per_ip == 0 || cfg->idle_ms == 0 ||
        cfg->max_out_bytes < 4096 || cfg->max_out_total_bytes == 0 || !(cfg->line_per_s > 0.0) ||
        !(cfg->line_burst >= 1.0) || cfg->line_flood_limit < 2 || cfg->max_line_ms == 0 ||
        !(cfg->lobby_ip_lines_per_s > 0.0) || !(cfg->lobby_ip_line_burst >= 1.0) ||
        !(cfg->lobby_bytes_per_s > 0.0) || !(cfg->lobby_bytes_burst >= TP_MAX_RELAY_BYTES))
        return TEXTPORT_ERR_CONFIG;
    textport *tp = calloc(1, sizeof *tp);
    if (tp == NULL)
        return TEXTPORT_ERR_NOMEM;
    tp->cfg = *cfg;
    tp->core = core;
    tp->listen_fd = -1;
    tp->conns = calloc(cfg->max_conns, sizeof *tp->conns);
    tp->dirty = calloc(cfg->max_conns, sizeof *tp->dirty);
    tp->dead = calloc(cfg->max_conns, sizeof *tp->dead);
    tp->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    int err = TEXTPORT_ERR_NOMEM;
    if (tp->conns != NULL && tp->dirty != NULL && tp->dead != NULL && tp_budget_init(tp))
        err = tp->epoll_fd < 0 ? TEXTPORT_ERR_SYSTEM : tp_open_listener(tp);
    if (err != TEXTPORT_OK) {
        int saved_errno = errno; /* why the listener failed, for the caller */
        textport_destroy(tp);
        errno = saved_errno;
        return err;
    }
    server_set_chat_tap(core, on_chat, tp);
    *out = tp;
    return TEXTPORT_OK;
}

/* ---- freeing -------------------------------------------------------------- */

static const char *close_reason_text(textport_close_reason why)
{
    static const char *const text[TEXTPORT_CLOSE_REASONS] = {
        "closed by the client",      "reset or socket error",
        "message too long",          "idle",
        "not reading its output",    "flooding",
        "server shutting down",      "quit",
        "message too slow to arrive"};
    return why < TEXTPORT_CLOSE_REASONS ? text[why] : "?";
}

static void free_conn(textport *tp, tp_conn *c)
{
    log_debug("textport", "text client %s closed: %s", c->label,
              c->refused ? "not admitted" : close_reason_text(c->reason));
    close(c->fd); /* also takes it out of the epoll set */
    server_text_leave(tp->core, &c->tc);
    tp->out_total -= c->out_len - c->out_off;
    free(c->out);
    if (!c->refused)
        tp->stats.closed[c->reason]++;
    tp->stats.open--;
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

void textport_destroy(textport *tp)
{
    if (tp == NULL)
        return;
    if (tp->core != NULL)
        server_set_chat_tap(tp->core, NULL, NULL);
    for (uint32_t i = 0; tp->conns != NULL && i < tp->high_water; i++)
        if (tp->conns[i].state != TP_FREE) {
            tp->conns[i].reason = TEXTPORT_CLOSE_SHUTDOWN;
            free_conn(tp, &tp->conns[i]);
        }
    if (tp->listen_fd >= 0)
        close(tp->listen_fd);
    if (tp->epoll_fd >= 0)
        close(tp->epoll_fd);
    free(tp->conns);
    free(tp->dirty);
    free(tp->dead);
    tp_budget_deinit(tp);
    free(tp);
}

/* ---- the pass ------------------------------------------------------------- */

static void on_event(textport *tp, const struct epoll_event *ev, uint64_t now_us)
{
    if (ev->data.u32 == TP_LISTENER_TAG) {
        tp_accept_all(tp, now_us);
        return;
    }
    tp_conn *c = &tp->conns[ev->data.u32];
    if (c->state == TP_FREE || c->dead)
        return;
    if (ev->events & EPOLLOUT)
        tp_mark_dirty(tp, c);
    if ((ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->state != TP_DRAINING)
        tp_conn_read(tp, c, now_us);
    else if (ev->events & (EPOLLHUP | EPOLLERR))
        tp_mark_dirty(tp, c); /* the write will tell */
}

void textport_pump(textport *tp, uint64_t now_us)
{
    tp->now_us = now_us;
    struct epoll_event events[MAX_EVENTS];
    int n = epoll_wait(tp->epoll_fd, events, MAX_EVENTS, 0);
    for (int i = 0; i < n; i++)
        on_event(tp, &events[i], now_us);
    tp_resume_accepting(tp, now_us);
    if (now_us >= tp->next_sweep_us) {
        tp->next_sweep_us = now_us + TP_SWEEP_US;
        for (uint32_t i = 0; i < tp->high_water; i++)
            if (tp->conns[i].state != TP_FREE)
                tp_conn_sweep(tp, &tp->conns[i], now_us);
    }
}

/* Writes one connection's output and decides what its state now asks for. */
static void flush_conn(textport *tp, tp_conn *c)
{
    c->dirty = false;
    if (!tp_conn_write(tp, c)) {
        tp_kill(tp, c, c->state == TP_LINGERING ? c->reason : TEXTPORT_CLOSE_RESET);
        return;
    }
    bool pending = c->out_off < c->out_len;
    if (c->dead)
        return;
    if (!pending && c->state == TP_DRAINING) {
        tp_kill(tp, c, TEXTPORT_CLOSE_PEER);
        return;
    }
    if (!pending && c->state == TP_LINGERING && !c->fin_sent) {
        shutdown(c->fd, SHUT_WR); /* after the error line: the client reads it, then EOF */
        c->fin_sent = true;
    }
    if (pending != c->want_write) {
        c->want_write = pending;
        tp_update_events(tp, c);
    }
}

void textport_flush(textport *tp, uint64_t now_us)
{
    tp->now_us = now_us;
    for (uint32_t i = 0; i < tp->dirty_count; i++)
        flush_conn(tp, &tp->conns[tp->dirty[i]]);
    tp->dirty_count = 0;
    for (uint32_t i = 0; i < tp->dead_count; i++)
        free_conn(tp, &tp->conns[tp->dead[i]]);
    tp->dead_count = 0;
}

uint64_t textport_next_deadline_us(const textport *tp)
{
    if (tp->accept_paused)
        return tp->accept_resume_us;
    return tp->stats.open > 0 ? tp->next_sweep_us : UINT64_MAX;
}

/* ---- the chat tap --------------------------------------------------------- */

/* Echoes a lobby's accepted chat to its text clients, except the one who
 * sent it (it has its "ok SEQ"). */
static void on_chat(void *user, const server_chat_note *note)
{
    textport *tp = user;
    for (uint32_t i = 0; i < tp->high_water; i++) {
        tp_conn *c = &tp->conns[i];
        if ((c->state != TP_OPEN && c->state != TP_DRAINING) || c->dead ||
            c->tc.lobby_index != note->lobby_index || &c->tc == note->origin)
            continue;
        tp->stats.chat_lines_out++;
        tp_send_line(tp, c, "chat %u %s%.*s: %.*s", (unsigned)note->seq,
                     note->from_text ? "[text] " : "", (int)note->sender.len, note->sender.bytes,
                     (int)note->text.len, note->text.bytes);
    }
}

/* ---- the rest ------------------------------------------------------------- */

void textport_begin_shutdown(textport *tp, uint64_t now_us)
{
    if (tp->shutting_down)
        return;
    tp->shutting_down = true;
    /* The listener stays: a client connecting now is accepted only to be
     * told "error shutting-down" (the core refuses it), rather than left in
     * the backlog to be reset when the process exits. */
    for (uint32_t i = 0; i < tp->high_water; i++) {
        tp_conn *c = &tp->conns[i];
        if (c->state == TP_OPEN && !c->dead)
            tp_close_with(tp, c, TEXTPORT_ERR_SHUTTING_DOWN, "server is shutting down",
                          TEXTPORT_CLOSE_SHUTDOWN, now_us);
    }
}

uint16_t textport_port(const textport *tp)
{
    return tp->port;
}

int textport_fd(const textport *tp)
{
    return tp->epoll_fd;
}

const textport_stats *textport_get_stats(const textport *tp)
{
    return &tp->stats;
}

void textport_note_stall(textport *tp, uint64_t stall_us, uint64_t now_us)
{
    rate_stall_note(&tp->stall, stall_us, now_us);
}
