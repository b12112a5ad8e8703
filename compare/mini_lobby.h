/* The smallest lobby that lobby-bench's bots accept, shared by the two
 * comparison servers (lobby-floor, lobby-naive-relay): a table of players
 * by ENet peer index, lobbies by name, and the handshake, chat and ping
 * answers of the real protocol. It trusts the decoder and nothing else
 * (no text rules, rate limits or logging per message): it exists to
 * measure what ENet and the kernel cost for lobby-server's traffic.
 *
 * How positions go out is what the two programs differ in, so it stays
 * with them: mini_lobby_handle only stores a position and returns its
 * player. */
#ifndef LOBBY_MINI_LOBBY_H
#define LOBBY_MINI_LOBBY_H

#include "proto.h"

#include <enet/enet.h>
#include <stdbool.h>
#include <stdint.h>

enum {
    MINI_NO_ROOM = UINT32_MAX,
    MINI_ROOM_CAPACITY = PROTO_MAX_LOBBY_PLAYERS, /* a WELCOME lists at most this many */
};

typedef struct mini_player {
    bool joined;
    uint16_t id;
    uint32_t room; /* index into mini_lobby.rooms while joined */
    uint32_t colour;
    uint8_t name_len;
    char name[PROTO_MAX_STR8_BYTES];
    float x, y;
    uint32_t pos_seq;
    uint64_t pos_sent_us;
    bool moved;     /* since its last snapshot entry */
    uint8_t merged; /* positions its newest one replaced since then */
} mini_player;

typedef struct mini_room {
    bool in_use;
    uint8_t name_len;
    char name[PROTO_MAX_STR8_BYTES];
    uint8_t count;
    uint16_t members[MINI_ROOM_CAPACITY]; /* peer indices, in join order */
    uint32_t chat_seq;
} mini_room;

typedef struct mini_stats {
    uint64_t joins;
    uint64_t positions_in;
    uint64_t chats;
    uint64_t pings;
    uint64_t packets_created; /* enet_packet_create calls */
    uint64_t packets_sent;    /* enet_peer_send calls that took the packet */
} mini_stats;

typedef struct mini_lobby {
    ENetHost *host;
    /* false: one ENet packet per message, shared by every recipient (as
     * lobby-server does); true: a packet of its own for each recipient (as
     * the ENet tutorial does). */
    bool packet_per_recipient;
    uint16_t next_id;
    mini_player *players; /* host->peerCount, by peer index */
    mini_room *rooms;     /* host->peerCount: a room has at least one player */
    mini_stats stats;
    uint8_t buf[PROTO_MAX_MESSAGE_BYTES]; /* encoding scratch */
} mini_lobby;

/* Allocates the tables for host's peers; host stays the caller's. Returns 0,
 * or -1 when out of memory. */
int mini_lobby_create(ENetHost *host, bool packet_per_recipient, mini_lobby **out);
void mini_lobby_destroy(mini_lobby *ml);

/* Handles one event of ml's host (and destroys its packet). Returns the
 * player whose POSITION it stored, or NULL for any other event. */
mini_player *mini_lobby_handle(mini_lobby *ml, const ENetEvent *ev, uint64_t now_us);

/* Sends m to the room's members except the one on peer index `except`
 * (UINT32_MAX: none). Returns the number of recipients. */
uint32_t mini_lobby_broadcast(mini_lobby *ml, const mini_room *r, uint32_t except,
                              const proto_msg *m, uint8_t channel, bool reliable);

/* The player's newest position as a snapshot entry; clears moved/merged. */
void mini_lobby_take_entry(mini_player *p, proto_snapshot_entry *out);

/* Disconnects every connected peer now, with reason SHUTTING_DOWN. */
void mini_lobby_disconnect_all(mini_lobby *ml);

#endif
