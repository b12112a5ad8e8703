/* Optional identity: the token codec's golden bytes and refusals, HELLO's
 * identity field, and the server core with auth_required, time driven by
 * the test (monotonic and wall clock) and tokens signed here with a fixed
 * libsodium key: who gets in, with which REJECT, the holder key set, the
 * lobby restriction on every way into a lobby, resume not bypassing it, and
 * text clients refused. No sockets (test_auth_cli.py runs the programs). */
#include "auth.h"
#include "identity.h"
#include "log.h"
#include "server.h"
#include "server_ctx.h"
#include "server_fixture.h"
#include "sessions.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

enum { NOW_S = 1800000000, T0_US = SERVER_FIXTURE_T0_US };

static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static uint8_t other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];

/* A signed token in buf; returns its length. */
static size_t sign_with(const uint8_t *key, uint64_t uid, const char *name, const char *lobby_name,
                        uint64_t expires_unix_s, uint8_t *buf)
{
    identity_token t = {.player_uid = uid,
                        .expires_unix_s = expires_unix_s,
                        .name = proto_str_from_cstr(name),
                        .lobby = proto_str_from_cstr(lobby_name)};
    int body = identity_encode_body(&t, buf, IDENTITY_MAX_BODY_BYTES);
    assert_true(body > 0);
    crypto_sign_detached(buf + body, NULL, buf, (unsigned long long)body, key);
    return (size_t)body + IDENTITY_SIGNATURE_BYTES;
}

static size_t sign(uint64_t uid, const char *name, const char *lobby_name, uint8_t *buf)
{
    return sign_with(sk, uid, name, lobby_name, NOW_S + 60, buf);
}

/* ---- the codec ------------------------------------------------------------ */

static const uint8_t GOLDEN_BODY[] = {
    0x01,                                           /* format version 1 */
    0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* player uid 42, little-endian */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* expiry 2^63 */
    0x05, 'a',  'l',  'i',  'c',  'e',              /* name "alice" */
    0x04, 'c',  'u',  'p',  '1',                    /* lobby "cup1" */
};

static void body_matches_golden_bytes(void **state)
{
    (void)state;
    identity_token t = {.player_uid = 42,
                        .expires_unix_s = 1ull << 63,
                        .name = proto_str_from_cstr("alice"),
                        .lobby = proto_str_from_cstr("cup1")};
    uint8_t buf[IDENTITY_MAX_TOKEN_BYTES];
    assert_int_equal(identity_encode_body(&t, buf, sizeof buf), sizeof GOLDEN_BODY);
    assert_memory_equal(buf, GOLDEN_BODY, sizeof GOLDEN_BODY);
    /* decode: the body, then 64 signature bytes (not checked by the codec) */
    memset(buf + sizeof GOLDEN_BODY, 0x5A, IDENTITY_SIGNATURE_BYTES);
    identity_token got;
    size_t body_len;
    const uint8_t *sig;
    size_t len = sizeof GOLDEN_BODY + IDENTITY_SIGNATURE_BYTES;
    assert_int_equal(identity_decode(buf, len, &got, &body_len, &sig), IDENTITY_OK);
    assert_int_equal(body_len, sizeof GOLDEN_BODY);
    assert_ptr_equal(sig, buf + sizeof GOLDEN_BODY);
    assert_true(got.player_uid == 42 && got.expires_unix_s == 1ull << 63);
    assert_int_equal(got.name.len, 5);
    assert_memory_equal(got.name.bytes, "alice", 5);
    assert_int_equal(got.lobby.len, 4);
    /* every prefix is cut short; one more byte is trailing */
    for (size_t n = 0; n < len; n++)
        assert_int_equal(identity_decode(buf, n, &got, &body_len, &sig), IDENTITY_ERR_TRUNCATED);
    assert_int_equal(identity_decode(buf, len + 1, &got, &body_len, &sig), IDENTITY_ERR_TRAILING);
}

