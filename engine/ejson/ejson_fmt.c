/*
 * ejson_fmt.c: number and byte formatting for the Extended JSON encoder:
 * integers by a two-digit table, doubles exactly as printf's "%.20g" (by
 * 128-bit integer arithmetic where that is provably exact), hex, base64,
 * and the UTF-8 check and JSON escaping of strings.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine/ejson/ejson_write_private.h"

typedef unsigned __int128 u128;

static const char digits2[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* 5^k for k = 0..27, the largest power below 2^64. */
static const uint64_t pow5[28] = {
    UINT64_C(1),
    UINT64_C(5),
    UINT64_C(25),
    UINT64_C(125),
    UINT64_C(625),
    UINT64_C(3125),
    UINT64_C(15625),
    UINT64_C(78125),
    UINT64_C(390625),
    UINT64_C(1953125),
    UINT64_C(9765625),
    UINT64_C(48828125),
    UINT64_C(244140625),
    UINT64_C(1220703125),
    UINT64_C(6103515625),
    UINT64_C(30517578125),
    UINT64_C(152587890625),
    UINT64_C(762939453125),
    UINT64_C(3814697265625),
    UINT64_C(19073486328125),
    UINT64_C(95367431640625),
    UINT64_C(476837158203125),
    UINT64_C(2384185791015625),
    UINT64_C(11920928955078125),
    UINT64_C(59604644775390625),
    UINT64_C(298023223876953125),
    UINT64_C(1490116119384765625),
    UINT64_C(7450580596923828125)
};

#define POW5_MAX 27
#define TEN19 UINT64_C(10000000000000000000)

static const char hex_digits[] = "0123456789abcdef";

static const char b64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
mbk_ejson_fmt_u64(char *dst, uint64_t v)
{
    char tmp[20];
    char *t = tmp + sizeof(tmp);
    size_t n;

    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);

        v /= 100;
        t -= 2;
        memcpy(t, digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        t -= 2;
        memcpy(t, digits2 + 2 * v, 2);
    } else {
        *--t = (char)('0' + v);
    }
    n = (size_t)(tmp + sizeof(tmp) - t);
    memcpy(dst, t, n);
    return n;
}

size_t
mbk_ejson_fmt_i64(char *dst, int64_t v)
{
    if (v < 0) {
        dst[0] = '-';
        /* Unsigned negation: INT64_MIN has no positive int64_t. */
        return 1 + mbk_ejson_fmt_u64(dst + 1, (uint64_t)0 - (uint64_t)v);
    }
    return mbk_ejson_fmt_u64(dst, (uint64_t)v);
}

/* The general case: snprintf, then libbson's ".0" rule. */
static size_t
double_slow(char *dst, double v)
{
    int n;

    n = snprintf(dst, MBK_EJSON_DOUBLE_MAX, "%.20g", v);
    if (n < 0 || n > MBK_EJSON_DOUBLE_MAX - 3) {
        n = 0;
    }
    if (strspn(dst, "0123456789-") == (size_t)n) {
        memcpy(dst + n, ".0", 2);
        n += 2;
    }
    return (size_t)n;
}

/* 20 significant digits d (10^19 <= d < 10^20) of a value whose decimal
 * exponent is x, laid out as "%.20g" does with trailing zeros dropped. */
static size_t
layout(char *p, u128 d, int x)
{
    char digs[20];
    uint64_t hi;
    uint64_t lo;
    int ndig;
    int i;
    char *start = p;

    /* d < 10^20 < 2^67, and 10^10 = 2^10 * 9765625: two 64-bit halves
     * without a 128-bit division. */
    hi = (uint64_t)(d >> 10) / UINT64_C(9765625);
    lo = (uint64_t)d - hi * UINT64_C(10000000000);
    for (i = 18; i >= 10; i -= 2) {
        memcpy(digs + i, digits2 + 2 * (lo % 100), 2);
        lo /= 100;
    }
    for (i = 8; i >= 0; i -= 2) {
        memcpy(digs + i, digits2 + 2 * (hi % 100), 2);
        hi /= 100;
    }
    ndig = 20;
    while (ndig > 1 && digs[ndig - 1] == '0') {
        ndig--;
    }
    if (x < -4) {
        /* %e style: d.ddde-0X (x is at least -9 here). */
        *p++ = digs[0];
        if (ndig > 1) {
            *p++ = '.';
            memcpy(p, digs + 1, (size_t)ndig - 1);
            p += ndig - 1;
        }
        *p++ = 'e';
        *p++ = '-';
        *p++ = (char)('0' + (-x) / 10);
        *p++ = (char)('0' + (-x) % 10);
        return (size_t)(p - start);
    }
    if (x >= 0) {
        memcpy(p, digs, (size_t)x + 1);
        p += x + 1;
        *p++ = '.';
        if (ndig > x + 1) {
            memcpy(p, digs + x + 1, (size_t)(ndig - x - 1));
            p += ndig - x - 1;
        } else {
            /* No fraction: "%.20g" prints digits only, libbson adds ".0". */
            *p++ = '0';
        }
        return (size_t)(p - start);
    }
    *p++ = '0';
    *p++ = '.';
    for (i = 0; i < -x - 1; i++) {
        *p++ = '0';
    }
    memcpy(p, digs, (size_t)ndig);
    p += ndig;
    return (size_t)(p - start);
}

