#include "cli.h"

#include <signal.h>
#include <string.h>

/* Set from the signal handler, read by the program's loop through
 * cli_signal_received(): the one mutable global of every program. */
static volatile sig_atomic_t g_stop_signal = 0;
/* SIGUSR1s received (lobby-server: drain); the loop compares counts. */
static volatile sig_atomic_t g_usr1_count = 0;

static void on_stop_signal(int sig)
{
    g_stop_signal = sig;
}

static void on_usr1(int sig)
{
    (void)sig;
    g_usr1_count++;
}

void cli_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: poll() returns EINTR at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_signal_install_usr1(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

int cli_usr1_count(void)
{
    return g_usr1_count;
}

int cli_signal_received(void)
{
    return g_stop_signal;
}
