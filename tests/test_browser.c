/* The lobby browser's logic without SDL or sockets: which requests the
 * filters, the selection, the password prompt and the create dialog
 * produce, and how the server's answers change it. */
#include "browser.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define SEC 1000000u

static void add_lobby(client_lobby_list *l, const char *name, uint8_t players, uint8_t capacity,
                      bool password)
{
    client_lobby_info *info = &l->lobbies[l->count++];
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", name);
    info->players = players;
    info->capacity = capacity;
    info->has_password = password;
    info->state = PROTO_LOBBY_OPEN;
    l->total = l->count;
}

/* A browser just entered, its first LIST taken, holding three lobbies. */
static browser *fresh(void)
{
    static browser b;
    browser_init(&b);
    browser_enter(&b, NULL, false);
    browser_action act;
    browser_tick(&b, 10 * SEC);
    assert_true(browser_next_action(&b, &act));
    assert_int_equal(act.type, BROWSER_ACT_LIST);
    client_lobby_list list = {.request_id = 1};
    add_lobby(&list, "casual", 2, 8, false);
    add_lobby(&list, "secret", 1, 4, true);
    add_lobby(&list, "full", 4, 4, false);
    browser_set_list(&b, &list);
    return &b;
}

static void type(browser *b, const char *text)
{
    browser_type(b, text);
}

/* ---- refreshing and filters ---------------------------------------------- */

static void test_entering_asks_at_once_then_every_interval(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_tick(b, 10 * SEC + BROWSER_REFRESH_US - 1);
    assert_false(browser_next_action(b, &act));
    browser_tick(b, 10 * SEC + BROWSER_REFRESH_US);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.type, BROWSER_ACT_LIST);
    assert_false(browser_next_action(b, &act)); /* taken once */

    browser_refresh(b); /* F5 */
    browser_tick(b, 10 * SEC + BROWSER_REFRESH_US + 1);
    assert_true(browser_next_action(b, &act));
}

static void test_filters_go_into_the_request_after_a_pause(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    uint64_t t = 11 * SEC;
    type(b, "ca");
    browser_toggle(b, BROWSER_TOGGLE_FREE_SEAT);
    browser_toggle(b, BROWSER_TOGGLE_OPEN_ONLY);
    browser_focus(b, BROWSER_FIELD_FILTER_META);
    type(b, "mode=ctf map=harbour");
    browser_tick(b, t);
    assert_false(browser_next_action(b, &act)); /* still typing */
    browser_tick(b, t + BROWSER_DEBOUNCE_US);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.type, BROWSER_ACT_LIST);
    assert_string_equal(act.filter.name_contains, "ca");
    assert_true(act.filter.free_seat);
    assert_false(act.filter.no_password);
    assert_true(act.filter.open_only);
    assert_int_equal(act.filter.meta_count, 2);
    assert_string_equal(act.filter.meta[0].key, "mode");
    assert_string_equal(act.filter.meta[0].value, "ctf");
    assert_string_equal(act.filter.meta[1].key, "map");
    assert_string_equal(act.filter.meta[1].value, "harbour");
}

static void test_bad_metadata_filter_is_not_sent(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_focus(b, BROWSER_FIELD_FILTER_META);
    type(b, "Mode=ctf");
    browser_tick(b, 11 * SEC);
    browser_tick(b, 11 * SEC + BROWSER_DEBOUNCE_US);
    assert_false(browser_next_action(b, &act));
    assert_true(b->status_is_error);
    assert_non_null(strstr(b->status, "Filter"));
    /* fixed: sent, and the error goes */
    browser_cancel(b); /* Esc clears the focused filter field */
    type(b, "mode=ctf");
    browser_tick(b, 12 * SEC);
    browser_tick(b, 12 * SEC + BROWSER_DEBOUNCE_US);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.filter.meta_count, 1);
    assert_false(b->status_is_error);
}