size_t
mbk_ejson_fmt_double(char *dst, double v)
{
    uint64_t bits;
    uint64_t m;
    int bexp;
    int q;
    int e;
    int k;
    int s;
    int tries;
    u128 n;
    u128 t;
    u128 rem;
    u128 half;
    u128 ten20 = (u128)TEN19 * 10;
    char *p = dst;

    memcpy(&bits, &v, sizeof(bits));
    bexp = (int)((bits >> 52) & 0x7ff);
    m = bits & ((UINT64_C(1) << 52) - 1);
    if (bexp == 0x7ff || (bexp == 0 && m != 0)) {
        return double_slow(dst, v); /* NaN, Inf, denormals */
    }
    if (bits >> 63) {
        *p++ = '-';
    }
    if (bexp == 0) {
        memcpy(p, "0.0", 3);
        return (size_t)(p + 3 - dst);
    }
    m |= UINT64_C(1) << 52;
    /* |v| = m * 2^-q */
    q = 1075 - bexp;
    if (q <= 0) {
        if (q < -10) {
            return double_slow(dst, v); /* integral, 2^63 and up */
        }
        p += mbk_ejson_fmt_u64(p, m << -q);
        memcpy(p, ".0", 2);
        return (size_t)(p + 2 - dst);
    }
    if (q <= 52 && (m & ((UINT64_C(1) << q) - 1)) == 0) {
        p += mbk_ejson_fmt_u64(p, m >> q);
        memcpy(p, ".0", 2);
        return (size_t)(p + 2 - dst);
    }

    /*
     * Not integral.  Find the decimal exponent e with 10^e <= |v| < 10^(e+1)
     * exactly: t = floor(|v| * 10^(19 - e)) must satisfy 10^19 <= t < 10^20.
     * |v| * 10^k = m * 5^k * 2^(k - q), exact in 128 bits for k <= 27.
     */
    e = (int)((bexp - 1023) * 0.30102999566398120);
    if (bexp < 1023) {
        e--; /* the cast truncated toward zero */
    }
    for (tries = 0;; tries++) {
        k = 19 - e;
        if (k < 0 || k > POW5_MAX || tries == 4) {
            return double_slow(dst, v);
        }
        n = (u128)m * pow5[k];
        s = q - k;
        if (s <= 0) {
            t = n << -s;
            rem = 0;
        } else {
            t = n >> s;
            rem = n & ((((u128)1) << s) - 1);
        }
        if (t >= ten20) {
            e++;
        } else if (t < TEN19) {
            e--;
        } else {
            break;
        }
    }
    /* Round half to even on the exact remainder, as glibc does. */
    if (s > 0) {
        half = ((u128)1) << (s - 1);
        if (rem > half || (rem == half && (t & 1) != 0)) {
            t++;
        }
    }
    if (t == ten20) {
        t = TEN19;
        e++;
    }
    p += layout(p, t, e);
    return (size_t)(p - dst);
}

size_t
mbk_ejson_fmt_hex(char *dst, const uint8_t *src, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        dst[2 * i] = hex_digits[src[i] >> 4];
        dst[2 * i + 1] = hex_digits[src[i] & 15];
    }
    return 2 * n;
}

size_t
mbk_ejson_fmt_base64(char *dst, const uint8_t *src, size_t n)
{
    char *p = dst;
    uint32_t w;

    while (n >= 3) {
        w = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
        p[0] = b64_digits[w >> 18];
        p[1] = b64_digits[(w >> 12) & 63];
        p[2] = b64_digits[(w >> 6) & 63];
        p[3] = b64_digits[w & 63];
        p += 4;
        src += 3;
        n -= 3;
    }
    if (n > 0) {
        w = (uint32_t)src[0] << 16;
        if (n == 2) {
            w |= (uint32_t)src[1] << 8;
        }
        p[0] = b64_digits[w >> 18];
        p[1] = b64_digits[(w >> 12) & 63];
        p[2] = n == 2 ? b64_digits[(w >> 6) & 63] : '=';
        p[3] = '=';
        p += 4;
    }
    return (size_t)(p - dst);
}

