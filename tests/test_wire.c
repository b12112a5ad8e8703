/* The bounded little-endian reader and writer: byte order of every width,
 * the sticky overflow flag on both sides, views and the "done" check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

/* ---- writer ------------------------------------------------------------- */

static void write_u8_stores_one_byte(void **state)
{
    (void)state;
    uint8_t buf[1] = {0};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u8(&w, 0xAB);
    assert_true(w.ok);
    assert_int_equal(w.len, 1);
    assert_int_equal(buf[0], 0xAB);
}

static void write_u16_is_little_endian(void **state)
{
    (void)state;
    uint8_t buf[2];
    const uint8_t want[] = {0x34, 0x12};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u16(&w, 0x1234);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void write_u32_is_little_endian(void **state)
{
    (void)state;
    uint8_t buf[4];
    const uint8_t want[] = {0x78, 0x56, 0x34, 0x12};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u32(&w, 0x12345678u);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void write_u64_is_little_endian(void **state)
{
    (void)state;
    uint8_t buf[8];
    const uint8_t want[] = {0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u64(&w, 0x0123456789ABCDEFull);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void write_f32_is_ieee_bits_little_endian(void **state)
{
    (void)state;
    uint8_t buf[8];
    const uint8_t want[] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x80}; /* 1.0f, -0.0f */
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_f32(&w, 1.0f);
    wire_write_f32(&w, -0.0f);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void write_bytes_copies_in_order(void **state)
{
    (void)state;
    uint8_t buf[5];
    const uint8_t want[] = {0x01, 'a', 'b', 'c', 'd'};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u8(&w, 0x01);
    wire_write_bytes(&w, "abcd", 4);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void write_bytes_of_zero_length_is_ok(void **state)
{
    (void)state;
    uint8_t buf[1];
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_bytes(&w, NULL, 0);
    assert_true(w.ok);
    assert_int_equal(w.len, 0);
}

static void writer_filling_exactly_to_capacity_is_ok(void **state)
{
    (void)state;
    uint8_t buf[7];
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u8(&w, 1);
    wire_write_u16(&w, 2);
    wire_write_u32(&w, 3);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof buf);
}

static void writer_overflow_clears_ok_and_writes_nothing(void **state)
{
    (void)state;
    uint8_t buf[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    const uint8_t untouched[] = {0x01, 0xEE, 0xEE, 0xEE};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u8(&w, 0x01);
    wire_write_u32(&w, 0x12345678u); /* needs 4, only 3 left */
    assert_false(w.ok);
    assert_int_equal(w.len, 1);
    assert_memory_equal(buf, untouched, sizeof buf);
}

static void writer_overflow_is_sticky(void **state)
{
    (void)state;
    uint8_t buf[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u64(&w, 1);
    /* Each of these would fit on its own; after the overflow they must not land. */
    wire_write_u8(&w, 0x01);
    wire_write_u16(&w, 0x0202);
    wire_write_f32(&w, 1.0f);
    wire_write_bytes(&w, "x", 1);
    assert_false(w.ok);
    assert_int_equal(w.len, 0);
    assert_int_equal(buf[0], 0xEE);
}

static void writer_with_zero_capacity_overflows_on_first_byte(void **state)
{
    (void)state;
    uint8_t buf[1] = {0xEE};
    wire_writer w;
    wire_writer_init(&w, buf, 0);
    wire_write_u8(&w, 0x01);
    assert_false(w.ok);
    assert_int_equal(w.len, 0);
    assert_int_equal(buf[0], 0xEE);
}

/* ---- reader ------------------------------------------------------------- */

static void read_u8_returns_byte(void **state)
{
    (void)state;
    const uint8_t in[] = {0xAB};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u8(&r), 0xAB);
    assert_true(r.ok);
    assert_int_equal(r.pos, 1);
}

static void read_u16_is_little_endian(void **state)
{
    (void)state;
    const uint8_t in[] = {0x34, 0x12};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u16(&r), 0x1234);
    assert_true(r.ok);
}

static void read_u32_is_little_endian(void **state)
{
    (void)state;
    const uint8_t in[] = {0x78, 0x56, 0x34, 0x12};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u32(&r), 0x12345678u);
    assert_true(r.ok);
}

static void read_u32_keeps_high_bit(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x00, 0x00, 0x80};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u32(&r), 0x80000000u);
}

static void read_u64_is_little_endian(void **state)
{
    (void)state;
    const uint8_t in[] = {0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u64(&r), 0x0123456789ABCDEFull);
    assert_true(r.ok);
}

static void read_u64_keeps_high_byte(void **state)
{
    (void)state;
    const uint8_t in[] = {0, 0, 0, 0, 0, 0, 0, 0xFF};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u64(&r), 0xFF00000000000000ull);
}

