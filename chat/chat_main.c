/* lobby-chat: a command-line chat client on the client core, no SDL.
 *   --say TEXT  join, send one message, print its acknowledgement, leave.
 *   otherwise   send each line of stdin (lines starting with '/' are lobby
 *               commands: chat_cmd.c); print chat, joins, leaves and the
 *               lobby's events (chat_lobby.c). */
#include "chat_app.h"
#include "cli.h"
#include "clock.h"
#include "identity.h"

#include <enet/enet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    LINE_MAX_BYTES = CHAT_LINE_MAX_BYTES,
    LEAVE_GRACE_US = 1000000,
    COMMAND_SETTLE_US = 300000, /* at end of input: time for a last command's effects */
    EXIT_FAILURE_RUNTIME = 1,
    EXIT_USAGE = 2,
};

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: lobby-chat --server HOST[:PORT] --name NAME [--lobby L [--password PW]]\n"
            "                  [--browse] [--say TEXT] [--token FILE]\n"
            "Chat in a lobby from the command line.\n"
            "\n"
            "  --server HOST[:PORT]  lobby server (port defaults to %d)\n"
            "  --name NAME           your player name (1 to %d bytes of UTF-8)\n"
            "  --lobby L             lobby to join (default '%s')\n"
            "  --password PW         the lobby's password, when it has one\n"
            "  --browse              join no lobby: start at the lobby list\n"
            "  --token FILE          present the identity token in FILE (the hex line\n"
            "                        lobby-token mint prints) to a server started with\n"
            "                        --auth-key-file; --name may then be left out (the\n"
            "                        token's name is used)\n"
            "  --say TEXT            send TEXT, print the acknowledgement and exit\n"
            "  --timeout SECONDS     give up on an unanswered server after this (default 5;\n"
            "                        0.001 to 3600, fractions allowed)\n"
            "  --help, --version\n"
            "\n"
            "Without --say, each line of standard input is sent as a message and every chat,\n"
            "join and leave is printed as it arrives; at end of input it waits for the\n"
            "acknowledgements (and the answers to lobby commands), then leaves. A refused\n"
            "lobby command prints the server's reason and never ends the program.\n"
            "\n"
            "Exit status: 0 ok; 1 refused, rejected or unreachable; 2 bad usage (a --token\n"
            "file that cannot be read or holds no hex token included).\n"
            "\n",
            PROTO_DEFAULT_PORT, PROTO_MAX_NAME_BYTES, PROTO_DEFAULT_LOBBY);
    chat_print_commands(to);
}

const char *chat_player_name(const chat_app *app, uint16_t id, char *buf, size_t cap)
{
    const client_player *p = client_find_player(app->c, id);
    if (p != NULL)
        return p->name;
    snprintf(buf, cap, "#%u", (unsigned)id);
    return buf;
}

static void begin_leave(chat_app *app, uint64_t now_us, int exit_code)
{
    if (app->leaving)
        return;
    app->leaving = true;
    app->exit_code = exit_code;
    app->deadline_us = now_us + LEAVE_GRACE_US;
    client_leave(app->c);
}

static void send_line(chat_app *app, const char *text, size_t len, uint64_t now_us)
{
    uint32_t id;
    int err = client_send_chat(app->c, text, len, &id);
    if (err != CLIENT_OK) {
        fprintf(stderr, "lobby-chat: message not sent: %s\n", client_strerror(err));
        return;
    }
    app->outstanding++;
    if (app->say != NULL) {
        app->say_id = id;
        app->deadline_us = now_us + (uint64_t)app->timeout_ms * 1000u;
    }
}

static void print_joined(chat_app *app)
{
    const client_view *v = client_get_view(app->c);
    snprintf(app->lobby, sizeof app->lobby, "%s", v->lobby);
    app->lobby_seen = false;
    printf("* joined lobby %s as %s (%u/%u players:", v->lobby,
           client_find_player(app->c, v->my_id)->name, (unsigned)v->player_count,
           (unsigned)v->capacity);
    for (unsigned i = 0; i < v->player_count; i++)
        printf(" %s", v->players[i].name);
    printf(")\n");
}

