/* The text port's framing rules (server/textline.c) without sockets, with
 * time driven by the test: newline, "\r\n", the 100 ms quiet rule, end of
 * stream, the 512-byte limit at and around its edge, empty lines. */
#include "textline.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

enum { MS = 1000 };

/* What one feed of a whole chunk produced: messages joined with '|'. */
typedef struct framed {
    char text[4096];
    int messages;
    bool too_long;
} framed;

static void feed_all(textline *tl, const char *data, size_t len, uint64_t now_us, framed *out)
{
    while (len > 0) {
        textline_status st;
        proto_str msg;
        size_t used = textline_feed(tl, data, len, now_us, &st, &msg);
        assert_true(used > 0 && used <= len);
        data += used;
        len -= used;
        if (st == TEXTLINE_MESSAGE) {
            if (out->messages++ > 0)
                strcat(out->text, "|");
            strncat(out->text, msg.bytes, msg.len);
        } else if (st == TEXTLINE_TOO_LONG) {
            out->too_long = true;
        }
    }
}

static void feed_str(textline *tl, const char *s, uint64_t now_us, framed *out)
{
    feed_all(tl, s, strlen(s), now_us, out);
}

static void newline_ends_messages_and_cr_is_dropped(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    framed f = {0};
    feed_str(&tl, "one\ntwo\r\nthree\n", 0, &f);
    assert_int_equal(f.messages, 3);
    assert_string_equal(f.text, "one|two|three");
    assert_int_equal(textline_pending(&tl), 0);
}

static void empty_lines_come_out_empty(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    framed f = {0};
    feed_str(&tl, "\n\r\nx\n", 0, &f);
    assert_int_equal(f.messages, 3);
    assert_string_equal(f.text, "||x");
}

static void quiet_for_100_ms_ends_a_message(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    framed f = {0};
    feed_str(&tl, "Hello server!", 1000 * MS, &f);
    assert_int_equal(f.messages, 0);
    proto_str msg;
    assert_int_equal(textline_deadline_us(&tl), 1100 * MS);
    assert_int_equal(textline_flush(&tl, 1099 * MS, false, &msg), TEXTLINE_NONE);
    assert_int_equal(textline_flush(&tl, 1100 * MS, false, &msg), TEXTLINE_MESSAGE);
    assert_int_equal(msg.len, 13);
    assert_memory_equal(msg.bytes, "Hello server!", 13);
    assert_int_equal(textline_flush(&tl, 2000 * MS, false, &msg), TEXTLINE_NONE);
    assert_int_equal(textline_deadline_us(&tl), UINT64_MAX);
}

/* Each byte restarts the quiet period. */
static void dribbled_bytes_stay_one_message(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    framed f = {0};
    proto_str msg;
    const char *s = "slowly";
    for (int i = 0; s[i]; i++) {
        feed_all(&tl, s + i, 1, (uint64_t)i * 90 * MS, &f);
        assert_int_equal(textline_flush(&tl, (uint64_t)i * 90 * MS + 99 * MS, false, &msg),
                         TEXTLINE_NONE);
    }
    feed_str(&tl, "\n", 600 * MS, &f);
    assert_string_equal(f.text, "slowly");
}

static void end_of_stream_ends_a_message_at_once(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    framed f = {0};
    proto_str msg;
    feed_str(&tl, "bye", 0, &f);
    assert_int_equal(textline_flush(&tl, 1, true, &msg), TEXTLINE_MESSAGE);
    assert_int_equal(msg.len, 3);
    assert_int_equal(textline_flush(&tl, 2, true, &msg), TEXTLINE_NONE);
}

