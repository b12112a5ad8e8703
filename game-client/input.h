/* SDL input to game intents: movement keys, and the chat line (Enter opens
 * it, Enter sends, Esc cancels, text arrives as SDL text-input events). */
#ifndef LOBBY_INPUT_H
#define LOBBY_INPUT_H

#include "game.h"
#include "render.h"

#include "SDL.h"

#include <stdbool.h>

/* Applies one event; returns false when it asks to quit. */
bool input_handle_event(ui_state *ui, game *g, const SDL_Event *ev);

/* Movement held right now (nothing while typing). */
void input_movement(const ui_state *ui, game_input *out);

/* Queues the key and text events a player would produce to type text and
 * press Enter: the same path as real typing (used by --autotype). */
void input_inject_chat(const char *text);

#endif
