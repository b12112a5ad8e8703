/* Text clients in the server core (server_text.c), with time driven by the
 * test and no sockets: their lines share the lobby's sequence with players'
 * lines, reach players as TEXT_CHAT_RELAY, pass the same rate and text
 * rules, keep lobbies open, are replayed to reconnecting players, and every
 * accepted line reaches the chat tap. */
#include "lobby.h"
#include "log.h"
#include "server.h"
#include "server_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { T0_US = SERVER_FIXTURE_T0_US, MAX_NOTES = 16 };

typedef struct note_copy {
    int lobby_index;
    uint32_t seq;
    char sender[32], text[64];
    bool from_text;
    const server_text_client *origin;
} note_copy;

typedef struct fixture {
    server *s;
    uint64_t now_us;
    note_copy notes[MAX_NOTES];
    int note_count;
} fixture;

static void tap(void *user, const server_chat_note *n)
{
    fixture *f = user;
    assert_true(f->note_count < MAX_NOTES);
    note_copy *c = &f->notes[f->note_count++];
    c->lobby_index = n->lobby_index;
    c->seq = n->seq;
    snprintf(c->sender, sizeof c->sender, "%.*s", (int)n->sender.len, n->sender.bytes);
    snprintf(c->text, sizeof c->text, "%.*s", (int)n->text.len, n->text.bytes);
    c->from_text = n->from_text;
    c->origin = n->origin;
}

static int fixed_random(void *user, uint8_t *buf, size_t n)
{
    (void)user;
    static uint8_t counter;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(counter + i);
    counter++;
    return 0;
}

static int setup_with(void **state, uint32_t max_lobbies)
{
    log_set_level(LOG_OFF);
    fixture *f = calloc(1, sizeof *f);
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.member_stats_ms = 0;
    cfg.max_lobbies = max_lobbies;
    cfg.chat_burst = 3;
    cfg.chat_per_s = 1;
    cfg.random_bytes = fixed_random;
    f->now_us = T0_US;
    *state = f;
    int rc = server_create(&cfg, &f->s);
    if (rc == SERVER_OK)
        server_set_chat_tap(f->s, tap, f);
    return rc;
}

static int setup(void **state)
{
    return setup_with(state, 64);
}

static int setup_two_lobbies(void **state)
{
    return setup_with(state, 2);
}

static int teardown(void **state)
{
    fixture *f = *state;
    server_destroy(f->s);
    free(f);
    return 0;
}

static void send_msg(fixture *f, uint32_t handle, const proto_msg *m)
{
    server_fixture_receive(f->s, handle, m, f->now_us);
}

/* The first message of type queued for handle (decoded into *out). */
static bool find_for(fixture *f, uint32_t handle, proto_type type, proto_msg *out)
{
    return capture_find_msg(server_outbox(f->s), handle, type, out);
}

static void end_pass(fixture *f)
{
    server_fixture_end_pass(f->s);
}

static proto_msg join(fixture *f, uint32_t handle, const char *name, const char *lobby_name)
{
    server_fixture_connect(f->s, handle, proto_connect_data(PROTO_VERSION), "127.0.0.1:1",
                           f->now_us);
    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.name = proto_str_from_cstr(name);
    hello.u.hello.lobby = proto_str_from_cstr(lobby_name);
    send_msg(f, handle, &hello);
    proto_msg welcome;
    assert_true(find_for(f, handle, PROTO_WELCOME, &welcome));
    end_pass(f);
    return welcome;
}

static void player_chat(fixture *f, uint32_t handle, const char *text)
{
    proto_msg chat = {.type = PROTO_CHAT};
    chat.u.chat.msg_id = 1;
    chat.u.chat.text = proto_str_from_cstr(text);
    send_msg(f, handle, &chat);
}

static int text_chat(fixture *f, server_text_client *tc, const char *name, const char *text,
                     uint32_t *seq)
{
    return server_text_chat(f->s, tc, proto_str_from_cstr(name), proto_str_from_cstr(text),
                            f->now_us, seq);
}

static void text_lines_share_the_lobby_sequence_and_reach_players(void **state)
{
    fixture *f = *state;
    join(f, 0, "alice", "");
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    player_chat(f, 0, "from alice");
    end_pass(f);
    uint32_t seq = 0;
    assert_int_equal(text_chat(f, &tc, "ann", "from ann", &seq), SERVER_TEXT_OK);
    assert_int_equal(seq, 2);
    proto_msg m;
    assert_true(find_for(f, 0, PROTO_TEXT_CHAT_RELAY, &m));
    assert_int_equal(m.u.text_chat_relay.seq, 2);
    assert_int_equal(m.u.text_chat_relay.name.len, 3);
    assert_memory_equal(m.u.text_chat_relay.name.bytes, "ann", 3);
    assert_int_equal(m.u.text_chat_relay.text.len, 8);
    assert_int_equal(server_get_stats(f->s)->text_chats_accepted, 1);
    assert_int_equal(server_player_count(f->s), 1); /* a text client is no player */
    server_text_leave(f->s, &tc);
}

