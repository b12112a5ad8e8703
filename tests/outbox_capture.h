/* Reading the server core's outbox in tests: each queued packet decoded,
 * with where it goes. Shared by the tests that drive the core in-process. */
#ifndef LOBBY_TEST_OUTBOX_CAPTURE_H
#define LOBBY_TEST_OUTBOX_CAPTURE_H

#include "outbox.h"
#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One decoded outbox packet. Its strings and dests point into the outbox,
 * so they are valid until the outbox is cleared. */
typedef struct delivery {
    proto_msg msg;
    uint8_t channel;
    bool reliable;
    const uint32_t *dests;
    size_t dest_count;
} delivery;

/* Decodes every packet of ob into got[0..cap) and returns how many; fails
 * the running test when there are more than cap or one does not decode. */
size_t capture_outbox(const outbox *ob, delivery *got, size_t cap);
bool delivery_addressed_to(const delivery *d, uint32_t session);
/* The first of got[0..count) of this type addressed to session, or NULL. */
const delivery *delivery_find(const delivery *got, size_t count, uint32_t session, proto_type type);

/* Without keeping them: decodes the packets of ob in order (failing the
 * running test on one that does not decode) into *out until one of type is
 * addressed to session; false when none is. */
bool capture_find_msg(const outbox *ob, uint32_t session, proto_type type, proto_msg *out);
/* How many times a packet of ob of type is addressed to session. */
size_t capture_count_msgs(const outbox *ob, uint32_t session, proto_type type);

#endif
