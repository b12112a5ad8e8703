#include "metrics.h"

#include "text.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the buffer ----------------------------------------------------------- */

void metrics_buf_init(metrics_buf *b)
{
    memset(b, 0, sizeof *b);
}

void metrics_buf_deinit(metrics_buf *b)
{
    free(b->data);
    metrics_buf_init(b);
}

void metrics_buf_clear(metrics_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Room for `more` bytes plus the terminating NUL. */
static bool reserve(metrics_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->cap - b->len > more)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void metrics_buf_append(metrics_buf *b, const char *bytes, size_t len)
{
    if (!reserve(b, len))
        return;
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void metrics_buf_printf(metrics_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        metrics_buf_append(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n)) /* rare: a line longer than `small` */
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* ---- histograms ----------------------------------------------------------- */

/* ENet measures round trips in whole milliseconds and starts a new peer at
 * 500 ms until it has a sample. */
static const double RTT_BOUNDS_S[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,   0.25,   0.5,   1.0,  2.5};
/* An idle pass costs microseconds; a pass over many players' datagrams and a
 * snapshot tick, milliseconds. */
static const double TICK_BOUNDS_S[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                       0.005,  0.01,    0.025,  0.05,  0.1};

void metrics_histogram_init(metrics_histogram *h, const double *bounds, size_t bucket_count)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->bucket_count = bucket_count < METRICS_MAX_BUCKETS ? bucket_count : METRICS_MAX_BUCKETS;
}

void metrics_histogram_init_rtt(metrics_histogram *h)
{
    metrics_histogram_init(h, RTT_BOUNDS_S, sizeof RTT_BOUNDS_S / sizeof RTT_BOUNDS_S[0]);
}

void metrics_histogram_init_tick(metrics_histogram *h)
{
    metrics_histogram_init(h, TICK_BOUNDS_S, sizeof TICK_BOUNDS_S / sizeof TICK_BOUNDS_S[0]);
}

void metrics_histogram_observe(metrics_histogram *h, double value)
{
    size_t i = 0;
    while (i < h->bucket_count && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

/* ---- label names ---------------------------------------------------------- */

/* Short, stable label values for the protocol's codes (the English texts of
 * proto_text.c are for people and may change). The asserts make adding a
 * code without naming it here a build error. */
_Static_assert(PROTO_REASON_MAX == 27, "name the new proto_reason in REASON_NAMES");
static const char *const REASON_NAMES[PROTO_REASON_MAX + 1] = {
    [PROTO_REASON_VERSION_MISMATCH] = "version_mismatch",
    [PROTO_REASON_SERVER_FULL] = "server_full",
    [PROTO_REASON_LOBBY_FULL] = "lobby_full",
    [PROTO_REASON_NAME_INVALID] = "name_invalid",
    [PROTO_REASON_NAME_TAKEN] = "name_taken",
    [PROTO_REASON_LOBBY_INVALID] = "lobby_invalid",
    [PROTO_REASON_SHUTTING_DOWN] = "shutting_down",
    [PROTO_REASON_PROTOCOL_VIOLATION] = "protocol_violation",
    [PROTO_REASON_HANDSHAKE_TIMEOUT] = "handshake_timeout",
    [PROTO_REASON_QUIT] = "quit",
    [PROTO_REASON_TOO_MANY_LOBBIES] = "too_many_lobbies",
    [PROTO_REASON_TOKEN_INVALID] = "token_invalid",
    [PROTO_REASON_TOO_MANY_ATTEMPTS] = "too_many_attempts",
    [PROTO_REASON_FLOODING] = "flooding",
    [PROTO_REASON_WRONG_PASSWORD] = "wrong_password",
    [PROTO_REASON_LOBBY_STARTED] = "lobby_started",
    [PROTO_REASON_KICKED] = "kicked",
    [PROTO_REASON_RTT_TOO_HIGH] = "rtt_too_high",
    [PROTO_REASON_AUTH_REQUIRED] = "auth_required",
    [PROTO_REASON_AUTH_INVALID] = "auth_invalid",
    [PROTO_REASON_AUTH_EXPIRED] = "auth_expired",
    [PROTO_REASON_AUTH_WRONG_LOBBY] = "auth_wrong_lobby",
    [PROTO_REASON_QUOTA] = "quota",
    [PROTO_REASON_IDLE] = "idle",
    [PROTO_REASON_TICKET_INVALID] = "ticket_invalid",
    [PROTO_REASON_TICKET_EXPIRED] = "ticket_expired",
    [PROTO_REASON_TICKET_USED] = "ticket_used",
};
_Static_assert(PROTO_LEAVE_MAX == 4, "name the new proto_leave_reason in LEAVE_NAMES");
static const char *const LEAVE_NAMES[PROTO_LEAVE_MAX + 1] = {
    [0] = "shutdown", /* no proto_leave_reason: the others are not told */
    [PROTO_LEAVE_QUIT] = "quit",
    [PROTO_LEAVE_TIMEOUT] = "timeout",
    [PROTO_LEAVE_KICKED] = "kicked",
    [PROTO_LEAVE_LEFT] = "left",
};
_Static_assert(PROTO_REFUSE_MAX == 8, "name the new proto_chat_refusal in REFUSAL_NAMES");
static const char *const REFUSAL_NAMES[PROTO_REFUSE_MAX + 1] = {
    [PROTO_REFUSE_EMPTY] = "empty",
    [PROTO_REFUSE_TOO_LONG] = "too_long",
    [PROTO_REFUSE_INVALID_UTF8] = "invalid_utf8",
    [PROTO_REFUSE_CONTROL_CHARS] = "control_chars",
    [PROTO_REFUSE_RATE_LIMITED] = "rate_limited",
    [PROTO_REFUSE_NO_SUCH_PLAYER] = "no_such_player",
    [PROTO_REFUSE_NOT_IN_LOBBY] = "not_in_lobby",
    [PROTO_REFUSE_UNREACHABLE] = "unreachable",
};
_Static_assert(PROTO_LOBBY_REFUSAL_MAX == 21,
               "name the new proto_lobby_refusal in LOBBY_REFUSAL_NAMES");
static const char *const LOBBY_REFUSAL_NAMES[PROTO_LOBBY_REFUSAL_MAX + 1] = {
    [PROTO_LOBBY_UNKNOWN] = "unknown",
    [PROTO_LOBBY_WRONG_PASSWORD] = "wrong_password",
    [PROTO_LOBBY_FULL] = "full",
    [PROTO_LOBBY_STARTED] = "started",
    [PROTO_LOBBY_KICKED] = "kicked",
    [PROTO_LOBBY_RTT_TOO_HIGH] = "rtt_too_high",
    [PROTO_LOBBY_NAME_TAKEN] = "name_taken",
    [PROTO_LOBBY_NAME_INVALID] = "name_invalid",
    [PROTO_LOBBY_EXISTS] = "exists",
    [PROTO_LOBBY_NO_SLOTS] = "no_slots",
    [PROTO_LOBBY_NOT_OWNER] = "not_owner",
    [PROTO_LOBBY_NOT_IN_LOBBY] = "not_in_lobby",
    [PROTO_LOBBY_NO_SUCH_PLAYER] = "no_such_player",
    [PROTO_LOBBY_NOT_ALL_READY] = "not_all_ready",
    [PROTO_LOBBY_BAD_VALUE] = "bad_value",
    [PROTO_LOBBY_BELOW_COUNT] = "below_count",
    [PROTO_LOBBY_SERVER_FULL] = "server_full",
    [PROTO_LOBBY_RATE_LIMITED] = "rate_limited",
    [PROTO_LOBBY_SERVER_OWNED] = "server_owned",
    [PROTO_LOBBY_AUTH_WRONG_LOBBY] = "auth_wrong_lobby",
    [PROTO_LOBBY_QUOTA] = "quota",
};
_Static_assert(SERVER_QUOTAS == 7, "name the new server_quota in QUOTA_NAMES");
static const char *const QUOTA_NAMES[SERVER_QUOTAS] = {
    [SERVER_QUOTA_HELD_SEATS] = "held_seats",     [SERVER_QUOTA_LOBBY_SHARE] = "lobby_share",
    [SERVER_QUOTA_BROWSING] = "browsing",         [SERVER_QUOTA_HANDSHAKES] = "handshakes",
    [SERVER_QUOTA_LOBBIES_OPEN] = "lobbies_open", [SERVER_QUOTA_LOBBY_RATE] = "lobby_rate",
    [SERVER_QUOTA_BROWSE_IDLE] = "browse_idle",
};
static const char *const LOBBY_STATE_NAMES[PROTO_LOBBY_STATE_MAX + 1] = {
    [PROTO_LOBBY_OPEN] = "open",
    [PROTO_LOBBY_STARTING] = "starting",
    [PROTO_LOBBY_IN_GAME] = "in_game",
};

/* ---- Prometheus text ------------------------------------------------------ */

static void family(metrics_buf *b, const char *name, const char *type, const char *help)
{
    /* Our help texts hold no backslash or newline, the two that need escaping. */
    metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format asks. */
static void label_value(metrics_buf *b, const char *v)
{
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '\\')
            metrics_buf_append(b, "\\\\", 2);
        else if (*p == '"')
            metrics_buf_append(b, "\\\"", 2);
        else if (*p == '\n')
            metrics_buf_append(b, "\\n", 2);
        else
            metrics_buf_append(b, p, 1);
    }
}

static void sample(metrics_buf *b, const char *name, const char *label, const char *value,
                   uint64_t v)
{
    if (label == NULL) {
        metrics_buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
        return;
    }
    metrics_buf_printf(b, "%s{%s=\"", name, label);
    label_value(b, value);
    metrics_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
}

static void single(metrics_buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
    family(b, name, type, help);
    sample(b, name, NULL, NULL, v);
}

/* A counter family with one sample per named slot of values[0, n). */
static void by_name(metrics_buf *b, const char *name, const char *help, const char *label,
                    const char *const *names, const uint64_t *values, size_t n)
{
    family(b, name, "counter", help);
    for (size_t i = 0; i < n; i++)
        if (names[i] != NULL)
            sample(b, name, label, names[i], values[i]);
}

static void histogram(metrics_buf *b, const char *name, const char *help,
                      const metrics_histogram *h)
{
    family(b, name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h->bucket_count; i++) {
        cumulative += h->counts[i];
        metrics_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
                           (unsigned long long)cumulative);
    }
    metrics_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    metrics_buf_printf(b, "%s_sum %.9g\n%s_count %llu\n", name, h->sum, name,
                       (unsigned long long)h->count);
}

typedef struct counter_def {
    const char *name, *help;
    size_t offset; /* of a uint64_t in server_stats or transport_stats */
} counter_def;

#define SERVER_COUNTER(field, name, help)                                                          \
    {                                                                                              \
        name, help, offsetof(server_stats, field)                                                  \
    }
static const counter_def SERVER_COUNTERS[] = {
    SERVER_COUNTER(connects, "lobby_connections_total", "ENet connections accepted (sessions)."),
    SERVER_COUNTER(joins, "lobby_joins_total", "Players who joined a lobby."),
    SERVER_COUNTER(resumes, "lobby_resumes_total", "Players who came back with their token."),
    SERVER_COUNTER(resume_refused, "lobby_resumes_refused_total",
                   "Forged, expired, reused or rate-limited session tokens."),
    SERVER_COUNTER(resume_chat_gaps, "lobby_resume_chat_gaps_total",
                   "Returning players told CHAT_GAP: more lines passed than the history keeps."),
    SERVER_COUNTER(resume_lines_missed, "lobby_resume_chat_lines_missed_total",
                   "Chat lines returning players could not get back (counted in CHAT_GAP)."),
    SERVER_COUNTER(seats_held, "lobby_seats_held_total",
                   "Timed-out players whose seat was held for the grace period."),
    SERVER_COUNTER(goodbyes, "lobby_goodbyes_total",
                   "Peers that disconnected on purpose (an ENet DISCONNECT): no seat held."),
    SERVER_COUNTER(chats_accepted, "lobby_chats_accepted_total",
                   "Chat messages accepted and acknowledged."),
    SERVER_COUNTER(chat_relays, "lobby_chat_relays_total",
                   "Chat messages relayed, one per recipient."),
    SERVER_COUNTER(positions_received, "lobby_positions_received_total",
                   "Position updates received."),
    SERVER_COUNTER(positions_stale, "lobby_positions_stale_total",
                   "Position updates dropped as older than the last one."),
    SERVER_COUNTER(positions_merged, "lobby_positions_merged_total",
                   "Positions replaced by a newer one of the same player before a snapshot."),
    SERVER_COUNTER(position_relays, "lobby_position_relays_total",
                   "Positions delivered: one per snapshot entry per other member."),
    SERVER_COUNTER(snapshots, "lobby_snapshots_total",
                   "Position snapshots queued, one per recipient."),
    SERVER_COUNTER(pings, "lobby_pings_total", "Application pings answered."),
    SERVER_COUNTER(outbox_errors, "lobby_outbox_errors_total",
                   "Messages that could not be queued (out of memory, encode failure)."),
    SERVER_COUNTER(lobbies_created, "lobby_lobbies_created_total",
                   "CREATE_LOBBY requests accepted."),
    SERVER_COUNTER(lobbies_closed, "lobby_lobbies_closed_total",
                   "Lobbies closed after standing empty for the grace time."),
    SERVER_COUNTER(owner_kicks, "lobby_owner_kicks_total", "Members kicked by a lobby's owner."),
    SERVER_COUNTER(countdowns_started, "lobby_countdowns_started_total",
                   "Start countdowns begun by an owner."),
    SERVER_COUNTER(countdowns_cancelled, "lobby_countdowns_cancelled_total",
                   "Start countdowns cancelled by a leave, kick, timeout or unready."),
    SERVER_COUNTER(games_started, "lobby_games_started_total",
                   "Games started (GAME_STARTING sent)."),
    SERVER_COUNTER(direct_chats, "lobby_direct_chats_total", "Direct messages relayed."),
    SERVER_COUNTER(loop_stalls, "lobby_loop_stalls_total",
                   "Loop passes that started at least 200 ms later than meant (the process was "
                   "stopped, starved of CPU or blocked); rate limits then judge the backlog as "
                   "if spread over the stall."),
    SERVER_COUNTER(loop_stall_ms, "lobby_loop_stall_milliseconds_total",
                   "Milliseconds lost to those stalls."),
};

#define NET_COUNTER(field, name, help)                                                             \
    {                                                                                              \
        name, help, offsetof(transport_stats, field)                                               \
    }
static const counter_def TRANSPORT_COUNTERS[] = {
    NET_COUNTER(service_errors, "lobby_enet_service_errors_total",
                "enet_host_service failures (e.g. a datagram larger than its buffer)."),
    NET_COUNTER(service_calls, "lobby_enet_service_calls_total", "enet_host_service calls."),
    NET_COUNTER(passes, "lobby_loop_passes_total", "Passes of the server loop."),
    NET_COUNTER(udp_datagrams_in, "lobby_udp_datagrams_in_total",
                "UDP datagrams received, dropped ones included."),
    NET_COUNTER(udp_bytes_in, "lobby_udp_in_bytes_total",
                "UDP payload bytes received (ENet headers included)."),
    NET_COUNTER(udp_datagrams_out, "lobby_udp_datagrams_out_total", "UDP datagrams sent."),
    NET_COUNTER(udp_bytes_out, "lobby_udp_out_bytes_total",
                "UDP payload bytes sent (ENet headers, acknowledgements and pings included)."),
    NET_COUNTER(half_open_shortened, "lobby_half_open_shortened_total",
                "Handshakes given the short half-open timeout."),
    NET_COUNTER(cookies_sent, "lobby_connect_cookies_sent_total",
                "Connect cookie replies with a cookie (status ok)."),
    NET_COUNTER(cookie_mismatches, "lobby_connect_cookie_version_mismatches_total",
                "Connect cookie requests refused for their protocol version."),
};

static void counters(metrics_buf *b, const counter_def *defs, size_t n, const void *stats)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, (const char *)stats + defs[i].offset, sizeof v);
        single(b, defs[i].name, "counter", defs[i].help, v);
    }
}

