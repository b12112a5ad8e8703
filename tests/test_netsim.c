/* The lobby-netsim scheduling core: delay, jitter, loss, duplication,
 * reordering and the rate limit, with time driven by the test and no sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netsim.h"

enum {
    MS = 1000,
    T0_US = 7 * 1000 * 1000, /* an arbitrary non-zero start time */
    BIG_RUN = 20000,
};

/* One datagram as it came out. */
typedef struct rec {
    uint32_t seq; /* written into the first 4 bytes of the payload */
    uint64_t submit_us, release_us, taken_us;
    bool duplicate, reordered;
} rec;

typedef struct trace {
    rec *r;
    size_t n;
    uint32_t submitted;
} trace;

static netsim_dir *make_dir(const netsim_dir_config *cfg)
{
    netsim_dir *d = NULL;
    assert_int_equal(netsim_dir_create(cfg, &d), NETSIM_OK);
    assert_non_null(d);
    return d;
}

static netsim_dir_config config(uint32_t delay_ms, uint32_t jitter_ms, uint64_t seed)
{
    netsim_dir_config c;
    netsim_dir_config_defaults(&c);
    c.delay_us = delay_ms * MS;
    c.jitter_us = jitter_ms * MS;
    c.seed = seed;
    return c;
}

static void submit_seq(netsim_dir *d, uint32_t seq, size_t size, uint64_t now_us)
{
    uint8_t buf[2000] = {0};
    assert_true(size >= 4 && size <= sizeof buf);
    memcpy(buf, &seq, 4);
    assert_true(netsim_submit(d, buf, size, seq, now_us) >= 0);
}

static void take_due(netsim_dir *d, uint64_t now_us, trace *t)
{
    netsim_packet p;
    while (netsim_next_due(d, now_us, &p)) {
        assert_true(p.release_us <= now_us);
        uint32_t seq;
        memcpy(&seq, p.data, 4);
        assert_int_equal(p.flow_id, seq);
        t->r[t->n++] = (rec){seq, p.submit_us, p.release_us, now_us, p.duplicate, p.reordered};
    }
}

/* Submits count datagrams of size bytes, one every gap_us from T0_US, and takes
 * each one out exactly when it falls due. The caller frees t->r. */
static trace run_stream(netsim_dir *d, uint32_t count, size_t size, uint64_t gap_us)
{
    trace t = {calloc(2 * (size_t)count + 1, sizeof(rec)), 0, 0};
    assert_non_null(t.r);
    for (;;) {
        uint64_t next_submit = t.submitted < count ? T0_US + t.submitted * gap_us : UINT64_MAX;
        uint64_t next_release = netsim_next_release_us(d);
        uint64_t now_us = next_submit < next_release ? next_submit : next_release;
        if (now_us == UINT64_MAX)
            return t;
        take_due(d, now_us, &t);
        if (now_us == next_submit)
            submit_seq(d, t.submitted++, size, now_us);
    }
}

/* Originals (not copies) released after a higher sequence number was. */
static uint32_t count_overtaken(const trace *t)
{
    uint32_t overtaken = 0, highest = 0;
    bool any = false;
    for (size_t i = 0; i < t->n; i++) {
        if (t->r[i].duplicate)
            continue;
        if (any && t->r[i].seq < highest)
            overtaken++;
        if (!any || t->r[i].seq > highest)
            highest = t->r[i].seq;
        any = true;
    }
    return overtaken;
}

static void no_impairment_passes_through_at_once(void **state)
{
    (void)state;
    netsim_dir_config c = config(0, 0, 1);
    netsim_dir *d = make_dir(&c);
    const uint8_t msg[] = "hello";
    assert_int_equal(netsim_submit(d, msg, sizeof msg, 42, T0_US), 1);
    assert_int_equal(netsim_next_release_us(d), T0_US);
    netsim_packet p;
    assert_true(netsim_next_due(d, T0_US, &p));
    assert_int_equal(p.size, sizeof msg);
    assert_memory_equal(p.data, msg, sizeof msg);
    assert_int_equal(p.flow_id, 42);
    assert_false(netsim_next_due(d, T0_US, &p));
    assert_int_equal(netsim_next_release_us(d), UINT64_MAX);
    netsim_dir_destroy(d);
}

static void delay_is_not_released_early(void **state)
{
    (void)state;
    netsim_dir_config c = config(50, 0, 1);
    netsim_dir *d = make_dir(&c);
    submit_seq(d, 0, 100, T0_US);
    netsim_packet p;
    assert_int_equal(netsim_next_release_us(d), T0_US + 50 * MS);
    assert_false(netsim_next_due(d, T0_US + 50 * MS - 1, &p));
    assert_true(netsim_next_due(d, T0_US + 50 * MS, &p));
    assert_int_equal(p.release_us - p.submit_us, 50 * MS);
    netsim_dir_destroy(d);
}

