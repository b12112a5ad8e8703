/* What /metrics and /lobbies say, without sockets: Prometheus text rendered
 * from known counters (every sample under a declared family, labels escaped,
 * histograms cumulative), lobby JSON with escaped names and round trips, the
 * growable buffer, and --http address parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_api.h"
#include "metrics.h"

/* Owned by each test's teardown, so a failing assertion frees it all. */
typedef struct fixture {
    metrics_buf out;
    server_stats st;
    transport_stats ts;
    metrics_histogram rtt, tick;
    metrics_input in;
    lobby_set set;
    bool set_ready;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    metrics_buf_init(&f->out);
    metrics_histogram_init_rtt(&f->rtt);
    metrics_histogram_init_tick(&f->tick);
    f->in.server = &f->st;
    f->in.transport = &f->ts;
    f->in.peer_rtt = &f->rtt;
    f->in.tick = &f->tick;
    f->in.version = "9.8.7";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    metrics_buf_deinit(&f->out);
    if (f->set_ready)
        lobby_set_deinit(&f->set);
    free(f);
    return 0;
}

static void assert_has(const metrics_buf *b, const char *needle)
{
    assert_false(b->failed);
    if (strstr(b->data, needle) == NULL)
        fail_msg("missing:\n%s\n---- in ----\n%s", needle, b->data);
}

/* ---- the buffer ----------------------------------------------------------- */

static void buffer_grows_and_stays_terminated(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 2000; i++)
        metrics_buf_printf(&f->out, "%04d,", i);
    assert_false(f->out.failed);
    assert_int_equal(f->out.len, 2000 * 5);
    assert_int_equal(strlen(f->out.data), f->out.len);
    assert_memory_equal(f->out.data + 1999 * 5, "1999,", 5);
    char long_line[1000];
    memset(long_line, 'x', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = '\0';
    metrics_buf_clear(&f->out);
    metrics_buf_printf(&f->out, "<%s>", long_line); /* longer than printf's stack buffer */
    assert_int_equal(f->out.len, 1001);
    assert_int_equal(f->out.data[1000], '>');
}

/* ---- Prometheus text ------------------------------------------------------ */

