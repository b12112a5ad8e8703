/* Lobbies and their players as plain data: no sockets, no clock, no logging
 * (time is passed in). The server core decides what to send; this module
 * answers who is where, who receives what, and enforces the lobby rules
 * (capacity, unique names, stale positions, world bounds). The rules of
 * real lobbies (owner, password, ready, countdown, kicks) are in
 * lobby_rules.c, the lobby list's filters in lobby_list.c. */
#ifndef LOBBY_LOBBY_H
#define LOBBY_LOBBY_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    LOBBY_NO_SESSION = UINT32_MAX,     /* a held seat: the player is reconnecting */
    LOBBY_HISTORY = 64,                /* chat lines kept per lobby for replay */
    LOBBY_NAME_KEY_BYTES = 128,        /* a name after NFKC and case folding */
    LOBBY_MAX_BANS = 16,               /* kick cool-downs remembered per lobby */
    LOBBY_RTT_UNMEASURED = UINT32_MAX, /* a joiner whose round trip is not known yet */
    LOBBY_MAX_HOLDS = 16,              /* seats held for players redirected from another server */
};
_Static_assert((int)LOBBY_HISTORY >= (int)PROTO_JOIN_HISTORY_LINES,
               "a joiner gets PROTO_JOIN_HISTORY_LINES lines from the history ring");

typedef struct lobby_player {
    uint32_t session;     /* the caller's handle for this connection, or LOBBY_NO_SESSION */
    uint32_t session_gen; /* the caller's generation of that handle (the server's session_ref) */
    uint8_t token[PROTO_TOKEN_BYTES]; /* what a reconnecting client must present */
    uint64_t away_since_us;           /* when the seat started being held */
    uint64_t holder;                  /* who the seat is charged to (the session's holder) */
    uint16_t id;
    uint32_t colour;
    uint8_t name_len;
    char name[PROTO_MAX_NAME_BYTES + 1];
    /* The name as compared for uniqueness: NFKC-normalised and case-folded,
     * so "Bob", "BOB" and "ｂｏｂ" are one name. */
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES];
    float x, y;
    uint32_t pos_seq;     /* newest accepted position sequence */
    uint64_t pos_sent_us; /* the sender's clock for it, passed on for latency figures */
    bool ready;           /* SET_READY; cleared when a game starts */
    bool has_pos;         /* false until the first position arrives */
    bool moved;           /* a position arrived since the last snapshot */
    uint8_t merged;       /* ...and how many before it it replaced (saturating) */
} lobby_player;

/* One accepted chat line, kept so a joiner or a reconnecting player gets
 * it. The sender's name is kept with it: the sender may have left by then,
 * and a text client (from_id 0) has no player record at all. */
typedef struct lobby_chat_line {
    uint32_t seq;
    uint16_t from_id; /* 0: a text client */
    uint8_t from_name_len;
    char from_name[PROTO_MAX_NAME_BYTES];
    uint16_t len;
    char text[PROTO_MAX_CHAT_BYTES];
} lobby_chat_line;

typedef struct lobby_meta_pair {
    uint8_t key_len;
    char key[PROTO_MAX_META_KEY_BYTES];
    uint8_t value_len;
    char value[PROTO_MAX_META_VALUE_BYTES];
} lobby_meta_pair;

/* A kicked player's name key and holder, and when they may rejoin. */
typedef struct lobby_ban_entry {
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES];
    uint64_t holder;   /* the kicked seat's holder: its address or identity */
    uint64_t until_us; /* 0: a free entry */
} lobby_ban_entry;

/* A seat held for a player another server of the cluster sent here with a
 * ticket (docs/CLUSTER.md): counted as taken until until_us or its player
 * joins. */
typedef struct lobby_hold {
    uint8_t key_len; /* 0: a free entry */
    char key[LOBBY_NAME_KEY_BYTES];
    uint64_t holder; /* the player's holder where it was redirected from (its quota) */
    uint64_t until_us;
} lobby_hold;