static void the_tap_sees_every_accepted_line(void **state)
{
    fixture *f = *state;
    join(f, 0, "alice", "");
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    player_chat(f, 0, "hi");
    uint32_t seq;
    assert_int_equal(text_chat(f, &tc, "ann", "hello", &seq), SERVER_TEXT_OK);
    assert_int_equal(text_chat(f, &tc, "ann", "bad\x01", &seq), SERVER_TEXT_CONTROL);
    assert_int_equal(f->note_count, 2);
    assert_int_equal(f->notes[0].seq, 1);
    assert_string_equal(f->notes[0].sender, "alice");
    assert_false(f->notes[0].from_text);
    assert_null(f->notes[0].origin);
    assert_int_equal(f->notes[1].seq, 2);
    assert_string_equal(f->notes[1].sender, "ann");
    assert_true(f->notes[1].from_text);
    assert_ptr_equal(f->notes[1].origin, &tc);
    assert_int_equal(f->notes[1].lobby_index, 0);
    server_text_leave(f->s, &tc);
}

static void text_and_names_follow_the_shared_rules(void **state)
{
    fixture *f = *state;
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    uint32_t seq;
    proto_str nul = {"a\0b", 3};
    assert_int_equal(server_text_chat(f->s, &tc, proto_str_from_cstr("ann"), nul, f->now_us, &seq),
                     SERVER_TEXT_CONTROL);
    f->now_us += 5000000; /* refill the bucket */
    assert_int_equal(text_chat(f, &tc, "ann", "\xC3\x28", &seq), SERVER_TEXT_INVALID_UTF8);
    assert_int_equal(text_chat(f, &tc, "", "hi", &seq), SERVER_TEXT_BAD_NAME);
    assert_int_equal(text_chat(f, &tc,
                               "b\xE2\x80\x8B"
                               "ob",
                               "hi", &seq),
                     SERVER_TEXT_BAD_NAME);
    assert_int_equal(server_get_stats(f->s)->text_chats_accepted, 0);
    assert_int_equal(server_get_stats(f->s)->text_chats_refused, 4);
    server_text_leave(f->s, &tc);
}

/* Burst 3 at 1 a second; refusals drain the flood allowance until the
 * client is told to go. */
static void rate_limit_and_flooding(void **state)
{
    fixture *f = *state;
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    uint32_t seq;
    for (int i = 0; i < 3; i++)
        assert_int_equal(text_chat(f, &tc, "ann", "x", &seq), SERVER_TEXT_OK);
    int rc = SERVER_TEXT_RATE_LIMITED, refused = 0;
    while (rc == SERVER_TEXT_RATE_LIMITED && refused < 100) {
        rc = text_chat(f, &tc, "ann", "x", &seq);
        refused++;
    }
    assert_int_equal(rc, SERVER_TEXT_FLOODING);
    assert_in_range(refused, 25, 35);
    f->now_us += 1000000;
    assert_int_equal(text_chat(f, &tc, "ann", "x", &seq), SERVER_TEXT_OK);
    server_text_leave(f->s, &tc);
}

/* server_text_join with a C string password, NULL for none. */
static int text_join(fixture *f, server_text_client *tc, const char *lobby_name,
                     const char *password)
{
    return server_text_join(f->s, tc, proto_str_from_cstr(lobby_name),
                            proto_str_from_cstr(password ? password : ""), f->now_us);
}

/* A lobby a text client joins opens, stays open while watched, and closes
 * when its last watcher and player are gone. */
static void watched_lobbies_stay_open(void **state)
{
    fixture *f = *state;
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    assert_int_equal(text_join(f, &tc, "friday", NULL), SERVER_TEXT_OK);
    proto_str name = server_text_lobby_name(f->s, &tc);
    assert_int_equal(name.len, 6);
    /* max_lobbies 2: main and friday; a third cannot open. */
    server_text_client other;
    assert_int_equal(server_text_enter(f->s, &other, f->now_us), SERVER_TEXT_OK);
    assert_int_equal(text_join(f, &other, "saturday", NULL), SERVER_TEXT_NO_SLOTS);
    assert_int_equal(server_text_lobby_name(f->s, &other).len, 4); /* still in main */
    assert_int_equal(text_join(f, &other, "", NULL), SERVER_TEXT_BAD_LOBBY);
    /* A player joins and leaves friday: the watcher keeps it open. */
    join(f, 0, "alice", "friday");
    server_on_disconnect(f->s, 0, PROTO_REASON_QUIT, true, f->now_us);
    end_pass(f);
    assert_int_equal(text_join(f, &other, "friday", NULL), SERVER_TEXT_OK);
    server_text_leave(f->s, &tc);
    server_text_leave(f->s, &other);
    /* Now friday is empty: it closes after the lobby grace time (the
     * default here), and its slot is free again. */
    server_config defaults;
    server_config_defaults(&defaults);
    server_tick(f->s, f->now_us);
    f->now_us += (uint64_t)defaults.lobby_grace_ms * 1000u;
    server_tick(f->s, f->now_us);
    end_pass(f);
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    assert_int_equal(text_join(f, &tc, "saturday", NULL), SERVER_TEXT_OK);
    server_text_leave(f->s, &tc);
}

