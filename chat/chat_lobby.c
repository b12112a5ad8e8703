/* lobby-chat's lobby events, printed as they arrive: the list, refusals with
 * the server's reason, leaving and kicks, what changed in the lobby (owner,
 * ready flags, settings), the countdown, the game start and direct
 * messages. */
#include "chat_app.h"

#include <string.h>

/* The verb of a refused request, as the user typed it. */
static const char *request_verb(uint32_t type)
{
    switch (type) {
    case PROTO_LIST_LOBBIES:
        return "list";
    case PROTO_CREATE_LOBBY:
        return "create";
    case PROTO_JOIN_LOBBY:
        return "join";
    case PROTO_LEAVE_LOBBY:
        return "leave";
    case PROTO_SET_READY:
        return "ready";
    case PROTO_START_GAME:
        return "start";
    case PROTO_KICK:
        return "kick";
    case PROTO_CONFIGURE_LOBBY:
        return "set";
    case PROTO_GIVE_OWNERSHIP:
        return "give";
    }
    return "request";
}

/* The codec's names; "?" for none yet (0, before the first LOBBY_STATE) or
 * one this build does not know, as lobby-chat has always printed it. */
static const char *state_text(uint8_t state)
{
    bool known = state >= PROTO_LOBBY_OPEN && state <= PROTO_LOBBY_STATE_MAX;
    return known ? proto_lobby_state_text(state) : "?";
}

static void print_meta(uint8_t count, const client_meta *meta)
{
    for (unsigned i = 0; i < count; i++)
        printf(" %s=%s", meta[i].key, meta[i].value);
}

static void print_list(const client_lobby_list *l)
{
    printf("* lobbies: %u of %u\n", (unsigned)l->count, (unsigned)l->total);
    for (unsigned i = 0; i < l->count; i++) {
        const client_lobby_info *e = &l->lobbies[i];
        printf("  %s %u/%u password:%s owner:%s state:%s", e->name, (unsigned)e->players,
               (unsigned)e->capacity, e->has_password ? "yes" : "no",
               e->server_owned ? "(server)"
               : e->owner[0]   ? e->owner
                               : "-",
               state_text(e->state));
        if (e->rtt_known)
            printf(" rtt:%ums", (unsigned)e->median_rtt_ms);
        else
            printf(" rtt:-");
        if (e->max_rtt_ms > 0)
            printf(" maxrtt:%ums", (unsigned)e->max_rtt_ms);
        print_meta(e->meta_count, e->meta);
        printf("\n");
    }
}

static void print_exited(chat_app *app, const client_event *ev)
{
    if (ev->lobby_exited.reason == PROTO_EXIT_KICKED)
        printf("* kicked from lobby %s: %s\n", app->lobby, ev->text);
    else if (ev->lobby_exited.reason == PROTO_EXIT_LEFT)
        printf("* left lobby %s; at the lobby list (/list, /join NAME, /create NAME)\n",
               app->lobby);
    else
        printf("* at the lobby list (/list, /join NAME, /create NAME)\n");
    app->lobby[0] = '\0';
    app->lobby_seen = false;
}

static bool was_ready(const chat_lobby_seen *s, uint16_t id, bool *known)
{
    for (unsigned i = 0; i < s->count; i++)
        if (s->ids[i] == id) {
            *known = true;
            return s->ready[i];
        }
    *known = false;
    return false;
}

static bool settings_changed(const chat_lobby_seen *s, const client_view *v)
{
    if (s->capacity != v->capacity || s->has_password != v->has_password ||
        s->max_rtt_ms != v->max_rtt_ms || s->meta_count != v->meta_count)
        return true;
    return memcmp(s->meta, v->meta, v->meta_count * sizeof v->meta[0]) != 0;
}

static void print_settings(const client_view *v)
{
    printf("* lobby %s: capacity %u, password %s, max rtt ", v->lobby, (unsigned)v->capacity,
           v->has_password ? "yes" : "no");
    if (v->max_rtt_ms > 0)
        printf("%u ms", (unsigned)v->max_rtt_ms);
    else
        printf("none");
    printf(", metadata:");
    print_meta(v->meta_count, v->meta);
    printf(v->meta_count ? "\n" : " none\n");
}

/* Prints what differs from the last LOBBY_STATE (all of it the first time);
 * the settings line also when it answers our /set (answer_to_set), so that
 * a /set that changed nothing still shows the lobby's settings. */
