/* lobby-netsim's client-mapping table: each client source address gets its own
 * upstream socket connected to the server, so the server sees one peer per
 * client. Time is passed in, so a test can create, cap and expire mappings on
 * loopback sockets without the proxy's poll loop. */
#ifndef LOBBY_NETSIM_FLOWS_H
#define LOBBY_NETSIM_FLOWS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum {
    NETSIM_FLOWS_MAX = 65535, /* a flow id holds a 16-bit slot index */
};

typedef enum netsim_flows_error {
    NETSIM_FLOWS_OK = 0,
    NETSIM_FLOWS_ERR_NOMEM = -1,  /* allocation failed */
    NETSIM_FLOWS_ERR_FULL = -2,   /* every slot holds a mapping */
    NETSIM_FLOWS_ERR_SOCKET = -3, /* the upstream socket could not be opened; see errno */
} netsim_flows_error;

/* One client source address and the upstream socket that stands for it. */
typedef struct netsim_flow {
    int fd; /* -1: free slot */
    uint16_t generation;
    struct sockaddr_in client;
    uint64_t last_active_us;
    int next; /* hash chain: next slot index, or -1 */
} netsim_flow;

/* Fields are read-only outside netsim_flows.c, except server and the slots'
 * last_active_us, which the caller refreshes on traffic. */
typedef struct netsim_flows {
    struct sockaddr_in server; /* where upstream sockets connect; set before the first get */
    netsim_flow *slots;        /* max_flows of them */
    int *buckets;              /* first slot of each hash chain, or -1 */
    uint32_t max_flows, active, bucket_mask;
    uint64_t idle_timeout_us, opened, refused, last_refusal_log_us;
} netsim_flows;

/* Allocates max_flows (1..NETSIM_FLOWS_MAX) empty slots in caller storage;
 * NETSIM_FLOWS_OK, or NETSIM_FLOWS_ERR_NOMEM with *t safe to deinit. */
int netsim_flows_init(netsim_flows *t, uint32_t max_flows, uint64_t idle_timeout_us);
/* Closes every upstream socket and frees the slots; a zeroed *t is fine. */
void netsim_flows_deinit(netsim_flows *t);

/* The slot holding client a, or -1. */
int netsim_flows_find(const netsim_flows *t, const struct sockaddr_in *a);
/* The slot for client a, opening its upstream socket on first sight; on refusal
 * NETSIM_FLOWS_ERR_FULL / _SOCKET, counted and logged at most once a second. */
int netsim_flows_get(netsim_flows *t, const struct sockaddr_in *a, uint64_t now_us);
/* Closes slot i's upstream socket and frees the slot for reuse. */
void netsim_flows_close(netsim_flows *t, int i);
/* Closes (and logs) every mapping silent for idle_timeout_us or longer. */
void netsim_flows_expire(netsim_flows *t, uint64_t now_us);

/* A flow id for slot i: generation and slot, so a reused slot is a new id. */
uint32_t netsim_flows_id(const netsim_flows *t, int i);
/* The slot a flow id names if it still holds the same mapping, else -1. */
int netsim_flows_slot(const netsim_flows *t, uint32_t id);

/* A non-blocking, close-on-exec UDP socket, bound and/or connected when the
 * address is not NULL; -1 with errno on error. */
int netsim_flows_open_udp(const struct sockaddr_in *bind_to, const struct sockaddr_in *connect_to);
/* Writes "IP:PORT" into buf (32 bytes suffice) and returns buf. */
const char *netsim_flows_addr_text(const struct sockaddr_in *a, char *buf, size_t cap);

#endif
