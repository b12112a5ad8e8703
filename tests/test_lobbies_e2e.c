/* Real lobbies end to end: the real lobby-server process and real client
 * cores over loopback. Creating with a password and metadata, the list and
 * its filters, every join refusal, leaving to the list, ownership passing
 * and given, kicks and their cool-down, ready + start -> countdown -> the
 * same game tick everywhere, cancelled countdowns, direct messages, the
 * history a joiner gets, configuring, members' link stats and browsing. The
 * server runs with short timers so each test takes a second or two. */
#include "client.h"
#include "clock.h"
#include "server_proc.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum {
    MAX_PLAYERS = 7,
    LOG_CAP = 512,  /* events one player keeps for a test */
    WAIT_MS = 4000, /* longest wait for one expected event */
    KICK_COOLDOWN_MS = 800,
    HISTORY_SENT = 60,
};

/* One player: its client core and every event it got, in order. */
typedef struct tplayer {
    client *c;
    size_t n, cursor; /* events logged; events expect() has looked past */
    client_event log[LOG_CAP];
} tplayer;

typedef struct fixture {
    server_proc sp;
    tplayer p[MAX_PLAYERS];
} fixture;

static fixture *g_f;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    const char *args[] = {"--countdown-ms",
                          "1000",
                          "--kick-cooldown-ms",
                          "800",
                          "--lobby-grace-ms",
                          "1000",
                          "--chat-rate",
                          "1000",
                          "--chat-burst",
                          "1000",
                          NULL};
    if (enet_initialize() != 0 || !server_proc_start(&f.sp, args))
        return -1;
    g_f = &f;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < MAX_PLAYERS; i++)
        client_destroy(f->p[i].c);
    server_proc_stop(&f->sp, NULL, NULL);
    enet_deinitialize();
    return 0;
}

/* One pass over every player: network in and out, events logged. */
static void pump(int wait_ms)
{
    struct pollfd fds[MAX_PLAYERS];
    int nfds = 0;
    for (int i = 0; i < MAX_PLAYERS; i++)
        if (g_f->p[i].c != NULL)
            fds[nfds++] = (struct pollfd){.fd = client_fd(g_f->p[i].c), .events = POLLIN};
    poll(fds, (nfds_t)nfds, wait_ms);
    for (int i = 0; i < MAX_PLAYERS; i++) {
        tplayer *t = &g_f->p[i];
        if (t->c == NULL)
            continue;
        client_update(t->c, clock_now_us());
        client_event ev;
        while (client_next_event(t->c, &ev))
            if (t->n < LOG_CAP)
                t->log[t->n++] = ev;
    }
}

static void pump_for(int ms)
{
    for (uint64_t end = clock_now_us() + (uint64_t)ms * 1000u; clock_now_us() < end;)
        pump(2);
}

/* The next event of this type after the cursor (waiting for it); the cursor
 * moves past it. Fails the test when it does not come. */
static const client_event *expect(tplayer *t, client_event_type type)
{
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u;;) {
        for (size_t i = t->cursor; i < t->n; i++)
            if (t->log[i].type == type) {
                t->cursor = i + 1;
                return &t->log[i];
            }
        if (clock_now_us() >= end)
            break;
        pump(2);
    }
    char types[256] = "";
    for (size_t i = 0, at = 0; i < t->n && at + 8 < sizeof types; i++)
        at += (size_t)snprintf(types + at, sizeof types - at, " %d", (int)t->log[i].type);
    fail_msg("event %d did not arrive at %s (logged:%s; last text '%s')", (int)type,
             client_get_view(t->c)->lobby, types, t->n ? t->log[t->n - 1].text : "");
    return NULL;
}

/* How many events of this type arrived after the cursor. */
static int count_since_cursor(const tplayer *t, client_event_type type)
{
    int n = 0;
    for (size_t i = t->cursor; i < t->n; i++)
        n += t->log[i].type == type;
    return n;
}

/* Forgets what arrived so far: expect() looks only at what comes next. */
static void skip_all(tplayer *t)
{
    t->cursor = t->n;
}

static tplayer *connect_player(int slot, const char *name, const char *lobby, const char *password,
                               bool browse)
{
    tplayer *t = &g_f->p[slot];
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = g_f->sp.port;
    cfg.name = name;
    cfg.lobby = lobby;
    cfg.password = password;
    cfg.browse = browse;
    assert_int_equal(client_create(&cfg, clock_now_us(), &t->c), CLIENT_OK);
    return t;
}

