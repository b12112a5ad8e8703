/* liblobby-client: copies between the public types (include/lobby/client.h)
 * and the client core's. The public limits and the enums documented as
 * equal to the protocol's are checked here at compile time, so a change on
 * either side cannot drift silently. */
#include "lobby_client_copy.h"

#include <string.h>

_Static_assert((int)LOBBY_CLIENT_MAX_NAME == (int)PROTO_MAX_NAME_BYTES, "name limit");
_Static_assert((int)LOBBY_CLIENT_MAX_LOBBY_NAME == (int)PROTO_MAX_LOBBY_NAME_BYTES,
               "lobby name limit");
_Static_assert((int)LOBBY_CLIENT_MAX_PASSWORD == (int)PROTO_MAX_PASSWORD_BYTES, "password limit");
_Static_assert((int)LOBBY_CLIENT_MAX_CHAT == (int)PROTO_MAX_CHAT_BYTES, "chat limit");
_Static_assert((int)LOBBY_CLIENT_MAX_TEXT == (int)PROTO_MAX_CHAT_BYTES, "event text: the core's");
_Static_assert((int)LOBBY_CLIENT_MAX_SHORT_TEXT == (int)PROTO_MAX_STR8_BYTES, "str8 limit");
_Static_assert((int)LOBBY_CLIENT_MAX_PLAYERS == (int)PROTO_MAX_LOBBY_PLAYERS, "players limit");
_Static_assert((int)LOBBY_CLIENT_MAX_META == (int)PROTO_MAX_META_PAIRS, "metadata pairs");
_Static_assert((int)LOBBY_CLIENT_MAX_META_KEY == (int)PROTO_MAX_META_KEY_BYTES, "metadata key");
_Static_assert((int)LOBBY_CLIENT_MAX_META_VALUE == (int)PROTO_MAX_META_VALUE_BYTES,
               "metadata value");
_Static_assert((int)LOBBY_CLIENT_MAX_LIST == (int)PROTO_MAX_LIST_ENTRIES, "list rows");
_Static_assert((int)LOBBY_CLIENT_MAX_SERVER_ID == (int)PROTO_MAX_SERVER_ID_BYTES, "server id");
_Static_assert((int)LOBBY_CLIENT_MAX_REDIRECTS == (int)CLIENT_MAX_REDIRECTS, "redirects");

_Static_assert(LOBBY_CLIENT_CONNECTING == (int)CLIENT_CONNECTING &&
                   LOBBY_CLIENT_JOINING == (int)CLIENT_JOINING &&
                   LOBBY_CLIENT_JOINED == (int)CLIENT_JOINED &&
                   LOBBY_CLIENT_REJECTED == (int)CLIENT_REJECTED &&
                   LOBBY_CLIENT_DISCONNECTED == (int)CLIENT_DISCONNECTED &&
                   LOBBY_CLIENT_RECONNECTING == (int)CLIENT_RECONNECTING &&
                   LOBBY_CLIENT_BROWSING == (int)CLIENT_BROWSING,
               "lobby_client_state equals client_state");
_Static_assert(LOBBY_CLIENT_LOBBY_OPEN == (int)PROTO_LOBBY_OPEN &&
                   LOBBY_CLIENT_LOBBY_STARTING == (int)PROTO_LOBBY_STARTING &&
                   LOBBY_CLIENT_LOBBY_IN_GAME == (int)PROTO_LOBBY_IN_GAME &&
                   PROTO_LOBBY_STATE_MAX == 3,
               "lobby_client_lobby_state equals proto_lobby_state");
_Static_assert((int)LOBBY_CLIENT_SET_CAPACITY == (int)PROTO_CONFIGURE_CAPACITY &&
                   (int)LOBBY_CLIENT_SET_PASSWORD == (int)PROTO_CONFIGURE_PASSWORD &&
                   (int)LOBBY_CLIENT_SET_METADATA == (int)PROTO_CONFIGURE_METADATA &&
                   (int)LOBBY_CLIENT_SET_MAX_RTT == (int)PROTO_CONFIGURE_MAX_RTT,
               "LOBBY_CLIENT_SET_* equal PROTO_CONFIGURE_*");
_Static_assert((int)LOBBY_CLIENT_OK == (int)CLIENT_OK &&
                   (int)LOBBY_CLIENT_ERR_ADDRESS == (int)CLIENT_ERR_ADDRESS &&
                   (int)LOBBY_CLIENT_ERR_NOMEM == (int)CLIENT_ERR_NOMEM &&
                   (int)LOBBY_CLIENT_ERR_STATE == (int)CLIENT_ERR_STATE &&
                   (int)LOBBY_CLIENT_ERR_TOO_LONG == (int)CLIENT_ERR_TOO_LONG &&
                   (int)LOBBY_CLIENT_ERR_ARG == (int)CLIENT_ERR_ARG,
               "the errors lobby_client_api.c passes through unchanged");

