#include "server_fixture.h"

#include "log.h"
#include "outbox.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

void server_fixture_connect(server *s, uint32_t session, uint32_t connect_data, const char *label,
                            uint64_t now_us)
{
    server_on_connect(s, session, connect_data, PROTO_CHANNEL_COUNT, server_fixture_ip(session),
                      label, now_us);
}

uint32_t server_fixture_ip(uint32_t session)
{
    uint32_t host = 0x0A000000u + session + 1u; /* 10.0.x.y, one per session */
    return htonl(host);
}

void server_fixture_receive(server *s, uint32_t session, const proto_msg *m, uint64_t now_us)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES]; /* static: tests run one at a time */
    int len = proto_encode(m, buf, sizeof buf);
    if (len <= 0)
        fail_msg("cannot encode %s: %s", proto_type_name(m->type), proto_strerror(len));
    uint8_t channel = m->type == PROTO_POSITION ? PROTO_CHANNEL_POSITION : PROTO_CHANNEL_RELIABLE;
    server_on_receive(s, session, channel, buf, (size_t)len, now_us);
}

void server_fixture_end_pass(server *s)
{
    outbox_clear(server_outbox(s));
}

int server_fixture_setup(void **state, const server_config *cfg)
{
    log_set_level(LOG_OFF);
    server_fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    fx->cfg = *cfg;
    fx->now_us = SERVER_FIXTURE_T0_US;
    if (server_create(cfg, &fx->s) != SERVER_OK) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

int server_fixture_teardown(void **state)
{
    server_fixture *fx = *state;
    server_destroy(fx->s);
    free(fx);
    return 0;
}

void server_fixture_restart(server_fixture *fx, const server_config *cfg)
{
    server_destroy(fx->s);
    fx->s = NULL;
    fx->cfg = *cfg;
    fx->now_us = SERVER_FIXTURE_T0_US;
    fx->got_count = 0;
    assert_int_equal(server_create(cfg, &fx->s), SERVER_OK);
}

long server_fixture_disconnect_reason(const server_fixture *fx, uint32_t session)
{
    const outbox *ob = server_outbox(fx->s);
    for (size_t i = 0; i < ob->disconnect_count; i++)
        if (ob->disconnects[i].session == session)
            return (long)ob->disconnects[i].reason;
    return -1;
}

void server_fixture_capture(server_fixture *fx)
{
    fx->got_count = capture_outbox(server_outbox(fx->s), fx->got, SERVER_FIXTURE_MAX_CAPTURED);
}

void server_fixture_clear(server_fixture *fx)
{
    server_fixture_end_pass(fx->s);
    fx->got_count = 0;
}

const delivery *server_fixture_find(const server_fixture *fx, uint32_t session, proto_type type)
{
    return delivery_find(fx->got, fx->got_count, session, type);
}

const delivery *server_fixture_must_find(const server_fixture *fx, uint32_t session,
                                         proto_type type)
{
    const delivery *d = server_fixture_find(fx, session, type);
    if (d == NULL)
        fail_msg("no %s for session %u", proto_type_name(type), (unsigned)session);
    return d;
}
