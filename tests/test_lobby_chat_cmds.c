/* lobby-chat's lobby commands end to end: real lobby-chat processes typed
 * into through their stdin, against the real lobby-server. /create, /list,
 * /join with a wrong password (the server's reason printed) and the right
 * one, --lobby with --password, /dm, /set, /give, /ready, /who, /start
 * (countdown and game start printed), /kick, /leave, unknown commands,
 * refusals that do not end the program, a rejected join's reason printed
 * once, and commands that change nothing still answered. */
#include "server_proc.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum { WAIT_MS = 5000, OUT_CAP = 1 << 16 };

/* One running lobby-chat: its stdin and where its output goes. */
typedef struct chat_proc {
    pid_t pid;
    int in;
    char out_path[64];
} chat_proc;

/* What a failed test leaves behind is stopped in teardown. */
static server_proc g_server;
static bool g_server_running;
static chat_proc *g_chats[4];
static int g_chat_count;

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < g_chat_count; i++)
        if (g_chats[i]->pid > 0) {
            kill(g_chats[i]->pid, SIGKILL);
            waitpid(g_chats[i]->pid, NULL, 0);
            if (getenv("KEEP_CHAT_OUTPUT") == NULL)
                unlink(g_chats[i]->out_path);
        }
    g_chat_count = 0;
    if (g_server_running)
        server_proc_stop(&g_server, NULL, NULL);
    g_server_running = false;
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void start_chat(chat_proc *p, uint16_t port, const char *const *args)
{
    snprintf(p->out_path, sizeof p->out_path, "/tmp/lobby-chatcmd-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(p->out_path);
    assert_true(fd >= 0);
    close(fd);
    p->pid = spawn_lobby_chat_args(port, args, &p->in, p->out_path);
    assert_true(p->pid > 0);
    g_chats[g_chat_count++] = p;
}

static void type_line(chat_proc *p, const char *line)
{
    size_t len = strlen(line);
    assert_int_equal(write(p->in, line, len), (ssize_t)len);
    assert_int_equal(write(p->in, "\n", 1), 1);
}

/* Waits until the output holds needle; fails with the output otherwise. */
static void wait_for(chat_proc *p, const char *needle)
{
    static char out[OUT_CAP];
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        read_text_file(p->out_path, out, sizeof out);
        if (strstr(out, needle) != NULL)
            return;
        sleep_ms(10);
    }
    fail_msg("lobby-chat never printed '%s'; its output:\n%s", needle, out);
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *at = haystack; (at = strstr(at, needle)) != NULL; at += strlen(needle))
        n++;
    return n;
}

/* Waits until the output holds needle count times. */
static void wait_for_count(chat_proc *p, const char *needle, int count)
{
    static char out[OUT_CAP];
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        read_text_file(p->out_path, out, sizeof out);
        if (count_of(out, needle) >= count)
            return;
        sleep_ms(10);
    }
    fail_msg("lobby-chat never printed '%s' %d times; its output:\n%s", needle, count, out);
}

/* Closes stdin; lobby-chat then leaves and exits. Returns its exit status. */
static int finish_chat(chat_proc *p)
{
    close(p->in);
    int status = 0;
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            unlink(p->out_path);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        sleep_ms(10);
    }
    return -1; /* still running: teardown stops it */
}

