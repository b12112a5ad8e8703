/* Lobbies and their players as plain data: no sockets, no clock, no logging.
 * The server core decides what to send; this module answers who is where,
 * who receives what, and enforces the lobby rules (capacity, unique names,
 * stale positions, world bounds). */
#ifndef LOBBY_LOBBY_H
#define LOBBY_LOBBY_H

#include "proto.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    LOBBY_NO_SESSION = UINT32_MAX, /* a held seat: the player is reconnecting */
    LOBBY_HISTORY = 64,            /* chat lines kept per lobby for replay */
    LOBBY_NAME_KEY_BYTES = 128,    /* a name after NFKC and case folding */
};

typedef struct lobby_player {
    uint32_t session; /* the caller's handle for this connection, or LOBBY_NO_SESSION */
    uint8_t token[PROTO_TOKEN_BYTES]; /* what a reconnecting client must present */
    uint64_t away_since_us;           /* when the seat started being held */
    uint16_t id;
    uint32_t colour;
    uint8_t name_len;
    char name[PROTO_MAX_NAME_BYTES + 1];
    /* The name as compared for uniqueness: NFKC-normalised and case-folded,
     * so "Bob", "BOB" and "ｂｏｂ" are one name. */
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES];
    float x, y;
    uint32_t pos_seq;     /* newest accepted position sequence */
    uint64_t pos_sent_us; /* the sender's clock for it, passed on for latency figures */
    bool has_pos;         /* false until the first position arrives */
    bool moved;           /* a position arrived since the last snapshot */
    uint8_t merged;       /* ...and how many before it it replaced (saturating) */
} lobby_player;

/* One accepted chat line, kept so a reconnecting player gets what it missed.
 * A line from a text client (not a player) has from_id 0 and its sender's
 * name, since no player record names it. */
typedef struct lobby_chat_line {
    uint32_t seq;
    uint16_t from_id; /* 0: a text client, see from_name */
    uint8_t from_name_len;
    char from_name[PROTO_MAX_NAME_BYTES];
    uint16_t len;
    char text[PROTO_MAX_CHAT_BYTES];
} lobby_chat_line;

typedef struct lobby {
    bool in_use;
    uint8_t name_len;
    char name[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    uint32_t chat_seq; /* last sequence number given to an accepted chat */
    uint32_t watchers; /* text clients reading this lobby's chat: keep it open */
    uint8_t count;
    lobby_player players[PROTO_MAX_LOBBY_PLAYERS]; /* [0, count), in join order */
    lobby_chat_line history[LOBBY_HISTORY];        /* ring, by seq % LOBBY_HISTORY */
} lobby;

typedef struct lobby_set {
    lobby *lobbies;
    uint32_t max_lobbies;
    uint8_t capacity; /* players per lobby */
} lobby_set;

typedef enum lobby_error {
    LOBBY_OK = 0,
    LOBBY_ERR_FULL = -1,       /* the lobby has capacity players */
    LOBBY_ERR_NAME_TAKEN = -2, /* a player of that name is in the lobby */
    LOBBY_ERR_NO_SLOTS = -3,   /* max_lobbies are open */
    LOBBY_ERR_NOMEM = -4,
    LOBBY_ERR_ARG = -5, /* capacity or name out of range */
} lobby_error;

/* Allocates max_lobbies slots and opens the default lobby. capacity is
 * 1..PROTO_MAX_LOBBY_PLAYERS. Returns LOBBY_OK or a negative lobby_error. */
int lobby_set_init(lobby_set *set, uint32_t max_lobbies, uint8_t capacity);
void lobby_set_deinit(lobby_set *set);

/* Index of the open lobby called name, or -1. */
int lobby_find(const lobby_set *set, proto_str name);

/* Adds a player to the lobby called name, opening it when absent. The caller
 * has validated both names. On success returns the lobby index and the new
 * player is the lobby's last entry. */
int lobby_join(lobby_set *set, proto_str lobby_name, proto_str player_name, uint32_t session,
               uint16_t player_id);

/* Removes the player; a lobby other than the default one closes when it has
 * neither players nor watchers. */
void lobby_leave(lobby_set *set, int lobby_index, uint16_t player_id);

/* A watcher (a text client: no seat, no position) of the lobby called name,
 * opening it when absent. Returns the lobby index, or LOBBY_ERR_NO_SLOTS /
 * LOBBY_ERR_ARG. The lobby stays open until lobby_unwatch. */
int lobby_watch(lobby_set *set, proto_str lobby_name);
/* Ends a watch from lobby_watch; the lobby closes as in lobby_leave. */
void lobby_unwatch(lobby_set *set, int lobby_index);

lobby_player *lobby_player_find(lobby *l, uint16_t player_id);

/* Applies a position update: false (and no change) when seq is not newer
 * than the last accepted one. Coordinates are clamped to the world. */
bool lobby_move(lobby_player *p, uint32_t seq, float x, float y);

/* Gives the next chat sequence number of the lobby. */
uint32_t lobby_next_chat_seq(lobby *l);

/* Keeps an accepted chat line (seq from lobby_next_chat_seq) for replay. */
void lobby_remember_chat(lobby *l, uint32_t seq, uint16_t from_id, proto_str text);
/* The same for a text client's line: from_id 0 and the sender's name (cut to
 * PROTO_MAX_NAME_BYTES, which the caller has already enforced). */
void lobby_remember_text_chat(lobby *l, uint32_t seq, proto_str from_name, proto_str text);
/* The kept line with this seq, or NULL when it has scrolled out. */
const lobby_chat_line *lobby_chat_at(const lobby *l, uint32_t seq);

/* The player whose token equals token, compared in constant time; NULL when
 * none. *lobby_index receives its lobby. */
lobby_player *lobby_find_token(lobby_set *set, const uint8_t *token, int *lobby_index);

const char *lobby_strerror(int err);

#endif
