/* lobby-naive-relay: the relay the ENet tutorial leads people to write, for
 * lobby-bench to compare lobby-server against. One enet_host_service call
 * per event; each position goes straight out to every other member as a
 * packet of its own and is flushed before the next event is looked at, so
 * every relayed position costs a datagram and a system call. */
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
static void run(ENetHost *host, mini_lobby *ml, naive_stats *st)
{
    while (!mini_cli_stopping()) {
        ENetEvent ev;
        while (enet_host_service(host, &ev, SERVICE_TIMEOUT_MS) > 0) {
            st->events++;
            mini_player *moved = mini_lobby_handle(ml, &ev, clock_now_us());
            if (moved != NULL)
                relay_position(ml, moved);
            enet_host_flush(host);
            st->flushes++;
            if (mini_cli_stopping())
                break;
        }
    }
}

int main(int argc, char **argv)
{
    static const mini_program prog = {
        .name = "lobby-naive-relay",
        .summary = "A relay as the ENet tutorial leads people to write it: every position\n"
                   "goes to each other member at once as its own packet and is flushed,\n"
                   "for lobby-bench to compare lobby-server against.",
        .has_tick = false,
    };
    mini_options o;
    int status = mini_cli_parse(&prog, argc, argv, &o);
    if (status >= 0)
        return status;
    ENetHost *host = mini_cli_listen(&prog, &o);
    if (host == NULL)
        return 1;
    mini_lobby *ml = NULL;
    if (mini_lobby_create(host, true, &ml) != 0) {
        fprintf(stderr, "lobby-naive-relay: out of memory\n");
        mini_cli_close(host);
        return 1;
    }
    mini_cli_install_signals();
    naive_stats st = {0};
    run(host, ml, &st);
    mini_lobby_disconnect_all(ml);
    fprintf(stderr,
            "lobby-naive-relay: stopped: joins=%llu positions=%llu chats=%llu pings=%llu "
            "packets_created=%llu events=%llu flushes=%llu\n",
            (unsigned long long)ml->stats.joins, (unsigned long long)ml->stats.positions_in,
            (unsigned long long)ml->stats.chats, (unsigned long long)ml->stats.pings,
            (unsigned long long)ml->stats.packets_created, (unsigned long long)st.events,
            (unsigned long long)st.flushes);
    mini_lobby_destroy(ml);
    mini_cli_close(host);
    return 0;
}
