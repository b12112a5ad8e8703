/* The logger's JSON format (--log-format json): the exact object a line
 * becomes, every kind of awkward byte escaped so that any message gives
 * valid JSON (quotes, backslashes, control bytes as \u00XX, invalid UTF-8 as
 * U+FFFD, valid UTF-8 kept), a message too long for a line ended by "...",
 * and the writer thread's "N log lines dropped" line in JSON too. */
#include "log.h"
#include "stderr_flood.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static char captured[4096];

static void capture(log_level level, const char *line, void *user)
{
    (void)level, (void)user;
    snprintf(captured, sizeof captured, "%s", line);
}

static int setup(void **state)
{
    (void)state;
    log_set_format(LOG_FORMAT_JSON);
    log_set_level(LOG_DEBUG);
    log_set_sink(capture, NULL);
    captured[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_set_sink(NULL, NULL);
    log_set_format(LOG_FORMAT_TEXT);
    log_set_level(LOG_OFF);
    return 0;
}

/* The part after the time stamp, which changes. */
static const char *after_time(const char *line)
{
    assert_int_equal(strncmp(line, "{\"time\":\"", 9), 0);
    assert_int_equal(strlen(line) > 9 + 24, 1);
    assert_int_equal(line[9 + 23], 'Z'); /* 2026-11-26T14:29:07.123Z */
    assert_int_equal(line[9 + 24], '"');
    return line + 9 + 25;
}

static void plain_message(void **state)
{
    (void)state;
    log_info("lobby", "join lobby=%s players=%u", "main", 3u);
    assert_string_equal(
        after_time(captured),
        ",\"level\":\"info\",\"tag\":\"lobby\",\"msg\":\"join lobby=main players=3\"}");
    log_warn("log", "w");
    assert_string_equal(after_time(captured), ",\"level\":\"warn\",\"tag\":\"log\",\"msg\":\"w\"}");
}

static void quotes_backslashes_and_control_bytes(void **state)
{
    (void)state;
    log_error("t", "a\"b\\c\n\t\x01\x1f\x7f end");
    assert_string_equal(after_time(captured),
                        ",\"level\":\"error\",\"tag\":\"t\",\"msg\":"
                        "\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\\u007f end\"}");
}

/* Valid UTF-8 (2, 3 and 4 bytes) is kept; each byte of a stray
 * continuation, an overlong form, a surrogate, a sequence cut short and a
 * byte that starts none becomes U+FFFD. */
static void invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    log_debug("t", "%s",
              "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|"
              "\xff");
    assert_string_equal(
        after_time(captured),
        ",\"level\":\"debug\",\"tag\":\"t\",\"msg\":\""
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\"}");
}

/* 1500 control bytes escape to 9000: the line is cut whole escapes and
 * says so with "...", and stays one closed object. */
static void too_long_is_cut_and_closed(void **state)
{
    (void)state;
    static char msg[1501];
    memset(msg, '\x02', 1500);
    log_info("t", "%s", msg);
    size_t len = strlen(captured);
    assert_true(len <= 2048);
    assert_string_equal(captured + len - 5, "...\"}");
    const char *body = strstr(captured, "\"msg\":\"") + 7;
    size_t escapes = (size_t)(captured + len - 5 - body);
    assert_int_equal(escapes % 6, 0);
    assert_int_equal(strncmp(body, "\\u0002", 6), 0);
}

/* stderr a small pipe nobody reads for a while: lines are dropped, and the
 * writer's report of them, once the pipe is read, is a JSON object too;
 * every line written is one. */
static void dropped_lines_report_is_json(void **state)
{
    (void)state;
    static char out[1 << 16];
    stderr_flood r;
    stderr_flood_run(2000, NULL, out, sizeof out, &r);
    assert_true(r.flushed);
    const char *report = strstr(out, " log lines dropped: stderr did not keep up\"}\n");
    assert_non_null(report);
    const char *start = report;
    while (start > out && start[-1] != '\n')
        start--;
    assert_non_null(strstr(start, "\",\"level\":\"warn\",\"tag\":\"log\",\"msg\":\""));
    for (char *line = out; *line != '\0';) { /* every line one object */
        char *end = strchr(line, '\n');
        assert_non_null(end);
        assert_int_equal(strncmp(line, "{\"time\":\"", 9), 0);
        assert_int_equal(strncmp(end - 2, "\"}", 2), 0);
        line = end + 1;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plain_message, setup, teardown),
        cmocka_unit_test_setup_teardown(quotes_backslashes_and_control_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_utf8_becomes_replacement_characters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(too_long_is_cut_and_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(dropped_lines_report_is_json, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
