/* Rendering tests of the lobby screens: the browser (table, lock icons,
 * selection, filters, password prompt, create dialog) and, in a lobby, the
 * owner's crown, ready markers, selected member, owner buttons and the
 * countdown banner. Drawn with the software renderer on a surface; pixels
 * checked. Set LOBBY_BROWSER_DUMP=/path/prefix to save the frames as BMPs. */
#include "render.h"
#include "render_target.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FONT_PATH LOBBY_ASSETS_SOURCE_DIR "/DejaVuSans.ttf"

enum { FRAME_W = 1024, FRAME_H = 640 };

enum { ROW_PASSWORD = 1, ROW_SELECTED = 2 };

typedef struct fixture {
    render_target t; /* first, for render_target_group_setup */
    chat_log log;
    browser b;
    game_view view;
    ui_state ui;
} fixture;

static void add_lobby(client_lobby_list *l, const char *name, uint8_t players, uint8_t capacity,
                      bool password, uint8_t state, const char *owner, int rtt, const char *meta)
{
    client_lobby_info *info = &l->lobbies[l->count++];
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", name);
    info->players = players;
    info->capacity = capacity;
    info->has_password = password;
    info->state = state;
    snprintf(info->owner, sizeof info->owner, "%s", owner);
    info->rtt_known = rtt >= 0;
    info->median_rtt_ms = rtt >= 0 ? (uint16_t)rtt : 0;
    if (meta != NULL) {
        char err[64];
        assert_true(browser_parse_meta(meta, info->meta, &info->meta_count, err, sizeof err));
    }
    l->total = (uint16_t)(l->count + 3);
}

/* Four lobbies, the second with a password, the third selected, a filter on. */
static void build_browser(fixture *f)
{
    browser *b = &f->b;
    browser_init(b);
    client_lobby_list list = {.request_id = 7};
    add_lobby(&list, "casual", 3, 8, false, PROTO_LOBBY_OPEN, "alice", 24, "mode=dm");
    add_lobby(&list, "secret ctf", 2, 6, true, PROTO_LOBBY_OPEN, "bob", 61, "mode=ctf map=harbour");
    add_lobby(&list, "speedrun", 4, 4, false, PROTO_LOBBY_STARTING, "carol", 140, NULL);
    add_lobby(&list, "empty", 0, 16, false, PROTO_LOBBY_OPEN, "", -1, NULL);
    browser_set_list(b, &list);
    browser_select(b, ROW_SELECTED);
    browser_type(b, "e");
    browser_toggle(b, BROWSER_TOGGLE_FREE_SEAT);

    memset(&f->view, 0, sizeof f->view);
    memset(&f->ui, 0, sizeof f->ui);
    chat_log_init(&f->log);
    f->view.chat = &f->log;
    f->view.conn = GAME_BROWSING;
    f->view.rtt_ms = 20;
    snprintf(f->view.status, sizeof f->view.status, "At the lobby list on 127.0.0.1:7777");
    f->view.screen = GAME_SCREEN_BROWSER;
    f->view.browser = b;
}

static void add_member(game_view *v, uint16_t id, const char *name, uint32_t colour, bool me,
                       bool owner, bool ready, uint16_t rtt)
{
    game_avatar *a = &v->avatars[v->avatar_count++];
    memset(a, 0, sizeof *a);
    a->id = id;
    a->colour = colour;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->x = 200.0f + 250.0f * id;
    a->y = 500.0f;
    a->is_me = me;
    a->is_owner = owner;
    a->ready = ready;
    a->has_link = true;
    a->rtt_ms = rtt;
    a->jitter_ms = 3;
    a->loss_permyriad = 50;
}

/* In lobby "casual": alice (us, owner, ready), bob (ready), carol (not ready, selected). */
static void build_lobby(fixture *f)
{
    build_browser(f);
    game_view *v = &f->view;
    v->screen = GAME_SCREEN_LOBBY;
    v->conn = GAME_JOINED;
    snprintf(v->lobby, sizeof v->lobby, "casual");
    v->capacity = 8;
    v->lobby_state = PROTO_LOBBY_OPEN;
    v->i_own = true;
    v->meta_count = 1;
    snprintf(v->meta[0].key, sizeof v->meta[0].key, "mode");
    snprintf(v->meta[0].value, sizeof v->meta[0].value, "dm");
    add_member(v, 1, "alice", 0xE85D5D, true, true, true, 23);
    add_member(v, 2, "bob", 0x4FC3F7, false, false, true, 141);
    add_member(v, 3, "carol", 0x7ED36A, false, false, false, 60);
    v->avatars[2].selected = true;
}

