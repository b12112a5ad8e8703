#include "enet_raw.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ENet's command numbers (protocol.h), spelled out so these tests do not
 * share a single constant with the code they test. */
enum {
    CMD_ACKNOWLEDGE = 1,
    CMD_CONNECT = 2,
    CMD_VERIFY_CONNECT = 3,
    CMD_DISCONNECT = 4,
    CMD_PING = 5,
    CMD_SEND_RELIABLE = 6,
    CMD_SEND_UNRELIABLE = 7,
    CMD_SEND_FRAGMENT = 8,
    CMD_SEND_UNSEQUENCED = 9,
    CMD_BANDWIDTH_LIMIT = 10,
    CMD_THROTTLE_CONFIGURE = 11,
    CMD_SEND_UNRELIABLE_FRAGMENT = 12,
    SENT_TIME_FLAG = 0x8000,
};

void raw_begin(raw_dgram *d, uint16_t peer_id, uint8_t session, bool with_sent_time,
               uint16_t sent_time)
{
    d->len = 0;
    raw_u16(d, (uint16_t)((peer_id & 0xFFF) | (session & 3) << 12 |
                          (with_sent_time ? SENT_TIME_FLAG : 0)));
    if (with_sent_time)
        raw_u16(d, sent_time);
}

void raw_u8(raw_dgram *d, uint8_t v)
{
    if (d->len < sizeof d->bytes)
        d->bytes[d->len++] = v;
}

void raw_u16(raw_dgram *d, uint16_t v)
{
    raw_u8(d, (uint8_t)(v >> 8));
    raw_u8(d, (uint8_t)v);
}

void raw_u32(raw_dgram *d, uint32_t v)
{
    raw_u16(d, (uint16_t)(v >> 16));
    raw_u16(d, (uint16_t)v);
}

void raw_bytes(raw_dgram *d, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        raw_u8(d, p ? ((const uint8_t *)p)[i] : 0);
}

void raw_command(raw_dgram *d, uint8_t command, uint8_t channel, uint16_t seq)
{
    raw_u8(d, command);
    raw_u8(d, channel);
    raw_u16(d, seq);
}

/* CONNECT and VERIFY_CONNECT share their first 40 bytes of body. */
static void connect_body(raw_dgram *d, uint16_t peer_id, uint32_t channels, uint32_t connect_id)
{
    raw_u16(d, peer_id); /* outgoingPeerID */
    raw_u8(d, 0xFF);     /* incomingSessionID: none yet */
    raw_u8(d, 0xFF);     /* outgoingSessionID */
    raw_u32(d, 1400);    /* mtu */
    raw_u32(d, 32768);   /* windowSize */
    raw_u32(d, channels);
    raw_u32(d, 0); /* incomingBandwidth */
    raw_u32(d, 0); /* outgoingBandwidth */
    raw_u32(d, 5000);
    raw_u32(d, 2);
    raw_u32(d, 2);
    raw_u32(d, connect_id);
}

void raw_connect(raw_dgram *d, uint16_t seq, uint32_t connect_id, uint32_t channels, uint32_t data)
{
    raw_command(d, CMD_CONNECT | RAW_ACK, RAW_CONTROL, seq);
    connect_body(d, 0, channels, connect_id);
    raw_u32(d, data);
}

void raw_verify_connect(raw_dgram *d, uint16_t seq, uint16_t peer_id, uint32_t channels,
                        uint32_t connect_id)
{
    raw_command(d, CMD_VERIFY_CONNECT | RAW_ACK, RAW_CONTROL, seq);
    connect_body(d, peer_id, channels, connect_id);
}

void raw_ack(raw_dgram *d, uint8_t channel, uint16_t seq, uint16_t sent_time)
{
    raw_command(d, CMD_ACKNOWLEDGE, channel, seq);
    raw_u16(d, seq);
    raw_u16(d, sent_time);
}

