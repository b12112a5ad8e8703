/* The rules of real lobbies as plain data (lobby_rules.c, lobby_list.c):
 * owner hand-over, ready flags and the countdown, kick cool-downs, settings
 * and their validation, admission, the list's filters, idle lobbies and the
 * median round trip. One behaviour per test. */
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
    TEST_MAX_LOBBIES = 6,
    TEST_CAPACITY = 4,
    SECOND_US = 1000 * 1000,
};

static proto_str str(const char *s)
{
    return proto_str_from_cstr(s);
}

static int set_setup(void **state)
{
    return lobby_fixture_setup(state, TEST_MAX_LOBBIES, TEST_CAPACITY);
}

#define SET_TEST(f) cmocka_unit_test_setup_teardown(f, set_setup, lobby_fixture_teardown)

/* Joins player_name (session = id = player_id) and returns the lobby. */
static lobby *join(lobby_set *set, const char *lobby_name, const char *player_name,
                   uint16_t player_id)
{
    int index = lobby_join(set, str(lobby_name), str(player_name), player_id, player_id);
    assert_true(index >= 0);
    return &set->lobbies[index];
}

/* Lobby "red" with members 1 (a, the owner), 2 (b) and 3 (c). */
static lobby *red_of_three(lobby_set *set)
{
    join(set, "red", "a", 1);
    join(set, "red", "b", 2);
    return join(set, "red", "c", 3);
}

static void ready_all(lobby *l)
{
    bool cancelled;
    for (unsigned i = 0; i < l->count; i++)
        assert_int_equal(lobby_set_ready(l, l->players[i].id, true, &cancelled), LOBBY_OK);
}

static void start(lobby *l)
{
    const lobby_player *not_ready;
    assert_int_equal(lobby_start_countdown(l, l->owner_id, 100, &not_ready), LOBBY_OK);
}

/* A holder of its own for each name (as if each player came from its own
 * address), so that holder quotas and bans stay out of name-rule tests. */
static uint64_t name_holder(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ull;
    return h | 1u;
}

/* lobby_admit for a player name with a password and round trip. */
static int admit(const lobby *l, const char *name, const char *password, uint32_t rtt_ms,
                 uint64_t now_us, uint64_t *wait_us)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    assert_true(lobby_name_key(str(name), key, &key_len));
    lobby_joiner who = {key, key_len, name_holder(name), PROTO_MAX_LOBBY_PLAYERS};
    return lobby_admit(l, &who, str(password), rtt_ms, now_us, wait_us);
}

static void ban_name(lobby *l, const char *name, uint64_t until_us)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    assert_true(lobby_name_key(str(name), key, &key_len));
    lobby_ban(l, key, key_len, name_holder(name), until_us);
}

/* ---- owner ------------------------------------------------------------------ */

static void first_member_owns_the_lobby(void **state)
{
    lobby *l = red_of_three(*state);
    assert_int_equal(l->owner_id, 1);
}

static void owner_leaving_hands_over_to_longest_present(void **state)
{
    lobby_set *set = *state;
    lobby *l = red_of_three(set);
    unsigned changed = lobby_leave(set, (int)(l - set->lobbies), 1);
    assert_true(changed & LOBBY_LEFT_OWNER_CHANGED);
    assert_int_equal(l->owner_id, 2);
}

static void member_leaving_keeps_the_owner(void **state)
{
    lobby_set *set = *state;
    lobby *l = red_of_three(set);
    unsigned changed = lobby_leave(set, (int)(l - set->lobbies), 2);
    assert_false(changed & LOBBY_LEFT_OWNER_CHANGED);
    assert_int_equal(l->owner_id, 1);
}

static void hand_over_skips_held_seats(void **state)
{
    lobby_set *set = *state;
    lobby *l = red_of_three(set);
    lobby_player_find(l, 2)->session = LOBBY_NO_SESSION; /* b is reconnecting */
    lobby_leave(set, (int)(l - set->lobbies), 1);
    assert_int_equal(l->owner_id, 3);
}

static void give_ownership_to_member(void **state)
{
    lobby *l = red_of_three(*state);
    assert_int_equal(lobby_give_ownership(l, 1, 3), LOBBY_OK);
    assert_int_equal(l->owner_id, 3);
}

