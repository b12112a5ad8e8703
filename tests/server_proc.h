/* Test support: runs the real lobby-server binary as a child process on a
 * free loopback port and stops it again. */
#ifndef LOBBY_TEST_SERVER_PROC_H
#define LOBBY_TEST_SERVER_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct server_proc {
    pid_t pid;
    uint16_t port;
    uint16_t tcp_port;  /* the plain-text chat port; 0 when the server has none */
    uint16_t http_port; /* of its "http on 127.0.0.1:PORT" line; 0 when HTTP is off */
    char log_path[64];  /* the server's stderr */
} server_proc;

/* Starts `lobby-server --bind 127.0.0.1 --port 0 --http 127.0.0.1:0 EXTRA...`
 * (extra_args is NULL-terminated, may be NULL; a later --http overrides) and
 * waits up to 5 s for its "listening on" line. A free HTTP port each, so
 * concurrent test servers never fight over the default 7780; tcp_port and
 * http_port come from the "text chat on" and "http on" lines logged before
 * it (free ports too, unless EXTRA sets --tcp-port or --http). Returns false
 * when it did not start. */
bool server_proc_start(server_proc *sp, const char *const *extra_args);
/* (The environment variable LOBBY_SERVER_UNDER_TEST, when set, names the
 * server binary to run instead: for before/after figures of an attack.) */

/* SIGTERMs the server and waits for it. *exit_code gets its exit status (or
 * -1 when killed by a signal or not exited in 5 s), *elapsed_ms how long it
 * took. */
void server_proc_stop(server_proc *sp, int *exit_code, double *elapsed_ms);

/* The value of one sample (name and labels exactly as in the text, e.g.
 * `lobby_kicks_total{reason="flooding"}`) of GET /metrics on
 * 127.0.0.1:http_port; -1 when it cannot be read within wait_ms or has no
 * such sample. */
double server_proc_metric_at(uint16_t http_port, const char *sample, int wait_ms);

/* True when the server's log contains needle. The server writes its log
 * from a thread, so while it runs a missing needle is looked for again for
 * up to 0.5 s. */
bool server_proc_log_contains(const server_proc *sp, const char *needle);

/* Starts an interactive `lobby-chat --server 127.0.0.1:PORT --name NAME`
 * whose stdin stays open (write end in *stdin_fd) and stdout goes to
 * /dev/null. Returns its pid, or -1. */
pid_t spawn_lobby_chat(uint16_t port, const char *name, int *stdin_fd);

/* As spawn_lobby_chat, with stdout and stderr appended to out_path. */
pid_t spawn_lobby_chat_logged(uint16_t port, const char *name, int *stdin_fd, const char *out_path);

/* As spawn_lobby_chat_logged, with the arguments after --server given
 * (NULL-terminated; --name among them). */
pid_t spawn_lobby_chat_args(uint16_t port, const char *const *args, int *stdin_fd,
                            const char *out_path);

/* Starts argv (argv[0] a path) with stdout+stderr appended to out_path;
 * returns its pid or -1. */
pid_t spawn_logged(char *const argv[], const char *out_path);

/* Connects to the text port on 127.0.0.1:tcp_port, sends `send` (as is, so
 * without a newline it is the README's one-shot message), reads until the
 * first newline, 5 s or cap - 1 bytes into reply (NUL-terminated) and
 * closes. Returns false when it cannot connect or send. */
bool text_port_exchange(uint16_t tcp_port, const char *send, char *reply, size_t cap);

/* server_proc_metric_at on sp's HTTP port. */
double server_proc_metric(const server_proc *sp, const char *sample, int wait_ms);

/* Reads a whole small file into buf (NUL-terminated, cut to cap). */
size_t read_text_file(const char *path, char *buf, size_t cap);

/* Runs argv (argv[0] a path) with stdout+stderr captured into out (NUL-
 * terminated, cut to cap) and returns its exit status, -1 on failure. */
int run_command(char *const argv[], char *out, size_t cap, int timeout_s);

#endif
