/* Following a REDIRECT (protocol version 6, docs/PROTOCOL.md "Redirects"):
 * the lobby asked for lives on another server of the cluster. The client
 * leaves this server, connects to that one with the usual cookie exchange
 * and sends the HELLO the request becomes there (carrying the ticket), so
 * the app sees CLIENT_EV_REDIRECTED and then JOINED, not a disconnect. */
#include "client_internal.h"

#include <stdio.h>
#include <string.h>

/* Leaves the server that redirected us: ENet's disconnect with QUIT, sent
 * at once, so the peer slot is free for the target's connection (a
 * private net has one). Its late events are no longer ours. */
static void leave_server(client *c)
{
    ENetPeer *peer = c->peer;
    client_attach_peer(c, NULL);
    if (peer != NULL && peer->state == ENET_PEER_STATE_CONNECTED)
        enet_peer_disconnect_now(peer, PROTO_REASON_QUIT);
    else if (peer != NULL)
        enet_peer_reset(peer);
}

/* Ends the client: a redirect it cannot follow. */
static void give_up(client *c, uint32_t reason, const char *text)
{
    c->redirect_connecting = false;
    c->replay_create = false;
    c->ticket_len = 0;
    client_event *ev = client_view_end(c, CLIENT_DISCONNECTED, reason, proto_str_from_cstr(text));
    if (ev != NULL)
        ev->disconnected.redirect_failed = true;
}

void client_redirect_unreachable(client *c, proto_str why)
{
    char text[1024]; /* the event keeps PROTO_MAX_CHAT_BYTES of it */
    snprintf(text, sizeof text, "redirected, but cannot reach %s: %.*s", c->redirect_target,
             (int)why.len, why.bytes);
    give_up(c, 0, text);
}

static void push_redirected(client *c, const proto_msg *m)
{
    client_event *ev = client_push_event(c, CLIENT_EV_REDIRECTED);
    if (ev == NULL)
        return;
    ev->redirected.request = m->u.redirect.request;
    ev->redirected.port = m->u.redirect.port;
    client_copy_text(ev->redirected.lobby, sizeof ev->redirected.lobby, m->u.redirect.lobby.bytes,
                     m->u.redirect.lobby.len);
    client_copy_text(ev->redirected.server_id, sizeof ev->redirected.server_id,
                     m->u.redirect.server_id.bytes, m->u.redirect.server_id.len);
    client_copy_text(ev->redirected.host, sizeof ev->redirected.host, m->u.redirect.host.bytes,
                     m->u.redirect.host.len);
    client_set_event_text(ev, m->u.redirect.text);
}

/* What the HELLO to the target asks for: a create is opened from the
 * target's lobby list (HELLO BROWSE, then CREATE_LOBBY again); a join or a
 * HELLO's join asks for the lobby there, with the password the player gave. */
static void plan_hello(client *c, const proto_msg *m)
{
    c->has_token = false; /* the old server's seat: nothing to resume there */
    c->attempt = 0;
    if (m->u.redirect.request == PROTO_CREATE_LOBBY && c->create.name != NULL) {
        c->at_list = true;
        c->replay_create = true;
        return;
    }
    c->at_list = false;
    client_copy_text(c->lobby, sizeof c->lobby, m->u.redirect.lobby.bytes, m->u.redirect.lobby.len);
    if (m->u.redirect.request == PROTO_JOIN_LOBBY && c->move_pending)
        memcpy(c->password, c->move_password, sizeof c->password);
    c->move_pending = false;
}

void client_on_redirect(client *c, const proto_msg *m, uint64_t now_us)
{
    client_state s = c->view.state;
    if (c->leaving || (s != CLIENT_JOINING && s != CLIENT_JOINED && s != CLIENT_BROWSING))
        return; /* nothing of ours to move */
    char host[PROTO_MAX_STR8_BYTES + 1];
    client_copy_text(host, sizeof host, m->u.redirect.host.bytes, m->u.redirect.host.len);
    snprintf(c->redirect_target, sizeof c->redirect_target, "%s:%u", host,
             (unsigned)m->u.redirect.port);
    leave_server(c);
    client_lobby_forget(c);
    if (c->redirects >= CLIENT_MAX_REDIRECTS) {
        char text[1024];
        snprintf(text, sizeof text, "too many redirects (%d in a row); the last was to %s",
                 CLIENT_MAX_REDIRECTS + 1, c->redirect_target);
        give_up(c, PROTO_REASON_QUIT, text);
        return;
    }
    c->redirects++;
    push_redirected(c, m);
    ENetAddress addr = {.port = m->u.redirect.port};
    if (enet_address_set_host(&addr, host) != 0) {
        c->redirect_connecting = true;
        client_redirect_unreachable(c, proto_str_from_cstr("the host name does not resolve"));
        return;
    }
    plan_hello(c, m);
    memcpy(c->ticket, m->u.redirect.ticket.bytes, m->u.redirect.ticket.len);
    c->ticket_len = m->u.redirect.ticket.len;
    c->addr = addr;
    c->redirect_connecting = true;
    client_start_connecting(c, now_us);
}
