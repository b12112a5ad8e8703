/* The tick side of real lobbies: the start countdown (COUNTDOWN every
 * second, GAME_STARTING to every member in one pass at the start tick), its
 * cancellation, and closing lobbies that stood empty for the grace time.
 * The clock of a countdown is the snapshot tick counter, so every member's
 * GAME_STARTING names the same tick. */
#include "log.h"
#include "server_ctx.h"
#include "server_lobby_msgs.h"

uint32_t server_countdown_left_ms(const server_ctx *s, const lobby *l)
{
    if (l->state != PROTO_LOBBY_STARTING || l->start_tick <= (*s->tick))
        return 0;
    return (uint32_t)((uint64_t)(l->start_tick - (*s->tick)) * 1000u / s->cfg->snapshot_hz);
}

/* Whole seconds left, rounded up: 3 s, 2 s, 1 s, then the start. */
static uint8_t seconds_left(uint32_t ms)
{
    uint32_t secs = (ms + 999) / 1000;
    return (uint8_t)(secs == 0 ? 1 : secs > UINT8_MAX ? UINT8_MAX : secs);
}

static void send_countdown(server_ctx *s, lobby *l, uint8_t secs)
{
    proto_msg m = {.type = PROTO_COUNTDOWN};
    m.u.countdown.seconds_left = secs;
    m.u.countdown.start_tick = l->start_tick;
    l->countdown_announced = secs;
    replies_to_lobby(s->out, l, 0, &m, PROTO_CHANNEL_RELIABLE, true);
}

void server_countdown_begin(server_ctx *s, lobby *l)
{
    log_info("server", "countdown lobby=%s start_tick=%u (now %u)", l->name,
             (unsigned)l->start_tick, (unsigned)(*s->tick));
    send_countdown(s, l, seconds_left(server_countdown_left_ms(s, l)));
    server_send_lobby_state(s, l);
}

void server_countdown_cancelled(server_ctx *s, const lobby *l, uint16_t by_id, const char *text)
{
    log_info("server", "countdown cancelled lobby=%s by=%u: %s", l->name, by_id, text);
    s->stats->countdowns_cancelled++;
    proto_msg m = {.type = PROTO_COUNTDOWN_CANCELLED};
    m.u.countdown_cancelled.by_id = by_id;
    m.u.countdown_cancelled.text = proto_str_from_cstr(text);
    replies_to_lobby(s->out, l, 0, &m, PROTO_CHANNEL_RELIABLE, true);
    server_send_lobby_state(s, l);
}

/* One packet for every member: the same tick and server time for all. */
static void begin_game(server_ctx *s, lobby *l, uint64_t now_us)
{
    lobby_begin_game(l);
    proto_msg m = {.type = PROTO_GAME_STARTING};
    m.u.game_starting.tick = (*s->tick);
    m.u.game_starting.server_us = now_us;
    uint32_t sent = replies_to_lobby(s->out, l, 0, &m, PROTO_CHANNEL_RELIABLE, true);
    server_send_lobby_state(s, l);
    s->stats->games_started++;
    log_info("server", "game starting lobby=%s tick=%u members=%u sent=%u", l->name,
             (unsigned)(*s->tick), (unsigned)l->count, (unsigned)sent);
}

void server_run_countdowns(server_ctx *s, uint64_t now_us)
{
    for (uint32_t i = 0; i < s->lobbies->max_lobbies; i++) {
        lobby *l = &s->lobbies->lobbies[i];
        if (!l->in_use || l->state != PROTO_LOBBY_STARTING)
            continue;
        if ((*s->tick) >= l->start_tick) {
            begin_game(s, l, now_us);
            continue;
        }
        uint8_t secs = seconds_left(server_countdown_left_ms(s, l));
        if (secs < l->countdown_announced)
            send_countdown(s, l, secs);
    }
}

void server_close_idle_lobbies(server_ctx *s, uint64_t now_us)
{
    int closed[PROTO_MAX_LIST_ENTRIES];
    uint64_t grace_us = (uint64_t)s->cfg->lobby_grace_ms * 1000u;
    size_t n = lobby_close_idle(s->lobbies, now_us, grace_us, closed, PROTO_MAX_LIST_ENTRIES);
    s->stats->lobbies_closed += n;
    for (size_t i = 0; i < n && i < PROTO_MAX_LIST_ENTRIES; i++)
        log_info("server", "close lobby=%s: empty for %u ms", s->lobbies->lobbies[closed[i]].name,
                 (unsigned)s->cfg->lobby_grace_ms);
}