typedef struct lobby {
    bool in_use;
    uint32_t gen; /* bumped at each lobby_open of this slot (lobby_ref) */
    uint8_t name_len;
    char name[PROTO_MAX_LOBBY_NAME_BYTES + 1];
    /* The name's key (NFKC, case folded), made once at open: every lookup
     * (joins, creates, the text port, the list's name filter) compares it,
     * so "Party", "PARTY" and "ｐａｒｔｙ" are one lobby. */
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t capacity; /* 1..PROTO_MAX_LOBBY_PLAYERS */
    uint8_t password_len;
    char password[PROTO_MAX_PASSWORD_BYTES]; /* empty: none */
    uint16_t max_rtt_ms;                     /* 0: no limit */
    uint8_t meta_count;
    lobby_meta_pair meta[PROTO_MAX_META_PAIRS];
    uint16_t owner_id; /* 0 while empty, and always when server_owned */
    /* Opened by the server itself (`main`): nobody owns it, so nobody can
     * lock, kick from, hand over or start the lobby every plain HELLO and
     * text client lands in. */
    bool server_owned;
    /* Who opened it (a session's or text client's holder), charged for it
     * while it is open; 0 for the server's own. */
    uint64_t creator;
    uint8_t state;               /* proto_lobby_state */
    uint32_t start_tick;         /* STARTING: the server tick the game starts at */
    uint8_t countdown_announced; /* STARTING: the last COUNTDOWN's seconds_left */
    bool idle;                   /* no members and no watchers since idle_since_us */
    uint64_t idle_since_us;
    lobby_ban_entry bans[LOBBY_MAX_BANS];
    uint32_t chat_seq; /* last sequence number given to an accepted chat */
    uint32_t watchers; /* text clients reading this lobby's chat: keep it open */
    lobby_hold holds[LOBBY_MAX_HOLDS];
    uint8_t count;
    lobby_player players[PROTO_MAX_LOBBY_PLAYERS]; /* [0, count), in join order */
    lobby_chat_line history[LOBBY_HISTORY];        /* ring, by seq % LOBBY_HISTORY */
} lobby;

typedef struct lobby_set {
    lobby *lobbies;
    uint32_t max_lobbies;
    uint8_t capacity; /* of lobbies opened without one (HELLO JOIN, text clients) */
} lobby_set;

typedef enum lobby_error {
    LOBBY_OK = 0,
    LOBBY_ERR_FULL = -1,       /* the lobby has capacity players */
    LOBBY_ERR_NAME_TAKEN = -2, /* a player of that name is in the lobby */
    LOBBY_ERR_NO_SLOTS = -3,   /* max_lobbies are open */
    LOBBY_ERR_NOMEM = -4,
    LOBBY_ERR_ARG = -5, /* capacity or name out of range */
    LOBBY_ERR_WRONG_PASSWORD = -6,
    LOBBY_ERR_STARTED = -7,      /* counting down or in game */
    LOBBY_ERR_KICKED = -8,       /* in its kick cool-down */
    LOBBY_ERR_RTT_TOO_HIGH = -9, /* above the lobby's max_rtt_ms */
    LOBBY_ERR_EXISTS = -10,      /* a lobby of that name is open */
    LOBBY_ERR_NOT_OWNER = -11,
    LOBBY_ERR_NO_SUCH_PLAYER = -12,
    LOBBY_ERR_NOT_ALL_READY = -13,
    LOBBY_ERR_BAD_VALUE = -14,   /* capacity, password or metadata out of range */
    LOBBY_ERR_BELOW_COUNT = -15, /* capacity below the member count */
    LOBBY_ERR_QUOTA = -16,       /* the holder has its share: seats in the lobby, lobbies open */
} lobby_error;

/* Allocates max_lobbies slots and opens the default lobby, owned by the
 * server. capacity is 1..PROTO_MAX_LOBBY_PLAYERS. Returns LOBBY_OK or a
 * negative lobby_error. */