static void gauges(metrics_buf *b, const metrics_input *in)
{
    family(b, "lobby_build_info", "gauge", "Always 1; the version is in the label.");
    sample(b, "lobby_build_info", "version", in->version ? in->version : "unknown", 1);
    family(b, "lobby_uptime_seconds", "gauge", "Seconds since the server started.");
    metrics_buf_printf(b, "lobby_uptime_seconds %.3f\n", in->uptime_s);
    single(b, "lobby_sessions_open", "gauge", "Open connections, handshakes included.",
           in->sessions);
    single(b, "lobby_players_connected", "gauge", "Joined players with a live connection.",
           in->players_connected);
    single(b, "lobby_players_reconnecting", "gauge",
           "Seats held for players who lost their connection.", in->players_reconnecting);
    single(b, "lobby_lobbies_open", "gauge", "Open lobbies, the default one included.",
           in->lobbies_open);
    family(b, "lobby_lobbies", "gauge", "Open lobbies by state.");
    for (int st = PROTO_LOBBY_OPEN; st <= PROTO_LOBBY_STATE_MAX; st++)
        sample(b, "lobby_lobbies", "state", LOBBY_STATE_NAMES[st], in->lobbies_by_state[st]);
}

/* One sample per message type the protocol knows, both directions: a type
 * that never moves stays at 0, so every series exists from the start. */
