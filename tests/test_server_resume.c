/* Reconnection in the server core, with time driven by the test and a fake
 * random source: held seats, single-use tokens, rate-limited guessing and the
 * replay of missed chat. No sockets. */
#include "log.h"
#include "server.h"
#include "server_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { T0_US = SERVER_FIXTURE_T0_US, MS_US = 1000, GRACE_MS = 30000 };

typedef struct fixture {
    server *s;
    uint64_t now_us;
    uint8_t next_random; /* the fake CSPRNG: a counter, so tokens differ */
} fixture;

static int counting_random(void *user, uint8_t *buf, size_t n)
{
    fixture *f = user;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(f->next_random + i * 31u);
    f->next_random++;
    return 0;
}

static int setup(void **state)
{
    log_set_level(LOG_OFF);
    fixture *f = calloc(1, sizeof *f);
    server_config cfg;
    server_config_defaults(&cfg);
    cfg.grace_ms = GRACE_MS;
    cfg.member_stats_ms = 0;
    cfg.random_bytes = counting_random;
    cfg.random_user = f;
    f->now_us = T0_US;
    *state = f;
    return server_create(&cfg, &f->s);
}

static int teardown(void **state)
{
    fixture *f = *state;
    server_destroy(f->s);
    free(f);
    return 0;
}

/* The first message of `type` queued for handle in this pass (decoded into
 * *out); false when there is none. */
static bool find_for(fixture *f, uint32_t handle, proto_type type, proto_msg *out)
{
    return capture_find_msg(server_outbox(f->s), handle, type, out);
}

static size_t count_for(fixture *f, uint32_t handle, proto_type type)
{
    return capture_count_msgs(server_outbox(f->s), handle, type);
}

static void end_pass(fixture *f)
{
    server_fixture_end_pass(f->s);
}

/* Joins `name` on handle; returns its welcome (id and token). */
static proto_msg join(fixture *f, uint32_t handle, const char *name, const char *label)
{
    server_fixture_connect(f->s, handle, proto_connect_data(PROTO_VERSION), label, f->now_us);
    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.name = proto_str_from_cstr(name);
    server_fixture_receive(f->s, handle, &hello, f->now_us);
    proto_msg welcome;
    assert_true(find_for(f, handle, PROTO_WELCOME, &welcome));
    end_pass(f);
    return welcome;
}

/* Connects handle and asks for a seat back with token. */
static void resume(fixture *f, uint32_t handle, const uint8_t *token, uint32_t last_chat_seq,
                   const char *label)
{
    server_fixture_connect(f->s, handle, proto_connect_data(PROTO_VERSION), label, f->now_us);
    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.name = proto_str_from_cstr("whoever");
    hello.u.hello.mode = PROTO_HELLO_RESUME;
    memcpy(hello.u.hello.token, token, PROTO_TOKEN_BYTES);
    hello.u.hello.last_chat_seq = last_chat_seq;
    server_fixture_receive(f->s, handle, &hello, f->now_us);
}

static uint32_t chat(fixture *f, uint32_t handle, const char *text)
{
    proto_msg m = {.type = PROTO_CHAT};
    m.u.chat.msg_id = 1;
    m.u.chat.text = proto_str_from_cstr(text);
    server_fixture_receive(f->s, handle, &m, f->now_us);
    proto_msg ack;
    assert_true(find_for(f, handle, PROTO_CHAT_ACK, &ack));
    end_pass(f);
    return ack.u.chat_ack.seq;
}

static void assert_rejected(fixture *f, uint32_t handle, proto_reason why)
{
    proto_msg m;
    assert_true(find_for(f, handle, PROTO_REJECT, &m));
    assert_int_equal(m.u.reject.reason, why);
}

