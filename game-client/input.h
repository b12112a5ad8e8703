/* SDL input to game intents. In the lobby: movement keys, the chat line
 * (Enter opens it, Enter sends, Esc cancels, text arrives as SDL text-input
 * events), and with the chat line closed R ready, P start, Tab pick a
 * member, K kick, O give ownership, Esc back to the browser, clicks on the
 * member list and the buttons. In the browser: typing into the focused
 * field, Tab, Up/Down, Enter join or submit, Esc close or clear, F2-F4 the
 * filter toggles, F5 refresh, Ctrl+N create, clicks (double click joins). */
#ifndef LOBBY_INPUT_H
#define LOBBY_INPUT_H

#include "game.h"
#include "render.h"

#include "SDL.h"

#include <stdbool.h>

/* Applies one event; returns false when it asks to quit. */
bool input_handle_event(ui_state *ui, game *g, const SDL_Event *ev);

/* Text input on while the browser is shown or the chat line is open; the
 * chat line closed on the browser. Call once a frame. */
void input_sync_screen(ui_state *ui, const game *g);

/* Movement held right now (nothing while typing). */
void input_movement(const ui_state *ui, game_input *out);

/* Queues the key and text events a player would produce to type text and
 * press Enter: the same path as real typing (used by --autotype). */
void input_inject_chat(const char *text);

#endif