static void by_type(metrics_buf *b, const char *name, const char *help, const uint64_t *values)
{
    family(b, name, "counter", help);
    for (uint32_t t = 0; t < SERVER_MSG_TYPES; t++)
        if (proto_type_name(t)[0] != '?')
            sample(b, name, "type", proto_type_name(t), values[t]);
}

static void server_families(metrics_buf *b, const server_stats *st)
{
    counters(b, SERVER_COUNTERS, sizeof SERVER_COUNTERS / sizeof SERVER_COUNTERS[0], st);
    by_type(b, "lobby_messages_in_total", "Messages received that decoded, by type.",
            st->messages_in);
    by_type(b, "lobby_messages_in_bytes_total", "Bytes of the messages received, by type.",
            st->bytes_in);
    by_type(b, "lobby_messages_out_total", "Messages queued, one per recipient, by type.",
            st->messages_out);
    by_type(b, "lobby_messages_out_bytes_total",
            "Bytes of the messages queued, per recipient, by type (ENet headers excluded).",
            st->bytes_out);
    by_name(b, "lobby_rejects_total", "Joins rejected and connections closed, by reason.", "reason",
            REASON_NAMES, st->rejects, PROTO_REASON_MAX + 1);
    by_name(b, "lobby_leaves_total", "Players who left, by reason.", "reason", LEAVE_NAMES,
            st->leaves, PROTO_LEAVE_MAX + 1);
    by_name(b, "lobby_chats_refused_total", "Chat messages refused, by reason.", "reason",
            REFUSAL_NAMES, st->chats_refused, PROTO_REFUSE_MAX + 1);
    by_name(b, "lobby_lobby_refusals_total", "Lobby requests refused (LOBBY_REFUSED), by reason.",
            "reason", LOBBY_REFUSAL_NAMES, st->lobby_refusals, PROTO_LOBBY_REFUSAL_MAX + 1);
    single(b, "lobby_list_over_budget_total", "counter",
           "LIST_LOBBIES refused RATE_LIMITED because its address's lobby-list bytes were over "
           "budget.",
           st->lists_over_budget);
    by_name(b, "lobby_quota_hits_total",
            "Per-address and per-holder quotas applied: held seats given up, joins past a "
            "holder's share of a lobby, browsing or pre-hello sessions past an address's count, "
            "lobbies past a holder's count or rate, idle browsing sessions closed.",
            "quota", QUOTA_NAMES, st->quota_hits, SERVER_QUOTAS);
    const char *malformed[SERVER_MALFORMED_KINDS];
    for (int k = 0; k < SERVER_MALFORMED_KINDS; k++)
        malformed[k] = server_malformed_kind_name(k);
    by_name(b, "lobby_malformed_messages_total",
            "Messages that did not decode or came in the wrong session state, by reason.", "reason",
            malformed, st->malformed_by, SERVER_MALFORMED_KINDS);
    const char *kick_names[] = {"malformed", "flooding", "refusals"};
    uint64_t kicks[] = {st->kicks - st->flood_kicks, st->flood_kicks - st->refusal_kicks,
                        st->refusal_kicks};
    by_name(b, "lobby_kicks_total",
            "Players and peers disconnected by the server, by reason: malformed messages, chat "
            "over the rate limit, requests refused over and over (both FLOODING on the wire).",
            "reason", kick_names, kicks, 3);
}

