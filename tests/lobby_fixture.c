#include "lobby_fixture.h"

#include "lobby.h"

#include <stdlib.h>

int lobby_fixture_setup(void **state, uint32_t max_lobbies, uint8_t capacity)
{
    lobby_set *set = calloc(1, sizeof *set);
    if (set == NULL || lobby_set_init(set, max_lobbies, capacity) != LOBBY_OK) {
        free(set);
        return -1;
    }
    *state = set;
    return 0;
}

int lobby_fixture_teardown(void **state)
{
    lobby_set *set = *state;
    lobby_set_deinit(set);
    free(set);
    return 0;
}
