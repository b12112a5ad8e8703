/* Real lobbies through the server core's real code path: connection events
 * and encoded messages go in with a time chosen by the test, and each pass's
 * outbox is decoded and checked for who receives what. Covers the HELLO
 * modes, every lobby request and its refusals, the countdown on the tick,
 * kicks with their cool-down, the empty-lobby grace, direct messages and the
 * chat history a joiner gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lobby.h"
#include "proto.h"
#include "server.h"
#include "server_harness.h"

enum { MS_US = 1000 };

/* ---- harness ---------------------------------------------------------------- */

static void test_config(server_config *cfg)
{
    server_config_defaults(cfg);
    cfg->max_players = 32;
    cfg->max_sessions = 40;
    cfg->max_lobbies = 8;
    cfg->member_stats_ms = 0;
    cfg->grace_ms = 10000; /* seats are held: DMs to a reconnecting member */
    cfg->lobby_grace_ms = 5000;
    cfg->kick_cooldown_ms = 60000;
    cfg->countdown_ms = 3000;
    cfg->snapshot_hz = 10;
}

static int harness_setup(void **state)
{
    server_config cfg;
    test_config(&cfg);
    return server_fixture_setup(state, &cfg);
}

static size_t count_type_for(const harness *h, uint32_t session, proto_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < h->got_count; i++)
        n += h->got[i].msg.type == type && addressed_to(&h->got[i], session);
    return n;
}

/* Index of the first delivery of type to session, or -1. */
static long index_of(const harness *h, uint32_t session, proto_type type)
{
    for (size_t i = 0; i < h->got_count; i++)
        if (h->got[i].msg.type == type && addressed_to(&h->got[i], session))
            return (long)i;
    return -1;
}

static bool has_text(proto_str got, const char *part)
{
    size_t n = strlen(part);
    for (size_t i = 0; i + n <= got.len; i++)
        if (memcmp(got.bytes + i, part, n) == 0)
            return true;
    return false;
}

static void assert_contains(proto_str got, const char *part)
{
    if (!has_text(got, part))
        fail_msg("'%.*s' does not contain '%s'", (int)got.len, got.bytes, part);
}

/* ---- driving the server ----------------------------------------------------- */

static void receive(harness *h, uint32_t handle, const proto_msg *m)
{
    server_fixture_receive(h->s, handle, m, h->now_us);
}

static void send_hello(harness *h, uint32_t handle, const char *name, const char *lobby_name,
                       const char *password, uint8_t mode)
{
    server_fixture_connect(h->s, handle, proto_connect_data(PROTO_VERSION), "test:1", h->now_us);
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(name);
    m.u.hello.lobby = proto_str_from_cstr(lobby_name);
    m.u.hello.password = proto_str_from_cstr(password);
    m.u.hello.mode = mode;
    receive(h, handle, &m);
}

/* HELLO BROWSE in a pass of its own. */
static void browse(harness *h, uint32_t handle, const char *name)
{
    send_hello(h, handle, name, "", "", PROTO_HELLO_BROWSE);
    capture(h);
    const delivery *d = must_find_for(h, handle, PROTO_LOBBY_EXITED);
    assert_int_equal(d->msg.u.lobby_exited.reason, PROTO_EXIT_BROWSING);
    end_pass(h);
}

static proto_msg create_msg(const char *name, uint8_t capacity, const char *password,
                            uint16_t max_rtt_ms)
{
    proto_msg m = {.type = PROTO_CREATE_LOBBY};
    m.u.create_lobby.name = proto_str_from_cstr(name);
    m.u.create_lobby.capacity = capacity;
    m.u.create_lobby.password = proto_str_from_cstr(password);
    m.u.create_lobby.max_rtt_ms = max_rtt_ms;
    return m;
}

/* CREATE_LOBBY in a pass of its own; returns the creator's new player id. */
static uint16_t create(harness *h, uint32_t handle, const char *name, uint8_t capacity,
                       const char *password)
{
    proto_msg m = create_msg(name, capacity, password, 0);
    receive(h, handle, &m);
    capture(h);
    uint16_t id = must_find_for(h, handle, PROTO_WELCOME)->msg.u.welcome.your_id;
    end_pass(h);
    return id;
}

static void send_join_lobby(harness *h, uint32_t handle, const char *name, const char *password)
{
    proto_msg m = {.type = PROTO_JOIN_LOBBY};
    m.u.join_lobby.name = proto_str_from_cstr(name);
    m.u.join_lobby.password = proto_str_from_cstr(password);
    receive(h, handle, &m);
}

/* JOIN_LOBBY in a pass of its own; returns the new player id. */
static uint16_t join_lobby(harness *h, uint32_t handle, const char *name, const char *password)
{
    send_join_lobby(h, handle, name, password);
    capture(h);
    uint16_t id = must_find_for(h, handle, PROTO_WELCOME)->msg.u.welcome.your_id;
    end_pass(h);
    return id;
}

static void send_simple(harness *h, uint32_t handle, proto_type type)
{
    proto_msg m = {.type = type};
    receive(h, handle, &m);
}

static void send_ready(harness *h, uint32_t handle, bool ready)
{
    proto_msg m = {.type = PROTO_SET_READY};
    m.u.set_ready.ready = ready;
    receive(h, handle, &m);
}

static void send_kick(harness *h, uint32_t handle, uint16_t id)
{
    proto_msg m = {.type = PROTO_KICK};
    m.u.kick.player_id = id;
    receive(h, handle, &m);
}

static void send_give(harness *h, uint32_t handle, uint16_t id)
{
    proto_msg m = {.type = PROTO_GIVE_OWNERSHIP};
    m.u.give_ownership.player_id = id;
    receive(h, handle, &m);
}

static void send_dm(harness *h, uint32_t handle, uint32_t msg_id, uint16_t to, const char *text)
{
    proto_msg m = {.type = PROTO_DIRECT_CHAT};
    m.u.direct_chat.msg_id = msg_id;
    m.u.direct_chat.to_id = to;
    m.u.direct_chat.text = proto_str_from_cstr(text);
    receive(h, handle, &m);
}

