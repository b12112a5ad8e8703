/* Internal to the codec (proto.c, proto_lobby.c): the field helpers both
 * halves share, and the lobby half's entry points. Not part of the API. */
#ifndef LOBBY_PROTO_FIELDS_H
#define LOBBY_PROTO_FIELDS_H

#include "proto.h"
#include "wire.h"

#include <string.h>

static inline void write_str8(wire_writer *w, proto_str s)
{
    wire_write_u8(w, (uint8_t)s.len);
    wire_write_bytes(w, s.bytes, s.len);
}

static inline void write_str16(wire_writer *w, proto_str s)
{
    wire_write_u16(w, (uint16_t)s.len);
    wire_write_bytes(w, s.bytes, s.len);
}

static inline proto_str read_str(wire_reader *r, size_t len)
{
    proto_str s = {(const char *)wire_read_view(r, len), len};
    if (s.bytes == NULL)
        s.len = 0;
    return s;
}

static inline proto_str read_str8(wire_reader *r)
{
    return read_str(r, wire_read_u8(r));
}

static inline proto_str read_str16(wire_reader *r)
{
    return read_str(r, wire_read_u16(r));
}

static inline bool in_range(uint32_t v, uint32_t max)
{
    return v >= 1 && v <= max;
}

static inline bool fits_str8(proto_str s)
{
    return s.len <= PROTO_MAX_STR8_BYTES;
}

/* The lobby messages (0x05..0x0E, 0x8D..0x94, 0x97), with the same contract as
 * proto.c's own switch arms: lengths_fit and values_valid are true for any
 * other type; read_body is false only for a count that would overrun its
 * array (the decoder then reads no further). */
bool proto_lobby_lengths_fit(const proto_msg *m);
bool proto_lobby_values_valid(const proto_msg *m);
void proto_lobby_write_body(wire_writer *w, const proto_msg *m);
bool proto_lobby_read_body(wire_reader *r, proto_msg *m);

#endif
