/* What the server core wants sent at the end of a loop pass: encoded
 * messages with their recipients, and disconnects. The core writes here
 * instead of calling ENet; the transport sends it all, then flushes once, so
 * ENet packs everything queued for a peer into as few datagrams as it can.
 * A message with several recipients is encoded once and shared. */
#ifndef LOBBY_OUTBOX_H
#define LOBBY_OUTBOX_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct outbox_packet {
    size_t offset, len;            /* into outbox.bytes */
    size_t first_dest, dest_count; /* into outbox.dests */
    uint8_t channel;
    bool reliable;
} outbox_packet;

typedef struct outbox_disconnect {
    uint32_t session;
    uint32_t reason; /* proto_reason, carried as ENet disconnect data */
} outbox_disconnect;

typedef struct outbox {
    uint8_t *bytes;
    size_t bytes_len, bytes_cap;
    outbox_packet *packets;
    size_t packet_count, packet_cap;
    uint32_t *dests; /* session handles; OUTBOX_NO_SESSION once forgotten */
    size_t dest_count, dest_cap;
    outbox_disconnect *disconnects;
    size_t disconnect_count, disconnect_cap;
} outbox;

enum { OUTBOX_NO_SESSION = UINT32_MAX };

typedef enum outbox_error {
    OUTBOX_OK = 0,
    OUTBOX_ERR_NOMEM = -1,
    OUTBOX_ERR_ENCODE = -2,
} outbox_error;

void outbox_init(outbox *ob);
void outbox_deinit(outbox *ob);
/* Empties the outbox, keeping its memory for the next pass. */
void outbox_clear(outbox *ob);

/* Encodes msg as a new packet with no recipients yet. Returns OUTBOX_OK or a
 * negative outbox_error. */
int outbox_push(outbox *ob, const proto_msg *msg, uint8_t channel, bool reliable);
/* Adds a recipient to the packet pushed last. */
int outbox_add_dest(outbox *ob, uint32_t session);
/* Queues a disconnect, performed after the packets of this pass are queued. */
int outbox_disconnect_session(outbox *ob, uint32_t session, uint32_t reason);
/* Drops everything addressed to a session that has gone, so a new connection
 * reusing its handle in the same pass cannot receive it. */
void outbox_forget_session(outbox *ob, uint32_t session);

#endif
