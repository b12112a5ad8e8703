/* The server core in-process, driven as the transport drives it: connection
 * events and encoded messages go in with a time chosen by the test, and each
 * pass's outbox is read back decoded (outbox_capture.h). Shared by the
 * test_server_*.c files; only server.h's public calls, no sockets. */
#ifndef LOBBY_TEST_SERVER_FIXTURE_H
#define LOBBY_TEST_SERVER_FIXTURE_H

#include "outbox_capture.h"
#include "proto.h"
#include "server.h"

#include <stddef.h>
#include <stdint.h>

enum {
    SERVER_FIXTURE_MAX_CAPTURED = 256,  /* deliveries one pass may hold */
    SERVER_FIXTURE_T0_US = 1000 * 1000, /* tests start one second into the clock */
};

/* A connection on session with connect_data and every channel, from label
 * (an address text such as "test:1") and the address server_fixture_ip
 * gives session, at now_us. */
void server_fixture_connect(server *s, uint32_t session, uint32_t connect_data, const char *label,
                            uint64_t now_us);
/* The IPv4 address (network order) server_fixture_connect gives session:
 * a different one per session, so per-address quotas stay out of the way
 * of tests that are not about them. */
uint32_t server_fixture_ip(uint32_t session);
/* Encodes m (failing the running test when it cannot) and hands the bytes to
 * s as received on session at now_us, on the channel a well-behaved client
 * uses for m's type. */
void server_fixture_receive(server *s, uint32_t session, const proto_msg *m, uint64_t now_us);
/* What the transport does after sending: the next pass starts empty. */
void server_fixture_end_pass(server *s);

/* A server with its outbox captured; allocated by server_fixture_setup. */
typedef struct server_fixture {
    server *s;
    server_config cfg; /* what s was created from */
    uint64_t now_us;   /* the time the test gives the next call */
    delivery got[SERVER_FIXTURE_MAX_CAPTURED];
    size_t got_count;                    /* got[] is this pass after server_fixture_capture */
    char text[PROTO_MAX_STR8_BYTES + 1]; /* a text a test keeps past its pass */
} server_fixture;

/* cmocka setup: logs off, a fixture in *state whose server is created from
 * cfg at SERVER_FIXTURE_T0_US; -1 (nothing left allocated) on failure. */
int server_fixture_setup(void **state, const server_config *cfg);
/* cmocka teardown: destroys the server and frees the fixture in *state. */
int server_fixture_teardown(void **state);
/* Replaces fx's server with one created from cfg (which must be accepted),
 * back at SERVER_FIXTURE_T0_US with nothing captured. */
void server_fixture_restart(server_fixture *fx, const server_config *cfg);
/* The reason of the disconnect queued this pass for session, or -1. */
long server_fixture_disconnect_reason(const server_fixture *fx, uint32_t session);
/* Decodes every packet of this pass into fx->got. */
void server_fixture_capture(server_fixture *fx);
/* Ends the pass (server_fixture_end_pass) and forgets what was captured. */
void server_fixture_clear(server_fixture *fx);
/* The first captured delivery of type addressed to session; NULL when none,
 * or, with _must_, a failure of the running test. */
const delivery *server_fixture_find(const server_fixture *fx, uint32_t session, proto_type type);
const delivery *server_fixture_must_find(const server_fixture *fx, uint32_t session,
                                         proto_type type);

#endif
