/*
 * s3_xml.c: the few XML answers of S3 the plugin reads (ListObjectsV2,
 * ListMultipartUploads, InitiateMultipartUpload, CompleteMultipartUpload,
 * Error).  They are flat and small: find <Tag>text</Tag>, always within
 * the bounds given, unescape the five entities and numeric references.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <string.h>
#include <time.h>

#include "storage/s3_private.h"

/* The first occurrence of needle (nlen bytes) in [p, end), or NULL. */
static const char *
find_bytes(const char *p, const char *end, const char *needle, size_t nlen)
{
    while (p < end && (size_t) (end - p) >= nlen) {
        const char *c = memchr(p, needle[0], (size_t) (end - p));

        if (c == NULL || (size_t) (end - c) < nlen) {
            return NULL;
        }
        if (memcmp(c, needle, nlen) == 0) {
            return c;
        }
        p = c + 1;
    }
    return NULL;
}

const char *
mbk_s3_xml_find(const char *p, const char *end, const char *tag,
                const char **vend)
{
    char open[80];
    char close[80];
    const char *s;
    const char *e;
    int no;
    int nc;

    no = snprintf(open, sizeof(open), "<%s>", tag);
    nc = snprintf(close, sizeof(close), "</%s>", tag);
    if (no <= 0 || nc <= 0 || (size_t) nc >= sizeof(close) || p == NULL) {
        return NULL;
    }
    s = find_bytes(p, end, open, (size_t) no);
    if (s == NULL) {
        return NULL;
    }
    s += no;
    e = find_bytes(s, end, close, (size_t) nc);
    if (e == NULL) {
        return NULL;
    }
    *vend = e;
    return s;
}

/* Put code point cp as UTF-8; bytes written, 0 if it does not fit. */
static size_t
utf8_put(unsigned long cp, char *out, size_t room)
{
    if (cp < 0x80 && room >= 1) {
        out[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800 && room >= 2) {
        out[0] = (char) (0xc0 | (cp >> 6));
        out[1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000 && room >= 3) {
        out[0] = (char) (0xe0 | (cp >> 12));
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }
    if (cp < 0x110000 && room >= 4) {
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
    }
    return 0;
}

int
mbk_s3_xml_text(const char *s, const char *e, char *out, size_t cap)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = { { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
                 { "quot;", '"' }, { "apos;", '\'' } };
    size_t o = 0;

    if (cap == 0) {
        return -1;
    }
    while (s < e) {
        if (*s != '&') {
            if (o + 1 >= cap) {
                return -1;
            }
            out[o++] = *s++;
            continue;
        }
        s++;
        {
            size_t i;
            int done = 0;

            for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
                size_t n = strlen(ents[i].name);

                if ((size_t) (e - s) >= n && memcmp(s, ents[i].name, n) == 0) {
                    if (o + 1 >= cap) {
                        return -1;
                    }
                    out[o++] = ents[i].c;
                    s += n;
                    done = 1;
                    break;
                }
            }
            if (!done) {
                unsigned long cp = 0;
                int hex = 0;
                int digits = 0;
                size_t n;

                if (s >= e || *s != '#') {
                    return -1;
                }
                s++;
                if (s < e && (*s == 'x' || *s == 'X')) {
                    hex = 1;
                    s++;
                }
                while (s < e && *s != ';' && digits < 8) {
                    char c = *s;

                    if (c >= '0' && c <= '9') {
                        cp = cp * (hex ? 16 : 10) + (unsigned long) (c - '0');
                    } else if (hex && c >= 'a' && c <= 'f') {
                        cp = cp * 16 + (unsigned long) (c - 'a' + 10);
                    } else if (hex && c >= 'A' && c <= 'F') {
                        cp = cp * 16 + (unsigned long) (c - 'A' + 10);
                    } else {
                        return -1;
                    }
                    s++;
                    digits++;
                }
                if (s >= e || *s != ';' || digits == 0 || cp == 0) {
                    return -1;
                }
                s++;
                n = utf8_put(cp, out + o, cap - 1 - o);
                if (n == 0) {
                    return -1;
                }
                o += n;
            }
        }
    }
    out[o] = '\0';
    return 0;
}

int
mbk_s3_xml_get(const char *p, const char *end, const char *tag, char *out,
               size_t cap)
{
    const char *ve;
    const char *v = mbk_s3_xml_find(p, end, tag, &ve);

    if (v == NULL) {
        return -1;
    }
    return mbk_s3_xml_text(v, ve, out, cap);
}

int64_t
mbk_s3_xml_time(const char *s)
{
    struct tm tm;
    int n = 0;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6
        || n < 19) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm(&tm);
}
