#include "proto_fields.h"

#include <math.h>
#include <string.h>

/* ---- shared field helpers ------------------------------------------------ */

static void read_bytes(wire_reader *r, uint8_t *dst, size_t n)
{
    const uint8_t *src = wire_read_view(r, n);
    if (src != NULL)
        memcpy(dst, src, n);
    else
        memset(dst, 0, n);
}

static void write_player(wire_writer *w, const proto_player *p)
{
    wire_write_u16(w, p->id);
    wire_write_u32(w, p->colour);
    write_str8(w, p->name);
    wire_write_f32(w, p->x);
    wire_write_f32(w, p->y);
}

static void read_player(wire_reader *r, proto_player *p)
{
    p->id = wire_read_u16(r);
    p->colour = wire_read_u32(r);
    p->name = read_str8(r);
    p->x = wire_read_f32(r);
    p->y = wire_read_f32(r);
}

static void write_member_stat(wire_writer *w, const proto_member_stat *st)
{
    wire_write_u16(w, st->id);
    wire_write_u16(w, st->rtt_ms);
    wire_write_u16(w, st->jitter_ms);
    wire_write_u16(w, st->loss_permyriad);
}

static void read_member_stat(wire_reader *r, proto_member_stat *st)
{
    st->id = wire_read_u16(r);
    st->rtt_ms = wire_read_u16(r);
    st->jitter_ms = wire_read_u16(r);
    st->loss_permyriad = wire_read_u16(r);
}

static void write_snapshot_entry(wire_writer *w, const proto_snapshot_entry *e)
{
    wire_write_u16(w, e->id);
    wire_write_u32(w, e->seq);
    wire_write_u64(w, e->sent_us);
    wire_write_f32(w, e->x);
    wire_write_f32(w, e->y);
    wire_write_u8(w, e->merged);
}

static void read_snapshot_entry(wire_reader *r, proto_snapshot_entry *e)
{
    e->id = wire_read_u16(r);
    e->seq = wire_read_u32(r);
    e->sent_us = wire_read_u64(r);
    e->x = wire_read_f32(r);
    e->y = wire_read_f32(r);
    e->merged = wire_read_u8(r);
}

static bool player_valid(const proto_player *p)
{
    return p->colour <= 0xFFFFFF && isfinite(p->x) && isfinite(p->y);
}

/* The value rules both directions enforce, so the encoder never produces
 * bytes the decoder would refuse: enums in range, finite coordinates, 24-bit
 * colours, at most PROTO_MAX_LOBBY_PLAYERS players; the lobby messages' rules
 * live in proto_lobby.c. */
static bool values_valid(const proto_msg *m)
{
    switch (m->type) {
    case PROTO_POSITION:
        return isfinite(m->u.position.x) && isfinite(m->u.position.y);
    case PROTO_POSITION_SNAPSHOT:
        if (!in_range(m->u.snapshot.count, PROTO_MAX_SNAPSHOT_ENTRIES))
            return false;
        for (unsigned i = 0; i < m->u.snapshot.count; i++)
            if (!isfinite(m->u.snapshot.entries[i].x) || !isfinite(m->u.snapshot.entries[i].y))
                return false;
        return true;
    case PROTO_REJECT:
        return in_range(m->u.reject.reason, PROTO_REASON_MAX);
    case PROTO_PLAYER_LEFT:
        return in_range(m->u.left.reason, PROTO_LEAVE_MAX);
    case PROTO_CHAT_REFUSED:
        return in_range(m->u.chat_refused.reason, PROTO_REFUSE_MAX);
    case PROTO_PLAYER_JOINED:
        return player_valid(&m->u.joined);
    case PROTO_WELCOME:
        if (m->u.welcome.count > PROTO_MAX_LOBBY_PLAYERS || m->u.welcome.resumed > 1)
            return false;
        for (unsigned i = 0; i < m->u.welcome.count; i++)
            if (!player_valid(&m->u.welcome.players[i]))
                return false;
        return true;
    case PROTO_HELLO:
        return m->u.hello.mode <= PROTO_HELLO_MODE_MAX;
    case PROTO_PLAYER_STATUS:
        return in_range(m->u.player_status.status, PROTO_STATUS_MAX);
    case PROTO_MEMBER_STATS:
        if (m->u.member_stats.count > PROTO_MAX_LOBBY_PLAYERS)
            return false;
        for (unsigned i = 0; i < m->u.member_stats.count; i++)
            if (m->u.member_stats.members[i].loss_permyriad > PROTO_MAX_LOSS_PERMYRIAD)
                return false;
        return true;
    default:
        return proto_lobby_values_valid(m);
    }
}

