/* The rules of a real lobby as plain data: its settings (capacity, password,
 * metadata, max RTT), who may join, the owner, ready flags, the start
 * countdown and kick cool-downs. No sockets, no clock (time is passed in),
 * no logging: the server core reports what these functions decide. */
#include "lobby.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

/* ---- settings ------------------------------------------------------------- */

bool lobby_meta_key_valid(proto_str key)
{
    if (key.len == 0 || key.len > PROTO_MAX_META_KEY_BYTES)
        return false;
    for (size_t i = 0; i < key.len; i++) {
        char c = key.bytes[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* A value is chat text of 0..32 bytes: empty is allowed, unlike chat. */
static bool meta_value_valid(proto_str value)
{
    return value.len == 0 ||
           text_check(value.bytes, value.len, PROTO_MAX_META_VALUE_BYTES) == TEXT_OK;
}

static bool meta_valid(const proto_meta_list *meta, char *why, size_t cap)
{
    if (meta->count > PROTO_MAX_META_PAIRS) {
        snprintf(why, cap, "at most %d metadata pairs", PROTO_MAX_META_PAIRS);
        return false;
    }
    for (unsigned i = 0; i < meta->count; i++) {
        proto_str key = meta->pairs[i].key;
        if (!lobby_meta_key_valid(key)) {
            snprintf(why, cap, "metadata key '%.*s' must be 1 to %d bytes of [a-z0-9_.-]",
                     (int)(key.len > 16 ? 16 : key.len), key.bytes, PROTO_MAX_META_KEY_BYTES);
            return false;
        }
        if (!meta_value_valid(meta->pairs[i].value)) {
            snprintf(why, cap, "metadata value of '%.*s' must be 0 to %d bytes of text",
                     (int)key.len, key.bytes, PROTO_MAX_META_VALUE_BYTES);
            return false;
        }
        for (unsigned k = 0; k < i; k++) {
            if (proto_str_eq(meta->pairs[k].key, key)) {
                snprintf(why, cap, "metadata key '%.*s' appears twice", (int)key.len, key.bytes);
                return false;
            }
        }
    }
    return true;
}

int lobby_check_settings(const lobby_settings *in, unsigned changes, char *why, size_t cap)
{
    if ((changes & PROTO_CONFIGURE_CAPACITY) &&
        (in->capacity == 0 || in->capacity > PROTO_MAX_LOBBY_PLAYERS)) {
        snprintf(why, cap, "capacity must be 1 to %d", PROTO_MAX_LOBBY_PLAYERS);
        return LOBBY_ERR_BAD_VALUE;
    }
    if ((changes & PROTO_CONFIGURE_PASSWORD) && in->password.len > 0 &&
        text_check(in->password.bytes, in->password.len, PROTO_MAX_PASSWORD_BYTES) != TEXT_OK) {
        snprintf(why, cap, "password must be 0 to %d bytes of text", PROTO_MAX_PASSWORD_BYTES);
        return LOBBY_ERR_BAD_VALUE;
    }
    if ((changes & PROTO_CONFIGURE_METADATA) && !meta_valid(&in->meta, why, cap))
        return LOBBY_ERR_BAD_VALUE;
    return LOBBY_OK;
}

static void store_meta(lobby *l, const proto_meta_list *meta)
{
    l->meta_count = meta->count;
    for (unsigned i = 0; i < meta->count; i++) {
        lobby_meta_pair *dst = &l->meta[i];
        dst->key_len = (uint8_t)meta->pairs[i].key.len;
        memcpy(dst->key, meta->pairs[i].key.bytes, dst->key_len);
        dst->value_len = (uint8_t)meta->pairs[i].value.len;
        memcpy(dst->value, meta->pairs[i].value.bytes, dst->value_len);
    }
}

int lobby_configure(lobby *l, const lobby_settings *in, unsigned changes, char *why, size_t cap)
{
    int err = lobby_check_settings(in, changes, why, cap);
    if (err != LOBBY_OK)
        return err;
    if ((changes & PROTO_CONFIGURE_CAPACITY) && in->capacity < l->count) {
        snprintf(why, cap, "capacity %u is below the %u members", (unsigned)in->capacity,
                 (unsigned)l->count);
        return LOBBY_ERR_BELOW_COUNT;
    }
    if (changes & PROTO_CONFIGURE_CAPACITY)
        l->capacity = in->capacity;
    if (changes & PROTO_CONFIGURE_PASSWORD) {
        l->password_len = (uint8_t)in->password.len;
        memcpy(l->password, in->password.bytes, in->password.len);
    }
    if (changes & PROTO_CONFIGURE_METADATA)
        store_meta(l, &in->meta);
    if (changes & PROTO_CONFIGURE_MAX_RTT)
        l->max_rtt_ms = in->max_rtt_ms;
    return LOBBY_OK;
}

/* ---- admission ------------------------------------------------------------ */

bool lobby_password_ok(const lobby *l, proto_str given)
{
    if (l->password_len == 0)
        return true;
    /* Every byte of the stored password is looked at whatever the input, and
     * the length difference is folded into the same accumulator. */
    uint8_t diff = (uint8_t)(given.len != l->password_len);
    for (size_t i = 0; i < l->password_len; i++) {
        uint8_t g = i < given.len ? (uint8_t)given.bytes[i] : 0;
        diff |= (uint8_t)(g ^ (uint8_t)l->password[i]);
    }
    return diff == 0;
}

static bool key_in_lobby(const lobby *l, const char *key, uint8_t key_len)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->players[i].key_len == key_len && memcmp(l->players[i].key, key, key_len) == 0)
            return true;
    return false;
}

/* What anyone can see in LOBBY_LIST is checked first, then the password,
 * then what concerns the lobby's members: so the answer to a wrong password
 * never depends on whether it was right, and names inside are not told to
 * someone without the password. */
int lobby_admit(const lobby *l, const lobby_joiner *who, proto_str password, uint32_t rtt_ms,
                uint64_t now_us, uint64_t *wait_us)
{
    if (l->count + lobby_holds_for_others(l, who->key, who->key_len, now_us) >= l->capacity)
        return LOBBY_ERR_FULL;
    if (l->state != PROTO_LOBBY_OPEN)
        return LOBBY_ERR_STARTED;
    if (l->max_rtt_ms > 0 && rtt_ms != LOBBY_RTT_UNMEASURED && rtt_ms > l->max_rtt_ms)
        return LOBBY_ERR_RTT_TOO_HIGH;
    if (!lobby_password_ok(l, password))
        return LOBBY_ERR_WRONG_PASSWORD;
    if (lobby_banned(l, who->key, who->key_len, who->holder, now_us, wait_us))
        return LOBBY_ERR_KICKED;
    if (l->creator != who->holder && lobby_holder_seats(l, who->holder) >= who->holder_share)
        return LOBBY_ERR_QUOTA;
    if (key_in_lobby(l, who->key, who->key_len))
        return LOBBY_ERR_NAME_TAKEN;
    return LOBBY_OK;
}

unsigned lobby_holder_share(const lobby *l, unsigned percent)
{
    unsigned share = (l->capacity * percent + 99u) / 100u;
    return share < 2u ? 2u : share;
}

unsigned lobby_holder_seats(const lobby *l, uint64_t holder)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->count; i++)
        n += l->players[i].holder == holder;
    return n;
}