/* Reacts to one event; prints what a chatting person wants to see. */
static void handle_event(chat_app *app, const client_event *ev, uint64_t now_us)
{
    char buf[16];
    switch (ev->type) {
    case CLIENT_EV_JOINED:
        if (app->awaiting > 0) /* a /create or /join moved us */
            app->awaiting--;
        if (app->say != NULL)
            send_line(app, app->say, strlen(app->say), now_us);
        else
            print_joined(app);
        break;
    case CLIENT_EV_REJECTED:
        /* The server's text, which says more than the reason code's (the
         * client core puts the code's text there when the server sent none). */
        fprintf(stderr, "lobby-chat: join rejected: %s\n", ev->text);
        app->done = true;
        app->exit_code = EXIT_FAILURE_RUNTIME;
        break;
    case CLIENT_EV_DISCONNECTED:
        if (!app->leaving) {
            fprintf(stderr, "lobby-chat: %s:%u: disconnected: %s\n", app->server_host,
                    (unsigned)app->server_port, ev->text);
            app->exit_code = EXIT_FAILURE_RUNTIME;
        }
        app->done = true;
        break;
    case CLIENT_EV_PLAYER_JOINED:
        if (app->say == NULL)
            printf("* %s joined\n", ev->text);
        break;
    case CLIENT_EV_PLAYER_LEFT:
        if (app->say == NULL)
            printf("* %s left (%s)\n", ev->text, proto_leave_text(ev->player_left.reason));
        break;
    case CLIENT_EV_CHAT:
        if (app->say == NULL && ev->chat.from_text) /* a plain-text (TCP) client, not a player */
            printf("[text] %s: %s\n", ev->chat.sender, ev->text);
        else if (app->say == NULL)
            printf("%s: %s\n",
                   ev->chat.sender[0] ? ev->chat.sender
                                      : chat_player_name(app, ev->chat.player_id, buf, sizeof buf),
                   ev->text);
        break;
    case CLIENT_EV_CHAT_GAP:
        if (app->say == NULL)
            printf("* %u earlier lines were lost while you were away (from #%u)\n",
                   (unsigned)ev->chat_gap.missed, (unsigned)ev->chat_gap.first_seq);
        break;
    case CLIENT_EV_CHAT_ACK:
        app->outstanding--;
        if (ev->chat_ack.seq == 0) { /* a direct message's */
            chat_dm_acked(app, ev->chat_ack.msg_id);
            break;
        }
        printf("ack id=%u seq=%u lobby=%s\n", (unsigned)ev->chat_ack.msg_id,
               (unsigned)ev->chat_ack.seq, client_get_view(app->c)->lobby);
        if (app->say != NULL && ev->chat_ack.msg_id == app->say_id)
            begin_leave(app, now_us, 0);
        break;
    case CLIENT_EV_CHAT_REFUSED:
        app->outstanding--;
        fprintf(stderr, "lobby-chat: message %u refused: %s\n", (unsigned)ev->chat_refused.msg_id,
                ev->text);
        if (app->say != NULL && ev->chat_refused.msg_id == app->say_id)
            begin_leave(app, now_us, EXIT_FAILURE_RUNTIME);
        break;
    case CLIENT_EV_PLAYER_STATUS:
        if (app->say == NULL)
            printf("* %s is %s\n", ev->text, proto_status_text(ev->player_status.status));
        break;
    case CLIENT_EV_REDIRECTED: /* the client core follows it: JOINED comes next */
        printf("redirected: lobby '%s' is on server %s at %s:%u\n", ev->redirected.lobby,
               ev->redirected.server_id, ev->redirected.host, (unsigned)ev->redirected.port);
        snprintf(app->redirected_host, sizeof app->redirected_host, "%s", ev->redirected.host);
        app->server_host = app->redirected_host;
        app->server_port = ev->redirected.port;
        break;
    case CLIENT_EV_POSITION:
    case CLIENT_EV_PONG:
    case CLIENT_EV_RECONNECTING: /* lobby-chat does not ask for reconnection */
        break;
    default:
        if (app->say == NULL)
            chat_lobby_event(app, ev);
        break;
    }
}

/* Splits what stdin gave into lines and sends each non-empty one. */
static void take_input(chat_app *app, const char *data, size_t n, uint64_t now_us)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '\n') {
            if (app->line_len < LINE_MAX_BYTES)
                app->line[app->line_len++] = data[i];
            else
                app->line_too_long = true;
            continue;
        }
        if (app->line_len > 0 && app->line[app->line_len - 1] == '\r')
            app->line_len--;
        if (app->line_too_long)
            fprintf(stderr, "lobby-chat: line longer than %d bytes not sent\n", LINE_MAX_BYTES);
        else if (app->line_len > 1 && app->line[0] == '/' && app->line[1] == '/')
            send_line(app, app->line + 1, app->line_len - 1, now_us); /* "//x" says "/x" */
        else if (app->line_len > 0 && app->line[0] == '/')
            chat_command(app, app->line, app->line_len, now_us);
        else if (app->line_len > 0)
            send_line(app, app->line, app->line_len, now_us);
        app->line_len = 0;
        app->line_too_long = false;
    }
}

