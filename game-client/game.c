#include "game.h"
#include "game_internal.h"

#include "movement.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void game_config_defaults(game_config *cfg)
{
    client_config_defaults(&cfg->client);
    cfg->notify = NULL;
    cfg->notify_user = NULL;
    cfg->send_hz = 20;
    cfg->interp_delay_ms = 100;
    cfg->move_speed = 300.0f;
    cfg->max_backoff_ms = 30000;
}

void game_notify(game *g, const char *fmt, ...)
{
    if (g->cfg.notify == NULL)
        return;
    char line[sizeof g->view.status + PROTO_MAX_CHAT_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    g->cfg.notify(g->cfg.notify_user, line);
}

void game_set_status(game *g, game_conn conn, const char *fmt, ...)
{
    char text[sizeof g->view.status];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    g->view.conn = conn;
    if (strcmp(text, g->view.status) != 0) {
        memcpy(g->view.status, text, sizeof text);
        g->view.status_serial++;
        game_notify(g, "%s", text);
    }
}

int game_create(const game_config *cfg, uint64_t now_us, game **out)
{
    if (cfg->client.host == NULL || cfg->client.name == NULL || cfg->send_hz == 0)
        return CLIENT_ERR_ARG;
    game *g = calloc(1, sizeof *g);
    if (g == NULL)
        return CLIENT_ERR_NOMEM;
    g->cfg = *cfg;
    snprintf(g->host, sizeof g->host, "%s", cfg->client.host);
    snprintf(g->name, sizeof g->name, "%s", cfg->client.name);
    snprintf(g->lobby, sizeof g->lobby, "%s", cfg->client.lobby ? cfg->client.lobby : "");
    snprintf(g->password, sizeof g->password, "%s",
             cfg->client.password ? cfg->client.password : "");
    g->cfg.client.host = g->host;
    g->cfg.client.name = g->name;
    g->cfg.client.lobby = g->lobby;
    g->cfg.client.password = g->password;
    browser_init(&g->browser);
    g->screen = cfg->client.browse ? GAME_SCREEN_BROWSER : GAME_SCREEN_LOBBY;
    g->view.screen = g->screen;
    g->view.browser = &g->browser;
    g->cfg.client.auto_reconnect = true;
    g->cfg.client.reconnect_max_ms = cfg->max_backoff_ms;
    g->last_update_us = now_us;
    chat_log_init(&g->log);
    g->view.chat = &g->log;
    int err = client_create(&g->cfg.client, now_us, &g->c);
    if (err != CLIENT_OK) {
        free(g);
        return err;
    }
    game_set_status(g, GAME_CONNECTING, "Connecting to %s:%u ...", g->host,
                    (unsigned)cfg->client.port);
    *out = g;
    return CLIENT_OK;
}

void game_destroy(game *g)
{
    if (g == NULL)
        return;
    client_destroy(g->c);
    free(g);
}

const game_view *game_get_view(const game *g)
{
    return &g->view;
}

int game_fd(const game *g)
{
    return client_fd(g->c);
}

browser *game_browser(game *g)
{
    return &g->browser;
}

/* ---- remote players --------------------------------------------------------- */

static interp_track *track_of(game *g, uint16_t id)
{
    for (unsigned i = 0; i < g->track_count; i++)
        if (g->tracks[i].id == id)
            return &g->tracks[i].track;
    return NULL;
}

static void track_add(game *g, const client_player *p)
{
    if (track_of(g, p->id) != NULL || g->track_count >= PROTO_MAX_LOBBY_PLAYERS)
        return;
    remote_track *rt = &g->tracks[g->track_count++];
    rt->id = p->id;
    interp_init(&rt->track, p->x, p->y);
}

static void track_remove(game *g, uint16_t id)
{
    for (unsigned i = 0; i < g->track_count; i++) {
        if (g->tracks[i].id == id) {
            g->tracks[i] = g->tracks[--g->track_count];
            return;
        }
    }
}

/* ---- events from the client core -------------------------------------------- */

static void on_joined(game *g, bool resumed)
{
    const client_view *v = client_get_view(g->c);
    g->track_count = 0;
    g->screen = GAME_SCREEN_LOBBY;
    g->selected_id = 0;
    g->known_owner_id = 0;
    g->starting_at_us = 0;
    browser_set_status(&g->browser, false, "");
    for (unsigned i = 0; i < v->player_count; i++) {
        if (v->players[i].id == v->my_id) {
            g->my_x = v->players[i].x;
            g->my_y = v->players[i].y;
        } else {
            track_add(g, &v->players[i]);
        }
    }
    game_set_status(g, GAME_JOINED, "In lobby %s on %s:%u", v->lobby, g->host,
                    (unsigned)g->cfg.client.port);
    chat_log_system(&g->log, "%s lobby %s (%u/%u players)", resumed ? "Back in" : "Joined",
                    v->lobby, (unsigned)v->player_count, (unsigned)v->capacity);
}

/* The connection is lost or refused: say why; the client core retries by
 * itself. Messages in flight may or may not have arrived: say so. */
static void on_reconnecting(game *g, const client_event *ev)
{
    bool was_joined = g->view.conn == GAME_JOINED;
    const char *what = was_joined ? "Connection lost" : "Not connected";
    game_set_status(g, GAME_WAITING_RETRY, "%s: %s; retrying in %.1f s", what, ev->text,
                    (double)ev->reconnecting.delay_ms / 1000.0);
    chat_log_system(&g->log, "%s: %s", what, ev->text);
    chat_log_fail_pending(&g->log, "not confirmed: connection lost");
}

/* The client core gave up: the server refused us, or threw us out, for a
 * reason that trying again cannot fix (or we left). Say so everywhere the
 * player may be looking: the status line, the chat log, the browser. */
static void on_stopped(game *g, const client_event *ev)
{
    const char *what =
        ev->type == CLIENT_EV_REJECTED ? "Refused by the server" : "Disconnected by the server";
    /* ev->text is never empty: the core puts the code's text there when the
     * server sent none. */
    game_set_status(g, GAME_STOPPED, "%s: %s (not retrying)", what, ev->text);
    chat_log_system(&g->log, "%s: %s", what, ev->text);
    chat_log_fail_pending(&g->log, "not confirmed: connection lost");
    browser_set_status(&g->browser, true, g->view.status);
}

static void on_event(game *g, const client_event *ev, uint64_t now_us)
{
    if (game_on_lobby_event(g, ev, now_us))
        return;
    const client_player *p;
    interp_track *t;
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        on_joined(g, ev->joined.resumed);
        break;
    case CLIENT_EV_RECONNECTING:
        on_reconnecting(g, ev);
        break;
    case CLIENT_EV_REJECTED: /* auto_reconnect is on: only for a permanent reason */
    case CLIENT_EV_DISCONNECTED:
        on_stopped(g, ev);
        break;
    case CLIENT_EV_PLAYER_STATUS:
        chat_log_system(&g->log, "%s is %s", ev->text, proto_status_text(ev->player_status.status));
        break;
    case CLIENT_EV_REDIRECTED: /* the client core follows it: JOINED comes next */
        chat_log_system(&g->log, "redirected: lobby '%s' is on server %s at %s:%u",
                        ev->redirected.lobby, ev->redirected.server_id, ev->redirected.host,
                        (unsigned)ev->redirected.port);
        break;
    case CLIENT_EV_PLAYER_JOINED:
        if ((p = client_find_player(g->c, ev->player_joined.player_id)) != NULL)
            track_add(g, p);
        chat_log_system(&g->log, "%s joined", ev->text);
        break;
    case CLIENT_EV_PLAYER_LEFT:
        track_remove(g, ev->player_left.player_id);
        if (g->selected_id == ev->player_left.player_id)
            g->selected_id = 0;
        chat_log_system(&g->log, "%s left (%s)", ev->text,
                        proto_leave_text(ev->player_left.reason));
        break;
    case CLIENT_EV_CHAT:
        if (ev->chat.from_text) {
            chat_log_text_message(&g->log, ev->chat.sender, ev->chat.seq, ev->text);
            break;
        }
        /* A history line's sender may have left: its name came with it. */
        p = client_find_player(g->c, ev->chat.player_id);
        chat_log_message(&g->log, p ? p->name : ev->chat.sender, p ? p->colour : 0xAAAAAA,
                         ev->chat.seq, ev->text);
        break;
    case CLIENT_EV_CHAT_ACK:
        chat_log_ack(&g->log, ev->chat_ack.msg_id, ev->chat_ack.seq);
        game_notify(g, "message %u acknowledged by the server as #%u",
                    (unsigned)ev->chat_ack.msg_id, (unsigned)ev->chat_ack.seq);
        break;
    case CLIENT_EV_CHAT_REFUSED:
        chat_log_refuse(&g->log, ev->chat_refused.msg_id, ev->text);
        game_notify(g, "message %u refused: %s", (unsigned)ev->chat_refused.msg_id, ev->text);
        break;
    case CLIENT_EV_POSITION:
        if ((t = track_of(g, ev->position.player_id)) != NULL)
            interp_push(t, ev->position.sent_us, ev->position.x, ev->position.y, now_us);
        break;
    case CLIENT_EV_PONG:
    default: /* the lobby events are handled in on_lobby_event */
        break;
    }
}

