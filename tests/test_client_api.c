/* liblobby-client as a game sees it: this test links only the shared
 * library (liblobby-client.so) and includes only its public header, and
 * plays through the real lobby-server process over loopback: joining,
 * chat and its ack, positions, the lobby list, creating and joining a
 * lobby, configuring it, a kick, ready + start to the game, leaving; a
 * refusal; and every argument check (NULL, too long, wrong state). */
#include "lobby/client.h"
#include "server_proc.h"

#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

enum {
    MAX_PLAYERS = 4,
    LOG_CAP = 256,  /* events one player keeps for a test */
    WAIT_MS = 5000, /* longest wait for one expected event */
};

/* One player: its client and every event it got, in order. */
typedef struct tplayer {
    lobby_client *c;
    size_t n, cursor; /* events logged; events expect() has looked past */
    lobby_client_event log[LOG_CAP];
} tplayer;

typedef struct fixture {
    server_proc sp;
    tplayer p[MAX_PLAYERS];
} fixture;

static fixture *g_f;

/* Our own clock: the library reads none, the game passes its time in. */
static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    const char *args[] = {"--countdown-ms", "500", "--kick-cooldown-ms", "500", NULL};
    if (!server_proc_start(&f.sp, args))
        return -1;
    g_f = &f;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < MAX_PLAYERS; i++)
        lobby_client_destroy(f->p[i].c);
    server_proc_stop(&f->sp, NULL, NULL);
    g_f = NULL;
    return 0;
}

/* One pass over every player: wait on their sockets, network in and out,
 * events logged. */
static void pump(int wait_ms)
{
    struct pollfd fds[MAX_PLAYERS];
    nfds_t nfds = 0;
    for (int i = 0; i < MAX_PLAYERS; i++)
        if (g_f->p[i].c != NULL)
            fds[nfds++] = (struct pollfd){.fd = lobby_client_fd(g_f->p[i].c), .events = POLLIN};
    poll(fds, nfds, wait_ms);
    for (int i = 0; i < MAX_PLAYERS; i++) {
        tplayer *t = &g_f->p[i];
        if (t->c == NULL)
            continue;
        lobby_client_update(t->c, now_us());
        lobby_client_event ev;
        while (lobby_client_next_event(t->c, &ev))
            if (t->n < LOG_CAP)
                t->log[t->n++] = ev;
    }
}

/* The next event of this type after the cursor (waiting for it); the cursor
 * moves past it. Fails the test when it does not come. */
static const lobby_client_event *expect(tplayer *t, lobby_client_event_type type)
{
    for (uint64_t end = now_us() + WAIT_MS * 1000u;;) {
        for (size_t i = t->cursor; i < t->n; i++)
            if (t->log[i].type == type) {
                t->cursor = i + 1;
                return &t->log[i];
            }
        if (now_us() >= end)
            break;
        pump(5);
    }
    char types[256] = "";
    for (size_t i = 0, at = 0; i < t->n && at + 8 < sizeof types; i++)
        at += (size_t)snprintf(types + at, sizeof types - at, " %d", (int)t->log[i].type);
    fail_msg("event %d did not arrive (logged:%s; last text '%s')", (int)type, types,
             t->n ? t->log[t->n - 1].text : "");
    return NULL;
}

static lobby_client_config config_for(const char *name)
{
    lobby_client_config cfg;
    lobby_client_config_init(&cfg);
    cfg.port = g_f != NULL ? g_f->sp.port : 1; /* no server: nothing answers on 1 */
    cfg.name = name;
    return cfg;
}

/* Player i, connected as name to lobby (NULL: main); waits for JOINED. */
static tplayer *join(int i, const char *name, const char *lobby)
{
    tplayer *t = &g_f->p[i];
    lobby_client_config cfg = config_for(name);
    cfg.lobby = lobby;
    cfg.user = t;
    assert_int_equal(lobby_client_create(&cfg, now_us(), &t->c), LOBBY_CLIENT_OK);
    assert_ptr_equal(lobby_client_user(t->c), t);
    assert_true(lobby_client_fd(t->c) >= 0);
    const lobby_client_event *ev = expect(t, LOBBY_CLIENT_EV_JOINED);
    assert_false(ev->joined.resumed);
    assert_int_equal(lobby_client_get_state(t->c), LOBBY_CLIENT_JOINED);
    return t;
}

