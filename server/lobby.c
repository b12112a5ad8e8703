#include "lobby.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Distinct, readable on a dark background; a lobby hands out the first one
 * none of its members wears, so the first 16 players never share a colour. */
static const uint32_t palette[] = {
    0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4, 0x46F0F0, 0xF032E6,
    0xBCF60C, 0xFABEBE, 0x008080, 0xE6BEFF, 0x9A6324, 0xFFFAC8, 0xAAFFC3, 0x808000,
};
enum { PALETTE_SIZE = sizeof palette / sizeof palette[0] };

static void copy_name(char *dst, uint8_t *dst_len, proto_str src)
{
    memcpy(dst, src.bytes, src.len);
    dst[src.len] = '\0';
    *dst_len = (uint8_t)src.len;
}

int lobby_open(lobby_set *set, proto_str name)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (name.len == 0 || name.len > PROTO_MAX_LOBBY_NAME_BYTES ||
        !lobby_name_key(name, key, &key_len))
        return LOBBY_ERR_ARG;
    if (lobby_find(set, name) >= 0)
        return LOBBY_ERR_EXISTS;
    for (uint32_t i = 0; i < set->max_lobbies; i++) {
        lobby *l = &set->lobbies[i];
        if (!l->in_use) {
            uint32_t gen = l->gen + 1;
            memset(l, 0, sizeof *l);
            l->gen = gen;
            l->in_use = true;
            copy_name(l->name, &l->name_len, name);
            memcpy(l->key, key, key_len);
            l->key_len = key_len;
            l->capacity = set->capacity;
            l->state = PROTO_LOBBY_OPEN;
            return (int)i;
        }
    }
    return LOBBY_ERR_NO_SLOTS;
}

lobby_ref lobby_ref_of(const lobby_set *set, int index)
{
    lobby_ref ref = {index, index >= 0 ? set->lobbies[index].gen : 0};
    return ref;
}

int lobby_ref_index(const lobby_set *set, lobby_ref ref)
{
    if (ref.index < 0 || (uint32_t)ref.index >= set->max_lobbies)
        return -1;
    const lobby *l = &set->lobbies[ref.index];
    return l->in_use && l->gen == ref.gen ? ref.index : -1;
}

int lobby_set_init(lobby_set *set, uint32_t max_lobbies, uint8_t capacity)
{
    if (max_lobbies == 0 || capacity == 0 || capacity > PROTO_MAX_LOBBY_PLAYERS)
        return LOBBY_ERR_ARG;
    set->lobbies = calloc(max_lobbies, sizeof *set->lobbies);
    if (set->lobbies == NULL)
        return LOBBY_ERR_NOMEM;
    set->max_lobbies = max_lobbies;
    set->capacity = capacity;
    int main_index = lobby_open(set, proto_str_from_cstr(PROTO_DEFAULT_LOBBY)); /* always 0 */
    set->lobbies[main_index].server_owned = true;
    return LOBBY_OK;
}

void lobby_set_deinit(lobby_set *set)
{
    free(set->lobbies);
    set->lobbies = NULL;
}

int lobby_find(const lobby_set *set, proto_str name)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (!lobby_name_key(name, key, &key_len))
        return -1;
    for (uint32_t i = 0; i < set->max_lobbies; i++) {
        const lobby *l = &set->lobbies[i];
        if (l->in_use && l->key_len == key_len && memcmp(l->key, key, key_len) == 0)
            return (int)i;
    }
    return -1;
}

bool lobby_name_key(proto_str name, char *key, uint8_t *key_len)
{
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)name.bytes, (utf8proc_ssize_t)name.len, &folded,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
    bool ok = n >= 0 && (size_t)n <= LOBBY_NAME_KEY_BYTES;
    if (ok) {
        memcpy(key, folded, (size_t)n);
        *key_len = (uint8_t)n;
    }
    free(folded);
    return ok;
}

static bool name_taken(const lobby *l, const char *key, uint8_t key_len)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->players[i].key_len == key_len && memcmp(l->players[i].key, key, key_len) == 0)
            return true;
    return false;
}

static uint32_t pick_colour(const lobby *l)
{
    for (unsigned c = 0; c < PALETTE_SIZE; c++) {
        bool used = false;
        for (unsigned i = 0; i < l->count && !used; i++)
            used = l->players[i].colour == palette[c];
        if (!used)
            return palette[c];
    }
    return palette[l->count % PALETTE_SIZE];
}

/* Spread newcomers over the room so they do not spawn on top of each other. */
static void spawn_point(uint16_t player_id, float *x, float *y)
{
    *x = 100.0f + (float)((player_id * 337u) % 1000u);
    *y = 100.0f + (float)((player_id * 211u) % 600u);
}

int lobby_join(lobby_set *set, proto_str lobby_name, proto_str player_name, uint32_t session,
               uint16_t player_id)
{
    int index = lobby_find(set, lobby_name);
    if (index < 0)
        index = lobby_open(set, lobby_name);
    if (index < 0)
        return index;
    return lobby_join_at(set, index, player_name, session, player_id);
}

int lobby_join_at(lobby_set *set, int lobby_index, proto_str player_name, uint32_t session,
                  uint16_t player_id)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (player_name.len == 0 || player_name.len > PROTO_MAX_NAME_BYTES ||
        !lobby_name_key(player_name, key, &key_len))
        return LOBBY_ERR_ARG;
    lobby *l = &set->lobbies[lobby_index];
    if (l->count >= l->capacity)
        return LOBBY_ERR_FULL;
    if (name_taken(l, key, key_len))
        return LOBBY_ERR_NAME_TAKEN;
    lobby_player *p = &l->players[l->count];
    memset(p, 0, sizeof *p);
    p->session = session;
    p->id = player_id;
    p->colour = pick_colour(l);
    copy_name(p->name, &p->name_len, player_name);
    memcpy(p->key, key, key_len);
    p->key_len = key_len;
    spawn_point(player_id, &p->x, &p->y);
    l->count++;
    l->idle = false;
    if (l->owner_id == 0 && !l->server_owned)
        l->owner_id = player_id;
    return lobby_index;
}

