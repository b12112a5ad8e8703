/* The hello's modes: JOIN (the old behaviour, plus the lobby's rules: its
 * password, state, kick cool-downs and max RTT, each with its own REJECT
 * reason) and BROWSE (the lobby list). RESUME goes to server_resume.c.
 * With --auth-key-file every mode first passes server_hello_identity (the
 * identity token: docs/PROTOCOL.md, "Identity tokens"). */
#include "auth.h"
#include "log.h"
#include "server_ctx.h"
#include "server_handlers.h"
#include "server_lobby_msgs.h"

#include <string.h>

static bool hello_name_ok(server_ctx *s, uint32_t handle, proto_str name)
{
    char why[64];
    text_verdict v = text_check_name(name.bytes, name.len, PROTO_MAX_NAME_BYTES);
    if (v == TEXT_OK)
        return true;
    server_reject(s, handle, PROTO_REASON_NAME_INVALID, "name %s",
                  replies_text_problem(v, PROTO_MAX_NAME_BYTES, why, sizeof why));
    return false;
}

/* The REJECT for a token auth_verify refused. */
static void reject_token(server_ctx *s, uint32_t handle, auth_verdict v, const identity_token *t,
                         const char *why)
{
    if (v == AUTH_EXPIRED)
        server_reject(s, handle, PROTO_REASON_AUTH_EXPIRED,
                      "identity token expired %llu s ago; get a new one from the game's backend",
                      (unsigned long long)(*s->unix_s - t->expires_unix_s));
    else
        server_reject(s, handle, PROTO_REASON_AUTH_INVALID, "identity token invalid: %s", why);
}

/* An empty HELLO name takes the token's; any other must be it. False after
 * a REJECT, which echoes the HELLO's name only when it keeps the name
 * rules (the text is logged). */
static bool hello_name_is_tokens(server_ctx *s, uint32_t handle, proto_str asked, proto_str token)
{
    if (asked.len == 0 ||
        (asked.len == token.len && memcmp(asked.bytes, token.bytes, asked.len) == 0))
        return true;
    if (text_check_name(asked.bytes, asked.len, PROTO_MAX_NAME_BYTES) != TEXT_OK)
        asked = proto_str_from_cstr("an invalid name");
    server_reject(s, handle, PROTO_REASON_AUTH_INVALID,
                  "identity token is for name '%.*s', not '%.*s'", (int)token.len, token.bytes,
                  (int)asked.len, asked.bytes);
    return false;
}

bool server_hello_identity(server_ctx *s, uint32_t handle, const proto_msg *m, proto_str *name)
{
    *name = m->u.hello.name;
    if (!s->cfg->auth_required)
        return true;
    if (m->u.hello.identity.len == 0) {
        server_reject(s, handle, PROTO_REASON_AUTH_REQUIRED,
                      "this server needs an identity token from the game's backend");
        return false;
    }
    identity_token t;
    const char *why;
    auth_verdict v =
        auth_verify(s->cfg->auth_public_key, (const uint8_t *)m->u.hello.identity.bytes,
                    m->u.hello.identity.len, *s->unix_s, &t, &why);
    if (v != AUTH_OK) {
        reject_token(s, handle, v, &t, why);
        return false;
    }
    if (!hello_name_is_tokens(s, handle, *name, t.name))
        return false;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len = 0;
    if (t.lobby.len > 0 && !lobby_name_key(t.lobby, key, &key_len)) {
        server_reject(s, handle, PROTO_REASON_AUTH_INVALID, "identity token's lobby has no key");
        return false;
    }
    *name = t.name;
    sessions_restrict_lobby(s->sessions, handle, key, key_len);
    sessions_set_holder(s->sessions, handle, (1ull << 63) | t.player_uid);
    log_info("server", "identity uid=%llu name=%.*s lobby=%.*s peer=%s",
             (unsigned long long)t.player_uid, (int)t.name.len, t.name.bytes, (int)t.lobby.len,
             t.lobby.bytes, sessions_at(s->sessions, handle)->label);
    return true;
}

