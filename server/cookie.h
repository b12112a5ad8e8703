/* The server's half of the connect cookie (proto.h, docs/PROTOCOL.md): a
 * keyed hash of the client's address, port and a 10-second time bucket.
 * Stateless: checking a cookie needs nothing but the key and the clock, so
 * a flood of forged CONNECTs costs the server one hash each and no memory.
 * The key is random per process: a restart invalidates the cookies out,
 * which only makes a connecting client ask again. */
#ifndef LOBBY_COOKIE_H
#define LOBBY_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

enum {
    COOKIE_KEY_BYTES = 16,      /* crypto_shorthash_KEYBYTES */
    COOKIE_BUCKET_SECONDS = 10, /* a cookie is valid for 10 to 20 s */
};

typedef struct cookie_key {
    uint8_t bytes[COOKIE_KEY_BYTES];
} cookie_key;

/* A fresh random key; false when libsodium cannot start. */
bool cookie_key_init(cookie_key *k);

/* ip in network order (as ENet's ENetAddress.host), port in host order. */
uint32_t cookie_make(const cookie_key *k, uint32_t ip, uint16_t port, uint64_t now_us);
/* True when cookie was made for ip:port in this time bucket or the one before. */
bool cookie_valid(const cookie_key *k, uint32_t ip, uint16_t port, uint32_t cookie,
                  uint64_t now_us);

#endif