static void send_chat(harness *h, uint32_t handle, uint32_t msg_id, const char *text)
{
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = msg_id;
    m.u.chat.text = proto_str_from_cstr(text);
    receive(h, handle, &m);
}

static void send_list(harness *h, uint32_t handle, uint32_t request_id, const char *contains,
                      uint8_t flags)
{
    proto_msg m = {.type = PROTO_LIST_LOBBIES};
    m.u.list_lobbies.request_id = request_id;
    m.u.list_lobbies.name_contains = proto_str_from_cstr(contains);
    m.u.list_lobbies.flags = flags;
    receive(h, handle, &m);
}

/* Captures this pass and checks it holds a LOBBY_REFUSED (request, reason)
 * for handle; its text is kept in h->text. Ends the pass. */
static void assert_refused(harness *h, uint32_t handle, proto_type request,
                           proto_lobby_refusal reason)
{
    capture(h);
    const delivery *d = must_find_for(h, handle, PROTO_LOBBY_REFUSED);
    if (d->msg.u.lobby_refused.reason != reason || d->msg.u.lobby_refused.request != request)
        fail_msg("refused %s with %s, want %s with %s",
                 proto_type_name(d->msg.u.lobby_refused.request),
                 proto_refusal_text(d->msg.u.lobby_refused.reason), proto_type_name(request),
                 proto_refusal_text(reason));
    proto_str text = d->msg.u.lobby_refused.text;
    assert_true(text.len > 0);
    memcpy(h->text, text.bytes, text.len);
    h->text[text.len] = '\0';
    assert_null(find_for(h, handle, PROTO_WELCOME));
    end_pass(h);
}

static void assert_rejected(harness *h, uint32_t handle, proto_reason reason)
{
    capture(h);
    const delivery *d = must_find_for(h, handle, PROTO_REJECT);
    if (d->msg.u.reject.reason != reason)
        fail_msg("rejected with %s, want %s", proto_reason_text(d->msg.u.reject.reason),
                 proto_reason_text(reason));
    memcpy(h->text, d->msg.u.reject.text.bytes, d->msg.u.reject.text.len);
    h->text[d->msg.u.reject.text.len] = '\0';
    end_pass(h);
}

static void assert_chat_refused(harness *h, uint32_t handle, proto_chat_refusal reason)
{
    capture(h);
    const delivery *d = must_find_for(h, handle, PROTO_CHAT_REFUSED);
    assert_int_equal(d->msg.u.chat_refused.reason, reason);
    assert_true(d->msg.u.chat_refused.text.len > 0);
    end_pass(h);
}

/* One snapshot period later, the tick, captured (not ended). */
static void next_tick(harness *h)
{
    h->now_us += 1000000u / h->cfg.snapshot_hz;
    server_tick(h->s, h->now_us);
    capture(h);
}

static const lobby *lobby_named(const harness *h, const char *name)
{
    const lobby_set *set = server_lobbies(h->s);
    int i = lobby_find(set, proto_str_from_cstr(name));
    return i < 0 ? NULL : &set->lobbies[i];
}

/* "red": 0 alice (owner), 1 bob, 2 carol, made with CREATE_LOBBY from the list. */
static void red_of_three(harness *h, uint16_t ids[3])
{
    browse(h, 0, "alice");
    browse(h, 1, "bob");
    browse(h, 2, "carol");
    ids[0] = create(h, 0, "red", 0, "");
    ids[1] = join_lobby(h, 1, "red", "");
    ids[2] = join_lobby(h, 2, "red", "");
}

static void all_ready(harness *h)
{
    for (uint32_t i = 0; i < 3; i++)
        send_ready(h, i, true);
    end_pass(h);
}

/* ---- HELLO modes ------------------------------------------------------------ */

static void browse_hello_is_at_the_list_without_a_player(void **state)
{
    harness *h = *state;
    send_hello(h, 0, "alice", "", "", PROTO_HELLO_BROWSE);
    capture(h);
    assert_int_equal(h->got_count, 1);
    must_find_for(h, 0, PROTO_LOBBY_EXITED);
    assert_int_equal(server_player_count(h->s), 0);
    end_pass(h);
    /* Chat from the list is refused, not counted as malformed. */
    send_chat(h, 0, 7, "hello?");
    assert_chat_refused(h, 0, PROTO_REFUSE_NOT_IN_LOBBY);
    assert_int_equal(server_get_stats(h->s)->malformed, 0);
    send_ready(h, 0, true);
    assert_refused(h, 0, PROTO_SET_READY, PROTO_LOBBY_NOT_IN_LOBBY);
    send_simple(h, 0, PROTO_LEAVE_LOBBY);
    assert_refused(h, 0, PROTO_LEAVE_LOBBY, PROTO_LOBBY_NOT_IN_LOBBY);
}

static void hello_join_owns_a_new_lobby(void **state)
{
    harness *h = *state;
    send_hello(h, 0, "alice", "fresh", "", PROTO_HELLO_JOIN);
    capture(h);
    uint16_t id = must_find_for(h, 0, PROTO_WELCOME)->msg.u.welcome.your_id;
    const delivery *st = must_find_for(h, 0, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.owner_id, id);
    assert_int_equal(st->msg.u.lobby_state.capacity, h->cfg.lobby_capacity);
    assert_int_equal(st->msg.u.lobby_state.state, PROTO_LOBBY_OPEN);
    end_pass(h);
}