/* Joins `name` on handle from ip (network order), as the transport would. */
static void join_from(fixture *f, uint32_t handle, const char *name, uint32_t ip)
{
    server_on_connect(f->s, handle, proto_connect_data(PROTO_VERSION), PROTO_CHANNEL_COUNT, ip,
                      "10.9.9.9:1", f->now_us);
    proto_msg hello = {.type = PROTO_HELLO};
    hello.u.hello.name = proto_str_from_cstr(name);
    server_fixture_receive(f->s, handle, &hello, f->now_us);
    assert_int_equal(count_for(f, handle, PROTO_WELCOME), 1);
    end_pass(f);
}

/* A peer that sent ENet's DISCONNECT left, even with data 0 (which used to
 * read as a timeout): the others hear QUIT and no seat is held. */
static void goodbye_with_data_zero_holds_no_seat(void **state)
{
    fixture *f = *state;
    join(f, 0, "alice", "10.0.0.1:1");
    join(f, 1, "bob", "10.0.0.2:1");
    server_on_disconnect(f->s, 0, 0, true, f->now_us);
    proto_msg m;
    assert_true(find_for(f, 1, PROTO_PLAYER_LEFT, &m));
    assert_int_equal(m.u.left.reason, PROTO_LEAVE_QUIT);
    assert_int_equal(count_for(f, 1, PROTO_PLAYER_STATUS), 0);
    assert_int_equal(server_player_count(f->s), 1);
    assert_int_equal(server_get_stats(f->s)->seats_held, 0);
    assert_int_equal(server_get_stats(f->s)->goodbyes, 1);
}

/* One address's timed-out players keep at most max_held_seats_per_holder
 * seats: each one more gives up the oldest (reported as a timeout). */
static void held_seats_per_holder_give_up_the_oldest(void **state)
{
    fixture *f = *state;
    const uint32_t ip = 0x0300000Au; /* 10.0.0.3 */
    char name[16];
    for (uint32_t i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        join_from(f, i, name, ip);
    }
    join(f, 6, "watcher", "10.0.0.7:1");
    for (uint32_t i = 0; i < 6; i++) {
        server_on_disconnect(f->s, i, 0, false, f->now_us);
        end_pass(f);
        f->now_us += 1000;
    }
    const server_stats *st = server_get_stats(f->s);
    assert_int_equal(st->seats_held, 6);
    assert_int_equal(st->quota_hits[SERVER_QUOTA_HELD_SEATS], 2);
    assert_int_equal(server_player_count(f->s), 4 + 1); /* p2..p5 held, and the watcher */
    assert_int_equal(st->leaves[PROTO_LEAVE_TIMEOUT], 2);
}

/* A timed-out player is shown as reconnecting, not gone, and its seat stays. */
static void timeout_holds_the_seat(void **state)
{
    fixture *f = *state;
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    join(f, 1, "bob", "10.0.0.2:1");
    server_on_disconnect(f->s, 0, 0, false, f->now_us);
    proto_msg m;
    assert_true(find_for(f, 1, PROTO_PLAYER_STATUS, &m));
    assert_int_equal(m.u.player_status.id, alice.u.welcome.your_id);
    assert_int_equal(m.u.player_status.status, PROTO_STATUS_RECONNECTING);
    assert_int_equal(count_for(f, 1, PROTO_PLAYER_LEFT), 0);
    assert_int_equal(server_player_count(f->s), 2);
}

/* After the grace period the seat is given up and the others hear it left. */
static void seat_expires_after_grace(void **state)
{
    fixture *f = *state;
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    join(f, 1, "bob", "10.0.0.2:1");
    server_on_disconnect(f->s, 0, 0, false, f->now_us);
    end_pass(f);
    server_tick(f->s, f->now_us + (GRACE_MS - 100) * MS_US);
    assert_int_equal(count_for(f, 1, PROTO_PLAYER_LEFT), 0);
    server_tick(f->s, f->now_us + (GRACE_MS + 100) * MS_US);
    proto_msg m;
    assert_true(find_for(f, 1, PROTO_PLAYER_LEFT, &m));
    assert_int_equal(m.u.left.id, alice.u.welcome.your_id);
    assert_int_equal(m.u.left.reason, PROTO_LEAVE_TIMEOUT);
    assert_int_equal(server_player_count(f->s), 1);
}

