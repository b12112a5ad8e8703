/* Text clients in the server core: the plain-text TCP port's users post into
 * a lobby's chat and read it, without being players. Their lines share the
 * lobby's chat sequence and history with the players' lines, so a player
 * sees one ordered conversation and a reconnecting player gets both kinds
 * replayed. The socket side lives in textport.c; nothing here touches one. */
#include "log.h"
#include "server_ctx.h"
#include "server_lobby_msgs.h"
#include "text.h"

#include <stdio.h>

static proto_str lobby_str(const lobby *l)
{
    proto_str out = {l->name, l->name_len};
    return out;
}

/* The index of the lobby the client watches, or -1 (none, or its reference
 * is stale: the lobby closed and its slot may hold another). */
static int watched(const server_ctx *s, const server_text_client *tc)
{
    lobby_ref ref = {tc->lobby_index, tc->lobby_gen};
    return lobby_ref_index(s->lobbies, ref);
}

int server_text_enter(server *srv, server_text_client *tc, uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    tc->lobby_index = -1;
    chat_fresh_buckets(s->chat, &tc->chat_bucket, &tc->flood_bucket, now_us);
    rate_bucket_init(&tc->command_bucket, LOBBY_OPS_BURST, now_us);
    if ((*s->shutting_down))
        return SERVER_TEXT_SHUTTING_DOWN;
    /* Text clients carry no identity token: with --auth-key-file only
     * players who proved theirs may read or write a lobby's chat. */
    if (s->cfg->auth_required)
        return SERVER_TEXT_AUTH_REQUIRED;
    proto_str none = {"", 0};
    return server_text_join(srv, tc, proto_str_from_cstr(PROTO_DEFAULT_LOBBY), none, now_us);
}

/* Whether the client may watch the lobby called name with the password
 * given: SERVER_TEXT_OK, or why not. */
static int check_password(const server_ctx *s, proto_str name, proto_str password)
{
    int existing = lobby_find(s->lobbies, name);
    if (existing < 0)
        return password.len > 0 ? SERVER_TEXT_NO_SUCH_LOBBY : SERVER_TEXT_OK;
    const lobby *l = &s->lobbies->lobbies[existing];
    if (l->password_len == 0)
        return SERVER_TEXT_OK; /* any password opens a lobby without one, as for players */
    if (password.len == 0)
        return SERVER_TEXT_PASSWORD;
    return lobby_password_ok(l, password) ? SERVER_TEXT_OK : SERVER_TEXT_WRONG_PASSWORD;
}

int server_text_join(server *srv, server_text_client *tc, proto_str lobby_name, proto_str password,
                     uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    if (text_check_name(lobby_name.bytes, lobby_name.len, PROTO_MAX_LOBBY_NAME_BYTES) != TEXT_OK)
        return SERVER_TEXT_BAD_LOBBY;
    int rc = check_password(s, lobby_name, password);
    if (rc != SERVER_TEXT_OK)
        return rc;
    /* A lobby the client opens is charged to its address, like a player's. */
    int index = lobby_find(s->lobbies, lobby_name);
    char why[128];
    server_remote where;
    if (index < 0 && s->cluster->on &&
        s->cluster->hooks.find_lobby(s->cluster->hooks.user, lobby_name, &where)) {
        /* A TCP client cannot be handed to another server: it is told where. */
        snprintf(tc->elsewhere, sizeof tc->elsewhere,
                 "lobby '%.*s' is on server %s; its text chat is at %s", (int)lobby_name.len,
                 lobby_name.bytes, where.id,
                 where.text_addr[0] ? where.text_addr : "(no text port)");
        return SERVER_TEXT_ELSEWHERE;
    }
    if (index < 0 && s->cluster->draining)
        return SERVER_TEXT_NO_SLOTS;
    if (index < 0)
        index = server_open_lobby_for(s, tc->holder, lobby_name, now_us, why, sizeof why);
    if (index == LOBBY_ERR_QUOTA)
        return SERVER_TEXT_QUOTA;
    /* Watch the new one before leaving the old, so that joining the lobby
     * one is already in never closes it in between. */
    if (index >= 0)
        index = lobby_watch(s->lobbies, lobby_name);
    if (index < 0)
        return index == LOBBY_ERR_NO_SLOTS ? SERVER_TEXT_NO_SLOTS : SERVER_TEXT_BAD_LOBBY;
    server_text_leave(srv, tc);
    tc->lobby_index = index;
    tc->lobby_gen = lobby_ref_of(s->lobbies, index).gen;
    return SERVER_TEXT_OK;
}

void server_text_leave(server *srv, server_text_client *tc)
{
    server_ctx *s = server_context(srv);
    if (watched(s, tc) >= 0)
        lobby_unwatch(s->lobbies, tc->lobby_index);
    tc->lobby_index = -1;
}

proto_str server_text_lobby_name(const server *srv, const server_text_client *tc)
{
    const server_ctx *s = server_context_const(srv);
    proto_str none = {"", 0};
    int index = watched(s, tc);
    return index < 0 ? none : lobby_str(&s->lobbies->lobbies[index]);
}

const lobby *server_text_lobby(const server *srv, const server_text_client *tc)
{
    const server_ctx *s = server_context_const(srv);
    int index = watched(s, tc);
    return index < 0 ? NULL : &s->lobbies->lobbies[index];
}

