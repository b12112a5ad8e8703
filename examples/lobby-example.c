/* lobby-example: a small game on liblobby-client, in a terminal: it joins a
 * lobby, moves a player, chats and shows the others, with nothing of the
 * lobby project but the installed library:
 *   cc lobby-example.c $(pkg-config --cflags --libs lobby-client) -o lobby-example
 *
 * In a terminal: arrow keys or WASD move, Enter types a chat line (Enter
 * again sends it), q quits. With --headless SECONDS (or when not on a
 * terminal) it walks in a circle, says hello once, prints what happens as
 * lines and leaves after SECONDS. */
#define _POSIX_C_SOURCE 200809L

#include <lobby/client.h>

#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum { MAP_W = 60, MAP_H = 20, CHAT_LINES = 6, LINE_BYTES = 800 /* a sender and a text fit */ };
static const float STEP = 20.0f; /* world units per key press: a map cell across */

typedef struct game {
    lobby_client *client;
    bool headless;
    double seconds; /* headless: how long to play */
    float x, y;
    int dx, dy; /* terminal: the cells the keys since the last frame move */
    bool typing;
    char line[LOBBY_CLIENT_MAX_CHAT + 1];
    size_t line_len;
    char chat[CHAT_LINES][LINE_BYTES];
    int chats_seen, positions_seen;
    const char *name;
    uint16_t seen_ids[LOBBY_CLIENT_MAX_PLAYERS]; /* players whose position we printed */
    int seen_count;
    bool said_hello, joined, leaving, over;
    int exit_status;
} game;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Adds a line under the map (headless: prints it). */
__attribute__((format(printf, 2, 3))) static void say(game *g, const char *fmt, ...)
{
    memmove(g->chat[0], g->chat[1], sizeof g->chat - sizeof g->chat[0]);
    va_list args;
    va_start(args, fmt);
    vsnprintf(g->chat[CHAT_LINES - 1], sizeof g->chat[0], fmt, args);
    va_end(args);
    if (g->headless)
        printf("%s\n", g->chat[CHAT_LINES - 1]);
}

static void on_event(game *g, const lobby_client_event *ev)
{
    lobby_client_player p;
    switch (ev->type) {
    case LOBBY_CLIENT_EV_JOINED: {
        lobby_client_status st;
        lobby_client_get_status(g->client, &st);
        g->joined = true;
        say(g, "joined lobby '%s' as player %u (%u here)", st.lobby, (unsigned)st.my_id,
            (unsigned)st.player_count);
        break;
    }
    case LOBBY_CLIENT_EV_PLAYER_JOINED:
        say(g, "player joined: %s", ev->text);
        break;
    case LOBBY_CLIENT_EV_PLAYER_LEFT:
        say(g, "player left: %s", ev->text);
        break;
    case LOBBY_CLIENT_EV_CHAT:
        g->chats_seen++;
        say(g, "%s: %s", ev->chat.sender, ev->text);
        break;
    case LOBBY_CLIENT_EV_POSITION:
        g->positions_seen++;
        for (int i = 0; i < g->seen_count; i++)
            if (g->seen_ids[i] == ev->player_id)
                return; /* says where each player is once */
        if (g->seen_count < LOBBY_CLIENT_MAX_PLAYERS &&
            lobby_client_find_player(g->client, ev->player_id, &p)) {
            g->seen_ids[g->seen_count++] = ev->player_id;
            say(g, "sees %s at %.0f,%.0f", p.name, p.x, p.y);
        }
        break;
    case LOBBY_CLIENT_EV_CHAT_REFUSED:
    case LOBBY_CLIENT_EV_LOBBY_REFUSED:
        say(g, "refused: %s", ev->text);
        break;
    case LOBBY_CLIENT_EV_REJECTED:
    case LOBBY_CLIENT_EV_DISCONNECTED:
        g->over = true;
        g->exit_status = g->joined && ev->type == LOBBY_CLIENT_EV_DISCONNECTED ? 0 : 1;
        say(g, "%s: %s", ev->type == LOBBY_CLIENT_EV_REJECTED ? "rejected" : "disconnected",
            ev->text[0] ? ev->text : "timed out");
        break;
    default: /* acks, pongs, lobby lists ...: nothing to show */
        break;
    }
}

