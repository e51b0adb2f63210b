/*
 * storages.c: the responder's list of storages: `storage = NAME LOCATION
 * [key=value ...]` lines (and the legacy storage_fs / storage_tar aliases),
 * opening each through the loader (a storage whose remote service fails
 * is kept unavailable and opened again on use, with backoff), and finding
 * one by the name a request gives.  Callers test capabilities, never
 * plugin names.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcgi/app.h"

int
mbk_fcgi_check_storage_name(const char *s, struct mbk_error *err)
{
    size_t n = strlen(s);

    if (n == 0 || n > MBK_FCGI_STORAGE_NAME_MAX ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        return mbk_fcgi_http_error(err, 400, "a storage name is 1 to %d of "
                                   "a-z 0-9 _ -", MBK_FCGI_STORAGE_NAME_MAX);
    }
    return 0;
}

static void
conf_clear(struct mbk_fcgi_storage_conf *s)
{
    free(s->name);
    free(s->location);
    for (size_t i = 0; i < s->noptions; i++) {
        free((char *)s->options[i].key);
        free((char *)s->options[i].value);
    }
    free(s->options);
    free(s->x_accel);
    memset(s, 0, sizeof(*s));
}

void
mbk_fcgi_storage_conf_free(struct mbk_fcgi_config *c)
{
    for (size_t i = 0; i < c->nstorages; i++) {
        conf_clear(&c->storages[i]);
    }
    free(c->storages);
    c->storages = NULL;
    c->nstorages = 0;
}

static int
nomem(struct mbk_error *err, const char *where)
{
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                         "%s: out of memory", where);
}

/* One key=value word into s: the value is never put in a message. */
static int
add_option(struct mbk_fcgi_storage_conf *s, const char *word,
           const char *where, struct mbk_error *err)
{
    const char *eq = strchr(word, '=');
    struct mbk_storage_option *v;
    size_t klen = eq != NULL ? (size_t)(eq - word) : 0;

    if (eq == NULL || klen == 0 || klen > 64 ||
        strspn(word, "abcdefghijklmnopqrstuvwxyz0123456789_") != klen) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "%s: storage \"%s\": option %zu is not "
                             "key=value with a key of a-z 0-9 _",
                             where, s->name, s->noptions + 1);
    }
    for (size_t i = 0; i < s->noptions; i++) {
        if (strncmp(s->options[i].key, word, klen) == 0 &&
            s->options[i].key[klen] == '\0') {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "%s: storage \"%s\": option \"%.*s\" given "
                                 "twice", where, s->name, (int)klen, word);
        }
    }
    if (klen == 7 && strncmp(word, "x_accel", 7) == 0) {
        if (s->x_accel != NULL || eq[1] != '/') {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "%s: storage \"%s\": x_accel must be given "
                                 "once, as an absolute URI path", where,
                                 s->name);
        }
        s->x_accel = strdup(eq + 1);
        return s->x_accel != NULL ? 0 : nomem(err, where);
    }
    v = realloc(s->options, (s->noptions + 1) * sizeof(*v));
    if (v == NULL) {
        return nomem(err, where);
    }
    s->options = v;
    v[s->noptions].key = strndup(word, klen);
    v[s->noptions].value = strdup(eq + 1);
    if (v[s->noptions].key == NULL || v[s->noptions].value == NULL) {
        free((char *)v[s->noptions].key);
        free((char *)v[s->noptions].value);
        return nomem(err, where);
    }
    s->noptions++;
    return 0;
}