static void draw(fixture *f)
{
    render_frame(f->t.r, &f->view, &f->ui, FRAME_W, FRAME_H);
    render_target_read(&f->t);
    const char *dump = getenv("LOBBY_BROWSER_DUMP");
    if (dump != NULL && dump[0] != '\0') {
        static int n;
        char path[512];
        snprintf(path, sizeof path, "%s-%02d.bmp", dump, n++);
        SDL_SaveBMP(f->t.surface, path);
    }
}

static uint32_t rgb_at(const fixture *f, int x, int y)
{
    return render_target_rgb_at(&f->t, x, y);
}

/* Pixels in rc of exactly rgb. */
static int count_exact(const fixture *f, SDL_Rect rc, uint32_t rgb)
{
    int n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++)
            if (rgb_at(f, x, y) == rgb)
                n++;
    return n;
}

static int luma(uint32_t p)
{
    return (int)(((p >> 16) & 0xFF) * 3 + ((p >> 8) & 0xFF) * 6 + (p & 0xFF)) / 10;
}

static int count_bright(const fixture *f, SDL_Rect rc)
{
    return render_target_count_bright(&f->t, rc);
}

static long sum_luma(const fixture *f, SDL_Rect rc)
{
    long n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++)
            n += luma(rgb_at(f, x, y));
    return n;
}

static SDL_Point centre(SDL_Rect rc)
{
    return (SDL_Point){rc.x + rc.w / 2, rc.y + rc.h / 2};
}

static int group_setup(void **state)
{
    return render_target_group_setup(state, sizeof(fixture), FRAME_W, FRAME_H, FONT_PATH);
}

static int setup_browser(void **state)
{
    build_browser(*state);
    return 0;
}

static int setup_lobby(void **state)
{
    build_lobby(*state);
    return 0;
}

static void layout(const fixture *f, browser_layout *l)
{
    render_browser_layout(FRAME_W, FRAME_H, &f->b, l);
}

/* ---- the browser ----------------------------------------------------------- */

static void test_every_row_is_drawn_with_text(void **state)
{
    fixture *f = *state;
    draw(f);
    browser_layout l;
    layout(f, &l);
    for (int row = 0; row < f->b.list.count; row++) {
        SDL_Rect rc = render_browser_row(&l, row);
        assert_false(rc.w == 0);
        assert_true(count_bright(f, rc) > 100);
    }
    SDL_Rect after = render_browser_row(&l, f->b.list.count);
    assert_int_equal(count_bright(f, after), 0);
}

static void test_selected_row_is_highlighted(void **state)
{
    fixture *f = *state;
    draw(f);
    browser_layout l;
    layout(f, &l);
    for (int row = 0; row < f->b.list.count; row++) {
        SDL_Rect rc = render_browser_row(&l, row);
        int n = count_exact(f, rc, RENDER_SELECTED);
        if (row == ROW_SELECTED)
            assert_true(n > rc.w * rc.h / 2);
        else
            assert_int_equal(n, 0);
    }
}

static void test_lock_only_in_the_password_lobbys_row(void **state)
{
    fixture *f = *state;
    draw(f);
    browser_layout l;
    layout(f, &l);
    for (int row = 0; row < f->b.list.count; row++) {
        SDL_Rect rc = render_browser_row(&l, row);
        int n = count_exact(f, rc, RENDER_LOCK);
        if (row == ROW_PASSWORD)
            assert_true(n > 40);
        else
            assert_int_equal(n, 0);
    }
}

static void test_filter_toggle_shows_its_state(void **state)
{
    fixture *f = *state;
    draw(f);
    browser_layout l;
    layout(f, &l);
    assert_true(count_exact(f, l.toggles[BROWSER_TOGGLE_FREE_SEAT], RENDER_ACCENT) > 100);
    assert_int_equal(count_exact(f, l.toggles[BROWSER_TOGGLE_NO_PASSWORD], RENDER_ACCENT), 0);
    assert_int_equal(count_exact(f, l.toggles[BROWSER_TOGGLE_OPEN_ONLY], RENDER_ACCENT), 0);
    /* the focused name filter has an accent edge and its text */
    assert_true(count_exact(f, l.fields[BROWSER_FIELD_FILTER_NAME], RENDER_ACCENT) > 50);
    assert_int_equal(count_exact(f, l.fields[BROWSER_FIELD_FILTER_META], RENDER_ACCENT), 0);
}

