/* pin: see pin.h.
 *
 * Cost: PV_PIN_ITERATIONS = 200,000 rounds of PBKDF2-HMAC-SHA-256 take
 * 50 ms per check on this 2-core VM when idle and up to 90 ms under the
 * other builds' load (OpenSSL 3.0.19, a plain -O2 build timing
 * pv_pin_check; the ASan test build is 4 to 6 times slower): slow for
 * a guesser with the file, quick enough for an animateur. The lockout,
 * not the hash, stops guessing at the pad; the hash is for a copied
 * store. */
#include "core/pin.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SCHEME "pbkdf2-sha256"

static const char hexdigits[] = "0123456789abcdef";

static void hex_encode(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hexdigits[b[i] >> 4];
    out[2 * i + 1] = hexdigits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Decodes exactly 2n lowercase hex digits at s into b; returns 0 or -1. */
static int hex_decode(const char *s, unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int hi = hex_value(s[2 * i]), lo = hi < 0 ? -1 : hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    b[i] = (unsigned char)(hi << 4 | lo);
  }
  return 0;
}

typedef struct record {
  long iterations;
  unsigned char salt[PV_PIN_SALT_LEN];
  unsigned char hash[PV_PIN_HASH_LEN];
} record;

/* Parses "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX" into *r; PV_ERR_CORRUPT
 * when it is anything else. */
static pv_err record_parse(const char *s, record *r) {
  size_t len = strnlen(s, PV_PIN_MAX_RECORD + 1), pre = strlen(SCHEME "$");
  char *end = NULL;
  if (len > PV_PIN_MAX_RECORD || strncmp(s, SCHEME "$", pre) != 0)
    goto bad;
  s += pre;
  if (*s < '1' || *s > '9')
    goto bad;
  errno = 0;
  r->iterations = strtol(s, &end, 10);
  if (errno || r->iterations < 1 || r->iterations > PV_PIN_MAX_ITERATIONS ||
      *end != '$')
    goto bad;
  s = end + 1;
  if (strnlen(s, 2 * PV_PIN_SALT_LEN + 1) < 2 * PV_PIN_SALT_LEN ||
      hex_decode(s, r->salt, PV_PIN_SALT_LEN) || s[2 * PV_PIN_SALT_LEN] != '$')
    goto bad;
  s += 2 * PV_PIN_SALT_LEN + 1;
  if (strlen(s) != 2 * PV_PIN_HASH_LEN || hex_decode(s, r->hash, PV_PIN_HASH_LEN))
    goto bad;
  return PV_OK;
bad:
  return pv_fail(PV_ERR_CORRUPT, "pin: the stored PIN record is not \"" SCHEME
                                 "$ITERATIONS$SALT$HASH\"; set the PIN again");
}

/* Derives PV_PIN_HASH_LEN bytes from pin with salt and iterations. */
static pv_err derive(const char *pin, const unsigned char *salt, long iterations,
                     unsigned char out[PV_PIN_HASH_LEN]) {
  if (PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, PV_PIN_SALT_LEN, (int)iterations,
                        EVP_sha256(), PV_PIN_HASH_LEN, out) != 1) {
    char msg[256];
    ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
    return pv_fail(PV_ERR_NOMEM, "pin: PBKDF2 failed: %s", msg);
  }
  return PV_OK;
}

static pv_err random_bytes(unsigned char *b, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(b + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return pv_fail(PV_ERR_IO, "pin: getrandom: %s", strerror(errno));
    }
    got += (size_t)r;
  }
  return PV_OK;
}

/* Writes the stored failure count to *n: 0 when absent; a value that is
 * not a count reads as one short of the lock (fail safe). */
static pv_err failures_get(pv_store *st, int *n) {
  char *v = NULL, *end = NULL;
  pv_err err = pv_store_setting_get(st, PV_PIN_KEY_FAILURES, &v);
  *n = 0;
  if (err == PV_ERR_NOTFOUND)
    return PV_OK;
  if (err)
    return err;
  errno = 0;
  long x = strtol(v, &end, 10);
  *n = (errno || end == v || *end || x < 0 || x >= PV_PIN_MAX_TRIES)
           ? PV_PIN_MAX_TRIES - 1
           : (int)x;
  free(v);
  return PV_OK;
}

static pv_err failures_set(pv_store *st, int n) {
  char buf[16];
  if (n == 0)
    return pv_store_setting_set(st, PV_PIN_KEY_FAILURES, NULL);
  snprintf(buf, sizeof buf, "%d", n);
  return pv_store_setting_set(st, PV_PIN_KEY_FAILURES, buf);
}

static pv_err lock_until(pv_store *st, int64_t until) {
  char iso[PV_STORE_TIME_LEN + 1];
  pv_time_iso(until, iso);
  return pv_store_setting_set(st, PV_PIN_KEY_LOCKED_UNTIL, iso);
}

/* Writes to *left_ms how long the lock still holds at now (0: unlocked).
 * A lock ending further off than PV_PIN_LOCK_MS (the clock went back) or
 * unreadable is rewritten to end PV_PIN_LOCK_MS from now, never later. */