/* At the lobby list (HELLO BROWSE). */
static tplayer *browser(int slot, const char *name)
{
    tplayer *t = connect_player(slot, name, NULL, NULL, true);
    const client_event *ev = expect(t, CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(ev->lobby_exited.reason, PROTO_EXIT_BROWSING);
    assert_int_equal(client_get_view(t->c)->state, CLIENT_BROWSING);
    return t;
}

static uint16_t my_id(const tplayer *t)
{
    return client_get_view(t->c)->my_id;
}

static void create_lobby(tplayer *t, const char *name, uint8_t capacity, const char *password)
{
    client_lobby_settings s = {.name = name, .capacity = capacity, .password = password};
    assert_int_equal(client_create_lobby(t->c, &s), CLIENT_OK);
    expect(t, CLIENT_EV_JOINED);
    expect(t, CLIENT_EV_LOBBY_STATE);
    assert_string_equal(client_get_view(t->c)->lobby, name);
    assert_int_equal(client_get_view(t->c)->owner_id, my_id(t));
}

static void join_lobby(tplayer *t, const char *name, const char *password)
{
    assert_int_equal(client_join_lobby(t->c, name, password), CLIENT_OK);
    const client_event *ev = expect(t, CLIENT_EV_JOINED);
    assert_false(ev->joined.resumed);
    expect(t, CLIENT_EV_LOBBY_STATE);
    assert_string_equal(client_get_view(t->c)->lobby, name);
}

/* The join is refused for this reason; the refusal names JOIN_LOBBY. */
static const client_event *join_refused(tplayer *t, const char *name, const char *password,
                                        uint32_t reason)
{
    assert_int_equal(client_join_lobby(t->c, name, password), CLIENT_OK);
    const client_event *ev = expect(t, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.request, PROTO_JOIN_LOBBY);
    assert_int_equal(ev->lobby_refused.reason, reason);
    assert_true(ev->text_len > 0);
    return ev;
}

static const client_lobby_list *list(tplayer *t, const client_lobby_filter *filter)
{
    uint32_t id;
    assert_int_equal(client_list_lobbies(t->c, filter, &id), CLIENT_OK);
    const client_event *ev = expect(t, CLIENT_EV_LOBBY_LIST);
    assert_int_equal(ev->lobby_list.request_id, id);
    return client_get_lobby_list(t->c);
}

static const client_lobby_info *find_in(const client_lobby_list *l, const char *name)
{
    for (unsigned i = 0; i < l->count; i++)
        if (strcmp(l->lobbies[i].name, name) == 0)
            return &l->lobbies[i];
    return NULL;
}

/* Waits until the player's view has this owner. */
static void wait_owner(tplayer *t, uint16_t owner)
{
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u;
         client_get_view(t->c)->owner_id != owner && clock_now_us() < end;)
        pump(2);
    assert_int_equal(client_get_view(t->c)->owner_id, owner);
}

static void wait_ready(tplayer *t, uint16_t id, bool ready)
{
    const client_player *p = NULL;
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump(2))
        if ((p = client_find_player(t->c, id)) != NULL && p->ready == ready)
            return;
    fail_msg("player %u never became %s", (unsigned)id, ready ? "ready" : "not ready");
}

/* ---- creating and listing -------------------------------------------------- */