static void test_password_prompt_overlays_the_list(void **state)
{
    fixture *f = *state;
    browser_layout l;
    layout(f, &l);
    SDL_Rect table_bit = render_browser_row(&l, 0);
    table_bit.w = 60; /* the start of the first row, well left of any dialog */
    draw(f);
    long plain = sum_luma(f, table_bit);

    browser_select(&f->b, ROW_PASSWORD);
    browser_join_selected(&f->b);
    assert_int_equal(f->b.overlay, BROWSER_OVERLAY_PASSWORD);
    browser_type(&f->b, "abc");
    draw(f);
    layout(f, &l);
    assert_false(l.dialog.w == 0);
    /* the dialog is there, in its colours, with its focused field */
    assert_true(count_exact(f, l.dialog, RENDER_DIALOG) > l.dialog.w * l.dialog.h / 3);
    assert_true(count_exact(f, l.fields[BROWSER_FIELD_PASSWORD], RENDER_ACCENT) > 50);
    assert_true(count_exact(f, l.buttons[RENDER_BTN_OK], RENDER_ACCENT) > 500);
    /* what is behind it is dimmed */
    assert_true(sum_luma(f, table_bit) < plain * 2 / 3);
    /* the typed password is masked: dots, not letters (far fewer bright pixels) */
    SDL_Rect field = l.fields[BROWSER_FIELD_PASSWORD];
    int masked = count_bright(f, field);
    assert_true(masked > 10);
    assert_true(masked < 150);
}

static void test_wrong_password_error_is_red_in_the_prompt(void **state)
{
    fixture *f = *state;
    browser_select(&f->b, ROW_PASSWORD);
    browser_join_selected(&f->b);
    draw(f);
    browser_layout l;
    layout(f, &l);
    SDL_Rect above_buttons = {l.dialog.x, l.buttons[RENDER_BTN_OK].y - 24, l.dialog.w, 22};
    int before = count_bright(f, above_buttons);
    browser_on_refused(&f->b, PROTO_JOIN_LOBBY, PROTO_LOBBY_WRONG_PASSWORD, "wrong password");
    draw(f);
    int reds = 0;
    for (int y = above_buttons.y; y < above_buttons.y + above_buttons.h; y++)
        for (int x = above_buttons.x; x < above_buttons.x + above_buttons.w; x++) {
            uint32_t p = rgb_at(f, x, y);
            if (((p >> 16) & 0xFF) > 180 && ((p >> 8) & 0xFF) < 130)
                reds++;
        }
    assert_int_equal(before, 0);
    assert_true(reds > 30);
}

static void test_create_dialog_shows_every_field(void **state)
{
    fixture *f = *state;
    browser_open_create(&f->b);
    draw(f);
    browser_layout l;
    layout(f, &l);
    for (int fld = BROWSER_FIELD_CREATE_NAME; fld <= BROWSER_FIELD_CREATE_MAX_RTT; fld++) {
        SDL_Rect rc = l.fields[fld];
        assert_true(rc.w > 100);
        SDL_Point p = centre(rc);
        assert_true(SDL_PointInRect(&p, &l.dialog));
        assert_int_equal(rgb_at(f, rc.x + rc.w - 10, rc.y + rc.h / 2), 0x10121A); /* input bg */
    }
}

static void test_clicks_map_to_what_is_drawn(void **state)
{
    fixture *f = *state;
    browser_layout l;
    layout(f, &l);
    SDL_Point p = centre(render_browser_row(&l, 3));
    render_hit h = render_browser_hit(&l, &f->b, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_ROW);
    assert_int_equal(h.index, 3);
    p = centre(l.buttons[RENDER_BTN_JOIN]);
    h = render_browser_hit(&l, &f->b, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_BUTTON);
    assert_int_equal(h.index, RENDER_BTN_JOIN);
    p = centre(l.toggles[BROWSER_TOGGLE_OPEN_ONLY]);
    h = render_browser_hit(&l, &f->b, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_TOGGLE);
    assert_int_equal(h.index, BROWSER_TOGGLE_OPEN_ONLY);
    p = centre(l.fields[BROWSER_FIELD_FILTER_META]);
    h = render_browser_hit(&l, &f->b, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_FIELD);
    assert_int_equal(h.index, BROWSER_FIELD_FILTER_META);

    /* with the dialog open, only the dialog answers */
    SDL_Point row = centre(render_browser_row(&l, 0));
    browser_open_create(&f->b);
    layout(f, &l);
    h = render_browser_hit(&l, &f->b, 20, row.y);
    assert_int_equal(h.kind, RENDER_HIT_NONE);
    p = centre(l.fields[BROWSER_FIELD_CREATE_META]);
    h = render_browser_hit(&l, &f->b, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_FIELD);
    assert_int_equal(h.index, BROWSER_FIELD_CREATE_META);
    p = centre(l.buttons[RENDER_BTN_CANCEL]);
    h = render_browser_hit(&l, &f->b, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_BUTTON);
    assert_int_equal(h.index, RENDER_BTN_CANCEL);
}

