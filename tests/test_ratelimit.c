/* The chat token bucket: starts full, refuses when empty, refills at per_s
 * with time passed in by the test, never holds more than burst. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

enum {
    SECOND_US = 1000 * 1000,
    T0_US = 5 * SECOND_US, /* an arbitrary non-zero start time */
};

/* Takes tokens back to back at now_us; returns how many were granted before
 * the first refusal (at most limit). */
static unsigned take_until_refused(rate_bucket *b, double per_s, double burst, uint64_t now_us,
                                   unsigned limit)
{
    unsigned granted = 0;
    while (granted < limit && rate_bucket_take(b, per_s, burst, now_us))
        granted++;
    return granted;
}

static void bucket_starts_full(void **state)
{
    (void)state;
    static const double bursts[] = {1.0, 3.0, 10.0};
    for (size_t i = 0; i < sizeof bursts / sizeof bursts[0]; i++) {
        rate_bucket b;
        rate_bucket_init(&b, bursts[i], T0_US);
        assert_int_equal(take_until_refused(&b, 1.0, bursts[i], T0_US, 100), (unsigned)bursts[i]);
    }
}

static void bucket_refuses_when_empty(void **state)
{
    (void)state;
    rate_bucket b;
    rate_bucket_init(&b, 2.0, T0_US);
    assert_true(rate_bucket_take(&b, 1.0, 2.0, T0_US));
    assert_true(rate_bucket_take(&b, 1.0, 2.0, T0_US));
    assert_false(rate_bucket_take(&b, 1.0, 2.0, T0_US));
    assert_false(rate_bucket_take(&b, 1.0, 2.0, T0_US));
}

static void bucket_refills_at_rate(void **state)
{
    (void)state;
    /* 4 tokens a second: one every 250 ms. */
    rate_bucket b;
    rate_bucket_init(&b, 3.0, T0_US);
    assert_int_equal(take_until_refused(&b, 4.0, 3.0, T0_US, 100), 3);
    assert_false(rate_bucket_take(&b, 4.0, 3.0, T0_US + 249 * 1000));
    assert_true(rate_bucket_take(&b, 4.0, 3.0, T0_US + 250 * 1000));
    assert_false(rate_bucket_take(&b, 4.0, 3.0, T0_US + 250 * 1000));
}

static void bucket_refill_grants_whole_tokens_elapsed(void **state)
{
    (void)state;
    rate_bucket b;
    rate_bucket_init(&b, 5.0, T0_US);
    assert_int_equal(take_until_refused(&b, 2.0, 5.0, T0_US, 100), 5);
    /* 1.5 s at 2/s: three tokens. */
    assert_int_equal(take_until_refused(&b, 2.0, 5.0, T0_US + 1500 * 1000, 100), 3);
}

static void bucket_never_exceeds_burst(void **state)
{
    (void)state;
    rate_bucket b;
    rate_bucket_init(&b, 3.0, T0_US);
    /* An hour idle at 5/s would be 18000 tokens; the bucket holds 3. */
    assert_int_equal(take_until_refused(&b, 5.0, 3.0, T0_US + 3600ull * SECOND_US, 100), 3);
}

static void bucket_never_exceeds_burst_after_partial_use(void **state)
{
    (void)state;
    rate_bucket b;
    rate_bucket_init(&b, 3.0, T0_US);
    assert_true(rate_bucket_take(&b, 5.0, 3.0, T0_US));
    assert_int_equal(take_until_refused(&b, 5.0, 3.0, T0_US + 60ull * SECOND_US, 100), 3);
}

static void bucket_refused_take_keeps_partial_refill(void **state)
{
    (void)state;
    /* A refused take at 0.5 s must not throw away the half token earned. */
    rate_bucket b;
    rate_bucket_init(&b, 1.0, T0_US);
    assert_true(rate_bucket_take(&b, 1.0, 1.0, T0_US));
    assert_false(rate_bucket_take(&b, 1.0, 1.0, T0_US + SECOND_US / 2));
    assert_true(rate_bucket_take(&b, 1.0, 1.0, T0_US + SECOND_US));
}