static void transport_families(metrics_buf *b, const transport_stats *ts)
{
    counters(b, TRANSPORT_COUNTERS, sizeof TRANSPORT_COUNTERS / sizeof TRANSPORT_COUNTERS[0], ts);
    const char *drops[TRANSPORT_DROP_REASONS] = {NULL}; /* slot 0 is no reason */
    for (int r = 1; r < TRANSPORT_DROP_REASONS; r++)
        drops[r] = transport_drop_reason(r);
    by_name(b, "lobby_dropped_datagrams_total",
            "UDP datagrams dropped before ENet parsed them, by reason.", "reason", drops,
            ts->dropped, TRANSPORT_DROP_REASONS);
    single(b, "lobby_enet_peers_in_use", "gauge",
           "ENet peer slots in use, handshakes included (sampled once a second).",
           ts->peers_in_use);
    const char *peer_names[] = {"slow", "out_of_order_flood"};
    uint64_t peers[] = {ts->slow_peers, ts->flooding_peers};
    by_name(b, "lobby_peers_dropped_total",
            "Peers the transport disconnected: outgoing backlog too large, or too many "
            "commands held out of order.",
            "reason", peer_names, peers, 2);
}

/* Every limit that was hit, in one family, for one alert. */
static void rate_limits(metrics_buf *b, const server_stats *st, const transport_stats *ts)
{
    const char *names[] = {"chat", "position", "connect", "lobby"};
    uint64_t hits[] = {st->chats_refused[PROTO_REFUSE_RATE_LIMITED], st->positions_rate_limited,
                       ts->dropped[TRANSPORT_DROP_CONNECT_RATE] +
                           ts->dropped[TRANSPORT_DROP_CONNECT_TOTAL],
                       st->lobby_refusals[PROTO_LOBBY_RATE_LIMITED]};
    by_name(b, "lobby_rate_limited_total",
            "Rate limit hits: chat refused, positions dropped, CONNECT datagrams dropped, lobby "
            "requests refused.",
            "what", names, hits, 4);
}

