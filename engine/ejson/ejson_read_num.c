/*
 * ejson_read_num.c: JSON numbers for the Extended JSON -> BSON converter:
 * plain numbers (int32, else int64, else double, as libbson does) and the
 * integer and double texts inside type wrappers.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ejson/ejson_read_private.h"

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Length of the JSON number at s, 0 when it is not one. */
size_t
mbk_ejr_scan_number(const char *s, const char *end, struct mbk_ejr_num *nm)
{
    const char *p = s;
    int64_t e = 0;
    int esign = 1;
    int64_t edigits = 0;

    memset(nm, 0, sizeof(*nm));
    nm->is_int = 1;
    if (p < end && *p == '-') {
        nm->neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9') {
        return 0;
    }
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (nm->digits < 19) {
                nm->mant = nm->mant * 10 + (uint64_t)(*p - '0');
            } else {
                nm->exp10++;
            }
            nm->digits++;
            p++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        nm->is_int = 0;
        if (p >= end || *p < '0' || *p > '9') {
            return 0;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (nm->digits == 0 && *p == '0') {
                nm->exp10--; /* a leading zero of the fraction */
            } else if (nm->digits < 19) {
                nm->mant = nm->mant * 10 + (uint64_t)(*p - '0');
                nm->exp10--;
                nm->digits++;
            } else {
                nm->digits++;
            }
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        nm->is_int = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            esign = *p == '-' ? -1 : 1;
            p++;
        }
        if (p >= end || *p < '0' || *p > '9') {
            return 0;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (edigits++ < 12) {
                e = e * 10 + (*p - '0');
            }
            p++;
        }
        nm->exp10 += esign * e;
    }
    return (size_t)(p - s);
}

/* The double nearest to the number text s[0..n), as strtod gives it. */
int
mbk_ejr_num_double(const char *s, size_t n, const struct mbk_ejr_num *nm,
                   double *out)
{
    char small[64];
    char *copy = small;
    double d;

    if (nm->mant == 0 && nm->digits <= 19) {
        *out = nm->neg ? -0.0 : 0.0;
        return 0;
    }
    if (nm->digits <= 19 && nm->mant <= (UINT64_C(1) << 53) && nm->exp10 >= -22
        && nm->exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one rounding. */
        d = (double)nm->mant;
        d = nm->exp10 < 0 ? d / pow10_exact[-nm->exp10]
                          : d * pow10_exact[nm->exp10];
        *out = nm->neg ? -d : d;
        return 0;
    }
    if (n >= sizeof(small)) {
        copy = malloc(n + 1);
        if (copy == NULL) {
            return -1;
        }
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    d = strtod(copy, NULL);
    if (copy != small) {
        free(copy);
    }
    if (isinf(d)) {
        return -2;
    }
    *out = d;
    return 0;
}

int
mbk_ejr_number(struct mbk_ejr_conv *c)
{
    struct mbk_ejr_num nm;
    size_t n = mbk_ejr_scan_number(c->p, c->end, &nm);
    const char *s = c->p;
    double d;
    int rc;

    if (n == 0) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "malformed number");
    }
    c->p += n;
    if (nm.is_int && nm.digits <= 19) {
        uint64_t lim32 = nm.neg ? UINT64_C(2147483648) : 2147483647;
        uint64_t lim64 = nm.neg ? UINT64_C(1) << 63 : INT64_MAX;

        if (nm.mant <= lim32) {
            if (mbk_ejr_reserve(c, 4) < 0) {
                return -1;
            }
            mbk_ejr_put32(c->out + c->len, nm.neg ? (uint32_t)(0 - nm.mant)
                                                  : (uint32_t)nm.mant);
            c->len += 4;
            return MBK_EJR_T_INT32;
        }
        if (nm.mant <= lim64) {
            if (mbk_ejr_reserve(c, 8) < 0) {
                return -1;
            }
            mbk_ejr_put64(c->out + c->len, nm.neg ? 0 - nm.mant : nm.mant);
            c->len += 8;
            return MBK_EJR_T_INT64;
        }
    }
    rc = mbk_ejr_num_double(s, n, &nm, &d);
    if (rc < 0) {
        return mbk_ejr_fail(c, s,
                            rc == -1 ? MBK_EJR_E_NOMEM : MBK_EJR_E_SYNTAX,
                            "number out of the range of a double");
    }
    if (mbk_ejr_reserve(c, 8) < 0) {
        return -1;
    }
    memcpy(c->out + c->len, &d, 8);
    c->len += 8;
    return MBK_EJR_T_DOUBLE;
}

/* Decimal integer text with an optional sign, in [min, max]. */
int
mbk_ejr_parse_int(struct mbk_ejr_conv *c, const char *at, const char *s,
                  size_t n, int64_t min, int64_t max, int64_t *v)
{
    uint64_t m = 0;
    int neg = 0;
    size_t i = 0;

    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i++;
    }
    if (i == n) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX, "expected an integer");
    }
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                                "expected an integer");
        }
        if (m > (UINT64_C(1) << 63) / 10) {
            goto range;
        }
        m = m * 10 + (uint64_t)(s[i] - '0');
    }
    if (neg ? m > (uint64_t)0 - (uint64_t)min : m > (uint64_t)max) {
        goto range;
    }
    *v = neg ? (int64_t)(0 - m) : (int64_t)m;
    return 0;
range:
    return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX, "integer %.*s out of range",
                        (int)(n > 24 ? 24 : n), s);
}
