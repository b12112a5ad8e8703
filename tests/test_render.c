/* Rendering tests: draw a hand-built game_view with the software renderer on
 * an ARGB8888 surface (no window, no video driver) and check pixels.
 * Set LOBBY_RENDER_DUMP=/path/frame.bmp to save the reference frame. */
#include "render.h"
#include "render_target.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#define FONT_PATH LOBBY_ASSETS_SOURCE_DIR "/DejaVuSans.ttf"

enum { FRAME_W = 800, FRAME_H = 500 };

enum {
    ALICE = 0xE85D5D, /* us */
    BOB = 0x4FC3F7,
    CAROL = 0x7ED36A,
};

typedef struct fixture {
    render_target t; /* first, for render_target_group_setup; pixels after draw() */
    chat_log log;
    game_view view;
    ui_state ui;
} fixture;

static void add_avatar(game_view *v, uint16_t id, const char *name, uint32_t colour, float x,
                       float y, bool me, bool has_link, uint16_t rtt_ms)
{
    game_avatar *a = &v->avatars[v->avatar_count++];
    memset(a, 0, sizeof *a);
    a->id = id;
    a->colour = colour;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->x = x;
    a->y = y;
    a->is_me = me;
    a->has_link = has_link;
    a->rtt_ms = rtt_ms;
}

/* Three players, a chat with every kind of line, joined. */
static void build_view(fixture *f)
{
    memset(&f->view, 0, sizeof f->view);
    memset(&f->ui, 0, sizeof f->ui);
    chat_log_init(&f->log);

    game_view *v = &f->view;
    v->conn = GAME_JOINED;
    snprintf(v->status, sizeof v->status, "Joined lobby main on 127.0.0.1:7777");
    snprintf(v->lobby, sizeof v->lobby, "main");
    v->capacity = 16;
    v->rtt_ms = 23;
    add_avatar(v, 1, "alice", ALICE, 300.0f, 250.0f, true, true, 23);
    add_avatar(v, 2, "bob", BOB, 850.0f, 300.0f, false, true, 141);
    add_avatar(v, 3, "carol", CAROL, 600.0f, 600.0f, false, false, 0);

    chat_log *log = &f->log;
    chat_log_system(log, "Connected to %s", "127.0.0.1:7777");
    chat_log_system(log, "%s joined", "carol");
    chat_log_message(log, "bob", BOB, 1, "hi alice! welcome to the lobby");
    chat_log_own(log, "alice", ALICE, 1, "hello bob", strlen("hello bob"));
    chat_log_ack(log, 1, 2);
    chat_log_message(log, "carol", CAROL, 3,
                     "has anyone tried walking into the far corner? the grid lines look "
                     "different there, and this line is long enough to wrap");
    chat_log_own(log, "alice", ALICE, 2, "spam spam spam", strlen("spam spam spam"));
    chat_log_refuse(log, 2, "rate limited");
    chat_log_own(log, "alice", ALICE, 3, "still on its way", strlen("still on its way"));
    v->chat = log;
}

static void draw_at(fixture *f, int w, int h)
{
    render_frame(f->t.r, &f->view, &f->ui, w, h);
    render_target_read(&f->t);
}

static void draw(fixture *f)
{
    draw_at(f, FRAME_W, FRAME_H);
}

static uint32_t rgb_at(const fixture *f, int x, int y)
{
    return render_target_rgb_at(&f->t, x, y);
}

static int channel_diff(uint32_t a, uint32_t b)
{
    int d = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
        int c = abs((int)((a >> shift) & 0xFF) - (int)((b >> shift) & 0xFF));
        if (c > d)
            d = c;
    }
    return d;
}

/* Pixels in rc whose every channel is within tolerance of rgb. */
static int count_near(const fixture *f, SDL_Rect rc, uint32_t rgb, int tolerance)
{
    int n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++)
            if (channel_diff(rgb_at(f, x, y), rgb) <= tolerance)
                n++;
    return n;
}

/* Pixels in rc brighter than any panel or floor colour: text. */
static int count_bright(const fixture *f, SDL_Rect rc)
{
    return render_target_count_bright(&f->t, rc);
}

