/* The client core's lobby half against a scripted server: a bare ENet host in
 * the test decodes what the client sends and answers with encoded messages
 * of its choosing. Covers what the real server cannot be made to do on cue:
 * HELLO's modes (JOIN with a password, BROWSE, RESUME) including after a
 * lost connection, the bytes of every lobby request, the checks before
 * sending, how each lobby message changes the view, and which REJECT
 * reasons are retried. */
#include "client.h"
#include "clock.h"
#include "enet_raw.h"

#include <enet/enet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

enum { MAX_SEEN = 64, WAIT_MS = 3000 };

/* The scripted server: the messages it received, as bytes. */
typedef struct fake_server {
    ENetHost *host;
    ENetPeer *peer; /* the client's connection, NULL between connections */
    uint16_t port;
    int connects;
    size_t seen, taken;
    size_t len[MAX_SEEN];
    uint8_t bytes[MAX_SEEN][2048];
} fake_server;

typedef struct fixture {
    fake_server srv;
    client *c;
    proto_msg msg; /* the last message taken; its strings point into srv.bytes */
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (enet_initialize() != 0)
        return -1;
    ENetAddress addr = {.port = 0};
    enet_address_set_host(&addr, "127.0.0.1");
    f.srv.host = enet_host_create(&addr, 4, PROTO_CHANNEL_COUNT, 0, 0);
    ENetAddress bound;
    if (f.srv.host == NULL || enet_socket_get_address(f.srv.host->socket, &bound) != 0)
        return -1;
    f.srv.port = bound.port;
    raw_answer_cookies(f.srv.host);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    client_destroy(f->c);
    enet_host_destroy(f->srv.host);
    enet_deinitialize();
    return 0;
}

/* One pass of both ends. */
static void pump(fixture *f)
{
    ENetEvent ev;
    while (enet_host_service(f->srv.host, &ev, 1) > 0) {
        if (ev.type == ENET_EVENT_TYPE_CONNECT) {
            f->srv.peer = ev.peer;
            f->srv.connects++;
        } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            f->srv.peer = NULL;
        } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            size_t i = f->srv.seen % MAX_SEEN, n = ev.packet->dataLength;
            if (n <= sizeof f->srv.bytes[i]) {
                memcpy(f->srv.bytes[i], ev.packet->data, n);
                f->srv.len[i] = n;
                f->srv.seen++;
            }
            enet_packet_destroy(ev.packet);
        }
    }
    client_update(f->c, clock_now_us());
}

/* The next message the client sent, decoded into f->msg. */
static const proto_msg *take(fixture *f)
{
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u;
         f->srv.taken == f->srv.seen && clock_now_us() < end;)
        pump(f);
    assert_true(f->srv.taken < f->srv.seen);
    size_t i = f->srv.taken++ % MAX_SEEN;
    assert_int_equal(proto_decode(f->srv.bytes[i], f->srv.len[i], &f->msg), PROTO_OK);
    return &f->msg;
}

static void serve(fixture *f, const proto_msg *m)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int len = proto_encode(m, buf, sizeof buf);
    assert_true(len > 0);
    assert_non_null(f->srv.peer);
    ENetPacket *p = enet_packet_create(buf, (size_t)len, ENET_PACKET_FLAG_RELIABLE);
    assert_int_equal(enet_peer_send(f->srv.peer, PROTO_CHANNEL_RELIABLE, p), 0);
    enet_host_flush(f->srv.host);
}

/* The next event of this type (others before it are dropped). */
static client_event next_event(fixture *f, client_event_type type)
{
    client_event ev;
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump(f))
        while (client_next_event(f->c, &ev))
            if (ev.type == type)
                return ev;
    fail_msg("no event %d", (int)type);
    return ev;
}

static void start_client(fixture *f, const char *lobby, const char *password, bool browse)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = f->srv.port;
    cfg.name = "ann";
    cfg.lobby = lobby;
    cfg.password = password;
    cfg.browse = browse;
    cfg.auto_reconnect = true;
    cfg.reconnect_base_ms = 5;
    cfg.reconnect_max_ms = 10;
    cfg.timeout_ms = 2000;
    assert_int_equal(client_create(&cfg, clock_now_us(), &f->c), CLIENT_OK);
}