static void give_ownership_refused_for_non_owner(void **state)
{
    lobby *l = red_of_three(*state);
    assert_int_equal(lobby_give_ownership(l, 2, 3), LOBBY_ERR_NOT_OWNER);
    assert_int_equal(l->owner_id, 1);
}

static void give_ownership_to_self_or_stranger_refused(void **state)
{
    lobby *l = red_of_three(*state);
    assert_int_equal(lobby_give_ownership(l, 1, 1), LOBBY_ERR_NO_SUCH_PLAYER);
    assert_int_equal(lobby_give_ownership(l, 1, 99), LOBBY_ERR_NO_SUCH_PLAYER);
    assert_int_equal(lobby_give_ownership(l, 1, 0), LOBBY_ERR_NO_SUCH_PLAYER);
    assert_int_equal(l->owner_id, 1);
}

static void empty_lobby_has_no_owner_and_next_joiner_owns(void **state)
{
    lobby_set *set = *state;
    lobby *l = join(set, "red", "a", 1);
    lobby_leave(set, (int)(l - set->lobbies), 1);
    assert_int_equal(l->owner_id, 0);
    join(set, "red", "b", 2);
    assert_int_equal(l->owner_id, 2);
}

/* ---- ready and countdown ---------------------------------------------------- */

static void start_refused_unless_all_ready(void **state)
{
    lobby *l = red_of_three(*state);
    bool cancelled;
    lobby_set_ready(l, 1, true, &cancelled);
    lobby_set_ready(l, 3, true, &cancelled);
    const lobby_player *not_ready = NULL;
    assert_int_equal(lobby_start_countdown(l, 1, 100, &not_ready), LOBBY_ERR_NOT_ALL_READY);
    assert_non_null(not_ready);
    assert_string_equal(not_ready->name, "b");
    assert_int_equal(l->state, PROTO_LOBBY_OPEN);
}

static void start_refused_for_non_owner(void **state)
{
    lobby *l = red_of_three(*state);
    ready_all(l);
    const lobby_player *not_ready;
    assert_int_equal(lobby_start_countdown(l, 2, 100, &not_ready), LOBBY_ERR_NOT_OWNER);
    assert_int_equal(l->state, PROTO_LOBBY_OPEN);
}

static void start_by_owner_when_all_ready_counts_down(void **state)
{
    lobby *l = red_of_three(*state);
    ready_all(l);
    const lobby_player *not_ready;
    assert_int_equal(lobby_start_countdown(l, 1, 123, &not_ready), LOBBY_OK);
    assert_int_equal(l->state, PROTO_LOBBY_STARTING);
    assert_int_equal(l->start_tick, 123);
    assert_int_equal(lobby_start_countdown(l, 1, 200, &not_ready), LOBBY_ERR_STARTED);
}

static void countdown_cancelled_when_a_member_leaves(void **state)
{
    lobby_set *set = *state;
    lobby *l = red_of_three(set);
    ready_all(l);
    start(l);
    unsigned changed = lobby_leave(set, (int)(l - set->lobbies), 3);
    assert_true(changed & LOBBY_LEFT_COUNTDOWN_CANCELLED);
    assert_int_equal(l->state, PROTO_LOBBY_OPEN);
}

static void countdown_cancelled_when_a_member_unreadies(void **state)
{
    lobby *l = red_of_three(*state);
    ready_all(l);
    start(l);
    bool cancelled = false;
    assert_int_equal(lobby_set_ready(l, 2, false, &cancelled), LOBBY_OK);
    assert_true(cancelled);
    assert_int_equal(l->state, PROTO_LOBBY_OPEN);
    assert_false(lobby_player_find(l, 2)->ready);
}

static void game_start_clears_ready_and_refuses_ready_changes(void **state)
{
    lobby *l = red_of_three(*state);
    ready_all(l);
    start(l);
    lobby_begin_game(l);
    assert_int_equal(l->state, PROTO_LOBBY_IN_GAME);
    for (unsigned i = 0; i < l->count; i++)
        assert_false(l->players[i].ready);
    bool cancelled;
    assert_int_equal(lobby_set_ready(l, 2, true, &cancelled), LOBBY_ERR_STARTED);
}

