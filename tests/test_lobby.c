/* Lobby rules as plain data: joining and opening lobbies, capacity, unique
 * names, slots, leaving in order, colours, positions and chat sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lobby.h"
#include "lobby_fixture.h"

enum {
    TEST_MAX_LOBBIES = 4,
    TEST_CAPACITY = 3,
};

static proto_str str(const char *s)
{
    return proto_str_from_cstr(s);
}

/* A set with TEST_MAX_LOBBIES slots of TEST_CAPACITY players, fresh per test. */
static int set_setup(void **state)
{
    return lobby_fixture_setup(state, TEST_MAX_LOBBIES, TEST_CAPACITY);
}

/* Joins player_name into lobby_name with session = id = player_id. */
static int join(lobby_set *set, const char *lobby_name, const char *player_name, uint16_t player_id)
{
    return lobby_join(set, str(lobby_name), str(player_name), player_id, player_id);
}

static void assert_ids(const lobby *l, const uint16_t *ids, unsigned count)
{
    assert_int_equal(l->count, count);
    for (unsigned i = 0; i < count; i++)
        assert_int_equal(l->players[i].id, ids[i]);
}

/* ---- lobby_set_init ------------------------------------------------------- */

static void init_opens_default_lobby_at_index_0(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(lobby_find(set, str(PROTO_DEFAULT_LOBBY)), 0);
    assert_true(set->lobbies[0].in_use);
    assert_string_equal(set->lobbies[0].name, "main");
    assert_int_equal(set->lobbies[0].count, 0);
    for (unsigned i = 1; i < TEST_MAX_LOBBIES; i++)
        assert_false(set->lobbies[i].in_use);
}

static void init_checks_arguments(void **state)
{
    (void)state;
    static const struct {
        uint32_t max_lobbies;
        unsigned capacity;
        int want;
    } cases[] = {
        {4, 0, LOBBY_ERR_ARG},   {4, PROTO_MAX_LOBBY_PLAYERS + 1, LOBBY_ERR_ARG},
        {4, 255, LOBBY_ERR_ARG}, {0, 4, LOBBY_ERR_ARG},
        {4, 1, LOBBY_OK},        {4, PROTO_MAX_LOBBY_PLAYERS, LOBBY_OK},
        {1, 16, LOBBY_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lobby_set set = {0};
        int err = lobby_set_init(&set, cases[i].max_lobbies, (uint8_t)cases[i].capacity);
        if (err != cases[i].want)
            fail_msg("case %zu: lobby_set_init(%u, %u) = %d, want %d", i,
                     (unsigned)cases[i].max_lobbies, cases[i].capacity, err, cases[i].want);
        if (err == LOBBY_OK)
            lobby_set_deinit(&set);
    }
}

static void strerror_names_every_error(void **state)
{
    (void)state;
    static const int errs[] = {LOBBY_OK,           LOBBY_ERR_FULL,  LOBBY_ERR_NAME_TAKEN,
                               LOBBY_ERR_NO_SLOTS, LOBBY_ERR_NOMEM, LOBBY_ERR_ARG};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        assert_string_not_equal(lobby_strerror(errs[i]), lobby_strerror(-99));
}

/* ---- joining ---------------------------------------------------------------- */

static void join_default_lobby_returns_index_0(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(lobby_join(set, str("main"), str("alice"), 42, 7), 0);
    const lobby *l = &set->lobbies[0];
    assert_int_equal(l->count, 1);
    const lobby_player *p = &l->players[0];
    assert_int_equal(p->session, 42);
    assert_int_equal(p->id, 7);
    assert_int_equal(p->name_len, 5);
    assert_string_equal(p->name, "alice");
    assert_false(p->has_pos);
}

static void join_spawns_inside_the_world(void **state)
{
    (void)state;
    static const uint16_t ids[] = {1, 2, 3, 999, 65535};
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 1, PROTO_MAX_LOBBY_PLAYERS), LOBBY_OK);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char name[8];
        snprintf(name, sizeof name, "p%zu", i);
        assert_int_equal(join(&set, "main", name, ids[i]), 0);
        const lobby_player *p = &set.lobbies[0].players[i];
        if (!(p->x >= 0.0f && p->x <= PROTO_WORLD_WIDTH && p->y >= 0.0f &&
              p->y <= PROTO_WORLD_HEIGHT))
            fail_msg("id %u spawns at (%g, %g)", (unsigned)ids[i], (double)p->x, (double)p->y);
    }
    lobby_set_deinit(&set);
}

