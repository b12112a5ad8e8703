/* The benchmark's latency histogram: bounded error, exact ranks, merging. */
#include "histogram.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static int setup(void **state)
{
    static histogram h;
    *state = &h;
    return histogram_init(&h);
}

static int teardown(void **state)
{
    histogram_deinit(*state);
    return 0;
}

static void empty_histogram_reports_zero(void **state)
{
    histogram *h = *state;
    assert_int_equal(histogram_percentile(h, 50), 0);
    assert_true(histogram_mean(h) == 0.0);
}

/* 1..1000 once each: percentile p is exactly the value p * 10. */
static void small_values_are_exact(void **state)
{
    histogram *h = *state;
    for (uint64_t v = 1; v <= 1000; v++)
        histogram_record(h, v);
    assert_int_equal(histogram_percentile(h, 50), 500);
    assert_int_equal(histogram_percentile(h, 99), 990);
    assert_int_equal(histogram_percentile(h, 99.9), 999);
    assert_int_equal(histogram_percentile(h, 100), 1000);
    assert_int_equal(histogram_percentile(h, 0), 1);
    assert_true(histogram_mean(h) == 500.5);
}

/* Every value from 1 us to 10^10 us comes back within 0.1 %. */
static void large_values_within_a_tenth_of_a_percent(void **state)
{
    histogram *h = *state;
    for (uint64_t v = 3000; v < UINT64_C(10000000000); v = v * 7 / 5 + 13) {
        histogram_deinit(h);
        histogram_init(h);
        histogram_record(h, v);
        histogram_record(h, v * 2); /* so the answer is not clamped to max */
        uint64_t got = histogram_percentile(h, 50);
        assert_true(got >= v);
        assert_true((double)(got - v) <= (double)v * 0.001);
    }
}

static void tail_percentiles_pick_the_outliers(void **state)
{
    histogram *h = *state;
    for (int i = 0; i < 9990; i++)
        histogram_record(h, 1000);
    for (int i = 0; i < 10; i++)
        histogram_record(h, 50000);
    assert_true(histogram_percentile(h, 99.9) <= 1001);
    assert_true(histogram_percentile(h, 99.91) >= 49950);
    assert_int_equal(histogram_percentile(h, 100), 50000);
}

static void huge_values_clamp_into_the_last_bucket(void **state)
{
    histogram *h = *state;
    histogram_record(h, UINT64_MAX);
    assert_int_equal(h->total, 1);
    assert_int_equal(histogram_percentile(h, 100), UINT64_MAX);
}

static void merge_adds_counts_and_extremes(void **state)
{
    histogram *h = *state;
    histogram other;
    assert_int_equal(histogram_init(&other), 0);
    histogram_record(h, 10);
    histogram_record(&other, 20);
    histogram_record(&other, 30);
    histogram_merge(h, &other);
    assert_int_equal(h->total, 3);
    assert_int_equal(h->min, 10);
    assert_int_equal(h->max, 30);
    assert_int_equal(histogram_percentile(h, 50), 20);
    histogram_deinit(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(empty_histogram_reports_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(small_values_are_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(large_values_within_a_tenth_of_a_percent, setup, teardown),
        cmocka_unit_test_setup_teardown(tail_percentiles_pick_the_outliers, setup, teardown),
        cmocka_unit_test_setup_teardown(huge_values_clamp_into_the_last_bucket, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_adds_counts_and_extremes, setup, teardown),
    };
    return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