static pv_err lock_left(pv_store *st, int64_t now, int64_t *left_ms) {
  char *v = NULL;
  int64_t until = 0;
  pv_err err = pv_store_setting_get(st, PV_PIN_KEY_LOCKED_UNTIL, &v);
  *left_ms = 0;
  if (err == PV_ERR_NOTFOUND)
    return PV_OK;
  if (err)
    return err;
  int readable = strnlen(v, PV_STORE_TIME_LEN + 1) == PV_STORE_TIME_LEN &&
                 pv_time_parse(v, &until) == 0;
  free(v);
  if (!readable || until - now > PV_PIN_LOCK_MS) {
    until = now + PV_PIN_LOCK_MS;
    if ((err = lock_until(st, until)))
      return err;
  }
  *left_ms = until > now ? until - now : 0;
  return PV_OK;
}

pv_err pv_pin_validate(const char *pin) {
  size_t len = pin ? strnlen(pin, PV_PIN_MAX_DIGITS + 1) : 0;
  if (len < PV_PIN_MIN_DIGITS || len > PV_PIN_MAX_DIGITS)
    return pv_fail(PV_ERR_INVALID, "pin: the PIN must have %d to %d digits",
                   PV_PIN_MIN_DIGITS, PV_PIN_MAX_DIGITS);
  for (size_t i = 0; i < len; i++)
    if (pin[i] < '0' || pin[i] > '9')
      return pv_fail(PV_ERR_INVALID, "pin: the PIN must be digits only (0-9)");
  return PV_OK;
}

pv_err pv_pin_set(pv_store *st, const char *pin) {
  record r = {.iterations = PV_PIN_ITERATIONS};
  char salt_hex[2 * PV_PIN_SALT_LEN + 1], hash_hex[2 * PV_PIN_HASH_LEN + 1];
  char rec[PV_PIN_MAX_RECORD + 1];
  pv_err err;
  PV_ASSERT(st);
  if ((err = pv_pin_validate(pin)) || (err = random_bytes(r.salt, sizeof r.salt)) ||
      (err = derive(pin, r.salt, r.iterations, r.hash)))
    goto out;
  hex_encode(r.salt, sizeof r.salt, salt_hex);
  hex_encode(r.hash, sizeof r.hash, hash_hex);
  snprintf(rec, sizeof rec, SCHEME "$%ld$%s$%s", r.iterations, salt_hex, hash_hex);
  if (!(err = pv_store_setting_set(st, PV_PIN_KEY_HASH, rec)) &&
      !(err = failures_set(st, 0)))
    err = pv_store_setting_set(st, PV_PIN_KEY_LOCKED_UNTIL, NULL);
out:
  OPENSSL_cleanse(&r, sizeof r);
  OPENSSL_cleanse(hash_hex, sizeof hash_hex);
  return err;
}

int pv_pin_is_set(pv_store *st) {
  char *v = NULL;
  PV_ASSERT(st);
  if (pv_store_setting_get(st, PV_PIN_KEY_HASH, &v) != PV_OK)
    return 0;
  free(v);
  return 1;
}

pv_err pv_pin_check(pv_store *st, const pv_clock *clock, const char *pin,
                    pv_pin_result *out) {
  char *rec = NULL;
  record r;
  unsigned char got[PV_PIN_HASH_LEN];
  int64_t now, left = 0;
  int failures = 0, right = 0;
  pv_err err;
  PV_ASSERT(st && clock && pin && out);
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  memset(got, 0, sizeof got);
  now = pv_clock_now(clock);
  if ((err = pv_store_setting_get(st, PV_PIN_KEY_HASH, &rec))) {
    if (err == PV_ERR_NOTFOUND)
      err = pv_fail(PV_ERR_NOTFOUND, "pin: no PIN is set (pv-kiosk set-pin)");
    goto out;
  }
  if ((err = lock_left(st, now, &left)))
    goto out;
  if (left > 0) { /* refused before any hashing */
    out->verdict = PV_PIN_LOCKED;
    out->seconds_left = (int)((left + 999) / 1000);
    goto out;
  }
  if ((err = record_parse(rec, &r)) || (err = failures_get(st, &failures)))
    goto out;
  /* Count the try first: a check cut short still cost one. */
  failures++;
  if ((err = failures_set(st, failures)))
    goto out;
  if (pv_pin_validate(pin) == PV_OK) {
    if ((err = derive(pin, r.salt, r.iterations, got)))
      goto out;
    right = CRYPTO_memcmp(got, r.hash, sizeof got) == 0;
  }
  if (right) {
    out->verdict = PV_PIN_RIGHT;
    err = failures_set(st, 0);
  } else if (failures >= PV_PIN_MAX_TRIES) {
    out->verdict = PV_PIN_LOCKED;
    out->seconds_left = PV_PIN_LOCK_MS / 1000;
    if (!(err = lock_until(st, now + PV_PIN_LOCK_MS)))
      err = failures_set(st, 0);
  } else {
    out->verdict = PV_PIN_WRONG;
    out->tries_left = PV_PIN_MAX_TRIES - failures;
  }
out:
  OPENSSL_cleanse(got, sizeof got);
  OPENSSL_cleanse(&r, sizeof r);
  free(rec);
  return err;
}