static void decode_refuses_bad_fields(void **state)
{
    (void)state;
    uint8_t buf[IDENTITY_MAX_TOKEN_BYTES + 8] = {0};
    memcpy(buf, GOLDEN_BODY, sizeof GOLDEN_BODY);
    size_t len = sizeof GOLDEN_BODY + IDENTITY_SIGNATURE_BYTES;
    identity_token got;
    size_t body_len;
    const uint8_t *sig;
    buf[0] = 2;
    assert_int_equal(identity_decode(buf, len, &got, &body_len, &sig), IDENTITY_ERR_VERSION);
    buf[0] = 1;
    buf[18] = '\n'; /* a control character in the name */
    assert_int_equal(identity_decode(buf, len, &got, &body_len, &sig), IDENTITY_ERR_BAD_NAME);
    buf[18] = 'a';
    buf[24] = 0xFF; /* invalid UTF-8 in the lobby */
    assert_int_equal(identity_decode(buf, len, &got, &body_len, &sig), IDENTITY_ERR_BAD_LOBBY);
    identity_token empty = {.name = {"", 0}, .lobby = {"", 0}};
    assert_int_equal(identity_encode_body(&empty, buf, sizeof buf), IDENTITY_ERR_BAD_NAME);
    identity_token fine = {.name = {"bo", 2}, .lobby = {"", 0}};
    assert_int_equal(identity_encode_body(&fine, buf, 10), IDENTITY_ERR_BUFFER);
}

static void hex_round_trip_and_refusals(void **state)
{
    (void)state;
    uint8_t bytes[4] = {0x00, 0xAB, 0x7F, 0xFF}, back[4];
    char hex[9];
    identity_hex_encode(bytes, 4, hex);
    assert_string_equal(hex, "00ab7fff");
    assert_int_equal(identity_hex_decode(" 00AB7fff\r\n", 11, back, 4), 4);
    assert_memory_equal(back, bytes, 4);
    assert_int_equal(identity_hex_decode("00ab7", 5, back, 4), -1);       /* odd */
    assert_int_equal(identity_hex_decode("00ab7fff00", 10, back, 4), -1); /* too long */
    assert_int_equal(identity_hex_decode("00ag", 4, back, 4), -1);        /* not hex */
}

/* HELLO's optional trailing field: u8 length (1..255), then the token. */
static void hello_identity_field_golden_bytes(void **state)
{
    (void)state;
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("al");
    m.u.hello.mode = PROTO_HELLO_BROWSE;
    m.u.hello.identity = (proto_str){"\x01\x02\x03", 3};
    static const uint8_t golden[] = {0x01, 0x02, 'a',  'l', 0x00, 0x00, 0x02, /* a BROWSE hello */
                                     0x03, 0x01, 0x02, 0x03}; /* identity: 3 bytes */
    uint8_t buf[64];
    assert_int_equal(proto_encode(&m, buf, sizeof buf), sizeof golden);
    assert_memory_equal(buf, golden, sizeof golden);
    proto_msg got;
    assert_int_equal(proto_decode(golden, sizeof golden, &got), PROTO_OK);
    assert_int_equal(got.u.hello.identity.len, 3);
    assert_memory_equal(got.u.hello.identity.bytes, "\x01\x02\x03", 3);
    /* absent: nothing written, decoded as length 0 */
    assert_int_equal(proto_decode(golden, 7, &got), PROTO_OK);
    assert_int_equal(got.u.hello.identity.len, 0);
    /* present but empty is not the one encoding of "none": trailing */
    static const uint8_t empty[] = {0x01, 0x02, 'a', 'l', 0x00, 0x00, 0x02, 0x00};
    assert_int_equal(proto_decode(empty, sizeof empty, &got), PROTO_ERR_TRAILING);
    /* after RESUME's token and last_chat_seq */
    m.u.hello.mode = PROTO_HELLO_RESUME;
    int n = proto_encode(&m, buf, sizeof buf);
    assert_int_equal(n, 7 + 16 + 4 + 4);
    assert_int_equal(proto_decode(buf, (size_t)n, &got), PROTO_OK);
    assert_int_equal(got.u.hello.identity.len, 3);
}

/* ---- verification ------------------------------------------------------------ */

