/* token: the bearer tokens of pv-collector (docs/sync-protocol.md,
 * "Tokens and enrollment"). A token is "pvd_" (device) or "pva_"
 * (analyst) and PV_PROTO_TOKEN_BYTES random bytes from getrandom in
 * base64url without padding. The collector keeps only its SHA-256 hex:
 * the CLI prints a new token once, the server hashes what a request
 * presents and looks the hash up (a unique index), so no secret is ever
 * compared in the clear or stored. */
#ifndef PV_COLLECTOR_TOKEN_H
#define PV_COLLECTOR_TOKEN_H

#include "collector/storage.h"
#include "core/err.h"
#include "core/sha256.h"
#include "sync/protocol.h"

/* Writes a new random token of kind into out (NUL-terminated).
 * PV_ERR_IO when the kernel gives no randomness (detail says why). */
pv_err pv_token_new(pv_cdb_kind kind, char out[PV_PROTO_TOKEN_LEN + 1]);

/* Writes the SHA-256 hex of token (its stored form) into hex_out. */
pv_err pv_token_hash(const char *token, char hex_out[PV_SHA256_HEX + 1]);

#endif
