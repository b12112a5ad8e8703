/* lobby-server's command line and config file: every flag, its default, its
 * check and its --help text. A config file (--config FILE, INI) sets the
 * same settings under the long flags' names; flags override it. */
#ifndef LOBBY_SERVER_OPTIONS_H
#define LOBBY_SERVER_OPTIONS_H

#include "cluster.h"
#include "http_api.h"
#include "server.h"
#include "textport.h"
#include "transport.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct options {
    server_config core;
    transport_config net;   /* bind_host, port and timeout_ms included */
    uint32_t min_pass_us;   /* see run_loop in main.c */
    uint32_t log_buffer_kb; /* the log writer's buffer (log_start_async) */
    http_api_address http;
    bool http_given; /* --http was passed: failing to serve it is fatal */
    uint32_t http_max_conns;
    uint32_t http_max_conns_per_ip;
    uint32_t http_header_timeout_ms;
    textport_config text;      /* bind_host and port set after parsing */
    bool tcp_port_given;       /* --tcp-port: else the text port follows --port */
    uint16_t tcp_port;         /* as given; 0 = no text port */
    const char *auth_key_file; /* --auth-key-file; NULL: open server */
    /* A cluster (options_cluster.c; docs/CLUSTER.md). url NULL: alone. */
    struct {
        const char *url;            /* --cluster */
        const char *password_file;  /* --cluster-password-file */
        const char *secret_file;    /* --cluster-secret-file */
        const char *public_address; /* --public-address HOST:PORT, as given */
        const char *server_id;      /* --server-id; NULL: the public address */
        cluster_placement placement;
        bool placement_given;
        char public_host[SERVER_HOST_MAX_BYTES + 1];
        uint16_t public_port;
        bool has_password;
        char password[256];
        uint8_t secret[1024];
        size_t secret_len;
    } cluster;
    struct options_string *kept; /* the config file's values (options_deinit) */
} options;

/* Every default: port 7777 on 0.0.0.0, HTTP on 127.0.0.1:7780, and so on. */
void options_defaults(options *o);

/* Frees what options_parse kept (the config file's values). */
void options_deinit(options *o);

/* Parses argv into o (which holds the defaults): the file of --config
 * first, wherever it stands, then the flags, which override it. Returns -1
 * to go on, or the exit status: 0 after --help, --version or
 * --print-config, 2 after a bad flag or a bad line in the file, 1 when the
 * file cannot be read (the reason already printed on stderr, one line). */
int options_parse(int argc, char **argv, options *o);

/* Reads --auth-key-file (when given) into o->core: -1 to go on, or exit
 * status 1 after one line on stderr naming the file and what is wrong. */
int options_load_auth_key(options *o);

/* ---- options_cluster.c ---------------------------------------------------- */
/* The cluster flags' ids start here; their --help lines. (Their getopt
 * entries and applying one: options_internal.h.) */
enum { OPTIONS_CLUSTER_FIRST = 2000 };
void options_cluster_usage(FILE *to);
/* After parsing: refuses contradictions (a cluster flag without --cluster,
 * --cluster without a secret, 0.0.0.0 without --public-address, ...).
 * -1 to go on, or exit status 2 after one line on stderr. */
int options_cluster_check(options *o);
/* Reads the password and secret files: -1 to go on, or exit status 1. */
int options_cluster_load_files(options *o);

#endif
