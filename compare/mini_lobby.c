#include "mini_lobby.h"

#include <stdlib.h>
#include <string.h>

int mini_lobby_create(ENetHost *host, bool packet_per_recipient, mini_lobby **out)
{
    mini_lobby *ml = calloc(1, sizeof *ml);
    if (ml == NULL)
        return -1;
    ml->players = calloc(host->peerCount, sizeof *ml->players);
    ml->rooms = calloc(host->peerCount, sizeof *ml->rooms);
    if (ml->players == NULL || ml->rooms == NULL) {
        mini_lobby_destroy(ml);
        return -1;
    }
    ml->host = host;
    ml->packet_per_recipient = packet_per_recipient;
    ml->next_id = 1;
    *out = ml;
    return 0;
}

void mini_lobby_destroy(mini_lobby *ml)
{
    if (ml == NULL)
        return;
    free(ml->players);
    free(ml->rooms);
    free(ml);
}

static uint32_t peer_index(const mini_lobby *ml, const ENetPeer *peer)
{
    return (uint32_t)(peer - ml->host->peers);
}

/* Hands packet to peer; returns 1 when ENet took it. */
static uint32_t send_packet(mini_lobby *ml, uint32_t to, uint8_t channel, ENetPacket *packet)
{
    if (enet_peer_send(&ml->host->peers[to], channel, packet) != 0)
        return 0;
    ml->stats.packets_sent++;
    return 1;
}

static ENetPacket *create_packet(mini_lobby *ml, size_t len, bool reliable)
{
    ml->stats.packets_created++;
    return enet_packet_create(ml->buf, len, reliable ? ENET_PACKET_FLAG_RELIABLE : 0);
}

/* A packet nobody took would leak: ENet frees only what it was given. */
static void release_if_unused(ENetPacket *packet)
{
    if (packet != NULL && packet->referenceCount == 0)
        enet_packet_destroy(packet);
}

static void send_one(mini_lobby *ml, uint32_t to, const proto_msg *m, uint8_t channel,
                     bool reliable)
{
    int len = proto_encode(m, ml->buf, sizeof ml->buf);
    if (len <= 0)
        return;
    ENetPacket *packet = create_packet(ml, (size_t)len, reliable);
    if (packet != NULL)
        send_packet(ml, to, channel, packet);
    release_if_unused(packet);
}

uint32_t mini_lobby_broadcast(mini_lobby *ml, const mini_room *r, uint32_t except,
                              const proto_msg *m, uint8_t channel, bool reliable)
{
    int len = proto_encode(m, ml->buf, sizeof ml->buf);
    if (len <= 0)
        return 0;
    uint32_t sent = 0;
    ENetPacket *shared = NULL;
    for (unsigned i = 0; i < r->count; i++) {
        uint32_t to = r->members[i];
        if (to == except)
            continue;
        if (ml->packet_per_recipient || shared == NULL) {
            release_if_unused(shared);
            shared = create_packet(ml, (size_t)len, reliable);
            if (shared == NULL)
                break;
        }
        sent += send_packet(ml, to, channel, shared);
    }
    release_if_unused(shared);
    return sent;
}

void mini_lobby_take_entry(mini_player *p, proto_snapshot_entry *out)
{
    *out = (proto_snapshot_entry){.id = p->id,
                                  .seq = p->pos_seq,
                                  .sent_us = p->pos_sent_us,
                                  .x = p->x,
                                  .y = p->y,
                                  .merged = p->merged};
    p->moved = false;
    p->merged = 0;
}

void mini_lobby_disconnect_all(mini_lobby *ml)
{
    for (size_t i = 0; i < ml->host->peerCount; i++) {
        ENetPeer *p = &ml->host->peers[i];
        if (p->state == ENET_PEER_STATE_CONNECTED)
            enet_peer_disconnect_now(p, PROTO_REASON_SHUTTING_DOWN);
    }
}

/* ---- the lobby table ------------------------------------------------------ */

static proto_str str_of(const char *bytes, size_t len)
{
    return (proto_str){bytes, len};
}

/* The room called name, opened if nobody is in it; MINI_NO_ROOM never
 * happens while there are as many rooms as peers, but is checked anyway. */
