/* The game window end to end, headless: the real lobby-server, a bot on the
 * client core, and `lobby-client --screenshot` under SDL's dummy video
 * driver. The bot's avatar must be in the picture (a PNG, read back), and a
 * chat typed through injected SDL key and text events must reach the bot
 * and be acknowledged. A start prints no library's complaint, and a name
 * the bot holds ends the client at once with the server's reason. */
#include "client.h"
#include "clock.h"
#include "render.h"
#include "server_proc.h"

#include "SDL.h"
#include "SDL_image.h"

#include <enet/enet.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

enum { SHOT_W = 800, SHOT_H = 500 };
#define BOT_X 600.0f
#define BOT_Y 400.0f
#define TYPED "hello from the window ✓"

typedef struct bot {
    client *c;
    bool got_chat;
    char chat_from[PROTO_MAX_NAME_BYTES + 1];
    char chat_text[PROTO_MAX_CHAT_BYTES + 1];
} bot;

/* One pass of the bot: network in and out, events recorded. */
static void bot_pump(bot *b)
{
    struct pollfd pfd = {.fd = client_fd(b->c), .events = POLLIN};
    poll(&pfd, 1, 5);
    client_update(b->c, clock_now_us());
    client_event ev;
    while (client_next_event(b->c, &ev)) {
        if (ev.type != CLIENT_EV_CHAT)
            continue;
        const client_player *p = client_find_player(b->c, ev.chat.player_id);
        snprintf(b->chat_from, sizeof b->chat_from, "%s", p ? p->name : "?");
        snprintf(b->chat_text, sizeof b->chat_text, "%s", ev.text);
        b->got_chat = true;
    }
}

static bool bot_join(bot *b, uint16_t port)
{
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = port;
    cfg.name = "bot";
    if (client_create(&cfg, clock_now_us(), &b->c) != CLIENT_OK)
        return false;
    for (uint64_t end = clock_now_us() + 5000000; clock_now_us() < end;) {
        bot_pump(b);
        if (client_get_view(b->c)->state == CLIENT_JOINED)
            return client_send_position(b->c, BOT_X, BOT_Y, clock_now_us()) == CLIENT_OK;
    }
    return false;
}

/* Runs lobby-client to its screenshot while the bot keeps talking; returns
 * its exit status (-1 when it had to be killed). Browsing: without --lobby
 * (the lobby browser) and without typing. */
