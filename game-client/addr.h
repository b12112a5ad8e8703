/* HOST[:PORT] parsing shared by the command-line front ends. */
#ifndef LOBBY_ADDR_H
#define LOBBY_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Splits "host", "host:port" into host (copied into host_buf) and port
 * (default_port when absent). False when the port is not 1..65535 or the
 * host is empty or longer than host_cap - 1. */
bool addr_parse(const char *text, uint16_t default_port, char *host_buf, size_t host_cap,
                uint16_t *port);

#endif