static void test_field_refuses_a_keystroke_that_does_not_fit(void **state)
{
    (void)state;
    browser *b = fresh();
    char name[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    memset(name, 'x', PROTO_MAX_LOBBY_NAME_BYTES - 1);
    name[PROTO_MAX_LOBBY_NAME_BYTES - 1] = '\0';
    type(b, name);
    type(b, "\xC3\xA9"); /* two bytes: one too many; refused whole */
    assert_int_equal(b->fields[BROWSER_FIELD_FILTER_NAME].len, PROTO_MAX_LOBBY_NAME_BYTES - 1);
    assert_true(b->status_is_error);
    browser_backspace(b);
    type(b, "\xC3\xA9");
    assert_int_equal(b->fields[BROWSER_FIELD_FILTER_NAME].len, PROTO_MAX_LOBBY_NAME_BYTES);
    browser_backspace(b); /* the whole character, not half of it */
    assert_int_equal(b->fields[BROWSER_FIELD_FILTER_NAME].len, PROTO_MAX_LOBBY_NAME_BYTES - 2);
    type(b, "a\tb"); /* control characters are refused */
    assert_int_equal(b->fields[BROWSER_FIELD_FILTER_NAME].len, PROTO_MAX_LOBBY_NAME_BYTES - 2);
}

/* ---- selection and joining ------------------------------------------------- */

static void test_selection_follows_its_lobby_across_refreshes(void **state)
{
    (void)state;
    browser *b = fresh();
    assert_int_equal(b->selected, -1);
    browser_move_selection(b, 1);
    assert_int_equal(b->selected, 0);
    browser_move_selection(b, 1);
    assert_string_equal(b->selected_name, "secret");
    browser_move_selection(b, 10); /* clamped to the last row */
    assert_string_equal(b->selected_name, "full");
    browser_select(b, 1);

    client_lobby_list list = {.request_id = 2};
    add_lobby(&list, "new", 0, 8, false);
    add_lobby(&list, "casual", 2, 8, false);
    add_lobby(&list, "secret", 1, 4, true);
    browser_set_list(b, &list);
    assert_int_equal(b->selected, 2);
    assert_string_equal(b->selected_name, "secret");

    list.count = 1; /* "secret" is gone: the row at its place, clamped */
    browser_set_list(b, &list);
    assert_int_equal(b->selected, 0);
    assert_string_equal(b->selected_name, "new");
}

static void test_join_without_password_goes_straight_out(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_confirm(b); /* nothing selected */
    assert_false(browser_next_action(b, &act));
    assert_true(b->status_is_error);
    browser_select(b, 0);
    browser_confirm(b);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.type, BROWSER_ACT_JOIN);
    assert_string_equal(act.lobby, "casual");
    assert_string_equal(act.password, "");
    assert_int_equal(b->overlay, BROWSER_OVERLAY_NONE);
}

static void test_password_lobby_opens_the_prompt(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_select(b, 1);
    browser_join_selected(b);
    assert_int_equal(b->overlay, BROWSER_OVERLAY_PASSWORD);
    assert_string_equal(b->prompt_lobby, "secret");
    assert_int_equal(b->focus, BROWSER_FIELD_PASSWORD);
    assert_false(browser_next_action(b, &act));  /* nothing sent yet */
    browser_toggle(b, BROWSER_TOGGLE_FREE_SEAT); /* filters wait behind the prompt */
    assert_false(b->toggles[BROWSER_TOGGLE_FREE_SEAT]);

    type(b, "hunter2");
    assert_int_equal(b->fields[BROWSER_FIELD_FILTER_NAME].len, 0);
    browser_confirm(b);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.type, BROWSER_ACT_JOIN);
    assert_string_equal(act.lobby, "secret");
    assert_string_equal(act.password, "hunter2");
    assert_int_equal(b->overlay, BROWSER_OVERLAY_NONE);
    assert_int_equal(b->fields[BROWSER_FIELD_PASSWORD].len, 0); /* not kept */
}

static void test_wrong_password_reopens_the_prompt(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_select(b, 1);
    browser_join_selected(b);
    type(b, "guess");
    browser_confirm(b);
    assert_true(browser_next_action(b, &act));
    browser_on_refused(b, PROTO_JOIN_LOBBY, PROTO_LOBBY_WRONG_PASSWORD, "wrong password");
    assert_int_equal(b->overlay, BROWSER_OVERLAY_PASSWORD);
    assert_string_equal(b->prompt_lobby, "secret");
    assert_string_equal(b->dialog_error, "wrong password");
    assert_int_equal(b->fields[BROWSER_FIELD_PASSWORD].len, 0);
    browser_cancel(b); /* Esc: gives up */
    assert_int_equal(b->overlay, BROWSER_OVERLAY_NONE);
    assert_false(browser_next_action(b, &act));
}

