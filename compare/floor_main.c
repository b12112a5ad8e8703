/* lobby-floor: the cost floor for lobby-server's traffic. It sends the same
 * packets in the same datagrams as the real server (one shared snapshot
 * packet per lobby per tick, chat and pongs in the pass that read them, one
 * flush per pass) and does nothing else, so its CPU per relayed position is
 * what ENet and the kernel cost for that traffic. */
#include "cli.h"
#include "clock.h"
#include "mini_cli.h"
#include "mini_lobby.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

enum {
    /* ENet's resend and ping timers need servicing even while nobody sends;
     * lobby-server wakes at least this often too. */
    LOOP_WAIT_MS = 10,
    /* A service call stops after 256 datagrams or at a CONNECT/DISCONNECT;
     * call again while the socket holds more, but not for ever. */
    DRAIN_MAX_SERVICE_CALLS = 64,
    MEMBER_STATS_INTERVAL_US = 1000000,
};

typedef struct floor_loop {
    ENetHost *host;
    mini_lobby *ml;
    uint64_t period_us;
    uint64_t next_tick_us;
    uint64_t next_member_stats_us;
    uint32_t min_pass_us;
    uint64_t passes, snapshots_sent;
} floor_loop;

static bool socket_readable(const ENetHost *host)
{
    struct pollfd pfd = {.fd = (int)host->socket, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

/* Every waiting event, each handled at once: positions are only stored. */
static void drain(floor_loop *f, uint64_t now_us)
{
    for (int calls = 0; calls < DRAIN_MAX_SERVICE_CALLS; calls++) {
        ENetEvent ev;
        /* < 0 means one oversized datagram: not fatal, read on. */
        for (int r = enet_host_service(f->host, &ev, 0); r > 0;
             r = enet_host_check_events(f->host, &ev))
            mini_lobby_handle(f->ml, &ev, now_us);
        if (!socket_readable(f->host))
            break;
    }
}

static void send_snapshot(floor_loop *f, const mini_room *r, proto_msg *m)
{
    if (m->u.snapshot.count == 0)
        return;
    f->snapshots_sent +=
        mini_lobby_broadcast(f->ml, r, UINT32_MAX, m, PROTO_CHANNEL_POSITION, false);
    m->u.snapshot.count = 0;
}

/* Everyone who moved, the recipient included (as lobby-server: one packet
 * for the whole lobby beats one per member). */
static void snapshot_room(floor_loop *f, const mini_room *r)
{
    proto_msg m = {.type = PROTO_POSITION_SNAPSHOT};
    for (unsigned i = 0; i < r->count; i++) {
        mini_player *p = &f->ml->players[r->members[i]];
        if (!p->moved)
            continue;
        mini_lobby_take_entry(p, &m.u.snapshot.entries[m.u.snapshot.count++]);
        if (m.u.snapshot.count == PROTO_MAX_SNAPSHOT_ENTRIES)
            send_snapshot(f, r, &m);
    }
    send_snapshot(f, r, &m);
}

/* lobby-server sends every lobby its members' link figures once a second;
 * so does the floor, so that its datagrams carry the same bytes. */
static void member_stats_room(floor_loop *f, const mini_room *r)
{
    proto_msg m = {.type = PROTO_MEMBER_STATS};
    m.u.member_stats.count = r->count;
    for (unsigned i = 0; i < r->count; i++) {
        const ENetPeer *peer = &f->host->peers[r->members[i]];
        uint32_t loss = (uint32_t)((uint64_t)peer->packetLoss * PROTO_MAX_LOSS_PERMYRIAD /
                                   ENET_PEER_PACKET_LOSS_SCALE);
        m.u.member_stats.members[i] = (proto_member_stat){
            .id = f->ml->players[r->members[i]].id,
            .rtt_ms =
                (uint16_t)(peer->roundTripTime > UINT16_MAX ? UINT16_MAX : peer->roundTripTime),
            .jitter_ms =
                (uint16_t)(peer->roundTripTimeVariance > UINT16_MAX ? UINT16_MAX
                                                                    : peer->roundTripTimeVariance),
            .loss_permyriad =
                (uint16_t)(loss > PROTO_MAX_LOSS_PERMYRIAD ? PROTO_MAX_LOSS_PERMYRIAD : loss)};
    }
    mini_lobby_broadcast(f->ml, r, UINT32_MAX, &m, PROTO_CHANNEL_POSITION, false);
}

static void tick(floor_loop *f, uint64_t now_us)
{
    if (now_us < f->next_tick_us)
        return;
    f->next_tick_us += f->period_us;
    if (f->next_tick_us <= now_us) /* fell behind: do not burst to catch up */
        f->next_tick_us = now_us + f->period_us;
    bool stats_due = now_us >= f->next_member_stats_us;
    if (stats_due)
        f->next_member_stats_us = now_us + MEMBER_STATS_INTERVAL_US;
    for (uint32_t i = 0; i < f->host->peerCount; i++) {
        const mini_room *r = &f->ml->rooms[i];
        if (r->in_use && r->count >= 2) /* alone, nobody needs your moves */
            snapshot_room(f, r);
        if (r->in_use && stats_due)
            member_stats_room(f, r);
    }
}

/* The same loop as lobby-server's: wait for datagrams or the tick, hold a
 * busy pass back by --min-pass-us, drain, tick, flush once. */
static void run(mini_lobby *ml, const mini_options *o, void *state)
{
    floor_loop *f = state;
    *f = (floor_loop){.host = ml->host,
                      .ml = ml,
                      .period_us = 1000000u / o->snapshot_hz,
                      .min_pass_us = o->min_pass_us};
    struct pollfd pfd = {.fd = (int)f->host->socket, .events = POLLIN};
    uint64_t last_pass_us = 0;
    f->next_tick_us = clock_now_us() + f->period_us;
    while (cli_signal_received() == 0) {
        if (poll(&pfd, 1, clock_ms_until(f->next_tick_us, LOOP_WAIT_MS)) < 0 && errno != EINTR)
            fprintf(stderr, "lobby-floor: poll: %s\n", strerror(errno));
        uint64_t now_us = clock_hold_back(last_pass_us, f->min_pass_us);
        last_pass_us = now_us;
        f->passes++;
        drain(f, now_us);
        tick(f, now_us);
        enet_host_flush(f->host);
    }
}

static void report(const mini_lobby *ml, const void *state)
{
    const floor_loop *f = state;
    fprintf(stderr, "snapshots_sent=%llu packets_created=%llu passes=%llu\n",
            (unsigned long long)f->snapshots_sent, (unsigned long long)ml->stats.packets_created,
            (unsigned long long)f->passes);
}

int main(int argc, char **argv)
{
    static const mini_program prog = {
        .name = "lobby-floor",
        .summary = "The cost floor for lobby-server's traffic: the same handshake, chat and\n"
                   "position snapshots (one packet per lobby per tick, one flush per loop\n"
                   "pass) with nothing else, for lobby-bench to compare against.",
        .has_tick = true,
        .packet_per_recipient = false,
        .run = run,
        .report = report,
    };
    floor_loop f;
    return mini_cli_main(&prog, &f, argc, argv);
}
