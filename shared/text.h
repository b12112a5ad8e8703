/* Text rules for names and chat, shared by server (enforcing) and clients
 * (checking before sending). Pure functions over byte strings. */
#ifndef LOBBY_TEXT_H
#define LOBBY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8: rejects overlong forms, surrogates, code points > U+10FFFF
 * and truncated sequences. */
bool text_utf8_valid(const char *s, size_t len);

/* True when s (valid UTF-8) contains C0 controls, DEL or C1 controls. */
bool text_has_control(const char *s, size_t len);

typedef enum text_verdict {
    TEXT_OK = 0,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    TEXT_INVALID_UTF8,
    TEXT_CONTROL,
} text_verdict;

/* 1..max_bytes bytes of valid UTF-8 without control characters. */
text_verdict text_check(const char *s, size_t len, size_t max_bytes);

#endif
