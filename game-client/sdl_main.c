/* lobby-client: the SDL2 game window. Parses flags, opens the window, and
 * runs the frame loop: SDL events to intents, game_update, render_frame.
 * All game logic lives in the game model (game.c); all drawing in render.c. */
#include "cli.h"
#include "clock.h"
#include "game.h"
#include "identity.h"
#include "input.h"
#include "render.h"
#include "text.h"

#include "SDL.h"
#include "SDL_image.h"
#include "SDL_ttf.h"

#include <enet/enet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The exit statuses (README, "Playing: the game window"). */
enum {
    STATUS_OK = 0,         /* the window was closed, or the screenshot saved */
    STATUS_FAILED = 1,     /* cannot start: SDL, fonts, address, the screenshot's file */
    STATUS_USAGE = 2,      /* bad command line, an invalid --name included */
    STATUS_NO_DISPLAY = 3, /* no video device or window: no display to show it on */
    STATUS_REFUSED = 4,    /* the server refused us for good (client_reason_is_permanent) */
};

typedef struct options {
    char host[256];
    uint16_t port;
    const char *name;
    const char *lobby;
    const char *password;
    bool browse;
    const char *assets;
    const char *screenshot;
    const char *autotype;
    unsigned frames;
    unsigned fps;
    int width, height;
    game_config game;
    uint8_t token[PROTO_MAX_STR8_BYTES]; /* --token: the identity token's bytes */
    size_t token_len;
} options;

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: lobby-client --server HOST[:PORT] --name NAME [--lobby L] [options]\n"
            "The lobby game window: without --lobby it opens on the lobby browser.\n"
            "In a lobby: move with WASD or the arrow keys, Enter to chat, R ready,\n"
            "Esc back to the browser; the owner: P start, Tab pick a player, K kick,\n"
            "O give ownership.\n"
            "\n"
            "  --server HOST[:PORT]   lobby server (port defaults to %d)\n"
            "  --name NAME            your player name (1 to %d bytes of UTF-8)\n"
            "  --lobby L              join lobby L at once (e.g. '%s') instead of browsing\n"
            "  --password PW          the password of the --lobby\n"
            "  --browse               open on the lobby browser even with --lobby\n"
            "  --token FILE           present the identity token in FILE (lobby-token\n"
            "                         mint's hex line; --name must be the token's name)\n"
            "  --send-hz N            position updates per second (default 20)\n"
            "  --interp-ms N          playout delay for other players (default 100)\n"
            "  --size WxH             window size (default 1024x640)\n"
            "  --fps N                frame cap (default 60)\n"
            "  --assets DIR           where DejaVuSans.ttf and icon.bmp are\n"
            "  --screenshot FILE      render --frames frames, save the window as PNG\n"
            "                         (FILE.png) or BMP (FILE.bmp), exit\n"
            "  --frames N             frames to render before --screenshot (default 120)\n"
            "  --autotype TEXT        once joined, type TEXT into the chat and press Enter\n"
            "  --help, --version\n"
            "\n"
            "Exit status: 0 closed (or screenshot saved), 1 cannot start, 2 bad usage,\n"
            "3 no display (set DISPLAY, or SDL_VIDEODRIVER=dummy to run headless),\n"
            "4 refused by the server for a reason a retry cannot fix (name taken, ...).\n",
            PROTO_DEFAULT_PORT, PROTO_MAX_NAME_BYTES, PROTO_DEFAULT_LOBBY);
}

static int fail_usage(const char *what, const char *arg)
{
    return cli_usage_error("lobby-client", what, arg);
}