static void delay_keeps_order(void **state)
{
    (void)state;
    netsim_dir_config c = config(50, 0, 1);
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, 500, 64, 300);
    assert_int_equal(t.n, 500);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(t.r[i].seq, i);
        assert_int_equal(t.r[i].release_us - t.r[i].submit_us, 50 * MS);
    }
    free(t.r);
    netsim_dir_destroy(d);
}

static void equal_release_times_keep_submission_order(void **state)
{
    (void)state;
    netsim_dir_config c = config(10, 0, 1);
    netsim_dir *d = make_dir(&c);
    for (uint32_t i = 0; i < 100; i++)
        submit_seq(d, i, 8, T0_US);
    trace t = {calloc(100, sizeof(rec)), 0, 0};
    take_due(d, T0_US + 10 * MS, &t);
    assert_int_equal(t.n, 100);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(t.r[i].seq, i);
    free(t.r);
    netsim_dir_destroy(d);
}

/* Releases 2000 datagrams sent gap_us apart with delay 20 ms and jitter 10 ms;
 * checks every delay is in [10, 30] ms and the order kept, and returns the
 * smallest and largest delay seen. */
static void jitter_run(uint64_t gap_us, uint64_t *lo, uint64_t *hi)
{
    netsim_dir_config c = config(20, 10, 3);
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, 2000, 64, gap_us);
    assert_int_equal(t.n, 2000);
    *lo = UINT64_MAX;
    *hi = 0;
    for (size_t i = 0; i < t.n; i++) {
        uint64_t delay = t.r[i].release_us - t.r[i].submit_us;
        assert_in_range(delay, 10 * MS, 30 * MS);
        *lo = delay < *lo ? delay : *lo;
        *hi = delay > *hi ? delay : *hi;
        assert_int_equal(t.r[i].seq, i);
    }
    free(t.r);
    netsim_dir_destroy(d);
}

static void jitter_uses_its_whole_range_when_sparse(void **state)
{
    (void)state;
    uint64_t lo, hi;
    jitter_run(25 * MS, &lo, &hi); /* sent further apart than the jitter range */
    assert_true(lo < 10 * MS + 200 && hi > 30 * MS - 200);
}

static void jitter_does_not_reorder_a_dense_stream(void **state)
{
    (void)state;
    uint64_t lo, hi;
    jitter_run(1 * MS, &lo, &hi); /* a datagram would overtake: it waits instead */
    assert_true(hi > 29 * MS);
}

static void jitter_above_delay_never_goes_negative(void **state)
{
    (void)state;
    netsim_dir_config c = config(2, 10, 4);
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, 2000, 64, 1 * MS);
    for (size_t i = 0; i < t.n; i++) {
        assert_true(t.r[i].release_us >= t.r[i].submit_us);
        assert_int_equal(t.r[i].seq, i);
    }
    free(t.r);
    netsim_dir_destroy(d);
}

static void reorder_makes_a_fraction_overtaken(void **state)
{
    (void)state;
    netsim_dir_config c = config(20, 5, 5);
    c.reorder_pct = 10.0;
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, BIG_RUN, 64, 1 * MS);
    assert_int_equal(t.n, BIG_RUN);
    const netsim_dir_stats *s = netsim_get_stats(d);
    assert_in_range(s->reordered, BIG_RUN / 10 - 300, BIG_RUN / 10 + 300);
    /* Each held datagram is released after the ones sent in the next 30+ ms. */
    assert_in_range(count_overtaken(&t), s->reordered - 5, s->reordered);
    uint32_t held = 0;
    for (size_t i = 0; i < t.n; i++) {
        held += t.r[i].reordered;
        if (t.r[i].reordered)
            assert_true(t.r[i].release_us - t.r[i].submit_us >= 20 * MS + 20 * MS + 10 * MS);
    }
    assert_int_equal(held, s->reordered);
    free(t.r);
    netsim_dir_destroy(d);
}

/* The seq of every datagram lost at loss_pct with this seed, as a bitmap. */
static void loss_pattern(uint64_t seed, double loss_pct, uint8_t *lost, uint32_t *lost_count)
{
    netsim_dir_config c = config(0, 0, seed);
    c.loss_pct = loss_pct;
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, BIG_RUN, 16, 1 * MS);
    memset(lost, 1, BIG_RUN);
    for (size_t i = 0; i < t.n; i++)
        lost[t.r[i].seq] = 0;
    *lost_count = BIG_RUN - (uint32_t)t.n;
    assert_int_equal(netsim_get_stats(d)->lost, *lost_count);
    free(t.r);
    netsim_dir_destroy(d);
}