static void welcome(fixture *f, uint16_t id, const char *lobby, bool resumed)
{
    proto_msg m = {.type = PROTO_WELCOME};
    m.u.welcome.your_id = id;
    m.u.welcome.token[0] = (uint8_t)id;
    m.u.welcome.resumed = resumed;
    m.u.welcome.capacity = 8;
    m.u.welcome.lobby = proto_str_from_cstr(lobby);
    m.u.welcome.count = 2;
    m.u.welcome.players[0] = (proto_player){.id = 1, .name = proto_str_from_cstr("owner")};
    m.u.welcome.players[1] = (proto_player){.id = id, .name = proto_str_from_cstr("ann")};
    serve(f, &m);
    client_event ev = next_event(f, CLIENT_EV_JOINED);
    assert_int_equal(ev.joined.resumed, resumed);
}

static void exited(fixture *f, uint8_t reason)
{
    proto_msg m = {.type = PROTO_LOBBY_EXITED};
    m.u.lobby_exited.reason = reason;
    m.u.lobby_exited.text = proto_str_from_cstr("you left");
    serve(f, &m);
    client_event ev = next_event(f, CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(ev.lobby_exited.reason, reason);
    assert_string_equal(ev.text, "you left");
}

/* The server drops the connection; the client comes back with a HELLO. */
static const proto_msg *lose_connection(fixture *f)
{
    enet_peer_disconnect_now(f->srv.peer, 0);
    f->srv.peer = NULL;
    next_event(f, CLIENT_EV_RECONNECTING);
    const proto_msg *m = take(f);
    assert_int_equal(m->type, PROTO_HELLO);
    return m;
}

static void assert_str(proto_str s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.bytes, want, s.len);
}

/* ---- HELLO ----------------------------------------------------------------- */

static void test_hello_join_carries_the_password(void **state)
{
    fixture *f = *state;
    start_client(f, "vault", "sesame", false);
    const proto_msg *m = take(f);
    assert_int_equal(m->type, PROTO_HELLO);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_JOIN);
    assert_str(m->u.hello.lobby, "vault");
    assert_str(m->u.hello.password, "sesame");
    welcome(f, 7, "vault", false);
    /* Lost in a lobby: the seat is resumed with the token. */
    m = lose_connection(f);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_RESUME);
    assert_int_equal(m->u.hello.token[0], 7);
}

static void test_browse_hello_and_reconnect_to_the_list(void **state)
{
    fixture *f = *state;
    start_client(f, "ignored", NULL, true);
    const proto_msg *m = take(f);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_BROWSE);
    assert_int_equal(client_get_view(f->c)->state, CLIENT_JOINING);
    exited(f, PROTO_EXIT_BROWSING);
    assert_int_equal(client_get_view(f->c)->state, CLIENT_BROWSING);
    m = lose_connection(f);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_BROWSE);

    /* Into a lobby and out again: the token is dropped, back to BROWSE. */
    exited(f, PROTO_EXIT_BROWSING);
    assert_int_equal(client_join_lobby(f->c, "den", "pw"), CLIENT_OK);
    m = take(f);
    assert_int_equal(m->type, PROTO_JOIN_LOBBY);
    assert_str(m->u.join_lobby.name, "den");
    assert_str(m->u.join_lobby.password, "pw");
    welcome(f, 9, "den", false);
    assert_string_equal(client_get_view(f->c)->lobby, "den");
    exited(f, PROTO_EXIT_KICKED);
    const client_view *v = client_get_view(f->c);
    assert_int_equal(v->state, CLIENT_BROWSING);
    assert_int_equal(v->my_id, 0);
    assert_int_equal(v->player_count, 0);
    assert_string_equal(v->lobby, "");
    m = lose_connection(f);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_BROWSE);
}

static void test_token_refused_rejoins_the_lobby_moved_to(void **state)
{
    fixture *f = *state;
    start_client(f, "first", NULL, false);
    take(f);
    welcome(f, 3, "first", false);
    assert_int_equal(client_join_lobby(f->c, "second", "pw2"), CLIENT_OK);
    take(f);
    welcome(f, 4, "second", false);
    const proto_msg *m = lose_connection(f);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_RESUME);
    proto_msg reject = {.type = PROTO_REJECT};
    reject.u.reject.reason = PROTO_REASON_TOKEN_INVALID;
    reject.u.reject.text = proto_str_from_cstr("gone");
    serve(f, &reject);
    enet_peer_disconnect_later(f->srv.peer, PROTO_REASON_TOKEN_INVALID);
    m = take(f);
    assert_int_equal(m->type, PROTO_HELLO);
    assert_int_equal(m->u.hello.mode, PROTO_HELLO_JOIN);
    assert_str(m->u.hello.lobby, "second");
    assert_str(m->u.hello.password, "pw2");
}