/* The token gets the same seat back, with a fresh token; the others see the
 * player back, and it gets the chat it missed (not its own). */
static void token_gets_the_seat_and_missed_chat_back(void **state)
{
    fixture *f = *state;
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    join(f, 1, "bob", "10.0.0.2:1");
    uint32_t seen = chat(f, 0, "before");
    server_on_disconnect(f->s, 0, 0, false, f->now_us);
    end_pass(f);
    uint32_t missed = chat(f, 1, "while you were away");
    resume(f, 2, alice.u.welcome.token, seen, "10.0.0.1:2");
    proto_msg w;
    assert_true(find_for(f, 2, PROTO_WELCOME, &w));
    assert_int_equal(w.u.welcome.resumed, 1);
    assert_int_equal(w.u.welcome.your_id, alice.u.welcome.your_id);
    assert_memory_not_equal(w.u.welcome.token, alice.u.welcome.token, PROTO_TOKEN_BYTES);
    proto_msg back;
    assert_true(find_for(f, 1, PROTO_PLAYER_STATUS, &back));
    assert_int_equal(back.u.player_status.status, PROTO_STATUS_BACK);
    proto_msg relay;
    assert_true(find_for(f, 2, PROTO_CHAT_HISTORY, &relay));
    assert_int_equal(relay.u.chat_history.seq, missed);
    assert_true(proto_str_eq(relay.u.chat_history.name, proto_str_from_cstr("bob")));
    assert_int_equal(count_for(f, 2, PROTO_CHAT_HISTORY), 1);
    assert_int_equal(count_for(f, 2, PROTO_CHAT_RELAY), 0);
    assert_int_equal(count_for(f, 1, PROTO_PLAYER_JOINED), 0);
}

/* Alice is away while Bob says `lines` lines (under the chat rate); she
 * comes back with the last sequence number she saw. Returns how many lines
 * CHAT_GAP said she missed (0: no CHAT_GAP) and checks the replay. */
static uint32_t gap_after(fixture *f, int lines)
{
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    join(f, 1, "bob", "10.0.0.2:1");
    uint32_t seen = chat(f, 0, "before");
    server_on_disconnect(f->s, 0, 0, false, f->now_us);
    end_pass(f);
    for (int i = 0; i < lines; i++) {
        f->now_us += 250 * MS_US;
        chat(f, 1, "while you were away");
    }
    resume(f, 2, alice.u.welcome.token, seen, "10.0.0.1:2");
    int replayed = lines < 64 ? lines : 64;
    assert_int_equal(count_for(f, 2, PROTO_CHAT_HISTORY), (size_t)replayed);
    proto_msg gap;
    if (!find_for(f, 2, PROTO_CHAT_GAP, &gap))
        return 0;
    assert_int_equal(count_for(f, 2, PROTO_CHAT_GAP), 1);
    assert_int_equal(gap.u.chat_gap.first_seq, seen + 1);
    proto_msg first;
    assert_true(find_for(f, 2, PROTO_CHAT_HISTORY, &first));
    assert_int_equal(first.u.chat_history.seq, seen + 1 + gap.u.chat_gap.missed);
    return gap.u.chat_gap.missed;
}

/* 64 lines missed are all kept: no CHAT_GAP. */
static void no_gap_while_the_history_holds_every_missed_line(void **state)
{
    assert_int_equal(gap_after(*state, 64), 0);
}

/* 65 lines missed: the oldest is gone, and CHAT_GAP says so. */
static void gap_names_the_lines_the_history_lost(void **state)
{
    fixture *f = *state;
    assert_int_equal(gap_after(f, 65), 1);
    assert_int_equal(server_get_stats(f->s)->resume_chat_gaps, 1);
    assert_int_equal(server_get_stats(f->s)->resume_lines_missed, 1);
}

