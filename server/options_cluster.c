/* lobby-server's cluster flags (docs/CLUSTER.md): parsed, checked against
 * each other, and their files read, so that a server never starts half
 * configured for a cluster. */
#include "options_internal.h"

#include "cli.h"
#include "redis_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_CLUSTER = OPTIONS_CLUSTER_FIRST,
    OPT_CLUSTER_PASSWORD_FILE,
    OPT_CLUSTER_SECRET_FILE,
    OPT_PUBLIC_ADDRESS,
    OPT_SERVER_ID,
    OPT_PLACEMENT,
};

const struct option options_cluster_longopts[] = {
    {"cluster", required_argument, NULL, OPT_CLUSTER},
    {"cluster-password-file", required_argument, NULL, OPT_CLUSTER_PASSWORD_FILE},
    {"cluster-secret-file", required_argument, NULL, OPT_CLUSTER_SECRET_FILE},
    {"public-address", required_argument, NULL, OPT_PUBLIC_ADDRESS},
    {"server-id", required_argument, NULL, OPT_SERVER_ID},
    {"placement", required_argument, NULL, OPT_PLACEMENT},
    {NULL, 0, NULL, 0},
};

void options_cluster_usage(FILE *to)
{
    fputs("Several servers, one lobby list (see README, 'Running several servers'):\n"
          "  --cluster URL          join the cluster whose directory is in Redis at URL:\n"
          "                         redis://[USER[:PASSWORD]@]HOST:PORT[/DB] or unix:PATH\n"
          "                         (default: off, this server is alone)\n"
          "  --cluster-password-file FILE\n"
          "                         Redis password read from FILE (better than in the URL,\n"
          "                         which every user of this machine can see in ps)\n"
          "  --cluster-secret-file FILE\n"
          "                         a key every server of the cluster shares (at least 16\n"
          "                         bytes; e.g. head -c 32 /dev/urandom > FILE): signs the\n"
          "                         tickets of redirected players. Required with --cluster\n"
          "  --public-address HOST:PORT\n"
          "                         the UDP address players are sent to; its host with the\n"
          "                         text port is the text address (default: --bind and the\n"
          "                         port; required when binding 0.0.0.0)\n"
          "  --server-id ID         this server's name in the cluster, 1..64 of\n"
          "                         [A-Za-z0-9._:-] (default: the public address)\n"
          "  --placement MODE       where a new lobby opens: local (here, default) or\n"
          "                         least-loaded (the server with the fewest players)\n"
          "  SIGUSR1 or POST /drain (HTTP, from this machine) drains the server: no new\n"
          "  lobbies, games go on, and it leaves the cluster when its last lobby closes.\n"
          "\n",
          to);
}

static bool id_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == ':' || ch == '-';
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > SERVER_ID_MAX_BYTES)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!id_char(id[i]))
            return false;
    return true;
}

/* HOST:PORT with a port in 1..65535 and a host of id characters. */
static bool parse_public(options *o, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    size_t host_len = colon ? (size_t)(colon - arg) : 0;
    char *end;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (colon == NULL || host_len == 0 || host_len > SERVER_HOST_MAX_BYTES || *end != '\0' ||
        colon[1] == '\0' || port == 0 || port > 65535)
        return false;
    for (size_t i = 0; i < host_len; i++)
        if (!id_char(arg[i]) || arg[i] == ':')
            return false;
    memcpy(o->cluster.public_host, arg, host_len);
    o->cluster.public_host[host_len] = '\0';
    o->cluster.public_port = (uint16_t)port;
    return true;
}

bool options_cluster_apply(options *o, int opt, const char *arg, char *why)
{
    char url_why[160];
    switch (opt) {
    case OPT_CLUSTER:
        o->cluster.url = arg;
        if (redis_link_check_url(arg, url_why, sizeof url_why) == 0)
            return true;
        /* Not echoed: the URL may hold a password. */
        snprintf(why, OPTIONS_WHY_BYTES, "is not a Redis URL this server can use: %s", url_why);
        return false;
    case OPT_CLUSTER_PASSWORD_FILE:
        o->cluster.password_file = arg;
        return true;
    case OPT_CLUSTER_SECRET_FILE:
        o->cluster.secret_file = arg;
        return true;
    case OPT_PUBLIC_ADDRESS:
        o->cluster.public_address = arg;
        if (parse_public(o, arg))
            return true;
        snprintf(why, OPTIONS_WHY_BYTES,
                 "must be HOST:PORT (a host name or IPv4 address and a port from 1 to 65535), "
                 "got '%s'",
                 arg);
        return false;
    case OPT_SERVER_ID:
        o->cluster.server_id = arg;
        if (valid_id(arg))
            return true;
        snprintf(why, OPTIONS_WHY_BYTES,
                 "must be 1 to %d characters of A-Z a-z 0-9 . _ : -, got '%s'", SERVER_ID_MAX_BYTES,
                 arg);
        return false;
    case OPT_PLACEMENT:
        o->cluster.placement_given = true;
        if (strcmp(arg, "local") == 0 || strcmp(arg, "least-loaded") == 0) {
            o->cluster.placement =
                arg[0] == 'l' && arg[1] == 'o' ? CLUSTER_PLACE_LOCAL : CLUSTER_PLACE_LEAST_LOADED;
            return true;
        }
        snprintf(why, OPTIONS_WHY_BYTES, "must be local or least-loaded, got '%s'", arg);
        return false;
    }
    snprintf(why, OPTIONS_WHY_BYTES, "is not an option of this server");
    return false;
}

