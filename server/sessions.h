/* The session table: one slot per connection, indexed by the transport's
 * handle. This module alone writes session fields; the rest of the core
 * reads them through sessions_at (const) and changes them through the
 * functions below. It also hands out player ids and keeps the admission
 * counts (connections, joined players).
 *
 * A slot is reused after its connection is gone; each reuse bumps the
 * slot's generation, so a session_ref kept from before resolves to nothing
 * (sessions_resolve) instead of to the newcomer. */
#ifndef LOBBY_SESSIONS_H
#define LOBBY_SESSIONS_H

#include "lobby.h"
#include "proto.h"
#include "ratelimit.h"

#include <stdbool.h>
#include <stdint.h>

enum { SESSIONS_PLAYER_ID_SPACE = 65536 };

typedef enum session_state {
    SESSION_FREE = 0,
    SESSION_HANDSHAKE, /* connected, waiting for hello */
    SESSION_BROWSING,  /* at the lobby list: a name, no player id, no lobby */
    SESSION_JOINED,
    SESSION_CLOSING, /* disconnect queued; input ignored until ENet reports it gone */
} session_state;

/* Which of a session's rate buckets (sessions_bucket). */
typedef enum session_bucket {
    SESSION_BUCKET_CHAT = 0,
    SESSION_BUCKET_FLOOD, /* drained by rate-limited chats; empty: kicked */
    SESSION_BUCKET_LOBBY, /* lobby requests (list, create, join, ready, ...) */
    SESSION_BUCKET_POSITION,
    SESSION_BUCKETS,
} session_bucket;

typedef struct session {
    session_state state;
    uint32_t gen; /* bumped each time the slot is opened */
    uint64_t connected_us;
    uint64_t last_request_us; /* the hello or the last lobby request: browse idle expiry */
    uint32_t ip;              /* IPv4 address, network order: per-address quotas */
    /* Who is charged for what outlives the connection (held seats, kick
     * bans, lobbies created): the ip, or (1 << 63) | the player id of a
     * verified identity token (sessions_set_holder). */
    uint64_t holder;
    char label[64];
    uint8_t name_len; /* from the hello (or the seat taken back) */
    char name[PROTO_MAX_NAME_BYTES + 1];
    uint16_t player_id; /* JOINED only: claimed on each join, released on leave */
    lobby_ref lobby;    /* JOINED only; index -1 otherwise */
    rate_bucket buckets[SESSION_BUCKETS];
    uint32_t malformed;
    uint32_t malformed_unlogged;
    uint64_t malformed_logged_us;
    bool malformed_ever_logged;
    proto_member_stat link; /* id unused; see sessions_note_link */
    bool link_measured;     /* sessions_note_link has been called: link.rtt_ms is real */
    /* When it last went from a lobby to the list (sessions_to_browsing), in
     * snapshot ticks: a POSITION soon after was in flight, not misplaced. */
    bool left_lobby;
    uint32_t left_lobby_tick;
    /* The only lobby its identity token lets it join (the lobby name
     * rules' key, lobby_name_key); length 0: any lobby. */
    uint8_t lobby_only_len;
    char lobby_only[LOBBY_NAME_KEY_BYTES];
    /* A cluster ticket its HELLO carried, verified (docs/CLUSTER.md): the
     * kind (0: none) and the lobby's key it names. A JOIN ticket takes the
     * seat held for it; either kind makes the lobby open here, not be
     * placed elsewhere. Kept until the session joins that lobby. */
    uint8_t ticket_kind;
    uint8_t ticket_lobby_len;
    char ticket_lobby[LOBBY_NAME_KEY_BYTES];
} session;

/* A long-lived reference to a session: its slot and the slot's generation. */
typedef struct session_ref {
    uint32_t slot;
    uint32_t gen;
} session_ref;

/* The table; opaque, so that no other file can write a session. */
typedef struct sessions sessions;

/* A table of max_sessions free slots in *out; 0, or -1 when out of memory. */
int sessions_create(uint32_t max_sessions, sessions **out);
void sessions_destroy(sessions *t); /* NULL: nothing */