static void counters_render_with_help_and_type(void **state)
{
    fixture *f = *state;
    f->st.joins = 3;
    f->st.connects = 4;
    f->st.chats_accepted = 5;
    f->st.chats_refused[PROTO_REFUSE_RATE_LIMITED] = 2;
    f->st.positions_rate_limited = 6;
    f->st.rejects[PROTO_REASON_NAME_TAKEN] = 1;
    f->st.leaves[PROTO_LEAVE_TIMEOUT] = 7;
    f->st.malformed_by[SERVER_MALFORMED_WRONG_STATE] = 8;
    f->st.kicks = 3;
    f->st.flood_kicks = 1;
    f->ts.service_errors = 9;
    f->ts.dropped[TRANSPORT_DROP_CONNECT_RATE] = 11;
    f->ts.udp_bytes_out = 12345678901ull; /* past 32 bits */
    f->in.sessions = 4;
    f->in.players_connected = 2;
    f->in.lobbies_open = 1;
    f->in.lobbies_by_state[PROTO_LOBBY_IN_GAME] = 1;
    f->st.lobby_refusals[PROTO_LOBBY_NOT_OWNER] = 4;
    f->st.games_started = 2;
    f->in.uptime_s = 12.5;
    metrics_render_prometheus(&f->in, &f->out);
    assert_has(&f->out, "# HELP lobby_joins_total Players who joined a lobby.\n"
                        "# TYPE lobby_joins_total counter\nlobby_joins_total 3\n");
    assert_has(&f->out, "\nlobby_connections_total 4\n");
    assert_has(&f->out, "\nlobby_chats_accepted_total 5\n");
    assert_has(&f->out, "\nlobby_chats_refused_total{reason=\"rate_limited\"} 2\n");
    assert_has(&f->out, "\nlobby_chats_refused_total{reason=\"empty\"} 0\n");
    assert_has(&f->out, "\nlobby_rejects_total{reason=\"name_taken\"} 1\n");
    assert_has(&f->out, "\nlobby_leaves_total{reason=\"timeout\"} 7\n");
    assert_has(&f->out, "\nlobby_malformed_messages_total{reason=\"wrong_state\"} 8\n");
    assert_has(&f->out, "\nlobby_kicks_total{reason=\"malformed\"} 2\n");
    assert_has(&f->out, "\nlobby_kicks_total{reason=\"flooding\"} 1\n");
    assert_has(&f->out, "\nlobby_rate_limited_total{what=\"chat\"} 2\n");
    assert_has(&f->out, "\nlobby_rate_limited_total{what=\"position\"} 6\n");
    assert_has(&f->out, "\nlobby_rate_limited_total{what=\"connect\"} 11\n");
    assert_has(&f->out, "\nlobby_enet_service_errors_total 9\n");
    assert_has(&f->out, "\nlobby_udp_out_bytes_total 12345678901\n");
    assert_has(&f->out, "# TYPE lobby_sessions_open gauge\nlobby_sessions_open 4\n");
    assert_has(&f->out, "\nlobby_players_connected 2\n");
    assert_has(&f->out, "\nlobby_lobbies_open 1\n");
    assert_has(&f->out, "\nlobby_lobbies{state=\"in_game\"} 1\n");
    assert_has(&f->out, "\nlobby_lobbies{state=\"open\"} 0\n");
    assert_has(&f->out, "\nlobby_lobby_refusals_total{reason=\"not_owner\"} 4\n");
    assert_has(&f->out, "\nlobby_lobby_refusals_total{reason=\"rate_limited\"} 0\n");
    assert_has(&f->out, "\nlobby_games_started_total 2\n");
    assert_has(&f->out, "\nlobby_uptime_seconds 12.500\n");
    assert_has(&f->out, "lobby_build_info{version=\"9.8.7\"} 1\n");
    char drop[160];
    snprintf(drop, sizeof drop, "\nlobby_dropped_datagrams_total{reason=\"%s\"} 11\n",
             transport_drop_reason(TRANSPORT_DROP_CONNECT_RATE));
    assert_has(&f->out, drop);
}

static void messages_are_counted_by_type_name(void **state)
{
    fixture *f = *state;
    f->st.messages_in[PROTO_CHAT] = 7;
    f->st.bytes_in[PROTO_CHAT] = 70;
    f->st.messages_out[PROTO_CHAT_ACK] = 7;
    f->st.bytes_out[PROTO_POSITION_SNAPSHOT] = 1234;
    metrics_render_prometheus(&f->in, &f->out);
    assert_has(&f->out, "\nlobby_messages_in_total{type=\"chat\"} 7\n");
    assert_has(&f->out, "\nlobby_messages_in_bytes_total{type=\"chat\"} 70\n");
    assert_has(&f->out, "\nlobby_messages_out_total{type=\"chat_ack\"} 7\n");
    assert_has(&f->out, "\nlobby_messages_out_bytes_total{type=\"position_snapshot\"} 1234\n");
    assert_has(&f->out, "\nlobby_messages_in_total{type=\"hello\"} 0\n");
    assert_null(strstr(f->out.data, "type=\"?\""));
}

