/* The client core follows a REDIRECT (protocol version 6) by itself: a
 * scripted server A (a bare ENet host in the test, answering the cookie like
 * lobby-server) redirects every HELLO, JOIN_LOBBY and CREATE_LOBBY to server
 * B, the real lobby-server process in a cluster (its own redis-server, a
 * shared secret), with a ticket A signs with that secret as a cluster
 * server would, so B checks it and holds the lobby there. Covers the three requests, the password
 * and create settings carried over, a client of a shared ENet host (client_net, as lobby-bench
 * uses), a redirect loop ending after three, and a target that does not answer. */
#include "client.h"
#include "clock.h"
#include "cluster_ticket.h"
#include "redis_fixture.h"
#include "enet_raw.h"
#include "server_proc.h"

#include <enet/enet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

enum { WAIT_MS = 5000, MAX_CLIENTS = 2, MAX_EVENTS = 64 };

/* Server A: answers a BROWSE hello with LOBBY_EXITED (so the client is at
 * its lobby list) and any other HELLO, JOIN_LOBBY or CREATE_LOBBY with a
 * REDIRECT to target_host:target_port. */
typedef struct fake_a {
    ENetHost *host;
    uint16_t port;
    const char *target_host;
    uint16_t target_port;
    int hellos, hellos_with_ticket, redirects_sent, quits;
    char last_ticket[16];                  /* the ticket of the last HELLO that had one */
    cluster_tickets *tickets;              /* signs real tickets for B ("b") */
    char player[PROTO_MAX_NAME_BYTES + 1]; /* the last HELLO's name */
} fake_a;

/* What one client saw. */
typedef struct seen {
    client *c;
    int count;
    client_event_type types[MAX_EVENTS];
    client_event redirected, ended; /* the last REDIRECTED; DISCONNECTED or REJECTED */
    int redirects;
} seen;

typedef struct fixture {
    server_proc b;
    redis_fixture redis;
    char secret_path[64];
    fake_a a;
    client_net *net; /* NULL: the clients have private hosts */
    seen s[MAX_CLIENTS];
    int silent_fd; /* a UDP socket nobody reads: an unreachable target */
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    f.silent_fd = -1;
    static const uint8_t SECRET[] = "the test cluster's shared secret";
    snprintf(f.secret_path, sizeof f.secret_path, "/tmp/lobby-redirect-secret-XXXXXX");
    int fd = mkstemp(f.secret_path);
    if (fd < 0 || write(fd, SECRET, sizeof SECRET) != (ssize_t)sizeof SECRET || close(fd) != 0)
        return -1;
    f.a.tickets = malloc(sizeof *f.a.tickets);
    if (f.a.tickets == NULL || cluster_tickets_init(f.a.tickets, SECRET, sizeof SECRET, "a") != 0)
        return -1;
    char url[300];
    if (redis_fixture_start(&f.redis, false, NULL) != 0)
        return -1;
    const char *args[] = {"--cluster",
                          redis_fixture_unix_url(&f.redis, url, sizeof url),
                          "--cluster-secret-file",
                          f.secret_path,
                          "--server-id",
                          "b",
                          NULL};
    if (enet_initialize() != 0 || !server_proc_start(&f.b, args))
        return -1;
    ENetAddress addr = {.port = 0};
    enet_address_set_host(&addr, "127.0.0.1");
    f.a.host = enet_host_create(&addr, 8, PROTO_CHANNEL_COUNT, 0, 0);
    ENetAddress bound;
    if (f.a.host == NULL || enet_socket_get_address(f.a.host->socket, &bound) != 0)
        return -1;
    f.a.port = bound.port;
    f.a.target_host = "127.0.0.1";
    f.a.target_port = f.b.port;
    raw_answer_cookies(f.a.host);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (f->net == NULL)
            client_destroy(f->s[i].c);
    client_net_destroy(f->net);
    enet_host_destroy(f->a.host);
    if (f->silent_fd >= 0)
        close(f->silent_fd);
    int code;
    double ms;
    server_proc_stop(&f->b, &code, &ms);
    redis_fixture_stop(&f->redis);
    unlink(f->secret_path);
    free(f->a.tickets);
    enet_deinitialize();
    return 0;
}

