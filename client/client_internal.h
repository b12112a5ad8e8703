/* The client core's private parts, shared by client.c (connection, view,
 * events), client_net.c (the ENet host) and client_lobby.c (lobbies). */
#ifndef LOBBY_CLIENT_INTERNAL_H
#define LOBBY_CLIENT_INTERNAL_H

#include "client.h"

#include <enet/enet.h>

/* Pending events, oldest first: a growable ring, so no event is ever dropped
 * however long the caller waits between drains. Its capacity is a power of
 * two, so indices wrap with a mask instead of a division. */
typedef struct event_queue {
    client_event *items;
    size_t head, count, cap;
} event_queue;

/* The ENet host behind one or many clients. Each client owns at most one of
 * its peers at a time, and the peer's data points back at that client (NULL
 * while no client owns it), so an event is handed to the client whose
 * connection it belongs to and never to a client that reused the slot. */
struct client_net {
    ENetHost *host;
    client **clients; /* registered clients, any order; cap = max_clients */
    size_t count, cap;
    client **ready; /* clients with events not yet announced to the caller */
    size_t ready_count;
    uint64_t next_due_us; /* no client has a timer before this */
    uint64_t now_us;      /* of the current update: ENet's intercept gets no time */
    client_traffic traffic;
};

struct client {
    client_config cfg;
    client_net *net;
    bool owns_net; /* client_create: a private net, destroyed with the client */
    size_t net_slot;
    bool in_ready;
    uint64_t due_us; /* its next timer (handshake timeout, reconnection) */
    /* Sent as given, even when too long or invalid: the server is the judge
     * and answers with a reasoned reject. */
    char name[PROTO_MAX_STR8_BYTES + 1];
    char lobby[PROTO_MAX_STR8_BYTES + 1];
    uint8_t identity[PROTO_MAX_STR8_BYTES]; /* cfg.identity_token_len bytes */
    ENetPeer *peer; /* NULL between connections: the slot may serve another client */
    ENetAddress addr;
    uint64_t started_us;
    /* CONNECTING starts with the cookie exchange (docs/PROTOCOL.md): no
     * peer yet, a request sent every CLIENT_COOKIE_RESEND_MS until a reply
     * with our nonce comes from the server's address. */
    bool awaiting_cookie;
    uint32_t cookie_nonce;
    uint64_t cookie_sent_us;
    bool leaving;
    uint8_t token[PROTO_TOKEN_BYTES];
    bool has_token;
    uint32_t attempt; /* reconnection attempts since the last join */
    /* After a REJECT the server disconnects the rejected connection: wait for
     * that (up to timeout_ms) before reconnecting, or its late DISCONNECT
     * would kill the new attempt, which ENet cannot tell apart. */
    bool await_close;
    uint64_t await_close_until_us;
    uint64_t jitter_state;
    uint32_t next_msg_id;
    uint32_t next_pos_seq;
    /* Lobbies: the password of the lobby we join (HELLO JOIN), and where
     * a reconnection without a seat to resume goes: the list (HELLO
     * BROWSE) or the lobby we were in (HELLO JOIN). */
    char password[PROTO_MAX_PASSWORD_BYTES + 1];
    bool at_list;
    /* A CREATE_LOBBY or JOIN_LOBBY is on its way: its WELCOME makes its
     * lobby and password ours. */
    bool move_pending;
    char move_password[PROTO_MAX_PASSWORD_BYTES + 1];
    uint32_t next_request_id;
    /* Redirects (client_redirect.c). The ticket goes in every HELLO until
     * a lobby or the list is reached or the connection is over. */
    uint8_t ticket[PROTO_MAX_STR8_BYTES];
    size_t ticket_len;
    uint32_t redirects;       /* followed in a row without reaching a lobby */
    bool redirect_connecting; /* to a redirect's target: failing to reach it ends us */
    char redirect_target[PROTO_MAX_STR8_BYTES + 8]; /* "HOST:PORT", for errors */
    /* The last CREATE_LOBBY's settings, sent again at the target's lobby
     * list when replay_create (its strings point at create_name and
     * create_password). */
    bool replay_create;
    client_lobby_settings create;
    char create_name[PROTO_MAX_STR8_BYTES + 1];
    char create_password[PROTO_MAX_PASSWORD_BYTES + 1];
    client_lobby_list *list; /* the newest LOBBY_LIST; allocated on the first */
    client_view view;
    event_queue events;
    uint8_t scratch[PROTO_MAX_MESSAGE_BYTES];
};