/* ---- requests -------------------------------------------------------------- */

static void test_requests_encode_what_was_asked(void **state)
{
    fixture *f = *state;
    start_client(f, NULL, NULL, true);
    take(f);
    /* Before the server's answer: neither at the list nor in a lobby. */
    assert_int_equal(client_list_lobbies(f->c, NULL, NULL), CLIENT_ERR_STATE);
    exited(f, PROTO_EXIT_BROWSING);

    client_lobby_filter filter = {
        .name_contains = "ar", .free_seat = true, .open_only = true, .meta_count = 1};
    snprintf(filter.meta[0].key, sizeof filter.meta[0].key, "mode");
    snprintf(filter.meta[0].value, sizeof filter.meta[0].value, "ctf");
    uint32_t id1, id2;
    assert_int_equal(client_list_lobbies(f->c, &filter, &id1), CLIENT_OK);
    assert_int_equal(client_list_lobbies(f->c, NULL, &id2), CLIENT_OK);
    assert_true(id1 != 0 && id2 != id1);
    const proto_msg *m = take(f);
    assert_int_equal(m->type, PROTO_LIST_LOBBIES);
    assert_int_equal(m->u.list_lobbies.request_id, id1);
    assert_str(m->u.list_lobbies.name_contains, "ar");
    assert_int_equal(m->u.list_lobbies.flags, PROTO_FILTER_FREE_SEAT | PROTO_FILTER_OPEN);
    assert_int_equal(m->u.list_lobbies.meta.count, 1);
    assert_str(m->u.list_lobbies.meta.pairs[0].value, "ctf");
    m = take(f);
    assert_int_equal(m->u.list_lobbies.flags, 0);

    /* At the list only list, create and join; members' requests wait. */
    assert_int_equal(client_leave_lobby(f->c), CLIENT_ERR_STATE);
    assert_int_equal(client_set_ready(f->c, true), CLIENT_ERR_STATE);
    assert_int_equal(client_start_game(f->c), CLIENT_ERR_STATE);
    assert_int_equal(client_kick(f->c, 2), CLIENT_ERR_STATE);
    assert_int_equal(client_give_ownership(f->c, 2), CLIENT_ERR_STATE);
    assert_int_equal(client_send_direct(f->c, 2, "x", 1, NULL), CLIENT_ERR_STATE);
    client_lobby_settings s = {.name = "arena", .capacity = 6, .password = "pw", .max_rtt_ms = 150};
    assert_int_equal(client_configure_lobby(f->c, PROTO_CONFIGURE_CAPACITY, &s), CLIENT_ERR_STATE);
    /* Over the wire's limits: refused before sending. */
    client_lobby_settings bad = s;
    bad.password = "0123456789abcdef0123456789abcdefX"; /* 33 bytes */
    assert_int_equal(client_create_lobby(f->c, &bad), CLIENT_ERR_ARG);
    bad = s;
    bad.meta_count = PROTO_MAX_META_PAIRS + 1;
    assert_int_equal(client_create_lobby(f->c, &bad), CLIENT_ERR_ARG);
    assert_int_equal(client_join_lobby(f->c, NULL, NULL), CLIENT_ERR_ARG);

    assert_int_equal(client_create_lobby(f->c, &s), CLIENT_OK);
    m = take(f);
    assert_int_equal(m->type, PROTO_CREATE_LOBBY);
    assert_str(m->u.create_lobby.name, "arena");
    assert_int_equal(m->u.create_lobby.capacity, 6);
    assert_str(m->u.create_lobby.password, "pw");
    assert_int_equal(m->u.create_lobby.max_rtt_ms, 150);
    welcome(f, 5, "arena", false);

    assert_int_equal(client_set_ready(f->c, true), CLIENT_OK);
    assert_int_equal(take(f)->u.set_ready.ready, 1);
    assert_int_equal(client_kick(f->c, 1), CLIENT_OK);
    assert_int_equal(take(f)->u.kick.player_id, 1);
    assert_int_equal(client_give_ownership(f->c, 1), CLIENT_OK);
    m = take(f);
    assert_int_equal(m->type, PROTO_GIVE_OWNERSHIP);
    assert_int_equal(m->u.give_ownership.player_id, 1);
    assert_int_equal(client_start_game(f->c), CLIENT_OK);
    assert_int_equal(take(f)->type, PROTO_START_GAME);
    assert_int_equal(client_configure_lobby(f->c, 0x10, &s), CLIENT_ERR_ARG);
    assert_int_equal(client_configure_lobby(f->c, PROTO_CONFIGURE_MAX_RTT, &s), CLIENT_OK);
    m = take(f);
    assert_int_equal(m->u.configure_lobby.changes, PROTO_CONFIGURE_MAX_RTT);
    assert_int_equal(m->u.configure_lobby.max_rtt_ms, 150);
    uint32_t dm_id;
    assert_int_equal(client_send_direct(f->c, 1, "psst", 4, &dm_id), CLIENT_OK);
    m = take(f);
    assert_int_equal(m->type, PROTO_DIRECT_CHAT);
    assert_int_equal(m->u.direct_chat.msg_id, dm_id);
    assert_int_equal(m->u.direct_chat.to_id, 1);
    assert_str(m->u.direct_chat.text, "psst");
    assert_int_equal(client_leave_lobby(f->c), CLIENT_OK);
    assert_int_equal(take(f)->type, PROTO_LEAVE_LOBBY);
}