/* The longest-present member with a live connection, else the
 * longest-present one; 0 when the lobby is empty. */
static uint16_t next_owner(const lobby *l)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->players[i].session != LOBBY_NO_SESSION)
            return l->players[i].id;
    return l->count > 0 ? l->players[0].id : 0;
}

unsigned lobby_leave(lobby_set *set, int lobby_index, uint16_t player_id)
{
    lobby *l = &set->lobbies[lobby_index];
    lobby_player *p = lobby_player_find(l, player_id);
    if (p == NULL)
        return 0;
    /* Keep join order: later joiners shift down by one. */
    size_t after = (size_t)(&l->players[l->count - 1] - p);
    memmove(p, p + 1, after * sizeof *p);
    l->count--;
    unsigned changed = 0;
    if (lobby_cancel_countdown(l))
        changed |= LOBBY_LEFT_COUNTDOWN_CANCELLED;
    if (l->owner_id == player_id) {
        l->owner_id = next_owner(l);
        changed |= LOBBY_LEFT_OWNER_CHANGED;
    }
    if (l->count == 0)
        l->state = PROTO_LOBBY_OPEN;
    return changed;
}

int lobby_watch(lobby_set *set, proto_str lobby_name)
{
    int index = lobby_find(set, lobby_name);
    if (index < 0)
        index = lobby_open(set, lobby_name);
    if (index >= 0) {
        set->lobbies[index].watchers++;
        set->lobbies[index].idle = false;
    }
    return index;
}

void lobby_unwatch(lobby_set *set, int lobby_index)
{
    lobby *l = &set->lobbies[lobby_index];
    if (l->watchers > 0)
        l->watchers--;
}

lobby_player *lobby_player_find(lobby *l, uint16_t player_id)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->players[i].id == player_id)
            return &l->players[i];
    return NULL;
}

bool lobby_move(lobby_player *p, uint32_t seq, float x, float y)
{
    if (p->has_pos && !proto_seq_newer(seq, p->pos_seq))
        return false;
    p->has_pos = true;
    p->pos_seq = seq;
    p->x = proto_clamp_x(x);
    p->y = proto_clamp_y(y);
    return true;
}

uint32_t lobby_next_chat_seq(lobby *l)
{
    return ++l->chat_seq;
}

void lobby_remember_chat(lobby *l, uint32_t seq, uint16_t from_id, proto_str from_name,
                         proto_str text)
{
    lobby_chat_line *line = &l->history[seq % LOBBY_HISTORY];
    line->seq = seq;
    line->from_id = from_id;
    line->from_name_len =
        (uint8_t)(from_name.len < sizeof line->from_name ? from_name.len : sizeof line->from_name);
    memcpy(line->from_name, from_name.bytes, line->from_name_len);
    line->len = (uint16_t)(text.len < sizeof line->text ? text.len : sizeof line->text);
    memcpy(line->text, text.bytes, line->len);
}

const lobby_chat_line *lobby_chat_at(const lobby *l, uint32_t seq)
{
    const lobby_chat_line *line = &l->history[seq % LOBBY_HISTORY];
    return seq != 0 && line->seq == seq ? line : NULL;
}

/* Constant time in the token's content: a guesser learns nothing from timing. */
static bool token_equal(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < PROTO_TOKEN_BYTES; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

lobby_player *lobby_find_token(lobby_set *set, const uint8_t *token, int *lobby_index)
{
    lobby_player *found = NULL;
    for (uint32_t i = 0; i < set->max_lobbies; i++) {
        lobby *l = &set->lobbies[i];
        for (unsigned k = 0; l->in_use && k < l->count; k++) {
            if (token_equal(l->players[k].token, token) && found == NULL) {
                found = &l->players[k];
                *lobby_index = (int)i;
            }
        }
    }
    return found;
}

const char *lobby_strerror(int err)
{
    switch (err) {
    case LOBBY_OK:
        return "ok";
    case LOBBY_ERR_FULL:
        return "lobby is full";
    case LOBBY_ERR_NAME_TAKEN:
        return "name taken";
    case LOBBY_ERR_NO_SLOTS:
        return "no free lobby slots";
    case LOBBY_ERR_NOMEM:
        return "out of memory";
    case LOBBY_ERR_ARG:
        return "invalid argument";
    case LOBBY_ERR_WRONG_PASSWORD:
        return "wrong password";
    case LOBBY_ERR_STARTED:
        return "lobby is starting or in game";
    case LOBBY_ERR_KICKED:
        return "kicked from the lobby";
    case LOBBY_ERR_RTT_TOO_HIGH:
        return "round trip above the lobby's maximum";
    case LOBBY_ERR_EXISTS:
        return "a lobby of that name exists";
    case LOBBY_ERR_NOT_OWNER:
        return "not the lobby's owner";
    case LOBBY_ERR_NO_SUCH_PLAYER:
        return "no such member";
    case LOBBY_ERR_NOT_ALL_READY:
        return "not every member is ready";
    case LOBBY_ERR_BAD_VALUE:
        return "bad value";
    case LOBBY_ERR_BELOW_COUNT:
        return "capacity below the member count";
    case LOBBY_ERR_QUOTA:
        return "your address (or identity) has its share";
    }
    return "unknown lobby error";
}
