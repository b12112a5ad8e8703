/* The message codec. Every message type has a sample with hand-written golden
 * bytes (the same as the examples in docs/PROTOCOL.md); each sample is run
 * through the same table of behaviours (golden encode, golden decode, round
 * trip, every truncation, a trailing byte, a too-small buffer). Boundaries,
 * range checks and the small helpers follow as ordinary tests. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "wire.h"

/* ---- samples --------------------------------------------------------------- */

typedef struct sample {
    const char *name;
    proto_msg msg;
    const uint8_t *bytes; /* the golden encoding of msg */
    size_t len;
} sample;

/* Laid out by hand, one wire field per line as in docs/PROTOCOL.md. */
/* clang-format off */
#define STR(s) {.bytes = (s), .len = sizeof(s) - 1}
#define GOLDEN(...) \
    .bytes = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})

static const sample samples[] = {
    {"hello",
     {.type = PROTO_HELLO, .u.hello = {.name = STR("alice"), .lobby = STR("main")}},
     GOLDEN(0x01,
            0x05, 0x61, 0x6C, 0x69, 0x63, 0x65, /* name "alice" */
            0x04, 0x6D, 0x61, 0x69, 0x6E,       /* lobby "main" */
            0x00,                               /* password "" */
            0x00)},                             /* mode JOIN */
    {"hello_password",
     {.type = PROTO_HELLO,
      .u.hello = {.name = STR("al"), .lobby = STR("den"), .password = STR("pw")}},
     GOLDEN(0x01,
            0x02, 0x61, 0x6C,       /* name "al" */
            0x03, 0x64, 0x65, 0x6E, /* lobby "den" */
            0x02, 0x70, 0x77,       /* password "pw" */
            0x00)},                 /* mode JOIN */
    {"hello_resume",
     {.type = PROTO_HELLO,
      .u.hello = {.name = STR("al"), .lobby = STR(""), .mode = PROTO_HELLO_RESUME,
                  .token = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                            0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF},
                  .last_chat_seq = 0x01020304}},
     GOLDEN(0x01,
            0x02, 0x61, 0x6C,                               /* name "al" */
            0x00,                                           /* lobby "" */
            0x00,                                           /* password "" */
            0x01,                                           /* mode RESUME */
            0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, /* token */
            0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
            0x04, 0x03, 0x02, 0x01)},                       /* last_chat_seq */
    {"hello_browse",
     {.type = PROTO_HELLO,
      .u.hello = {.name = STR("bob"), .lobby = STR(""), .mode = PROTO_HELLO_BROWSE}},
     GOLDEN(0x01,
            0x03, 0x62, 0x6F, 0x62, /* name "bob" */
            0x00,                   /* lobby "" */
            0x00,                   /* password "" */
            0x02)},                 /* mode BROWSE */
    {"chat",
     {.type = PROTO_CHAT, .u.chat = {.msg_id = 0x01020304, .text = STR("hi")}},
     GOLDEN(0x02,
            0x04, 0x03, 0x02, 0x01,   /* msg_id */
            0x02, 0x00, 0x68, 0x69)}, /* text "hi" (u16 length) */
    {"position",
     {.type = PROTO_POSITION,
      .u.position = {.seq = 7, .sent_us = 0x0102030405060708, .x = 100.0f, .y = 50.5f}},
     GOLDEN(0x03,
            0x07, 0x00, 0x00, 0x00,                         /* seq */
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* sent_us */
            0x00, 0x00, 0xC8, 0x42,                         /* x = 100.0 */
            0x00, 0x00, 0x4A, 0x42)},                       /* y = 50.5 */
    {"ping",
     {.type = PROTO_PING, .u.ping = {.client_us = 0x1122334455667788}},
     GOLDEN(0x04,
            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11)}, /* client_us */
    {"reject",
     {.type = PROTO_REJECT, .u.reject = {.reason = PROTO_REASON_NAME_TAKEN, .text = STR("taken")}},
     GOLDEN(0x80,
            0x05,                                 /* reason NAME_TAKEN */
            0x05, 0x74, 0x61, 0x6B, 0x65, 0x6E)}, /* text "taken" */
    {"welcome",
     {.type = PROTO_WELCOME,
      .u.welcome = {.your_id = 0x0102,
                    .token = {0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7,
                              0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF},
                    .resumed = 1, .capacity = 16, .lobby = STR("main"), .count = 2,
                    .players = {{.id = 0x0102, .colour = 0x112233, .name = STR("alice"),
                                 .x = 100.0f, .y = 50.5f},
                                {.id = 3, .colour = 0xFF8000, .name = STR("bob"),
                                 .x = 0.0f, .y = 800.0f}}}},
     GOLDEN(0x81,
            0x02, 0x01,                         /* your_id */
            0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, /* token */
            0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xBB,
            0xBC, 0xBD, 0xBE, 0xBF,
            0x01,                               /* resumed */
            0x10,                               /* capacity 16 */
            0x04, 0x6D, 0x61, 0x69, 0x6E,       /* lobby "main" */
            0x02,                               /* count */
            0x02, 0x01,                         /* [0] id */
            0x33, 0x22, 0x11, 0x00,             /* [0] colour 0x112233 */
            0x05, 0x61, 0x6C, 0x69, 0x63, 0x65, /* [0] name "alice" */
            0x00, 0x00, 0xC8, 0x42,             /* [0] x = 100.0 */
            0x00, 0x00, 0x4A, 0x42,             /* [0] y = 50.5 */
            0x03, 0x00,                         /* [1] id */
            0x00, 0x80, 0xFF, 0x00,             /* [1] colour 0xFF8000 */
            0x03, 0x62, 0x6F, 0x62,             /* [1] name "bob" */
            0x00, 0x00, 0x00, 0x00,             /* [1] x = 0.0 */
            0x00, 0x00, 0x48, 0x44)},           /* [1] y = 800.0 */
    {"welcome_alone",
     {.type = PROTO_WELCOME,
      .u.welcome = {.your_id = 1, .capacity = 8, .lobby = STR("a"), .count = 0}},
     GOLDEN(0x81,
            0x01, 0x00, /* your_id */
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* token (zeros) */
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00,       /* resumed: no */
            0x08,       /* capacity */
            0x01, 0x61, /* lobby "a" */
            0x00)},     /* count */
    {"player_joined",
     {.type = PROTO_PLAYER_JOINED,
      .u.joined = {.id = 3, .colour = 0xFF8000, .name = STR("bob"), .x = 1200.0f, .y = 800.0f}},
     GOLDEN(0x82,
            0x03, 0x00,               /* id */
            0x00, 0x80, 0xFF, 0x00,   /* colour 0xFF8000 */
            0x03, 0x62, 0x6F, 0x62,   /* name "bob" */
            0x00, 0x00, 0x96, 0x44,   /* x = 1200.0 */
            0x00, 0x00, 0x48, 0x44)}, /* y = 800.0 */
    {"player_left",
     {.type = PROTO_PLAYER_LEFT, .u.left = {.id = 0x0203, .reason = PROTO_LEAVE_TIMEOUT}},
     GOLDEN(0x83,
            0x03, 0x02, /* id */
            0x02)},     /* reason TIMEOUT */
    {"chat_ack",
     {.type = PROTO_CHAT_ACK, .u.chat_ack = {.msg_id = 0x01020304, .seq = 0xA0B0C0D0}},
     GOLDEN(0x84,
            0x04, 0x03, 0x02, 0x01,   /* msg_id */
            0xD0, 0xC0, 0xB0, 0xA0)}, /* seq */
    {"chat_refused",
     {.type = PROTO_CHAT_REFUSED,
      .u.chat_refused = {.msg_id = 9, .reason = PROTO_REFUSE_RATE_LIMITED, .text = STR("slow")}},
     GOLDEN(0x85,
            0x09, 0x00, 0x00, 0x00,         /* msg_id */
            0x05,                           /* reason RATE_LIMITED */
            0x04, 0x73, 0x6C, 0x6F, 0x77)}, /* text "slow" */
    {"chat_relay",
     {.type = PROTO_CHAT_RELAY,
      .u.chat_relay = {.from_id = 0x0102, .seq = 0x00010000, .text = STR("h\xC3\xA9llo")}},
     GOLDEN(0x86,
            0x02, 0x01,                                       /* from_id */
            0x00, 0x00, 0x01, 0x00,                           /* seq */
            0x06, 0x00, 0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F)}, /* text "héllo" */
    {"text_chat_relay",
     {.type = PROTO_TEXT_CHAT_RELAY,
      .u.text_chat_relay = {.seq = 0x0000010C, .name = STR("ann"), .text = STR("hi")}},
     GOLDEN(0x8C,
            0x0C, 0x01, 0x00, 0x00,   /* seq */
            0x03, 0x61, 0x6E, 0x6E,   /* name "ann" */
            0x02, 0x00, 0x68, 0x69)}, /* text "hi" (u16 length) */
    {"chat_history",
     {.type = PROTO_CHAT_HISTORY,
      .u.chat_history = {.seq = 0x0000010C, .from_id = 3, .name = STR("bob"), .text = STR("hi")}},
     GOLDEN(0x95,
            0x0C, 0x01, 0x00, 0x00,   /* seq */
            0x03, 0x00,               /* from_id */
            0x03, 0x62, 0x6F, 0x62,   /* name "bob" */
            0x02, 0x00, 0x68, 0x69)}, /* text "hi" (u16 length) */
    {"chat_history_text_client",
     {.type = PROTO_CHAT_HISTORY,
      .u.chat_history = {.seq = 1, .from_id = 0, .name = STR("ann"), .text = STR("yo")}},
     GOLDEN(0x95,
            0x01, 0x00, 0x00, 0x00,   /* seq */
            0x00, 0x00,               /* from_id 0: a text client */
            0x03, 0x61, 0x6E, 0x6E,   /* name "ann" */
            0x02, 0x00, 0x79, 0x6F)}, /* text "yo" */
    {"chat_gap",
     {.type = PROTO_CHAT_GAP, .u.chat_gap = {.first_seq = 0x00000102, .missed = 0x00000021}},
     GOLDEN(0x96,
            0x02, 0x01, 0x00, 0x00,   /* first_seq 258 */
            0x21, 0x00, 0x00, 0x00)}, /* missed 33 */
    {"position_snapshot",
     {.type = PROTO_POSITION_SNAPSHOT,
      .u.snapshot = {.count = 2,
                     .entries = {{.id = 3, .seq = 0xFFFFFFFF, .sent_us = 1000000, .x = 1.0f,
                                  .y = 0.25f, .merged = 0},
                                 {.id = 0x0102, .seq = 1, .sent_us = 0, .x = 0.0f, .y = 2.0f,
                                  .merged = 255}}}},
     GOLDEN(0x8B,
            0x02,                                           /* count */
            0x03, 0x00,                                     /* [0] id */
            0xFF, 0xFF, 0xFF, 0xFF,                         /* [0] seq */
            0x40, 0x42, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, /* [0] sent_us = 1000000 */
            0x00, 0x00, 0x80, 0x3F,                         /* [0] x = 1.0 */
            0x00, 0x00, 0x80, 0x3E,                         /* [0] y = 0.25 */
            0x00,                                           /* [0] merged */
            0x02, 0x01,                                     /* [1] id */
            0x01, 0x00, 0x00, 0x00,                         /* [1] seq */
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* [1] sent_us */
            0x00, 0x00, 0x00, 0x00,                         /* [1] x = 0.0 */
            0x00, 0x00, 0x00, 0x40,                         /* [1] y = 2.0 */
            0xFF)},                                         /* [1] merged */
    {"pong",
     {.type = PROTO_PONG, .u.pong = {.client_us = 1, .server_us = 0x8000000000000000}},
     GOLDEN(0x88,
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* client_us */
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80)}, /* server_us */
    {"player_status",
     {.type = PROTO_PLAYER_STATUS,
      .u.player_status = {.id = 0x0405, .status = PROTO_STATUS_RECONNECTING}},
     GOLDEN(0x8A,
            0x05, 0x04, /* id */
            0x01)},     /* status: reconnecting */
    {"member_stats",
     {.type = PROTO_MEMBER_STATS,
      .u.member_stats = {.count = 2,
                         .members = {{.id = 1, .rtt_ms = 20, .jitter_ms = 3, .loss_permyriad = 0},
                                     {.id = 0x0102, .rtt_ms = 0xFFFF, .jitter_ms = 0x0304,
                                      .loss_permyriad = 10000}}}},
     GOLDEN(0x89,
            0x02,                               /* count */
            0x01, 0x00, 0x14, 0x00,             /* id 1, rtt 20 ms */
            0x03, 0x00, 0x00, 0x00,             /* jitter 3 ms, loss 0 */
            0x02, 0x01, 0xFF, 0xFF,             /* id 0x0102, rtt 65535 ms */
            0x04, 0x03, 0x10, 0x27)},           /* jitter 0x0304 ms, loss 10000 */
    {"list_lobbies",
     {.type = PROTO_LIST_LOBBIES,
      .u.list_lobbies = {.request_id = 0x01020304, .name_contains = STR("ct"),
                         .flags = PROTO_FILTER_FREE_SEAT | PROTO_FILTER_OPEN,
                         .meta = {.count = 1, .pairs = {{STR("mode"), STR("ctf")}}}}},
     GOLDEN(0x05,
            0x04, 0x03, 0x02, 0x01,         /* request_id */
            0x02, 0x63, 0x74,               /* name_contains "ct" */
            0x05,                           /* flags FREE_SEAT | OPEN */
            0x01,                           /* meta count */
            0x04, 0x6D, 0x6F, 0x64, 0x65,   /* key "mode" */
            0x03, 0x63, 0x74, 0x66)},       /* value "ctf" */
    {"list_lobbies_any",
     {.type = PROTO_LIST_LOBBIES, .u.list_lobbies = {.name_contains = STR("")}},
     GOLDEN(0x05,
            0x00, 0x00, 0x00, 0x00, /* request_id */
            0x00,                   /* name_contains "" */
            0x00,                   /* flags: none */
            0x00)},                 /* meta count */
    {"create_lobby",
     {.type = PROTO_CREATE_LOBBY,
      .u.create_lobby = {.name = STR("den"), .capacity = 8, .password = STR("pw"),
                         .max_rtt_ms = 150,
                         .meta = {.count = 2, .pairs = {{STR("mode"), STR("ctf")},
                                                        {STR("map"), STR("")}}}}},
     GOLDEN(0x06,
            0x03, 0x64, 0x65, 0x6E,         /* name "den" */
            0x08,                           /* capacity */
            0x02, 0x70, 0x77,               /* password "pw" */
            0x96, 0x00,                     /* max_rtt_ms 150 */
            0x02,                           /* meta count */
            0x04, 0x6D, 0x6F, 0x64, 0x65,   /* [0] key "mode" */
            0x03, 0x63, 0x74, 0x66,         /* [0] value "ctf" */
            0x03, 0x6D, 0x61, 0x70,         /* [1] key "map" */
            0x00)},                         /* [1] value "" */
    {"join_lobby",
     {.type = PROTO_JOIN_LOBBY, .u.join_lobby = {.name = STR("den"), .password = STR("pw")}},
     GOLDEN(0x07,
            0x03, 0x64, 0x65, 0x6E, /* name "den" */
            0x02, 0x70, 0x77)},     /* password "pw" */
    {"leave_lobby", {.type = PROTO_LEAVE_LOBBY}, GOLDEN(0x08)},
    {"set_ready",
     {.type = PROTO_SET_READY, .u.set_ready = {.ready = 1}},
     GOLDEN(0x09,
            0x01)}, /* ready */
    {"start_game", {.type = PROTO_START_GAME}, GOLDEN(0x0A)},
    {"kick",
     {.type = PROTO_KICK, .u.kick = {.player_id = 0x0203}},
     GOLDEN(0x0B,
            0x03, 0x02)}, /* player_id */
    {"configure_lobby",
     {.type = PROTO_CONFIGURE_LOBBY,
      .u.configure_lobby = {.changes = PROTO_CONFIGURE_CAPACITY | PROTO_CONFIGURE_PASSWORD |
                                       PROTO_CONFIGURE_MAX_RTT,
                            .capacity = 4, .password = STR(""), .max_rtt_ms = 400}},
     GOLDEN(0x0C,
            0x0B,       /* changes CAPACITY | PASSWORD | MAX_RTT */
            0x04,       /* capacity */
            0x00,       /* password "" (removes it) */
            0x90, 0x01, /* max_rtt_ms 400 */
            0x00)},     /* meta count (not applied) */
    {"give_ownership",
     {.type = PROTO_GIVE_OWNERSHIP, .u.give_ownership = {.player_id = 5}},
     GOLDEN(0x0D,
            0x05, 0x00)}, /* player_id */
    {"direct_chat",
     {.type = PROTO_DIRECT_CHAT, .u.direct_chat = {.msg_id = 7, .to_id = 3, .text = STR("hi")}},
     GOLDEN(0x0E,
            0x07, 0x00, 0x00, 0x00,   /* msg_id */
            0x03, 0x00,               /* to_id */
            0x02, 0x00, 0x68, 0x69)}, /* text "hi" (u16 length) */
    {"lobby_refused",
     {.type = PROTO_LOBBY_REFUSED,
      .u.lobby_refused = {.request = PROTO_JOIN_LOBBY, .reason = PROTO_LOBBY_FULL,
                          .text = STR("full")}},
     GOLDEN(0x8D,
            0x07,                           /* request JOIN_LOBBY */
            0x03,                           /* reason FULL */
            0x04, 0x66, 0x75, 0x6C, 0x6C)}, /* text "full" */
    {"lobby_exited",
     {.type = PROTO_LOBBY_EXITED,
      .u.lobby_exited = {.reason = PROTO_EXIT_KICKED, .text = STR("60 s")}},
     GOLDEN(0x8E,
            0x03,                           /* reason KICKED */
            0x04, 0x36, 0x30, 0x20, 0x73)}, /* text "60 s" */
    {"lobby_list",
     {.type = PROTO_LOBBY_LIST,
      .u.lobby_list = {.request_id = 0x01020304, .total = 3, .count = 2,
                       .entries = (const proto_lobby_entry[]){{.name = STR("den"), .players = 2, .capacity = 8,
                                    .flags = PROTO_LOBBYF_PASSWORD, .state = PROTO_LOBBY_OPEN,
                                    .owner = STR("al"), .median_rtt_ms = 40, .max_rtt_ms = 150,
                                    .meta = {.count = 1, .pairs = {{STR("mode"), STR("ctf")}}}},
                                   {.name = STR("main"), .players = 0, .capacity = 16,
                                    .flags = PROTO_LOBBYF_SERVER_OWNED,
                                    .state = PROTO_LOBBY_OPEN, .owner = STR(""),
                                    .median_rtt_ms = PROTO_RTT_UNKNOWN, .max_rtt_ms = 0}}}},
     GOLDEN(0x8F,
            0x04, 0x03, 0x02, 0x01,         /* request_id */
            0x03, 0x00,                     /* total 3 */
            0x02,                           /* count */
            0x03, 0x64, 0x65, 0x6E,         /* [0] name "den" */
            0x02,                           /* [0] players */
            0x08,                           /* [0] capacity */
            0x01,                           /* [0] flags PASSWORD */
            0x01,                           /* [0] state OPEN */
            0x02, 0x61, 0x6C,               /* [0] owner "al" */
            0x28, 0x00,                     /* [0] median_rtt_ms 40 */
            0x96, 0x00,                     /* [0] max_rtt_ms 150 */
            0x01,                           /* [0] meta count */
            0x04, 0x6D, 0x6F, 0x64, 0x65,   /* [0] key "mode" */
            0x03, 0x63, 0x74, 0x66,         /* [0] value "ctf" */
            0x04, 0x6D, 0x61, 0x69, 0x6E,   /* [1] name "main" */
            0x00,                           /* [1] players */
            0x10,                           /* [1] capacity 16 */
            0x02,                           /* [1] flags SERVER_OWNED */
            0x01,                           /* [1] state OPEN */
            0x00,                           /* [1] owner "" (nobody owns it) */
            0xFF, 0xFF,                     /* [1] median_rtt_ms unknown */
            0x00, 0x00,                     /* [1] max_rtt_ms: no limit */
            0x00)},                         /* [1] meta count */
    {"lobby_list_empty",
     {.type = PROTO_LOBBY_LIST, .u.lobby_list = {.request_id = 9, .total = 0, .count = 0}},
     GOLDEN(0x8F,
            0x09, 0x00, 0x00, 0x00, /* request_id */
            0x00, 0x00,             /* total */
            0x00)},                 /* count */
    {"lobby_state",
     {.type = PROTO_LOBBY_STATE,
      .u.lobby_state = {.owner_id = 0x0102, .state = PROTO_LOBBY_STARTING, .capacity = 8,
                        .flags = PROTO_LOBBYF_PASSWORD, .max_rtt_ms = 150, .countdown_ms = 2500,
                        .meta = {.count = 1, .pairs = {{STR("mode"), STR("ctf")}}},
                        .count = 2,
                        .members = {{0x0102, PROTO_MEMBER_READY}, {3, PROTO_MEMBER_READY}}}},
     GOLDEN(0x90,
            0x02, 0x01,                     /* owner_id */
            0x02,                           /* state STARTING */
            0x08,                           /* capacity */
            0x01,                           /* flags PASSWORD */
            0x96, 0x00,                     /* max_rtt_ms 150 */
            0xC4, 0x09, 0x00, 0x00,         /* countdown_ms 2500 */
            0x01,                           /* meta count */
            0x04, 0x6D, 0x6F, 0x64, 0x65,   /* key "mode" */
            0x03, 0x63, 0x74, 0x66,         /* value "ctf" */
            0x02,                           /* count */
            0x02, 0x01, 0x01,               /* [0] id 0x0102, READY */
            0x03, 0x00, 0x01)},             /* [1] id 3, READY */
    {"countdown",
     {.type = PROTO_COUNTDOWN, .u.countdown = {.seconds_left = 3, .start_tick = 400}},
     GOLDEN(0x91,
            0x03,                     /* seconds_left */
            0x90, 0x01, 0x00, 0x00)}, /* start_tick 400 */
    {"countdown_cancelled",
     {.type = PROTO_COUNTDOWN_CANCELLED,
      .u.countdown_cancelled = {.by_id = 3, .text = STR("left")}},
     GOLDEN(0x92,
            0x03, 0x00,                     /* by_id */
            0x04, 0x6C, 0x65, 0x66, 0x74)}, /* text "left" */
    {"game_starting",
     {.type = PROTO_GAME_STARTING,
      .u.game_starting = {.tick = 400, .server_us = 0x0102030405060708}},
     GOLDEN(0x93,
            0x90, 0x01, 0x00, 0x00,                         /* tick 400 */
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01)}, /* server_us */
    {"direct_chat_relay",
     {.type = PROTO_DIRECT_CHAT_RELAY,
      .u.direct_chat_relay = {.from_id = 0x0102, .text = STR("hi")}},
     GOLDEN(0x94,
            0x02, 0x01,               /* from_id */
            0x02, 0x00, 0x68, 0x69)}, /* text "hi" (u16 length) */
    {"redirect",
     {.type = PROTO_REDIRECT,
      .u.redirect = {.request = PROTO_JOIN_LOBBY, .lobby = STR("x"), .host = STR("127.0.0.1"),
                     .port = 7778, .server_id = STR("b"), .ticket = STR("\x01\x02\x03"),
                     .text = STR("on b")}},
     GOLDEN(0x97,
            0x07,                               /* request JOIN_LOBBY */
            0x01, 0x78,                         /* lobby "x" */
            0x09, 0x31, 0x32, 0x37, 0x2E, 0x30, /* host "127.0.0.1" */
            0x2E, 0x30, 0x2E, 0x31,
            0x62, 0x1E,                         /* port 7778 */
            0x01, 0x62,                         /* server_id "b" */
            0x03, 0x01, 0x02, 0x03,             /* ticket: 3 opaque bytes */
            0x04, 0x00, 0x6F, 0x6E, 0x20, 0x62)}, /* text "on b" (u16 length) */
};
/* clang-format on */