/* A player who comes back gets the text lines it missed, with their names. */
static void replay_includes_text_lines(void **state)
{
    fixture *f = *state;
    proto_msg welcome = join(f, 0, "alice", "");
    server_on_disconnect(f->s, 0, 0, false, f->now_us); /* timed out: seat held */
    end_pass(f);
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    uint32_t seq;
    assert_int_equal(text_chat(f, &tc, "ann", "while you were away", &seq), SERVER_TEXT_OK);
    server_on_connect(f->s, 1, proto_connect_data(PROTO_VERSION), PROTO_CHANNEL_COUNT,
                      server_fixture_ip(1), "127.0.0.1:2", f->now_us);
    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.name = proto_str_from_cstr("alice");
    hello.u.hello.mode = PROTO_HELLO_RESUME;
    memcpy(hello.u.hello.token, welcome.u.welcome.token, PROTO_TOKEN_BYTES);
    send_msg(f, 1, &hello);
    proto_msg m;
    assert_true(find_for(f, 1, PROTO_CHAT_HISTORY, &m));
    assert_int_equal(m.u.chat_history.seq, seq);
    assert_int_equal(m.u.chat_history.from_id, 0); /* a text client */
    assert_int_equal(m.u.chat_history.name.len, 3);
    assert_memory_equal(m.u.chat_history.name.bytes, "ann", 3);
    assert_int_equal(m.u.chat_history.text.len, strlen("while you were away"));
    server_text_leave(f->s, &tc);
}

/* Commands take the players' lobby-request rate: 20 back to back, then one
 * every 100 ms; the chat buckets are separate. */
static void commands_take_the_lobby_request_rate(void **state)
{
    fixture *f = *state;
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(server_text_command(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    assert_int_equal(server_text_command(f->s, &tc, f->now_us), SERVER_TEXT_TOO_MANY_COMMANDS);
    uint32_t seq;
    assert_int_equal(text_chat(f, &tc, "ann", "chat is apart", &seq), SERVER_TEXT_OK);
    f->now_us += 100 * 1000;
    assert_int_equal(server_text_command(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    assert_int_equal(server_text_command(f->s, &tc, f->now_us), SERVER_TEXT_TOO_MANY_COMMANDS);
    server_text_leave(f->s, &tc);
}

/* The list a text client gets is LIST_LOBBIES's, filters included. */
static void list_is_the_lobby_list(void **state)
{
    fixture *f = *state;
    join(f, 0, "alice", "Friday");
    server_text_client tc = {.holder = 0x0100007f};
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    lobby_filter all = {0};
    const proto_msg *m = server_text_list(f->s, &tc, &all, f->now_us);
    assert_int_equal(m->type, PROTO_LOBBY_LIST);
    assert_int_equal(m->u.lobby_list.count, 2);
    assert_int_equal(m->u.lobby_list.total, 2);
    assert_true(proto_str_eq(m->u.lobby_list.entries[1].name, proto_str_from_cstr("Friday")));
    assert_true(proto_str_eq(m->u.lobby_list.entries[1].owner, proto_str_from_cstr("alice")));
    assert_int_equal(m->u.lobby_list.entries[1].players, 1);
    lobby_filter fri = {.name_contains = proto_str_from_cstr("FRI")};
    m = server_text_list(f->s, &tc, &fri, f->now_us);
    assert_int_equal(m->u.lobby_list.count, 1);
    assert_int_equal(m->u.lobby_list.total, 1);
    const lobby *l = server_text_lobby(f->s, &tc);
    assert_non_null(l);
    assert_string_equal(l->name, "main");
    assert_int_equal(l->watchers, 1);
    server_text_leave(f->s, &tc);
    assert_null(server_text_lobby(f->s, &tc));
}

static void shutting_down_refuses_text_clients(void **state)
{
    fixture *f = *state;
    server_text_client tc;
    assert_int_equal(server_text_enter(f->s, &tc, f->now_us), SERVER_TEXT_OK);
    server_begin_shutdown(f->s);
    uint32_t seq;
    assert_int_equal(text_chat(f, &tc, "ann", "late", &seq), SERVER_TEXT_SHUTTING_DOWN);
    server_text_client late;
    assert_int_equal(server_text_enter(f->s, &late, f->now_us), SERVER_TEXT_SHUTTING_DOWN);
    server_text_leave(f->s, &tc);
    server_text_leave(f->s, &late);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(text_lines_share_the_lobby_sequence_and_reach_players,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_tap_sees_every_accepted_line, setup, teardown),
        cmocka_unit_test_setup_teardown(text_and_names_follow_the_shared_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_and_flooding, setup, teardown),
        cmocka_unit_test_setup_teardown(watched_lobbies_stay_open, setup_two_lobbies, teardown),
        cmocka_unit_test_setup_teardown(replay_includes_text_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(shutting_down_refuses_text_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(commands_take_the_lobby_request_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(list_is_the_lobby_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