static uint32_t find_room(mini_lobby *ml, proto_str name)
{
    uint32_t free_slot = MINI_NO_ROOM;
    for (uint32_t i = 0; i < ml->host->peerCount; i++) {
        mini_room *r = &ml->rooms[i];
        if (!r->in_use) {
            if (free_slot == MINI_NO_ROOM)
                free_slot = i;
        } else if (proto_str_eq(str_of(r->name, r->name_len), name)) {
            return i;
        }
    }
    if (free_slot != MINI_NO_ROOM) {
        mini_room *r = &ml->rooms[free_slot];
        *r = (mini_room){.in_use = true, .name_len = (uint8_t)name.len};
        memcpy(r->name, name.bytes, name.len);
    }
    return free_slot;
}

static void leave_room(mini_lobby *ml, uint32_t who)
{
    mini_room *r = &ml->rooms[ml->players[who].room];
    for (unsigned i = 0; i < r->count; i++) {
        if (r->members[i] != who)
            continue;
        memmove(&r->members[i], &r->members[i + 1], (r->count - i - 1) * sizeof r->members[0]);
        r->count--;
        break;
    }
    r->in_use = r->count > 0;
    ml->players[who].joined = false;
}

static void fill_player(const mini_player *p, proto_player *out)
{
    *out = (proto_player){.id = p->id,
                          .colour = p->colour,
                          .name = str_of(p->name, p->name_len),
                          .x = p->x,
                          .y = p->y};
}

/* A spread of spawn points and colours, so a window shows players apart. */
static void place_player(mini_player *p, uint16_t id, proto_str name)
{
    *p = (mini_player){.joined = true, .id = id, .name_len = (uint8_t)name.len};
    memcpy(p->name, name.bytes, name.len);
    p->colour = (id * 2654435761u) & 0xFFFFFFu;
    p->x = (float)(100 + (id * 37) % 1000);
    p->y = (float)(100 + (id * 53) % 600);
}

static void reject(mini_lobby *ml, uint32_t who, proto_reason reason)
{
    proto_msg m = {.type = PROTO_REJECT};
    m.u.reject.reason = (uint8_t)reason;
    m.u.reject.text = proto_str_from_cstr(proto_reason_text(reason));
    send_one(ml, who, &m, PROTO_CHANNEL_RELIABLE, true);
    enet_peer_disconnect_later(&ml->host->peers[who], reason);
}

static void send_welcome(mini_lobby *ml, uint32_t who, const mini_room *r)
{
    proto_msg m = {.type = PROTO_WELCOME}; /* the token stays zeros: no resuming here */
    m.u.welcome.your_id = ml->players[who].id;
    m.u.welcome.capacity = MINI_ROOM_CAPACITY;
    m.u.welcome.lobby = str_of(r->name, r->name_len);
    m.u.welcome.count = r->count;
    for (unsigned i = 0; i < r->count; i++)
        fill_player(&ml->players[r->members[i]], &m.u.welcome.players[i]);
    send_one(ml, who, &m, PROTO_CHANNEL_RELIABLE, true);
}

static void on_hello(mini_lobby *ml, uint32_t who, const proto_msg *m)
{
    if (ml->players[who].joined)
        return; /* one seat per connection, or the tables would disagree */
    proto_str lobby_name = m->u.hello.lobby;
    if (lobby_name.len == 0)
        lobby_name = proto_str_from_cstr(PROTO_DEFAULT_LOBBY);
    uint32_t room = find_room(ml, lobby_name);
    if (room == MINI_NO_ROOM || ml->rooms[room].count == MINI_ROOM_CAPACITY) {
        reject(ml, who, PROTO_REASON_LOBBY_FULL);
        return;
    }
    mini_room *r = &ml->rooms[room];
    mini_player *p = &ml->players[who];
    place_player(p, ml->next_id, m->u.hello.name);
    ml->next_id = ml->next_id == UINT16_MAX ? 1 : ml->next_id + 1; /* 0 is nobody */
    p->room = room;
    r->members[r->count++] = (uint16_t)who;
    ml->stats.joins++;
    send_welcome(ml, who, r);
    proto_msg joined = {.type = PROTO_PLAYER_JOINED};
    fill_player(p, &joined.u.joined);
    mini_lobby_broadcast(ml, r, who, &joined, PROTO_CHANNEL_RELIABLE, true);
}

