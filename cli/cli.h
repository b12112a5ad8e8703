/* Command-line helpers shared by the front ends (lobby-chat, lobby-client,
 * lobby-bench, lobby-netsim). lobby-server follows the same rules in
 * server/options.c: every usage error is one line on stderr,
 * "PROG: WHAT (try --help)", and exit status 2. */
#ifndef LOBBY_CLI_H
#define LOBBY_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit status for bad usage, in every program. */
enum { CLI_EXIT_USAGE = 2 };

/* Splits "host", "host:port" into host (copied into host_buf) and port
 * (default_port when absent). False when the port is not 1..65535 or the
 * host is empty or longer than host_cap - 1. */
bool cli_parse_host_port(const char *text, uint16_t default_port, char *host_buf, size_t host_cap,
                         uint16_t *port);

/* Prints "PROG: WHAT 'ARG' (try --help)" as one line on stderr (without
 * " 'ARG'" when arg is NULL); returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *what, const char *arg);

/* For getopt_long called with an optstring that starts with ':' and
 * opterr = 0, after it returned ':' or '?': prints one line naming the
 * option ("unknown option '--x'", "option '--port' needs a value", "option
 * '--help' takes no value", "option '--max' is ambiguous") and returns
 * CLI_EXIT_USAGE. Reads optind and optopt; longopts is the table passed to
 * getopt_long. */
int cli_option_error(const char *prog, const struct option *longopts, int opt, char *const argv[]);

/* A flag's value must not be empty (an empty --lobby must not quietly mean
 * the default one): false after a usage line "--NAME needs a value, got an
 * empty one" when text is "". name is the long option's, without dashes.
 * The caller then exits with CLI_EXIT_USAGE. */
bool cli_require_value(const char *prog, const char *name, const char *text);

#endif