/* A token works once: the old one is refused after it was used. */
static void used_token_is_refused(void **state)
{
    fixture *f = *state;
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    server_on_disconnect(f->s, 0, 0, false, f->now_us);
    resume(f, 1, alice.u.welcome.token, 0, "10.0.0.1:2");
    end_pass(f);
    resume(f, 2, alice.u.welcome.token, 0, "10.0.0.1:3");
    assert_rejected(f, 2, PROTO_REASON_TOKEN_INVALID);
}

static void forged_and_expired_tokens_are_refused(void **state)
{
    fixture *f = *state;
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    uint8_t forged[PROTO_TOKEN_BYTES];
    memcpy(forged, alice.u.welcome.token, sizeof forged);
    forged[0] ^= 1;
    resume(f, 1, forged, 0, "10.0.0.9:1");
    assert_rejected(f, 1, PROTO_REASON_TOKEN_INVALID);
    end_pass(f);
    server_on_disconnect(f->s, 0, 0, false, f->now_us);
    f->now_us += (GRACE_MS + 200) * MS_US;
    server_tick(f->s, f->now_us);
    end_pass(f);
    resume(f, 2, alice.u.welcome.token, 0, "10.0.0.1:2");
    assert_rejected(f, 2, PROTO_REASON_TOKEN_INVALID);
}

/* Guessing tokens from one address is slowed to resume_per_s after a burst. */
static void token_guessing_is_rate_limited(void **state)
{
    fixture *f = *state;
    uint8_t guess[PROTO_TOKEN_BYTES] = {0};
    int refused_fast = 0;
    for (uint32_t i = 0; i < 20; i++) {
        guess[0] = (uint8_t)i;
        resume(f, i, guess, 0, "10.6.6.6:1");
        proto_msg m;
        assert_true(find_for(f, i, PROTO_REJECT, &m));
        refused_fast += m.u.reject.reason == PROTO_REASON_TOO_MANY_ATTEMPTS;
        end_pass(f);
    }
    assert_true(refused_fast >= 14); /* a burst of 5, then none without time passing */
    /* Another address is not held back by the first one's guessing. */
    resume(f, 30, guess, 0, "10.7.7.7:1");
    assert_rejected(f, 30, PROTO_REASON_TOKEN_INVALID);
}

/* Reconnecting before the server noticed the old connection died takes the
 * seat over: the old connection is closed, nobody sees a leave. */
static void resume_takes_over_a_live_seat(void **state)
{
    fixture *f = *state;
    proto_msg alice = join(f, 0, "alice", "10.0.0.1:1");
    join(f, 1, "bob", "10.0.0.2:1");
    resume(f, 2, alice.u.welcome.token, 0, "10.0.0.1:2");
    const outbox *ob = server_outbox(f->s);
    bool old_closed = false;
    for (size_t i = 0; i < ob->disconnect_count; i++)
        old_closed |= ob->disconnects[i].session == 0;
    assert_true(old_closed);
    assert_int_equal(count_for(f, 1, PROTO_PLAYER_LEFT), 0);
    end_pass(f);
    server_on_disconnect(f->s, 0, PROTO_REASON_QUIT, true, f->now_us);
    assert_int_equal(count_for(f, 1, PROTO_PLAYER_LEFT), 0);
    assert_int_equal(server_player_count(f->s), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(timeout_holds_the_seat, setup, teardown),
        cmocka_unit_test_setup_teardown(goodbye_with_data_zero_holds_no_seat, setup, teardown),
        cmocka_unit_test_setup_teardown(held_seats_per_holder_give_up_the_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(seat_expires_after_grace, setup, teardown),
        cmocka_unit_test_setup_teardown(token_gets_the_seat_and_missed_chat_back, setup, teardown),
        cmocka_unit_test_setup_teardown(used_token_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(forged_and_expired_tokens_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(token_guessing_is_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(resume_takes_over_a_live_seat, setup, teardown),
        cmocka_unit_test_setup_teardown(no_gap_while_the_history_holds_every_missed_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(gap_names_the_lines_the_history_lost, setup, teardown),
    };
    return cmocka_run_group_tests_name("server resume", tests, NULL, NULL);
}