static void hello_join_opens_a_new_lobby_with_its_password(void **state)
{
    harness *h = *state;
    send_hello(h, 0, "alice", "den", "pw", PROTO_HELLO_JOIN);
    capture(h);
    must_find_for(h, 0, PROTO_WELCOME);
    const delivery *st = must_find_for(h, 0, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.flags, PROTO_LOBBYF_PASSWORD);
    end_pass(h);
    send_hello(h, 1, "bob", "den", "", PROTO_HELLO_JOIN);
    assert_rejected(h, 1, PROTO_REASON_WRONG_PASSWORD);
    /* A password over 32 bytes opens nothing. */
    send_hello(h, 2, "carol", "vault", "123456789012345678901234567890123", PROTO_HELLO_JOIN);
    assert_rejected(h, 2, PROTO_REASON_LOBBY_INVALID);
    assert_null(lobby_named(h, "vault"));
}

static void hello_join_follows_the_lobby_rules(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    create(h, 0, "locked", 0, "pw");
    send_hello(h, 1, "bob", "locked", "nope", PROTO_HELLO_JOIN);
    assert_rejected(h, 1, PROTO_REASON_WRONG_PASSWORD);
    server_on_disconnect(h->s, 1, PROTO_REASON_QUIT, true, h->now_us);
    send_hello(h, 1, "bob", "locked", "pw", PROTO_HELLO_JOIN);
    capture(h);
    must_find_for(h, 1, PROTO_WELCOME);
    end_pass(h);
    /* Over the lobby's max RTT, as measured at connect. */
    browse(h, 2, "carol");
    proto_msg m = create_msg("fast", 0, "", 50);
    receive(h, 2, &m);
    end_pass(h);
    server_on_connect(h->s, 3, proto_connect_data(PROTO_VERSION), PROTO_CHANNEL_COUNT,
                      server_fixture_ip(3), "test:3", h->now_us);
    server_note_link(h->s, 3, 200, 10, 0);
    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.name = proto_str_from_cstr("dave");
    hello.u.hello.lobby = proto_str_from_cstr("fast");
    receive(h, 3, &hello);
    assert_rejected(h, 3, PROTO_REASON_RTT_TOO_HIGH);
    assert_non_null(strstr(h->text, "200 ms"));
}

/* ---- LIST_LOBBIES ----------------------------------------------------------- */

/* Row i of a captured LOBBY_LIST (decoded, its rows stay wire bytes). */
static proto_lobby_entry list_row(const delivery *d, unsigned i)
{
    size_t cursor = 0;
    proto_lobby_entry e;
    for (unsigned k = 0; k <= i; k++)
        assert_true(proto_lobby_list_next(&d->msg.u.lobby_list, &cursor, &e));
    return e;
}

static void list_answers_filtered_entries_with_details(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    browse(h, 1, "bob");
    browse(h, 5, "eve");
    server_note_link(h->s, 0, 40, 1, 0);
    server_note_link(h->s, 1, 80, 1, 0);
    create(h, 0, "Red Room", 4, "");
    join_lobby(h, 1, "Red Room", "");
    create(h, 5, "red locked", 0, "pw");
    send_list(h, 5, 77, "RED", PROTO_FILTER_NO_PASSWORD);
    capture(h);
    const delivery *d = must_find_for(h, 5, PROTO_LOBBY_LIST);
    assert_int_equal(d->msg.u.lobby_list.request_id, 77);
    assert_int_equal(d->msg.u.lobby_list.total, 1);
    assert_int_equal(d->msg.u.lobby_list.count, 1);
    proto_lobby_entry row = list_row(d, 0);
    const proto_lobby_entry *e = &row;
    assert_true(proto_str_eq(e->name, proto_str_from_cstr("Red Room")));
    assert_int_equal(e->players, 2);
    assert_int_equal(e->capacity, 4);
    assert_int_equal(e->state, PROTO_LOBBY_OPEN);
    assert_true(proto_str_eq(e->owner, proto_str_from_cstr("alice")));
    assert_int_equal(e->median_rtt_ms, 60);
    end_pass(h);
    send_list(h, 5, 78, "", 0);
    capture(h);
    d = must_find_for(h, 5, PROTO_LOBBY_LIST);
    assert_int_equal(d->msg.u.lobby_list.total, 3); /* main too */
    assert_int_equal(list_row(d, 0).median_rtt_ms, PROTO_RTT_UNKNOWN);
    assert_int_equal(list_row(d, 2).flags, PROTO_LOBBYF_PASSWORD);
    end_pass(h);
}

static void lobby_requests_are_rate_limited(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    for (uint32_t i = 0; i < 20; i++)
        send_list(h, 0, i, "", 0);
    capture(h);
    assert_int_equal(count_type_for(h, 0, PROTO_LOBBY_LIST), 20);
    end_pass(h);
    send_list(h, 0, 99, "", 0);
    assert_refused(h, 0, PROTO_LIST_LOBBIES, PROTO_LOBBY_RATE_LIMITED);
    h->now_us += 1000 * MS_US;
    send_list(h, 0, 100, "", 0);
    capture(h);
    must_find_for(h, 0, PROTO_LOBBY_LIST);
    end_pass(h);
}

/* ---- CREATE_LOBBY / JOIN_LOBBY / LEAVE_LOBBY ------------------------------- */

static void create_makes_the_creator_owner_with_its_settings(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    proto_msg m = create_msg("blue", 5, "pw", 150);
    m.u.create_lobby.meta.count = 1;
    m.u.create_lobby.meta.pairs[0].key = proto_str_from_cstr("mode");
    m.u.create_lobby.meta.pairs[0].value = proto_str_from_cstr("ctf");
    receive(h, 0, &m);
    capture(h);
    assert_true(index_of(h, 0, PROTO_WELCOME) < index_of(h, 0, PROTO_LOBBY_STATE));
    uint16_t id = must_find_for(h, 0, PROTO_WELCOME)->msg.u.welcome.your_id;
    assert_int_equal(must_find_for(h, 0, PROTO_WELCOME)->msg.u.welcome.capacity, 5);
    const delivery *st = must_find_for(h, 0, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.owner_id, id);
    assert_int_equal(st->msg.u.lobby_state.capacity, 5);
    assert_int_equal(st->msg.u.lobby_state.flags, PROTO_LOBBYF_PASSWORD);
    assert_int_equal(st->msg.u.lobby_state.max_rtt_ms, 150);
    assert_int_equal(st->msg.u.lobby_state.meta.count, 1);
    assert_int_equal(server_player_count(h->s), 1);
    end_pass(h);
}

