#include "identity.h"

#include "proto_fields.h"
#include "text.h"
#include "wire.h"

#include <string.h>

static identity_error check_fields(const identity_token *t)
{
    if (text_check_name(t->name.bytes, t->name.len, PROTO_MAX_NAME_BYTES) != TEXT_OK)
        return IDENTITY_ERR_BAD_NAME;
    if (t->lobby.len > 0 &&
        text_check_name(t->lobby.bytes, t->lobby.len, PROTO_MAX_LOBBY_NAME_BYTES) != TEXT_OK)
        return IDENTITY_ERR_BAD_LOBBY;
    return IDENTITY_OK;
}

int identity_encode_body(const identity_token *t, uint8_t *buf, size_t cap)
{
    int err = check_fields(t);
    if (err != IDENTITY_OK)
        return err;
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_write_u8(&w, IDENTITY_FORMAT_VERSION);
    wire_write_u64(&w, t->player_uid);
    wire_write_u64(&w, t->expires_unix_s);
    write_str8(&w, t->name);
    write_str8(&w, t->lobby);
    return w.ok ? (int)w.len : IDENTITY_ERR_BUFFER;
}

int identity_decode(const uint8_t *bytes, size_t len, identity_token *t, size_t *body_len,
                    const uint8_t **signature)
{
    wire_reader r;
    wire_reader_init(&r, bytes, len);
    uint8_t version = wire_read_u8(&r);
    if (r.ok && version != IDENTITY_FORMAT_VERSION)
        return IDENTITY_ERR_VERSION;
    t->player_uid = wire_read_u64(&r);
    t->expires_unix_s = wire_read_u64(&r);
    t->name = read_str8(&r);
    t->lobby = read_str8(&r);
    *body_len = r.pos;
    *signature = wire_read_view(&r, IDENTITY_SIGNATURE_BYTES);
    if (!r.ok)
        return IDENTITY_ERR_TRUNCATED;
    if (!wire_reader_done(&r))
        return IDENTITY_ERR_TRAILING;
    return check_fields(t);
}

const char *identity_strerror(int err)
{
    switch (err) {
    case IDENTITY_OK:
        return "ok";
    case IDENTITY_ERR_TRUNCATED:
        return "token is cut short";
    case IDENTITY_ERR_TRAILING:
        return "token has bytes after its signature";
    case IDENTITY_ERR_VERSION:
        return "token format version is not 1";
    case IDENTITY_ERR_BAD_NAME:
        return "token's name breaks the name rules";
    case IDENTITY_ERR_BAD_LOBBY:
        return "token's lobby breaks the lobby name rules";
    case IDENTITY_ERR_BUFFER:
        return "buffer too small";
    }
    return "unknown error";
}

void identity_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int identity_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
    while (len > 0 && is_space(text[0]))
        text++, len--;
    while (len > 0 && is_space(text[len - 1]))
        len--;
    if (len % 2 != 0 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(len / 2);
}