static void loss_rate_is_close_and_repeatable(void **state)
{
    (void)state;
    static uint8_t a[BIG_RUN], b[BIG_RUN], other[BIG_RUN];
    uint32_t na, nb, nother;
    loss_pattern(1234, 10.0, a, &na);
    loss_pattern(1234, 10.0, b, &nb);
    loss_pattern(98765, 10.0, other, &nother);
    assert_in_range(na, BIG_RUN * 85 / 1000, BIG_RUN * 115 / 1000); /* 10% +- 1.5 points */
    assert_in_range(nother, BIG_RUN * 85 / 1000, BIG_RUN * 115 / 1000);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, BIG_RUN);
    assert_memory_not_equal(a, other, BIG_RUN);
}

static void fractional_loss_rate(void **state)
{
    (void)state;
    static uint8_t lost[BIG_RUN];
    uint32_t n;
    loss_pattern(77, 0.5, lost, &n);
    assert_in_range(n, 50, 150); /* 0.5% of 20000 is 100 */
}

static void duplicate_rate_and_copies(void **state)
{
    (void)state;
    netsim_dir_config c = config(10, 4, 6);
    c.duplicate_pct = 5.0;
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, BIG_RUN, 32, 1 * MS);
    const netsim_dir_stats *s = netsim_get_stats(d);
    assert_in_range(s->duplicated, BIG_RUN * 35 / 1000, BIG_RUN * 65 / 1000);
    assert_int_equal(t.n, BIG_RUN + s->duplicated);
    assert_int_equal(s->out, t.n);
    /* A copy follows its original within the jitter; originals stay in order;
     * and copies do not hold back what follows, so at 1000 datagrams a second
     * the delay stays bounded (it once grew without limit). */
    for (size_t i = 1; i < t.n; i++) {
        if (!t.r[i].duplicate)
            continue;
        size_t orig = i;
        while (orig > 0 && (t.r[orig].duplicate || t.r[orig].seq != t.r[i].seq))
            orig--;
        assert_int_equal(t.r[orig].seq, t.r[i].seq);
        assert_in_range(t.r[i].release_us - t.r[orig].release_us, 0, 4 * MS);
    }
    assert_int_equal(count_overtaken(&t), 0);
    for (size_t i = 0; i < t.n; i++)
        if (t.r[i].release_us - t.r[i].submit_us >
            19 * MS) /* delay + jitter, + jitter for a copy */
            fail_msg("datagram %zu delayed %llu us", i,
                     (unsigned long long)(t.r[i].release_us - t.r[i].submit_us));
    free(t.r);
    netsim_dir_destroy(d);
}

static void rate_spaces_datagrams_by_serialization_time(void **state)
{
    (void)state;
    netsim_dir_config c = config(0, 0, 1);
    c.rate_bps = 80000; /* 1000 bytes = 8000 bits = 100 ms */
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, 5, 1000, 0);
    assert_int_equal(t.n, 5);
    for (size_t i = 0; i < t.n; i++)
        assert_int_equal(t.r[i].release_us, T0_US + (i + 1) * 100 * MS);
    free(t.r);
    netsim_dir_destroy(d);
}

static void rate_adds_to_delay_and_idles_between_bursts(void **state)
{
    (void)state;
    netsim_dir_config c = config(30, 0, 1);
    c.rate_bps = 80000;
    netsim_dir *d = make_dir(&c);
    trace t = run_stream(d, 4, 500, 200 * MS); /* 50 ms each, sent 200 ms apart: no queue */
    for (size_t i = 0; i < t.n; i++)
        assert_int_equal(t.r[i].release_us - t.r[i].submit_us, 30 * MS + 50 * MS);
    free(t.r);
    netsim_dir_destroy(d);
}

static void rate_queue_over_one_second_drops(void **state)
{
    (void)state;
    netsim_dir_config c = config(0, 0, 1);
    c.rate_bps = 80000;
    netsim_dir *d = make_dir(&c);
    /* Waits of 0, 100, ..., 1000 ms are allowed; the 12th would wait 1100 ms. */
    trace t = run_stream(d, 20, 1000, 0);
    assert_int_equal(t.n, 11);
    assert_int_equal(netsim_get_stats(d)->queue_dropped, 9);
    free(t.r);
    netsim_dir_destroy(d);
}