/* handle creates lobbies l1..ln, each answered in its own pass. */
static void create_numbered(harness *h, uint32_t handle, uint32_t n)
{
    char name[16];
    for (uint32_t i = 1; i <= n; i++) {
        snprintf(name, sizeof name, "l%u", (unsigned)i);
        proto_msg m = create_msg(name, 0, "", 0);
        receive(h, handle, &m);
        end_pass(h);
    }
}

static void create_refusals(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    proto_msg m = create_msg("main", 0, "", 0);
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_EXISTS);
    m = create_msg("MAIN", 0, "", 0); /* compared as name keys */
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_EXISTS);
    assert_non_null(strstr(h->text, "'main'"));
    m = create_msg("bad\tname", 0, "", 0);
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_NAME_INVALID);
    m = create_msg("big", 65, "", 0);
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_BAD_VALUE);
    m = create_msg("meta", 0, "", 0);
    m.u.create_lobby.meta.count = 1;
    m.u.create_lobby.meta.pairs[0].key = proto_str_from_cstr("Mode!");
    m.u.create_lobby.meta.pairs[0].value = proto_str_from_cstr("x");
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_BAD_VALUE);
    assert_non_null(strstr(h->text, "Mode!"));
    create_numbered(h, 0, h->cfg.max_lobbies_per_holder); /* the holder's share */
    m = create_msg("mine too", 0, "", 0);
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_QUOTA);
    assert_non_null(strstr(h->text, "3 lobbies open"));
    /* The server's own limit, with the holder's lifted. */
    server_destroy(h->s);
    h->cfg.max_lobbies_per_holder = h->cfg.max_lobbies;
    assert_int_equal(server_create(&h->cfg, &h->s), SERVER_OK);
    browse(h, 0, "alice");
    create_numbered(h, 0, h->cfg.max_lobbies - 1); /* fill every slot */
    m = create_msg("one more", 0, "", 0);
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CREATE_LOBBY, PROTO_LOBBY_NO_SLOTS);
    assert_int_equal(server_player_count(h->s), 1); /* still in the last one */
}

static void join_success_order_and_history(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    create(h, 0, "red", 0, "");
    char line[16];
    for (uint32_t i = 1; i <= 60; i++) {
        snprintf(line, sizeof line, "line %u", (unsigned)i);
        send_chat(h, 0, i, line);
        h->now_us += 1000 * MS_US; /* within the chat rate */
        end_pass(h);
    }
    browse(h, 1, "bob");
    send_join_lobby(h, 1, "red", "");
    capture(h);
    long welcome = index_of(h, 1, PROTO_WELCOME), st = index_of(h, 1, PROTO_LOBBY_STATE);
    long joined = index_of(h, 0, PROTO_PLAYER_JOINED), first = index_of(h, 1, PROTO_CHAT_HISTORY);
    assert_true(welcome >= 0 && welcome < st && st < joined && joined < first);
    assert_int_equal(h->got[st].dest_count, 2); /* LOBBY_STATE to every member */
    assert_int_equal(count_type_for(h, 1, PROTO_CHAT_HISTORY), PROTO_JOIN_HISTORY_LINES);
    assert_int_equal(count_type_for(h, 1, PROTO_CHAT_RELAY), 0);
    assert_int_equal(h->got[first].msg.u.chat_history.seq, 11);
    assert_null(find_for(h, 1, PROTO_PLAYER_JOINED));
    end_pass(h);
}

/* A joiner sees who wrote each kept line, also of a sender who has left. */
static void history_names_senders_who_left(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    browse(h, 1, "bob");
    uint16_t alice = create(h, 0, "red", 0, "");
    join_lobby(h, 1, "red", "");
    send_chat(h, 0, 1, "I was here");
    end_pass(h);
    send_simple(h, 0, PROTO_LEAVE_LOBBY);
    end_pass(h);
    browse(h, 2, "carol");
    send_join_lobby(h, 2, "red", "");
    capture(h);
    const delivery *d = must_find_for(h, 2, PROTO_CHAT_HISTORY);
    assert_int_equal(d->msg.u.chat_history.from_id, alice);
    assert_true(proto_str_eq(d->msg.u.chat_history.name, proto_str_from_cstr("alice")));
    assert_true(proto_str_eq(d->msg.u.chat_history.text, proto_str_from_cstr("I was here")));
    end_pass(h);
}

static void join_refusals(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    browse(h, 3, "dave");
    send_join_lobby(h, 3, "nowhere", "");
    assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_UNKNOWN);
    send_join_lobby(h, 3, "red", "");
    capture(h);
    must_find_for(h, 3, PROTO_WELCOME);
    end_pass(h);
    proto_msg m = create_msg("tiny", 1, "pw", 0);
    browse(h, 4, "erin");
    receive(h, 4, &m);
    end_pass(h);
    /* Full: the same answer whatever the password, so a full lobby cannot
     * be used to test guesses. */
    send_join_lobby(h, 3, "tiny", "wrong");
    assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_FULL);
    send_join_lobby(h, 3, "tiny", "pw");
    assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_FULL);
    proto_msg safe = create_msg("safe", 0, "pw", 0);
    browse(h, 6, "fay");
    receive(h, 6, &safe);
    end_pass(h);
    send_join_lobby(h, 3, "SAFE", "wrong"); /* any spelling finds it */
    assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_WRONG_PASSWORD);
    /* Refused while in red: dave is still there. */
    assert_int_equal(lobby_named(h, "red")->count, 4);
    send_join_lobby(h, 3, "red", "");
    assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_NAME_TAKEN);
    browse(h, 5, "Alice"); /* the same name key as red's alice */
    send_join_lobby(h, 5, "red", "");
    assert_refused(h, 5, PROTO_JOIN_LOBBY, PROTO_LOBBY_NAME_TAKEN);
}