static void join_named_lobby_opens_it(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(lobby_find(set, str("red")), -1);
    int index = join(set, "red", "alice", 1);
    assert_int_equal(index, 1);
    assert_int_equal(lobby_find(set, str("red")), 1);
    assert_true(set->lobbies[1].in_use);
    assert_string_equal(set->lobbies[1].name, "red");
    assert_int_equal(set->lobbies[1].count, 1);
    assert_int_equal(set->lobbies[0].count, 0);
}

static void join_open_named_lobby_reuses_it(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "red", "alice", 1), 1);
    assert_int_equal(join(set, "blue", "bob", 2), 2);
    assert_int_equal(join(set, "red", "carol", 3), 1);
    static const uint16_t want[] = {1, 3};
    assert_ids(&set->lobbies[1], want, 2);
}

static void join_duplicate_name_in_same_lobby_is_taken(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "alice", 1), 0);
    assert_int_equal(join(set, "main", "alice", 2), LOBBY_ERR_NAME_TAKEN);
    assert_int_equal(set->lobbies[0].count, 1);
    assert_int_equal(set->lobbies[0].players[0].id, 1);
}

static void join_same_name_in_other_lobby_is_allowed(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "alice", 1), 0);
    assert_int_equal(join(set, "red", "alice", 2), 1);
    assert_int_equal(set->lobbies[0].count, 1);
    assert_int_equal(set->lobbies[1].count, 1);
}

static void join_full_lobby_is_refused_at_capacity(void **state)
{
    lobby_set *set = *state;
    static const char *const names[] = {"a", "b", "c"};
    for (uint16_t i = 0; i < TEST_CAPACITY; i++)
        assert_int_equal(join(set, "main", names[i], (uint16_t)(i + 1)), 0);
    assert_int_equal(join(set, "main", "d", 4), LOBBY_ERR_FULL);
    assert_int_equal(set->lobbies[0].count, TEST_CAPACITY);
}

static void join_full_lobby_leaves_other_lobbies_open(void **state)
{
    lobby_set *set = *state;
    static const char *const names[] = {"a", "b", "c"};
    for (uint16_t i = 0; i < TEST_CAPACITY; i++)
        assert_int_equal(join(set, "main", names[i], (uint16_t)(i + 1)), 0);
    assert_int_equal(join(set, "red", "d", 4), 1);
}

static void join_refused_when_no_lobby_slot_is_free(void **state)
{
    lobby_set *set = *state;
    static const char *const lobbies[] = {"l1", "l2", "l3"};
    for (uint16_t i = 0; i < TEST_MAX_LOBBIES - 1; i++)
        assert_int_equal(join(set, lobbies[i], "p", (uint16_t)(i + 1)), i + 1);
    assert_int_equal(join(set, "l4", "p", 9), LOBBY_ERR_NO_SLOTS);
    assert_int_equal(lobby_find(set, str("l4")), -1);
    /* Open lobbies still take players. */
    assert_int_equal(join(set, "l2", "q", 10), 2);
    assert_int_equal(join(set, "main", "q", 11), 0);
}

static void join_checks_player_name_length(void **state)
{
    lobby_set *set = *state;
    char longest[PROTO_MAX_NAME_BYTES + 2];
    memset(longest, 'n', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_int_equal(join(set, "main", "", 1), LOBBY_ERR_ARG);
    assert_int_equal(join(set, "main", longest, 2), LOBBY_ERR_ARG); /* 25 bytes */
    longest[PROTO_MAX_NAME_BYTES] = '\0';
    assert_int_equal(join(set, "main", longest, 3), 0); /* 24 bytes */
}

static void join_checks_new_lobby_name_length(void **state)
{
    lobby_set *set = *state;
    char name[PROTO_MAX_LOBBY_NAME_BYTES + 2];
    memset(name, 'l', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    assert_int_equal(join(set, name, "p", 1), LOBBY_ERR_ARG); /* 25 bytes */
    assert_int_equal(lobby_find(set, str(name)), -1);
    name[PROTO_MAX_LOBBY_NAME_BYTES] = '\0';
    assert_int_equal(join(set, name, "p", 2), 1); /* 24 bytes */
}

/* ---- leaving ---------------------------------------------------------------- */

static void leave_keeps_join_order(void **state)
{
    (void)state;
    /* Five players, so that filling the gap with the last one would show. */
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 1, 8), LOBBY_OK);
    static const char *const names[] = {"a", "b", "c", "d", "e"};
    for (uint16_t i = 0; i < 5; i++)
        assert_int_equal(join(&set, "main", names[i], (uint16_t)(i + 1)), 0);
    lobby_leave(&set, 0, 2);
    static const uint16_t after_second[] = {1, 3, 4, 5};
    assert_ids(&set.lobbies[0], after_second, 4);
    assert_string_equal(set.lobbies[0].players[1].name, "c");
    lobby_leave(&set, 0, 1);
    static const uint16_t after_first[] = {3, 4, 5};
    assert_ids(&set.lobbies[0], after_first, 3);
    lobby_set_deinit(&set);
}

