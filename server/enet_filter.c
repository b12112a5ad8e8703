#include "enet_filter.h"

#include "proto.h"

#include <enet/protocol.h>
#include <stddef.h>
#include <string.h>

enum {
    NO_PEER = ENET_PROTOCOL_MAXIMUM_PEER_ID, /* the peer id of a datagram that carries CONNECT */
    CONTROL_CHANNEL = 0xFF,                  /* ENet's channel for non-data commands */
    FLAG_ACK = ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
    FLAG_UNSEQ = ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED,
    RESERVED_COMMAND_BITS = 0x30, /* between the command number and the flags */
    SHORT_HEADER_BYTES = offsetof(ENetProtocolHeader, sentTime),
};

typedef enum channel_rule {
    CHANNEL_ANY,     /* ACKNOWLEDGE echoes the channel of what it acknowledges */
    CHANNEL_CONTROL, /* always 0xFF */
    CHANNEL_DATA,    /* a real channel, never 0xFF */
} channel_rule;

/* How ENet 1.3.17 sends each command: its fixed size (the equivalent of
 * enet_protocol_command_size), the flags it may carry, its channel, and
 * where its u16 data length sits when it carries application data. */
typedef struct command_rule {
    size_t size;
    uint8_t flags;
    channel_rule channel;
    size_t data_length_at; /* 0: no data */
} command_rule;

#define DATA_AT(type) offsetof(type, dataLength)
static const command_rule RULES[ENET_PROTOCOL_COMMAND_COUNT] = {
    [ENET_PROTOCOL_COMMAND_ACKNOWLEDGE] = {sizeof(ENetProtocolAcknowledge), 0, CHANNEL_ANY, 0},
    [ENET_PROTOCOL_COMMAND_CONNECT] = {sizeof(ENetProtocolConnect), FLAG_ACK, CHANNEL_CONTROL, 0},
    [ENET_PROTOCOL_COMMAND_VERIFY_CONNECT] = {sizeof(ENetProtocolVerifyConnect), FLAG_ACK,
                                              CHANNEL_CONTROL, 0},
    /* Acknowledged when connected, unsequenced otherwise and from _now(). */
    [ENET_PROTOCOL_COMMAND_DISCONNECT] = {sizeof(ENetProtocolDisconnect), FLAG_ACK | FLAG_UNSEQ,
                                          CHANNEL_CONTROL, 0},
    [ENET_PROTOCOL_COMMAND_PING] = {sizeof(ENetProtocolPing), FLAG_ACK, CHANNEL_CONTROL, 0},
    [ENET_PROTOCOL_COMMAND_SEND_RELIABLE] = {sizeof(ENetProtocolSendReliable), FLAG_ACK,
                                             CHANNEL_DATA, DATA_AT(ENetProtocolSendReliable)},
    [ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE] = {sizeof(ENetProtocolSendUnreliable), 0, CHANNEL_DATA,
                                               DATA_AT(ENetProtocolSendUnreliable)},
    [ENET_PROTOCOL_COMMAND_SEND_FRAGMENT] = {sizeof(ENetProtocolSendFragment), FLAG_ACK,
                                             CHANNEL_DATA, DATA_AT(ENetProtocolSendFragment)},
    [ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED] = {sizeof(ENetProtocolSendUnsequenced), FLAG_UNSEQ,
                                                CHANNEL_DATA, DATA_AT(ENetProtocolSendUnsequenced)},
    [ENET_PROTOCOL_COMMAND_BANDWIDTH_LIMIT] = {sizeof(ENetProtocolBandwidthLimit), FLAG_ACK,
                                               CHANNEL_CONTROL, 0},
    [ENET_PROTOCOL_COMMAND_THROTTLE_CONFIGURE] = {sizeof(ENetProtocolThrottleConfigure), FLAG_ACK,
                                                  CHANNEL_CONTROL, 0},
    [ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT] = {sizeof(ENetProtocolSendFragment), 0,
                                                        CHANNEL_DATA,
                                                        DATA_AT(ENetProtocolSendFragment)},
};
#undef DATA_AT

void enet_filter_config_defaults(enet_filter_config *cfg)
{
    cfg->max_packet_bytes = PROTO_MAX_MESSAGE_BYTES;
    cfg->max_fragment_count = (PROTO_MAX_MESSAGE_BYTES + ENET_FILTER_MIN_FRAGMENT_BYTES - 1) /
                              ENET_FILTER_MIN_FRAGMENT_BYTES;
    cfg->max_datagram_bytes = ENET_PROTOCOL_MAXIMUM_MTU;
}

/* ENet puts every multi-byte field on the wire in network byte order. */
static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define FIELD(type, field) offsetof(type, field)

/* ENet splits a packet of `total` bytes into `count` pieces of one fragment
 * size (the last one shorter or equal) and sends each with its number and
 * offset, so each fragment on its own must be one piece of such a split.
 * That rules out the overlapping, short and over-long pieces that make ENet
 * 1.3.17 allocate for fragments that never come or deliver unwritten bytes. */
