/*
 * fuzz_split.h: what the libFuzzer targets share: chunk sizes drawn from
 * a generator seeded by the input itself, so that one input always gives
 * the same splits (a crash reproduces) while mutations vary them.
 */
#ifndef MBK_TESTS_FUZZ_SPLIT_H
#define MBK_TESTS_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_split {
    uint64_t state;
};

/* Seed from the input (FNV-1a over it). */
static inline void
fuzz_split_init(struct fuzz_split *s, const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    s->state = h | 1;
}

/* The next chunk size, 1..left: mostly tiny, sometimes large. */
static inline size_t
fuzz_split_next(struct fuzz_split *s, size_t left)
{
    uint64_t x = s->state;
    size_t n;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->state = x;
    switch (x % 4) {
    case 0:
        n = 1;
        break;
    case 1:
        n = 1 + (size_t)((x >> 8) % 16);
        break;
    case 2:
        n = 1 + (size_t)((x >> 8) % 4096);
        break;
    default:
        n = left;
        break;
    }
    return n < left ? n : left;
}

#endif /* MBK_TESTS_FUZZ_SPLIT_H */
