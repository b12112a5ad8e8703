/* liblobby-client's private half: copies between the public types of
 * include/lobby/client.h and the client core's (lobby_client_copy.c), for
 * lobby_client_api.c. Never installed. */
#ifndef LOBBY_CLIENT_COPY_H
#define LOBBY_CLIENT_COPY_H

#include "lobby/client.h"

#include "client.h"

/* Copies src (NULL: "") into dst of cap bytes, cut at cap - 1 bytes and
 * always NUL-terminated: only for strings whose length the wire bounds to
 * the public array's, so the cut never happens in practice. */
void lobby_copy_str(char *dst, size_t cap, const char *src);

/* LOBBY_CLIENT_OK, or LOBBY_CLIENT_ERR_TOO_LONG when s (NULL: none) is over
 * max bytes; looks at max + 1 bytes at most. */
int lobby_check_len(const char *s, size_t max);

/* Public metadata pairs into the core's: LOBBY_CLIENT_ERR_ARG for a count
 * over LOBBY_CLIENT_MAX_META, LOBBY_CLIENT_ERR_TOO_LONG for a key or value
 * that does not end within its array. */
int lobby_meta_in(client_meta *dst, uint8_t count, const lobby_client_meta *src);

void lobby_event_out(lobby_client_event *out, const client_event *in, const client *core);
void lobby_status_out(lobby_client_status *out, const client_view *v);
void lobby_player_out(lobby_client_player *out, const client_player *p);
void lobby_lobby_out(lobby_client_lobby *out, const client_lobby_info *l);

#endif
