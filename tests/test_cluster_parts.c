/* The cluster's pure parts without Redis: the directory's lobby lines
 * (format, parse, what a hostile line cannot do), the copy of the directory
 * (find, replace a server's lobbies, expiry), the seats held for redirected
 * players (counted as taken until used or expired), and redirect tickets
 * (a good one admits once; forged, expired, replayed, or for another server
 * or player, each refused with its reason). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cluster_dir.h"
#include "cluster_ticket.h"
#include "lobby.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static proto_str str(const char *s)
{
    return proto_str_from_cstr(s);
}

/* ---- lobby lines ------------------------------------------------------------ */

static void line_round_trip(void **state)
{
    (void)state;
    proto_lobby_entry e = {.name = str("Party Room"),
                           .players = 3,
                           .capacity = 8,
                           .flags = PROTO_LOBBYF_PASSWORD,
                           .state = PROTO_LOBBY_STARTING,
                           .owner = str("bob"),
                           .median_rtt_ms = 42,
                           .max_rtt_ms = 150};
    e.meta.count = 2;
    e.meta.pairs[0] = (proto_meta){str("mode"), str("ctf")};
    e.meta.pairs[1] = (proto_meta){str("map"), str("")};
    char line[CLUSTER_LINE_BYTES];
    int n = cluster_dir_format_line(&e, line, sizeof line);
    assert_true(n > 0);
    assert_string_equal(line, "Party Room\t3\t8\t1\t2\tbob\t42\t150\tmode\tctf\tmap\t");
    cluster_lobby_entry back;
    assert_true(cluster_dir_parse_line(line, (size_t)n, &back));
    proto_lobby_entry row;
    cluster_dir_row(&back, &row);
    assert_true(proto_str_eq(row.name, e.name));
    assert_true(proto_str_eq(row.owner, e.owner));
    assert_int_equal(row.players, 3);
    assert_int_equal(row.capacity, 8);
    assert_int_equal(row.flags, PROTO_LOBBYF_PASSWORD);
    assert_int_equal(row.state, PROTO_LOBBY_STARTING);
    assert_int_equal(row.median_rtt_ms, 42);
    assert_int_equal(row.max_rtt_ms, 150);
    assert_int_equal(row.meta.count, 2);
    assert_true(proto_str_eq(row.meta.pairs[1].key, str("map")));
    assert_int_equal(row.meta.pairs[1].value.len, 0);
}

/* Whatever another server (or anyone with Redis access) wrote, a line is
 * either read whole within the protocol's limits or skipped. */
static void bad_lines_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                                  /* nothing */
        "x\t1\t16\t0\t1\tbob\t1",                            /* a field short */
        "x\t1\t0\t0\t1\tbob\t1\t0",                          /* capacity 0 */
        "x\t65\t16\t0\t1\tbob\t1\t0",                        /* players above any lobby */
        "x\t1\t16\t4\t1\tbob\t1\t0",                         /* unknown flag */
        "x\t1\t16\t0\t4\tbob\t1\t0",                         /* unknown state */
        "x\t1\t16\t0\t1\tbob\t70000\t0",                     /* RTT past u16 */
        "x\t1\t16\t0\t1\tbob\t1\t0\tmode",                   /* a key without a value */
        "x\t-1\t16\t0\t1\tbob\t1\t0",                        /* not a number */
        "0123456789012345678901234\t1\t16\t0\t1\tbob\t1\t0", /* name of 25 bytes */
        "x\t1\t16\t0\t1\tbob\t1\t0\ta\tb\ta\tb\ta\tb\ta\tb\ta\tb\ta\tb\ta\tb\ta\tb\ta\tb",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cluster_lobby_entry e;
        if (cluster_dir_parse_line(bad[i], strlen(bad[i]), &e))
            fail_msg("line %zu was accepted: '%s'", i, bad[i]);
    }
}

/* ---- the copy of the directory ----------------------------------------------- */

