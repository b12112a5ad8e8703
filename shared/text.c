#include "text.h"

#include <stdint.h>

/* Length of the sequence starting at s[0] and its code point, or 0 when the
 * bytes there are not a well-formed, shortest-form, non-surrogate sequence. */
static size_t utf8_decode_one(const unsigned char *s, size_t avail, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if ((b & 0xE0) == 0xC0) {
        n = 2, min = 0x80, *cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
        n = 3, min = 0x800, *cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, *cp = b & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

size_t text_utf8_sequence_len(const char *s, size_t avail)
{
    uint32_t cp;
    return utf8_decode_one((const unsigned char *)s, avail, &cp);
}

bool text_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_decode_one(p + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* The line and paragraph separators break a line like \n, so a chat line
 * could fake a second speaker with them. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
           cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x2028 || cp == 0x2029;
}

/* Unicode's White_Space characters that are not controls (above). */
static bool is_space(uint32_t cp)
{
    return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static bool is_invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0x00AD;
}

/* True when any code point of s satisfies pred; invalid UTF-8 counts as yes. */
static bool any_code_point(const char *s, size_t len, bool (*pred)(uint32_t))
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_decode_one(p + i, len - i, &cp);
        if (n == 0 || pred(cp))
            return true;
        i += n;
    }
    return false;
}

bool text_has_control(const char *s, size_t len)
{
    return any_code_point(s, len, is_control);
}

bool text_has_invisible(const char *s, size_t len)
{
    return any_code_point(s, len, is_invisible);
}

text_verdict text_check(const char *s, size_t len, size_t max_bytes)
{
    if (len == 0)
        return TEXT_EMPTY;
    if (len > max_bytes)
        return TEXT_TOO_LONG;
    if (!text_utf8_valid(s, len))
        return TEXT_INVALID_UTF8;
    if (text_has_control(s, len))
        return TEXT_CONTROL;
    return TEXT_OK;
}

bool text_has_bad_spacing(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    bool previous_space = true; /* so a leading space counts as a run */
    for (size_t i = 0; i < len;) {
        size_t n = utf8_decode_one(p + i, len - i, &cp);
        if (n == 0)
            return true;
        bool space = is_space(cp);
        if (space && previous_space)
            return true;
        previous_space = space;
        i += n;
    }
    return previous_space; /* a trailing space (or nothing at all) */
}

text_verdict text_check_name(const char *s, size_t len, size_t max_bytes)
{
    text_verdict v = text_check(s, len, max_bytes);
    if (v == TEXT_OK && text_has_invisible(s, len))
        return TEXT_CONTROL;
    if (v == TEXT_OK && text_has_bad_spacing(s, len))
        return TEXT_SPACING;
    return v;
}