void lobby_copy_str(char *dst, size_t cap, const char *src)
{
    size_t len = src != NULL ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src != NULL ? src : "", len);
    dst[len] = '\0';
}

int lobby_check_len(const char *s, size_t max)
{
    return s != NULL && strnlen(s, max + 1) > max ? LOBBY_CLIENT_ERR_TOO_LONG : LOBBY_CLIENT_OK;
}

int lobby_meta_in(client_meta *dst, uint8_t count, const lobby_client_meta *src)
{
    if (count > LOBBY_CLIENT_MAX_META)
        return LOBBY_CLIENT_ERR_ARG;
    for (unsigned i = 0; i < count; i++) {
        if (memchr(src[i].key, '\0', sizeof src[i].key) == NULL ||
            memchr(src[i].value, '\0', sizeof src[i].value) == NULL)
            return LOBBY_CLIENT_ERR_TOO_LONG;
        lobby_copy_str(dst[i].key, sizeof dst[i].key, src[i].key);
        lobby_copy_str(dst[i].value, sizeof dst[i].value, src[i].value);
    }
    return LOBBY_CLIENT_OK;
}

static void meta_out(lobby_client_meta *dst, uint8_t *dst_count, const client_meta *src,
                     uint8_t count)
{
    if (count > LOBBY_CLIENT_MAX_META)
        count = LOBBY_CLIENT_MAX_META; /* the core never holds more */
    for (unsigned i = 0; i < count; i++) {
        lobby_copy_str(dst[i].key, sizeof dst[i].key, src[i].key);
        lobby_copy_str(dst[i].value, sizeof dst[i].value, src[i].value);
    }
    *dst_count = count;
}

static lobby_client_lobby_state lobby_state_out(uint8_t s)
{
    return s <= PROTO_LOBBY_STATE_MAX ? (lobby_client_lobby_state)s : LOBBY_CLIENT_LOBBY_UNKNOWN;
}

/* ---- events --------------------------------------------------------------- */

/* The core's event types in its order, to the public numbers. */
static const lobby_client_event_type event_types[] = {
    [CLIENT_EV_JOINED] = LOBBY_CLIENT_EV_JOINED,
    [CLIENT_EV_REJECTED] = LOBBY_CLIENT_EV_REJECTED,
    [CLIENT_EV_DISCONNECTED] = LOBBY_CLIENT_EV_DISCONNECTED,
    [CLIENT_EV_PLAYER_JOINED] = LOBBY_CLIENT_EV_PLAYER_JOINED,
    [CLIENT_EV_PLAYER_LEFT] = LOBBY_CLIENT_EV_PLAYER_LEFT,
    [CLIENT_EV_CHAT] = LOBBY_CLIENT_EV_CHAT,
    [CLIENT_EV_CHAT_ACK] = LOBBY_CLIENT_EV_CHAT_ACK,
    [CLIENT_EV_CHAT_REFUSED] = LOBBY_CLIENT_EV_CHAT_REFUSED,
    [CLIENT_EV_POSITION] = LOBBY_CLIENT_EV_POSITION,
    [CLIENT_EV_PONG] = LOBBY_CLIENT_EV_PONG,
    [CLIENT_EV_RECONNECTING] = LOBBY_CLIENT_EV_RECONNECTING,
    [CLIENT_EV_PLAYER_STATUS] = LOBBY_CLIENT_EV_PLAYER_STATUS,
    [CLIENT_EV_LOBBY_LIST] = LOBBY_CLIENT_EV_LOBBY_LIST,
    [CLIENT_EV_LOBBY_REFUSED] = LOBBY_CLIENT_EV_LOBBY_REFUSED,
    [CLIENT_EV_LOBBY_EXITED] = LOBBY_CLIENT_EV_LOBBY_EXITED,
    [CLIENT_EV_LOBBY_STATE] = LOBBY_CLIENT_EV_LOBBY_STATE,
    [CLIENT_EV_COUNTDOWN] = LOBBY_CLIENT_EV_COUNTDOWN,
    [CLIENT_EV_COUNTDOWN_CANCELLED] = LOBBY_CLIENT_EV_COUNTDOWN_CANCELLED,
    [CLIENT_EV_GAME_STARTING] = LOBBY_CLIENT_EV_GAME_STARTING,
    [CLIENT_EV_DIRECT_CHAT] = LOBBY_CLIENT_EV_DIRECT_CHAT,
    [CLIENT_EV_CHAT_GAP] = LOBBY_CLIENT_EV_CHAT_GAP,
    [CLIENT_EV_REDIRECTED] = LOBBY_CLIENT_EV_REDIRECTED,
};
_Static_assert(sizeof event_types / sizeof event_types[0] == 22 && CLIENT_EV_REDIRECTED == 21 &&
                   LOBBY_CLIENT_EV_GAME_STARTING == 22,
               "every core event type has a public one");

