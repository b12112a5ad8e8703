/* The cluster's directory as this server last read it from Redis: the other
 * servers (their addresses, load and drain flag) and the lobbies each hosts.
 * Plain data, no I/O: cluster.c fills it from replies and answers the core's
 * questions from it (where is lobby x, where should a new lobby go), and the
 * lobby lines it reads and writes are formatted and parsed here, so both
 * directions are one piece of code (docs/CLUSTER.md, "Keys"). */
#ifndef LOBBY_CLUSTER_DIR_H
#define LOBBY_CLUSTER_DIR_H

#include "lobby.h"
#include "proto.h"
#include "server.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CLUSTER_MAX_SERVERS = 256,
    CLUSTER_LINE_BYTES = 1024, /* a lobby's line: name, counts, owner, 8 metadata pairs */
};

typedef struct cluster_server_entry {
    bool in_use;
    server_remote where; /* id, UDP host and port, text address */
    uint32_t players, lobbies, free_seats, proto;
    bool draining;
    uint64_t gen;      /* its lobby list's generation, as it said */
    uint64_t have_gen; /* the generation of its lobbies we hold (UINT64_MAX: none) */
    uint64_t seen_us;  /* when its entry was last read */
} cluster_server_entry;

typedef struct cluster_lobby_entry {
    uint16_t server; /* index into servers */
    uint8_t key_len;
    char key[LOBBY_NAME_KEY_BYTES];
    uint8_t name_len, owner_len;
    char name[PROTO_MAX_LOBBY_NAME_BYTES];
    char owner[PROTO_MAX_NAME_BYTES];
    uint8_t players, capacity, flags, state;
    uint16_t median_rtt_ms, max_rtt_ms;
    uint8_t meta_count;
    lobby_meta_pair meta[PROTO_MAX_META_PAIRS];
} cluster_lobby_entry;

typedef struct cluster_dir {
    cluster_server_entry servers[CLUSTER_MAX_SERVERS];
    cluster_lobby_entry *lobbies; /* [count), grown as needed */
    size_t count, cap;
} cluster_dir;

void cluster_dir_init(cluster_dir *d);
void cluster_dir_deinit(cluster_dir *d);

/* The server's slot (new or existing), or -1 when the table is full. */
int cluster_dir_server(cluster_dir *d, const char *id);
/* Forgets a server and its lobbies. */
void cluster_dir_drop_server(cluster_dir *d, int slot);
/* Drops servers not read within ttl_us. Returns how many. */
unsigned cluster_dir_expire(cluster_dir *d, uint64_t now_us, uint64_t ttl_us);
/* Replaces a server's lobbies with what it published: n (key, line) pairs.
 * Lines that do not parse are skipped and counted in *bad. */
void cluster_dir_set_lobbies(cluster_dir *d, int slot, const char *const *keys,
                             const size_t *key_lens, const char *const *lines,
                             const size_t *line_lens, size_t n, unsigned *bad);
/* The lobby whose name key is key, or -1. */
int cluster_dir_find(const cluster_dir *d, const char *key, uint8_t key_len);
/* Servers known now (in_use). */
unsigned cluster_dir_server_count(const cluster_dir *d);

/* A lobby's directory line from its LOBBY_LIST row: tab-separated name,
 * players, capacity, flags, state, owner, median RTT, max RTT, then
 * metadata keys and values. Returns its length, or -1 if cap is too small. */
int cluster_dir_format_line(const proto_lobby_entry *e, char *out, size_t cap);
/* The reverse, into *out (copies). False when the line breaks the format. */
bool cluster_dir_parse_line(const char *line, size_t len, cluster_lobby_entry *out);
/* A row for LOBBY_LIST viewing e's fields (valid while e is). */
void cluster_dir_row(const cluster_lobby_entry *e, proto_lobby_entry *row);

#endif
