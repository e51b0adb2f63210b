/*
 * mem_read.h: a memory buffer as a source's raw reader for unit tests,
 * handing out at most `step` bytes per read to cross every boundary.
 */
#ifndef MBK_TESTS_UNIT_MEM_READ_H
#define MBK_TESTS_UNIT_MEM_READ_H

#include <string.h>
#include <sys/types.h>

#include "engine/error.h"

struct mem {
    const char *p;
    size_t n;
    size_t off;
    size_t step; /* bytes handed out per read (0: any), to cross edges */
};

static inline ssize_t
mem_read(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct mem *m = ud;
    size_t k = m->n - m->off;

    (void)err;
    if (k > len) {
        k = len;
    }
    if (m->step > 0 && k > m->step) {
        k = m->step;
    }
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

#endif /* MBK_TESTS_UNIT_MEM_READ_H */