/* ---- server A ---------------------------------------------------------------- */

static void a_send(fake_a *a, ENetPeer *peer, const proto_msg *m)
{
    static uint8_t buf[PROTO_MAX_MESSAGE_BYTES];
    int len = proto_encode(m, buf, sizeof buf);
    assert_true(len > 0);
    enet_peer_send(peer, PROTO_CHANNEL_RELIABLE,
                   enet_packet_create(buf, (size_t)len, ENET_PACKET_FLAG_RELIABLE));
    enet_host_flush(a->host);
}

static void a_redirect(fake_a *a, ENetPeer *peer, proto_type request, proto_str lobby)
{
    char ticket[TICKET_MAX_BYTES], text[96];
    int len = snprintf(ticket, sizeof ticket, "tk-%d", ++a->redirects_sent);
    if (strcmp(a->target_host, "127.0.0.1") == 0 && a->target_port != a->port) {
        /* To B: a real ticket, which B verifies (a redirect loop to A keeps
         * the numbered ones, to tell them apart). */
        uint8_t kind = request == PROTO_CREATE_LOBBY ? TICKET_PLACE : TICKET_JOIN;
        len = cluster_tickets_issue(a->tickets, kind, lobby, proto_str_from_cstr(a->player), "b",
                                    clock_unix_ms() + 5000, (uint8_t *)ticket, sizeof ticket);
        assert_true(len > 0);
    }
    snprintf(text, sizeof text, "lobby '%.*s' is on server b", (int)lobby.len, lobby.bytes);
    proto_msg m = {.type = PROTO_REDIRECT};
    m.u.redirect.request = (uint8_t)request;
    m.u.redirect.lobby = lobby;
    m.u.redirect.host = proto_str_from_cstr(a->target_host);
    m.u.redirect.port = a->target_port;
    m.u.redirect.server_id = proto_str_from_cstr("b");
    m.u.redirect.ticket = (proto_str){ticket, (size_t)len};
    m.u.redirect.text = proto_str_from_cstr(text);
    a_send(a, peer, &m);
}

static void a_on_hello(fake_a *a, ENetPeer *peer, const proto_msg *m)
{
    a->hellos++;
    snprintf(a->player, sizeof a->player, "%.*s", (int)m->u.hello.name.len, m->u.hello.name.bytes);
    if (m->u.hello.ticket.len > 0) {
        a->hellos_with_ticket++;
        snprintf(a->last_ticket, sizeof a->last_ticket, "%.*s", (int)m->u.hello.ticket.len,
                 m->u.hello.ticket.bytes);
    }
    if (m->u.hello.mode == PROTO_HELLO_BROWSE) {
        proto_msg ex = {.type = PROTO_LOBBY_EXITED};
        ex.u.lobby_exited.reason = PROTO_EXIT_BROWSING;
        a_send(a, peer, &ex);
        return;
    }
    a_redirect(a, peer, PROTO_HELLO, m->u.hello.lobby);
}

static void a_on_receive(fake_a *a, ENetPeer *peer, const ENetPacket *p)
{
    proto_msg m;
    if (proto_decode(p->data, p->dataLength, &m) != PROTO_OK)
        return;
    if (m.type == PROTO_HELLO)
        a_on_hello(a, peer, &m);
    else if (m.type == PROTO_JOIN_LOBBY)
        a_redirect(a, peer, PROTO_JOIN_LOBBY, m.u.join_lobby.name);
    else if (m.type == PROTO_CREATE_LOBBY)
        a_redirect(a, peer, PROTO_CREATE_LOBBY, m.u.create_lobby.name);
}

