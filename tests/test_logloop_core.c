/* A loop that nothing stalls, in-process with time driven by the test: the
 * stall credit of the rate buckets (rate_stall), the refusal log gate
 * (log_gate), a refusal flood put out like a chat flood, and the backlog of
 * a stall judged as if spread over it (server_note_stall), and the log
 * writer thread that drops lines rather than block on a full stderr. */
#include "log.h"
#include "ratelimit.h"
#include "server_fixture.h"
#include "stderr_flood.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

enum {
    SECOND_US = 1000 * 1000,
    T0_US = SERVER_FIXTURE_T0_US,
};

/* ---- rate_stall ----------------------------------------------------------- */

static void no_stall_keeps_the_burst(void **state)
{
    (void)state;
    rate_stall st = {0};
    assert_true(rate_stall_burst(&st, 5.0, 10.0, T0_US) == 10.0);
    assert_true(rate_stall_burst(NULL, 5.0, 10.0, T0_US) == 10.0);
}

/* A 3 s stall at 5 a second: 15 more tokens fit, for 3 s plus the settling
 * second, then the burst is back to 10. */
static void stall_grows_the_cap_for_a_while(void **state)
{
    (void)state;
    rate_stall st = {0};
    rate_stall_note(&st, 3 * SECOND_US, T0_US);
    assert_true(rate_stall_burst(&st, 5.0, 10.0, T0_US) == 25.0);
    assert_true(rate_stall_burst(&st, 5.0, 10.0, T0_US + 4 * SECOND_US - 1) == 25.0);
    assert_true(rate_stall_burst(&st, 5.0, 10.0, T0_US + 4 * SECOND_US) == 10.0);
}

static void stall_credit_is_capped(void **state)
{
    (void)state;
    rate_stall st = {0};
    rate_stall_note(&st, 3600ull * SECOND_US, T0_US);
    assert_true(rate_stall_burst(&st, 1.0, 10.0, T0_US) == 10.0 + RATE_STALL_MAX_US / 1e6);
}

/* The bucket that lived through the stall: what it earned meanwhile is
 * granted, and no more. */
static void bucket_grants_what_the_stall_earned(void **state)
{
    (void)state;
    rate_bucket b;
    rate_stall st = {0};
    rate_bucket_init(&b, 10.0, T0_US);
    uint64_t after = T0_US + 3 * SECOND_US;
    rate_stall_note(&st, 3 * SECOND_US, after);
    unsigned granted = 0;
    while (granted < 100 &&
           rate_bucket_take(&b, 5.0, rate_stall_burst(&st, 5.0, 10.0, after), after))
        granted++;
    assert_int_equal(granted, 25); /* the burst and 3 s at 5 a second */
}

/* ---- log_gate ------------------------------------------------------------- */

static void gate_logs_first_then_one_per_window_with_count(void **state)
{
    (void)state;
    log_gate gates[8] = {0};
    uint64_t key = log_gate_key("127.0.0.2:4000", 7);
    uint32_t held = 99;
    assert_true(log_gate_pass(gates, 8, key, T0_US, 10 * SECOND_US, &held));
    assert_int_equal(held, 0);
    for (int i = 0; i < 5; i++)
        assert_false(log_gate_pass(gates, 8, key, T0_US + SECOND_US, 10 * SECOND_US, &held));
    assert_true(log_gate_pass(gates, 8, key, T0_US + 10 * SECOND_US, 10 * SECOND_US, &held));
    assert_int_equal(held, 5);
}

static void gate_keys_peers_and_kinds_apart(void **state)
{
    (void)state;
    log_gate gates[64] = {0};
    uint32_t held;
    assert_true(log_gate_pass(gates, 64, log_gate_key("a:1", 1), T0_US, SECOND_US, &held));
    assert_true(log_gate_pass(gates, 64, log_gate_key("a:1", 2), T0_US, SECOND_US, &held));
    assert_true(log_gate_pass(gates, 64, log_gate_key("b:1", 1), T0_US, SECOND_US, &held));
    assert_false(log_gate_pass(gates, 64, log_gate_key("a:1", 1), T0_US, SECOND_US, &held));
    assert_true(log_gate_key("a:1", 1) != log_gate_key("a:1", 2));
}

/* ---- the asynchronous writer ---------------------------------------------- */

/* stderr a one-page pipe that nobody reads: 2000 lines take no time (they
 * are dropped and counted once the 4 KB buffer is full); once the pipe is
 * read the writer says how many were dropped, and stopping flushes. */
static void async_log_drops_instead_of_blocking(void **state)
{
    (void)state;
    static char out[1 << 16];
    stderr_flood r;
    stderr_flood_run(2000, "the last line", out, sizeof out, &r);
    log_set_level(LOG_OFF);
    assert_true(r.logging_ms < 1000);
    assert_true(r.logged.dropped > r.before.dropped);
    assert_true(r.logged.lines > r.before.lines);
    assert_true(r.flushed);
    assert_non_null(strstr(out, "log lines dropped: stderr did not keep up"));
    assert_non_null(strstr(out, "line 0 of a log"));
    assert_non_null(strstr(out, "the last line\n"));
}

/* ---- the server core ------------------------------------------------------ */

static int lines_logged;
static void count_lines(log_level level, const char *line, void *user)
{
    (void)level, (void)user;
    lines_logged += strstr(line, "chat refused") != NULL;
}

