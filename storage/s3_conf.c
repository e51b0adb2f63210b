/*
 * s3_conf.c: the S3 store's settings from its location, its options, the
 * environment (AWS_*) and the shared credentials file, in the order the
 * AWS tools read them: an option, then the environment, then the file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/s3_private.h"

static const char *
option(const struct mbk_storage_location *loc, const char *key)
{
    size_t i;

    for (i = 0; i < loc->noptions; i++) {
        if (loc->options[i].key != NULL
            && strcmp(loc->options[i].key, key) == 0) {
            return loc->options[i].value;
        }
    }
    return NULL;
}

static const char *
env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char) *s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && isspace((unsigned char) e[-1])) {
        *--e = '\0';
    }
    return s;
}

/* Read the keys of [profile] from an AWS credentials file (INI): named
 * (the option credentials_file: it must be there), else
 * AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials (absent: no keys). */
static int
credentials_file(struct mbk_storage_store *st, const char *named,
                 const char *profile, struct mbk_error *err)
{
    char path[4096];
    const char *file = named != NULL ? named
                                     : env("AWS_SHARED_CREDENTIALS_FILE");
    const char *home = env("HOME");
    char line[4096];
    int in = 0;
    int found = 0;
    FILE *f;

    if (file != NULL) {
        snprintf(path, sizeof(path), "%s", file);
    } else if (home != NULL) {
        snprintf(path, sizeof(path), "%s/.aws/credentials", home);
    } else {
        return 0;
    }
    f = fopen(path, "r");
    if (f == NULL && named != NULL) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 option credentials_file: cannot read "
                                "\"%s\": %s", path, strerror(errno));
    }
    if (f == NULL) {
        return 0; /* no file: no credentials from it */
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *l = trim(line);
        char *eq;
        char **slot = NULL;

        if (l[0] == '#' || l[0] == ';' || l[0] == '\0') {
            continue;
        }
        if (l[0] == '[') {
            char *close = strchr(l, ']');

            if (close != NULL) {
                *close = '\0';
                in = strcmp(trim(l + 1), profile) == 0;
                found |= in;
            }
            continue;
        }
        eq = strchr(l, '=');
        if (!in || eq == NULL) {
            continue;
        }
        *eq = '\0';
        l = trim(l);
        if (strcmp(l, "aws_access_key_id") == 0) {
            slot = &st->key_id;
        } else if (strcmp(l, "aws_secret_access_key") == 0) {
            slot = &st->secret;
        } else if (strcmp(l, "aws_session_token") == 0) {
            slot = &st->token;
        }
        if (slot != NULL) {
            free(*slot);
            *slot = strdup(trim(eq + 1));
        }
    }
    fclose(f);
    if (!found && (strcmp(profile, "default") != 0 || named != NULL)) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 profile \"%s\" is not in \"%s\"", profile,
                                path);
    }
    return 0;
}

static int
dup_into(char **slot, const char *v)
{
    if (v == NULL) {
        return 0;
    }
    free(*slot);
    *slot = strdup(v);
    return *slot == NULL ? -1 : 0;
}

/* "s3://bucket/prefix": bucket [a-z0-9.-], prefix [A-Za-z0-9._-/]. */
static int
parse_url(struct mbk_storage_store *st, const char *url,
          struct mbk_error *err)
{
    const char *b;
    const char *slash;
    size_t blen;
    size_t plen;
    size_t i;

