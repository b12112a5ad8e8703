/* Private to the text port: the connection table, shared by textport.c
 * (epoll, timers, writing, freeing), textport_accept.c (the listening
 * socket, admission), textport_conn.c (reading, framing, chat, replies) and
 * textport_cmd.c (commands). */
#ifndef LOBBY_TEXTPORT_INTERNAL_H
#define LOBBY_TEXTPORT_INTERNAL_H

#include "textline.h"
#include "textport.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    TP_LOG_INTERVAL_US = 10 * 1000 * 1000, /* limit hits: one line per kind this often */
    TP_SWEEP_US = 10 * 1000,               /* timers are checked this often */
    TP_LISTENER_TAG = UINT32_MAX,          /* epoll data of the listening socket */
    TP_READ_CHUNK_BYTES = 16 * 1024,       /* one recv() */
    /* A text line as each player of the lobby receives it: TEXT_CHAT_RELAY
     * is 1 + 4 + 1 + name + 2 + text bytes; what the lobby budget counts. */
    TP_RELAY_OVERHEAD_BYTES = 8,
    TP_MAX_RELAY_BYTES = TP_RELAY_OVERHEAD_BYTES + PROTO_MAX_NAME_BYTES + PROTO_MAX_CHAT_BYTES,
    TP_ADDR_BUCKETS = 4096, /* per-address-per-lobby line buckets, hashed */
    /* Past max_out_total_bytes, a client with this much unsent is closed; an
     * output buffer this large is freed once empty. */
    TP_PRESSURE_PENDING_BYTES = 16 * 1024,
};

typedef enum tp_state {
    TP_FREE = 0,
    TP_OPEN,      /* reading messages */
    TP_DRAINING,  /* the peer sent FIN: its last replies go out, then we close */
    TP_LINGERING, /* closed by us: the error line goes out, then our FIN; input
                   * is read and dropped until the peer closes or linger_ms pass,
                   * so that unread input cannot make the kernel reset the
                   * connection before the client has read why */
} tp_state;

/* Kinds of limit hits, each logged at most once per TP_LOG_INTERVAL_US. */
typedef enum tp_log_kind {
    TP_LOG_REFUSED = 0,
    TP_LOG_TOO_LONG,
    TP_LOG_IDLE,
    TP_LOG_SLOW,
    TP_LOG_FLOODING,
    TP_LOG_REFUSED_LINE, /* bad text, rate limit, bad names */
    TP_LOG_ACCEPT_ERROR,
    TP_LOG_NOT_ADMITTED, /* the core would not take a new client */
    TP_LOG_LINE_TIMEOUT, /* a message not whole in time (slowloris) */
    TP_LOG_KINDS,
} tp_log_kind;

typedef struct tp_conn {
    tp_state state;
    int fd;
    uint32_t ip; /* network order */
    char label[24];
    char name[PROTO_MAX_NAME_BYTES + 1];
    uint8_t name_len;
    textline line;
    server_text_client tc;
    uint64_t last_line_us;   /* when a message last ended (or the accept): idle from then */
    rate_bucket line_bucket; /* every message but /quit takes a token */
    rate_bucket line_flood;  /* drained by refused messages; empty: flooding */
    uint64_t deadline_us;    /* DRAINING, LINGERING: close by then regardless */
    textport_close_reason reason;
    char *out; /* unsent output: out[out_off..out_len) */
    size_t out_off, out_len, out_cap;
    bool fin_sent;   /* LINGERING: shutdown(SHUT_WR) done */
    bool want_write; /* EPOLLOUT is registered */
    bool dirty;      /* in textport.dirty: to be written this pass */
    bool dead;       /* in textport.dead: to be freed this pass */
    bool refused;    /* never admitted (counted in refused, not in closed) */
} tp_conn;

/* A lobby's text byte budget; a slot reopened (new gen) starts afresh. */
typedef struct tp_lobby_budget {
    uint32_t gen;
    bool used;
    rate_bucket bytes;
} tp_lobby_budget;