static void leave_last_player_keeps_others(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "a", 1), 0);
    assert_int_equal(join(set, "main", "b", 2), 0);
    lobby_leave(set, 0, 2);
    static const uint16_t want[] = {1};
    assert_ids(&set->lobbies[0], want, 1);
}

static void leave_unknown_player_changes_nothing(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "a", 1), 0);
    lobby_leave(set, 0, 99);
    static const uint16_t want[] = {1};
    assert_ids(&set->lobbies[0], want, 1);
}

static void leave_frees_the_name(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "a", 1), 0);
    lobby_leave(set, 0, 1);
    assert_int_equal(join(set, "main", "a", 2), 0);
}

/* An empty lobby stays open (listed, joinable) until lobby_close_idle sees
 * it empty for the grace time; with no grace, on the first sweep. */
static void leave_then_idle_sweep_closes_empty_named_lobby(void **state)
{
    lobby_set *set = *state;
    int closed[4];
    assert_int_equal(join(set, "red", "a", 1), 1);
    assert_int_equal(join(set, "red", "b", 2), 1);
    lobby_leave(set, 1, 1);
    assert_int_equal(lobby_close_idle(set, 1000, 0, closed, 4), 0);
    assert_int_equal(lobby_find(set, str("red")), 1); /* b is still there */
    lobby_leave(set, 1, 2);
    assert_true(set->lobbies[1].in_use);
    assert_int_equal(lobby_close_idle(set, 2000, 0, closed, 4), 1);
    assert_int_equal(closed[0], 1);
    assert_false(set->lobbies[1].in_use);
    assert_int_equal(lobby_find(set, str("red")), -1);
}

static void leave_closed_slot_is_reusable(void **state)
{
    lobby_set *set = *state;
    static const char *const lobbies[] = {"l1", "l2", "l3"};
    for (uint16_t i = 0; i < TEST_MAX_LOBBIES - 1; i++)
        assert_int_equal(join(set, lobbies[i], "p", (uint16_t)(i + 1)), i + 1);
    assert_int_equal(join(set, "l4", "p", 9), LOBBY_ERR_NO_SLOTS);
    int closed[4];
    lobby_leave(set, 2, 2);
    assert_int_equal(lobby_close_idle(set, 1000, 0, closed, 4), 1); /* closes l2 */
    assert_int_equal(join(set, "l4", "p", 9), 2);
    assert_string_equal(set->lobbies[2].name, "l4");
    assert_int_equal(set->lobbies[2].chat_seq, 0); /* a fresh lobby, not l2's leftovers */
}

static void leave_keeps_default_lobby_open(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "a", 1), 0);
    lobby_leave(set, 0, 1);
    assert_true(set->lobbies[0].in_use);
    assert_int_equal(lobby_find(set, str("main")), 0);
    assert_int_equal(set->lobbies[0].count, 0);
}

/* ---- colours ---------------------------------------------------------------- */

static void assert_colours_distinct(const lobby *l)
{
    for (unsigned i = 0; i < l->count; i++)
        for (unsigned j = i + 1; j < l->count; j++)
            if (l->players[i].colour == l->players[j].colour)
                fail_msg("players %u and %u share colour 0x%06X", i, j,
                         (unsigned)l->players[i].colour);
}

static void join_16(lobby_set *set)
{
    for (uint16_t i = 0; i < 16; i++) {
        char name[8];
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        assert_int_equal(join(set, "main", name, (uint16_t)(i + 1)), 0);
    }
}