static void test_lobby_commands_from_stdin(void **state)
{
    (void)state;
    server_proc *sp = &g_server;
    const char *server_args[] = {"--countdown-ms", "1000", "--kick-cooldown-ms", "60000", NULL};
    assert_true(server_proc_start(sp, server_args));
    g_server_running = true;
    static chat_proc alice, bob;
    const char *alice_args[] = {"--name", "alice", "--browse", NULL};
    const char *bob_args[] = {"--name", "bob", "--browse", NULL};
    start_chat(&alice, sp->port, alice_args);
    start_chat(&bob, sp->port, bob_args);
    wait_for(&alice, "* at the lobby list");
    wait_for(&bob, "* at the lobby list");

    type_line(&alice, "/create party 4 secret");
    wait_for(&alice, "* joined lobby party as alice (1/4 players: alice)");
    wait_for(&alice, "* owner: alice");
    type_line(&bob, "/list nopass name=par");
    wait_for(&bob, "* lobbies: 0 of 0");
    type_line(&bob, "/list name=PAR");
    wait_for(&bob, "  party 1/4 password:yes owner:alice state:open");
    type_line(&bob, "/join party wrong");
    wait_for(&bob, "* refused join: ");
    wait_for(&bob, "password");
    type_line(&bob, "/frobnicate");
    wait_for(&bob, "* unknown command '/frobnicate'");
    type_line(&bob, "/join party secret");
    wait_for(&bob, "* joined lobby party as bob (2/4 players: alice bob)");
    wait_for(&alice, "* bob joined");

    /* --lobby with --password joins at once. */
    char server_arg[32], out[4096];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)sp->port);
    char *carol[] = {LOBBY_CHAT_PATH, "--server",   server_arg, "--name", "carol",  "--lobby",
                     "party",         "--password", "secret",   "--say",  "hi all", NULL};
    assert_int_equal(run_command(carol, out, sizeof out, 10), 0);
    assert_non_null(strstr(out, "ack id=1 seq="));
    assert_non_null(strstr(out, " lobby=party"));
    wait_for(&bob, "carol: hi all");

    type_line(&alice, "/dm bob just for you");
    wait_for(&bob, "[dm from alice] just for you");
    wait_for(&alice, "* dm id=1 delivered to bob");

    type_line(&alice, "/set capacity 1");
    wait_for(&alice, "* refused set: ");
    type_line(&alice, "/set meta mode=ctf");
    wait_for(&bob, "* lobby party: capacity 4, password yes, max rtt none, metadata: mode=ctf");
    type_line(&alice, "/give bob");
    wait_for(&alice, "* owner: bob");
    type_line(&bob, "/give alice");
    wait_for(&bob, "* owner: alice");
    type_line(&alice, "/start");
    wait_for(&alice, "* refused start: ");
    type_line(&bob, "/ready");
    wait_for(&alice, "* bob is ready");
    type_line(&alice, "/ready");
    wait_for(&bob, "* alice is ready");
    type_line(&alice, "/who");
    wait_for(&alice, "  alice (owner) [ready] (you)");
    type_line(&alice, "/start");
    wait_for(&bob, "* game starts in 1 s (tick ");
    wait_for(&alice, "* game starting (tick ");
    wait_for(&bob, "* game starting (tick ");

    /* Refused at the door: the server's text, once, without the reason
     * code's own text repeated after it in parentheses. */
    char *late[] = {LOBBY_CHAT_PATH, "--server",   server_arg, "--name", "dave", "--lobby",
                    "party",         "--password", "secret",   "--say",  "hi",   NULL};
    assert_int_equal(run_command(late, out, sizeof out, 10), 1);
    assert_non_null(strstr(out, "lobby-chat: join rejected: lobby 'party' is starting or in game"));
    assert_int_equal(count_of(out, "is starting or in game"), 1);

    type_line(&alice, "/kick bob");
    wait_for(&bob, "* kicked from lobby party: ");
    wait_for(&alice, "* bob left (kicked)");
    type_line(&bob, "/join party secret");
    wait_for(&bob, "* refused join: ");
    type_line(&bob, "hello?"); /* chat from the list is not sent */
    wait_for(&bob, "not in a lobby");
    type_line(&alice, "/leave");
    wait_for(&alice, "* left lobby party; at the lobby list");

    assert_int_equal(finish_chat(&alice), 0);
    assert_int_equal(finish_chat(&bob), 0);
}

/* The first player in `main` once could lock it with a password (every
 * plain join refused, every text connection reset), kick others off the
 * server's front door, or start a game there. Nobody owns `main` now. */