static void state_back_to_open_when_last_member_leaves(void **state)
{
    lobby_set *set = *state;
    lobby *l = join(set, "red", "a", 1);
    ready_all(l);
    start(l);
    lobby_begin_game(l);
    lobby_leave(set, (int)(l - set->lobbies), 1);
    assert_int_equal(l->state, PROTO_LOBBY_OPEN);
}

static void joins_refused_while_starting_or_in_game(void **state)
{
    lobby *l = red_of_three(*state);
    uint64_t wait;
    ready_all(l);
    start(l);
    assert_int_equal(admit(l, "d", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_STARTED);
    lobby_begin_game(l);
    assert_int_equal(admit(l, "d", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_STARTED);
}

/* ---- kicks ------------------------------------------------------------------ */

static void kick_only_by_owner_of_another_member(void **state)
{
    lobby *l = red_of_three(*state);
    assert_int_equal(lobby_check_kick(l, 2, 3), LOBBY_ERR_NOT_OWNER);
    assert_int_equal(lobby_check_kick(l, 1, 1), LOBBY_ERR_NO_SUCH_PLAYER);
    assert_int_equal(lobby_check_kick(l, 1, 42), LOBBY_ERR_NO_SUCH_PLAYER);
    assert_int_equal(lobby_check_kick(l, 1, 3), LOBBY_OK);
}

static void kicked_player_refused_before_cooldown_allowed_after(void **state)
{
    lobby_set *set = *state;
    lobby *l = red_of_three(set);
    ban_name(l, "c", 70 * SECOND_US);
    lobby_leave(set, (int)(l - set->lobbies), 3);
    uint64_t wait = 0;
    assert_int_equal(admit(l, "C", "", LOBBY_RTT_UNMEASURED, 10 * SECOND_US, &wait),
                     LOBBY_ERR_KICKED); /* the name key, not the bytes */
    assert_int_equal(wait, 60 * SECOND_US);
    assert_int_equal(admit(l, "c", "", LOBBY_RTT_UNMEASURED, 70 * SECOND_US, &wait), LOBBY_OK);
}

static void full_ban_list_replaces_the_soonest_expiring(void **state)
{
    lobby *l = join(*state, "red", "owner", 1);
    char name[8];
    for (int i = 0; i < LOBBY_MAX_BANS; i++) {
        snprintf(name, sizeof name, "p%d", i);
        ban_name(l, name, (uint64_t)(100 + i) * SECOND_US); /* p0 expires first */
    }
    ban_name(l, "late", 500 * SECOND_US);
    uint64_t wait;
    assert_int_equal(admit(l, "late", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_KICKED);
    assert_int_equal(admit(l, "p0", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_OK);
    assert_int_equal(admit(l, "p1", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_KICKED);
}

static void kicking_again_extends_the_same_entry(void **state)
{
    lobby *l = join(*state, "red", "owner", 1);
    ban_name(l, "x", 10 * SECOND_US);
    ban_name(l, "x", 30 * SECOND_US);
    uint64_t wait;
    assert_int_equal(admit(l, "x", "", LOBBY_RTT_UNMEASURED, 20 * SECOND_US, &wait),
                     LOBBY_ERR_KICKED);
    unsigned used = 0;
    for (unsigned i = 0; i < LOBBY_MAX_BANS; i++)
        used += l->bans[i].until_us != 0;
    assert_int_equal(used, 1);
}

/* lobby_admit for name coming from holder, with a share of share seats. */
static int admit_from(const lobby *l, const char *name, uint64_t holder, unsigned share,
                      uint64_t now_us)
{
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    assert_true(lobby_name_key(str(name), key, &key_len));
    lobby_joiner who = {key, key_len, holder, share};
    uint64_t wait = 0;
    return lobby_admit(l, &who, str(""), LOBBY_RTT_UNMEASURED, now_us, &wait);
}

/* bob kicked: b0b from his holder is refused too, carol from another is not. */
static void kick_bans_the_holder_under_any_name(void **state)
{
    lobby *l = join(*state, "red", "owner", 1);
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    assert_true(lobby_name_key(str("bob"), key, &key_len));
    lobby_ban(l, key, key_len, 77, 60 * SECOND_US);
    assert_int_equal(admit_from(l, "b0b", 77, 16, 10 * SECOND_US), LOBBY_ERR_KICKED);
    assert_int_equal(admit_from(l, "bob", 78, 16, 10 * SECOND_US), LOBBY_ERR_KICKED);
    assert_int_equal(admit_from(l, "carol", 78, 16, 10 * SECOND_US), LOBBY_OK);
    assert_int_equal(admit_from(l, "b0b", 77, 16, 60 * SECOND_US), LOBBY_OK);
}

/* A holder gets its share of a lobby it did not open, held seats included,
 * and any number in one it opened. */
static void a_holder_gets_its_share_of_a_lobby(void **state)
{
    lobby_set *set = *state;
    lobby *l = join(set, "red", "owner", 1);
    l->capacity = 16;
    assert_int_equal(lobby_holder_share(l, 50), 8);
    assert_int_equal(lobby_holder_share(l, 100), 16);
    l->capacity = 3;
    assert_int_equal(lobby_holder_share(l, 50), 2);
    l->capacity = 16;
    join(set, "red", "p1", 2);
    join(set, "red", "p2", 3);
    for (unsigned i = 0; i < l->count; i++)
        l->players[i].holder = 5;             /* all three from one address */
    l->players[1].session = LOBBY_NO_SESSION; /* a held seat counts too */
    assert_int_equal(lobby_holder_seats(l, 5), 3);
    assert_int_equal(admit_from(l, "p3", 5, 3, 0), LOBBY_ERR_QUOTA);
    assert_int_equal(admit_from(l, "p3", 6, 3, 0), LOBBY_OK);
    l->creator = 5;
    assert_int_equal(admit_from(l, "p3", 5, 3, 0), LOBBY_OK);
}

/* ---- settings --------------------------------------------------------------- */

static lobby_settings settings(uint8_t capacity, const char *password)
{
    lobby_settings in = {.capacity = capacity, .password = str(password)};
    return in;
}

static void capacity_below_count_refused_and_nothing_changes(void **state)
{
    lobby *l = red_of_three(*state);
    lobby_settings in = settings(2, "secret");
    in.max_rtt_ms = 80;
    char why[128];
    int err = lobby_configure(l, &in, PROTO_CONFIGURE_ALL, why, sizeof why);
    assert_int_equal(err, LOBBY_ERR_BELOW_COUNT);
    assert_non_null(strstr(why, "3 members"));
    assert_int_equal(l->capacity, TEST_CAPACITY);
    assert_int_equal(l->password_len, 0);
    assert_int_equal(l->max_rtt_ms, 0);
}

static void configure_applies_only_named_fields(void **state)
{
    lobby *l = red_of_three(*state);
    lobby_settings in = settings(8, "secret");
    in.max_rtt_ms = 80;
    char why[128];
    assert_int_equal(lobby_configure(l, &in, PROTO_CONFIGURE_CAPACITY, why, sizeof why), LOBBY_OK);
    assert_int_equal(l->capacity, 8);
    assert_int_equal(l->password_len, 0);
    assert_int_equal(l->max_rtt_ms, 0);
}

static void capacity_out_of_range_is_bad_value(void **state)
{
    lobby *l = red_of_three(*state);
    char why[128];
    lobby_settings zero = settings(0, ""), big = settings(PROTO_MAX_LOBBY_PLAYERS + 1, "");
    assert_int_equal(lobby_configure(l, &zero, PROTO_CONFIGURE_CAPACITY, why, sizeof why),
                     LOBBY_ERR_BAD_VALUE);
    assert_int_equal(lobby_configure(l, &big, PROTO_CONFIGURE_CAPACITY, why, sizeof why),
                     LOBBY_ERR_BAD_VALUE);
}

static void password_right_wrong_and_none(void **state)
{
    lobby *l = join(*state, "red", "a", 1);
    uint64_t wait;
    assert_int_equal(admit(l, "b", "anything", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_OK);
    lobby_settings in = settings(0, "s3cret");
    char why[128];
    assert_int_equal(lobby_configure(l, &in, PROTO_CONFIGURE_PASSWORD, why, sizeof why), LOBBY_OK);
    assert_int_equal(admit(l, "b", "s3cret", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_OK);
    assert_int_equal(admit(l, "b", "s3cre", LOBBY_RTT_UNMEASURED, 0, &wait),
                     LOBBY_ERR_WRONG_PASSWORD);
    assert_int_equal(admit(l, "b", "s3cret!", LOBBY_RTT_UNMEASURED, 0, &wait),
                     LOBBY_ERR_WRONG_PASSWORD);
    assert_int_equal(admit(l, "b", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_WRONG_PASSWORD);
}

static void password_must_be_text_of_at_most_32_bytes(void **state)
{
    (void)state;
    char why[128];
    lobby_settings tab = settings(1, "a\tb");
    lobby_settings longer = settings(1, "123456789012345678901234567890123");
    lobby_settings max = settings(1, "12345678901234567890123456789012");
    assert_int_equal(lobby_check_settings(&tab, PROTO_CONFIGURE_PASSWORD, why, sizeof why),
                     LOBBY_ERR_BAD_VALUE);
    assert_int_equal(lobby_check_settings(&longer, PROTO_CONFIGURE_PASSWORD, why, sizeof why),
                     LOBBY_ERR_BAD_VALUE);
    assert_int_equal(lobby_check_settings(&max, PROTO_CONFIGURE_PASSWORD, why, sizeof why),
                     LOBBY_OK);
}

static lobby_settings with_meta(const char *key, const char *value)
{
    lobby_settings in = settings(1, "");
    in.meta.count = 1;
    in.meta.pairs[0].key = str(key);
    in.meta.pairs[0].value = str(value);
    return in;
}

static int check_meta(lobby_settings in, char *why, size_t cap)
{
    return lobby_check_settings(&in, PROTO_CONFIGURE_METADATA, why, cap);
}

static void metadata_keys_values_and_duplicates_validated(void **state)
{
    (void)state;
    char why[128];
    assert_int_equal(check_meta(with_meta("mode", "ctf"), why, sizeof why), LOBBY_OK);
    assert_int_equal(check_meta(with_meta("map.v-2_b", ""), why, sizeof why), LOBBY_OK);
    assert_int_equal(check_meta(with_meta("Mode", "ctf"), why, sizeof why), LOBBY_ERR_BAD_VALUE);
    assert_non_null(strstr(why, "Mode"));
    assert_int_equal(check_meta(with_meta("", "x"), why, sizeof why), LOBBY_ERR_BAD_VALUE);
    assert_int_equal(check_meta(with_meta("a b", "x"), why, sizeof why), LOBBY_ERR_BAD_VALUE);
    assert_int_equal(check_meta(with_meta("k2345678901234567", "x"), why, sizeof why),
                     LOBBY_ERR_BAD_VALUE);
    assert_int_equal(check_meta(with_meta("mode", "c\x01tf"), why, sizeof why),
                     LOBBY_ERR_BAD_VALUE);
    assert_int_equal(
        check_meta(with_meta("mode", "123456789012345678901234567890123"), why, sizeof why),
        LOBBY_ERR_BAD_VALUE);
    lobby_settings dup = with_meta("mode", "a");
    dup.meta.count = 2;
    dup.meta.pairs[1] = dup.meta.pairs[0];
    assert_int_equal(check_meta(dup, why, sizeof why), LOBBY_ERR_BAD_VALUE);
    assert_non_null(strstr(why, "twice"));
}

static void metadata_stored_and_replaced_whole(void **state)
{
    lobby *l = join(*state, "red", "a", 1);
    char why[128];
    lobby_settings two = with_meta("mode", "ctf");
    two.meta.count = 2;
    two.meta.pairs[1].key = str("map");
    two.meta.pairs[1].value = str("dust");
    assert_int_equal(lobby_configure(l, &two, PROTO_CONFIGURE_METADATA, why, sizeof why), LOBBY_OK);
    assert_int_equal(l->meta_count, 2);
    lobby_settings one = with_meta("x", "y");
    assert_int_equal(lobby_configure(l, &one, PROTO_CONFIGURE_METADATA, why, sizeof why), LOBBY_OK);
    assert_int_equal(l->meta_count, 1);
    assert_memory_equal(l->meta[0].key, "x", 1);
}

/* ---- admission -------------------------------------------------------------- */

static void rtt_above_maximum_refused_unmeasured_allowed(void **state)
{
    lobby *l = join(*state, "red", "a", 1);
    l->max_rtt_ms = 100;
    uint64_t wait;
    assert_int_equal(admit(l, "b", "", 101, 0, &wait), LOBBY_ERR_RTT_TOO_HIGH);
    assert_int_equal(admit(l, "b", "", 100, 0, &wait), LOBBY_OK);
    assert_int_equal(admit(l, "b", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_OK);
    l->max_rtt_ms = 0;
    assert_int_equal(admit(l, "b", "", 5000, 0, &wait), LOBBY_OK);
}

static void admission_checks_capacity_and_names(void **state)
{
    lobby *l = red_of_three(*state);
    uint64_t wait;
    assert_int_equal(admit(l, "B", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_NAME_TAKEN);
    l->capacity = 3;
    assert_int_equal(admit(l, "d", "", LOBBY_RTT_UNMEASURED, 0, &wait), LOBBY_ERR_FULL);
}

static void per_lobby_capacity_limits_joins(void **state)
{
    lobby_set *set = *state;
    lobby *l = join(set, "red", "a", 1);
    l->capacity = 1;
    assert_int_equal(lobby_join(set, str("red"), str("b"), 2, 2), LOBBY_ERR_FULL);
    assert_int_equal(set->lobbies[0].capacity, TEST_CAPACITY); /* others keep the default */
}

/* ---- the list --------------------------------------------------------------- */

static lobby_filter no_filter(void)
{
    lobby_filter f = {.name_contains = {"", 0}};
    return f;
}

static bool matches(const lobby *l, lobby_filter f)
{
    return lobby_matches(l, &f);
}

static void filter_name_substring_ignores_case_and_width(void **state)
{
    lobby *l = join(*state, "Capture Flag", "a", 1);
    lobby_filter f = no_filter();
    f.name_contains = str("FLAG");
    assert_true(matches(l, f));
    f.name_contains = str("\xEF\xBC\xA6lag"); /* fullwidth F */
    assert_true(matches(l, f));
    f.name_contains = str("flags");
    assert_false(matches(l, f));
}

static void filter_free_seat(void **state)
{
    lobby *l = red_of_three(*state);
    lobby_filter f = no_filter();
    f.flags = PROTO_FILTER_FREE_SEAT;
    assert_true(matches(l, f));
    l->capacity = 3;
    assert_false(matches(l, f));
}

static void filter_no_password(void **state)
{
    lobby *l = join(*state, "red", "a", 1);
    lobby_filter f = no_filter();
    f.flags = PROTO_FILTER_NO_PASSWORD;
    assert_true(matches(l, f));
    l->password_len = 1;
    assert_false(matches(l, f));
}

static void filter_open_only(void **state)
{
    lobby *l = join(*state, "red", "a", 1);
    lobby_filter f = no_filter();
    f.flags = PROTO_FILTER_OPEN;
    assert_true(matches(l, f));
    ready_all(l);
    start(l);
    assert_false(matches(l, f));
}

static void filter_every_metadata_pair_equal(void **state)
{
    lobby *l = join(*state, "red", "a", 1);
    char why[128];
    lobby_settings in = with_meta("mode", "ctf");
    in.meta.count = 2;
    in.meta.pairs[1].key = str("map");
    in.meta.pairs[1].value = str("dust");
    assert_int_equal(lobby_configure(l, &in, PROTO_CONFIGURE_METADATA, why, sizeof why), LOBBY_OK);
    lobby_filter f = no_filter();
    f.meta.count = 1;
    f.meta.pairs[0].key = str("map");
    f.meta.pairs[0].value = str("dust");
    assert_true(matches(l, f));
    f.meta.count = 2;
    f.meta.pairs[1].key = str("mode");
    f.meta.pairs[1].value = str("dm");
    assert_false(matches(l, f));
    f.meta.pairs[1].value = str("ctf");
    assert_true(matches(l, f));
}

static void filters_combine(void **state)
{
    lobby_set *set = *state;
    join(set, "red one", "a", 1);                   /* 1: matches everything */
    lobby *full = join(set, "red two", "a", 2);     /* 2: full */
    lobby *locked = join(set, "red three", "a", 3); /* 3: password */
    join(set, "blue", "a", 4);                      /* 4: wrong name */
    full->capacity = 1;
    locked->password_len = 2;
    lobby_filter f = no_filter();
    f.name_contains = str("red");
    f.flags = PROTO_FILTER_ALL;
    int out[8];
    uint32_t total;
    assert_int_equal(lobby_list(set, &f, out, 8, &total), 1);
    assert_int_equal(total, 1);
    assert_int_equal(out[0], 1);
}

static void list_gives_first_matches_in_slot_order_and_total(void **state)
{
    lobby_set *set = *state;
    join(set, "l1", "a", 1);
    join(set, "l2", "a", 2);
    join(set, "l3", "a", 3);
    lobby_filter f = no_filter();
    int out[2];
    uint32_t total;
    assert_int_equal(lobby_list(set, &f, out, 2, &total), 2);
    assert_int_equal(total, 4); /* main too */
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
}

static void lobby_names_alike_by_key(void **state)
{
    lobby_set *set = *state;
    join(set, "Red Room", "a", 1);
    assert_int_equal(lobby_find(set, str("red room")), 1);
    assert_int_equal(lobby_find(set, str("RED ROOM")), 1);
    assert_int_equal(lobby_find(set, str("\xEF\xBC\xB2"
                                         "ed Room")),
                     1); /* fullwidth R */
    assert_int_equal(lobby_find(set, str("Red Rooms")), -1);
    assert_int_equal(lobby_find(set, str("MAIN")), 0);
    /* Nothing opens a second lobby with the same key. */
    assert_int_equal(lobby_open(set, str("RED ROOM")), LOBBY_ERR_EXISTS);
    assert_int_equal(lobby_join(set, str("red room"), str("b"), 2, 2), 1);
    assert_int_equal(lobby_watch(set, str("rEd rOoM")), 1);
}

/* ---- idle lobbies ----------------------------------------------------------- */

static void empty_lobby_closes_after_grace(void **state)
{
    lobby_set *set = *state;
    lobby *l = join(set, "red", "a", 1);
    lobby_leave(set, 1, 1);
    int closed[4];
    assert_int_equal(lobby_close_idle(set, 10 * SECOND_US, 30 * SECOND_US, closed, 4), 0);
    assert_int_equal(lobby_close_idle(set, 39 * SECOND_US, 30 * SECOND_US, closed, 4), 0);
    assert_true(l->in_use);
    assert_int_equal(lobby_close_idle(set, 40 * SECOND_US, 30 * SECOND_US, closed, 4), 1);
    assert_false(l->in_use);
}

static void joiner_restarts_the_grace(void **state)
{
    lobby_set *set = *state;
    lobby *l = join(set, "red", "a", 1);
    lobby_leave(set, 1, 1);
    int closed[4];
    lobby_close_idle(set, 10 * SECOND_US, 30 * SECOND_US, closed, 4);
    join(set, "red", "b", 2);
    lobby_leave(set, 1, 2);
    assert_int_equal(lobby_close_idle(set, 45 * SECOND_US, 30 * SECOND_US, closed, 4), 0);
    assert_true(l->in_use);
}

static void main_never_closes(void **state)
{
    lobby_set *set = *state;
    join(set, "main", "a", 1);
    lobby_leave(set, 0, 1);
    int closed[4];
    lobby_close_idle(set, 0, 0, closed, 4);
    assert_int_equal(lobby_close_idle(set, 100 * SECOND_US, 0, closed, 4), 0);
    assert_true(set->lobbies[0].in_use);
}

static void watched_lobby_does_not_close(void **state)
{
    lobby_set *set = *state;
    int index = lobby_watch(set, str("red"));
    assert_true(index > 0);
    int closed[4];
    lobby_close_idle(set, 0, 0, closed, 4);
    assert_int_equal(lobby_close_idle(set, 100 * SECOND_US, 0, closed, 4), 0);
    lobby_unwatch(set, index);
    assert_int_equal(lobby_close_idle(set, 101 * SECOND_US, 0, closed, 4), 1);
}

/* ---- median round trip ------------------------------------------------------ */

static void median_rtt_skips_unknown(void **state)
{
    (void)state;
    const uint16_t odd[] = {50, PROTO_RTT_UNKNOWN, 10, 30};
    const uint16_t even[] = {40, 10, 20, 30};
    const uint16_t none[] = {PROTO_RTT_UNKNOWN, PROTO_RTT_UNKNOWN};
    assert_int_equal(lobby_median_rtt(odd, 4), 30);
    assert_int_equal(lobby_median_rtt(even, 4), 25);
    assert_int_equal(lobby_median_rtt(none, 2), PROTO_RTT_UNKNOWN);
    assert_int_equal(lobby_median_rtt(none, 0), PROTO_RTT_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SET_TEST(first_member_owns_the_lobby),
        SET_TEST(owner_leaving_hands_over_to_longest_present),
        SET_TEST(member_leaving_keeps_the_owner),
        SET_TEST(hand_over_skips_held_seats),
        SET_TEST(give_ownership_to_member),
        SET_TEST(give_ownership_refused_for_non_owner),
        SET_TEST(give_ownership_to_self_or_stranger_refused),
        SET_TEST(empty_lobby_has_no_owner_and_next_joiner_owns),
        SET_TEST(start_refused_unless_all_ready),
        SET_TEST(start_refused_for_non_owner),
        SET_TEST(start_by_owner_when_all_ready_counts_down),
        SET_TEST(countdown_cancelled_when_a_member_leaves),
        SET_TEST(countdown_cancelled_when_a_member_unreadies),
        SET_TEST(game_start_clears_ready_and_refuses_ready_changes),
        SET_TEST(state_back_to_open_when_last_member_leaves),
        SET_TEST(joins_refused_while_starting_or_in_game),
        SET_TEST(kick_only_by_owner_of_another_member),
        SET_TEST(kicked_player_refused_before_cooldown_allowed_after),
        SET_TEST(full_ban_list_replaces_the_soonest_expiring),
        SET_TEST(kicking_again_extends_the_same_entry),
        SET_TEST(kick_bans_the_holder_under_any_name),
        SET_TEST(a_holder_gets_its_share_of_a_lobby),
        SET_TEST(capacity_below_count_refused_and_nothing_changes),
        SET_TEST(configure_applies_only_named_fields),
        SET_TEST(capacity_out_of_range_is_bad_value),
        SET_TEST(password_right_wrong_and_none),
        SET_TEST(password_must_be_text_of_at_most_32_bytes),
        SET_TEST(metadata_keys_values_and_duplicates_validated),
        SET_TEST(metadata_stored_and_replaced_whole),
        SET_TEST(rtt_above_maximum_refused_unmeasured_allowed),
        SET_TEST(admission_checks_capacity_and_names),
        SET_TEST(per_lobby_capacity_limits_joins),
        SET_TEST(filter_name_substring_ignores_case_and_width),
        SET_TEST(filter_free_seat),
        SET_TEST(filter_no_password),
        SET_TEST(filter_open_only),
        SET_TEST(filter_every_metadata_pair_equal),
        SET_TEST(filters_combine),
        SET_TEST(list_gives_first_matches_in_slot_order_and_total),
        SET_TEST(lobby_names_alike_by_key),
        SET_TEST(empty_lobby_closes_after_grace),
        SET_TEST(joiner_restarts_the_grace),
        SET_TEST(main_never_closes),
        SET_TEST(watched_lobby_does_not_close),
        SET_TEST(median_rtt_skips_unknown),
    };
    return cmocka_run_group_tests_name("lobby_rules", tests, NULL, NULL);
}
