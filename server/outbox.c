#include "outbox.h"

#include <stdlib.h>
#include <string.h>

void outbox_init(outbox *ob)
{
    memset(ob, 0, sizeof *ob);
}

void outbox_deinit(outbox *ob)
{
    free(ob->bytes);
    free(ob->packets);
    free(ob->dests);
    free(ob->disconnects);
    outbox_init(ob);
}

void outbox_clear(outbox *ob)
{
    ob->bytes_len = 0;
    ob->packet_count = 0;
    ob->dest_count = 0;
    ob->disconnect_count = 0;
}

/* Makes room for `want` more items of `size` bytes in a growable array. */
static int reserve(void **items, size_t *cap, size_t used, size_t want, size_t size)
{
    if (*cap - used >= want)
        return OUTBOX_OK;
    size_t new_cap = *cap ? *cap : 64;
    while (new_cap - used < want)
        new_cap *= 2;
    void *grown = realloc(*items, new_cap * size);
    if (grown == NULL)
        return OUTBOX_ERR_NOMEM;
    *items = grown;
    *cap = new_cap;
    return OUTBOX_OK;
}

int outbox_push(outbox *ob, const proto_msg *msg, uint8_t channel, bool reliable)
{
    if (reserve((void **)&ob->bytes, &ob->bytes_cap, ob->bytes_len, PROTO_MAX_MESSAGE_BYTES, 1) ||
        reserve((void **)&ob->packets, &ob->packet_cap, ob->packet_count, 1, sizeof *ob->packets))
        return OUTBOX_ERR_NOMEM;
    int len = proto_encode(msg, ob->bytes + ob->bytes_len, PROTO_MAX_MESSAGE_BYTES);
    if (len < 0)
        return OUTBOX_ERR_ENCODE;
    outbox_packet *p = &ob->packets[ob->packet_count++];
    p->offset = ob->bytes_len;
    p->len = (size_t)len;
    p->first_dest = ob->dest_count;
    p->dest_count = 0;
    p->channel = channel;
    p->reliable = reliable;
    ob->bytes_len += (size_t)len;
    return OUTBOX_OK;
}

int outbox_add_dest(outbox *ob, uint32_t session)
{
    if (ob->packet_count == 0)
        return OUTBOX_ERR_ENCODE;
    if (reserve((void **)&ob->dests, &ob->dest_cap, ob->dest_count, 1, sizeof *ob->dests))
        return OUTBOX_ERR_NOMEM;
    ob->dests[ob->dest_count++] = session;
    ob->packets[ob->packet_count - 1].dest_count++;
    return OUTBOX_OK;
}

int outbox_disconnect_session(outbox *ob, uint32_t session, uint32_t reason)
{
    if (reserve((void **)&ob->disconnects, &ob->disconnect_cap, ob->disconnect_count, 1,
                sizeof *ob->disconnects))
        return OUTBOX_ERR_NOMEM;
    ob->disconnects[ob->disconnect_count].session = session;
    ob->disconnects[ob->disconnect_count].reason = reason;
    ob->disconnect_count++;
    return OUTBOX_OK;
}

void outbox_forget_session(outbox *ob, uint32_t session)
{
    for (size_t i = 0; i < ob->dest_count; i++)
        if (ob->dests[i] == session)
            ob->dests[i] = OUTBOX_NO_SESSION;
    for (size_t i = 0; i < ob->disconnect_count; i++)
        if (ob->disconnects[i].session == session)
            ob->disconnects[i].session = OUTBOX_NO_SESSION;
}