static void text_families(metrics_buf *b, const textport_stats *t)
{
    family(b, "lobby_text_connections_open", "gauge", "Plain-text TCP chat connections open.");
    sample(b, "lobby_text_connections_open", NULL, NULL, t->open);
    single(b, "lobby_text_connections_total", "counter",
           "Plain-text TCP chat connections accepted.", t->accepted);
    const char *refused[TEXTPORT_REFUSE_REASONS] = {"per_ip", "total", "not_admitted"};
    by_name(b, "lobby_text_connections_refused_total",
            "Text connections refused at accept, by the limit they hit.", "reason", refused,
            t->refused, TEXTPORT_REFUSE_REASONS);
    const char *closed[TEXTPORT_CLOSE_REASONS] = {"peer",     "reset", "too_long",
                                                  "idle",     "slow",  "flooding",
                                                  "shutdown", "quit",  "line_timeout"};
    by_name(b, "lobby_text_connections_closed_total",
            "Text connections closed, by why: flooding = kept sending lines or chat over the rate; "
            "slow = more output unread than allowed; line_timeout = a message (slowloris) not "
            "whole within --tcp-line-ms.",
            "reason", closed, t->closed, TEXTPORT_CLOSE_REASONS);
    const char *line_refusals[TEXTPORT_LINE_REFUSALS] = {"line_rate", "lobby_address",
                                                         "lobby_bytes"};
    by_name(b, "lobby_text_lines_refused_total",
            "Text messages refused before posting, by limit: line_rate = the connection's line "
            "rate (commands and chat), lobby_address = its address's line rate into the lobby, "
            "lobby_bytes = the lobby's text byte budget from all text clients.",
            "reason", line_refusals, t->lines_refused, TEXTPORT_LINE_REFUSALS);
    const char *results[] = {"accepted", "refused"};
    uint64_t messages[] = {t->messages_accepted, t->messages_refused};
    by_name(b, "lobby_text_messages_total", "Chat messages from text clients, by outcome.",
            "result", results, messages, 2);
    const char *codes[TEXTPORT_ERR_CODES];
    for (int c = 0; c < TEXTPORT_ERR_CODES; c++)
        codes[c] = textport_error_code((textport_reply_error)c);
    by_name(b, "lobby_text_errors_total", "\"error CODE\" lines sent to text clients, by code.",
            "code", codes, t->errors, TEXTPORT_ERR_CODES);
    const char *dirs[] = {"in", "out"};
    uint64_t bytes[] = {t->bytes_in, t->bytes_out};
    by_name(b, "lobby_text_bytes_total", "Bytes over the text port, by direction.", "direction",
            dirs, bytes, 2);
}

