/* sha256: SHA-256 through OpenSSL's libcrypto (no hand-written crypto),
 * for attachments (content addresses) and the synthesised-audio cache. */
#ifndef PV_SHA256_H
#define PV_SHA256_H

#include <stddef.h>

#include "core/err.h"

#define PV_SHA256_HEX 64

typedef struct pv_sha256 pv_sha256;

/* Returns a new incremental hasher, or NULL when out of memory. */
pv_sha256 *pv_sha256_new(void);
void pv_sha256_update(pv_sha256 *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL, and frees h. */
void pv_sha256_final(pv_sha256 *h, char out[PV_SHA256_HEX + 1]);

/* One-shot: hex digest of len bytes at data. */
pv_err pv_sha256_hex(const void *data, size_t len, char out[PV_SHA256_HEX + 1]);

/* Returns 1 if s is 64 lowercase hex digits, else 0. */
int pv_sha256_valid(const char *s);

#endif
