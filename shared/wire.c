#include "wire.h"

#include <string.h>

void wire_writer_init(wire_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->ok = true;
}

/* Reserves n bytes and returns where to write them, or NULL once overflowed. */
static uint8_t *wire_reserve(wire_writer *w, size_t n)
{
    if (!w->ok || w->cap - w->len < n) {
        w->ok = false;
        return NULL;
    }
    uint8_t *at = w->buf + w->len;
    w->len += n;
    return at;
}

static void wire_write_le(wire_writer *w, uint64_t v, size_t n)
{
    uint8_t *at = wire_reserve(w, n);
    if (at == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

void wire_write_u8(wire_writer *w, uint8_t v)
{
    wire_write_le(w, v, 1);
}

void wire_write_u16(wire_writer *w, uint16_t v)
{
    wire_write_le(w, v, 2);
}

void wire_write_u32(wire_writer *w, uint32_t v)
{
    wire_write_le(w, v, 4);
}

void wire_write_u64(wire_writer *w, uint64_t v)
{
    wire_write_le(w, v, 8);
}

void wire_write_f32(wire_writer *w, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    wire_write_u32(w, bits);
}

void wire_write_bytes(wire_writer *w, const void *src, size_t n)
{
    uint8_t *at = wire_reserve(w, n);
    if (at != NULL && n > 0)
        memcpy(at, src, n);
}

void wire_reader_init(wire_reader *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->ok = true;
}

const uint8_t *wire_read_view(wire_reader *r, size_t n)
{
    if (!r->ok || r->len - r->pos < n) {
        r->ok = false;
        return NULL;
    }
    const uint8_t *at = r->buf + r->pos;
    r->pos += n;
    return at;
}

static uint64_t wire_read_le(wire_reader *r, size_t n)
{
    const uint8_t *at = wire_read_view(r, n);
    uint64_t v = 0;
    if (at == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)at[i] << (8 * i);
    return v;
}

uint8_t wire_read_u8(wire_reader *r)
{
    return (uint8_t)wire_read_le(r, 1);
}

uint16_t wire_read_u16(wire_reader *r)
{
    return (uint16_t)wire_read_le(r, 2);
}

uint32_t wire_read_u32(wire_reader *r)
{
    return (uint32_t)wire_read_le(r, 4);
}

uint64_t wire_read_u64(wire_reader *r)
{
    return wire_read_le(r, 8);
}

float wire_read_f32(wire_reader *r)
{
    uint32_t bits = wire_read_u32(r);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

bool wire_reader_done(const wire_reader *r)
{
    return r->ok && r->pos == r->len;
}