/* ---- what the server's messages do to the view ------------------------------ */

static void test_lobby_messages_update_the_view(void **state)
{
    fixture *f = *state;
    start_client(f, NULL, NULL, false);
    take(f);
    welcome(f, 2, "main", false);

    proto_msg m = {.type = PROTO_LOBBY_STATE};
    m.u.lobby_state.owner_id = 1;
    m.u.lobby_state.state = PROTO_LOBBY_OPEN;
    m.u.lobby_state.capacity = 6;
    m.u.lobby_state.flags = PROTO_LOBBYF_PASSWORD;
    m.u.lobby_state.max_rtt_ms = 200;
    m.u.lobby_state.meta.count = 1;
    m.u.lobby_state.meta.pairs[0].key = proto_str_from_cstr("mode");
    m.u.lobby_state.meta.pairs[0].value = proto_str_from_cstr("ctf");
    m.u.lobby_state.count = 2;
    m.u.lobby_state.members[0] = (proto_lobby_member){.id = 1, .flags = PROTO_MEMBER_READY};
    m.u.lobby_state.members[1] = (proto_lobby_member){.id = 2, .flags = 0};
    serve(f, &m);
    next_event(f, CLIENT_EV_LOBBY_STATE);
    const client_view *v = client_get_view(f->c);
    assert_int_equal(v->owner_id, 1);
    assert_int_equal(v->lobby_state, PROTO_LOBBY_OPEN);
    assert_int_equal(v->capacity, 6);
    assert_true(v->has_password);
    assert_int_equal(v->max_rtt_ms, 200);
    assert_int_equal(v->meta_count, 1);
    assert_string_equal(v->meta[0].key, "mode");
    assert_true(client_find_player(f->c, 1)->ready);
    assert_false(client_find_player(f->c, 2)->ready);
    assert_ptr_equal(client_find_player_by_name(f->c, "owner"), client_find_player(f->c, 1));
    assert_null(client_find_player_by_name(f->c, "Owner"));

    proto_msg cd = {.type = PROTO_COUNTDOWN};
    cd.u.countdown.seconds_left = 3;
    cd.u.countdown.start_tick = 640;
    serve(f, &cd);
    uint64_t before_us = clock_now_us();
    client_event ev = next_event(f, CLIENT_EV_COUNTDOWN);
    assert_int_equal(ev.countdown.seconds_left, 3);
    assert_int_equal(ev.countdown.start_tick, 640);
    assert_int_equal(v->lobby_state, PROTO_LOBBY_STARTING);
    assert_true(v->countdown_end_us >= before_us + 2000000u);
    assert_true(v->countdown_end_us <= clock_now_us() + 3000000u);

    proto_msg cancel = {.type = PROTO_COUNTDOWN_CANCELLED};
    cancel.u.countdown_cancelled.by_id = 1;
    cancel.u.countdown_cancelled.text = proto_str_from_cstr("owner is not ready");
    serve(f, &cancel);
    ev = next_event(f, CLIENT_EV_COUNTDOWN_CANCELLED);
    assert_int_equal(ev.countdown_cancelled.by_id, 1);
    assert_string_equal(ev.text, "owner is not ready");
    assert_int_equal(v->lobby_state, PROTO_LOBBY_OPEN);
    assert_int_equal(v->countdown_end_us, 0);

    proto_msg go = {.type = PROTO_GAME_STARTING};
    go.u.game_starting.tick = 700;
    go.u.game_starting.server_us = 123456789;
    serve(f, &go);
    ev = next_event(f, CLIENT_EV_GAME_STARTING);
    assert_int_equal(ev.game_starting.tick, 700);
    assert_int_equal(ev.game_starting.server_us, 123456789);
    assert_int_equal(v->start_tick, 700);
    assert_int_equal(v->lobby_state, PROTO_LOBBY_IN_GAME);
    assert_false(client_find_player(f->c, 1)->ready);

    /* Direct messages: relayed to us, acked with seq 0 (no lobby sequence). */
    proto_msg relay = {.type = PROTO_CHAT_RELAY};
    relay.u.chat_relay.from_id = 1;
    relay.u.chat_relay.seq = 41;
    relay.u.chat_relay.text = proto_str_from_cstr("hi all");
    serve(f, &relay);
    next_event(f, CLIENT_EV_CHAT);
    proto_msg dm = {.type = PROTO_DIRECT_CHAT_RELAY};
    dm.u.direct_chat_relay.from_id = 1;
    dm.u.direct_chat_relay.text = proto_str_from_cstr("psst");
    serve(f, &dm);
    ev = next_event(f, CLIENT_EV_DIRECT_CHAT);
    assert_int_equal(ev.direct_chat.player_id, 1);
    assert_string_equal(ev.text, "psst");
    proto_msg ack = {.type = PROTO_CHAT_ACK};
    ack.u.chat_ack.msg_id = 5;
    ack.u.chat_ack.seq = 0;
    serve(f, &ack);
    ev = next_event(f, CLIENT_EV_CHAT_ACK);
    assert_int_equal(ev.chat_ack.seq, 0);
    assert_int_equal(v->last_chat_seq, 41);

    proto_msg refused = {.type = PROTO_LOBBY_REFUSED};
    refused.u.lobby_refused.request = PROTO_KICK;
    refused.u.lobby_refused.reason = PROTO_LOBBY_NOT_OWNER;
    refused.u.lobby_refused.text = proto_str_from_cstr("only the owner may kick");
    serve(f, &refused);
    ev = next_event(f, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev.lobby_refused.request, PROTO_KICK);
    assert_int_equal(ev.lobby_refused.reason, PROTO_LOBBY_NOT_OWNER);
    assert_string_equal(ev.text, "only the owner may kick");

    /* A WELCOME into another lobby: a new id and a fresh lobby view. */
    welcome(f, 12, "annex", false);
    assert_int_equal(v->state, CLIENT_JOINED);
    assert_int_equal(v->my_id, 12);
    assert_string_equal(v->lobby, "annex");
    assert_int_equal(v->owner_id, 0);
    assert_int_equal(v->lobby_state, 0);
    assert_int_equal(v->start_tick, 0);
    assert_int_equal(v->meta_count, 0);
    assert_int_equal(v->last_chat_seq, 0);
}

