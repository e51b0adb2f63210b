/*
 * ejson_read_scan.c: capturing a value of the backup file across chunks:
 * finding where it ends (strings, escapes, depth, lines) and copying it
 * into the reader's bounded capture buffer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ejson/ejson_read_private.h"

int
mbk_ejr_cap_append(struct mbk_ejson_reader *r, const char *p, size_t n,
                   size_t max, const char *what, struct mbk_error *err)
{
    if (n > max - r->cap_len || r->cap_len + n > max) {
        return mbk_ejr_fail_at(
            r, MBK_ENGINE_ENOMEM, r->cap_offset, r->cap_line,
            r->cap_offset - r->cap_line_start + 1, "", 0,
            r->cap_len ? r->cap : p, r->cap_len ? r->cap_len : n, err,
            "%s longer than %zu bytes", what, max);
    }
    if (r->cap_len + n + 1 > r->cap_size) {
        size_t size = r->cap_size ? r->cap_size : 65536;
        char *t;

        while (size < r->cap_len + n + 1) {
            size *= 2;
        }
        t = realloc(r->cap, size);
        if (t == NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "out of memory capturing %zu bytes", size);
        }
        r->cap = t;
        r->cap_size = size;
    }
    memcpy(r->cap + r->cap_len, p, n);
    r->cap_len += n;
    return 0;
}

/*
 * Scan the value being captured from buf[*pi]: stops past its closing
 * bracket (*done = 1) or at len.  Tracks strings, depth and lines.
 */
int
mbk_ejr_scan(struct mbk_ejson_reader *r, const char *buf, size_t *pi,
             size_t len, int *done, struct mbk_error *err)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t high = 0x8080808080808080ULL;
    size_t i = *pi;
    int depth = r->cap_depth;
    int in_str = r->cap_str;
    int esc = r->cap_esc;
    /* JSON nesting: a level may sit in an escape, and the metadata has a
     * few of its own; the converter checks documents' real depth. */
    int maxd = 2 * r->lim.depth + 16;

    while (i < len) {
        if (in_str) {
            if (esc) {
                esc = 0;
                i++;
                continue;
            }
            while (len - i >= 8) {
                uint64_t w;
                uint64_t q;
                uint64_t b;
                uint64_t m;

                memcpy(&w, buf + i, 8);
                q = w ^ (ones * '"');
                b = w ^ (ones * '\\');
                m = (((q - ones) & ~q) | ((b - ones) & ~b)) & high;
                if (m != 0) {
                    i += (size_t)__builtin_ctzll(m) >> 3;
                    goto hit;
                }
                i += 8;
            }
            while (i < len && buf[i] != '"' && buf[i] != '\\') {
                i++;
            }
            if (i == len) {
                break;
            }
        hit:
            if (buf[i] == '\\') {
                esc = 1;
            } else {
                in_str = 0;
            }
            i++;
            continue;
        }
        switch (buf[i++]) {
        case '"':
            in_str = 1;
            break;
        case '{':
        case '[':
            if (++depth > maxd) {
                char what[64];

                snprintf(what, sizeof(what), "nesting deeper than %d",
                         r->lim.depth);
                return mbk_ejr_fail_here(r, buf, i - 1, len, MBK_ENGINE_ENOMEM,
                                         err, what);
            }
            break;
        case '}':
        case ']':
            if (--depth == 0) {
                *done = 1;
                goto out;
            }
            break;
        case '\n':
            r->line++;
            r->line_start = r->offset + i;
            break;
        default:
            break;
        }
    }
out:
    r->cap_depth = depth;
    r->cap_str = in_str;
    r->cap_esc = esc;
    *pi = i;
    return 0;
}