/* ---- encoding ------------------------------------------------------------- */

/* Lengths that would not fit their prefix. */
static bool lengths_fit(const proto_msg *m)
{
    switch (m->type) {
    case PROTO_HELLO:
        return fits_str8(m->u.hello.name) && fits_str8(m->u.hello.lobby) &&
               fits_str8(m->u.hello.password) && fits_str8(m->u.hello.identity) &&
               fits_str8(m->u.hello.ticket);
    case PROTO_CHAT:
        return m->u.chat.text.len <= PROTO_MAX_STR16_BYTES;
    case PROTO_REJECT:
        return m->u.reject.text.len <= PROTO_MAX_STR8_BYTES;
    case PROTO_WELCOME:
        if (m->u.welcome.count > PROTO_MAX_LOBBY_PLAYERS ||
            m->u.welcome.lobby.len > PROTO_MAX_STR8_BYTES)
            return false;
        for (unsigned i = 0; i < m->u.welcome.count; i++)
            if (m->u.welcome.players[i].name.len > PROTO_MAX_STR8_BYTES)
                return false;
        return true;
    case PROTO_PLAYER_JOINED:
        return m->u.joined.name.len <= PROTO_MAX_STR8_BYTES;
    case PROTO_CHAT_REFUSED:
        return m->u.chat_refused.text.len <= PROTO_MAX_STR8_BYTES;
    case PROTO_CHAT_RELAY:
        return m->u.chat_relay.text.len <= PROTO_MAX_STR16_BYTES;
    case PROTO_MEMBER_STATS:
        return m->u.member_stats.count <= PROTO_MAX_LOBBY_PLAYERS;
    case PROTO_POSITION_SNAPSHOT:
        return m->u.snapshot.count <= PROTO_MAX_SNAPSHOT_ENTRIES;
    case PROTO_TEXT_CHAT_RELAY:
        return m->u.text_chat_relay.name.len <= PROTO_MAX_STR8_BYTES &&
               m->u.text_chat_relay.text.len <= PROTO_MAX_TEXT_RELAY_BYTES;
    case PROTO_CHAT_HISTORY:
        return m->u.chat_history.name.len <= PROTO_MAX_STR8_BYTES &&
               m->u.chat_history.text.len <= PROTO_MAX_TEXT_RELAY_BYTES;
    default:
        return proto_lobby_lengths_fit(m);
    }
}

