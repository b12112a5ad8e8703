/* The connect cookie's two datagrams (proto.h). Unlike the messages, whose
 * fields are little-endian, these are big-endian like the ENet header they
 * stand in for, and a reader can tell them from ENet by their first bytes. */
#include "proto.h"

#include <string.h>

const uint8_t PROTO_COOKIE_REQUEST_MAGIC[4] = {'L', 'B', 'Y', 'Q'};
const uint8_t PROTO_COOKIE_REPLY_MAGIC[4] = {'L', 'B', 'Y', 'C'};

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

bool proto_cookie_has_magic(const uint8_t *buf, size_t len, const uint8_t magic[4])
{
    return len >= 4 && memcmp(buf, magic, 4) == 0;
}

/* magic, version u16, zero u16, nonce u32, then zeros up to 64 bytes. */
void proto_cookie_request_encode(const proto_cookie_request *r,
                                 uint8_t out[PROTO_COOKIE_REQUEST_BYTES])
{
    memset(out, 0, PROTO_COOKIE_REQUEST_BYTES);
    memcpy(out, PROTO_COOKIE_REQUEST_MAGIC, 4);
    put_be16(out + 4, r->version);
    put_be32(out + 8, r->nonce);
}

bool proto_cookie_request_decode(const uint8_t *buf, size_t len, proto_cookie_request *out)
{
    if (len != PROTO_COOKIE_REQUEST_BYTES ||
        !proto_cookie_has_magic(buf, len, PROTO_COOKIE_REQUEST_MAGIC))
        return false;
    out->version = get_be16(buf + 4);
    out->nonce = get_be32(buf + 8);
    return true;
}

/* magic, version u16, status u16, nonce u32, cookie u32. */
void proto_cookie_reply_encode(const proto_cookie_reply *r, uint8_t out[PROTO_COOKIE_REPLY_BYTES])
{
    memcpy(out, PROTO_COOKIE_REPLY_MAGIC, 4);
    put_be16(out + 4, r->version);
    put_be16(out + 6, r->status);
    put_be32(out + 8, r->nonce);
    put_be32(out + 12, r->cookie);
}

bool proto_cookie_reply_decode(const uint8_t *buf, size_t len, proto_cookie_reply *out)
{
    if (len != PROTO_COOKIE_REPLY_BYTES ||
        !proto_cookie_has_magic(buf, len, PROTO_COOKIE_REPLY_MAGIC))
        return false;
    out->version = get_be16(buf + 4);
    out->status = get_be16(buf + 6);
    out->nonce = get_be32(buf + 8);
    out->cookie = get_be32(buf + 12);
    return true;
}
