/* Fuzz target for the message codec and the text rules. Beyond "no crash, no
 * sanitizer report", every input checks properties the codec promises:
 *  - decoding is canonical: an accepted message re-encodes to the same bytes,
 *    and one byte less is reported as truncated;
 *  - the decoder only reports decode errors (never an encoder's);
 *  - the same for redirect tickets (shared/ticket.h): an accepted ticket's
 *    body re-encodes to the same bytes, and one byte less is truncated;
 *  - text_utf8_valid agrees with an independent validator written from
 *    Unicode's table of well-formed byte sequences; text_has_control and
 *    text_has_invisible agree with code point sets written out here; and
 *    text_check's and text_check_name's verdicts follow from those parts. */
#include "fuzz.h"

#include "proto.h"
#include "text.h"
#include "ticket.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_proto: %s\n", what);
        abort();
    }
}

/* ---- codec ---------------------------------------------------------------- */

static bool is_decode_error(int rc)
{
    return rc == PROTO_ERR_TRUNCATED || rc == PROTO_ERR_TRAILING || rc == PROTO_ERR_UNKNOWN_TYPE ||
           rc == PROTO_ERR_BAD_VALUE;
}

static void fuzz_codec(const uint8_t *data, size_t size)
{
    /* Static, and larger than PROTO_MAX_MESSAGE_BYTES: a LOBBY_LIST of 64
     * entries with 255-byte strings decodes fine and re-encodes to ~290 KiB
     * (servers never build one; their strings follow the lobby rules). */
    static uint8_t out[512 * 1024];
    proto_msg msg;
    int rc = proto_decode(data, size, &msg);
    if (rc != PROTO_OK) {
        require(is_decode_error(rc), "decode returned a non-decode error");
        return;
    }
    int n = proto_encode(&msg, out, sizeof out);
    require(n > 0, "accepted message does not re-encode");
    require((size_t)n == size, "re-encoding has a different length");
    require(memcmp(out, data, size) == 0, "re-encoding has different bytes");

    proto_msg shorter;
    require(proto_decode(data, size - 1, &shorter) == PROTO_ERR_TRUNCATED,
            "prefix of an accepted message is not reported as truncated");
}

/* ---- redirect tickets ------------------------------------------------------ */

static void fuzz_ticket(const uint8_t *data, size_t size)
{
    ticket_fields t;
    size_t body_len;
    const uint8_t *sig;
    int rc = ticket_decode(data, size, &t, &body_len, &sig);
    if (rc != TICKET_OK) {
        require(rc < 0 && rc > TICKET_ERR_BUFFER, "ticket decode returned an encoder's error");
        return;
    }
    uint8_t body[TICKET_MAX_BODY_BYTES];
    int n = ticket_encode_body(&t, body, sizeof body);
    require(n > 0 && (size_t)n == body_len, "accepted ticket body does not re-encode");
    require(memcmp(body, data, body_len) == 0, "ticket body re-encodes to other bytes");
    require(sig == data + body_len && size == body_len + TICKET_SIGNATURE_BYTES,
            "ticket signature is not the last 64 bytes");
    require(ticket_decode(data, size - 1, &t, &body_len, &sig) == TICKET_ERR_TRUNCATED,
            "prefix of an accepted ticket is not reported as truncated");
}

/* ---- text ----------------------------------------------------------------- */

/* Unicode 15, table 3-7: the well-formed UTF-8 byte sequences. A lead byte in
 * [lead_lo, lead_hi] starts a sequence of n bytes whose second byte lies in
 * [second_lo, second_hi] and whose later bytes lie in 80..BF. */
