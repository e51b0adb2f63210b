/*
 * test_s3.c: what only the s3 plugin has, against a real Ceph RADOS
 * Gateway (run under tests/s3/with-rgw, which sets AWS_* and
 * MBK_TEST_S3_BUCKET): a backup of more than three parts, 1,000 backups
 * listed over pages, a killed writer's upload aborted by the next open,
 * a server failing every third request, a wrong secret, a missing bucket,
 * the shared credentials file.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/loader.h"

#define MIB (1024 * 1024)

static const char *plugin_dir;
static const char *bucket;
static char prefix[64]; /* this test's own, under the bucket */

static void
new_prefix(const char *what)
{
    static unsigned n;

    snprintf(prefix, sizeof(prefix), "%s-%ld-%u", what, (long) getpid(), n++);
}

static struct mbk_storage *
open_with(const struct mbk_storage_option *opts, size_t nopts,
          const char *bkt, struct mbk_error *err)
{
    char spec[256];

    snprintf(spec, sizeof(spec), "s3://%s/%s", bkt, prefix);
    return mbk_storage_open_options(spec, opts, nopts, plugin_dir, err);
}

static void
pattern(unsigned char *buf, size_t len, unsigned seed, uint64_t off)
{
    size_t i;

    for (i = 0; i < len; i++) {
        uint64_t o = off + i;

        buf[i] = (unsigned char) (seed * 131u + o * 7u + (o >> 9));
    }
}

static int
put(struct mbk_storage *s, const char *name, size_t total, unsigned seed,
    struct mbk_error *err)
{
    static unsigned char buf[MIB + 7];
    struct mbk_storage_writer *w;
    size_t off = 0;

    w = mbk_storage_put_begin(s, name, (int64_t) total, NULL, err);
    if (w == NULL) {
        return -1;
    }
    while (off < total) {
        size_t n = total - off < sizeof(buf) ? total - off : sizeof(buf);

        pattern(buf, n, seed, off);
        if (mbk_storage_put_write(s, w, buf, n, err) != 0) {
            mbk_storage_put_abort(s, w);
            return -1;
        }
        off += n;
    }
    return mbk_storage_put_commit(s, w, err);
}

static void
get_matches(struct mbk_storage *s, const char *name, size_t total,
            unsigned seed)
{
    static unsigned char buf[100003];
    static unsigned char want[100003];
    struct mbk_storage_reader *r;
    struct mbk_error err;
    uint64_t off = 0;
    ssize_t n;

    r = mbk_storage_get_open(s, name, &err);
    if (r == NULL) {
        fail_msg("get_open %s: %s", name, err.message);
    }
    while ((n = mbk_storage_get_read(s, r, buf, sizeof(buf), &err)) > 0) {
        pattern(want, (size_t) n, seed, off);
        assert_memory_equal(buf, want, (size_t) n);
        off += (uint64_t) n;
    }
    if (n < 0) {
        fail_msg("get_read %s: %s", name, err.message);
    }
    mbk_storage_get_close(s, r);
    assert_int_equal(off, total);
}

struct count {
    int n;
    uint64_t bytes;
};

static int
counted(const struct mbk_storage_entry *e, void *ud)
{
    struct count *c = ud;

    c->n++;
    c->bytes += e->size;
    return 0;
}

static struct count
list_count(struct mbk_storage *s)
{
    struct count c = { 0, 0 };
    struct mbk_error err;

    if (mbk_storage_list(s, counted, &c, &err) != 0) {
        fail_msg("list: %s", err.message);
    }
    return c;
}

/* Incomplete uploads under this test's prefix, asked with curl. */
static int
uploads_left(void)
{
    char cmd[1024];
    char line[4096];
    int n = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "curl -sS --fail --aws-sigv4 \"aws:amz:$AWS_REGION:s3\" "
             "--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" "
             "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "
             "\"$AWS_ENDPOINT_URL/%s?prefix=%s%%2F&uploads=\"", bucket,
             prefix);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p) != NULL) {
        const char *c = line;

        while ((c = strstr(c, "<Upload>")) != NULL) {
            n++;
            c++;
        }
    }
    assert_int_equal(pclose(p), 0); /* curl itself must have worked */
    return n;
}

