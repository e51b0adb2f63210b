/*
 * server.c: mbk-fcgi's main(): the only file that speaks libfcgi.  A
 * fixed pool of threads loops on FCGX_Accept_r (no accept mutex, no kept
 * connections); signals are blocked everywhere and taken by sigwait() in
 * main: SIGTERM/SIGINT finish the requests in flight and exit, SIGHUP
 * reopens the logs.  The socket is made here (never FCGX_OpenSocket, which
 * exits, binds all addresses and steals a live socket) or handed over by
 * systemd (LISTEN_FDS) or spawn-fcgi (fd 0).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "engine/names.h"
#include "engine/restore/restore.h"
#include "fcgi/app.h"
#include "fcgi/router.h"

static struct mbk_fcgi_app app;
static int listen_fd = -1;

struct body {
    FCGX_Request *req;
    int64_t left; /* of CONTENT_LENGTH, or -1 */
    bool failed;
    double deadline; /* monotonic seconds: the body must be in by then */
};

/* Every read of the body waits at most until the request's deadline
 * (body_timeout): a peer that stops sending frees the thread. */
static int
arm_deadline(struct body *b, struct mbk_error *err)
{
    double left = b->deadline - mbk_names_seconds();
    struct timeval tv;

    if (left <= 0) {
        b->failed = true;
        return mbk_fcgi_http_error(err, 408, "the request body did not "
                                   "arrive within %u seconds",
                                   app.cfg.body_timeout);
    }
    tv.tv_sec = (time_t)left;
    tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) {
        tv.tv_usec = 1;
    }
    setsockopt(b->req->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return 0;
}

static ssize_t
body_read(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct body *b = ud;
    int n;

    if (len > 1 << 20) {
        len = 1 << 20;
    }
    if (b->left == 0) {
        return 0;
    }
    if (b->left > 0 && (int64_t)len > b->left) {
        len = (size_t)b->left;
    }
    if (arm_deadline(b, err) != 0) {
        return -1;
    }
    n = FCGX_GetStr(buf, (int)len, b->req->in);
    if (FCGX_GetError(b->req->in) != 0) {
        b->failed = true;
        if (mbk_names_seconds() >= b->deadline) {
            return mbk_fcgi_http_error(err, 408, "the request body did not "
                                       "arrive within %u seconds",
                                       app.cfg.body_timeout);
        }
        return mbk_fcgi_http_error(err, 400, "the request body was cut "
                                   "short (read error %d)",
                                   FCGX_GetError(b->req->in));
    }
    if (n == 0 && b->left > 0) {
        b->failed = true;
        return mbk_fcgi_http_error(err, 400, "the request body ended %lld "
                                   "bytes early", (long long)b->left);
    }
    if (b->left > 0) {
        b->left -= n;
    }
    return n;
}

static const char *
param(FCGX_Request *req, const char *name)
{
    return FCGX_GetParam(name, req->envp);
}

static void
put(FCGX_Request *req, const char *s, size_t n)
{
    /* FCGX_FPrintF has its own printf (no %zu): format first, then put. */
    FCGX_PutStr(s, (int)n, req->out);
}

static void
send_response(FCGX_Request *req, struct mbk_fcgi_response *rs)
{
    char head[MBK_FCGI_HEADERS_MAX + 1024];
    int n;

    n = snprintf(head, sizeof(head),
                 "Status: %d %s\r\nContent-Type: %s\r\n%s%.*s", rs->status,
                 mbk_fcgi_status_reason(rs->status), rs->content_type,
                 mbk_fcgi_security_headers, (int)rs->headers_len, rs->headers);
    if (rs->stream == NULL && !(rs->status == 200 && rs->body.len == 0 &&
                                strstr(rs->headers, "X-Accel-Redirect"))) {
        n += snprintf(head + n, sizeof(head) - (size_t)n,
                      "Content-Length: %llu\r\n",
                      (unsigned long long)rs->body.len);
    }
    n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
    put(req, head, (size_t)n);
    if (rs->stream == NULL) {
        if (rs->body.len > 0) {
            put(req, rs->body.data, rs->body.len);
        }
        return;
    }
    {
        char *chunk = malloc(65536);
        struct mbk_error err;

        mbk_error_clear(&err);
        for (;;) {
            ssize_t got = chunk != NULL
                              ? rs->stream(rs->stream_ud, chunk, 65536, &err)
                              : -1;

            if (got < 0) {
                /* Too late for a status: the short Content-Length tells. */
                mbk_fcgi_log("download cut short: %s", err.message);
                break;
            }
            if (got == 0) {
                break;
            }
            if (FCGX_PutStr(chunk, (int)got, req->out) < 0) {
                break; /* the client went away */
            }
        }
        free(chunk);
    }
}

