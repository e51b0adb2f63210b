/*
 * fcgi_raw.c: a raw FastCGI client for the attack tests: talks straight
 * to the responder's unix socket, as any local process could, with the
 * parameters given on the command line (a forged REMOTE_USER, with or
 * without MBK_PROXY_SECRET).  Prints the responder's answer (its CGI
 * headers, a blank line, the body) on stdout.
 *   fcgi_raw SOCKET NAME=VALUE... [< body]
 * With FCGI_RAW_STALL set in the environment it sends one byte of body
 * and then nothing more (a peer that stalls), and reads the answer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6, STDERR = 7 };

static int
write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
    char *c = p;

    while (n > 0) {
        ssize_t r = read(fd, c, n);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static int
record(int fd, int type, const void *data, size_t len)
{
    unsigned char h[8] = {1, (unsigned char)type, 0, 1,
                          (unsigned char)(len >> 8), (unsigned char)len, 0, 0};

    return write_all(fd, h, 8) != 0 || (len > 0 && write_all(fd, data, len))
               ? -1
               : 0;
}

/* One name-value pair, lengths of 1 or 4 bytes. */
static size_t
pair(unsigned char *out, const char *name, size_t nl, const char *value,
     size_t vl)
{
    size_t o = 0;
    size_t lens[2] = {nl, vl};

    for (int i = 0; i < 2; i++) {
        if (lens[i] < 128) {
            out[o++] = (unsigned char)lens[i];
        } else {
            out[o++] = (unsigned char)(0x80 | (lens[i] >> 24));
            out[o++] = (unsigned char)(lens[i] >> 16);
            out[o++] = (unsigned char)(lens[i] >> 8);
            out[o++] = (unsigned char)lens[i];
        }
    }
    memcpy(out + o, name, nl);
    memcpy(out + o + nl, value, vl);
    return o + nl + vl;
}

int
main(int argc, char **argv)
{
    static const unsigned char begin[8] = {0, 1, 0, 0, 0, 0, 0, 0};
    struct sockaddr_un sa;
    unsigned char buf[65536 + 16];
    int fd;

    /* a deadline of minutes: a responder that never answers fails the
     * test instead of hanging it */
    alarm(900);
    if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: fcgi_raw SOCKET NAME=VALUE... [< body]\n");
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, argv[1], strlen(argv[1]));
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("fcgi_raw: connect");
        return 1;
    }
    if (record(fd, BEGIN, begin, 8) != 0) {
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        size_t nl;
        size_t vl;

        if (eq == NULL) {
            fprintf(stderr, "fcgi_raw: %s is not NAME=VALUE\n", argv[i]);
            return 2;
        }
        nl = (size_t)(eq - argv[i]);
        vl = strlen(eq + 1);
        if (nl + vl > 60000) {
            return 2;
        }
        if (record(fd, PARAMS, buf, pair(buf, argv[i], nl, eq + 1, vl)) != 0) {
            return 1;
        }
    }
    if (record(fd, PARAMS, NULL, 0) != 0) {
        return 1;
    }
    if (getenv("FCGI_RAW_STALL") != NULL) {
        if (record(fd, STDIN, "{", 1) != 0) {
            return 1;
        }
    } else if (!isatty(0)) {
        ssize_t n;

        while ((n = read(0, buf, 32768)) > 0) {
            if (record(fd, STDIN, buf, (size_t)n) != 0) {
                return 1;
            }
        }
    }
    if (getenv("FCGI_RAW_STALL") == NULL && record(fd, STDIN, NULL, 0) != 0) {
        return 1;
    }
    for (;;) {
        unsigned char h[8];
        size_t len;
        size_t pad;

        if (read_all(fd, h, 8) != 0) {
            fprintf(stderr, "fcgi_raw: the connection ended early\n");
            return 1;
        }
        len = ((size_t)h[4] << 8) | h[5];
        pad = h[6];
        if (read_all(fd, buf, len + pad) != 0) {
            return 1;
        }
        if (h[1] == STDOUT && len > 0) {
            fwrite(buf, 1, len, stdout);
        } else if (h[1] == STDERR && len > 0) {
            fwrite(buf, 1, len, stderr);
        } else if (h[1] == END) {
            break;
        }
    }
    close(fd);
    return 0;
}