static const game_avatar *avatar_named(const fixture *f, const char *name)
{
    for (int i = 0; i < f->view.avatar_count; i++)
        if (strcmp(f->view.avatars[i].name, name) == 0)
            return &f->view.avatars[i];
    fail_msg("no avatar %s", name);
    return NULL;
}

static int group_setup(void **state)
{
    return render_target_group_setup(state, sizeof(fixture), FRAME_W, FRAME_H, FONT_PATH);
}

static int setup(void **state)
{
    build_view(*state);
    return 0;
}

/* ---- layout ------------------------------------------------------------ */

static const int sizes[][2] = {{320, 200}, {800, 500}, {1200, 800}, {1920, 1080}, {1024, 768}};

static bool inside(SDL_Rect inner, int w, int h)
{
    return inner.x >= 0 && inner.y >= 0 && inner.w >= 0 && inner.h >= 0 && inner.x + inner.w <= w &&
           inner.y + inner.h <= h;
}

static void test_layout_keeps_every_rect_inside_the_window(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        render_layout l;
        render_layout_for(w, h, &l);
        assert_true(inside(l.room, w, h));
        assert_true(inside(l.sidebar, w, h));
        assert_true(inside(l.chat, w, h));
        assert_true(inside(l.status, w, h));
        assert_true(l.room.w > 0 && l.room.h > 0);
    }
}

static bool overlap(SDL_Rect a, SDL_Rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void test_layout_room_does_not_overlap_panels(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        render_layout l;
        render_layout_for(sizes[i][0], sizes[i][1], &l);
        assert_false(overlap(l.room, l.sidebar));
        assert_false(overlap(l.room, l.chat));
        assert_false(overlap(l.room, l.status));
        assert_false(overlap(l.chat, l.sidebar));
    }
}

static void test_layout_keeps_world_aspect(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        render_layout l;
        render_layout_for(sizes[i][0], sizes[i][1], &l);
        /* room.w / room.h == 1200 / 800 within a pixel */
        float expect_w = (float)l.room.h * PROTO_WORLD_WIDTH / PROTO_WORLD_HEIGHT;
        assert_true(fabsf((float)l.room.w - expect_w) <= 1.0f);
        assert_true(fabsf((float)l.room.w - PROTO_WORLD_WIDTH * l.scale) <= 1.0f);
        assert_true(fabsf((float)l.room.h - PROTO_WORLD_HEIGHT * l.scale) <= 1.0f);
    }
}

static void test_layout_panels_have_their_nominal_sizes(void **state)
{
    (void)state;
    render_layout l;
    render_layout_for(1200, 800, &l);
    assert_int_equal(l.status.h, 24);
    assert_int_equal(l.sidebar.w, 220);
    assert_int_equal(l.chat.h, 170);
    assert_int_equal(l.sidebar.x + l.sidebar.w, 1200);
    assert_int_equal(l.chat.y + l.chat.h, 800);
}

static void test_layout_tiny_windows_have_no_negative_sizes(void **state)
{
    (void)state;
    static const int tiny[][2] = {{0, 0}, {1, 1}, {50, 40}, {10, 300}, {300, 10}, {-5, -7}};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        render_layout l;
        render_layout_for(tiny[i][0], tiny[i][1], &l);
        SDL_Rect all[] = {l.room, l.sidebar, l.chat, l.status};
        for (size_t k = 0; k < 4; k++) {
            assert_true(all[k].w >= 0 && all[k].h >= 0);
            assert_true(all[k].x >= 0 && all[k].y >= 0);
        }
        assert_true(l.scale >= 0.0f);
    }
}

static void test_world_corners_map_to_room_corners(void **state)
{
    (void)state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    int x, y;
    render_world_to_screen(&l, 0.0f, 0.0f, &x, &y);
    assert_int_equal(x, l.room.x);
    assert_int_equal(y, l.room.y);
    render_world_to_screen(&l, PROTO_WORLD_WIDTH, PROTO_WORLD_HEIGHT, &x, &y);
    assert_true(abs(x - (l.room.x + l.room.w)) <= 1);
    assert_true(abs(y - (l.room.y + l.room.h)) <= 1);
}

