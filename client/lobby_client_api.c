/* The public API of liblobby-client (include/lobby/client.h) over the
 * client core: copies between the public types and the core's. */
#include "lobby/client.h"

#include "client.h"

_Static_assert(LOBBY_CLIENT_VERSION_MAJOR == LOBBY_CLIENT_BUILD_MAJOR &&
                   LOBBY_CLIENT_VERSION_MINOR == LOBBY_CLIENT_BUILD_MINOR &&
                   LOBBY_CLIENT_VERSION_PATCH == LOBBY_CLIENT_BUILD_PATCH,
               "include/lobby/client.h's version differs from the project's");

#define LOBBY_STR2(x) #x
#define LOBBY_STR(x)  LOBBY_STR2(x)

const char *lobby_client_version(void)
{
    return LOBBY_STR(LOBBY_CLIENT_VERSION_MAJOR) "." LOBBY_STR(
        LOBBY_CLIENT_VERSION_MINOR) "." LOBBY_STR(LOBBY_CLIENT_VERSION_PATCH);
}

uint16_t lobby_client_protocol_version(void)
{
    return PROTO_VERSION;
}
