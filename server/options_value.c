/* Each setting's value as text, the inverse of applying it (options.c):
 * what --print-config writes, in the units and words its flag takes, so
 * that the output read back with --config gives the same settings. */
#include "options_internal.h"

#include "log.h"

#include <stdio.h>

static bool put_uint(char *buf, size_t cap, unsigned long long v)
{
    snprintf(buf, cap, "%llu", v);
    return true;
}

/* A rate or a burst: %.15g gives "5", "0.5" and "0.1", which read back as
 * the same double. */
static bool put_real(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.15g", v);
    return true;
}

static bool put_text(char *buf, size_t cap, const char *text)
{
    snprintf(buf, cap, "%s", text);
    return true;
}

/* The settings whose "not set" means something of its own. */
static bool format_optional(const options *o, int opt, char *buf, size_t cap)
{
    switch (opt) {
    case OPT_HTTP:
        if (!o->http_given) {
            snprintf(buf, cap, "(not set: %s, only warned about when taken)",
                     HTTP_API_DEFAULT_ADDRESS);
            return false;
        }
        if (!o->http.enabled)
            return put_text(buf, cap, "off");
        snprintf(buf, cap, "%s:%u", o->http.host, (unsigned)o->http.port);
        return true;
    case OPT_TCP_PORT:
        if (o->tcp_port_given)
            return put_uint(buf, cap, o->tcp_port);
        snprintf(buf, cap, "(not set: the same number as port)");
        return false;
    case OPT_AUTH_KEY_FILE:
        snprintf(buf, cap, "%s", o->auth_key_file ? o->auth_key_file : "(not set: open server)");
        return o->auth_key_file != NULL;
    }
    return options_cluster_format(o, opt, buf, cap);
}

static bool format_text_port(const textport_config *t, int opt, char *buf, size_t cap)
{
    switch (opt) {
    case OPT_TCP_MAX_CONNS:
        return put_uint(buf, cap, t->max_conns);
    case OPT_TCP_MAX_PER_IP:
        return put_uint(buf, cap, t->max_conns_per_ip);
    case OPT_TCP_IDLE_MS:
        return put_uint(buf, cap, t->idle_ms);
    case OPT_TCP_LINE_RATE:
        return put_real(buf, cap, t->line_per_s);
    case OPT_TCP_LINE_BURST:
        return put_real(buf, cap, t->line_burst);
    case OPT_TCP_LINE_MS:
        return put_uint(buf, cap, t->max_line_ms);
    case OPT_TCP_SNDBUF:
        return put_uint(buf, cap, t->sndbuf_bytes);
    case OPT_TCP_MAX_OUT_KB:
        return put_uint(buf, cap, t->max_out_bytes / 1024u);
    case OPT_TCP_MAX_OUT_TOTAL_MB:
        return put_uint(buf, cap, t->max_out_total_bytes / (1024u * 1024u));
    case OPT_TCP_LOBBY_IP_RATE:
        return put_real(buf, cap, t->lobby_ip_lines_per_s);
    case OPT_TCP_LOBBY_IP_BURST:
        return put_real(buf, cap, t->lobby_ip_line_burst);
    case OPT_TCP_LOBBY_BYTES:
        return put_real(buf, cap, t->lobby_bytes_per_s);
    case OPT_TCP_LOBBY_BYTES_BURST:
        return put_real(buf, cap, t->lobby_bytes_burst);
    }
    return false;
}

