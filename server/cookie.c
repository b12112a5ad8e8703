#include "cookie.h"

#include <sodium.h>
#include <string.h>

_Static_assert(COOKIE_KEY_BYTES == crypto_shorthash_KEYBYTES, "SipHash-2-4 key size");

bool cookie_key_init(cookie_key *k)
{
    if (sodium_init() < 0)
        return false;
    randombytes_buf(k->bytes, sizeof k->bytes);
    return true;
}

/* SipHash-2-4 over ip (4 bytes as on the wire) | port (u16 BE) | bucket
 * (u32 BE); the cookie is the first 4 bytes of the hash, read BE. */
static uint32_t cookie_for_bucket(const cookie_key *k, uint32_t ip, uint16_t port, uint32_t bucket)
{
    uint8_t in[10];
    memcpy(in, &ip, 4);
    in[4] = (uint8_t)(port >> 8);
    in[5] = (uint8_t)port;
    in[6] = (uint8_t)(bucket >> 24);
    in[7] = (uint8_t)(bucket >> 16);
    in[8] = (uint8_t)(bucket >> 8);
    in[9] = (uint8_t)bucket;
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, in, sizeof in, k->bytes);
    return (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 | (uint32_t)out[2] << 8 | out[3];
}

static uint32_t bucket_of(uint64_t now_us)
{
    return (uint32_t)(now_us / 1000000u / COOKIE_BUCKET_SECONDS);
}

uint32_t cookie_make(const cookie_key *k, uint32_t ip, uint16_t port, uint64_t now_us)
{
    return cookie_for_bucket(k, ip, port, bucket_of(now_us));
}

bool cookie_valid(const cookie_key *k, uint32_t ip, uint16_t port, uint32_t cookie, uint64_t now_us)
{
    uint32_t bucket = bucket_of(now_us);
    /* Both always hashed, so the time taken says nothing about which matched. */
    bool now = cookie_for_bucket(k, ip, port, bucket) == cookie;
    bool before = cookie_for_bucket(k, ip, port, bucket - 1) == cookie;
    return now | before;
}