static void read_stdin(chat_app *app, uint64_t now_us)
{
    char chunk[4096];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n > 0) {
        take_input(app, chunk, (size_t)n, now_us);
    } else if (n == 0 || errno != EINTR) {
        app->stdin_eof = true;
        take_input(app, "\n", 1, now_us); /* a last line without newline still counts */
        app->deadline_us = now_us + (uint64_t)app->timeout_ms * 1000u;
    }
}

/* Deadlines, end of input and Ctrl-C: decides when to leave and when to stop. */
static void check_progress(chat_app *app, uint64_t now_us)
{
    client_state state = client_get_view(app->c)->state;
    bool joined = state == CLIENT_JOINED || state == CLIENT_BROWSING;
    bool late = app->deadline_us != 0 && now_us >= app->deadline_us;
    if (app->leaving) {
        app->done = app->done || late;
    } else if (cli_signal_received() != 0) {
        begin_leave(app, now_us, 0);
    } else if (joined && app->say == NULL && app->stdin_eof && app->outstanding == 0 &&
               app->awaiting == 0 && now_us >= app->last_command_us + COMMAND_SETTLE_US) {
        begin_leave(app, now_us, 0);
    } else if (late && app->outstanding == 0) {
        begin_leave(app, now_us, 0); /* a lobby command went unanswered: nothing lost */
    } else if (late) {
        fprintf(stderr, "lobby-chat: %u message(s) not acknowledged within %g s\n",
                (unsigned)app->outstanding, (double)app->timeout_ms / 1000.0);
        begin_leave(app, now_us, EXIT_FAILURE_RUNTIME);
    }
}

static int run(chat_app *app)
{
    while (!app->done) {
        client_state state = client_get_view(app->c)->state;
        bool want_stdin = app->say == NULL && !app->stdin_eof && !app->leaving &&
                          (state == CLIENT_JOINED || state == CLIENT_BROWSING);
        struct pollfd fds[2] = {{.fd = client_fd(app->c), .events = POLLIN},
                                {.fd = STDIN_FILENO, .events = POLLIN}};
        poll(fds, want_stdin ? 2 : 1, 10);
        uint64_t now_us = clock_now_us();
        if (want_stdin && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
            read_stdin(app, now_us);
        client_update(app->c, now_us);
        client_event ev;
        while (client_next_event(app->c, &ev))
            handle_event(app, &ev, now_us);
        check_progress(app, now_us);
        fflush(stdout);
    }
    return app->exit_code;
}

typedef struct chat_options {
    char host[256];
    uint16_t port;
    const char *name;
    const char *lobby;
    const char *password;
    bool browse;
    const char *say;
    uint32_t timeout_ms;
    uint8_t token[PROTO_MAX_STR8_BYTES]; /* --token: the identity token's bytes */
    size_t token_len;
} chat_options;

static int fail_usage(const char *what, const char *arg)
{
    return cli_usage_error("lobby-chat", what, arg);
}

/* --timeout: seconds, fractions allowed, at least a millisecond. */
static bool parse_seconds(const char *text, uint32_t *ms)
{
    char *end;
    errno = 0;
    double s = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(s >= 0.001) || s > 3600.0)
        return false;
    *ms = (uint32_t)(s * 1000.0 + 0.5);
    return true;
}

/* --token FILE: one line of hex (lobby-token mint's output) into
 * o->token; false after a usage line. */
static bool read_token_file(const char *path, chat_options *o)
{
    char text[2 * PROTO_MAX_STR8_BYTES + 8];
    int n = cli_read_small_file("lobby-chat", "--token", path, text, sizeof text);
    int len = n < 0 ? 0 : identity_hex_decode(text, (size_t)n, o->token, sizeof o->token);
    if (n >= 0 && len <= 0)
        fail_usage("--token FILE must hold one line of hex (lobby-token mint's output):", path);
    o->token_len = len > 0 ? (size_t)len : 0;
    return len > 0;
}

