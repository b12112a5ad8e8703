/* The codec's lobby half (protocol version 3): list, create, join, leave,
 * ready, start, kick, configure, ownership and direct chat, and the server's
 * answers, REDIRECT (version 6) among them. Same conventions as proto.c; the
 * layouts are in docs/PROTOCOL.md. */
#include "proto_fields.h"
#include "text.h"

/* ---- REDIRECT's fields ---------------------------------------------------------- */

static bool chars_in(const char *s, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (ch == '\0' || strchr(extra, ch) == NULL))
            return false;
    }
    return true;
}

bool proto_server_id_valid(const char *s, size_t len)
{
    return len >= 1 && len <= PROTO_MAX_SERVER_ID_BYTES && chars_in(s, len, "._:-");
}

bool proto_host_valid(const char *s, size_t len)
{
    return len >= 1 && len <= PROTO_MAX_STR8_BYTES && chars_in(s, len, "._-");
}

/* Every field is printed or dialled by the client as it is: the codec
 * refuses what no honest server sends (the requests a redirect can answer,
 * a lobby name by the name rules, a host and server id of plain
 * characters, port 0, an empty ticket). */
static bool redirect_valid(const proto_msg *m)
{
    uint8_t req = m->u.redirect.request;
    proto_str lobby = m->u.redirect.lobby;
    return (req == PROTO_HELLO || req == PROTO_CREATE_LOBBY || req == PROTO_JOIN_LOBBY) &&
           text_check_name(lobby.bytes, lobby.len, PROTO_MAX_LOBBY_NAME_BYTES) == TEXT_OK &&
           proto_host_valid(m->u.redirect.host.bytes, m->u.redirect.host.len) &&
           m->u.redirect.port != 0 &&
           proto_server_id_valid(m->u.redirect.server_id.bytes, m->u.redirect.server_id.len) &&
           m->u.redirect.ticket.len >= 1;
}

static bool redirect_fits(const proto_msg *m)
{
    return fits_str8(m->u.redirect.lobby) && fits_str8(m->u.redirect.host) &&
           fits_str8(m->u.redirect.server_id) && fits_str8(m->u.redirect.ticket) &&
           m->u.redirect.text.len <= PROTO_MAX_STR16_BYTES;
}

static void write_redirect(wire_writer *w, const proto_msg *m)
{
    wire_write_u8(w, m->u.redirect.request);
    write_str8(w, m->u.redirect.lobby);
    write_str8(w, m->u.redirect.host);
    wire_write_u16(w, m->u.redirect.port);
    write_str8(w, m->u.redirect.server_id);
    write_str8(w, m->u.redirect.ticket);
    write_str16(w, m->u.redirect.text);
}

static void read_redirect(wire_reader *r, proto_msg *m)
{
    m->u.redirect.request = wire_read_u8(r);
    m->u.redirect.lobby = read_str8(r);
    m->u.redirect.host = read_str8(r);
    m->u.redirect.port = wire_read_u16(r);
    m->u.redirect.server_id = read_str8(r);
    m->u.redirect.ticket = read_str8(r);
    m->u.redirect.text = read_str16(r);
}

/* ---- metadata lists and list entries ----------------------------------------- */

static bool meta_fits(const proto_meta_list *l)
{
    if (l->count > PROTO_MAX_META_PAIRS)
        return false;
    for (unsigned i = 0; i < l->count; i++)
        if (!fits_str8(l->pairs[i].key) || !fits_str8(l->pairs[i].value))
            return false;
    return true;
}

static void write_meta(wire_writer *w, const proto_meta_list *l)
{
    wire_write_u8(w, l->count);
    for (unsigned i = 0; i < l->count; i++) {
        write_str8(w, l->pairs[i].key);
        write_str8(w, l->pairs[i].value);
    }
}

/* False for a count above PROTO_MAX_META_PAIRS: the pairs are not read. */
static bool read_meta(wire_reader *r, proto_meta_list *l)
{
    l->count = wire_read_u8(r);
    if (l->count > PROTO_MAX_META_PAIRS)
        return false;
    for (unsigned i = 0; i < l->count; i++) {
        l->pairs[i].key = read_str8(r);
        l->pairs[i].value = read_str8(r);
    }
    return true;
}

static bool entry_fits(const proto_lobby_entry *e)
{
    return fits_str8(e->name) && fits_str8(e->owner) && meta_fits(&e->meta);
}

