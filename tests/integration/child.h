/*
 * child.h: the fault tests run the real mbk command as a child process:
 * start it with extra environment, stderr to a file, then wait for it,
 * kill it, or read what it said.  Not thread-safe (test main thread).
 */
#ifndef MBK_TESTS_INTEGRATION_CHILD_H
#define MBK_TESTS_INTEGRATION_CHILD_H

#include <sys/types.h>

/*
 * Start $MBK_BUILDDIR/cli/mbk with args (NULL-terminated, without argv[0])
 * followed by --uri <the test server> and --plugin-dir plugin_dir (NULL:
 * $MBK_TEST_PLUGIN_DIR).  env: "NAME=value" strings set in the child
 * only (NULL-terminated, or NULL).  stderr goes to errfile, stdout to
 * /dev/null.  Returns the pid, or -1.
 */
pid_t
mbk_child_start(const char *const *args, const char *plugin_dir,
                const char *const *env, const char *errfile);

/* The same with stdout to outfile instead of /dev/null. */
pid_t
mbk_child_start_out(const char *const *args, const char *plugin_dir,
                    const char *const *env, const char *errfile,
                    const char *outfile);

/* Wait for pid: its exit status, or 128 + the signal that ended it. */
int
mbk_child_wait(pid_t pid);

/*
 * Wait until pid stops (SIGSTOP: it reached the point MBK_TEST_STOP_AT
 * names) or ends, for at most deadline_seconds: 1 stopped, 0 it ended
 * (*status its exit status or 128 + signal), -1 the deadline passed.
 */
int
mbk_child_wait_stopped(pid_t pid, double deadline_seconds, int *status);

/* Start, then wait. */
int
mbk_child_run(const char *const *args, const char *plugin_dir,
              const char *const *env, const char *errfile);

/* Start with stdout to outfile, then wait. */
int
mbk_child_run_out(const char *const *args, const char *plugin_dir,
                  const char *const *env, const char *errfile,
                  const char *outfile);

/* The first 64 KiB of a file as a string (empty when unreadable); free. */
char *
mbk_child_slurp(const char *path);

/* Whether the child's stderr holds a sanitizer report (a leak or an
 * error in a failing path would otherwise pass unseen). */
int
mbk_child_sanitized(const char *stderr_text);

#endif /* MBK_TESTS_INTEGRATION_CHILD_H */