static void read_f32_is_ieee_bits_little_endian(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x80};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    float one = wire_read_f32(&r);
    float minus_zero = wire_read_f32(&r);
    uint32_t bits;
    memcpy(&bits, &minus_zero, sizeof bits);
    assert_true(one == 1.0f);
    assert_true(bits == 0x80000000u);
    assert_true(r.ok);
}

static void read_overflow_yields_zero_and_clears_ok(void **state)
{
    (void)state;
    const uint8_t in[] = {0xFF, 0xFF, 0xFF};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_int_equal(wire_read_u32(&r), 0);
    assert_false(r.ok);
    assert_int_equal(r.pos, 0);
}

static void read_overflow_is_sticky(void **state)
{
    (void)state;
    const uint8_t in[] = {0xFF, 0xFF, 0xFF};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u64(&r);
    /* Each of these would fit on its own; after the overflow they yield 0. */
    assert_int_equal(wire_read_u8(&r), 0);
    assert_int_equal(wire_read_u16(&r), 0);
    assert_true(wire_read_f32(&r) == 0.0f);
    assert_null(wire_read_view(&r, 1));
    assert_false(r.ok);
    assert_int_equal(r.pos, 0);
}

static void read_of_every_width_past_end_yields_zero(void **state)
{
    (void)state;
    const uint8_t in[] = {0xFF};
    wire_reader r;

    wire_reader_init(&r, in, 0);
    assert_int_equal(wire_read_u8(&r), 0);
    assert_false(r.ok);

    wire_reader_init(&r, in, 1);
    assert_int_equal(wire_read_u16(&r), 0);
    assert_false(r.ok);

    wire_reader_init(&r, in, 1);
    assert_int_equal(wire_read_u64(&r), 0);
    assert_false(r.ok);

    wire_reader_init(&r, in, 1);
    assert_true(wire_read_f32(&r) == 0.0f);
    assert_false(r.ok);
}

static void read_view_points_into_buffer_and_advances(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3, 4, 5};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u8(&r);
    const uint8_t *v = wire_read_view(&r, 3);
    assert_ptr_equal(v, in + 1);
    assert_int_equal(r.pos, 4);
    assert_true(r.ok);
}

static void read_view_of_zero_bytes_at_end_is_ok(void **state)
{
    (void)state;
    const uint8_t in[] = {1};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u8(&r);
    assert_non_null(wire_read_view(&r, 0));
    assert_true(r.ok);
    assert_true(wire_reader_done(&r));
}

static void read_view_past_end_returns_null_and_clears_ok(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    assert_null(wire_read_view(&r, 4));
    assert_false(r.ok);
    assert_int_equal(r.pos, 0);
}

static void read_view_of_huge_length_does_not_wrap(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u8(&r);
    assert_null(wire_read_view(&r, SIZE_MAX));
    assert_false(r.ok);
}

static void reader_done_when_all_bytes_consumed(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u8(&r);
    (void)wire_read_u16(&r);
    assert_true(wire_reader_done(&r));
}