enum { SAMPLE_COUNT = sizeof samples / sizeof samples[0] };

static const sample *sample_named(const char *name)
{
    for (size_t i = 0; i < SAMPLE_COUNT; i++)
        if (strcmp(samples[i].name, name) == 0)
            return &samples[i];
    fail_msg("no sample named %s", name);
    return NULL;
}

/* ---- helpers ---------------------------------------------------------------- */

/* Large enough for every encoding in this file, kept off the stack. */
static uint8_t enc_a[PROTO_MAX_MESSAGE_BYTES];
/* Rows a test builds or changes for a LOBBY_LIST (the samples' are const). */
static proto_lobby_entry list_rows[PROTO_MAX_LIST_ENTRIES + 1];
static uint8_t enc_b[PROTO_MAX_MESSAGE_BYTES];
static char long_text[PROTO_MAX_STR16_BYTES + 1];

/* An exact-size heap copy, so that AddressSanitizer sees any read past len. */
static uint8_t *dup_bytes(const uint8_t *bytes, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, bytes, len);
    return copy;
}

/* Points m's list at a changeable copy of its rows (zeros after them). */
static proto_lobby_entry *own_rows(proto_msg *m)
{
    memset(list_rows, 0, sizeof list_rows);
    memcpy(list_rows, m->u.lobby_list.entries, m->u.lobby_list.count * sizeof list_rows[0]);
    m->u.lobby_list.entries = list_rows;
    return list_rows;
}

/* Decodes into a poisoned struct, so a field the decoder forgets shows up. */
static int decode(const uint8_t *bytes, size_t len, proto_msg *out)
{
    memset(out, 0xA5, sizeof *out);
    return proto_decode(bytes, len, out);
}

/* Decodes a heap copy of the bytes with the byte at `offset` replaced. */
static int decode_patched(const sample *s, size_t offset, uint8_t value)
{
    assert_true(offset < s->len);
    uint8_t *copy = dup_bytes(s->bytes, s->len);
    copy[offset] = value;
    proto_msg out;
    int rc = decode(copy, s->len, &out);
    free(copy);
    return rc;
}

/* Decodes a heap copy with a little-endian u32 written at `offset`. */
static int decode_patched_u32(const sample *s, size_t offset, uint32_t value)
{
    assert_true(offset + 4 <= s->len);
    uint8_t *copy = dup_bytes(s->bytes, s->len);
    for (size_t i = 0; i < 4; i++)
        copy[offset + i] = (uint8_t)(value >> (8 * i));
    proto_msg out;
    int rc = decode(copy, s->len, &out);
    free(copy);
    return rc;
}

static void assert_str_same(proto_str want, proto_str got)
{
    assert_int_equal(want.len, got.len);
    if (want.len > 0)
        assert_memory_equal(want.bytes, got.bytes, want.len);
}