static void http_families(metrics_buf *b, const http_api_stats *h)
{
    family(b, "lobby_http_connections_open", "gauge", "HTTP connections open.");
    sample(b, "lobby_http_connections_open", NULL, NULL, h->open);
    single(b, "lobby_http_connections_total", "counter", "HTTP connections accepted.", h->accepted);
    const char *refused[HTTP_API_REFUSE_REASONS] = {"per_ip", "total"};
    by_name(b, "lobby_http_connections_refused_total",
            "HTTP connections refused at accept, by the limit they hit.", "reason", refused,
            h->refused, HTTP_API_REFUSE_REASONS);
    single(b, "lobby_http_connections_closed_late_total", "counter",
           "HTTP connections closed for not sending their request headers, or not reading the "
           "answer, in time.",
           h->closed_late);
    single(b, "lobby_http_connections_evicted_total", "counter",
           "HTTP connections still sending their headers, closed to make room for a new one at "
           "a connection limit.",
           h->evicted);
}

void metrics_render_prometheus(const metrics_input *in, metrics_buf *out)
{
    gauges(out, in);
    server_families(out, in->server);
    transport_families(out, in->transport);
    rate_limits(out, in->server, in->transport);
    if (in->text != NULL)
        text_families(out, in->text);
    if (in->http != NULL)
        http_families(out, in->http);
    if (in->log != NULL) {
        single(out, "lobby_log_lines_total", "counter",
               "Log lines given to stderr (written, or queued for the log writer).",
               in->log->lines);
        single(out, "lobby_log_lines_dropped_total", "counter",
               "Log lines dropped because stderr did not keep up and the log buffer was full.",
               in->log->dropped);
    }
    if (in->peer_rtt != NULL)
        histogram(out, "lobby_peer_rtt_seconds",
                  "Round trip ENet measures to each connected peer, at scrape time.", in->peer_rtt);
    if (in->tick != NULL)
        histogram(out, "lobby_tick_duration_seconds",
                  "Work time of each server loop pass (events, tick, sending), not waiting.",
                  in->tick);
}