static void test_long_list_scrolls_to_the_selection(void **state)
{
    fixture *f = *state;
    client_lobby_list list = {.request_id = 9};
    for (int i = 0; i < PROTO_MAX_LIST_ENTRIES; i++) {
        char name[16];
        snprintf(name, sizeof name, "lobby-%02d", i);
        add_lobby(&list, name, 1, 8, i % 3 == 0, PROTO_LOBBY_OPEN, "x", i, NULL);
    }
    browser_set_list(&f->b, &list);
    browser_select(&f->b, PROTO_MAX_LIST_ENTRIES - 1);
    draw(f);
    browser_layout l;
    layout(f, &l);
    assert_true(l.visible_rows > 5 && l.visible_rows < PROTO_MAX_LIST_ENTRIES);
    SDL_Rect rc = render_browser_row(&l, PROTO_MAX_LIST_ENTRIES - 1);
    assert_false(rc.w == 0);
    assert_true(count_exact(f, rc, RENDER_SELECTED) > rc.w * rc.h / 2);
    assert_int_equal(render_browser_row(&l, 0).w, 0); /* scrolled out */
}

static void test_tiny_windows_do_not_crash(void **state)
{
    fixture *f = *state;
    static const int sizes[][2] = {{0, 0}, {1, 1}, {60, 40}, {320, 200}, {5, 600}, {900, 3}};
    for (int o = 0; o < 3; o++) {
        if (o == 1)
            browser_open_create(&f->b);
        if (o == 2) {
            browser_cancel(&f->b);
            browser_join_selected(&f->b);
        }
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            render_frame(f->t.r, &f->view, &f->ui, sizes[i][0], sizes[i][1]);
            browser_layout l;
            render_browser_layout(sizes[i][0], sizes[i][1], &f->b, &l);
            (void)render_browser_hit(&l, &f->b, 10, 10);
        }
    }
}

/* ---- in the lobby --------------------------------------------------------- */

static void test_owner_has_a_crown_and_no_one_else(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    for (int i = 0; i < f->view.avatar_count; i++) {
        int n = count_exact(f, render_member_row(&l, i), RENDER_CROWN);
        if (f->view.avatars[i].is_owner)
            assert_true(n > 30);
        else
            assert_int_equal(n, 0);
    }
}

static void test_ready_members_have_a_ready_marker(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    for (int i = 0; i < f->view.avatar_count; i++) {
        int n = count_exact(f, render_member_row(&l, i), RENDER_READY);
        if (f->view.avatars[i].ready)
            assert_true(n > 40);
        else
            assert_int_equal(n, 0);
    }
}

static void test_selected_member_is_highlighted(void **state)
{
    fixture *f = *state;
    draw(f);
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    assert_int_equal(count_exact(f, render_member_row(&l, 1), RENDER_SELECTED), 0);
    SDL_Rect carol = render_member_row(&l, 2);
    assert_true(count_exact(f, carol, RENDER_SELECTED) > carol.w * carol.h / 3);
}

static void test_owner_buttons_are_live_only_for_the_owner(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    draw(f);
    assert_true(count_exact(f, l.buttons[RENDER_BTN_START], RENDER_ACCENT) > 300);
    long kick_live = sum_luma(f, l.buttons[RENDER_BTN_KICK]);
    f->view.i_own = false;
    draw(f);
    assert_int_equal(count_exact(f, l.buttons[RENDER_BTN_START], RENDER_ACCENT), 0);
    assert_true(sum_luma(f, l.buttons[RENDER_BTN_KICK]) < kick_live);
    /* and clicks find them */
    SDL_Point p = centre(l.buttons[RENDER_BTN_KICK]);
    render_hit h = render_lobby_hit(&l, &f->view, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_BUTTON);
    assert_int_equal(h.index, RENDER_BTN_KICK);
    p = centre(render_member_row(&l, 1));
    h = render_lobby_hit(&l, &f->view, p.x, p.y);
    assert_int_equal(h.kind, RENDER_HIT_MEMBER);
    assert_int_equal(h.index, 1);
}

/* `main` has no owner: Start, Kick and Owner are neither drawn nor
 * clickable; a note says why. Ready and Leave stay. */
