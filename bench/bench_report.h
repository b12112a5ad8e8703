/* lobby-bench's outputs: the summary table, JSON, CSV and the CDF data that
 * bench/plot.sh draws. Every figure's name carries its unit. */
#ifndef LOBBY_BENCH_REPORT_H
#define LOBBY_BENCH_REPORT_H

#include "bench.h"

#include <stdbool.h>
#include <stdio.h>

/* The outcome of the --max-* gates. */
typedef struct bench_verdict {
    bool passed;
    int failure_count;
    char failures[8][160];
} bench_verdict;

void report_table(FILE *out, const bench_config *cfg, const bench_results *r);
/* One line: how many bots joined and why the others did not, naming the
 * lobby-server flags behind each kind of refusal (r->why_not_joined). */
void report_join_failure(FILE *out, const bench_config *cfg, const bench_results *r);
/* Each returns 0, or -1 when the file cannot be written. */
int report_json(const char *path, const bench_config *cfg, const bench_results *r,
                const bench_verdict *v);
int report_csv(const char *path, const bench_results *r);
int report_cdf(const char *path, const bench_results *r);

#endif
