#include "browser.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_status(browser *b, bool is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_status(browser *b, bool is_error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->status, sizeof b->status, fmt, ap);
    va_end(ap);
    b->status_is_error = is_error;
}

void browser_set_status(browser *b, bool is_error, const char *text)
{
    set_status(b, is_error, "%s", text ? text : "");
}

static void field_set(browser *b, browser_field f, const char *text)
{
    browser_text *t = &b->fields[f];
    snprintf(t->text, sizeof t->text, "%s", text);
    t->len = strlen(t->text);
}

void browser_init(browser *b)
{
    memset(b, 0, sizeof *b);
    b->selected = -1;
    b->focus = BROWSER_FIELD_FILTER_NAME;
}

void browser_enter(browser *b, const char *why, bool is_error)
{
    b->overlay = BROWSER_OVERLAY_NONE;
    b->dialog_error[0] = '\0';
    b->focus = BROWSER_FIELD_FILTER_NAME;
    b->refresh_now = true;
    b->pending.type = BROWSER_ACT_NONE;
    set_status(b, is_error, "%s", why ? why : "");
}

size_t browser_field_max(browser_field field)
{
    switch (field) {
    case BROWSER_FIELD_FILTER_NAME:
    case BROWSER_FIELD_CREATE_NAME:
        return PROTO_MAX_LOBBY_NAME_BYTES;
    case BROWSER_FIELD_CREATE_CAPACITY:
        return 2;
    case BROWSER_FIELD_CREATE_MAX_RTT:
        return 5;
    case BROWSER_FIELD_CREATE_PASSWORD:
    case BROWSER_FIELD_PASSWORD:
        return PROTO_MAX_PASSWORD_BYTES;
    case BROWSER_FIELD_FILTER_META:
    case BROWSER_FIELD_CREATE_META:
        return BROWSER_TEXT_MAX;
    case BROWSER_FIELD_NONE:
    case BROWSER_FIELD_COUNT:
    default:
        return 0;
    }
}

static bool is_filter_field(browser_field f)
{
    return f == BROWSER_FIELD_FILTER_NAME || f == BROWSER_FIELD_FILTER_META;
}

static void filter_changed(browser *b)
{
    b->filter_dirty = true;
    b->dirty_since_us = 0; /* stamped by the next tick */
}

/* ---- the list ------------------------------------------------------------ */

static void select_row(browser *b, int row)
{
    if (b->list.count == 0) {
        b->selected = -1;
        b->selected_name[0] = '\0';
        return;
    }
    if (row < 0)
        row = 0;
    if (row >= b->list.count)
        row = b->list.count - 1;
    b->selected = row;
    memcpy(b->selected_name, b->list.lobbies[row].name, sizeof b->selected_name);
}

void browser_set_list(browser *b, const client_lobby_list *list)
{
    int old_row = b->selected;
    b->list = *list;
    if (b->list.count > PROTO_MAX_LIST_ENTRIES)
        b->list.count = PROTO_MAX_LIST_ENTRIES;
    b->have_list = true;
    if (old_row < 0) {
        b->selected = -1;
        return;
    }
    for (int i = 0; i < b->list.count; i++) {
        if (strcmp(b->list.lobbies[i].name, b->selected_name) == 0) {
            select_row(b, i);
            return;
        }
    }
    select_row(b, old_row); /* its lobby is gone: the row at the same place */
}

void browser_select(browser *b, int row)
{
    if (row >= 0 && row < b->list.count)
        select_row(b, row);
}

void browser_move_selection(browser *b, int delta)
{
    select_row(b, b->selected < 0 ? (delta > 0 ? 0 : b->list.count - 1) : b->selected + delta);
}

void browser_tick(browser *b, uint64_t now_us)
{
    if (b->filter_dirty && b->dirty_since_us == 0)
        b->dirty_since_us = now_us ? now_us : 1;
    if (b->pending.type != BROWSER_ACT_NONE)
        return;
    bool due = b->refresh_now || b->last_list_us == 0 ||
               now_us - b->last_list_us >= BROWSER_REFRESH_US ||
               (b->filter_dirty && now_us - b->dirty_since_us >= BROWSER_DEBOUNCE_US);
    if (!due)
        return;
    char err[128];
    if (!browser_build_filter(b, &b->filter_storage, err, sizeof err)) {
        set_status(b, true, "Filter: %s", err);
        b->refresh_now = b->filter_dirty = false;
        b->last_list_us = now_us ? now_us : 1; /* retried when it is edited */
        return;
    }
    if (b->filter_dirty && b->status_is_error && strncmp(b->status, "Filter:", 7) == 0)
        set_status(b, false, "%s", "");
    b->refresh_now = b->filter_dirty = false;
    b->last_list_us = now_us ? now_us : 1;
    memset(&b->pending, 0, sizeof b->pending);
    b->pending.type = BROWSER_ACT_LIST;
    b->pending.filter = b->filter_storage;
}