/*
 * UTF-8 and JSON escaping.  libbson validates strictly (no overlong forms,
 * no surrogates, nothing above U+10FFFF), escapes '"', '\\' and bytes below
 * 0x20 (\b \f \n \r \t by name, the rest as \u00xx, NUL included) and copies
 * everything else, DEL and non-ASCII included.
 */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Does any of the 8 bytes need more than a copy? (exact, no false hits) */
static inline int
special8(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"');
    uint64_t b = x ^ (ONES * '\\');
    uint64_t r;

    r = ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | x;
    return (r & HIGHS) != 0;
}

/* Length of the valid UTF-8 sequence of 2-4 bytes at s, or 0. */
static inline size_t
utf8_seq(const uint8_t *s, const uint8_t *end)
{
    uint8_t c = s[0];
    uint8_t lo = 0x80;
    uint8_t hi = 0xbf;
    size_t avail = (size_t)(end - s);

    if (c < 0xc2) {
        return 0; /* a continuation byte, or an overlong 2-byte lead */
    }
    if (c < 0xe0) {
        return avail >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    }
    if (c < 0xf0) {
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f; /* UTF-16 surrogates */
        }
        return avail >= 3 && s[1] >= lo && s[1] <= hi
                       && (s[2] & 0xc0) == 0x80
                   ? 3
                   : 0;
    }
    if (c < 0xf5) {
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f; /* above U+10FFFF */
        }
        return avail >= 4 && s[1] >= lo && s[1] <= hi
                       && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

static char *
escape_ascii(char *p, uint8_t c)
{
    p[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        p[1] = (char)c;
        return p + 2;
    case '\b':
        p[1] = 'b';
        return p + 2;
    case '\f':
        p[1] = 'f';
        return p + 2;
    case '\n':
        p[1] = 'n';
        return p + 2;
    case '\r':
        p[1] = 'r';
        return p + 2;
    case '\t':
        p[1] = 't';
        return p + 2;
    default:
        memcpy(p + 1, "u00", 3);
        p[4] = hex_digits[c >> 4];
        p[5] = hex_digits[c & 15];
        return p + 6;
    }
}

/* Write the escaped form of s[0..n) at p (room: 6n); NULL if s is not
 * valid UTF-8. */
char *
mbk_ejson_escape(char *p, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    const uint8_t *end = s + n;
    uint64_t x;
    size_t l;

    while (s < end) {
        while (end - s >= 8) {
            memcpy(&x, s, 8);
            if (special8(x)) {
                break;
            }
            memcpy(p, &x, 8);
            p += 8;
            s += 8;
        }
        while (s < end) {
            if (*s >= 0x80) {
                l = utf8_seq(s, end);
                if (l == 0) {
                    return NULL;
                }
                memcpy(p, s, l);
                p += l;
                s += l;
            } else if (*s < 0x20 || *s == '"' || *s == '\\') {
                p = escape_ascii(p, *s++);
            } else {
                *p++ = (char)*s++;
                if (end - s >= 8) {
                    break; /* back to the 8-byte loop */
                }
            }
        }
    }
    return p;
}

int
mbk_ejson_utf8_valid(const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    const uint8_t *end = s + n;
    size_t l;

    while (s < end) {
        if (*s < 0x80) {
            s++;
            continue;
        }
        l = utf8_seq(s, end);
        if (l == 0) {
            return 0;
        }
        s += l;
    }
    return 1;
}

/* Exact length of the escaped form of s[0..n) (6n when not UTF-8: the
 * write fails anyway). */
size_t
mbk_ejson_escaped_len(const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    const uint8_t *end = s + n;
    size_t total = 0;
    uint64_t x;
    size_t l;

    while (s < end) {
        if (end - s >= 8) {
            memcpy(&x, s, 8);
            if (!special8(x)) {
                s += 8;
                total += 8;
                continue;
            }
        }
        if (*s >= 0x80) {
            l = utf8_seq(s, end);
            if (l == 0) {
                return 6 * n;
            }
            s += l;
            total += l;
        } else if (*s == '"' || *s == '\\' || *s == '\b' || *s == '\f'
                   || *s == '\n' || *s == '\r' || *s == '\t') {
            s++;
            total += 2;
        } else if (*s < 0x20) {
            s++;
            total += 6;
        } else {
            s++;
            total++;
        }
    }
    return total;
}
