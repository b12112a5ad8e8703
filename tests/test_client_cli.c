/* lobby-client's start, the real binary: a name the server would refuse is a
 * usage error before any packet goes out; with no display it says so in one
 * line and exits 3 instead of running on unseen; a --screenshot must be
 * .png or .bmp. Every run is bounded: a client that hung is killed and the
 * test fails. */
#include "server_proc.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

enum { RUN_TIMEOUT_S = 10, STATUS_USAGE = 2, STATUS_NO_DISPLAY = 3 };

/* A UDP socket on a free loopback port standing in for a server: whatever
 * the client sends there waits in its queue. */
static int fake_server(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static bool nothing_received(int fd)
{
    char buf[64];
    return recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0;
}

/* Runs lobby-client with these arguments after --server; returns its exit
 * status (-1: killed after RUN_TIMEOUT_S) and its output in out. */
static int run_client(uint16_t port, const char *const *args, char *out, size_t cap)
{
    char server_arg[32];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)port);
    char *argv[16] = {LOBBY_CLIENT_PATH, "--server", server_arg};
    int argc = 3;
    for (; *args != NULL && argc < 15; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return run_command(argv, out, cap, RUN_TIMEOUT_S);
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text != '\0'; text++)
        n += *text == '\n';
    return n;
}

/* No display at all, as on a server or in a CI job: none of the variables a
 * display library looks at. */
static void no_display_environment(void)
{
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    unsetenv("WAYLAND_SOCKET");
    unsetenv("SDL_VIDEODRIVER");
    unsetenv("XDG_RUNTIME_DIR");
}

/* Each name the server refuses (text_check_name: empty, over 24 bytes, bad
 * UTF-8, a control or an invisible character) is a usage error: exit 2, the
 * reason on stderr, and not one datagram to the server. Under the dummy
 * driver a client that let such a name through would connect. */
static void test_invalid_names_are_usage_errors(void **state)
{
    (void)state;
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    uint16_t port;
    int fd = fake_server(&port);
    static const struct {
        const char *name, *says;
    } cases[] = {
        {"", "--name needs a value"},
        {"ann ", "--name must not start or end with white space"},
        {"abcdefghijklmnopqrstuvwxy", "--name is longer than 24 bytes"},
        {"bad\xff", "--name is not valid UTF-8"},
        {"ctrl\x01", "--name contains control"},
        {"bo\xE2\x80\x8B"
         "b",
         "--name contains control, formatting or invisible"},
    };
    char out[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"--name", cases[i].name, "--lobby", "main", NULL};
        int status = run_client(port, args, out, sizeof out);
        if (status != STATUS_USAGE || strstr(out, cases[i].says) == NULL)
            fail_msg("name %zu: exit %d, output:\n%s", i, status, out);
        assert_non_null(strstr(out, "(try --help)"));
        assert_true(nothing_received(fd));
    }
    close(fd);
}

static void test_screenshot_must_be_png_or_bmp(void **state)
{
    (void)state;
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    char out[4096];
    const char *args[] = {"--name", "ann", "--screenshot", "/tmp/shot.jpg", NULL};
    assert_int_equal(run_client(9, args, out, sizeof out), STATUS_USAGE);
    assert_non_null(strstr(out, "must end in .png or .bmp, got '/tmp/shot.jpg'"));
}

/* With no display SDL would fall back to an invisible window: lobby-client
 * says what failed, SDL's reason and what to do, in one line, and exits 3;
 * no library's complaint (XDG_RUNTIME_DIR) comes before it. */
static void test_no_display_says_so_and_exits(void **state)
{
    (void)state;
    if (access("/dev/dri", F_OK) == 0)
        skip(); /* SDL's KMSDRM driver may open a real screen here */
    no_display_environment();
    uint16_t port;
    int fd = fake_server(&port);
    char out[4096];
    const char *args[] = {"--name", "ann", NULL};
    int status = run_client(port, args, out, sizeof out);
    if (status != STATUS_NO_DISPLAY)
        fail_msg("exit %d, output:\n%s", status, out);
    assert_int_equal(count_lines(out), 1);
    assert_true(strncmp(out, "lobby-client: cannot open a video device: no display", 52) == 0);
    assert_non_null(strstr(out, "DISPLAY unset"));
    assert_non_null(strstr(out, "SDL: "));
    assert_non_null(strstr(out, "set DISPLAY"));
    assert_non_null(strstr(out, "SDL_VIDEODRIVER=dummy"));
    assert_null(strstr(out, "XDG_RUNTIME_DIR"));
    assert_true(nothing_received(fd));
    close(fd);
}

/* DISPLAY names an X server that is not running (Xvfb not started). */
static void test_display_without_x_server_says_so(void **state)
{
    (void)state;
    if (access("/dev/dri", F_OK) == 0)
        skip();
    no_display_environment();
    char display[16], socket_path[64];
    struct stat st;
    int n = 90;
    for (; n < 200; n++) {
        snprintf(socket_path, sizeof socket_path, "/tmp/.X11-unix/X%d", n);
        snprintf(display, sizeof display, ":%d", n);
        if (stat(socket_path, &st) != 0)
            break;
    }
    setenv("DISPLAY", display, 1);
    char out[4096], want[32];
    const char *args[] = {"--name", "ann", NULL};
    int status = run_client(9, args, out, sizeof out);
    unsetenv("DISPLAY");
    if (status != STATUS_NO_DISPLAY)
        fail_msg("exit %d, output:\n%s", status, out);
    assert_int_equal(count_lines(out), 1);
    snprintf(want, sizeof want, "DISPLAY=%s,", display);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "XDG_RUNTIME_DIR"));
}

int main(void)
{
    /* For the sanitizer build: libdbus leaks when its X11 autolaunch fails
     * (a DISPLAY without an X server); that is not lobby-client's leak. */
    setenv("LSAN_OPTIONS", "suppressions=" LOBBY_LSAN_SUPPRESSIONS ":print_suppressions=0", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_names_are_usage_errors),
        cmocka_unit_test(test_screenshot_must_be_png_or_bmp),
        cmocka_unit_test(test_no_display_says_so_and_exits),
        cmocka_unit_test(test_display_without_x_server_says_so),
    };
    return cmocka_run_group_tests_name("lobby-client start", tests, NULL, NULL);
}