static void
handle(FCGX_Request *req)
{
    struct mbk_fcgi_request rq;
    struct mbk_fcgi_response rs;
    struct body b;
    const char *cl = param(req, "CONTENT_LENGTH");
    char drain[16384];

    memset(&rq, 0, sizeof(rq));
    rq.method = param(req, "REQUEST_METHOD");
    rq.path = param(req, "DOCUMENT_URI");
    if (rq.path == NULL) {
        rq.path = param(req, "SCRIPT_NAME");
    }
    rq.query = param(req, "QUERY_STRING");
    if (rq.query == NULL) {
        rq.query = "";
    }
    rq.content_type = param(req, "CONTENT_TYPE");
    rq.content_length = cl != NULL && cl[0] != '\0' ? strtoll(cl, NULL, 10)
                                                    : -1;
    rq.remote_user = param(req, "REMOTE_USER");
    rq.remote_addr = param(req, "REMOTE_ADDR");
    rq.host = param(req, "HTTP_HOST");
    rq.origin = param(req, "HTTP_ORIGIN");
    rq.scheme = param(req, "REQUEST_SCHEME");
    rq.requested_with = param(req, "HTTP_X_REQUESTED_WITH");
    rq.proxy_secret = param(req, "MBK_PROXY_SECRET");
    b.req = req;
    b.left = rq.content_length;
    b.failed = false;
    b.deadline = mbk_names_seconds() + app.cfg.body_timeout;
    rq.read = body_read;
    rq.read_ud = &b;
    mbk_fcgi_response_init(&rs);
    mbk_fcgi_route(&app, &rq, &rs);
    /* Read what the handler left, so nginx never sees a broken pipe. */
    while (!b.failed && arm_deadline(&b, NULL) == 0 &&
           FCGX_GetStr(drain, sizeof(drain), req->in) > 0) {
    }
    if (rs.status >= 500) {
        mbk_fcgi_log("%s %s: %d %.*s", rq.method ? rq.method : "-",
                     rq.path ? rq.path : "-", rs.status,
                     (int)(rs.body.len < 300 ? rs.body.len : 300),
                     rs.body.data ? rs.body.data : "");
    }
    send_response(req, &rs);
    mbk_fcgi_response_free(&rs);
}

/* A request thread, and whether it waits in accept() (the only place
 * where the stop may interrupt it). */
struct worker {
    pthread_t tid;
    atomic_bool in_accept;
    atomic_bool done;
};

static atomic_bool stopping;

static void
on_wake(int sig)
{
    (void)sig;
}

static void *
request_thread(void *arg)
{
    struct worker *w = arg;
    FCGX_Request req;

    if (FCGX_InitRequest(&req, listen_fd, 0) != 0) {
        mbk_fcgi_log("FCGX_InitRequest failed");
        atomic_store(&w->done, true);
        return NULL;
    }
    for (;;) {
        int rc;

        atomic_store(&w->in_accept, true);
        if (atomic_load(&stopping)) {
            break;
        }
        rc = FCGX_Accept_r(&req);
        atomic_store(&w->in_accept, false);
        if (rc < 0) {
            break;
        }
        handle(&req);
        FCGX_Finish_r(&req);
    }
    atomic_store(&w->in_accept, false);
    FCGX_Free(&req, 1);
    atomic_store(&w->done, true);
    return NULL;
}

/* End the accept loops.  shutdown() of the socket would do it, but a
 * socket handed over (systemd's, spawn-fcgi's) is shared with the next
 * responder: systemd keeps it across restarts and fails the socket unit
 * on the POLLHUP a shutdown() causes.  So the threads waiting in accept()
 * are interrupted by SIGUSR1 (no SA_RESTART; with FCGX_ShutdownPending()
 * libfcgi then returns), again until each has stopped, since one may be
 * just about to enter accept(); threads busy with a request are left to
 * finish it.  Connections left in the queue wait for the next responder. */
