/* lobby-chat's /commands: a line of stdin that starts with '/' is split into
 * words (double quotes keep spaces in one word) and turned into a request to
 * the client core. Mistakes print a line and never end the program: the
 * server's answers (and refusals, with its reason) arrive as events. */
#include "chat_app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_WORDS = 24 };

typedef struct words {
    int count;
    char *w[MAX_WORDS];
    size_t at[MAX_WORDS]; /* where each word starts in the line */
    char buf[CHAT_LINE_MAX_BYTES + 1];
} words;

/* Splits line into words at spaces and tabs; "a b" is one word. */
static void split_words(const char *line, size_t len, words *out)
{
    out->count = 0;
    size_t o = 0, i = 0;
    while (i < len && out->count < MAX_WORDS) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        out->at[out->count] = i;
        out->w[out->count++] = &out->buf[o];
        bool quoted = false;
        for (; i < len && (quoted || (line[i] != ' ' && line[i] != '\t')); i++) {
            if (line[i] == '"')
                quoted = !quoted;
            else
                out->buf[o++] = line[i];
        }
        out->buf[o++] = '\0';
    }
}

void chat_print_commands(FILE *to)
{
    fprintf(to, "Commands (a line starting with '/'; \"double quotes\" keep spaces in one word,\n"
                "'//text' sends '/text' as chat):\n"
                "  /list [FILTER...]      the lobbies: name, players/capacity, password, owner,\n"
                "                         state, median RTT, metadata. Filters (all must match):\n"
                "                         free (a free seat), nopass (no password), open (not\n"
                "                         started), name=SUB (name contains SUB, any case),\n"
                "                         KEY=VALUE (metadata pair)\n"
                "  /create NAME [CAPACITY] [PASSWORD]\n"
                "                         open a lobby and move there as its owner (capacity\n"
                "                         0 or absent: the server's default)\n"
                "  /join NAME [PASSWORD]  move to another lobby\n"
                "  /leave                 back to the lobby list\n"
                "  /ready, /unready       toggle or clear your ready flag\n"
                "  /start                 owner: start the countdown (everyone ready)\n"
                "  /kick NAME             owner: put a member out (with a rejoin cool-down)\n"
                "  /give NAME             owner: hand the lobby to another member\n"
                "  /set capacity N | password [PW] | maxrtt MS | meta [KEY=VALUE...]\n"
                "                         owner: change a setting (meta replaces every pair;\n"
                "                         password and maxrtt without a value: none)\n"
                "  /dm NAME TEXT          a message to one member of your lobby\n"
                "  /who                   the members: owner, ready, rtt/jitter/loss\n"
                "  /help                  this list\n");
}

static void say(const char *fmt, const char *arg)
{
    printf("* ");
    printf(fmt, arg);
    printf("\n");
}

/* What a client core error means to someone typing commands. */
static void report(const char *what, int err)
{
    if (err == CLIENT_OK)
        return;
    const char *why = err == CLIENT_ERR_STATE ? "not possible here (not connected, or not in a "
                                                "lobby: /list, /join NAME)"
                      : err == CLIENT_ERR_ARG ? "an argument is too long or invalid"
                                              : client_strerror(err);
    printf("* %s not sent: %s\n", what, why);
}

/* A request went out. At end of input lobby-chat waits for the answers of
 * those with one certain answer (/list, /create, /join, /leave, /set: the
 * list, the welcome, the exit, the lobby's state or a refusal); the others
 * (/ready, /start, /kick, /give) it only lets settle. */
static void sent(chat_app *app, const char *what, int err, bool answered)
{
    report(what, err);
    if (err == CLIENT_OK && answered)
        app->awaiting++;
}

