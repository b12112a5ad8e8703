#include "game.h"

#include "interp.h"
#include "movement.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void set_status(game *g, game_conn conn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void notify(game *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notify(game *g, const char *fmt, ...)
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

static void set_status(game *g, game_conn conn, const char *fmt, ...)
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
        notify(g, "%s", text);
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
    set_status(g, GAME_CONNECTING, "Connecting to %s:%u ...", g->host, (unsigned)cfg->client.port);
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
    set_status(g, GAME_JOINED, "In lobby %s on %s:%u", v->lobby, g->host,
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
    set_status(g, GAME_WAITING_RETRY, "%s: %s; retrying in %.1f s", what, ev->text,
               (double)ev->delay_ms / 1000.0);
    chat_log_system(&g->log, "%s: %s", what, ev->text);
    chat_log_fail_pending(&g->log, "not confirmed: connection lost");
}

/* Back at the lobby list: from the HELLO (browsing), by leaving, or kicked. */
static void on_lobby_exited(game *g, const client_event *ev)
{
    bool kicked = ev->reason == PROTO_EXIT_KICKED;
    g->screen = GAME_SCREEN_BROWSER;
    g->track_count = 0;
    g->selected_id = 0;
    g->starting_at_us = 0;
    set_status(g, GAME_BROWSING, "At the lobby list on %s:%u", g->host,
               (unsigned)g->cfg.client.port);
    if (ev->reason != PROTO_EXIT_BROWSING)
        chat_log_system(&g->log, "%s", ev->text[0] ? ev->text : "Left the lobby");
    browser_enter(&g->browser, ev->reason == PROTO_EXIT_BROWSING ? "" : ev->text, kicked);
}

static void on_lobby_refused(game *g, const client_event *ev)
{
    notify(g, "%s refused: %s", proto_type_name(ev->msg_id), ev->text);
    if (g->screen == GAME_SCREEN_BROWSER) {
        browser_on_refused(&g->browser, (uint8_t)ev->msg_id, ev->reason, ev->text);
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

static bool on_lobby_event(game *g, const client_event *ev, uint64_t now_us)
{
    const client_player *p = client_find_player(g->c, ev->player_id);
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
        chat_log_system(&g->log, "Starting in %u s", (unsigned)ev->reason);
        return true;
    case CLIENT_EV_COUNTDOWN_CANCELLED:
        chat_log_system(&g->log, "Countdown cancelled%s%s", ev->text[0] ? ": " : "", ev->text);
        return true;
    case CLIENT_EV_GAME_STARTING:
        g->starting_at_us = now_us ? now_us : 1;
        chat_log_system(&g->log, "Game starting (server tick %u)", (unsigned)ev->seq);
        return true;
    case CLIENT_EV_DIRECT_CHAT: {
        char text[PROTO_MAX_CHAT_BYTES + 1];
        snprintf(text, sizeof text, "(to you) %.*s", PROTO_MAX_CHAT_BYTES - 9, ev->text);
        chat_log_message(&g->log, p ? p->name : "?", p ? p->colour : 0xAAAAAA, 0, text);
        return true;
    }
    default:
        return false;
    }
}

static void on_event(game *g, const client_event *ev, uint64_t now_us)
{
    if (on_lobby_event(g, ev, now_us))
        return;
    const client_player *p = client_find_player(g->c, ev->player_id);
    interp_track *t;
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        on_joined(g, ev->resumed);
        break;
    case CLIENT_EV_RECONNECTING:
        on_reconnecting(g, ev);
        break;
    case CLIENT_EV_REJECTED:
    case CLIENT_EV_DISCONNECTED: /* only after we left: auto_reconnect is on */
        set_status(g, GAME_WAITING_RETRY, "Disconnected: %s", ev->text);
        break;
    case CLIENT_EV_PLAYER_STATUS:
        chat_log_system(&g->log, "%s is %s", ev->text, proto_status_text(ev->reason));
        break;
    case CLIENT_EV_PLAYER_JOINED:
        if (p != NULL)
            track_add(g, p);
        chat_log_system(&g->log, "%s joined", ev->text);
        break;
    case CLIENT_EV_PLAYER_LEFT:
        track_remove(g, ev->player_id);
        if (g->selected_id == ev->player_id)
            g->selected_id = 0;
        chat_log_system(&g->log, "%s left (%s)", ev->text, proto_leave_text(ev->reason));
        break;
    case CLIENT_EV_CHAT:
        if (ev->from_text) {
            chat_log_text_message(&g->log, ev->sender, ev->seq, ev->text);
            break;
        }
        chat_log_message(&g->log, p ? p->name : "?", p ? p->colour : 0xAAAAAA, ev->seq, ev->text);
        break;
    case CLIENT_EV_CHAT_ACK:
        chat_log_ack(&g->log, ev->msg_id, ev->seq);
        notify(g, "message %u acknowledged by the server as #%u", (unsigned)ev->msg_id,
               (unsigned)ev->seq);
        break;
    case CLIENT_EV_CHAT_REFUSED:
        chat_log_refuse(&g->log, ev->msg_id, ev->text);
        notify(g, "message %u refused: %s", (unsigned)ev->msg_id, ev->text);
        break;
    case CLIENT_EV_POSITION:
        if ((t = track_of(g, ev->player_id)) != NULL)
            interp_push(t, ev->sent_us, ev->x, ev->y, now_us);
        break;
    case CLIENT_EV_PONG:
    default: /* the lobby events are handled in on_lobby_event */
        break;
    /* Lobby events (issue 8): the client core does not raise them yet; the
     * front end's lobby screens come with its own change. */
    case CLIENT_EV_LOBBY_LIST:
    case CLIENT_EV_LOBBY_REFUSED:
    case CLIENT_EV_LOBBY_EXITED:
    case CLIENT_EV_LOBBY_STATE:
    case CLIENT_EV_COUNTDOWN:
    case CLIENT_EV_COUNTDOWN_CANCELLED:
    case CLIENT_EV_GAME_STARTING:
    case CLIENT_EV_DIRECT_CHAT:
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

/* The lobby's shared state: owner, settings, countdown, starting notice. */
static void refresh_lobby_state(game *g, const client_view *cv, uint64_t now_us)
{
    game_view *v = &g->view;
    v->i_own = cv->owner_id != 0 && cv->owner_id == cv->my_id;
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
    refresh_lobby_state(g, cv, now_us);
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

static void run_browser(game *g, uint64_t now_us)
{
    if (g->screen != GAME_SCREEN_BROWSER || g->view.conn != GAME_BROWSING)
        return;
    browser_tick(&g->browser, now_us);
    browser_action act;
    while (browser_next_action(&g->browser, &act))
        send_browser_action(g, &act);
}

void game_update(game *g, uint64_t now_us, const game_input *in)
{
    double dt_s = (double)(now_us - g->last_update_us) / 1e6;
    g->last_update_us = now_us;
    run_browser(g, now_us); /* before client_update, which flushes what it sends */
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
    run_browser(g, now_us); /* the list asked for on entering goes out with the next flush */
    if (before == CLIENT_RECONNECTING && client_get_view(g->c)->state == CLIENT_CONNECTING)
        set_status(g, GAME_CONNECTING, "Reconnecting to %s:%u ...", g->host,
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
