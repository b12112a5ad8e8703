/* The plain-text chat port: any TCP client (netcat, a few lines of any
 * language over plain sockets) sends chat lines into a lobby and reads the
 * lobby's chat back as lines. It owns a listening socket and its
 * connections, all non-blocking and watched by one epoll descriptor that the
 * server's loop polls next to ENet's socket, so no client can block the game
 * loop and an idle connection costs the loop nothing. It talks to the server
 * core only through server_text_* and the chat tap; no ENet here.
 *
 * Per pass: textport_pump() accepts, reads, frames and posts (replies are
 * queued per connection), then the ENet transport runs (chat it relays is
 * queued to text clients through the tap), then textport_flush() writes
 * what is queued and frees connections that ended. The line protocol is
 * described in docs/PROTOCOL.md ("Plain-text chat port"). */
#ifndef LOBBY_TEXTPORT_H
#define LOBBY_TEXTPORT_H

#include "server.h"

#include <stddef.h>
#include <stdint.h>

typedef struct textport_config {
    const char *bind_host;     /* dotted IPv4 or host name; NULL or "0.0.0.0": any */
    uint16_t port;             /* 0 picks a free port */
    uint32_t max_conns;        /* open connections at once */
    uint32_t max_conns_per_ip; /* from one IPv4 address */
    uint32_t idle_ms;          /* a client that ends no message this long is closed */
    size_t max_out_bytes;      /* unsent output before a client counts as not reading */
    /* Unsent output of all clients together past which one with more than
     * TP_PRESSURE_PENDING_BYTES (16 KiB) waiting counts as not reading. */
    size_t max_out_total_bytes;
    uint32_t linger_ms; /* after a closing error line: wait this long for the peer */
    /* Every non-empty message (chat line or command) takes a token of a
     * bucket per connection; refusals drain a second one (flood_limit deep,
     * refilled at a tenth of that a second) whose end closes the client. */
    double line_per_s, line_burst;
    uint32_t line_flood_limit;
    uint32_t max_line_ms;  /* a message must arrive whole within this from its first byte */
    uint32_t sndbuf_bytes; /* SO_SNDBUF of accepted sockets (Linux doubles it); 0: leave it */
    /* What text clients may post into one lobby: per address (lines, hashed
     * into TP_ADDR_BUCKETS buckets), and together (bytes of TEXT_CHAT_RELAY,
     * what each player of the lobby receives). */
    double lobby_ip_lines_per_s, lobby_ip_line_burst;
    double lobby_bytes_per_s, lobby_bytes_burst;
} textport_config;

/* Why a connection ended (textport_stats.closed). */
typedef enum textport_close_reason {
    TEXTPORT_CLOSE_PEER = 0,     /* the client closed (FIN), after its replies were sent */
    TEXTPORT_CLOSE_RESET,        /* a reset or another socket error: a partial line is dropped */
    TEXTPORT_CLOSE_TOO_LONG,     /* a message over PROTO_MAX_CHAT_BYTES */
    TEXTPORT_CLOSE_IDLE,         /* no message ended for idle_ms */
    TEXTPORT_CLOSE_SLOW,         /* more than max_out_bytes of output unsent */
    TEXTPORT_CLOSE_FLOODING,     /* kept sending over the line or chat rate */
    TEXTPORT_CLOSE_SHUTDOWN,     /* the server stopped */
    TEXTPORT_CLOSE_QUIT,         /* the client sent /quit */
    TEXTPORT_CLOSE_LINE_TIMEOUT, /* a message not whole max_line_ms after its first byte */
    TEXTPORT_CLOSE_REASONS,
} textport_close_reason;

/* Why a connection was refused at accept (textport_stats.refused). */
typedef enum textport_refuse_reason {
    TEXTPORT_REFUSE_PER_IP = 0,   /* its address holds max_conns_per_ip */
    TEXTPORT_REFUSE_TOTAL,        /* max_conns are open */
    TEXTPORT_REFUSE_NOT_ADMITTED, /* the core would not take it (shutting down, ...) */
    TEXTPORT_REFUSE_REASONS,
} textport_refuse_reason;