static void
stop_workers(struct worker *workers, unsigned n, bool own_socket)
{
    const struct timespec tick = {0, 50 * 1000 * 1000};
    unsigned left = n;

    atomic_store(&stopping, true);
    FCGX_ShutdownPending();
    if (own_socket) {
        shutdown(listen_fd, SHUT_RDWR);
    }
    while (left > 0) {
        left = 0;
        for (unsigned i = 0; i < n; i++) {
            if (atomic_load(&workers[i].done)) {
                continue;
            }
            left++;
            if (atomic_load(&workers[i].in_accept)) {
                pthread_kill(workers[i].tid, SIGUSR1);
            }
        }
        if (left > 0) {
            nanosleep(&tick, NULL);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        pthread_join(workers[i].tid, NULL);
    }
}

/* unix:PATH (refusing a path a live server answers on) or ADDR:PORT. */
static int
open_socket(const char *spec, unsigned mode, struct mbk_error *err)
{
    int fd;
    int one = 1;

    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un sa;
        const char *path = spec + 5;

        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(sa.sun_path)) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "listen: socket path too long");
        }
        memcpy(sa.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return mbk_error_sys(err, errno, "socket", path);
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            close(fd);
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EBUSY,
                                 "listen: another server answers on %s",
                                 path);
        }
        close(fd);
        unlink(path); /* a stale socket of a dead server */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return mbk_error_sys(err, errno, "socket", path);
        }
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            mbk_error_sys(err, errno, "bind", path);
            close(fd);
            return -1;
        }
        if (chmod(path, mode) != 0) {
            mbk_error_sys(err, errno, "chmod", path);
            close(fd);
            return -1;
        }
    } else {
        struct sockaddr_in sa;
        const char *colon = strrchr(spec, ':');
        char host[64];

        if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "listen: expected unix:PATH or ADDR:PORT, "
                                 "not \"%s\"", spec);
        }
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "listen: \"%s\" is not an IPv4 address",
                                 host);
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return mbk_error_sys(err, errno, "socket", spec);
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            mbk_error_sys(err, errno, "bind", spec);
            close(fd);
            return -1;
        }
    }
    if (listen(fd, 128) != 0) {
        mbk_error_sys(err, errno, "listen", spec);
        close(fd);
        return -1;
    }
    return fd;
}

/* The socket systemd (LISTEN_FDS) or spawn-fcgi (fd 0) handed over. */
static int
inherited_socket(struct mbk_error *err)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (pid != NULL && fds != NULL && atol(pid) == (long)getpid() &&
        atoi(fds) >= 1) {
        return 3; /* SD_LISTEN_FDS_START */
    }
    if (getsockname(0, (struct sockaddr *)&ss, &len) == 0) {
        return 0;
    }
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                         "no socket: set listen, or start under systemd "
                         "socket activation or spawn-fcgi");
}

static const char usage[] =
    "usage: mbk-fcgi [-c CONFIG] [-t]\n"
    "The FastCGI responder of mbk for /api/settings/backup behind nginx.\n"
    "  -c CONFIG  configuration file (key = value; else $MBK_FCGI_CONFIG)\n"
    "  -t         check the configuration and exit\n"
    "Every key may be overridden by MBK_FCGI_<KEY> in the environment.\n";

/* At start, put back what a responder killed in the middle of a restore
 * left in its database (staging collections, an interrupted swap, a
 * journal of changes).  In a thread: a database that is down must not
 * hold up the listing. */
