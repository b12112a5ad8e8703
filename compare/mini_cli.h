/* compare/: the two programs lobby-server's CPU per relayed position is
 * compared with (lobby-floor, lobby-naive-relay). This header is what they
 * share besides the lobby table (mini_lobby.h): flags, the ENet host they
 * listen on, and the whole of main around their loops.
 *
 * May include: shared/, cli/, ENet. Must never include: server/, client/,
 * game-client/, chat/, bench/, netsim/ or SDL (tests/check_includes.py). */
#ifndef LOBBY_MINI_CLI_H
#define LOBBY_MINI_CLI_H

#include "mini_lobby.h"

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
    const char *name;          /* "lobby-floor" */
    const char *summary;       /* one line for --help */
    bool has_tick;             /* accepts --snapshot-hz and --min-pass-us */
    bool packet_per_recipient; /* mini_lobby_create's */
    /* The program's loop: runs until cli_signal_received(), keeping its own
     * figures in state (mini_cli_main's). */
    void (*run)(mini_lobby *ml, const mini_options *o, void *state);
    /* Ends the "NAME: stopped: joins=.. positions=.. chats=.. pings=.. " line
     * on stderr with the program's own figures and a newline. */
    void (*report)(const mini_lobby *ml, const void *state);
} mini_program;

/* The whole of main: parses the flags, listens, creates the lobby table,
 * installs the stop signals, runs, disconnects every peer, reports and
 * frees. Returns the exit status: 0 (stopped or --help), 1 cannot start,
 * 2 bad usage. */
int mini_cli_main(const mini_program *prog, void *state, int argc, char **argv);

/* Parses argv into *o. Returns -1 to run, or the exit status: 0 after
 * --help, 2 after printing why a flag is wrong. */
int mini_cli_parse(const mini_program *prog, int argc, char **argv, mini_options *o);

/* Initialises ENet, creates the host (2 channels, no bandwidth limits) and
 * prints "NAME: listening on ADDR:PORT (udp) ..." to stdout and stderr:
 * lobby-server's words, which tests and scripts look for. Returns NULL
 * after printing why it failed. */
ENetHost *mini_cli_listen(const mini_program *prog, const mini_options *o);

/* Destroys the host and deinitialises ENet. */
void mini_cli_close(ENetHost *host);

#endif