static void
test_s3_more_than_three_parts(void **state)
{
    const struct mbk_storage_option o[] = { { "part_size_mib", "5" } };
    size_t total = 3 * 5 * MIB + 1234567; /* four parts, the last short */
    struct mbk_error err;
    struct mbk_storage *s;
    struct count c;

    (void) state;
    new_prefix("parts");
    s = open_with(o, 1, bucket, &err);
    if (s == NULL) {
        fail_msg("open: %s", err.message);
    }
    if (put(s, "big.json.gz", total, 3, &err) != 0) {
        fail_msg("put: %s", err.message);
    }
    c = list_count(s);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.bytes, total);
    get_matches(s, "big.json.gz", total, 3);
    assert_int_equal(uploads_left(), 0);
    mbk_storage_close(s);
}

static void
test_s3_thousand_listed_over_pages(void **state)
{
    const struct mbk_storage_option o[] = { { "list_page", "100" } };
    struct mbk_error err;
    struct mbk_storage *s;
    struct count c;
    char name[64];
    int i;

    (void) state;
    new_prefix("many");
    s = open_with(o, 1, bucket, &err);
    if (s == NULL) {
        fail_msg("open: %s", err.message);
    }
    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "b%04d.json", i);
        if (put(s, name, (size_t) (i % 7), (unsigned) i, &err) != 0) {
            fail_msg("put %s: %s", name, err.message);
        }
    }
    c = list_count(s);
    assert_int_equal(c.n, 1000);
    assert_int_equal(c.bytes, 2997); /* sum of i % 7 */
    mbk_storage_close(s);
}

static void
test_s3_killed_writer_cleaned_at_open(void **state)
{
    struct mbk_error err;
    struct mbk_storage *s;
    int status;
    pid_t pid;

    (void) state;
    new_prefix("killed");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const struct mbk_storage_option o[] = { { "part_size_mib", "5" } };
        struct mbk_storage *c;

        /* It stops itself once its first part is in the store. */
        setenv("MBK_TEST_STOP_AT", "storage-put-write", 1);
        c = open_with(o, 1, bucket, NULL);
        if (c == NULL || put(c, "killed.json", 7 * MIB, 1, NULL) != 0) {
            _exit(1);
        }
        _exit(2); /* finished: it was not stopped */
    }
    assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
    if (!WIFSTOPPED(status)) {
        fail_msg("the writer ended (status 0x%x) before its first part",
                 status);
    }
    assert_int_equal(uploads_left(), 1); /* a part, not published */
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    s = open_with(NULL, 0, bucket, &err); /* the next open */
    if (s == NULL) {
        fail_msg("open: %s", err.message);
    }
    assert_int_equal(uploads_left(), 0);
    assert_int_equal(list_count(s).n, 0);
    /* A live writer's upload survives another open. */
    {
        const struct mbk_storage_option o[] = { { "part_size_mib", "5" } };
        static unsigned char buf[6 * MIB];
        struct mbk_storage_writer *w;
        struct mbk_storage *s2;

        mbk_storage_close(s);
        s = open_with(o, 1, bucket, &err);
        assert_non_null(s);
        w = mbk_storage_put_begin(s, "live.json", 6 * MIB, NULL, &err);
        assert_non_null(w);
        pattern(buf, sizeof(buf), 4, 0);
        assert_int_equal(mbk_storage_put_write(s, w, buf, sizeof(buf), &err),
                         0);
        assert_int_equal(uploads_left(), 1);
        s2 = open_with(NULL, 0, bucket, &err);
        assert_non_null(s2);
        assert_int_equal(uploads_left(), 1);
        mbk_storage_close(s2);
        if (mbk_storage_put_commit(s, w, &err) != 0) {
            fail_msg("commit: %s", err.message);
        }
        get_matches(s, "live.json", 6 * MIB, 4);
    }
    assert_int_equal(uploads_left(), 0);
    mbk_storage_close(s);
}