/* Bit-exact, so that -0.0 and 0.0 differ and a canonical round trip is proven. */
static void assert_f32_same(float want, float got)
{
    uint32_t a, b;
    memcpy(&a, &want, sizeof a);
    memcpy(&b, &got, sizeof b);
    assert_int_equal(a, b);
}

static void assert_player_same(const proto_player *want, const proto_player *got)
{
    assert_int_equal(want->id, got->id);
    assert_int_equal(want->colour, got->colour);
    assert_str_same(want->name, got->name);
    assert_f32_same(want->x, got->x);
    assert_f32_same(want->y, got->y);
}

static void assert_meta_same(const proto_meta_list *want, const proto_meta_list *got)
{
    assert_int_equal(want->count, got->count);
    for (unsigned i = 0; i < want->count; i++) {
        assert_str_same(want->pairs[i].key, got->pairs[i].key);
        assert_str_same(want->pairs[i].value, got->pairs[i].value);
    }
}

static void assert_entry_same(const proto_lobby_entry *want, const proto_lobby_entry *got)
{
    assert_str_same(want->name, got->name);
    assert_int_equal(want->players, got->players);
    assert_int_equal(want->capacity, got->capacity);
    assert_int_equal(want->flags, got->flags);
    assert_int_equal(want->state, got->state);
    assert_str_same(want->owner, got->owner);
    assert_int_equal(want->median_rtt_ms, got->median_rtt_ms);
    assert_int_equal(want->max_rtt_ms, got->max_rtt_ms);
    assert_meta_same(&want->meta, &got->meta);
}

static void assert_lobby_state_same(const proto_msg *want, const proto_msg *got)
{
    assert_int_equal(want->u.lobby_state.owner_id, got->u.lobby_state.owner_id);
    assert_int_equal(want->u.lobby_state.state, got->u.lobby_state.state);
    assert_int_equal(want->u.lobby_state.capacity, got->u.lobby_state.capacity);
    assert_int_equal(want->u.lobby_state.flags, got->u.lobby_state.flags);
    assert_int_equal(want->u.lobby_state.max_rtt_ms, got->u.lobby_state.max_rtt_ms);
    assert_int_equal(want->u.lobby_state.countdown_ms, got->u.lobby_state.countdown_ms);
    assert_meta_same(&want->u.lobby_state.meta, &got->u.lobby_state.meta);
    assert_int_equal(want->u.lobby_state.count, got->u.lobby_state.count);
    for (unsigned i = 0; i < want->u.lobby_state.count; i++) {
        assert_int_equal(want->u.lobby_state.members[i].id, got->u.lobby_state.members[i].id);
        assert_int_equal(want->u.lobby_state.members[i].flags, got->u.lobby_state.members[i].flags);
    }
}

/* The lobby requests a client sends. */
static void assert_request_same(const proto_msg *want, const proto_msg *got)
{
    switch (want->type) {
    case PROTO_LIST_LOBBIES:
        assert_int_equal(want->u.list_lobbies.request_id, got->u.list_lobbies.request_id);
        assert_str_same(want->u.list_lobbies.name_contains, got->u.list_lobbies.name_contains);
        assert_int_equal(want->u.list_lobbies.flags, got->u.list_lobbies.flags);
        assert_meta_same(&want->u.list_lobbies.meta, &got->u.list_lobbies.meta);
        break;
    case PROTO_CREATE_LOBBY:
        assert_str_same(want->u.create_lobby.name, got->u.create_lobby.name);
        assert_int_equal(want->u.create_lobby.capacity, got->u.create_lobby.capacity);
        assert_str_same(want->u.create_lobby.password, got->u.create_lobby.password);
        assert_int_equal(want->u.create_lobby.max_rtt_ms, got->u.create_lobby.max_rtt_ms);
        assert_meta_same(&want->u.create_lobby.meta, &got->u.create_lobby.meta);
        break;
    case PROTO_JOIN_LOBBY:
        assert_str_same(want->u.join_lobby.name, got->u.join_lobby.name);
        assert_str_same(want->u.join_lobby.password, got->u.join_lobby.password);
        break;
    case PROTO_LEAVE_LOBBY:
    case PROTO_START_GAME:
        break;
    case PROTO_SET_READY:
        assert_int_equal(want->u.set_ready.ready, got->u.set_ready.ready);
        break;
    case PROTO_KICK:
        assert_int_equal(want->u.kick.player_id, got->u.kick.player_id);
        break;
    case PROTO_GIVE_OWNERSHIP:
        assert_int_equal(want->u.give_ownership.player_id, got->u.give_ownership.player_id);
        break;
    case PROTO_CONFIGURE_LOBBY:
        assert_int_equal(want->u.configure_lobby.changes, got->u.configure_lobby.changes);
        assert_int_equal(want->u.configure_lobby.capacity, got->u.configure_lobby.capacity);
        assert_str_same(want->u.configure_lobby.password, got->u.configure_lobby.password);
        assert_int_equal(want->u.configure_lobby.max_rtt_ms, got->u.configure_lobby.max_rtt_ms);
        assert_meta_same(&want->u.configure_lobby.meta, &got->u.configure_lobby.meta);
        break;
    case PROTO_DIRECT_CHAT:
        assert_int_equal(want->u.direct_chat.msg_id, got->u.direct_chat.msg_id);
        assert_int_equal(want->u.direct_chat.to_id, got->u.direct_chat.to_id);
        assert_str_same(want->u.direct_chat.text, got->u.direct_chat.text);
        break;
    default:
        fail_msg("message type 0x%02x has no comparison", (unsigned)want->type);
    }
}

/* The count rows of two lobby lists, whichever way each holds them. */
static void assert_rows_same(const proto_lobby_list *want, const proto_lobby_list *got)
{
    size_t want_at = 0, got_at = 0;
    proto_lobby_entry w, g;
    for (unsigned i = 0; i < want->count; i++) {
        assert_true(proto_lobby_list_next(want, &want_at, &w));
        assert_true(proto_lobby_list_next(got, &got_at, &g));
        assert_entry_same(&w, &g);
    }
}

/* Every field of the lobby messages (version 3). */
static void assert_lobby_msg_same(const proto_msg *want, const proto_msg *got)
{
    switch (want->type) {
    case PROTO_LOBBY_REFUSED:
        assert_int_equal(want->u.lobby_refused.request, got->u.lobby_refused.request);
        assert_int_equal(want->u.lobby_refused.reason, got->u.lobby_refused.reason);
        assert_str_same(want->u.lobby_refused.text, got->u.lobby_refused.text);
        break;
    case PROTO_LOBBY_EXITED:
        assert_int_equal(want->u.lobby_exited.reason, got->u.lobby_exited.reason);
        assert_str_same(want->u.lobby_exited.text, got->u.lobby_exited.text);
        break;
    case PROTO_LOBBY_LIST:
        assert_int_equal(want->u.lobby_list.request_id, got->u.lobby_list.request_id);
        assert_int_equal(want->u.lobby_list.total, got->u.lobby_list.total);
        assert_int_equal(want->u.lobby_list.count, got->u.lobby_list.count);
        assert_rows_same(&want->u.lobby_list, &got->u.lobby_list);
        break;
    case PROTO_LOBBY_STATE:
        assert_lobby_state_same(want, got);
        break;
    case PROTO_COUNTDOWN:
        assert_int_equal(want->u.countdown.seconds_left, got->u.countdown.seconds_left);
        assert_int_equal(want->u.countdown.start_tick, got->u.countdown.start_tick);
        break;
    case PROTO_COUNTDOWN_CANCELLED:
        assert_int_equal(want->u.countdown_cancelled.by_id, got->u.countdown_cancelled.by_id);
        assert_str_same(want->u.countdown_cancelled.text, got->u.countdown_cancelled.text);
        break;
    case PROTO_GAME_STARTING:
        assert_int_equal(want->u.game_starting.tick, got->u.game_starting.tick);
        assert_int_equal(want->u.game_starting.server_us, got->u.game_starting.server_us);
        break;
    case PROTO_REDIRECT:
        assert_int_equal(want->u.redirect.request, got->u.redirect.request);
        assert_str_same(want->u.redirect.lobby, got->u.redirect.lobby);
        assert_str_same(want->u.redirect.host, got->u.redirect.host);
        assert_int_equal(want->u.redirect.port, got->u.redirect.port);
        assert_str_same(want->u.redirect.server_id, got->u.redirect.server_id);
        assert_str_same(want->u.redirect.ticket, got->u.redirect.ticket);
        assert_str_same(want->u.redirect.text, got->u.redirect.text);
        break;
    case PROTO_DIRECT_CHAT_RELAY:
        assert_int_equal(want->u.direct_chat_relay.from_id, got->u.direct_chat_relay.from_id);
        assert_str_same(want->u.direct_chat_relay.text, got->u.direct_chat_relay.text);
        break;
    default:
        assert_request_same(want, got);
    }
}

/* Every field of the message's type. */
static void assert_msg_same(const proto_msg *want, const proto_msg *got)
{
    assert_int_equal(want->type, got->type);
    switch (want->type) {
    case PROTO_HELLO:
        assert_str_same(want->u.hello.name, got->u.hello.name);
        assert_str_same(want->u.hello.lobby, got->u.hello.lobby);
        assert_str_same(want->u.hello.password, got->u.hello.password);
        assert_int_equal(want->u.hello.mode, got->u.hello.mode);
        if (want->u.hello.mode == PROTO_HELLO_RESUME) {
            assert_memory_equal(want->u.hello.token, got->u.hello.token, PROTO_TOKEN_BYTES);
            assert_int_equal(want->u.hello.last_chat_seq, got->u.hello.last_chat_seq);
        }
        assert_str_same(want->u.hello.identity, got->u.hello.identity);
        assert_str_same(want->u.hello.ticket, got->u.hello.ticket);
        break;
    case PROTO_PLAYER_STATUS:
        assert_int_equal(want->u.player_status.id, got->u.player_status.id);
        assert_int_equal(want->u.player_status.status, got->u.player_status.status);
        break;
    case PROTO_CHAT:
        assert_int_equal(want->u.chat.msg_id, got->u.chat.msg_id);
        assert_str_same(want->u.chat.text, got->u.chat.text);
        break;
    case PROTO_POSITION:
        assert_int_equal(want->u.position.seq, got->u.position.seq);
        assert_int_equal(want->u.position.sent_us, got->u.position.sent_us);
        assert_f32_same(want->u.position.x, got->u.position.x);
        assert_f32_same(want->u.position.y, got->u.position.y);
        break;
    case PROTO_PING:
        assert_int_equal(want->u.ping.client_us, got->u.ping.client_us);
        break;
    case PROTO_REJECT:
        assert_int_equal(want->u.reject.reason, got->u.reject.reason);
        assert_str_same(want->u.reject.text, got->u.reject.text);
        break;
    case PROTO_WELCOME:
        assert_int_equal(want->u.welcome.your_id, got->u.welcome.your_id);
        assert_memory_equal(want->u.welcome.token, got->u.welcome.token, PROTO_TOKEN_BYTES);
        assert_int_equal(want->u.welcome.resumed, got->u.welcome.resumed);
        assert_int_equal(want->u.welcome.capacity, got->u.welcome.capacity);
        assert_str_same(want->u.welcome.lobby, got->u.welcome.lobby);
        assert_int_equal(want->u.welcome.count, got->u.welcome.count);
        for (unsigned i = 0; i < want->u.welcome.count; i++)
            assert_player_same(&want->u.welcome.players[i], &got->u.welcome.players[i]);
        break;
    case PROTO_PLAYER_JOINED:
        assert_player_same(&want->u.joined, &got->u.joined);
        break;
    case PROTO_PLAYER_LEFT:
        assert_int_equal(want->u.left.id, got->u.left.id);
        assert_int_equal(want->u.left.reason, got->u.left.reason);
        break;
    case PROTO_CHAT_ACK:
        assert_int_equal(want->u.chat_ack.msg_id, got->u.chat_ack.msg_id);
        assert_int_equal(want->u.chat_ack.seq, got->u.chat_ack.seq);
        break;
    case PROTO_CHAT_REFUSED:
        assert_int_equal(want->u.chat_refused.msg_id, got->u.chat_refused.msg_id);
        assert_int_equal(want->u.chat_refused.reason, got->u.chat_refused.reason);
        assert_str_same(want->u.chat_refused.text, got->u.chat_refused.text);
        break;
    case PROTO_CHAT_RELAY:
        assert_int_equal(want->u.chat_relay.from_id, got->u.chat_relay.from_id);
        assert_int_equal(want->u.chat_relay.seq, got->u.chat_relay.seq);
        assert_str_same(want->u.chat_relay.text, got->u.chat_relay.text);
        break;
    case PROTO_TEXT_CHAT_RELAY:
        assert_int_equal(want->u.text_chat_relay.seq, got->u.text_chat_relay.seq);
        assert_str_same(want->u.text_chat_relay.name, got->u.text_chat_relay.name);
        assert_str_same(want->u.text_chat_relay.text, got->u.text_chat_relay.text);
        break;
    case PROTO_CHAT_GAP:
        assert_int_equal(want->u.chat_gap.first_seq, got->u.chat_gap.first_seq);
        assert_int_equal(want->u.chat_gap.missed, got->u.chat_gap.missed);
        break;
    case PROTO_CHAT_HISTORY:
        assert_int_equal(want->u.chat_history.seq, got->u.chat_history.seq);
        assert_int_equal(want->u.chat_history.from_id, got->u.chat_history.from_id);
        assert_str_same(want->u.chat_history.name, got->u.chat_history.name);
        assert_str_same(want->u.chat_history.text, got->u.chat_history.text);
        break;
    case PROTO_POSITION_SNAPSHOT:
        assert_int_equal(want->u.snapshot.count, got->u.snapshot.count);
        for (unsigned i = 0; i < want->u.snapshot.count; i++) {
            const proto_snapshot_entry *a = &want->u.snapshot.entries[i];
            const proto_snapshot_entry *b = &got->u.snapshot.entries[i];
            assert_int_equal(a->id, b->id);
            assert_int_equal(a->seq, b->seq);
            assert_int_equal(a->sent_us, b->sent_us);
            assert_f32_same(a->x, b->x);
            assert_f32_same(a->y, b->y);
            assert_int_equal(a->merged, b->merged);
        }
        break;
    case PROTO_PONG:
        assert_int_equal(want->u.pong.client_us, got->u.pong.client_us);
        assert_int_equal(want->u.pong.server_us, got->u.pong.server_us);
        break;
    case PROTO_MEMBER_STATS:
        assert_int_equal(want->u.member_stats.count, got->u.member_stats.count);
        for (unsigned i = 0; i < want->u.member_stats.count; i++)
            assert_memory_equal(&want->u.member_stats.members[i], &got->u.member_stats.members[i],
                                sizeof(proto_member_stat));
        break;
    default:
        assert_lobby_msg_same(want, got);
    }
}