static bool format_net(const options *o, int opt, char *buf, size_t cap)
{
    const transport_config *n = &o->net;
    switch (opt) {
    case OPT_BIND:
        return put_text(buf, cap, n->bind_host);
    case OPT_PORT:
        return put_uint(buf, cap, n->port);
    case OPT_TIMEOUT:
        return put_uint(buf, cap, n->timeout_ms);
    case OPT_CONNECT_RATE:
        return put_real(buf, cap, n->connect_per_s);
    case OPT_CONNECT_BURST:
        return put_real(buf, cap, n->connect_burst);
    case OPT_MAX_HALF_OPEN:
        return put_uint(buf, cap, n->max_half_open_per_ip);
    case OPT_HALF_OPEN_MS:
        return put_uint(buf, cap, n->half_open_ms);
    case OPT_MAX_PER_IP:
        return put_uint(buf, cap, n->max_peers_per_ip);
    case OPT_MAX_WAITING:
        return put_uint(buf, cap, n->max_waiting_kb);
    case OPT_MAX_BACKLOG:
        return put_uint(buf, cap, n->max_backlog_kb);
    case OPT_RESERVE_PEERS:
        return put_uint(buf, cap, n->reserve_peers);
    case OPT_HTTP_MAX_CONNS:
        return put_uint(buf, cap, o->http_max_conns);
    case OPT_HTTP_MAX_PER_IP:
        return put_uint(buf, cap, o->http_max_conns_per_ip);
    case OPT_HTTP_HEADER_MS:
        return put_uint(buf, cap, o->http_header_timeout_ms);
    }
    return format_text_port(&o->text, opt, buf, cap) || format_optional(o, opt, buf, cap);
}

static bool format_quota(const options *o, int opt, char *buf, size_t cap)
{
    const server_config *c = &o->core;
    switch (opt) {
    case OPT_MAX_HELD_SEATS:
        return put_uint(buf, cap, c->max_held_seats_per_holder);
    case OPT_MAX_LOBBIES_PER_HOLDER:
        return put_uint(buf, cap, c->max_lobbies_per_holder);
    case OPT_LOBBY_SHARE:
        return put_uint(buf, cap, c->lobby_share_percent);
    case OPT_MAX_BROWSING:
        return put_uint(buf, cap, c->max_browsing_per_address);
    case OPT_MAX_HANDSHAKES:
        return put_uint(buf, cap, c->max_handshakes_per_address);
    case OPT_BROWSE_IDLE:
        return put_uint(buf, cap, c->browse_idle_ms);
    }
    return format_net(o, opt, buf, cap);
}

bool options_format_value(const options *o, int opt, char *buf, size_t cap)
{
    const server_config *c = &o->core;
    buf[0] = '\0';
    switch (opt) {
    case OPT_MAX_PLAYERS:
        return put_uint(buf, cap, c->max_players);
    case OPT_CAPACITY:
        return put_uint(buf, cap, c->lobby_capacity);
    case OPT_MAX_LOBBIES:
        return put_uint(buf, cap, c->max_lobbies);
    case OPT_CHAT_RATE:
        return put_real(buf, cap, c->chat_per_s);
    case OPT_CHAT_BURST:
        return put_real(buf, cap, c->chat_burst);
    case OPT_GRACE:
        return put_uint(buf, cap, c->grace_ms);
    case OPT_LOBBY_GRACE:
        return put_uint(buf, cap, c->lobby_grace_ms);
    case OPT_KICK_COOLDOWN:
        return put_uint(buf, cap, c->kick_cooldown_ms);
    case OPT_COUNTDOWN:
        return put_uint(buf, cap, c->countdown_ms);
    case OPT_SNAPSHOT_HZ:
        return put_uint(buf, cap, c->snapshot_hz);
    case OPT_SNAPSHOT_FULL:
        return put_text(buf, cap, c->snapshot_full ? "on" : "off");
    case OPT_LIST_KB_PER_S:
        return put_real(buf, cap, c->list_bytes_per_s / 1024.0);
    case OPT_LIST_BURST_KB:
        return put_real(buf, cap, c->list_burst_bytes / 1024.0);
    case OPT_MIN_PASS_US:
        return put_uint(buf, cap, o->min_pass_us);
    case OPT_LOG_LEVEL:
        return put_text(buf, cap, log_level_name(log_get_level()));
    case OPT_LOG_FORMAT:
        return put_text(buf, cap, log_format_name(log_get_format()));
    case OPT_LOG_BUFFER_KB:
        return put_uint(buf, cap, o->log_buffer_kb);
    }
    return format_quota(o, opt, buf, cap);
}
