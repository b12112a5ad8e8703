/* The game session's lobby half: the lobby events from the client core, the
 * browser's requests sent through it, the lobby's shared state for the view,
 * and the lobby screen's actions (leave, ready, start, pick, kick, give). */
#include "game.h"
#include "game_internal.h"

#include <stdio.h>
#include <string.h>

/* Back at the lobby list: from the HELLO (browsing), by leaving, or kicked. */
static void on_lobby_exited(game *g, const client_event *ev)
{
    bool kicked = ev->lobby_exited.reason == PROTO_EXIT_KICKED;
    g->screen = GAME_SCREEN_BROWSER;
    g->track_count = 0;
    g->selected_id = 0;
    g->starting_at_us = 0;
    game_set_status(g, GAME_BROWSING, "At the lobby list on %s:%u", g->host,
                    (unsigned)g->cfg.client.port);
    if (ev->lobby_exited.reason != PROTO_EXIT_BROWSING)
        chat_log_system(&g->log, "%s", ev->text[0] ? ev->text : "Left the lobby");
    browser_enter(&g->browser, ev->lobby_exited.reason == PROTO_EXIT_BROWSING ? "" : ev->text,
                  kicked);
}

static void on_lobby_refused(game *g, const client_event *ev)
{
    game_notify(g, "%s refused: %s", proto_type_name(ev->lobby_refused.request), ev->text);
    if (g->screen == GAME_SCREEN_BROWSER) {
        browser_on_refused(&g->browser, (uint8_t)ev->lobby_refused.request,
                           ev->lobby_refused.reason, ev->text);
        return;
    }
    chat_log_system(&g->log, "Refused: %s", ev->text);
}

static const char *member_name(game *g, uint16_t id)
{
    const client_player *p = client_find_player(g->c, id);
    return p ? p->name : "?";
}

/* Says when ownership moves (not on the first LOBBY_STATE after a join). */
static void on_lobby_state(game *g)
{
    const client_view *v = client_get_view(g->c);
    if (v->owner_id != 0 && g->known_owner_id != 0 && v->owner_id != g->known_owner_id) {
        if (v->owner_id == v->my_id)
            chat_log_system(&g->log, "You own the lobby now");
        else
            chat_log_system(&g->log, "%s owns the lobby now", member_name(g, v->owner_id));
    }
    g->known_owner_id = v->owner_id;
}

bool game_on_lobby_event(game *g, const client_event *ev, uint64_t now_us)
{
    switch (ev->type) {
    case CLIENT_EV_LOBBY_LIST:
        browser_set_list(&g->browser, client_get_lobby_list(g->c));
        return true;
    case CLIENT_EV_LOBBY_REFUSED:
        on_lobby_refused(g, ev);
        return true;
    case CLIENT_EV_LOBBY_EXITED:
        on_lobby_exited(g, ev);
        return true;
    case CLIENT_EV_LOBBY_STATE:
        on_lobby_state(g);
        return true;
    case CLIENT_EV_COUNTDOWN:
        chat_log_system(&g->log, "Starting in %u s", (unsigned)ev->countdown.seconds_left);
        return true;
    case CLIENT_EV_COUNTDOWN_CANCELLED:
        chat_log_system(&g->log, "Countdown cancelled%s%s", ev->text[0] ? ": " : "", ev->text);
        return true;
    case CLIENT_EV_GAME_STARTING:
        g->starting_at_us = now_us ? now_us : 1;
        chat_log_system(&g->log, "Game starting (server tick %u)",
                        (unsigned)ev->game_starting.tick);
        return true;
    case CLIENT_EV_DIRECT_CHAT: {
        const client_player *p = client_find_player(g->c, ev->direct_chat.player_id);
        char text[PROTO_MAX_CHAT_BYTES + 1];
        snprintf(text, sizeof text, "(to you) %.*s", PROTO_MAX_CHAT_BYTES - 9, ev->text);
        chat_log_message(&g->log,
                         p                           ? p->name
                         : ev->direct_chat.sender[0] ? ev->direct_chat.sender
                                                     : "?",
                         p ? p->colour : 0xAAAAAA, 0, text);
        return true;
    }
    default:
        return false;
    }
}