/* ---- the frame -------------------------------------------------------------- */

/* Sends our position at the configured rate when it changed, and at least
 * once a second so the others' playback never starves. */
static void send_position(game *g, uint64_t now_us)
{
    if (now_us < g->next_send_us)
        return;
    bool moved = g->my_x != g->sent_x || g->my_y != g->sent_y;
    if (!moved && now_us - g->last_sent_us < HEARTBEAT_US)
        return;
    if (client_send_position(g->c, g->my_x, g->my_y, now_us) == CLIENT_OK) {
        g->sent_x = g->my_x;
        g->sent_y = g->my_y;
        g->last_sent_us = now_us;
    }
    g->next_send_us = now_us + 1000000u / g->cfg.send_hz;
}

static void refresh_view(game *g, uint64_t now_us)
{
    game_view *v = &g->view;
    v->avatar_count = 0;
    v->screen = g->screen;
    v->browser = &g->browser;
    if (v->conn != GAME_JOINED) {
        v->i_own = false;
        v->countdown_ms = 0;
        v->starting_notice = false;
        return;
    }
    const client_view *cv = client_get_view(g->c);
    snprintf(v->lobby, sizeof v->lobby, "%s", cv->lobby);
    v->capacity = cv->capacity;
    v->rtt_ms = cv->enet_rtt_ms;
    game_refresh_lobby_state(g, cv, now_us);
    for (unsigned i = 0; i < cv->player_count; i++) {
        const client_player *p = &cv->players[i];
        game_avatar *a = &v->avatars[v->avatar_count++];
        a->id = p->id;
        a->colour = p->colour;
        memcpy(a->name, p->name, sizeof a->name);
        a->is_me = p->id == cv->my_id;
        a->has_link = p->has_link;
        a->reconnecting = p->reconnecting;
        a->is_owner = p->id == cv->owner_id;
        a->ready = p->ready;
        a->selected = p->id == g->selected_id;
        a->rtt_ms = p->rtt_ms;
        a->jitter_ms = p->jitter_ms;
        a->loss_permyriad = p->loss_permyriad;
        interp_track *t = a->is_me ? NULL : track_of(g, p->id);
        if (a->is_me) {
            a->x = g->my_x, a->y = g->my_y;
        } else if (t != NULL) {
            interp_position(t, now_us, (uint64_t)g->cfg.interp_delay_ms * 1000u, &a->x, &a->y);
        } else {
            a->x = p->x, a->y = p->y;
        }
    }
}