/* Connections opened and not yet released. */
uint32_t sessions_open_count(const sessions *t);
/* Player ids claimed: joined players and seats held for reconnecting ones. */
uint32_t sessions_player_count(const sessions *t);

/* Admission: true when the session in slot may become a player without
 * passing max_players (a joined one moving between lobbies keeps its id,
 * so it always may). */
bool sessions_player_room(const sessions *t, uint32_t slot, uint32_t max_players);

/* The session in slot (< max_sessions), read-only. */
const session *sessions_at(const sessions *t, uint32_t slot);
/* A reference to the session now in slot. */
session_ref sessions_ref(const sessions *t, uint32_t slot);
/* The session ref names, or NULL when its slot was freed or reused since. */
const session *sessions_resolve(const sessions *t, session_ref ref);

/* A new connection from ip (network order) in a free slot: HANDSHAKE,
 * label copied, holder the ip, counted. False (nothing changed) when slot is
 * out of range or in use. */
bool sessions_open(sessions *t, uint32_t slot, const char *label, uint32_t ip, uint64_t now_us);
/* Charges the session's lasting resources to holder from now on (a verified
 * identity: (1ull << 63) | its player id). */
void sessions_set_holder(sessions *t, uint32_t slot, uint64_t holder);
/* The session made a request (the hello, a lobby request): not idle. */
void sessions_note_request(sessions *t, uint32_t slot, uint64_t now_us);
/* Open sessions from ip in state. */
uint32_t sessions_count_from(const sessions *t, uint32_t ip, session_state state);
/* The connection is gone: the slot is free, and refs to it are stale. */
void sessions_release(sessions *t, uint32_t slot);
/* A disconnect is queued: its input is ignored from now on. */
void sessions_mark_closing(sessions *t, uint32_t slot);

/* Its identity token's lobby, as a lobby name key (len 0: any lobby). */
void sessions_restrict_lobby(sessions *t, uint32_t slot, const char *key, uint8_t key_len);

/* The name from the hello (already checked). */
/* Records a verified ticket's kind and lobby key (kind 0 forgets it). */
void sessions_set_ticket(sessions *t, uint32_t slot, uint8_t kind, const char *key,
                         uint8_t key_len);
void sessions_set_name(sessions *t, uint32_t slot, proto_str name);
/* The session is the connection of player_id in lobby `where` now (a join, or a
 * seat taken back), with the seat's name. */
void sessions_bind(sessions *t, uint32_t slot, uint16_t player_id, lobby_ref where,
                   proto_str seat_name);
/* The session is at the lobby list (no player id, no lobby); tick is the
 * snapshot tick, remembered when it comes from a lobby. */
void sessions_to_browsing(sessions *t, uint32_t slot, uint32_t tick);
/* Full buckets, each with its burst: at the hello, and when a seat is taken
 * back. Moving between lobbies keeps them. */
void sessions_fresh_limits(sessions *t, uint32_t slot, const double burst[SESSION_BUCKETS],
                           uint64_t now_us);
/* One of the session's rate buckets, to take a token from. */
rate_bucket *sessions_bucket(sessions *t, uint32_t slot, session_bucket which);

/* Counts a malformed message. True when it should be logged now (the first,
 * then at most one per interval_us): *unlogged receives how many were not
 * logged since the last logged one. */
bool sessions_note_malformed(sessions *t, uint32_t slot, uint64_t now_us, uint64_t interval_us,
                             uint32_t *unlogged);
/* The transport's measure of the session's link (ms, 1/10000), clamped. */
void sessions_note_link(sessions *t, uint32_t slot, uint32_t rtt_ms, uint32_t jitter_ms,
                        uint32_t loss_permyriad);

/* A player id not in use (never 0), counted as a player; max_players below
 * 65535 guarantees one. */
uint16_t sessions_claim_player_id(sessions *t);
/* The player is gone: its id is free and no longer counted. */
void sessions_release_player_id(sessions *t, uint16_t id);

#endif
