/*
 * ejson_write_private.h: the number and byte formatters of the Extended JSON
 * encoder (engine/ejson/ejson_fmt.c), shared with ejson_write.c and the unit
 * tests.  Each writes at dst, which has room for the stated maximum, and
 * returns the number of bytes written; none NUL-terminates.  Thread-safe.
 */
#ifndef MBK_ENGINE_EJSON_WRITE_PRIVATE_H
#define MBK_ENGINE_EJSON_WRITE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

/* Longest text of mbk_ejson_fmt_double, with room to spare. */
#define MBK_EJSON_DOUBLE_MAX 40

/* Decimal digits of v (at most 20 bytes). */
size_t
mbk_ejson_fmt_u64(char *dst, uint64_t v);

/* Decimal text of v with a '-' when negative (at most 20 bytes). */
size_t
mbk_ejson_fmt_i64(char *dst, int64_t v);

/* A finite double as libbson prints it: printf's "%.20g" in the C locale,
 * then ".0" when that text holds only digits and '-'.  Integral values and
 * values from 1e-8 up are formatted exactly by integer arithmetic; the rest
 * goes through snprintf, so LC_NUMERIC must stay "C" (as in libbson). */
size_t
mbk_ejson_fmt_double(char *dst, double v);

/* Lowercase hex of n bytes (2n bytes). */
size_t
mbk_ejson_fmt_hex(char *dst, const uint8_t *src, size_t n);

/* Padded base64 (RFC 4648) of n bytes (4 * ceil(n / 3) bytes). */
size_t
mbk_ejson_fmt_base64(char *dst, const uint8_t *src, size_t n);

/*
 * Strings.  libbson checks UTF-8 strictly (no overlong forms, surrogates or
 * code points above U+10FFFF), escapes '"', '\\' and bytes below 0x20 (\b
 * \f \n \r \t by name, the rest as \u00xx, NUL included) and copies the
 * rest, DEL and non-ASCII included.
 */

/* Write the escaped form of s[0..n) at p (room: 6n); the end, or NULL if s
 * is not valid UTF-8. */
char *
mbk_ejson_escape(char *p, const char *s, size_t n);

/* Exact length of mbk_ejson_escape's output (6n when s is not UTF-8). */
size_t
mbk_ejson_escaped_len(const char *s, size_t n);

/* Is s[0..n) valid UTF-8? (NUL bytes allowed) */
int
mbk_ejson_utf8_valid(const char *s, size_t n);

#endif /* MBK_ENGINE_EJSON_WRITE_PRIVATE_H */