static void verify_checks_signature_then_expiry(void **state)
{
    (void)state;
    uint8_t tok[IDENTITY_MAX_TOKEN_BYTES];
    identity_token t;
    const char *why;
    size_t n = sign_with(sk, 7, "bob", "", NOW_S, tok);
    assert_int_equal(auth_verify(pk, tok, n, NOW_S - 1, &t, &why), AUTH_OK);
    assert_int_equal(auth_verify(pk, tok, n, NOW_S, &t, &why), AUTH_EXPIRED);
    assert_int_equal(auth_verify(other_pk, tok, n, NOW_S - 1, &t, &why), AUTH_BAD_SIGNATURE);
    tok[5] ^= 1; /* the uid changed after signing */
    assert_int_equal(auth_verify(pk, tok, n, NOW_S - 1, &t, &why), AUTH_BAD_SIGNATURE);
    assert_int_equal(auth_verify(pk, tok, n - 1, NOW_S - 1, &t, &why), AUTH_MALFORMED);
}

/* ---- the server core --------------------------------------------------------- */

static int setup_server(void **state)
{
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.member_stats_ms = 0;
    cfg.auth_required = true;
    memcpy(cfg.auth_public_key, pk, sizeof pk);
    if (server_fixture_setup(state, &cfg) != 0)
        return -1;
    server_fixture *fx = *state;
    server_set_unix_time(fx->s, NOW_S);
    return 0;
}

static void send_hello(server_fixture *fx, uint32_t handle, const char *name,
                       const char *lobby_name, uint8_t mode, const uint8_t *tok, size_t tok_len)
{
    server_fixture_connect(fx->s, handle, proto_connect_data(PROTO_VERSION), "10.0.0.1:1",
                           fx->now_us);
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr(name);
    m.u.hello.lobby = proto_str_from_cstr(lobby_name);
    m.u.hello.mode = mode;
    m.u.hello.identity = (proto_str){(const char *)tok, tok_len};
    server_fixture_receive(fx->s, handle, &m, fx->now_us);
    server_fixture_capture(fx);
}

static void assert_rejected(server_fixture *fx, uint32_t handle, proto_reason why,
                            const char *text_part)
{
    const delivery *d = server_fixture_must_find(fx, handle, PROTO_REJECT);
    assert_int_equal(d->msg.u.reject.reason, why);
    char text[PROTO_MAX_STR8_BYTES + 1];
    snprintf(text, sizeof text, "%.*s", (int)d->msg.u.reject.text.len, d->msg.u.reject.text.bytes);
    if (strstr(text, text_part) == NULL)
        fail_msg("REJECT text '%s' lacks '%s'", text, text_part);
}

static const session *session_of(server_fixture *fx, uint32_t handle)
{
    return sessions_at(server_context(fx->s)->sessions, handle);
}

static void valid_token_joins_with_its_name_and_holder(void **state)
{
    server_fixture *fx = *state;
    uint8_t tok[IDENTITY_MAX_TOKEN_BYTES];
    size_t n = sign(42, "alice", "", tok);
    send_hello(fx, 0, "", "", PROTO_HELLO_JOIN, tok, n);
    const delivery *w = server_fixture_must_find(fx, 0, PROTO_WELCOME);
    assert_int_equal(w->msg.u.welcome.count, 1);
    assert_memory_equal(w->msg.u.welcome.players[0].name.bytes, "alice", 5);
    assert_true(session_of(fx, 0)->holder == ((1ull << 63) | 42));
    server_fixture_clear(fx);
    send_hello(fx, 1, "bob", "", PROTO_HELLO_JOIN, tok, n); /* alice's token, bob's name */
    assert_rejected(fx, 1, PROTO_REASON_AUTH_INVALID, "is for name 'alice', not 'bob'");
    server_fixture_clear(fx);
    send_hello(fx, 2, "al\nINFO forged", "", PROTO_HELLO_JOIN, tok, n); /* never echoed */
    assert_rejected(fx, 2, PROTO_REASON_AUTH_INVALID, "not 'an invalid name'");
}