/* encode -> decode -> same fields -> re-encode to the same bytes. */
static void assert_round_trips(const proto_msg *msg)
{
    int n = proto_encode(msg, enc_a, sizeof enc_a);
    assert_true(n > 0);
    uint8_t *copy = dup_bytes(enc_a, (size_t)n);
    proto_msg got;
    assert_int_equal(decode(copy, (size_t)n, &got), PROTO_OK);
    assert_msg_same(msg, &got);
    assert_int_equal(proto_encode(&got, enc_b, sizeof enc_b), n);
    assert_memory_equal(enc_a, enc_b, (size_t)n);
    free(copy);
}

/* ---- per-sample behaviours ---------------------------------------------------- */

static void encodes_to_golden_bytes(void **state)
{
    const sample *s = *state;
    assert_int_equal(proto_encode(&s->msg, enc_a, sizeof enc_a), s->len);
    assert_memory_equal(enc_a, s->bytes, s->len);
}

static void decodes_golden_bytes(void **state)
{
    const sample *s = *state;
    uint8_t *copy = dup_bytes(s->bytes, s->len);
    proto_msg got;
    assert_int_equal(decode(copy, s->len, &got), PROTO_OK);
    assert_msg_same(&s->msg, &got);
    free(copy);
}

static void round_trips(void **state)
{
    const sample *s = *state;
    assert_round_trips(&s->msg);
}

static void rejects_every_truncation(void **state)
{
    const sample *s = *state;
    for (size_t len = 0; len < s->len; len++) {
        uint8_t *prefix = dup_bytes(s->bytes, len);
        proto_msg got;
        int rc = decode(prefix, len, &got);
        free(prefix);
        if (rc != PROTO_ERR_TRUNCATED)
            fail_msg("prefix of %zu/%zu bytes gave %d", len, s->len, rc);
    }
}

static void rejects_one_trailing_byte(void **state)
{
    const sample *s = *state;
    uint8_t *longer = malloc(s->len + 1);
    assert_non_null(longer);
    memcpy(longer, s->bytes, s->len);
    longer[s->len] = 0x00;
    proto_msg got;
    assert_int_equal(decode(longer, s->len + 1, &got), PROTO_ERR_TRAILING);
    free(longer);
}

static void refuses_every_too_small_buffer(void **state)
{
    const sample *s = *state;
    for (size_t cap = 0; cap < s->len; cap++) {
        uint8_t *out = malloc(cap > 0 ? cap : 1);
        assert_non_null(out);
        int rc = proto_encode(&s->msg, out, cap);
        free(out);
        if (rc != PROTO_ERR_BUFFER)
            fail_msg("buffer of %zu/%zu bytes gave %d", cap, s->len, rc);
    }
}

static const struct {
    const char *what;
    CMUnitTestFunction fn;
} behaviours[] = {
    {"encodes_to_golden_bytes", encodes_to_golden_bytes},
    {"decodes_golden_bytes", decodes_golden_bytes},
    {"round_trips", round_trips},
    {"rejects_every_truncation", rejects_every_truncation},
    {"rejects_one_trailing_byte", rejects_one_trailing_byte},
    {"refuses_every_too_small_buffer", refuses_every_too_small_buffer},
};

enum { BEHAVIOUR_COUNT = sizeof behaviours / sizeof behaviours[0] };

/* ---- coverage of the table ------------------------------------------------------- */

static void every_message_type_has_a_sample(void **state)
{
    (void)state;
    for (unsigned type = 0; type < 256; type++) {
        if (proto_type_name(type)[0] == '?')
            continue;
        bool found = false;
        for (size_t i = 0; i < SAMPLE_COUNT; i++)
            found = found || samples[i].msg.type == type;
        if (!found)
            fail_msg("type 0x%02x (%s) has no sample", type, proto_type_name(type));
    }
}

/* ---- string and list limits ----------------------------------------------------- */

static void str8_of_255_bytes_round_trips(void **state)
{
    (void)state;
    memset(long_text, 'n', PROTO_MAX_STR8_BYTES);
    proto_str s = {long_text, PROTO_MAX_STR8_BYTES};
    proto_msg msg = {.type = PROTO_HELLO, .u.hello = {.name = s, .lobby = s}};
    assert_round_trips(&msg);
}

