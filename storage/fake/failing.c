/*
 * failing.c: test-only plugin "failing": the fs plugin (compiled in, its
 * symbol renamed) whose Nth put_write, get_read or put_commit fails, N from
 * MBK_FAILING_WRITE, _READ, _COMMIT at open (1-based; unset: never).
 */
#define mbk_storage_fs_plugin failing_fs_inner
#include "storage/fs.c"
#undef mbk_storage_fs_plugin

#define FAILING_MSG "failing plugin: injected %s failure (call %ld, %s=%ld)"

/* Counters and limits of the store opened last (tests open one). */
static long limit_write;
static long limit_read;
static long limit_commit;
static long calls_write;
static long calls_read;
static long calls_commit;

static long
env_limit(const char *var)
{
    const char *v = getenv(var);

    return v == NULL ? 0 : strtol(v, NULL, 10);
}

/* -1 with the injected error when this call is the Nth. */
static int
inject(long *calls, long limit, const char *what, const char *var,
       struct mbk_error *err)
{
    long n = __atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);

    if (limit > 0 && n == limit) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                FAILING_MSG, what, n, var, limit);
    }
    return 0;
}

static struct mbk_storage_store *
failing_open(const struct mbk_storage_location *loc, struct mbk_error *err)
{
    limit_write = env_limit("MBK_FAILING_WRITE");
    limit_read = env_limit("MBK_FAILING_READ");
    limit_commit = env_limit("MBK_FAILING_COMMIT");
    __atomic_store_n(&calls_write, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&calls_read, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&calls_commit, 0, __ATOMIC_SEQ_CST);
    return fs_open(loc, err);
}

static int
failing_put_write(struct mbk_storage_writer *w, const void *buf, size_t len,
                  struct mbk_error *err)
{
    if (inject(&calls_write, limit_write, "write", "MBK_FAILING_WRITE",
               err) != 0) {
        return -1;
    }
    return fs_put_write(w, buf, len, err);
}

static int
failing_put_commit(struct mbk_storage_writer *w, struct mbk_error *err)
{
    if (inject(&calls_commit, limit_commit, "commit", "MBK_FAILING_COMMIT",
               err) != 0) {
        fs_put_abort(w); /* commit frees the writer, success or not */
        return -1;
    }
    return fs_put_commit(w, err);
}

static ssize_t
failing_get_read(struct mbk_storage_reader *r, void *buf, size_t len,
                 struct mbk_error *err)
{
    if (inject(&calls_read, limit_read, "read", "MBK_FAILING_READ", err) !=
        0) {
        return -1;
    }
    return fs_get_read(r, buf, len, err);
}

static const char *const failing_schemes[] = { "failing", NULL };

/* No CAP_LOCAL_PATH: every byte goes through get_read. */
const struct mbk_storage_plugin mbk_storage_failing_plugin = {
    .abi = MBK_STORAGE_ABI,
    .size = sizeof(struct mbk_storage_plugin),
    .name = "failing",
    .caps = MBK_STORAGE_CAP_REMOVE,
    .schemes = failing_schemes,
    .open = failing_open,
    .close = fs_close,
    .list = fs_list,
    .stat = fs_stat,
    .put_begin = fs_put_begin,
    .put_write = failing_put_write,
    .put_commit = failing_put_commit,
    .put_abort = fs_put_abort,
    .get_open = fs_get_open,
    .get_read = failing_get_read,
    .get_close = fs_get_close,
    .remove = fs_remove,
};
