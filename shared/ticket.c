#include "ticket.h"

#include "proto_fields.h"
#include "text.h"
#include "wire.h"

#include <string.h>

static ticket_error check_fields(const ticket_fields *t)
{
    if (t->kind != TICKET_JOIN && t->kind != TICKET_PLACE)
        return TICKET_ERR_KIND;
    if (text_check_name(t->lobby.bytes, t->lobby.len, PROTO_MAX_LOBBY_NAME_BYTES) != TEXT_OK)
        return TICKET_ERR_BAD_LOBBY;
    if (text_check_name(t->player.bytes, t->player.len, PROTO_MAX_NAME_BYTES) != TEXT_OK)
        return TICKET_ERR_BAD_PLAYER;
    if (!proto_server_id_valid(t->server_id.bytes, t->server_id.len))
        return TICKET_ERR_BAD_SERVER_ID;
    return TICKET_OK;
}

int ticket_encode_body(const ticket_fields *t, uint8_t *buf, size_t cap)
{
    int err = check_fields(t);
    if (err != TICKET_OK)
        return err;
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_write_u8(&w, TICKET_FORMAT_VERSION);
    wire_write_u8(&w, t->kind);
    wire_write_u64(&w, t->expires_unix_ms);
    wire_write_bytes(&w, t->nonce, TICKET_NONCE_BYTES);
    write_str8(&w, t->lobby);
    write_str8(&w, t->player);
    write_str8(&w, t->server_id);
    return w.ok ? (int)w.len : TICKET_ERR_BUFFER;
}

int ticket_decode(const uint8_t *bytes, size_t len, ticket_fields *t, size_t *body_len,
                  const uint8_t **signature)
{
    wire_reader r;
    wire_reader_init(&r, bytes, len);
    uint8_t format = wire_read_u8(&r);
    if (r.ok && format != TICKET_FORMAT_VERSION)
        return TICKET_ERR_VERSION;
    t->kind = wire_read_u8(&r);
    t->expires_unix_ms = wire_read_u64(&r);
    const uint8_t *nonce = wire_read_view(&r, TICKET_NONCE_BYTES);
    if (nonce != NULL)
        memcpy(t->nonce, nonce, TICKET_NONCE_BYTES);
    else
        memset(t->nonce, 0, TICKET_NONCE_BYTES);
    t->lobby = read_str8(&r);
    t->player = read_str8(&r);
    t->server_id = read_str8(&r);
    *body_len = r.pos;
    *signature = wire_read_view(&r, TICKET_SIGNATURE_BYTES);
    if (!r.ok)
        return TICKET_ERR_TRUNCATED;
    if (!wire_reader_done(&r))
        return TICKET_ERR_TRAILING;
    return check_fields(t);
}

const char *ticket_strerror(int err)
{
    switch (err) {
    case TICKET_OK:
        return "ok";
    case TICKET_ERR_TRUNCATED:
        return "ticket is cut short";
    case TICKET_ERR_TRAILING:
        return "ticket has bytes after its signature";
    case TICKET_ERR_VERSION:
        return "ticket format is not 1";
    case TICKET_ERR_KIND:
        return "ticket kind is neither join nor place";
    case TICKET_ERR_BAD_LOBBY:
        return "ticket's lobby breaks the lobby name rules";
    case TICKET_ERR_BAD_PLAYER:
        return "ticket's player breaks the name rules";
    case TICKET_ERR_BAD_SERVER_ID:
        return "ticket's server id is empty, too long or has other characters";
    case TICKET_ERR_BUFFER:
        return "buffer too small";
    }
    return "unknown error";
}

_Static_assert(TICKET_MAX_BYTES == 205, "docs/PROTOCOL.md gives the ticket's maximum as 205 bytes");
