/* The client core's lobbies: the requests (list, create, join, leave, ready,
 * start, kick, ownership, configure, direct messages) and the server's
 * answers, which move the client between lobbies and the lobby list and keep
 * the lobby half of the view (owner, state, settings, ready flags). */
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks before sending ------------------------------------------------ */

static bool in_lobby(const client *c)
{
    return c->view.state == CLIENT_JOINED;
}

/* Listing, creating and joining work from a lobby and from the list. */
static bool connected(const client *c)
{
    return c->view.state == CLIENT_JOINED || c->view.state == CLIENT_BROWSING;
}

/* A NULL string counts as empty. */
static bool fits(const char *s, size_t max_bytes)
{
    return s == NULL || strlen(s) <= max_bytes;
}

/* A client_meta's arrays hold at most the wire's limits: a pair fits when
 * both of its strings end within them. */
static bool meta_fits(uint8_t count, const client_meta *meta)
{
    if (count > PROTO_MAX_META_PAIRS)
        return false;
    for (unsigned i = 0; i < count; i++)
        if (memchr(meta[i].key, '\0', sizeof meta[i].key) == NULL ||
            memchr(meta[i].value, '\0', sizeof meta[i].value) == NULL)
            return false;
    return true;
}

static proto_str str_or_empty(const char *s)
{
    return proto_str_from_cstr(s != NULL ? s : "");
}

/* The wire's pairs point into meta, which must outlive the encoding. */
static void meta_to_wire(proto_meta_list *out, uint8_t count, const client_meta *meta)
{
    out->count = count;
    for (unsigned i = 0; i < count; i++) {
        out->pairs[i].key = proto_str_from_cstr(meta[i].key);
        out->pairs[i].value = proto_str_from_cstr(meta[i].value);
    }
}

static int send_lobby_msg(client *c, const proto_msg *m)
{
    return client_send_msg(c, m, PROTO_CHANNEL_RELIABLE, true);
}

/* ---- requests ------------------------------------------------------------- */

int client_list_lobbies(client *c, const client_lobby_filter *filter, uint32_t *request_id)
{
    static const client_lobby_filter every_lobby;
    if (filter == NULL)
        filter = &every_lobby;
    if (!connected(c))
        return CLIENT_ERR_STATE;
    if (!fits(filter->name_contains, PROTO_MAX_STR8_BYTES) ||
        !meta_fits(filter->meta_count, filter->meta))
        return CLIENT_ERR_ARG;
    proto_msg m = {.type = PROTO_LIST_LOBBIES};
    m.u.list_lobbies.request_id = c->next_request_id + 1;
    m.u.list_lobbies.name_contains = str_or_empty(filter->name_contains);
    m.u.list_lobbies.flags = (uint8_t)((filter->free_seat ? PROTO_FILTER_FREE_SEAT : 0) |
                                       (filter->no_password ? PROTO_FILTER_NO_PASSWORD : 0) |
                                       (filter->open_only ? PROTO_FILTER_OPEN : 0));
    meta_to_wire(&m.u.list_lobbies.meta, filter->meta_count, filter->meta);
    int err = send_lobby_msg(c, &m);
    if (err != CLIENT_OK)
        return err;
    c->next_request_id++;
    if (request_id != NULL)
        *request_id = c->next_request_id;
    return CLIENT_OK;
}

/* The lobby a CREATE or JOIN asks for takes this password once its WELCOME
 * arrives (used again when a reconnection must join afresh). */
static void note_move(client *c, const char *password)
{
    c->move_pending = true;
    snprintf(c->move_password, sizeof c->move_password, "%s", password ? password : "");
}