static int check_fragment(const enet_filter_config *cfg, const uint8_t *cmd, uint32_t length)
{
    uint32_t count = be32(cmd + FIELD(ENetProtocolSendFragment, fragmentCount));
    uint32_t number = be32(cmd + FIELD(ENetProtocolSendFragment, fragmentNumber));
    uint32_t total = be32(cmd + FIELD(ENetProtocolSendFragment, totalLength));
    uint32_t offset = be32(cmd + FIELD(ENetProtocolSendFragment, fragmentOffset));
    if (count < 2 || count > cfg->max_fragment_count)
        return ENET_FILTER_FRAGMENT_COUNT;
    if (number >= count)
        return ENET_FILTER_FRAGMENT_NUMBER;
    if (length == 0)
        return ENET_FILTER_FRAGMENT_EMPTY;
    if (total > cfg->max_packet_bytes)
        return ENET_FILTER_FRAGMENT_TOTAL;
    if ((uint64_t)offset + length > total)
        return ENET_FILTER_FRAGMENT_RANGE;
    uint64_t piece; /* the sender's fragment size */
    if (number + 1 < count) {
        piece = length;
    } else {
        /* number >= 1 here since count >= 2. */
        if (offset % number != 0 || offset + length != total)
            return ENET_FILTER_FRAGMENT_INCONSISTENT;
        piece = offset / number;
        if (length > piece)
            return ENET_FILTER_FRAGMENT_INCONSISTENT;
    }
    if (piece < ENET_FILTER_MIN_FRAGMENT_BYTES || (uint64_t)number * piece != offset ||
        (total + piece - 1) / piece != count)
        return ENET_FILTER_FRAGMENT_INCONSISTENT;
    return ENET_FILTER_PASS;
}

static int check_connect(const uint8_t *cmd)
{
    uint32_t channels = be32(cmd + FIELD(ENetProtocolConnect, channelCount));
    if (channels < ENET_PROTOCOL_MINIMUM_CHANNEL_COUNT ||
        channels > ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT)
        return ENET_FILTER_BAD_CONNECT;
    return ENET_FILTER_PASS;
}

static int check_channel(channel_rule rule, uint8_t channel)
{
    if ((rule == CHANNEL_CONTROL && channel != CONTROL_CHANNEL) ||
        (rule == CHANNEL_DATA && channel == CONTROL_CHANNEL))
        return ENET_FILTER_BAD_CHANNEL;
    return ENET_FILTER_PASS;
}

/* Where the walk is; the header facts live in info. */
typedef struct walk {
    const enet_filter_config *cfg;
    const uint8_t *data;
    size_t len, pos;
    enet_filter_info *info;
} walk;

/* A datagram for no peer yet is a connection request: ENet reads exactly one
 * CONNECT from it. CONNECT anywhere else is an error to ENet. */
static int check_placement(const walk *w, uint8_t number)
{
    bool for_no_peer = w->info->peer_id == NO_PEER;
    bool is_connect = number == ENET_PROTOCOL_COMMAND_CONNECT;
    if (for_no_peer != is_connect || (is_connect && w->info->commands > 0))
        return ENET_FILTER_BAD_CONNECT;
    return ENET_FILTER_PASS;
}

/* The application data a SEND_* command carries after its fixed part. */
static int check_data(walk *w, const command_rule *rule, const uint8_t *cmd, uint8_t number)
{
    uint16_t length = be16(cmd + rule->data_length_at);
    if (length > w->len - w->pos) /* pos is past the fixed part already */
        return ENET_FILTER_TRUNCATED;
    bool fragment = number == ENET_PROTOCOL_COMMAND_SEND_FRAGMENT ||
                    number == ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT;
    if (fragment) {
        int v = check_fragment(w->cfg, cmd, length);
        if (v != ENET_FILTER_PASS)
            return v;
        w->info->fragments++;
    } else if (length > w->cfg->max_packet_bytes) {
        return ENET_FILTER_OVERSIZED_PACKET;
    }
    w->info->packet_bytes += length;
    w->pos += length;
    return ENET_FILTER_PASS;
}