int
mbk_fcgi_storage_conf_add(struct mbk_fcgi_config *c, const char *line,
                          const char *where, struct mbk_error *err)
{
    struct mbk_fcgi_storage_conf s;
    struct mbk_fcgi_storage_conf *v;
    char *copy = strdup(line);
    char *save = NULL;
    char *word;
    int rc = -1;

    memset(&s, 0, sizeof(s));
    if (copy == NULL) {
        return nomem(err, where);
    }
    word = strtok_r(copy, " \t", &save);
    if (word == NULL || mbk_fcgi_check_storage_name(word, NULL) != 0) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                      "%s: storage: expected NAME LOCATION [key=value ...], "
                      "NAME of 1 to %d a-z 0-9 _ -", where,
                      MBK_FCGI_STORAGE_NAME_MAX);
        goto out;
    }
    for (size_t i = 0; i < c->nstorages; i++) {
        if (strcmp(c->storages[i].name, word) == 0) {
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                          "%s: storage \"%s\" is defined twice", where, word);
            goto out;
        }
    }
    s.name = strdup(word);
    word = strtok_r(NULL, " \t", &save);
    if (s.name == NULL) {
        nomem(err, where);
        goto out;
    }
    if (word == NULL || strchr(word, ':') == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                      "%s: storage \"%s\": expected a location such as "
                      "fs:/DIR, tar:/FILE or s3://bucket/prefix", where,
                      s.name);
        goto out;
    }
    s.location = strdup(word);
    if (s.location == NULL) {
        nomem(err, where);
        goto out;
    }
    while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
        if (add_option(&s, word, where, err) != 0) {
            goto out;
        }
    }
    v = realloc(c->storages, (c->nstorages + 1) * sizeof(*v));
    if (v == NULL) {
        nomem(err, where);
        goto out;
    }
    c->storages = v;
    v[c->nstorages++] = s;
    memset(&s, 0, sizeof(s));
    rc = 0;
out:
    conf_clear(&s);
    free(copy);
    return rc;
}

/* MBK_FCGI_STORAGE: lines that replace the file's list. */
static int
from_environment(struct mbk_fcgi_config *c, struct mbk_error *err)
{
    const char *env = getenv("MBK_FCGI_STORAGE");
    char *copy;
    char *save = NULL;
    int rc = 0;

    if (env == NULL) {
        return 0;
    }
    copy = strdup(env);
    if (copy == NULL) {
        return nomem(err, "MBK_FCGI_STORAGE");
    }
    mbk_fcgi_storage_conf_free(c);
    for (char *l = strtok_r(copy, "\n", &save); rc == 0 && l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        while (isspace((unsigned char)*l)) {
            l++;
        }
        if (*l != '\0') {
            rc = mbk_fcgi_storage_conf_add(c, l, "MBK_FCGI_STORAGE", err);
        }
    }
    free(copy);
    return rc;
}

/* The legacy keys, one release more: storage_fs = DIR is `storage = fs
 * fs:DIR`, storage_tar = FILE is `storage = tar tar:FILE`. */
static int
alias(struct mbk_fcgi_config *c, const char *key, const char *name,
      const char *value, struct mbk_error *err)
{
    char *line;
    int rc;

    if (value == NULL) {
        return 0;
    }
    if (asprintf(&line, "%s %s:%s", name, name, value) < 0) {
        return nomem(err, key);
    }
    rc = mbk_fcgi_storage_conf_add(c, line, key, err);
    free(line);
    return rc;
}

int
mbk_fcgi_storage_conf_finish(struct mbk_fcgi_config *c, struct mbk_error *err)
{
    if (from_environment(c, err) != 0 ||
        alias(c, "storage_fs", "fs", c->storage_fs, err) != 0 ||
        alias(c, "storage_tar", "tar", c->storage_tar, err) != 0) {
        return -1;
    }
    return 0;
}

/* ---- opening, and opening again --------------------------------------- */

/* What fcgi/storages.c remembers of a storage's attempts to open. */
struct mbk_fcgi_storage_state {
    pthread_mutex_t lock;
    bool opening;            /* a thread is trying now */
    unsigned failures;       /* attempts failed in a row */
    time_t next_try;         /* monotonic seconds: the next attempt */
    struct mbk_error reason; /* the last failure, message scrubbed */
};

static time_t
now_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* A failure of the remote service a storage stands for: the storage is
 * kept and opened again later.  Anything else can never work. */
static bool
remote_failure(const struct mbk_error *e)
{
    return e->domain == MBK_ERROR_STORAGE &&
           (e->code == MBK_STORAGE_EUNAVAIL ||
            e->code == MBK_STORAGE_EREFUSED);
}

/* Open s's store and choose its X-Accel prefix. */
static int
open_one(const struct mbk_fcgi_app *app, const struct mbk_fcgi_storage *s,
         struct mbk_storage **out, const char **x_accel,
         struct mbk_error *err)
{
    const struct mbk_fcgi_config *c = &app->cfg;
    const struct mbk_fcgi_storage_conf *sc = s->conf;
    struct mbk_storage *st;
    uint32_t caps;
    bool local_dir;
    const char *x = sc->x_accel;