static void join_refused_over_max_rtt_unmeasured_allowed(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    proto_msg m = create_msg("fast", 0, "", 50);
    receive(h, 0, &m);
    end_pass(h);
    browse(h, 1, "bob");
    server_note_link(h->s, 1, 51, 1, 0);
    send_join_lobby(h, 1, "fast", "");
    assert_refused(h, 1, PROTO_JOIN_LOBBY, PROTO_LOBBY_RTT_TOO_HIGH);
    browse(h, 2, "carol"); /* no measure yet */
    join_lobby(h, 2, "fast", "");
}

static void join_from_a_lobby_moves_with_a_new_id(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    browse(h, 3, "dave");
    create(h, 3, "blue", 0, "");
    send_join_lobby(h, 2, "blue", "");
    capture(h);
    const delivery *left = must_find_for(h, 0, PROTO_PLAYER_LEFT);
    assert_int_equal(left->msg.u.left.id, ids[2]);
    assert_int_equal(left->msg.u.left.reason, PROTO_LEAVE_LEFT);
    uint16_t new_id = must_find_for(h, 2, PROTO_WELCOME)->msg.u.welcome.your_id;
    assert_int_not_equal(new_id, ids[2]);
    assert_int_equal(must_find_for(h, 3, PROTO_PLAYER_JOINED)->msg.u.joined.id, new_id);
    assert_int_equal(server_player_count(h->s), 4);
    end_pass(h);
}

static void leave_goes_back_to_the_list(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    send_simple(h, 1, PROTO_LEAVE_LOBBY);
    capture(h);
    assert_int_equal(must_find_for(h, 1, PROTO_LOBBY_EXITED)->msg.u.lobby_exited.reason,
                     PROTO_EXIT_LEFT);
    const delivery *left = must_find_for(h, 0, PROTO_PLAYER_LEFT);
    assert_int_equal(left->msg.u.left.reason, PROTO_LEAVE_LEFT);
    assert_int_equal(must_find_for(h, 2, PROTO_LOBBY_STATE)->msg.u.lobby_state.count, 2);
    assert_null(find_for(h, 1, PROTO_PLAYER_LEFT));
    assert_int_equal(server_player_count(h->s), 2);
    end_pass(h);
    send_chat(h, 1, 1, "anyone?");
    assert_chat_refused(h, 1, PROTO_REFUSE_NOT_IN_LOBBY);
}

/* ---- owner ------------------------------------------------------------------ */

static void owner_requests_refused_for_members(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    send_kick(h, 1, ids[2]);
    assert_refused(h, 1, PROTO_KICK, PROTO_LOBBY_NOT_OWNER);
    assert_non_null(strstr(h->text, "alice"));
    send_give(h, 1, ids[2]);
    assert_refused(h, 1, PROTO_GIVE_OWNERSHIP, PROTO_LOBBY_NOT_OWNER);
    send_simple(h, 1, PROTO_START_GAME);
    assert_refused(h, 1, PROTO_START_GAME, PROTO_LOBBY_NOT_OWNER);
    proto_msg m = {.type = PROTO_CONFIGURE_LOBBY};
    m.u.configure_lobby.changes = PROTO_CONFIGURE_MAX_RTT;
    receive(h, 1, &m);
    assert_refused(h, 1, PROTO_CONFIGURE_LOBBY, PROTO_LOBBY_NOT_OWNER);
}

static void give_ownership_and_hand_over_on_leave(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    send_give(h, 0, ids[2]);
    capture(h);
    const delivery *st = must_find_for(h, 1, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.owner_id, ids[2]);
    assert_int_equal(st->dest_count, 3);
    end_pass(h);
    send_give(h, 2, ids[2]);
    assert_refused(h, 2, PROTO_GIVE_OWNERSHIP, PROTO_LOBBY_NO_SUCH_PLAYER);
    server_on_disconnect(h->s, 2, PROTO_REASON_QUIT, true, h->now_us);
    capture(h);
    assert_int_equal(must_find_for(h, 1, PROTO_LOBBY_STATE)->msg.u.lobby_state.owner_id, ids[0]);
    end_pass(h);
}

static void configure_below_count_changes_nothing(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    proto_msg m = {.type = PROTO_CONFIGURE_LOBBY};
    m.u.configure_lobby.changes = PROTO_CONFIGURE_CAPACITY | PROTO_CONFIGURE_PASSWORD;
    m.u.configure_lobby.capacity = 2;
    m.u.configure_lobby.password = proto_str_from_cstr("pw");
    receive(h, 0, &m);
    assert_refused(h, 0, PROTO_CONFIGURE_LOBBY, PROTO_LOBBY_BELOW_COUNT);
    assert_int_equal(lobby_named(h, "red")->capacity, h->cfg.lobby_capacity);
    assert_int_equal(lobby_named(h, "red")->password_len, 0);
    m.u.configure_lobby.capacity = 3;
    receive(h, 0, &m);
    capture(h);
    const delivery *st = must_find_for(h, 2, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.capacity, 3);
    assert_int_equal(st->msg.u.lobby_state.flags, PROTO_LOBBYF_PASSWORD);
    end_pass(h);
}

/* ---- kick ------------------------------------------------------------------- */

