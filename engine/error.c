/*
 * error.c: setting and annotating struct mbk_error.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/error.h"

int
mbk_error_set(struct mbk_error *err, uint32_t domain, int32_t code,
              const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return -1;
    }
    err->domain = domain;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

int
mbk_error_sys(struct mbk_error *err, int errnum, const char *call,
              const char *what)
{
    return mbk_error_set(err, MBK_ERROR_SYS, errnum, "%s() \"%s\" failed: %s",
                         call, what, strerror(errnum));
}

int
mbk_error_prefix(struct mbk_error *err, const char *fmt, ...)
{
    char ctx[sizeof(err->message)];
    size_t cap = sizeof(err->message);
    size_t len;
    va_list ap;

    if (err == NULL) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    len = strlen(ctx);
    if (len > cap - 3) {
        len = cap - 3;
    }
    /* Shift the cause right, then write "context: " in front of it. */
    memmove(err->message + len + 2, err->message, cap - len - 3);
    err->message[cap - 1] = '\0';
    memcpy(err->message, ctx, len);
    memcpy(err->message + len, ": ", 2);
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
