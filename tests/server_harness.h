/* The short names test_server_core.c and test_server_lobbies.c are written
 * in, over server_fixture.h: `harness` is the fixture, each pass is captured,
 * searched and ended. Static inline so that each test takes what it uses. */
#ifndef LOBBY_TEST_SERVER_HARNESS_H
#define LOBBY_TEST_SERVER_HARNESS_H

#include "server_fixture.h"

#include <stdbool.h>

typedef server_fixture harness;

/* Decodes every packet of this pass into h->got. */
static inline void capture(harness *h)
{
    server_fixture_capture(h);
}

/* What the transport does after sending: the next pass starts empty. */
static inline void end_pass(harness *h)
{
    server_fixture_clear(h);
}

static inline bool addressed_to(const delivery *d, uint32_t session)
{
    return delivery_addressed_to(d, session);
}

/* First captured message of `type` addressed to session, or NULL. */
static inline const delivery *find_for(const harness *h, uint32_t session, proto_type type)
{
    return server_fixture_find(h, session, type);
}

static inline const delivery *must_find_for(const harness *h, uint32_t session, proto_type type)
{
    return server_fixture_must_find(h, session, type);
}

#endif