/* The lobby's shared state: owner, settings, countdown, starting notice. */
void game_refresh_lobby_state(game *g, const client_view *cv, uint64_t now_us)
{
    game_view *v = &g->view;
    v->i_own = cv->owner_id != 0 && cv->owner_id == cv->my_id;
    v->server_owned = cv->server_owned;
    v->lobby_state = cv->lobby_state;
    v->has_password = cv->has_password;
    v->meta_count = cv->meta_count <= PROTO_MAX_META_PAIRS ? cv->meta_count : 0;
    memcpy(v->meta, cv->meta, sizeof v->meta);
    v->countdown_ms = 0;
    if (cv->lobby_state == PROTO_LOBBY_STARTING && cv->countdown_end_us > now_us)
        v->countdown_ms = (uint32_t)((cv->countdown_end_us - now_us + 999) / 1000);
    v->starting_notice =
        g->starting_at_us != 0 && now_us - g->starting_at_us < GAME_STARTING_NOTICE_US;
}

/* Sends what the browser asks for; refusals to send go to its status line. */
static void send_browser_action(game *g, const browser_action *act)
{
    uint32_t request_id;
    int err = CLIENT_OK;
    switch (act->type) {
    case BROWSER_ACT_LIST:
        err = client_list_lobbies(g->c, &act->filter, &request_id);
        break;
    case BROWSER_ACT_JOIN:
        err = client_join_lobby(g->c, act->lobby, act->password);
        break;
    case BROWSER_ACT_CREATE:
        err = client_create_lobby(g->c, &act->settings);
        break;
    case BROWSER_ACT_NONE:
    default:
        return;
    }
    if (err != CLIENT_OK)
        browser_set_status(&g->browser, true, client_strerror(err));
}

void game_run_browser(game *g, uint64_t now_us)
{
    if (g->screen != GAME_SCREEN_BROWSER || g->view.conn != GAME_BROWSING)
        return;
    browser_tick(&g->browser, now_us);
    browser_action act;
    while (browser_next_action(&g->browser, &act))
        send_browser_action(g, &act);
}

/* ---- the lobby screen ------------------------------------------------------- */

static bool in_lobby(game *g, const char *what)
{
    if (g->view.conn == GAME_JOINED)
        return true;
    chat_log_system(&g->log, "Cannot %s: not in a lobby", what);
    return false;
}

/* Sends a lobby request; false (with a system line) when it cannot be. */
static bool sent(game *g, int err, const char *what)
{
    if (err == CLIENT_OK)
        return true;
    chat_log_system(&g->log, "Cannot %s: %s", what, client_strerror(err));
    return false;
}

bool game_leave_lobby(game *g)
{
    return in_lobby(g, "leave") && sent(g, client_leave_lobby(g->c), "leave");
}

bool game_toggle_ready(game *g)
{
    if (!in_lobby(g, "change ready"))
        return false;
    const client_player *me = client_find_player(g->c, client_get_view(g->c)->my_id);
    return sent(g, client_set_ready(g->c, me == NULL || !me->ready), "change ready");
}

static bool owner_only(game *g, const char *what)
{
    if (!in_lobby(g, what))
        return false;
    if (g->view.i_own)
        return true;
    if (g->view.server_owned)
        chat_log_system(&g->log,
                        "Nobody can %s in %s: the server runs it (create a lobby for that)", what,
                        g->view.lobby);
    else
        chat_log_system(&g->log, "Only the lobby's owner can %s", what);
    return false;
}

bool game_start_game(game *g)
{
    return owner_only(g, "start the game") && sent(g, client_start_game(g->c), "start the game");
}

void game_select_member(game *g, uint16_t id)
{
    const client_view *v = client_get_view(g->c);
    g->selected_id = (id != v->my_id && client_find_player(g->c, id) != NULL) ? id : 0;
}

void game_select_next(game *g, int step)
{
    const client_view *v = client_get_view(g->c);
    int n = v->player_count, at = -1;
    for (int i = 0; i < n; i++)
        if (v->players[i].id == g->selected_id)
            at = i;
    int start = at >= 0 ? at : (step > 0 ? n - 1 : 0);
    for (int k = 1; k <= n; k++) {
        int i = ((start + step * k) % n + n) % n;
        if (v->players[i].id != v->my_id) {
            g->selected_id = v->players[i].id;
            return;
        }
    }
    g->selected_id = 0;
}

/* The selected member, or 0 with a system line saying how to pick one. */
static uint16_t target(game *g, const char *what)
{
    if (client_find_player(g->c, g->selected_id) != NULL)
        return g->selected_id;
    chat_log_system(&g->log, "Pick a player to %s first (Tab, or click the list)", what);
    return 0;
}

bool game_kick_selected(game *g)
{
    uint16_t id;
    return owner_only(g, "kick") && (id = target(g, "kick")) != 0 &&
           sent(g, client_kick(g->c, id), "kick");
}

bool game_give_selected(game *g)
{
    uint16_t id;
    return owner_only(g, "hand over the lobby") && (id = target(g, "hand the lobby to")) != 0 &&
           sent(g, client_give_ownership(g->c, id), "hand over the lobby");
}