static bool entry_valid(const proto_lobby_entry *e)
{
    return e->flags <= PROTO_LOBBYF_ALL && in_range(e->state, PROTO_LOBBY_STATE_MAX) &&
           e->meta.count <= PROTO_MAX_META_PAIRS;
}

static void write_entry(wire_writer *w, const proto_lobby_entry *e)
{
    write_str8(w, e->name);
    wire_write_u8(w, e->players);
    wire_write_u8(w, e->capacity);
    wire_write_u8(w, e->flags);
    wire_write_u8(w, e->state);
    write_str8(w, e->owner);
    wire_write_u16(w, e->median_rtt_ms);
    wire_write_u16(w, e->max_rtt_ms);
    write_meta(w, &e->meta);
}

static bool read_entry(wire_reader *r, proto_lobby_entry *e)
{
    e->name = read_str8(r);
    e->players = wire_read_u8(r);
    e->capacity = wire_read_u8(r);
    e->flags = wire_read_u8(r);
    e->state = wire_read_u8(r);
    e->owner = read_str8(r);
    e->median_rtt_ms = wire_read_u16(r);
    e->max_rtt_ms = wire_read_u16(r);
    return read_meta(r, &e->meta);
}

/* ---- the rows of a lobby list ------------------------------------------------- */

bool proto_lobby_list_next(const proto_lobby_list *l, size_t *cursor, proto_lobby_entry *out)
{
    if (l->entries != NULL) { /* the cursor counts rows */
        if (*cursor >= l->count)
            return false;
        *out = l->entries[(*cursor)++];
        return true;
    }
    if (*cursor >= l->rows.len) /* the cursor is a byte offset into the rows */
        return false;
    wire_reader r;
    wire_reader_init(&r, l->rows.bytes + *cursor, l->rows.len - *cursor);
    if (!read_entry(&r, out) || !r.ok)
        return false;
    *cursor += r.pos;
    return true;
}

/* ---- lengths and values ----------------------------------------------------------- */

/* Rows read from bytes always fit their prefixes; a row missing from them
 * is no length error: list_valid refuses it. */
static bool list_fits(const proto_msg *m)
{
    const proto_lobby_list *l = &m->u.lobby_list;
    if (l->count > PROTO_MAX_LIST_ENTRIES)
        return false;
    size_t cursor = 0;
    proto_lobby_entry e;
    while (proto_lobby_list_next(l, &cursor, &e))
        if (!entry_fits(&e))
            return false;
    return true;
}

bool proto_lobby_lengths_fit(const proto_msg *m)
{
    switch (m->type) {
    case PROTO_LIST_LOBBIES:
        return fits_str8(m->u.list_lobbies.name_contains) && meta_fits(&m->u.list_lobbies.meta);
    case PROTO_CREATE_LOBBY:
        return fits_str8(m->u.create_lobby.name) && fits_str8(m->u.create_lobby.password) &&
               meta_fits(&m->u.create_lobby.meta);
    case PROTO_JOIN_LOBBY:
        return fits_str8(m->u.join_lobby.name) && fits_str8(m->u.join_lobby.password);
    case PROTO_CONFIGURE_LOBBY:
        return fits_str8(m->u.configure_lobby.password) && meta_fits(&m->u.configure_lobby.meta);
    case PROTO_DIRECT_CHAT:
        return m->u.direct_chat.text.len <= PROTO_MAX_STR16_BYTES;
    case PROTO_LOBBY_REFUSED:
        return fits_str8(m->u.lobby_refused.text);
    case PROTO_LOBBY_EXITED:
        return fits_str8(m->u.lobby_exited.text);
    case PROTO_LOBBY_LIST:
        return list_fits(m);
    case PROTO_LOBBY_STATE:
        return m->u.lobby_state.count <= PROTO_MAX_LOBBY_PLAYERS &&
               meta_fits(&m->u.lobby_state.meta);
    case PROTO_COUNTDOWN_CANCELLED:
        return fits_str8(m->u.countdown_cancelled.text);
    case PROTO_DIRECT_CHAT_RELAY:
        return m->u.direct_chat_relay.text.len <= PROTO_MAX_STR16_BYTES;
    case PROTO_REDIRECT:
        return redirect_fits(m);
    default:
        return true;
    }
}

