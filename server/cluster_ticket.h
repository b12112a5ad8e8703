/* Signing and checking redirect tickets (shared/ticket.h) with the cluster
 * secret: an Ed25519 key pair derived from it (libsodium), the same
 * signature scheme as identity tokens, so there is one kind of signed token
 * in the product. Each ticket is single-use: the nonces of tickets used and
 * not yet expired are remembered. Time is passed in (UTC ms). */
#ifndef LOBBY_CLUSTER_TICKET_H
#define LOBBY_CLUSTER_TICKET_H

#include "server.h"
#include "ticket.h"

#include <stddef.h>
#include <stdint.h>

enum {
    CLUSTER_TICKETS_MIN_SECRET_BYTES = 16,
    CLUSTER_USED_TICKETS = 4096, /* tickets used and not yet expired, remembered at once */
};

typedef struct cluster_used_ticket {
    uint8_t nonce[TICKET_NONCE_BYTES];
    uint64_t until_ms; /* 0 or past: a free entry */
} cluster_used_ticket;

typedef struct cluster_tickets {
    uint8_t public_key[32];
    uint8_t secret_key[64];
    char server_id[SERVER_ID_MAX_BYTES + 1];
    cluster_used_ticket used[CLUSTER_USED_TICKETS];
} cluster_tickets;

/* Derives the key pair from the shared secret (at least
 * CLUSTER_TICKETS_MIN_SECRET_BYTES). 0, or -1 (too short, or libsodium failed). */
int cluster_tickets_init(cluster_tickets *t, const uint8_t *secret, size_t len,
                         const char *server_id);
/* Signs a ticket of kind for player in lobby on server target, valid until
 * expires_unix_ms, into out. Returns its length, or < 0. */
int cluster_tickets_issue(const cluster_tickets *t, uint8_t kind, proto_str lobby, proto_str player,
                          const char *target, uint64_t expires_unix_ms, uint8_t *out, size_t cap);
/* Checks a HELLO's ticket at now_unix_ms, in the documented order: layout,
 * signature, this server, the HELLO's player and lobby (name keys; a
 * browsing HELLO needs a PLACE ticket), else PROTO_REASON_TICKET_INVALID;
 * expiry (_EXPIRED); then uses it up (_USED if it was). 0 and *info, or the
 * reason with *why. */
int cluster_tickets_check(cluster_tickets *t, const uint8_t *bytes, size_t len,
                          const server_ticket_ask *ask, uint64_t now_unix_ms,
                          server_ticket_info *info, char *why, size_t cap);

#endif
