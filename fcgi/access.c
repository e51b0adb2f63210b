/*
 * access.c: the trusted-proxy secret and the roles of mbk-fcgi.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/access.h"
#include "fcgi/http.h"

static const char *const role_names[] = {"none", "viewer", "operator",
                                         "admin"};

const char *
mbk_fcgi_role_name(enum mbk_fcgi_role r)
{
    return (unsigned)r < 4 ? role_names[r] : "none";
}

static int
role_parse(const char *s, size_t n, enum mbk_fcgi_role *out)
{
    for (unsigned i = 0; i < 4; i++) {
        if (strlen(role_names[i]) == n && strncmp(role_names[i], s, n) == 0) {
            *out = (enum mbk_fcgi_role)i;
            return 0;
        }
    }
    return -1;
}

#define bad(err, ...) \
    mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL, __VA_ARGS__)

static int
parse_roles(struct mbk_fcgi_access *a, const char *spec,
            struct mbk_error *err)
{
    const char *p = spec;

    while (*p != '\0') {
        size_t n;
        const char *colon;
        struct mbk_fcgi_role_entry *v;
        char item[300];

        p += strspn(p, " \t,");
        n = strcspn(p, " \t,");
        if (n == 0) {
            break;
        }
        snprintf(item, sizeof(item), "%.*s", (int)(n < 256 ? n : 256), p);
        colon = memchr(p, ':', n);
        if (colon == NULL || colon == p || colon + 1 == p + n) {
            return bad(err, "roles: \"%s\" is not USER:ROLE", item);
        }
        v = realloc(a->roles, (a->nroles + 1) * sizeof(*v));
        if (v == NULL) {
            return mbk_error_sys(err, ENOMEM, "realloc", "roles");
        }
        a->roles = v;
        if (role_parse(colon + 1, (size_t)(p + n - colon - 1),
                       &v[a->nroles].role) != 0) {
            return bad(err, "roles: \"%s\": the role must be none, viewer, "
                       "operator or admin", item);
        }
        v[a->nroles].user = strndup(p, (size_t)(colon - p));
        if (v[a->nroles].user == NULL) {
            return mbk_error_sys(err, ENOMEM, "strndup", "roles");
        }
        for (size_t i = 0; i < a->nroles; i++) {
            if (strcmp(a->roles[i].user, v[a->nroles].user) == 0) {
                free(v[a->nroles].user);
                return bad(err, "roles: user \"%s\" is given twice", item);
            }
        }
        a->nroles++;
        p += n;
    }
    return 0;
}

static int
read_secret(struct mbk_fcgi_access *a, const char *file,
            struct mbk_error *err)
{
    FILE *f = fopen(file, "re");
    char line[MBK_FCGI_SECRET_MAX + 4];
    size_t n;

    if (f == NULL) {
        mbk_error_sys(err, errno, "fopen", file);
        return mbk_error_prefix(err, "proxy_secret_file");
    }
    if (fgets(line, sizeof(line), f) == NULL) {
        line[0] = '\0';
    }
    fclose(f);
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (n < MBK_FCGI_SECRET_MIN || n > MBK_FCGI_SECRET_MAX ||
        strspn(line, "0123456789abcdefABCDEF") != n) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "proxy_secret_file \"%s\": the first line must "
                             "be %d to %d hex characters (e.g. openssl rand "
                             "-hex 32)",
                             file, MBK_FCGI_SECRET_MIN, MBK_FCGI_SECRET_MAX);
    }
    memcpy(a->secret, line, n + 1);
    a->secret_len = n;
    return 0;
}

int
mbk_fcgi_access_open(struct mbk_fcgi_access *a, const char *roles,
                     const char *default_role, const char *secret_file,
                     struct mbk_error *err)
{
    memset(a, 0, sizeof(*a));
    if (default_role != NULL &&
        role_parse(default_role, strlen(default_role), &a->default_role) !=
            0) {
        return bad(err, "default_role: \"%s\" must be none, viewer, operator "
                   "or admin", default_role);
    }
    if (roles != NULL && parse_roles(a, roles, err) != 0) {
        return -1;
    }
    if (secret_file != NULL && read_secret(a, secret_file, err) != 0) {
        return -1;
    }
    return 0;
}

void
mbk_fcgi_access_close(struct mbk_fcgi_access *a)
{
    for (size_t i = 0; i < a->nroles; i++) {
        free(a->roles[i].user);
    }
    free(a->roles);
    memset(a, 0, sizeof(*a));
}

int
mbk_fcgi_access_check_proxy(const struct mbk_fcgi_access *a,
                            const char *given, struct mbk_error *err)
{
    unsigned char diff = 0;
    size_t glen;

    if (a->secret_len == 0) {
        return 0;
    }
    glen = given != NULL ? strlen(given) : 0;
    /* Constant time in the secret: every byte of it is compared. */
    for (size_t i = 0; i < a->secret_len; i++) {
        unsigned char g = i < glen ? (unsigned char)given[i] : 0;

        diff |= (unsigned char)(g ^ (unsigned char)a->secret[i]);
    }
    if (diff != 0 || glen != a->secret_len) {
        return mbk_fcgi_http_error(err, 403, "request refused: it did not "
                                   "come through the trusted proxy");
    }
    return 0;
}

enum mbk_fcgi_role
mbk_fcgi_access_role(const struct mbk_fcgi_access *a, const char *user)
{
    if (user != NULL && user[0] != '\0') {
        for (size_t i = 0; i < a->nroles; i++) {
            if (strcmp(a->roles[i].user, user) == 0) {
                return a->roles[i].role;
            }
        }
    }
    return a->default_role;
}

int
mbk_fcgi_access_require(const struct mbk_fcgi_request *rq,
                        enum mbk_fcgi_role need, const char *what,
                        struct mbk_error *err)
{
    if (rq->role >= (int)need) {
        return 0;
    }
    return mbk_fcgi_http_error(err, 403, "%s needs the role %s (yours: %s)",
                               what, mbk_fcgi_role_name(need),
                               mbk_fcgi_role_name(
                                   (enum mbk_fcgi_role)rq->role));
}