static bool parse_number(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

/* KEY=VALUE into a metadata pair; false when it has no '=' or is too long. */
static bool parse_meta(const char *word, client_meta *out)
{
    const char *eq = strchr(word, '=');
    if (eq == NULL || eq == word)
        return false;
    size_t key_len = (size_t)(eq - word), value_len = strlen(eq + 1);
    if (key_len > PROTO_MAX_META_KEY_BYTES || value_len > PROTO_MAX_META_VALUE_BYTES) {
        say("metadata pair too long: %s", word);
        return false;
    }
    memcpy(out->key, word, key_len);
    out->key[key_len] = '\0';
    memcpy(out->value, eq + 1, value_len + 1);
    return true;
}

static void cmd_list(chat_app *app, const words *w)
{
    client_lobby_filter f = {0};
    for (int i = 1; i < w->count; i++) {
        const char *arg = w->w[i];
        if (strcmp(arg, "free") == 0) {
            f.free_seat = true;
        } else if (strcmp(arg, "nopass") == 0) {
            f.no_password = true;
        } else if (strcmp(arg, "open") == 0) {
            f.open_only = true;
        } else if (strncmp(arg, "name=", 5) == 0) {
            f.name_contains = arg + 5;
        } else if (f.meta_count < PROTO_MAX_META_PAIRS && parse_meta(arg, &f.meta[f.meta_count])) {
            f.meta_count++;
        } else {
            say("unknown /list filter '%s' (free, nopass, open, name=SUB, KEY=VALUE)", arg);
            return;
        }
    }
    sent(app, "/list", client_list_lobbies(app->c, &f, NULL), true);
}

static void cmd_create(chat_app *app, const words *w)
{
    client_lobby_settings s = {0};
    if (w->count < 2 || w->count > 4) {
        say("usage: %s", "/create NAME [CAPACITY] [PASSWORD]");
        return;
    }
    s.name = w->w[1];
    int next = 2;
    unsigned long cap;
    if (next < w->count && parse_number(w->w[next], 255, &cap)) {
        s.capacity = (uint8_t)cap;
        next++;
    }
    if (next < w->count)
        s.password = w->w[next++];
    if (next < w->count) {
        say("usage: %s", "/create NAME [CAPACITY] [PASSWORD]");
        return;
    }
    sent(app, "/create", client_create_lobby(app->c, &s), true);
}

static void cmd_join(chat_app *app, const words *w)
{
    if (w->count < 2 || w->count > 3) {
        say("usage: %s", "/join NAME [PASSWORD]");
        return;
    }
    sent(app, "/join", client_join_lobby(app->c, w->w[1], w->count == 3 ? w->w[2] : NULL), true);
}

static void cmd_ready(chat_app *app, bool toggle)
{
    const client_view *v = client_get_view(app->c);
    const client_player *me = client_find_player(app->c, v->my_id);
    bool ready = toggle ? !(me != NULL && me->ready) : false;
    if (!ready && me != NULL && !me->ready && v->state == CLIENT_JOINED) {
        /* The server answers a change only: say so rather than nothing. */
        printf("* you are not ready (nothing to change)\n");
        return;
    }
    sent(app, ready ? "/ready" : "/unready", client_set_ready(app->c, ready), false);
}

/* The member called name, or NULL after saying there is none. */
static const client_player *member(const chat_app *app, const char *name)
{
    const client_player *p = client_find_player_by_name(app->c, name);
    if (p == NULL)
        say("no member called '%s' in this lobby (/who lists them)", name);
    return p;
}

static void cmd_on_member(chat_app *app, const words *w)
{
    bool kick = strcmp(w->w[0], "/kick") == 0;
    if (w->count != 2) {
        say("usage: %s NAME", w->w[0]);
        return;
    }
    const client_player *p = member(app, w->w[1]);
    if (p == NULL)
        return;
    if (kick)
        sent(app, "/kick", client_kick(app->c, p->id), false);
    else
        sent(app, "/give", client_give_ownership(app->c, p->id), false);
}

static void cmd_dm(chat_app *app, const char *line, size_t len, const words *w)
{
    if (w->count < 3) {
        say("usage: %s", "/dm NAME TEXT");
        return;
    }
    const client_player *p = member(app, w->w[1]);
    if (p == NULL)
        return;
    uint32_t id;
    int err = client_send_direct(app->c, p->id, line + w->at[2], len - w->at[2], &id);
    report("/dm", err);
    if (err == CLIENT_OK) {
        app->outstanding++;
        chat_note_dm(app, id, p->name);
    }
}

static bool parse_set(const words *w, uint8_t *changes, client_lobby_settings *s)
{
    const char *what = w->w[1];
    unsigned long v;
    if (strcmp(what, "capacity") == 0 && w->count == 3 && parse_number(w->w[2], 255, &v)) {
        *changes = PROTO_CONFIGURE_CAPACITY;
        s->capacity = (uint8_t)v;
    } else if (strcmp(what, "password") == 0 && w->count <= 3) {
        *changes = PROTO_CONFIGURE_PASSWORD;
        s->password = w->count == 3 ? w->w[2] : NULL;
    } else if (strcmp(what, "maxrtt") == 0 && w->count <= 3 &&
               (w->count == 2 || parse_number(w->w[2], 65535, &v))) {
        *changes = PROTO_CONFIGURE_MAX_RTT;
        s->max_rtt_ms = w->count == 3 ? (uint16_t)v : 0;
    } else if (strcmp(what, "meta") == 0 && w->count - 2 <= PROTO_MAX_META_PAIRS) {
        *changes = PROTO_CONFIGURE_METADATA;
        for (int i = 2; i < w->count; i++)
            if (!parse_meta(w->w[i], &s->meta[s->meta_count++]))
                return false;
    } else {
        return false;
    }
    return true;
}

static void cmd_set(chat_app *app, const words *w)
{
    uint8_t changes = 0;
    client_lobby_settings s = {0};
    if (w->count < 2 || !parse_set(w, &changes, &s)) {
        say("usage: %s",
            "/set capacity N | password [PW] | maxrtt MS | meta [KEY=VALUE...] (up to 8 pairs)");
        return;
    }
    /* The server answers every /set with the lobby's state (or a refusal),
     * changed or not: chat_lobby.c prints the settings line for it even
     * when nothing changed, so "/set password" on an open lobby is seen. */
    int err = client_configure_lobby(app->c, changes, &s);
    sent(app, "/set", err, true);
    if (err == CLIENT_OK)
        app->set_pending++;
}

void chat_command(chat_app *app, const char *line, size_t len, uint64_t now_us)
{
    static words w; /* as big as a line: keep it off the stack */
    app->last_command_us = now_us;
    split_words(line, len, &w);
    const char *cmd = w.count > 0 ? w.w[0] : "/";
    if (strcmp(cmd, "/list") == 0)
        cmd_list(app, &w);
    else if (strcmp(cmd, "/create") == 0)
        cmd_create(app, &w);
    else if (strcmp(cmd, "/join") == 0)
        cmd_join(app, &w);
    else if (strcmp(cmd, "/leave") == 0)
        sent(app, "/leave", client_leave_lobby(app->c), true);
    else if (strcmp(cmd, "/ready") == 0 || strcmp(cmd, "/unready") == 0)
        cmd_ready(app, strcmp(cmd, "/ready") == 0);
    else if (strcmp(cmd, "/start") == 0)
        sent(app, "/start", client_start_game(app->c), false);
    else if (strcmp(cmd, "/kick") == 0 || strcmp(cmd, "/give") == 0)
        cmd_on_member(app, &w);
    else if (strcmp(cmd, "/dm") == 0)
        cmd_dm(app, line, len, &w);
    else if (strcmp(cmd, "/set") == 0)
        cmd_set(app, &w);
    else if (strcmp(cmd, "/who") == 0)
        chat_print_members(app);
    else if (strcmp(cmd, "/help") == 0)
        chat_print_commands(stdout);
    else {
        say("unknown command '%s'", cmd);
        chat_print_commands(stdout);
    }
}
