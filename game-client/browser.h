/* The lobby browser's state, with no SDL and no sockets: the lobby list as the
 * server last sent it, the filters, the selected row, the create dialog and
 * the password prompt. Front ends turn keys and clicks into the intents
 * below; the game session takes the requests they produce with
 * browser_next_action() and sends them through the client core, and feeds
 * back the answers (browser_set_list, browser_on_refused, browser_enter).
 * Time is passed in (browser_tick). */
#ifndef LOBBY_BROWSER_H
#define LOBBY_BROWSER_H

#include "client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    /* The metadata text holds every pair: 8 x (16 + "=" + 32) plus spaces. */
    BROWSER_TEXT_MAX =
        PROTO_MAX_META_PAIRS * (PROTO_MAX_META_KEY_BYTES + PROTO_MAX_META_VALUE_BYTES + 2),
    BROWSER_REFRESH_US = 3000000, /* the list is asked for again this often */
    BROWSER_DEBOUNCE_US = 250000, /* after a filter edit: typing must not hit the rate limit */
};

/* The text fields, in Tab order within their group. */
typedef enum browser_field {
    BROWSER_FIELD_NONE,
    BROWSER_FIELD_FILTER_NAME, /* name contains */
    BROWSER_FIELD_FILTER_META, /* "key=value ..." every pair must equal */
    BROWSER_FIELD_CREATE_NAME,
    BROWSER_FIELD_CREATE_CAPACITY, /* empty: the server's default */
    BROWSER_FIELD_CREATE_PASSWORD, /* empty: none */
    BROWSER_FIELD_CREATE_META,     /* "mode=ctf map=harbour" */
    BROWSER_FIELD_CREATE_MAX_RTT,  /* ms; empty: no limit */
    BROWSER_FIELD_PASSWORD,        /* the password prompt */
    BROWSER_FIELD_COUNT,
} browser_field;

typedef enum browser_toggle {
    BROWSER_TOGGLE_FREE_SEAT,
    BROWSER_TOGGLE_NO_PASSWORD,
    BROWSER_TOGGLE_OPEN_ONLY,
    BROWSER_TOGGLE_COUNT,
} browser_filter_toggle;

typedef enum browser_overlay {
    BROWSER_OVERLAY_NONE,
    BROWSER_OVERLAY_CREATE,
    BROWSER_OVERLAY_PASSWORD,
} browser_overlay;

typedef enum browser_action_type {
    BROWSER_ACT_NONE,
    BROWSER_ACT_LIST,   /* filter */
    BROWSER_ACT_JOIN,   /* lobby, password */
    BROWSER_ACT_CREATE, /* settings */
} browser_action_type;

/* A request for the server. Its pointers point into the browser and stay
 * valid until the next browser_* call. */
typedef struct browser_action {
    browser_action_type type;
    client_lobby_filter filter;
    char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    char password[PROTO_MAX_PASSWORD_BYTES + 1];
    client_lobby_settings settings;
} browser_action;

typedef struct browser_text {
    size_t len;
    char text[BROWSER_TEXT_MAX + 1];
} browser_text;

typedef struct browser {
    client_lobby_list list; /* the newest answer */
    bool have_list;
    int selected; /* row in list, -1: none */
    char selected_name[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    browser_text fields[BROWSER_FIELD_COUNT];
    browser_field focus;
    bool toggles[BROWSER_TOGGLE_COUNT];
    browser_overlay overlay;
    char prompt_lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1]; /* whose password is asked */
    char dialog_error[160];                            /* shown in the open overlay */
    char status[192];                                  /* one line under the list */
    bool status_is_error;
    /* refreshing */
    bool refresh_now;  /* entering, Refresh pressed */
    bool filter_dirty; /* a filter changed; sent after BROWSER_DEBOUNCE_US */
    uint64_t dirty_since_us;
    uint64_t last_list_us; /* when the last LIST was asked for; 0: never */
    /* the request waiting for the session, and the built filter/settings */
    browser_action pending;
    client_lobby_settings settings_storage;
    client_lobby_filter filter_storage;
} browser;

void browser_init(browser *b);
/* The browser is shown (connected at the list, or back from a lobby): asks
 * for the list at the next tick; why (may be NULL or "") goes in the status
 * line, as an error when is_error (kicked, say). Overlays close. */
void browser_enter(browser *b, const char *why, bool is_error);
/* A LOBBY_LIST arrived: the rows change, the selection follows its lobby
 * by name (or stays at its row when that lobby is gone). */
void browser_set_list(browser *b, const client_lobby_list *list);
/* Asks for the list when it is due: on entering, on Refresh, every
 * BROWSER_REFRESH_US, and BROWSER_DEBOUNCE_US after a filter edit. */
void browser_tick(browser *b, uint64_t now_us);
/* The oldest pending request; false when there is none. */
bool browser_next_action(browser *b, browser_action *out);

/* ---- intents (keys and clicks) ------------------------------------------ */
/* Typed text into the focused field; refused whole (status line) when it
 * would not fit the field or holds control characters. */
void browser_type(browser *b, const char *text);
void browser_backspace(browser *b);
void browser_focus(browser *b, browser_field field);
/* Tab: the next field of the open overlay, or of the filter bar. */
void browser_next_field(browser *b);
void browser_toggle(browser *b, browser_filter_toggle t);
void browser_refresh(browser *b);
void browser_select(browser *b, int row);
void browser_move_selection(browser *b, int delta);
/* Join the selected lobby: the password prompt first when it has one. */
void browser_join_selected(browser *b);
void browser_open_create(browser *b);
/* Enter: submits the open overlay, or joins the selected row. */
void browser_confirm(browser *b);
/* Esc: closes the open overlay; else clears the focused filter field. */
void browser_cancel(browser *b);

/* ---- answers ------------------------------------------------------------ */
/* A LOBBY_REFUSED for request (a proto_type): a wrong password re-opens the
 * prompt, a refused create re-opens its dialog, both with the server's text;
 * anything else goes in the status line. */
void browser_on_refused(browser *b, uint8_t request, uint32_t reason, const char *text);
/* The session could not send a request at all (not connected, say). */
void browser_set_status(browser *b, bool is_error, const char *text);

/* ---- pure helpers (tested on their own) -------------------------------- */
/* The filter the bar describes; its strings point into b. False, with why
 * in err, when the metadata text does not parse. */
bool browser_build_filter(browser *b, client_lobby_filter *out, char *err, size_t err_size);
/* The create dialog's settings; strings point into b. False with why. */
bool browser_build_settings(browser *b, client_lobby_settings *out, char *err, size_t err_size);
/* "key=value key2=value2" (spaces or commas between pairs) into pairs:
 * keys 1..16 bytes of [a-z0-9_.-], unique; values 0..32 bytes; at most 8. */
bool browser_parse_meta(const char *text, client_meta *out, uint8_t *count, char *err,
                        size_t err_size);
/* The most bytes a field takes. */
size_t browser_field_max(browser_field field);

#endif