bool browser_next_action(browser *b, browser_action *out)
{
    if (b->pending.type == BROWSER_ACT_NONE)
        return false;
    *out = b->pending;
    b->pending.type = BROWSER_ACT_NONE;
    return true;
}

/* ---- text fields ----------------------------------------------------------- */

static bool has_control_bytes(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return true;
    return false;
}

void browser_type(browser *b, const char *text)
{
    if (b->focus == BROWSER_FIELD_NONE || text == NULL)
        return;
    browser_text *t = &b->fields[b->focus];
    size_t n = strlen(text), max = browser_field_max(b->focus);
    if (has_control_bytes(text))
        return;
    if (t->len + n > max) {
        /* Refuse the whole keystroke rather than cut a character in two. */
        set_status(b, true, "This field holds at most %zu bytes", max);
        return;
    }
    memcpy(t->text + t->len, text, n + 1);
    t->len += n;
    if (is_filter_field(b->focus))
        filter_changed(b);
}

/* Drops the last UTF-8 character, not just its last byte. */
void browser_backspace(browser *b)
{
    if (b->focus == BROWSER_FIELD_NONE)
        return;
    browser_text *t = &b->fields[b->focus];
    if (t->len == 0)
        return;
    while (t->len > 0) {
        unsigned char c = (unsigned char)t->text[--t->len];
        if ((c & 0xC0) != 0x80)
            break;
    }
    t->text[t->len] = '\0';
    if (is_filter_field(b->focus))
        filter_changed(b);
}

/* Which overlay a field belongs to. */
static browser_overlay field_overlay(browser_field f)
{
    if (f >= BROWSER_FIELD_CREATE_NAME && f <= BROWSER_FIELD_CREATE_MAX_RTT)
        return BROWSER_OVERLAY_CREATE;
    if (f == BROWSER_FIELD_PASSWORD)
        return BROWSER_OVERLAY_PASSWORD;
    return BROWSER_OVERLAY_NONE;
}

void browser_focus(browser *b, browser_field field)
{
    if (field > BROWSER_FIELD_NONE && field < BROWSER_FIELD_COUNT &&
        field_overlay(field) == b->overlay)
        b->focus = field;
}

void browser_next_field(browser *b)
{
    browser_field first, last;
    switch (b->overlay) {
    case BROWSER_OVERLAY_CREATE:
        first = BROWSER_FIELD_CREATE_NAME, last = BROWSER_FIELD_CREATE_MAX_RTT;
        break;
    case BROWSER_OVERLAY_PASSWORD:
        first = last = BROWSER_FIELD_PASSWORD;
        break;
    case BROWSER_OVERLAY_NONE:
    default:
        first = BROWSER_FIELD_FILTER_NAME, last = BROWSER_FIELD_FILTER_META;
        break;
    }
    b->focus = (b->focus < first || b->focus >= last) ? first : b->focus + 1;
}

void browser_toggle(browser *b, browser_filter_toggle t)
{
    if ((int)t < 0 || (int)t >= BROWSER_TOGGLE_COUNT || b->overlay != BROWSER_OVERLAY_NONE)
        return;
    b->toggles[t] = !b->toggles[t];
    filter_changed(b);
}

void browser_refresh(browser *b)
{
    b->refresh_now = true;
}

/* ---- join, password, create -------------------------------------------------- */

static void queue_join(browser *b, const char *lobby, const char *password)
{
    /* The password field holds at most this much; checked again here so a
     * longer one could never be cut short silently. */
    size_t password_len = strlen(password);
    if (password_len >= sizeof b->pending.password) {
        set_status(b, true, "A password holds at most %d bytes", PROTO_MAX_PASSWORD_BYTES);
        return;
    }
    memset(&b->pending, 0, sizeof b->pending);
    b->pending.type = BROWSER_ACT_JOIN;
    snprintf(b->pending.lobby, sizeof b->pending.lobby, "%s", lobby);
    memcpy(b->pending.password, password, password_len + 1);
    /* A wrong (or newly set) password re-opens the prompt for this lobby. */
    if (lobby != b->prompt_lobby)
        snprintf(b->prompt_lobby, sizeof b->prompt_lobby, "%s", lobby);
    set_status(b, false, "Joining '%s'\xE2\x80\xA6", lobby);
}

