/* The Redis URL: "redis://[USER:PASSWORD@]HOST[:PORT][/DB]" or "unix:PATH".
 * Pure parsing, no I/O: option checking at start-up uses it too. */
#include "redis_link.h"
#include "redis_link_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t cap, const char *fmt, ...)
{
    if (why != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes [s, s+n) into out (cap bytes with the terminator), so a
 * password may hold '@', ':' or '/' as %40, %3A, %2F. */
static int decode_part(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* Decimal in [min, max], the whole of [s, s+n). */
static int parse_uint(const char *s, size_t n, unsigned long min, unsigned long max,
                      unsigned long *out)
{
    if (n == 0 || n > 10)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_userinfo(const char *s, size_t n, redis_link_url *u, char *why, size_t cap)
{
    const char *colon = memchr(s, ':', n);
    if (colon == NULL)
        return fail(why, cap, "credentials must be USER:PASSWORD@ or :PASSWORD@");
    size_t user_len = (size_t)(colon - s);
    if (decode_part(s, user_len, u->user, sizeof u->user) != 0 ||
        decode_part(colon + 1, n - user_len - 1, u->password, sizeof u->password) != 0)
        return fail(why, cap, "bad user name or password (too long, NUL or bad %%XX)");
    if (u->password[0] == '\0')
        return fail(why, cap, "empty password in the URL");
    u->has_password = true;
    return 0;
}

/* HOST[:PORT] or [IPV6][:PORT]. */
static int parse_hostport(const char *s, size_t n, redis_link_url *u, char *why, size_t cap)
{
    const char *host = s, *rest;
    size_t host_len;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return fail(why, cap, "unclosed '[' in the host");
        host = s + 1;
        host_len = (size_t)(close - host);
        rest = close + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        host_len = colon != NULL ? (size_t)(colon - s) : n;
        rest = s + host_len;
    }
    size_t rest_len = n - (size_t)(rest - s);
    if (host_len == 0 || host_len > REDIS_LINK_MAX_HOST_BYTES)
        return fail(why, cap, "the host must be 1 to %d bytes", REDIS_LINK_MAX_HOST_BYTES);
    for (size_t i = 0; i < host_len; i++) {
        char c = host[i];
        if (c <= ' ' || c == '/' || c == '@' || c == '?' || c == '#' || c == '%' || c == 0x7f)
            return fail(why, cap, "bad character in the host");
    }
    memcpy(u->host, host, host_len);
    u->host[host_len] = '\0';
    u->port = 6379;
    if (rest_len == 0)
        return 0;
    unsigned long port;
    if (rest[0] != ':' || parse_uint(rest + 1, rest_len - 1, 1, 65535, &port) != 0)
        return fail(why, cap, "the port must be 1 to 65535");
    u->port = (uint16_t)port;
    return 0;
}

static int parse_tcp(const char *s, redis_link_url *u, char *why, size_t cap)
{
    size_t n = strlen(s);
    const char *slash = memchr(s, '/', n);
    size_t authority_len = slash != NULL ? (size_t)(slash - s) : n;
    if (slash != NULL && slash[1] != '\0') {
        unsigned long db;
        if (parse_uint(slash + 1, strlen(slash + 1), 0, 0x7fffffff, &db) != 0)
            return fail(why, cap, "the database must be a number after '/'");
        u->db = (uint32_t)db;
    }
    /* The last '@' ends the credentials: a raw '@' in a password still parses. */
    const char *at = NULL;
    for (size_t i = 0; i < authority_len; i++)
        if (s[i] == '@')
            at = s + i;
    const char *hostport = s;
    if (at != NULL) {
        if (parse_userinfo(s, (size_t)(at - s), u, why, cap) != 0)
            return -1;
        hostport = at + 1;
    }
    return parse_hostport(hostport, authority_len - (size_t)(hostport - s), u, why, cap);
}

int redis_link_url_parse(const char *url, redis_link_url *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (url == NULL)
        return fail(why, cap, "no URL");
    if (strncmp(url, "unix:", 5) == 0) {
        const char *path = url + 5;
        size_t n = strlen(path);
        if (n == 0 || n > REDIS_LINK_MAX_PATH_BYTES)
            return fail(why, cap, "unix: needs a socket path of 1 to %d bytes",
                        REDIS_LINK_MAX_PATH_BYTES);
        out->is_unix = true;
        memcpy(out->path, path, n + 1);
        return 0;
    }
    if (strncmp(url, "redis://", 8) == 0)
        return parse_tcp(url + 8, out, why, cap);
    return fail(why, cap, "expected redis://[USER:PASSWORD@]HOST:PORT[/DB] or unix:PATH");
}

int redis_link_check_url(const char *url, char *why, size_t cap)
{
    redis_link_url u;
    return redis_link_url_parse(url, &u, why, cap);
}