static void write_body(wire_writer *w, const proto_msg *m)
{
    switch (m->type) {
    case PROTO_HELLO:
        write_str8(w, m->u.hello.name);
        write_str8(w, m->u.hello.lobby);
        write_str8(w, m->u.hello.password);
        wire_write_u8(w, m->u.hello.mode);
        if (m->u.hello.mode == PROTO_HELLO_RESUME) {
            wire_write_bytes(w, m->u.hello.token, PROTO_TOKEN_BYTES);
            wire_write_u32(w, m->u.hello.last_chat_seq);
        }
        /* Absent when empty: one encoding each. A ticket needs the identity
         * field before it, empty when there is no identity token. */
        if (m->u.hello.identity.len > 0 || m->u.hello.ticket.len > 0)
            write_str8(w, m->u.hello.identity);
        if (m->u.hello.ticket.len > 0)
            write_str8(w, m->u.hello.ticket);
        break;
    case PROTO_CHAT:
        wire_write_u32(w, m->u.chat.msg_id);
        write_str16(w, m->u.chat.text);
        break;
    case PROTO_POSITION:
        wire_write_u32(w, m->u.position.seq);
        wire_write_u64(w, m->u.position.sent_us);
        wire_write_f32(w, m->u.position.x);
        wire_write_f32(w, m->u.position.y);
        break;
    case PROTO_PING:
        wire_write_u64(w, m->u.ping.client_us);
        break;
    case PROTO_REJECT:
        wire_write_u8(w, m->u.reject.reason);
        write_str8(w, m->u.reject.text);
        break;
    case PROTO_WELCOME:
        wire_write_u16(w, m->u.welcome.your_id);
        wire_write_bytes(w, m->u.welcome.token, PROTO_TOKEN_BYTES);
        wire_write_u8(w, m->u.welcome.resumed);
        wire_write_u8(w, m->u.welcome.capacity);
        write_str8(w, m->u.welcome.lobby);
        wire_write_u8(w, m->u.welcome.count);
        for (unsigned i = 0; i < m->u.welcome.count; i++)
            write_player(w, &m->u.welcome.players[i]);
        break;
    case PROTO_PLAYER_JOINED:
        write_player(w, &m->u.joined);
        break;
    case PROTO_PLAYER_LEFT:
        wire_write_u16(w, m->u.left.id);
        wire_write_u8(w, m->u.left.reason);
        break;
    case PROTO_CHAT_ACK:
        wire_write_u32(w, m->u.chat_ack.msg_id);
        wire_write_u32(w, m->u.chat_ack.seq);
        break;
    case PROTO_CHAT_REFUSED:
        wire_write_u32(w, m->u.chat_refused.msg_id);
        wire_write_u8(w, m->u.chat_refused.reason);
        write_str8(w, m->u.chat_refused.text);
        break;
    case PROTO_CHAT_RELAY:
        wire_write_u16(w, m->u.chat_relay.from_id);
        wire_write_u32(w, m->u.chat_relay.seq);
        write_str16(w, m->u.chat_relay.text);
        break;
    case PROTO_TEXT_CHAT_RELAY:
        wire_write_u32(w, m->u.text_chat_relay.seq);
        write_str8(w, m->u.text_chat_relay.name);
        write_str16(w, m->u.text_chat_relay.text);
        break;
    case PROTO_CHAT_GAP:
        wire_write_u32(w, m->u.chat_gap.first_seq);
        wire_write_u32(w, m->u.chat_gap.missed);
        break;
    case PROTO_CHAT_HISTORY:
        wire_write_u32(w, m->u.chat_history.seq);
        wire_write_u16(w, m->u.chat_history.from_id);
        write_str8(w, m->u.chat_history.name);
        write_str16(w, m->u.chat_history.text);
        break;
    case PROTO_POSITION_SNAPSHOT:
        wire_write_u8(w, m->u.snapshot.count);
        for (unsigned i = 0; i < m->u.snapshot.count; i++)
            write_snapshot_entry(w, &m->u.snapshot.entries[i]);
        break;
    case PROTO_PONG:
        wire_write_u64(w, m->u.pong.client_us);
        wire_write_u64(w, m->u.pong.server_us);
        break;
    case PROTO_PLAYER_STATUS:
        wire_write_u16(w, m->u.player_status.id);
        wire_write_u8(w, m->u.player_status.status);
        break;
    case PROTO_MEMBER_STATS:
        wire_write_u8(w, m->u.member_stats.count);
        for (unsigned i = 0; i < m->u.member_stats.count; i++)
            write_member_stat(w, &m->u.member_stats.members[i]);
        break;
    default:
        proto_lobby_write_body(w, m);
        break;
    }
}

int proto_encode(const proto_msg *msg, uint8_t *buf, size_t cap)
{
    if (proto_type_name(msg->type)[0] == '?')
        return PROTO_ERR_UNKNOWN_TYPE;
    if (!lengths_fit(msg))
        return PROTO_ERR_TOO_LONG;
    if (!values_valid(msg))
        return PROTO_ERR_BAD_VALUE;
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_write_u8(&w, (uint8_t)msg->type);
    write_body(&w, msg);
    return w.ok ? (int)w.len : PROTO_ERR_BUFFER;
}

