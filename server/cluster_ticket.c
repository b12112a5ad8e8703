/* Redirect tickets signed with the cluster's key (cluster_ticket.h). */
#include "cluster_ticket.h"

#include "lobby.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int cluster_tickets_init(cluster_tickets *t, const uint8_t *secret, size_t len,
                         const char *server_id)
{
    memset(t, 0, sizeof *t);
    if (len < CLUSTER_TICKETS_MIN_SECRET_BYTES || sodium_init() < 0 ||
        strlen(server_id) > SERVER_ID_MAX_BYTES)
        return -1;
    /* Every server derives the same pair from the same file: the seed is a
     * hash of its bytes, whatever their length. */
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_generichash(seed, sizeof seed, secret, len, NULL, 0);
    int err = crypto_sign_seed_keypair(t->public_key, t->secret_key, seed);
    sodium_memzero(seed, sizeof seed);
    snprintf(t->server_id, sizeof t->server_id, "%s", server_id);
    return err == 0 ? 0 : -1;
}

int cluster_tickets_issue(const cluster_tickets *t, uint8_t kind, proto_str lobby_name,
                          proto_str player, const char *target, uint64_t expires_unix_ms,
                          uint8_t *out, size_t cap)
{
    ticket_fields f = {.kind = kind,
                       .expires_unix_ms = expires_unix_ms,
                       .lobby = lobby_name,
                       .player = player,
                       .server_id = proto_str_from_cstr(target)};
    randombytes_buf(f.nonce, sizeof f.nonce);
    int body = ticket_encode_body(&f, out, cap);
    if (body < 0 || (size_t)body + TICKET_SIGNATURE_BYTES > cap)
        return -1;
    crypto_sign_detached(out + body, NULL, out, (unsigned long long)body, t->secret_key);
    return body + TICKET_SIGNATURE_BYTES;
}

static bool same_name(proto_str a, proto_str b)
{
    char ka[LOBBY_NAME_KEY_BYTES], kb[LOBBY_NAME_KEY_BYTES];
    uint8_t la, lb;
    return lobby_name_key(a, ka, &la) && lobby_name_key(b, kb, &lb) && la == lb &&
           memcmp(ka, kb, la) == 0;
}

/* Remembers a used nonce until its ticket expires; false when it was used
 * already (or, should every slot be live, when there is no room: refused
 * rather than forgotten, so a ticket can never be used twice). */
static bool use_nonce(cluster_tickets *t, const uint8_t *nonce, uint64_t until_ms, uint64_t now_ms,
                      bool *full)
{
    uint32_t h;
    memcpy(&h, nonce, sizeof h);
    cluster_used_ticket *spare = NULL;
    *full = false;
    for (unsigned probe = 0; probe < 64; probe++) {
        cluster_used_ticket *u = &t->used[(h + probe) % CLUSTER_USED_TICKETS];
        bool live = u->until_ms > now_ms;
        if (live && memcmp(u->nonce, nonce, TICKET_NONCE_BYTES) == 0)
            return false;
        if (!live && spare == NULL)
            spare = u;
    }
    if (spare == NULL) {
        *full = true;
        return false;
    }
    memcpy(spare->nonce, nonce, TICKET_NONCE_BYTES);
    spare->until_ms = until_ms;
    return true;
}

/* The ticket fits the HELLO: its player, and its lobby (or, browsing, a
 * placement); false with *why. */
static bool fits_hello(const ticket_fields *f, const server_ticket_ask *ask, char *why, size_t cap)
{
    if (!same_name(f->player, ask->player)) {
        snprintf(why, cap, "it is for player '%.*s'", (int)f->player.len, f->player.bytes);
        return false;
    }
    if (ask->browse ? f->kind != TICKET_PLACE : !same_name(f->lobby, ask->lobby)) {
        snprintf(why, cap, "it is for lobby '%.*s'%s", (int)f->lobby.len, f->lobby.bytes,
                 ask->browse ? ", not for the lobby list" : "");
        return false;
    }
    return true;
}

int cluster_tickets_check(cluster_tickets *t, const uint8_t *bytes, size_t len,
                          const server_ticket_ask *ask, uint64_t now_unix_ms,
                          server_ticket_info *info, char *why, size_t cap)
{
    ticket_fields f;
    size_t body_len;
    const uint8_t *signature;
    int err = ticket_decode(bytes, len, &f, &body_len, &signature);
    if (err != TICKET_OK) {
        snprintf(why, cap, "malformed (%s)", ticket_strerror(err));
        return PROTO_REASON_TICKET_INVALID;
    }
    if (crypto_sign_verify_detached(signature, bytes, body_len, t->public_key) != 0) {
        snprintf(why, cap, "not signed with this cluster's secret");
        return PROTO_REASON_TICKET_INVALID;
    }
    if (!proto_str_eq(f.server_id, proto_str_from_cstr(t->server_id))) {
        snprintf(why, cap, "it is for server %.*s, not %s", (int)f.server_id.len, f.server_id.bytes,
                 t->server_id);
        return PROTO_REASON_TICKET_INVALID;
    }
    if (!fits_hello(&f, ask, why, cap))
        return PROTO_REASON_TICKET_INVALID;
    if (now_unix_ms >= f.expires_unix_ms) {
        snprintf(why, cap, "expired %llu ms ago",
                 (unsigned long long)(now_unix_ms - f.expires_unix_ms));
        return PROTO_REASON_TICKET_EXPIRED;
    }
    bool full;
    if (!use_nonce(t, f.nonce, f.expires_unix_ms, now_unix_ms, &full)) {
        snprintf(why, cap, full ? "too many tickets in flight; ask again" : "already used");
        return full ? PROTO_REASON_TICKET_INVALID : PROTO_REASON_TICKET_USED;
    }
    info->kind = f.kind;
    memcpy(info->lobby, f.lobby.bytes, f.lobby.len);
    info->lobby[f.lobby.len] = '\0';
    info->lobby_len = (uint8_t)f.lobby.len;
    return 0;
}
