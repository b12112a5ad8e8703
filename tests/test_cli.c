/* The five programs' command lines, through the real binaries: a usage
 * error is one line on stderr and exit status 2 (unknown options, empty
 * values, numbers out of range, each message agreeing with its check);
 * --help documents the exit statuses; lobby-server's bind failures give
 * the system's reason, name the flag to change and exit 1. */
#include "server_proc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

enum { OUT_CAP = 16384 };

static const char *const PROGRAMS[] = {LOBBY_SERVER_PATH, LOBBY_CHAT_PATH, LOBBY_CLIENT_PATH,
                                       LOBBY_BENCH_PATH, LOBBY_NETSIM_PATH};
enum { PROGRAM_COUNT = sizeof PROGRAMS / sizeof PROGRAMS[0] };

/* The program's name as it prints it: the path's last part. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Runs argv and checks it is a usage error: exit 2, exactly one line of
 * output, that starts with "PROG: ", holds expected and ends with the
 * pointer to --help. */
static void expect_usage_error(char *const argv[], const char *expected)
{
    static char out[OUT_CAP];
    int status = run_command(argv, out, sizeof out, 10);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: ", base_name(argv[0]));
    if (status != 2 || count_lines(out) != 1 || strncmp(out, prefix, strlen(prefix)) != 0 ||
        strstr(out, expected) == NULL || strstr(out, " (try --help)\n") == NULL)
        fail_msg("%s %s: exit %d, wanted 2 and one line with '%s'; got:\n%s", argv[0], argv[1],
                 status, expected, out);
}

static void unknown_option_is_one_line(void **state)
{
    (void)state;
    for (int i = 0; i < PROGRAM_COUNT; i++) {
        char *argv[] = {(char *)PROGRAMS[i], "--no-such-flag", NULL};
        expect_usage_error(argv, "unknown option '--no-such-flag'");
        char *with_value[] = {(char *)PROGRAMS[i], "--no-such-flag=3", NULL};
        expect_usage_error(with_value, "unknown option '--no-such-flag'");
        char *no_value[] = {(char *)PROGRAMS[i], "--help=yes", NULL};
        expect_usage_error(no_value, "option '--help' takes no value");
    }
}

static void missing_value_is_one_line(void **state)
{
    (void)state;
    const char *flag_of[PROGRAM_COUNT] = {"--port", "--server", "--server", "--bots", "--listen"};
    for (int i = 0; i < PROGRAM_COUNT; i++) {
        char *argv[] = {(char *)PROGRAMS[i], (char *)flag_of[i], NULL};
        char expected[64];
        snprintf(expected, sizeof expected, "option '%s' needs a value", flag_of[i]);
        expect_usage_error(argv, expected);
    }
}

/* An empty value is refused, never taken as the default: --lobby "" would
 * otherwise join 'main' without a word. */
static void empty_value_is_refused(void **state)
{
    (void)state;
    char *chat[] = {LOBBY_CHAT_PATH, "--server", "127.0.0.1", "--name", "a", "--lobby", "", NULL};
    expect_usage_error(chat, "--lobby needs a value, got an empty one");
    char *chat_eq[] = {LOBBY_CHAT_PATH, "--server=127.0.0.1", "--name=a", "--lobby=", NULL};
    expect_usage_error(chat_eq, "--lobby needs a value, got an empty one");
    char *chat_name[] = {LOBBY_CHAT_PATH, "--server", "127.0.0.1", "--name", "", NULL};
    expect_usage_error(chat_name, "--name needs a value");
    char *client[] = {LOBBY_CLIENT_PATH, "--server", "127.0.0.1", "--name", "a",
                      "--lobby",         "",         NULL};
    expect_usage_error(client, "--lobby needs a value, got an empty one");
    char *server[] = {LOBBY_SERVER_PATH, "--bind", "", NULL};
    expect_usage_error(server, "--bind needs a value");
    char *bench[] = {LOBBY_BENCH_PATH, "--server", "127.0.0.1", "--json", "", NULL};
    expect_usage_error(bench, "--json needs a value");
    char *netsim[] = {LOBBY_NETSIM_PATH, "--listen", "0", "--bind", "", NULL};
    expect_usage_error(netsim, "--bind needs a value");
}