static void queue_count_limit_drops(void **state)
{
    (void)state;
    netsim_dir_config c = config(100, 0, 1);
    c.queue_max_count = 10;
    netsim_dir *d = make_dir(&c);
    for (uint32_t i = 0; i < 15; i++)
        submit_seq(d, i, 8, T0_US);
    assert_int_equal(netsim_pending(d), 10);
    assert_int_equal(netsim_get_stats(d)->queue_dropped, 5);
    netsim_dir_destroy(d); /* frees what is still pending */
}

static void directions_are_independent(void **state)
{
    (void)state;
    netsim_dir_config up_cfg = config(0, 0, 11), down_cfg = config(40, 0, 12);
    up_cfg.loss_pct = 50.0;
    netsim_dir *up = make_dir(&up_cfg), *down = make_dir(&down_cfg), *alone = make_dir(&down_cfg);
    trace tu = run_stream(up, 1000, 16, 1 * MS);
    trace td = run_stream(down, 1000, 16, 1 * MS);
    trace ta = run_stream(alone, 1000, 16, 1 * MS);
    assert_in_range(tu.n, 400, 600);
    assert_int_equal(td.n, 1000);
    assert_int_equal(netsim_get_stats(down)->lost, 0);
    assert_int_equal(td.r[0].release_us - td.r[0].submit_us, 40 * MS);
    assert_int_equal(tu.r[0].release_us, tu.r[0].submit_us);
    assert_int_equal(ta.n, td.n);
    for (size_t i = 0; i < td.n; i++) /* traffic on up changes nothing on down */
        assert_true(td.r[i].seq == ta.r[i].seq && td.r[i].release_us == ta.r[i].release_us);
    free(tu.r);
    free(td.r);
    free(ta.r);
    netsim_dir_destroy(up);
    netsim_dir_destroy(down);
    netsim_dir_destroy(alone);
}

static void payload_is_copied_and_size_checked(void **state)
{
    (void)state;
    netsim_dir_config c = config(1, 0, 1);
    netsim_dir *d = make_dir(&c);
    uint8_t *big = calloc(1, NETSIM_MAX_DATAGRAM_BYTES + 1);
    assert_non_null(big);
    assert_int_equal(netsim_submit(d, big, NETSIM_MAX_DATAGRAM_BYTES + 1, 0, T0_US),
                     NETSIM_ERR_TOO_BIG);
    big[0] = 0xAB;
    assert_int_equal(netsim_submit(d, big, NETSIM_MAX_DATAGRAM_BYTES, 0, T0_US), 1);
    assert_int_equal(netsim_submit(d, big, 0, 1, T0_US), 1);
    big[0] = 0; /* the queued copy must not change */
    netsim_packet p;
    assert_true(netsim_next_due(d, T0_US + MS, &p));
    assert_int_equal(p.size, NETSIM_MAX_DATAGRAM_BYTES);
    assert_int_equal(p.data[0], 0xAB);
    assert_true(netsim_next_due(d, T0_US + MS, &p));
    assert_int_equal(p.size, 0);
    free(big);
    netsim_dir_destroy(d);
}

static void bad_config_is_refused(void **state)
{
    (void)state;
    netsim_dir_config c = config(0, 0, 1);
    netsim_dir *d = NULL;
    c.loss_pct = 100.5;
    assert_int_equal(netsim_dir_create(&c, &d), NETSIM_ERR_CONFIG);
    c.loss_pct = 0;
    c.queue_max_count = 0;
    assert_int_equal(netsim_dir_create(&c, &d), NETSIM_ERR_CONFIG);
    assert_null(d);
    assert_string_equal(netsim_strerror(NETSIM_ERR_TOO_BIG), "datagram larger than 65536 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_impairment_passes_through_at_once),
        cmocka_unit_test(delay_is_not_released_early),
        cmocka_unit_test(delay_keeps_order),
        cmocka_unit_test(equal_release_times_keep_submission_order),
        cmocka_unit_test(jitter_uses_its_whole_range_when_sparse),
        cmocka_unit_test(jitter_does_not_reorder_a_dense_stream),
        cmocka_unit_test(jitter_above_delay_never_goes_negative),
        cmocka_unit_test(reorder_makes_a_fraction_overtaken),
        cmocka_unit_test(loss_rate_is_close_and_repeatable),
        cmocka_unit_test(fractional_loss_rate),
        cmocka_unit_test(duplicate_rate_and_copies),
        cmocka_unit_test(rate_spaces_datagrams_by_serialization_time),
        cmocka_unit_test(rate_adds_to_delay_and_idles_between_bursts),
        cmocka_unit_test(rate_queue_over_one_second_drops),
        cmocka_unit_test(queue_count_limit_drops),
        cmocka_unit_test(directions_are_independent),
        cmocka_unit_test(payload_is_copied_and_size_checked),
        cmocka_unit_test(bad_config_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