/* ---- the terminal ---------------------------------------------------------- */

/* Keys one by one, no echo, Ctrl-C as a key (so the terminal is always
 * restored); returns the settings to restore. */
static struct termios raw_terminal(void)
{
    struct termios saved, raw;
    tcgetattr(STDIN_FILENO, &saved);
    raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    printf("\x1b[2J\x1b[?25l");
    return saved;
}

static void on_key(game *g, char k)
{
    if (g->typing) {
        if (k == '\n' || k == '\r') {
            g->line[g->line_len] = '\0';
            if (g->line_len > 0 &&
                lobby_client_send_chat(g->client, g->line, NULL) == LOBBY_CLIENT_OK)
                say(g, "you: %s", g->line); /* the server relays it to the others */
            g->typing = false;
            g->line_len = 0;
        } else if ((k == 127 || k == 8) && g->line_len > 0) {
            g->line_len--;
        } else if ((unsigned char)k >= 32 && g->line_len < LOBBY_CLIENT_MAX_CHAT) {
            g->line[g->line_len++] = k;
        }
        return;
    }
    /* WASD, and the last letters of the arrow keys' escape sequences */
    static const char keys[] = "wAsBdCaD";
    static const int steps[][2] = {{0, -1}, {0, -1}, {0, 1},  {0, 1},
                                   {1, 0},  {1, 0},  {-1, 0}, {-1, 0}};
    const char *hit = k != '\0' ? strchr(keys, k) : NULL;
    if (hit != NULL) {
        g->dx += steps[hit - keys][0]; /* keys read together all count */
        g->dy += steps[hit - keys][1];
    } else if (k == '\n' || k == '\r') {
        g->typing = true;
    } else if (k == 'q' || k == 3) { /* 3: Ctrl-C, which raw mode delivers as a key */
        lobby_client_leave(g->client);
    }
}

static void draw(game *g)
{
    char map[MAP_H][MAP_W + 1];
    for (int r = 0; r < MAP_H; r++) {
        memset(map[r], '.', MAP_W);
        map[r][MAP_W] = '\0';
    }
    lobby_client_status st;
    lobby_client_get_status(g->client, &st);
    lobby_client_player p;
    for (size_t i = 0; lobby_client_get_player(g->client, i, &p); i++) {
        float px = p.id == st.my_id ? g->x : p.x, py = p.id == st.my_id ? g->y : p.y;
        int col = (int)(px / LOBBY_CLIENT_WORLD_WIDTH * (MAP_W - 1));
        int row = (int)(py / LOBBY_CLIENT_WORLD_HEIGHT * (MAP_H - 1));
        if (p.has_position || p.id == st.my_id)
            map[row][col] = p.id == st.my_id ? '@' : p.name[0];
    }
    printf("\x1b[H lobby '%s'  players %u/%u  rtt %u ms  (arrows/WASD move, Enter chat, q quits)"
           "\x1b[K\n",
           st.lobby, (unsigned)st.player_count, (unsigned)st.capacity, (unsigned)st.rtt_ms);
    for (int r = 0; r < MAP_H; r++)
        printf(" %s\x1b[K\n", map[r]);
    for (int i = 0; i < CHAT_LINES; i++)
        printf(" %.*s\x1b[K\n", MAP_W + 18, g->chat[i]); /* cut to the screen */
    printf(" %s%.*s\x1b[K", g->typing ? "say: " : "", (int)g->line_len, g->line);
    fflush(stdout);
}

/* ---- the loop -------------------------------------------------------------- */