/* A lobby listed without a password that has one by the time we join. */
static void test_password_set_since_listing_opens_the_prompt(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_select(b, 0);
    browser_confirm(b);
    assert_true(browser_next_action(b, &act));
    browser_on_refused(b, PROTO_JOIN_LOBBY, PROTO_LOBBY_WRONG_PASSWORD, "a password is needed");
    assert_int_equal(b->overlay, BROWSER_OVERLAY_PASSWORD);
    assert_string_equal(b->prompt_lobby, "casual");
}

static void test_other_refusals_show_the_servers_text(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_select(b, 2);
    browser_confirm(b);
    assert_true(browser_next_action(b, &act));
    browser_on_refused(b, PROTO_JOIN_LOBBY, PROTO_LOBBY_FULL, "lobby 'full' is full (4/4)");
    assert_int_equal(b->overlay, BROWSER_OVERLAY_NONE);
    assert_true(b->status_is_error);
    assert_string_equal(b->status, "lobby 'full' is full (4/4)");
    browser_on_refused(b, PROTO_LIST_LOBBIES, PROTO_LOBBY_RATE_LIMITED, "");
    assert_non_null(strstr(b->status, "18")); /* no text: the reason code */
}

static void test_kicked_entry_shows_why(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_open_create(b);
    browser_enter(b, "kicked from 'x'; you may rejoin in 60 s", true);
    assert_int_equal(b->overlay, BROWSER_OVERLAY_NONE);
    assert_true(b->status_is_error);
    assert_non_null(strstr(b->status, "rejoin in 60 s"));
    browser_action act;
    browser_tick(b, 10 * SEC + 1); /* entering asks for the list again at once */
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.type, BROWSER_ACT_LIST);
}

/* ---- creating ------------------------------------------------------------ */

static void fill_create(browser *b, const char *name, const char *capacity, const char *password,
                        const char *meta, const char *max_rtt)
{
    const char *values[] = {name, capacity, password, meta, max_rtt};
    for (int f = BROWSER_FIELD_CREATE_NAME; f <= BROWSER_FIELD_CREATE_MAX_RTT; f++) {
        browser_focus(b, (browser_field)f);
        while (b->fields[f].len > 0)
            browser_backspace(b);
        type(b, values[f - BROWSER_FIELD_CREATE_NAME]);
    }
}

static void expect_create_error(browser *b, const char *needle)
{
    browser_action act;
    browser_confirm(b);
    assert_int_equal(b->overlay, BROWSER_OVERLAY_CREATE);
    if (strstr(b->dialog_error, needle) == NULL)
        fail_msg("dialog error '%s' lacks '%s'", b->dialog_error, needle);
    assert_false(browser_next_action(b, &act));
}

static void test_create_dialog_validates_before_sending(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_open_create(b);
    assert_int_equal(b->overlay, BROWSER_OVERLAY_CREATE);
    assert_int_equal(b->focus, BROWSER_FIELD_CREATE_NAME);
    fill_create(b, "", "", "", "", "");
    expect_create_error(b, "name");
    fill_create(b, "friday ", "", "", "", "");
    expect_create_error(b, "space");
    fill_create(b, "friday", "99", "", "", "");
    expect_create_error(b, "Capacity");
    fill_create(b, "friday", "0", "", "", "");
    expect_create_error(b, "Capacity");
    fill_create(b, "friday", "8", "", "mode", "");
    expect_create_error(b, "key=value");
    fill_create(b, "friday", "8", "", "mode=ctf,mode=dm", "");
    expect_create_error(b, "twice");
    fill_create(b, "friday", "8", "", "MODE=ctf", "");
    expect_create_error(b, "a-z");
    fill_create(b, "friday", "8", "", "", "0");
    expect_create_error(b, "RTT");
}

