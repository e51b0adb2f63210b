/*
 * access.h: who may talk to mbk-fcgi and what each user may do.  The
 * trusted proxy: with proxy_secret_file set, every request must carry the
 * FastCGI parameter MBK_PROXY_SECRET equal to the file's first line
 * (compared in constant time), so that only nginx, not any process that
 * can reach the socket, vouches for REMOTE_USER.  Roles: the `roles`
 * configuration maps users to viewer < operator < admin, `default_role`
 * covers everyone else (none unless set).  Parsed once at start, read-only
 * afterwards (thread-safe).
 */
#ifndef MBK_FCGI_ACCESS_H
#define MBK_FCGI_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

struct mbk_fcgi_app;
struct mbk_fcgi_request;

enum mbk_fcgi_role {
    MBK_FCGI_ROLE_NONE = 0, /* nothing at all */
    MBK_FCGI_ROLE_VIEWER,   /* list, stats, audit, jobs, download */
    MBK_FCGI_ROLE_OPERATOR, /* also create, verify, cancel own jobs */
    MBK_FCGI_ROLE_ADMIN     /* also restore, delete, cancel any job */
};

/* The shortest secret accepted: 32 hex characters (128 bits). */
#define MBK_FCGI_SECRET_MIN 32
#define MBK_FCGI_SECRET_MAX 256

struct mbk_fcgi_role_entry {
    char *user;
    enum mbk_fcgi_role role;
};

struct mbk_fcgi_access {
    char secret[MBK_FCGI_SECRET_MAX + 1]; /* "" when none is required */
    size_t secret_len;
    struct mbk_fcgi_role_entry *roles;
    size_t nroles;
    enum mbk_fcgi_role default_role;
};

/* "none", "viewer", "operator", "admin". */
const char *
mbk_fcgi_role_name(enum mbk_fcgi_role r);

/* Parse `roles` ("alice:admin bob:viewer", blanks or commas between
 * pairs), `default_role` and read proxy_secret_file (each may be NULL).
 * ENGINE/EINVAL naming the bad entry or file. */
int
mbk_fcgi_access_open(struct mbk_fcgi_access *a, const char *roles,
                     const char *default_role, const char *secret_file,
                     struct mbk_error *err);

void
mbk_fcgi_access_close(struct mbk_fcgi_access *a);

/* 0 when no secret is configured or the request's equals it; else
 * HTTP/403 (the secret itself is never named). */
int
mbk_fcgi_access_check_proxy(const struct mbk_fcgi_access *a,
                            const char *given, struct mbk_error *err);

/* The role of user (NULL or "": anonymous, the default role). */
enum mbk_fcgi_role
mbk_fcgi_access_role(const struct mbk_fcgi_access *a, const char *user);

/* 0 when rq's role is at least need; else HTTP/403 naming the role
 * needed and the caller's, for what ("restore", "delete", ...). */
int
mbk_fcgi_access_require(const struct mbk_fcgi_request *rq,
                        enum mbk_fcgi_role need, const char *what,
                        struct mbk_error *err);

#endif /* MBK_FCGI_ACCESS_H */