void metrics_count_lobbies(const lobby_set *set, metrics_input *in)
{
    in->players_connected = in->players_reconnecting = in->lobbies_open = 0;
    memset(in->lobbies_by_state, 0, sizeof in->lobbies_by_state);
    for (uint32_t i = 0; i < set->max_lobbies; i++) {
        const lobby *l = &set->lobbies[i];
        if (!l->in_use)
            continue;
        in->lobbies_open++;
        if (l->state >= PROTO_LOBBY_OPEN && l->state <= PROTO_LOBBY_STATE_MAX)
            in->lobbies_by_state[l->state]++;
        for (unsigned k = 0; k < l->count; k++) {
            if (l->players[k].session == LOBBY_NO_SESSION)
                in->players_reconnecting++;
            else
                in->players_connected++;
        }
    }
}

/* ---- JSON ----------------------------------------------------------------- */

void metrics_json_string(metrics_buf *out, const char *bytes, size_t len)
{
    bool utf8 = text_utf8_valid(bytes, len);
    metrics_buf_append(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            metrics_buf_append(out, esc, 2);
        } else if (c == '\n') {
            metrics_buf_append(out, "\\n", 2);
        } else if (c < 0x20 || c == 0x7F) {
            metrics_buf_printf(out, "\\u%04x", c);
        } else if (c >= 0x80 && !utf8) {
            metrics_buf_append(out, "\\ufffd", 6);
        } else {
            metrics_buf_append(out, (const char *)&bytes[i], 1);
        }
    }
    metrics_buf_append(out, "\"", 1);
}