static bool parse_count(const char *text, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* The server's rule for a player name (text_check_name), checked here so
 * that a name it would refuse is a usage error before any packet is sent.
 * Returns NULL when the name is fine, else what is wrong with it (in buf
 * or a constant). */
static const char *name_problem(const char *name, char *buf, size_t cap)
{
    switch (text_check_name(name, strlen(name), PROTO_MAX_NAME_BYTES)) {
    case TEXT_OK:
        return NULL;
    case TEXT_EMPTY:
        return "--name must not be empty";
    case TEXT_TOO_LONG:
        snprintf(buf, cap, "--name is longer than %d bytes:", PROTO_MAX_NAME_BYTES);
        return buf;
    case TEXT_INVALID_UTF8:
        return "--name is not valid UTF-8:";
    case TEXT_CONTROL:
        return "--name contains control, formatting or invisible characters:";
    case TEXT_SPACING:
        return "--name must not start or end with white space or have two in a row:";
    default: /* a rule the server added since: its own words are not here */
        return "--name is not a valid player name:";
    }
}

/* --token FILE: lobby-token mint's hex line into o->token; false after a
 * usage line. */
static bool read_token(const char *path, options *o)
{
    char text[2 * PROTO_MAX_STR8_BYTES + 8];
    int n = cli_read_small_file("lobby-client", "--token", path, text, sizeof text);
    int len = n < 0 ? 0 : identity_hex_decode(text, (size_t)n, o->token, sizeof o->token);
    if (n >= 0 && len <= 0)
        fail_usage("--token FILE must hold one line of hex (lobby-token mint's output):", path);
    o->token_len = len > 0 ? (size_t)len : 0;
    return len > 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, options *o)
{
    enum {
        OPT_SERVER = 1000,
        OPT_NAME,
        OPT_LOBBY,
        OPT_PASSWORD,
        OPT_BROWSE,
        OPT_SEND_HZ,
        OPT_INTERP,
        OPT_SIZE,
        OPT_FPS,
        OPT_ASSETS,
        OPT_SCREENSHOT,
        OPT_FRAMES,
        OPT_AUTOTYPE,
        OPT_TOKEN,
        OPT_HELP,
        OPT_VERSION,
    };
    static const struct option longopts[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"name", required_argument, NULL, OPT_NAME},
        {"lobby", required_argument, NULL, OPT_LOBBY},
        {"password", required_argument, NULL, OPT_PASSWORD},
        {"browse", no_argument, NULL, OPT_BROWSE},
        {"send-hz", required_argument, NULL, OPT_SEND_HZ},
        {"interp-ms", required_argument, NULL, OPT_INTERP},
        {"size", required_argument, NULL, OPT_SIZE},
        {"fps", required_argument, NULL, OPT_FPS},
        {"assets", required_argument, NULL, OPT_ASSETS},
        {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
        {"frames", required_argument, NULL, OPT_FRAMES},
        {"autotype", required_argument, NULL, OPT_AUTOTYPE},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    bool have_server = false;
    unsigned v;
    int opt, used;
    /* A flag's value may not be empty: --lobby "" would otherwise mean the
     * browser without saying so. */
    while ((opt = cli_next_option("lobby-client", argc, argv, longopts, NULL)) != CLI_OPT_END) {
        if (opt == CLI_OPT_BAD)
            return CLI_EXIT_USAGE;
        switch (opt) {
        case OPT_SERVER:
            if (!cli_parse_host_port(optarg, PROTO_DEFAULT_PORT, o->host, sizeof o->host, &o->port))
                return fail_usage("--server must be HOST or HOST:PORT, got", optarg);
            have_server = true;
            break;
        case OPT_NAME:
            o->name = optarg;
            break;
        case OPT_LOBBY:
            o->lobby = optarg;
            break;
        case OPT_PASSWORD:
            if (strlen(optarg) > PROTO_MAX_PASSWORD_BYTES)
                return fail_usage("--password must be at most 32 bytes, got", optarg);
            o->password = optarg;
            break;
        case OPT_BROWSE:
            o->browse = true;
            break;
        case OPT_SEND_HZ:
            if (!parse_count(optarg, 1, 240, &o->game.send_hz))
                return fail_usage("--send-hz must be 1 to 240, got", optarg);
            break;
        case OPT_INTERP:
            if (!parse_count(optarg, 0, 2000, &o->game.interp_delay_ms))
                return fail_usage("--interp-ms must be 0 to 2000, got", optarg);
            break;
        case OPT_SIZE:
            used = 0;
            if (sscanf(optarg, "%dx%d%n", &o->width, &o->height, &used) != 2 ||
                optarg[used] != '\0' || o->width < 160 || o->height < 120 || o->width > 8192 ||
                o->height > 8192)
                return fail_usage("--size must be WxH from 160x120 to 8192x8192, got", optarg);
            break;
        case OPT_FPS:
            if (!parse_count(optarg, 1, 1000, &o->fps))
                return fail_usage("--fps must be 1 to 1000, got", optarg);
            break;
        case OPT_ASSETS:
            o->assets = optarg;
            break;
        case OPT_SCREENSHOT:
            if (!ends_with(optarg, ".png") && !ends_with(optarg, ".bmp"))
                return fail_usage("--screenshot writes PNG or BMP; the file name must end in "
                                  ".png or .bmp, got",
                                  optarg);
            o->screenshot = optarg;
            break;
        case OPT_FRAMES:
            if (!parse_count(optarg, 1, 1000000, &v))
                return fail_usage("--frames must be 1 to 1000000, got", optarg);
            o->frames = v;
            break;
        case OPT_AUTOTYPE:
            o->autotype = optarg;
            break;
        case OPT_TOKEN:
            if (!read_token(optarg, o))
                return STATUS_USAGE;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("lobby-client %s (protocol %d)\n", LOBBY_VERSION, PROTO_VERSION);
            return 0;
        }
    }
    if (optind < argc)
        return fail_usage("unexpected argument", argv[optind]);
    if (!have_server || o->name == NULL)
        return fail_usage("--server and --name are required", NULL);
    char why[64];
    const char *bad_name = name_problem(o->name, why, sizeof why);
    if (bad_name != NULL)
        return fail_usage(bad_name, o->name[0] != '\0' ? o->name : NULL);
    if (o->lobby && strlen(o->lobby) > 255)
        return fail_usage("--lobby must be at most 255 bytes", NULL);
    return -1;
}

/* The assets folder: --assets, $LOBBY_ASSETS, next to an installed binary
 * (bin/../share/lobby), the source tree, then the install prefix. */
static bool find_assets(const char *given, char *out, size_t cap)
{
    char installed[1024] = "";
    char *base = SDL_GetBasePath();
    if (base != NULL) {
        snprintf(installed, sizeof installed, "%s../share/lobby", base);
        SDL_free(base);
    }
    const char *candidates[] = {given, getenv("LOBBY_ASSETS"), installed, LOBBY_ASSETS_SOURCE_DIR,
                                LOBBY_ASSETS_INSTALL_DIR};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (candidates[i] == NULL || candidates[i][0] == '\0')
            continue;
        snprintf(out, cap, "%s/DejaVuSans.ttf", candidates[i]);
        if (access(out, R_OK) == 0) {
            snprintf(out, cap, "%s", candidates[i]);
            return true;
        }
        if (candidates[i] == given)
            break; /* an explicit folder that lacks the font is an error, not a hint */
    }
    return false;
}

static void print_notice(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "lobby-client: %s\n", line);
}