/* The default limits (the ones the docs state), on a small server. */
static int setup(void **state)
{
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.max_players = cfg.max_sessions = 8;
    return server_fixture_setup(state, &cfg);
}

static int teardown(void **state)
{
    log_set_sink(NULL, NULL);
    log_set_level(LOG_OFF);
    return server_fixture_teardown(state);
}

static void hello(server_fixture *fx, uint32_t session, const char *name, proto_hello_mode mode)
{
    char label[32];
    snprintf(label, sizeof label, "127.0.0.%u:4000", (unsigned)session + 2);
    server_fixture_connect(fx->s, session, proto_connect_data(PROTO_VERSION), label, fx->now_us);
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(name);
    m.u.hello.mode = (uint8_t)mode;
    server_fixture_receive(fx->s, session, &m, fx->now_us);
    server_fixture_clear(fx);
}

static void chat(server_fixture *fx, uint32_t session, uint32_t msg_id)
{
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = msg_id;
    m.u.chat.text = proto_str_from_cstr("hi");
    server_fixture_receive(fx->s, session, &m, fx->now_us);
}

/* Chat from the lobby list is refused; kept at, it is a flood: the sender
 * is put out FLOODING after the flood allowance (flood_limit - 1 refusals
 * in short order), and logged once, not once per refusal. */
static void refused_chat_from_the_list_is_kicked_flooding(void **state)
{
    server_fixture *fx = *state;
    log_set_level(LOG_INFO);
    log_set_sink(count_lines, NULL);
    lines_logged = 0;
    hello(fx, 0, "flooder", PROTO_HELLO_BROWSE);
    uint32_t allowance = fx->cfg.flood_limit - 1;
    for (uint32_t i = 1; i <= allowance; i++)
        chat(fx, 0, i);
    assert_int_equal(server_fixture_disconnect_reason(fx, 0), -1);
    chat(fx, 0, allowance + 1);
    assert_int_equal(server_fixture_disconnect_reason(fx, 0), PROTO_REASON_FLOODING);
    assert_int_equal(server_get_stats(fx->s)->refusal_kicks, 1);
    assert_int_equal(server_get_stats(fx->s)->flood_kicks, 1);
    assert_int_equal(lines_logged, 1);
}

/* Lobby requests over their rate are refused RATE_LIMITED, and a flood of
 * them is put out like a chat flood. */
static void lobby_requests_over_the_rate_are_kicked_flooding(void **state)
{
    server_fixture *fx = *state;
    hello(fx, 0, "lister", PROTO_HELLO_BROWSE);
    proto_msg m = {.type = PROTO_LIST_LOBBIES};
    uint32_t sent = 0;
    while (server_fixture_disconnect_reason(fx, 0) < 0 && sent < 1000) {
        m.u.list_lobbies.request_id = ++sent;
        server_fixture_receive(fx->s, 0, &m, fx->now_us);
    }
    assert_int_equal(server_fixture_disconnect_reason(fx, 0), PROTO_REASON_FLOODING);
    /* the burst of 20 answered, then the allowance of refusals */
    assert_int_equal(sent, 20 + fx->cfg.flood_limit);
    assert_int_equal(server_get_stats(fx->s)->lobby_refusals[PROTO_LOBBY_RATE_LIMITED],
                     fx->cfg.flood_limit);
}

/* A player at the documented rate (5 a second, after its burst of 10) whose
 * lines of a 3 s stall arrive at once: all acknowledged once the loop says
 * it stalled; without that, the 5 past the burst would be refused. */
static size_t chat_backlog(server_fixture *fx, bool note_stall)
{
    hello(fx, 0, "steady", PROTO_HELLO_JOIN);
    for (uint32_t i = 1; i <= 10; i++) /* the burst, spent */
        chat(fx, 0, i);
    server_fixture_clear(fx);
    fx->now_us += 3 * SECOND_US; /* the stall */
    if (note_stall)
        server_note_stall(fx->s, 3 * SECOND_US, fx->now_us);
    for (uint32_t i = 11; i <= 25; i++) /* 3 s at 5 a second */
        chat(fx, 0, i);
    return capture_count_msgs(server_outbox(fx->s), 0, PROTO_CHAT_ACK);
}

static void stall_backlog_at_the_rate_is_acknowledged(void **state)
{
    server_fixture *fx = *state;
    assert_int_equal(chat_backlog(fx, true), 15);
    assert_int_equal(server_get_stats(fx->s)->loop_stalls, 1);
    assert_int_equal(server_get_stats(fx->s)->loop_stall_ms, 3000);
    assert_int_equal(server_fixture_disconnect_reason(fx, 0), -1);
}

static void without_the_stall_the_backlog_is_refused(void **state)
{
    server_fixture *fx = *state;
    assert_int_equal(chat_backlog(fx, false), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_stall_keeps_the_burst),
        cmocka_unit_test(stall_grows_the_cap_for_a_while),
        cmocka_unit_test(stall_credit_is_capped),
        cmocka_unit_test(bucket_grants_what_the_stall_earned),
        cmocka_unit_test(gate_logs_first_then_one_per_window_with_count),
        cmocka_unit_test(gate_keys_peers_and_kinds_apart),
        cmocka_unit_test(async_log_drops_instead_of_blocking),
        cmocka_unit_test_setup_teardown(refused_chat_from_the_list_is_kicked_flooding, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(lobby_requests_over_the_rate_are_kicked_flooding, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stall_backlog_at_the_rate_is_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(without_the_stall_the_backlog_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
