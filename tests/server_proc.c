#include "server_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

bool text_port_exchange(uint16_t tcp_port, const char *send, char *reply, size_t cap)
{
    reply[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(tcp_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size_t len = strlen(send), n = 0;
    bool sent =
        connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, send, len) == (ssize_t)len;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (sent && n + 1 < cap && strchr(reply, '\n') == NULL && poll(&p, 1, 5000) == 1) {
        ssize_t r = read(fd, reply + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        reply[n] = '\0';
    }
    close(fd);
    return sent;
}

double server_proc_metric_at(uint16_t http_port, const char *sample, int wait_ms)
{
    static char text[1 << 18];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(http_port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    static const char request[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    size_t len = 0;
    if (send(fd, request, sizeof request - 1, 0) == (ssize_t)(sizeof request - 1)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t got = 1;
        while (got > 0 && len < sizeof text - 1 && poll(&pfd, 1, wait_ms) > 0 &&
               (got = recv(fd, text + len, sizeof text - 1 - len, 0)) > 0)
            len += (size_t)got;
    }
    close(fd);
    text[len] = '\0';
    char needle[160];
    snprintf(needle, sizeof needle, "\n%s ", sample);
    const char *at = strstr(text, needle);
    return at ? strtod(at + strlen(needle), NULL) : -1;
}

size_t read_text_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (f != NULL) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return n;
}

bool server_proc_start(server_proc *sp, const char *const *extra_args)
{
    static char log_buf[1 << 16];
    const char *argv[32] = {LOBBY_SERVER_PATH, "--bind",     "127.0.0.1", "--port", "0",
                            "--http",          "127.0.0.1:0"};
    /* LOBBY_SERVER_UNDER_TEST runs another build (an A/B of an attack). */
    const char *other = getenv("LOBBY_SERVER_UNDER_TEST");
    if (other != NULL && other[0] != '\0')
        argv[0] = other;
    int argc = 7;
    for (int i = 0; extra_args != NULL && extra_args[i] != NULL && argc < 31; i++)
        argv[argc++] = extra_args[i];
    argv[argc] = NULL;
    snprintf(sp->log_path, sizeof sp->log_path, "/tmp/lobby-test-%d-XXXXXX", (int)getpid());
    int log_fd = mkstemp(sp->log_path);
    if (log_fd < 0)
        return false;
    sp->pid = fork();
    if (sp->pid == 0) {
        dup2(log_fd, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(log_fd);
    for (double start = now_ms(); now_ms() - start < 5000; sleep_ms(10)) {
        read_text_file(sp->log_path, log_buf, sizeof log_buf);
        const char *at = strstr(log_buf, "listening on 127.0.0.1:");
        if (at != NULL) {
            sp->port = (uint16_t)atoi(at + strlen("listening on 127.0.0.1:"));
            /* Logged before "listening on", so already there when HTTP is on. */
            const char *http = strstr(log_buf, "http on 127.0.0.1:");
            sp->http_port = http ? (uint16_t)atoi(http + strlen("http on 127.0.0.1:")) : 0;
            const char *tcp = strstr(log_buf, "text chat on 127.0.0.1:");
            sp->tcp_port = tcp ? (uint16_t)atoi(tcp + strlen("text chat on 127.0.0.1:")) : 0;
            return sp->port != 0;
        }
        if (waitpid(sp->pid, NULL, WNOHANG) == sp->pid)
            break;
    }
    fprintf(stderr, "lobby-server did not start; its log:\n%s\n", log_buf);
    return false;
}

void server_proc_stop(server_proc *sp, int *exit_code, double *elapsed_ms)
{
    int status = 0;
    double start = now_ms();
    kill(sp->pid, SIGTERM);
    pid_t done = 0;
    while ((done = waitpid(sp->pid, &status, WNOHANG)) == 0 && now_ms() - start < 5000)
        sleep_ms(2);
    if (done == 0) {
        kill(sp->pid, SIGKILL);
        waitpid(sp->pid, &status, 0);
    }
    if (elapsed_ms != NULL)
        *elapsed_ms = now_ms() - start;
    if (exit_code != NULL)
        *exit_code = (done == sp->pid && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    unlink(sp->log_path);
}

/* Reads the log in chunks, each starting with the end of the one before, so
 * a log of any size is searched and a needle across two chunks is found. */
static bool log_has(const server_proc *sp, const char *needle)
{
    static char buf[1 << 20];
    size_t keep = strlen(needle), have = 0;
    FILE *f = fopen(sp->log_path, "r");
    if (f == NULL)
        return false;
    bool found = false;
    while (!found && keep < sizeof buf / 2) {
        size_t got = fread(buf + have, 1, sizeof buf - 1 - have, f);
        buf[have + got] = '\0';
        found = strstr(buf, needle) != NULL;
        if (got == 0)
            break;
        have += got;
        size_t tail = have < keep ? have : keep;
        memmove(buf, buf + have - tail, tail);
        have = tail;
    }
    fclose(f);
    return found;
}

/* The server's log writer thread may write a line a moment after what it
 * reports reached a client: look again for a while, as long as the server
 * runs (a stopped one has flushed its log). */
bool server_proc_log_contains(const server_proc *sp, const char *needle)
{
    bool found = log_has(sp, needle);
    for (double start = now_ms(); !found && kill(sp->pid, 0) == 0 && now_ms() - start < 500;) {
        sleep_ms(10);
        found = log_has(sp, needle);
    }
    return found;
}

int run_command(char *const argv[], char *out, size_t cap, int timeout_s)
{
    char path[] = "/tmp/lobby-cmd-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    pid_t pid = spawn_logged(argv, path);
    int status = 0;
    pid_t done = 0;
    for (double start = now_ms(); pid > 0 && (done = waitpid(pid, &status, WNOHANG)) == 0;) {
        if (now_ms() - start > timeout_s * 1000.0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        sleep_ms(5);
    }
    read_text_file(path, out, cap);
    unlink(path);
    return (pid > 0 && done == pid && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
}

pid_t spawn_lobby_chat(uint16_t port, const char *name, int *stdin_fd)
{
    return spawn_lobby_chat_logged(port, name, stdin_fd, "/dev/null");
}

pid_t spawn_lobby_chat_logged(uint16_t port, const char *name, int *stdin_fd, const char *out_path)
{
    const char *args[] = {"--name", name, NULL};
    return spawn_lobby_chat_args(port, args, stdin_fd, out_path);
}

pid_t spawn_lobby_chat_args(uint16_t port, const char *const *args, int *stdin_fd,
                            const char *out_path)
{
    int fds[2];
    char server_arg[32];
    const char *argv[32] = {LOBBY_CHAT_PATH, "--server", server_arg};
    int argc = 3;
    for (int i = 0; args[i] != NULL && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    if (pipe(fds) != 0)
        return -1;
    /* Our end must not leak into later children (another lobby-chat would
     * hold it open, and this one would never see the end of its input). */
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)port);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[1]);
        int out_fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out_fd, STDOUT_FILENO);
        if (strcmp(out_path, "/dev/null") != 0)
            dup2(out_fd, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[0]);
    *stdin_fd = fds[1];
    return pid;
}

pid_t spawn_logged(char *const argv[], const char *out_path)
{
    int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd);
    return pid;
}

double server_proc_metric(const server_proc *sp, const char *sample, int wait_ms)
{
    return server_proc_metric_at(sp->http_port, sample, wait_ms);
}