/* ---- the display ------------------------------------------------------------ */

/* SDL's video drivers that show nothing to anyone. */
static bool driver_is_invisible(const char *driver)
{
    static const char *const invisible[] = {"offscreen", "dummy", "evdev"};
    for (size_t i = 0; driver != NULL && i < sizeof invisible / sizeof invisible[0]; i++)
        if (strcmp(driver, invisible[i]) == 0)
            return true;
    return false;
}

/* Whether libwayland would even look for a compositor: without
 * WAYLAND_SOCKET, or WAYLAND_DISPLAY as an absolute path, it needs an
 * absolute XDG_RUNTIME_DIR, and when that is missing it prints "error:
 * XDG_RUNTIME_DIR is invalid or not set in the environment." and fails. */
static bool wayland_possible(void)
{
    const char *socket = getenv("WAYLAND_SOCKET");
    const char *display = getenv("WAYLAND_DISPLAY");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    return (socket != NULL && socket[0] != '\0') || (display != NULL && display[0] == '/') ||
           (runtime != NULL && runtime[0] == '/');
}

/* Left to itself, SDL tries every video driver it has until one starts.
 * With no display that ends in "offscreen": a window nobody sees, and a
 * client that runs on unseen. On the way, its Wayland probe makes
 * libwayland print the XDG_RUNTIME_DIR error above whenever DISPLAY is
 * unset or its X server is gone. Unless the user named a driver
 * (SDL_VIDEODRIVER, e.g. dummy for a headless run), offer SDL only the
 * drivers that show a window, and Wayland only where libwayland can try. */
