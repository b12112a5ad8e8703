/* The core's side of a cluster (docs/CLUSTER.md): where JOIN_LOBBY, CREATE_LOBBY
 * and HELLO JOIN go when the lobby is, or is placed, on another server; the
 * name claims a new lobby waits for; the tickets HELLOs carry; and the other
 * servers' lobbies in LOBBY_LIST. Reads the directory only through the hooks
 * of server.h; this file alone writes server_cluster_state. */
#ifndef LOBBY_SERVER_CLUSTER_H
#define LOBBY_SERVER_CLUSTER_H

#include "lobby.h"
#include "server.h"

#include <stdbool.h>
#include <stdint.h>

struct server_ctx;
struct lobby;
struct lobby_filter;

enum {
    SERVER_CLAIM_MSG_BYTES = 1024, /* the request, re-encoded, handled again on the answer */
    /* claim_id = serial * SERVER_CLAIM_ID_SLOTS + session handle (ENet's
     * peer ids are below 4096) */
    SERVER_CLAIM_ID_SLOTS = 65536,
};

/* A request (CREATE_LOBBY, HELLO JOIN) waiting for its lobby name's claim:
 * one place per session (a session has one request waiting at most).
 * Requests for one name share the first one's claim (it leads; the others
 * follow and send nothing), so a crowd joining a new lobby costs Redis one
 * claim and no request waits for room. */
typedef struct server_claim {
    bool in_use;
    bool leads;      /* its claim was sent; followers of the same key wait on it */
    uint32_t gen;    /* the session's, so a reused handle is not mistaken for it */
    uint32_t serial; /* with the handle, the claim_id of a leader */
    uint64_t since_us;
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES]; /* the lobby name's key */
    uint16_t len;
    uint8_t msg[SERVER_CLAIM_MSG_BYTES];
} server_claim;

typedef struct server_cluster_state {
    bool on; /* hooks installed */
    server_cluster_hooks hooks;
    bool draining;
    /* Set while a request whose claim was granted (or not answered in
     * time) is handled again: it opens here without asking twice. */
    bool claim_granted;
    uint32_t next_serial;
    server_claim *claims; /* [max_sessions], by session handle */
    uint32_t claim_slots;
} server_cluster_state;

/* Allocates the claim places (one per session); 0, or -1 out of memory. */
int server_cluster_init(server_cluster_state *cs, uint32_t max_sessions);
void server_cluster_deinit(server_cluster_state *cs);

/* What server_cluster_route_new decided. */
typedef enum server_route {
    SERVER_ROUTE_HERE = 0, /* open the lobby here now */
    SERVER_ROUTE_DONE,     /* answered: redirected, refused or waiting for the claim */
} server_route;

/* JOIN_LOBBY for a name not open here: redirects to the server that has it
 * and returns true; false when no server has it. */
bool server_cluster_join_elsewhere(struct server_ctx *s, uint32_t handle, proto_type request,
                                   proto_str name, proto_str player);
/* A lobby about to be opened here by request m (CREATE_LOBBY or HELLO
 * JOIN): elsewhere if it is open elsewhere (HELLO: redirected there;
 * CREATE: refused EXISTS), placed elsewhere (redirected), refused while
 * draining with nowhere to go, or held until its name is claimed. */
server_route server_cluster_route_new(struct server_ctx *s, uint32_t handle, const proto_msg *m,
                                      proto_str name, proto_str player, uint64_t now_us);
/* A HELLO's ticket: none, or verified and recorded on the session (true);
 * false after a REJECT (forged, expired, replayed, or not for this hello). */
bool server_cluster_hello_ticket(struct server_ctx *s, uint32_t handle, const proto_msg *m,
                                 proto_str name);
/* The session just joined l: a held seat for it is used up, and a ticket
 * that brought it here is counted honoured. */
void server_cluster_joined(struct server_ctx *s, uint32_t handle, struct lobby *l);
/* Adds the other servers' lobbies that match f to a LOBBY_LIST being built
 * (rows [*count, PROTO_MAX_LIST_ENTRIES)), counting every match in *total. */
void server_cluster_list_remote(struct server_ctx *s, const struct lobby_filter *f,
                                proto_lobby_entry *rows, uint8_t *count, uint32_t *total);
/* Once per tick: held seats past their time, claims not answered in time. */
void server_cluster_tick(struct server_ctx *s, uint64_t now_us);

#endif
