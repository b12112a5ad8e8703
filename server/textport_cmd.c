/* Text-port commands: a message that starts with one "/" (not "//") is a
 * command, answered in lines (a count first when there are several, so a
 * script knows where the answer ends). Words are separated by runs of
 * spaces; "double quotes" keep spaces in one word, as in lobby-chat. The
 * core does the work (server_text_*); this file parses and formats. */
#include "lobby.h"
#include "log.h"
#include "text.h"
#include "textport_internal.h"

#include <stdio.h>
#include <string.h>

enum {
    MAX_WORDS = 16, /* /list with every filter and 8 metadata pairs is 13 */
    QUOTED_BYTES = 2 * PROTO_MAX_NAME_BYTES + 3,
    ECHO_MAX_BYTES = 32, /* of an unknown command's word, in its error line */
};
_Static_assert(PROTO_MAX_LOBBY_NAME_BYTES <= PROTO_MAX_NAME_BYTES, "QUOTED_BYTES fits both");

/* A command's arguments, unquoted, as views into buf. */
typedef struct words {
    int count;
    bool too_many;
    proto_str w[MAX_WORDS];
    char buf[TEXTLINE_MAX_BYTES];
} words;

/* Splits s at runs of spaces into w; a '"' toggles quoting and is dropped,
 * so "" is an empty word and an unclosed quote runs to the end. */
static void split_words(proto_str s, words *w)
{
    size_t i = 0, o = 0;
    w->count = 0;
    w->too_many = false;
    while (i < s.len) {
        while (i < s.len && s.bytes[i] == ' ')
            i++;
        if (i == s.len)
            break;
        if (w->count == MAX_WORDS) {
            w->too_many = true;
            return;
        }
        proto_str *word = &w->w[w->count++];
        word->bytes = &w->buf[o];
        bool quoted = false;
        for (; i < s.len && (quoted || s.bytes[i] != ' '); i++) {
            if (s.bytes[i] == '"')
                quoted = !quoted;
            else
                w->buf[o++] = s.bytes[i];
        }
        word->len = (size_t)(&w->buf[o] - word->bytes);
    }
}

static bool word_is(proto_str w, const char *lit)
{
    return w.len == strlen(lit) && memcmp(w.bytes, lit, w.len) == 0;
}

/* A name in double quotes, '"' and '\' escaped with '\' (names hold no
 * control characters, so nothing else needs escaping). */