static uint16_t my_id(const tplayer *t)
{
    lobby_client_status st;
    lobby_client_get_status(t->c, &st);
    return st.my_id;
}

/* Waits until *t holds a LOBBY_STATE whose status satisfies ok. */
static void expect_status(tplayer *t, bool (*ok)(const lobby_client_status *))
{
    lobby_client_status st;
    for (int i = 0; i < 10; i++) {
        lobby_client_get_status(t->c, &st);
        if (ok(&st))
            return;
        expect(t, LOBBY_CLIENT_EV_LOBBY_STATE);
    }
    fail_msg("the status never became as expected");
}

/* ---- argument checks, no server needed for most ------------------------- */

static void fill(char *buf, size_t n)
{
    memset(buf, 'a', n);
    buf[n] = '\0';
}

static void test_config_errors(void **state)
{
    (void)state;
    lobby_client_destroy(NULL);
    lobby_client_config_init(NULL);
    lobby_client *c = (lobby_client *)&c; /* must be cleared on failure */
    lobby_client_config cfg = config_for("ann");
    assert_int_equal(lobby_client_create(NULL, 0, &c), LOBBY_CLIENT_ERR_ARG);
    assert_null(c);
    assert_int_equal(lobby_client_create(&cfg, 0, NULL), LOBBY_CLIENT_ERR_ARG);

    char long_text[LOBBY_CLIENT_MAX_SHORT_TEXT + 2];
    cfg.name = NULL;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_ARG);
    cfg.name = "";
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_ARG);
    fill(long_text, LOBBY_CLIENT_MAX_NAME + 1); /* 25 bytes */
    cfg.name = long_text;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_TOO_LONG);
    cfg = config_for("ann");
    cfg.host = NULL;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_ARG);
    cfg = config_for("ann");
    cfg.lobby = long_text;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_TOO_LONG);
    cfg = config_for("ann");
    fill(long_text, LOBBY_CLIENT_MAX_PASSWORD + 1);
    cfg.password = long_text;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_TOO_LONG);
    cfg = config_for("ann");
    cfg.identity_token_len = 4; /* without a token */
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_ARG);
    static const uint8_t token[LOBBY_CLIENT_MAX_SHORT_TEXT + 1];
    cfg.identity_token = token;
    cfg.identity_token_len = sizeof token;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_TOO_LONG);
    cfg = config_for("ann");
    cfg.timeout_ms = 0;
    assert_int_equal(lobby_client_create(&cfg, 0, &c), LOBBY_CLIENT_ERR_ARG);
    assert_null(c);

    /* A 24-byte name is within the limit. */
    cfg = config_for("ann");
    fill(long_text, LOBBY_CLIENT_MAX_NAME);
    cfg.name = long_text;
    assert_int_equal(lobby_client_create(&cfg, now_us(), &c), LOBBY_CLIENT_OK);
    lobby_client_destroy(c);
}