static void test_lobby_list_is_kept(void **state)
{
    fixture *f = *state;
    start_client(f, NULL, NULL, true);
    take(f);
    exited(f, PROTO_EXIT_BROWSING);
    assert_int_equal(client_get_lobby_list(f->c)->count, 0);
    assert_int_equal(client_get_lobby_list(f->c)->request_id, 0);
    proto_msg m = {.type = PROTO_LOBBY_LIST};
    m.u.lobby_list.request_id = 77;
    m.u.lobby_list.total = 5;
    m.u.lobby_list.count = 2;
    proto_lobby_entry e[2];
    m.u.lobby_list.entries = e;
    e[0] = (proto_lobby_entry){.name = proto_str_from_cstr("arena"),
                               .players = 3,
                               .capacity = 8,
                               .flags = PROTO_LOBBYF_PASSWORD,
                               .state = PROTO_LOBBY_STARTING,
                               .owner = proto_str_from_cstr("ann"),
                               .median_rtt_ms = 42,
                               .max_rtt_ms = 100};
    e[0].meta.count = 1;
    e[0].meta.pairs[0].key = proto_str_from_cstr("map");
    e[0].meta.pairs[0].value = proto_str_from_cstr("");
    e[1] = (proto_lobby_entry){.name = proto_str_from_cstr("empty"),
                               .capacity = 4,
                               .state = PROTO_LOBBY_OPEN,
                               .owner = proto_str_from_cstr(""),
                               .median_rtt_ms = PROTO_RTT_UNKNOWN};
    serve(f, &m);
    client_event ev = next_event(f, CLIENT_EV_LOBBY_LIST);
    assert_int_equal(ev.lobby_list.request_id, 77);
    const client_lobby_list *l = client_get_lobby_list(f->c);
    assert_int_equal(l->request_id, 77);
    assert_int_equal(l->total, 5);
    assert_int_equal(l->count, 2);
    assert_string_equal(l->lobbies[0].name, "arena");
    assert_int_equal(l->lobbies[0].players, 3);
    assert_true(l->lobbies[0].has_password);
    assert_int_equal(l->lobbies[0].state, PROTO_LOBBY_STARTING);
    assert_string_equal(l->lobbies[0].owner, "ann");
    assert_true(l->lobbies[0].rtt_known);
    assert_int_equal(l->lobbies[0].median_rtt_ms, 42);
    assert_int_equal(l->lobbies[0].max_rtt_ms, 100);
    assert_string_equal(l->lobbies[0].meta[0].key, "map");
    assert_string_equal(l->lobbies[0].meta[0].value, "");
    assert_false(l->lobbies[1].has_password);
    assert_false(l->lobbies[1].rtt_known);
    assert_string_equal(l->lobbies[1].owner, "");
}