int lobby_set_init(lobby_set *set, uint32_t max_lobbies, uint8_t capacity);
void lobby_set_deinit(lobby_set *set);

/* A long-lived reference to a lobby: its slot and the slot's generation,
 * so a reference kept past the lobby's close cannot reach the lobby opened
 * later in the same slot. */
typedef struct lobby_ref {
    int index; /* -1: none */
    uint32_t gen;
} lobby_ref;

/* A reference to the open lobby at index (index -1: a reference to none). */
lobby_ref lobby_ref_of(const lobby_set *set, int index);
/* The index ref names, or -1 when it names none, or a lobby since closed. */
int lobby_ref_index(const lobby_set *set, lobby_ref ref);

/* Index of the open lobby whose name has the same key as name (NFKC, case
 * folded: "Red", "RED" and "ｒｅｄ" find one lobby), or -1 (also for a name
 * that has no key). */
int lobby_find(const lobby_set *set, proto_str name);

/* Opens a lobby called name with the set's default capacity and no owner,
 * password, metadata or RTT limit. Returns its index, LOBBY_ERR_EXISTS (a
 * lobby with the same key is open), LOBBY_ERR_NO_SLOTS or LOBBY_ERR_ARG
 * (name length, or a name without a key: see lobby_name_key). */
int lobby_open(lobby_set *set, proto_str name);

/* Adds a player to the lobby with name's key, opening it when absent. The caller
 * has validated both names (and the lobby's rules: lobby_admit). On success
 * returns the lobby index and the new player is the lobby's last entry. */
int lobby_join(lobby_set *set, proto_str lobby_name, proto_str player_name, uint32_t session,
               uint16_t player_id);
/* The same for the open lobby at lobby_index. The first member of a lobby
 * without an owner owns it, unless the server owns the lobby. */
int lobby_join_at(lobby_set *set, int lobby_index, proto_str player_name, uint32_t session,
                  uint16_t player_id);

/* What lobby_leave changed besides the member list. */
enum {
    LOBBY_LEFT_OWNER_CHANGED = 1u << 0,
    LOBBY_LEFT_COUNTDOWN_CANCELLED = 1u << 1,
};
/* Removes the player. An owner leaving hands the lobby to the longest-present
 * member; a leave during the countdown cancels it; the last member leaving
 * makes the lobby OPEN again. An empty lobby stays open until
 * lobby_close_idle. Returns LOBBY_LEFT_* flags. */
unsigned lobby_leave(lobby_set *set, int lobby_index, uint16_t player_id);

/* Writes the comparison key of a (valid UTF-8) name: NFKC and case folded;
 * false when it cannot be made or would not fit LOBBY_NAME_KEY_BYTES. */
bool lobby_name_key(proto_str name, char *key, uint8_t *key_len);

/* A watcher (a text client: no seat, no position) of the lobby called name,
 * opening it when absent. Returns the lobby index, or LOBBY_ERR_NO_SLOTS /
 * LOBBY_ERR_ARG. The lobby stays open until lobby_unwatch. */
int lobby_watch(lobby_set *set, proto_str lobby_name);
/* Ends a watch from lobby_watch; the lobby may close (lobby_close_idle). */
void lobby_unwatch(lobby_set *set, int lobby_index);

lobby_player *lobby_player_find(lobby *l, uint16_t player_id);

/* Applies a position update: false (and no change) when seq is not newer
 * than the last accepted one. Coordinates are clamped to the world. */
bool lobby_move(lobby_player *p, uint32_t seq, float x, float y);

/* Gives the next chat sequence number of the lobby. */
uint32_t lobby_next_chat_seq(lobby *l);

/* Keeps an accepted chat line (seq from lobby_next_chat_seq) for replay:
 * from_id 0 for a text client. The caller has checked the name and text
 * against PROTO_MAX_NAME_BYTES and PROTO_MAX_CHAT_BYTES. */