static void reader_done_on_empty_input(void **state)
{
    (void)state;
    const uint8_t in[] = {0};
    wire_reader r;
    wire_reader_init(&r, in, 0);
    assert_true(wire_reader_done(&r));
}

static void reader_not_done_with_bytes_left(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u16(&r);
    assert_false(wire_reader_done(&r));
}

static void reader_not_done_after_overflow(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    wire_reader r;
    wire_reader_init(&r, in, sizeof in);
    (void)wire_read_u16(&r);
    (void)wire_read_u16(&r); /* overflows with one byte left */
    assert_false(wire_reader_done(&r));
}

/* ---- both --------------------------------------------------------------- */

static void every_width_round_trips_at_its_extremes(void **state)
{
    (void)state;
    uint8_t buf[2 * (1 + 2 + 4 + 8)];
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    wire_write_u8(&w, 0);
    wire_write_u8(&w, UINT8_MAX);
    wire_write_u16(&w, 0);
    wire_write_u16(&w, UINT16_MAX);
    wire_write_u32(&w, 0);
    wire_write_u32(&w, UINT32_MAX);
    wire_write_u64(&w, 0);
    wire_write_u64(&w, UINT64_MAX);
    assert_true(w.ok);
    assert_int_equal(w.len, sizeof buf);

    wire_reader r;
    wire_reader_init(&r, buf, w.len);
    assert_int_equal(wire_read_u8(&r), 0);
    assert_int_equal(wire_read_u8(&r), UINT8_MAX);
    assert_int_equal(wire_read_u16(&r), 0);
    assert_int_equal(wire_read_u16(&r), UINT16_MAX);
    assert_int_equal(wire_read_u32(&r), 0);
    assert_int_equal(wire_read_u32(&r), UINT32_MAX);
    assert_int_equal(wire_read_u64(&r), 0);
    assert_int_equal(wire_read_u64(&r), UINT64_MAX);
    assert_true(wire_reader_done(&r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_u8_stores_one_byte),
        cmocka_unit_test(write_u16_is_little_endian),
        cmocka_unit_test(write_u32_is_little_endian),
        cmocka_unit_test(write_u64_is_little_endian),
        cmocka_unit_test(write_f32_is_ieee_bits_little_endian),
        cmocka_unit_test(write_bytes_copies_in_order),
        cmocka_unit_test(write_bytes_of_zero_length_is_ok),
        cmocka_unit_test(writer_filling_exactly_to_capacity_is_ok),
        cmocka_unit_test(writer_overflow_clears_ok_and_writes_nothing),
        cmocka_unit_test(writer_overflow_is_sticky),
        cmocka_unit_test(writer_with_zero_capacity_overflows_on_first_byte),
        cmocka_unit_test(read_u8_returns_byte),
        cmocka_unit_test(read_u16_is_little_endian),
        cmocka_unit_test(read_u32_is_little_endian),
        cmocka_unit_test(read_u32_keeps_high_bit),
        cmocka_unit_test(read_u64_is_little_endian),
        cmocka_unit_test(read_u64_keeps_high_byte),
        cmocka_unit_test(read_f32_is_ieee_bits_little_endian),
        cmocka_unit_test(read_overflow_yields_zero_and_clears_ok),
        cmocka_unit_test(read_overflow_is_sticky),
        cmocka_unit_test(read_of_every_width_past_end_yields_zero),
        cmocka_unit_test(read_view_points_into_buffer_and_advances),
        cmocka_unit_test(read_view_of_zero_bytes_at_end_is_ok),
        cmocka_unit_test(read_view_past_end_returns_null_and_clears_ok),
        cmocka_unit_test(read_view_of_huge_length_does_not_wrap),
        cmocka_unit_test(reader_done_when_all_bytes_consumed),
        cmocka_unit_test(reader_done_on_empty_input),
        cmocka_unit_test(reader_not_done_with_bytes_left),
        cmocka_unit_test(reader_not_done_after_overflow),
        cmocka_unit_test(every_width_round_trips_at_its_extremes),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