/* The connection's events: joined, refused, lost, over, sent elsewhere. */
static void connection_out(lobby_client_event *out, const client_event *in)
{
    switch (in->type) {
    case CLIENT_EV_JOINED:
        out->joined.resumed = in->joined.resumed;
        break;
    case CLIENT_EV_REJECTED:
        out->rejected.reason = in->rejected.reason;
        break;
    case CLIENT_EV_DISCONNECTED:
        out->disconnected.reason = in->disconnected.reason;
        out->disconnected.unanswered = in->disconnected.unanswered;
        out->disconnected.redirect_failed = in->disconnected.redirect_failed;
        break;
    case CLIENT_EV_RECONNECTING:
        out->reconnecting.reason = in->reconnecting.reason;
        out->reconnecting.delay_ms = in->reconnecting.delay_ms;
        out->reconnecting.unanswered = in->reconnecting.unanswered;
        break;
    default: /* CLIENT_EV_REDIRECTED */
        out->redirected.port = in->redirected.port;
        lobby_copy_str(out->redirected.host, sizeof out->redirected.host, in->redirected.host);
        lobby_copy_str(out->redirected.lobby, sizeof out->redirected.lobby, in->redirected.lobby);
        lobby_copy_str(out->redirected.server_id, sizeof out->redirected.server_id,
                       in->redirected.server_id);
        break;
    }
}

/* The members' events: who came, went, lost the link, moved. */
static void member_out(lobby_client_event *out, const client_event *in)
{
    switch (in->type) {
    case CLIENT_EV_PLAYER_JOINED:
        out->player_id = in->player_joined.player_id;
        break;
    case CLIENT_EV_PLAYER_LEFT:
        out->player_id = in->player_left.player_id;
        out->player_left.reason = in->player_left.reason;
        break;
    case CLIENT_EV_PLAYER_STATUS:
        out->player_id = in->player_status.player_id;
        out->player_status.status = in->player_status.status;
        break;
    default: /* CLIENT_EV_POSITION */
        out->player_id = in->position.player_id;
        out->position.x = in->position.x;
        out->position.y = in->position.y;
        out->position.seq = in->position.seq;
        out->position.sent_us = in->position.sent_us;
        break;
    }
}

static void chat_out(lobby_client_event *out, const client_event *in)
{
    switch (in->type) {
    case CLIENT_EV_CHAT:
        out->player_id = in->chat.player_id;
        out->chat.seq = in->chat.seq;
        out->chat.from_text = in->chat.from_text;
        out->chat.history = in->chat.history;
        lobby_copy_str(out->chat.sender, sizeof out->chat.sender, in->chat.sender);
        break;
    case CLIENT_EV_DIRECT_CHAT: /* public: the chat member, seq 0 */
        out->player_id = in->direct_chat.player_id;
        lobby_copy_str(out->chat.sender, sizeof out->chat.sender, in->direct_chat.sender);
        break;
    case CLIENT_EV_CHAT_ACK:
        out->chat_ack.msg_id = in->chat_ack.msg_id;
        out->chat_ack.seq = in->chat_ack.seq;
        break;
    case CLIENT_EV_CHAT_REFUSED:
        out->chat_refused.msg_id = in->chat_refused.msg_id;
        out->chat_refused.reason = in->chat_refused.reason;
        break;
    default: /* CLIENT_EV_CHAT_GAP */
        out->chat_gap.first_seq = in->chat_gap.first_seq;
        out->chat_gap.missed = in->chat_gap.missed;
        break;
    }
}

/* The lobby requests' answers and the game's start. LOBBY_LIST's sizes are
 * the newest list's, the one lobby_client_get_lobby() shows. */