/* ---- the room ---------------------------------------------------------- */

static void test_avatar_centres_have_their_colours(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    for (int i = 0; i < f->view.avatar_count; i++) {
        const game_avatar *a = &f->view.avatars[i];
        int x, y;
        render_world_to_screen(&l, a->x, a->y, &x, &y);
        assert_int_equal(rgb_at(f, x, y), a->colour);
    }
}

/* A player whose seat is held while it reconnects is drawn faded: its centre
 * is neither its colour nor the floor, but between them. */
static void test_reconnecting_avatar_is_faded(void **state)
{
    fixture *f = *state;
    game_avatar *a = NULL;
    for (int i = 0; i < f->view.avatar_count && a == NULL; i++)
        if (!f->view.avatars[i].is_me)
            a = &f->view.avatars[i];
    a->reconnecting = true;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    int x, y;
    render_world_to_screen(&l, a->x, a->y, &x, &y);
    uint32_t got = rgb_at(f, x, y);
    assert_int_not_equal(got, a->colour);
    assert_true(channel_diff(got, a->colour) > 40);
    assert_true(channel_diff(got, RENDER_ROOM_FLOOR) > 10);
}

static void test_room_floor_has_floor_colour(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    /* well away from avatars, labels and grid lines */
    int x, y;
    render_world_to_screen(&l, 120.0f, 720.0f, &x, &y);
    assert_int_equal(rgb_at(f, x, y), RENDER_ROOM_FLOOR);
    assert_true(count_near(f, l.room, RENDER_ROOM_FLOOR, 0) > l.room.w * l.room.h / 2);
}

static void test_own_avatar_has_white_ring(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    const game_avatar *me = avatar_named(f, "alice");
    int x, y;
    render_world_to_screen(&l, me->x, me->y, &x, &y);
    int d = RENDER_AVATAR_RADIUS + 4;
    assert_int_equal(rgb_at(f, x + d, y), RENDER_OWN_MARKER);
    assert_int_equal(rgb_at(f, x - d, y), RENDER_OWN_MARKER);
    assert_int_equal(rgb_at(f, x, y + d), RENDER_OWN_MARKER);
}

static void test_other_avatars_have_no_white_ring(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    const char *others[] = {"bob", "carol"};
    for (size_t i = 0; i < 2; i++) {
        const game_avatar *a = avatar_named(f, others[i]);
        int x, y;
        render_world_to_screen(&l, a->x, a->y, &x, &y);
        int d = RENDER_AVATAR_RADIUS + 4;
        SDL_Rect around = {x - d - 1, y - d - 1, 2 * d + 3, 2 * d + 3};
        /* the name label sits above; look at the ring's lower half */
        around.y = y;
        around.h = d + 2;
        assert_int_equal(count_near(f, around, RENDER_OWN_MARKER, 0), 0);
        assert_int_not_equal(rgb_at(f, x + d, y), RENDER_OWN_MARKER);
    }
}

static void test_avatar_names_are_drawn_above(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    const game_avatar *bob = avatar_named(f, "bob");
    int x, y;
    render_world_to_screen(&l, bob->x, bob->y, &x, &y);
    SDL_Rect label = {x - 40, y - RENDER_AVATAR_RADIUS - 24, 80, 20};

    draw(f);
    int with_name = count_bright(f, label);
    snprintf(f->view.avatars[1].name, sizeof f->view.avatars[1].name, "%s", "");
    draw(f);
    int without = count_bright(f, label);
    assert_true(with_name > 20);
    assert_true(without < with_name / 4);
}

/* ---- sidebar ----------------------------------------------------------- */

static void test_sidebar_shows_each_colour_swatch(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    for (int i = 0; i < f->view.avatar_count; i++)
        assert_true(count_near(f, l.sidebar, f->view.avatars[i].colour, 0) >= 50);
}

static void test_sidebar_lists_players_as_text(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    draw(f);
    int three = count_bright(f, l.sidebar);
    f->view.avatar_count = 1;
    draw(f);
    int one = count_bright(f, l.sidebar);
    assert_true(three > one + 200);
}

