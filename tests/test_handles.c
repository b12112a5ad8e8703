/* Generation-counted handles in the server core: a session_ref or lobby_ref
 * kept past its session's or lobby's end finds nothing, even once the slot
 * holds a newcomer; a fresh ref to the newcomer finds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lobby.h"
#include "sessions.h"

static void stale_session_ref_cannot_reach_reused_slot(void **state)
{
    (void)state;
    sessions *t = NULL;
    assert_int_equal(sessions_create(4, &t), 0);
    assert_true(sessions_open(t, 2, "127.0.0.1:1000", 0x0100007fu, 10));
    session_ref old = sessions_ref(t, 2);
    assert_ptr_equal(sessions_resolve(t, old), sessions_at(t, 2));
    sessions_release(t, 2);
    assert_null(sessions_resolve(t, old)); /* freed */
    assert_true(sessions_open(t, 2, "127.0.0.1:2000", 0x0100007fu, 20));
    assert_null(sessions_resolve(t, old)); /* reused by another connection */
    session_ref fresh = sessions_ref(t, 2);
    assert_ptr_equal(sessions_resolve(t, fresh), sessions_at(t, 2));
    assert_string_equal(sessions_resolve(t, fresh)->label, "127.0.0.1:2000");
    session_ref out_of_range = {4, fresh.gen};
    assert_null(sessions_resolve(t, out_of_range));
    sessions_destroy(t);
}

static void stale_lobby_ref_cannot_reach_reopened_slot(void **state)
{
    (void)state;
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 2, 4), LOBBY_OK);
    int index = lobby_open(&set, proto_str_from_cstr("red"));
    assert_true(index > 0); /* slot 0 is the default lobby */
    lobby_ref old = lobby_ref_of(&set, index);
    assert_int_equal(lobby_ref_index(&set, old), index);
    int closed[2];
    assert_int_equal(lobby_close_idle(&set, 1000, 0, closed, 2), 1); /* empty: closes */
    assert_int_equal(closed[0], index);
    assert_int_equal(lobby_ref_index(&set, old), -1);
    assert_int_equal(lobby_open(&set, proto_str_from_cstr("blue")), index);
    assert_int_equal(lobby_ref_index(&set, old), -1); /* "blue" is not "red" */
    assert_int_equal(lobby_ref_index(&set, lobby_ref_of(&set, index)), index);
    assert_int_equal(lobby_ref_index(&set, lobby_ref_of(&set, -1)), -1);
    lobby_set_deinit(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_session_ref_cannot_reach_reused_slot),
        cmocka_unit_test(stale_lobby_ref_cannot_reach_reopened_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
