#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_parse_host_port(const char *text, uint16_t default_port, char *host_buf, size_t host_cap,
                         uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    size_t host_len = colon ? (size_t)(colon - text) : strlen(text);
    if (host_len == 0 || host_len >= host_cap)
        return false;
    memcpy(host_buf, text, host_len);
    host_buf[host_len] = '\0';
    *port = default_port;
    if (colon == NULL)
        return true;
    char *end;
    errno = 0;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || colon[1] == '-' || v == 0 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

int cli_usage_error(const char *prog, const char *what, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s\nTry '%s --help'.\n", prog, what, arg ? " " : "", arg ? arg : "",
            prog);
    return 2;
}