static void on_chat(mini_lobby *ml, uint32_t who, const proto_msg *m)
{
    mini_room *r = &ml->rooms[ml->players[who].room];
    proto_msg ack = {.type = PROTO_CHAT_ACK};
    ack.u.chat_ack.msg_id = m->u.chat.msg_id;
    ack.u.chat_ack.seq = ++r->chat_seq;
    send_one(ml, who, &ack, PROTO_CHANNEL_RELIABLE, true);
    proto_msg relay = {.type = PROTO_CHAT_RELAY};
    relay.u.chat_relay.from_id = ml->players[who].id;
    relay.u.chat_relay.seq = r->chat_seq;
    relay.u.chat_relay.text = m->u.chat.text;
    mini_lobby_broadcast(ml, r, who, &relay, PROTO_CHANNEL_RELIABLE, true);
    ml->stats.chats++;
}

/* Newest wins: channel 1 is sequenced, so ENet already dropped older ones. */
static mini_player *on_position(mini_lobby *ml, uint32_t who, const proto_msg *m)
{
    mini_player *p = &ml->players[who];
    p->pos_seq = m->u.position.seq;
    p->pos_sent_us = m->u.position.sent_us;
    p->x = proto_clamp_x(m->u.position.x);
    p->y = proto_clamp_y(m->u.position.y);
    if (p->moved && p->merged < UINT8_MAX)
        p->merged++;
    p->moved = true;
    ml->stats.positions_in++;
    return p;
}

static void on_ping(mini_lobby *ml, uint32_t who, const proto_msg *m, uint64_t now_us)
{
    proto_msg pong = {.type = PROTO_PONG};
    pong.u.pong.client_us = m->u.ping.client_us;
    pong.u.pong.server_us = now_us;
    send_one(ml, who, &pong, PROTO_CHANNEL_RELIABLE, true);
    ml->stats.pings++;
}

static mini_player *on_receive(mini_lobby *ml, uint32_t who, const ENetPacket *packet,
                               uint64_t now_us)
{
    proto_msg m;
    if (proto_decode(packet->data, packet->dataLength, &m) != PROTO_OK)
        return NULL;
    bool joined = ml->players[who].joined;
    switch (m.type) {
    case PROTO_HELLO:
        on_hello(ml, who, &m);
        break;
    case PROTO_CHAT:
        if (joined)
            on_chat(ml, who, &m);
        break;
    case PROTO_POSITION:
        return joined ? on_position(ml, who, &m) : NULL;
    case PROTO_PING:
        on_ping(ml, who, &m, now_us);
        break;
    default:
        break; /* a server-to-client type: nothing to answer */
    }
    return NULL;
}

static void on_connect(ENetPeer *peer)
{
    /* As lobby-server: its default --timeout-ms, and no throttle, which
     * would drop unreliable snapshots and look like network loss. */
    enet_peer_timeout(peer, ENET_PEER_TIMEOUT_LIMIT, 5000, 5000);
    enet_peer_throttle_configure(peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                 ENET_PEER_PACKET_THROTTLE_SCALE, 0);
}

static void on_disconnect(mini_lobby *ml, uint32_t who, uint32_t data)
{
    if (!ml->players[who].joined)
        return;
    mini_room *r = &ml->rooms[ml->players[who].room];
    proto_msg left = {.type = PROTO_PLAYER_LEFT};
    left.u.left.id = ml->players[who].id;
    left.u.left.reason = data == PROTO_REASON_QUIT ? PROTO_LEAVE_QUIT : PROTO_LEAVE_TIMEOUT;
    leave_room(ml, who);
    mini_lobby_broadcast(ml, r, who, &left, PROTO_CHANNEL_RELIABLE, true);
}

mini_player *mini_lobby_handle(mini_lobby *ml, const ENetEvent *ev, uint64_t now_us)
{
    if (ev->peer == NULL)
        return NULL; /* ENET_EVENT_TYPE_NONE */
    uint32_t who = peer_index(ml, ev->peer);
    mini_player *moved = NULL;
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT:
        on_connect(ev->peer);
        break;
    case ENET_EVENT_TYPE_RECEIVE:
        moved = on_receive(ml, who, ev->packet, now_us);
        enet_packet_destroy(ev->packet);
        break;
    case ENET_EVENT_TYPE_DISCONNECT:
        on_disconnect(ml, who, ev->data);
        break;
    case ENET_EVENT_TYPE_NONE:
        break;
    }
    return moved;
}