static void choose_video_drivers(void)
{
    const char *named = SDL_GetHint(SDL_HINT_VIDEODRIVER); /* also $SDL_VIDEODRIVER */
    if (named != NULL && named[0] != '\0')
        return;
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < SDL_GetNumVideoDrivers(); i++) {
        const char *d = SDL_GetVideoDriver(i);
        if (d == NULL || driver_is_invisible(d) ||
            (strcmp(d, "wayland") == 0 && !wayland_possible()))
            continue;
        int n = snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", d);
        if (n < 0 || (size_t)n >= sizeof list - used)
            break;
        used += (size_t)n;
    }
    /* Nothing left (an SDL built with no display driver): a name no driver
     * has, so that SDL_VideoInit fails rather than falls back to offscreen. */
    SDL_SetHint(SDL_HINT_VIDEODRIVER, used > 0 ? list : "none");
}

/* One line on stderr: what failed, SDL's reason, and what to do. */
static void say_no_display(const char *what)
{
    const char *display = getenv("DISPLAY");
    const char *wayland = getenv("WAYLAND_DISPLAY");
    fprintf(stderr,
            "lobby-client: %s: no display (DISPLAY%s%s, WAYLAND_DISPLAY%s%s; SDL: %s); "
            "run it on a desktop, or set DISPLAY to a running X server, or "
            "SDL_VIDEODRIVER=dummy for a headless run\n",
            what, display ? "=" : " unset", display ? display : "", wayland ? "=" : " unset",
            wayland ? wayland : "", SDL_GetError());
}

/* ---- the window ------------------------------------------------------------- */

typedef struct app {
    options *o;
    SDL_Window *window;
    SDL_Renderer *sdl;
    renderer *draw;
    game *g;
    ui_state ui;
    game_input held;
    bool autotyped;
    bool headless; /* SDL_VIDEODRIVER named a driver that shows nothing */
} app;

/* PNG for FILE.png, BMP for FILE.bmp (parse_options allows only those). */
static bool save_screenshot(SDL_Renderer *sdl, const char *path)
{
    int w, h;
    SDL_GetRendererOutputSize(sdl, &w, &h);
    SDL_Surface *shot = SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24);
    bool ok =
        shot != NULL &&
        SDL_RenderReadPixels(sdl, NULL, SDL_PIXELFORMAT_RGB24, shot->pixels, shot->pitch) == 0 &&
        (ends_with(path, ".png") ? IMG_SavePNG(shot, path) : SDL_SaveBMP(shot, path)) == 0;
    if (!ok)
        fprintf(stderr, "lobby-client: cannot save screenshot %s: %s\n", path, SDL_GetError());
    SDL_FreeSurface(shot);
    return ok;
}

/* Sleeps until the next frame is due, but services the network as soon as
 * a packet arrives, so measured round trips do not grow with frame time. */
static void wait_for_next_frame(app *a, uint64_t *next_frame_us, uint64_t frame_us)
{
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= *next_frame_us) {
            *next_frame_us =
                now - *next_frame_us > frame_us ? now + frame_us : *next_frame_us + frame_us;
            return;
        }
        int wait_ms = (int)((*next_frame_us - now + 999) / 1000);
        struct pollfd pfd = {.fd = game_fd(a->g), .events = POLLIN};
        if (pfd.fd < 0)
            SDL_Delay((Uint32)wait_ms);
        else if (poll(&pfd, 1, wait_ms) > 0)
            game_update(a->g, clock_now_us(), &a->held);
    }
}

/* The frame loop. Returns the exit status. Once the server has refused us
 * for good (GAME_STOPPED) a window stays open showing why until the player
 * closes it; a --screenshot or headless run ends at once (the screenshot,
 * saved first, shows the reason). Either way the status is STATUS_REFUSED. */
static int run(app *a)
{
    uint64_t frame_us = 1000000u / a->o->fps;
    uint64_t next_frame_us = clock_now_us() + frame_us;
    for (unsigned frame = 1;; frame++) {
        SDL_GetRendererOutputSize(a->sdl, &a->ui.width, &a->ui.height);
        input_sync_screen(&a->ui, a->g);
        bool stopped = game_get_view(a->g)->conn == GAME_STOPPED;
        SDL_Event ev;
        while (SDL_PollEvent(&ev))
            if (!input_handle_event(&a->ui, a->g, &ev))
                return stopped ? STATUS_REFUSED : STATUS_OK;
        if (a->o->autotype != NULL && !a->autotyped && game_get_view(a->g)->conn == GAME_JOINED) {
            input_inject_chat(a->o->autotype);
            a->autotyped = true;
        }
        input_movement(&a->ui, &a->held);
        game_update(a->g, clock_now_us(), &a->held);
        stopped = game_get_view(a->g)->conn == GAME_STOPPED;
        int w, h;
        SDL_GetRendererOutputSize(a->sdl, &w, &h);
        render_frame(a->draw, game_get_view(a->g), &a->ui, w, h);
        if (a->o->screenshot != NULL && (frame >= a->o->frames || stopped)) {
            bool saved = save_screenshot(a->sdl, a->o->screenshot);
            return stopped ? STATUS_REFUSED : saved ? STATUS_OK : STATUS_FAILED;
        }
        if (stopped && a->headless)
            return STATUS_REFUSED;
        SDL_RenderPresent(a->sdl);
        wait_for_next_frame(a, &next_frame_us, frame_us);
    }
}

