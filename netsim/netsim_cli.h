/* lobby-netsim's command line: flags into an options struct, the usage text,
 * and each direction's impairments resolved from the both-directions flags and
 * their -up / -down forms. */
#ifndef LOBBY_NETSIM_CLI_H
#define LOBBY_NETSIM_CLI_H

#include "netsim.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    NETSIM_CLI_EXIT_USAGE = 2,
};

typedef enum netsim_cli_impairment {
    NETSIM_CLI_IMP_DELAY,
    NETSIM_CLI_IMP_JITTER,
    NETSIM_CLI_IMP_LOSS,
    NETSIM_CLI_IMP_DUPLICATE,
    NETSIM_CLI_IMP_REORDER,
    NETSIM_CLI_IMP_RATE,
    NETSIM_CLI_IMP_COUNT,
} netsim_cli_impairment;

/* Which flag form set a value: --loss, --loss-up or --loss-down. */
typedef enum netsim_cli_side {
    NETSIM_CLI_SIDE_BOTH,
    NETSIM_CLI_SIDE_UP,
    NETSIM_CLI_SIDE_DOWN,
    NETSIM_CLI_SIDE_COUNT,
} netsim_cli_side;

typedef struct netsim_cli_options {
    const char *bind_host; /* points into argv or a literal */
    long listen_port;      /* -1: not given */
    char fwd_host[256];
    uint16_t fwd_port;
    double imp[NETSIM_CLI_SIDE_COUNT][NETSIM_CLI_IMP_COUNT]; /* as typed: ms, %, kbit/s */
    bool imp_set[NETSIM_CLI_SIDE_COUNT][NETSIM_CLI_IMP_COUNT];
    uint64_t seed;
    bool have_seed;
    unsigned long idle_timeout_s, max_clients, queue_limit;
} netsim_cli_options;

/* Fills in the defaults: bind 127.0.0.1, no listen port or forward address,
 * no impairment, 60 s idle timeout, 1024 clients, 1000 datagrams queued. */
void netsim_cli_defaults(netsim_cli_options *o);

/* Parses argv into *o (start from netsim_cli_defaults). Returns -1 to go on,
 * or an exit status: 0 after --help / --version on stdout, or
 * NETSIM_CLI_EXIT_USAGE after a message on stderr. */
int netsim_cli_parse(int argc, char **argv, netsim_cli_options *o);

/* The settings of one direction (side UP or DOWN): a -up / -down value wins
 * over the both-directions one, whatever the order on the command line. */
void netsim_cli_direction_config(const netsim_cli_options *o, netsim_cli_side side, uint64_t seed,
                                 netsim_dir_config *c);

/* Logs one direction's settings to stderr under name. */
void netsim_cli_describe(const char *name, const netsim_dir_config *c);

#endif