static void test_nobody_can_take_over_main(void **state)
{
    (void)state;
    server_proc *sp = &g_server;
    assert_true(server_proc_start(sp, NULL));
    g_server_running = true;
    static chat_proc alice, mallory;
    const char *alice_args[] = {"--name", "alice", NULL};
    const char *mallory_args[] = {"--name", "mallory", NULL};
    start_chat(&alice, sp->port, alice_args);
    wait_for(&alice, "* owner: the server");
    start_chat(&mallory, sp->port, mallory_args);
    wait_for(&mallory, "* joined lobby main as mallory");
    type_line(&mallory, "/set password x");
    wait_for(&mallory, "* refused set: lobby 'main' belongs to the server");
    type_line(&mallory, "/kick alice");
    wait_for(&mallory, "* refused kick: lobby 'main' belongs to the server");
    type_line(&mallory, "/give alice");
    wait_for(&mallory, "* refused give: lobby 'main' belongs to the server");
    type_line(&mallory, "/ready");
    type_line(&mallory, "/start");
    wait_for(&mallory, "* refused start: lobby 'main' belongs to the server");
    assert_int_equal(finish_chat(&mallory), 0);

    /* The README's one-message join still works, and so does the text port. */
    char server_arg[32], out[4096];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)sp->port);
    char *say[] = {LOBBY_CHAT_PATH, "--server", server_arg, "--name",
                   "bob",           "--say",    "hello",    NULL};
    assert_int_equal(run_command(say, out, sizeof out, 10), 0);
    assert_non_null(strstr(out, " lobby=main"));
    wait_for(&alice, "bob: hello");
    /* The README's one-shot TCP client: one message without a newline. */
    assert_true(text_port_exchange(sp->tcp_port, "Hello server!", out, sizeof out));
    if (strncmp(out, "ok ", 3) != 0)
        fail_msg("the text port answered '%s'", out);
    assert_int_equal(finish_chat(&alice), 0);
}

/* A joiner sees who wrote each line of the lobby's history, also when the
 * writer has left: not "#13: ...". */
static void test_history_names_a_sender_who_left(void **state)
{
    (void)state;
    server_proc *sp = &g_server;
    assert_true(server_proc_start(sp, NULL));
    g_server_running = true;
    char server_arg[32], out[4096];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)sp->port);
    char *say[] = {LOBBY_CHAT_PATH, "--server", server_arg, "--name",     "ghost",
                   "--lobby",       "den",      "--say",    "I was here", NULL};
    assert_int_equal(run_command(say, out, sizeof out, 10), 0);
    static chat_proc carol;
    const char *carol_args[] = {"--name", "carol", "--lobby", "den", NULL};
    start_chat(&carol, sp->port, carol_args);
    wait_for(&carol, "ghost: I was here");
    assert_int_equal(finish_chat(&carol), 0);
}

/* Every command gets a visible answer, also when it changes nothing: /set
 * password on a lobby without one prints the lobby's settings again (the
 * server's LOBBY_STATE), /unready when not ready says so. A join the
 * server rejects prints its text once. */
static void test_commands_that_change_nothing_answer(void **state)
{
    (void)state;
    server_proc *sp = &g_server;
    assert_true(server_proc_start(sp, NULL));
    g_server_running = true;
    static chat_proc alice;
    const char *alice_args[] = {"--name", "alice", "--browse", NULL};
    start_chat(&alice, sp->port, alice_args);
    wait_for(&alice, "* at the lobby list");
    type_line(&alice, "/create open 4");
    const char *settings = "* lobby open: capacity 4, password no, max rtt none, metadata: none";
    wait_for_count(&alice, settings, 1);
    type_line(&alice, "/set password");
    wait_for_count(&alice, settings, 2);
    type_line(&alice, "/unready");
    wait_for(&alice, "* you are not ready (nothing to change)");
    type_line(&alice, "/set password pw");
    wait_for(&alice, "* lobby open: capacity 4, password yes, max rtt none, metadata: none");
    assert_int_equal(finish_chat(&alice), 0);

    char server_arg[32], out[4096];
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)sp->port);
    char *long_name[] = {
        LOBBY_CHAT_PATH, "--server", server_arg, "--name", "abcdefghijklmnopqrstuvwxyz0123",
        "--say",         "hi",       NULL};
    assert_int_equal(run_command(long_name, out, sizeof out, 10), 1);
    assert_non_null(strstr(out, "lobby-chat: join rejected: name must be 1 to 24 bytes\n"));
    assert_null(strstr(out, "(name is invalid)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lobby_commands_from_stdin, teardown),
        cmocka_unit_test_teardown(test_nobody_can_take_over_main, teardown),
        cmocka_unit_test_teardown(test_history_names_a_sender_who_left, teardown),
        cmocka_unit_test_teardown(test_commands_that_change_nothing_answer, teardown),
    };
    return cmocka_run_group_tests_name("lobby-chat lobby commands", tests, NULL, NULL);
}