static void histograms_are_cumulative(void **state)
{
    fixture *f = *state;
    metrics_histogram_observe(&f->tick, 0.00005); /* first bucket */
    metrics_histogram_observe(&f->tick, 0.0001);  /* on a bound: that bucket */
    metrics_histogram_observe(&f->tick, 0.003);   /* le 0.005 */
    metrics_histogram_observe(&f->tick, 7.0);     /* only +Inf */
    metrics_histogram_observe(&f->rtt, 0.003);
    metrics_render_prometheus(&f->in, &f->out);
    assert_has(&f->out, "# TYPE lobby_tick_duration_seconds histogram\n"
                        "lobby_tick_duration_seconds_bucket{le=\"0.0001\"} 2\n"
                        "lobby_tick_duration_seconds_bucket{le=\"0.00025\"} 2\n");
    assert_has(&f->out, "\nlobby_tick_duration_seconds_bucket{le=\"0.0025\"} 2\n"
                        "lobby_tick_duration_seconds_bucket{le=\"0.005\"} 3\n");
    assert_has(&f->out, "\nlobby_tick_duration_seconds_bucket{le=\"0.1\"} 3\n"
                        "lobby_tick_duration_seconds_bucket{le=\"+Inf\"} 4\n"
                        "lobby_tick_duration_seconds_sum 7.00315\n"
                        "lobby_tick_duration_seconds_count 4\n");
    assert_has(&f->out, "\nlobby_peer_rtt_seconds_bucket{le=\"0.0025\"} 0\n"
                        "lobby_peer_rtt_seconds_bucket{le=\"0.005\"} 1\n");
}

/* The family a sample line belongs to: its name, or the histogram's name
 * without _bucket, _sum or _count. */
static bool belongs_to(const char *line, const char *family, const char *type)
{
    size_t n = strlen(family);
    if (strncmp(line, family, n) != 0)
        return false;
    const char *rest = line + n;
    if (strcmp(type, "histogram") == 0) {
        for (const char *suffix = "_bucket\0_sum\0_count\0"; *suffix; suffix += strlen(suffix) + 1)
            if (strncmp(rest, suffix, strlen(suffix)) == 0) {
                rest += strlen(suffix);
                break;
            }
    }
    return *rest == ' ' || *rest == '{';
}

/* Every sample follows # HELP and # TYPE of its own family, each family is
 * declared once, and every value is a number. */
static void every_sample_is_under_its_family(void **state)
{
    fixture *f = *state;
    metrics_render_prometheus(&f->in, &f->out);
    assert_false(f->out.failed);
    assert_int_equal(f->out.data[f->out.len - 1], '\n');
    char *text = strdup(f->out.data);
    assert_non_null(text);
    char family[128] = "", type[16] = "", help_of[128] = "", seen[8192] = " ";
    unsigned samples = 0, families = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s", help_of), 1);
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s %15s", family, type), 2);
            assert_string_equal(family, help_of);
            char key[140];
            snprintf(key, sizeof key, " %s ", family);
            assert_null(strstr(seen, key)); /* declared once */
            strncat(seen, key + 1, sizeof seen - strlen(seen) - 1);
            families++;
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                        strcmp(type, "histogram") == 0);
            if (strcmp(type, "counter") == 0)
                assert_non_null(strstr(family, "_total"));
        } else {
            if (!belongs_to(line, family, type))
                fail_msg("sample '%s' is not under family %s (%s)", line, family, type);
            const char *value = strrchr(line, ' ');
            char *end;
            strtod(value + 1, &end);
            assert_int_equal(*end, '\0');
            samples++;
        }
    }
    free(text);
    assert_true(families >= 30);
    assert_true(samples >= 100);
}

static void label_values_are_escaped(void **state)
{
    fixture *f = *state;
    f->in.version = "1\"2\\3\n4";
    metrics_render_prometheus(&f->in, &f->out);
    assert_has(&f->out, "lobby_build_info{version=\"1\\\"2\\\\3\\n4\"} 1\n");
}

static void histograms_are_left_out_when_absent(void **state)
{
    fixture *f = *state;
    f->in.peer_rtt = NULL;
    f->in.tick = NULL;
    metrics_render_prometheus(&f->in, &f->out);
    assert_null(strstr(f->out.data, "lobby_peer_rtt_seconds"));
    assert_null(strstr(f->out.data, "lobby_tick_duration_seconds"));
}

/* ---- lobbies and JSON ----------------------------------------------------- */