static void browse(server_ctx *s, uint32_t handle)
{
    const session *se = sessions_at(s->sessions, handle);
    /* Browsing costs a slot and nothing else: one address gets a few. */
    if (sessions_count_from(s->sessions, se->ip, SESSION_BROWSING) >=
        s->cfg->max_browsing_per_address) {
        s->stats->quota_hits[SERVER_QUOTA_BROWSING]++;
        server_reject(s, handle, PROTO_REASON_QUOTA,
                      "too many sessions from your address at the lobby list (%u)",
                      (unsigned)s->cfg->max_browsing_per_address);
        return;
    }
    server_to_browsing(s, handle);
    log_info("server", "browsing player=%s peer=%s", se->name, se->label);
    replies_exited(s->out, handle, PROTO_EXIT_BROWSING, "at the lobby list");
}

static void reject_hello_join(server_ctx *s, uint32_t handle, int err, proto_str lobby_name,
                              uint64_t wait_us)
{
    const session *se = sessions_at(s->sessions, handle);
    int n = (int)lobby_name.len;
    const char *ln = lobby_name.bytes;
    int index = lobby_find(s->lobbies, lobby_name);
    unsigned capacity = index >= 0 ? s->lobbies->lobbies[index].capacity : 0;
    switch (err) {
    case LOBBY_ERR_WRONG_PASSWORD:
        server_reject(s, handle, PROTO_REASON_WRONG_PASSWORD,
                      "lobby '%.*s' needs the right password", n, ln);
        break;
    case LOBBY_ERR_FULL:
        server_reject(s, handle, PROTO_REASON_LOBBY_FULL, "lobby '%.*s' is full (%u players)", n,
                      ln, capacity);
        break;
    case LOBBY_ERR_STARTED:
        server_reject(s, handle, PROTO_REASON_LOBBY_STARTED, "lobby '%.*s' is starting or in game",
                      n, ln);
        break;
    case LOBBY_ERR_KICKED:
        server_reject(s, handle, PROTO_REASON_KICKED, "kicked from '%.*s'; you may rejoin in %u s",
                      n, ln, (unsigned)((wait_us + 999999) / 1000000));
        break;
    case LOBBY_ERR_RTT_TOO_HIGH:
        server_reject(s, handle, PROTO_REASON_RTT_TOO_HIGH,
                      "your round trip of %u ms is above lobby '%.*s''s maximum of %u ms",
                      (unsigned)se->link.rtt_ms, n, ln,
                      index >= 0 ? (unsigned)s->lobbies->lobbies[index].max_rtt_ms : 0u);
        break;
    case LOBBY_ERR_NAME_TAKEN:
        server_reject(s, handle, PROTO_REASON_NAME_TAKEN, "name '%s' is taken in lobby '%.*s'",
                      se->name, n, ln);
        break;
    case LOBBY_ERR_NO_SLOTS:
        server_reject(s, handle, PROTO_REASON_SERVER_FULL, "server is full (%u players)",
                      (unsigned)s->cfg->max_players);
        break;
    case LOBBY_ERR_ARG:
        server_reject(s, handle, PROTO_REASON_NAME_INVALID, "name cannot be normalised");
        break;
    case LOBBY_ERR_QUOTA:
        server_reject(s, handle, PROTO_REASON_QUOTA,
                      "your address already has %u of the %u seats of lobby '%.*s', the most one "
                      "address may take there",
                      index >= 0 ? lobby_holder_seats(&s->lobbies->lobbies[index], se->holder) : 0u,
                      capacity, n, ln);
        break;
    default:
        server_reject(s, handle, PROTO_REASON_SERVER_FULL, "cannot join: %s", lobby_strerror(err));
    }
}

/* Opens the lobby a HELLO JOIN names, with the default capacity, charged
 * to the session's holder; with the hello's password when it gave one, so
 * `--lobby x --password pw` never leaves a lobby open that its opener meant
 * to lock. Returns its index, or a negative lobby_error (LOBBY_ERR_BAD_VALUE
 * and LOBBY_ERR_QUOTA: *why says what is wrong). */
