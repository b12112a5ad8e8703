/* chat/: lobby-chat, the command-line chat client on the client core.
 * May include: shared/, cli/, client/ (ENet only in chat_main.c, for
 * enet_initialize). Must never include: server/, game-client/, bench/,
 * SDL (tests/check_includes.py). */

/* lobby-chat's state, shared by its files: chat_main.c (flags, loop, chat
 * events), chat_cmd.c (the /commands typed on stdin) and chat_lobby.c (the
 * lobby events printed as they arrive). */
#ifndef LOBBY_CHAT_APP_H
#define LOBBY_CHAT_APP_H

#include "client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    CHAT_LINE_MAX_BYTES = PROTO_MAX_STR16_BYTES, /* what one chat message can carry */
    CHAT_PENDING_DMS = 32,                       /* DMs remembered until their ack */
};

/* A direct message sent and not yet acknowledged: its ack names the target. */
typedef struct chat_pending_dm {
    uint32_t msg_id;
    char to[PROTO_MAX_NAME_BYTES + 1];
} chat_pending_dm;

/* What the last LOBBY_STATE said, to print only what changed. */
typedef struct chat_lobby_seen {
    uint16_t owner_id;
    uint8_t capacity;
    bool has_password;
    uint16_t max_rtt_ms;
    uint8_t meta_count;
    client_meta meta[PROTO_MAX_META_PAIRS];
    uint8_t count;
    uint16_t ids[PROTO_MAX_LOBBY_PLAYERS];
    bool ready[PROTO_MAX_LOBBY_PLAYERS];
} chat_lobby_seen;

typedef struct chat_app {
    client *c;
    const char *server_host; /* the server we are on: --server's, or a redirect's */
    uint16_t server_port;
    char redirected_host[PROTO_MAX_STR8_BYTES + 1]; /* server_host after a redirect */
    const char *say;
    uint32_t say_id;
    uint32_t timeout_ms;
    uint32_t outstanding; /* sent, neither acknowledged nor refused yet */
    uint32_t awaiting;    /* lobby requests sent and not answered yet */
    uint32_t set_pending; /* /set sent, its LOBBY_STATE or refusal not seen yet */
    uint64_t last_command_us;
    bool stdin_eof;
    bool line_too_long;
    size_t line_len;
    char line[CHAT_LINE_MAX_BYTES + 1];
    bool leaving;
    uint64_t deadline_us; /* 0: none */
    bool done;
    int exit_code;
    char lobby[PROTO_MAX_LOBBY_NAME_BYTES + 1]; /* the lobby we are in, "" at the list */
    bool lobby_seen;                            /* seen holds a LOBBY_STATE of this lobby */
    chat_lobby_seen seen;
    chat_pending_dm dms[CHAT_PENDING_DMS];
} chat_app;

/* The name of a member of our lobby, or "#ID" written into buf. */
const char *chat_player_name(const chat_app *app, uint16_t id, char *buf, size_t cap);

/* chat_cmd.c: runs one line that starts with '/'. */
void chat_command(chat_app *app, const char *line, size_t len, uint64_t now_us);
/* The commands, for --help and /help. */
void chat_print_commands(FILE *to);

/* chat_lobby.c: prints a lobby event (and keeps app->seen); false when ev
 * is not one. */
bool chat_lobby_event(chat_app *app, const client_event *ev);
/* Remembers a DM's target until its ack; the ack's text. */
void chat_note_dm(chat_app *app, uint32_t msg_id, const char *to);
/* A CHAT_ACK with seq 0 acknowledges a DM: prints it. */
void chat_dm_acked(chat_app *app, uint32_t msg_id);
/* /who: the members with owner and ready marks and their link. */
void chat_print_members(const chat_app *app);

#endif
