/* WAIT_FOR(cond, ms): calls the including test's `static void pump(void)`
 * until cond holds or ms milliseconds have passed on clock_now_us()
 * (clock.h), then fails the running test (cmocka.h) if cond still does not
 * hold. For tests that drive game sessions against a real server. */
#ifndef LOBBY_TEST_WAIT_FOR_H
#define LOBBY_TEST_WAIT_FOR_H

#include <stdint.h>

#define WAIT_FOR(cond, ms)                                                                         \
    do {                                                                                           \
        for (uint64_t end_ = clock_now_us() + (uint64_t)(ms)*1000u;                                \
             !(cond) && clock_now_us() < end_;)                                                    \
            pump();                                                                                \
        if (!(cond))                                                                               \
            fail_msg("timed out waiting for %s", #cond);                                           \
    } while (0)

#endif