static int open_for_hello(server_ctx *s, uint32_t handle, proto_str lobby_name, proto_str password,
                          uint64_t now_us, char *why, size_t cap)
{
    lobby_settings settings = {.password = password};
    if (lobby_check_settings(&settings, PROTO_CONFIGURE_PASSWORD, why, cap) != LOBBY_OK)
        return LOBBY_ERR_BAD_VALUE;
    int index = server_open_lobby_for(s, sessions_at(s->sessions, handle)->holder, lobby_name,
                                      now_us, why, cap);
    if (index >= 0 && password.len > 0)
        lobby_configure(&s->lobbies->lobbies[index], &settings, PROTO_CONFIGURE_PASSWORD, why, cap);
    return index;
}

/* HELLO JOIN: the old behaviour (an unknown lobby opens with the default
 * capacity and the joiner owns it) plus the lobby's rules. */
static void hello_join(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    char why[64];
    proto_str lobby_name = m->u.hello.lobby;
    if (lobby_name.len == 0)
        lobby_name = proto_str_from_cstr(PROTO_DEFAULT_LOBBY);
    text_verdict v = text_check_name(lobby_name.bytes, lobby_name.len, PROTO_MAX_LOBBY_NAME_BYTES);
    if (v != TEXT_OK) {
        server_reject(s, handle, PROTO_REASON_LOBBY_INVALID, "lobby name %s",
                      replies_text_problem(v, PROTO_MAX_LOBBY_NAME_BYTES, why, sizeof why));
        return;
    }
    if (!server_lobby_allowed(s, handle, lobby_name)) {
        server_reject(s, handle, PROTO_REASON_AUTH_WRONG_LOBBY,
                      "your identity token does not let you into lobby '%.*s'", (int)lobby_name.len,
                      lobby_name.bytes);
        return;
    }
    if (!sessions_player_room(s->sessions, handle, s->cfg->max_players)) {
        server_reject(s, handle, PROTO_REASON_SERVER_FULL, "server is full (%u players)",
                      (unsigned)s->cfg->max_players);
        return;
    }
    char bad[128];
    int index = lobby_find(s->lobbies, lobby_name);
    const session *se = sessions_at(s->sessions, handle);
    if (index < 0 &&
        server_cluster_route_new(s, handle, m, lobby_name, (proto_str){se->name, se->name_len},
                                 now_us) != SERVER_ROUTE_HERE)
        return;
    if (index < 0)
        index = open_for_hello(s, handle, lobby_name, m->u.hello.password, now_us, bad, sizeof bad);
    if (index == LOBBY_ERR_BAD_VALUE) {
        server_reject(s, handle, PROTO_REASON_LOBBY_INVALID, "cannot open lobby: %s", bad);
        return;
    }
    if (index == LOBBY_ERR_QUOTA) {
        server_reject(s, handle, PROTO_REASON_QUOTA, "cannot open lobby: %s", bad);
        return;
    }
    if (index < 0) {
        server_reject(s, handle, PROTO_REASON_TOO_MANY_LOBBIES, "cannot open lobby: %s",
                      lobby_strerror(index));
        return;
    }
    uint64_t wait_us = 0;
    int err =
        server_admit(s, handle, &s->lobbies->lobbies[index], m->u.hello.password, now_us, &wait_us);
    if (err == LOBBY_OK)
        err = server_enter_lobby(s, handle, index);
    if (err != LOBBY_OK)
        reject_hello_join(s, handle, err, lobby_name, wait_us);
}

void server_hello(server_ctx *s, uint32_t handle, const proto_msg *m, uint64_t now_us)
{
    if (m->u.hello.mode == PROTO_HELLO_RESUME) {
        server_resume(s, handle, m, now_us);
        return;
    }
    proto_str name;
    if (!server_hello_identity(s, handle, m, &name) || !hello_name_ok(s, handle, name))
        return;
    sessions_set_name(s->sessions, handle, name);
    /* Handled again once its lobby's name is claimed: the ticket was used. */
    if (!s->cluster->claim_granted && !server_cluster_hello_ticket(s, handle, m, name))
        return;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t key_len;
    if (!lobby_name_key(name, key, &key_len)) {
        server_reject(s, handle, PROTO_REASON_NAME_INVALID, "name cannot be normalised");
        return;
    }
    server_fresh_limits(s, handle, now_us);
    sessions_note_request(s->sessions, handle, now_us);
    if (m->u.hello.mode == PROTO_HELLO_BROWSE)
        browse(s, handle);
    else
        hello_join(s, handle, m, now_us);
}