/* ---- status line ------------------------------------------------------- */

typedef enum hue { HUE_GREEN, HUE_YELLOW, HUE_RED } hue;

/* Saturated pixels of one hue in rc. */
static int count_hue(const fixture *f, SDL_Rect rc, hue want)
{
    int n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++) {
            uint32_t p = rgb_at(f, x, y);
            int r = (p >> 16) & 0xFF, g = (p >> 8) & 0xFF, b = p & 0xFF;
            bool match = want == HUE_GREEN    ? g > r + 60 && g > b + 40
                         : want == HUE_YELLOW ? r > 180 && g > 150 && b < 110
                                              : r > g + 80 && r > b + 80;
            if (match)
                n++;
        }
    return n;
}

static void test_status_line_is_colour_coded(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);

    f->view.conn = GAME_JOINED;
    draw(f);
    assert_true(count_hue(f, l.status, HUE_GREEN) > 50);
    assert_int_equal(count_hue(f, l.status, HUE_RED), 0);

    f->view.conn = GAME_WAITING_RETRY;
    snprintf(f->view.status, sizeof f->view.status, "Lost the server; retrying in 4 s");
    draw(f);
    assert_true(count_hue(f, l.status, HUE_RED) > 50);
    assert_int_equal(count_hue(f, l.status, HUE_GREEN), 0);

    f->view.conn = GAME_CONNECTING;
    draw(f);
    assert_true(count_hue(f, l.status, HUE_YELLOW) > 50);
    assert_int_equal(count_hue(f, l.status, HUE_RED), 0);
}

static void test_status_line_shows_rtt_only_when_joined(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    SDL_Rect right = {l.status.x + l.status.w - 100, l.status.y, 100, l.status.h};
    snprintf(f->view.status, sizeof f->view.status, "ok");
    draw(f);
    int joined = count_bright(f, right);
    f->view.conn = GAME_CONNECTING;
    draw(f);
    int connecting = count_bright(f, right);
    assert_true(joined > 30);
    assert_int_equal(connecting, 0);
}

/* ---- chat -------------------------------------------------------------- */

static void test_chat_panel_shows_text(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    draw(f);
    int with_log = count_bright(f, l.chat);
    chat_log_init(&f->log);
    draw(f);
    int empty = count_bright(f, l.chat);
    assert_true(with_log > 1000);
    assert_true(with_log > empty + 1000);
}

static void test_chat_names_use_sender_colour(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    draw(f);
    assert_true(count_near(f, l.chat, BOB, 24) > 10);
    assert_true(count_near(f, l.chat, CAROL, 24) > 10);
}

static void test_chat_refused_line_is_red(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    /* a blue sender, so that only the refusal can be red */
    chat_log_init(&f->log);
    chat_log_own(&f->log, "alice", BOB, 9, "too fast", strlen("too fast"));
    chat_log_refuse(&f->log, 9, "rate limited");
    draw(f);
    int refused = count_hue(f, l.chat, HUE_RED);
    chat_log_init(&f->log);
    chat_log_own(&f->log, "alice", BOB, 9, "too fast", strlen("too fast"));
    chat_log_ack(&f->log, 9, 10);
    draw(f);
    assert_true(refused > 100);
    assert_int_equal(count_hue(f, l.chat, HUE_RED), 0);
}

static void test_chat_long_lines_stay_inside_the_panel(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    chat_log_init(&f->log);
    draw(f);
    uint32_t *before = malloc((size_t)FRAME_W * FRAME_H * sizeof *before);
    assert_non_null(before);
    memcpy(before, f->t.pixels, (size_t)FRAME_W * FRAME_H * sizeof *before);

    char longest[PROTO_MAX_CHAT_BYTES + 1];
    for (size_t i = 0; i < PROTO_MAX_CHAT_BYTES; i++)
        longest[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 26);
    longest[PROTO_MAX_CHAT_BYTES] = '\0';
    char unbroken[PROTO_MAX_CHAT_BYTES + 1];
    memset(unbroken, 'W', PROTO_MAX_CHAT_BYTES);
    unbroken[PROTO_MAX_CHAT_BYTES] = '\0';
    chat_log_message(&f->log, "bob", BOB, 1, unbroken);
    chat_log_message(&f->log, "bob", BOB, 2, longest);
    memcpy(f->ui.input, unbroken, PROTO_MAX_CHAT_BYTES);
    f->ui.input_len = PROTO_MAX_CHAT_BYTES;
    f->ui.chat_open = true;
    draw(f);

    int changed_outside = 0;
    for (int y = 0; y < FRAME_H; y++)
        for (int x = 0; x < FRAME_W; x++) {
            SDL_Point p = {x, y};
            if (!SDL_PointInRect(&p, &l.chat) &&
                before[y * FRAME_W + x] != f->t.pixels[y * FRAME_W + x])
                changed_outside++;
        }
    free(before);
    assert_int_equal(changed_outside, 0);
    assert_true(count_bright(f, l.chat) > 1000);
}