/* ---- decoding ------------------------------------------------------------- */

/* HELLO's optional trailing fields: version 5's identity token, then
 * version 6's ticket, each present when bytes remain. Canonical: an empty
 * identity only before a ticket, and a present ticket is never empty; a
 * zero length left unread is refused as a trailing byte. */
static void read_hello_tail(wire_reader *r, proto_msg *m)
{
    m->u.hello.identity = (proto_str){NULL, 0};
    m->u.hello.ticket = (proto_str){NULL, 0};
    if (!r->ok || r->pos >= r->len || m->u.hello.mode > PROTO_HELLO_MODE_MAX)
        return;
    m->u.hello.identity = read_str8(r);
    if (r->ok && r->pos < r->len) {
        m->u.hello.ticket = read_str8(r);
        if (r->ok && m->u.hello.ticket.len == 0)
            r->pos--;
    } else if (r->ok && m->u.hello.identity.len == 0) {
        r->pos--;
    }
}

/* Reads the body of a known type. Truncation is caught by the reader's sticky
 * flag afterwards; false only for a count that would overrun its array (the
 * message is then read no further). */
static bool read_body(wire_reader *r, proto_msg *m)
{
    switch (m->type) {
    case PROTO_HELLO:
        m->u.hello.name = read_str8(r);
        m->u.hello.lobby = read_str8(r);
        m->u.hello.password = read_str8(r);
        m->u.hello.mode = wire_read_u8(r);
        /* Only RESUME carries more; a mode above the maximum reads no
         * further and is refused by values_valid. */
        if (m->u.hello.mode == PROTO_HELLO_RESUME) {
            read_bytes(r, m->u.hello.token, PROTO_TOKEN_BYTES);
            m->u.hello.last_chat_seq = wire_read_u32(r);
        }
        read_hello_tail(r, m);
        break;
    case PROTO_CHAT:
        m->u.chat.msg_id = wire_read_u32(r);
        m->u.chat.text = read_str16(r);
        break;
    case PROTO_POSITION:
        m->u.position.seq = wire_read_u32(r);
        m->u.position.sent_us = wire_read_u64(r);
        m->u.position.x = wire_read_f32(r);
        m->u.position.y = wire_read_f32(r);
        break;
    case PROTO_PING:
        m->u.ping.client_us = wire_read_u64(r);
        break;
    case PROTO_REJECT:
        m->u.reject.reason = wire_read_u8(r);
        m->u.reject.text = read_str8(r);
        break;
    case PROTO_WELCOME:
        m->u.welcome.your_id = wire_read_u16(r);
        read_bytes(r, m->u.welcome.token, PROTO_TOKEN_BYTES);
        m->u.welcome.resumed = wire_read_u8(r);
        m->u.welcome.capacity = wire_read_u8(r);
        m->u.welcome.lobby = read_str8(r);
        m->u.welcome.count = wire_read_u8(r);
        if (m->u.welcome.count > PROTO_MAX_LOBBY_PLAYERS)
            return false;
        for (unsigned i = 0; i < m->u.welcome.count; i++)
            read_player(r, &m->u.welcome.players[i]);
        break;
    case PROTO_PLAYER_JOINED:
        read_player(r, &m->u.joined);
        break;
    case PROTO_PLAYER_LEFT:
        m->u.left.id = wire_read_u16(r);
        m->u.left.reason = wire_read_u8(r);
        break;
    case PROTO_CHAT_ACK:
        m->u.chat_ack.msg_id = wire_read_u32(r);
        m->u.chat_ack.seq = wire_read_u32(r);
        break;
    case PROTO_CHAT_REFUSED:
        m->u.chat_refused.msg_id = wire_read_u32(r);
        m->u.chat_refused.reason = wire_read_u8(r);
        m->u.chat_refused.text = read_str8(r);
        break;
    case PROTO_CHAT_RELAY:
        m->u.chat_relay.from_id = wire_read_u16(r);
        m->u.chat_relay.seq = wire_read_u32(r);
        m->u.chat_relay.text = read_str16(r);
        break;
    case PROTO_TEXT_CHAT_RELAY: {
        m->u.text_chat_relay.seq = wire_read_u32(r);
        m->u.text_chat_relay.name = read_str8(r);
        uint16_t text_len = wire_read_u16(r);
        if (text_len > PROTO_MAX_TEXT_RELAY_BYTES)
            return false; /* read no further, like a WELCOME count above 64 */
        m->u.text_chat_relay.text = read_str(r, text_len);
        break;
    }
    case PROTO_CHAT_GAP:
        m->u.chat_gap.first_seq = wire_read_u32(r);
        m->u.chat_gap.missed = wire_read_u32(r);
        break;
    case PROTO_CHAT_HISTORY: {
        m->u.chat_history.seq = wire_read_u32(r);
        m->u.chat_history.from_id = wire_read_u16(r);
        m->u.chat_history.name = read_str8(r);
        uint16_t text_len = wire_read_u16(r);
        if (text_len > PROTO_MAX_TEXT_RELAY_BYTES)
            return false;
        m->u.chat_history.text = read_str(r, text_len);
        break;
    }
    case PROTO_POSITION_SNAPSHOT:
        m->u.snapshot.count = wire_read_u8(r);
        if (m->u.snapshot.count > PROTO_MAX_SNAPSHOT_ENTRIES)
            return false;
        for (unsigned i = 0; i < m->u.snapshot.count; i++)
            read_snapshot_entry(r, &m->u.snapshot.entries[i]);
        break;
    case PROTO_PONG:
        m->u.pong.client_us = wire_read_u64(r);
        m->u.pong.server_us = wire_read_u64(r);
        break;
    case PROTO_PLAYER_STATUS:
        m->u.player_status.id = wire_read_u16(r);
        m->u.player_status.status = wire_read_u8(r);
        break;
    case PROTO_MEMBER_STATS:
        m->u.member_stats.count = wire_read_u8(r);
        if (m->u.member_stats.count > PROTO_MAX_LOBBY_PLAYERS)
            return false;
        for (unsigned i = 0; i < m->u.member_stats.count; i++)
            read_member_stat(r, &m->u.member_stats.members[i]);
        break;
    default:
        return proto_lobby_read_body(r, m);
    }
    return true;
}