static void test_create_dialog_sends_its_settings(void **state)
{
    (void)state;
    browser *b = fresh();
    browser_action act;
    browser_open_create(b);
    fill_create(b, "friday", "8", "pw", "mode=ctf, map=harbour", "150");
    browser_confirm(b);
    assert_int_equal(b->overlay, BROWSER_OVERLAY_NONE);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.type, BROWSER_ACT_CREATE);
    assert_string_equal(act.settings.name, "friday");
    assert_int_equal(act.settings.capacity, 8);
    assert_string_equal(act.settings.password, "pw");
    assert_int_equal(act.settings.max_rtt_ms, 150);
    assert_int_equal(act.settings.meta_count, 2);
    assert_string_equal(act.settings.meta[1].key, "map");
    assert_string_equal(act.settings.meta[1].value, "harbour");

    /* empty capacity and RTT: the server's default, no limit */
    browser_open_create(b);
    fill_create(b, "saturday", "", "", "", "");
    browser_confirm(b);
    assert_true(browser_next_action(b, &act));
    assert_int_equal(act.settings.capacity, 0);
    assert_int_equal(act.settings.max_rtt_ms, 0);
    assert_int_equal(act.settings.meta_count, 0);

    /* the server says the name is taken: the dialog comes back with why */
    browser_on_refused(b, PROTO_CREATE_LOBBY, PROTO_LOBBY_EXISTS, "lobby 'saturday' exists");
    assert_int_equal(b->overlay, BROWSER_OVERLAY_CREATE);
    assert_string_equal(b->dialog_error, "lobby 'saturday' exists");
    assert_string_equal(b->fields[BROWSER_FIELD_CREATE_NAME].text, "saturday");
}

static void test_tab_cycles_within_the_open_group(void **state)
{
    (void)state;
    browser *b = fresh();
    assert_int_equal(b->focus, BROWSER_FIELD_FILTER_NAME);
    browser_next_field(b);
    assert_int_equal(b->focus, BROWSER_FIELD_FILTER_META);
    browser_next_field(b);
    assert_int_equal(b->focus, BROWSER_FIELD_FILTER_NAME);
    browser_open_create(b);
    for (int i = 0; i < 4; i++)
        browser_next_field(b);
    assert_int_equal(b->focus, BROWSER_FIELD_CREATE_MAX_RTT);
    browser_next_field(b);
    assert_int_equal(b->focus, BROWSER_FIELD_CREATE_NAME);
    browser_focus(b, BROWSER_FIELD_FILTER_NAME); /* behind the dialog: refused */
    assert_int_equal(b->focus, BROWSER_FIELD_CREATE_NAME);
}

static void test_parse_meta_limits(void **state)
{
    (void)state;
    client_meta m[PROTO_MAX_META_PAIRS];
    uint8_t n;
    char err[128];
    assert_true(browser_parse_meta("  ", m, &n, err, sizeof err));
    assert_int_equal(n, 0);
    assert_true(browser_parse_meta("a=,b.c_d-1=x", m, &n, err, sizeof err));
    assert_int_equal(n, 2);
    assert_string_equal(m[0].value, "");
    assert_string_equal(m[1].key, "b.c_d-1");
    assert_false(browser_parse_meta("=x", m, &n, err, sizeof err));
    assert_false(browser_parse_meta("abcdefghijklmnopq=x", m, &n, err, sizeof err)); /* 17 */
    assert_true(browser_parse_meta("abcdefghijklmnop=x", m, &n, err, sizeof err));   /* 16 */
    char value[64];
    snprintf(value, sizeof value, "k=%033d", 0); /* 33 bytes */
    assert_false(browser_parse_meta(value, m, &n, err, sizeof err));
    assert_false(browser_parse_meta("a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1", m, &n, err, sizeof err));
    assert_non_null(strstr(err, "at most 8"));
    assert_true(browser_parse_meta("a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1", m, &n, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entering_asks_at_once_then_every_interval),
        cmocka_unit_test(test_filters_go_into_the_request_after_a_pause),
        cmocka_unit_test(test_bad_metadata_filter_is_not_sent),
        cmocka_unit_test(test_field_refuses_a_keystroke_that_does_not_fit),
        cmocka_unit_test(test_selection_follows_its_lobby_across_refreshes),
        cmocka_unit_test(test_join_without_password_goes_straight_out),
        cmocka_unit_test(test_password_lobby_opens_the_prompt),
        cmocka_unit_test(test_wrong_password_reopens_the_prompt),
        cmocka_unit_test(test_password_set_since_listing_opens_the_prompt),
        cmocka_unit_test(test_other_refusals_show_the_servers_text),
        cmocka_unit_test(test_kicked_entry_shows_why),
        cmocka_unit_test(test_create_dialog_validates_before_sending),
        cmocka_unit_test(test_create_dialog_sends_its_settings),
        cmocka_unit_test(test_tab_cycles_within_the_open_group),
        cmocka_unit_test(test_parse_meta_limits),
    };
    return cmocka_run_group_tests_name("lobby browser", tests, NULL, NULL);
}