static void a_service(fake_a *a)
{
    ENetEvent ev;
    while (enet_host_service(a->host, &ev, 0) > 0) {
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            a_on_receive(a, ev.peer, ev.packet);
            enet_packet_destroy(ev.packet);
        } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT && ev.data == PROTO_REASON_QUIT) {
            a->quits++;
        }
    }
}

/* ---- clients ------------------------------------------------------------------- */

static void note(seen *s, const client_event *ev)
{
    if (s->count < MAX_EVENTS)
        s->types[s->count++] = ev->type;
    if (ev->type == CLIENT_EV_REDIRECTED) {
        s->redirected = *ev;
        s->redirects++;
    }
    if (ev->type == CLIENT_EV_DISCONNECTED || ev->type == CLIENT_EV_REJECTED)
        s->ended = *ev;
}

static void pump(fixture *f)
{
    a_service(&f->a);
    client_event ev;
    if (f->net != NULL) {
        client_net_update(f->net, clock_now_us());
        client *c;
        while (client_net_next_ready(f->net, &c))
            while (client_next_event(c, &ev))
                note(client_user(c), &ev);
    } else {
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (f->s[i].c == NULL)
                continue;
            client_update(f->s[i].c, clock_now_us());
            while (client_next_event(f->s[i].c, &ev))
                note(&f->s[i], &ev);
        }
    }
    poll(NULL, 0, 1);
}

static client_state state_of(const fixture *f, int i)
{
    return client_get_view(f->s[i].c)->state;
}

/* Pumps until client i is in state want (true), or WAIT_MS pass (false). */
static bool wait_state(fixture *f, int i, client_state want)
{
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump(f))
        if (state_of(f, i) == want)
            return true;
    return false;
}

static bool wait_quits(fixture *f, int quits)
{
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump(f))
        if (f->a.quits >= quits)
            return true;
    return false;
}

static void start(fixture *f, int i, uint16_t port, const char *lobby, const char *password,
                  bool browse)
{
    char name[8];
    snprintf(name, sizeof name, "p%d", i);
    client_config cfg;
    client_config_defaults(&cfg);
    cfg.port = port;
    cfg.name = name;
    cfg.lobby = lobby;
    cfg.password = password;
    cfg.browse = browse;
    cfg.timeout_ms = 2000;
    cfg.auto_reconnect = true; /* a failed redirect must end it all the same */
    cfg.reconnect_base_ms = 10;
    cfg.user = &f->s[i];
    memset(&f->s[i], 0, sizeof f->s[i]);
    if (f->net != NULL)
        assert_int_equal(client_create_on(f->net, &cfg, clock_now_us(), &f->s[i].c), CLIENT_OK);
    else
        assert_int_equal(client_create(&cfg, clock_now_us(), &f->s[i].c), CLIENT_OK);
}

static void use_shared_net(fixture *f)
{
    assert_int_equal(client_net_create(MAX_CLIENTS, &f->net), CLIENT_OK);
}

/* The events before the first JOINED, and that one of them is REDIRECTED
 * and none says the connection ended. */
static int index_of(const seen *s, client_event_type type)
{
    for (int i = 0; i < s->count; i++)
        if (s->types[i] == type)
            return i;
    return -1;
}

static void assert_redirected_then_joined(const seen *s)
{
    int r = index_of(s, CLIENT_EV_REDIRECTED), j = index_of(s, CLIENT_EV_JOINED);
    assert_true(r >= 0 && j > r);
    assert_int_equal(s->redirects, 1);
    assert_int_equal(index_of(s, CLIENT_EV_DISCONNECTED), -1);
    assert_int_equal(index_of(s, CLIENT_EV_REJECTED), -1);
    assert_int_equal(index_of(s, CLIENT_EV_RECONNECTING), -1);
}