int client_lobby_send_create(client *c)
{
    const client_lobby_settings *settings = &c->create;
    proto_msg m = {.type = PROTO_CREATE_LOBBY};
    m.u.create_lobby.name = proto_str_from_cstr(settings->name);
    m.u.create_lobby.capacity = settings->capacity;
    m.u.create_lobby.password = str_or_empty(settings->password);
    m.u.create_lobby.max_rtt_ms = settings->max_rtt_ms;
    meta_to_wire(&m.u.create_lobby.meta, settings->meta_count, settings->meta);
    int err = send_lobby_msg(c, &m);
    if (err == CLIENT_OK)
        note_move(c, settings->password);
    return err;
}

/* Kept whole (with its own strings), so that a redirect can send it again
 * to the server the lobby is placed on. */
int client_create_lobby(client *c, const client_lobby_settings *settings)
{
    if (!connected(c))
        return CLIENT_ERR_STATE;
    if (settings == NULL || settings->name == NULL || !fits(settings->name, PROTO_MAX_STR8_BYTES) ||
        !fits(settings->password, PROTO_MAX_PASSWORD_BYTES) ||
        !meta_fits(settings->meta_count, settings->meta))
        return CLIENT_ERR_ARG;
    c->create = *settings;
    snprintf(c->create_name, sizeof c->create_name, "%s", settings->name);
    snprintf(c->create_password, sizeof c->create_password, "%s",
             settings->password ? settings->password : "");
    c->create.name = c->create_name;
    c->create.password = c->create_password;
    c->redirects = 0; /* the player's own request: a new chain */
    c->replay_create = false;
    return client_lobby_send_create(c);
}

int client_join_lobby(client *c, const char *name, const char *password)
{
    if (!connected(c))
        return CLIENT_ERR_STATE;
    if (name == NULL || !fits(name, PROTO_MAX_STR8_BYTES) ||
        !fits(password, PROTO_MAX_PASSWORD_BYTES))
        return CLIENT_ERR_ARG;
    proto_msg m = {.type = PROTO_JOIN_LOBBY};
    m.u.join_lobby.name = proto_str_from_cstr(name);
    m.u.join_lobby.password = str_or_empty(password);
    int err = send_lobby_msg(c, &m);
    if (err == CLIENT_OK)
        note_move(c, password);
    c->redirects = 0; /* the player's own request: a new chain */
    c->replay_create = false;
    return err;
}

/* The requests with no body, for members only. */
static int send_member_request(client *c, proto_type type)
{
    if (!in_lobby(c))
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = type};
    return send_lobby_msg(c, &m);
}

int client_leave_lobby(client *c)
{
    return send_member_request(c, PROTO_LEAVE_LOBBY);
}

int client_start_game(client *c)
{
    return send_member_request(c, PROTO_START_GAME);
}

int client_set_ready(client *c, bool ready)
{
    if (!in_lobby(c))
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = PROTO_SET_READY};
    m.u.set_ready.ready = ready ? 1 : 0;
    return send_lobby_msg(c, &m);
}

/* KICK and GIVE_OWNERSHIP: an owner's request about one member. */
static int send_about_member(client *c, proto_type type, uint16_t player_id)
{
    if (!in_lobby(c))
        return CLIENT_ERR_STATE;
    proto_msg m = {.type = type};
    if (type == PROTO_KICK)
        m.u.kick.player_id = player_id;
    else
        m.u.give_ownership.player_id = player_id;
    return send_lobby_msg(c, &m);
}

int client_kick(client *c, uint16_t player_id)
{
    return send_about_member(c, PROTO_KICK, player_id);
}

int client_give_ownership(client *c, uint16_t player_id)
{
    return send_about_member(c, PROTO_GIVE_OWNERSHIP, player_id);
}

