/* Text rules for names and chat, shared by server (enforcing) and clients
 * (checking before sending). Pure functions over byte strings. */
#ifndef LOBBY_TEXT_H
#define LOBBY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8: rejects overlong forms, surrogates, code points > U+10FFFF
 * and truncated sequences. */
bool text_utf8_valid(const char *s, size_t len);
/* The length of the valid sequence at s (avail > 0 bytes left), by the same
 * rules; 0 when none starts there. */
size_t text_utf8_sequence_len(const char *s, size_t avail);

/* True when s (valid UTF-8) contains C0 controls, DEL, C1 controls, bidi
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) or the
 * line and paragraph separators (U+2028, U+2029), which could make text
 * display other than it reads. */
bool text_has_control(const char *s, size_t len);

/* True when s holds characters that draw nothing (zero-width space, joiners,
 * word joiner, BOM): fine in chat (emoji use joiners), not in names, where
 * they would let "bob" and "bo\u200bb" pass for each other. */
bool text_has_invisible(const char *s, size_t len);

/* True when s starts or ends with white space (U+0020, U+00A0, U+1680,
 * U+2000..U+200A, U+202F, U+205F, U+3000) or has two in a row: names that
 * would look like another ("bob" and "bob ") or hide in a list. Invalid
 * UTF-8 and the empty string count as yes. */
bool text_has_bad_spacing(const char *s, size_t len);

typedef enum text_verdict {
    TEXT_OK = 0,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    TEXT_INVALID_UTF8,
    TEXT_CONTROL,
    TEXT_SPACING, /* names only: see text_has_bad_spacing */
} text_verdict;

/* 1..max_bytes bytes of valid UTF-8 without control characters. */
text_verdict text_check(const char *s, size_t len, size_t max_bytes);
/* text_check, no invisible characters (TEXT_CONTROL) and white space only
 * as single characters between others (TEXT_SPACING). */
text_verdict text_check_name(const char *s, size_t len, size_t max_bytes);

#endif