static int run_window_as(bot *b, uint16_t port, const char *name, const char *shot, const char *log,
                         bool browsing)
{
    char server_arg[32];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)port);
    char *argv[] = {LOBBY_CLIENT_PATH,
                    "--server",
                    server_arg,
                    "--name",
                    (char *)name,
                    "--size",
                    "800x500",
                    "--frames",
                    "90",
                    "--screenshot",
                    (char *)shot,
                    "--lobby",
                    "main",
                    "--autotype",
                    TYPED,
                    NULL};
    if (browsing)
        argv[11] = NULL; /* from --lobby on */
    /* The headless run the docs describe; no SDL_AUDIODRIVER: the client
     * must not need one. XDG_RUNTIME_DIR unset, as in a CI job or a root
     * shell, where libwayland would complain if anything asked it. */
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    unsetenv("SDL_AUDIODRIVER");
    unsetenv("XDG_RUNTIME_DIR");
    setenv("SDL_RENDER_DRIVER", "software", 1);
    pid_t pid = spawn_logged(argv, log);
    int status = 0;
    for (uint64_t end = clock_now_us() + 60000000; clock_now_us() < end;) {
        bot_pump(b);
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int run_window(bot *b, uint16_t port, const char *shot, const char *log, bool browsing)
{
    return run_window_as(b, port, "viewer", shot, log, browsing);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A real PNG of this size: the signature, then IHDR first with the width
 * and height. */
static void assert_png_of_size(const char *path, uint32_t w, uint32_t h)
{
    uint8_t head[24];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(head + 12, "IHDR", 4);
    assert_int_equal(be32(head + 16), w);
    assert_int_equal(be32(head + 20), h);
}

/* How often needle occurs in text. */
static int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static uint32_t pixel_at(SDL_Surface *s, int x, int y)
{
    uint32_t argb = ((const uint32_t *)((const uint8_t *)s->pixels + y * s->pitch))[x];
    return argb & 0xFFFFFF;
}

/* A test's fixture: the real server and the bot joined to lobby main, and
 * where lobby-client's screenshot and log go. */
typedef struct window_run {
    server_proc sp;
    bot b;
    char shot[64], log[64];
} window_run;

/* A test's files, its prestate: /tmp/lobby-e2e<tag>-PID.<ext> and .log. */
typedef struct run_files {
    const char *tag, *ext;
} run_files;

static int window_setup(void **state)
{
    const run_files *files = *state;
    window_run *w = calloc(1, sizeof *w);
    assert_non_null(w);
    *state = w;
    snprintf(w->shot, sizeof w->shot, "/tmp/lobby-e2e%s-%d.%s", files->tag, (int)getpid(),
             files->ext);
    snprintf(w->log, sizeof w->log, "/tmp/lobby-e2e%s-%d.log", files->tag, (int)getpid());
    assert_int_equal(enet_initialize(), 0);
    assert_true(server_proc_start(&w->sp, NULL));
    assert_true(bot_join(&w->b, w->sp.port));
    return 0;
}

static int window_teardown(void **state)
{
    window_run *w = *state;
    unlink(w->shot);
    unlink(w->log);
    client_destroy(w->b.c);
    server_proc_stop(&w->sp, NULL, NULL);
    enet_deinitialize();
    free(w);
    return 0;
}

static void test_window_shows_bot_and_chat_is_acknowledged(void **state)
{
    window_run *w = *state;
    uint32_t bot_colour = client_find_player(w->b.c, client_get_view(w->b.c)->my_id)->colour;

    char out[16384];
    int status = run_window(&w->b, w->sp.port, w->shot, w->log, false);
    read_text_file(w->log, out, sizeof out);
    if (status != 0)
        fail_msg("lobby-client exited %d:\n%s", status, out);

    /* The typed chat went through the window's input path to the server. */
    for (uint64_t end = clock_now_us() + 2000000; !w->b.got_chat && clock_now_us() < end;)
        bot_pump(&w->b);
    assert_true(w->b.got_chat);
    assert_string_equal(w->b.chat_from, "viewer");
    assert_string_equal(w->b.chat_text, TYPED);
    assert_non_null(strstr(out, "acknowledged by the server"));
    assert_null(strstr(out, "XDG_RUNTIME_DIR"));
    assert_null(strstr(out, "error"));

    /* The bot's avatar is drawn where the layout puts its position, in a
     * PNG that SDL_image reads back. */
    assert_png_of_size(w->shot, SHOT_W, SHOT_H);
    SDL_Surface *raw = IMG_Load(w->shot);
    assert_non_null(raw);
    SDL_Surface *img = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    assert_int_equal(img->w, SHOT_W);
    assert_int_equal(img->h, SHOT_H);
    render_layout layout;
    render_layout_for(SHOT_W, SHOT_H, &layout);
    int sx, sy;
    render_world_to_screen(&layout, BOT_X, BOT_Y, &sx, &sy);
    assert_int_equal(pixel_at(img, sx, sy), bot_colour);

    SDL_FreeSurface(img);
    SDL_FreeSurface(raw);
}

/* Without --lobby the window opens on the lobby browser: the name filter is
 * focused, and the first row is lobby main (the bot's), drawn as text. */
static void test_window_without_lobby_opens_the_browser(void **state)
{
    window_run *w = *state;
    char out[16384];
    int status = run_window(&w->b, w->sp.port, w->shot, w->log, true);
    read_text_file(w->log, out, sizeof out);
    if (status != 0)
        fail_msg("lobby-client exited %d:\n%s", status, out);

    SDL_Surface *raw = SDL_LoadBMP(w->shot);
    assert_non_null(raw);
    SDL_Surface *img = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    browser_layout l;
    render_browser_layout(SHOT_W, SHOT_H, NULL, &l);
    SDL_Rect name = l.fields[BROWSER_FIELD_FILTER_NAME];
    assert_int_equal(pixel_at(img, name.x + name.w / 2, name.y), RENDER_ACCENT);
    SDL_Rect row = render_browser_row(&l, 0);
    int bright = 0;
    for (int y = row.y; y < row.y + row.h; y++)
        for (int x = row.x; x < row.x + row.w; x++) {
            uint32_t p = pixel_at(img, x, y);
            if (((p >> 16) & 0xFF) + ((p >> 8) & 0xFF) + (p & 0xFF) > 500)
                bright++;
        }
    assert_true(bright > 50);
    assert_null(strstr(out, "In lobby")); /* it never joined one */

    SDL_FreeSurface(img);
    SDL_FreeSurface(raw);
}

/* The bot holds the name: the server refuses it for good, so lobby-client
 * does not retry. It says why once, saves its screenshot (the window showing
 * the reason) and exits 4 at once, without waiting for its 90 frames. */
static void test_name_taken_ends_the_window_with_the_reason(void **state)
{
    window_run *w = *state;
    char out[16384];
    int status = run_window_as(&w->b, w->sp.port, "bot", w->shot, w->log, false);
    read_text_file(w->log, out, sizeof out);
    if (status != 4)
        fail_msg("lobby-client exited %d:\n%s", status, out);
    assert_int_equal(count_in(out, "name 'bot' is taken in lobby 'main'"), 1);
    assert_int_equal(count_in(out, "not retrying"), 1);
    assert_null(strstr(out, "retrying in"));
    assert_null(strstr(out, "Reconnecting"));
    SDL_Surface *img = SDL_LoadBMP(w->shot);
    assert_non_null(img);
    assert_int_equal(img->w, SHOT_W);

    SDL_FreeSurface(img);
}

int main(void)
{
    run_files browse = {"-browse", "bmp"}, shows = {"", "png"}, taken = {"-taken", "bmp"};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_window_without_lobby_opens_the_browser,
                                                 window_setup, window_teardown, &browse),
        cmocka_unit_test_prestate_setup_teardown(test_window_shows_bot_and_chat_is_acknowledged,
                                                 window_setup, window_teardown, &shows),
        cmocka_unit_test_prestate_setup_teardown(test_name_taken_ends_the_window_with_the_reason,
                                                 window_setup, window_teardown, &taken),
    };
    return cmocka_run_group_tests_name("lobby-client end to end", tests, NULL, NULL);
}