/* ---- client_net.c: the peer a client owns, and its timer ---------------- */

/* The client's connection is now this peer (or none). */
void client_attach_peer(client *c, ENetPeer *peer);
/* Drops the connection at once without telling the server. */
void client_drop_peer(client *c);
/* Called after anything that may move the client's timer. */
void client_note_due(client *c);
/* Takes the client off its net's lists (client_destroy). */
void client_net_unregister(client *c);

/* ---- client.c: what the net hands each client ----------------------------- */

/* Starts a connection attempt to c->addr: the cookie first. */
void client_start_connecting(client *c, uint64_t now_us);
/* Ends the session for good (no reconnection), keeping the first reason;
 * the DISCONNECTED or REJECTED event it raises is returned (NULL when out
 * of memory or already ended) for the caller to add to. */
client_event *client_view_end(client *c, client_state state, uint32_t reason, proto_str text);

enum { CLIENT_COOKIE_RESEND_MS = 250 };

/* A cookie reply from the server: connects with the cookie, or ends on a
 * version mismatch. */
void client_on_cookie(client *c, const proto_cookie_reply *reply, uint64_t now_us);

void client_handle_enet_event(client *c, const ENetEvent *ev, uint64_t now_us);
/* The handshake timeout and the next reconnection attempt. */
void client_run_timers(client *c, uint64_t now_us);
void client_refresh_rtt(client *c);
/* Copies a length-delimited string, NUL-terminated, cut to fit dst. */
size_t client_copy_text(char *dst, size_t cap, const char *src, size_t len);
/* Appends a zeroed event of the given type, or NULL when out of memory. */
client_event *client_push_event(client *c, client_event_type type);
void client_set_event_text(client_event *ev, proto_str s);
/* A refusal's text: the server's, or fallback (the reason code's English
 * text) when it sent none, so front ends print ev->text alone. */
proto_str client_text_or(proto_str text, const char *fallback);
client_player *client_find_player_mut(client *c, uint16_t id);
/* Encodes and queues a message on the client's connection. */
int client_send_msg(client *c, const proto_msg *m, uint8_t channel, bool reliable);
/* Notes a lobby chat sequence number (0, a direct message's, is none). */
void client_note_chat_seq(client *c, uint32_t seq);

/* ---- client_lobby.c: lobby messages and the lobby half of the view -------- */

/* A WELCOME put us in a lobby: a new seat starts with a fresh lobby view. */
void client_lobby_entered(client *c, bool resumed);
/* Handles the lobby messages (LOBBY_LIST, LOBBY_REFUSED, LOBBY_EXITED,
 * LOBBY_STATE, COUNTDOWN, COUNTDOWN_CANCELLED, GAME_STARTING,
 * DIRECT_CHAT_RELAY); false for any other type. */
bool client_lobby_on_receive(client *c, const proto_msg *m, uint64_t now_us);
/* Sends CREATE_LOBBY with c->create (a redirected create, sent again). */
int client_lobby_send_create(client *c);
/* Forgets the lobby we were in (view and seat): we are in none now. */
void client_lobby_forget(client *c);

/* ---- client_redirect.c: following a REDIRECT -------------------------------- */

/* Leaves this server and connects to the redirect's target, or ends the
 * client when it cannot (too many in a row, a host that does not resolve). */
void client_on_redirect(client *c, const proto_msg *m, uint64_t now_us);
/* The connection to a redirect's target failed before it was reached: ends
 * the client with an error naming the target. */
void client_redirect_unreachable(client *c, proto_str why);

#endif