    st = mbk_storage_open_options(sc->location, sc->options, sc->noptions,
                                  c->plugin_dir, err);
    if (st == NULL) {
        return -1;
    }
    caps = mbk_storage_get_caps(st);
    local_dir = (caps & MBK_STORAGE_CAP_LOCAL_PATH) != 0 &&
                (caps & (MBK_STORAGE_CAP_FILE_LOCATION |
                         MBK_STORAGE_CAP_URL_LOCATION)) == 0;
    if (x != NULL && !local_dir) {
        mbk_storage_close(st);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "x_accel needs a storage that is a local "
                             "directory");
    }
    /* The global x_accel_prefix serves the default storage when it can
     * (as it served the fs storage before the list). */
    if (x == NULL && s->is_default && local_dir) {
        x = c->x_accel_prefix;
    }
    *out = st;
    *x_accel = x;
    return 0;
}

/* Remember a failed attempt (t locked): the next one after 1, 2, 4...
 * MBK_FCGI_RETRY_AFTER seconds. */
static void
record_failure(struct mbk_fcgi_storage_state *t, const struct mbk_error *e)
{
    unsigned shift = t->failures < 5 ? t->failures : 5;
    unsigned delay = 1u << shift;

    t->failures++;
    if (delay > MBK_FCGI_RETRY_AFTER) {
        delay = MBK_FCGI_RETRY_AFTER;
    }
    t->next_try = now_mono() + (time_t)delay;
    t->reason = *e;
    mbk_fcgi_scrub(e->message, t->reason.message, sizeof(t->reason.message));
}

/* err: s is unavailable (t locked). */
static void
unavailable(const struct mbk_fcgi_storage *s,
            const struct mbk_fcgi_storage_state *t, struct mbk_error *err)
{
    time_t now = now_mono();
    int32_t code = t->reason.domain == MBK_ERROR_STORAGE &&
                           t->reason.code == MBK_STORAGE_EREFUSED
                       ? MBK_STORAGE_EREFUSED
                       : MBK_STORAGE_EUNAVAIL;

    if (t->opening) {
        mbk_error_set(err, MBK_ERROR_STORAGE, code, "storage \"%s\" is "
                      "unavailable (an attempt to open it is under way): "
                      "%s", s->name, t->reason.message);
    } else {
        mbk_error_set(err, MBK_ERROR_STORAGE, code, "storage \"%s\" is "
                      "unavailable (next attempt in %lld s): %s", s->name,
                      (long long)(t->next_try > now ? t->next_try - now : 0),
                      t->reason.message);
    }
}

struct mbk_storage *
mbk_fcgi_storage_use(const struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_storage *s, struct mbk_error *err)
{
    /* The array is the app's own (calloc'd, not const): this file alone
     * writes st and x_accel, once, under the lock. */
    struct mbk_fcgi_storage *w = (struct mbk_fcgi_storage *)s;
    struct mbk_fcgi_storage_state *t = s->state;
    struct mbk_storage *st = NULL;
    const char *x = NULL;
    struct mbk_error e;
    char why[sizeof(e.message)];
    int rc;

    pthread_mutex_lock(&t->lock);
    if (s->st != NULL || t->opening || now_mono() < t->next_try) {
        st = s->st;
        if (st == NULL) {
            unavailable(s, t, err);
        }
        pthread_mutex_unlock(&t->lock);
        return st;
    }
    t->opening = true;
    pthread_mutex_unlock(&t->lock);

    mbk_error_clear(&e);
    rc = open_one(app, s, &st, &x, &e);

    pthread_mutex_lock(&t->lock);
    t->opening = false;
    if (rc == 0) {
        w->st = st;
        w->x_accel = x;
        t->failures = 0;
    } else {
        record_failure(t, &e);
        unavailable(s, t, err);
        snprintf(why, sizeof(why), "%s", t->reason.message);
    }
    pthread_mutex_unlock(&t->lock);
    if (rc == 0) {
        mbk_fcgi_log("storage \"%s\" is available again", s->name);
    } else {
        mbk_fcgi_log("storage \"%s\" is still unavailable: %s", s->name,
                     why);
    }
    return st;
}