static void copy_replaces_and_expires(void **state)
{
    (void)state;
    cluster_dir d;
    cluster_dir_init(&d);
    int a = cluster_dir_server(&d, "A"), b = cluster_dir_server(&d, "B");
    assert_true(a >= 0 && b >= 0 && a != b);
    assert_int_equal(cluster_dir_server(&d, "A"), a);
    const char *keys[] = {"red", "blue", "bad"};
    size_t key_lens[] = {3, 4, 3};
    const char *lines[] = {"Red\t1\t16\t0\t1\tal\t1\t0", "Blue\t2\t16\t0\t1\tbo\t1\t0", "junk"};
    size_t line_lens[] = {strlen(lines[0]), strlen(lines[1]), strlen(lines[2])};
    unsigned bad = 0;
    cluster_dir_set_lobbies(&d, a, keys, key_lens, lines, line_lens, 3, &bad);
    assert_int_equal(bad, 1);
    assert_int_equal(d.count, 2);
    cluster_dir_set_lobbies(&d, b, keys + 1, key_lens + 1, lines + 1, line_lens + 1, 1, &bad);
    assert_int_equal(d.count, 3);
    /* A's new list replaces its old one, and leaves B's alone. */
    cluster_dir_set_lobbies(&d, a, keys, key_lens, lines, line_lens, 1, &bad);
    assert_int_equal(d.count, 2);
    int red = cluster_dir_find(&d, "red", 3);
    assert_true(red >= 0);
    assert_int_equal(d.lobbies[red].server, a);
    assert_int_equal(d.lobbies[cluster_dir_find(&d, "blue", 4)].server, b);
    /* A not heard from for the TTL: gone with its lobbies. */
    d.servers[a].seen_us = 1000000;
    d.servers[b].seen_us = 3000000;
    assert_int_equal(cluster_dir_expire(&d, 3600000, 2500000), 1);
    assert_int_equal(cluster_dir_find(&d, "red", 3), -1);
    assert_true(cluster_dir_find(&d, "blue", 4) >= 0);
    assert_int_equal(cluster_dir_server_count(&d), 1);
    cluster_dir_deinit(&d);
}

/* ---- seats held for redirected players -------------------------------------- */

static void holds_count_until_used_or_expired(void **state)
{
    (void)state;
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 4, 2), LOBBY_OK);
    int x = lobby_open(&set, str("x"));
    lobby *l = &set.lobbies[x];
    lobby_joiner al = {"al", 2, 8, 2}, bo = {"bo", 2, 9, 2}, cy = {"cy", 2, 7, 2};
    assert_true(lobby_hold_seat(l, &al, 100, 5100));
    assert_true(lobby_hold_seat(l, &bo, 100, 5100));
    /* Capacity 2, two held: a third joiner finds it full... */
    assert_false(lobby_hold_seat(l, &cy, 100, 5100));
    uint64_t wait;
    assert_int_equal(lobby_admit(l, &cy, str(""), 10, 200, &wait), LOBBY_ERR_FULL);
    /* ...while the player a seat is held for is admitted to it. */
    assert_int_equal(lobby_admit(l, &al, str(""), 10, 200, &wait), LOBBY_OK);
    assert_true(lobby_use_hold(l, "al", 2));
    assert_false(lobby_use_hold(l, "al", 2));
    /* bo never comes: its seat is free again at the expiry, and counted. */
    assert_int_equal(lobby_expire_holds(l, 5099), 0);
    assert_int_equal(lobby_expire_holds(l, 5100), 1);
    assert_int_equal(lobby_holds_for_others(l, "", 0, 5100), 0);
    assert_int_equal(lobby_admit(l, &cy, str(""), 10, 5200, &wait), LOBBY_OK);
    lobby_set_deinit(&set);
}

/* Holds are seats on their way: one holder may not hold more of a lobby
 * than its share of seats, so names cycled through redirects cannot lock a
 * lobby on another server. */
static void holds_within_the_holders_share(void **state)
{
    (void)state;
    lobby_set set;
    assert_int_equal(lobby_set_init(&set, 4, 16), LOBBY_OK);
    lobby *l = &set.lobbies[lobby_open(&set, str("x"))];
    char names[16][4];
    unsigned held = 0;
    for (unsigned i = 0; i < 16; i++) {
        snprintf(names[i], sizeof names[i], "p%u", i);
        lobby_joiner p = {names[i], (uint8_t)strlen(names[i]), 42, lobby_holder_share(l, 50)};
        held += lobby_hold_seat(l, &p, 100, 5100);
    }
    assert_int_equal(held, 8);
    lobby_joiner other = {"zz", 2, 43, lobby_holder_share(l, 50)};
    assert_true(lobby_hold_seat(l, &other, 100, 5100));
    lobby_set_deinit(&set);
}

/* ---- tickets ------------------------------------------------------------------ */

static const uint8_t SECRET[] = "a secret every server shares!!";
static const uint64_t NOW_MS = 1700000000000ull;

