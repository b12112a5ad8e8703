/* The client's game logic without SDL or sockets: input to movement, remote
 * interpolation, and the chat log's delivery states. Time is driven here. */
#include "chat_log.h"
#include "interp.h"
#include "movement.h"
#include "proto.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SPEED 300.0f

static void assert_near(float got, float want, float tolerance)
{
    if (fabsf(got - want) > tolerance)
        fail_msg("got %f, want %f (+-%f)", (double)got, (double)want, (double)tolerance);
}

/* ---- movement ----------------------------------------------------------------- */

/* The same second of holding a key moves the same distance at any frame rate. */
static void movement_speed_independent_of_frame_rate(void **state)
{
    (void)state;
    const int rates[] = {15, 30, 60, 144, 240};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        float x = 100.0f, y = 100.0f;
        for (int f = 0; f < rates[r]; f++)
            movement_step(&x, &y, false, false, false, true, SPEED, 1.0 / rates[r]);
        assert_near(x, 100.0f + SPEED, 0.05f);
        assert_near(y, 100.0f, 0.0f);
    }
}

static void movement_diagonal_is_not_faster(void **state)
{
    (void)state;
    float x = 500.0f, y = 500.0f;
    movement_step(&x, &y, true, false, false, true, SPEED, 0.1);
    float moved = sqrtf((x - 500.0f) * (x - 500.0f) + (y - 500.0f) * (y - 500.0f));
    assert_near(moved, SPEED * 0.1f, 0.01f);
    assert_true(x > 500.0f && y < 500.0f); /* up is towards y = 0 */
}

static void movement_opposite_keys_cancel(void **state)
{
    (void)state;
    float x = 500.0f, y = 500.0f;
    movement_step(&x, &y, true, true, true, true, SPEED, 0.1);
    assert_near(x, 500.0f, 0.0f);
    assert_near(y, 500.0f, 0.0f);
}

static void movement_clamped_to_world(void **state)
{
    (void)state;
    float x = 5.0f, y = PROTO_WORLD_HEIGHT - 5.0f;
    movement_step(&x, &y, false, true, true, false, SPEED, 0.1);
    assert_near(x, 0.0f, 0.0f);
    assert_near(y, PROTO_WORLD_HEIGHT, 0.0f);
}

/* A frame that took two seconds (window dragged, debugger) moves 0.1 s worth. */
static void movement_long_frame_is_capped(void **state)
{
    (void)state;
    float x = 100.0f, y = 100.0f;
    movement_step(&x, &y, false, false, false, true, SPEED, 2.0);
    assert_near(x, 100.0f + SPEED * 0.1f, 0.01f);
}

/* ---- interpolation ------------------------------------------------------------ */

enum { MS = 1000 };

/* Updates sent every 50 ms, each arriving 10 ms later (our clock = theirs + 10 ms). */
static interp_track straight_line_track(void)
{
    interp_track t;
    interp_init(&t, 0.0f, 0.0f);
    for (int i = 1; i <= 5; i++) {
        uint64_t sent = (uint64_t)i * 50 * MS;
        assert_true(interp_push(&t, sent, (float)i * 10.0f, 0.0f, sent + 10 * MS));
    }
    return t;
}

static void interp_halfway_between_updates(void **state)
{
    (void)state;
    interp_track t = straight_line_track();
    float x, y;
    /* Now = 185 ms (ours) -> 175 ms theirs -> less 100 ms delay = 75 ms: between 50 and 100. */
    interp_position(&t, 185 * MS, 100 * MS, &x, &y);
    assert_near(x, 15.0f, 0.01f);
    assert_near(y, 0.0f, 0.0f);
}

static void interp_holds_newest_when_updates_stop(void **state)
{
    (void)state;
    interp_track t = straight_line_track();
    float x, y;
    interp_position(&t, 10 * 1000 * MS, 100 * MS, &x, &y);
    assert_near(x, 50.0f, 0.0f);
}

