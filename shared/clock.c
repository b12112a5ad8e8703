#include "clock.h"

#include <time.h>

uint64_t clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t clock_hold_back(uint64_t since_us, uint32_t min_gap_us)
{
    uint64_t now_us = clock_now_us();
    if (now_us >= since_us + min_gap_us)
        return now_us;
    uint64_t rest_us = since_us + min_gap_us - now_us;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(rest_us * 1000u)};
    nanosleep(&ts, NULL);
    return clock_now_us();
}

uint64_t clock_unix_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
}

uint64_t clock_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u : 0;
}

int clock_ms_until(uint64_t due_us, int cap_ms)
{
    uint64_t now_us = clock_now_us();
    if (due_us <= now_us)
        return 0;
    uint64_t ms = (due_us - now_us + 999) / 1000;
    return ms < (uint64_t)cap_ms ? (int)ms : cap_ms;
}
