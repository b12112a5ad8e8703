/* Text rules for names and chat: strict UTF-8, control characters, and the
 * combined verdict at its length boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

/* Byte strings with embedded NULs or high bytes, measured by sizeof. */
#define BYTES(...) ((const char[]){__VA_ARGS__}), sizeof((const char[]){__VA_ARGS__})

static bool valid(const char *s, size_t len)
{
    return text_utf8_valid(s, len);
}

/* ---- text_utf8_valid: accepted ------------------------------------------ */

static void utf8_accepts_empty(void **state)
{
    (void)state;
    assert_true(valid("", 0));
}

static void utf8_accepts_ascii(void **state)
{
    (void)state;
    const char *s = "Hello, world! ~";
    assert_true(valid(s, strlen(s)));
}

static void utf8_accepts_nul_byte(void **state)
{
    (void)state;
    /* NUL is well-formed UTF-8; rejecting it is text_has_control's job. */
    assert_true(valid(BYTES('a', '\0', 'b')));
}

static void utf8_accepts_two_byte_sequences(void **state)
{
    (void)state;
    assert_true(valid(BYTES('\xC2', '\xA0'))); /* U+00A0, smallest non-C1 */
    assert_true(valid(BYTES('\xC3', '\xA9'))); /* U+00E9 e acute */
    assert_true(valid(BYTES('\xDF', '\xBF'))); /* U+07FF, largest 2-byte */
}

static void utf8_accepts_three_byte_sequences(void **state)
{
    (void)state;
    assert_true(valid(BYTES('\xE0', '\xA0', '\x80'))); /* U+0800, smallest 3-byte */
    assert_true(valid(BYTES('\xE2', '\x82', '\xAC'))); /* U+20AC euro sign */
    assert_true(valid(BYTES('\xED', '\x9F', '\xBF'))); /* U+D7FF, just below surrogates */
    assert_true(valid(BYTES('\xEE', '\x80', '\x80'))); /* U+E000, just above surrogates */
    assert_true(valid(BYTES('\xEF', '\xBF', '\xBF'))); /* U+FFFF */
}

static void utf8_accepts_four_byte_sequences(void **state)
{
    (void)state;
    assert_true(valid(BYTES('\xF0', '\x90', '\x80', '\x80'))); /* U+10000, smallest */
    assert_true(valid(BYTES('\xF0', '\x9F', '\x98', '\x80'))); /* U+1F600 emoji */
    assert_true(valid(BYTES('\xF4', '\x8F', '\xBF', '\xBF'))); /* U+10FFFF, largest */
}

static void utf8_accepts_mixed_text(void **state)
{
    (void)state;
    const char *s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80!";
    assert_true(valid(s, strlen(s)));
}

/* ---- text_utf8_valid: rejected ------------------------------------------ */

static void utf8_rejects_overlong_two_byte(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xC0', '\x80'))); /* overlong NUL */
    assert_false(valid(BYTES('\xC1', '\xBF'))); /* overlong U+007F */
}

static void utf8_rejects_overlong_three_byte(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xE0', '\x80', '\x80')));
    assert_false(valid(BYTES('\xE0', '\x9F', '\xBF'))); /* overlong U+07FF */
}

static void utf8_rejects_overlong_four_byte(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xF0', '\x80', '\x80', '\x80')));
    assert_false(valid(BYTES('\xF0', '\x8F', '\xBF', '\xBF'))); /* overlong U+FFFF */
}

static void utf8_rejects_surrogates(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xED', '\xA0', '\x80'))); /* U+D800 */
    assert_false(valid(BYTES('\xED', '\xBF', '\xBF'))); /* U+DFFF */
}

static void utf8_rejects_above_max_code_point(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xF4', '\x90', '\x80', '\x80'))); /* U+110000 */
}

static void utf8_rejects_truncated_sequences(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xC3')));
    assert_false(valid(BYTES('\xE2', '\x82')));
    assert_false(valid(BYTES('\xF0', '\x9F', '\x98')));
    assert_false(valid(BYTES('a', '\xE2', '\x82'))); /* cut at the end of text */
}

static void utf8_rejects_sequence_interrupted_by_ascii(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\xE2', 'a', '\xAC')));
    assert_false(valid(BYTES('\xC3', 'a')));
}