int proto_decode(const uint8_t *buf, size_t len, proto_msg *out)
{
    wire_reader r;
    wire_reader_init(&r, buf, len);
    uint8_t type = wire_read_u8(&r);
    if (!r.ok)
        return PROTO_ERR_TRUNCATED;
    if (proto_type_name(type)[0] == '?')
        return PROTO_ERR_UNKNOWN_TYPE;
    out->type = (proto_type)type;
    if (!read_body(&r, out))
        return PROTO_ERR_BAD_VALUE;
    if (!r.ok)
        return PROTO_ERR_TRUNCATED;
    if (!values_valid(out))
        return PROTO_ERR_BAD_VALUE;
    if (!wire_reader_done(&r))
        return PROTO_ERR_TRAILING;
    return PROTO_OK;
}

/* ---- small helpers -------------------------------------------------------- */

uint32_t proto_connect_data(uint16_t version)
{
    return ((uint32_t)PROTO_CONNECT_MAGIC << 16) | version;
}

bool proto_connect_version(uint32_t data, uint16_t *version)
{
    *version = (uint16_t)(data & 0xFFFF);
    return (data >> 16) == PROTO_CONNECT_MAGIC;
}

static float clamp_to(float v, float max)
{
    if (!isfinite(v) || v < 0.0f)
        return 0.0f;
    return v > max ? max : v;
}

float proto_clamp_x(float x)
{
    return clamp_to(x, PROTO_WORLD_WIDTH);
}

float proto_clamp_y(float y)
{
    return clamp_to(y, PROTO_WORLD_HEIGHT);
}

bool proto_seq_newer(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(a - b) < 0x80000000u;
}

proto_str proto_str_from_cstr(const char *s)
{
    proto_str out = {s, s ? strlen(s) : 0};
    return out;
}

bool proto_str_eq(proto_str a, proto_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.bytes, b.bytes, a.len) == 0);
}