/* A text client's line carries a mark before the name: the same name and
 * text drawn as a player's line and as a text client's differ, and only in
 * the chat panel. */
static void test_chat_text_client_line_is_marked(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    chat_log_init(&f->log);
    chat_log_message(&f->log, "ann", CHAT_TEXT_CLIENT_COLOUR, 1, "hello from netcat");
    draw(f);
    size_t bytes = (size_t)FRAME_W * FRAME_H * sizeof *f->t.pixels;
    uint32_t *plain = malloc(bytes);
    assert_non_null(plain);
    memcpy(plain, f->t.pixels, bytes);
    chat_log_init(&f->log);
    chat_log_text_message(&f->log, "ann", 1, "hello from netcat");
    assert_true(chat_log_line(&f->log, 0)->from_text);
    draw(f);
    int inside = 0, outside = 0;
    for (int y = 0; y < FRAME_H; y++)
        for (int x = 0; x < FRAME_W; x++) {
            SDL_Point p = {x, y};
            if (plain[y * FRAME_W + x] == f->t.pixels[y * FRAME_W + x])
                continue;
            if (SDL_PointInRect(&p, &l.chat))
                inside++;
            else
                outside++;
        }
    free(plain);
    assert_int_equal(outside, 0);
    assert_true(inside > 100);
}

static void test_chat_input_shows_when_open(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    SDL_Rect input = {l.chat.x, l.chat.y + l.chat.h - 45, l.chat.w, 45};
    snprintf(f->ui.input, sizeof f->ui.input, "typing here");
    f->ui.input_len = strlen(f->ui.input);

    f->ui.chat_open = false;
    draw(f);
    uint32_t *closed = malloc((size_t)FRAME_W * FRAME_H * sizeof *closed);
    assert_non_null(closed);
    memcpy(closed, f->t.pixels, (size_t)FRAME_W * FRAME_H * sizeof *closed);
    f->ui.chat_open = true;
    draw(f);

    int changed = 0;
    for (int y = input.y; y < input.y + input.h; y++)
        for (int x = input.x; x < input.x + input.w; x++)
            if (closed[y * FRAME_W + x] != f->t.pixels[y * FRAME_W + x])
                changed++;
    free(closed);
    assert_true(changed > 500);
    /* the box's border is in our own colour */
    assert_true(count_near(f, input, ALICE, 0) > 100);
}

/* ---- robustness -------------------------------------------------------- */

static void test_empty_view_in_tiny_window_does_not_crash(void **state)
{
    fixture *f = *state;
    memset(&f->view, 0, sizeof f->view);
    chat_log_init(&f->log);
    f->view.chat = &f->log;
    static const int tiny[][2] = {{50, 40}, {0, 0}, {1, 1}, {5, 500}, {800, 3}};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        f->ui.chat_open = (i % 2) == 0;
        draw_at(f, tiny[i][0], tiny[i][1]);
    }
    f->view.chat = NULL;
    draw_at(f, 50, 40);
}

