/* The game session's private state, shared by game.c (connection, movement,
 * chat, the frame) and game_lobby.c (lobby events, browser requests, lobby
 * actions). Not for front ends. */
#ifndef LOBBY_GAME_INTERNAL_H
#define LOBBY_GAME_INTERNAL_H

#include "game.h"
#include "interp.h"

enum {
    HEARTBEAT_US = 1000000, /* resend an unchanged position this often */
};

typedef struct remote_track {
    uint16_t id;
    interp_track track;
} remote_track;

struct game {
    game_config cfg;
    char host[256], name[PROTO_MAX_STR8_BYTES + 1], lobby[PROTO_MAX_STR8_BYTES + 1];
    char password[PROTO_MAX_STR8_BYTES + 1];
    client *c; /* reconnects by itself */
    float my_x, my_y;
    uint64_t last_update_us;
    uint64_t next_send_us, last_sent_us;
    float sent_x, sent_y;
    unsigned track_count;
    remote_track tracks[PROTO_MAX_LOBBY_PLAYERS];
    chat_log log;
    game_view view;
    game_screen screen;
    browser browser;
    uint16_t selected_id;    /* member chosen for kick / give-ownership; 0: none */
    uint16_t known_owner_id; /* to say when ownership moves */
    uint64_t starting_at_us; /* when GAME_STARTING arrived; 0: not yet */
};

void game_set_status(game *g, game_conn conn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void game_notify(game *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* game_lobby.c */
/* Handles the lobby events; false for the others. */
bool game_on_lobby_event(game *g, const client_event *ev, uint64_t now_us);
/* Copies owner, settings, countdown and the starting notice into the view. */
void game_refresh_lobby_state(game *g, const client_view *cv, uint64_t now_us);
/* On the browser screen while browsing: asks for the list when due and
 * sends what the browser queued. */
void game_run_browser(game *g, uint64_t now_us);

#endif
