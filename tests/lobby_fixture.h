/* A fresh lobby_set per test for the lobby-rule tests (test_lobby*.c), as
 * cmocka setup and teardown. Only lobby.h's public calls. */
#ifndef LOBBY_TEST_LOBBY_FIXTURE_H
#define LOBBY_TEST_LOBBY_FIXTURE_H

#include <stdint.h>

/* Puts in *state a lobby_set of max_lobbies slots of capacity players each,
 * initialised; -1 (nothing left allocated) when it cannot be. */
int lobby_fixture_setup(void **state, uint32_t max_lobbies, uint8_t capacity);
/* Deinitialises and frees the set lobby_fixture_setup put in *state. */
int lobby_fixture_teardown(void **state);

#endif