static void print_state_changes(chat_app *app, bool answer_to_set)
{
    const client_view *v = client_get_view(app->c);
    chat_lobby_seen *s = &app->seen;
    char buf[16];
    bool first = !app->lobby_seen;
    if (first || s->owner_id != v->owner_id)
        printf("* owner: %s\n", v->server_owned
                                    ? "the server (nobody may kick, configure or start here)"
                                : v->owner_id ? chat_player_name(app, v->owner_id, buf, sizeof buf)
                                              : "none");
    if (first || answer_to_set || settings_changed(s, v))
        print_settings(v);
    for (unsigned i = 0; i < v->player_count; i++) {
        const client_player *p = &v->players[i];
        bool known, before = was_ready(s, p->id, &known);
        /* The game's start clears every flag: "game starting" says it. */
        bool cleared = v->lobby_state == PROTO_LOBBY_IN_GAME && !p->ready;
        if (p->ready != before && (known || p->ready) && !cleared)
            printf("* %s is %s\n", p->name, p->ready ? "ready" : "not ready");
    }
    app->lobby_seen = true;
    s->owner_id = v->owner_id;
    s->capacity = v->capacity;
    s->has_password = v->has_password;
    s->max_rtt_ms = v->max_rtt_ms;
    s->meta_count = v->meta_count;
    memcpy(s->meta, v->meta, sizeof s->meta);
    s->count = v->player_count;
    for (unsigned i = 0; i < v->player_count; i++) {
        s->ids[i] = v->players[i].id;
        s->ready[i] = v->players[i].ready;
    }
}

void chat_note_dm(chat_app *app, uint32_t msg_id, const char *to)
{
    chat_pending_dm *slot = &app->dms[msg_id % CHAT_PENDING_DMS];
    slot->msg_id = msg_id;
    snprintf(slot->to, sizeof slot->to, "%s", to);
}

void chat_dm_acked(chat_app *app, uint32_t msg_id)
{
    const chat_pending_dm *slot = &app->dms[msg_id % CHAT_PENDING_DMS];
    printf("* dm id=%u delivered to %s\n", (unsigned)msg_id,
           slot->msg_id == msg_id ? slot->to : "?");
}

void chat_print_members(const chat_app *app)
{
    const client_view *v = client_get_view(app->c);
    if (v->state != CLIENT_JOINED) {
        printf("* in no lobby (/list, /join NAME)\n");
        return;
    }
    printf("* lobby %s: %u/%u members, %s\n", v->lobby, (unsigned)v->player_count,
           (unsigned)v->capacity, state_text(v->lobby_state));
    for (unsigned i = 0; i < v->player_count; i++) {
        const client_player *p = &v->players[i];
        printf("  %s%s%s%s", p->name, p->id == v->owner_id ? " (owner)" : "",
               p->ready ? " [ready]" : "", p->id == v->my_id ? " (you)" : "");
        if (p->has_link)
            printf(" rtt %u ms, jitter %u ms, loss %u.%02u%%", (unsigned)p->rtt_ms,
                   (unsigned)p->jitter_ms, (unsigned)(p->loss_permyriad / 100),
                   (unsigned)(p->loss_permyriad % 100));
        if (p->reconnecting)
            printf(" (reconnecting)");
        printf("\n");
    }
}

/* An answer to one of our /list, /create, /join or /leave arrived. */
static void answered(chat_app *app)
{
    if (app->awaiting > 0)
        app->awaiting--;
}

bool chat_lobby_event(chat_app *app, const client_event *ev)
{
    char buf[16];
    switch (ev->type) {
    case CLIENT_EV_LOBBY_LIST:
        answered(app);
        print_list(client_get_lobby_list(app->c));
        return true;
    case CLIENT_EV_LOBBY_REFUSED:
        if (ev->lobby_refused.request == PROTO_CONFIGURE_LOBBY && app->set_pending > 0)
            app->set_pending--;
        if (ev->lobby_refused.request == PROTO_LIST_LOBBIES ||
            ev->lobby_refused.request == PROTO_CREATE_LOBBY ||
            ev->lobby_refused.request == PROTO_JOIN_LOBBY ||
            ev->lobby_refused.request == PROTO_LEAVE_LOBBY ||
            ev->lobby_refused.request == PROTO_CONFIGURE_LOBBY)
            answered(app);
        printf("* refused %s: %s\n", request_verb(ev->lobby_refused.request), ev->text);
        return true;
    case CLIENT_EV_LOBBY_EXITED:
        answered(app);
        print_exited(app, ev);
        return true;
    case CLIENT_EV_LOBBY_STATE: {
        bool answer_to_set = app->set_pending > 0;
        if (answer_to_set) {
            app->set_pending--;
            answered(app);
        }
        print_state_changes(app, answer_to_set);
        return true;
    }
    case CLIENT_EV_COUNTDOWN:
        printf("* game starts in %u s (tick %u)\n", (unsigned)ev->countdown.seconds_left,
               (unsigned)ev->countdown.start_tick);
        return true;
    case CLIENT_EV_COUNTDOWN_CANCELLED:
        printf("* countdown cancelled: %s\n", ev->text);
        return true;
    case CLIENT_EV_GAME_STARTING:
        printf("* game starting (tick %u)\n", (unsigned)ev->game_starting.tick);
        return true;
    case CLIENT_EV_DIRECT_CHAT:
        printf("[dm from %s] %s\n",
               ev->direct_chat.sender[0]
                   ? ev->direct_chat.sender
                   : chat_player_name(app, ev->direct_chat.player_id, buf, sizeof buf),
               ev->text);
        return true;
    default:
        return false;
    }
}