static void json_strings_are_escaped(void **state)
{
    fixture *f = *state;
    const char text[] = "a\"b\\c\nd\x01\x7f"
                        "\xc3\xa9";
    metrics_json_string(&f->out, text, sizeof text - 1);
    assert_string_equal(f->out.data, "\"a\\\"b\\\\c\\nd\\u0001\\u007f\xc3\xa9\"");
    metrics_buf_clear(&f->out);
    metrics_json_string(&f->out, "x\xff", 2); /* not UTF-8: still valid JSON */
    assert_string_equal(f->out.data, "\"x\\ufffd\"");
    metrics_buf_clear(&f->out);
    metrics_json_string(&f->out, "", 0);
    assert_string_equal(f->out.data, "\"\"");
}

static bool rtt_is_ten_times_session(void *user, uint32_t session, uint32_t *rtt_ms)
{
    (void)user;
    if (session == 99)
        return false; /* a peer with no figure yet */
    *rtt_ms = session * 10;
    return true;
}

static void join(fixture *f, const char *lobby_name, const char *name, uint32_t session,
                 uint16_t id)
{
    assert_true(lobby_join(&f->set, proto_str_from_cstr(lobby_name), proto_str_from_cstr(name),
                           session, id) >= 0);
}

static void lobbies_render_as_json(void **state)
{
    fixture *f = *state;
    assert_int_equal(lobby_set_init(&f->set, 4, 8), LOBBY_OK);
    f->set_ready = true;
    join(f, "main", "alice", 1, 1);
    join(f, "main", "q\"uo\\te", 2, 2);
    join(f, "fri", "z\xc3\xb6\xc3\xab", 99, 3);
    join(f, "fri", "held", 4, 4);
    int fri = lobby_find(&f->set, proto_str_from_cstr("fri"));
    lobby *l = &f->set.lobbies[fri];
    lobby_player_find(l, 4)->session = LOBBY_NO_SESSION;
    lobby_settings in = {.capacity = 6, .password = proto_str_from_cstr("pw"), .max_rtt_ms = 120};
    in.meta.count = 1;
    in.meta.pairs[0].key = proto_str_from_cstr("mode");
    in.meta.pairs[0].value = proto_str_from_cstr("c\"tf");
    char why[64];
    assert_int_equal(lobby_configure(l, &in, PROTO_CONFIGURE_ALL, why, sizeof why), LOBBY_OK);
    l->state = PROTO_LOBBY_STARTING;
    metrics_render_lobbies(&f->set, rtt_is_ten_times_session, NULL, &f->out);
    assert_string_equal(
        f->out.data,
        "{\"lobbies\":["
        "{\"name\":\"main\",\"players\":2,\"capacity\":8,\"owner\":null,\"owner_id\":0,"
        "\"server_owned\":true,\"state\":\"open\",\"has_password\":false,\"max_rtt_ms\":0,"
        "\"metadata\":{},"
        "\"members\":["
        "{\"id\":1,\"name\":\"alice\",\"rtt_ms\":10,\"reconnecting\":false},"
        "{\"id\":2,\"name\":\"q\\\"uo\\\\te\",\"rtt_ms\":20,\"reconnecting\":false}]},"
        "{\"name\":\"fri\",\"players\":2,\"capacity\":6,\"owner\":\"z\xc3\xb6\xc3\xab\","
        "\"owner_id\":3,\"server_owned\":false,\"state\":\"starting\",\"has_password\":true,\"max_"
        "rtt_ms\":120,"
        "\"metadata\":{\"mode\":\"c\\\"tf\"},\"members\":["
        "{\"id\":3,\"name\":\"z\xc3\xb6\xc3\xab\",\"rtt_ms\":null,\"reconnecting\":false},"
        "{\"id\":4,\"name\":\"held\",\"rtt_ms\":null,\"reconnecting\":true}]}"
        "]}\n");
    metrics_count_lobbies(&f->set, &f->in);
    assert_int_equal(f->in.lobbies_open, 2);
    assert_int_equal(f->in.players_connected, 3);
    assert_int_equal(f->in.players_reconnecting, 1);
    assert_int_equal(f->in.lobbies_by_state[PROTO_LOBBY_OPEN], 1);
    assert_int_equal(f->in.lobbies_by_state[PROTO_LOBBY_STARTING], 1);
    assert_int_equal(f->in.lobbies_by_state[PROTO_LOBBY_IN_GAME], 0);
}

