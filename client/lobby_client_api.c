/* The public API of liblobby-client (include/lobby/client.h) over the
 * client core: every argument checked here, so that the core's looser
 * rules (it sends what it is given and lets the server judge) never show
 * through; the copies between the types are in lobby_client_copy.c. */
#include "lobby/client.h"

#include "client.h"
#include "lobby_client_copy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One connection: the core's client, owned. */
struct lobby_client {
    client *core;
};

_Static_assert(LOBBY_CLIENT_VERSION_MAJOR == LOBBY_CLIENT_BUILD_MAJOR &&
                   LOBBY_CLIENT_VERSION_MINOR == LOBBY_CLIENT_BUILD_MINOR &&
                   LOBBY_CLIENT_VERSION_PATCH == LOBBY_CLIENT_BUILD_PATCH,
               "include/lobby/client.h's version differs from the project's");

#define LOBBY_STR2(x) #x
#define LOBBY_STR(x)  LOBBY_STR2(x)

const char *lobby_client_version(void)
{
    return LOBBY_STR(LOBBY_CLIENT_VERSION_MAJOR) "." LOBBY_STR(
        LOBBY_CLIENT_VERSION_MINOR) "." LOBBY_STR(LOBBY_CLIENT_VERSION_PATCH);
}

uint16_t lobby_client_protocol_version(void)
{
    return PROTO_VERSION;
}

/* ---- texts ---------------------------------------------------------------- */

const char *lobby_client_strerror(int err)
{
    switch (err) {
    case LOBBY_CLIENT_OK:
        return "ok";
    case LOBBY_CLIENT_ERR_ADDRESS:
        return "the server's host name does not resolve";
    case LOBBY_CLIENT_ERR_NETWORK:
        return "no UDP socket or connection could be had";
    case LOBBY_CLIENT_ERR_NOMEM:
        return "out of memory";
    case LOBBY_CLIENT_ERR_STATE:
        return "not possible in this state";
    case LOBBY_CLIENT_ERR_TOO_LONG:
        return "a string is over its protocol limit";
    case LOBBY_CLIENT_ERR_ARG:
        return "invalid argument";
    }
    return "unknown error";
}

const char *lobby_client_reason_text(uint32_t reason)
{
    return proto_reason_text(reason);
}

bool lobby_client_reason_is_permanent(uint32_t reason)
{
    return client_reason_is_permanent(reason);
}

/* The core's errors, which are the public ones but for the transport's. */
static int error_out(int err)
{
    switch (err) {
    case CLIENT_ERR_ENET:
    case CLIENT_ERR_FULL:
        return LOBBY_CLIENT_ERR_NETWORK;
    default:
        return err;
    }
}

/* ---- setting up ----------------------------------------------------------- */

void lobby_client_config_init(lobby_client_config *cfg)
{
    if (cfg == NULL)
        return;
    client_config core;
    client_config_defaults(&core);
    memset(cfg, 0, sizeof *cfg);
    cfg->host = core.host;
    cfg->port = core.port;
    cfg->timeout_ms = core.timeout_ms;
    cfg->auto_reconnect = core.auto_reconnect;
    cfg->reconnect_base_ms = core.reconnect_base_ms;
    cfg->reconnect_max_ms = core.reconnect_max_ms;
}

static int check_config(const lobby_client_config *cfg)
{
    if (cfg->host == NULL || cfg->host[0] == '\0' || cfg->name == NULL || cfg->name[0] == '\0' ||
        cfg->timeout_ms == 0 || (cfg->identity_token == NULL && cfg->identity_token_len > 0))
        return LOBBY_CLIENT_ERR_ARG;
    if (lobby_check_len(cfg->host, LOBBY_CLIENT_MAX_SHORT_TEXT) != LOBBY_CLIENT_OK ||
        lobby_check_len(cfg->name, LOBBY_CLIENT_MAX_NAME) != LOBBY_CLIENT_OK ||
        lobby_check_len(cfg->lobby, LOBBY_CLIENT_MAX_LOBBY_NAME) != LOBBY_CLIENT_OK ||
        lobby_check_len(cfg->password, LOBBY_CLIENT_MAX_PASSWORD) != LOBBY_CLIENT_OK ||
        cfg->identity_token_len > LOBBY_CLIENT_MAX_SHORT_TEXT)
        return LOBBY_CLIENT_ERR_TOO_LONG;
    return LOBBY_CLIENT_OK;
}

static void config_in(client_config *core, const lobby_client_config *cfg)
{
    client_config_defaults(core);
    core->host = cfg->host;
    core->port = cfg->port;
    core->name = cfg->name;
    core->lobby = cfg->lobby;
    core->password = cfg->password;
    core->browse = cfg->browse;
    core->timeout_ms = cfg->timeout_ms;
    core->auto_reconnect = cfg->auto_reconnect;
    core->reconnect_base_ms = cfg->reconnect_base_ms;
    core->reconnect_max_ms = cfg->reconnect_max_ms;
    core->jitter_seed = cfg->jitter_seed;
    core->identity_token = cfg->identity_token_len > 0 ? cfg->identity_token : NULL;
    core->identity_token_len = cfg->identity_token_len;
    core->user = cfg->user;
}