static void
test_s3_every_third_request_fails(void **state)
{
    char dir[] = "/tmp/mbk-proxy-XXXXXX";
    char cmd[2048];
    char url[64];
    char path[256];
    const char *src = getenv("MBK_SRCDIR");
    struct mbk_storage_option o[2] = { { "part_size_mib", "5" },
                                       { "endpoint", url } };
    struct mbk_error err;
    struct mbk_storage *s;
    time_t deadline;
    FILE *f;
    int port = 0;
    int pid = 0;
    int faults = 0;

    (void) state;
    new_prefix("faults");
    assert_non_null(src);
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd),
             "python3 '%s/tests/s3/faultproxy.py' --upstream "
             "\"$AWS_ENDPOINT_URL\" --every 3 --port-file '%s/port' "
             "--pid-file '%s/pid' > /dev/null 2> '%s/log' &", src, dir, dir,
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/pid", dir);
    deadline = time(NULL) + 120;
    while (port == 0 && time(NULL) < deadline) {
        snprintf(path, sizeof(path), "%s/port", dir);
        f = fopen(path, "r");
        if (f != NULL) {
            if (fscanf(f, "%d", &port) != 1) {
                port = 0;
            }
            fclose(f);
        }
        if (port == 0) {
            struct timespec ts = { 0, 50 * 1000 * 1000 };

            nanosleep(&ts, NULL); /* polling for the condition */
        }
    }
    assert_true(port > 0);
    snprintf(path, sizeof(path), "%s/pid", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);

    s = open_with(o, 2, bucket, &err);
    if (s == NULL) {
        kill(pid, SIGTERM);
        fail_msg("open through the proxy: %s", err.message);
    }
    if (put(s, "f1.json", 11 * MIB, 5, &err) != 0
        || put(s, "f2.json", 1000, 6, &err) != 0) {
        kill(pid, SIGTERM);
        fail_msg("put through the proxy: %s", err.message);
    }
    assert_int_equal(list_count(s).n, 2);
    get_matches(s, "f1.json", 11 * MIB, 5);
    get_matches(s, "f2.json", 1000, 6);
    assert_int_equal(mbk_storage_remove(s, "f2.json", &err), 0);
    assert_int_equal(list_count(s).n, 1);
    mbk_storage_close(s);
    kill(pid, SIGTERM);

    snprintf(path, sizeof(path), "%s/log", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(cmd, sizeof(cmd), f) != NULL) {
        faults += strstr(cmd, "-> 503") != NULL;
    }
    fclose(f);
    assert_true(faults >= 10); /* the proxy did fail requests */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void
test_s3_wrong_secret(void **state)
{
    const struct mbk_storage_option o[] = {
        { "access_key_id", getenv("AWS_ACCESS_KEY_ID") },
        { "secret_access_key", "Wr0ngSecretValue" },
    };
    struct mbk_error err;

    (void) state;
    new_prefix("secret");
    assert_null(open_with(o, 2, bucket, &err));
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_EREFUSED);
    assert_non_null(strstr(err.message, "SignatureDoesNotMatch"));
    assert_non_null(strstr(err.message, "the secret access key is wrong"));
    assert_non_null(strstr(err.message, bucket));
    assert_null(strstr(err.message, "Wr0ngSecretValue"));
    assert_null(strstr(err.message, getenv("AWS_SECRET_ACCESS_KEY")));
}

static void
test_s3_missing_bucket(void **state)
{
    struct mbk_error err;

    (void) state;
    new_prefix("nobucket");
    assert_null(open_with(NULL, 0, "no-such-bucket-mbk", &err));
    assert_int_equal(err.code, MBK_STORAGE_EREFUSED);
    assert_non_null(strstr(err.message, "bucket \"no-such-bucket-mbk\""));
    assert_non_null(strstr(err.message, "NoSuchBucket"));
    assert_non_null(strstr(err.message, "the bucket does not exist"));
}

