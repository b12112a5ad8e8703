#include "bench_proc.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

bool proc_cpu_us(int pid, uint64_t *cpu_us)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: count the
     * fields from the last ')'. utime and stime are fields 14 and 15. */
    const char *p = strrchr(buf, ')');
    unsigned long long utime, stime;
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                            &stime) != 2)
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        return false;
    *cpu_us = (utime + stime) * 1000000ull / (unsigned long long)hz;
    return true;
}

bool proc_rss_kb(int pid, uint64_t *rss_kb)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool found = false;
    unsigned long long kb;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = sscanf(line, "VmRSS: %llu kB", &kb) == 1;
    fclose(f);
    if (found)
        *rss_kb = kb;
    return found;
}

uint64_t proc_self_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