/* Window, renderer, font and icon. Returns 0, or the exit status after
 * printing why. */
static int open_window(app *a, const char *assets)
{
    a->window = SDL_CreateWindow("Lobby", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                 a->o->width, a->o->height, SDL_WINDOW_RESIZABLE);
    if (a->window == NULL) {
        say_no_display("cannot open a window");
        return STATUS_NO_DISPLAY;
    }
    a->sdl = SDL_CreateRenderer(a->window, -1, SDL_RENDERER_PRESENTVSYNC);
    if (a->sdl == NULL)
        a->sdl = SDL_CreateRenderer(a->window, -1, SDL_RENDERER_SOFTWARE);
    if (a->sdl == NULL) {
        fprintf(stderr, "lobby-client: cannot create a renderer: %s\n", SDL_GetError());
        return STATUS_FAILED;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/icon.bmp", assets);
    SDL_Surface *icon = SDL_LoadBMP(path);
    if (icon != NULL) {
        SDL_SetWindowIcon(a->window, icon);
        SDL_FreeSurface(icon);
    }
    snprintf(path, sizeof path, "%s/DejaVuSans.ttf", assets);
    a->draw = renderer_create(a->sdl, path);
    return a->draw != NULL ? STATUS_OK : STATUS_FAILED;
}

static void close_window(app *a)
{
    renderer_destroy(a->draw);
    if (a->sdl != NULL)
        SDL_DestroyRenderer(a->sdl);
    if (a->window != NULL)
        SDL_DestroyWindow(a->window);
}

static int start(options *o)
{
    char assets[1024];
    if (!find_assets(o->assets, assets, sizeof assets)) {
        fprintf(stderr, "lobby-client: cannot find DejaVuSans.ttf in %s; use --assets DIR\n",
                o->assets ? o->assets : "any assets folder");
        return STATUS_FAILED;
    }
    app a = {.o = o, .headless = driver_is_invisible(SDL_GetCurrentVideoDriver())};
    int status = open_window(&a, assets);
    if (status == STATUS_OK) {
        int err = game_create(&o->game, clock_now_us(), &a.g);
        if (err == CLIENT_OK) {
            status = run(&a);
        } else {
            fprintf(stderr, "lobby-client: %s: %s\n", o->host, client_strerror(err));
            status = STATUS_FAILED;
        }
        game_destroy(a.g);
    }
    close_window(&a);
    return status;
}

int main(int argc, char **argv)
{
    options o = {
        .port = PROTO_DEFAULT_PORT, .frames = 120, .fps = 60, .width = 1024, .height = 640};
    game_config_defaults(&o.game);
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    o.game.client.host = o.host;
    o.game.client.port = o.port;
    o.game.client.name = o.name;
    o.game.client.lobby = o.lobby;
    o.game.client.password = o.password;
    o.game.client.browse = o.browse || o.lobby == NULL;
    o.game.client.identity_token = o.token;
    o.game.client.identity_token_len = o.token_len;
    o.game.notify = print_notice;
    if (enet_initialize() != 0) {
        fprintf(stderr, "lobby-client: cannot initialise ENet\n");
        return STATUS_FAILED;
    }
    /* Video and events only: the client makes no sound, and SDL's audio
     * drivers have their own ways of failing and printing. */
    choose_video_drivers();
    if (SDL_Init(SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "lobby-client: cannot initialise SDL: %s\n", SDL_GetError());
        SDL_Quit();
        enet_deinitialize();
        return STATUS_FAILED;
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        say_no_display("cannot open a video device");
        status = STATUS_NO_DISPLAY;
    } else {
        status = start(&o);
    }
    TTF_Quit();
    SDL_Quit();
    enet_deinitialize();
    return status;
}