/* Each of the count rows must be there and valid; rows kept as bytes must
 * end with the count-th, so that they re-encode to the same bytes. */
static bool list_valid(const proto_msg *m)
{
    const proto_lobby_list *l = &m->u.lobby_list;
    if (l->count > PROTO_MAX_LIST_ENTRIES || l->count > l->total)
        return false;
    size_t cursor = 0;
    proto_lobby_entry e;
    for (unsigned i = 0; i < l->count; i++)
        if (!proto_lobby_list_next(l, &cursor, &e) || !entry_valid(&e))
            return false;
    return l->entries != NULL || cursor == l->rows.len;
}

static void write_lobby_list(wire_writer *w, const proto_lobby_list *l)
{
    wire_write_u32(w, l->request_id);
    wire_write_u16(w, l->total);
    wire_write_u8(w, l->count);
    size_t cursor = 0;
    proto_lobby_entry e;
    for (unsigned i = 0; i < l->count && proto_lobby_list_next(l, &cursor, &e); i++)
        write_entry(w, &e);
}

static bool state_valid(const proto_msg *m)
{
    if (!in_range(m->u.lobby_state.state, PROTO_LOBBY_STATE_MAX) ||
        m->u.lobby_state.flags > PROTO_LOBBYF_ALL ||
        m->u.lobby_state.count > PROTO_MAX_LOBBY_PLAYERS ||
        m->u.lobby_state.meta.count > PROTO_MAX_META_PAIRS)
        return false;
    for (unsigned i = 0; i < m->u.lobby_state.count; i++)
        if (m->u.lobby_state.members[i].flags > PROTO_MEMBER_ALL)
            return false;
    return true;
}

bool proto_lobby_values_valid(const proto_msg *m)
{
    switch (m->type) {
    case PROTO_LIST_LOBBIES:
        return m->u.list_lobbies.flags <= PROTO_FILTER_ALL &&
               m->u.list_lobbies.meta.count <= PROTO_MAX_META_PAIRS;
    case PROTO_CREATE_LOBBY:
        return m->u.create_lobby.meta.count <= PROTO_MAX_META_PAIRS;
    case PROTO_SET_READY:
        return m->u.set_ready.ready <= 1;
    case PROTO_CONFIGURE_LOBBY:
        return in_range(m->u.configure_lobby.changes, PROTO_CONFIGURE_ALL) &&
               m->u.configure_lobby.meta.count <= PROTO_MAX_META_PAIRS;
    case PROTO_LOBBY_REFUSED:
        return in_range(m->u.lobby_refused.request, PROTO_DIRECT_CHAT) &&
               in_range(m->u.lobby_refused.reason, PROTO_LOBBY_REFUSAL_MAX);
    case PROTO_LOBBY_EXITED:
        return in_range(m->u.lobby_exited.reason, PROTO_EXIT_MAX);
    case PROTO_LOBBY_LIST:
        return list_valid(m);
    case PROTO_LOBBY_STATE:
        return state_valid(m);
    case PROTO_COUNTDOWN:
        return m->u.countdown.seconds_left >= 1;
    case PROTO_REDIRECT:
        return redirect_valid(m);
    default:
        return true;
    }
}

/* ---- encoding ------------------------------------------------------------------------ */

static void write_lobby_state(wire_writer *w, const proto_msg *m)
{
    wire_write_u16(w, m->u.lobby_state.owner_id);
    wire_write_u8(w, m->u.lobby_state.state);
    wire_write_u8(w, m->u.lobby_state.capacity);
    wire_write_u8(w, m->u.lobby_state.flags);
    wire_write_u16(w, m->u.lobby_state.max_rtt_ms);
    wire_write_u32(w, m->u.lobby_state.countdown_ms);
    write_meta(w, &m->u.lobby_state.meta);
    wire_write_u8(w, m->u.lobby_state.count);
    for (unsigned i = 0; i < m->u.lobby_state.count; i++) {
        wire_write_u16(w, m->u.lobby_state.members[i].id);
        wire_write_u8(w, m->u.lobby_state.members[i].flags);
    }
}

