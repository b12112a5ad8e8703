/* The Redis link against a real redis-server each test starts itself
 * (redis_fixture.h): connecting over a unix socket and TCP, AUTH (URL,
 * override, ACL user), SELECT, pipelining, error replies, Redis stopped
 * (timeouts, a loop that keeps spinning), killed and restarted, the
 * max_pending bound, pub/sub, and a socket where nothing listens yet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "redis_fixture.h"
#include "redis_link.h"

enum { MAX_REPLIES = 256 };

typedef struct harness {
    redis_fixture redis;
    redis_link *link;
    int ups, downs;
    char last_why[128];
    int messages;
    char last_message[64];
    size_t last_message_len;
    uint64_t passes;
    uint64_t longest_pass_us;
    /* replies, in the order the callbacks came */
    int replies;
    int null_replies;
    long long values[MAX_REPLIES];
    int types[MAX_REPLIES];
    char text[MAX_REPLIES][32];
    uint32_t next_random;
    int chain_left; /* on_chain: commands still to issue from callbacks */
    int chain_rc;   /* the last redis_link_command's result inside a callback */
} harness;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_state(void *user, bool up, const char *why, uint64_t now)
{
    (void)now;
    harness *h = user;
    if (up)
        h->ups++;
    else
        h->downs++;
    snprintf(h->last_why, sizeof h->last_why, "%s", why);
}

static void on_message(void *user, const char *payload, size_t len, uint64_t now)
{
    (void)now;
    harness *h = user;
    h->messages++;
    h->last_message_len = len;
    memcpy(h->last_message, payload, len < sizeof h->last_message ? len : sizeof h->last_message);
}

static int fixed_random(void *user, uint32_t *out)
{
    *out = ((harness *)user)->next_random;
    return 0;
}

static void on_reply(void *user, void *privdata, const struct redisReply *reply, uint64_t now)
{
    (void)privdata;
    (void)now;
    harness *h = user;
    if (reply == NULL) {
        h->null_replies++;
        return;
    }
    if (h->replies < MAX_REPLIES) {
        h->types[h->replies] = reply->type;
        h->values[h->replies] = reply->integer;
        if (reply->str != NULL)
            snprintf(h->text[h->replies], sizeof h->text[0], "%.*s", (int)reply->len, reply->str);
    }
    h->replies++;
}

/* Issues the next INCR from inside the callback (allowed), also when the
 * reply is NULL (then refused: the link is going down). */
static void on_chain(void *user, void *privdata, const struct redisReply *reply, uint64_t now)
{
    harness *h = user;
    on_reply(user, privdata, reply, now);
    if (h->chain_left <= 0)
        return;
    h->chain_left--;
    const char *incr[] = {"INCR", "chain"};
    h->chain_rc = redis_link_command(h->link, on_chain, NULL, 2, incr, NULL);
}

static void config_for(harness *h, redis_link_config *cfg, const char *url)
{
    redis_link_config_defaults(cfg);
    cfg->url = url;
    cfg->user = h;
    cfg->on_state = on_state;
    cfg->on_message = on_message;
}

static void create_link(harness *h, const redis_link_config *cfg)
{
    char why[160] = "";
    int rc = redis_link_create(cfg, now_us(), &h->link, why, sizeof why);
    if (rc != 0)
        fail_msg("redis_link_create: %s", why);
}

/* One loop pass as a server does it: poll the link's fds (at most cap_ms),
 * then redis_link_pass, timing the pass itself. */
static void one_pass(harness *h, int cap_ms)
{
    struct pollfd fds[2];
    int n = redis_link_pollfds(h->link, fds, 2);
    poll(fds, (nfds_t)n, redis_link_wait_ms(h->link, now_us(), cap_ms));
    uint64_t t0 = now_us();
    redis_link_pass(h->link, fds, n, t0);
    uint64_t took = now_us() - t0;
    if (took > h->longest_pass_us)
        h->longest_pass_us = took;
    h->passes++;
}

typedef bool (*pred_fn)(const harness *h, long arg);

static bool spin_until(harness *h, pred_fn pred, long arg, int timeout_ms)
{
    uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
    while (now_us() < deadline) {
        if (pred(h, arg))
            return true;
        one_pass(h, 10);
    }
    return pred(h, arg);
}

static void spin_for(harness *h, int ms)
{
    uint64_t deadline = now_us() + (uint64_t)ms * 1000;
    while (now_us() < deadline)
        one_pass(h, 10);
}

