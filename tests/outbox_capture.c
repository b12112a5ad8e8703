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