int client_configure_lobby(client *c, uint8_t changes, const client_lobby_settings *settings)
{
    if (!in_lobby(c))
        return CLIENT_ERR_STATE;
    if (settings == NULL || changes == 0 || (changes & ~PROTO_CONFIGURE_ALL) != 0 ||
        !fits(settings->password, PROTO_MAX_PASSWORD_BYTES) ||
        !meta_fits(settings->meta_count, settings->meta))
        return CLIENT_ERR_ARG;
    proto_msg m = {.type = PROTO_CONFIGURE_LOBBY};
    m.u.configure_lobby.changes = changes;
    m.u.configure_lobby.capacity = settings->capacity;
    m.u.configure_lobby.password = str_or_empty(settings->password);
    m.u.configure_lobby.max_rtt_ms = settings->max_rtt_ms;
    meta_to_wire(&m.u.configure_lobby.meta, settings->meta_count, settings->meta);
    return send_lobby_msg(c, &m);
}

int client_send_direct(client *c, uint16_t to_id, const char *text, size_t len, uint32_t *msg_id)
{
    if (!in_lobby(c))
        return CLIENT_ERR_STATE;
    if (text == NULL && len > 0)
        return CLIENT_ERR_ARG;
    proto_msg m = {.type = PROTO_DIRECT_CHAT};
    m.u.direct_chat.msg_id = c->next_msg_id;
    m.u.direct_chat.to_id = to_id;
    m.u.direct_chat.text.bytes = text;
    m.u.direct_chat.text.len = len;
    int err = send_lobby_msg(c, &m);
    if (err != CLIENT_OK)
        return err;
    if (msg_id != NULL)
        *msg_id = c->next_msg_id;
    c->next_msg_id++;
    return CLIENT_OK;
}

/* ---- queries -------------------------------------------------------------- */

const client_lobby_list *client_get_lobby_list(const client *c)
{
    static const client_lobby_list none;
    return c->list != NULL ? c->list : &none;
}

const client_player *client_find_player_by_name(const client *c, const char *name)
{
    for (unsigned i = 0; i < c->view.player_count; i++)
        if (strcmp(c->view.players[i].name, name) == 0)
            return &c->view.players[i];
    return NULL;
}

/* ---- the lobby half of the view -------------------------------------------- */

static void clear_lobby_settings(client_view *v)
{
    v->owner_id = 0;
    v->lobby_state = 0;
    v->has_password = false;
    v->server_owned = false;
    v->max_rtt_ms = 0;
    v->meta_count = 0;
    v->countdown_end_us = 0;
    v->start_tick = 0;
}

void client_lobby_entered(client *c, bool resumed)
{
    c->at_list = false;
    if (resumed)
        return;
    clear_lobby_settings(&c->view);
    /* A reconnection that cannot resume this seat joins this lobby again. */
    snprintf(c->lobby, sizeof c->lobby, "%s", c->view.lobby);
    if (c->move_pending)
        memcpy(c->password, c->move_password, sizeof c->password);
    c->move_pending = false;
}

static void copy_meta(uint8_t *count, client_meta *dst, const proto_meta_list *src)
{
    *count = src->count <= PROTO_MAX_META_PAIRS ? src->count : PROTO_MAX_META_PAIRS;
    for (unsigned i = 0; i < *count; i++) {
        client_copy_text(dst[i].key, sizeof dst[i].key, src->pairs[i].key.bytes,
                         src->pairs[i].key.len);
        client_copy_text(dst[i].value, sizeof dst[i].value, src->pairs[i].value.bytes,
                         src->pairs[i].value.len);
    }
}

void client_lobby_forget(client *c)
{
    client_view *v = &c->view;
    v->my_id = 0;
    v->lobby[0] = '\0';
    v->capacity = 0;
    v->player_count = 0;
    v->last_chat_seq = 0;
    clear_lobby_settings(v);
    c->has_token = false;
}

/* In no lobby now: at the list, with no seat to resume. A redirected
 * create arrives here first (its HELLO browsed): it is sent again now, and
 * the app, which asked for a lobby, hears of the lobby and not of this. */