static void utf8_rejects_lone_continuation_bytes(void **state)
{
    (void)state;
    assert_false(valid(BYTES('\x80')));
    assert_false(valid(BYTES('\xBF')));
    assert_false(valid(BYTES('a', '\x80', 'b')));
    assert_false(valid(BYTES('\xC3', '\xA9', '\xA9'))); /* one continuation too many */
}

static void utf8_rejects_bytes_f5_to_ff(void **state)
{
    (void)state;
    for (unsigned b = 0xF5; b <= 0xFF; b++) {
        const char s[4] = {(char)b, '\x80', '\x80', '\x80'};
        assert_false(valid(s, 1));
        assert_false(valid(s, sizeof s));
    }
}

/* ---- text_has_control ----------------------------------------------------- */

static void control_absent_in_plain_text(void **state)
{
    (void)state;
    const char *s = "caf\xC3\xA9 ok \xF0\x9F\x98\x80";
    assert_false(text_has_control(s, strlen(s)));
}

static void control_absent_in_empty_text(void **state)
{
    (void)state;
    assert_false(text_has_control("", 0));
}

static void control_found_for_every_c0_byte(void **state)
{
    (void)state;
    for (unsigned c = 0x00; c < 0x20; c++) {
        const char s[3] = {'a', (char)c, 'b'};
        assert_true(text_has_control(s, sizeof s));
    }
}

static void control_found_for_tab_and_newline(void **state)
{
    (void)state;
    assert_true(text_has_control("a\tb", 3));
    assert_true(text_has_control("a\nb", 3));
    assert_true(text_has_control("a\r\n", 3));
}

static void control_found_for_del(void **state)
{
    (void)state;
    assert_true(text_has_control("a\x7F", 2));
}

static void control_found_for_every_c1_code_point(void **state)
{
    (void)state;
    /* U+0080..U+009F encode as C2 80 .. C2 9F. */
    for (unsigned c = 0x80; c <= 0x9F; c++) {
        const char s[2] = {'\xC2', (char)c};
        assert_true(text_has_control(s, sizeof s));
    }
}

static void control_absent_just_outside_c1(void **state)
{
    (void)state;
    assert_false(text_has_control(BYTES('~')));            /* U+007E, below DEL */
    assert_false(text_has_control(BYTES('\xC2', '\xA0'))); /* U+00A0, after C1 */
    assert_false(text_has_control(BYTES(' ')));            /* U+0020, after C0 */
}

static void control_found_for_invalid_utf8(void **state)
{
    (void)state;
    /* Bytes that are not UTF-8 cannot be shown as text: treated as unsafe. */
    assert_true(text_has_control(BYTES('a', '\xFF')));
    assert_true(text_has_control(BYTES('\xC0', '\x80')));
}

/* ---- text_check ----------------------------------------------------------- */

enum { MAX = 24 };

static void check_refuses_empty(void **state)
{
    (void)state;
    assert_int_equal(text_check("", 0, MAX), TEXT_EMPTY);
}

static void check_accepts_one_byte(void **state)
{
    (void)state;
    assert_int_equal(text_check("a", 1, MAX), TEXT_OK);
}

static void check_accepts_exactly_max_bytes(void **state)
{
    (void)state;
    char s[MAX];
    memset(s, 'x', sizeof s);
    assert_int_equal(text_check(s, MAX, MAX), TEXT_OK);
}

static void check_refuses_max_plus_one_bytes(void **state)
{
    (void)state;
    char s[MAX + 1];
    memset(s, 'x', sizeof s);
    assert_int_equal(text_check(s, MAX + 1, MAX), TEXT_TOO_LONG);
}

static void check_counts_bytes_not_code_points(void **state)
{
    (void)state;
    /* 12 two-byte characters fill 24 bytes; one more ASCII byte is too many. */
    char s[MAX + 1];
    for (size_t i = 0; i < MAX; i += 2) {
        s[i] = '\xC3';
        s[i + 1] = '\xA9';
    }
    s[MAX] = 'x';
    assert_int_equal(text_check(s, MAX, MAX), TEXT_OK);
    assert_int_equal(text_check(s, MAX + 1, MAX), TEXT_TOO_LONG);
}

static void check_refuses_invalid_utf8(void **state)
{
    (void)state;
    assert_int_equal(text_check("a\xFF", 2, MAX), TEXT_INVALID_UTF8);
}

static void check_refuses_sequence_cut_by_length(void **state)
{
    (void)state;
    /* The caller's length ends inside a character: the whole text is invalid. */
    assert_int_equal(text_check("\xE2\x82\xAC", 2, MAX), TEXT_INVALID_UTF8);
}

