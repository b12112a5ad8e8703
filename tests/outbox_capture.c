#include "outbox_capture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

size_t capture_outbox(const outbox *ob, delivery *got, size_t cap)
{
    if (ob->packet_count > cap)
        fail_msg("%zu packets queued, the test keeps %zu", ob->packet_count, cap);
    for (size_t i = 0; i < ob->packet_count; i++) {
        const outbox_packet *p = &ob->packets[i];
        delivery *d = &got[i];
        int err = proto_decode(ob->bytes + p->offset, p->len, &d->msg);
        if (err != PROTO_OK)
            fail_msg("outbox packet %zu does not decode: %s", i, proto_strerror(err));
        d->channel = p->channel;
        d->reliable = p->reliable;
        d->dests = ob->dests + p->first_dest;
        d->dest_count = p->dest_count;
    }
    return ob->packet_count;
}

bool delivery_addressed_to(const delivery *d, uint32_t session)
{
    for (size_t i = 0; i < d->dest_count; i++)
        if (d->dests[i] == session)
            return true;
    return false;
}

const delivery *delivery_find(const delivery *got, size_t count, uint32_t session, proto_type type)
{
    for (size_t i = 0; i < count; i++)
        if (got[i].msg.type == type && delivery_addressed_to(&got[i], session))
            return &got[i];
    return NULL;
}

/* The packet's decoded form, or a failure of the running test. */
static void decode_packet(const outbox *ob, const outbox_packet *p, proto_msg *out)
{
    int err = proto_decode(ob->bytes + p->offset, p->len, out);
    if (err != PROTO_OK)
        fail_msg("outbox packet does not decode: %s", proto_strerror(err));
}

/* How many times p's destinations name session. */
static size_t packet_dests_to(const outbox *ob, const outbox_packet *p, uint32_t session)
{
    size_t n = 0;
    for (size_t d = 0; d < p->dest_count; d++)
        n += ob->dests[p->first_dest + d] == session;
    return n;
}

bool capture_find_msg(const outbox *ob, uint32_t session, proto_type type, proto_msg *out)
{
    for (size_t i = 0; i < ob->packet_count; i++) {
        decode_packet(ob, &ob->packets[i], out);
        if (out->type == type && packet_dests_to(ob, &ob->packets[i], session) > 0)
            return true;
    }
    return false;
}

size_t capture_count_msgs(const outbox *ob, uint32_t session, proto_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < ob->packet_count; i++) {
        proto_msg m;
        decode_packet(ob, &ob->packets[i], &m);
        if (m.type == type)
            n += packet_dests_to(ob, &ob->packets[i], session);
    }
    return n;
}