static void test_defaults_and_texts(void **state)
{
    (void)state;
    lobby_client_config cfg;
    memset(&cfg, 0x5A, sizeof cfg);
    lobby_client_config_init(&cfg);
    assert_string_equal(cfg.host, "127.0.0.1");
    assert_int_equal(cfg.port, 7777);
    assert_int_equal(cfg.timeout_ms, 5000);
    assert_int_equal(cfg.reconnect_base_ms, 500);
    assert_int_equal(cfg.reconnect_max_ms, 30000);
    assert_false(cfg.auto_reconnect);
    assert_false(cfg.browse);
    assert_null(cfg.name);
    assert_null(cfg.lobby);
    assert_null(cfg.user);

    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", LOBBY_CLIENT_VERSION_MAJOR,
             LOBBY_CLIENT_VERSION_MINOR, LOBBY_CLIENT_VERSION_PATCH);
    assert_string_equal(lobby_client_version(), version);
    assert_true(lobby_client_protocol_version() >= 6);
    assert_string_equal(lobby_client_strerror(LOBBY_CLIENT_ERR_TOO_LONG),
                        "a string is over its protocol limit");
    assert_string_equal(lobby_client_strerror(-99), "unknown error");
    for (int err = LOBBY_CLIENT_ERR_ARG; err <= LOBBY_CLIENT_OK; err++)
        assert_string_not_equal(lobby_client_strerror(err), "unknown error");
    assert_string_equal(lobby_client_reason_text(5), "name is already taken in this lobby");
    assert_string_equal(lobby_client_reason_text(0), "connection timed out");
    assert_true(lobby_client_reason_is_permanent(5));  /* NAME_TAKEN */
    assert_false(lobby_client_reason_is_permanent(2)); /* SERVER_FULL */

    /* A NULL handle: no crash, the neutral answer. */
    lobby_client_event ev;
    lobby_client_status st;
    lobby_client_player pl;
    lobby_client_lobby lb;
    lobby_client_update(NULL, 0);
    lobby_client_leave(NULL);
    assert_false(lobby_client_next_event(NULL, &ev));
    assert_int_equal(lobby_client_fd(NULL), -1);
    assert_null(lobby_client_user(NULL));
    assert_int_equal(lobby_client_get_state(NULL), LOBBY_CLIENT_DISCONNECTED);
    lobby_client_get_status(NULL, &st);
    assert_int_equal(st.state, LOBBY_CLIENT_DISCONNECTED);
    assert_int_equal(lobby_client_player_count(NULL), 0);
    assert_false(lobby_client_get_player(NULL, 0, &pl));
    assert_false(lobby_client_find_player(NULL, 1, &pl));
    assert_int_equal(lobby_client_lobby_count(NULL), 0);
    assert_false(lobby_client_get_lobby(NULL, 0, &lb));
    assert_int_equal(lobby_client_send_chat(NULL, "x", NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_send_direct(NULL, 1, "x", NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_send_position(NULL, 1, 1, 0), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_send_ping(NULL, 0), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_list_lobbies(NULL, NULL, NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_join_lobby(NULL, "x", NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_leave_lobby(NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_set_ready(NULL, true), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_start_game(NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_kick(NULL, 1), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_give_ownership(NULL, 1), LOBBY_CLIENT_ERR_ARG);
}

/* While still connecting: every request is refused for its state, after
 * the argument checks, which come first. */
static void test_wrong_state(void **state)
{
    (void)state;
    tplayer *t = &g_f->p[0];
    lobby_client_config cfg = config_for("early");
    assert_int_equal(lobby_client_create(&cfg, now_us(), &t->c), LOBBY_CLIENT_OK);
    assert_int_equal(lobby_client_get_state(t->c), LOBBY_CLIENT_CONNECTING);
    lobby_client_settings set = {.name = "x"};
    assert_int_equal(lobby_client_send_chat(t->c, "hi", NULL), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_send_direct(t->c, 1, "hi", NULL), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_send_position(t->c, 1, 2, now_us()), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_send_ping(t->c, now_us()), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_list_lobbies(t->c, NULL, NULL), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_create_lobby(t->c, &set), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_join_lobby(t->c, "x", NULL), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_leave_lobby(t->c), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_set_ready(t->c, true), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_start_game(t->c), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_kick(t->c, 2), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_give_ownership(t->c, 2), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_configure_lobby(t->c, LOBBY_CLIENT_SET_CAPACITY, &set),
                     LOBBY_CLIENT_ERR_STATE);

    /* Argument errors win over the state. */
    char chat[LOBBY_CLIENT_MAX_CHAT + 2];
    fill(chat, LOBBY_CLIENT_MAX_CHAT + 1); /* 513 bytes */
    assert_int_equal(lobby_client_send_chat(t->c, NULL, NULL), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_send_chat(t->c, chat, NULL), LOBBY_CLIENT_ERR_TOO_LONG);
    assert_int_equal(lobby_client_send_direct(t->c, 1, chat, NULL), LOBBY_CLIENT_ERR_TOO_LONG);
    assert_int_equal(lobby_client_send_position(t->c, NAN, 1, 0), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_send_position(t->c, 1, INFINITY, 0), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_create_lobby(t->c, NULL), LOBBY_CLIENT_ERR_ARG);
    lobby_client_settings no_name = {0};
    assert_int_equal(lobby_client_create_lobby(t->c, &no_name), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_join_lobby(t->c, NULL, NULL), LOBBY_CLIENT_ERR_ARG);
    fill(chat, LOBBY_CLIENT_MAX_LOBBY_NAME + 1);
    assert_int_equal(lobby_client_join_lobby(t->c, chat, NULL), LOBBY_CLIENT_ERR_TOO_LONG);
    set.name = chat;
    assert_int_equal(lobby_client_create_lobby(t->c, &set), LOBBY_CLIENT_ERR_TOO_LONG);
    lobby_client_filter filter = {.name_contains = chat};
    assert_int_equal(lobby_client_list_lobbies(t->c, &filter, NULL), LOBBY_CLIENT_ERR_TOO_LONG);
    filter = (lobby_client_filter){.meta_count = LOBBY_CLIENT_MAX_META + 1};
    assert_int_equal(lobby_client_list_lobbies(t->c, &filter, NULL), LOBBY_CLIENT_ERR_ARG);
    filter.meta_count = 1;
    memset(filter.meta[0].key, 'k', sizeof filter.meta[0].key); /* no NUL in it */
    assert_int_equal(lobby_client_list_lobbies(t->c, &filter, NULL), LOBBY_CLIENT_ERR_TOO_LONG);
    set.name = "x";
    fill(chat, LOBBY_CLIENT_MAX_PASSWORD + 1);
    set.password = chat;
    assert_int_equal(lobby_client_join_lobby(t->c, "x", chat), LOBBY_CLIENT_ERR_TOO_LONG);
    assert_int_equal(lobby_client_create_lobby(t->c, &set), LOBBY_CLIENT_ERR_TOO_LONG);
    assert_int_equal(lobby_client_configure_lobby(t->c, LOBBY_CLIENT_SET_PASSWORD, &set),
                     LOBBY_CLIENT_ERR_TOO_LONG);
    assert_int_equal(lobby_client_configure_lobby(t->c, 0, &set), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_configure_lobby(t->c, 1u << 4, &set), LOBBY_CLIENT_ERR_ARG);
    assert_int_equal(lobby_client_configure_lobby(t->c, LOBBY_CLIENT_SET_CAPACITY, NULL),
                     LOBBY_CLIENT_ERR_ARG);

    /* Once joined, the same calls go through. */
    expect(t, LOBBY_CLIENT_EV_JOINED);
    assert_int_equal(lobby_client_send_ping(t->c, now_us()), LOBBY_CLIENT_OK);
    const lobby_client_event *pong = expect(t, LOBBY_CLIENT_EV_PONG);
    assert_true(pong->pong.rtt_us > 0);
    lobby_client_status st;
    lobby_client_get_status(t->c, &st);
    assert_true(st.ping_rtt_us > 0);
    assert_string_equal(st.lobby, "main");
    assert_true(st.server_owned);
    assert_int_equal(lobby_client_player_count(t->c), 1);
    /* An empty line passes the local checks; the server refuses it. */
    uint32_t msg_id = 0;
    assert_int_equal(lobby_client_send_chat(t->c, "", &msg_id), LOBBY_CLIENT_OK);
    const lobby_client_event *refused = expect(t, LOBBY_CLIENT_EV_CHAT_REFUSED);
    assert_int_equal(refused->chat_refused.msg_id, msg_id);
    assert_int_equal(refused->chat_refused.reason, 1); /* EMPTY */
    assert_true(refused->text[0] != '\0');
    /* main is the server's: a refusal, not a local error. */
    assert_int_equal(lobby_client_kick(t->c, 999), LOBBY_CLIENT_OK);
    const lobby_client_event *ev = expect(t, LOBBY_CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.reason, 19); /* SERVER_OWNED */
    assert_true(ev->text[0] != '\0');
}

/* ---- a whole session through the real server ------------------------------ */

static bool has_meta(const lobby_client_status *st)
{
    return st->meta_count == 1 && strcmp(st->meta[0].key, "mode") == 0 &&
           strcmp(st->meta[0].value, "ctf") == 0 && st->max_rtt_ms == 900;
}

static bool is_in_game(const lobby_client_status *st)
{
    return st->lobby_state == LOBBY_CLIENT_LOBBY_IN_GAME;
}

/* Chat both ways of a lobby, a direct message, and positions. */
static void chat_and_positions(tplayer *a, tplayer *b)
{
    uint32_t msg_id = 0;
    assert_int_equal(lobby_client_send_chat(a->c, "hello bob", &msg_id), LOBBY_CLIENT_OK);
    assert_true(msg_id != 0);
    const lobby_client_event *ack = expect(a, LOBBY_CLIENT_EV_CHAT_ACK);
    assert_int_equal(ack->chat_ack.msg_id, msg_id);
    assert_true(ack->chat_ack.seq > 0);
    const lobby_client_event *chat = expect(b, LOBBY_CLIENT_EV_CHAT);
    while (chat->chat.history) /* lines from before bob joined */
        chat = expect(b, LOBBY_CLIENT_EV_CHAT);
    assert_string_equal(chat->text, "hello bob");
    assert_string_equal(chat->chat.sender, "alice");
    assert_int_equal(chat->player_id, my_id(a));
    assert_int_equal(chat->chat.seq, ack->chat_ack.seq);

    assert_int_equal(lobby_client_send_direct(b->c, my_id(a), "psst", &msg_id), LOBBY_CLIENT_OK);
    assert_int_equal(expect(b, LOBBY_CLIENT_EV_CHAT_ACK)->chat_ack.msg_id, msg_id);
    const lobby_client_event *dm = expect(a, LOBBY_CLIENT_EV_DIRECT_CHAT);
    assert_string_equal(dm->text, "psst");
    assert_string_equal(dm->chat.sender, "bob");
    assert_int_equal(dm->player_id, my_id(b));

    const lobby_client_event *pos = NULL;
    for (uint64_t end = now_us() + WAIT_MS * 1000u; pos == NULL && now_us() < end;) {
        assert_int_equal(lobby_client_send_position(b->c, 100.5f, 200.25f, now_us()),
                         LOBBY_CLIENT_OK);
        pump(20);
        for (size_t i = a->cursor; i < a->n && pos == NULL; i++)
            if (a->log[i].type == LOBBY_CLIENT_EV_POSITION && a->log[i].player_id == my_id(b))
                pos = &a->log[i];
    }
    assert_non_null(pos);
    assert_true(pos->position.x == 100.5f && pos->position.y == 200.25f);
    assert_true(pos->position.seq > 0);
    lobby_client_player pl;
    assert_true(lobby_client_find_player(a->c, my_id(b), &pl));
    assert_string_equal(pl.name, "bob");
    assert_true(pl.has_position && pl.x == 100.5f && pl.y == 200.25f);
    assert_false(lobby_client_find_player(a->c, 0xFFFF, &pl));
    bool found = false;
    for (size_t i = 0; i < lobby_client_player_count(a->c); i++) {
        assert_true(lobby_client_get_player(a->c, i, &pl));
        found |= pl.id == my_id(b) && pl.x == 100.5f;
    }
    assert_true(found);
    assert_false(lobby_client_get_player(a->c, lobby_client_player_count(a->c), &pl));
}

/* alice opens "api-room" with metadata; bob finds it in the list and joins. */
static void create_and_list(tplayer *a, tplayer *b)
{
    lobby_client_settings set = {.name = "api-room", .capacity = 4, .meta_count = 1};
    strcpy(set.meta[0].key, "mode");
    strcpy(set.meta[0].value, "dm");
    assert_int_equal(lobby_client_create_lobby(a->c, &set), LOBBY_CLIENT_OK);
    expect(a, LOBBY_CLIENT_EV_JOINED);
    lobby_client_status st;
    lobby_client_get_status(a->c, &st);
    assert_string_equal(st.lobby, "api-room");
    assert_int_equal(st.capacity, 4);
    expect(b, LOBBY_CLIENT_EV_PLAYER_LEFT); /* alice left main */

    uint32_t request = 0;
    lobby_client_filter filter = {.name_contains = "API-R"};
    assert_int_equal(lobby_client_list_lobbies(b->c, &filter, &request), LOBBY_CLIENT_OK);
    const lobby_client_event *list = expect(b, LOBBY_CLIENT_EV_LOBBY_LIST);
    assert_int_equal(list->lobby_list.request_id, request);
    assert_int_equal(list->lobby_list.total, 1);
    assert_int_equal(list->lobby_list.count, 1);
    assert_int_equal(lobby_client_lobby_count(b->c), 1);
    lobby_client_lobby row;
    assert_true(lobby_client_get_lobby(b->c, 0, &row));
    assert_false(lobby_client_get_lobby(b->c, 1, &row));
    assert_string_equal(row.name, "api-room");
    assert_string_equal(row.owner, "alice");
    assert_int_equal(row.players, 1);
    assert_int_equal(row.capacity, 4);
    assert_int_equal(row.state, LOBBY_CLIENT_LOBBY_OPEN);
    assert_false(row.has_password);
    assert_false(row.server_owned);
    assert_int_equal(row.meta_count, 1);
    assert_string_equal(row.meta[0].key, "mode");
    assert_string_equal(row.meta[0].value, "dm");

    assert_int_equal(lobby_client_list_lobbies(b->c, NULL, &request), LOBBY_CLIENT_OK);
    list = expect(b, LOBBY_CLIENT_EV_LOBBY_LIST);
    assert_int_equal(list->lobby_list.count, 2); /* main and api-room */

    assert_int_equal(lobby_client_join_lobby(b->c, "api-room", NULL), LOBBY_CLIENT_OK);
    expect(b, LOBBY_CLIENT_EV_JOINED);
    const lobby_client_event *joined = expect(a, LOBBY_CLIENT_EV_PLAYER_JOINED);
    assert_string_equal(joined->text, "bob");
    assert_int_equal(joined->player_id, my_id(b));
    lobby_client_get_status(b->c, &st);
    assert_int_equal(st.owner_id, my_id(a));
    assert_int_equal(st.player_count, 2);
}

/* carol joins and alice kicks her: carol is back at the list. */
static void kick_one(tplayer *a)
{
    tplayer *c = join(2, "carol", NULL);
    assert_int_equal(lobby_client_join_lobby(c->c, "api-room", NULL), LOBBY_CLIENT_OK);
    expect(c, LOBBY_CLIENT_EV_JOINED);
    expect(a, LOBBY_CLIENT_EV_PLAYER_JOINED);
    assert_int_equal(lobby_client_kick(a->c, my_id(c)), LOBBY_CLIENT_OK);
    const lobby_client_event *ex = expect(c, LOBBY_CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(ex->lobby_exited.reason, 3); /* kicked */
    assert_true(ex->text[0] != '\0');
    assert_int_equal(lobby_client_get_state(c->c), LOBBY_CLIENT_BROWSING);
    const lobby_client_event *left = expect(a, LOBBY_CLIENT_EV_PLAYER_LEFT);
    assert_int_equal(left->player_left.reason, 3);
    assert_string_equal(left->text, "carol");
    assert_int_equal(lobby_client_send_chat(c->c, "hi", NULL), LOBBY_CLIENT_ERR_STATE);
}

static void configure_and_start(tplayer *a, tplayer *b)
{
    lobby_client_settings set = {.max_rtt_ms = 900, .meta_count = 1};
    strcpy(set.meta[0].key, "mode");
    strcpy(set.meta[0].value, "ctf");
    assert_int_equal(lobby_client_configure_lobby(
                         a->c, LOBBY_CLIENT_SET_METADATA | LOBBY_CLIENT_SET_MAX_RTT, &set),
                     LOBBY_CLIENT_OK);
    expect_status(b, has_meta);
    /* Not the owner: the server refuses. */
    assert_int_equal(lobby_client_start_game(b->c), LOBBY_CLIENT_OK);
    assert_int_equal(expect(b, LOBBY_CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason, 11);

    assert_int_equal(lobby_client_set_ready(a->c, true), LOBBY_CLIENT_OK);
    assert_int_equal(lobby_client_set_ready(b->c, true), LOBBY_CLIENT_OK);
    lobby_client_player pl;
    for (uint64_t end = now_us() + WAIT_MS * 1000u; now_us() < end; pump(5))
        if (lobby_client_find_player(a->c, my_id(b), &pl) && pl.ready)
            break;
    assert_true(pl.ready);
    assert_int_equal(lobby_client_start_game(a->c), LOBBY_CLIENT_OK);
    const lobby_client_event *cd = expect(b, LOBBY_CLIENT_EV_COUNTDOWN);
    uint32_t start_tick = cd->countdown.start_tick;
    assert_true(start_tick > 0);
    const lobby_client_event *go = expect(b, LOBBY_CLIENT_EV_GAME_STARTING);
    assert_int_equal(go->game_starting.tick, start_tick);
    assert_int_equal(expect(a, LOBBY_CLIENT_EV_GAME_STARTING)->game_starting.tick, start_tick);
    expect_status(a, is_in_game);
    lobby_client_status st;
    lobby_client_get_status(b->c, &st);
    assert_int_equal(st.start_tick, start_tick);
}

static void test_session(void **state)
{
    (void)state;
    tplayer *a = join(0, "alice", NULL);
    tplayer *b = join(1, "bob", NULL);
    chat_and_positions(a, b);
    create_and_list(a, b);
    kick_one(a);
    configure_and_start(a, b);

    lobby_client_leave(a->c);
    const lobby_client_event *bye = expect(a, LOBBY_CLIENT_EV_DISCONNECTED);
    assert_false(bye->disconnected.unanswered);
    assert_int_equal(lobby_client_get_state(a->c), LOBBY_CLIENT_DISCONNECTED);
    assert_int_equal(lobby_client_send_chat(a->c, "late", NULL), LOBBY_CLIENT_ERR_STATE);
    expect(b, LOBBY_CLIENT_EV_PLAYER_LEFT);
    lobby_client_destroy(a->c);
    a->c = NULL;
}

/* Two players named alike in one lobby: the second is refused, for good. */
static void test_rejected(void **state)
{
    (void)state;
    join(0, "dupe", NULL);
    tplayer *t = &g_f->p[1];
    lobby_client_config cfg = config_for("dupe");
    assert_int_equal(lobby_client_create(&cfg, now_us(), &t->c), LOBBY_CLIENT_OK);
    const lobby_client_event *ev = expect(t, LOBBY_CLIENT_EV_REJECTED);
    assert_int_equal(ev->rejected.reason, 5);    /* NAME_TAKEN */
    assert_non_null(strstr(ev->text, "'dupe'")); /* the server's own text */
    assert_true(lobby_client_reason_is_permanent(ev->rejected.reason));
    assert_int_equal(lobby_client_get_state(t->c), LOBBY_CLIENT_REJECTED);
    lobby_client_status st;
    lobby_client_get_status(t->c, &st);
    assert_int_equal(st.reason, 5);
    assert_string_equal(st.reason_text, ev->text);
}

/* browse: connected at the list, in no lobby; joining from there. */
static void test_browse(void **state)
{
    (void)state;
    tplayer *t = &g_f->p[0];
    lobby_client_config cfg = config_for("walker");
    cfg.browse = true;
    assert_int_equal(lobby_client_create(&cfg, now_us(), &t->c), LOBBY_CLIENT_OK);
    const lobby_client_event *at_list = expect(t, LOBBY_CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(at_list->lobby_exited.reason, 1); /* browsing */
    assert_int_equal(lobby_client_get_state(t->c), LOBBY_CLIENT_BROWSING);
    assert_int_equal(lobby_client_player_count(t->c), 0);
    assert_int_equal(lobby_client_send_chat(t->c, "hi", NULL), LOBBY_CLIENT_ERR_STATE);
    assert_int_equal(lobby_client_list_lobbies(t->c, NULL, NULL), LOBBY_CLIENT_OK);
    expect(t, LOBBY_CLIENT_EV_LOBBY_LIST);
    assert_true(lobby_client_lobby_count(t->c) >= 1);
    assert_int_equal(lobby_client_join_lobby(t->c, "main", NULL), LOBBY_CLIENT_OK);
    expect(t, LOBBY_CLIENT_EV_JOINED);
    assert_int_equal(lobby_client_leave_lobby(t->c), LOBBY_CLIENT_OK);
    assert_int_equal(expect(t, LOBBY_CLIENT_EV_LOBBY_EXITED)->lobby_exited.reason, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_defaults_and_texts),
        cmocka_unit_test_setup_teardown(test_wrong_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_browse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