/* The requests a client sends. */
static void write_request(wire_writer *w, const proto_msg *m)
{
    switch (m->type) {
    case PROTO_LIST_LOBBIES:
        wire_write_u32(w, m->u.list_lobbies.request_id);
        write_str8(w, m->u.list_lobbies.name_contains);
        wire_write_u8(w, m->u.list_lobbies.flags);
        write_meta(w, &m->u.list_lobbies.meta);
        break;
    case PROTO_CREATE_LOBBY:
        write_str8(w, m->u.create_lobby.name);
        wire_write_u8(w, m->u.create_lobby.capacity);
        write_str8(w, m->u.create_lobby.password);
        wire_write_u16(w, m->u.create_lobby.max_rtt_ms);
        write_meta(w, &m->u.create_lobby.meta);
        break;
    case PROTO_JOIN_LOBBY:
        write_str8(w, m->u.join_lobby.name);
        write_str8(w, m->u.join_lobby.password);
        break;
    case PROTO_SET_READY:
        wire_write_u8(w, m->u.set_ready.ready);
        break;
    case PROTO_KICK:
        wire_write_u16(w, m->u.kick.player_id);
        break;
    case PROTO_GIVE_OWNERSHIP:
        wire_write_u16(w, m->u.give_ownership.player_id);
        break;
    case PROTO_CONFIGURE_LOBBY:
        wire_write_u8(w, m->u.configure_lobby.changes);
        wire_write_u8(w, m->u.configure_lobby.capacity);
        write_str8(w, m->u.configure_lobby.password);
        wire_write_u16(w, m->u.configure_lobby.max_rtt_ms);
        write_meta(w, &m->u.configure_lobby.meta);
        break;
    case PROTO_DIRECT_CHAT:
        wire_write_u32(w, m->u.direct_chat.msg_id);
        wire_write_u16(w, m->u.direct_chat.to_id);
        write_str16(w, m->u.direct_chat.text);
        break;
    default: /* LEAVE_LOBBY, START_GAME: no body */
        break;
    }
}

void proto_lobby_write_body(wire_writer *w, const proto_msg *m)
{
    switch (m->type) {
    case PROTO_LOBBY_REFUSED:
        wire_write_u8(w, m->u.lobby_refused.request);
        wire_write_u8(w, m->u.lobby_refused.reason);
        write_str8(w, m->u.lobby_refused.text);
        break;
    case PROTO_LOBBY_EXITED:
        wire_write_u8(w, m->u.lobby_exited.reason);
        write_str8(w, m->u.lobby_exited.text);
        break;
    case PROTO_LOBBY_LIST:
        write_lobby_list(w, &m->u.lobby_list);
        break;
    case PROTO_LOBBY_STATE:
        write_lobby_state(w, m);
        break;
    case PROTO_COUNTDOWN:
        wire_write_u8(w, m->u.countdown.seconds_left);
        wire_write_u32(w, m->u.countdown.start_tick);
        break;
    case PROTO_COUNTDOWN_CANCELLED:
        wire_write_u16(w, m->u.countdown_cancelled.by_id);
        write_str8(w, m->u.countdown_cancelled.text);
        break;
    case PROTO_GAME_STARTING:
        wire_write_u32(w, m->u.game_starting.tick);
        wire_write_u64(w, m->u.game_starting.server_us);
        break;
    case PROTO_DIRECT_CHAT_RELAY:
        wire_write_u16(w, m->u.direct_chat_relay.from_id);
        write_str16(w, m->u.direct_chat_relay.text);
        break;
    case PROTO_REDIRECT:
        write_redirect(w, m);
        break;
    default:
        write_request(w, m);
        break;
    }
}

/* ---- decoding ------------------------------------------------------------------------ */

static bool read_lobby_state(wire_reader *r, proto_msg *m)
{
    m->u.lobby_state.owner_id = wire_read_u16(r);
    m->u.lobby_state.state = wire_read_u8(r);
    m->u.lobby_state.capacity = wire_read_u8(r);
    m->u.lobby_state.flags = wire_read_u8(r);
    m->u.lobby_state.max_rtt_ms = wire_read_u16(r);
    m->u.lobby_state.countdown_ms = wire_read_u32(r);
    if (!read_meta(r, &m->u.lobby_state.meta))
        return false;
    m->u.lobby_state.count = wire_read_u8(r);
    if (m->u.lobby_state.count > PROTO_MAX_LOBBY_PLAYERS)
        return false;
    for (unsigned i = 0; i < m->u.lobby_state.count; i++) {
        m->u.lobby_state.members[i].id = wire_read_u16(r);
        m->u.lobby_state.members[i].flags = wire_read_u8(r);
    }
    return true;
}

