/* What the two comparison servers (lobby-floor, lobby-naive-relay) share
 * besides the lobby table: flags, the stop signal, and the ENet host they
 * listen on. */
#ifndef LOBBY_MINI_CLI_H
#define LOBBY_MINI_CLI_H

#include <enet/enet.h>
#include <stdbool.h>
#include <stdint.h>

/* lobby-server's default --min-pass-us: the floor batches as the server does. */
enum { MINI_DEFAULT_MIN_PASS_US = 1000 };

typedef struct mini_options {
    const char *bind_host; /* default 127.0.0.1 */
    uint16_t port;         /* default 7777; 0 picks a free one */
    uint32_t max_peers;    /* 1..4095, default 4095 (ENet's maximum) */
    uint32_t snapshot_hz;  /* 0 for a program without a tick */
    uint32_t min_pass_us;  /* ticking programs: see lobby-server's --min-pass-us */
} mini_options;

typedef struct mini_program {
    const char *name;    /* "lobby-floor" */
    const char *summary; /* one line for --help */
    bool has_tick;       /* accepts --snapshot-hz and --min-pass-us */
} mini_program;

/* Parses argv into *o. Returns -1 to run, or the exit status: 0 after
 * --help, 2 after printing why a flag is wrong. */
int mini_cli_parse(const mini_program *prog, int argc, char **argv, mini_options *o);

/* SIGINT and SIGTERM set a flag and interrupt poll() (no SA_RESTART). */
void mini_cli_install_signals(void);
bool mini_cli_stopping(void);

/* Initialises ENet, creates the host (2 channels, no bandwidth limits) and
 * prints "NAME: listening on ADDR:PORT (udp) ..." to stdout and stderr:
 * lobby-server's words, which tests and scripts look for. Returns NULL
 * after printing why it failed. */
ENetHost *mini_cli_listen(const mini_program *prog, const mini_options *o);

/* Destroys the host and deinitialises ENet. */
void mini_cli_close(ENetHost *host);

#endif
