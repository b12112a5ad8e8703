/* Bounded little-endian reader and writer over caller-owned bytes.
 *
 * Both carry a sticky overflow flag: once a read or write would cross the end,
 * every later call is a no-op (reads yield zero) and `ok` stays false, so a
 * decoder checks once at the end instead of after every field. No allocation,
 * no I/O. */
#ifndef LOBBY_WIRE_H
#define LOBBY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wire_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool ok;
} wire_writer;

typedef struct wire_reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    bool ok;
} wire_reader;

void wire_writer_init(wire_writer *w, uint8_t *buf, size_t cap);
void wire_write_u8(wire_writer *w, uint8_t v);
void wire_write_u16(wire_writer *w, uint16_t v);
void wire_write_u32(wire_writer *w, uint32_t v);
void wire_write_u64(wire_writer *w, uint64_t v);
/* IEEE 754 single precision, bit pattern written as a u32. */
void wire_write_f32(wire_writer *w, float v);
void wire_write_bytes(wire_writer *w, const void *src, size_t n);

void wire_reader_init(wire_reader *r, const uint8_t *buf, size_t len);
uint8_t wire_read_u8(wire_reader *r);
uint16_t wire_read_u16(wire_reader *r);
uint32_t wire_read_u32(wire_reader *r);
uint64_t wire_read_u64(wire_reader *r);
float wire_read_f32(wire_reader *r);
/* Returns a pointer to the next n bytes inside the reader's buffer (no copy),
 * or NULL (and clears ok) when fewer than n remain. */
const uint8_t *wire_read_view(wire_reader *r, size_t n);
/* True when every byte was consumed and no read overflowed. */
bool wire_reader_done(const wire_reader *r);

#endif