static bool is_up(const harness *h, long arg)
{
    (void)arg;
    return redis_link_up(h->link);
}

static bool is_down(const harness *h, long arg)
{
    (void)arg;
    return !redis_link_up(h->link);
}

static bool replies_at_least(const harness *h, long n)
{
    return h->replies + h->null_replies >= n;
}

static bool messages_at_least(const harness *h, long n)
{
    return h->messages >= n;
}

static bool failures_at_least(const harness *h, long n)
{
    return (long)redis_link_get_stats(h->link)->connect_failures >= n;
}

static int command(harness *h, int argc, const char **argv)
{
    return redis_link_command(h->link, on_reply, NULL, argc, argv, NULL);
}

static int teardown(void **state)
{
    harness *h = *state;
    redis_link_destroy(h->link);
    redis_fixture_stop(&h->redis);
    test_free(h);
    return 0;
}

static int setup(void **state)
{
    harness *h = test_calloc(1, sizeof *h);
    *state = h;
    return 0;
}

static harness *started(void **state, bool tcp, const char *password)
{
    harness *h = *state;
    assert_int_equal(redis_fixture_start(&h->redis, tcp, password), 0);
    return h;
}

/* ---- URL parsing (no Redis) ---- */

static void test_url_forms(void **state)
{
    (void)state;
    char why[128];
    const char *good[] = {"unix:/tmp/x.sock",  "redis://127.0.0.1:6390",  "redis://host",
                          "redis://:pw@h:1/2", "redis://u:p%40ss@h:7/15", "redis://[::1]:6390/0",
                          "redis://u:p@ss@h:7"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (redis_link_check_url(good[i], why, sizeof why) != 0)
            fail_msg("%s refused: %s", good[i], why);
    const char *bad[] = {"",
                         "unix:",
                         "http://h:1",
                         "redis://",
                         "redis://h:0",
                         "redis://h:65536",
                         "redis://h:x",
                         "redis://h/x",
                         "redis://pw@h:1",
                         "redis://u:@h:1",
                         "redis://u:%4@h:1",
                         "redis://[::1:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (redis_link_check_url(bad[i], why, sizeof why) == 0)
            fail_msg("%s accepted", bad[i]);
        assert_true(why[0] != '\0');
    }
}

static void test_create_refuses_bad_url(void **state)
{
    harness *h = *state;
    redis_link_config cfg;
    config_for(h, &cfg, "redis://h:0");
    char why[128] = "";
    assert_int_equal(redis_link_create(&cfg, now_us(), &h->link, why, sizeof why), -1);
    assert_null(h->link);
    assert_non_null(strstr(why, "port"));
}

/* ---- connecting ---- */

static void test_unix_pipelined_in_order(void **state)
{
    harness *h = started(state, false, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    assert_int_equal(h->ups, 1);
    /* 200 commands queued in one go: written together, answered in order. */
    const char *incr[] = {"INCR", "counter"};
    for (int i = 0; i < 200; i++)
        assert_int_equal(command(h, 2, incr), 0);
    assert_int_equal(redis_link_get_stats(h->link)->pending, 200);
    assert_true(spin_until(h, replies_at_least, 200, 3000));
    for (int i = 0; i < 200; i++) {
        assert_int_equal(h->types[i], REDIS_REPLY_INTEGER);
        assert_int_equal(h->values[i], i + 1);
    }
    const redis_link_stats *st = redis_link_get_stats(h->link);
    assert_int_equal(st->commands, 200);
    assert_int_equal(st->replies, 200);
    assert_int_equal(st->errors, 0);
    assert_int_equal(st->pending, 0);
    assert_int_equal(st->connects, 1);
    assert_int_equal(st->reconnects, 0);
    char text[32];
    const char *get[] = {"GET", "counter"};
    assert_string_equal(redis_fixture_cli_text(&h->redis, 0, text, sizeof text, 2, get), "200");
}

static void test_callbacks_may_issue_commands(void **state)
{
    harness *h = started(state, false, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    h->chain_left = 49;
    const char *incr[] = {"INCR", "chain"};
    assert_int_equal(redis_link_command(h->link, on_chain, NULL, 2, incr, NULL), 0);
    assert_true(spin_until(h, replies_at_least, 50, 3000));
    assert_int_equal(h->chain_rc, 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(h->values[i], i + 1);
}

static void test_error_reply_passed_and_counted(void **state)
{
    harness *h = started(state, false, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    const char *bad[] = {"NOSUCHCOMMAND", "x"};
    const char *ping[] = {"PING"};
    assert_int_equal(command(h, 2, bad), 0);
    assert_int_equal(command(h, 1, ping), 0);
    assert_true(spin_until(h, replies_at_least, 2, 3000));
    assert_int_equal(h->types[0], REDIS_REPLY_ERROR);
    assert_non_null(strstr(h->text[0], "unknown command"));
    assert_int_equal(h->types[1], REDIS_REPLY_STATUS);
    assert_string_equal(h->text[1], "PONG");
    assert_int_equal(redis_link_get_stats(h->link)->errors, 1);
    assert_true(redis_link_up(h->link)); /* an error reply is not a failure of the link */
}

static void test_tcp_password_in_url_and_db(void **state)
{
    harness *h = started(state, true, "s3cret");
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_tcp_url(&h->redis, 3, true, url, sizeof url));
    cfg.subscribe_channel = "chan"; /* the subscriber AUTHs too */
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    const char *set[] = {"SET", "k", "in-db-3"};
    assert_int_equal(command(h, 3, set), 0);
    assert_true(spin_until(h, replies_at_least, 1, 3000));
    assert_string_equal(h->text[0], "OK");
    char text[32];
    const char *get[] = {"GET", "k"};
    assert_string_equal(redis_fixture_cli_text(&h->redis, 3, text, sizeof text, 2, get), "in-db-3");
    /* Where it connects, for logs: never the password. */
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u/3 (127.0.0.1)", (unsigned)h->redis.port);
    assert_string_equal(redis_link_target(h->link), want);
    assert_string_equal(redis_fixture_cli_text(&h->redis, 0, text, sizeof text, 2, get), "(nil)");
}

static void test_tcp_password_override(void **state)
{
    harness *h = started(state, true, "s3cret");
    char url[160];
    redis_link_config cfg;
    /* The URL carries a wrong password: the override (the password file) wins. */
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%u", (unsigned)h->redis.port);
    config_for(h, &cfg, url);
    cfg.password = "s3cret";
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
}

static void test_wrong_or_missing_password_stays_down(void **state)
{
    harness *h = started(state, true, "s3cret");
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_tcp_url(&h->redis, 0, false, url, sizeof url));
    create_link(h, &cfg);
    assert_true(spin_until(h, failures_at_least, 2, 3000));
    assert_false(redis_link_up(h->link));
    assert_int_equal(h->ups, 0);
    assert_int_equal(h->downs, 1); /* the first failure is reported, retries only counted */
    assert_non_null(strstr(h->last_why, "NOAUTH"));
    redis_link_destroy(h->link);
    h->link = NULL;

    cfg.password = "not-it";
    h->downs = 0;
    create_link(h, &cfg);
    assert_true(spin_until(h, failures_at_least, 1, 3000));
    assert_int_equal(h->ups, 0);
    assert_non_null(strstr(h->last_why, "AUTH"));
    assert_non_null(strstr(redis_link_get_stats(h->link)->last_error, "AUTH"));
}

static void test_acl_user(void **state)
{
    harness *h = started(state, true, "s3cret");
    const char *acl[] = {"ACL", "SETUSER", "alice", "on", ">alice-pw", "~*", "&*", "+@all"};
    char text[64];
    assert_string_equal(redis_fixture_cli_text(&h->redis, 0, text, sizeof text, 8, acl), "OK");
    char url[160];
    snprintf(url, sizeof url, "redis://alice:alice-pw@127.0.0.1:%u/1", (unsigned)h->redis.port);
    redis_link_config cfg;
    config_for(h, &cfg, url);
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    const char *whoami[] = {"ACL", "WHOAMI"};
    assert_int_equal(command(h, 2, whoami), 0);
    assert_true(spin_until(h, replies_at_least, 1, 3000));
    assert_string_equal(h->text[0], "alice");
}

/* ---- faults ---- */

static void test_stopped_redis_times_out_and_comes_back(void **state)
{
    harness *h = started(state, false, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    cfg.command_timeout_ms = 400;
    cfg.connect_timeout_ms = 300;
    cfg.backoff_max_ms = 400;
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));

    assert_int_equal(redis_fixture_pause(&h->redis), 0);
    const char *ping[] = {"PING"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(command(h, 1, ping), 0);
    uint64_t t0 = now_us();
    uint64_t passes0 = h->passes;
    assert_true(spin_until(h, is_down, 0, 3000));
    uint64_t took_ms = (now_us() - t0) / 1000;
    assert_true(took_ms >= 350); /* not before the timeout (less one pass) */
    assert_int_equal(h->null_replies, 5);
    assert_int_equal(h->replies, 0);
    assert_int_equal(h->downs, 1);
    assert_non_null(strstr(h->last_why, "no reply in 400 ms"));
    const redis_link_stats *st = redis_link_get_stats(h->link);
    assert_true(st->timeouts >= 1);
    assert_int_equal(st->errors, 5);
    assert_int_equal(st->pending, 0);
    /* Down, commands are refused at once. */
    assert_int_equal(command(h, 1, ping), -1);
    assert_int_equal(st->refused_down, 1);

    /* Still stopped: reconnects connect (the kernel accepts) but the
     * handshake times out; the loop keeps turning all along. */
    spin_for(h, 1500);
    assert_false(redis_link_up(h->link));
    assert_true(st->connect_failures >= 1);
    assert_true(h->passes - passes0 > 50); /* a pass that waited would leave a handful */
    assert_true(h->longest_pass_us < 250 * 1000);

    assert_int_equal(redis_fixture_resume(&h->redis), 0);
    assert_true(spin_until(h, is_up, 0, 5000));
    assert_int_equal(h->ups, 2);
    assert_int_equal(st->reconnects, 1);
    assert_int_equal(command(h, 1, ping), 0);
    assert_true(spin_until(h, replies_at_least, 6, 3000));
    assert_string_equal(h->text[0], "PONG");
}

static void test_killed_and_restarted(void **state)
{
    harness *h = started(state, true, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_tcp_url(&h->redis, 0, false, url, sizeof url));
    cfg.subscribe_channel = "chan";
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    const char *set[] = {"SET", "k", "v"};
    assert_int_equal(command(h, 3, set), 0);
    assert_true(spin_until(h, replies_at_least, 1, 3000));

    assert_int_equal(redis_fixture_kill(&h->redis), 0);
    const char *ping[] = {"PING"};
    /* In flight when the EOF is seen; its NULL callback tries another command. */
    h->chain_left = 1;
    assert_int_equal(redis_link_command(h->link, on_chain, NULL, 1, ping, NULL), 0);
    assert_true(spin_until(h, is_down, 0, 3000));
    assert_true(spin_until(h, replies_at_least, 2, 3000));
    assert_int_equal(h->null_replies, 1);
    assert_int_equal(h->chain_rc, -1); /* refused: the link was already down for it */
    assert_int_equal(h->chain_left, 0);
    assert_int_equal(h->downs, 1);
    print_message("down after SIGKILL: %s\n", h->last_why);
    assert_true(strstr(h->last_why, "closed") != NULL || strstr(h->last_why, "reset") != NULL);

    assert_int_equal(redis_fixture_restart(&h->redis), 0);
    assert_true(spin_until(h, is_up, 0, 5000));
    assert_int_equal(redis_link_get_stats(h->link)->reconnects, 1);
    const char *get[] = {"GET", "k"};
    assert_int_equal(command(h, 2, get), 0);
    assert_true(spin_until(h, replies_at_least, 3, 3000));
    assert_int_equal(h->types[1], REDIS_REPLY_NIL); /* restarted empty */
    /* The subscriber came back too. */
    const char *pub[] = {"PUBLISH", "chan", "again"};
    char text[32];
    assert_string_equal(redis_fixture_cli_text(&h->redis, 0, text, sizeof text, 3, pub), "1");
    assert_true(spin_until(h, messages_at_least, 1, 3000));
}

static void test_max_pending_bound(void **state)
{
    harness *h = started(state, false, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    cfg.max_pending = 5;
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    const char *ping[] = {"PING"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(command(h, 1, ping), 0);
    assert_int_equal(command(h, 1, ping), -1);
    assert_int_equal(redis_link_publish(h->link, "c", "x", 1), -1);
    assert_int_equal(redis_link_get_stats(h->link)->refused_full, 2);
    assert_int_equal(h->replies + h->null_replies, 0); /* refused: no callback */
    assert_true(spin_until(h, replies_at_least, 5, 3000));
    assert_int_equal(command(h, 1, ping), 0); /* room again */

    /* Destroyed with commands in flight: each callback gets NULL first. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(command(h, 1, ping), 0);
    redis_link_destroy(h->link);
    h->link = NULL;
    assert_int_equal(h->null_replies, 5);
}

static void test_pubsub_message_reaches_on_message(void **state)
{
    harness *h = started(state, false, NULL);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    cfg.subscribe_channel = "lobby:events";
    create_link(h, &cfg);
    assert_true(spin_until(h, is_up, 0, 3000));
    /* Subscribed before "up": a publish right away is seen. */
    const char payload[] = {'a', '\0', 'b'}; /* binary-safe */
    assert_int_equal(redis_link_publish(h->link, "lobby:events", payload, sizeof payload), 0);
    assert_true(spin_until(h, messages_at_least, 1, 3000));
    assert_int_equal(h->last_message_len, 3);
    assert_memory_equal(h->last_message, payload, 3);
    const char *pub[] = {"PUBLISH", "lobby:events", "from-cli"};
    char text[32];
    assert_string_equal(redis_fixture_cli_text(&h->redis, 0, text, sizeof text, 3, pub), "1");
    assert_true(spin_until(h, messages_at_least, 2, 3000));
    assert_memory_equal(h->last_message, "from-cli", 8);
    assert_int_equal(redis_link_get_stats(h->link)->messages, 2);
    /* A publish is a command: counted, no reply callback. */
    assert_int_equal(redis_link_get_stats(h->link)->commands, 1);
}

static void test_nothing_listening_backs_off_then_connects(void **state)
{
    harness *h = started(state, false, NULL);
    /* The socket file stays behind a killed server: connect is refused. */
    assert_int_equal(redis_fixture_kill(&h->redis), 0);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    cfg.backoff_min_ms = 40;
    cfg.backoff_max_ms = 640;
    cfg.random_u32 = fixed_random; /* jitter 0: delays are the halves */
    create_link(h, &cfg);
    uint32_t delays[8] = {0};
    int seen = 0;
    uint64_t failures = 0;
    uint64_t deadline = now_us() + 4000 * 1000;
    while (seen < 6 && now_us() < deadline) {
        one_pass(h, 10);
        const redis_link_stats *st = redis_link_get_stats(h->link);
        if (st->connect_failures > failures) {
            failures = st->connect_failures;
            delays[seen++] = st->retry_delay_ms;
        }
    }
    assert_int_equal(seen, 6);
    const uint32_t want[] = {20, 40, 80, 160, 320, 320};
    for (int i = 0; i < 6; i++)
        assert_int_equal(delays[i], want[i]);
    assert_int_equal(h->downs, 1);
    assert_int_equal(h->ups, 0);
    assert_false(redis_link_up(h->link));
    assert_true(h->passes > 20);

    assert_int_equal(redis_fixture_restart(&h->redis), 0);
    assert_true(spin_until(h, is_up, 0, 3000));
    assert_int_equal(h->ups, 1);
    const redis_link_stats *st = redis_link_get_stats(h->link);
    assert_int_equal(st->connects, 1);
    assert_int_equal(st->reconnects, 0);
}

static void test_jitter_within_half(void **state)
{
    harness *h = started(state, false, NULL);
    assert_int_equal(redis_fixture_kill(&h->redis), 0);
    char url[160];
    redis_link_config cfg;
    config_for(h, &cfg, redis_fixture_unix_url(&h->redis, url, sizeof url));
    cfg.backoff_min_ms = 100;
    cfg.random_u32 = fixed_random;
    h->next_random = 0xffffffffu; /* jitter at its largest: the whole base */
    create_link(h, &cfg);
    one_pass(h, 0);
    /* base 100: half fixed (50) + 0xffffffff % 51 = 50 + 0 ... */
    uint32_t d = redis_link_get_stats(h->link)->retry_delay_ms;
    assert_int_equal(d, 50 + 0xffffffffu % 51);
    assert_true(d >= 50 && d <= 100);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* hiredis writes with write(2) */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_forms),
        cmocka_unit_test_setup_teardown(test_create_refuses_bad_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unix_pipelined_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callbacks_may_issue_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_reply_passed_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_password_in_url_and_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_password_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_or_missing_password_stays_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped_redis_times_out_and_comes_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_killed_and_restarted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_pending_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_message_reaches_on_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_listening_backs_off_then_connects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_jitter_within_half, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