void lobby_remember_chat(lobby *l, uint32_t seq, uint16_t from_id, proto_str from_name,
                         proto_str text);
/* The kept line with this seq, or NULL when it has scrolled out. */
const lobby_chat_line *lobby_chat_at(const lobby *l, uint32_t seq);

/* The player whose token equals token, compared in constant time; NULL when
 * none. *lobby_index receives its lobby. */
lobby_player *lobby_find_token(lobby_set *set, const uint8_t *token, int *lobby_index);

const char *lobby_strerror(int err);

/* ---- lobby_rules.c: settings, admission, owner, ready, countdown, kicks -- */

/* A lobby's settings as CREATE_LOBBY / CONFIGURE_LOBBY carry them. */
typedef struct lobby_settings {
    uint8_t capacity; /* 1..PROTO_MAX_LOBBY_PLAYERS (the caller resolves 0) */
    proto_str password;
    uint16_t max_rtt_ms;
    proto_meta_list meta;
} lobby_settings;

/* LOBBY_OK, or LOBBY_ERR_BAD_VALUE with what is wrong written to why. Only
 * the fields named by changes (PROTO_CONFIGURE_*) are checked. */
int lobby_check_settings(const lobby_settings *in, unsigned changes, char *why, size_t cap);
/* Checks, then applies the fields named by changes; on any refusal
 * (BAD_VALUE, BELOW_COUNT) nothing changes. */
int lobby_configure(lobby *l, const lobby_settings *in, unsigned changes, char *why, size_t cap);
/* A metadata key: 1..16 bytes of [a-z0-9_.-]. */
bool lobby_meta_key_valid(proto_str key);

/* Who asks to join: its name key, its holder and the seats a holder may
 * take in a lobby it did not open (lobby_holder_share). */
typedef struct lobby_joiner {
    const char *key;
    uint8_t key_len;
    uint64_t holder;
    unsigned holder_share;
} lobby_joiner;

/* ---- seats held for redirected players (lobby_holds.c) ------------------ */

/* Holds a seat for the joiner (its name key and holder) until until_us (a
 * second hold for the same key moves its expiry). False when the lobby has
 * no free seat to hold (members and other live holds fill it), when the
 * holder has its share of the lobby in seats and holds (as lobby_admit
 * counts seats), or when LOBBY_MAX_HOLDS are live. */
bool lobby_hold_seat(lobby *l, const lobby_joiner *who, uint64_t now_us, uint64_t until_us);
/* Live holds for players other than key (key_len 0: all of them). */
unsigned lobby_holds_for_others(const lobby *l, const char *key, uint8_t key_len, uint64_t now_us);
/* The player with key has joined: its hold, if any, is used up. True when
 * there was one. */
bool lobby_use_hold(lobby *l, const char *key, uint8_t key_len);
/* Frees holds past their time; returns how many (tickets never used). */
unsigned lobby_expire_holds(lobby *l, uint64_t now_us);
/* Whether a joiner (with the password it gave and its measured round trip
 * or LOBBY_RTT_UNMEASURED) may join l now: LOBBY_OK or, the first that
 * applies in this order, FULL, STARTED, RTT_TOO_HIGH, WRONG_PASSWORD,
 * KICKED (name or holder; *wait_us: the cool-down left), QUOTA (its holder
 * has its share of seats, held ones included, in a lobby it did not open),
 * NAME_TAKEN. */
int lobby_admit(const lobby *l, const lobby_joiner *who, proto_str password, uint32_t rtt_ms,
                uint64_t now_us, uint64_t *wait_us);
/* Seats one holder may take in l when it did not open it: percent of the
 * capacity rounded up, at least 2 (at 50 % a LAN party fits and one
 * address cannot fill it). */