/* Returns -1 to continue, or an exit status. */
static int parse_options(int argc, char **argv, chat_options *o)
{
    enum {
        OPT_SERVER = 1000,
        OPT_NAME,
        OPT_LOBBY,
        OPT_PASSWORD,
        OPT_BROWSE,
        OPT_SAY,
        OPT_TIMEOUT,
        OPT_TOKEN,
        OPT_HELP,
        OPT_VERSION
    };
    static const struct option longopts[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"name", required_argument, NULL, OPT_NAME},
        {"lobby", required_argument, NULL, OPT_LOBBY},
        {"password", required_argument, NULL, OPT_PASSWORD},
        {"browse", no_argument, NULL, OPT_BROWSE},
        {"say", required_argument, NULL, OPT_SAY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    bool have_server = false;
    int opt;
    /* A flag's value may not be empty: --lobby "" would otherwise mean the
     * default lobby without saying so. */
    while ((opt = cli_next_option("lobby-chat", argc, argv, longopts, NULL)) != CLI_OPT_END) {
        if (opt == CLI_OPT_BAD)
            return EXIT_USAGE;
        switch (opt) {
        case OPT_SERVER:
            if (!cli_parse_host_port(optarg, PROTO_DEFAULT_PORT, o->host, sizeof o->host, &o->port))
                return fail_usage("--server must be HOST or HOST:PORT (port 1 to 65535), got",
                                  optarg);
            have_server = true;
            break;
        case OPT_NAME:
            o->name = optarg;
            break;
        case OPT_LOBBY:
            o->lobby = optarg;
            break;
        case OPT_PASSWORD:
            o->password = optarg;
            break;
        case OPT_BROWSE:
            o->browse = true;
            break;
        case OPT_SAY:
            o->say = optarg;
            break;
        case OPT_TIMEOUT:
            if (!parse_seconds(optarg, &o->timeout_ms))
                return fail_usage("--timeout must be seconds from 0.001 to 3600, got", optarg);
            break;
        case OPT_TOKEN:
            if (!read_token_file(optarg, o))
                return EXIT_USAGE;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("lobby-chat %s (protocol %d)\n", LOBBY_VERSION, PROTO_VERSION);
            return 0;
        }
    }
    if (optind < argc)
        return fail_usage("unexpected argument", argv[optind]);
    if (!have_server)
        return fail_usage("--server is required", NULL);
    if (o->name == NULL && o->token_len > 0)
        o->name = ""; /* the server takes the token's */
    if (o->name == NULL)
        return fail_usage("--name is required (or --token)", NULL);
    if (strlen(o->name) > PROTO_MAX_STR8_BYTES ||
        (o->lobby && strlen(o->lobby) > PROTO_MAX_STR8_BYTES))
        return fail_usage("--name and --lobby must be at most 255 bytes", NULL);
    if (o->password && strlen(o->password) > PROTO_MAX_PASSWORD_BYTES)
        return fail_usage("--password must be at most 32 bytes", NULL);
    if (o->browse && (o->lobby || o->say))
        return fail_usage("--browse joins no lobby: not with --lobby or --say", NULL);
    return -1;
}

int main(int argc, char **argv)
{
    chat_options o = {.timeout_ms = 5000};
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    if (enet_initialize() != 0) {
        fprintf(stderr, "lobby-chat: cannot initialise ENet\n");
        return EXIT_FAILURE_RUNTIME;
    }
    cli_signal_install();

    client_config cfg;
    client_config_defaults(&cfg);
    cfg.host = o.host;
    cfg.port = o.port;
    cfg.name = o.name;
    cfg.lobby = o.lobby;
    cfg.password = o.password;
    cfg.browse = o.browse;
    cfg.timeout_ms = o.timeout_ms;
    cfg.identity_token = o.token;
    cfg.identity_token_len = o.token_len;
    static chat_app app; /* large line buffer: keep it off the stack */
    app.say = o.say;
    app.server_host = o.host;
    app.server_port = o.port;
    app.timeout_ms = o.timeout_ms;
    int err = client_create(&cfg, clock_now_us(), &app.c);
    if (err != CLIENT_OK) {
        fprintf(stderr, "lobby-chat: %s: %s\n", o.host, client_strerror(err));
        enet_deinitialize();
        return EXIT_FAILURE_RUNTIME;
    }
    status = run(&app);
    client_destroy(app.c);
    enet_deinitialize();
    return status;
}