static const char *quote(proto_str s, char out[QUOTED_BYTES])
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < s.len && o + 3 < QUOTED_BYTES; i++) {
        if (s.bytes[i] == '"' || s.bytes[i] == '\\')
            out[o++] = '\\';
        out[o++] = s.bytes[i];
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

static const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

static const char *state_word(uint8_t state)
{
    switch (state) {
    case PROTO_LOBBY_STARTING:
        return "starting";
    case PROTO_LOBBY_IN_GAME:
        return "in_game";
    default:
        return "open";
    }
}

/* ---- the commands ---------------------------------------------------------- */

typedef struct command command;
typedef void (*command_fn)(textport *tp, tp_conn *c, const words *args, proto_str rest,
                           uint64_t now_us);

struct command {
    const char *word;
    const char *usage;
    const char *what;
    int max_args; /* -1: the rest of the line is one argument (rest) */
    bool limited; /* takes a token of the command rate */
    command_fn run;
};

static void run_help(textport *tp, tp_conn *c, const words *args, proto_str rest, uint64_t now_us);

static void run_who(textport *tp, tp_conn *c, const words *args, proto_str rest, uint64_t now_us)
{
    (void)args, (void)rest, (void)now_us;
    const lobby *l = server_text_lobby(tp->core, &c->tc);
    if (l == NULL) /* cannot happen to an admitted client */
        return;
    char q[QUOTED_BYTES];
    proto_str name = {l->name, l->name_len};
    tp_send_line(tp, c, "players %u watchers:%u lobby:%s", (unsigned)l->count,
                 (unsigned)l->watchers, quote(name, q));
    for (unsigned i = 0; i < l->count; i++) {
        const lobby_player *p = &l->players[i];
        proto_str pname = {p->name, p->name_len};
        tp_send_line(tp, c, "player %s owner:%s ready:%s", quote(pname, q),
                     yes_no(p->id == l->owner_id), yes_no(p->ready));
    }
}

/* One /list filter word into f; false when it is none. */
static bool add_filter(proto_str w, lobby_filter *f)
{
    const char *eq = memchr(w.bytes, '=', w.len);
    if (word_is(w, "free"))
        f->flags |= PROTO_FILTER_FREE_SEAT;
    else if (word_is(w, "nopass"))
        f->flags |= PROTO_FILTER_NO_PASSWORD;
    else if (word_is(w, "open"))
        f->flags |= PROTO_FILTER_OPEN;
    else if (w.len >= 5 && memcmp(w.bytes, "name=", 5) == 0)
        f->name_contains = (proto_str){w.bytes + 5, w.len - 5};
    else if (eq != NULL && eq != w.bytes && f->meta.count < PROTO_MAX_META_PAIRS) {
        proto_meta *m = &f->meta.pairs[f->meta.count++];
        m->key = (proto_str){w.bytes, (size_t)(eq - w.bytes)};
        m->value = (proto_str){eq + 1, w.len - (size_t)(eq - w.bytes) - 1};
    } else
        return false;
    return true;
}

static void run_list(textport *tp, tp_conn *c, const words *args, proto_str rest, uint64_t now_us)
{
    (void)rest;
    lobby_filter f = {0};
    for (int i = 0; i < args->count; i++)
        if (!add_filter(args->w[i], &f)) {
            tp_send_error(tp, c, TEXTPORT_ERR_USAGE,
                          "/list [FILTER...]; filters: free, nopass, open, name=SUB, KEY=VALUE "
                          "(up to 8)");
            return;
        }
    const proto_msg *m = server_text_list(tp->core, &c->tc, &f, now_us);
    if (m == NULL) {
        tp_send_error(tp, c, TEXTPORT_ERR_RATE_LIMITED,
                      "lists over your address's budget (--list-kb-per-s); wait a moment");
        return;
    }
    tp_send_line(tp, c, "lobbies %u %u", (unsigned)m->u.lobby_list.count,
                 (unsigned)m->u.lobby_list.total);
    for (unsigned i = 0; i < m->u.lobby_list.count; i++) {
        const proto_lobby_entry *e = &m->u.lobby_list.entries[i];
        char qn[QUOTED_BYTES], qo[QUOTED_BYTES];
        bool by_server = (e->flags & PROTO_LOBBYF_SERVER_OWNED) != 0; /* `main`: no owner */
        tp_send_line(tp, c, "lobby %s %u/%u password:%s state:%s owner:%s", quote(e->name, qn),
                     (unsigned)e->players, (unsigned)e->capacity,
                     yes_no(e->flags & PROTO_LOBBYF_PASSWORD), state_word(e->state),
                     by_server ? "(server)" : quote(e->owner, qo));
    }
}

static void run_join(textport *tp, tp_conn *c, const words *args, proto_str rest, uint64_t now_us)
{
    (void)rest;
    proto_str none = {"", 0};
    proto_str name = args->count > 0 ? args->w[0] : none; /* none: bad-lobby, as ever */
    proto_str password = args->count > 1 ? args->w[1] : none;
    int rc = server_text_join(tp->core, &c->tc, name, password, now_us);
    if (rc != SERVER_TEXT_OK) {
        tp_log_limited(tp, TP_LOG_REFUSED_LINE, now_us, "text client %s: /join refused: %s",
                       c->label, server_text_strerror(rc));
        tp_send_error(tp, c, tp_error_for(rc),
                      rc == SERVER_TEXT_ELSEWHERE ? c->tc.elsewhere : server_text_strerror(rc));
        return;
    }
    proto_str joined = server_text_lobby_name(tp->core, &c->tc);
    tp_send_line(tp, c, "joined %.*s", (int)joined.len, joined.bytes);
}

/* The name is the rest of the line, so names with spaces work as ever. */
static void run_name(textport *tp, tp_conn *c, const words *args, proto_str name, uint64_t now_us)
{
    (void)args, (void)now_us;
    if (text_check_name(name.bytes, name.len, PROTO_MAX_NAME_BYTES) != TEXT_OK) {
        tp_send_error(tp, c, TEXTPORT_ERR_BAD_NAME, server_text_strerror(SERVER_TEXT_BAD_NAME));
        return;
    }
    memcpy(c->name, name.bytes, name.len);
    c->name[name.len] = '\0';
    c->name_len = (uint8_t)name.len;
    tp_send_line(tp, c, "name %s", c->name);
}

static void run_quit(textport *tp, tp_conn *c, const words *args, proto_str rest, uint64_t now_us)
{
    (void)args, (void)rest;
    tp_send_line(tp, c, "bye");
    tp_linger(tp, c, TEXTPORT_CLOSE_QUIT, now_us);
}

static const command COMMANDS[] = {
    {"/help", "/help", "these lines", 0, true, run_help},
    {"/who", "/who", "the players in your lobby and how many text clients read it", 0, true,
     run_who},
    {"/list", "/list [FILTER...]", "the lobbies; filters: free, nopass, open, name=SUB, KEY=VALUE",
     MAX_WORDS, true, run_list},
    {"/join", "/join NAME [PASSWORD]",
     "read and post in lobby NAME (opened if absent); PASSWORD for a lobby that has one", 2, true,
     run_join},
    {"/name", "/name NAME", "your name in chat (the rest of the line)", -1, true, run_name},
    {"/quit", "/quit", "bye, and the server closes the connection", 0, false, run_quit},
};
enum { COMMAND_COUNT = sizeof COMMANDS / sizeof COMMANDS[0] };

static void run_help(textport *tp, tp_conn *c, const words *args, proto_str rest, uint64_t now_us)
{
    (void)args, (void)rest, (void)now_us;
    tp_send_line(tp, c, "commands %d", COMMAND_COUNT + 1);
    for (int i = 0; i < COMMAND_COUNT; i++)
        tp_send_line(tp, c, "command %s - %s", COMMANDS[i].usage, COMMANDS[i].what);
    tp_send_line(tp, c, "command //TEXT - post /TEXT as chat");
}

/* ---- dispatch -------------------------------------------------------------- */

static void unknown(textport *tp, tp_conn *c, proto_str word)
{
    char detail[96];
    if (text_check_name(word.bytes, word.len, ECHO_MAX_BYTES) == TEXT_OK)
        snprintf(detail, sizeof detail, "unknown command '%.*s'; /help lists the commands",
                 (int)word.len, word.bytes);
    else
        snprintf(detail, sizeof detail, "unknown command; /help lists the commands");
    tp_send_error(tp, c, TEXTPORT_ERR_UNKNOWN_COMMAND, detail);
}

static const command *find_command(proto_str word)
{
    for (int i = 0; i < COMMAND_COUNT; i++)
        if (word_is(word, COMMANDS[i].word))
            return &COMMANDS[i];
    return NULL;
}

/* True when the client may run another command now; otherwise it was told. */
static bool command_allowed(textport *tp, tp_conn *c, uint64_t now_us)
{
    int rc = server_text_command(tp->core, &c->tc, now_us);
    if (rc == SERVER_TEXT_OK)
        return true;
    tp_log_limited(tp, TP_LOG_REFUSED_LINE, now_us, "text client %s: command refused: %s", c->label,
                   server_text_strerror(rc));
    tp_send_error(tp, c, tp_error_for(rc), server_text_strerror(rc));
    return false;
}

/* The rest of msg after its first word and the spaces around it. */
static proto_str after_word(proto_str msg, size_t word_len)
{
    size_t i = word_len, end = msg.len;
    while (i < end && msg.bytes[i] == ' ')
        i++;
    while (end > i && msg.bytes[end - 1] == ' ')
        end--;
    return (proto_str){msg.bytes + i, end - i};
}

void tp_command(textport *tp, tp_conn *c, proto_str msg, uint64_t now_us)
{
    tp->stats.commands++;
    const char *space = memchr(msg.bytes, ' ', msg.len);
    proto_str word = {msg.bytes, space ? (size_t)(space - msg.bytes) : msg.len};
    const command *cmd = find_command(word);
    if ((cmd == NULL || cmd->limited) && !command_allowed(tp, c, now_us))
        return;
    if (cmd == NULL) {
        unknown(tp, c, word);
        return;
    }
    proto_str rest = after_word(msg, word.len);
    words args;
    split_words(rest, &args);
    if (cmd->max_args >= 0 && (args.too_many || args.count > cmd->max_args)) {
        tp_send_error(tp, c, TEXTPORT_ERR_USAGE, cmd->usage);
        return;
    }
    cmd->run(tp, c, &args, rest, now_us);
}