static void
test_s3_credentials_file(void **state)
{
    char file[] = "/tmp/mbk-cred-XXXXXX";
    const struct mbk_storage_option good[] = { { "profile", "mbkt" } };
    const struct mbk_storage_option bad[] = { { "profile", "absent" } };
    struct mbk_error err;
    struct mbk_storage *s;
    FILE *f;
    int fd;

    (void) state;
    new_prefix("cred");
    fd = mkstemp(file);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "[default]\naws_access_key_id = nobody\n"
               "aws_secret_access_key = nothing\n\n[mbkt]\n"
               "aws_access_key_id = %s\naws_secret_access_key = %s\n",
            getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"));
    fclose(f);
    setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
    s = open_with(good, 1, bucket, &err);
    if (s == NULL) {
        unlink(file);
        fail_msg("open with the profile: %s", err.message);
    }
    mbk_storage_close(s);
    assert_null(open_with(bad, 1, bucket, &err));
    assert_non_null(strstr(err.message, "profile \"absent\" is not in"));
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unlink(file);
}

/* Open with opts, put name (size bytes of pattern seed), see it listed
 * alone and read it back; the store stays open for the caller. */
static struct mbk_storage *
round_trip(const struct mbk_storage_option *opts, size_t nopts,
           const char *name, size_t size, unsigned seed, const char *what)
{
    struct mbk_error err;
    struct mbk_storage *s = open_with(opts, nopts, bucket, &err);

    if (s == NULL) {
        fail_msg("open %s: %s", what, err.message);
    }
    if (put(s, name, size, seed, &err) != 0) {
        fail_msg("put %s: %s", what, err.message);
    }
    assert_int_equal(list_count(s).n, 1);
    get_matches(s, name, size, seed);
    return s;
}

/* The option credentials_file= (the service's way to keep keys out of
 * its configuration): its profile, a missing file, not with inline keys. */
static void
test_s3_credentials_file_option(void **state)
{
    char file[] = "/tmp/mbk-cred-XXXXXX";
    const struct mbk_storage_option good[] = { { "credentials_file", file },
                                               { "profile", "svc" } };
    const struct mbk_storage_option missing[] = {
        { "credentials_file", "/nonexistent/mbk-credentials" } };
    const struct mbk_storage_option both[] = {
        { "credentials_file", file },
        { "access_key_id", getenv("AWS_ACCESS_KEY_ID") } };
    struct mbk_error err;
    struct mbk_storage *s;
    FILE *f;
    int fd;

    (void) state;
    new_prefix("credopt");
    fd = mkstemp(file);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "[svc]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
            getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"));
    fclose(f);
    s = open_with(good, 2, bucket, &err);
    unlink(file);
    if (s == NULL) {
        fail_msg("open with credentials_file: %s", err.message);
    }
    mbk_storage_close(s);
    assert_null(open_with(missing, 1, bucket, &err));
    assert_non_null(strstr(err.message, "credentials_file: cannot read "
                                        "\"/nonexistent/mbk-credentials\""));
    assert_null(open_with(both, 2, bucket, &err));
    assert_non_null(strstr(err.message, "not both"));
}

/* TLS (tests/s3/test_plugin.sh starts the gateway with RGW_CLUSTER_TLS=1:
 * HTTPS with a certificate from a CA of its own): verified by default, so
 * the unknown CA fails with its message; ca_file= trusts it; a missing
 * ca_file is named. */
static void
test_s3_tls(void **state)
{
    const char *url = getenv("MBK_TEST_S3_TLS_URL");
    const char *ca = getenv("MBK_TEST_S3_CA_FILE");
    struct mbk_storage_option o[2] = { { "endpoint", url },
                                       { "ca_file", ca } };
    struct mbk_error err;
    struct mbk_storage *s;

    (void) state;
    if (url == NULL || ca == NULL) {
        fail_msg("MBK_TEST_S3_TLS_URL and MBK_TEST_S3_CA_FILE are unset "
                 "(run through tests/s3/test_plugin.sh)");
    }
    new_prefix("tls");
    assert_null(open_with(o, 1, bucket, &err));
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_non_null(strstr(err.message, url));
    assert_non_null(strstr(err.message, "certificate"));
    assert_non_null(strstr(err.message, "give its CA with the option "
                                        "ca_file="));
    s = round_trip(o, 2, "t.json", 6 * MIB + 5, 9, "over TLS with ca_file");
    mbk_storage_close(s);
    o[1].value = "/nonexistent/ca.pem";
    assert_null(open_with(o, 2, bucket, &err));
    assert_non_null(strstr(err.message, "ca_file: cannot read"));
}