static void kick_puts_out_with_a_cooldown(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    send_kick(h, 0, ids[0]);
    assert_refused(h, 0, PROTO_KICK, PROTO_LOBBY_NO_SUCH_PLAYER);
    send_kick(h, 0, 999);
    assert_refused(h, 0, PROTO_KICK, PROTO_LOBBY_NO_SUCH_PLAYER);
    send_kick(h, 0, ids[2]);
    capture(h);
    const delivery *out = must_find_for(h, 2, PROTO_LOBBY_EXITED);
    assert_int_equal(out->msg.u.lobby_exited.reason, PROTO_EXIT_KICKED);
    assert_contains(out->msg.u.lobby_exited.text, "rejoin in 60 s");
    const delivery *left = must_find_for(h, 1, PROTO_PLAYER_LEFT);
    assert_int_equal(left->msg.u.left.reason, PROTO_LEAVE_KICKED);
    assert_null(find_for(h, 2, PROTO_PLAYER_LEFT));
    end_pass(h);
    h->now_us += 30000 * MS_US;
    send_join_lobby(h, 2, "red", "");
    assert_refused(h, 2, PROTO_JOIN_LOBBY, PROTO_LOBBY_KICKED);
    assert_non_null(strstr(h->text, "rejoin in 30 s"));
    send_hello(h, 5, "CAROL", "red", "", PROTO_HELLO_JOIN); /* the name key, by HELLO */
    assert_rejected(h, 5, PROTO_REASON_KICKED);
    h->now_us += 30000 * MS_US;
    join_lobby(h, 2, "red", "");
}

/* ---- ready, countdown, game start ------------------------------------------- */

static void start_refused_until_everyone_is_ready(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    send_ready(h, 0, true);
    capture(h);
    const delivery *st = must_find_for(h, 1, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.members[0].flags, PROTO_MEMBER_READY);
    end_pass(h);
    send_simple(h, 0, PROTO_START_GAME);
    assert_refused(h, 0, PROTO_START_GAME, PROTO_LOBBY_NOT_ALL_READY);
    assert_non_null(strstr(h->text, "bob, carol"));
}

/* Every plain HELLO lands in `main`: an owner there could lock it with a
 * password, kick players out of the server's front door or start a game
 * that refuses every later join. Nobody owns it. */
static void main_belongs_to_the_server(void **state)
{
    harness *h = *state;
    send_hello(h, 0, "alice", "", "", PROTO_HELLO_JOIN);
    capture(h);
    const delivery *st = must_find_for(h, 0, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.owner_id, 0);
    assert_int_equal(st->msg.u.lobby_state.flags, PROTO_LOBBYF_SERVER_OWNED);
    end_pass(h);
    send_hello(h, 1, "bob", "MAIN", "", PROTO_HELLO_JOIN); /* any spelling: the same lobby */
    capture(h);
    uint16_t bob = must_find_for(h, 1, PROTO_WELCOME)->msg.u.welcome.your_id;
    end_pass(h);
    send_ready(h, 0, true);
    end_pass(h);
    send_simple(h, 0, PROTO_START_GAME);
    assert_refused(h, 0, PROTO_START_GAME, PROTO_LOBBY_SERVER_OWNED);
    assert_non_null(strstr(h->text, "create a lobby"));
    send_kick(h, 0, bob);
    assert_refused(h, 0, PROTO_KICK, PROTO_LOBBY_SERVER_OWNED);
    send_give(h, 0, bob);
    assert_refused(h, 0, PROTO_GIVE_OWNERSHIP, PROTO_LOBBY_SERVER_OWNED);
    proto_msg configure = {.type = PROTO_CONFIGURE_LOBBY};
    configure.u.configure_lobby.changes = PROTO_CONFIGURE_PASSWORD;
    configure.u.configure_lobby.password = proto_str_from_cstr("x");
    receive(h, 0, &configure);
    assert_refused(h, 0, PROTO_CONFIGURE_LOBBY, PROTO_LOBBY_SERVER_OWNED);
    const lobby *main_lobby = lobby_named(h, "main");
    assert_int_equal(main_lobby->state, PROTO_LOBBY_OPEN);
    assert_int_equal(main_lobby->password_len, 0);
    assert_int_equal(main_lobby->owner_id, 0);
    assert_int_equal(main_lobby->count, 2);
    send_list(h, 1, 9, "main", 0);
    capture(h);
    const delivery *d = must_find_for(h, 1, PROTO_LOBBY_LIST);
    assert_int_equal(list_row(d, 0).flags, PROTO_LOBBYF_SERVER_OWNED);
    assert_int_equal(list_row(d, 0).owner.len, 0);
    end_pass(h);
}

static void countdown_then_game_starting_to_all_in_one_pass(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    all_ready(h);
    next_tick(h); /* the tick counter runs */
    end_pass(h);
    send_simple(h, 0, PROTO_START_GAME);
    capture(h);
    const delivery *cd = must_find_for(h, 2, PROTO_COUNTDOWN);
    assert_int_equal(cd->msg.u.countdown.seconds_left, 3);
    uint32_t start_tick = cd->msg.u.countdown.start_tick;
    assert_int_equal(cd->dest_count, 3);
    const delivery *st = must_find_for(h, 1, PROTO_LOBBY_STATE);
    assert_int_equal(st->msg.u.lobby_state.state, PROTO_LOBBY_STARTING);
    assert_int_equal(st->msg.u.lobby_state.countdown_ms, 3000);
    end_pass(h);
    /* Joins are refused while counting down. */
    browse(h, 3, "dave");
    send_join_lobby(h, 3, "red", "");
    assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_STARTED);
    uint8_t want_seconds = 2;
    for (int guard = 0; guard < 100; guard++) {
        next_tick(h);
        const delivery *go = find_for(h, 0, PROTO_GAME_STARTING);
        const delivery *count = find_for(h, 0, PROTO_COUNTDOWN);
        if (count != NULL)
            assert_int_equal(count->msg.u.countdown.seconds_left, want_seconds--);
        if (go != NULL) {
            assert_int_equal(want_seconds, 0); /* 2 and 1 came first */
            static const uint32_t everyone[] = {0, 1, 2};
            assert_int_equal(count_type_for(h, 0, PROTO_GAME_STARTING), 1);
            assert_int_equal(go->dest_count, 3);
            assert_memory_equal(go->dests, everyone, sizeof everyone);
            assert_int_equal(go->msg.u.game_starting.tick, start_tick);
            assert_int_equal(go->msg.u.game_starting.server_us, h->now_us);
            const delivery *after = must_find_for(h, 1, PROTO_LOBBY_STATE);
            assert_int_equal(after->msg.u.lobby_state.state, PROTO_LOBBY_IN_GAME);
            assert_int_equal(after->msg.u.lobby_state.members[1].flags, 0);
            end_pass(h);
            send_join_lobby(h, 3, "red", "");
            assert_refused(h, 3, PROTO_JOIN_LOBBY, PROTO_LOBBY_STARTED);
            return;
        }
        end_pass(h);
    }
    fail_msg("no GAME_STARTING");
}