static const struct {
    uint8_t lead_lo, lead_hi;
    size_t n;
    uint8_t second_lo, second_hi;
} utf8_rows[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
    {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
};

/* Length of the well-formed sequence at s[0], or 0 when there is none. */
static size_t reference_sequence_length(const uint8_t *s, size_t avail)
{
    if (s[0] < 0x80)
        return 1;
    for (size_t r = 0; r < sizeof utf8_rows / sizeof utf8_rows[0]; r++) {
        if (s[0] < utf8_rows[r].lead_lo || s[0] > utf8_rows[r].lead_hi)
            continue;
        size_t n = utf8_rows[r].n;
        if (avail < n || s[1] < utf8_rows[r].second_lo || s[1] > utf8_rows[r].second_hi)
            return 0;
        for (size_t k = 2; k < n; k++)
            if (s[k] < 0x80 || s[k] > 0xBF)
                return 0;
        return n;
    }
    return 0;
}

static bool reference_utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = reference_sequence_length(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* The code point of a well-formed sequence of n bytes. */
static uint32_t reference_code_point(const uint8_t *s, size_t n)
{
    static const uint8_t lead_bits[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = s[0] & lead_bits[n];
    for (size_t k = 1; k < n; k++)
        cp = cp << 6 | (s[k] & 0x3F);
    return cp;
}

/* C0 controls, DEL, C1 controls, the bidi controls that can make text
 * display other than it reads (ALM, LRM, RLM, LRE..RLO, LRI..PDI) and the
 * line and paragraph separators. */
static bool reference_is_control(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x00, 0x1F},     {0x7F, 0x9F},     {0x061C, 0x061C}, {0x200E, 0x200F},
        {0x202A, 0x202E}, {0x2066, 0x2069}, {0x2028, 0x2029},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

/* Characters that draw nothing: soft hyphen, zero-width space and joiners,
 * word joiner, byte order mark. */
static bool reference_is_invisible(uint32_t cp)
{
    return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF;
}

/* Unicode's White_Space property, less the controls. */
static bool reference_is_space(uint32_t cp)
{
    static const uint32_t spaces[] = {0x0020, 0x00A0, 0x1680, 0x2000, 0x2001, 0x2002,
                                      0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
                                      0x2009, 0x200A, 0x202F, 0x205F, 0x3000};
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        if (cp == spaces[i])
            return true;
    return false;
}

/* For valid, non-empty UTF-8: white space first, last, or twice in a row. */
static bool reference_bad_spacing(const uint8_t *s, size_t len)
{
    size_t first = reference_sequence_length(s, len);
    bool last_space = false, any_pair = false, prev = false;
    for (size_t i = 0; i < len;) {
        size_t n = reference_sequence_length(s + i, len - i);
        bool now = reference_is_space(reference_code_point(s + i, n));
        any_pair = any_pair || (prev && now);
        prev = last_space = now;
        i += n;
    }
    return reference_is_space(reference_code_point(s, first)) || last_space || any_pair;
}

/* For valid UTF-8 only: whether any code point satisfies pred. */
static bool reference_any(const uint8_t *s, size_t len, bool (*pred)(uint32_t))
{
    for (size_t i = 0; i < len;) {
        size_t n = reference_sequence_length(s + i, len - i);
        if (pred(reference_code_point(s + i, n)))
            return true;
        i += n;
    }
    return false;
}

static bool reference_has_control(const uint8_t *s, size_t len)
{
    return reference_any(s, len, reference_is_control);
}

static text_verdict expected_verdict(const uint8_t *s, size_t len, size_t max_bytes)
{
    if (len == 0)
        return TEXT_EMPTY;
    if (len > max_bytes)
        return TEXT_TOO_LONG;
    if (!reference_utf8_valid(s, len))
        return TEXT_INVALID_UTF8;
    if (reference_has_control(s, len))
        return TEXT_CONTROL;
    return TEXT_OK;
}

static void fuzz_text(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool valid = text_utf8_valid(s, size);
    require(valid == reference_utf8_valid(data, size), "text_utf8_valid disagrees with table 3-7");
    if (valid) {
        require(text_has_control(s, size) == reference_has_control(data, size),
                "text_has_control disagrees with the reference");
        require(text_has_invisible(s, size) == reference_any(data, size, reference_is_invisible),
                "text_has_invisible disagrees with the reference");
    } else {
        require(text_has_control(s, size), "invalid UTF-8 not treated as control");
        require(text_has_invisible(s, size), "invalid UTF-8 not treated as invisible");
    }

    const size_t limits[] = {PROTO_MAX_NAME_BYTES, PROTO_MAX_CHAT_BYTES, SIZE_MAX};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        text_verdict v = expected_verdict(data, size, limits[i]);
        require(text_check(s, size, limits[i]) == v, "text_check verdict differs from its parts");
        /* Names: the same, and no invisible characters either. */
        if (v == TEXT_OK && reference_any(data, size, reference_is_invisible))
            v = TEXT_CONTROL;
        if (v == TEXT_OK && reference_bad_spacing(data, size))
            v = TEXT_SPACING; /* and white space only between other characters */
        require(text_check_name(s, size, limits[i]) == v,
                "text_check_name verdict differs from its parts");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_codec(data, size);
    fuzz_ticket(data, size);
    fuzz_text(data, size);
    return 0;
}
