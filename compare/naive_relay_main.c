/* lobby-naive-relay: the relay the ENet tutorial leads people to write, for
 * lobby-bench to compare lobby-server against. One enet_host_service call
 * per event; each position goes straight out to every other member as a
 * packet of its own and is flushed before the next event is looked at, so
 * every relayed position costs a datagram and a system call. */
#include "cli.h"
#include "clock.h"
#include "mini_cli.h"
#include "mini_lobby.h"

#include <stdio.h>

enum {
    /* enet_host_service sleeps out its whole timeout even when a signal
     * arrives, so this bounds how long SIGTERM takes to act. */
    SERVICE_TIMEOUT_MS = 100,
};

typedef struct naive_stats {
    uint64_t events, flushes;
} naive_stats;

/* A 1-entry snapshot to each other member, each its own ENet packet. */
static void relay_position(mini_lobby *ml, mini_player *p)
{
    uint32_t from = (uint32_t)(p - ml->players); /* players are indexed by peer */
    proto_msg m = {.type = PROTO_POSITION_SNAPSHOT};
    m.u.snapshot.count = 1;
    mini_lobby_take_entry(p, &m.u.snapshot.entries[0]);
    mini_lobby_broadcast(ml, &ml->rooms[p->room], from, &m, PROTO_CHANNEL_POSITION, false);
}

/* The tutorial's loop: service, handle, send, flush, one event at a time. */
static void run(mini_lobby *ml, const mini_options *o, void *state)
{
    (void)o;
    ENetHost *host = ml->host;
    naive_stats *st = state;
    while (cli_signal_received() == 0) {
        ENetEvent ev;
        while (enet_host_service(host, &ev, SERVICE_TIMEOUT_MS) > 0) {
            st->events++;
            mini_player *moved = mini_lobby_handle(ml, &ev, clock_now_us());
            if (moved != NULL)
                relay_position(ml, moved);
            enet_host_flush(host);
            st->flushes++;
            if (cli_signal_received() != 0)
                break;
        }
    }
}

static void report(const mini_lobby *ml, const void *state)
{
    const naive_stats *st = state;
    fprintf(stderr, "packets_created=%llu events=%llu flushes=%llu\n",
            (unsigned long long)ml->stats.packets_created, (unsigned long long)st->events,
            (unsigned long long)st->flushes);
}

int main(int argc, char **argv)
{
    static const mini_program prog = {
        .name = "lobby-naive-relay",
        .summary = "A relay as the ENet tutorial leads people to write it: every position\n"
                   "goes to each other member at once as its own packet and is flushed,\n"
                   "for lobby-bench to compare lobby-server against.",
        .has_tick = false,
        .packet_per_recipient = true,
        .run = run,
        .report = report,
    };
    naive_stats st = {0};
    return mini_cli_main(&prog, &st, argc, argv);
}