static void lobby_events_out(lobby_client_event *out, const client_event *in, const client *core)
{
    const client_lobby_list *list = client_get_lobby_list(core);
    switch (in->type) {
    case CLIENT_EV_LOBBY_LIST:
        out->lobby_list.request_id = in->lobby_list.request_id;
        out->lobby_list.total = list->total;
        out->lobby_list.count = list->count;
        break;
    case CLIENT_EV_LOBBY_REFUSED:
        out->lobby_refused.request = in->lobby_refused.request;
        out->lobby_refused.reason = in->lobby_refused.reason;
        break;
    case CLIENT_EV_LOBBY_EXITED:
        out->lobby_exited.reason = in->lobby_exited.reason;
        break;
    case CLIENT_EV_COUNTDOWN:
        out->countdown.seconds_left = in->countdown.seconds_left;
        out->countdown.start_tick = in->countdown.start_tick;
        break;
    case CLIENT_EV_COUNTDOWN_CANCELLED:
        out->player_id = in->countdown_cancelled.by_id;
        break;
    case CLIENT_EV_GAME_STARTING:
        out->game_starting.tick = in->game_starting.tick;
        out->game_starting.server_us = in->game_starting.server_us;
        break;
    default: /* CLIENT_EV_LOBBY_STATE: the status holds it */
        break;
    }
}

void lobby_event_out(lobby_client_event *out, const client_event *in, const client *core)
{
    memset(out, 0, sizeof *out);
    out->type = event_types[in->type];
    switch (in->type) {
    case CLIENT_EV_JOINED:
    case CLIENT_EV_REJECTED:
    case CLIENT_EV_DISCONNECTED:
    case CLIENT_EV_RECONNECTING:
    case CLIENT_EV_REDIRECTED:
        connection_out(out, in);
        break;
    case CLIENT_EV_PLAYER_JOINED:
    case CLIENT_EV_PLAYER_LEFT:
    case CLIENT_EV_PLAYER_STATUS:
    case CLIENT_EV_POSITION:
        member_out(out, in);
        break;
    case CLIENT_EV_CHAT:
    case CLIENT_EV_DIRECT_CHAT:
    case CLIENT_EV_CHAT_ACK:
    case CLIENT_EV_CHAT_REFUSED:
    case CLIENT_EV_CHAT_GAP:
        chat_out(out, in);
        break;
    case CLIENT_EV_PONG:
        out->pong.rtt_us = in->pong.rtt_us;
        out->pong.sent_us = in->pong.sent_us;
        break;
    default:
        lobby_events_out(out, in, core);
        break;
    }
    /* The core's text is at most PROTO_MAX_CHAT_BYTES, the public array's
     * size less its NUL (asserted above); text_len bounds it too. */
    size_t len = in->text_len < sizeof out->text ? in->text_len : sizeof out->text - 1;
    memcpy(out->text, in->text, len);
    out->text[len] = '\0';
}

/* ---- the view ------------------------------------------------------------- */

void lobby_status_out(lobby_client_status *out, const client_view *v)
{
    memset(out, 0, sizeof *out);
    out->state = (lobby_client_state)v->state;
    out->my_id = v->my_id;
    lobby_copy_str(out->lobby, sizeof out->lobby, v->lobby);
    out->capacity = v->capacity;
    out->player_count = v->player_count;
    out->owner_id = v->owner_id;
    out->lobby_state = lobby_state_out(v->lobby_state);
    out->has_password = v->has_password;
    out->server_owned = v->server_owned;
    out->max_rtt_ms = v->max_rtt_ms;
    meta_out(out->meta, &out->meta_count, v->meta, v->meta_count);
    out->reason = v->reason;
    lobby_copy_str(out->reason_text, sizeof out->reason_text, v->reason_text);
    out->rtt_ms = v->enet_rtt_ms;
    out->ping_rtt_us = v->ping_rtt_us;
    out->retry_at_us = v->retry_at_us;
    out->countdown_end_us = v->countdown_end_us;
    out->start_tick = v->start_tick;
}

void lobby_player_out(lobby_client_player *out, const client_player *p)
{
    memset(out, 0, sizeof *out);
    out->id = p->id;
    out->colour = p->colour;
    lobby_copy_str(out->name, sizeof out->name, p->name);
    out->x = p->x;
    out->y = p->y;
    out->has_position = p->has_pos_seq;
    out->ready = p->ready;
    out->reconnecting = p->reconnecting;
    out->rtt_ms = p->rtt_ms;
    out->jitter_ms = p->jitter_ms;
    out->loss_permyriad = p->loss_permyriad;
}

void lobby_lobby_out(lobby_client_lobby *out, const client_lobby_info *l)
{
    memset(out, 0, sizeof *out);
    lobby_copy_str(out->name, sizeof out->name, l->name);
    out->players = l->players;
    out->capacity = l->capacity;
    out->has_password = l->has_password;
    out->server_owned = l->server_owned;
    out->state = lobby_state_out(l->state);
    lobby_copy_str(out->owner, sizeof out->owner, l->owner);
    out->rtt_known = l->rtt_known;
    out->median_rtt_ms = l->median_rtt_ms;
    out->max_rtt_ms = l->max_rtt_ms;
    meta_out(out->meta, &out->meta_count, l->meta, l->meta_count);
}