/* Each range in a message is the range the check applies. */
static void number_messages_match_checks(void **state)
{
    (void)state;
    static char out[OUT_CAP];
    /* lobby-chat --timeout: a millisecond to an hour; 0 is refused and
     * the message says so, 0.5 is taken (it then times out against a
     * silent port within half a second, exit 1). */
    char *zero[] = {LOBBY_CHAT_PATH, "--server", "127.0.0.1", "--name", "a",
                    "--timeout",     "0",        NULL};
    expect_usage_error(zero, "--timeout must be seconds from 0.001 to 3600, got '0'");
    char *tiny[] = {LOBBY_CHAT_PATH, "--server", "127.0.0.1", "--name", "a",
                    "--timeout",     "0.0001",   NULL};
    expect_usage_error(tiny, "from 0.001 to 3600");
    char *big[] = {LOBBY_CHAT_PATH, "--server", "127.0.0.1", "--name", "a",
                   "--timeout",     "3601",     NULL};
    expect_usage_error(big, "from 0.001 to 3600");
    int silent = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(silent, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(silent, (struct sockaddr *)&sa, &len), 0);
    char server_arg[32];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    char *half[] = {LOBBY_CHAT_PATH, "--server", server_arg,  "--name", "a",
                    "--say",         "x",        "--timeout", "0.5",    NULL};
    assert_int_equal(run_command(half, out, sizeof out, 10), 1);
    assert_non_null(strstr(out, "cannot reach the server"));
    close(silent);

    /* lobby-server's rates: above 0, at most a million. */
    char *rate[] = {LOBBY_SERVER_PATH, "--chat-rate", "0", NULL};
    expect_usage_error(rate, "--chat-rate must be a number above 0 and at most 1000000, got '0'");
    char *port[] = {LOBBY_SERVER_PATH, "--port", "65536", NULL};
    expect_usage_error(port, "--port must be a whole number from 0 to 65535, got '65536'");
    /* lobby-bench: counts are whole numbers, and the message says so. */
    char *bots[] = {LOBBY_BENCH_PATH, "--server", "127.0.0.1", "--bots", "2.5", NULL};
    expect_usage_error(bots, "--bots must be a whole number from 1 to 4000, got '2.5'");
    char *seed[] = {LOBBY_BENCH_PATH, "--server", "127.0.0.1", "--seed", "1.5", NULL};
    expect_usage_error(seed, "--seed must be a whole number");
    char *duration[] = {LOBBY_BENCH_PATH, "--server", "127.0.0.1", "--duration", "0", NULL};
    expect_usage_error(duration, "--duration must be a number from 0.1 to 86400, got '0'");
    /* lobby-client: the ranges its help and its checks use. */
    char *frames[] = {LOBBY_CLIENT_PATH, "--frames", "0", NULL};
    expect_usage_error(frames, "--frames must be 1 to 1000000, got '0'");
    char *size[] = {LOBBY_CLIENT_PATH, "--size", "800x600x", NULL};
    expect_usage_error(size, "--size must be WxH from 160x120 to 8192x8192");
    /* lobby-netsim. */
    char *loss[] = {LOBBY_NETSIM_PATH, "--loss", "101", NULL};
    expect_usage_error(loss, "--loss must be a number from 0 to 100, got '101'");
}

/* Every program's --help ends its flags with its exit statuses. */
static void help_documents_exit_status(void **state)
{
    (void)state;
    static char out[OUT_CAP];
    for (int i = 0; i < PROGRAM_COUNT; i++) {
        char *argv[] = {(char *)PROGRAMS[i], "--help", NULL};
        assert_int_equal(run_command(argv, out, sizeof out, 10), 0);
        if (strstr(out, "Exit status: 0 ") == NULL || strstr(out, "2 bad usage") == NULL)
            fail_msg("%s --help does not document its exit status:\n%s", PROGRAMS[i], out);
    }
    char *server[] = {LOBBY_SERVER_PATH, "--help", NULL};
    run_command(server, out, sizeof out, 10);
    assert_non_null(strstr(out, "1 cannot start"));
}

/* A socket of the given type bound to a free loopback port (listening
 * when TCP); returns it and the port in *port. */
static int take_port(int type, uint16_t *port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* The UDP game port taken: the system's reason and --port, exit 1. ENet's
 * enet_host_create says only NULL; the reason is the errno its bind left. */
static void udp_port_taken_names_errno_and_flag(void **state)
{
    (void)state;
    static char out[OUT_CAP];
    uint16_t port;
    int fd = take_port(SOCK_DGRAM, &port);
    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%u", (unsigned)port);
    char *argv[] = {LOBBY_SERVER_PATH, "--bind", "127.0.0.1", "--port", port_arg,
                    "--tcp-port",      "0",      "--http",    "off",    NULL};
    assert_int_equal(run_command(argv, out, sizeof out, 10), 1);
    close(fd);
    if (strstr(out, "cannot bind UDP 127.0.0.1:") == NULL ||
        strstr(out, "Address already in use") == NULL || strstr(out, "--port N") == NULL ||
        strstr(out, "address in use or not available?") != NULL)
        fail_msg("wanted the errno text and --port; got:\n%s", out);
}

/* The TCP text port taken: the same, naming --tcp-port; without
 * --tcp-port the text port is --port's number, and the line says that. */
static void tcp_port_taken_names_errno_and_flag(void **state)
{
    (void)state;
    static char out[OUT_CAP];
    uint16_t port;
    int fd = take_port(SOCK_STREAM, &port);
    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%u", (unsigned)port);
    char *argv[] = {LOBBY_SERVER_PATH, "--bind", "127.0.0.1", "--port", "0",
                    "--tcp-port",      port_arg, "--http",    "off",    NULL};
    assert_int_equal(run_command(argv, out, sizeof out, 10), 1);
    if (strstr(out, "cannot listen on TCP 127.0.0.1:") == NULL ||
        strstr(out, "Address already in use") == NULL || strstr(out, "--tcp-port N") == NULL)
        fail_msg("wanted the errno text and --tcp-port; got:\n%s", out);
    /* The UDP port of that number is free: the text port follows --port. */
    char *follows[] = {LOBBY_SERVER_PATH, "--bind", "127.0.0.1", "--port",
                       port_arg,          "--http", "off",       NULL};
    assert_int_equal(run_command(follows, out, sizeof out, 10), 1);
    close(fd);
    if (strstr(out, "Address already in use") == NULL ||
        strstr(out, "without --tcp-port it is --port's number") == NULL)
        fail_msg("wanted the errno text and where the TCP port came from; got:\n%s", out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_option_is_one_line),
        cmocka_unit_test(missing_value_is_one_line),
        cmocka_unit_test(empty_value_is_refused),
        cmocka_unit_test(number_messages_match_checks),
        cmocka_unit_test(help_documents_exit_status),
        cmocka_unit_test(udp_port_taken_names_errno_and_flag),
        cmocka_unit_test(tcp_port_taken_names_errno_and_flag),
    };
    return cmocka_run_group_tests_name("command lines", tests, NULL, NULL);
}