static void interp_before_first_update_shows_oldest(void **state)
{
    (void)state;
    interp_track t = straight_line_track();
    float x, y;
    interp_position(&t, 20 * MS, 100 * MS, &x, &y);
    assert_near(x, 10.0f, 0.0f);
}

static void interp_refuses_stale_and_duplicate_updates(void **state)
{
    (void)state;
    interp_track t = straight_line_track();
    assert_false(interp_push(&t, 200 * MS, -99.0f, 0.0f, 400 * MS));
    assert_false(interp_push(&t, 250 * MS, -99.0f, 0.0f, 400 * MS));
    float x, y;
    interp_position(&t, 10 * 1000 * MS, 100 * MS, &x, &y);
    assert_near(x, 50.0f, 0.0f);
}

/* Before any update the track shows where the welcome put the player. */
static void interp_starts_at_initial_position(void **state)
{
    (void)state;
    interp_track t;
    interp_init(&t, 321.0f, 123.0f);
    float x, y;
    interp_position(&t, 5 * 1000 * MS, 100 * MS, &x, &y);
    assert_near(x, 321.0f, 0.0f);
    assert_near(y, 123.0f, 0.0f);
}

/* Deterministic pseudo-random numbers for the network below. */
static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* A player walking right at 200 units/s, updates at 20 Hz through a network
 * with 0-40 ms of jitter, 10% loss and reordering, drawn at 60 Hz: the drawn
 * x never goes backwards and stays close to where the player really was. */
static void interp_smooth_under_jitter_loss_and_reordering(void **state)
{
    (void)state;
    enum { UPDATES = 200, SEND_MS = 50, DELAY_MS = 100 };
    uint64_t arrival[UPDATES];
    uint32_t rng = 12345;
    for (int i = 0; i < UPDATES; i++) {
        bool lost = next_rand(&rng) % 10 == 0;
        arrival[i] = lost ? 0 : (uint64_t)(i * SEND_MS + 20 + (int)(next_rand(&rng) % 40)) * MS;
    }
    interp_track t;
    interp_init(&t, 0.0f, 0.0f);
    float last_x = -1.0f;
    for (uint64_t now = 20 * MS; now < (uint64_t)UPDATES * SEND_MS * MS; now += 16667) {
        for (int i = 0; i < UPDATES; i++) /* deliver in arrival order, whatever the send order */
            if (arrival[i] != 0 && arrival[i] <= now && arrival[i] > now - 16667)
                interp_push(&t, (uint64_t)i * SEND_MS * MS, (float)i * SEND_MS * 0.2f, 0.0f,
                            arrival[i]);
        float x, y;
        interp_position(&t, now, DELAY_MS * MS, &x, &y);
        assert_true(x >= last_x);
        last_x = x;
        /* Shown DELAY_MS plus the fastest transit behind the truth; two
         * updates lost in a row may hold it up to 100 ms (20 units) longer. */
        float truth = (float)((double)now / 1000.0 - 20.0 - DELAY_MS) * 0.2f;
        if (now > 400 * MS)
            assert_near(x, truth, 20.0f);
    }
}

/* ---- chat log ------------------------------------------------------------------- */

static void chat_own_message_pending_then_acked(void **state)
{
    (void)state;
    chat_log log;
    chat_log_init(&log);
    chat_log_own(&log, "me", 0x112233, 7, "hello", 5);
    assert_int_equal(chat_log_line(&log, 0)->own_state, CHAT_OWN_PENDING);
    assert_true(chat_log_ack(&log, 7, 42));
    const chat_line *line = chat_log_line(&log, 0);
    assert_int_equal(line->own_state, CHAT_OWN_ACKED);
    assert_int_equal(line->seq, 42);
    assert_string_equal(line->text, "hello");
    assert_false(chat_log_ack(&log, 7, 43)); /* only once */
}

static void chat_refusal_keeps_reason(void **state)
{
    (void)state;
    chat_log log;
    chat_log_init(&log);
    chat_log_own(&log, "me", 0x112233, 1, "spam", 4);
    assert_true(chat_log_refuse(&log, 1, "sending too fast"));
    assert_int_equal(chat_log_line(&log, 0)->own_state, CHAT_OWN_REFUSED);
    assert_string_equal(chat_log_line(&log, 0)->note, "sending too fast");
}

