/* The text port's listening socket, and accepting under the connection
 * limits: over a limit, or when the core will not take a client (the server
 * is stopping), it is told why in one "error CODE detail" line and closed. */
#include "log.h"
#include "textport_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    LISTEN_BACKLOG = 128,
    MAX_ACCEPTS_PER_PASS = 64,    /* a connect flood cannot hold up the pass */
    ACCEPT_PAUSE_US = 100 * 1000, /* out of descriptors: retry accepting after this */
    REFUSE_DRAIN_READS = 8,       /* of 512 bytes, before closing a refused client */
};

static int resolve(const char *host, struct in_addr *out)
{
    if (host == NULL || host[0] == '\0') {
        out->s_addr = htonl(INADDR_ANY);
        return TEXTPORT_OK;
    }
    if (inet_pton(AF_INET, host, out) == 1)
        return TEXTPORT_OK;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
        return TEXTPORT_ERR_ADDRESS;
    *out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return TEXTPORT_OK;
}

static bool set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 &&
           fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

int tp_open_listener(textport *tp)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(tp->cfg.port)};
    int err = resolve(tp->cfg.bind_host, &addr.sin_addr);
    if (err != TEXTPORT_OK)
        return err;
    tp->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    socklen_t len = sizeof addr;
    if (tp->listen_fd < 0 || !set_nonblocking(tp->listen_fd) ||
        setsockopt(tp->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(tp->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(tp->listen_fd, LISTEN_BACKLOG) != 0 ||
        getsockname(tp->listen_fd, (struct sockaddr *)&addr, &len) != 0)
        return TEXTPORT_ERR_BIND; /* errno says why; lobby-server prints it with the flag */
    tp->port = ntohs(addr.sin_port);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TP_LISTENER_TAG};
    if (epoll_ctl(tp->epoll_fd, EPOLL_CTL_ADD, tp->listen_fd, &ev) != 0)
        return TEXTPORT_ERR_SYSTEM;
    return TEXTPORT_OK;
}

/* ---- accepting ------------------------------------------------------------ */

/* Tells a client refused without a slot why in one line, best effort, and
 * closes. Input it already sent is read first, so that closing does not
 * reset the connection before the line arrives. */
static void refuse_now(textport *tp, int fd, textport_reply_error code, const char *detail)
{
    char line[160], sink[512];
    int n = snprintf(line, sizeof line, "error %s %s\n", textport_error_code(code), detail);
    tp->stats.errors[code]++;
    ssize_t sent = send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0)
        tp->stats.bytes_out += (uint64_t)sent;
    shutdown(fd, SHUT_WR);
    /* Bounded: a client that keeps sending must not keep the loop here. */
    for (int i = 0; i < REFUSE_DRAIN_READS && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ;
    close(fd);
}

static void refuse(textport *tp, int fd, const char *label, textport_refuse_reason why,
                   uint64_t now_us)
{
    tp->stats.refused[why]++;
    tp_log_limited(tp, TP_LOG_REFUSED, now_us, "refused text client %s: %s", label,
                   why == TEXTPORT_REFUSE_PER_IP ? "per-address limit" : "connection limit");
    refuse_now(tp, fd, TEXTPORT_ERR_TOO_MANY_CONNECTIONS,
               why == TEXTPORT_REFUSE_PER_IP ? "too many connections from your address"
                                             : "server has too many text connections");
}

static uint32_t conns_from(const textport *tp, uint32_t ip)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < tp->high_water; i++)
        n += tp->conns[i].state != TP_FREE && tp->conns[i].ip == ip;
    return n;
}

static tp_conn *free_slot(textport *tp)
{
    for (uint32_t i = 0; i < tp->cfg.max_conns; i++) {
        if (tp->conns[i].state == TP_FREE) {
            if (i >= tp->high_water)
                tp->high_water = i + 1;
            return &tp->conns[i];
        }
    }
    return NULL;
}

/* The core would not take an accepted client (result rc): it is told why
 * and closed like any client after a closing error (TP_LINGERING), so the
 * line arrives and the connection ends with FIN, never a reset. */
static void not_admitted(textport *tp, tp_conn *c, int rc, uint64_t now_us)
{
    tp->stats.refused[TEXTPORT_REFUSE_NOT_ADMITTED]++;
    c->refused = true;
    tp_log_limited(tp, TP_LOG_NOT_ADMITTED, now_us, "cannot admit text client %s: %s", c->label,
                   server_text_strerror(rc));
    if (rc == SERVER_TEXT_SHUTTING_DOWN) {
        tp_close_with(tp, c, TEXTPORT_ERR_SHUTTING_DOWN, server_text_strerror(rc),
                      TEXTPORT_CLOSE_SHUTDOWN, now_us);
        return;
    }
    char detail[160];
    snprintf(detail, sizeof detail, "cannot admit you to lobby %s: %s; closing",
             PROTO_DEFAULT_LOBBY, server_text_strerror(rc));
    tp_close_with(tp, c, TEXTPORT_ERR_NOT_ADMITTED, detail, TEXTPORT_CLOSE_SHUTDOWN, now_us);
}