static void str8_of_256_bytes_refused_by_encoder(void **state)
{
    (void)state;
    memset(long_text, 'n', PROTO_MAX_STR8_BYTES + 1);
    proto_str s = {long_text, PROTO_MAX_STR8_BYTES + 1};
    proto_msg msgs[] = {
        {.type = PROTO_HELLO, .u.hello = {.name = s}},
        {.type = PROTO_HELLO, .u.hello = {.lobby = s}},
        {.type = PROTO_REJECT, .u.reject = {.reason = 1, .text = s}},
        {.type = PROTO_WELCOME, .u.welcome = {.lobby = s}},
        {.type = PROTO_WELCOME, .u.welcome = {.count = 1, .players[0].name = s}},
        {.type = PROTO_PLAYER_JOINED, .u.joined = {.name = s}},
        {.type = PROTO_CHAT_REFUSED, .u.chat_refused = {.reason = 1, .text = s}},
        {.type = PROTO_HELLO, .u.hello = {.password = s}},
        {.type = PROTO_LIST_LOBBIES, .u.list_lobbies = {.name_contains = s}},
        {.type = PROTO_LIST_LOBBIES, .u.list_lobbies = {.meta = {.count = 1, .pairs[0].key = s}}},
        {.type = PROTO_CREATE_LOBBY, .u.create_lobby = {.name = s}},
        {.type = PROTO_CREATE_LOBBY, .u.create_lobby = {.password = s}},
        {.type = PROTO_CREATE_LOBBY, .u.create_lobby = {.meta = {.count = 1, .pairs[0].value = s}}},
        {.type = PROTO_JOIN_LOBBY, .u.join_lobby = {.name = s}},
        {.type = PROTO_JOIN_LOBBY, .u.join_lobby = {.password = s}},
        {.type = PROTO_CONFIGURE_LOBBY, .u.configure_lobby = {.changes = 1, .password = s}},
        {.type = PROTO_CONFIGURE_LOBBY,
         .u.configure_lobby = {.changes = 1, .meta = {.count = 2, .pairs[1].key = s}}},
        {.type = PROTO_LOBBY_REFUSED, .u.lobby_refused = {.request = 1, .reason = 1, .text = s}},
        {.type = PROTO_LOBBY_EXITED, .u.lobby_exited = {.reason = 1, .text = s}},
        {.type = PROTO_COUNTDOWN_CANCELLED, .u.countdown_cancelled = {.text = s}},
        {.type = PROTO_LOBBY_STATE,
         .u.lobby_state = {.state = 1, .meta = {.count = 1, .pairs[0].value = s}}},
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        assert_int_equal(proto_encode(&msgs[i], enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

static void chat_of_65535_bytes_round_trips(void **state)
{
    (void)state;
    memset(long_text, 'c', PROTO_MAX_STR16_BYTES);
    proto_msg msg = {.type = PROTO_CHAT,
                     .u.chat = {.msg_id = 1, .text = {long_text, PROTO_MAX_STR16_BYTES}}};
    assert_round_trips(&msg);
}

static void chat_of_65536_bytes_refused_by_encoder(void **state)
{
    (void)state;
    memset(long_text, 'c', PROTO_MAX_STR16_BYTES + 1);
    proto_msg msg = {.type = PROTO_CHAT,
                     .u.chat = {.msg_id = 1, .text = {long_text, PROTO_MAX_STR16_BYTES + 1}}};
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

/* The relay carries more header than the chat, so it is the largest message. */
static void chat_relay_of_65535_bytes_fits_max_message(void **state)
{
    (void)state;
    memset(long_text, 'c', PROTO_MAX_STR16_BYTES);
    proto_msg msg = {
        .type = PROTO_CHAT_RELAY,
        .u.chat_relay = {.from_id = 1, .seq = 2, .text = {long_text, PROTO_MAX_STR16_BYTES}}};
    assert_int_equal(proto_encode(&msg, enc_a, PROTO_MAX_MESSAGE_BYTES),
                     1 + 2 + 4 + 2 + PROTO_MAX_STR16_BYTES);
    assert_round_trips(&msg);
}

static void chat_relay_of_65536_bytes_refused_by_encoder(void **state)
{
    (void)state;
    memset(long_text, 'c', PROTO_MAX_STR16_BYTES + 1);
    proto_msg msg = {.type = PROTO_CHAT_RELAY,
                     .u.chat_relay = {.text = {long_text, PROTO_MAX_STR16_BYTES + 1}}};
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

/* A full lobby whose every name is as long as a str8 allows. */
/* The longest text relay, with a 255-byte name, still fits one message. */
static void text_chat_relay_of_max_text_fits_max_message(void **state)
{
    (void)state;
    memset(long_text, 't', PROTO_MAX_STR16_BYTES);
    proto_msg msg = {.type = PROTO_TEXT_CHAT_RELAY,
                     .u.text_chat_relay = {.seq = 1,
                                           .name = {long_text, PROTO_MAX_STR8_BYTES},
                                           .text = {long_text, PROTO_MAX_TEXT_RELAY_BYTES}}};
    assert_int_equal(proto_encode(&msg, enc_a, PROTO_MAX_MESSAGE_BYTES),
                     1 + 4 + 1 + PROTO_MAX_STR8_BYTES + 2 + PROTO_MAX_TEXT_RELAY_BYTES);
    assert_round_trips(&msg);
}

/* A history line of the longest text with a 255-byte name is the largest
 * message there is. */
static void chat_history_of_max_text_fits_max_message(void **state)
{
    (void)state;
    memset(long_text, 't', PROTO_MAX_STR16_BYTES);
    proto_msg msg = {.type = PROTO_CHAT_HISTORY,
                     .u.chat_history = {.seq = 1,
                                        .from_id = 2,
                                        .name = {long_text, PROTO_MAX_STR8_BYTES},
                                        .text = {long_text, PROTO_MAX_TEXT_RELAY_BYTES}}};
    assert_int_equal(proto_encode(&msg, enc_a, PROTO_MAX_MESSAGE_BYTES), PROTO_MAX_MESSAGE_BYTES);
    assert_round_trips(&msg);
    msg.u.chat_history.text.len++;
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    const uint8_t lo = (PROTO_MAX_TEXT_RELAY_BYTES + 1) & 0xFF;
    const uint8_t hi = (PROTO_MAX_TEXT_RELAY_BYTES + 1) >> 8;
    const uint8_t head[] = {0x95, 1, 0, 0, 0, /* seq */ 2, 0, /* from */ 0x01, 'a', lo, hi};
    proto_msg got;
    assert_int_equal(decode(head, sizeof head, &got), PROTO_ERR_BAD_VALUE); /* read no further */
}

/* One byte more is refused by the encoder and rejected by the decoder. */
static void text_chat_relay_over_max_text_refused(void **state)
{
    (void)state;
    memset(long_text, 't', PROTO_MAX_STR16_BYTES);
    proto_msg msg = {.type = PROTO_TEXT_CHAT_RELAY,
                     .u.text_chat_relay = {.name = STR("a"),
                                           .text = {long_text, PROTO_MAX_TEXT_RELAY_BYTES + 1}}};
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    size_t len = 1 + 4 + 2 + 2 + PROTO_MAX_TEXT_RELAY_BYTES + 1;
    uint8_t *in = calloc(1, len);
    assert_non_null(in);
    const uint8_t lo = (PROTO_MAX_TEXT_RELAY_BYTES + 1) & 0xFF;
    const uint8_t hi = (PROTO_MAX_TEXT_RELAY_BYTES + 1) >> 8;
    const uint8_t head[] = {0x8C, 1, 0, 0, 0, /* seq */ 0x01, 'a', /* name */ lo, hi};
    memcpy(in, head, sizeof head);
    proto_msg got;
    assert_int_equal(decode(in, len, &got), PROTO_ERR_BAD_VALUE);
    assert_int_equal(decode(in, sizeof head, &got), PROTO_ERR_BAD_VALUE); /* read no further */
    free(in);
}

static void fill_welcome(proto_msg *msg, unsigned count)
{
    memset(long_text, 'p', PROTO_MAX_STR8_BYTES);
    memset(msg, 0, sizeof *msg);
    msg->type = PROTO_WELCOME;
    msg->u.welcome.your_id = 7;
    msg->u.welcome.capacity = PROTO_MAX_LOBBY_PLAYERS;
    msg->u.welcome.lobby = (proto_str){long_text, PROTO_MAX_STR8_BYTES};
    msg->u.welcome.count = (uint8_t)count;
    for (unsigned i = 0; i < count && i < PROTO_MAX_LOBBY_PLAYERS; i++) {
        proto_player *p = &msg->u.welcome.players[i];
        p->id = (uint16_t)(i + 1);
        p->colour = 0xFFFFFF - i;
        p->name = (proto_str){long_text, PROTO_MAX_STR8_BYTES};
        p->x = (float)i;
        p->y = PROTO_WORLD_HEIGHT - (float)i;
    }
}

static void welcome_with_max_players_round_trips(void **state)
{
    (void)state;
    proto_msg msg;
    fill_welcome(&msg, PROTO_MAX_LOBBY_PLAYERS);
    assert_true(proto_encode(&msg, enc_a, PROTO_MAX_MESSAGE_BYTES) > 0);
    assert_round_trips(&msg);
}

static void welcome_with_65_players_refused_by_encoder(void **state)
{
    (void)state;
    proto_msg msg;
    fill_welcome(&msg, PROTO_MAX_LOBBY_PLAYERS + 1);
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

/* The encoder refuses what the decoder would refuse, so nobody can send it. */
static void encoder_refuses_values_decoder_rejects(void **state)
{
    (void)state;
    proto_msg pos = {.type = PROTO_POSITION};
    pos.u.position.x = NAN;
    assert_int_equal(proto_encode(&pos, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    pos.u.position.x = 1.0f;
    pos.u.position.y = INFINITY;
    assert_int_equal(proto_encode(&pos, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    proto_msg rej = {.type = PROTO_REJECT};
    assert_int_equal(proto_encode(&rej, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    rej.u.reject.reason = PROTO_REASON_MAX + 1;
    assert_int_equal(proto_encode(&rej, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    proto_msg left = {.type = PROTO_PLAYER_LEFT};
    left.u.left.reason = PROTO_LEAVE_MAX + 1;
    assert_int_equal(proto_encode(&left, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    proto_msg refused = {.type = PROTO_CHAT_REFUSED};
    assert_int_equal(proto_encode(&refused, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    proto_msg joined = {.type = PROTO_PLAYER_JOINED};
    joined.u.joined.colour = 0x1000000;
    assert_int_equal(proto_encode(&joined, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
}

static void member_stats_loss_above_100_percent_rejected(void **state)
{
    (void)state;
    const uint8_t in[] = {0x89, 0x01, 0x01, 0x00, 0x14, 0x00, 0x03, 0x00, 0x11, 0x27};
    proto_msg got;
    assert_int_equal(decode(in, sizeof in, &got), PROTO_ERR_BAD_VALUE);
    proto_msg msg = {.type = PROTO_MEMBER_STATS};
    msg.u.member_stats.count = 1;
    msg.u.member_stats.members[0].loss_permyriad = PROTO_MAX_LOSS_PERMYRIAD + 1;
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    msg.u.member_stats.count = PROTO_MAX_LOBBY_PLAYERS + 1;
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

static void snapshot_count_must_be_1_to_48(void **state)
{
    (void)state;
    proto_msg msg = {.type = PROTO_POSITION_SNAPSHOT};
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    const uint8_t empty[] = {0x8B, 0x00};
    proto_msg got;
    assert_int_equal(decode(empty, sizeof empty, &got), PROTO_ERR_BAD_VALUE);
    msg.u.snapshot.count = PROTO_MAX_SNAPSHOT_ENTRIES;
    int n = proto_encode(&msg, enc_a, sizeof enc_a);
    /* The largest snapshot still fits one ENet datagram with its headers. */
    assert_int_equal(n, 2 + PROTO_MAX_SNAPSHOT_ENTRIES * 23);
    assert_true(n <= 1400 - 64);
    msg.u.snapshot.count = PROTO_MAX_SNAPSHOT_ENTRIES + 1;
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    /* 49 complete entries on the wire: only the count can be blamed. */
    enc_a[1] = PROTO_MAX_SNAPSHOT_ENTRIES + 1;
    memcpy(enc_a + n, enc_a + 2, 23);
    uint8_t *copy = dup_bytes(enc_a, (size_t)n + 23);
    assert_int_equal(decode(copy, (size_t)n + 23, &got), PROTO_ERR_BAD_VALUE);
    free(copy);
}

static void welcome_with_count_65_rejected_by_decoder(void **state)
{
    (void)state;
    /* A complete 65-player welcome: 64 encoded, then count patched and one
     * more player appended, so only the count can be blamed. */
    proto_msg msg;
    fill_welcome(&msg, PROTO_MAX_LOBBY_PLAYERS);
    int n = proto_encode(&msg, enc_a, sizeof enc_a);
    assert_true(n > 0);
    size_t count_at = 1 + 2 + PROTO_TOKEN_BYTES + 1 + 1 + 1 + PROTO_MAX_STR8_BYTES;
    size_t player_bytes = ((size_t)n - count_at - 1) / PROTO_MAX_LOBBY_PLAYERS;
    enc_a[count_at] = PROTO_MAX_LOBBY_PLAYERS + 1;
    memcpy(enc_a + n, enc_a + count_at + 1, player_bytes);
    size_t len = (size_t)n + player_bytes;

    uint8_t *copy = dup_bytes(enc_a, len);
    proto_msg got;
    assert_int_equal(decode(copy, len, &got), PROTO_ERR_BAD_VALUE);
    free(copy);
}

/* ---- range checks ---------------------------------------------------------------- */

/* Where each enum byte sits in its sample, and its largest valid value. */
static const struct {
    const char *sample;
    size_t offset;
    uint8_t max;
} enum_fields[] = {
    {"reject", 1, PROTO_REASON_MAX},
    {"player_left", 3, PROTO_LEAVE_MAX},
    {"chat_refused", 5, PROTO_REFUSE_MAX},
    {"player_status", 3, PROTO_STATUS_MAX},
    {"lobby_refused", 1, PROTO_DIRECT_CHAT}, /* request: a client->server type */
    {"lobby_refused", 2, PROTO_LOBBY_REFUSAL_MAX},
    {"lobby_exited", 1, PROTO_EXIT_MAX},
    {"lobby_list", 15, PROTO_LOBBY_STATE_MAX}, /* first entry's state */
    {"lobby_list", 41, PROTO_LOBBY_STATE_MAX}, /* second entry's state */
    {"lobby_state", 3, PROTO_LOBBY_STATE_MAX},
    {"configure_lobby", 1, PROTO_CONFIGURE_ALL}, /* changes: at least one field */
};

enum { ENUM_FIELD_COUNT = sizeof enum_fields / sizeof enum_fields[0] };

static void enum_zero_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < ENUM_FIELD_COUNT; i++) {
        const sample *s = sample_named(enum_fields[i].sample);
        assert_int_equal(decode_patched(s, enum_fields[i].offset, 0), PROTO_ERR_BAD_VALUE);
    }
}

static void enum_above_max_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < ENUM_FIELD_COUNT; i++) {
        const sample *s = sample_named(enum_fields[i].sample);
        uint8_t above = (uint8_t)(enum_fields[i].max + 1);
        assert_int_equal(decode_patched(s, enum_fields[i].offset, above), PROTO_ERR_BAD_VALUE);
        assert_int_equal(decode_patched(s, enum_fields[i].offset, 0xFF), PROTO_ERR_BAD_VALUE);
    }
}

static void enum_one_and_max_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < ENUM_FIELD_COUNT; i++) {
        const sample *s = sample_named(enum_fields[i].sample);
        assert_int_equal(decode_patched(s, enum_fields[i].offset, 1), PROTO_OK);
        assert_int_equal(decode_patched(s, enum_fields[i].offset, enum_fields[i].max), PROTO_OK);
    }
}

/* Where each f32 coordinate sits in its sample. */
static const struct {
    const char *sample;
    size_t offset;
} coordinates[] = {
    {"position", 13},          {"position", 17},          {"position_snapshot", 16},
    {"position_snapshot", 20}, {"position_snapshot", 39}, {"position_snapshot", 43},
    {"player_joined", 11},     {"player_joined", 15},     {"welcome", 39},
    {"welcome", 43},                            /* first player */
    {"welcome", 57},           {"welcome", 61}, /* second player */
};

static void non_finite_coordinates_rejected(void **state)
{
    (void)state;
    const uint32_t bad[] = {
        0x7FC00000u, /* quiet NaN */
        0xFFC00000u, /* negative NaN */
        0x7F800001u, /* signalling NaN */
        0x7F800000u, /* +inf */
        0xFF800000u, /* -inf */
    };
    for (size_t i = 0; i < sizeof coordinates / sizeof coordinates[0]; i++) {
        const sample *s = sample_named(coordinates[i].sample);
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
            assert_int_equal(decode_patched_u32(s, coordinates[i].offset, bad[b]),
                             PROTO_ERR_BAD_VALUE);
    }
}

static void finite_coordinates_outside_world_accepted(void **state)
{
    (void)state;
    /* The codec carries any finite value; clamping to the world is the
     * receiver's job (proto_clamp_x/y). */
    const uint32_t odd[] = {
        0xC2C80000u, /* -100.0 */
        0x7F7FFFFFu, /* FLT_MAX */
        0x00000001u, /* smallest denormal */
        0x80000000u, /* -0.0 */
    };
    for (size_t i = 0; i < sizeof coordinates / sizeof coordinates[0]; i++) {
        const sample *s = sample_named(coordinates[i].sample);
        for (size_t b = 0; b < sizeof odd / sizeof odd[0]; b++)
            assert_int_equal(decode_patched_u32(s, coordinates[i].offset, odd[b]), PROTO_OK);
    }
}

/* Where each colour sits in its sample. */
static const struct {
    const char *sample;
    size_t offset;
} colours[] = {
    {"player_joined", 3},
    {"welcome", 29}, /* first player */
    {"welcome", 49}, /* second player */
};

static void colour_above_ffffff_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof colours / sizeof colours[0]; i++) {
        const sample *s = sample_named(colours[i].sample);
        assert_int_equal(decode_patched_u32(s, colours[i].offset, 0x01000000u),
                         PROTO_ERR_BAD_VALUE);
        assert_int_equal(decode_patched_u32(s, colours[i].offset, 0xFFFFFFFFu),
                         PROTO_ERR_BAD_VALUE);
    }
}

static void colour_ffffff_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof colours / sizeof colours[0]; i++) {
        const sample *s = sample_named(colours[i].sample);
        assert_int_equal(decode_patched_u32(s, colours[i].offset, 0xFFFFFFu), PROTO_OK);
    }
}

/* ---- types, errors, views ----------------------------------------------------- */

static void unknown_type_rejected_by_decoder(void **state)
{
    (void)state;
    for (unsigned type = 0; type < 256; type++) {
        if (proto_type_name(type)[0] != '?')
            continue;
        const uint8_t in[] = {(uint8_t)type, 0x00, 0x00, 0x00};
        proto_msg got;
        assert_int_equal(decode(in, 1, &got), PROTO_ERR_UNKNOWN_TYPE);
        assert_int_equal(decode(in, sizeof in, &got), PROTO_ERR_UNKNOWN_TYPE);
    }
}

static void protocol_message_type_count_is_pinned(void **state)
{
    (void)state;
    unsigned known = 0;
    for (unsigned type = 0; type < 256; type++)
        known += proto_type_name(type)[0] != '?';
    assert_int_equal(known, 37); /* a new type needs a sample, docs and this number */
}

static void unknown_type_refused_by_encoder(void **state)
{
    (void)state;
    proto_msg msg = {.type = (proto_type)0x0F};
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_UNKNOWN_TYPE);
    msg.type = (proto_type)0x00;
    assert_int_equal(proto_encode(&msg, enc_a, sizeof enc_a), PROTO_ERR_UNKNOWN_TYPE);
}

static void empty_input_is_truncated(void **state)
{
    (void)state;
    proto_msg got;
    assert_int_equal(decode(enc_a, 0, &got), PROTO_ERR_TRUNCATED);
}

static void truncation_reported_before_bad_value(void **state)
{
    (void)state;
    /* A NaN x followed by a missing y: the message is incomplete first. */
    const uint8_t in[] = {0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0xC0, 0x7F};
    proto_msg got;
    assert_int_equal(decode(in, sizeof in, &got), PROTO_ERR_TRUNCATED);
}

static void bad_value_reported_before_trailing(void **state)
{
    (void)state;
    const uint8_t in[] = {0x83, 0x01, 0x00, 0x00, 0xEE}; /* leave reason 0, then junk */
    proto_msg got;
    assert_int_equal(decode(in, sizeof in, &got), PROTO_ERR_BAD_VALUE);
}

/* The resumed and ready flags are booleans: anything but 0 and 1 is refused. */
static void boolean_flags_above_one_rejected(void **state)
{
    (void)state;
    assert_int_equal(decode_patched(sample_named("set_ready"), 1, 2), PROTO_ERR_BAD_VALUE);
    assert_int_equal(decode_patched(sample_named("set_ready"), 1, 0), PROTO_OK);
    assert_int_equal(decode_patched(sample_named("welcome"), 19, 2), PROTO_ERR_BAD_VALUE);
    assert_int_equal(decode_patched(sample_named("welcome"), 19, 0), PROTO_OK);
}

static void decoded_strings_point_into_input(void **state)
{
    (void)state;
    const sample *s = sample_named("hello");
    proto_msg got;
    assert_int_equal(decode(s->bytes, s->len, &got), PROTO_OK);
    assert_ptr_equal(got.u.hello.name.bytes, (const char *)s->bytes + 2);
    assert_ptr_equal(got.u.hello.lobby.bytes, (const char *)s->bytes + 8);
}

static void every_error_has_its_own_text(void **state)
{
    (void)state;
    const char *unknown = proto_strerror(-100);
    for (int err = PROTO_OK; err >= PROTO_ERR_BUFFER; err--)
        assert_string_not_equal(proto_strerror(err), unknown);
}

static void every_code_has_text(void **state)
{
    (void)state;
    for (uint32_t r = 0; r <= PROTO_REASON_MAX; r++) /* 0 is the timeout */
        assert_string_not_equal(proto_reason_text(r), proto_reason_text(PROTO_REASON_MAX + 1));
    for (uint32_t r = 1; r <= PROTO_LEAVE_MAX; r++)
        assert_string_not_equal(proto_leave_text(r), proto_leave_text(0));
    for (uint32_t r = 1; r <= PROTO_REFUSE_MAX; r++)
        assert_string_not_equal(proto_refusal_text(r), proto_refusal_text(0));
}

/* ---- version 3: HELLO's mode and the lobby messages --------------------------- */

/* A mode above BROWSE is refused before anything after it is read. */
static void hello_mode_above_max_rejected(void **state)
{
    (void)state;
    const sample *join = sample_named("hello"), *resume = sample_named("hello_resume");
    assert_int_equal(decode_patched(join, 13, PROTO_HELLO_MODE_MAX + 1), PROTO_ERR_BAD_VALUE);
    assert_int_equal(decode_patched(join, 13, 0xFF), PROTO_ERR_BAD_VALUE);
    /* 20 bytes follow, but a bad mode says nothing about them. */
    assert_int_equal(decode_patched(resume, 6, 3), PROTO_ERR_BAD_VALUE);
    proto_msg m = join->msg;
    m.u.hello.mode = PROTO_HELLO_MODE_MAX + 1;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
}

/* Only RESUME carries token and last_chat_seq. Since version 5, bytes
 * after another mode's fields are the optional identity field: here a
 * length byte of 0xA0 with 19 bytes after it, cut short. */
static void hello_token_only_with_resume(void **state)
{
    (void)state;
    assert_int_equal(decode_patched(sample_named("hello_resume"), 6, PROTO_HELLO_BROWSE),
                     PROTO_ERR_TRUNCATED);
    assert_int_equal(decode_patched(sample_named("hello_resume"), 6, PROTO_HELLO_JOIN),
                     PROTO_ERR_TRUNCATED);
    assert_int_equal(decode_patched(sample_named("hello_browse"), 7, PROTO_HELLO_RESUME),
                     PROTO_ERR_TRUNCATED);
    proto_msg m = sample_named("hello_browse")->msg;
    memset(m.u.hello.token, 0xEE, PROTO_TOKEN_BYTES);
    m.u.hello.last_chat_seq = 99;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), sample_named("hello_browse")->len);
}

/* ---- HELLO's ticket (version 6) ------------------------------------------------ */

/* A BROWSE hello from "al": 7 bytes, then the optional trailing fields. */
#define HELLO_BROWSE_AL 0x01, 0x02, 'a', 'l', 0x00, 0x00, 0x02

/* Each prefix of bytes must be refused as truncated, except where a shorter
 * HELLO ends (ok_at, decoded fine) or where only a lone empty identity
 * would follow (trailing_at). */
static void assert_prefixes(const uint8_t *bytes, size_t len, const size_t *ok_at, size_t n_ok,
                            size_t trailing_at)
{
    for (size_t cut = 0; cut < len; cut++) {
        int want = PROTO_ERR_TRUNCATED;
        for (size_t i = 0; i < n_ok; i++)
            if (cut == ok_at[i])
                want = PROTO_OK;
        if (cut == trailing_at)
            want = PROTO_ERR_TRAILING;
        uint8_t *prefix = dup_bytes(bytes, cut);
        proto_msg got;
        int rc = decode(prefix, cut, &got);
        free(prefix);
        if (rc != want)
            fail_msg("prefix of %zu/%zu bytes gave %d, want %d", cut, len, rc, want);
    }
}

/* No identity token: the identity field goes with length 0, then the ticket. */
static void hello_ticket_without_identity_golden_bytes(void **state)
{
    (void)state;
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("al");
    m.u.hello.mode = PROTO_HELLO_BROWSE;
    m.u.hello.ticket = (proto_str){"\xE1\xE2", 2};
    static const uint8_t golden[] = {HELLO_BROWSE_AL, 0x00, /* identity: none */
                                     0x02, 0xE1, 0xE2};     /* ticket: 2 bytes */
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), sizeof golden);
    assert_memory_equal(enc_a, golden, sizeof golden);
    assert_round_trips(&m);
    proto_msg got;
    assert_int_equal(decode(golden, sizeof golden, &got), PROTO_OK);
    assert_int_equal(got.u.hello.identity.len, 0);
    assert_int_equal(got.u.hello.ticket.len, 2);
    assert_memory_equal(got.u.hello.ticket.bytes, "\xE1\xE2", 2);
    const size_t ok_at[] = {7};
    assert_prefixes(golden, sizeof golden, ok_at, 1, 8);
}

static void hello_identity_and_ticket_golden_bytes(void **state)
{
    (void)state;
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("al");
    m.u.hello.mode = PROTO_HELLO_BROWSE;
    m.u.hello.identity = (proto_str){"\x01\x02\x03", 3};
    m.u.hello.ticket = (proto_str){"\xE1", 1};
    static const uint8_t golden[] = {HELLO_BROWSE_AL,
                                     0x03,
                                     0x01,
                                     0x02,
                                     0x03, /* identity */
                                     0x01,
                                     0xE1}; /* ticket */
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), sizeof golden);
    assert_memory_equal(enc_a, golden, sizeof golden);
    assert_round_trips(&m);
    const size_t ok_at[] = {7, 11}; /* no trailing field; the identity alone */
    assert_prefixes(golden, sizeof golden, ok_at, 2, SIZE_MAX);
    /* after RESUME's token and last_chat_seq too */
    m.u.hello.mode = PROTO_HELLO_RESUME;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), 7 + 16 + 4 + 4 + 2);
    assert_round_trips(&m);
}

/* One encoding each: a present ticket is never empty, and an empty identity
 * only stands before a ticket. */
static void hello_empty_ticket_or_lone_empty_identity_refused(void **state)
{
    (void)state;
    static const uint8_t empty_both[] = {HELLO_BROWSE_AL, 0x00, 0x00};
    static const uint8_t empty_ticket[] = {HELLO_BROWSE_AL, 0x01, 0x05, 0x00};
    static const uint8_t third_field[] = {HELLO_BROWSE_AL, 0x00, 0x01, 0xE1, 0x00};
    proto_msg got;
    assert_int_equal(decode(empty_both, sizeof empty_both, &got), PROTO_ERR_TRAILING);
    assert_int_equal(decode(empty_ticket, sizeof empty_ticket, &got), PROTO_ERR_TRAILING);
    assert_int_equal(decode(third_field, sizeof third_field, &got), PROTO_ERR_TRAILING);
    /* a 255-byte ticket fits; 256 does not */
    static char big[256];
    memset(big, 0x5A, sizeof big);
    proto_msg m = {.type = PROTO_HELLO};
    m.u.hello.name = proto_str_from_cstr("al");
    m.u.hello.ticket = (proto_str){big, 255};
    assert_round_trips(&m);
    m.u.hello.ticket.len = 256;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

/* ---- REDIRECT's value rules -------------------------------------------------------- */

/* The golden sample with one field changed: encoder and decoder agree. */
static void assert_redirect_refused(const proto_msg *m)
{
    assert_int_equal(proto_encode(m, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    /* encode the bad field by hand: the sample's layout with this message's strings */
    wire_writer w;
    wire_writer_init(&w, enc_b, sizeof enc_b);
    wire_write_u8(&w, PROTO_REDIRECT);
    wire_write_u8(&w, m->u.redirect.request);
    const proto_str strs[] = {m->u.redirect.lobby, m->u.redirect.host};
    for (int i = 0; i < 2; i++) {
        wire_write_u8(&w, (uint8_t)strs[i].len);
        wire_write_bytes(&w, strs[i].bytes, strs[i].len);
    }
    wire_write_u16(&w, m->u.redirect.port);
    wire_write_u8(&w, (uint8_t)m->u.redirect.server_id.len);
    wire_write_bytes(&w, m->u.redirect.server_id.bytes, m->u.redirect.server_id.len);
    wire_write_u8(&w, (uint8_t)m->u.redirect.ticket.len);
    wire_write_bytes(&w, m->u.redirect.ticket.bytes, m->u.redirect.ticket.len);
    wire_write_u16(&w, (uint16_t)m->u.redirect.text.len);
    wire_write_bytes(&w, m->u.redirect.text.bytes, m->u.redirect.text.len);
    assert_true(w.ok);
    proto_msg got;
    assert_int_equal(decode(enc_b, w.len, &got), PROTO_ERR_BAD_VALUE);
}

static void redirect_fields_checked_both_ways(void **state)
{
    (void)state;
    const proto_msg good = sample_named("redirect")->msg;
    static const uint8_t refused_requests[] = {0, PROTO_CHAT, PROTO_LIST_LOBBIES, PROTO_REDIRECT};
    for (size_t i = 0; i < sizeof refused_requests; i++) {
        proto_msg m = good;
        m.u.redirect.request = refused_requests[i];
        assert_redirect_refused(&m);
    }
    static const uint8_t accepted_requests[] = {PROTO_HELLO, PROTO_CREATE_LOBBY, PROTO_JOIN_LOBBY};
    for (size_t i = 0; i < sizeof accepted_requests; i++) {
        proto_msg m = good;
        m.u.redirect.request = accepted_requests[i];
        assert_round_trips(&m);
    }
    static const char *const bad_lobbies[] = {"", " x", "x\x1b[2J",
                                              "a\xE2\x80\x8B"
                                              "b",
                                              "0123456789012345678901234"};
    for (size_t i = 0; i < sizeof bad_lobbies / sizeof bad_lobbies[0]; i++) {
        proto_msg m = good;
        m.u.redirect.lobby = proto_str_from_cstr(bad_lobbies[i]);
        assert_redirect_refused(&m);
    }
    static const char *const bad_hosts[] = {"", "a b", "h\x1b", "h/x", "h:1"};
    for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
        proto_msg m = good;
        m.u.redirect.host = proto_str_from_cstr(bad_hosts[i]);
        assert_redirect_refused(&m);
    }
    static const char *const bad_ids[] = {
        "", "a b", "a/b", "\xC3\xA9",
        "01234567890123456789012345678901234567890123456789012345678901234"}; /* 65 */
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        proto_msg m = good;
        m.u.redirect.server_id = proto_str_from_cstr(bad_ids[i]);
        assert_redirect_refused(&m);
    }
    proto_msg m = good;
    m.u.redirect.port = 0;
    assert_redirect_refused(&m);
    m = good;
    m.u.redirect.ticket = proto_str_from_cstr("");
    assert_redirect_refused(&m);
    /* the widest accepted values */
    m = good;
    m.u.redirect.server_id =
        proto_str_from_cstr("node-1.eu_west:7778-01234567890123456789012345678901234567890123");
    assert_int_equal(m.u.redirect.server_id.len, 64);
    m.u.redirect.host = proto_str_from_cstr("lobby-2.example_net.org");
    m.u.redirect.lobby = proto_str_from_cstr("caf\xC3\xA9 night");
    m.u.redirect.text = proto_str_from_cstr("");
    m.u.redirect.port = 0xFFFF;
    assert_round_trips(&m);
}

static void redirect_and_ticket_codes_have_text(void **state)
{
    (void)state;
    assert_string_equal(proto_type_name(PROTO_REDIRECT), "redirect");
    assert_string_equal(proto_reason_text(PROTO_REASON_TICKET_INVALID), "redirect ticket invalid");
    assert_string_equal(proto_reason_text(PROTO_REASON_TICKET_EXPIRED), "redirect ticket expired");
    assert_string_equal(proto_reason_text(PROTO_REASON_TICKET_USED),
                        "redirect ticket already used");
    assert_int_equal(PROTO_VERSION, 6);
    assert_int_equal(PROTO_REASON_MAX, 27);
}

/* Bit sets: every undefined bit is refused, every defined one accepted. */
static const struct {
    const char *sample;
    size_t offset;
    uint8_t all;
} flag_fields[] = {
    {"list_lobbies", 8, PROTO_FILTER_ALL}, {"lobby_list", 14, PROTO_LOBBYF_ALL},  /* first entry */
    {"lobby_list", 40, PROTO_LOBBYF_ALL},                                         /* second entry */
    {"lobby_state", 5, PROTO_LOBBYF_ALL},  {"lobby_state", 25, PROTO_MEMBER_ALL}, /* first member */
    {"lobby_state", 28, PROTO_MEMBER_ALL}, /* second member */
};

static void flags_above_defined_bits_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof flag_fields / sizeof flag_fields[0]; i++) {
        const sample *s = sample_named(flag_fields[i].sample);
        size_t at = flag_fields[i].offset;
        assert_int_equal(decode_patched(s, at, (uint8_t)(flag_fields[i].all + 1)),
                         PROTO_ERR_BAD_VALUE);
        assert_int_equal(decode_patched(s, at, 0x80), PROTO_ERR_BAD_VALUE);
        assert_int_equal(decode_patched(s, at, 0xFF), PROTO_ERR_BAD_VALUE);
        assert_int_equal(decode_patched(s, at, 0), PROTO_OK);
        assert_int_equal(decode_patched(s, at, flag_fields[i].all), PROTO_OK);
    }
}

/* Where each metadata count sits in its sample, and its value there. */
static const struct {
    const char *sample;
    size_t offset;
    uint8_t count;
} meta_counts[] = {
    {"list_lobbies", 9, 1},    {"list_lobbies_any", 7, 0}, {"create_lobby", 11, 2},
    {"configure_lobby", 6, 0}, {"lobby_list", 23, 1},      {"lobby_list", 47, 0},
    {"lobby_state", 12, 1},
};

static void meta_count_above_8_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof meta_counts / sizeof meta_counts[0]; i++) {
        const sample *s = sample_named(meta_counts[i].sample);
        assert_int_equal(s->bytes[meta_counts[i].offset], meta_counts[i].count);
        assert_int_equal(decode_patched(s, meta_counts[i].offset, PROTO_MAX_META_PAIRS + 1),
                         PROTO_ERR_BAD_VALUE);
        assert_int_equal(decode_patched(s, meta_counts[i].offset, 0xFF), PROTO_ERR_BAD_VALUE);
    }
}