static void colours_distinct_for_first_16_members(void **state)
{
    (void)state;
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 1, 16), LOBBY_OK);
    join_16(&set);
    assert_colours_distinct(&set.lobbies[0]);
    lobby_set_deinit(&set);
}

static void colours_stay_distinct_after_a_member_leaves(void **state)
{
    (void)state;
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 1, 16), LOBBY_OK);
    join_16(&set);
    lobby_leave(&set, 0, 5);
    assert_int_equal(join(&set, "main", "late", 100), 0);
    assert_colours_distinct(&set.lobbies[0]);
    lobby_set_deinit(&set);
}

/* ---- positions -------------------------------------------------------------- */

static lobby_player *joined_player(lobby_set *set)
{
    assert_int_equal(join(set, "main", "mover", 1), 0);
    return &set->lobbies[0].players[0];
}

static void move_first_position_accepted_whatever_seq(void **state)
{
    lobby_set *set = *state;
    lobby_player *p = joined_player(set);
    assert_true(lobby_move(p, 0, 10.0f, 20.0f));
    assert_true(p->has_pos);
    assert_int_equal(p->pos_seq, 0);
    assert_float_equal(p->x, 10.0f, 0.0f);
    assert_float_equal(p->y, 20.0f, 0.0f);
}

typedef struct seq_case {
    uint32_t first, next;
    bool accepted;
} seq_case;

static void move_seq_table(void **state)
{
    lobby_set *set = *state;
    static const seq_case cases[] = {
        {5, 6, true},            /* newer */
        {5, 1000, true},         /* much newer */
        {5, 4, false},           /* older */
        {5, 5, false},           /* equal */
        {0xFFFFFFFFu, 0, true},  /* wrap-around */
        {0xFFFFFFF0u, 3, true},  /* across the wrap */
        {0, 0xFFFFFFFFu, false}, /* just before, across the wrap */
        {3, 0xFFFFFFF0u, false}, /* older, across the wrap */
    };
    lobby_player *p = joined_player(set);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p->has_pos = false;
        assert_true(lobby_move(p, cases[i].first, 1.0f, 1.0f));
        bool got = lobby_move(p, cases[i].next, 2.0f, 2.0f);
        if (got != cases[i].accepted)
            fail_msg("case %zu: seq %u after %u: accepted=%d, want %d", i, (unsigned)cases[i].next,
                     (unsigned)cases[i].first, got, cases[i].accepted);
        assert_int_equal(p->pos_seq, cases[i].accepted ? cases[i].next : cases[i].first);
    }
}

static void move_dropped_leaves_position_unchanged(void **state)
{
    lobby_set *set = *state;
    lobby_player *p = joined_player(set);
    assert_true(lobby_move(p, 10, 100.0f, 200.0f));
    assert_false(lobby_move(p, 9, 300.0f, 400.0f));
    assert_false(lobby_move(p, 10, 300.0f, 400.0f));
    assert_int_equal(p->pos_seq, 10);
    assert_float_equal(p->x, 100.0f, 0.0f);
    assert_float_equal(p->y, 200.0f, 0.0f);
}

static void move_wraps_around(void **state)
{
    lobby_set *set = *state;
    lobby_player *p = joined_player(set);
    assert_true(lobby_move(p, 0xFFFFFFFEu, 1.0f, 1.0f));
    assert_true(lobby_move(p, 0xFFFFFFFFu, 2.0f, 2.0f));
    assert_true(lobby_move(p, 0, 3.0f, 3.0f));
    assert_true(lobby_move(p, 1, 4.0f, 4.0f));
    assert_false(lobby_move(p, 0xFFFFFFFFu, 5.0f, 5.0f));
    assert_float_equal(p->x, 4.0f, 0.0f);
}

static void move_clamps_to_world(void **state)
{
    lobby_set *set = *state;
    static const struct {
        float x, y, want_x, want_y;
    } cases[] = {
        {-5.0f, -5.0f, 0.0f, 0.0f},
        {5000.0f, 5000.0f, PROTO_WORLD_WIDTH, PROTO_WORLD_HEIGHT},
        {-1.0f, 900.0f, 0.0f, PROTO_WORLD_HEIGHT},
        {1300.0f, -0.5f, PROTO_WORLD_WIDTH, 0.0f},
        {PROTO_WORLD_WIDTH, PROTO_WORLD_HEIGHT, PROTO_WORLD_WIDTH, PROTO_WORLD_HEIGHT},
        {0.0f, 0.0f, 0.0f, 0.0f},
        {600.5f, 400.25f, 600.5f, 400.25f},
    };
    lobby_player *p = joined_player(set);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(lobby_move(p, (uint32_t)i + 1, cases[i].x, cases[i].y));
        if (p->x != cases[i].want_x || p->y != cases[i].want_y)
            fail_msg("case %zu: (%g, %g) -> (%g, %g), want (%g, %g)", i, (double)cases[i].x,
                     (double)cases[i].y, (double)p->x, (double)p->y, (double)cases[i].want_x,
                     (double)cases[i].want_y);
    }
}

