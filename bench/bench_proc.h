/* Private to lobby-bench: CPU time and memory of a process (the server's,
 * with --server-pid) and of lobby-bench itself, sampled at the start and end
 * of the measurement window. Linux /proc only. */
#ifndef LOBBY_BENCH_PROC_H
#define LOBBY_BENCH_PROC_H

#include <stdbool.h>
#include <stdint.h>

/* utime + stime of pid from /proc/PID/stat, in microseconds (clock-tick
 * resolution, sysconf(_SC_CLK_TCK)). False when it cannot be read. */
bool proc_cpu_us(int pid, uint64_t *cpu_us);
/* VmRSS of pid from /proc/PID/status, in kB. False when it cannot be read. */
bool proc_rss_kb(int pid, uint64_t *rss_kb);
/* This process's user + system CPU time (getrusage), in microseconds. */
uint64_t proc_self_cpu_us(void);

#endif
