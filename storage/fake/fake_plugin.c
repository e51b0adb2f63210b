/*
 * fake_plugin.c: a test-only storage plugin, built once per defect the
 * loader must catch (storage/local.mk sets the FAKE_* macros): wrong ABI,
 * missing symbol, wrong name, missing method, short table, unknown caps,
 * no schemes; and "fakeurl", a store at a URL that shows what it was given.
 */
#include "storage/mbk_storage.h"

#include <stdio.h>
#include <stdlib.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT3(a, b, c) a##b##c
#define SYMBOL(n) CAT3(mbk_storage_, n, _plugin)

#ifndef FAKE_ABI
#define FAKE_ABI MBK_STORAGE_ABI
#endif
#ifndef FAKE_SELF_NAME
#define FAKE_SELF_NAME STR(FAKE_NAME)
#endif
#ifndef FAKE_SYMBOL
#define FAKE_SYMBOL SYMBOL(FAKE_NAME)
#endif
#ifndef FAKE_CAPS
#define FAKE_CAPS 0u
#endif
/* The schemes it declares: its own name unless FAKE_SCHEMES says. */
#ifndef FAKE_SCHEMES
#define FAKE_SCHEMES STR(FAKE_NAME), NULL
#endif
#ifdef FAKE_SMALL
#define FAKE_SIZE ((uint32_t) offsetof(struct mbk_storage_plugin, put_begin))
#else
#define FAKE_SIZE ((uint32_t) sizeof(struct mbk_storage_plugin))
#endif

struct mbk_storage_store {
    /* "scheme text key=value,...": what open() was given. */
    char given[1024];
};

static struct mbk_storage_store *
fake_open(const struct mbk_storage_location *loc, struct mbk_error *err)
{
    struct mbk_storage_store *st = calloc(1, sizeof(*st));
    size_t used;
    size_t i;

    if (st == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", loc->text);
        return NULL;
    }
    used = (size_t) snprintf(st->given, sizeof(st->given), "%s %s",
                             loc->scheme, loc->text);
    for (i = 0; i < loc->noptions && used < sizeof(st->given); i++) {
        used += (size_t) snprintf(st->given + used, sizeof(st->given) - used,
                                  "%s%s=%s", i == 0 ? " " : ",",
                                  loc->options[i].key,
                                  loc->options[i].value);
    }
    return st;
}

static void
fake_close(struct mbk_storage_store *st)
{
    free(st);
}

static int
fake_list(struct mbk_storage_store *st, mbk_storage_list_fn fn, void *ud,
          struct mbk_error *err)
{
    struct mbk_storage_entry e = { "fake.json", 0, 0, NULL };

    fn(&e, ud);
    return 0;
}

/* "given.json" exists, its metadata what open() was given. */
static int
fake_stat(struct mbk_storage_store *st, const char *name,
          mbk_storage_list_fn fn, void *ud, struct mbk_error *err)
{
    struct mbk_storage_entry e = { name, 7, 0, st->given };

    if (strcmp(name, "given.json") != 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "fake plugin has no \"%s\"", name);
    }
    fn(&e, ud);
    return 0;
}

static struct mbk_storage_writer *
fake_put_begin(struct mbk_storage_store *st, const char *name, int64_t size,
               const char *meta_json, struct mbk_error *err)
{
    mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                     "fake plugin stores nothing (\"%s\")", name);
    return NULL;
}

static int
fake_put_write(struct mbk_storage_writer *w, const void *buf, size_t len,
               struct mbk_error *err)
{
    return -1;
}

#ifndef FAKE_NO_COMMIT
static int
fake_put_commit(struct mbk_storage_writer *w, struct mbk_error *err)
{
    return -1;
}
#endif

static void
fake_put_abort(struct mbk_storage_writer *w)
{
}

static struct mbk_storage_reader *
fake_get_open(struct mbk_storage_store *st, const char *name,
              struct mbk_error *err)
{
    mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                     "fake plugin has no \"%s\"", name);
    return NULL;
}

static ssize_t
fake_get_read(struct mbk_storage_reader *r, void *buf, size_t len,
              struct mbk_error *err)
{
    return -1;
}

static void
fake_get_close(struct mbk_storage_reader *r)
{
}

#ifndef FAKE_NO_SCHEMES
static const char *const fake_schemes[] = { FAKE_SCHEMES };
#endif

const struct mbk_storage_plugin FAKE_SYMBOL = {
    .abi = FAKE_ABI,
    .size = FAKE_SIZE,
    .name = FAKE_SELF_NAME,
    .caps = FAKE_CAPS,
#ifndef FAKE_NO_SCHEMES
    .schemes = fake_schemes,
#endif
    .open = fake_open,
    .close = fake_close,
    .list = fake_list,
    .stat = fake_stat,
    .put_begin = fake_put_begin,
    .put_write = fake_put_write,
#ifndef FAKE_NO_COMMIT
    .put_commit = fake_put_commit,
#endif
    .put_abort = fake_put_abort,
    .get_open = fake_get_open,
    .get_read = fake_get_read,
    .get_close = fake_get_close,
};