static void admit(textport *tp, int fd, const struct sockaddr_in *from, const char *label,
                  uint64_t now_us)
{
    tp_conn *c = tp->stats.open < tp->cfg.max_conns ? free_slot(tp) : NULL;
    if (c == NULL) {
        refuse(tp, fd, label, TEXTPORT_REFUSE_TOTAL, now_us);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(c - tp->conns)};
    if (epoll_ctl(tp->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        /* Without epoll the connection cannot linger: one line, best effort. */
        tp->stats.refused[TEXTPORT_REFUSE_NOT_ADMITTED]++;
        tp_log_limited(tp, TP_LOG_NOT_ADMITTED, now_us, "cannot admit text client %s: epoll: %s",
                       label, strerror(errno));
        refuse_now(tp, fd, TEXTPORT_ERR_NOT_ADMITTED, "server cannot take the connection now");
        return;
    }
    memset(c, 0, sizeof *c);
    c->state = TP_OPEN;
    c->fd = fd;
    c->ip = from->sin_addr.s_addr;
    snprintf(c->label, sizeof c->label, "%s", label);
    c->name_len = (uint8_t)snprintf(c->name, sizeof c->name, "guest-%llu",
                                    (unsigned long long)++tp->guest_serial % 1000000000ull);
    textline_init(&c->line);
    c->last_line_us = now_us;
    rate_bucket_init(&c->line_bucket, tp->cfg.line_burst, now_us);
    rate_bucket_init(&c->line_flood, (double)tp->cfg.line_flood_limit - 1.0, now_us);
    tp->stats.open++;
    c->tc.holder = c->ip; /* lobbies it opens are charged to its address */
    int rc = server_text_enter(tp->core, &c->tc, now_us);
    if (rc != SERVER_TEXT_OK) {
        not_admitted(tp, c, rc, now_us);
        return;
    }
    tp->stats.accepted++;
    log_debug("textport", "text client %s connected as %s", label, c->name);
}

/* Caps the kernel's send queue, so that a client that does not read holds
 * at most about twice sndbuf_bytes there (Linux doubles the value) and our
 * own output queue fills, and the slow-reader close fires, soon. */
static bool cap_send_buffer(textport *tp, int fd, const char *label, uint64_t now_us)
{
    int bytes = (int)tp->cfg.sndbuf_bytes;
    if (bytes == 0 || setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) == 0)
        return true;
    tp->stats.accept_errors++;
    tp_log_limited(tp, TP_LOG_ACCEPT_ERROR, now_us, "text client %s: SO_SNDBUF: %s", label,
                   strerror(errno));
    return false;
}

static void pause_accepting(textport *tp, uint64_t now_us)
{
    epoll_ctl(tp->epoll_fd, EPOLL_CTL_DEL, tp->listen_fd, NULL);
    tp->accept_paused = true;
    tp->accept_resume_us = now_us + ACCEPT_PAUSE_US;
}

void tp_accept_all(textport *tp, uint64_t now_us)
{
    for (int i = 0; i < MAX_ACCEPTS_PER_PASS; i++) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        int fd = accept(tp->listen_fd, (struct sockaddr *)&from, &len);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                /* Out of descriptors or memory: the listener would stay
                 * readable and spin the loop, so stop watching it a while. */
                tp->stats.accept_errors++;
                tp_log_limited(tp, TP_LOG_ACCEPT_ERROR, now_us, "accept: %s", strerror(errno));
                pause_accepting(tp, now_us);
            }
            return;
        }
        char label[24];
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
        snprintf(label, sizeof label, "%s:%u", ip, (unsigned)ntohs(from.sin_port));
        if (!set_nonblocking(fd))
            close(fd);
        else if (!cap_send_buffer(tp, fd, label, now_us))
            close(fd);
        else if (conns_from(tp, from.sin_addr.s_addr) >= tp->cfg.max_conns_per_ip)
            refuse(tp, fd, label, TEXTPORT_REFUSE_PER_IP, now_us);
        else
            admit(tp, fd, &from, label, now_us);
    }
}

void tp_resume_accepting(textport *tp, uint64_t now_us)
{
    if (!tp->accept_paused || now_us < tp->accept_resume_us)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TP_LISTENER_TAG};
    tp->accept_paused = epoll_ctl(tp->epoll_fd, EPOLL_CTL_ADD, tp->listen_fd, &ev) != 0;
    tp->accept_resume_us = now_us + ACCEPT_PAUSE_US;
}