static void test_create_with_password_and_metadata_and_list_filters(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    tplayer *carol = browser(2, "carol");
    client_lobby_settings s = {.name = "Arena", .capacity = 4, .password = "pw1", .meta_count = 2};
    snprintf(s.meta[0].key, sizeof s.meta[0].key, "mode");
    snprintf(s.meta[0].value, sizeof s.meta[0].value, "ctf");
    snprintf(s.meta[1].key, sizeof s.meta[1].key, "map");
    snprintf(s.meta[1].value, sizeof s.meta[1].value, "dust");
    assert_int_equal(client_create_lobby(alice->c, &s), CLIENT_OK);
    expect(alice, CLIENT_EV_JOINED);
    expect(alice, CLIENT_EV_LOBBY_STATE);
    const client_view *v = client_get_view(alice->c);
    assert_int_equal(v->state, CLIENT_JOINED);
    assert_true(v->has_password);
    assert_int_equal(v->capacity, 4);
    assert_int_equal(v->lobby_state, PROTO_LOBBY_OPEN);
    assert_int_equal(v->meta_count, 2);
    assert_string_equal(v->meta[1].value, "dust");
    create_lobby(bob, "duel", 1, NULL); /* full with its owner */
    create_lobby(carol, "play", 1, NULL);
    assert_int_equal(client_set_ready(carol->c, true), CLIENT_OK);
    wait_ready(carol, my_id(carol), true);
    assert_int_equal(client_start_game(carol->c), CLIENT_OK);
    expect(carol, CLIENT_EV_GAME_STARTING); /* "play" is in game */

    const client_lobby_list *l = list(alice, NULL);
    const client_lobby_info *arena = find_in(l, "Arena");
    assert_non_null(arena);
    assert_non_null(find_in(l, "duel"));
    assert_non_null(find_in(l, "play"));
    assert_int_equal(arena->players, 1);
    assert_int_equal(arena->capacity, 4);
    assert_true(arena->has_password);
    assert_string_equal(arena->owner, "alice");
    assert_int_equal(arena->state, PROTO_LOBBY_OPEN);
    assert_int_equal(arena->meta_count, 2);
    assert_string_equal(arena->meta[0].key, "mode");
    assert_string_equal(arena->meta[0].value, "ctf");
    assert_int_equal(find_in(l, "play")->state, PROTO_LOBBY_IN_GAME);
    assert_int_equal(l->total, l->count);

    client_lobby_filter f = {.free_seat = true};
    l = list(alice, &f);
    assert_non_null(find_in(l, "Arena"));
    assert_null(find_in(l, "duel"));
    assert_null(find_in(l, "play"));
    f = (client_lobby_filter){.no_password = true};
    l = list(alice, &f);
    assert_null(find_in(l, "Arena"));
    assert_non_null(find_in(l, "duel"));
    f = (client_lobby_filter){.open_only = true};
    l = list(alice, &f);
    assert_non_null(find_in(l, "Arena"));
    assert_non_null(find_in(l, "duel"));
    assert_null(find_in(l, "play"));
    f = (client_lobby_filter){.name_contains = "aRe"}; /* any case */
    l = list(alice, &f);
    assert_int_equal(l->total, 1);
    assert_string_equal(l->lobbies[0].name, "Arena");
    f = (client_lobby_filter){.meta_count = 1};
    snprintf(f.meta[0].key, sizeof f.meta[0].key, "mode");
    snprintf(f.meta[0].value, sizeof f.meta[0].value, "ctf");
    l = list(alice, &f);
    assert_int_equal(l->total, 1);
    assert_string_equal(l->lobbies[0].name, "Arena");
    snprintf(f.meta[0].value, sizeof f.meta[0].value, "dm");
    l = list(bob, &f);
    assert_int_equal(l->total, 0);
    assert_int_equal(l->count, 0);

    /* A name in use cannot be created again, in any case (names compare as
     * NFKC case-folded keys). */
    s = (client_lobby_settings){.name = "Arena"};
    assert_int_equal(client_create_lobby(bob->c, &s), CLIENT_OK);
    const client_event *ev = expect(bob, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.request, PROTO_CREATE_LOBBY);
    assert_int_equal(ev->lobby_refused.reason, PROTO_LOBBY_EXISTS);
    s.name = "ARENA";
    assert_int_equal(client_create_lobby(bob->c, &s), CLIENT_OK);
    assert_int_equal(expect(bob, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_EXISTS);
    assert_string_equal(client_get_view(bob->c)->lobby, "duel"); /* stayed */
}

/* ---- joining --------------------------------------------------------------- */

static void test_join_refusals_and_the_right_password(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    create_lobby(alice, "vault", 2, "sesame");
    const client_event *ev = join_refused(bob, "vault", "nope", PROTO_LOBBY_WRONG_PASSWORD);
    assert_non_null(strstr(ev->text, "password"));
    join_refused(bob, "vault", NULL, PROTO_LOBBY_WRONG_PASSWORD);
    join_refused(bob, "nowhere", NULL, PROTO_LOBBY_UNKNOWN);
    assert_int_equal(client_get_view(bob->c)->state, CLIENT_BROWSING);
    join_lobby(bob, "vault", "sesame");
    const client_view *v = client_get_view(bob->c);
    assert_int_equal(v->player_count, 2);
    assert_int_equal(v->owner_id, my_id(alice));
    assert_non_null(client_find_player_by_name(bob->c, "alice"));
    ev = expect(alice, CLIENT_EV_PLAYER_JOINED);
    assert_string_equal(ev->text, "bob");

    tplayer *carol = browser(2, "carol");
    join_refused(carol, "vault", "sesame", PROTO_LOBBY_FULL);

    /* A started lobby takes nobody. */
    create_lobby(carol, "solo", 2, NULL); /* a free seat: STARTED is the reason */
    tplayer *dave = browser(3, "dave");
    assert_int_equal(client_set_ready(carol->c, true), CLIENT_OK);
    wait_ready(carol, my_id(carol), true);
    assert_int_equal(client_start_game(carol->c), CLIENT_OK);
    expect(carol, CLIENT_EV_COUNTDOWN);
    join_refused(dave, "solo", NULL, PROTO_LOBBY_STARTED);
    expect(carol, CLIENT_EV_GAME_STARTING);
    join_refused(dave, "solo", NULL, PROTO_LOBBY_STARTED);

    /* HELLO with a lobby and its password joins it; a wrong one is rejected,
     * but a full lobby answers "full" whatever the password. */
    tplayer *erin = connect_player(4, "erin", "vault", "bad", false);
    ev = expect(erin, CLIENT_EV_REJECTED);
    assert_int_equal(ev->rejected.reason, PROTO_REASON_LOBBY_FULL);
    assert_int_equal(client_leave_lobby(bob->c), CLIENT_OK);
    expect(bob, CLIENT_EV_LOBBY_EXITED);
    tplayer *gina = connect_player(6, "gina", "VAULT", "bad", false);
    ev = expect(gina, CLIENT_EV_REJECTED);
    assert_int_equal(ev->rejected.reason, PROTO_REASON_WRONG_PASSWORD);
    tplayer *fred = connect_player(5, "fred", "vault", "sesame", false);
    expect(fred, CLIENT_EV_JOINED);
    assert_string_equal(client_get_view(fred->c)->lobby, "vault");
}

static void test_leave_to_the_list_and_list_again(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    create_lobby(alice, "den", 0, NULL);
    join_lobby(bob, "den", NULL);
    assert_int_equal(list(bob, NULL)->count > 0, true);
    assert_int_equal(find_in(client_get_lobby_list(bob->c), "den")->players, 2);
    skip_all(alice);

    assert_int_equal(client_leave_lobby(bob->c), CLIENT_OK);
    const client_event *ev = expect(bob, CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(ev->lobby_exited.reason, PROTO_EXIT_LEFT);
    const client_view *v = client_get_view(bob->c);
    assert_int_equal(v->state, CLIENT_BROWSING);
    assert_int_equal(v->player_count, 0);
    assert_string_equal(v->lobby, "");
    assert_int_equal(v->owner_id, 0);
    ev = expect(alice, CLIENT_EV_PLAYER_LEFT);
    assert_int_equal(ev->player_left.reason, PROTO_LEAVE_LEFT);
    assert_string_equal(ev->text, "bob");
    assert_int_equal(client_get_view(alice->c)->player_count, 1);

    /* At the list: no chat, no lobby requests; listing still works. */
    assert_int_equal(client_send_chat(bob->c, "hi", 2, NULL), CLIENT_ERR_STATE);
    assert_int_equal(client_leave_lobby(bob->c), CLIENT_ERR_STATE);
    assert_int_equal(client_set_ready(bob->c, true), CLIENT_ERR_STATE);
    assert_int_equal(find_in(list(bob, NULL), "den")->players, 1);

    /* Moving between lobbies: the old one sees the player leave. */
    join_lobby(bob, "den", NULL);
    skip_all(alice);
    create_lobby(bob, "annex", 0, NULL);
    ev = expect(alice, CLIENT_EV_PLAYER_LEFT);
    assert_int_equal(ev->player_left.reason, PROTO_LEAVE_LEFT);
    /* A refused move leaves the player where it was. */
    join_refused(bob, "missing", NULL, PROTO_LOBBY_UNKNOWN);
    assert_string_equal(client_get_view(bob->c)->lobby, "annex");
    assert_int_equal(client_get_view(bob->c)->state, CLIENT_JOINED);
}

/* ---- owners ---------------------------------------------------------------- */

static void test_ownership_passes_and_is_given(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    tplayer *carol = browser(2, "carol");
    create_lobby(alice, "court", 0, NULL);
    join_lobby(bob, "court", NULL);
    join_lobby(carol, "court", NULL);
    wait_owner(carol, my_id(alice));

    /* Only the owner may kick, configure, give or start. */
    assert_int_equal(client_kick(carol->c, my_id(bob)), CLIENT_OK);
    const client_event *ev = expect(carol, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.request, PROTO_KICK);
    assert_int_equal(ev->lobby_refused.reason, PROTO_LOBBY_NOT_OWNER);
    assert_int_equal(client_give_ownership(carol->c, my_id(carol)), CLIENT_OK);
    assert_int_equal(expect(carol, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NOT_OWNER);

    /* The owner leaves: the longest-present member (bob) owns it. */
    assert_int_equal(client_leave_lobby(alice->c), CLIENT_OK);
    expect(alice, CLIENT_EV_LOBBY_EXITED);
    wait_owner(carol, my_id(bob));
    wait_owner(bob, my_id(bob));

    assert_int_equal(client_give_ownership(bob->c, my_id(carol)), CLIENT_OK);
    wait_owner(bob, my_id(carol));
    wait_owner(carol, my_id(carol));
}

static void test_kick_and_the_cool_down(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    create_lobby(alice, "club", 0, NULL);
    join_lobby(bob, "club", NULL);
    uint16_t bob_id = my_id(bob);

    assert_int_equal(client_kick(alice->c, my_id(alice)), CLIENT_OK);
    assert_int_equal(expect(alice, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NO_SUCH_PLAYER);
    assert_int_equal(client_kick(alice->c, 0xFFFE), CLIENT_OK);
    assert_int_equal(expect(alice, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NO_SUCH_PLAYER);

    uint64_t kicked_us = clock_now_us();
    assert_int_equal(client_kick(alice->c, bob_id), CLIENT_OK);
    const client_event *ev = expect(bob, CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(ev->lobby_exited.reason, PROTO_EXIT_KICKED);
    assert_non_null(strstr(ev->text, "club"));
    assert_int_equal(client_get_view(bob->c)->state, CLIENT_BROWSING);
    ev = expect(alice, CLIENT_EV_PLAYER_LEFT);
    assert_int_equal(ev->player_left.player_id, bob_id);
    assert_int_equal(ev->player_left.reason, PROTO_LEAVE_KICKED);

    ev = join_refused(bob, "club", NULL, PROTO_LOBBY_KICKED);
    assert_non_null(strstr(ev->text, "rejoin"));
    /* A HELLO into that lobby is rejected too. */
    tplayer *bob2 = connect_player(2, "bob", "club", NULL, false);
    assert_int_equal(expect(bob2, CLIENT_EV_REJECTED)->rejected.reason, PROTO_REASON_KICKED);

    while (clock_now_us() < kicked_us + (KICK_COOLDOWN_MS + 200) * 1000u)
        pump(5);
    join_lobby(bob, "club", NULL);
}

/* ---- ready, countdown, start ----------------------------------------------- */

static void test_ready_start_countdown_same_tick_everywhere(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    tplayer *carol = browser(2, "carol");
    create_lobby(alice, "race", 0, NULL);
    join_lobby(bob, "race", NULL);
    join_lobby(carol, "race", NULL);

    assert_int_equal(client_start_game(alice->c), CLIENT_OK);
    const client_event *ev = expect(alice, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.request, PROTO_START_GAME);
    assert_int_equal(ev->lobby_refused.reason, PROTO_LOBBY_NOT_ALL_READY);
    assert_non_null(strstr(ev->text, "bob"));
    assert_int_equal(client_start_game(bob->c), CLIENT_OK);
    assert_int_equal(expect(bob, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NOT_OWNER);

    for (int i = 0; i < 3; i++)
        assert_int_equal(client_set_ready(g_f->p[i].c, true), CLIENT_OK);
    for (int i = 0; i < 3; i++) /* every member sees every ready flag */
        for (int k = 0; k < 3; k++)
            wait_ready(&g_f->p[i], my_id(&g_f->p[k]), true);
    for (int i = 0; i < 3; i++)
        skip_all(&g_f->p[i]);

    assert_int_equal(client_start_game(alice->c), CLIENT_OK);
    uint32_t ticks[3], start_tick[3];
    for (int i = 0; i < 3; i++) {
        ev = expect(&g_f->p[i], CLIENT_EV_COUNTDOWN);
        assert_true(ev->countdown.seconds_left >= 1);
        start_tick[i] = ev->countdown.start_tick;
        assert_int_equal(client_get_view(g_f->p[i].c)->lobby_state, PROTO_LOBBY_STARTING);
        assert_true(client_get_view(g_f->p[i].c)->countdown_end_us > 0);
    }
    for (int i = 0; i < 3; i++) {
        ev = expect(&g_f->p[i], CLIENT_EV_GAME_STARTING);
        ticks[i] = ev->game_starting.tick;
        assert_int_equal(ticks[i], start_tick[i]);
        assert_true(ev->game_starting.server_us > 0);
    }
    assert_int_equal(ticks[0], ticks[1]);
    assert_int_equal(ticks[1], ticks[2]);
    pump_for(50);
    for (int i = 0; i < 3; i++) {
        const client_view *v = client_get_view(g_f->p[i].c);
        assert_int_equal(v->lobby_state, PROTO_LOBBY_IN_GAME);
        assert_int_equal(v->start_tick, ticks[0]);
        assert_int_equal(v->countdown_end_us, 0);
        for (unsigned k = 0; k < v->player_count; k++)
            assert_false(v->players[k].ready);
    }
    /* In game: no joins. */
    tplayer *dave = browser(3, "dave");
    join_refused(dave, "race", NULL, PROTO_LOBBY_STARTED);
    /* The last member leaving opens it again. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(client_leave_lobby(g_f->p[i].c), CLIENT_OK);
    for (int i = 0; i < 3; i++)
        expect(&g_f->p[i], CLIENT_EV_LOBBY_EXITED);
    client_lobby_filter open = {.open_only = true, .name_contains = "race"};
    assert_int_equal(list(dave, &open)->total, 1);
}

/* Everyone ready, the countdown started; returns after COUNTDOWN at both. */
static void start_countdown(tplayer *owner, tplayer *other, const char *lobby)
{
    create_lobby(owner, lobby, 0, NULL);
    join_lobby(other, lobby, NULL);
    assert_int_equal(client_set_ready(owner->c, true), CLIENT_OK);
    assert_int_equal(client_set_ready(other->c, true), CLIENT_OK);
    wait_ready(owner, my_id(other), true);
    wait_ready(owner, my_id(owner), true);
    assert_int_equal(client_start_game(owner->c), CLIENT_OK);
    expect(owner, CLIENT_EV_COUNTDOWN);
    expect(other, CLIENT_EV_COUNTDOWN);
}

static void test_countdown_cancelled_by_unready_and_by_leave(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    start_countdown(alice, bob, "lane");
    uint16_t bob_id = my_id(bob);
    assert_int_equal(client_set_ready(bob->c, false), CLIENT_OK);
    const client_event *ev = expect(alice, CLIENT_EV_COUNTDOWN_CANCELLED);
    assert_int_equal(ev->countdown_cancelled.by_id, bob_id);
    assert_true(ev->text_len > 0);
    expect(bob, CLIENT_EV_COUNTDOWN_CANCELLED);
    pump_for(1300); /* past when the game would have started */
    assert_int_equal(count_since_cursor(alice, CLIENT_EV_GAME_STARTING), 0);
    assert_int_equal(client_get_view(alice->c)->lobby_state, PROTO_LOBBY_OPEN);
    assert_int_equal(client_get_view(alice->c)->countdown_end_us, 0);

    assert_int_equal(client_leave_lobby(alice->c), CLIENT_OK);
    expect(alice, CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(client_leave_lobby(bob->c), CLIENT_OK);
    expect(bob, CLIENT_EV_LOBBY_EXITED);
    start_countdown(alice, bob, "lane2");
    bob_id = my_id(bob);
    assert_int_equal(client_leave_lobby(bob->c), CLIENT_OK);
    ev = expect(alice, CLIENT_EV_COUNTDOWN_CANCELLED);
    assert_int_equal(ev->countdown_cancelled.by_id, bob_id);
    pump_for(1300);
    assert_int_equal(count_since_cursor(alice, CLIENT_EV_GAME_STARTING), 0);
    assert_int_equal(client_get_view(alice->c)->lobby_state, PROTO_LOBBY_OPEN);
}

/* ---- direct messages, history, configuration, links -------------------------- */

static void test_direct_message_acked_and_only_to_its_target(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    tplayer *carol = browser(2, "carol");
    create_lobby(alice, "whisper", 0, NULL);
    join_lobby(bob, "whisper", NULL);
    join_lobby(carol, "whisper", NULL);
    pump_for(100);
    skip_all(bob);
    skip_all(carol);

    uint32_t id;
    assert_int_equal(client_send_direct(alice->c, my_id(bob), "psst", 4, &id), CLIENT_OK);
    const client_event *ev = expect(alice, CLIENT_EV_CHAT_ACK);
    assert_int_equal(ev->chat_ack.msg_id, id);
    assert_int_equal(ev->chat_ack.seq, 0);
    ev = expect(bob, CLIENT_EV_DIRECT_CHAT);
    assert_int_equal(ev->direct_chat.player_id, my_id(alice));
    assert_string_equal(ev->text, "psst");
    pump_for(200);
    assert_int_equal(count_since_cursor(carol, CLIENT_EV_DIRECT_CHAT), 0);
    assert_int_equal(count_since_cursor(carol, CLIENT_EV_CHAT), 0);
    assert_int_equal(client_get_view(alice->c)->last_chat_seq, 0); /* no lobby sequence */

    assert_int_equal(client_send_direct(alice->c, my_id(alice), "me", 2, &id), CLIENT_OK);
    ev = expect(alice, CLIENT_EV_CHAT_REFUSED);
    assert_int_equal(ev->chat_refused.msg_id, id);
    assert_int_equal(ev->chat_refused.reason, PROTO_REFUSE_NO_SUCH_PLAYER);

    /* DMs are not history: a joiner gets none. */
    tplayer *dave = browser(3, "dave");
    join_lobby(dave, "whisper", NULL);
    pump_for(200);
    assert_int_equal(count_since_cursor(dave, CLIENT_EV_CHAT), 0);
    assert_int_equal(count_since_cursor(dave, CLIENT_EV_DIRECT_CHAT), 0);
}

static void test_joiner_gets_the_last_50_lines_in_order(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    create_lobby(alice, "history", 0, NULL);
    char text[32];
    for (int i = 1; i <= HISTORY_SENT; i++) {
        int len = snprintf(text, sizeof text, "line %d", i);
        assert_int_equal(client_send_chat(alice->c, text, (size_t)len, NULL), CLIENT_OK);
    }
    for (int i = 0; i < HISTORY_SENT; i++)
        expect(alice, CLIENT_EV_CHAT_ACK);

    uint16_t alice_id = my_id(alice);
    /* The sender has gone when bob comes: its name still comes with its lines. */
    assert_int_equal(client_leave_lobby(alice->c), CLIENT_OK);
    expect(alice, CLIENT_EV_LOBBY_EXITED);
    tplayer *bob = browser(1, "bob");
    join_lobby(bob, "history", NULL);
    pump_for(300);
    int got = 0;
    for (size_t i = 0; i < bob->n; i++) {
        const client_event *ev = &bob->log[i];
        if (ev->type != CLIENT_EV_CHAT)
            continue;
        snprintf(text, sizeof text, "line %d", HISTORY_SENT - PROTO_JOIN_HISTORY_LINES + 1 + got);
        assert_string_equal(ev->text, text);
        assert_int_equal(ev->chat.player_id, alice_id);
        assert_string_equal(ev->chat.sender, "alice");
        assert_true(ev->chat.history);
        assert_false(ev->chat.from_text);
        got++;
    }
    assert_int_equal(got, PROTO_JOIN_HISTORY_LINES);
}

/* ---- one name key per lobby, on every path ---------------------------------- */

/* Sends one line to the text port; its first reply line must start with want. */
static void text_port_says(const char *line, const char *want)
{
    char got[256];
    assert_true(text_port_exchange(g_f->sp.tcp_port, line, got, sizeof got));
    if (strstr(got, want) != got)
        fail_msg("text port answered '%s' to '%s', want '%s...'", got, line, want);
}

static void test_every_path_finds_a_lobby_by_its_key(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    create_lobby(alice, "Party", 4, "secret");
    tplayer *bob = browser(1, "bob");
    client_lobby_settings alike = {.name = "\xEF\xBC\xB0"
                                           "ARTY"}; /* fullwidth P */
    assert_int_equal(client_create_lobby(bob->c, &alike), CLIENT_OK);
    const client_event *ev = expect(bob, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.reason, PROTO_LOBBY_EXISTS);
    join_refused(bob, "PARTY", NULL, PROTO_LOBBY_WRONG_PASSWORD);
    assert_int_equal(client_join_lobby(bob->c, "party", "secret"), CLIENT_OK);
    expect(bob, CLIENT_EV_JOINED);
    assert_string_equal(client_get_view(bob->c)->lobby, "Party");

    /* HELLO JOIN by another spelling reaches the one lobby, password and all. */
    tplayer *carol = connect_player(2, "carol", "PARTY", NULL, false);
    assert_int_equal(expect(carol, CLIENT_EV_REJECTED)->rejected.reason,
                     PROTO_REASON_WRONG_PASSWORD);
    tplayer *dave = connect_player(3, "dave", "pArTy", "secret", false);
    expect(dave, CLIENT_EV_JOINED);
    assert_string_equal(client_get_view(dave->c)->lobby, "Party");
    tplayer *erin = connect_player(4, "erin", "MAIN", NULL, false);
    expect(erin, CLIENT_EV_JOINED);
    expect(erin, CLIENT_EV_LOBBY_STATE);
    assert_string_equal(client_get_view(erin->c)->lobby, "main");
    assert_true(client_get_view(erin->c)->server_owned);

    /* The text port's /join finds it too: it asks for the password. */
    text_port_says("/join PARTY\n", "error password-required");
    text_port_says("/join MAIN\n", "joined main");

    /* One lobby in the list, whatever the needle's case. */
    client_lobby_filter f = {.name_contains = "PART"};
    const client_lobby_list *l = list(alice, &f);
    assert_int_equal(l->total, 1);
    assert_string_equal(l->lobbies[0].name, "Party");

    /* The kick cool-down holds for every spelling of the name. */
    tplayer *dave2 = browser(5, "DAVE");
    assert_int_equal(client_kick(alice->c, my_id(dave)), CLIENT_OK);
    expect(dave, CLIENT_EV_LOBBY_EXITED);
    join_refused(dave2, "party", "secret", PROTO_LOBBY_KICKED);
}

/* Names with white space at either end, or two in a row, are refused on
 * every path, for players and lobbies alike. */
static void test_names_with_stray_spaces_are_refused(void **state)
{
    (void)state;
    tplayer *spaced = connect_player(0, "alice ", NULL, NULL, false);
    const client_event *ev = expect(spaced, CLIENT_EV_REJECTED);
    assert_int_equal(ev->rejected.reason, PROTO_REASON_NAME_INVALID);
    assert_non_null(strstr(ev->text, "white space"));
    tplayer *lobby_spaced = connect_player(1, "bob", " x", NULL, false);
    assert_int_equal(expect(lobby_spaced, CLIENT_EV_REJECTED)->rejected.reason,
                     PROTO_REASON_LOBBY_INVALID);
    tplayer *carol = browser(2, "carol");
    join_refused(carol, " x", NULL, PROTO_LOBBY_NAME_INVALID);
    client_lobby_settings s = {.name = "a  b"};
    assert_int_equal(client_create_lobby(carol->c, &s), CLIENT_OK);
    assert_int_equal(expect(carol, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NAME_INVALID);
    s.name = "a\xE3\x80\x80"; /* an ideographic space at the end */
    assert_int_equal(client_create_lobby(carol->c, &s), CLIENT_OK);
    assert_int_equal(expect(carol, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NAME_INVALID);
    create_lobby(carol, "a b", 0, NULL);                  /* one space between words is fine */
    text_port_says("/name ann  lee\n", "error bad-name"); /* the line's ends are trimmed */
}

static void test_configure_refuses_capacity_below_count(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    create_lobby(alice, "tune", 4, NULL);
    join_lobby(bob, "tune", NULL);

    client_lobby_settings s = {.capacity = 1, .password = "x", .meta_count = 1};
    snprintf(s.meta[0].key, sizeof s.meta[0].key, "mode");
    snprintf(s.meta[0].value, sizeof s.meta[0].value, "race");
    assert_int_equal(
        client_configure_lobby(alice->c, PROTO_CONFIGURE_CAPACITY | PROTO_CONFIGURE_PASSWORD, &s),
        CLIENT_OK);
    const client_event *ev = expect(alice, CLIENT_EV_LOBBY_REFUSED);
    assert_int_equal(ev->lobby_refused.request, PROTO_CONFIGURE_LOBBY);
    assert_int_equal(ev->lobby_refused.reason, PROTO_LOBBY_BELOW_COUNT);
    pump_for(100);
    assert_int_equal(client_get_view(bob->c)->capacity, 4);
    assert_false(client_get_view(bob->c)->has_password); /* nothing of it applied */

    s.capacity = 2;
    assert_int_equal(client_configure_lobby(alice->c, PROTO_CONFIGURE_ALL, &s), CLIENT_OK);
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u;
         client_get_view(bob->c)->capacity != 2 && clock_now_us() < end;)
        pump(2);
    const client_view *v = client_get_view(bob->c);
    assert_int_equal(v->capacity, 2);
    assert_true(v->has_password);
    assert_int_equal(v->meta_count, 1);
    assert_string_equal(v->meta[0].value, "race");

    assert_int_equal(client_configure_lobby(bob->c, PROTO_CONFIGURE_CAPACITY, &s), CLIENT_OK);
    assert_int_equal(expect(bob, CLIENT_EV_LOBBY_REFUSED)->lobby_refused.reason,
                     PROTO_LOBBY_NOT_OWNER);
    /* Checked before sending: nothing to change, a password over 32 bytes. */
    assert_int_equal(client_configure_lobby(alice->c, 0, &s), CLIENT_ERR_ARG);
    s.password = "0123456789012345678901234567890123";
    assert_int_equal(client_configure_lobby(alice->c, PROTO_CONFIGURE_PASSWORD, &s),
                     CLIENT_ERR_ARG);
    assert_int_equal(client_join_lobby(alice->c, "tune", s.password), CLIENT_ERR_ARG);
}

static void test_members_link_stats_seen_by_all(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    tplayer *bob = browser(1, "bob");
    create_lobby(alice, "links", 0, NULL);
    join_lobby(bob, "links", NULL);
    uint16_t ids[2] = {my_id(alice), my_id(bob)};
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump(5)) {
        bool all = true;
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 2; k++) {
                const client_player *p = client_find_player(g_f->p[i].c, ids[k]);
                all = all && p != NULL && p->has_link;
            }
        if (all)
            break;
    }
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            assert_true(client_find_player(g_f->p[i].c, ids[k])->has_link);
    /* The list carries the lobby's median member round trip. */
    tplayer *carol = browser(2, "carol");
    client_lobby_filter f = {.name_contains = "links"};
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump_for(100))
        if (list(carol, &f)->count == 1 && client_get_lobby_list(carol->c)->lobbies[0].rtt_known)
            return;
    fail_msg("the list never showed the lobby's median round trip");
}

static void test_browse_hello_lists_then_joins(void **state)
{
    (void)state;
    tplayer *alice = browser(0, "alice");
    const client_view *v = client_get_view(alice->c);
    assert_int_equal(v->my_id, 0);
    assert_int_equal(v->player_count, 0);
    assert_int_equal(client_send_chat(alice->c, "hi", 2, NULL), CLIENT_ERR_STATE);
    assert_int_equal(client_send_direct(alice->c, 1, "hi", 2, NULL), CLIENT_ERR_STATE);
    assert_int_equal(client_kick(alice->c, 1), CLIENT_ERR_STATE);
    assert_int_equal(client_start_game(alice->c), CLIENT_ERR_STATE);
    list(alice, NULL);
    join_lobby(alice, PROTO_DEFAULT_LOBBY, NULL);
    assert_int_equal(client_get_view(alice->c)->state, CLIENT_JOINED);
    assert_int_equal(client_leave_lobby(alice->c), CLIENT_OK);
    expect(alice, CLIENT_EV_LOBBY_EXITED);
    assert_int_equal(client_get_view(alice->c)->state, CLIENT_BROWSING);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_create_with_password_and_metadata_and_list_filters),
        T(test_join_refusals_and_the_right_password),
        T(test_leave_to_the_list_and_list_again),
        T(test_ownership_passes_and_is_given),
        T(test_kick_and_the_cool_down),
        T(test_ready_start_countdown_same_tick_everywhere),
        T(test_countdown_cancelled_by_unready_and_by_leave),
        T(test_direct_message_acked_and_only_to_its_target),
        T(test_joiner_gets_the_last_50_lines_in_order),
        T(test_every_path_finds_a_lobby_by_its_key),
        T(test_names_with_stray_spaces_are_refused),
        T(test_configure_refuses_capacity_below_count),
        T(test_members_link_stats_seen_by_all),
        T(test_browse_hello_lists_then_joins),
    };
#undef T
    return cmocka_run_group_tests_name("real lobbies end to end", tests, NULL, NULL);
}
