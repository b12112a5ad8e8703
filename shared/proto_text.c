/* English text for the protocol's codes, shared by server logs and clients. */
#include "proto.h"

const char *proto_strerror(int err)
{
    switch (err) {
    case PROTO_OK:
        return "ok";
    case PROTO_ERR_TRUNCATED:
        return "message truncated";
    case PROTO_ERR_TRAILING:
        return "trailing bytes after message";
    case PROTO_ERR_UNKNOWN_TYPE:
        return "unknown message type";
    case PROTO_ERR_BAD_VALUE:
        return "field value out of range";
    case PROTO_ERR_TOO_LONG:
        return "string or list too long to encode";
    case PROTO_ERR_BUFFER:
        return "output buffer too small";
    }
    return "unknown protocol error";
}

const char *proto_reason_text(uint32_t reason)
{
    switch (reason) {
    case 0:
        return "connection timed out";
    case PROTO_REASON_VERSION_MISMATCH:
        return "protocol version mismatch";
    case PROTO_REASON_SERVER_FULL:
        return "server is full";
    case PROTO_REASON_LOBBY_FULL:
        return "lobby is full";
    case PROTO_REASON_NAME_INVALID:
        return "name is invalid";
    case PROTO_REASON_NAME_TAKEN:
        return "name is already taken in this lobby";
    case PROTO_REASON_LOBBY_INVALID:
        return "lobby name is invalid";
    case PROTO_REASON_SHUTTING_DOWN:
        return "server is shutting down";
    case PROTO_REASON_PROTOCOL_VIOLATION:
        return "too many malformed messages";
    case PROTO_REASON_HANDSHAKE_TIMEOUT:
        return "no hello received in time";
    case PROTO_REASON_QUIT:
        return "quit";
    case PROTO_REASON_TOO_MANY_LOBBIES:
        return "server cannot open more lobbies";
    case PROTO_REASON_TOKEN_INVALID:
        return "session token unknown, expired or already used";
    case PROTO_REASON_TOO_MANY_ATTEMPTS:
        return "too many reconnection attempts";
    case PROTO_REASON_FLOODING:
        return "kicked for flooding the chat";
    }
    return "unknown reason";
}

const char *proto_leave_text(uint32_t reason)
{
    switch (reason) {
    case PROTO_LEAVE_QUIT:
        return "quit";
    case PROTO_LEAVE_TIMEOUT:
        return "timeout";
    case PROTO_LEAVE_KICKED:
        return "kicked";
    }
    return "unknown";
}

const char *proto_refusal_text(uint32_t reason)
{
    switch (reason) {
    case PROTO_REFUSE_EMPTY:
        return "message is empty";
    case PROTO_REFUSE_TOO_LONG:
        return "message is too long";
    case PROTO_REFUSE_INVALID_UTF8:
        return "message is not valid UTF-8";
    case PROTO_REFUSE_CONTROL_CHARS:
        return "message contains control or formatting characters";
    case PROTO_REFUSE_RATE_LIMITED:
        return "sending too fast";
    }
    return "refused";
}

const char *proto_status_text(uint32_t status)
{
    switch (status) {
    case PROTO_STATUS_RECONNECTING:
        return "reconnecting";
    case PROTO_STATUS_BACK:
        return "back";
    }
    return "unknown";
}

const char *proto_type_name(uint32_t type)
{
    switch (type) {
    case PROTO_HELLO:
        return "hello";
    case PROTO_CHAT:
        return "chat";
    case PROTO_POSITION:
        return "position";
    case PROTO_PING:
        return "ping";
    case PROTO_REJECT:
        return "reject";
    case PROTO_WELCOME:
        return "welcome";
    case PROTO_PLAYER_JOINED:
        return "player_joined";
    case PROTO_PLAYER_LEFT:
        return "player_left";
    case PROTO_CHAT_ACK:
        return "chat_ack";
    case PROTO_CHAT_REFUSED:
        return "chat_refused";
    case PROTO_CHAT_RELAY:
        return "chat_relay";
    case PROTO_POSITION_SNAPSHOT:
        return "position_snapshot";
    case PROTO_TEXT_CHAT_RELAY:
        return "text_chat_relay";
    case PROTO_PONG:
        return "pong";
    case PROTO_MEMBER_STATS:
        return "member_stats";
    case PROTO_PLAYER_STATUS:
        return "player_status";
    }
    return "?";
}