/* A direct message and a kick in the same update: the event still names the
 * sender, though the view no longer holds it when the caller reads it. */
static void test_direct_message_names_its_sender(void **state)
{
    fixture *f = *state;
    start_client(f, NULL, NULL, false);
    take(f);
    welcome(f, 2, "main", false);
    proto_msg dm = {.type = PROTO_DIRECT_CHAT_RELAY};
    dm.u.direct_chat_relay.from_id = 1;
    dm.u.direct_chat_relay.text = proto_str_from_cstr("bye");
    serve(f, &dm);
    proto_msg out = {.type = PROTO_LOBBY_EXITED};
    out.u.lobby_exited.reason = PROTO_EXIT_KICKED;
    out.u.lobby_exited.text = proto_str_from_cstr("kicked");
    serve(f, &out);
    const client_view *v = client_get_view(f->c);
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u;
         v->state != CLIENT_BROWSING && clock_now_us() < end;)
        pump(f);
    assert_int_equal(v->state, CLIENT_BROWSING);
    assert_null(client_find_player(f->c, 1));
    client_event ev = next_event(f, CLIENT_EV_DIRECT_CHAT);
    assert_int_equal(ev.direct_chat.player_id, 1);
    assert_string_equal(ev.direct_chat.sender, "owner");
    assert_string_equal(ev.text, "bye");
}

/* ---- rejections: retried or not -------------------------------------------- */

/* Ends the client and forgets its connection on the scripted server. */
static void restart(fixture *f)
{
    client_destroy(f->c);
    f->c = NULL;
    if (f->srv.peer != NULL)
        enet_peer_reset(f->srv.peer);
    f->srv.peer = NULL;
    f->srv.taken = f->srv.seen;
}

/* Pumps for a while: far longer than the 5..10 ms backoff of start_client,
 * so a client that meant to retry would have connected again. */
static void idle(fixture *f, unsigned ms)
{
    for (uint64_t end = clock_now_us() + ms * 1000u; clock_now_us() < end;)
        pump(f);
}

static bool no_event_of(fixture *f, client_event_type type)
{
    client_event ev;
    while (client_next_event(f->c, &ev))
        if (ev.type == type)
            return false;
    return true;
}

/* The reasons a retry cannot fix (README, docs/PROTOCOL.md). */
static bool expect_permanent(unsigned reason)
{
    switch (reason) {
    case PROTO_REASON_VERSION_MISMATCH:
    case PROTO_REASON_NAME_INVALID:
    case PROTO_REASON_NAME_TAKEN:
    case PROTO_REASON_LOBBY_INVALID:
    case PROTO_REASON_WRONG_PASSWORD:
    case PROTO_REASON_KICKED:
    case PROTO_REASON_PROTOCOL_VIOLATION:
    case PROTO_REASON_FLOODING:
    case PROTO_REASON_AUTH_REQUIRED: /* version 5: a new token is the backend's business */
    case PROTO_REASON_AUTH_INVALID:
    case PROTO_REASON_AUTH_EXPIRED:
    case PROTO_REASON_AUTH_WRONG_LOBBY:
        return true;
    }
    return false;
}

