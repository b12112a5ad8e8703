/* Byte budgets per address: a reply is allowed while the key is not in debt,
 * its size is charged after (into debt if need be), the bucket refills with
 * time passed in by the test, keys do not share budgets, and a table full of
 * keys forgets refilled ones first, so memory stays fixed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "addr_budget.h"

enum {
    SECOND_US = 1000 * 1000,
    T0_US = 5 * SECOND_US,
    RATE = 1000,  /* bytes a second */
    BURST = 4000, /* bytes back to back */
};

/* Replies of `bytes` answered back to back at now_us until the first refusal. */
static unsigned answered(addr_budget *b, uint64_t key, size_t bytes, uint64_t now_us)
{
    unsigned n = 0;
    while (n < 1000 && addr_budget_allows(b, key, now_us)) {
        addr_budget_charge(b, key, bytes, now_us);
        n++;
    }
    return n;
}

static void burst_then_refused(void **state)
{
    (void)state;
    addr_budget b;
    assert_int_equal(addr_budget_init(&b, 16, RATE, BURST), 0);
    assert_int_equal(answered(&b, 1, 1000, T0_US), 4);
    assert_false(addr_budget_allows(&b, 1, T0_US));
    /* Half a second brings 500 bytes back: one more reply, 500 into debt. */
    assert_int_equal(answered(&b, 1, 1000, T0_US + SECOND_US / 2), 1);
    assert_false(addr_budget_allows(&b, 1, T0_US + SECOND_US - 1));
    assert_true(addr_budget_allows(&b, 1, T0_US + SECOND_US + 1));
    addr_budget_deinit(&b);
}

static void a_large_reply_goes_into_debt(void **state)
{
    (void)state;
    addr_budget b;
    assert_int_equal(addr_budget_init(&b, 16, RATE, BURST), 0);
    /* One reply larger than the burst is answered, then 6 s of debt. */
    assert_int_equal(answered(&b, 1, 10000, T0_US), 1);
    assert_false(addr_budget_allows(&b, 1, T0_US + 6 * SECOND_US - 1));
    assert_true(addr_budget_allows(&b, 1, T0_US + 6 * SECOND_US + 1));
    addr_budget_deinit(&b);
}

static void sustained_bytes_stay_under_the_rate(void **state)
{
    (void)state;
    addr_budget b;
    assert_int_equal(addr_budget_init(&b, 16, RATE, BURST), 0);
    size_t sent = 0;
    for (uint64_t t = 0; t < 60 * SECOND_US; t += SECOND_US / 100) /* 100 asks a second */
        if (addr_budget_allows(&b, 7, T0_US + t)) {
            addr_budget_charge(&b, 7, 700, T0_US + t);
            sent += 700;
        }
    assert_true(sent <= BURST + 60 * RATE + 700);
    assert_true(sent >= 60 * RATE); /* and the budget is not lost either */
    addr_budget_deinit(&b);
}

static void keys_do_not_share(void **state)
{
    (void)state;
    addr_budget b;
    assert_int_equal(addr_budget_init(&b, 16, RATE, BURST), 0);
    assert_int_equal(answered(&b, 1, 1000, T0_US), 4);
    assert_int_equal(answered(&b, 2, 1000, T0_US), 4);
    addr_budget_deinit(&b);
}

/* More keys than the table holds: the refilled are forgotten (which changes
 * nothing), the ones in debt are kept while there is room. */
static void a_full_table_forgets_refilled_keys_first(void **state)
{
    (void)state;
    addr_budget b;
    assert_int_equal(addr_budget_init(&b, 4, RATE, BURST), 0);
    assert_int_equal(answered(&b, 1000, 100 * RATE, T0_US), 1); /* 96 s in debt */
    for (uint64_t key = 1; key <= 200; key++) /* 1 byte each, refilled 1 ms later */
        addr_budget_charge(&b, key, 1, T0_US + key * SECOND_US / 100);
    assert_false(addr_budget_allows(&b, 1000, T0_US + 3 * SECOND_US));
    assert_true(b.count <= b.cap / 2 + 1);
    assert_int_equal(b.forgotten_in_debt, 0);
    addr_budget_deinit(&b);
}

static void nonsense_is_refused(void **state)
{
    (void)state;
    addr_budget b;
    assert_int_equal(addr_budget_init(&b, 0, RATE, BURST), -1);
    assert_int_equal(addr_budget_init(&b, 4, 0.0, BURST), -1);
    assert_int_equal(addr_budget_init(&b, 4, RATE, -1.0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_refused),
        cmocka_unit_test(a_large_reply_goes_into_debt),
        cmocka_unit_test(sustained_bytes_stay_under_the_rate),
        cmocka_unit_test(keys_do_not_share),
        cmocka_unit_test(a_full_table_forgets_refilled_keys_first),
        cmocka_unit_test(nonsense_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
