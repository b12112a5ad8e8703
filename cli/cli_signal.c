#include "cli.h"

#include <signal.h>
#include <string.h>

/* Set from the signal handler, read by the program's loop through
 * cli_signal_received(): the one mutable global of every program. */
static volatile sig_atomic_t g_stop_signal = 0;

static void on_stop_signal(int sig)
{
    g_stop_signal = sig;
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

int cli_signal_received(void)
{
    return g_stop_signal;
}