static void open_password_prompt(browser *b, const char *lobby, const char *error)
{
    b->overlay = BROWSER_OVERLAY_PASSWORD;
    if (lobby != b->prompt_lobby)
        snprintf(b->prompt_lobby, sizeof b->prompt_lobby, "%s", lobby);
    field_set(b, BROWSER_FIELD_PASSWORD, "");
    snprintf(b->dialog_error, sizeof b->dialog_error, "%s", error ? error : "");
    b->focus = BROWSER_FIELD_PASSWORD;
}

void browser_join_selected(browser *b)
{
    if (b->overlay != BROWSER_OVERLAY_NONE)
        return;
    if (b->selected < 0 || b->selected >= b->list.count) {
        set_status(b, true, "%s", "Select a lobby first (arrow keys or a click)");
        return;
    }
    const client_lobby_info *info = &b->list.lobbies[b->selected];
    if (info->has_password)
        open_password_prompt(b, info->name, NULL);
    else
        queue_join(b, info->name, "");
}

void browser_open_create(browser *b)
{
    if (b->overlay != BROWSER_OVERLAY_NONE)
        return;
    b->overlay = BROWSER_OVERLAY_CREATE;
    b->dialog_error[0] = '\0';
    b->focus = BROWSER_FIELD_CREATE_NAME;
}

static void submit_create(browser *b)
{
    if (!browser_build_settings(b, &b->settings_storage, b->dialog_error, sizeof b->dialog_error))
        return; /* the dialog stays open with the error */
    memset(&b->pending, 0, sizeof b->pending);
    b->pending.type = BROWSER_ACT_CREATE;
    b->pending.settings = b->settings_storage;
    b->overlay = BROWSER_OVERLAY_NONE;
    b->dialog_error[0] = '\0';
    b->focus = BROWSER_FIELD_FILTER_NAME;
    set_status(b, false, "Creating '%s'\xE2\x80\xA6", b->settings_storage.name);
}

void browser_confirm(browser *b)
{
    switch (b->overlay) {
    case BROWSER_OVERLAY_CREATE:
        submit_create(b);
        break;
    case BROWSER_OVERLAY_PASSWORD:
        b->overlay = BROWSER_OVERLAY_NONE;
        b->focus = BROWSER_FIELD_FILTER_NAME;
        queue_join(b, b->prompt_lobby, b->fields[BROWSER_FIELD_PASSWORD].text);
        field_set(b, BROWSER_FIELD_PASSWORD, ""); /* not kept once sent */
        break;
    case BROWSER_OVERLAY_NONE:
    default:
        browser_join_selected(b);
        break;
    }
}

void browser_cancel(browser *b)
{
    if (b->overlay != BROWSER_OVERLAY_NONE) {
        if (b->overlay == BROWSER_OVERLAY_PASSWORD)
            field_set(b, BROWSER_FIELD_PASSWORD, "");
        b->overlay = BROWSER_OVERLAY_NONE;
        b->dialog_error[0] = '\0';
        b->focus = BROWSER_FIELD_FILTER_NAME;
        return;
    }
    if (is_filter_field(b->focus) && b->fields[b->focus].len > 0) {
        field_set(b, b->focus, "");
        filter_changed(b);
    }
}

void browser_on_refused(browser *b, uint8_t request, uint32_t reason, const char *text)
{
    char fallback[48];
    snprintf(fallback, sizeof fallback, "refused by the server (reason %u)", (unsigned)reason);
    const char *why = text && text[0] ? text : fallback;
    if (request == PROTO_JOIN_LOBBY && reason == PROTO_LOBBY_WRONG_PASSWORD &&
        b->prompt_lobby[0] != '\0') {
        open_password_prompt(b, b->prompt_lobby, why);
        set_status(b, true, "%s", why);
        return;
    }
    if (request == PROTO_CREATE_LOBBY) {
        b->overlay = BROWSER_OVERLAY_CREATE;
        b->focus = BROWSER_FIELD_CREATE_NAME;
        snprintf(b->dialog_error, sizeof b->dialog_error, "%s", why);
    }
    set_status(b, true, "%s", why);
}

/* ---- building requests --------------------------------------------------------- */

static bool key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool is_separator(char c)
{
    return c == ' ' || c == ',';
}