/* Temporary keys with a session token (tests/s3/test_plugin.sh starts
 * the gateway with RGW_CLUSTER_STS=1: AssumeRole on its STS): a backup of
 * two parts goes and comes back; without the token, or with a wrong one,
 * the open fails with S3's answer and neither secret nor token shows. */
static void
test_s3_session_token(void **state)
{
    const char *id = getenv("MBK_TEST_S3_STS_KEY_ID");
    const char *secret = getenv("MBK_TEST_S3_STS_SECRET");
    const char *token = getenv("MBK_TEST_S3_STS_TOKEN");
    char wrong[4096];
    struct mbk_storage_option o[3] = { { "access_key_id", id },
                                       { "secret_access_key", secret },
                                       { "session_token", token } };
    struct mbk_error err;
    struct mbk_storage *s;

    (void) state;
    if (id == NULL || secret == NULL || token == NULL) {
        fail_msg("MBK_TEST_S3_STS_* are unset (run through "
                 "tests/s3/test_plugin.sh)");
    }
    new_prefix("sts");
    s = round_trip(o, 3, "s.json", 5 * MIB + 77, 3, "with the session token");
    assert_int_equal(mbk_storage_remove(s, "s.json", &err), 0);
    mbk_storage_close(s);

    assert_null(open_with(o, 2, bucket, &err));
    assert_non_null(strstr(err.message, "HTTP 403"));
    assert_null(strstr(err.message, secret));
    snprintf(wrong, sizeof(wrong), "%s", token);
    wrong[strlen(wrong) / 2] = wrong[strlen(wrong) / 2] == 'A' ? 'B' : 'A';
    o[2].value = wrong;
    assert_null(open_with(o, 3, bucket, &err));
    assert_non_null(strstr(err.message, "HTTP 4"));
    assert_null(strstr(err.message, wrong));
    assert_null(strstr(err.message, secret));
}

static void
test_s3_virtual_host_addressing(void **state)
{
    const char *e = getenv("AWS_ENDPOINT_URL");
    const char *port = strrchr(e, ':');
    char ep[128];
    const struct mbk_storage_option o[] = { { "addressing", "virtual" },
                                            { "endpoint", ep } };
    struct mbk_storage *s;

    (void) state;
    new_prefix("vhost");
    /* The gateway's "rgw dns name" is localhost: BUCKET.localhost:PORT. */
    snprintf(ep, sizeof(ep), "http://localhost%s", port);
    s = round_trip(o, 2, "v.json", 70000, 8, "virtual-host");
    mbk_storage_close(s);
}

int
main(void)
{
    /* test_plugin.sh runs the session token's case alone against a
     * second gateway with STS on (STS changes the answer to a wrong
     * secret), and the others without it. */
    const char *only = getenv("MBK_TEST_S3_ONLY");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_wrong_secret),
        cmocka_unit_test(test_s3_missing_bucket),
        cmocka_unit_test(test_s3_credentials_file),
        cmocka_unit_test(test_s3_credentials_file_option),
        cmocka_unit_test(test_s3_tls),
        cmocka_unit_test(test_s3_session_token),
        cmocka_unit_test(test_s3_virtual_host_addressing),
        cmocka_unit_test(test_s3_more_than_three_parts),
        cmocka_unit_test(test_s3_killed_writer_cleaned_at_open),
        cmocka_unit_test(test_s3_every_third_request_fails),
        cmocka_unit_test(test_s3_thousand_listed_over_pages),
    };

    plugin_dir = getenv("MBK_TEST_PLUGIN_DIR");
    bucket = getenv("MBK_TEST_S3_BUCKET");
    if (plugin_dir == NULL || bucket == NULL
        || getenv("AWS_ENDPOINT_URL") == NULL) {
        fprintf(stderr, "SKIP: run under tests/s3/with-rgw through make "
                        "check (MBK_TEST_PLUGIN_DIR, MBK_TEST_S3_BUCKET, "
                        "AWS_ENDPOINT_URL)\n");
        return 77;
    }
    if (only != NULL) {
        cmocka_set_test_filter(only);
    } else {
        cmocka_set_skip_filter("test_s3_session_token");
    }
    return cmocka_run_group_tests_name("s3 plugin", tests, NULL, NULL);
}
