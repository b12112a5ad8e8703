/* cli/: the command-line helpers every program links (lobby-server,
 * lobby-chat, lobby-client, lobby-bench, lobby-netsim, lobby-floor,
 * lobby-naive-relay), so that all of them treat a bad command line alike:
 * every usage error is one line on stderr, "PROG: WHAT (try --help)", and
 * exit status 2; SIGINT and SIGTERM ask the loop to stop.
 *
 * May include: libc and POSIX only. Must never include: shared/, client/,
 * server/, game-client/ or any other folder, ENet or SDL (it sits below all
 * of them; tests/check_includes.py checks it). */
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

/* What cli_next_option returns besides an option's val. */
enum { CLI_OPT_END = -1, CLI_OPT_BAD = -2 };

/* The next option of argv, with every program's rules: getopt_long (an
 * optstring of ":" and opterr = 0: no short options, getopt prints nothing),
 * then one usage line for an unknown option, a missing value or a value
 * given to a flag that takes none (cli_option_error), or an empty value
 * (cli_require_value). Returns the option's val with optarg set,
 * CLI_OPT_END after the last option (optind is then the first operand), or
 * CLI_OPT_BAD after the usage line: the caller exits with CLI_EXIT_USAGE.
 * *index (if not NULL) receives the option's place in longopts. */
int cli_next_option(const char *prog, int argc, char **argv, const struct option *longopts,
                    int *index);

/* The rule of cli_parse_uint without the message: true with *out set when
 * text is a whole decimal number in [min, max] (lobby-server's options
 * word the message themselves, for flags and config file lines alike). */
bool cli_uint_in_range(const char *text, unsigned long long min, unsigned long long max,
                       unsigned long long *out);

/* A whole decimal number in [min, max] (no sign, no spaces, nothing after
 * it) into *out; false after a usage line "FLAG must be a whole number from
 * MIN to MAX, got 'TEXT'". flag is as the user typed it ("--port"). */
bool cli_parse_uint(const char *prog, const char *flag, const char *text, unsigned long long min,
                    unsigned long long max, unsigned long long *out);

/* Reads a small text file named by a flag (a key or token file) into buf;
 * returns its length (< cap: buf is NUL-terminated), or -1 after one line
 * "PROG: FLAG PATH: cannot read it: WHY" or "...: larger than N bytes"
 * on stderr. */
int cli_read_small_file(const char *prog, const char *flag, const char *path, char *buf,
                        size_t cap);

/* ---- cli_signal.c: the stop signals -------------------------------------- */

/* SIGINT and SIGTERM record the signal and interrupt a blocking poll()
 * (no SA_RESTART) instead of ending the program, so its loop can stop
 * cleanly. The signal number is the process's one mutable global. */
void cli_signal_install(void);
/* The last stop signal received (SIGINT or SIGTERM), or 0 before any. */
int cli_signal_received(void);
/* SIGUSR1 counted rather than fatal (lobby-server drains on it); the
 * count of SIGUSR1s received so far. */
void cli_signal_install_usr1(void);
int cli_usr1_count(void);

#endif