static void chat_lost_connection_fails_pending_only(void **state)
{
    (void)state;
    chat_log log;
    chat_log_init(&log);
    chat_log_own(&log, "me", 1, 1, "a", 1);
    chat_log_own(&log, "me", 1, 2, "b", 1);
    chat_log_ack(&log, 1, 10);
    chat_log_fail_pending(&log, "not delivered: connection lost");
    assert_int_equal(chat_log_line(&log, 0)->own_state, CHAT_OWN_ACKED);
    assert_int_equal(chat_log_line(&log, 1)->own_state, CHAT_OWN_REFUSED);
}

static void chat_log_keeps_newest_lines(void **state)
{
    (void)state;
    chat_log *log = malloc(sizeof *log);
    chat_log_init(log);
    for (int i = 0; i < CHAT_LOG_LINES + 5; i++)
        chat_log_system(log, "line %d", i);
    assert_int_equal(chat_log_count(log), CHAT_LOG_LINES);
    assert_string_equal(chat_log_line(log, 0)->text, "line 5");
    char want[32];
    snprintf(want, sizeof want, "line %d", CHAT_LOG_LINES + 4);
    assert_string_equal(chat_log_line(log, CHAT_LOG_LINES - 1)->text, want);
    assert_null(chat_log_line(log, CHAT_LOG_LINES));
    free(log);
}

static void chat_message_from_others_keeps_colour_and_seq(void **state)
{
    (void)state;
    chat_log log;
    chat_log_init(&log);
    chat_log_message(&log, "bob", 0x3CB44B, 9, "hi there");
    const chat_line *line = chat_log_line(&log, 0);
    assert_int_equal(line->kind, CHAT_LINE_MESSAGE);
    assert_int_equal(line->colour, 0x3CB44B);
    assert_int_equal(line->seq, 9);
    assert_string_equal(line->who, "bob");
}

static void chat_message_from_text_client_is_marked(void **state)
{
    (void)state;
    chat_log log;
    chat_log_init(&log);
    chat_log_message(&log, "bob", 0x3CB44B, 9, "player");
    chat_log_text_message(&log, "ann", 10, "from netcat");
    assert_false(chat_log_line(&log, 0)->from_text);
    const chat_line *line = chat_log_line(&log, 1);
    assert_int_equal(line->kind, CHAT_LINE_MESSAGE);
    assert_true(line->from_text);
    assert_int_equal(line->seq, 10);
    assert_int_equal(line->colour, CHAT_TEXT_CLIENT_COLOUR);
    assert_string_equal(line->who, "ann");
    assert_string_equal(line->text, "from netcat");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(movement_speed_independent_of_frame_rate),
        cmocka_unit_test(movement_diagonal_is_not_faster),
        cmocka_unit_test(movement_opposite_keys_cancel),
        cmocka_unit_test(movement_clamped_to_world),
        cmocka_unit_test(movement_long_frame_is_capped),
        cmocka_unit_test(interp_halfway_between_updates),
        cmocka_unit_test(interp_holds_newest_when_updates_stop),
        cmocka_unit_test(interp_before_first_update_shows_oldest),
        cmocka_unit_test(interp_refuses_stale_and_duplicate_updates),
        cmocka_unit_test(interp_starts_at_initial_position),
        cmocka_unit_test(interp_smooth_under_jitter_loss_and_reordering),
        cmocka_unit_test(chat_own_message_pending_then_acked),
        cmocka_unit_test(chat_refusal_keeps_reason),
        cmocka_unit_test(chat_lost_connection_fails_pending_only),
        cmocka_unit_test(chat_log_keeps_newest_lines),
        cmocka_unit_test(chat_message_from_others_keeps_colour_and_seq),
        cmocka_unit_test(chat_message_from_text_client_is_marked),
    };
    return cmocka_run_group_tests_name("game core", tests, NULL, NULL);
}