int lobby_client_create(const lobby_client_config *cfg, uint64_t now_us, lobby_client **out)
{
    if (out == NULL)
        return LOBBY_CLIENT_ERR_ARG;
    *out = NULL;
    if (cfg == NULL)
        return LOBBY_CLIENT_ERR_ARG;
    int err = check_config(cfg);
    if (err != LOBBY_CLIENT_OK)
        return err;
    client_config core;
    config_in(&core, cfg);
    lobby_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return LOBBY_CLIENT_ERR_NOMEM;
    err = client_create(&core, now_us, &c->core);
    if (err != CLIENT_OK) {
        free(c);
        return error_out(err);
    }
    *out = c;
    return LOBBY_CLIENT_OK;
}

void lobby_client_destroy(lobby_client *c)
{
    if (c == NULL)
        return;
    client_destroy(c->core);
    free(c);
}

/* ---- the loop ------------------------------------------------------------- */

void lobby_client_update(lobby_client *c, uint64_t now_us)
{
    if (c != NULL)
        client_update(c->core, now_us);
}

bool lobby_client_next_event(lobby_client *c, lobby_client_event *out)
{
    if (c == NULL || out == NULL)
        return false;
    client_event ev;
    if (!client_next_event(c->core, &ev))
        return false;
    lobby_event_out(out, &ev, c->core);
    return true;
}

int lobby_client_fd(const lobby_client *c)
{
    return c != NULL ? client_fd(c->core) : -1;
}

void *lobby_client_user(const lobby_client *c)
{
    return c != NULL ? client_user(c->core) : NULL;
}

/* ---- what the client knows ------------------------------------------------ */

lobby_client_state lobby_client_get_state(const lobby_client *c)
{
    return c != NULL ? (lobby_client_state)client_get_view(c->core)->state
                     : LOBBY_CLIENT_DISCONNECTED;
}

void lobby_client_get_status(const lobby_client *c, lobby_client_status *out)
{
    if (out == NULL)
        return;
    if (c == NULL) {
        memset(out, 0, sizeof *out);
        out->state = LOBBY_CLIENT_DISCONNECTED;
        return;
    }
    lobby_status_out(out, client_get_view(c->core));
}

size_t lobby_client_player_count(const lobby_client *c)
{
    return c != NULL ? client_get_view(c->core)->player_count : 0;
}

bool lobby_client_get_player(const lobby_client *c, size_t index, lobby_client_player *out)
{
    if (c == NULL || out == NULL)
        return false;
    const client_view *v = client_get_view(c->core);
    if (index >= v->player_count)
        return false;
    lobby_player_out(out, &v->players[index]);
    return true;
}

bool lobby_client_find_player(const lobby_client *c, uint16_t id, lobby_client_player *out)
{
    if (c == NULL || out == NULL)
        return false;
    const client_player *p = client_find_player(c->core, id);
    if (p == NULL)
        return false;
    lobby_player_out(out, p);
    return true;
}

size_t lobby_client_lobby_count(const lobby_client *c)
{
    return c != NULL ? client_get_lobby_list(c->core)->count : 0;
}

bool lobby_client_get_lobby(const lobby_client *c, size_t index, lobby_client_lobby *out)
{
    if (c == NULL || out == NULL)
        return false;
    const client_lobby_list *list = client_get_lobby_list(c->core);
    if (index >= list->count)
        return false;
    lobby_lobby_out(out, &list->lobbies[index]);
    return true;
}

/* ---- playing -------------------------------------------------------------- */

/* A chat text: present and within LOBBY_CLIENT_MAX_CHAT (empty is the
 * server's to refuse, with a CHAT_REFUSED event). */
static int check_chat(const char *text)
{
    return text == NULL ? LOBBY_CLIENT_ERR_ARG : lobby_check_len(text, LOBBY_CLIENT_MAX_CHAT);
}

int lobby_client_send_chat(lobby_client *c, const char *text, uint32_t *msg_id)
{
    int err = c == NULL ? LOBBY_CLIENT_ERR_ARG : check_chat(text);
    if (err != LOBBY_CLIENT_OK)
        return err;
    return error_out(client_send_chat(c->core, text, strlen(text), msg_id));
}

int lobby_client_send_direct(lobby_client *c, uint16_t to_id, const char *text, uint32_t *msg_id)
{
    int err = c == NULL ? LOBBY_CLIENT_ERR_ARG : check_chat(text);
    if (err != LOBBY_CLIENT_OK)
        return err;
    return error_out(client_send_direct(c->core, to_id, text, strlen(text), msg_id));
}

int lobby_client_send_position(lobby_client *c, float x, float y, uint64_t now_us)
{
    if (c == NULL || !isfinite(x) || !isfinite(y))
        return LOBBY_CLIENT_ERR_ARG;
    return error_out(client_send_position(c->core, x, y, now_us));
}