uint32_t lobby_count_created_by(const lobby_set *set, uint64_t holder)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < set->max_lobbies; i++)
        n += set->lobbies[i].in_use && set->lobbies[i].creator == holder;
    return n;
}

/* ---- owner, ready, countdown ------------------------------------------- */

static bool is_member(lobby *l, uint16_t id)
{
    return id != 0 && lobby_player_find(l, id) != NULL;
}

int lobby_give_ownership(lobby *l, uint16_t by_id, uint16_t to_id)
{
    if (l->owner_id != by_id)
        return LOBBY_ERR_NOT_OWNER;
    if (to_id == by_id || !is_member(l, to_id))
        return LOBBY_ERR_NO_SUCH_PLAYER;
    l->owner_id = to_id;
    return LOBBY_OK;
}

int lobby_set_ready(lobby *l, uint16_t player_id, bool ready, bool *cancelled)
{
    *cancelled = false;
    lobby_player *p = lobby_player_find(l, player_id);
    if (p == NULL)
        return LOBBY_ERR_NO_SUCH_PLAYER;
    if (l->state == PROTO_LOBBY_IN_GAME || (l->state == PROTO_LOBBY_STARTING && ready))
        return LOBBY_ERR_STARTED;
    if (!ready && p->ready)
        *cancelled = lobby_cancel_countdown(l);
    p->ready = ready;
    return LOBBY_OK;
}

