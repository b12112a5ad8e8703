/* Command-line helpers shared by the front ends (lobby-chat, lobby-client,
 * lobby-bench, lobby-netsim). */
#ifndef LOBBY_CLI_H
#define LOBBY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Splits "host", "host:port" into host (copied into host_buf) and port
 * (default_port when absent). False when the port is not 1..65535 or the
 * host is empty or longer than host_cap - 1. */
bool cli_parse_host_port(const char *text, uint16_t default_port, char *host_buf, size_t host_cap,
                         uint16_t *port);

/* Prints "PROG: WHAT ARG" and a pointer to --help on stderr; returns 2, the
 * exit status for bad usage. arg may be NULL. */
int cli_usage_error(const char *prog, const char *what, const char *arg);

#endif
