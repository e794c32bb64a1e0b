/* token: see token.h.
 *
 * Why a plain SHA-256 and not a password hash (bcrypt, argon2): a token
 * carries 192 random bits, so nobody can guess one from its hash, however
 * fast the hash; slow hashes exist to protect low-entropy passwords. A
 * fast hash also lets the server authenticate every request with one
 * indexed lookup. */
#include "collector/token.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

/* Fills len bytes from getrandom, retrying on EINTR and short reads. */
static pv_err random_bytes(unsigned char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = getrandom(buf + got, len - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return pv_fail(PV_ERR_IO, "token: getrandom: %s", strerror(errno));
    }
    got += (size_t)n;
  }
  return PV_OK;
}

pv_err pv_token_new(pv_cdb_kind kind, char out[PV_PROTO_TOKEN_LEN + 1]) {
  unsigned char raw[PV_PROTO_TOKEN_BYTES];
  /* EVP_EncodeBlock writes 4 characters per 3 bytes and a NUL; 24 bytes
   * are a multiple of 3, so there is no padding to strip. */
  unsigned char b64[PV_PROTO_TOKEN_BYTES * 4 / 3 + 4];
  _Static_assert(PV_PROTO_TOKEN_BYTES % 3 == 0,
                 "token bytes must encode without padding");
  pv_err err = random_bytes(raw, sizeof raw);
  if (err)
    return err;
  int n = EVP_EncodeBlock(b64, raw, (int)sizeof raw);
  memset(raw, 0, sizeof raw);
  PV_ASSERT(n == PV_PROTO_TOKEN_BYTES * 4 / 3);
  /* base64 -> base64url: the token travels in headers and config files. */
  for (int i = 0; i < n; i++)
    if (b64[i] == '+')
      b64[i] = '-';
    else if (b64[i] == '/')
      b64[i] = '_';
  memcpy(out, kind == PV_CDB_DEVICE ? "pvd_" : "pva_", 4);
  memcpy(out + 4, b64, (size_t)n);
  out[4 + n] = '\0';
  memset(b64, 0, sizeof b64);
  return PV_OK;
}

pv_err pv_token_hash(const char *token, char hex_out[PV_SHA256_HEX + 1]) {
  return pv_sha256_hex(token, strlen(token), hex_out);
}
