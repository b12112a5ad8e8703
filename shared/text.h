/* Text rules for names and chat, shared by server (enforcing) and clients
 * (checking before sending). Pure functions over byte strings. */
#ifndef LOBBY_TEXT_H
#define LOBBY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8: rejects overlong forms, surrogates, code points > U+10FFFF
 * and truncated sequences. */
bool text_utf8_valid(const char *s, size_t len);

/* True when s (valid UTF-8) contains C0 controls, DEL, C1 controls or bidi
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), which
 * could make text display other than it reads. */
bool text_has_control(const char *s, size_t len);

/* True when s holds characters that draw nothing (zero-width space, joiners,
 * word joiner, BOM): fine in chat (emoji use joiners), not in names, where
 * they would let "bob" and "bo\u200bb" pass for each other. */
bool text_has_invisible(const char *s, size_t len);

typedef enum text_verdict {
    TEXT_OK = 0,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    TEXT_INVALID_UTF8,
    TEXT_CONTROL,
} text_verdict;

/* 1..max_bytes bytes of valid UTF-8 without control characters. */
text_verdict text_check(const char *s, size_t len, size_t max_bytes);
/* text_check, and no invisible characters either. */
text_verdict text_check_name(const char *s, size_t len, size_t max_bytes);

#endif