void game_update(game *g, uint64_t now_us, const game_input *in)
{
    double dt_s = (double)(now_us - g->last_update_us) / 1e6;
    g->last_update_us = now_us;
    game_run_browser(g, now_us); /* before client_update, which flushes what it sends */
    if (g->view.conn == GAME_JOINED) {
        movement_step(&g->my_x, &g->my_y, in->up, in->down, in->left, in->right, g->cfg.move_speed,
                      dt_s);
        send_position(g, now_us);
    }
    client_state before = client_get_view(g->c)->state;
    client_update(g->c, now_us); /* receives, and flushes what we queued */
    client_event ev;
    while (client_next_event(g->c, &ev))
        on_event(g, &ev, now_us);
    game_run_browser(g, now_us); /* the list asked for on entering goes out with the next flush */
    if (before == CLIENT_RECONNECTING && client_get_view(g->c)->state == CLIENT_CONNECTING)
        game_set_status(g, GAME_CONNECTING, "Reconnecting to %s:%u ...", g->host,
                        (unsigned)g->cfg.client.port);
    refresh_view(g, now_us);
}

bool game_send_chat(game *g, const char *text, size_t len)
{
    uint32_t msg_id;
    if (g->view.conn != GAME_JOINED) {
        chat_log_system(&g->log, "Not sent: not connected");
        return false;
    }
    int err = client_send_chat(g->c, text, len, &msg_id);
    if (err != CLIENT_OK) {
        chat_log_system(&g->log, "Not sent: %s", client_strerror(err));
        return false;
    }
    const client_player *me = client_find_player(g->c, client_get_view(g->c)->my_id);
    chat_log_own(&g->log, g->name, me ? me->colour : 0xFFFFFF, msg_id, text, len);
    return true;
}

void game_note(game *g, const char *text)
{
    chat_log_system(&g->log, "%s", text);
}
