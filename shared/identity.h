/* Identity tokens (optional identity, protocol version 5): a player's id,
 * name, expiry and optional lobby, issued and signed (Ed25519) by the
 * game's own backend, carried by the client in its HELLO and verified by a
 * lobby-server started with --auth-key-file. This is the pure codec: the
 * byte layout (docs/PROTOCOL.md, "Identity tokens") and the hex text that
 * token and key files use. No I/O, no clock, no cryptography: signing
 * lives in lobby-token (tokens/), verification in the server (auth.c). */
#ifndef LOBBY_IDENTITY_H
#define LOBBY_IDENTITY_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    IDENTITY_FORMAT_VERSION = 1,
    IDENTITY_PUBLIC_KEY_BYTES = 32, /* crypto_sign_PUBLICKEYBYTES */
    IDENTITY_SECRET_KEY_BYTES = 64, /* crypto_sign_SECRETKEYBYTES: seed, then public key */
    IDENTITY_SIGNATURE_BYTES = 64,  /* crypto_sign_BYTES */
    /* version, uid, expiry, name and lobby (each u8 length + up to 24 bytes) */
    IDENTITY_MAX_BODY_BYTES = 1 + 8 + 8 + 1 + PROTO_MAX_NAME_BYTES + 1 + PROTO_MAX_LOBBY_NAME_BYTES,
    IDENTITY_MAX_TOKEN_BYTES = IDENTITY_MAX_BODY_BYTES + IDENTITY_SIGNATURE_BYTES, /* 131 */
};

/* A token's fields. Decoded names are views into the decoded bytes. */
typedef struct identity_token {
    uint64_t player_uid;
    uint64_t expires_unix_s; /* refused at and after this second (UTC) */
    proto_str name;          /* 1..24 bytes, the HELLO name rules */
    proto_str lobby;         /* 0..24 bytes, the lobby name rules; empty: any lobby */
} identity_token;

typedef enum identity_error {
    IDENTITY_OK = 0,
    IDENTITY_ERR_TRUNCATED = -1, /* ended inside a field or before the signature */
    IDENTITY_ERR_TRAILING = -2,  /* bytes after the signature */
    IDENTITY_ERR_VERSION = -3,   /* a format version this code does not know */
    IDENTITY_ERR_BAD_NAME = -4,  /* the name breaks the HELLO name rules */
    IDENTITY_ERR_BAD_LOBBY = -5, /* the lobby breaks the lobby name rules */
    IDENTITY_ERR_BUFFER = -6,    /* encode: the buffer is too small */
} identity_error;

/* Writes the signed part of a token (everything before the signature) to
 * buf. Returns its length, or a negative identity_error (the fields break
 * the rules above, or cap is too small). */
int identity_encode_body(const identity_token *t, uint8_t *buf, size_t cap);

/* Reads a whole token (body, then the 64-byte signature). On IDENTITY_OK,
 * *t holds its fields, *body_len the length of the signed part and
 * *signature points at the signature inside bytes. */
int identity_decode(const uint8_t *bytes, size_t len, identity_token *t, size_t *body_len,
                    const uint8_t **signature);

const char *identity_strerror(int err);

/* Lowercase hex of n bytes into out (2n + 1 bytes with its NUL). */
void identity_hex_encode(const uint8_t *bytes, size_t n, char *out);

/* Hex text (either case) to bytes, ignoring white space before and after
 * (a file's newline). Returns the byte count, or -1 when the text is not
 * an even number of hex digits or holds more than cap bytes. */
int identity_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap);

#endif
