/*
 * audit_private.h: what audit.c (writing) and audit_read.c (reading and
 * verifying) share: line hashing and the zero hash.
 */
#ifndef MBK_ENGINE_AUDIT_PRIVATE_H
#define MBK_ENGINE_AUDIT_PRIVATE_H

#include <stddef.h>

#include "engine/audit/audit.h"

#define MBK_AUDIT_HASH_HEX 64 /* lowercase hex of a SHA-256 */
#define MBK_AUDIT_ZERO_HASH \
    "0000000000000000000000000000000000000000000000000000000000000000"

/* hex gets the SHA-256 of data as 64 lowercase hex digits and a NUL. */
void
mbk_audit_sha256_hex(const void *data, size_t len,
                     char hex[MBK_AUDIT_HASH_HEX + 1]);

#endif /* MBK_ENGINE_AUDIT_PRIVATE_H */