static void test_full_lobby_in_small_window_does_not_crash(void **state)
{
    fixture *f = *state;
    f->view.avatar_count = 0;
    for (int i = 0; i < PROTO_MAX_LOBBY_PLAYERS; i++) {
        char name[PROTO_MAX_NAME_BYTES + 1];
        snprintf(name, sizeof name, "player-with-long-name-%02d", i);
        add_avatar(&f->view, (uint16_t)(i + 1), name, 0x101010u * (uint32_t)(i % 15 + 1),
                   (float)(i * 37 % 1200), (float)(i * 53 % 800), i == 5, i % 2, (uint16_t)(i * 9));
    }
    for (int i = 0; i < CHAT_LOG_LINES + 5; i++)
        chat_log_message(&f->log, "bob", BOB, (uint32_t)i, "\xC3\xA9t\xC3\xA9 \xE2\x9C\x93 ok");
    draw_at(f, 320, 200);
    draw(f);
}

static void test_renderer_create_fails_without_font(void **state)
{
    fixture *f = *state;
    assert_null(renderer_create(f->t.sdl, "/nonexistent/font.ttf"));
}

static void test_window_icon_is_32x32(void **state)
{
    (void)state;
    SDL_Surface *icon = SDL_LoadBMP(LOBBY_ASSETS_SOURCE_DIR "/icon.bmp");
    assert_non_null(icon);
    assert_int_equal(icon->w, 32);
    assert_int_equal(icon->h, 32);
    SDL_FreeSurface(icon);
}

/* Not a test: saves the reference frame when LOBBY_RENDER_DUMP is set. */
static void test_dump_reference_frame(void **state)
{
    fixture *f = *state;
    const char *path = getenv("LOBBY_RENDER_DUMP");
    if (path == NULL || path[0] == '\0')
        skip();
    f->ui.chat_open = true;
    snprintf(f->ui.input, sizeof f->ui.input, "see you at the far corner");
    f->ui.input_len = strlen(f->ui.input);
    render_frame(f->t.r, &f->view, &f->ui, FRAME_W, FRAME_H);
    SDL_RenderFlush(f->t.sdl);
    assert_int_equal(SDL_SaveBMP(f->t.surface, path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_keeps_every_rect_inside_the_window),
        cmocka_unit_test(test_layout_room_does_not_overlap_panels),
        cmocka_unit_test(test_layout_keeps_world_aspect),
        cmocka_unit_test(test_layout_panels_have_their_nominal_sizes),
        cmocka_unit_test(test_layout_tiny_windows_have_no_negative_sizes),
        cmocka_unit_test(test_world_corners_map_to_room_corners),
        cmocka_unit_test_setup(test_avatar_centres_have_their_colours, setup),
        cmocka_unit_test_setup(test_reconnecting_avatar_is_faded, setup),
        cmocka_unit_test_setup(test_room_floor_has_floor_colour, setup),
        cmocka_unit_test_setup(test_own_avatar_has_white_ring, setup),
        cmocka_unit_test_setup(test_other_avatars_have_no_white_ring, setup),
        cmocka_unit_test_setup(test_avatar_names_are_drawn_above, setup),
        cmocka_unit_test_setup(test_sidebar_shows_each_colour_swatch, setup),
        cmocka_unit_test_setup(test_sidebar_lists_players_as_text, setup),
        cmocka_unit_test_setup(test_status_line_is_colour_coded, setup),
        cmocka_unit_test_setup(test_status_line_shows_rtt_only_when_joined, setup),
        cmocka_unit_test_setup(test_chat_panel_shows_text, setup),
        cmocka_unit_test_setup(test_chat_names_use_sender_colour, setup),
        cmocka_unit_test_setup(test_chat_refused_line_is_red, setup),
        cmocka_unit_test_setup(test_chat_long_lines_stay_inside_the_panel, setup),
        cmocka_unit_test_setup(test_chat_text_client_line_is_marked, setup),
        cmocka_unit_test_setup(test_chat_input_shows_when_open, setup),
        cmocka_unit_test_setup(test_empty_view_in_tiny_window_does_not_crash, setup),
        cmocka_unit_test_setup(test_full_lobby_in_small_window_does_not_crash, setup),
        cmocka_unit_test_setup(test_renderer_create_fails_without_font, setup),
        cmocka_unit_test(test_window_icon_is_32x32),
        cmocka_unit_test_setup(test_dump_reference_frame, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, render_target_group_teardown);
}