static void exactly_512_bytes_pass_with_either_ending(void **state)
{
    (void)state;
    char line[520];
    memset(line, 'a', 512);
    const char *endings[] = {"\n", "\r\n"};
    for (int e = 0; e < 2; e++) {
        textline tl;
        textline_init(&tl);
        framed f = {0};
        feed_all(&tl, line, 512, 0, &f);
        feed_str(&tl, endings[e], 0, &f);
        assert_false(f.too_long);
        assert_int_equal(f.messages, 1);
        assert_int_equal(strlen(f.text), 512);
    }
    textline tl;
    textline_init(&tl);
    framed f = {0};
    proto_str msg;
    feed_all(&tl, line, 512, 0, &f);
    assert_int_equal(textline_flush(&tl, 0, true, &msg), TEXTLINE_MESSAGE);
    assert_int_equal(msg.len, 512);
}

static void byte_513_is_too_long_at_once(void **state)
{
    (void)state;
    char line[600];
    memset(line, 'a', sizeof line);
    textline tl;
    textline_init(&tl);
    framed f = {0};
    feed_all(&tl, line, 513, 0, &f);
    assert_true(f.too_long);
    assert_int_equal(f.messages, 0);
    /* Sticky: nothing after it is framed. */
    framed g = {0};
    feed_str(&tl, "\nok\n", 0, &g);
    assert_true(g.too_long);
    assert_int_equal(g.messages, 0);
}

/* 512 bytes and "\r" may still be "\r\n"; anything else after it is not. */
static void cr_beyond_the_limit_waits_for_the_next_byte(void **state)
{
    (void)state;
    char line[600];
    memset(line, 'a', 512);
    line[512] = '\r';
    textline tl;
    textline_init(&tl);
    framed f = {0};
    feed_all(&tl, line, 513, 0, &f);
    assert_false(f.too_long);
    feed_str(&tl, "x", 0, &f);
    assert_true(f.too_long);
    /* ...and a quiet or closed stream after it is too long as well. */
    textline_init(&tl);
    framed g = {0};
    proto_str msg;
    feed_all(&tl, line, 513, 0, &g);
    assert_int_equal(textline_flush(&tl, 200 * MS, false, &msg), TEXTLINE_TOO_LONG);
}

static void nul_bytes_are_passed_on_for_the_text_rules(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    textline_status st;
    proto_str msg;
    size_t used = textline_feed(&tl, "a\0b\nrest", 8, 0, &st, &msg);
    assert_int_equal(used, 4);
    assert_int_equal(st, TEXTLINE_MESSAGE);
    assert_int_equal(msg.len, 3);
    assert_memory_equal(msg.bytes, "a\0b", 3);
}

/* Slowloris: after the first message, quiet no longer ends one, however
 * slowly the bytes come; the pending message keeps its start time. */
static void after_one_message_only_a_newline_ends_one(void **state)
{
    (void)state;
    textline tl;
    textline_init(&tl);
    framed f = {0};
    proto_str msg;
    feed_str(&tl, "first\n", 0, &f);
    for (int i = 0; i < 10; i++) {
        feed_all(&tl, "x", 1, (uint64_t)(i + 1) * 200 * MS, &f);
        assert_int_equal(textline_flush(&tl, (uint64_t)(i + 1) * 200 * MS + 150 * MS, false, &msg),
                         TEXTLINE_NONE);
    }
    assert_int_equal(f.messages, 1);
    assert_int_equal(textline_deadline_us(&tl), UINT64_MAX);
    assert_int_equal(textline_started_us(&tl), 200 * MS);
    feed_str(&tl, "\n", 3000 * MS, &f);
    assert_int_equal(f.messages, 2);
    assert_int_equal(textline_started_us(&tl), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(newline_ends_messages_and_cr_is_dropped),
        cmocka_unit_test(empty_lines_come_out_empty),
        cmocka_unit_test(quiet_for_100_ms_ends_a_message),
        cmocka_unit_test(dribbled_bytes_stay_one_message),
        cmocka_unit_test(end_of_stream_ends_a_message_at_once),
        cmocka_unit_test(exactly_512_bytes_pass_with_either_ending),
        cmocka_unit_test(byte_513_is_too_long_at_once),
        cmocka_unit_test(cr_beyond_the_limit_waits_for_the_next_byte),
        cmocka_unit_test(nul_bytes_are_passed_on_for_the_text_rules),
        cmocka_unit_test(after_one_message_only_a_newline_ends_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