static void *
recover_thread(void *arg)
{
    unsigned removed = 0;
    struct mbk_error err;

    (void)arg;
    if (mbk_engine_restore_recover(app.mongo, mbk_fcgi_app_db(&app), &removed,
                                   &err) != 0) {
        mbk_fcgi_log("recovering crashed restores: %s (the next restore "
                     "tries again)",
                     err.message);
    } else if (removed > 0) {
        mbk_fcgi_log("recovered what crashed restores left in %s: %u "
                     "collection(s) dropped or put back",
                     mbk_fcgi_app_db(&app), removed);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *config = NULL;
    bool test_only = false;
    struct worker *workers;
    unsigned started = 0;
    struct sigaction wake;
    pthread_t recover_tid;
    bool recovering;
    sigset_t set;
    struct mbk_error err;
    int opt;
    int sig = 0;
    int rc;

    while ((opt = getopt(argc, argv, "c:th")) != -1) {
        if (opt == 'c') {
            config = optarg;
        } else if (opt == 't') {
            test_only = true;
        } else {
            fputs(usage, opt == 'h' ? stdout : stderr);
            return opt == 'h' ? 0 : 2;
        }
    }
    mbk_error_clear(&err);
    if (mbk_fcgi_config_load(&app.cfg, config, &err) != 0 ||
        mbk_fcgi_log_reopen(app.cfg.log, &err) != 0) {
        fprintf(stderr, "mbk-fcgi: %s\n", err.message);
        return 1;
    }
    /* Every thread inherits this mask; main takes the signals. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (mbk_fcgi_app_open(&app, &err) != 0) {
        mbk_fcgi_log("%s", err.message);
        mbk_fcgi_app_close(&app);
        return 1;
    }
    if (test_only) {
        /* A storage whose remote service is down is not a configuration
         * error (the service would start and open it later): said, 0. */
        for (size_t i = 0; i < app.nstorages; i++) {
            char why[256];
            unsigned in = 0;

            if (!mbk_fcgi_storage_state(&app.storages[i], why, sizeof(why),
                                        &in)) {
                printf("mbk-fcgi: storage \"%s\" is unavailable now "
                       "(opened again on use): %s\n", app.storages[i].name,
                       why);
            }
        }
        printf("mbk-fcgi: configuration ok\n");
        mbk_fcgi_app_close(&app);
        return 0;
    }
    listen_fd = app.cfg.listen != NULL
                    ? open_socket(app.cfg.listen, app.cfg.socket_mode, &err)
                    : inherited_socket(&err);
    if (listen_fd < 0 || FCGX_Init() != 0) {
        mbk_fcgi_log("%s", err.message);
        mbk_fcgi_app_close(&app);
        return 1;
    }
    memset(&wake, 0, sizeof(wake));
    wake.sa_handler = on_wake;
    sigemptyset(&wake.sa_mask);
    sigaction(SIGUSR1, &wake, NULL);
    /* Recovery is an optimisation of the first restore (every restore
     * recovers its target first): without its thread the service runs
     * on, and says so. */
    rc = pthread_create(&recover_tid, NULL, recover_thread, NULL);
    recovering = rc == 0;
    if (!recovering) {
        mbk_fcgi_log("pthread_create() failed for the recovery of crashed "
                     "restores: %s (the next restore recovers its target)",
                     strerror(rc));
    }
    workers = calloc(app.cfg.threads, sizeof(*workers));
    for (unsigned i = 0; workers != NULL && i < app.cfg.threads; i++) {
        rc = pthread_create(&workers[started].tid, NULL, request_thread,
                            &workers[started]);
        if (rc != 0) {
            mbk_fcgi_log("pthread_create() failed for request thread %u: %s",
                         i + 1, strerror(rc));
            continue;
        }
        started++;
    }
    /* Without a request thread nothing would ever be answered. */
    if (started == 0) {
        mbk_fcgi_log("no request thread started: stopping");
        free(workers);
        if (recovering) {
            pthread_join(recover_tid, NULL);
        }
        close(listen_fd);
        mbk_fcgi_app_close(&app);
        return 1;
    }
    if (started < app.cfg.threads) {
        mbk_fcgi_log("running with %u of %u request threads", started,
                     app.cfg.threads);
    }
    if (app.access.secret_len == 0) {
        mbk_fcgi_log("proxy_secret_file is not set: every process that can "
                     "connect to the socket is trusted to name the user "
                     "(REMOTE_USER); keep the socket in a group only nginx "
                     "is in");
    } else {
        mbk_fcgi_log("trusted proxy: requests without the secret of "
                     "proxy_secret_file are refused");
    }
    mbk_fcgi_log("ready: %u threads, %u job workers, database %s",
                 app.cfg.threads, app.cfg.jobs, mbk_fcgi_app_db(&app));
    for (;;) {
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            if (mbk_fcgi_log_reopen(app.cfg.log, &err) != 0 ||
                (app.audit != NULL && mbk_audit_reopen(app.audit, &err) != 0)) {
                mbk_fcgi_log("SIGHUP: %s", err.message);
            } else {
                mbk_fcgi_log("SIGHUP: logs reopened");
            }
            continue;
        }
        break;
    }
    mbk_fcgi_log("signal %d: finishing the requests in flight", sig);
    stop_workers(workers, started, app.cfg.listen != NULL);
    free(workers);
    if (recovering) {
        pthread_join(recover_tid, NULL);
    }
    if (app.cfg.listen != NULL && strncmp(app.cfg.listen, "unix:", 5) == 0) {
        unlink(app.cfg.listen + 5);
    }
    close(listen_fd);
    mbk_fcgi_app_close(&app);
    mbk_fcgi_log("stopped");
    return 0;
}