static void assert_redirect_fields(const fixture *f, const seen *s, uint32_t request,
                                   const char *lobby)
{
    assert_int_equal(s->redirected.redirected.request, request);
    assert_string_equal(s->redirected.redirected.lobby, lobby);
    assert_string_equal(s->redirected.redirected.host, "127.0.0.1");
    assert_int_equal(s->redirected.redirected.port, f->b.port);
    assert_string_equal(s->redirected.redirected.server_id, "b");
    char text[64];
    snprintf(text, sizeof text, "lobby '%s' is on server b", lobby);
    assert_string_equal(s->redirected.text, text);
}

/* Waits for the LOBBY_STATE that follows a welcome (settings, owner). */
static void wait_lobby_state(fixture *f, int i)
{
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u; clock_now_us() < end; pump(f))
        if (client_get_view(f->s[i].c)->lobby_state != 0)
            return;
    fail_msg("no LOBBY_STATE");
}

/* ---- the three requests ----------------------------------------------------------- */

/* A private client (one peer slot): the HELLO's join is replayed at B with
 * the player's password, which opens the lobby there locked with it. */
static void hello_join_is_redirected(void **state)
{
    fixture *f = *state;
    start(f, 0, f->a.port, "hx", "pw", false);
    assert_true(wait_state(f, 0, CLIENT_JOINED));
    assert_redirected_then_joined(&f->s[0]);
    assert_redirect_fields(f, &f->s[0], PROTO_HELLO, "hx");
    assert_string_equal(client_get_view(f->s[0].c)->lobby, "hx");
    wait_lobby_state(f, 0);
    assert_true(client_get_view(f->s[0].c)->has_password);
    assert_true(wait_quits(f, 1)); /* A was left with QUIT, not dropped */
    assert_int_equal(f->a.hellos, 1);
}

/* On a shared host, from A's lobby list: JOIN_LOBBY becomes a HELLO JOIN at
 * B with the join's password; a second client of the same host, connected
 * to B directly, meets it there. */
static void join_lobby_is_redirected(void **state)
{
    fixture *f = *state;
    use_shared_net(f);
    start(f, 0, f->a.port, NULL, NULL, true);
    assert_true(wait_state(f, 0, CLIENT_BROWSING));
    assert_int_equal(client_join_lobby(f->s[0].c, "jy", "s3"), CLIENT_OK);
    assert_true(wait_state(f, 0, CLIENT_JOINED));
    assert_redirected_then_joined(&f->s[0]);
    assert_redirect_fields(f, &f->s[0], PROTO_JOIN_LOBBY, "jy");
    wait_lobby_state(f, 0);
    assert_true(client_get_view(f->s[0].c)->has_password);
    start(f, 1, f->b.port, "jy", "s3", false);
    assert_true(wait_state(f, 1, CLIENT_JOINED));
    for (uint64_t end = clock_now_us() + WAIT_MS * 1000u;
         client_get_view(f->s[0].c)->player_count < 2 && clock_now_us() < end;)
        pump(f);
    assert_int_equal(client_get_view(f->s[0].c)->player_count, 2);
    assert_int_equal(client_get_view(f->s[1].c)->player_count, 2);
    assert_true(wait_quits(f, 1));
}

/* CREATE_LOBBY: a BROWSE hello at B, then the same CREATE_LOBBY again; the
 * app hears REDIRECTED and JOINED, not the lobby list in between. */
