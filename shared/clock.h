/* The one place that reads the monotonic clock. Cores never call it: front
 * ends read it once per loop pass and pass the time in. */
#ifndef LOBBY_CLOCK_H
#define LOBBY_CLOCK_H

#include <stdint.h>

/* Microseconds since an arbitrary fixed point; never goes backwards. */
uint64_t clock_now_us(void);

#endif
