/* Seats held for players another server of the cluster redirected here: the
 * redirecting server signs a ticket and tells this one, which keeps a seat
 * until the ticket's expiry, so a redirected player never finds its seat
 * taken on the way (docs/CLUSTER.md, "Redirects"). */
#include "lobby.h"

#include <string.h>

static bool live(const lobby_hold *h, uint64_t now_us)
{
    return h->key_len > 0 && h->until_us > now_us;
}

static bool same_key(const lobby_hold *h, const char *key, uint8_t key_len)
{
    return h->key_len == key_len && memcmp(h->key, key, key_len) == 0;
}

unsigned lobby_holds_for_others(const lobby *l, const char *key, uint8_t key_len, uint64_t now_us)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LOBBY_MAX_HOLDS; i++)
        n += live(&l->holds[i], now_us) && !(key_len > 0 && same_key(&l->holds[i], key, key_len));
    return n;
}

static unsigned holds_of(const lobby *l, uint64_t holder, uint64_t now_us)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LOBBY_MAX_HOLDS; i++)
        n += live(&l->holds[i], now_us) && l->holds[i].holder == holder;
    return n;
}

bool lobby_hold_seat(lobby *l, const lobby_joiner *who, uint64_t now_us, uint64_t until_us)
{
    if (who->key_len == 0)
        return false;
    lobby_hold *spare = NULL;
    for (unsigned i = 0; i < LOBBY_MAX_HOLDS; i++) {
        lobby_hold *h = &l->holds[i];
        if (live(h, now_us) && same_key(h, who->key, who->key_len)) {
            h->until_us = until_us;
            return true;
        }
        if (!live(h, now_us) && spare == NULL)
            spare = h;
    }
    /* A hold is a seat on its way: one holder may not hold more of a lobby
     * than it may take, or holds would lock a lobby as seats once did. */
    bool over_share =
        l->creator != who->holder &&
        lobby_holder_seats(l, who->holder) + holds_of(l, who->holder, now_us) >= who->holder_share;
    if (spare == NULL || over_share ||
        l->count + lobby_holds_for_others(l, "", 0, now_us) >= l->capacity)
        return false;
    spare->key_len = who->key_len;
    memcpy(spare->key, who->key, who->key_len);
    spare->holder = who->holder;
    spare->until_us = until_us;
    return true;
}

bool lobby_use_hold(lobby *l, const char *key, uint8_t key_len)
{
    for (unsigned i = 0; i < LOBBY_MAX_HOLDS; i++)
        if (l->holds[i].key_len > 0 && same_key(&l->holds[i], key, key_len)) {
            l->holds[i].key_len = 0;
            return true;
        }
    return false;
}

unsigned lobby_expire_holds(lobby *l, uint64_t now_us)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LOBBY_MAX_HOLDS; i++)
        if (l->holds[i].key_len > 0 && l->holds[i].until_us <= now_us) {
            l->holds[i].key_len = 0;
            n++;
        }
    return n;
}
