/*
 * child.c: running the real mbk command from the fault tests (child.h).
 */
#include "config.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/child.h"
#include "tests/integration/harness.h"

#define ARGS_MAX 40

pid_t
mbk_child_start(const char *const *args, const char *plugin_dir,
                const char *const *env, const char *errfile)
{
    return mbk_child_start_out(args, plugin_dir, env, errfile, "/dev/null");
}

pid_t
mbk_child_start_out(const char *const *args, const char *plugin_dir,
                    const char *const *env, const char *errfile,
                    const char *outfile)
{
    char mbk[4096];
    const char *argv[ARGS_MAX + 6];
    const char *builddir = getenv("MBK_BUILDDIR");
    const char *uri = mbk_test_mongo_uri();
    int k = 0;
    pid_t pid;

    if (builddir == NULL || uri == NULL) {
        return -1;
    }
    if (plugin_dir == NULL) {
        plugin_dir = getenv("MBK_TEST_PLUGIN_DIR");
    }
    snprintf(mbk, sizeof(mbk), "%s/cli/mbk", builddir);
    argv[k++] = mbk;
    for (int i = 0; args[i] != NULL && i < ARGS_MAX; i++) {
        argv[k++] = args[i];
    }
    argv[k++] = "--uri";
    argv[k++] = uri;
    if (plugin_dir != NULL) {
        argv[k++] = "--plugin-dir";
        argv[k++] = plugin_dir;
    }
    argv[k] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        for (int i = 0; env != NULL && env[i] != NULL; i++) {
            if (putenv((char *)env[i]) != 0) {
                _exit(126);
            }
        }
        if (freopen(errfile, "w", stderr) == NULL ||
            freopen(outfile, "w", stdout) == NULL) {
            _exit(126);
        }
        execv(mbk, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int
mbk_child_wait(pid_t pid)
{
    int status = 0;

    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

int
mbk_child_wait_stopped(pid_t pid, double deadline_seconds, int *status)
{
    struct timespec t0;
    struct timespec now;
    struct timespec nap = {0, 10 * 1000 * 1000};
    int st = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG | WUNTRACED);

        if (r == pid && WIFSTOPPED(st)) {
            return 1;
        }
        if (r == pid) {
            *status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) +
                (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >
            deadline_seconds) {
            return -1;
        }
        nanosleep(&nap, NULL); /* polling a condition, not a guess */
    }
}

int
mbk_child_run(const char *const *args, const char *plugin_dir,
              const char *const *env, const char *errfile)
{
    return mbk_child_wait(mbk_child_start(args, plugin_dir, env, errfile));
}

int
mbk_child_run_out(const char *const *args, const char *plugin_dir,
                  const char *const *env, const char *errfile,
                  const char *outfile)
{
    return mbk_child_wait(
        mbk_child_start_out(args, plugin_dir, env, errfile, outfile));
}

char *
mbk_child_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);

    if (buf != NULL && f != NULL) {
        size_t n = fread(buf, 1, 65535, f);

        buf[n] = '\0';
    }
    if (f != NULL) {
        fclose(f);
    }
    return buf;
}

int
mbk_child_sanitized(const char *stderr_text)
{
    return strstr(stderr_text, "Sanitizer") != NULL ||
           strstr(stderr_text, "runtime error:") != NULL;
}
