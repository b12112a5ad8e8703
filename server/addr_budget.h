/* Byte budgets per address: a token bucket of bytes for each key (an IPv4
 * address, or any 64-bit holder), refilled at per_s bytes a second up to
 * burst. A reply is allowed while its key's bucket is not in debt, and its
 * size is charged afterwards, possibly into debt: so whatever the replies'
 * sizes, a key gets at most burst + per_s * t + one reply's bytes in t
 * seconds, and nobody has to know a reply's size before building it.
 *
 * The keys live in a table of fixed size chosen at init, so memory does not
 * grow with the addresses seen. A key whose bucket has refilled is the same
 * as a key never seen, so it is forgotten when room is needed; only when
 * more keys than the table holds are in debt at once is a debt forgotten
 * early. Time is passed in. */
#ifndef LOBBY_ADDR_BUDGET_H
#define LOBBY_ADDR_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct addr_budget_entry {
    uint64_t key;
    uint64_t last_us; /* tokens as of this time */
    double tokens;    /* bytes; below 0: in debt */
    bool used;
} addr_budget_entry;

/* Caller-owned; read nothing, use the functions. */
typedef struct addr_budget {
    addr_budget_entry *slots;
    uint32_t cap; /* a power of two */
    uint32_t count;
    double per_s, burst;
    uint64_t forgotten_in_debt; /* debts forgotten for lack of room (should stay 0) */
} addr_budget;

/* Room for about `keys` keys in debt at once (more fit while some refill).
 * per_s and burst are bytes, above 0. Returns 0, or -1 when out of memory
 * or given nonsense. */
int addr_budget_init(addr_budget *b, uint32_t keys, double per_s, double burst);
void addr_budget_deinit(addr_budget *b);

/* True when key may be answered now: its bucket, refilled to now_us, holds
 * more than 0 bytes. */
bool addr_budget_allows(addr_budget *b, uint64_t key, uint64_t now_us);
/* Charges bytes to key's bucket at now_us; it may go below 0. */
void addr_budget_charge(addr_budget *b, uint64_t key, size_t bytes, uint64_t now_us);

#endif
