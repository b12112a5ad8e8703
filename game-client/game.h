/* game-client/: the game. Two parts: the game model (game*.c, browser.c,
 * chat_log.c, interp.c, movement.c: lobby_game, no SDL) on the client core,
 * and the SDL window (render*.c, input.c, sdl_main.c: lobby-client) that
 * draws the model and turns input into its intents.
 * The model may include: shared/, client/; never SDL, ENet or the window's
 * headers. The window may include: shared/, cli/, client/, the model, SDL
 * (ENet only in sdl_main.c, for enet_initialize). Neither includes server/,
 * chat/ or bench/ (tests/check_includes.py). */

/* The game session behind the SDL window, with no SDL: it owns the client
 * core connection (and reconnects with backoff), moves the local player from
 * input intents at a fixed speed, sends its position at a fixed rate,
 * interpolates the other players, and keeps the chat log. It has two
 * screens: the lobby browser (browser.h: the front end drives it through
 * game_browser(), the session sends what it asks for) and the lobby (the
 * room, members with owner and ready markers, owner actions, countdown).
 * The front end turns SDL input into game_input, game_send_chat and the
 * lobby calls, and draws game_get_view(). Time is passed in. */
#ifndef LOBBY_GAME_H
#define LOBBY_GAME_H

#include "browser.h"
#include "chat_log.h"
#include "client.h"

#include <stdbool.h>
#include <stdint.h>

/* Receives one line of news for a log or terminal: connection changes and
 * what became of our messages. */
typedef void (*game_notify_fn)(void *user, const char *line);

typedef struct game_config {
    client_config client;  /* server, name, lobby, password, browse, timeouts */
    game_notify_fn notify; /* optional */
    void *notify_user;
    uint32_t send_hz;         /* position updates per second (default 20) */
    uint32_t interp_delay_ms; /* playout delay for remote players (default 100) */
    float move_speed;         /* world units per second (default 300) */
    uint32_t max_backoff_ms;  /* reconnect delay cap (default 30000) */
} game_config;

/* Movement intents held this frame. */
typedef struct game_input {
    bool up, down, left, right;
} game_input;

typedef enum game_conn {
    GAME_CONNECTING, /* connecting or joining */
    GAME_JOINED,
    GAME_WAITING_RETRY, /* lost, rejected or unreachable; retrying after a delay */
    GAME_BROWSING,      /* connected, in no lobby: at the lobby list */
    /* Refused or dropped by the server for a reason a retry cannot fix
     * (client_reason_is_permanent: name taken, version mismatch, ...): no
     * more attempts; status holds the server's reason. */
    GAME_STOPPED,
} game_conn;

typedef enum game_screen {
    GAME_SCREEN_LOBBY,   /* the room (also while connecting to a given lobby) */
    GAME_SCREEN_BROWSER, /* the lobby list */
} game_screen;

enum {
    GAME_STARTING_NOTICE_US = 4000000, /* how long "Game starting" stays up */
};

typedef struct game_avatar {
    uint16_t id;
    uint32_t colour;
    char name[PROTO_MAX_NAME_BYTES + 1];
    float x, y; /* where to draw it: predicted for us, interpolated for others */
    bool is_me;
    bool has_link;     /* the server has reported this member's link yet */
    bool reconnecting; /* lost its connection; the server holds its seat */
    bool is_owner;
    bool ready;
    bool selected; /* the target of the owner's kick / give-ownership */
    uint16_t rtt_ms, jitter_ms, loss_permyriad;
} game_avatar;

/* Everything the window draws. */
typedef struct game_view {
    game_conn conn;
    char status[192];       /* one line for humans: connection state and why */
    uint32_t status_serial; /* changes whenever status changes */
    char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    uint8_t capacity;
    uint32_t rtt_ms; /* ours, ENet's smoothed round trip */
    uint8_t avatar_count;
    game_avatar avatars[PROTO_MAX_LOBBY_PLAYERS];
    const chat_log *chat;
    /* lobbies */
    game_screen screen;
    const browser *browser; /* the list screen's state */
    bool i_own;             /* we are the lobby's owner */
    bool server_owned;      /* the server runs the lobby: no owner, no owner's buttons */
    uint8_t lobby_state;    /* proto_lobby_state; 0: unknown */
    bool has_password;
    uint8_t meta_count;
    client_meta meta[PROTO_MAX_META_PAIRS];
    uint32_t countdown_ms; /* STARTING: until the game starts (0 otherwise) */
    bool starting_notice;  /* GAME_STARTING arrived in the last GAME_STARTING_NOTICE_US */
} game_view;

typedef struct game game;

void game_config_defaults(game_config *cfg);
/* Starts connecting. Returns CLIENT_OK or a negative client_error (an
 * unresolvable host name is reported here; later failures are retried). */
int game_create(const game_config *cfg, uint64_t now_us, game **out);
/* Leaves (the server sees a quit, not a timeout) and frees everything. */
void game_destroy(game *g);

/* One frame: services the network, applies input, sends our position when
 * due, reconnects when due, and refreshes the view. */
void game_update(game *g, uint64_t now_us, const game_input *input);
/* Sends chat and logs it as pending; false (with a system line) when not joined. */
bool game_send_chat(game *g, const char *text, size_t len);
/* Adds a line of local news (not sent anywhere) to the chat log. */
void game_note(game *g, const char *text);
const game_view *game_get_view(const game *g);
/* The browser's state, for the front end's intents (browser.h); the
 * session sends the requests it queues on the next game_update. */
browser *game_browser(game *g);

/* ---- the lobby screen: each returns false, with a line in the chat log,
 * when it cannot be sent (not joined, not the owner, no member selected);
 * the server's refusals arrive later as chat log lines too. */
bool game_leave_lobby(game *g);
bool game_toggle_ready(game *g);
bool game_start_game(game *g);
/* Selects the member for kick / give-ownership (0: none). */
void game_select_member(game *g, uint16_t id);
/* The next (step 1) or previous (-1) member other than us, cycling. */
void game_select_next(game *g, int step);
bool game_kick_selected(game *g);
bool game_give_selected(game *g);
/* The socket to wait on, or -1 while between connections. */
int game_fd(const game *g);

#endif
