/* A pre-parse filter for the raw UDP datagrams an ENet 1.3.17 host receives:
 * it walks the ENet header and every command exactly as ENet would, and
 * rejects what no well-behaved ENet peer sends, before ENet allocates
 * anything for it. Pure: no ENet host state, no I/O, no allocation, no
 * clock, so it can be fuzzed and tested byte by byte.
 *
 * It closes the ENet weaknesses that one datagram can exploit: fragment
 * commands with huge counts, zero-length or inconsistent fragments, packets
 * larger than the limit, and a fragment whose claimed total would make ENet
 * deliver bytes nobody wrote. What needs state (CONNECT rates, half-open
 * peers) is left to the transport, which gets the facts it needs in
 * enet_filter_info.
 *
 * An empty unfragmented packet passes: any ENet client can send one
 * (enet_packet_create with length 0), ENet 1.3.17 delivers it without
 * allocating data, and dropping its datagram would drop the acknowledgements
 * and commands beside it and make the sender resend it until it times out.
 * The server core counts it as malformed.
 *
 * Assumption, true for this server: no compressor and no checksum are
 * configured (a compressed datagram is rejected). */
#ifndef LOBBY_ENET_FILTER_H
#define LOBBY_ENET_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct enet_filter_config {
    size_t max_packet_bytes;     /* largest application packet, fragmented or not */
    uint32_t max_fragment_count; /* fragments per packet */
    size_t max_datagram_bytes;   /* largest datagram */
} enet_filter_config;

/* What the filter learnt about a datagram, as far as it got. */
typedef struct enet_filter_info {
    uint16_t peer_id;      /* header peer id without flags and session bits; 0xFFF: none yet */
    uint8_t session_id;    /* header session bits */
    bool has_sent_time;    /* header carries a sent time */
    uint32_t commands;     /* commands walked */
    uint32_t connects;     /* CONNECT commands: at most 1 in a datagram that passes */
    uint32_t connect_data; /* the CONNECT's data (host order) when connects > 0 */
    uint32_t goodbyes;     /* DISCONNECT commands: the peer leaves on purpose */
    uint32_t fragments;    /* SEND_FRAGMENT and SEND_UNRELIABLE_FRAGMENT commands */
    size_t packet_bytes;   /* application bytes carried by SEND_* commands */
} enet_filter_info;

/* Verdicts: 0 lets the datagram through, a negative value names why not. */
typedef enum enet_filter_verdict {
    ENET_FILTER_PASS = 0,
    ENET_FILTER_TOO_SHORT = -1,         /* shorter than its own header */
    ENET_FILTER_TOO_LONG = -2,          /* longer than max_datagram_bytes */
    ENET_FILTER_COMPRESSED = -3,        /* compressed, and no compressor is configured */
    ENET_FILTER_BAD_HEADER = -4,        /* session bits on a datagram for no peer */
    ENET_FILTER_NO_COMMANDS = -5,       /* a header and nothing else */
    ENET_FILTER_TOO_MANY_COMMANDS = -6, /* more than ENet ever packs into one datagram */
    ENET_FILTER_TRUNCATED = -7,         /* a command or its data runs past the end */
    ENET_FILTER_UNKNOWN_COMMAND = -8,
    ENET_FILTER_BAD_FLAGS = -9,              /* command flags wrong for the command, or reliable
                                                without a sent time in the header */
    ENET_FILTER_BAD_CHANNEL = -10,           /* control command off channel 0xFF or data on it */
    ENET_FILTER_BAD_CONNECT = -11,           /* CONNECT not alone in a datagram for no peer, another
                                                command for no peer, or a bad channel count */
    ENET_FILTER_OVERSIZED_PACKET = -12,      /* SEND_* data over max_packet_bytes */
    ENET_FILTER_FRAGMENT_COUNT = -13,        /* fewer than 2 or over max_fragment_count */
    ENET_FILTER_FRAGMENT_NUMBER = -14,       /* fragment number >= fragment count */
    ENET_FILTER_FRAGMENT_EMPTY = -15,        /* zero-length fragment */
    ENET_FILTER_FRAGMENT_TOTAL = -16,        /* total length over max_packet_bytes */
    ENET_FILTER_FRAGMENT_RANGE = -17,        /* offset + length beyond the total */
    ENET_FILTER_FRAGMENT_INCONSISTENT = -18, /* not one piece of an even split */
    ENET_FILTER_VERDICT_COUNT = 19,          /* for arrays indexed by -verdict */
} enet_filter_verdict;

/* The smallest fragment ENet 1.3.17 sends: a 576-byte minimum MTU less the
 * header, the fragment command and a checksum. Every fragment but the last of
 * a packet has exactly the sender's fragment size, never less than this. */
enum { ENET_FILTER_MIN_FRAGMENT_BYTES = 576 - 4 - 24 - 4 };

/* Limits for this server: the largest lobby message, as many fragments as
 * that can take at the smallest fragment size, ENet's largest MTU. */
void enet_filter_config_defaults(enet_filter_config *cfg);

/* Checks one received datagram. Returns ENET_FILTER_PASS or a negative
 * enet_filter_verdict. Reads only datagram[0, len). info may be NULL; when
 * given it is always filled as far as the walk got. */
int enet_filter_check(const enet_filter_config *cfg, const uint8_t *datagram, size_t len,
                      enet_filter_info *info);

/* A short English phrase for a verdict; never NULL. */
const char *enet_filter_strerror(int verdict);

#endif