struct textport {
    textport_config cfg;
    server *core;
    int listen_fd;
    int epoll_fd;
    uint16_t port;
    bool shutting_down;
    bool accept_paused; /* out of descriptors: the listener is off epoll a while */
    uint64_t accept_resume_us;
    uint64_t next_sweep_us;
    uint64_t now_us;       /* of the current pump or flush */
    uint64_t guest_serial; /* default names guest-1, guest-2, ... */
    tp_conn *conns;        /* max_conns slots */
    uint32_t high_water;   /* slots [0, high_water) may be in use */
    uint32_t *dirty, dirty_count;
    uint32_t *dead, dead_count;
    textport_stats stats;
    size_t out_total;              /* unsent output of all connections */
    tp_lobby_budget *lobby_budget; /* one per lobby slot of the core */
    uint32_t lobby_budget_count;
    rate_bucket *addr_buckets; /* TP_ADDR_BUCKETS, by keyed hash of (address, lobby) */
    uint64_t addr_seed;
    rate_stall stall; /* the loop's last stall (textport_note_stall): line buckets allow for it */
    uint64_t log_next_us[TP_LOG_KINDS];
    uint64_t log_unlogged[TP_LOG_KINDS];
    /* tp_conn_read's buffer, here rather than on the stack (8 KB at most);
     * framing copies what it keeps before the next read. */
    char read_buf[TP_READ_CHUNK_BYTES];
};

/* ---- textport.c --------------------------------------------------------- */

/* Logs a limit hit, at most one line per kind every TP_LOG_INTERVAL_US
 * (with how many were not logged since). */
void tp_log_limited(textport *tp, tp_log_kind kind, uint64_t now_us, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queues the connection for this pass's write. */
void tp_mark_dirty(textport *tp, tp_conn *c);
/* Re-registers the connection's epoll interest: input unless DRAINING,
 * output while some is waiting. */
void tp_update_events(textport *tp, tp_conn *c);
/* Ends the connection at the end of the pass, without another word. */
void tp_kill(textport *tp, tp_conn *c, textport_close_reason why);

/* ---- textport_accept.c ------------------------------------------------- */

/* Binds, listens and adds the listener to the epoll set; tp->port is the
 * port bound. Returns TEXTPORT_OK or a negative textport_error. */
int tp_open_listener(textport *tp);
/* Accepts what is waiting (a bounded number per pass), refusing clients over
 * the limits with an error line. */
void tp_accept_all(textport *tp, uint64_t now_us);
/* Watches the listener again once a pause for lack of descriptors is over. */
void tp_resume_accepting(textport *tp, uint64_t now_us);

/* ---- textport_conn.c ---------------------------------------------------- */

/* Appends one reply line ("\n" added) to the connection's output; a client
 * with more than max_out_bytes unsent is killed as a slow reader. */
void tp_send_line(textport *tp, tp_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends "error CODE detail" and counts it. */
void tp_send_error(textport *tp, tp_conn *c, textport_reply_error code, const char *detail);
/* Ends the connection gracefully once its output is sent: see TP_LINGERING.
 * It hears no more chat and its input is dropped from now on. */
void tp_linger(textport *tp, tp_conn *c, textport_close_reason why, uint64_t now_us);
/* Sends a closing error and lingers. */
void tp_close_with(textport *tp, tp_conn *c, textport_reply_error code, const char *detail,
                   textport_close_reason why, uint64_t now_us);
/* The "error CODE" for a negative server_text_result. */
textport_reply_error tp_error_for(int result);
/* Reads what the socket holds (a bounded amount per pass) and acts on it. */
void tp_conn_read(textport *tp, tp_conn *c, uint64_t now_us);
/* Timers: the quiet end of a message, the idle limit, lingering. */
void tp_conn_sweep(textport *tp, tp_conn *c, uint64_t now_us);
/* Writes queued output without blocking; false when the socket failed. */
bool tp_conn_write(textport *tp, tp_conn *c);

/* ---- textport_budget.c ------------------------------------------------ */

/* Allocates the lobby and address tables; false when out of memory. */
bool tp_budget_init(textport *tp);
void tp_budget_deinit(textport *tp);
/* Whether c may post a line that players receive as relay_bytes of
 * TEXT_CHAT_RELAY into its lobby now: TEXTPORT_LINE_REFUSALS when it may
 * (nothing is taken yet: see tp_budget_charge), else the limit it hits. */
textport_line_refusal tp_budget_check(textport *tp, const tp_conn *c, size_t relay_bytes,
                                      uint64_t now_us);
/* Takes what a line checked by tp_budget_check and posted costs. */
void tp_budget_charge(textport *tp, const tp_conn *c, size_t relay_bytes, uint64_t now_us);

/* ---- textport_cmd.c ----------------------------------------------------- */

/* One command message (starting with "/", not "//"): its reply lines are
 * queued, under the client's command rate (except /quit). */
void tp_command(textport *tp, tp_conn *c, proto_str msg, uint64_t now_us);

#endif