static int issue(const cluster_tickets *t, const char *player, const char *target,
                 uint64_t expires_ms, uint8_t *out)
{
    return cluster_tickets_issue(t, TICKET_JOIN, str("Den"), str(player), target, expires_ms, out,
                                 TICKET_MAX_BYTES);
}

static int check(cluster_tickets *t, const uint8_t *b, int n, const char *player, uint64_t now_ms)
{
    server_ticket_info info;
    char why[128];
    server_ticket_ask ask = {str(player), str("den"), false};
    return cluster_tickets_check(t, b, (size_t)n, &ask, now_ms, &info, why, sizeof why);
}

static void ticket_admits_once(void **state)
{
    (void)state;
    cluster_tickets *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_int_equal(cluster_tickets_init(a, SECRET, sizeof SECRET, "A"), 0);
    assert_int_equal(cluster_tickets_init(b, SECRET, sizeof SECRET, "B"), 0);
    uint8_t t[TICKET_MAX_BYTES];
    int n = issue(a, "Al", "B", NOW_MS + 5000, t);
    assert_true(n > 0);
    server_ticket_info info;
    char why[128];
    /* Names compare as keys: "al" in "DEN" is the player "Al" in "Den". */
    server_ticket_ask ask = {str("al"), str("DEN"), false};
    assert_int_equal(cluster_tickets_check(b, t, (size_t)n, &ask, NOW_MS, &info, why, sizeof why),
                     0);
    assert_int_equal(info.kind, TICKET_JOIN);
    assert_string_equal(info.lobby, "Den");
    assert_int_equal(check(b, t, n, "Al", NOW_MS + 1), PROTO_REASON_TICKET_USED);
    free(a), free(b);
}

static void tickets_refused_by_reason(void **state)
{
    (void)state;
    cluster_tickets *a = malloc(sizeof *a), *b = malloc(sizeof *b), *other = malloc(sizeof *other);
    assert_int_equal(cluster_tickets_init(a, SECRET, sizeof SECRET, "A"), 0);
    assert_int_equal(cluster_tickets_init(b, SECRET, sizeof SECRET, "B"), 0);
    static const uint8_t OTHER[] = "another cluster's secret.......";
    assert_int_equal(cluster_tickets_init(other, OTHER, sizeof OTHER, "A"), 0);
    uint8_t t[TICKET_MAX_BYTES];
    int n = issue(other, "al", "B", NOW_MS + 5000, t);
    assert_int_equal(check(b, t, n, "al", NOW_MS), PROTO_REASON_TICKET_INVALID); /* forged */
    n = issue(a, "al", "B", NOW_MS + 5000, t);
    assert_int_equal(check(a, t, n, "al", NOW_MS), PROTO_REASON_TICKET_INVALID);  /* for B */
    assert_int_equal(check(b, t, n, "bob", NOW_MS), PROTO_REASON_TICKET_INVALID); /* for al */
    server_ticket_info info;
    char why[128];
    server_ticket_ask elsewhere = {str("al"), str("hall"), false},
                      browsing = {str("al"), str(""), true};
    assert_int_equal(
        cluster_tickets_check(b, t, (size_t)n, &elsewhere, NOW_MS, &info, why, sizeof why),
        PROTO_REASON_TICKET_INVALID); /* for lobby Den */
    assert_int_equal(
        cluster_tickets_check(b, t, (size_t)n, &browsing, NOW_MS, &info, why, sizeof why),
        PROTO_REASON_TICKET_INVALID); /* a JOIN ticket is no placement */
    t[n - 1] ^= 1;
    assert_int_equal(check(b, t, n, "al", NOW_MS), PROTO_REASON_TICKET_INVALID); /* changed */
    t[n - 1] ^= 1;
    assert_int_equal(check(b, t, n, "al", NOW_MS + 5000), PROTO_REASON_TICKET_EXPIRED);
    assert_int_equal(check(b, t, n - 1, "al", NOW_MS), PROTO_REASON_TICKET_INVALID); /* cut */
    assert_int_equal(check(b, t, n, "al", NOW_MS), 0);
    assert_int_equal(cluster_tickets_init(a, SECRET, 15, "A"), -1); /* secret too short */
    free(a), free(b), free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(line_round_trip),
        cmocka_unit_test(bad_lines_refused),
        cmocka_unit_test(copy_replaces_and_expires),
        cmocka_unit_test(holds_count_until_used_or_expired),
        cmocka_unit_test(holds_within_the_holders_share),
        cmocka_unit_test(ticket_admits_once),
        cmocka_unit_test(tickets_refused_by_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
