/*
 * skew_shim.c: an LD_PRELOAD library for the clock-skew test only: time()
 * runs MBK_TEST_CLOCK_SKEW seconds off, so that libcurl dates and signs
 * its requests with a wrong clock (curl 7.88's Signature V4 takes time()).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdlib.h>
#include <time.h>

time_t mbk_skew_time(time_t *t) __asm__("time");

time_t
mbk_skew_time(time_t *t)
{
    const char *s = getenv("MBK_TEST_CLOCK_SKEW");
    struct timespec ts;
    time_t now;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = ts.tv_sec + (s != NULL ? (time_t) strtol(s, NULL, 10) : 0);
    if (t != NULL) {
        *t = now;
    }
    return now;
}