    if (strncmp(url, "s3://", 5) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 location \"%s\" does not start with "
                                "s3://", url);
    }
    b = url + 5;
    slash = strchr(b, '/');
    blen = slash != NULL ? (size_t) (slash - b) : strlen(b);
    if (blen < 3 || blen > 63) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 location \"%s\": a bucket name has 3 to "
                                "63 characters", url);
    }
    for (i = 0; i < blen; i++) {
        char c = b[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
              || c == '-')) {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_EBADROOT,
                                    "S3 location \"%s\": the bucket name has "
                                    "'%c' (allowed: a-z 0-9 . -)", url, c);
        }
    }
    st->bucket = strndup(b, blen);
    plen = slash != NULL ? strlen(slash + 1) : 0;
    while (plen > 0 && slash[plen] == '/') {
        plen--; /* trailing slashes */
    }
    if (plen > 512) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 location \"%s\": the prefix is longer "
                                "than 512 bytes", url);
    }
    for (i = 0; i < plen; i++) {
        char c = slash[1 + i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
              || c == '/')
            || (c == '/' && (i == 0 || slash[i] == '/'))) {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_EBADROOT,
                                    "S3 location \"%s\": the prefix has '%c' "
                                    "at byte %zu (allowed: A-Z a-z 0-9 . _ - "
                                    "and single slashes)", url, c, i);
        }
    }
    st->prefix = malloc(plen + 2);
    if (st->bucket == NULL || st->prefix == NULL) {
        return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                "S3 location: out of memory");
    }
    memcpy(st->prefix, slash != NULL ? slash + 1 : "", plen);
    if (plen > 0) {
        st->prefix[plen++] = '/';
    }
    st->prefix[plen] = '\0';
    snprintf(st->location, sizeof(st->location), "s3://%s/%s", st->bucket,
             st->prefix);
    return 0;
}

/* A whole number option in [lo, hi], else def; -1 when malformed. */
static int
number(const char *v, long lo, long hi, long *out, const char *key,
       struct mbk_error *err)
{
    char *end;
    long n;

    if (v == NULL) {
        return 0;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 option %s=\"%s\" is not a number from %ld "
                                "to %ld", key, v, lo, hi);
    }
    *out = n;
    return 0;
}

static int
settings(struct mbk_storage_store *st, const struct mbk_storage_location *loc,
         struct mbk_error *err)
{
    const char *ep = option(loc, "endpoint");
    const char *style = option(loc, "addressing");
    const char *verify = option(loc, "tls_verify");
    const char *ca = option(loc, "ca_file");
    long part_mib = (long) (MBK_S3_PART_DEFAULT >> 20);
    long page = 1000;
    long age = 86400;
    long attempts = 8;
    char buf[300];

    if (ep == NULL) {
        ep = env("AWS_ENDPOINT_URL_S3");
    }
    if (ep == NULL) {
        ep = env("AWS_ENDPOINT_URL");
    }
    if (dup_into(&st->region, option(loc, "region")) != 0
        || (st->region == NULL
            && dup_into(&st->region, env("AWS_REGION")) != 0)
        || (st->region == NULL
            && dup_into(&st->region, env("AWS_DEFAULT_REGION")) != 0)
        || (st->region == NULL && dup_into(&st->region, "us-east-1") != 0)) {
        return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
    }
    if (ep == NULL) {
        snprintf(buf, sizeof(buf), "https://s3.%s.amazonaws.com", st->region);
        ep = buf;
    }
    if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 endpoint \"%s\" is not http:// or "
                                "https://", ep);
    }
    st->endpoint = strdup(ep);
    if (st->endpoint == NULL) {
        return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
    }
    while (st->endpoint[0] != '\0'
           && st->endpoint[strlen(st->endpoint) - 1] == '/') {
        st->endpoint[strlen(st->endpoint) - 1] = '\0';
    }
    /* AWS itself: virtual-host style; another endpoint: path style
     * (MinIO and Ceph answer it without DNS set-up). */
    st->virtual_host = ep == buf;
    if (style != NULL) {
        if (strcmp(style, "path") == 0) {
            st->virtual_host = 0;
        } else if (strcmp(style, "virtual") == 0) {
            st->virtual_host = 1;
        } else {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_EBADROOT,
                                    "S3 option addressing=\"%s\": write path "
                                    "or virtual", style);
        }
    }
    st->tls_verify = 1;
    if (verify != NULL) {
        if (strcmp(verify, "no") == 0) {
            st->tls_verify = 0;
        } else if (strcmp(verify, "yes") != 0) {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_EBADROOT,
                                    "S3 option tls_verify=\"%s\": write yes "
                                    "or no", verify);
        }
    }
    if (ca != NULL && access(ca, R_OK) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 option ca_file: cannot read \"%s\": %s",
                                ca, strerror(errno));
    }
    if (dup_into(&st->ca_file, ca) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
    }
    if (number(option(loc, "part_size_mib"), MBK_S3_PART_MIN >> 20,
               MBK_S3_PART_MAX >> 20, &part_mib, "part_size_mib", err) != 0
        || number(option(loc, "list_page"), 1, 1000, &page, "list_page",
                  err) != 0
        || number(option(loc, "stale_upload_age"), 0, 365L * 86400, &age,
                  "stale_upload_age", err) != 0
        || number(option(loc, "max_attempts"), 1, 20, &attempts,
                  "max_attempts", err) != 0) {
        return -1;
    }
    st->part_size = (size_t) part_mib << 20;
    st->list_page = (unsigned) page;
    st->stale_age = age;
    st->max_attempts = (unsigned) attempts;
    return 0;
}