static void on_lobby_exited(client *c, const proto_msg *m)
{
    c->view.state = CLIENT_BROWSING;
    client_lobby_forget(c);
    c->at_list = true;
    c->attempt = 0;
    c->move_pending = false;
    c->ticket_len = 0;
    if (c->replay_create && m->u.lobby_exited.reason == PROTO_EXIT_BROWSING) {
        c->replay_create = false;
        if (client_lobby_send_create(c) == CLIENT_OK)
            return;
    }
    client_event *ev = client_push_event(c, CLIENT_EV_LOBBY_EXITED);
    if (ev != NULL) {
        ev->lobby_exited.reason = m->u.lobby_exited.reason;
        client_set_event_text(
            ev, client_text_or(m->u.lobby_exited.text, proto_exit_text(ev->lobby_exited.reason)));
    }
}

static void on_lobby_refused(client *c, const proto_msg *m)
{
    uint8_t request = m->u.lobby_refused.request;
    if (request == PROTO_CREATE_LOBBY || request == PROTO_JOIN_LOBBY)
        c->move_pending = false; /* we stay where we were */
    client_event *ev = client_push_event(c, CLIENT_EV_LOBBY_REFUSED);
    if (ev != NULL) {
        ev->lobby_refused.request = request;
        ev->lobby_refused.reason = m->u.lobby_refused.reason;
        client_set_event_text(ev,
                              client_text_or(m->u.lobby_refused.text,
                                             proto_lobby_refusal_text(ev->lobby_refused.reason)));
    }
}

static void on_lobby_list(client *c, const proto_msg *m)
{
    if (c->list == NULL && (c->list = malloc(sizeof *c->list)) == NULL)
        return;
    client_lobby_list *l = c->list;
    l->request_id = m->u.lobby_list.request_id;
    l->total = m->u.lobby_list.total;
    l->count = 0;
    size_t cursor = 0;
    proto_lobby_entry e;
    while (l->count < PROTO_MAX_LIST_ENTRIES &&
           proto_lobby_list_next(&m->u.lobby_list, &cursor, &e)) {
        client_lobby_info *info = &l->lobbies[l->count++];
        client_copy_text(info->name, sizeof info->name, e.name.bytes, e.name.len);
        info->players = e.players;
        info->capacity = e.capacity;
        info->has_password = (e.flags & PROTO_LOBBYF_PASSWORD) != 0;
        info->server_owned = (e.flags & PROTO_LOBBYF_SERVER_OWNED) != 0;
        info->state = e.state;
        client_copy_text(info->owner, sizeof info->owner, e.owner.bytes, e.owner.len);
        info->rtt_known = e.median_rtt_ms != PROTO_RTT_UNKNOWN;
        info->median_rtt_ms = info->rtt_known ? e.median_rtt_ms : 0;
        info->max_rtt_ms = e.max_rtt_ms;
        copy_meta(&info->meta_count, info->meta, &e.meta);
    }
    client_event *ev = client_push_event(c, CLIENT_EV_LOBBY_LIST);
    if (ev != NULL)
        ev->lobby_list.request_id = l->request_id;
}

static bool member_ready(const proto_msg *m, uint16_t id)
{
    for (unsigned i = 0; i < m->u.lobby_state.count; i++)
        if (m->u.lobby_state.members[i].id == id)
            return (m->u.lobby_state.members[i].flags & PROTO_MEMBER_READY) != 0;
    return false;
}

static void on_lobby_state(client *c, const proto_msg *m, uint64_t now_us)
{
    client_view *v = &c->view;
    v->owner_id = m->u.lobby_state.owner_id;
    v->lobby_state = m->u.lobby_state.state;
    v->capacity = m->u.lobby_state.capacity;
    v->has_password = (m->u.lobby_state.flags & PROTO_LOBBYF_PASSWORD) != 0;
    v->server_owned = (m->u.lobby_state.flags & PROTO_LOBBYF_SERVER_OWNED) != 0;
    v->max_rtt_ms = m->u.lobby_state.max_rtt_ms;
    copy_meta(&v->meta_count, v->meta, &m->u.lobby_state.meta);
    for (unsigned i = 0; i < v->player_count; i++)
        v->players[i].ready = member_ready(m, v->players[i].id);
    if (v->lobby_state == PROTO_LOBBY_STARTING && m->u.lobby_state.countdown_ms > 0)
        v->countdown_end_us = now_us + (uint64_t)m->u.lobby_state.countdown_ms * 1000u;
    else if (v->lobby_state != PROTO_LOBBY_STARTING)
        v->countdown_end_us = 0;
    client_push_event(c, CLIENT_EV_LOBBY_STATE);
}

