/* Test support: ENet 1.3.17 datagrams built by hand, byte by byte in network
 * order, following the layouts of <enet/protocol.h> (not ENet's code), and a
 * bare UDP "peer" that performs ENet's handshake with them. Used to check the
 * filter against legitimate and crafted input and to attack the real server. */
#ifndef LOBBY_TEST_ENET_RAW_H
#define LOBBY_TEST_ENET_RAW_H

#include "proto.h"

#include <enet/enet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    RAW_NO_PEER = 0xFFF,
    RAW_CONTROL = 0xFF, /* ENet's channel for non-data commands */
    RAW_ACK = 0x80,     /* command flags */
    RAW_UNSEQ = 0x40,
    RAW_MAX_DATAGRAM = 8192, /* room for oversized ones too */
};

typedef struct raw_dgram {
    uint8_t bytes[RAW_MAX_DATAGRAM];
    size_t len;
} raw_dgram;

/* Starts a datagram: header peer id (12 bits), session (2 bits), and the
 * optional sent time. */
void raw_begin(raw_dgram *d, uint16_t peer_id, uint8_t session, bool with_sent_time,
               uint16_t sent_time);
void raw_u8(raw_dgram *d, uint8_t v);
void raw_u16(raw_dgram *d, uint16_t v);
void raw_u32(raw_dgram *d, uint32_t v);
void raw_bytes(raw_dgram *d, const void *p, size_t n);
/* A command header: command number | flags, channel, reliable sequence. */
void raw_command(raw_dgram *d, uint8_t command, uint8_t channel, uint16_t seq);

/* Whole commands, each as ENet's own sender would write it. */
void raw_connect(raw_dgram *d, uint16_t seq, uint32_t connect_id, uint32_t channels, uint32_t data);
void raw_verify_connect(raw_dgram *d, uint16_t seq, uint16_t peer_id, uint32_t channels,
                        uint32_t connect_id);
void raw_ack(raw_dgram *d, uint8_t channel, uint16_t seq, uint16_t sent_time);
void raw_disconnect(raw_dgram *d, uint8_t flags, uint16_t seq, uint32_t data);
void raw_ping(raw_dgram *d, uint16_t seq);
void raw_bandwidth_limit(raw_dgram *d, uint16_t seq, uint32_t in_bps, uint32_t out_bps);
void raw_throttle_configure(raw_dgram *d, uint16_t seq, uint32_t interval, uint32_t accel,
                            uint32_t decel);
void raw_send_reliable(raw_dgram *d, uint8_t channel, uint16_t seq, const void *data, uint16_t len);
void raw_send_unreliable(raw_dgram *d, uint8_t channel, uint16_t seq, uint16_t unreliable_seq,
                         const void *data, uint16_t len);
void raw_send_unsequenced(raw_dgram *d, uint8_t channel, uint16_t group, const void *data,
                          uint16_t len);

/* One SEND_FRAGMENT (reliable) or SEND_UNRELIABLE_FRAGMENT. data_len bytes
 * of data follow (data may be NULL: zeros); data_length is what the command
 * claims, normally data_len. */
typedef struct raw_fragment_spec {
    bool reliable;
    uint8_t channel;
    uint16_t seq, start_seq;
    uint32_t count, number, total, offset;
    uint16_t data_length;
    const void *data;
    size_t data_len;
} raw_fragment_spec;
void raw_fragment(raw_dgram *d, const raw_fragment_spec *f);

/* ---- a bare UDP peer ---------------------------------------------------- */

typedef struct raw_peer {
    int fd;            /* connected to the server */
    uint16_t peer_id;  /* the server's id for us */
    uint8_t session;   /* the session bits our datagrams carry */
    uint16_t next_seq; /* next reliable sequence number on channel 0 */
} raw_peer;

/* A UDP socket bound to bind_ip (e.g. "127.0.0.2": all of 127/8 is local)
 * and connected to 127.0.0.1:port; -1 on failure. */
int raw_socket(const char *bind_ip, uint16_t port);
bool raw_send(int fd, const raw_dgram *d);
/* The connect cookie exchange of docs/PROTOCOL.md from fd (a raw socket, or
 * an ENet host's socket before it connects): requests from fd to
 * 127.0.0.1:port (port 0: fd is connected already) every 250 ms until a
 * reply with our nonce comes; false after timeout_ms. */
bool raw_cookie(int fd, uint16_t port, uint16_t version, proto_cookie_reply *reply, int timeout_ms);
/* The cookie for fd, or 0 (never a valid one... almost: 1 in 2^32) when
 * the server does not give one within 2 s. */
uint32_t raw_cookie_for(int fd, uint16_t port);
/* enet_host_connect to 127.0.0.1:port with a fresh cookie as its data,
 * as the client core does; NULL when no cookie came or no slot is free. */
ENetPeer *raw_enet_connect(ENetHost *host, uint16_t port, size_t channels);
/* Makes a bare ENet host (a scripted server) answer connect cookie requests
 * as lobby-server does, with status ok and the fixed cookie RAW_ANY_COOKIE
 * (it checks no CONNECT data), so client cores can connect to it. */
enum { RAW_ANY_COOKIE = 0xC00C1E };
void raw_answer_cookies(ENetHost *host);
/* ENet's handshake by hand: the cookie, CONNECT, wait for VERIFY_CONNECT,
 * acknowledge it. Leaves the server's peer CONNECTED. */
bool raw_handshake(raw_peer *p, uint32_t connect_id, int timeout_ms);

#endif