static void empty_default_lobby_is_listed(void **state)
{
    fixture *f = *state;
    assert_int_equal(lobby_set_init(&f->set, 2, 16), LOBBY_OK);
    f->set_ready = true;
    metrics_render_lobbies(&f->set, NULL, NULL, &f->out);
    assert_string_equal(f->out.data,
                        "{\"lobbies\":[{\"name\":\"main\",\"players\":0,"
                        "\"capacity\":16,\"owner\":null,\"owner_id\":0,"
                        "\"server_owned\":true,\"state\":\"open\",\"has_password\":false,"
                        "\"max_rtt_ms\":0,\"metadata\":{},\"members\":[]}]}\n");
}

/* ---- --http --------------------------------------------------------------- */

static void http_addresses_parse_strictly(void **state)
{
    (void)state;
    http_api_address a;
    assert_true(http_api_parse_address("127.0.0.1:7780", &a));
    assert_true(a.enabled);
    assert_int_equal(a.port, 7780);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.ip, 0x0100007fu); /* network order on a little-endian host */
    assert_true(http_api_parse_address("0.0.0.0:0", &a));
    assert_int_equal(a.port, 0);
    assert_true(http_api_parse_address("10.1.2.3:65535", &a));
    assert_int_equal(a.port, 65535);
    assert_true(http_api_parse_address("off", &a));
    assert_false(a.enabled);
    static const char *const bad[] = {
        "",           "127.0.0.1",    "127.0.0.1:",      ":7780",         "localhost:7780",
        "1.2.3:80",   "1.2.3.4.5:80", "256.1.1.1:80",    "1.2.3.4:65536", "1.2.3.4:-1",
        "1.2.3.4:+1", "1.2.3.4:80x",  "1.2.3.4:0x50",    "[::1]:80",      "1.2.3.4:999999",
        "OFF",        "1.2.3.4: 80",  "1.2.3.4:8080:80", "01.2.3.4:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a.port = 4242;
        if (http_api_parse_address(bad[i], &a))
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(a.port, 4242); /* left unchanged */
    }
}

/* The text port's families name every reason and code, the ones of its
 * commands and of refused admissions included. */
static void text_port_counters_have_every_label(void **state)
{
    fixture *f = *state;
    textport_stats t = {0};
    t.refused[TEXTPORT_REFUSE_NOT_ADMITTED] = 2;
    t.closed[TEXTPORT_CLOSE_QUIT] = 3;
    t.errors[TEXTPORT_ERR_UNKNOWN_COMMAND] = 4;
    t.errors[TEXTPORT_ERR_WRONG_PASSWORD] = 5;
    f->in.text = &t;
    metrics_render_prometheus(&f->in, &f->out);
    assert_has(&f->out, "\nlobby_text_connections_refused_total{reason=\"not_admitted\"} 2\n");
    assert_has(&f->out, "\nlobby_text_connections_closed_total{reason=\"quit\"} 3\n");
    assert_has(&f->out, "\nlobby_text_errors_total{code=\"unknown-command\"} 4\n");
    assert_has(&f->out, "\nlobby_text_errors_total{code=\"wrong-password\"} 5\n");
    static const char *const codes[] = {
        "password-required", "no-such-lobby", "usage",
        "not-admitted",      "shutting-down", "too-many-connections"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char want[96];
        snprintf(want, sizeof want, "\nlobby_text_errors_total{code=\"%s\"} 0\n", codes[i]);
        assert_has(&f->out, want);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(buffer_grows_and_stays_terminated),
        T(counters_render_with_help_and_type),
        T(messages_are_counted_by_type_name),
        T(histograms_are_cumulative),
        T(every_sample_is_under_its_family),
        T(label_values_are_escaped),
        T(histograms_are_left_out_when_absent),
        T(json_strings_are_escaped),
        T(lobbies_render_as_json),
        T(empty_default_lobby_is_listed),
        T(text_port_counters_have_every_label),
        cmocka_unit_test(http_addresses_parse_strictly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
