/* sha256: see sha256.h. */
#include "core/sha256.h"

#include <openssl/evp.h>
#include <string.h>

struct pv_sha256 {
  EVP_MD_CTX *ctx;
};

pv_sha256 *pv_sha256_new(void) {
  pv_sha256 *h = malloc(sizeof *h);
  if (!h)
    return NULL;
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(h->ctx);
    free(h);
    return NULL;
  }
  return h;
}

void pv_sha256_update(pv_sha256 *h, const void *data, size_t len) {
  PV_ASSERT(EVP_DigestUpdate(h->ctx, data, len) == 1);
}

void pv_sha256_final(pv_sha256 *h, char out[PV_SHA256_HEX + 1]) {
  unsigned char md[32];
  unsigned int n = 0;
  PV_ASSERT(EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n == 32);
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = '\0';
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

pv_err pv_sha256_hex(const void *data, size_t len, char out[PV_SHA256_HEX + 1]) {
  pv_sha256 *h = pv_sha256_new();
  if (!h)
    return pv_fail(PV_ERR_NOMEM, "sha256: cannot allocate a hasher");
  pv_sha256_update(h, data, len);
  pv_sha256_final(h, out);
  return PV_OK;
}

int pv_sha256_valid(const char *s) {
  if (strlen(s) != PV_SHA256_HEX)
    return 0;
  for (int i = 0; i < PV_SHA256_HEX; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}