static void test_server_lobby_offers_no_owner_buttons(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    f->view.i_own = false;
    draw(f);
    long kick_disabled = sum_luma(f, l.buttons[RENDER_BTN_KICK]);
    long start_disabled = sum_luma(f, l.buttons[RENDER_BTN_START]);
    f->view.server_owned = true;
    draw(f);
    /* The disabled buttons' grey fill is gone; the note's text is faint. */
    assert_true(sum_luma(f, l.buttons[RENDER_BTN_KICK]) < kick_disabled);
    assert_true(sum_luma(f, l.buttons[RENDER_BTN_START]) != start_disabled);
    assert_true(sum_luma(f, l.buttons[RENDER_BTN_START]) > 0); /* the note */
    assert_int_equal(count_exact(f, l.buttons[RENDER_BTN_GIVE], 0x2B303D), 0);
    const render_button owners[] = {RENDER_BTN_START, RENDER_BTN_KICK, RENDER_BTN_GIVE};
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
        SDL_Point p = centre(l.buttons[owners[i]]);
        assert_int_equal(render_lobby_hit(&l, &f->view, p.x, p.y).kind, RENDER_HIT_NONE);
    }
    SDL_Point p = centre(l.buttons[RENDER_BTN_READY]);
    assert_int_equal(render_lobby_hit(&l, &f->view, p.x, p.y).index, RENDER_BTN_READY);
    f->view.server_owned = false;
}

static void test_countdown_and_starting_banners(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    draw(f);
    assert_int_equal(count_exact(f, l.room, RENDER_COUNTDOWN), 0);
    assert_int_equal(count_exact(f, l.room, RENDER_GAME_STARTING), 0);

    f->view.lobby_state = PROTO_LOBBY_STARTING;
    f->view.countdown_ms = 2400;
    draw(f);
    SDL_Rect top = {l.room.x, l.room.y, l.room.w, 70};
    assert_true(count_exact(f, top, RENDER_COUNTDOWN) > 3000);

    f->view.countdown_ms = 0;
    f->view.starting_notice = true;
    draw(f);
    assert_int_equal(count_exact(f, top, RENDER_COUNTDOWN), 0);
    assert_true(count_exact(f, top, RENDER_GAME_STARTING) > 3000);
}

static void test_member_rows_show_link_quality(void **state)
{
    fixture *f = *state;
    render_layout l;
    render_layout_for(FRAME_W, FRAME_H, &l);
    SDL_Rect row = render_member_row(&l, 1);
    SDL_Rect second_line = {row.x, row.y + row.h / 2 + 2, row.w, row.h / 2 - 2};
    draw(f);
    int with_link = count_bright(f, second_line);
    f->view.avatars[1].has_link = false;
    draw(f);
    assert_true(with_link > count_bright(f, second_line) + 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_row_is_drawn_with_text, setup_browser),
        cmocka_unit_test_setup(test_selected_row_is_highlighted, setup_browser),
        cmocka_unit_test_setup(test_lock_only_in_the_password_lobbys_row, setup_browser),
        cmocka_unit_test_setup(test_filter_toggle_shows_its_state, setup_browser),
        cmocka_unit_test_setup(test_password_prompt_overlays_the_list, setup_browser),
        cmocka_unit_test_setup(test_wrong_password_error_is_red_in_the_prompt, setup_browser),
        cmocka_unit_test_setup(test_create_dialog_shows_every_field, setup_browser),
        cmocka_unit_test_setup(test_clicks_map_to_what_is_drawn, setup_browser),
        cmocka_unit_test_setup(test_long_list_scrolls_to_the_selection, setup_browser),
        cmocka_unit_test_setup(test_tiny_windows_do_not_crash, setup_browser),
        cmocka_unit_test_setup(test_owner_has_a_crown_and_no_one_else, setup_lobby),
        cmocka_unit_test_setup(test_ready_members_have_a_ready_marker, setup_lobby),
        cmocka_unit_test_setup(test_selected_member_is_highlighted, setup_lobby),
        cmocka_unit_test_setup(test_owner_buttons_are_live_only_for_the_owner, setup_lobby),
        cmocka_unit_test_setup(test_server_lobby_offers_no_owner_buttons, setup_lobby),
        cmocka_unit_test_setup(test_countdown_and_starting_banners, setup_lobby),
        cmocka_unit_test_setup(test_member_rows_show_link_quality, setup_lobby),
    };
    return cmocka_run_group_tests_name("lobby screens", tests, group_setup,
                                       render_target_group_teardown);
}
