/* What options.c (flags), options_cluster.c (the cluster's flags),
 * options_file.c (--config, --print-config) and options_value.c (a
 * setting's value as text) share: the option ids, the one table of long
 * options and the one function that applies a value, so that a value a
 * flag refuses is refused in a config file too. main.c sees only options.h. */
#ifndef LOBBY_SERVER_OPTIONS_INTERNAL_H
#define LOBBY_SERVER_OPTIONS_INTERNAL_H

#include "options.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
    OPTIONS_WHY_BYTES = 400,   /* room for the reason a value is refused */
    OPTIONS_MAX_LONGOPTS = 96, /* every long option and the ending zero entry */
};

/* The server's own options (getopt's val); the cluster's are numbered from
 * OPTIONS_CLUSTER_FIRST (options.h) in options_cluster.c. */
enum {
    OPT_BIND = 1000,
    OPT_PORT,
    OPT_MAX_PLAYERS,
    OPT_CAPACITY,
    OPT_MAX_LOBBIES,
    OPT_CHAT_RATE,
    OPT_CHAT_BURST,
    OPT_TIMEOUT,
    OPT_GRACE,
    OPT_LOBBY_GRACE,
    OPT_KICK_COOLDOWN,
    OPT_COUNTDOWN,
    OPT_LOG_LEVEL,
    OPT_SNAPSHOT_HZ,
    OPT_SNAPSHOT_FULL,
    OPT_MIN_PASS_US,
    OPT_LOG_BUFFER_KB,
    OPT_CONNECT_RATE,
    OPT_CONNECT_BURST,
    OPT_MAX_HALF_OPEN,
    OPT_HALF_OPEN_MS,
    OPT_MAX_PER_IP,
    OPT_MAX_WAITING,
    OPT_MAX_BACKLOG,
    OPT_LIST_KB_PER_S,
    OPT_LIST_BURST_KB,
    OPT_RESERVE_PEERS,
    OPT_HTTP,
    OPT_HTTP_MAX_CONNS,
    OPT_HTTP_MAX_PER_IP,
    OPT_HTTP_HEADER_MS,
    OPT_TCP_PORT,
    OPT_TCP_MAX_CONNS,
    OPT_TCP_MAX_PER_IP,
    OPT_TCP_IDLE_MS,
    OPT_AUTH_KEY_FILE,
    OPT_TCP_LINE_RATE,
    OPT_TCP_LINE_BURST,
    OPT_TCP_LINE_MS,
    OPT_TCP_SNDBUF,
    OPT_TCP_MAX_OUT_KB,
    OPT_TCP_MAX_OUT_TOTAL_MB,
    OPT_TCP_LOBBY_IP_RATE,
    OPT_TCP_LOBBY_IP_BURST,
    OPT_TCP_LOBBY_BYTES,
    OPT_TCP_LOBBY_BYTES_BURST,
    OPT_MAX_HELD_SEATS,
    OPT_MAX_LOBBIES_PER_HOLDER,
    OPT_MAX_BROWSING,
    OPT_MAX_HANDSHAKES,
    OPT_BROWSE_IDLE,
    OPT_LOBBY_SHARE,
    OPT_LOG_FORMAT,
    OPT_CONFIG,
    OPT_PRINT_CONFIG,
    OPT_HELP,
    OPT_VERSION,
};

/* Fills all with every long option in --help order: the server's, then the
 * cluster's, then --config, --print-config, --help and --version, ended by a
 * zeroed entry. */
void options_longopts(struct option all[OPTIONS_MAX_LONGOPTS]);
/* Whether a long option is a config file key: every one but --config,
 * --print-config, --help and --version. */
bool options_is_key(int opt);
/* Applies one value (a flag's, or a config file's; NULL for a switch given
 * as a flag): false with the reason, "must be ... got '...'", in
 * why[OPTIONS_WHY_BYTES]. arg must outlive o. */
bool options_apply(options *o, int opt, const char *arg, char *why);
/* A copy of text that lives as long as o (options_deinit frees it); NULL
 * when memory ran out. */
const char *options_keep_string(options *o, const char *text);

/* ---- options_cluster.c ---------------------------------------------------- */
extern const struct option options_cluster_longopts[];
bool options_cluster_apply(options *o, int opt, const char *arg, char *why);
/* As options_format_value, for a cluster option. */
bool options_cluster_format(const options *o, int opt, char *buf, size_t cap);

/* ---- options_value.c ------------------------------------------------------ */
/* The value of a key as --print-config writes it and options_apply reads
 * it back, into buf: true when it has one; false when the setting was left
 * unset and unset means something of its own (tcp-port follows port, no
 * auth-key-file, the default --http, which is then only warned about when
 * taken): buf then says what, for a comment. Never a secret: paths only,
 * and a password in a --cluster URL is masked. */
bool options_format_value(const options *o, int opt, char *buf, size_t cap);

/* ---- options_file.c ------------------------------------------------------- */
/* Applies every key of the INI file at path to o: -1 to go on, or the exit
 * status after one line on stderr: 1 when it cannot be read, 2 with
 * "FILE:LINE: reason" for anything wrong in it. */
int options_file_load(options *o, const char *path);
/* The configuration o holds, as an INI file options_file_load reads back:
 * every key in --help order, those without a value commented out. */
void options_print_config(const options *o, FILE *to);

#endif