static void create_lobby_is_redirected(void **state)
{
    fixture *f = *state;
    use_shared_net(f);
    start(f, 0, f->a.port, NULL, NULL, true);
    assert_true(wait_state(f, 0, CLIENT_BROWSING));
    int exits_at_a = f->s[0].count;
    client_lobby_settings set = {.name = "cz", .capacity = 5, .max_rtt_ms = 900, .meta_count = 1};
    snprintf(set.meta[0].key, sizeof set.meta[0].key, "mode");
    snprintf(set.meta[0].value, sizeof set.meta[0].value, "ctf");
    assert_int_equal(client_create_lobby(f->s[0].c, &set), CLIENT_OK);
    assert_true(wait_state(f, 0, CLIENT_JOINED));
    assert_redirected_then_joined(&f->s[0]);
    assert_redirect_fields(f, &f->s[0], PROTO_CREATE_LOBBY, "cz");
    for (int i = exits_at_a; i < f->s[0].count; i++)
        assert_int_not_equal(f->s[0].types[i], CLIENT_EV_LOBBY_EXITED);
    wait_lobby_state(f, 0);
    const client_view *v = client_get_view(f->s[0].c);
    assert_string_equal(v->lobby, "cz");
    assert_int_equal(v->capacity, 5);
    assert_int_equal(v->max_rtt_ms, 900);
    assert_int_equal(v->owner_id, v->my_id); /* created it: its owner */
    assert_int_equal(v->meta_count, 1);
    assert_string_equal(v->meta[0].key, "mode");
    assert_string_equal(v->meta[0].value, "ctf");
}

/* ---- when it cannot be followed ---------------------------------------------------- */

/* A redirects to itself: three are followed (each HELLO after the first
 * carries its ticket), the fourth ends the client. */
static void redirect_loop_ends_after_three(void **state)
{
    fixture *f = *state;
    use_shared_net(f);
    f->a.target_port = f->a.port;
    start(f, 0, f->a.port, "lp", NULL, false);
    assert_true(wait_state(f, 0, CLIENT_DISCONNECTED));
    seen *s = &f->s[0];
    assert_int_equal(s->redirects, CLIENT_MAX_REDIRECTS);
    assert_int_equal(s->ended.type, CLIENT_EV_DISCONNECTED);
    assert_true(s->ended.disconnected.redirect_failed);
    assert_int_equal(s->ended.disconnected.reason, PROTO_REASON_QUIT);
    char want[96];
    snprintf(want, sizeof want, "too many redirects (4 in a row); the last was to 127.0.0.1:%u",
             (unsigned)f->a.port);
    assert_string_equal(s->ended.text, want);
    assert_int_equal(f->a.hellos, 4);
    assert_int_equal(f->a.hellos_with_ticket, 3);
    assert_string_equal(f->a.last_ticket, "tk-3");
    assert_true(wait_quits(f, 4));
    assert_int_equal(index_of(s, CLIENT_EV_JOINED), -1);
    assert_int_equal(index_of(s, CLIENT_EV_RECONNECTING), -1);
}

/* The target is a UDP port nobody answers: an error naming it, no retry. */
static void unreachable_target_is_an_error(void **state)
{
    fixture *f = *state;
    f->silent_fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    assert_int_equal(bind(f->silent_fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(f->silent_fd, (struct sockaddr *)&sin, &len), 0);
    f->a.target_port = ntohs(sin.sin_port);
    start(f, 0, f->a.port, "ux", NULL, false);
    assert_true(wait_state(f, 0, CLIENT_DISCONNECTED));
    seen *s = &f->s[0];
    assert_int_equal(s->redirects, 1);
    assert_true(s->ended.disconnected.redirect_failed);
    assert_int_equal(s->ended.disconnected.reason, 0);
    char want[64];
    snprintf(want, sizeof want, "cannot reach 127.0.0.1:%u", (unsigned)f->a.target_port);
    assert_non_null(strstr(s->ended.text, want));
    assert_int_equal(index_of(s, CLIENT_EV_RECONNECTING), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hello_join_is_redirected, setup, teardown),
        cmocka_unit_test_setup_teardown(join_lobby_is_redirected, setup, teardown),
        cmocka_unit_test_setup_teardown(create_lobby_is_redirected, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_loop_ends_after_three, setup, teardown),
        cmocka_unit_test_setup_teardown(unreachable_target_is_an_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