/* A countdown that is not whole seconds: COUNTDOWN says the whole seconds
 * left, rounded up, each time that number drops (3 at once, 2 after 0.5 s,
 * 1 after 1.5 s for 2500 ms), not one second apart. And START_GAME while it
 * runs is refused STARTED. */
static void countdown_numbers_follow_the_time_left(void **state)
{
    harness *h = *state;
    server_destroy(h->s);
    h->cfg.countdown_ms = 2500;
    assert_int_equal(server_create(&h->cfg, &h->s), SERVER_OK);
    uint16_t ids[3];
    red_of_three(h, ids);
    all_ready(h);
    send_simple(h, 0, PROTO_START_GAME);
    capture(h);
    assert_int_equal(must_find_for(h, 0, PROTO_COUNTDOWN)->msg.u.countdown.seconds_left, 3);
    end_pass(h);
    send_simple(h, 0, PROTO_START_GAME);
    assert_refused(h, 0, PROTO_START_GAME, PROTO_LOBBY_STARTED);
    uint64_t begun_us = h->now_us;
    uint64_t seen_at_ms[3] = {0};
    for (int guard = 0; guard < 100 && find_for(h, 0, PROTO_GAME_STARTING) == NULL; guard++) {
        end_pass(h);
        next_tick(h);
        const delivery *count = find_for(h, 0, PROTO_COUNTDOWN);
        if (count != NULL && count->msg.u.countdown.seconds_left < 3)
            seen_at_ms[count->msg.u.countdown.seconds_left] = (h->now_us - begun_us) / 1000;
    }
    assert_non_null(find_for(h, 0, PROTO_GAME_STARTING));
    assert_int_equal(seen_at_ms[2], 500);  /* 2 s left */
    assert_int_equal(seen_at_ms[1], 1500); /* 1 s left */
    assert_int_equal((h->now_us - begun_us) / 1000, 2500);
    end_pass(h);
}

static void countdown_cancelled_by_unready(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    all_ready(h);
    send_simple(h, 0, PROTO_START_GAME);
    end_pass(h);
    send_ready(h, 1, false);
    capture(h);
    const delivery *c = must_find_for(h, 2, PROTO_COUNTDOWN_CANCELLED);
    assert_int_equal(c->msg.u.countdown_cancelled.by_id, ids[1]);
    assert_contains(c->msg.u.countdown_cancelled.text, "bob");
    assert_int_equal(must_find_for(h, 0, PROTO_LOBBY_STATE)->msg.u.lobby_state.state,
                     PROTO_LOBBY_OPEN);
    end_pass(h);
    for (int i = 0; i < 40; i++) { /* and no game starts later */
        next_tick(h);
        assert_null(find_for(h, 0, PROTO_GAME_STARTING));
        end_pass(h);
    }
}

static void countdown_cancelled_by_leave_and_by_timeout(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    all_ready(h);
    send_simple(h, 0, PROTO_START_GAME);
    end_pass(h);
    send_simple(h, 1, PROTO_LEAVE_LOBBY);
    capture(h);
    assert_int_equal(
        must_find_for(h, 0, PROTO_COUNTDOWN_CANCELLED)->msg.u.countdown_cancelled.by_id, ids[1]);
    end_pass(h);
    send_simple(h, 0, PROTO_START_GAME); /* alice and carol are still ready */
    capture(h);
    must_find_for(h, 0, PROTO_COUNTDOWN);
    end_pass(h);
    server_on_disconnect(h->s, 2, 0, false, h->now_us); /* timed out: seat held */
    capture(h);
    assert_int_equal(
        must_find_for(h, 0, PROTO_COUNTDOWN_CANCELLED)->msg.u.countdown_cancelled.by_id, ids[2]);
    end_pass(h);
    /* A reconnecting member could not hear the start: not ready. */
    send_simple(h, 0, PROTO_START_GAME);
    assert_refused(h, 0, PROTO_START_GAME, PROTO_LOBBY_NOT_ALL_READY);
    assert_non_null(strstr(h->text, "carol (reconnecting)"));
}

/* ---- direct messages -------------------------------------------------------- */

static void direct_chat_reaches_only_its_target(void **state)
{
    harness *h = *state;
    uint16_t ids[3];
    red_of_three(h, ids);
    send_dm(h, 0, 41, ids[2], "psst");
    capture(h);
    const delivery *ack = must_find_for(h, 0, PROTO_CHAT_ACK);
    assert_int_equal(ack->msg.u.chat_ack.msg_id, 41);
    assert_int_equal(ack->msg.u.chat_ack.seq, 0);
    const delivery *relay = must_find_for(h, 2, PROTO_DIRECT_CHAT_RELAY);
    assert_int_equal(relay->dest_count, 1);
    assert_int_equal(relay->msg.u.direct_chat_relay.from_id, ids[0]);
    assert_null(find_for(h, 1, PROTO_DIRECT_CHAT_RELAY));
    end_pass(h);
    assert_int_equal(lobby_named(h, "red")->chat_seq, 0); /* not in the history */
    send_dm(h, 0, 42, ids[0], "me");
    assert_chat_refused(h, 0, PROTO_REFUSE_NO_SUCH_PLAYER);
    send_dm(h, 0, 43, 999, "nobody");
    assert_chat_refused(h, 0, PROTO_REFUSE_NO_SUCH_PLAYER);
    send_dm(h, 0, 44, ids[1], "");
    assert_chat_refused(h, 0, PROTO_REFUSE_EMPTY);
    server_on_disconnect(h->s, 1, 0, false, h->now_us); /* bob's seat is held */
    end_pass(h);
    send_dm(h, 0, 45, ids[1], "are you there");
    assert_chat_refused(h, 0, PROTO_REFUSE_UNREACHABLE);
    browse(h, 5, "erin");
    send_dm(h, 5, 46, ids[0], "from the list");
    assert_chat_refused(h, 5, PROTO_REFUSE_NOT_IN_LOBBY);
}