static void fill_meta(proto_meta_list *l, unsigned count, size_t key_len, size_t value_len)
{
    l->count = (uint8_t)count;
    for (unsigned i = 0; i < count && i < PROTO_MAX_META_PAIRS; i++) {
        l->pairs[i].key = (proto_str){long_text, key_len};
        l->pairs[i].value = (proto_str){long_text, value_len};
    }
}

static void meta_with_8_pairs_round_trips_and_9_refused(void **state)
{
    (void)state;
    memset(long_text, 'm', PROTO_MAX_STR8_BYTES);
    proto_msg m = sample_named("create_lobby")->msg;
    fill_meta(&m.u.create_lobby.meta, PROTO_MAX_META_PAIRS, PROTO_MAX_STR8_BYTES, 0);
    assert_round_trips(&m);
    m.u.create_lobby.meta.count = PROTO_MAX_META_PAIRS + 1;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    proto_msg list = sample_named("list_lobbies")->msg;
    list.u.list_lobbies.meta.count = PROTO_MAX_META_PAIRS + 1;
    assert_int_equal(proto_encode(&list, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    proto_msg conf = sample_named("configure_lobby")->msg;
    conf.u.configure_lobby.meta.count = PROTO_MAX_META_PAIRS + 1;
    assert_int_equal(proto_encode(&conf, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    proto_msg st = sample_named("lobby_state")->msg;
    st.u.lobby_state.meta.count = PROTO_MAX_META_PAIRS + 1;
    assert_int_equal(proto_encode(&st, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    proto_msg ll = sample_named("lobby_list")->msg;
    own_rows(&ll)[1].meta.count = PROTO_MAX_META_PAIRS + 1;
    assert_int_equal(proto_encode(&ll, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

/* count entries (in list_rows) whose strings are as long as the server's rules allow. */
static void fill_lobby_list(proto_msg *m, unsigned count, size_t str_len, size_t key_len,
                            size_t value_len)
{
    memset(long_text, 'l', PROTO_MAX_STR8_BYTES);
    memset(m, 0, sizeof *m);
    m->type = PROTO_LOBBY_LIST;
    m->u.lobby_list.request_id = 77;
    m->u.lobby_list.total = 1000;
    m->u.lobby_list.count = (uint8_t)count;
    m->u.lobby_list.entries = list_rows;
    memset(list_rows, 0, sizeof list_rows);
    for (unsigned i = 0; i < count && i < PROTO_MAX_LIST_ENTRIES; i++) {
        proto_lobby_entry *e = &list_rows[i];
        e->name = (proto_str){long_text, str_len};
        e->owner = (proto_str){long_text, str_len};
        e->players = (uint8_t)(i % 65);
        e->capacity = PROTO_MAX_LOBBY_PLAYERS;
        e->flags = (uint8_t)(i & PROTO_LOBBYF_ALL);
        e->state = (uint8_t)(1 + i % PROTO_LOBBY_STATE_MAX);
        e->median_rtt_ms = (uint16_t)i;
        e->max_rtt_ms = (uint16_t)(1000 + i);
        fill_meta(&e->meta, PROTO_MAX_META_PAIRS, key_len, value_len);
    }
}

static void lobby_list_of_64_in_rule_entries_fits_max_message(void **state)
{
    (void)state;
    static proto_msg m;
    fill_lobby_list(&m, PROTO_MAX_LIST_ENTRIES, PROTO_MAX_LOBBY_NAME_BYTES,
                    PROTO_MAX_META_KEY_BYTES, PROTO_MAX_META_VALUE_BYTES);
    size_t meta =
        1 + PROTO_MAX_META_PAIRS * (2 + PROTO_MAX_META_KEY_BYTES + PROTO_MAX_META_VALUE_BYTES);
    size_t entry = 2 * (1 + PROTO_MAX_LOBBY_NAME_BYTES) + 4 + 4 + meta;
    int n = proto_encode(&m, enc_a, PROTO_MAX_MESSAGE_BYTES);
    assert_int_equal(n, 1 + 4 + 2 + 1 + PROTO_MAX_LIST_ENTRIES * entry);
    assert_true(n < 32 * 1024);
    assert_round_trips(&m);
}

/* Out-of-rule strings can make a list too big for any buffer we keep: the
 * encoder says so instead of writing part of it. */
static void lobby_list_larger_than_buffer_refused(void **state)
{
    (void)state;
    static proto_msg m;
    fill_lobby_list(&m, PROTO_MAX_LIST_ENTRIES, PROTO_MAX_STR8_BYTES, PROTO_MAX_STR8_BYTES,
                    PROTO_MAX_STR8_BYTES);
    assert_int_equal(proto_encode(&m, enc_a, PROTO_MAX_MESSAGE_BYTES), PROTO_ERR_BUFFER);
    list_rows[3].name.len = PROTO_MAX_STR8_BYTES + 1;
    assert_int_equal(proto_encode(&m, enc_a, PROTO_MAX_MESSAGE_BYTES), PROTO_ERR_TOO_LONG);
    list_rows[3].name.len = 1;
    list_rows[5].owner.len = PROTO_MAX_STR8_BYTES + 1;
    assert_int_equal(proto_encode(&m, enc_a, PROTO_MAX_MESSAGE_BYTES), PROTO_ERR_TOO_LONG);
}

/* A decoded list keeps its rows as wire bytes: they walk row by row and
 * end after the count-th; rows cut short do not encode. */
static void decoded_lobby_list_rows_walk(void **state)
{
    (void)state;
    const sample *s = sample_named("lobby_list");
    uint8_t *copy = dup_bytes(s->bytes, s->len);
    proto_msg got;
    assert_int_equal(decode(copy, s->len, &got), PROTO_OK);
    assert_null(got.u.lobby_list.entries);
    size_t cursor = 0;
    proto_lobby_entry e;
    assert_true(proto_lobby_list_next(&got.u.lobby_list, &cursor, &e));
    assert_true(proto_str_eq(e.name, proto_str_from_cstr("den")));
    assert_true(proto_lobby_list_next(&got.u.lobby_list, &cursor, &e));
    assert_true(proto_str_eq(e.name, proto_str_from_cstr("main")));
    assert_false(proto_lobby_list_next(&got.u.lobby_list, &cursor, &e));
    got.u.lobby_list.rows.len--;
    assert_int_equal(proto_encode(&got, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
    free(copy);
}

static void lobby_list_count_rules(void **state)
{
    (void)state;
    const sample *s = sample_named("lobby_list");                   /* total 3, count 2 */
    assert_int_equal(decode_patched(s, 5, 2), PROTO_OK);            /* total == count */
    assert_int_equal(decode_patched(s, 5, 1), PROTO_ERR_BAD_VALUE); /* count > total */
    assert_int_equal(decode_patched(s, 6, 0xFF), PROTO_OK);         /* total 0xFF03 */
    assert_int_equal(decode_patched(s, 7, PROTO_MAX_LIST_ENTRIES + 1), PROTO_ERR_BAD_VALUE);
    assert_int_equal(decode_patched(s, 7, 0xFF), PROTO_ERR_BAD_VALUE);
    static proto_msg m;
    fill_lobby_list(&m, PROTO_MAX_LIST_ENTRIES + 1, 1, 1, 0);
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    fill_lobby_list(&m, 2, 1, 1, 0);
    m.u.lobby_list.total = 1;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
}

static void lobby_state_with_64_members_round_trips_and_65_refused(void **state)
{
    (void)state;
    static proto_msg m;
    m = sample_named("lobby_state")->msg;
    m.u.lobby_state.count = PROTO_MAX_LOBBY_PLAYERS;
    for (unsigned i = 0; i < PROTO_MAX_LOBBY_PLAYERS; i++)
        m.u.lobby_state.members[i] = (proto_lobby_member){(uint16_t)(i + 1), (uint8_t)(i & 1)};
    assert_round_trips(&m);
    m.u.lobby_state.count = PROTO_MAX_LOBBY_PLAYERS + 1;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    const sample *s = sample_named("lobby_state");
    assert_int_equal(decode_patched(s, 22, PROTO_MAX_LOBBY_PLAYERS + 1), PROTO_ERR_BAD_VALUE);
}

static void countdown_seconds_left_must_be_positive(void **state)
{
    (void)state;
    const sample *s = sample_named("countdown");
    assert_int_equal(decode_patched(s, 1, 0), PROTO_ERR_BAD_VALUE);
    assert_int_equal(decode_patched(s, 1, 1), PROTO_OK);
    assert_int_equal(decode_patched(s, 1, 0xFF), PROTO_OK);
    proto_msg m = s->msg;
    m.u.countdown.seconds_left = 0;
    assert_int_equal(proto_encode(&m, enc_a, sizeof enc_a), PROTO_ERR_BAD_VALUE);
}

static void direct_chat_text_limits(void **state)
{
    (void)state;
    memset(long_text, 'd', PROTO_MAX_STR16_BYTES + 1);
    proto_msg dm = {
        .type = PROTO_DIRECT_CHAT,
        .u.direct_chat = {.msg_id = 1, .to_id = 2, .text = {long_text, PROTO_MAX_STR16_BYTES}}};
    assert_round_trips(&dm);
    dm.u.direct_chat.text.len++;
    assert_int_equal(proto_encode(&dm, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
    proto_msg relay = {
        .type = PROTO_DIRECT_CHAT_RELAY,
        .u.direct_chat_relay = {.from_id = 2, .text = {long_text, PROTO_MAX_STR16_BYTES}}};
    assert_int_equal(proto_encode(&relay, enc_a, PROTO_MAX_MESSAGE_BYTES),
                     1 + 2 + 2 + PROTO_MAX_STR16_BYTES);
    assert_round_trips(&relay);
    relay.u.direct_chat_relay.text.len++;
    assert_int_equal(proto_encode(&relay, enc_a, sizeof enc_a), PROTO_ERR_TOO_LONG);
}

/* Encodes the named sample with one field changed; expects rc. */
#define EXPECT_ENCODE(sample_name, rc, ...)                                                        \
    do {                                                                                           \
        static proto_msg m_;                                                                       \
        m_ = sample_named(sample_name)->msg;                                                       \
        __VA_ARGS__;                                                                               \
        assert_int_equal(proto_encode(&m_, enc_a, sizeof enc_a), rc);                              \
    } while (0)

/* What the decoder refuses in the lobby messages, the encoder refuses too. */
static void encoder_refuses_lobby_values_decoder_rejects(void **state)
{
    (void)state;
    const int bad = PROTO_ERR_BAD_VALUE;
    EXPECT_ENCODE("list_lobbies", bad, m_.u.list_lobbies.flags = PROTO_FILTER_ALL + 1);
    EXPECT_ENCODE("set_ready", bad, m_.u.set_ready.ready = 2);
    EXPECT_ENCODE("configure_lobby", bad, m_.u.configure_lobby.changes = 0);
    EXPECT_ENCODE("configure_lobby", bad, m_.u.configure_lobby.changes = PROTO_CONFIGURE_ALL + 1);
    EXPECT_ENCODE("lobby_refused", bad, m_.u.lobby_refused.request = 0);
    EXPECT_ENCODE("lobby_refused", bad, m_.u.lobby_refused.request = PROTO_DIRECT_CHAT + 1);
    EXPECT_ENCODE("lobby_refused", bad, m_.u.lobby_refused.request = PROTO_REJECT);
    EXPECT_ENCODE("lobby_refused", bad, m_.u.lobby_refused.reason = 0);
    EXPECT_ENCODE("lobby_refused", bad, m_.u.lobby_refused.reason = PROTO_LOBBY_REFUSAL_MAX + 1);
    EXPECT_ENCODE("lobby_exited", bad, m_.u.lobby_exited.reason = 0);
    EXPECT_ENCODE("lobby_exited", bad, m_.u.lobby_exited.reason = PROTO_EXIT_MAX + 1);
    EXPECT_ENCODE("lobby_list", bad, own_rows(&m_)[0].flags = PROTO_LOBBYF_ALL + 1);
    EXPECT_ENCODE("lobby_list", bad, own_rows(&m_)[1].state = 0);
    EXPECT_ENCODE("lobby_list", bad, own_rows(&m_)[1].state = PROTO_LOBBY_STATE_MAX + 1);
    EXPECT_ENCODE("lobby_list", bad, m_.u.lobby_list.total = 1);
    EXPECT_ENCODE("lobby_state", bad, m_.u.lobby_state.state = 0);
    EXPECT_ENCODE("lobby_state", bad, m_.u.lobby_state.state = PROTO_LOBBY_STATE_MAX + 1);
    EXPECT_ENCODE("lobby_state", bad, m_.u.lobby_state.flags = PROTO_LOBBYF_ALL + 1);
    EXPECT_ENCODE("lobby_state", bad, m_.u.lobby_state.members[1].flags = PROTO_MEMBER_ALL + 1);
    /* Only the counted members are checked. */
    EXPECT_ENCODE("lobby_state", (int)sample_named("lobby_state")->len,
                  m_.u.lobby_state.members[2].flags = 0xFF);
    EXPECT_ENCODE("lobby_list", (int)sample_named("lobby_list")->len, own_rows(&m_)[2].state = 0);
}

static void lobby_codes_have_text(void **state)
{
    (void)state;
    for (uint32_t r = 1; r <= PROTO_LOBBY_REFUSAL_MAX; r++)
        assert_string_not_equal(proto_lobby_refusal_text(r), proto_lobby_refusal_text(0));
    for (uint32_t r = 1; r <= PROTO_EXIT_MAX; r++)
        assert_string_not_equal(proto_exit_text(r), proto_exit_text(0));
    for (uint32_t r = 1; r <= PROTO_LOBBY_STATE_MAX; r++)
        assert_string_not_equal(proto_lobby_state_text(r), proto_lobby_state_text(0));
    assert_non_null(proto_lobby_refusal_text(0xFFFFFFFFu));
    assert_non_null(proto_exit_text(PROTO_EXIT_MAX + 1));
    assert_non_null(proto_lobby_state_text(PROTO_LOBBY_STATE_MAX + 1));
    /* Names are unique, so logs and metrics tell the types apart. */
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = a + 1; b < 256; b++)
            if (proto_type_name(a)[0] != '?')
                assert_string_not_equal(proto_type_name(a), proto_type_name(b));
}

/* ---- connect data ---------------------------------------------------------------- */

static void connect_data_packs_magic_and_version(void **state)
{
    (void)state;
    assert_int_equal(proto_connect_data(1), 0x4C420001u);
    assert_int_equal(proto_connect_data(2), 0x4C420002u);
    assert_int_equal(proto_connect_data(0xFFFF), 0x4C42FFFFu);
}

static void connect_version_extracts_version(void **state)
{
    (void)state;
    uint16_t version = 0;
    assert_true(proto_connect_version(proto_connect_data(PROTO_VERSION), &version));
    assert_int_equal(version, PROTO_VERSION);
    assert_true(proto_connect_version(0x4C420203u, &version));
    assert_int_equal(version, 0x0203);
}

/* The golden bytes of docs/PROTOCOL.md, "Connecting". */
static void cookie_request_bytes(void **state)
{
    (void)state;
    uint8_t want[PROTO_COOKIE_REQUEST_BYTES] = {0x4c, 0x42, 0x59, 0x51, 0x00, 0x06,
                                                0x00, 0x00, 0x00, 0x00, 0x04, 0xd2};
    uint8_t got[PROTO_COOKIE_REQUEST_BYTES];
    proto_cookie_request_encode(&(proto_cookie_request){.version = 6, .nonce = 0x4d2}, got);
    assert_memory_equal(got, want, sizeof want);
    proto_cookie_request r;
    assert_true(proto_cookie_request_decode(want, sizeof want, &r));
    assert_int_equal(r.version, 6);
    assert_int_equal(r.nonce, 0x4d2);
    assert_false(proto_cookie_request_decode(want, sizeof want - 1, &r));
    assert_true(proto_cookie_has_magic(want, 4, PROTO_COOKIE_REQUEST_MAGIC));
    assert_false(proto_cookie_has_magic(want, 3, PROTO_COOKIE_REQUEST_MAGIC));
}

static void cookie_reply_bytes(void **state)
{
    (void)state;
    const uint8_t want[PROTO_COOKIE_REPLY_BYTES] = {0x4c, 0x42, 0x59, 0x43, 0x00, 0x06, 0x00, 0x00,
                                                    0x00, 0x00, 0x04, 0xd2, 0x64, 0xb9, 0xb6, 0x19};
    uint8_t got[PROTO_COOKIE_REPLY_BYTES];
    proto_cookie_reply r = {.version = 6, .status = 0, .nonce = 0x4d2, .cookie = 0x64b9b619};
    proto_cookie_reply_encode(&r, got);
    assert_memory_equal(got, want, sizeof want);
    proto_cookie_reply back;
    assert_true(proto_cookie_reply_decode(want, sizeof want, &back));
    assert_memory_equal(&back, &r, sizeof r);
    assert_false(proto_cookie_reply_decode(want, sizeof want - 1, &back));
    got[3] = 'Q'; /* a request's magic */
    assert_false(proto_cookie_reply_decode(got, sizeof got, &back));
}

static void connect_version_rejects_foreign_magic(void **state)
{
    (void)state;
    uint16_t version;
    assert_false(proto_connect_version(0, &version));
    assert_false(proto_connect_version(0x424C0001u, &version)); /* bytes swapped */
    assert_false(proto_connect_version(0xCC420001u, &version));
}

/* ---- sequence numbers ------------------------------------------------------------- */

static void seq_newer_orders_neighbours(void **state)
{
    (void)state;
    assert_true(proto_seq_newer(1, 0));
    assert_false(proto_seq_newer(0, 1));
    assert_true(proto_seq_newer(1000, 10));
}

static void seq_newer_is_false_for_equal(void **state)
{
    (void)state;
    assert_false(proto_seq_newer(5, 5));
    assert_false(proto_seq_newer(0xFFFFFFFFu, 0xFFFFFFFFu));
}

static void seq_newer_handles_wrap_around(void **state)
{
    (void)state;
    assert_true(proto_seq_newer(0, 0xFFFFFFFFu));
    assert_true(proto_seq_newer(3, 0xFFFFFFF0u));
    assert_false(proto_seq_newer(0xFFFFFFFFu, 0));
}

static void seq_newer_at_half_range(void **state)
{
    (void)state;
    /* Just under half the range ahead is newer; exactly half is neither. */
    assert_true(proto_seq_newer(0x7FFFFFFFu, 0));
    assert_false(proto_seq_newer(0x80000000u, 0));
    assert_false(proto_seq_newer(0, 0x80000000u));
}

/* ---- clamping --------------------------------------------------------------------- */

static void clamp_keeps_values_inside_world(void **state)
{
    (void)state;
    assert_true(proto_clamp_x(0.0f) == 0.0f);
    assert_true(proto_clamp_x(600.5f) == 600.5f);
    assert_true(proto_clamp_x(PROTO_WORLD_WIDTH) == PROTO_WORLD_WIDTH);
    assert_true(proto_clamp_y(PROTO_WORLD_HEIGHT) == PROTO_WORLD_HEIGHT);
}

static void clamp_maps_non_finite_to_zero(void **state)
{
    (void)state;
    assert_true(proto_clamp_x(NAN) == 0.0f);
    assert_true(proto_clamp_y(NAN) == 0.0f);
    assert_true(proto_clamp_x(INFINITY) == 0.0f);
    assert_true(proto_clamp_y(-INFINITY) == 0.0f);
}

static void clamp_maps_negatives_to_zero(void **state)
{
    (void)state;
    assert_true(proto_clamp_x(-0.5f) == 0.0f);
    assert_true(proto_clamp_y(-1000.0f) == 0.0f);
}

static void clamp_caps_at_world_size(void **state)
{
    (void)state;
    assert_true(proto_clamp_x(PROTO_WORLD_WIDTH + 0.5f) == PROTO_WORLD_WIDTH);
    assert_true(proto_clamp_x(1e30f) == PROTO_WORLD_WIDTH);
    assert_true(proto_clamp_y(PROTO_WORLD_HEIGHT + 1.0f) == PROTO_WORLD_HEIGHT);
    /* The world is wider than high: a valid x can be an out-of-range y. */
    assert_true(proto_clamp_y(1000.0f) == PROTO_WORLD_HEIGHT);
}

/* ---- runner ------------------------------------------------------------------------- */

/* One test per (sample, behaviour), named "sample: behaviour" in the output. */
static struct CMUnitTest sample_tests[SAMPLE_COUNT * BEHAVIOUR_COUNT];
static char sample_test_names[SAMPLE_COUNT * BEHAVIOUR_COUNT][80];

static void build_sample_tests(void)
{
    for (size_t s = 0; s < SAMPLE_COUNT; s++) {
        for (size_t b = 0; b < BEHAVIOUR_COUNT; b++) {
            size_t i = s * BEHAVIOUR_COUNT + b;
            snprintf(sample_test_names[i], sizeof sample_test_names[i], "%s: %s", samples[s].name,
                     behaviours[b].what);
            sample_tests[i] = (struct CMUnitTest){
                .name = sample_test_names[i],
                .test_func = behaviours[b].fn,
                .initial_state = (void *)&samples[s],
            };
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_message_type_has_a_sample),
        cmocka_unit_test(str8_of_255_bytes_round_trips),
        cmocka_unit_test(str8_of_256_bytes_refused_by_encoder),
        cmocka_unit_test(chat_of_65535_bytes_round_trips),
        cmocka_unit_test(chat_of_65536_bytes_refused_by_encoder),
        cmocka_unit_test(chat_relay_of_65535_bytes_fits_max_message),
        cmocka_unit_test(chat_relay_of_65536_bytes_refused_by_encoder),
        cmocka_unit_test(text_chat_relay_of_max_text_fits_max_message),
        cmocka_unit_test(text_chat_relay_over_max_text_refused),
        cmocka_unit_test(chat_history_of_max_text_fits_max_message),
        cmocka_unit_test(welcome_with_max_players_round_trips),
        cmocka_unit_test(welcome_with_65_players_refused_by_encoder),
        cmocka_unit_test(encoder_refuses_values_decoder_rejects),
        cmocka_unit_test(member_stats_loss_above_100_percent_rejected),
        cmocka_unit_test(snapshot_count_must_be_1_to_48),
        cmocka_unit_test(boolean_flags_above_one_rejected),
        cmocka_unit_test(welcome_with_count_65_rejected_by_decoder),
        cmocka_unit_test(enum_zero_rejected),
        cmocka_unit_test(enum_above_max_rejected),
        cmocka_unit_test(enum_one_and_max_accepted),
        cmocka_unit_test(non_finite_coordinates_rejected),
        cmocka_unit_test(finite_coordinates_outside_world_accepted),
        cmocka_unit_test(colour_above_ffffff_rejected),
        cmocka_unit_test(colour_ffffff_accepted),
        cmocka_unit_test(unknown_type_rejected_by_decoder),
        cmocka_unit_test(protocol_message_type_count_is_pinned),
        cmocka_unit_test(unknown_type_refused_by_encoder),
        cmocka_unit_test(empty_input_is_truncated),
        cmocka_unit_test(truncation_reported_before_bad_value),
        cmocka_unit_test(bad_value_reported_before_trailing),
        cmocka_unit_test(decoded_strings_point_into_input),
        cmocka_unit_test(every_error_has_its_own_text),
        cmocka_unit_test(every_code_has_text),
        cmocka_unit_test(connect_data_packs_magic_and_version),
        cmocka_unit_test(connect_version_extracts_version),
        cmocka_unit_test(connect_version_rejects_foreign_magic),
        cmocka_unit_test(cookie_request_bytes),
        cmocka_unit_test(cookie_reply_bytes),
        cmocka_unit_test(seq_newer_orders_neighbours),
        cmocka_unit_test(seq_newer_is_false_for_equal),
        cmocka_unit_test(seq_newer_handles_wrap_around),
        cmocka_unit_test(seq_newer_at_half_range),
        cmocka_unit_test(clamp_keeps_values_inside_world),
        cmocka_unit_test(clamp_maps_non_finite_to_zero),
        cmocka_unit_test(clamp_maps_negatives_to_zero),
        cmocka_unit_test(clamp_caps_at_world_size),
        cmocka_unit_test(hello_mode_above_max_rejected),
        cmocka_unit_test(hello_token_only_with_resume),
        cmocka_unit_test(hello_ticket_without_identity_golden_bytes),
        cmocka_unit_test(hello_identity_and_ticket_golden_bytes),
        cmocka_unit_test(hello_empty_ticket_or_lone_empty_identity_refused),
        cmocka_unit_test(redirect_fields_checked_both_ways),
        cmocka_unit_test(redirect_and_ticket_codes_have_text),
        cmocka_unit_test(flags_above_defined_bits_rejected),
        cmocka_unit_test(meta_count_above_8_rejected),
        cmocka_unit_test(meta_with_8_pairs_round_trips_and_9_refused),
        cmocka_unit_test(lobby_list_of_64_in_rule_entries_fits_max_message),
        cmocka_unit_test(lobby_list_larger_than_buffer_refused),
        cmocka_unit_test(decoded_lobby_list_rows_walk),
        cmocka_unit_test(lobby_list_count_rules),
        cmocka_unit_test(lobby_state_with_64_members_round_trips_and_65_refused),
        cmocka_unit_test(countdown_seconds_left_must_be_positive),
        cmocka_unit_test(direct_chat_text_limits),
        cmocka_unit_test(encoder_refuses_lobby_values_decoder_rejects),
        cmocka_unit_test(lobby_codes_have_text),
    };
    build_sample_tests();
    int failed = cmocka_run_group_tests_name("proto messages", sample_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("proto", tests, NULL, NULL);
    return failed;
}
