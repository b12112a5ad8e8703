/* Inside the cluster module: struct cluster, shared by cluster.c (lifecycle,
 * the core's hooks, seat holds) and cluster_sync.c (what is written to and
 * read from Redis). Nothing else includes this. */
#ifndef LOBBY_CLUSTER_INTERNAL_H
#define LOBBY_CLUSTER_INTERNAL_H

#include "cluster.h"
#include "cluster_ticket.h"

enum {
    CLUSTER_KEY_BYTES = 64 + SERVER_ID_MAX_BYTES + LOBBY_NAME_KEY_BYTES,
};

/* One of this server's lobby slots as the directory has it. */
typedef enum pub_state {
    PUB_NONE = 0, /* not claimed (a new lobby, or after a re-registration) */
    PUB_CLAIMING, /* a claim is in flight */
    PUB_CLAIMED,  /* ours: its line is in the directory */
    PUB_CONFLICT, /* another server holds the name: open here, listed nowhere */
} pub_state;

typedef struct local_pub {
    bool open;          /* the slot had an open lobby at the last scan */
    uint32_t lobby_gen; /* ...that lobby's generation */
    pub_state state;
    uint64_t line_hash; /* of the line last written; 0: none written */
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES];
} local_pub;

struct cluster {
    cluster_config cfg;
    char server_id[SERVER_ID_MAX_BYTES + 1];
    char public_host[SERVER_HOST_MAX_BYTES + 1];
    char text_addr[SERVER_HOST_MAX_BYTES + 8];
    char key_server[CLUSTER_KEY_BYTES];  /* lobby:server:ID (hash) */
    char key_lobbies[CLUSTER_KEY_BYTES]; /* lobby:server:ID:lobbies (hash) */
    char channel[CLUSTER_KEY_BYTES];     /* lobby:to:ID (seat holds) */
    server *core;
    redis_link *link;
    cluster_dir dir;
    cluster_tickets *tickets;
    local_pub *pubs; /* [max_lobbies] */
    uint32_t pub_count;
    uint64_t gen; /* bumped at each change of the lobbies written */
    bool must_register;
    uint64_t next_heartbeat_us, next_publish_us, next_read_us, next_expire_us;
    bool read_in_flight;
    uint64_t unix_ms;
    uint64_t now_us;
    cluster_stats stats;
};

/* cluster_sync.c: the timers' work, and the link coming up. */
void cluster_sync_timers(cluster *c, uint64_t now_us);
void cluster_sync_link_up(cluster *c, uint64_t now_us);
/* Removes this server's entries and claims (drained, or shutting down). */
void cluster_sync_remove_all(cluster *c);
/* A claim for the core (claim_lobby): the answer goes to server_on_claim. */
bool cluster_sync_claim_for_core(cluster *c, proto_str name, uint32_t claim_id);

/* Sends a command of NUL-terminated words; cb may be NULL. 0 or -1. */
int cluster_cmd(cluster *c, redis_link_reply_fn cb, void *priv, int argc, const char **argv);

#endif
