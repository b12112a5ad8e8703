/* The one path of a chat line into a lobby (chat.h). */
#include "chat.h"

#include "log.h"

void chat_init(chat *c, const server_config *cfg, replies *out, server_stats *stats)
{
    c->per_s = cfg->chat_per_s;
    c->burst = cfg->chat_burst;
    c->flood_limit = cfg->flood_limit;
    c->tap = NULL;
    c->tap_user = NULL;
    c->out = out;
    c->stats = stats;
}

void chat_set_tap(chat *c, server_chat_tap tap, void *user)
{
    c->tap = tap;
    c->tap_user = user;
}

double chat_flood_burst(const chat *c)
{
    return (double)c->flood_limit - 1.0;
}

void chat_fresh_buckets(const chat *c, rate_bucket *lines, rate_bucket *flood, uint64_t now_us)
{
    rate_bucket_init(lines, c->burst, now_us);
    rate_bucket_init(flood, chat_flood_burst(c), now_us);
}

bool chat_take_refusal(const chat *c, rate_bucket *flood, const rate_stall *stall, uint64_t now_us)
{
    /* The flood bucket refills at a tenth of its size per second: a sender
     * who sometimes types too fast or asks for what it may not have is never
     * put out, one who keeps at it is, whatever its exact rate. */
    double burst = chat_flood_burst(c);
    double per_s = burst / 10.0 + 0.1;
    return rate_bucket_take(flood, per_s, rate_stall_burst(stall, per_s, burst, now_us), now_us);
}

chat_verdict chat_check(const chat *c, rate_bucket *lines, rate_bucket *flood, proto_str text,
                        const rate_stall *stall, uint64_t now_us, text_verdict *why)
{
    *why = TEXT_OK;
    if (!rate_bucket_take(lines, c->per_s, rate_stall_burst(stall, c->per_s, c->burst, now_us),
                          now_us))
        return chat_take_refusal(c, flood, stall, now_us) ? CHAT_RATE_LIMITED : CHAT_FLOODING;
    *why = text_check(text.bytes, text.len, PROTO_MAX_CHAT_BYTES);
    return *why == TEXT_OK ? CHAT_OK : CHAT_BAD_TEXT;
}

/* A player's line goes out as CHAT_RELAY (the others know its id), after
 * the ack to the sender; anyone else's as TEXT_CHAT_RELAY with its name, to
 * every member (player ids are never 0). */
static uint32_t relay(chat *c, const lobby *l, const chat_sender *from, uint32_t seq,
                      proto_str text)
{
    if (from->player_id == 0) {
        proto_msg m = {.type = PROTO_TEXT_CHAT_RELAY};
        m.u.text_chat_relay.seq = seq;
        m.u.text_chat_relay.name = from->name;
        m.u.text_chat_relay.text = text;
        return replies_to_lobby(c->out, l, 0, &m, PROTO_CHANNEL_RELIABLE, true);
    }
    proto_msg ack = {.type = PROTO_CHAT_ACK};
    ack.u.chat_ack.msg_id = from->msg_id;
    ack.u.chat_ack.seq = seq;
    replies_to_one(c->out, from->slot, &ack, PROTO_CHANNEL_RELIABLE, true);
    proto_msg m = {.type = PROTO_CHAT_RELAY};
    m.u.chat_relay.from_id = from->player_id;
    m.u.chat_relay.seq = seq;
    m.u.chat_relay.text = text;
    return replies_to_lobby(c->out, l, from->player_id, &m, PROTO_CHANNEL_RELIABLE, true);
}

uint32_t chat_post(chat *c, lobby *l, int lobby_index, const chat_sender *from, proto_str text)
{
    uint32_t seq = lobby_next_chat_seq(l);
    lobby_remember_chat(l, seq, from->player_id, from->name, text);
    c->stats->chat_relays += relay(c, l, from, seq, text);
    c->stats->chats_accepted++;
    if (from->player_id == 0) {
        c->stats->text_chats_accepted++;
        log_info("server", "chat lobby=%s text=%.*s seq=%u: %.*s", l->name, (int)from->name.len,
                 from->name.bytes, (unsigned)seq, (int)text.len, text.bytes);
    } else {
        log_info("server", "chat lobby=%s id=%u seq=%u: %.*s", l->name, from->player_id,
                 (unsigned)seq, (int)text.len, text.bytes);
    }
    server_chat_note note = {.lobby_index = lobby_index,
                             .lobby = {l->name, l->name_len},
                             .seq = seq,
                             .sender = from->name,
                             .from_text = from->player_id == 0,
                             .origin = from->origin,
                             .text = text};
    if (c->tap != NULL)
        c->tap(c->tap_user, &note);
    return seq;
}