static void player_find_returns_null_for_unknown_id(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "a", 1), 0);
    assert_non_null(lobby_player_find(&set->lobbies[0], 1));
    assert_null(lobby_player_find(&set->lobbies[0], 2));
}

/* ---- chat sequences --------------------------------------------------------- */

static void chat_seq_counts_per_lobby(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "red", "a", 1), 1);
    lobby *main_lobby = &set->lobbies[0];
    lobby *red = &set->lobbies[1];
    assert_int_equal(lobby_next_chat_seq(main_lobby), 1);
    assert_int_equal(lobby_next_chat_seq(main_lobby), 2);
    assert_int_equal(lobby_next_chat_seq(red), 1);
    assert_int_equal(lobby_next_chat_seq(main_lobby), 3);
    assert_int_equal(lobby_next_chat_seq(red), 2);
}

#define SET_TEST(f) cmocka_unit_test_setup_teardown(f, set_setup, lobby_fixture_teardown)

/* Names are unique after NFKC normalisation and case folding. */
static void names_compared_after_normalisation(void **state)
{
    lobby_set *set = *state;
    assert_int_equal(join(set, "main", "Bob", 1), 0);
    const char *same[] = {"bob", "BOB", "\uFF42\uFF4F\uFF42" /* fullwidth */};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_int_equal(join(set, "main", same[i], (uint16_t)(2 + i)), LOBBY_ERR_NAME_TAKEN);
    /* Precomposed and combining forms of the same letter are one name. */
    assert_int_equal(join(set, "main", "Zo\u00EB", 5), 0);
    assert_int_equal(join(set, "main", "zoe\u0308", 6), LOBBY_ERR_NAME_TAKEN);
    assert_int_equal(join(set, "main", "Bobby", 7), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SET_TEST(names_compared_after_normalisation),
        SET_TEST(init_opens_default_lobby_at_index_0),
        cmocka_unit_test(init_checks_arguments),
        cmocka_unit_test(strerror_names_every_error),
        SET_TEST(join_default_lobby_returns_index_0),
        cmocka_unit_test(join_spawns_inside_the_world),
        SET_TEST(join_named_lobby_opens_it),
        SET_TEST(join_open_named_lobby_reuses_it),
        SET_TEST(join_duplicate_name_in_same_lobby_is_taken),
        SET_TEST(join_same_name_in_other_lobby_is_allowed),
        SET_TEST(join_full_lobby_is_refused_at_capacity),
        SET_TEST(join_full_lobby_leaves_other_lobbies_open),
        SET_TEST(join_refused_when_no_lobby_slot_is_free),
        SET_TEST(join_checks_player_name_length),
        SET_TEST(join_checks_new_lobby_name_length),
        cmocka_unit_test(leave_keeps_join_order),
        SET_TEST(leave_last_player_keeps_others),
        SET_TEST(leave_unknown_player_changes_nothing),
        SET_TEST(leave_frees_the_name),
        SET_TEST(leave_then_idle_sweep_closes_empty_named_lobby),
        SET_TEST(leave_closed_slot_is_reusable),
        SET_TEST(leave_keeps_default_lobby_open),
        cmocka_unit_test(colours_distinct_for_first_16_members),
        cmocka_unit_test(colours_stay_distinct_after_a_member_leaves),
        SET_TEST(move_first_position_accepted_whatever_seq),
        SET_TEST(move_seq_table),
        SET_TEST(move_dropped_leaves_position_unchanged),
        SET_TEST(move_wraps_around),
        SET_TEST(move_clamps_to_world),
        SET_TEST(player_find_returns_null_for_unknown_id),
        SET_TEST(chat_seq_counts_per_lobby),
    };
    return cmocka_run_group_tests_name("lobby", tests, NULL, NULL);
}