static void bucket_time_going_backwards_grants_nothing(void **state)
{
    (void)state;
    rate_bucket b;
    rate_bucket_init(&b, 1.0, T0_US);
    assert_true(rate_bucket_take(&b, 1.0, 1.0, T0_US));
    assert_false(rate_bucket_take(&b, 1.0, 1.0, T0_US - 2 * SECOND_US));
    assert_false(rate_bucket_take(&b, 1.0, 1.0, T0_US));
    assert_true(rate_bucket_take(&b, 1.0, 1.0, T0_US + SECOND_US));
}

/* ---- fractional rates ----------------------------------------------------- */

typedef struct fractional_case {
    double per_s;
    uint64_t period_us; /* 1 / per_s */
} fractional_case;

static const fractional_case fractional_cases[] = {
    {0.1, 10ull * SECOND_US},
    {0.5, 2ull * SECOND_US},
    {0.25, 4ull * SECOND_US},
};

static void bucket_fractional_rate_refuses_before_period(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fractional_cases / sizeof fractional_cases[0]; i++) {
        const fractional_case *c = &fractional_cases[i];
        rate_bucket b;
        rate_bucket_init(&b, 1.0, T0_US);
        assert_true(rate_bucket_take(&b, c->per_s, 1.0, T0_US));
        assert_false(rate_bucket_take(&b, c->per_s, 1.0, T0_US + c->period_us / 2));
        assert_false(rate_bucket_take(&b, c->per_s, 1.0, T0_US + c->period_us - 1000));
    }
}

static void bucket_fractional_rate_grants_after_period(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fractional_cases / sizeof fractional_cases[0]; i++) {
        const fractional_case *c = &fractional_cases[i];
        rate_bucket b;
        rate_bucket_init(&b, 1.0, T0_US);
        assert_true(rate_bucket_take(&b, c->per_s, 1.0, T0_US));
        assert_true(rate_bucket_take(&b, c->per_s, 1.0, T0_US + c->period_us));
        assert_false(rate_bucket_take(&b, c->per_s, 1.0, T0_US + c->period_us));
    }
}

static void bucket_fractional_rate_sustained(void **state)
{
    (void)state;
    /* One message every 10 s at 0.1/s, a hundred times over, then one early. */
    rate_bucket b;
    rate_bucket_init(&b, 1.0, T0_US);
    uint64_t now = T0_US;
    for (int i = 0; i < 100; i++, now += 10ull * SECOND_US)
        assert_true(rate_bucket_take(&b, 0.1, 1.0, now));
    /* The last grant was at now - 10 s; 5 s later is too early. */
    assert_false(rate_bucket_take(&b, 0.1, 1.0, now - 5ull * SECOND_US));
}

/* Regression: refills earned in small steps (ten of 0.1 token) sum to a
 * hair under one token in floating point; the bucket must still grant it. */
static void bucket_fractional_rate_grants_on_time_despite_early_attempts(void **state)
{
    (void)state;
    /* A client retrying every second at 0.1/s still gets its token at 10 s:
     * the refill must not lose precision when earned in small steps. */
    rate_bucket b;
    rate_bucket_init(&b, 1.0, T0_US);
    assert_true(rate_bucket_take(&b, 0.1, 1.0, T0_US));
    for (uint64_t s = 1; s < 10; s++)
        assert_false(rate_bucket_take(&b, 0.1, 1.0, T0_US + s * SECOND_US));
    if (!rate_bucket_take(&b, 0.1, 1.0, T0_US + 10ull * SECOND_US))
        fail_msg("refused at 10 s with %.17g tokens after ten 0.1-token refills", b.tokens);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_starts_full),
        cmocka_unit_test(bucket_refuses_when_empty),
        cmocka_unit_test(bucket_refills_at_rate),
        cmocka_unit_test(bucket_refill_grants_whole_tokens_elapsed),
        cmocka_unit_test(bucket_never_exceeds_burst),
        cmocka_unit_test(bucket_never_exceeds_burst_after_partial_use),
        cmocka_unit_test(bucket_refused_take_keeps_partial_refill),
        cmocka_unit_test(bucket_time_going_backwards_grants_nothing),
        cmocka_unit_test(bucket_fractional_rate_refuses_before_period),
        cmocka_unit_test(bucket_fractional_rate_grants_after_period),
        cmocka_unit_test(bucket_fractional_rate_sustained),
        cmocka_unit_test(bucket_fractional_rate_grants_on_time_despite_early_attempts),
    };
    return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