static void move(game *g, double t)
{
    if (g->headless) { /* a circle around the middle, one lap in 6 s, apart by name */
        t += (unsigned char)g->name[0];
        g->x = 600.0f + 300.0f * (float)cos(t);
        g->y = 400.0f + 200.0f * (float)sin(t);
        return;
    }
    g->x += (float)g->dx * STEP;
    g->y += (float)g->dy * STEP;
    g->x = g->x < 0 ? 0 : g->x > LOBBY_CLIENT_WORLD_WIDTH ? LOBBY_CLIENT_WORLD_WIDTH : g->x;
    g->y = g->y < 0 ? 0 : g->y > LOBBY_CLIENT_WORLD_HEIGHT ? LOBBY_CLIENT_WORLD_HEIGHT : g->y;
    g->dx = g->dy = 0;
}

static void play(game *g)
{
    uint64_t start = now_us(), next_send = start;
    while (!g->over) {
        struct pollfd fds[2] = {{lobby_client_fd(g->client), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        poll(fds, g->headless ? 1 : 2, 16);
        char keys[32];
        ssize_t n = g->headless ? 0 : read(STDIN_FILENO, keys, sizeof keys);
        for (ssize_t i = 0; i < n; i++)
            on_key(g, keys[i]);
        uint64_t now = now_us();
        lobby_client_update(g->client, now);
        lobby_client_event ev;
        while (lobby_client_next_event(g->client, &ev))
            on_event(g, &ev);
        double t = (double)(now - start) / 1e6;
        if (lobby_client_get_state(g->client) == LOBBY_CLIENT_JOINED) {
            move(g, t);
            if (now >= next_send) { /* 20 positions a second are plenty */
                lobby_client_send_position(g->client, g->x, g->y, now);
                next_send = now + 50000;
            }
            if (g->headless && !g->said_hello && t > 1.0) {
                char hello[64];
                snprintf(hello, sizeof hello, "hello from %s", g->name);
                g->said_hello = lobby_client_send_chat(g->client, hello, NULL) == LOBBY_CLIENT_OK;
            }
        }
        if (g->headless && t > g->seconds && !g->leaving) {
            lobby_client_leave(g->client);
            g->leaving = true;
        }
        if (!g->headless)
            draw(g);
    }
}

static int usage(FILE *to, int status)
{
    fprintf(to, "usage: lobby-example [--host HOST] [--port PORT] [--name NAME] [--lobby LOBBY]\n"
                "                     [--headless SECONDS]\n");
    return status;
}

int main(int argc, char **argv)
{
    lobby_client_config cfg;
    lobby_client_config_init(&cfg);
    cfg.name = "player";
    game g = {.x = 600.0f, .y = 400.0f, .seconds = 5.0};
    g.headless = !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO);
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0)
            return usage(stdout, 0);
        if (val == NULL)
            return usage(stderr, 2);
        if (strcmp(argv[i], "--host") == 0)
            cfg.host = val;
        else if (strcmp(argv[i], "--port") == 0 && atoi(val) > 0 && atoi(val) < 65536)
            cfg.port = (uint16_t)atoi(val);
        else if (strcmp(argv[i], "--name") == 0)
            cfg.name = val;
        else if (strcmp(argv[i], "--lobby") == 0)
            cfg.lobby = val;
        else if (strcmp(argv[i], "--headless") == 0 && atof(val) > 0)
            g.headless = true, g.seconds = atof(val);
        else {
            fprintf(stderr, "lobby-example: bad option or value: %s %s\n", argv[i], val);
            return usage(stderr, 2);
        }
        i++;
    }
    g.name = cfg.name;
    int err = lobby_client_create(&cfg, now_us(), &g.client);
    if (err != LOBBY_CLIENT_OK) {
        fprintf(stderr, "lobby-example: %s\n", lobby_client_strerror(err));
        return 1;
    }
    struct termios saved = {0};
    if (!g.headless)
        saved = raw_terminal();
    play(&g);
    if (g.headless)
        printf("summary: chats %d, positions %d\n", g.chats_seen, g.positions_seen);
    else if (tcsetattr(STDIN_FILENO, TCSANOW, &saved) == 0)
        printf("\x1b[?25h\n%s\n", g.chat[CHAT_LINES - 1]);
    lobby_client_destroy(g.client);
    return g.exit_status;
}