/* Reads the rows to find where they end, keeps them as bytes (one at a
 * time is all the stack it needs); values_valid checks them after. */
static bool read_lobby_list(wire_reader *r, proto_msg *m)
{
    proto_lobby_list *l = &m->u.lobby_list;
    l->request_id = wire_read_u32(r);
    l->total = wire_read_u16(r);
    l->count = wire_read_u8(r);
    l->entries = NULL;
    if (l->count > PROTO_MAX_LIST_ENTRIES)
        return false;
    size_t start = r->pos;
    proto_lobby_entry e;
    for (unsigned i = 0; i < l->count; i++)
        if (!read_entry(r, &e))
            return false;
    l->rows.bytes = r->buf + start;
    l->rows.len = r->pos - start;
    return true;
}

static bool read_request(wire_reader *r, proto_msg *m)
{
    switch (m->type) {
    case PROTO_LIST_LOBBIES:
        m->u.list_lobbies.request_id = wire_read_u32(r);
        m->u.list_lobbies.name_contains = read_str8(r);
        m->u.list_lobbies.flags = wire_read_u8(r);
        return read_meta(r, &m->u.list_lobbies.meta);
    case PROTO_CREATE_LOBBY:
        m->u.create_lobby.name = read_str8(r);
        m->u.create_lobby.capacity = wire_read_u8(r);
        m->u.create_lobby.password = read_str8(r);
        m->u.create_lobby.max_rtt_ms = wire_read_u16(r);
        return read_meta(r, &m->u.create_lobby.meta);
    case PROTO_JOIN_LOBBY:
        m->u.join_lobby.name = read_str8(r);
        m->u.join_lobby.password = read_str8(r);
        return true;
    case PROTO_SET_READY:
        m->u.set_ready.ready = wire_read_u8(r);
        return true;
    case PROTO_KICK:
        m->u.kick.player_id = wire_read_u16(r);
        return true;
    case PROTO_GIVE_OWNERSHIP:
        m->u.give_ownership.player_id = wire_read_u16(r);
        return true;
    case PROTO_CONFIGURE_LOBBY:
        m->u.configure_lobby.changes = wire_read_u8(r);
        m->u.configure_lobby.capacity = wire_read_u8(r);
        m->u.configure_lobby.password = read_str8(r);
        m->u.configure_lobby.max_rtt_ms = wire_read_u16(r);
        return read_meta(r, &m->u.configure_lobby.meta);
    case PROTO_DIRECT_CHAT:
        m->u.direct_chat.msg_id = wire_read_u32(r);
        m->u.direct_chat.to_id = wire_read_u16(r);
        m->u.direct_chat.text = read_str16(r);
        return true;
    default: /* LEAVE_LOBBY, START_GAME: no body */
        return true;
    }
}

bool proto_lobby_read_body(wire_reader *r, proto_msg *m)
{
    switch (m->type) {
    case PROTO_LOBBY_REFUSED:
        m->u.lobby_refused.request = wire_read_u8(r);
        m->u.lobby_refused.reason = wire_read_u8(r);
        m->u.lobby_refused.text = read_str8(r);
        return true;
    case PROTO_LOBBY_EXITED:
        m->u.lobby_exited.reason = wire_read_u8(r);
        m->u.lobby_exited.text = read_str8(r);
        return true;
    case PROTO_LOBBY_LIST:
        return read_lobby_list(r, m);
    case PROTO_LOBBY_STATE:
        return read_lobby_state(r, m);
    case PROTO_COUNTDOWN:
        m->u.countdown.seconds_left = wire_read_u8(r);
        m->u.countdown.start_tick = wire_read_u32(r);
        return true;
    case PROTO_COUNTDOWN_CANCELLED:
        m->u.countdown_cancelled.by_id = wire_read_u16(r);
        m->u.countdown_cancelled.text = read_str8(r);
        return true;
    case PROTO_GAME_STARTING:
        m->u.game_starting.tick = wire_read_u32(r);
        m->u.game_starting.server_us = wire_read_u64(r);
        return true;
    case PROTO_DIRECT_CHAT_RELAY:
        m->u.direct_chat_relay.from_id = wire_read_u16(r);
        m->u.direct_chat_relay.text = read_str16(r);
        return true;
    case PROTO_REDIRECT:
        read_redirect(r, m);
        return true;
    default:
        return read_request(r, m);
    }
}
