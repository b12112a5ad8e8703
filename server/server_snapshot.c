/* Position snapshots. Positions are stored as they arrive and sent on a
 * fixed tick: each lobby's newest positions go out as one packet shared by
 * all its members, so a player gets one datagram per tick whatever the
 * lobby size, instead of one per position per other member.
 *
 * The packet carries the recipient's own entry too. Leaving it out would
 * need one encoding and one ENet packet per member instead of per lobby;
 * the extra 23 bytes are cheaper, and clients skip their own id. */
#include "server_ctx.h"
#include "server_lobby_msgs.h"

/* Queues what is collected in m to every live member of l. */
static void send_snapshot(server_ctx *s, const lobby *l, proto_msg *m, unsigned own_entries)
{
    if (m->u.snapshot.count == 0)
        return;
    uint32_t recipients = replies_to_lobby(s->out, l, 0, m, PROTO_CHANNEL_POSITION, false);
    if (recipients > 0)
        s->stats->position_relays += (uint64_t)m->u.snapshot.count * recipients - own_entries;
    s->stats->snapshots += recipients;
    m->u.snapshot.count = 0;
}

static void snapshot_lobby(server_ctx *s, lobby *l)
{
    proto_msg m = {.type = PROTO_POSITION_SNAPSHOT};
    unsigned own_entries = 0; /* entries whose player also receives the packet */
    for (unsigned i = 0; i < l->count; i++) {
        lobby_player *p = &l->players[i];
        if (!p->moved && !s->cfg->snapshot_full)
            continue;
        proto_snapshot_entry *e = &m.u.snapshot.entries[m.u.snapshot.count++];
        e->id = p->id;
        e->seq = p->pos_seq;
        e->sent_us = p->pos_sent_us;
        e->x = p->x;
        e->y = p->y;
        e->merged = p->moved ? p->merged : 0;
        s->stats->positions_merged += e->merged;
        p->moved = false;
        p->merged = 0;
        own_entries += p->session != LOBBY_NO_SESSION;
        if (m.u.snapshot.count == PROTO_MAX_SNAPSHOT_ENTRIES) {
            send_snapshot(s, l, &m, own_entries);
            own_entries = 0;
        }
    }
    send_snapshot(s, l, &m, own_entries);
}

void server_send_snapshots(server_ctx *s)
{
    for (uint32_t i = 0; i < s->lobbies->max_lobbies; i++) {
        lobby *l = &s->lobbies->lobbies[i];
        /* Alone in a lobby, nobody needs to hear about your moves. */
        if (l->in_use && l->count >= 2)
            snapshot_lobby(s, l);
    }
}