static void on_countdown(client *c, const proto_msg *m, uint64_t now_us)
{
    c->view.lobby_state = PROTO_LOBBY_STARTING;
    c->view.countdown_end_us = now_us + (uint64_t)m->u.countdown.seconds_left * 1000000u;
    client_event *ev = client_push_event(c, CLIENT_EV_COUNTDOWN);
    if (ev != NULL) {
        ev->countdown.seconds_left = m->u.countdown.seconds_left;
        ev->countdown.start_tick = m->u.countdown.start_tick;
    }
}

static void on_countdown_cancelled(client *c, const proto_msg *m)
{
    c->view.lobby_state = PROTO_LOBBY_OPEN;
    c->view.countdown_end_us = 0;
    client_event *ev = client_push_event(c, CLIENT_EV_COUNTDOWN_CANCELLED);
    if (ev != NULL) {
        ev->countdown_cancelled.by_id = m->u.countdown_cancelled.by_id;
        client_set_event_text(ev, m->u.countdown_cancelled.text);
    }
}

static void on_game_starting(client *c, const proto_msg *m)
{
    client_view *v = &c->view;
    v->lobby_state = PROTO_LOBBY_IN_GAME;
    v->countdown_end_us = 0;
    v->start_tick = m->u.game_starting.tick;
    for (unsigned i = 0; i < v->player_count; i++)
        v->players[i].ready = false; /* the server clears them as the game starts */
    client_event *ev = client_push_event(c, CLIENT_EV_GAME_STARTING);
    if (ev != NULL) {
        ev->game_starting.tick = m->u.game_starting.tick;
        ev->game_starting.server_us = m->u.game_starting.server_us;
    }
}

static void on_direct_chat(client *c, const proto_msg *m)
{
    client_event *ev = client_push_event(c, CLIENT_EV_DIRECT_CHAT);
    if (ev == NULL)
        return;
    ev->direct_chat.player_id = m->u.direct_chat_relay.from_id;
    client_set_event_text(ev, m->u.direct_chat_relay.text);
    /* Named now: by the time the caller reads the event, a kick or leave in
     * the same update may have taken the sender out of the view. */
    const client_player *from = client_find_player(c, ev->direct_chat.player_id);
    if (from != NULL)
        snprintf(ev->direct_chat.sender, sizeof ev->direct_chat.sender, "%s", from->name);
}

bool client_lobby_on_receive(client *c, const proto_msg *m, uint64_t now_us)
{
    switch (m->type) {
    case PROTO_LOBBY_LIST:
        on_lobby_list(c, m);
        return true;
    case PROTO_LOBBY_REFUSED:
        on_lobby_refused(c, m);
        return true;
    case PROTO_LOBBY_EXITED:
        on_lobby_exited(c, m);
        return true;
    case PROTO_LOBBY_STATE:
        on_lobby_state(c, m, now_us);
        return true;
    case PROTO_COUNTDOWN:
        on_countdown(c, m, now_us);
        return true;
    case PROTO_COUNTDOWN_CANCELLED:
        on_countdown_cancelled(c, m);
        return true;
    case PROTO_GAME_STARTING:
        on_game_starting(c, m);
        return true;
    case PROTO_DIRECT_CHAT_RELAY:
        on_direct_chat(c, m);
        return true;
    default:
        return false;
    }
}