static int
credentials(struct mbk_storage_store *st,
            const struct mbk_storage_location *loc, struct mbk_error *err)
{
    const char *id = option(loc, "access_key_id");
    const char *secret = option(loc, "secret_access_key");
    const char *profile = option(loc, "profile");
    const char *file = option(loc, "credentials_file");

    if ((id != NULL || secret != NULL) && file != NULL) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "S3 options: give either access_key_id and "
                                "secret_access_key or credentials_file, not "
                                "both");
    }
    if (id != NULL || secret != NULL) {
        if (dup_into(&st->key_id, id) != 0
            || dup_into(&st->secret, secret) != 0
            || dup_into(&st->token, option(loc, "session_token")) != 0) {
            return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                    "out of memory");
        }
    } else if (profile == NULL && file == NULL
               && env("AWS_ACCESS_KEY_ID") != NULL) {
        if (dup_into(&st->key_id, env("AWS_ACCESS_KEY_ID")) != 0
            || dup_into(&st->secret, env("AWS_SECRET_ACCESS_KEY")) != 0
            || dup_into(&st->token, env("AWS_SESSION_TOKEN")) != 0) {
            return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                    "out of memory");
        }
    } else {
        if (profile == NULL) {
            profile = env("AWS_PROFILE");
        }
        if (credentials_file(st, file,
                             profile != NULL ? profile : "default",
                             err) != 0) {
            return -1;
        }
    }
    if (st->key_id == NULL || st->secret == NULL || st->key_id[0] == '\0') {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "no S3 credentials for %s: set the options "
                                "access_key_id and secret_access_key, or "
                                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                "or a profile in ~/.aws/credentials",
                                st->location);
    }
    return 0;
}

struct mbk_storage_store *
mbk_s3_conf_open(const struct mbk_storage_location *loc,
                 struct mbk_error *err)
{
    struct mbk_storage_store *st = calloc(1, sizeof(*st));
    size_t n;

    if (st == NULL) {
        mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&st->mu, NULL);
    st->budget = 500;
    if (parse_url(st, loc->text, err) != 0 || settings(st, loc, err) != 0
        || credentials(st, loc, err) != 0) {
        mbk_s3_conf_free(st);
        return NULL;
    }
    n = strlen(st->region) + 16;
    st->sigv4 = malloc(n);
    if (st->sigv4 == NULL) {
        mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
        mbk_s3_conf_free(st);
        return NULL;
    }
    snprintf(st->sigv4, n, "aws:amz:%s:s3", st->region);
    return st;
}

static void
wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void
mbk_s3_conf_free(struct mbk_storage_store *st)
{
    if (st == NULL) {
        return;
    }
    free(st->bucket);
    free(st->prefix);
    free(st->endpoint);
    free(st->region);
    free(st->ca_file);
    free(st->key_id);
    wipe_free(st->secret);
    wipe_free(st->token);
    free(st->sigv4);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

void
mbk_s3_host_name(char *host, size_t cap)
{
    size_t i;

    memset(host, 0, cap);
    gethostname(host, cap - 1);
    for (i = 0; host[i] != '\0'; i++) {
        char c = host[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-')) {
            host[i] = '_';
        }
    }
}
