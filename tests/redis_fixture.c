/* A private redis-server per test: see redis_fixture.h. */
#include "redis_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { REDIS_FIXTURE_MAX_LIVE = 16 };

/* The servers still running, by pid and directory (not by fixture pointer:
 * a fixture on a test's stack is gone by the time atexit runs). The one
 * mutable global of this file, for the atexit hook that has no argument. */
static struct {
    pid_t pid;
    char dir[64];
} live[REDIS_FIXTURE_MAX_LIVE];

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* SIGTERM (and SIGCONT, so a paused server sees it), up to 3 s, SIGKILL. */
static void terminate(pid_t pid)
{
    int status;
    kill(pid, SIGTERM);
    kill(pid, SIGCONT);
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static void stop_all_at_exit(void)
{
    for (int i = 0; i < REDIS_FIXTURE_MAX_LIVE; i++) {
        if (live[i].pid > 0) {
            terminate(live[i].pid);
            remove_dir(live[i].dir);
            live[i].pid = 0;
        }
    }
}

static void track(pid_t pid, const char *dir)
{
    static bool hooked;
    if (!hooked) {
        atexit(stop_all_at_exit);
        hooked = true;
    }
    for (int i = 0; i < REDIS_FIXTURE_MAX_LIVE; i++) {
        if (live[i].pid == 0) {
            live[i].pid = pid;
            snprintf(live[i].dir, sizeof live[i].dir, "%s", dir);
            return;
        }
    }
}

static void untrack(pid_t pid)
{
    for (int i = 0; i < REDIS_FIXTURE_MAX_LIVE; i++)
        if (live[i].pid == pid)
            live[i].pid = 0;
}

/* A port the kernel just handed out, closed again for redis-server to take
 * (SO_REUSEADDR on its side; a lost race shows as an early exit, retried). */
static uint16_t free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

static void exec_server(const redis_fixture *f, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* the test died without its atexit */
    if (getppid() != parent)
        _exit(127);
    char log[128], port[8];
    snprintf(log, sizeof log, "%s/redis.log", f->dir);
    snprintf(port, sizeof port, "%u", (unsigned)f->port);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    const char *argv[32] = {"redis-server",
                            "--port",
                            port,
                            "--bind",
                            "127.0.0.1",
                            "--unixsocket",
                            f->sock_path,
                            "--unixsocketperm",
                            "700",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--daemonize",
                            "no",
                            "--dir",
                            f->dir,
                            "--logfile",
                            ""};
    int n = 19;
    if (f->password[0] != '\0') {
        argv[n++] = "--requirepass";
        argv[n++] = f->password;
    }
    argv[n] = NULL;
    execvp("redis-server", (char *const *)argv);
    _exit(127);
}

static bool answers_ping(const redis_fixture *f)
{
    const char *ping[] = {"PING"};
    char text[32];
    const char *r = redis_fixture_cli_text(f, 0, text, sizeof text, 1, ping);
    return r != NULL && strcmp(r, "PONG") == 0;
}

/* One start: fork, exec, wait until PING answers (5 s) or the child exits. */
static int start_once(redis_fixture *f)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        exec_server(f, parent);
    f->pid = pid;
    f->paused = false;
    track(pid, f->dir);
    for (int i = 0; i < 500; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            untrack(pid);
            f->pid = 0;
            return -1;
        }
        if (answers_ping(f))
            return 0;
        sleep_ms(10);
    }
    terminate(pid);
    untrack(pid);
    f->pid = 0;
    return -1;
}

int redis_fixture_start(redis_fixture *f, bool want_tcp, const char *password)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lobby-redis-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->sock_path, sizeof f->sock_path, "%s/redis.sock", f->dir);
    if (password != NULL)
        snprintf(f->password, sizeof f->password, "%s", password);
    for (int attempt = 0; attempt < 5; attempt++) {
        f->port = want_tcp ? free_port() : 0;
        if ((!want_tcp || f->port != 0) && start_once(f) == 0)
            return 0;
    }
    remove_dir(f->dir);
    f->dir[0] = '\0';
    return -1;
}

void redis_fixture_stop(redis_fixture *f)
{
    if (f->pid > 0) {
        terminate(f->pid);
        untrack(f->pid);
        f->pid = 0;
    }
    if (f->dir[0] != '\0')
        remove_dir(f->dir);
    f->dir[0] = '\0';
    f->paused = false;
}

int redis_fixture_pause(redis_fixture *f)
{
    if (f->pid <= 0 || kill(f->pid, SIGSTOP) != 0)
        return -1;
    f->paused = true;
    return 0;
}

int redis_fixture_resume(redis_fixture *f)
{
    if (f->pid <= 0 || kill(f->pid, SIGCONT) != 0)
        return -1;
    f->paused = false;
    return 0;
}

int redis_fixture_kill(redis_fixture *f)
{
    if (f->pid <= 0)
        return -1;
    int status;
    kill(f->pid, SIGKILL);
    waitpid(f->pid, &status, 0);
    untrack(f->pid);
    f->pid = 0;
    f->paused = false;
    return 0;
}

int redis_fixture_restart(redis_fixture *f)
{
    if (f->dir[0] == '\0')
        return -1;
    if (f->pid > 0) {
        terminate(f->pid);
        untrack(f->pid);
        f->pid = 0;
    }
    for (int attempt = 0; attempt < 20; attempt++) { /* the port may linger a moment */
        if (start_once(f) == 0)
            return 0;
        sleep_ms(50);
    }
    return -1;
}

const char *redis_fixture_unix_url(const redis_fixture *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "unix:%s", f->sock_path);
    return buf;
}

const char *redis_fixture_tcp_url(const redis_fixture *f, int db, bool with_password, char *buf,
                                  size_t cap)
{
    if (with_password && f->password[0] != '\0')
        snprintf(buf, cap, "redis://:%s@127.0.0.1:%u/%d", f->password, (unsigned)f->port, db);
    else
        snprintf(buf, cap, "redis://127.0.0.1:%u/%d", (unsigned)f->port, db);
    return buf;
}

/* A synchronous command that must answer OK-ish before the real one. */
static bool prelude(redisContext *c, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;
    if (r != NULL)
        freeReplyObject(r);
    return ok;
}

struct redisReply *redis_fixture_cli(const redis_fixture *f, int db, int argc, const char **argv)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectUnixWithTimeout(f->sock_path, tv);
    if (c == NULL)
        return NULL;
    redisReply *r = NULL;
    if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK)
        goto done;
    const char *auth[] = {"AUTH", f->password};
    if (f->password[0] != '\0' && !prelude(c, 2, auth))
        goto done;
    char db_text[16];
    snprintf(db_text, sizeof db_text, "%d", db);
    const char *select[] = {"SELECT", db_text};
    if (db != 0 && !prelude(c, 2, select))
        goto done;
    r = redisCommandArgv(c, argc, argv, NULL);
done:
    redisFree(c);
    return r;
}

const char *redis_fixture_cli_text(const redis_fixture *f, int db, char *out, size_t cap, int argc,
                                   const char **argv)
{
    redisReply *r = redis_fixture_cli(f, db, argc, argv);
    if (r == NULL)
        return NULL;
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        snprintf(out, cap, "%.*s", (int)r->len, r->str);
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(out, cap, "%lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        snprintf(out, cap, "(nil)");
        break;
    default:
        snprintf(out, cap, "(array %zu)", r->elements);
        break;
    }
    freeReplyObject(r);
    return out;
}
