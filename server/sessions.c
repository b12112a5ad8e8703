/* The session table (sessions.h). */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sessions {
    session *slots;
    uint32_t max_sessions;
    uint32_t open_count;   /* connections not yet released */
    uint32_t player_count; /* player ids claimed: joined players and held seats */
    uint16_t next_player_id;
    uint8_t player_id_used[SESSIONS_PLAYER_ID_SPACE / 8];
};

int sessions_create(uint32_t max_sessions, sessions **out)
{
    sessions *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -1;
    t->slots = calloc(max_sessions, sizeof *t->slots);
    if (t->slots == NULL) {
        free(t);
        return -1;
    }
    t->max_sessions = max_sessions;
    t->next_player_id = 1;
    *out = t;
    return 0;
}

void sessions_destroy(sessions *t)
{
    if (t == NULL)
        return;
    free(t->slots);
    free(t);
}

uint32_t sessions_open_count(const sessions *t)
{
    return t->open_count;
}

bool sessions_player_room(const sessions *t, uint32_t slot, uint32_t max_players)
{
    return sessions_at(t, slot)->state == SESSION_JOINED || sessions_player_count(t) < max_players;
}

uint32_t sessions_player_count(const sessions *t)
{
    return t->player_count;
}

const session *sessions_at(const sessions *t, uint32_t slot)
{
    return &t->slots[slot];
}

session_ref sessions_ref(const sessions *t, uint32_t slot)
{
    session_ref ref = {slot, t->slots[slot].gen};
    return ref;
}

const session *sessions_resolve(const sessions *t, session_ref ref)
{
    if (ref.slot >= t->max_sessions)
        return NULL;
    const session *se = &t->slots[ref.slot];
    return se->state != SESSION_FREE && se->gen == ref.gen ? se : NULL;
}

bool sessions_open(sessions *t, uint32_t slot, const char *label, uint32_t ip, uint64_t now_us)
{
    if (slot >= t->max_sessions || t->slots[slot].state != SESSION_FREE)
        return false;
    session *se = &t->slots[slot];
    uint32_t gen = se->gen + 1;
    memset(se, 0, sizeof *se);
    se->gen = gen;
    se->state = SESSION_HANDSHAKE;
    se->connected_us = now_us;
    se->last_request_us = now_us;
    se->ip = ip;
    se->holder = ip;
    se->lobby.index = -1;
    snprintf(se->label, sizeof se->label, "%s", label);
    t->open_count++;
    return true;
}

void sessions_set_holder(sessions *t, uint32_t slot, uint64_t holder)
{
    t->slots[slot].holder = holder;
}

void sessions_note_request(sessions *t, uint32_t slot, uint64_t now_us)
{
    t->slots[slot].last_request_us = now_us;
}

uint32_t sessions_count_from(const sessions *t, uint32_t ip, session_state state)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->max_sessions; i++)
        n += t->slots[i].state == state && t->slots[i].ip == ip;
    return n;
}

void sessions_release(sessions *t, uint32_t slot)
{
    t->slots[slot].state = SESSION_FREE;
    t->open_count--;
}

void sessions_mark_closing(sessions *t, uint32_t slot)
{
    t->slots[slot].state = SESSION_CLOSING;
}

void sessions_restrict_lobby(sessions *t, uint32_t slot, const char *key, uint8_t key_len)
{
    session *se = &t->slots[slot];
    if (key_len > sizeof se->lobby_only)
        key_len = 0;
    memcpy(se->lobby_only, key, key_len);
    se->lobby_only_len = key_len;
}

void sessions_set_ticket(sessions *t, uint32_t slot, uint8_t kind, const char *key, uint8_t key_len)
{
    session *se = &t->slots[slot];
    if (key_len > sizeof se->ticket_lobby)
        kind = 0;
    se->ticket_kind = kind;
    se->ticket_lobby_len = kind != 0 ? key_len : 0;
    if (se->ticket_lobby_len > 0)
        memcpy(se->ticket_lobby, key, se->ticket_lobby_len);
}

void sessions_set_name(sessions *t, uint32_t slot, proto_str name)
{
    session *se = &t->slots[slot];
    size_t len = name.len < PROTO_MAX_NAME_BYTES ? name.len : PROTO_MAX_NAME_BYTES;
    memmove(se->name, name.bytes, len); /* name may be se->name itself */
    se->name[len] = '\0';
    se->name_len = (uint8_t)len;
}

void sessions_bind(sessions *t, uint32_t slot, uint16_t player_id, lobby_ref where,
                   proto_str seat_name)
{
    session *se = &t->slots[slot];
    se->state = SESSION_JOINED;
    se->player_id = player_id;
    se->lobby = where;
    sessions_set_name(t, slot, seat_name);
}

void sessions_to_browsing(sessions *t, uint32_t slot, uint32_t tick)
{
    session *se = &t->slots[slot];
    if (se->state == SESSION_JOINED) { /* not a HELLO BROWSE */
        se->left_lobby = true;
        se->left_lobby_tick = tick;
    }
    se->state = SESSION_BROWSING;
    se->player_id = 0;
    se->lobby.index = -1;
}

void sessions_fresh_limits(sessions *t, uint32_t slot, const double burst[SESSION_BUCKETS],
                           uint64_t now_us)
{
    for (int b = 0; b < SESSION_BUCKETS; b++)
        rate_bucket_init(&t->slots[slot].buckets[b], burst[b], now_us);
}

rate_bucket *sessions_bucket(sessions *t, uint32_t slot, session_bucket which)
{
    return &t->slots[slot].buckets[which];
}

bool sessions_note_malformed(sessions *t, uint32_t slot, uint64_t now_us, uint64_t interval_us,
                             uint32_t *unlogged)
{
    session *se = &t->slots[slot];
    se->malformed++;
    if (se->malformed_ever_logged && now_us - se->malformed_logged_us < interval_us) {
        se->malformed_unlogged++;
        return false;
    }
    *unlogged = se->malformed_unlogged;
    se->malformed_ever_logged = true;
    se->malformed_logged_us = now_us;
    se->malformed_unlogged = 0;
    return true;
}

static uint16_t clamp_u16(uint32_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

void sessions_note_link(sessions *t, uint32_t slot, uint32_t rtt_ms, uint32_t jitter_ms,
                        uint32_t loss_permyriad)
{
    session *se = &t->slots[slot];
    se->link_measured = true;
    se->link.rtt_ms = clamp_u16(rtt_ms);
    se->link.jitter_ms = clamp_u16(jitter_ms);
    se->link.loss_permyriad =
        (uint16_t)(loss_permyriad > PROTO_MAX_LOSS_PERMYRIAD ? PROTO_MAX_LOSS_PERMYRIAD
                                                             : loss_permyriad);
}

uint16_t sessions_claim_player_id(sessions *t)
{
    /* Ids are handed out in increasing order and skip ones still in use, so a
     * departed player's id is not reused until the counter wraps. */
    while (t->next_player_id == 0 ||
           (t->player_id_used[t->next_player_id / 8] & (1u << (t->next_player_id % 8))))
        t->next_player_id++;
    uint16_t id = t->next_player_id++;
    t->player_id_used[id / 8] |= (uint8_t)(1u << (id % 8));
    t->player_count++;
    return id;
}

void sessions_release_player_id(sessions *t, uint16_t id)
{
    t->player_id_used[id / 8] &= (uint8_t) ~(1u << (id % 8));
    t->player_count--;
}