int server_text_command(server *srv, server_text_client *tc, uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    double burst = rate_stall_burst(&s->stall, LOBBY_OPS_PER_S, LOBBY_OPS_BURST, now_us);
    return rate_bucket_take(&tc->command_bucket, LOBBY_OPS_PER_S, burst, now_us)
               ? SERVER_TEXT_OK
               : SERVER_TEXT_TOO_MANY_COMMANDS;
}

const proto_msg *server_text_list(server *srv, const server_text_client *tc, const lobby_filter *f,
                                  uint64_t now_us)
{
    server_ctx *s = server_context(srv);
    if (!addr_budget_allows(s->list_budget, tc->holder, now_us)) {
        s->stats->lists_over_budget++;
        return NULL;
    }
    const proto_msg *m = server_build_lobby_list(s, f, 0);
    size_t bytes = 16; /* the "lobbies N T" line */
    for (unsigned i = 0; i < m->u.lobby_list.count; i++) {
        const proto_lobby_entry *e = &m->u.lobby_list.entries[i];
        bytes += SERVER_TEXT_LIST_LINE_BYTES + e->name.len + e->owner.len;
    }
    addr_budget_charge(s->list_budget, tc->holder, bytes, now_us);
    return m;
}

static int verdict_result(text_verdict v)
{
    switch (v) {
    case TEXT_OK:
        return SERVER_TEXT_OK;
    case TEXT_EMPTY:
        return SERVER_TEXT_EMPTY;
    case TEXT_TOO_LONG:
        return SERVER_TEXT_TOO_LONG;
    case TEXT_INVALID_UTF8:
        return SERVER_TEXT_INVALID_UTF8;
    case TEXT_CONTROL:
    case TEXT_SPACING: /* names only: chat is never checked for it */
        break;
    }
    return SERVER_TEXT_CONTROL;
}

/* The same checks as a player's chat, in the same order: rate, then text. */
static int check_text_chat(server_ctx *s, server_text_client *tc, proto_str sender, proto_str text,
                           uint64_t now_us)
{
    if (watched(s, tc) < 0)
        return SERVER_TEXT_NO_LOBBY;
    if ((*s->shutting_down))
        return SERVER_TEXT_SHUTTING_DOWN;
    if (text_check_name(sender.bytes, sender.len, PROTO_MAX_NAME_BYTES) != TEXT_OK)
        return SERVER_TEXT_BAD_NAME;
    text_verdict v;
    switch (chat_check(s->chat, &tc->chat_bucket, &tc->flood_bucket, text, &s->stall, now_us, &v)) {
    case CHAT_RATE_LIMITED:
        return SERVER_TEXT_RATE_LIMITED;
    case CHAT_FLOODING:
        return SERVER_TEXT_FLOODING;
    default:
        return verdict_result(v);
    }
}

int server_text_chat(server *srv, server_text_client *tc, proto_str sender, proto_str text,
                     uint64_t now_us, uint32_t *seq)
{
    server_ctx *s = server_context(srv);
    int rc = check_text_chat(s, tc, sender, text, now_us);
    if (rc != SERVER_TEXT_OK) {
        s->stats->text_chats_refused++;
        return rc;
    }
    chat_sender from = {.name = sender, .origin = tc};
    *seq = chat_post(s->chat, &s->lobbies->lobbies[tc->lobby_index], tc->lobby_index, &from, text);
    return SERVER_TEXT_OK;
}

_Static_assert(LOBBY_OPS_PER_S == 10, "server_text_strerror says 10 a second");

const char *server_text_strerror(int result)
{
    switch (result) {
    case SERVER_TEXT_OK:
        return "ok";
    case SERVER_TEXT_EMPTY:
        return "message is empty";
    case SERVER_TEXT_TOO_LONG:
        return "message is too long";
    case SERVER_TEXT_INVALID_UTF8:
        return "message is not valid UTF-8";
    case SERVER_TEXT_CONTROL:
        return "message contains control or formatting characters (NUL, tab, ...)";
    case SERVER_TEXT_RATE_LIMITED:
        return "sending too fast";
    case SERVER_TEXT_FLOODING:
        return "kept sending too fast";
    case SERVER_TEXT_BAD_NAME:
        return "name must be 1 to 24 bytes of UTF-8 without control or invisible characters";
    case SERVER_TEXT_BAD_LOBBY:
        return "lobby name must be 1 to 24 bytes of UTF-8 without control or invisible "
               "characters";
    case SERVER_TEXT_NO_SLOTS:
        return "server cannot open more lobbies";
    case SERVER_TEXT_ELSEWHERE:
        return "that lobby is on another server";
    case SERVER_TEXT_QUOTA:
        return "your address has opened its share of lobbies, or opens them too fast; "
               "join an open one (/list)";
    case SERVER_TEXT_NO_LOBBY:
        return "not in a lobby";
    case SERVER_TEXT_SHUTTING_DOWN:
        return "server is shutting down";
    case SERVER_TEXT_PASSWORD:
        return "lobby has a password: /join NAME PASSWORD";
    case SERVER_TEXT_WRONG_PASSWORD:
        return "wrong password for this lobby";
    case SERVER_TEXT_NO_SUCH_LOBBY:
        return "no open lobby of that name (a text client cannot open one with a password)";
    case SERVER_TEXT_TOO_MANY_COMMANDS:
        return "too many commands: at most 10 a second";
    case SERVER_TEXT_AUTH_REQUIRED:
        return "this server admits only players with an identity token (lobby-chat --token FILE)";
    }
    return "refused";
}