/* The URL with the password of redis://USER:PASSWORD@... replaced by
 * "hidden", so that --print-config never shows it. */
static void mask_url(const char *url, char *buf, size_t cap)
{
    const char *at = strrchr(url, '@');
    const char *colon = at != NULL && strncmp(url, "redis://", 8) == 0
                            ? memchr(url + 8, ':', (size_t)(at - url - 8))
                            : NULL;
    if (colon == NULL)
        snprintf(buf, cap, "%s", url);
    else
        snprintf(buf, cap, "%.*shidden%s", (int)(colon + 1 - url), url, at);
}

bool options_cluster_format(const options *o, int opt, char *buf, size_t cap)
{
    const char *value = NULL, *unset = "(not set)";
    switch (opt) {
    case OPT_CLUSTER:
        if (o->cluster.url == NULL) {
            snprintf(buf, cap, "(not set: this server is alone)");
            return false;
        }
        mask_url(o->cluster.url, buf, cap);
        return true;
    case OPT_CLUSTER_PASSWORD_FILE:
        value = o->cluster.password_file;
        break;
    case OPT_CLUSTER_SECRET_FILE:
        value = o->cluster.secret_file;
        break;
    case OPT_PUBLIC_ADDRESS:
        value = o->cluster.public_address, unset = "(not set: bind and port)";
        break;
    case OPT_SERVER_ID:
        value = o->cluster.server_id, unset = "(not set: the public address)";
        break;
    case OPT_PLACEMENT:
        value = !o->cluster.placement_given                          ? NULL
                : o->cluster.placement == CLUSTER_PLACE_LEAST_LOADED ? "least-loaded"
                                                                     : "local";
        unset = "(not set: local)";
        break;
    }
    snprintf(buf, cap, "%s", value != NULL ? value : unset);
    return value != NULL;
}

static const char *lone_cluster_flag(const options *o)
{
    if (o->cluster.password_file)
        return "--cluster-password-file";
    if (o->cluster.secret_file)
        return "--cluster-secret-file";
    if (o->cluster.public_address)
        return "--public-address";
    if (o->cluster.server_id)
        return "--server-id";
    if (o->cluster.placement_given)
        return "--placement";
    return NULL;
}

static bool any_address(const char *host)
{
    return host == NULL || host[0] == '\0' || strcmp(host, "0.0.0.0") == 0;
}

int options_cluster_check(options *o)
{
    const char *lone = lone_cluster_flag(o);
    if (o->cluster.url == NULL && lone != NULL) {
        fprintf(stderr,
                "lobby-server: %s needs --cluster URL (it only means something in a "
                "cluster)\n",
                lone);
        return CLI_EXIT_USAGE;
    }
    if (o->cluster.url == NULL)
        return -1;
    /* redis://USER:PASSWORD@...: a password in argv. */
    const char *url = o->cluster.url, *at = strrchr(url, '@');
    bool argv_password = strncmp(url, "redis://", 8) == 0 && at != NULL &&
                         memchr(url + 8, ':', (size_t)(at - url - 8)) != NULL;
    if (argv_password && o->cluster.password_file == NULL)
        fprintf(stderr, "lobby-server: warning: the Redis password in --cluster is visible to "
                        "every user of this machine (ps); put it in --cluster-password-file\n");
    if (o->cluster.secret_file == NULL) {
        fprintf(stderr, "lobby-server: --cluster needs --cluster-secret-file FILE: a key every "
                        "server of the cluster shares, to sign redirect tickets (make one with: "
                        "head -c 32 /dev/urandom > FILE)\n");
        return CLI_EXIT_USAGE;
    }
    if (o->cluster.public_address == NULL && any_address(o->net.bind_host)) {
        fprintf(stderr, "lobby-server: --cluster with --bind 0.0.0.0 needs --public-address "
                        "HOST:PORT: the address other servers send players to\n");
        return CLI_EXIT_USAGE;
    }
    if (o->cluster.public_address == NULL) {
        if (strlen(o->net.bind_host) > SERVER_HOST_MAX_BYTES)
            return CLI_EXIT_USAGE;
        snprintf(o->cluster.public_host, sizeof o->cluster.public_host, "%s", o->net.bind_host);
        o->cluster.public_port = o->net.port; /* 0: the port bound, known once bound */
    }
    return -1;
}

static void trim_newline(char *s, int *n)
{
    while (*n > 0 && (s[*n - 1] == '\n' || s[*n - 1] == '\r'))
        s[--*n] = '\0';
}

int options_cluster_load_files(options *o)
{
    if (o->cluster.url == NULL)
        return -1;
    if (o->cluster.password_file != NULL) {
        int n =
            cli_read_small_file("lobby-server", "--cluster-password-file", o->cluster.password_file,
                                o->cluster.password, sizeof o->cluster.password);
        if (n < 0)
            return 1;
        trim_newline(o->cluster.password, &n);
        o->cluster.has_password = true;
    }
    char text[sizeof o->cluster.secret + 1];
    int n = cli_read_small_file("lobby-server", "--cluster-secret-file", o->cluster.secret_file,
                                text, sizeof text);
    if (n < 0)
        return 1;
    if (n < CLUSTER_SECRET_MIN_BYTES) {
        fprintf(stderr,
                "lobby-server: --cluster-secret-file %s: %d bytes; it needs at least %d (make "
                "one with: head -c 32 /dev/urandom > FILE)\n",
                o->cluster.secret_file, n, CLUSTER_SECRET_MIN_BYTES);
        return 1;
    }
    memcpy(o->cluster.secret, text, (size_t)n);
    o->cluster.secret_len = (size_t)n;
    return -1;
}
