/*
 * proxy.c: a cuttable TCP relay for fault-injection tests (a server that
 * goes away, or that changes a document it sends back).  poll() over
 * every pair of sockets in one thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "tests/integration/proxy.h"

#define PAIRS 64

struct mbk_proxy {
    int listener;
    struct sockaddr_in upstream;
    int fds[PAIRS][2]; /* client, server; -1 when free */
    atomic_int cut;
    atomic_ullong bytes;
    atomic_int stop;
    atomic_int tampering; /* marker and to are set */
    char marker[64];
    size_t marker_len;
    char to;
    size_t matched[PAIRS]; /* marker bytes seen last in the server's data */
    atomic_ullong tampered;
    pthread_t tid;
};

static void
close_pair(struct mbk_proxy *p, int i)
{
    for (int k = 0; k < 2; k++) {
        if (p->fds[i][k] >= 0) {
            close(p->fds[i][k]);
            p->fds[i][k] = -1;
        }
    }
}

static void
accept_one(struct mbk_proxy *p)
{
    int c = accept(p->listener, NULL, NULL);
    int s;

    if (c < 0) {
        return;
    }
    if (atomic_load(&p->cut)) {
        close(c);
        return;
    }
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 ||
        connect(s, (struct sockaddr *)&p->upstream, sizeof(p->upstream)) != 0) {
        close(c);
        if (s >= 0) {
            close(s);
        }
        return;
    }
    for (int i = 0; i < PAIRS; i++) {
        if (p->fds[i][0] < 0) {
            p->fds[i][0] = c;
            p->fds[i][1] = s;
            p->matched[i] = 0;
            return;
        }
    }
    close(c);
    close(s);
}

/* In what the server sent on pair i, the last byte of each marker becomes
 * p->to.  The marker's characters all differ, so a mismatch restarts the
 * match at that byte; a marker split across reads is still found. */
static void
tamper(struct mbk_proxy *p, int i, char *buf, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (buf[j] == p->marker[p->matched[i]]) {
            p->matched[i]++;
        } else {
            p->matched[i] = buf[j] == p->marker[0] ? 1 : 0;
        }
        if (p->matched[i] == p->marker_len) {
            buf[j] = p->to;
            p->matched[i] = 0;
            atomic_fetch_add(&p->tampered, 1);
        }
    }
}

static void *
relay(void *arg)
{
    struct mbk_proxy *p = arg;
    char buf[65536];

    while (!atomic_load(&p->stop)) {
        struct pollfd pf[1 + 2 * PAIRS];
        int idx[1 + 2 * PAIRS];
        int n = 0;

        if (atomic_load(&p->cut)) {
            for (int i = 0; i < PAIRS; i++) {
                close_pair(p, i);
            }
        }
        pf[n].fd = p->listener;
        pf[n].events = POLLIN;
        idx[n++] = -1;
        for (int i = 0; i < PAIRS; i++) {
            for (int k = 0; k < 2 && p->fds[i][0] >= 0; k++) {
                pf[n].fd = p->fds[i][k];
                pf[n].events = POLLIN;
                idx[n++] = i * 2 + k;
            }
        }
        if (poll(pf, (nfds_t)n, 50) <= 0) {
            continue;
        }
        for (int j = 0; j < n; j++) {
            int i;
            int k;
            ssize_t r;

            if (pf[j].revents == 0) {
                continue;
            }
            if (idx[j] < 0) {
                accept_one(p);
                continue;
            }
            i = idx[j] / 2;
            k = idx[j] % 2;
            if (p->fds[i][k] < 0) {
                continue;
            }
            r = read(p->fds[i][k], buf, sizeof(buf));
            if (r > 0 && k == 1 && atomic_load(&p->tampering)) {
                tamper(p, i, buf, (size_t)r);
            }
            if (r <= 0 || write(p->fds[i][1 - k], buf, (size_t)r) != r) {
                close_pair(p, i);
                continue;
            }
            atomic_fetch_add(&p->bytes, (unsigned long long)r);
        }
    }
    for (int i = 0; i < PAIRS; i++) {
        close_pair(p, i);
    }
    return NULL;
}

struct mbk_proxy *
mbk_proxy_start(const char *uri, int *port)
{
    struct mbk_proxy *p = calloc(1, sizeof(*p));
    mongoc_uri_t *u = mongoc_uri_new(uri);
    const mongoc_host_list_t *h = u ? mongoc_uri_get_hosts(u) : NULL;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    if (p == NULL || h == NULL) {
        free(p);
        mongoc_uri_destroy(u);
        return NULL;
    }
    for (int i = 0; i < PAIRS; i++) {
        p->fds[i][0] = p->fds[i][1] = -1;
    }
    memset(&p->upstream, 0, sizeof(p->upstream));
    p->upstream.sin_family = AF_INET;
    p->upstream.sin_port = htons(h->port);
    if (inet_pton(AF_INET, strcmp(h->host, "localhost") == 0 ? "127.0.0.1"
                                                            : h->host,
                  &p->upstream.sin_addr) != 1) {
        fprintf(stderr, "proxy: only IPv4 literal hosts: %s\n", h->host);
        mongoc_uri_destroy(u);
        free(p);
        return NULL;
    }
    mongoc_uri_destroy(u);
    p->listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(p->listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(p->listener, 64) != 0 ||
        getsockname(p->listener, (struct sockaddr *)&sa, &len) != 0) {
        close(p->listener);
        free(p);
        return NULL;
    }
    *port = ntohs(sa.sin_port);
    pthread_create(&p->tid, NULL, relay, p);
    return p;
}

void
mbk_proxy_cut(struct mbk_proxy *p)
{
    atomic_store(&p->cut, 1);
}

int
mbk_proxy_tamper(struct mbk_proxy *p, const char *marker, char to)
{
    size_t n = strlen(marker);

    if (n == 0 || n >= sizeof(p->marker)) {
        return -1;
    }
    for (size_t a = 0; a < n; a++) {
        if (strchr(marker + a + 1, marker[a]) != NULL) {
            return -1;
        }
    }
    memcpy(p->marker, marker, n);
    p->marker_len = n;
    p->to = to;
    atomic_store(&p->tampering, 1);
    return 0;
}

unsigned long long
mbk_proxy_tampered(struct mbk_proxy *p)
{
    return atomic_load(&p->tampered);
}

unsigned long long
mbk_proxy_bytes(struct mbk_proxy *p)
{
    return atomic_load(&p->bytes);
}

void
mbk_proxy_stop(struct mbk_proxy *p)
{
    if (p == NULL) {
        return;
    }
    atomic_store(&p->stop, 1);
    pthread_join(p->tid, NULL);
    close(p->listener);
    free(p);
}

char *
mbk_proxy_uri(const char *uri, int port)
{
    const char *s = strstr(uri, "://");
    const char *hosts;
    const char *end;
    const char *at;
    char *out;

    if (s == NULL) {
        return NULL;
    }
    hosts = s + 3;
    end = hosts + strcspn(hosts, "/?");
    at = memchr(hosts, '@', (size_t)(end - hosts));
    if (at != NULL) {
        hosts = at + 1;
    }
    out = malloc(strlen(uri) + 64);
    sprintf(out, "%.*s127.0.0.1:%d%s%s", (int)(hosts - uri), uri, port,
            *end == '\0' ? "/" : "", end);
    strcat(out, strchr(out, '?') ? "&directConnection=true"
                                 : "?directConnection=true");
    return out;
}