static int check_command(walk *w)
{
    if (w->info->commands >= ENET_PROTOCOL_MAXIMUM_PACKET_COMMANDS)
        return ENET_FILTER_TOO_MANY_COMMANDS;
    if (w->len - w->pos < sizeof(ENetProtocolCommandHeader))
        return ENET_FILTER_TRUNCATED;
    const uint8_t *cmd = w->data + w->pos;
    uint8_t number = cmd[0] & ENET_PROTOCOL_COMMAND_MASK;
    uint8_t flags = cmd[0] & (uint8_t)~ENET_PROTOCOL_COMMAND_MASK;
    if (number == ENET_PROTOCOL_COMMAND_NONE || number >= ENET_PROTOCOL_COMMAND_COUNT)
        return ENET_FILTER_UNKNOWN_COMMAND;
    const command_rule *rule = &RULES[number];
    if (w->len - w->pos < rule->size)
        return ENET_FILTER_TRUNCATED;
    /* ENet stops reading a datagram at a reliable command without a sent
     * time to acknowledge; its own senders always include one. */
    if ((flags & ~rule->flags) != 0 || flags == (FLAG_ACK | FLAG_UNSEQ) ||
        ((flags & FLAG_ACK) && !w->info->has_sent_time))
        return ENET_FILTER_BAD_FLAGS;
    int v = check_channel(rule->channel, cmd[1]);
    if (v == ENET_FILTER_PASS)
        v = check_placement(w, number);
    if (v == ENET_FILTER_PASS && number == ENET_PROTOCOL_COMMAND_CONNECT) {
        v = check_connect(cmd);
        w->info->connect_data = be32(cmd + FIELD(ENetProtocolConnect, data));
    }
    if (v != ENET_FILTER_PASS)
        return v;
    w->pos += rule->size;
    if (rule->data_length_at != 0 && (v = check_data(w, rule, cmd, number)) != ENET_FILTER_PASS)
        return v;
    w->info->commands++;
    w->info->connects += number == ENET_PROTOCOL_COMMAND_CONNECT;
    w->info->goodbyes += number == ENET_PROTOCOL_COMMAND_DISCONNECT;
    return ENET_FILTER_PASS;
}

/* The header: a big-endian u16 of peer id, session bits and flags, then a
 * u16 sent time when the flag says so. */
static int check_header(walk *w)
{
    if (w->len < SHORT_HEADER_BYTES)
        return ENET_FILTER_TOO_SHORT;
    if (w->len > w->cfg->max_datagram_bytes)
        return ENET_FILTER_TOO_LONG;
    uint16_t raw = be16(w->data);
    w->info->peer_id = raw & ENET_PROTOCOL_MAXIMUM_PEER_ID;
    w->info->session_id =
        (uint8_t)((raw & ENET_PROTOCOL_HEADER_SESSION_MASK) >> ENET_PROTOCOL_HEADER_SESSION_SHIFT);
    w->info->has_sent_time = (raw & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) != 0;
    if (raw & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED)
        return ENET_FILTER_COMPRESSED;
    w->pos = w->info->has_sent_time ? sizeof(ENetProtocolHeader) : SHORT_HEADER_BYTES;
    if (w->len < w->pos)
        return ENET_FILTER_TOO_SHORT;
    /* ENet puts no session in a connection request (the peer has none yet). */
    if (w->info->peer_id == NO_PEER && w->info->session_id != 0)
        return ENET_FILTER_BAD_HEADER;
    if (w->pos == w->len)
        return ENET_FILTER_NO_COMMANDS;
    return ENET_FILTER_PASS;
}

int enet_filter_check(const enet_filter_config *cfg, const uint8_t *datagram, size_t len,
                      enet_filter_info *info)
{
    enet_filter_info scratch;
    walk w = {.cfg = cfg, .data = datagram, .len = len, .info = info ? info : &scratch};
    memset(w.info, 0, sizeof *w.info);
    int v = check_header(&w);
    while (v == ENET_FILTER_PASS && w.pos < w.len)
        v = check_command(&w);
    return v;
}

const char *enet_filter_strerror(int verdict)
{
    static const char *const TEXT[ENET_FILTER_VERDICT_COUNT] = {
        [0] = "ok",
        [-ENET_FILTER_TOO_SHORT] = "shorter than its header",
        [-ENET_FILTER_TOO_LONG] = "datagram too long",
        [-ENET_FILTER_COMPRESSED] = "compressed (no compressor configured)",
        [-ENET_FILTER_BAD_HEADER] = "malformed header",
        [-ENET_FILTER_NO_COMMANDS] = "no commands",
        [-ENET_FILTER_TOO_MANY_COMMANDS] = "too many commands",
        [-ENET_FILTER_TRUNCATED] = "truncated command",
        [-ENET_FILTER_UNKNOWN_COMMAND] = "unknown command",
        [-ENET_FILTER_BAD_FLAGS] = "bad command flags",
        [-ENET_FILTER_BAD_CHANNEL] = "bad channel",
        [-ENET_FILTER_BAD_CONNECT] = "misplaced or invalid CONNECT",
        [-ENET_FILTER_OVERSIZED_PACKET] = "oversized packet",
        [-ENET_FILTER_FRAGMENT_COUNT] = "bad fragment count",
        [-ENET_FILTER_FRAGMENT_NUMBER] = "fragment number beyond its count",
        [-ENET_FILTER_FRAGMENT_EMPTY] = "zero-length fragment",
        [-ENET_FILTER_FRAGMENT_TOTAL] = "fragmented packet too large",
        [-ENET_FILTER_FRAGMENT_RANGE] = "fragment beyond its packet",
        [-ENET_FILTER_FRAGMENT_INCONSISTENT] = "inconsistent fragment",
    };
    if (verdict > 0 || verdict <= -ENET_FILTER_VERDICT_COUNT)
        return "unknown verdict";
    return TEXT[-verdict];
}
