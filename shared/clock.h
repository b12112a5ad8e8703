/* The one place that reads the clocks (monotonic, and the wall clock). Cores never call it: front
 * ends read it once per loop pass and pass the time in. */
#ifndef LOBBY_CLOCK_H
#define LOBBY_CLOCK_H

#include <stdint.h>

/* Microseconds since an arbitrary fixed point; never goes backwards. */
uint64_t clock_now_us(void);

/* The wall clock: UTC seconds since 1970 (for expiries signed by another
 * machine; may jump, so never for intervals). */
uint64_t clock_unix_s(void);
/* The same in milliseconds (cluster tickets' expiries). */
uint64_t clock_unix_ms(void);

/* Sleeps until min_gap_us after since_us (not at all when that has passed)
 * and returns the time then. Busy loops use it to start a pass no sooner
 * than min_gap_us after the previous one; a signal cuts the sleep short. */
uint64_t clock_hold_back(uint64_t since_us, uint32_t min_gap_us);

/* A poll timeout for a deadline: 0 when due, else the milliseconds left
 * rounded up (so a loop never spins on a deadline under a millisecond
 * away), cap_ms at most. */
int clock_ms_until(uint64_t due_us, int cap_ms);

#endif