void raw_disconnect(raw_dgram *d, uint8_t flags, uint16_t seq, uint32_t data)
{
    raw_command(d, (uint8_t)(CMD_DISCONNECT | flags), RAW_CONTROL, seq);
    raw_u32(d, data);
}

void raw_ping(raw_dgram *d, uint16_t seq)
{
    raw_command(d, CMD_PING | RAW_ACK, RAW_CONTROL, seq);
}

void raw_bandwidth_limit(raw_dgram *d, uint16_t seq, uint32_t in_bps, uint32_t out_bps)
{
    raw_command(d, CMD_BANDWIDTH_LIMIT | RAW_ACK, RAW_CONTROL, seq);
    raw_u32(d, in_bps);
    raw_u32(d, out_bps);
}

void raw_throttle_configure(raw_dgram *d, uint16_t seq, uint32_t interval, uint32_t accel,
                            uint32_t decel)
{
    raw_command(d, CMD_THROTTLE_CONFIGURE | RAW_ACK, RAW_CONTROL, seq);
    raw_u32(d, interval);
    raw_u32(d, accel);
    raw_u32(d, decel);
}

void raw_send_reliable(raw_dgram *d, uint8_t channel, uint16_t seq, const void *data, uint16_t len)
{
    raw_command(d, CMD_SEND_RELIABLE | RAW_ACK, channel, seq);
    raw_u16(d, len);
    raw_bytes(d, data, len);
}

void raw_send_unreliable(raw_dgram *d, uint8_t channel, uint16_t seq, uint16_t unreliable_seq,
                         const void *data, uint16_t len)
{
    raw_command(d, CMD_SEND_UNRELIABLE, channel, seq);
    raw_u16(d, unreliable_seq);
    raw_u16(d, len);
    raw_bytes(d, data, len);
}

void raw_send_unsequenced(raw_dgram *d, uint8_t channel, uint16_t group, const void *data,
                          uint16_t len)
{
    raw_command(d, CMD_SEND_UNSEQUENCED | RAW_UNSEQ, channel, 0);
    raw_u16(d, group);
    raw_u16(d, len);
    raw_bytes(d, data, len);
}

void raw_fragment(raw_dgram *d, const raw_fragment_spec *f)
{
    raw_command(d, f->reliable ? CMD_SEND_FRAGMENT | RAW_ACK : CMD_SEND_UNRELIABLE_FRAGMENT,
                f->channel, f->seq);
    raw_u16(d, f->start_seq);
    raw_u16(d, f->data_length);
    raw_u32(d, f->count);
    raw_u32(d, f->number);
    raw_u32(d, f->total);
    raw_u32(d, f->offset);
    raw_bytes(d, f->data, f->data_len);
}

/* ---- a bare UDP peer ---------------------------------------------------- */

