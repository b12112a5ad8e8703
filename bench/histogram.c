#include "histogram.h"

#include <math.h>
#include <stdlib.h>

enum {
    SUB_BITS = 10,
    SUB_COUNT = 1 << SUB_BITS, /* steps per power of two: 0.1 % resolution */
    MAX_EXPONENT = 42,
};

/* Values below 2 * SUB_COUNT have a bucket each; above, each power of two
 * [2^k, 2^(k+1)) is cut into SUB_COUNT equal buckets. */
static size_t bucket_of(uint64_t v)
{
    if (v < 2 * SUB_COUNT)
        return (size_t)v;
    unsigned top = 63 - (unsigned)__builtin_clzll(v); /* floor(log2 v) */
    if (top > MAX_EXPONENT) {
        top = MAX_EXPONENT;
        v = (UINT64_C(1) << (MAX_EXPONENT + 1)) - 1;
    }
    unsigned shift = top - SUB_BITS;
    return (size_t)(shift + 1) * SUB_COUNT + (size_t)((v >> shift) - SUB_COUNT);
}

/* The largest value that falls in bucket i. */
static uint64_t bucket_high(size_t i)
{
    if (i < 2 * SUB_COUNT)
        return i;
    unsigned shift = (unsigned)(i / SUB_COUNT) - 1;
    uint64_t mantissa = i % SUB_COUNT + SUB_COUNT;
    return ((mantissa + 1) << shift) - 1;
}

int histogram_init(histogram *h)
{
    h->bucket_count = bucket_of((UINT64_C(1) << (MAX_EXPONENT + 1)) - 1) + 1;
    h->counts = calloc(h->bucket_count, sizeof *h->counts);
    h->total = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = 0.0;
    return h->counts ? 0 : -1;
}

void histogram_deinit(histogram *h)
{
    free(h->counts);
    h->counts = NULL;
}

void histogram_record(histogram *h, uint64_t value)
{
    h->counts[bucket_of(value)]++;
    h->total++;
    h->sum += (double)value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void histogram_merge(histogram *h, const histogram *other)
{
    for (size_t i = 0; i < h->bucket_count; i++)
        h->counts[i] += other->counts[i];
    h->total += other->total;
    h->sum += other->sum;
    if (other->min < h->min)
        h->min = other->min;
    if (other->max > h->max)
        h->max = other->max;
}

uint64_t histogram_percentile(const histogram *h, double percent)
{
    if (h->total == 0)
        return 0;
    if (percent <= 0.0)
        return h->min;
    /* The rank of the sample wanted, counting from 1; the small allowance
     * keeps 99.9 % of 1000 at rank 999 despite binary fractions. */
    double wanted = percent / 100.0 * (double)h->total;
    uint64_t rank = (uint64_t)ceil(wanted - 1e-9);
    if (rank == 0)
        rank = 1;
    if (rank > h->total)
        rank = h->total;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->bucket_count; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t high = bucket_high(i);
            return high > h->max || i == h->bucket_count - 1 ? h->max : high;
        }
    }
    return h->max;
}

double histogram_mean(const histogram *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}
