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
    case PROTO_REASON_WRONG_PASSWORD:
        return "wrong or missing lobby password";
    case PROTO_REASON_LOBBY_STARTED:
        return "lobby is starting or in game";
    case PROTO_REASON_KICKED:
        return "kicked from this lobby; wait before rejoining";
    case PROTO_REASON_RTT_TOO_HIGH:
        return "round trip too high for this lobby";
    case PROTO_REASON_AUTH_REQUIRED:
        return "this server needs an identity token from the game's backend";
    case PROTO_REASON_AUTH_INVALID:
        return "identity token invalid";
    case PROTO_REASON_AUTH_EXPIRED:
        return "identity token expired";
    case PROTO_REASON_AUTH_WRONG_LOBBY:
        return "identity token is for another lobby";
    case PROTO_REASON_QUOTA:
        return "too many from your address";
    case PROTO_REASON_IDLE:
        return "idle at the lobby list";
    case PROTO_REASON_TICKET_INVALID:
        return "redirect ticket invalid";
    case PROTO_REASON_TICKET_EXPIRED:
        return "redirect ticket expired";
    case PROTO_REASON_TICKET_USED:
        return "redirect ticket already used";
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
    case PROTO_LEAVE_LEFT:
        return "left";
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
    case PROTO_REFUSE_NO_SUCH_PLAYER:
        return "no such player in your lobby";
    case PROTO_REFUSE_NOT_IN_LOBBY:
        return "you are not in a lobby";
    case PROTO_REFUSE_UNREACHABLE:
        return "that player is reconnecting";
    }
    return "refused";
}

const char *proto_lobby_refusal_text(uint32_t reason)
{
    switch (reason) {
    case PROTO_LOBBY_UNKNOWN:
        return "no lobby of that name";
    case PROTO_LOBBY_WRONG_PASSWORD:
        return "wrong or missing password";
    case PROTO_LOBBY_FULL:
        return "lobby is full";
    case PROTO_LOBBY_STARTED:
        return "lobby is starting or in game";
    case PROTO_LOBBY_KICKED:
        return "kicked from that lobby; wait before rejoining";
    case PROTO_LOBBY_RTT_TOO_HIGH:
        return "your round trip is too high for that lobby";
    case PROTO_LOBBY_NAME_TAKEN:
        return "your name is taken in that lobby";
    case PROTO_LOBBY_NAME_INVALID:
        return "lobby name is invalid";
    case PROTO_LOBBY_EXISTS:
        return "a lobby of that name exists";
    case PROTO_LOBBY_NO_SLOTS:
        return "server cannot open more lobbies";
    case PROTO_LOBBY_NOT_OWNER:
        return "only the lobby owner may do that";
    case PROTO_LOBBY_NOT_IN_LOBBY:
        return "you are not in a lobby";
    case PROTO_LOBBY_NO_SUCH_PLAYER:
        return "no such player in your lobby";
    case PROTO_LOBBY_NOT_ALL_READY:
        return "not every member is ready";
    case PROTO_LOBBY_BAD_VALUE:
        return "capacity, password or metadata out of range";
    case PROTO_LOBBY_BELOW_COUNT:
        return "capacity below the current member count";
    case PROTO_LOBBY_SERVER_FULL:
        return "server is full";
    case PROTO_LOBBY_RATE_LIMITED:
        return "lobby requests too fast";
    case PROTO_LOBBY_SERVER_OWNED:
        return "the server owns this lobby: no kicks, settings, owner or game";
    case PROTO_LOBBY_AUTH_WRONG_LOBBY:
        return "your identity token is for another lobby";
    case PROTO_LOBBY_QUOTA:
        return "your address has its share";
    }
    return "refused";
}

const char *proto_exit_text(uint32_t reason)
{
    switch (reason) {
    case PROTO_EXIT_BROWSING:
        return "browsing the lobby list";
    case PROTO_EXIT_LEFT:
        return "left the lobby";
    case PROTO_EXIT_KICKED:
        return "kicked from the lobby";
    }
    return "unknown";
}

const char *proto_lobby_state_text(uint32_t state)
{
    switch (state) {
    case PROTO_LOBBY_OPEN:
        return "open";
    case PROTO_LOBBY_STARTING:
        return "starting";
    case PROTO_LOBBY_IN_GAME:
        return "in game";
    }
    return "unknown";
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
    case PROTO_LIST_LOBBIES:
        return "list_lobbies";
    case PROTO_CREATE_LOBBY:
        return "create_lobby";
    case PROTO_JOIN_LOBBY:
        return "join_lobby";
    case PROTO_LEAVE_LOBBY:
        return "leave_lobby";
    case PROTO_SET_READY:
        return "set_ready";
    case PROTO_START_GAME:
        return "start_game";
    case PROTO_KICK:
        return "kick";
    case PROTO_CONFIGURE_LOBBY:
        return "configure_lobby";
    case PROTO_GIVE_OWNERSHIP:
        return "give_ownership";
    case PROTO_DIRECT_CHAT:
        return "direct_chat";
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
    case PROTO_LOBBY_REFUSED:
        return "lobby_refused";
    case PROTO_LOBBY_EXITED:
        return "lobby_exited";
    case PROTO_LOBBY_LIST:
        return "lobby_list";
    case PROTO_LOBBY_STATE:
        return "lobby_state";
    case PROTO_COUNTDOWN:
        return "countdown";
    case PROTO_COUNTDOWN_CANCELLED:
        return "countdown_cancelled";
    case PROTO_GAME_STARTING:
        return "game_starting";
    case PROTO_DIRECT_CHAT_RELAY:
        return "direct_chat_relay";
    case PROTO_CHAT_HISTORY:
        return "chat_history";
    case PROTO_CHAT_GAP:
        return "chat_gap";
    case PROTO_REDIRECT:
        return "redirect";
    }
    return "?";
}
