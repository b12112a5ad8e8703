/* Verification of identity tokens (shared/identity.h) with the backend's
 * Ed25519 public key (libsodium's crypto_sign_verify_detached). A state
 * module of the core with no state: the key is the caller's, and the time
 * (UTC seconds) is passed in, never read here. */
#ifndef LOBBY_AUTH_H
#define LOBBY_AUTH_H

#include "identity.h"

#include <stddef.h>
#include <stdint.h>

typedef enum auth_verdict {
    AUTH_OK = 0,
    AUTH_MALFORMED,     /* not a token of the documented layout; *why says how */
    AUTH_BAD_SIGNATURE, /* not signed by the key's owner, or changed since */
    AUTH_EXPIRED,       /* now_unix_s is at or past its expiry */
} auth_verdict;

/* Checks a token's layout, then its signature, then its expiry, in that
 * order (an expired token's fields are trusted only once its signature
 * is). On AUTH_OK (and AUTH_EXPIRED), *out holds its fields, views into
 * bytes. *why (never NULL) is a short reason for logs and REJECT texts. */
auth_verdict auth_verify(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES], const uint8_t *bytes,
                         size_t len, uint64_t now_unix_s, identity_token *out, const char **why);

#endif