static void every_bad_token_is_refused_with_its_reason(void **state)
{
    server_fixture *fx = *state;
    uint8_t tok[IDENTITY_MAX_TOKEN_BYTES];
    send_hello(fx, 0, "alice", "", PROTO_HELLO_JOIN, NULL, 0);
    assert_rejected(fx, 0, PROTO_REASON_AUTH_REQUIRED, "needs an identity token");
    send_hello(fx, 1, "", "", PROTO_HELLO_BROWSE, NULL, 0);
    assert_rejected(fx, 1, PROTO_REASON_AUTH_REQUIRED, "needs an identity token");
    size_t n = sign_with(sk, 42, "alice", "", NOW_S - 5, tok);
    send_hello(fx, 2, "", "", PROTO_HELLO_JOIN, tok, n);
    assert_rejected(fx, 2, PROTO_REASON_AUTH_EXPIRED, "expired 5 s ago");
    n = sign_with(other_sk, 42, "alice", "", NOW_S + 60, tok);
    send_hello(fx, 3, "", "", PROTO_HELLO_JOIN, tok, n);
    assert_rejected(fx, 3, PROTO_REASON_AUTH_INVALID, "signature does not verify");
    n = sign(42, "alice", "", tok);
    tok[n - 1] ^= 0x80;
    send_hello(fx, 4, "", "", PROTO_HELLO_JOIN, tok, n);
    assert_rejected(fx, 4, PROTO_REASON_AUTH_INVALID, "signature does not verify");
    send_hello(fx, 5, "", "", PROTO_HELLO_JOIN, tok, 20);
    assert_rejected(fx, 5, PROTO_REASON_AUTH_INVALID, "cut short");
    assert_int_equal(server_player_count(fx->s), 0);
}

/* A token for lobby "cup" lets its holder into "cup" only: by HELLO, by
 * JOIN_LOBBY and by CREATE_LOBBY, whatever the case of the name. */
static void lobby_restriction_holds_on_every_way_in(void **state)
{
    server_fixture *fx = *state;
    uint8_t tok[IDENTITY_MAX_TOKEN_BYTES];
    size_t n = sign(7, "carol", "cup", tok);
    send_hello(fx, 0, "", "", PROTO_HELLO_JOIN, tok, n); /* the default lobby, main */
    assert_rejected(fx, 0, PROTO_REASON_AUTH_WRONG_LOBBY, "into lobby 'main'");
    server_fixture_clear(fx);
    send_hello(fx, 1, "", "", PROTO_HELLO_BROWSE, tok, n);
    assert_null(server_fixture_find(fx, 1, PROTO_REJECT));
    server_fixture_clear(fx);
    proto_msg join = {.type = PROTO_JOIN_LOBBY};
    join.u.join_lobby.name = proto_str_from_cstr("main");
    server_fixture_receive(fx->s, 1, &join, fx->now_us);
    server_fixture_capture(fx);
    const delivery *d = server_fixture_must_find(fx, 1, PROTO_LOBBY_REFUSED);
    assert_int_equal(d->msg.u.lobby_refused.reason, PROTO_LOBBY_AUTH_WRONG_LOBBY);
    server_fixture_clear(fx);
    proto_msg create = {.type = PROTO_CREATE_LOBBY};
    create.u.create_lobby.name = proto_str_from_cstr("other");
    server_fixture_receive(fx->s, 1, &create, fx->now_us);
    server_fixture_capture(fx);
    d = server_fixture_must_find(fx, 1, PROTO_LOBBY_REFUSED);
    assert_int_equal(d->msg.u.lobby_refused.reason, PROTO_LOBBY_AUTH_WRONG_LOBBY);
    server_fixture_clear(fx);
    create.u.create_lobby.name = proto_str_from_cstr("CUP");
    server_fixture_receive(fx->s, 1, &create, fx->now_us);
    server_fixture_capture(fx);
    server_fixture_must_find(fx, 1, PROTO_WELCOME);
}