int lobby_start_countdown(lobby *l, uint16_t by_id, uint32_t start_tick,
                          const lobby_player **not_ready)
{
    *not_ready = NULL;
    if (l->owner_id != by_id)
        return LOBBY_ERR_NOT_OWNER;
    if (l->state != PROTO_LOBBY_OPEN)
        return LOBBY_ERR_STARTED;
    /* A member whose seat is held could not hear GAME_STARTING. */
    for (unsigned i = 0; i < l->count; i++) {
        if (!l->players[i].ready || l->players[i].session == LOBBY_NO_SESSION) {
            *not_ready = &l->players[i];
            return LOBBY_ERR_NOT_ALL_READY;
        }
    }
    l->state = PROTO_LOBBY_STARTING;
    l->start_tick = start_tick;
    l->countdown_announced = 0;
    return LOBBY_OK;
}

bool lobby_cancel_countdown(lobby *l)
{
    if (l->state != PROTO_LOBBY_STARTING)
        return false;
    l->state = PROTO_LOBBY_OPEN;
    l->start_tick = 0;
    l->countdown_announced = 0;
    return true;
}

void lobby_begin_game(lobby *l)
{
    l->state = PROTO_LOBBY_IN_GAME;
    l->countdown_announced = 0;
    for (unsigned i = 0; i < l->count; i++)
        l->players[i].ready = false;
}

/* ---- kicks ---------------------------------------------------------------- */

int lobby_check_kick(lobby *l, uint16_t by_id, uint16_t target_id)
{
    if (l->owner_id != by_id)
        return LOBBY_ERR_NOT_OWNER;
    if (target_id == by_id || !is_member(l, target_id))
        return LOBBY_ERR_NO_SUCH_PLAYER;
    return LOBBY_OK;
}

/* The index of key's entry, or -1. */
static int ban_of(const lobby *l, const char *key, uint8_t key_len)
{
    for (int i = 0; i < LOBBY_MAX_BANS; i++) {
        const lobby_ban_entry *b = &l->bans[i];
        if (b->until_us != 0 && b->key_len == key_len && memcmp(b->key, key, key_len) == 0)
            return i;
    }
    return -1;
}

/* The entry banning key or holder that lasts longest, or -1. */
static int ban_against(const lobby *l, const char *key, uint8_t key_len, uint64_t holder)
{
    int found = ban_of(l, key, key_len);
    for (int i = 0; i < LOBBY_MAX_BANS; i++) {
        const lobby_ban_entry *b = &l->bans[i];
        if (b->until_us != 0 && b->holder == holder &&
            (found < 0 || b->until_us > l->bans[found].until_us))
            found = i;
    }
    return found;
}

/* A free entry, else the one that expires soonest (expired ones first). */
static lobby_ban_entry *ban_slot(lobby *l)
{
    lobby_ban_entry *best = &l->bans[0];
    for (unsigned i = 0; i < LOBBY_MAX_BANS; i++) {
        if (l->bans[i].until_us == 0)
            return &l->bans[i];
        if (l->bans[i].until_us < best->until_us)
            best = &l->bans[i];
    }
    return best;
}

void lobby_ban(lobby *l, const char *key, uint8_t key_len, uint64_t holder, uint64_t until_us)
{
    int found = ban_of(l, key, key_len);
    lobby_ban_entry *b = found >= 0 ? &l->bans[found] : ban_slot(l);
    memcpy(b->key, key, key_len);
    b->key_len = key_len;
    b->holder = holder;
    b->until_us = until_us == 0 ? 1 : until_us;
}

bool lobby_banned(const lobby *l, const char *key, uint8_t key_len, uint64_t holder,
                  uint64_t now_us, uint64_t *wait_us)
{
    int found = ban_against(l, key, key_len, holder);
    if (found < 0 || l->bans[found].until_us <= now_us)
        return false;
    *wait_us = l->bans[found].until_us - now_us;
    return true;
}