bool
mbk_fcgi_storage_state(const struct mbk_fcgi_storage *s, char *why,
                       size_t why_len, unsigned *retry_in)
{
    struct mbk_fcgi_storage_state *t = s->state;
    time_t now = now_mono();
    bool up;

    pthread_mutex_lock(&t->lock);
    up = s->st != NULL;
    if (!up) {
        snprintf(why, why_len, "%s", t->reason.message);
        *retry_in = t->next_try > now ? (unsigned)(t->next_try - now) : 0;
    }
    pthread_mutex_unlock(&t->lock);
    return up;
}

int
mbk_fcgi_storages_open(struct mbk_fcgi_app *app, struct mbk_error *err)
{
    const struct mbk_fcgi_config *c = &app->cfg;
    const char *dflt = c->default_storage;

    if (c->nstorages == 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "no storage: add a line `storage = NAME "
                             "LOCATION`, e.g. storage = backups "
                             "fs:/var/lib/mbk/backups");
    }
    app->storages = calloc(c->nstorages, sizeof(*app->storages));
    if (app->storages == NULL) {
        return nomem(err, "storage");
    }
    for (size_t i = 0; i < c->nstorages; i++) {
        const struct mbk_fcgi_storage_conf *sc = &c->storages[i];
        struct mbk_fcgi_storage *s = &app->storages[app->nstorages];
        char label[MBK_FCGI_STORAGE_NAME_MAX + 16];
        const char *where = strchr(sc->location, ':') + 1;
        struct mbk_error e;

        s->name = sc->name;
        s->conf = sc;
        s->is_default = dflt != NULL ? strcmp(dflt, sc->name) == 0 : i == 0;
        s->state = calloc(1, sizeof(*s->state));
        if (s->state == NULL) {
            return nomem(err, "storage");
        }
        pthread_mutex_init(&s->state->lock, NULL);
        app->nstorages++;
        if (s->is_default) {
            app->default_storage = s;
        }
        /* Answers never show where the server keeps things. */
        snprintf(label, sizeof(label), "[%s storage]", sc->name);
        mbk_error_clear(&e);
        if (open_one(app, s, &s->st, &s->x_accel, &e) != 0) {
            if (!remote_failure(&e)) {
                if (err != NULL) {
                    *err = e;
                }
                return mbk_error_prefix(err, "storage \"%s\"", sc->name);
            }
            /* Its remote service is down or refuses us: the others
             * serve, this one is opened again on use. */
            record_failure(s->state, &e);
            mbk_fcgi_log("storage \"%s\" is unavailable at start (opened "
                         "again on use): %s", sc->name,
                         s->state->reason.message);
            if (where[0] == '/' && where[1] != '/') {
                mbk_fcgi_private_path_add(where, label);
            }
            continue;
        }
        if ((mbk_storage_get_caps(s->st) & MBK_STORAGE_CAP_URL_LOCATION) ==
            0) {
            mbk_fcgi_private_path_add(mbk_storage_get_location(s->st), label);
            mbk_fcgi_private_path_add(where, label);
        }
    }
    if (app->default_storage == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "default_storage: no storage is named \"%s\"",
                             dflt);
    }
    return 0;
}

void
mbk_fcgi_storages_close(struct mbk_fcgi_app *app)
{
    for (size_t i = 0; i < app->nstorages; i++) {
        mbk_storage_close(app->storages[i].st);
        if (app->storages[i].state != NULL) {
            pthread_mutex_destroy(&app->storages[i].state->lock);
            free(app->storages[i].state);
        }
    }
    free(app->storages);
    app->storages = NULL;
    app->nstorages = 0;
    app->default_storage = NULL;
}

const struct mbk_fcgi_storage *
mbk_fcgi_app_storage(const struct mbk_fcgi_app *app, const char *name,
                     struct mbk_error *err)
{
    const struct mbk_fcgi_storage *s = NULL;

    if (name == NULL) {
        s = app->default_storage;
    }
    for (size_t i = 0; s == NULL && i < app->nstorages; i++) {
        if (strcmp(app->storages[i].name, name) == 0) {
            s = &app->storages[i];
        }
    }
    if (s == NULL) {
        mbk_fcgi_http_error(err, 400, "field \"storage\": no storage \"%s\" "
                            "on this server", name);
        return NULL;
    }
    return mbk_fcgi_storage_use(app, s, err) != NULL ? s : NULL;
}
