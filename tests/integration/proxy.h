/*
 * proxy.h: a TCP relay on loopback between mbk and the MongoDB server, that
 * a test can cut, to play a server that goes away in the middle of work,
 * or set to alter what the server sends, to play one that changes data.
 * One relay thread; not for production use.
 */
#ifndef MBK_TESTS_PROXY_H
#define MBK_TESTS_PROXY_H

struct mbk_proxy;

/* Relay 127.0.0.1:<*port> to the server of uri (its first host). */
struct mbk_proxy *
mbk_proxy_start(const char *uri, int *port);

/* Close every relayed connection and refuse new ones from now on. */
void
mbk_proxy_cut(struct mbk_proxy *p);

/* From now on, in every reply of the server, change the last byte of each
 * occurrence of marker to `to`.  Call before the client connects.  -1 (and
 * nothing changes) when marker is empty, longer than 63 characters or has
 * a character twice. */
int
mbk_proxy_tamper(struct mbk_proxy *p, const char *marker, char to);

/* How many markers were changed so far. */
unsigned long long
mbk_proxy_tampered(struct mbk_proxy *p);

/* Bytes relayed so far, both ways. */
unsigned long long
mbk_proxy_bytes(struct mbk_proxy *p);

void
mbk_proxy_stop(struct mbk_proxy *p); /* NULL-safe */

/* uri with its hosts replaced by 127.0.0.1:port and directConnection=true;
 * malloc'd. */
char *
mbk_proxy_uri(const char *uri, int port);

#endif /* MBK_TESTS_PROXY_H */
