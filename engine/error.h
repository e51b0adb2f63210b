/*
 * error.h: struct mbk_error (the bson_error_t model of STYLE.md §3) and the
 * helpers that set it.  An error lives on the caller's stack; it is set
 * once, where the failure happens, and callers only add context.
 */
#ifndef MBK_ENGINE_ERROR_H
#define MBK_ENGINE_ERROR_H

#include <stdarg.h>
#include <stdint.h>

/* The struct and the domains are shared with the plugin ABI. */
#include "storage/mbk_storage.h"

/* Codes of the ENGINE domain. */
enum mbk_engine_code {
    MBK_ENGINE_EINVAL = 1,  /* a bad argument or option (message names it) */
    MBK_ENGINE_EBADNAME,    /* a backup, database or collection name */
    MBK_ENGINE_ENOMEM,      /* an allocation failed (out of memory) */
    MBK_ENGINE_EFORMAT,     /* a backup file that is not what it claims */
    MBK_ENGINE_EDIGEST,     /* a count or digest that does not match */
    MBK_ENGINE_ECANCELED,   /* the caller asked to stop */
    MBK_ENGINE_EBUSY,       /* an operation already runs on that target */
    MBK_ENGINE_ELIMIT       /* input over a limit (size, depth, length):
                             * HTTP 413, exit status MBK_EXIT_LIMIT */
};

/*
 * Fill err (NULL-safe); returns -1 for `return mbk_error_set(...)`.  A
 * message longer than MBK_ERROR_MESSAGE_MAX is cut in its middle, so its
 * end (the cause) survives.  The same setter as the plugins'
 * mbk_storage_fail() (storage/mbk_storage.h), of which it is a wrapper.
 */
int
mbk_error_vset(struct mbk_error *err, uint32_t domain, int32_t code,
               const char *fmt, va_list ap);

int
mbk_error_set(struct mbk_error *err, uint32_t domain, int32_t code,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill err from errno in nginx's shape: `call() "what" failed: reason`;
 * a path longer than MBK_ERROR_PATH_SHOWN is shortened in its middle. */
int
mbk_error_sys(struct mbk_error *err, int errnum, const char *call,
              const char *what);

/* Put context in front of an existing message: "context: message"; if
 * that is too long it is cut in its middle, keeping the cause. */
int
mbk_error_prefix(struct mbk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Name the input field at fault (err->field, cut at MBK_ERROR_FIELD_MAX
 * - 1 bytes) on an error already set; returns -1.  Callers that add
 * context keep it (mbk_error_prefix leaves it alone). */
int
mbk_error_field(struct mbk_error *err, const char *field);

void
mbk_error_clear(struct mbk_error *err);

/* A short stable name of the domain, e.g. "storage", for reports. */
const char *
mbk_error_domain_name(uint32_t domain);

#endif /* MBK_ENGINE_ERROR_H */
