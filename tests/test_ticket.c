/* The redirect ticket codec (shared/ticket.h): golden bytes, round trips,
 * every truncation and each field rule, without any cryptography (the
 * signature is 64 opaque bytes here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ticket.h"
#include "wire.h"

static const ticket_fields sample = {
    .kind = TICKET_JOIN,
    .expires_unix_ms = 0x0102030405060708,
    .nonce = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD,
              0xAE, 0xAF},
    .lobby = {"x", 1},
    .player = {"al", 2},
    .server_id = {"b", 1},
};

/* clang-format off */
static const uint8_t golden_body[] = {
    0x01,                                           /* format 1 */
    0x01,                                           /* kind JOIN */
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* expires_unix_ms */
    0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, /* nonce */
    0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
    0x01, 0x78,                                     /* lobby "x" */
    0x02, 0x61, 0x6C,                               /* player "al" */
    0x01, 0x62,                                     /* server_id "b" */
};
/* clang-format on */

/* body + a signature of 0x55 bytes, into buf; returns the ticket length. */
static size_t with_signature(const uint8_t *body, size_t body_len, uint8_t *buf)
{
    memcpy(buf, body, body_len);
    memset(buf + body_len, 0x55, TICKET_SIGNATURE_BYTES);
    return body_len + TICKET_SIGNATURE_BYTES;
}

static void assert_fields_same(const ticket_fields *want, const ticket_fields *got)
{
    assert_int_equal(want->kind, got->kind);
    assert_int_equal(want->expires_unix_ms, got->expires_unix_ms);
    assert_memory_equal(want->nonce, got->nonce, TICKET_NONCE_BYTES);
    const proto_str *w[] = {&want->lobby, &want->player, &want->server_id};
    const proto_str *g[] = {&got->lobby, &got->player, &got->server_id};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(w[i]->len, g[i]->len);
        assert_memory_equal(w[i]->bytes, g[i]->bytes, w[i]->len);
    }
}

static void body_matches_golden_bytes(void **state)
{
    (void)state;
    uint8_t buf[TICKET_MAX_BODY_BYTES];
    assert_int_equal(ticket_encode_body(&sample, buf, sizeof buf), sizeof golden_body);
    assert_memory_equal(buf, golden_body, sizeof golden_body);
}

static void decode_golden_ticket(void **state)
{
    (void)state;
    uint8_t buf[TICKET_MAX_BYTES];
    size_t len = with_signature(golden_body, sizeof golden_body, buf);
    ticket_fields got;
    size_t body_len = 0;
    const uint8_t *sig = NULL;
    assert_int_equal(ticket_decode(buf, len, &got, &body_len, &sig), TICKET_OK);
    assert_fields_same(&sample, &got);
    assert_int_equal(body_len, sizeof golden_body);
    assert_ptr_equal(sig, buf + sizeof golden_body);
}

static void every_truncation_and_a_trailing_byte_refused(void **state)
{
    (void)state;
    uint8_t buf[TICKET_MAX_BYTES + 1];
    size_t len = with_signature(golden_body, sizeof golden_body, buf);
    ticket_fields got;
    size_t body_len;
    const uint8_t *sig;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *prefix = malloc(cut > 0 ? cut : 1); /* ASan sees a read past the end */
        assert_non_null(prefix);
        memcpy(prefix, buf, cut);
        int rc = ticket_decode(prefix, cut, &got, &body_len, &sig);
        free(prefix);
        if (rc != TICKET_ERR_TRUNCATED)
            fail_msg("prefix of %zu/%zu bytes gave %d", cut, len, rc);
    }
    buf[len] = 0;
    assert_int_equal(ticket_decode(buf, len + 1, &got, &body_len, &sig), TICKET_ERR_TRAILING);
}

static void round_trip_of_the_largest_ticket(void **state)
{
    (void)state;
    ticket_fields t = sample;
    t.kind = TICKET_PLACE;
    t.expires_unix_ms = UINT64_MAX;
    t.lobby = proto_str_from_cstr("lobby-name-of-24-bytes!!");
    t.player = proto_str_from_cstr("player-name-of-24-bytes!");
    t.server_id =
        proto_str_from_cstr("node-1.eu_west:7778-01234567890123456789012345678901234567890123");
    assert_int_equal(t.lobby.len, 24);
    assert_int_equal(t.player.len, 24);
    assert_int_equal(t.server_id.len, 64);
    uint8_t buf[TICKET_MAX_BYTES];
    int n = ticket_encode_body(&t, buf, sizeof buf);
    assert_int_equal(n, TICKET_MAX_BODY_BYTES);
    assert_int_equal(n + TICKET_SIGNATURE_BYTES, 205);
    memset(buf + n, 0x55, TICKET_SIGNATURE_BYTES);
    ticket_fields got;
    size_t body_len;
    const uint8_t *sig;
    assert_int_equal(ticket_decode(buf, TICKET_MAX_BYTES, &got, &body_len, &sig), TICKET_OK);
    assert_fields_same(&t, &got);
    /* a buffer one byte short of the body is refused, never filled partly */
    assert_int_equal(ticket_encode_body(&t, buf, (size_t)n - 1), TICKET_ERR_BUFFER);
}

