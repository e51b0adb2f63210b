/*
 * error.c: setting and annotating struct mbk_error.  The setter and the
 * shortening of over-long messages are the ABI header's (plugins share
 * them); this file adds what only the host does: context in front.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"

int
mbk_error_vset(struct mbk_error *err, uint32_t domain, int32_t code,
               const char *fmt, va_list ap)
{
    return mbk_storage_vfail(err, domain, code, fmt, ap);
}

int
mbk_error_set(struct mbk_error *err, uint32_t domain, int32_t code,
              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mbk_storage_vfail(err, domain, code, fmt, ap);
    va_end(ap);
    return -1;
}

int
mbk_error_sys(struct mbk_error *err, int errnum, const char *call,
              const char *what)
{
    return mbk_storage_fail_sys(err, errnum, call, what);
}

int
mbk_error_field(struct mbk_error *err, const char *field)
{
    if (err != NULL) {
        snprintf(err->field, sizeof(err->field), "%s",
                 field != NULL ? field : "");
    }
    return -1;
}

int
mbk_error_prefix(struct mbk_error *err, const char *fmt, ...)
{
    char whole[2 * sizeof(err->message)];
    size_t cause;
    size_t len;
    va_list ap;
    int n;

    if (err == NULL) {
        return -1;
    }
    /* "context: cause", then cut from the middle if it is too long: the
     * context's start and the cause's end both stay. */
    va_start(ap, fmt);
    n = vsnprintf(whole, sizeof(whole) / 2, fmt, ap);
    va_end(ap);
    len = n < 0 ? 0 : strlen(whole);
    memcpy(whole + len, ": ", 2);
    len += 2;
    cause = strnlen(err->message, sizeof(err->message) - 1);
    memcpy(whole + len, err->message, cause);
    len += cause;
    mbk_storage_msg_fit(err->message, sizeof(err->message), whole, len);
    return -1;
}

void
mbk_error_clear(struct mbk_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
}

const char *
mbk_error_domain_name(uint32_t domain)
{
    static const char *const names[] = {
        "none", "system", "mongo", "archive", "json",
        "plugin", "storage", "engine", "http",
    };

    if (domain < sizeof(names) / sizeof(names[0])) {
        return names[domain];
    }
    return "unknown";
}