static void json_member(metrics_buf *out, const lobby_player *p, metrics_rtt_lookup rtt,
                        void *rtt_user)
{
    metrics_buf_printf(out, "{\"id\":%u,\"name\":", (unsigned)p->id);
    metrics_json_string(out, p->name, p->name_len);
    uint32_t rtt_ms = 0;
    bool away = p->session == LOBBY_NO_SESSION;
    if (!away && rtt != NULL && rtt(rtt_user, p->session, &rtt_ms))
        metrics_buf_printf(out, ",\"rtt_ms\":%u", (unsigned)rtt_ms);
    else
        metrics_buf_printf(out, ",\"rtt_ms\":null");
    metrics_buf_printf(out, ",\"reconnecting\":%s}", away ? "true" : "false");
}

/* Owner, state, password flag, max RTT and metadata of one lobby. */
static void json_lobby_settings(metrics_buf *out, const lobby *l)
{
    const lobby_player *owner = NULL;
    for (unsigned k = 0; k < l->count; k++)
        if (l->players[k].id == l->owner_id)
            owner = &l->players[k];
    metrics_buf_append(out, ",\"owner\":", 9);
    if (owner != NULL)
        metrics_json_string(out, owner->name, owner->name_len);
    else
        metrics_buf_append(out, "null", 4);
    bool known = l->state >= PROTO_LOBBY_OPEN && l->state <= PROTO_LOBBY_STATE_MAX;
    metrics_buf_printf(out,
                       ",\"owner_id\":%u,\"server_owned\":%s,\"state\":\"%s\",\"has_password\":%s,"
                       "\"max_rtt_ms\":%u",
                       (unsigned)l->owner_id, l->server_owned ? "true" : "false",
                       known ? LOBBY_STATE_NAMES[l->state] : "unknown",
                       l->password_len > 0 ? "true" : "false", (unsigned)l->max_rtt_ms);
    metrics_buf_append(out, ",\"metadata\":{", 13);
    for (unsigned k = 0; k < l->meta_count; k++) {
        if (k > 0)
            metrics_buf_append(out, ",", 1);
        metrics_json_string(out, l->meta[k].key, l->meta[k].key_len);
        metrics_buf_append(out, ":", 1);
        metrics_json_string(out, l->meta[k].value, l->meta[k].value_len);
    }
    metrics_buf_append(out, "}", 1);
}

void metrics_render_lobbies(const lobby_set *set, metrics_rtt_lookup rtt, void *rtt_user,
                            metrics_buf *out)
{
    metrics_buf_append(out, "{\"lobbies\":[", 12);
    bool first = true;
    for (uint32_t i = 0; i < set->max_lobbies; i++) {
        const lobby *l = &set->lobbies[i];
        if (!l->in_use)
            continue;
        metrics_buf_append(out, first ? "{\"name\":" : ",{\"name\":", first ? 8 : 9);
        first = false;
        metrics_json_string(out, l->name, l->name_len);
        metrics_buf_printf(out, ",\"players\":%u,\"capacity\":%u", (unsigned)l->count,
                           (unsigned)l->capacity);
        json_lobby_settings(out, l);
        metrics_buf_append(out, ",\"members\":[", 12);
        for (unsigned k = 0; k < l->count; k++) {
            if (k > 0)
                metrics_buf_append(out, ",", 1);
            json_member(out, &l->players[k], rtt, rtt_user);
        }
        metrics_buf_append(out, "]}", 2);
    }
    metrics_buf_append(out, "]}\n", 3);
}
