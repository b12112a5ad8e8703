/* A latency histogram in the manner of HdrHistogram: log-linear buckets
 * with 1024 steps per power of two, so any recorded value is reproduced to
 * within 0.1 %, in fixed memory whatever the number of samples. Values are
 * microseconds from 0 to about 2^42 (50 days); larger ones count as the max. */
#ifndef LOBBY_HISTOGRAM_H
#define LOBBY_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct histogram {
    uint64_t *counts;
    size_t bucket_count;
    uint64_t total;
    uint64_t min, max;
    double sum;
} histogram;

/* Returns 0, or -1 when out of memory. */
int histogram_init(histogram *h);
void histogram_deinit(histogram *h);
void histogram_record(histogram *h, uint64_t value);
/* Adds all of other's samples into h. */
void histogram_merge(histogram *h, const histogram *other);

/* The value at or below which `percent` (0..100) of the samples lie, as the
 * highest value of its bucket (never above the largest recorded); 0 when
 * empty. */
uint64_t histogram_percentile(const histogram *h, double percent);
double histogram_mean(const histogram *h);

#endif