int raw_socket(const char *bind_ip, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in local = {.sin_family = AF_INET};
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, bind_ip, &local.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0 ||
        connect(fd, (struct sockaddr *)&server, sizeof server) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool raw_send(int fd, const raw_dgram *d)
{
    return send(fd, d->bytes, d->len, 0) == (ssize_t)d->len;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Finds VERIFY_CONNECT in a datagram from the server; fills the peer. */
static bool parse_verify(raw_peer *p, const uint8_t *b, size_t n, uint16_t *seq,
                         uint16_t *sent_time)
{
    /* Command sizes, and where the data length of SEND_* commands sits. */
    static const size_t sizes[13] = {0, 8, 48, 44, 8, 4, 6, 8, 24, 8, 12, 16, 24};
    static const size_t data_at[13] = {[6] = 4, [7] = 6, [8] = 6, [9] = 6, [12] = 6};
    if (n < 4 || !(get16(b) & SENT_TIME_FLAG))
        return false;
    *sent_time = get16(b + 2);
    for (size_t at = 4; at + 4 <= n;) {
        uint8_t cmd = b[at] & 0x0F;
        if (cmd == 0 || cmd > 12 || at + sizes[cmd] > n)
            return false;
        if (cmd == CMD_VERIFY_CONNECT) {
            *seq = get16(b + at + 2);
            p->peer_id = get16(b + at + 4);
            p->session = b[at + 7]; /* the server's incoming session: our outgoing one */
            return true;
        }
        at += sizes[cmd] + (data_at[cmd] ? get16(b + at + data_at[cmd]) : 0);
    }
    return false;
}

/* ---- the connect cookie ------------------------------------------------- */

static bool send_cookie_request(int fd, uint16_t port, const proto_cookie_request *req)
{
    uint8_t bytes[PROTO_COOKIE_REQUEST_BYTES];
    proto_cookie_request_encode(req, bytes);
    if (port == 0)
        return send(fd, bytes, sizeof bytes, 0) == (ssize_t)sizeof bytes;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    return sendto(fd, bytes, sizeof bytes, 0, (struct sockaddr *)&to, sizeof to) ==
           (ssize_t)sizeof bytes;
}

bool raw_cookie(int fd, uint16_t port, uint16_t version, proto_cookie_reply *reply, int timeout_ms)
{
    static uint32_t nonce_seed = 0x5EED;
    proto_cookie_request req = {.version = version, .nonce = nonce_seed++ * 2654435761u};
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waited % 250 == 0 && !send_cookie_request(fd, port, &req))
            return false;
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        uint8_t buf[RAW_MAX_DATAGRAM];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0 && proto_cookie_reply_decode(buf, (size_t)n, reply) && reply->nonce == req.nonce)
            return true;
    }
    return false;
}

uint32_t raw_cookie_for(int fd, uint16_t port)
{
    proto_cookie_reply reply;
    if (!raw_cookie(fd, port, PROTO_VERSION, &reply, 2000))
        return 0;
    return reply.cookie;
}

ENetPeer *raw_enet_connect(ENetHost *host, uint16_t port, size_t channels)
{
    proto_cookie_reply reply;
    if (!raw_cookie((int)host->socket, port, PROTO_VERSION, &reply, 2000) ||
        reply.status != PROTO_COOKIE_OK)
        return NULL;
    ENetAddress addr = {.port = port};
    enet_address_set_host(&addr, "127.0.0.1");
    return enet_host_connect(host, &addr, channels, reply.cookie);
}

static int ENET_CALLBACK answer_cookie(ENetHost *host, ENetEvent *event)
{
    (void)event;
    proto_cookie_request req;
    if (!proto_cookie_request_decode(host->receivedData, host->receivedDataLength, &req))
        return 0;
    proto_cookie_reply reply = {.version = PROTO_VERSION, .nonce = req.nonce};
    reply.cookie = RAW_ANY_COOKIE;
    uint8_t bytes[PROTO_COOKIE_REPLY_BYTES];
    proto_cookie_reply_encode(&reply, bytes);
    ENetBuffer buf = {.data = bytes, .dataLength = sizeof bytes};
    enet_socket_send(host->socket, &host->receivedAddress, &buf, 1);
    return 1;
}

void raw_answer_cookies(ENetHost *host)
{
    host->intercept = answer_cookie;
}

bool raw_handshake(raw_peer *p, uint32_t connect_id, int timeout_ms)
{
    raw_dgram d;
    raw_begin(&d, RAW_NO_PEER, 0, true, 1);
    raw_connect(&d, 1, connect_id, 2, raw_cookie_for(p->fd, 0));
    if (!raw_send(p->fd, &d))
        return false;
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    uint8_t buf[RAW_MAX_DATAGRAM];
    uint16_t seq = 0, sent_time = 0;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        ssize_t n = recv(p->fd, buf, sizeof buf, 0);
        if (n > 0 && parse_verify(p, buf, (size_t)n, &seq, &sent_time)) {
            raw_begin(&d, p->peer_id, p->session, true, 2);
            raw_ack(&d, RAW_CONTROL, seq, sent_time);
            p->next_seq = 1;
            return raw_send(p->fd, &d);
        }
    }
    return false;
}