static bool parse_pair(const char *tok, size_t len, client_meta *out, char *err, size_t err_size)
{
    const char *eq = memchr(tok, '=', len);
    if (eq == NULL) {
        snprintf(err, err_size, "'%.*s' is not key=value", (int)len, tok);
        return false;
    }
    size_t klen = (size_t)(eq - tok), vlen = len - klen - 1;
    if (klen == 0 || klen > PROTO_MAX_META_KEY_BYTES) {
        snprintf(err, err_size, "a key is 1 to %d bytes", PROTO_MAX_META_KEY_BYTES);
        return false;
    }
    for (size_t i = 0; i < klen; i++) {
        if (!key_char_ok(tok[i])) {
            snprintf(err, err_size, "key '%.*s': only a-z 0-9 _ . -", (int)klen, tok);
            return false;
        }
    }
    if (vlen > PROTO_MAX_META_VALUE_BYTES) {
        snprintf(err, err_size, "value of '%.*s' is over %d bytes", (int)klen, tok,
                 PROTO_MAX_META_VALUE_BYTES);
        return false;
    }
    memcpy(out->key, tok, klen);
    out->key[klen] = '\0';
    memcpy(out->value, eq + 1, vlen);
    out->value[vlen] = '\0';
    return true;
}

bool browser_parse_meta(const char *text, client_meta *out, uint8_t *count, char *err,
                        size_t err_size)
{
    *count = 0;
    for (const char *p = text; *p;) {
        while (is_separator(*p))
            p++;
        if (*p == '\0')
            break;
        size_t len = 0;
        while (p[len] && !is_separator(p[len]))
            len++;
        if (*count >= PROTO_MAX_META_PAIRS) {
            snprintf(err, err_size, "at most %d key=value pairs", PROTO_MAX_META_PAIRS);
            return false;
        }
        client_meta *m = &out[*count];
        if (!parse_pair(p, len, m, err, err_size))
            return false;
        for (uint8_t i = 0; i < *count; i++) {
            if (strcmp(out[i].key, m->key) == 0) {
                snprintf(err, err_size, "key '%s' given twice", m->key);
                return false;
            }
        }
        (*count)++;
        p += len;
    }
    return true;
}

bool browser_build_filter(browser *b, client_lobby_filter *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    out->name_contains = b->fields[BROWSER_FIELD_FILTER_NAME].text;
    out->free_seat = b->toggles[BROWSER_TOGGLE_FREE_SEAT];
    out->no_password = b->toggles[BROWSER_TOGGLE_NO_PASSWORD];
    out->open_only = b->toggles[BROWSER_TOGGLE_OPEN_ONLY];
    return browser_parse_meta(b->fields[BROWSER_FIELD_FILTER_META].text, out->meta,
                              &out->meta_count, err, err_size);
}

/* A whole decimal number in [min, max]; empty gives empty_value. */
static bool parse_number(const char *text, unsigned long min, unsigned long max,
                         unsigned long empty_value, unsigned long *out)
{
    if (text[0] == '\0') {
        *out = empty_value;
        return true;
    }
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool browser_build_settings(browser *b, client_lobby_settings *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    const char *name = b->fields[BROWSER_FIELD_CREATE_NAME].text;
    if (name[0] == '\0') {
        snprintf(err, err_size, "%s", "Give the lobby a name");
        return false;
    }
    if (name[0] == ' ' || name[strlen(name) - 1] == ' ') {
        snprintf(err, err_size, "%s", "A lobby name cannot start or end with a space");
        return false;
    }
    unsigned long capacity, max_rtt;
    if (!parse_number(b->fields[BROWSER_FIELD_CREATE_CAPACITY].text, 1, PROTO_MAX_LOBBY_PLAYERS, 0,
                      &capacity)) {
        snprintf(err, err_size, "Capacity is 1 to %d players (empty: the server's default)",
                 PROTO_MAX_LOBBY_PLAYERS);
        return false;
    }
    if (!parse_number(b->fields[BROWSER_FIELD_CREATE_MAX_RTT].text, 1, 65535, 0, &max_rtt)) {
        snprintf(err, err_size, "%s", "Max RTT is 1 to 65535 ms (empty: no limit)");
        return false;
    }
    char meta_err[128];
    if (!browser_parse_meta(b->fields[BROWSER_FIELD_CREATE_META].text, out->meta, &out->meta_count,
                            meta_err, sizeof meta_err)) {
        snprintf(err, err_size, "Metadata: %s", meta_err);
        return false;
    }
    out->name = name;
    out->capacity = (uint8_t)capacity;
    out->password = b->fields[BROWSER_FIELD_CREATE_PASSWORD].text;
    out->max_rtt_ms = (uint16_t)max_rtt;
    return true;
}