static void check_refuses_control(void **state)
{
    (void)state;
    assert_int_equal(text_check("a\tb", 3, MAX), TEXT_CONTROL);
}

static void check_reports_length_before_content(void **state)
{
    (void)state;
    /* An over-long text is refused for its length even if it is also invalid. */
    char s[MAX + 1];
    memset(s, '\xFF', sizeof s);
    assert_int_equal(text_check(s, sizeof s, MAX), TEXT_TOO_LONG);
}

static void check_reports_utf8_before_control(void **state)
{
    (void)state;
    assert_int_equal(text_check("\t\xFF", 2, MAX), TEXT_INVALID_UTF8);
}

/* Bidi controls can make text display other than it reads ("Trojan Source"). */
static void bidi_controls_count_as_control(void **state)
{
    (void)state;
    const char *bad[] = {"a\u202Eb", "a\u2066b", "a\u200Fb", "a\u061Cb", "a\u2069"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(text_has_control(bad[i], strlen(bad[i])));
        assert_int_equal(text_check(bad[i], strlen(bad[i]), 64), TEXT_CONTROL);
    }
}

/* Invisible characters are refused in names but fine in chat (emoji need the
 * zero-width joiner). */
static void invisible_characters_refused_in_names_only(void **state)
{
    (void)state;
    const char *family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
    assert_int_equal(text_check(family, strlen(family), 64), TEXT_OK);
    assert_int_equal(text_check_name(family, strlen(family), 64), TEXT_CONTROL);
    const char *sneaky[] = {"bo\u200Bb", "\uFEFFbob", "b\u2060ob", "bo\u00ADb"};
    for (size_t i = 0; i < sizeof sneaky / sizeof sneaky[0]; i++)
        assert_int_equal(text_check_name(sneaky[i], strlen(sneaky[i]), 64), TEXT_CONTROL);
    assert_int_equal(text_check_name("Zoë", strlen("Zoë"), 64), TEXT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bidi_controls_count_as_control),
        cmocka_unit_test(invisible_characters_refused_in_names_only),
        cmocka_unit_test(utf8_accepts_empty),
        cmocka_unit_test(utf8_accepts_ascii),
        cmocka_unit_test(utf8_accepts_nul_byte),
        cmocka_unit_test(utf8_accepts_two_byte_sequences),
        cmocka_unit_test(utf8_accepts_three_byte_sequences),
        cmocka_unit_test(utf8_accepts_four_byte_sequences),
        cmocka_unit_test(utf8_accepts_mixed_text),
        cmocka_unit_test(utf8_rejects_overlong_two_byte),
        cmocka_unit_test(utf8_rejects_overlong_three_byte),
        cmocka_unit_test(utf8_rejects_overlong_four_byte),
        cmocka_unit_test(utf8_rejects_surrogates),
        cmocka_unit_test(utf8_rejects_above_max_code_point),
        cmocka_unit_test(utf8_rejects_truncated_sequences),
        cmocka_unit_test(utf8_rejects_sequence_interrupted_by_ascii),
        cmocka_unit_test(utf8_rejects_lone_continuation_bytes),
        cmocka_unit_test(utf8_rejects_bytes_f5_to_ff),
        cmocka_unit_test(control_absent_in_plain_text),
        cmocka_unit_test(control_absent_in_empty_text),
        cmocka_unit_test(control_found_for_every_c0_byte),
        cmocka_unit_test(control_found_for_tab_and_newline),
        cmocka_unit_test(control_found_for_del),
        cmocka_unit_test(control_found_for_every_c1_code_point),
        cmocka_unit_test(control_absent_just_outside_c1),
        cmocka_unit_test(control_found_for_invalid_utf8),
        cmocka_unit_test(check_refuses_empty),
        cmocka_unit_test(check_accepts_one_byte),
        cmocka_unit_test(check_accepts_exactly_max_bytes),
        cmocka_unit_test(check_refuses_max_plus_one_bytes),
        cmocka_unit_test(check_counts_bytes_not_code_points),
        cmocka_unit_test(check_refuses_invalid_utf8),
        cmocka_unit_test(check_refuses_sequence_cut_by_length),
        cmocka_unit_test(check_refuses_control),
        cmocka_unit_test(check_reports_length_before_content),
        cmocka_unit_test(check_reports_utf8_before_control),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