/* Each rule, on both sides: the encoder refuses the field, and the same
 * bytes with the field patched in are refused by the decoder. */
static void assert_refused(const ticket_fields *t, int want)
{
    uint8_t body[TICKET_MAX_BODY_BYTES + 64];
    assert_int_equal(ticket_encode_body(t, body, sizeof body), want);
    /* hand-built: the layout with this t's fields, whatever they are */
    wire_writer w;
    wire_writer_init(&w, body, sizeof body);
    wire_write_u8(&w, TICKET_FORMAT_VERSION);
    wire_write_u8(&w, t->kind);
    wire_write_u64(&w, t->expires_unix_ms);
    wire_write_bytes(&w, t->nonce, TICKET_NONCE_BYTES);
    const proto_str *strs[] = {&t->lobby, &t->player, &t->server_id};
    for (int i = 0; i < 3; i++) {
        wire_write_u8(&w, (uint8_t)strs[i]->len);
        wire_write_bytes(&w, strs[i]->bytes, strs[i]->len);
    }
    assert_true(w.ok);
    uint8_t buf[sizeof body + TICKET_SIGNATURE_BYTES];
    size_t len = with_signature(body, w.len, buf);
    ticket_fields got;
    size_t body_len;
    const uint8_t *sig;
    assert_int_equal(ticket_decode(buf, len, &got, &body_len, &sig), want);
}

static void field_rules(void **state)
{
    (void)state;
    ticket_fields t = sample;
    t.kind = 0;
    assert_refused(&t, TICKET_ERR_KIND);
    t.kind = 3;
    assert_refused(&t, TICKET_ERR_KIND);
    static const char *const bad_names[] = {"",
                                            " x",
                                            "x\x01",
                                            "a\xE2\x80\x8B"
                                            "b",
                                            "\xC3",
                                            "0123456789012345678901234"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        t = sample;
        t.lobby = proto_str_from_cstr(bad_names[i]);
        assert_refused(&t, TICKET_ERR_BAD_LOBBY);
        t = sample;
        t.player = proto_str_from_cstr(bad_names[i]);
        assert_refused(&t, TICKET_ERR_BAD_PLAYER);
    }
    static const char *const bad_ids[] = {
        "",    "a b",
        "a/b", "\xC3\xA9",
        "x\n", "01234567890123456789012345678901234567890123456789012345678901234"}; /* 65 */
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        t = sample;
        t.server_id = proto_str_from_cstr(bad_ids[i]);
        assert_refused(&t, TICKET_ERR_BAD_SERVER_ID);
    }
}

static void unknown_format_refused(void **state)
{
    (void)state;
    uint8_t buf[TICKET_MAX_BYTES];
    size_t len = with_signature(golden_body, sizeof golden_body, buf);
    ticket_fields got;
    size_t body_len;
    const uint8_t *sig;
    buf[0] = 2;
    assert_int_equal(ticket_decode(buf, len, &got, &body_len, &sig), TICKET_ERR_VERSION);
    buf[0] = 0;
    assert_int_equal(ticket_decode(buf, len, &got, &body_len, &sig), TICKET_ERR_VERSION);
}

static void every_error_has_its_own_text(void **state)
{
    (void)state;
    for (int a = TICKET_ERR_BUFFER; a <= TICKET_OK; a++) {
        assert_string_not_equal(ticket_strerror(a), ticket_strerror(1));
        for (int b = a + 1; b <= TICKET_OK; b++)
            assert_string_not_equal(ticket_strerror(a), ticket_strerror(b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_matches_golden_bytes),
        cmocka_unit_test(decode_golden_ticket),
        cmocka_unit_test(every_truncation_and_a_trailing_byte_refused),
        cmocka_unit_test(round_trip_of_the_largest_ticket),
        cmocka_unit_test(field_rules),
        cmocka_unit_test(unknown_format_refused),
        cmocka_unit_test(every_error_has_its_own_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