/* A held seat comes back only with a valid identity token for its name. */
static void resume_needs_the_seats_identity(void **state)
{
    server_fixture *fx = *state;
    uint8_t tok[IDENTITY_MAX_TOKEN_BYTES], mallory[IDENTITY_MAX_TOKEN_BYTES];
    size_t n = sign(42, "alice", "", tok);
    size_t m_len = sign(66, "mallory", "", mallory);
    send_hello(fx, 0, "", "", PROTO_HELLO_JOIN, tok, n);
    uint8_t seat[PROTO_TOKEN_BYTES];
    memcpy(seat, server_fixture_must_find(fx, 0, PROTO_WELCOME)->msg.u.welcome.token, sizeof seat);
    server_fixture_clear(fx);
    server_on_disconnect(fx->s, 0, 0, false, fx->now_us); /* timed out: the seat is held */
    server_fixture_clear(fx);

    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.mode = PROTO_HELLO_RESUME;
    memcpy(hello.u.hello.token, seat, sizeof seat);
    uint32_t handle = 1;
    const struct {
        const uint8_t *tok;
        size_t len;
        proto_reason why;
    } tries[] = {{NULL, 0, PROTO_REASON_AUTH_REQUIRED},
                 {mallory, m_len, PROTO_REASON_AUTH_INVALID}};
    for (size_t i = 0; i < 2; i++, handle++) {
        fx->now_us += 2000000; /* past the per-address resume rate */
        server_fixture_connect(fx->s, handle, proto_connect_data(PROTO_VERSION), "10.0.0.9:1",
                               fx->now_us);
        hello.u.hello.identity = (proto_str){(const char *)tries[i].tok, tries[i].len};
        server_fixture_receive(fx->s, handle, &hello, fx->now_us);
        server_fixture_capture(fx);
        assert_rejected(fx, handle, tries[i].why, "");
        assert_null(server_fixture_find(fx, handle, PROTO_WELCOME));
        server_fixture_clear(fx);
    }
    fx->now_us += 2000000;
    server_fixture_connect(fx->s, handle, proto_connect_data(PROTO_VERSION), "10.0.0.9:1",
                           fx->now_us);
    hello.u.hello.identity = (proto_str){(const char *)tok, n};
    server_fixture_receive(fx->s, handle, &hello, fx->now_us);
    server_fixture_capture(fx);
    const delivery *w = server_fixture_must_find(fx, handle, PROTO_WELCOME);
    assert_int_equal(w->msg.u.welcome.resumed, 1);
    assert_true(session_of(fx, handle)->holder == ((1ull << 63) | 42));
}

static void text_clients_are_refused(void **state)
{
    server_fixture *fx = *state;
    server_text_client tc;
    assert_int_equal(server_text_enter(fx->s, &tc, fx->now_us), SERVER_TEXT_AUTH_REQUIRED);
    assert_non_null(strstr(server_text_strerror(SERVER_TEXT_AUTH_REQUIRED), "identity token"));
    server_text_leave(fx->s, &tc);
}

/* Without auth_required the identity field is ignored and anyone joins. */
static void open_server_ignores_tokens(void **state)
{
    server_fixture *fx = *state;
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.member_stats_ms = 0;
    server_fixture_restart(fx, &cfg);
    send_hello(fx, 0, "dave", "", PROTO_HELLO_JOIN, NULL, 0);
    server_fixture_must_find(fx, 0, PROTO_WELCOME);
    assert_true(session_of(fx, 0)->holder >> 63 == 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static const uint8_t seed[crypto_sign_SEEDBYTES] = {1, 2, 3};
    static const uint8_t other_seed[crypto_sign_SEEDBYTES] = {9, 9, 9};
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_seed_keypair(other_pk, other_sk, other_seed);
    log_set_level(LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_matches_golden_bytes),
        cmocka_unit_test(decode_refuses_bad_fields),
        cmocka_unit_test(hex_round_trip_and_refusals),
        cmocka_unit_test(hello_identity_field_golden_bytes),
        cmocka_unit_test(verify_checks_signature_then_expiry),
        cmocka_unit_test_setup_teardown(valid_token_joins_with_its_name_and_holder, setup_server,
                                        server_fixture_teardown),
        cmocka_unit_test_setup_teardown(every_bad_token_is_refused_with_its_reason, setup_server,
                                        server_fixture_teardown),
        cmocka_unit_test_setup_teardown(lobby_restriction_holds_on_every_way_in, setup_server,
                                        server_fixture_teardown),
        cmocka_unit_test_setup_teardown(resume_needs_the_seats_identity, setup_server,
                                        server_fixture_teardown),
        cmocka_unit_test_setup_teardown(text_clients_are_refused, setup_server,
                                        server_fixture_teardown),
        cmocka_unit_test_setup_teardown(open_server_ignores_tokens, setup_server,
                                        server_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