int lobby_client_send_ping(lobby_client *c, uint64_t now_us)
{
    if (c == NULL)
        return LOBBY_CLIENT_ERR_ARG;
    return error_out(client_send_ping(c->core, now_us));
}

void lobby_client_leave(lobby_client *c)
{
    if (c != NULL)
        client_leave(c->core);
}

/* ---- lobbies -------------------------------------------------------------- */

int lobby_client_list_lobbies(lobby_client *c, const lobby_client_filter *filter,
                              uint32_t *request_id)
{
    if (c == NULL)
        return LOBBY_CLIENT_ERR_ARG;
    client_lobby_filter core = {0};
    if (filter != NULL) {
        /* No lobby name is longer, so no longer substring can match. */
        int err = lobby_check_len(filter->name_contains, LOBBY_CLIENT_MAX_LOBBY_NAME);
        if (err == LOBBY_CLIENT_OK)
            err = lobby_meta_in(core.meta, filter->meta_count, filter->meta);
        if (err != LOBBY_CLIENT_OK)
            return err;
        core.name_contains = filter->name_contains;
        core.free_seat = filter->free_seat;
        core.no_password = filter->no_password;
        core.open_only = filter->open_only;
        core.meta_count = filter->meta_count;
    }
    return error_out(client_list_lobbies(c->core, &core, request_id));
}

/* settings into the core's; the strings stay the caller's (the core copies
 * what it keeps). */
static int settings_in(client_lobby_settings *core, const lobby_client_settings *s)
{
    memset(core, 0, sizeof *core);
    if (lobby_check_len(s->name, LOBBY_CLIENT_MAX_LOBBY_NAME) != LOBBY_CLIENT_OK ||
        lobby_check_len(s->password, LOBBY_CLIENT_MAX_PASSWORD) != LOBBY_CLIENT_OK)
        return LOBBY_CLIENT_ERR_TOO_LONG;
    int err = lobby_meta_in(core->meta, s->meta_count, s->meta);
    if (err != LOBBY_CLIENT_OK)
        return err;
    core->name = s->name;
    core->capacity = s->capacity;
    core->password = s->password;
    core->max_rtt_ms = s->max_rtt_ms;
    core->meta_count = s->meta_count;
    return LOBBY_CLIENT_OK;
}

int lobby_client_create_lobby(lobby_client *c, const lobby_client_settings *settings)
{
    if (c == NULL || settings == NULL || settings->name == NULL)
        return LOBBY_CLIENT_ERR_ARG;
    client_lobby_settings core;
    int err = settings_in(&core, settings);
    if (err != LOBBY_CLIENT_OK)
        return err;
    return error_out(client_create_lobby(c->core, &core));
}

int lobby_client_join_lobby(lobby_client *c, const char *name, const char *password)
{
    if (c == NULL || name == NULL)
        return LOBBY_CLIENT_ERR_ARG;
    if (lobby_check_len(name, LOBBY_CLIENT_MAX_LOBBY_NAME) != LOBBY_CLIENT_OK ||
        lobby_check_len(password, LOBBY_CLIENT_MAX_PASSWORD) != LOBBY_CLIENT_OK)
        return LOBBY_CLIENT_ERR_TOO_LONG;
    return error_out(client_join_lobby(c->core, name, password));
}

int lobby_client_leave_lobby(lobby_client *c)
{
    return c != NULL ? error_out(client_leave_lobby(c->core)) : LOBBY_CLIENT_ERR_ARG;
}

int lobby_client_set_ready(lobby_client *c, bool ready)
{
    return c != NULL ? error_out(client_set_ready(c->core, ready)) : LOBBY_CLIENT_ERR_ARG;
}

int lobby_client_start_game(lobby_client *c)
{
    return c != NULL ? error_out(client_start_game(c->core)) : LOBBY_CLIENT_ERR_ARG;
}

int lobby_client_kick(lobby_client *c, uint16_t player_id)
{
    return c != NULL ? error_out(client_kick(c->core, player_id)) : LOBBY_CLIENT_ERR_ARG;
}

int lobby_client_give_ownership(lobby_client *c, uint16_t player_id)
{
    return c != NULL ? error_out(client_give_ownership(c->core, player_id)) : LOBBY_CLIENT_ERR_ARG;
}

enum {
    SET_ALL = LOBBY_CLIENT_SET_CAPACITY | LOBBY_CLIENT_SET_PASSWORD | LOBBY_CLIENT_SET_METADATA |
              LOBBY_CLIENT_SET_MAX_RTT
};
_Static_assert((int)SET_ALL == (int)PROTO_CONFIGURE_ALL, "every CONFIGURE_LOBBY change has a name");

int lobby_client_configure_lobby(lobby_client *c, unsigned changes,
                                 const lobby_client_settings *settings)
{
    if (c == NULL || settings == NULL || changes == 0 || (changes & ~(unsigned)SET_ALL) != 0)
        return LOBBY_CLIENT_ERR_ARG;
    client_lobby_settings core;
    int err = settings_in(&core, settings);
    if (err != LOBBY_CLIENT_OK)
        return err;
    return error_out(client_configure_lobby(c->core, (uint8_t)changes, &core));
}