/* ---- the empty-lobby grace -------------------------------------------------- */

static void empty_lobby_listed_then_closed_after_grace(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    create(h, 0, "brief", 0, "");
    send_simple(h, 0, PROTO_LEAVE_LOBBY);
    end_pass(h);
    next_tick(h);
    end_pass(h);
    send_list(h, 0, 1, "brief", 0);
    capture(h);
    const delivery *d = must_find_for(h, 0, PROTO_LOBBY_LIST);
    assert_int_equal(d->msg.u.lobby_list.count, 1);
    assert_int_equal(list_row(d, 0).players, 0);
    assert_int_equal(list_row(d, 0).owner.len, 0);
    end_pass(h);
    h->now_us += (uint64_t)h->cfg.lobby_grace_ms * MS_US;
    server_tick(h->s, h->now_us);
    end_pass(h);
    assert_null(lobby_named(h, "brief"));
    assert_int_equal(server_get_stats(h->s)->lobbies_closed, 1);
}

/* A text client joins a lobby with a password only with that password
 * (none: PASSWORD, another: WRONG_PASSWORD), staying where it was when
 * refused; it cannot open a lobby with one. */
static void text_client_needs_the_password_of_a_password_lobby(void **state)
{
    harness *h = *state;
    browse(h, 0, "alice");
    create(h, 0, "locked", 0, "pw");
    server_text_client tc;
    proto_str none = {"", 0}, main_lobby = proto_str_from_cstr("main");
    proto_str locked = proto_str_from_cstr("locked");
    assert_int_equal(server_text_enter(h->s, &tc, h->now_us), SERVER_TEXT_OK);
    assert_int_equal(server_text_join(h->s, &tc, locked, none, h->now_us), SERVER_TEXT_PASSWORD);
    assert_true(proto_str_eq(server_text_lobby_name(h->s, &tc), main_lobby));
    assert_int_equal(server_text_join(h->s, &tc, locked, proto_str_from_cstr("pW"), h->now_us),
                     SERVER_TEXT_WRONG_PASSWORD);
    assert_int_equal(server_text_join(h->s, &tc, locked, proto_str_from_cstr("pw2"), h->now_us),
                     SERVER_TEXT_WRONG_PASSWORD);
    assert_true(proto_str_eq(server_text_lobby_name(h->s, &tc), main_lobby));
    assert_int_equal(server_text_join(h->s, &tc, proto_str_from_cstr("absent"),
                                      proto_str_from_cstr("pw"), h->now_us),
                     SERVER_TEXT_NO_SUCH_LOBBY);
    assert_null(lobby_named(h, "absent"));
    assert_int_equal(server_text_join(h->s, &tc, locked, proto_str_from_cstr("pw"), h->now_us),
                     SERVER_TEXT_OK);
    assert_true(proto_str_eq(server_text_lobby_name(h->s, &tc), locked));
    /* A lobby without a password takes any, as for players. */
    assert_int_equal(server_text_join(h->s, &tc, main_lobby, proto_str_from_cstr("x"), h->now_us),
                     SERVER_TEXT_OK);
    server_text_leave(h->s, &tc);
}

#define HARNESS_TEST(f) cmocka_unit_test_setup_teardown(f, harness_setup, server_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(browse_hello_is_at_the_list_without_a_player),
        HARNESS_TEST(hello_join_owns_a_new_lobby),
        HARNESS_TEST(hello_join_opens_a_new_lobby_with_its_password),
        HARNESS_TEST(hello_join_follows_the_lobby_rules),
        HARNESS_TEST(list_answers_filtered_entries_with_details),
        HARNESS_TEST(lobby_requests_are_rate_limited),
        HARNESS_TEST(create_makes_the_creator_owner_with_its_settings),
        HARNESS_TEST(create_refusals),
        HARNESS_TEST(join_success_order_and_history),
        HARNESS_TEST(history_names_senders_who_left),
        HARNESS_TEST(join_refusals),
        HARNESS_TEST(join_refused_over_max_rtt_unmeasured_allowed),
        HARNESS_TEST(join_from_a_lobby_moves_with_a_new_id),
        HARNESS_TEST(leave_goes_back_to_the_list),
        HARNESS_TEST(owner_requests_refused_for_members),
        HARNESS_TEST(give_ownership_and_hand_over_on_leave),
        HARNESS_TEST(configure_below_count_changes_nothing),
        HARNESS_TEST(kick_puts_out_with_a_cooldown),
        HARNESS_TEST(start_refused_until_everyone_is_ready),
        HARNESS_TEST(main_belongs_to_the_server),
        HARNESS_TEST(countdown_then_game_starting_to_all_in_one_pass),
        HARNESS_TEST(countdown_numbers_follow_the_time_left),
        HARNESS_TEST(countdown_cancelled_by_unready),
        HARNESS_TEST(countdown_cancelled_by_leave_and_by_timeout),
        HARNESS_TEST(direct_chat_reaches_only_its_target),
        HARNESS_TEST(empty_lobby_listed_then_closed_after_grace),
        HARNESS_TEST(text_client_needs_the_password_of_a_password_lobby),
    };
    return cmocka_run_group_tests_name("server_lobbies", tests, NULL, NULL);
}
