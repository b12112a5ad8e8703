#include "auth.h"

#include <sodium.h>

auth_verdict auth_verify(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES], const uint8_t *bytes,
                         size_t len, uint64_t now_unix_s, identity_token *out, const char **why)
{
    size_t body_len;
    const uint8_t *signature;
    int err = identity_decode(bytes, len, out, &body_len, &signature);
    if (err != IDENTITY_OK) {
        *why = identity_strerror(err);
        return AUTH_MALFORMED;
    }
    /* Idempotent and cheap after the first call; libsodium wants it before
     * any other call. Failure leaves verification unusable: refuse. */
    if (sodium_init() < 0 ||
        crypto_sign_verify_detached(signature, bytes, body_len, public_key) != 0) {
        *why = "signature does not verify with this server's key";
        return AUTH_BAD_SIGNATURE;
    }
    if (now_unix_s >= out->expires_unix_s) {
        *why = "token expired";
        return AUTH_EXPIRED;
    }
    *why = "ok";
    return AUTH_OK;
}