static void test_reason_classes(void **state)
{
    (void)state;
    for (unsigned reason = 0; reason <= 255; reason++)
        assert_int_equal(client_reason_is_permanent(reason), expect_permanent(reason));
}

/* Every REJECT reason, as the server sends it (REJECT, then a disconnect
 * with the same reason): a permanent one ends the session with the
 * server's reason and no further attempt; any other is retried. */
static void test_permanent_rejections_stop_the_retries(void **state)
{
    fixture *f = *state;
    for (unsigned reason = 1; reason <= PROTO_REASON_MAX; reason++) {
        start_client(f, "main", NULL, false);
        assert_int_equal(take(f)->type, PROTO_HELLO);
        int connects = f->srv.connects;
        proto_msg reject = {.type = PROTO_REJECT};
        reject.u.reject.reason = (uint8_t)reason;
        reject.u.reject.text = proto_str_from_cstr("because");
        serve(f, &reject);
        enet_peer_disconnect_later(f->srv.peer, reason);
        if (expect_permanent(reason)) {
            client_event ev = next_event(f, CLIENT_EV_REJECTED);
            assert_int_equal(ev.rejected.reason, reason);
            assert_string_equal(ev.text, "because");
            idle(f, 300);
            assert_true(no_event_of(f, CLIENT_EV_RECONNECTING));
            assert_int_equal(f->srv.connects, connects);
            assert_int_equal(client_get_view(f->c)->state, CLIENT_REJECTED);
            assert_int_equal(client_get_view(f->c)->reason, reason);
            assert_string_equal(client_get_view(f->c)->reason_text, "because");
        } else {
            client_event ev = next_event(f, CLIENT_EV_RECONNECTING);
            assert_int_equal(ev.reconnecting.reason, reason);
            assert_int_equal(take(f)->type, PROTO_HELLO); /* a new attempt */
            assert_true(f->srv.connects > connects);
        }
        restart(f);
    }
}

/* Thrown out while joined (an ENet disconnect with the reason as data):
 * for flooding the client stays out; a shutdown is retried. */
static void test_thrown_out_for_flooding_stays_out(void **state)
{
    fixture *f = *state;
    start_client(f, "main", NULL, false);
    take(f);
    welcome(f, 5, "main", false);
    int connects = f->srv.connects;
    enet_peer_disconnect_now(f->srv.peer, PROTO_REASON_FLOODING);
    f->srv.peer = NULL;
    client_event ev = next_event(f, CLIENT_EV_DISCONNECTED);
    assert_int_equal(ev.disconnected.reason, PROTO_REASON_FLOODING);
    assert_string_equal(ev.text, proto_reason_text(PROTO_REASON_FLOODING));
    idle(f, 300);
    assert_true(no_event_of(f, CLIENT_EV_RECONNECTING));
    assert_int_equal(f->srv.connects, connects);
    assert_int_equal(client_get_view(f->c)->state, CLIENT_DISCONNECTED);

    restart(f);
    start_client(f, "main", NULL, false);
    take(f);
    welcome(f, 6, "main", false);
    enet_peer_disconnect_now(f->srv.peer, PROTO_REASON_SHUTTING_DOWN);
    f->srv.peer = NULL;
    ev = next_event(f, CLIENT_EV_RECONNECTING);
    assert_int_equal(ev.reconnecting.reason, PROTO_REASON_SHUTTING_DOWN);
    assert_int_equal(take(f)->type, PROTO_HELLO);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_hello_join_carries_the_password),
        T(test_browse_hello_and_reconnect_to_the_list),
        T(test_token_refused_rejoins_the_lobby_moved_to),
        T(test_requests_encode_what_was_asked),
        T(test_lobby_messages_update_the_view),
        T(test_lobby_list_is_kept),
        T(test_direct_message_names_its_sender),
        cmocka_unit_test(test_reason_classes),
        T(test_permanent_rejections_stop_the_retries),
        T(test_thrown_out_for_flooding_stays_out),
    };
#undef T
    return cmocka_run_group_tests_name("client core lobbies (scripted server)", tests, NULL, NULL);
}