/* Error codes of "error CODE ..." reply lines, for textport_stats. */
typedef enum textport_reply_error {
    TEXTPORT_ERR_TOO_LONG = 0,
    TEXTPORT_ERR_BAD_TEXT,
    TEXTPORT_ERR_RATE_LIMITED,
    TEXTPORT_ERR_FLOODING,
    TEXTPORT_ERR_BAD_NAME,
    TEXTPORT_ERR_BAD_LOBBY,
    TEXTPORT_ERR_TOO_MANY_LOBBIES,
    TEXTPORT_ERR_IDLE,
    TEXTPORT_ERR_TOO_MANY_CONNECTIONS,
    TEXTPORT_ERR_SHUTTING_DOWN,
    TEXTPORT_ERR_PASSWORD_REQUIRED, /* /join of a lobby with a password, none given */
    TEXTPORT_ERR_WRONG_PASSWORD,
    TEXTPORT_ERR_NO_SUCH_LOBBY, /* /join NAME PASSWORD of a lobby that is not open */
    TEXTPORT_ERR_UNKNOWN_COMMAND,
    TEXTPORT_ERR_USAGE,        /* a known command with arguments it does not take */
    TEXTPORT_ERR_NOT_ADMITTED, /* at accept: the core would not take the client */
    TEXTPORT_ERR_LINE_TIMEOUT, /* a message took longer than max_line_ms to arrive */
    TEXTPORT_ERR_LOBBY_BUSY,   /* the lobby's text budget (all text clients) is spent */
    TEXTPORT_ERR_ELSEWHERE,    /* /join of a lobby on another server: the detail names it */
    TEXTPORT_ERR_CODES,
} textport_reply_error;

/* The CODE of an "error CODE ..." line, e.g. "too-long". */
const char *textport_error_code(textport_reply_error code);

/* Why a message was refused before the core saw it (textport_stats). */
typedef enum textport_line_refusal {
    TEXTPORT_LINE_RATE = 0,      /* over the connection's line rate */
    TEXTPORT_LINE_LOBBY_ADDRESS, /* over its address's line rate into the lobby */
    TEXTPORT_LINE_LOBBY_BYTES,   /* over the lobby's text byte budget */
    TEXTPORT_LINE_REFUSALS,
} textport_line_refusal;

/* Counters for logs and metrics; all only grow except open. */
typedef struct textport_stats {
    uint64_t accepted;
    uint64_t refused[TEXTPORT_REFUSE_REASONS];
    uint64_t closed[TEXTPORT_CLOSE_REASONS];
    uint64_t accept_errors; /* accept() failures, e.g. out of descriptors */
    uint64_t messages_accepted;
    uint64_t messages_refused;           /* chat lines answered with an error */
    uint64_t commands;                   /* command lines (starting with one "/") */
    uint64_t errors[TEXTPORT_ERR_CODES]; /* "error CODE" lines sent, by code */
    uint64_t chat_lines_out;             /* "chat ..." lines queued to text clients */
    uint64_t lines_refused[TEXTPORT_LINE_REFUSALS];
    uint64_t bytes_in, bytes_out;
    uint32_t open; /* connections open now */
} textport_stats;

typedef struct textport textport;

typedef enum textport_error {
    TEXTPORT_OK = 0,
    TEXTPORT_ERR_ADDRESS = -1, /* bind_host does not resolve to IPv4 */
    TEXTPORT_ERR_BIND = -2,    /* socket, bind or listen failed: errno says why */
    TEXTPORT_ERR_NOMEM = -3,
    TEXTPORT_ERR_CONFIG = -4,
    TEXTPORT_ERR_SYSTEM = -5, /* epoll could not be set up */
} textport_error;

/* max_conns 1024, 16 per IP, idle 300000 ms, 256 KiB of output (64 MiB for
 * all clients), linger
 * 2000 ms, 10 lines a second (20 back to back, closed after 30 refusals in
 * short order), 10 s per message, SO_SNDBUF 64 KiB; into one lobby 2 lines
 * a second per address (10 back to back) and 8192 bytes a second from all
 * text clients (16384 back to back); bind_host and port are left to the
 * caller. */
void textport_config_defaults(textport_config *cfg);

/* Binds and listens, and installs itself as the core's chat tap. core must
 * outlive it. Returns TEXTPORT_OK and the port in *out, or a negative
 * textport_error. */
int textport_create(const textport_config *cfg, server *core, textport **out);
/* Closes every connection and the listening socket; removes the tap. */
void textport_destroy(textport *tp);
const char *textport_strerror(int err);

/* The port actually bound (useful with port 0). */
uint16_t textport_port(const textport *tp);
/* One descriptor to poll for readability: ready when any of the port's
 * sockets needs attention. */
int textport_fd(const textport *tp);
/* When textport_pump next has timed work (a quiet message to end, an idle or
 * lingering connection to close); UINT64_MAX when none. */
uint64_t textport_next_deadline_us(const textport *tp);
/* The loop started a pass stall_us late (see server_note_stall): the lines
 * that queued up meanwhile are judged as if spread over the stall. */
void textport_note_stall(textport *tp, uint64_t stall_us, uint64_t now_us);

/* Accepts, reads and frames what is waiting, posts messages into the core
 * and runs the timers. Replies are only queued. */
void textport_pump(textport *tp, uint64_t now_us);
/* Writes queued output (never blocking) and frees connections that ended. */
void textport_flush(textport *tp, uint64_t now_us);

/* Tells every client "error shutting-down", then closes each once its
 * output is sent (or at textport_destroy). Clients that connect from now on
 * are accepted only to be told the same, so none is reset unanswered. */
void textport_begin_shutdown(textport *tp, uint64_t now_us);

const textport_stats *textport_get_stats(const textport *tp);

#endif