unsigned lobby_holder_share(const lobby *l, unsigned percent);
/* Seats of l charged to holder, live and held. */
unsigned lobby_holder_seats(const lobby *l, uint64_t holder);
/* Open lobbies that holder opened. */
uint32_t lobby_count_created_by(const lobby_set *set, uint64_t holder);
/* Compares a given password with the lobby's in time independent of where
 * they differ. A lobby without one accepts any. */
bool lobby_password_ok(const lobby *l, proto_str given);

/* The owner hands the lobby to another member: LOBBY_OK, NOT_OWNER,
 * NO_SUCH_PLAYER (not a member, or itself). */
int lobby_give_ownership(lobby *l, uint16_t by_id, uint16_t to_id);
/* Sets a member's ready flag. Unreadying during the countdown cancels it
 * (*cancelled); readying is refused (STARTED) once counting down or in game.
 * Returns LOBBY_OK, LOBBY_ERR_STARTED or LOBBY_ERR_NO_SUCH_PLAYER. */
int lobby_set_ready(lobby *l, uint16_t player_id, bool ready, bool *cancelled);
/* The owner starts the countdown: LOBBY_OK (state STARTING, start_tick set),
 * NOT_OWNER, STARTED, NOT_ALL_READY (*not_ready: the first member that is
 * not ready or whose seat is held while it reconnects). */
int lobby_start_countdown(lobby *l, uint16_t by_id, uint32_t start_tick,
                          const lobby_player **not_ready);
/* Back to OPEN from STARTING; false when there was no countdown. */
bool lobby_cancel_countdown(lobby *l);
/* STARTING -> IN_GAME, every ready flag cleared. */
void lobby_begin_game(lobby *l);

/* Checks that by_id (the owner) may kick target_id: LOBBY_OK, NOT_OWNER or
 * NO_SUCH_PLAYER (itself or not a member). */
int lobby_check_kick(lobby *l, uint16_t by_id, uint16_t target_id);
/* Remembers that key, and anyone of holder under any name, may not rejoin
 * before until_us; a full list forgets the entry that expires soonest. */
void lobby_ban(lobby *l, const char *key, uint8_t key_len, uint64_t holder, uint64_t until_us);
/* True while key or holder is banned; *wait_us receives the time left. */
bool lobby_banned(const lobby *l, const char *key, uint8_t key_len, uint64_t holder,
                  uint64_t now_us, uint64_t *wait_us);

/* ---- lobby_list.c: LIST_LOBBIES filters, the list, idle lobbies --------- */

typedef struct lobby_filter {
    proto_str name_contains; /* case-insensitive (name keys); empty: any */
    uint8_t flags;           /* PROTO_FILTER_* */
    proto_meta_list meta;    /* every pair must equal the lobby's */
} lobby_filter;

bool lobby_matches(const lobby *l, const lobby_filter *f);
/* The same filter on a LOBBY_LIST row (another server's lobby, from the
 * cluster directory) whose name key is entry_key; needle_key is the key of
 * f->name_contains, made once by the caller (empty: any name; NULL bytes:
 * the needle has no key, so no name matches). */
bool lobby_entry_matches(const proto_lobby_entry *e, proto_str entry_key, const lobby_filter *f,
                         proto_str needle_key);
/* Writes the indexes of the first `cap` matching lobbies in slot order to
 * out and returns how many were written; *total receives all matches. */
size_t lobby_list(const lobby_set *set, const lobby_filter *f, int *out, size_t cap,
                  uint32_t *total);
/* The median of the known round trips among rtts[0..n) (PROTO_RTT_UNKNOWN
 * entries skipped; even counts average the middle two), or PROTO_RTT_UNKNOWN. */
uint16_t lobby_median_rtt(const uint16_t *rtts, size_t n);
/* Closes lobbies (never index 0) that have had no members and no watchers
 * for grace_us; a lobby is first seen idle by this call. Returns how many
 * were closed; their indexes go to closed[0..cap). */
size_t lobby_close_idle(lobby_set *set, uint64_t now_us, uint64_t grace_us, int *closed,
                        size_t cap);

#endif
