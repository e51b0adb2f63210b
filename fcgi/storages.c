/*
 * storages.c: the responder's list of storages: `storage = NAME LOCATION
 * [key=value ...]` lines (and the legacy storage_fs / storage_tar aliases),
 * opening each through the loader, and finding one by the name a request
 * gives.  Callers test capabilities, never plugin names.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        uint32_t caps;
        bool local_dir;
        bool is_default;

        s->name = sc->name;
        s->st = mbk_storage_open_options(sc->location, sc->options,
                                         sc->noptions, c->plugin_dir, err);
        if (s->st == NULL) {
            return mbk_error_prefix(err, "storage \"%s\"", sc->name);
        }
        app->nstorages++;
        caps = mbk_storage_get_caps(s->st);
        local_dir = (caps & MBK_STORAGE_CAP_LOCAL_PATH) != 0 &&
                    (caps & (MBK_STORAGE_CAP_FILE_LOCATION |
                             MBK_STORAGE_CAP_URL_LOCATION)) == 0;
        is_default = dflt != NULL ? strcmp(dflt, sc->name) == 0 : i == 0;
        s->x_accel = sc->x_accel;
        if (s->x_accel != NULL && !local_dir) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "storage \"%s\": x_accel needs a storage "
                                 "that is a local directory", sc->name);
        }
        /* The global x_accel_prefix serves the default storage when it
         * can (as it served the fs storage before the list). */
        if (s->x_accel == NULL && is_default && local_dir) {
            s->x_accel = c->x_accel_prefix;
        }
        /* Answers never show where the server keeps things. */
        snprintf(label, sizeof(label), "[%s storage]", sc->name);
        if ((caps & MBK_STORAGE_CAP_URL_LOCATION) == 0) {
            mbk_fcgi_private_path_add(mbk_storage_get_location(s->st), label);
            mbk_fcgi_private_path_add(strchr(sc->location, ':') + 1, label);
        }
        if (is_default) {
            s->is_default = true;
            app->default_storage = s;
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
    if (name == NULL) {
        return app->default_storage;
    }
    for (size_t i = 0; i < app->nstorages; i++) {
        if (strcmp(app->storages[i].name, name) == 0) {
            return &app->storages[i];
        }
    }
    mbk_fcgi_http_error(err, 400, "field \"storage\": no storage \"%s\" on "
                        "this server", name);
    return NULL;
}
