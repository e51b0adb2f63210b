/*
 * harness.c: the MongoDB server of the integration tests.  MBK_TEST_MONGO_URI
 * wins; otherwise tests/mongo-dev-server/start runs once on a free loopback
 * port (with a private run directory) and `stop` runs at exit.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "tests/integration/harness.h"

static char *uri;           /* the answer of mbk_test_mongo_uri(), owned */
static int tried;           /* mbk_test_mongo_uri() ran once already */
static int started_port;    /* the port of the server we started, or 0 */
static char rundir[64];     /* its PID and log files live here */
static char gatedir[80];    /* its test gate (gate.py), in rundir */
static char srcdir[4096];

static int
free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd;
    int port = -1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0
        && getsockname(fd, (struct sockaddr *) &sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    close(fd);
    return port;
}

static void
stop_server(void)
{
    char cmd[8192];

    if (started_port != 0) {
        snprintf(cmd, sizeof(cmd),
                 "MBK_DEVSERVER_RUNDIR='%s' '%s/tests/mongo-dev-server/stop'"
                 " %d >/dev/null 2>&1; rm -rf '%s'",
                 rundir, srcdir, started_port, rundir);
        gatedir[0] = '\0';
        if (system(cmd) != 0) {
            fprintf(stderr, "harness: stopping the development server on "
                    "port %d failed\n", started_port);
        }
        started_port = 0;
    }
    free(uri);
    uri = NULL;
}

/* Run `start PORT`; its last stdout line is the URI.  0 on success. */
static int
start_server(int port)
{
    char cmd[8192];
    char line[512];
    char last[512] = "";
    FILE *p;
    int status;

    snprintf(cmd, sizeof(cmd),
             "MBK_DEVSERVER_RUNDIR='%s' MBK_DEVSERVER_OWNER_PID=%ld "
             "'%s/tests/mongo-dev-server/start' %d --gate-dir '%s'",
             rundir, (long) getpid(), srcdir, port, gatedir);
    p = popen(cmd, "r");
    if (p == NULL) {
        perror("harness: popen");
        return -1;
    }
    while (fgets(line, sizeof(line), p) != NULL) {
        memcpy(last, line, sizeof(last));
    }
    status = pclose(p);
    if (status != 0 || strncmp(last, "mongodb://", 10) != 0) {
        return -1;
    }
    last[strcspn(last, "\r\n")] = '\0';
    uri = strdup(last);
    return uri != NULL ? 0 : -1;
}

const char *
mbk_test_mongo_uri(void)
{
    const char *env;
    int attempt;

    if (tried) {
        return uri;
    }
    tried = 1;
    mongoc_init();
    env = getenv("MBK_TEST_MONGO_URI");
    if (env != NULL && env[0] != '\0') {
        uri = strdup(env);
        return uri;
    }
    env = getenv("MBK_SRCDIR");
    if (env == NULL || env[0] == '\0') {
        fprintf(stderr, "harness: neither MBK_TEST_MONGO_URI nor MBK_SRCDIR "
                "is set: no MongoDB server to test against\n");
        return NULL;
    }
    snprintf(srcdir, sizeof(srcdir), "%s", env);
    snprintf(rundir, sizeof(rundir), "/tmp/mbk-harness-XXXXXX");
    if (mkdtemp(rundir) == NULL) {
        perror("harness: mkdtemp");
        return NULL;
    }
    snprintf(gatedir, sizeof(gatedir), "%s/gate", rundir);
    if (mkdir(gatedir, 0700) != 0) {
        perror("harness: mkdir gate");
        rmdir(rundir);
        return NULL;
    }
    /* A free port can be taken between our probe and the server's bind. */
    for (attempt = 0; attempt < 3; attempt++) {
        int port = free_port();

        if (port > 0 && start_server(port) == 0) {
            started_port = port;
            atexit(stop_server);
            return uri;
        }
    }
    fprintf(stderr, "harness: the development MongoDB server did not start "
            "(%s/tests/mongo-dev-server/start; python: %s); set "
            "MBK_TEST_MONGO_URI to test against a real server\n", srcdir,
            getenv("MBK_PYTHON") != NULL ? getenv("MBK_PYTHON")
                                         : "/usr/bin/python3");
    rmdir(gatedir);
    rmdir(rundir);
    gatedir[0] = '\0';
    return NULL;
}

const char *
mbk_test_devserver_gate_dir(void)
{
    if (mbk_test_mongo_uri() == NULL || started_port == 0) {
        return NULL;
    }
    return gatedir;
}

char *
mbk_test_db_new(const char *prefix)
{
    static int counter;
    char *name = NULL;

    if (asprintf(&name, "%s_%ld_%d", prefix, (long) getpid(),
                 ++counter) < 0) {
        return NULL;
    }
    return name;
}

void
mbk_test_db_drop(const char *db)
{
    mongoc_client_t *client;
    mongoc_database_t *database;
    const char *u = mbk_test_mongo_uri();

    if (u == NULL || db == NULL) {
        return;
    }
    client = mongoc_client_new(u);
    if (client == NULL) {
        return;
    }
    database = mongoc_client_get_database(client, db);
    (void) mongoc_database_drop(database, NULL);
    mongoc_database_destroy(database);
    mongoc_client_destroy(client);
}
