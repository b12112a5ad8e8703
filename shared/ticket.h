/* Redirect tickets (protocol version 6): what a server hands a player with a
 * REDIRECT and the target server checks on the HELLO that follows: a seat
 * held for a player in a lobby (JOIN), or a lobby placed on that server
 * (PLACE), until an expiry, signed (Ed25519) with the cluster's key. Clients
 * carry the bytes without reading them. This is the pure codec, like
 * shared/identity.h: the layout (docs/PROTOCOL.md, "Redirect tickets"), no
 * I/O, no clock and no cryptography; signing and checking live in the
 * server. */
#ifndef LOBBY_TICKET_H
#define LOBBY_TICKET_H

#include "proto.h"

#include <stddef.h>
#include <stdint.h>

enum {
    TICKET_FORMAT_VERSION = 1,
    TICKET_NONCE_BYTES = 16,
    TICKET_SIGNATURE_BYTES = 64, /* crypto_sign_BYTES */
    TICKET_MAX_SERVER_ID_BYTES = PROTO_MAX_SERVER_ID_BYTES,
    /* format, kind, expiry, nonce, then lobby, player and server id (each
     * a u8 length and its bytes) */
    TICKET_MAX_BODY_BYTES = 1 + 1 + 8 + TICKET_NONCE_BYTES + 1 + PROTO_MAX_LOBBY_NAME_BYTES + 1 +
                            PROTO_MAX_NAME_BYTES + 1 + TICKET_MAX_SERVER_ID_BYTES,
    TICKET_MAX_BYTES = TICKET_MAX_BODY_BYTES + TICKET_SIGNATURE_BYTES, /* 205 */
};

typedef enum ticket_kind {
    TICKET_JOIN = 1,  /* a seat is held for player in lobby on server_id */
    TICKET_PLACE = 2, /* lobby is placed on server_id: player opens it there */
} ticket_kind;

/* A ticket's fields. Decoded strings are views into the decoded bytes. */
typedef struct ticket_fields {
    uint8_t kind;                      /* ticket_kind */
    uint64_t expires_unix_ms;          /* refused at and after this millisecond (UTC) */
    uint8_t nonce[TICKET_NONCE_BYTES]; /* random: what makes each ticket single-use */
    proto_str lobby;                   /* 1..24 bytes, the lobby name rules */
    proto_str player;                  /* 1..24 bytes, the HELLO name rules */
    proto_str server_id;               /* proto_server_id_valid: the server it admits to */
} ticket_fields;

typedef enum ticket_error {
    TICKET_OK = 0,
    TICKET_ERR_TRUNCATED = -1,     /* ended inside a field or before the signature */
    TICKET_ERR_TRAILING = -2,      /* bytes after the signature */
    TICKET_ERR_VERSION = -3,       /* a format this code does not know */
    TICKET_ERR_KIND = -4,          /* neither JOIN nor PLACE */
    TICKET_ERR_BAD_LOBBY = -5,     /* the lobby breaks the lobby name rules */
    TICKET_ERR_BAD_PLAYER = -6,    /* the player breaks the HELLO name rules */
    TICKET_ERR_BAD_SERVER_ID = -7, /* empty, too long, or outside [A-Za-z0-9._:-] */
    TICKET_ERR_BUFFER = -8,        /* encode: the buffer is too small */
} ticket_error;

/* Writes the signed part (everything before the signature) to buf. Returns
 * its length, or a negative ticket_error (a field breaks the rules above, or
 * cap is too small: TICKET_MAX_BODY_BYTES always suffices). */
int ticket_encode_body(const ticket_fields *t, uint8_t *buf, size_t cap);

/* Reads a whole ticket (body, then the signature). On TICKET_OK, *t holds
 * its fields, *body_len the length of the signed part and *signature points
 * at the TICKET_SIGNATURE_BYTES inside bytes. */
int ticket_decode(const uint8_t *bytes, size_t len, ticket_fields *t, size_t *body_len,
                  const uint8_t **signature);

const char *ticket_strerror(int err);

#endif
