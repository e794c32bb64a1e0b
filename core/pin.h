/* pin: the animateur's PIN, which guards animateur mode on a kiosk.
 *
 * The PIN (4 to 8 digits) lives in the device store's settings only as a
 * salted slow hash, "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX" (OpenSSL's
 * PBKDF2-HMAC-SHA-256, 16 random bytes of salt), under the key "pin.hash".
 * The record carries its own iteration count, so PV_PIN_ITERATIONS can rise
 * later and old records still check. PV_PIN_MAX_TRIES wrong tries in a row
 * lock checking for PV_PIN_LOCK_MS by the injected clock; the count
 * ("pin.failures") and the lock's end ("pin.locked_until", pv_time_iso)
 * are settings too, so a restart does not lift the lock. No SDL here: the
 * PIN pad is the UI's, `pv-kiosk set-pin` is kiosk/admin's. */
#ifndef PV_PIN_H
#define PV_PIN_H

#include "core/clock.h"
#include "core/err.h"
#include "core/store.h"

#define PV_PIN_MIN_DIGITS 4
#define PV_PIN_MAX_DIGITS 8
#define PV_PIN_MAX_TRIES 5             /* wrong tries in a row before the lock */
#define PV_PIN_LOCK_MS (5 * 60 * 1000) /* how long the lock lasts */
#define PV_PIN_ITERATIONS 200000       /* PBKDF2 rounds for new records */
#define PV_PIN_MAX_ITERATIONS 10000000 /* bound on a stored record's count */
#define PV_PIN_SALT_LEN 16             /* bytes of random salt */
#define PV_PIN_HASH_LEN 32             /* bytes of derived key (SHA-256) */
#define PV_PIN_MAX_RECORD 160          /* bytes of a stored record */

#define PV_PIN_KEY_HASH "pin.hash"
#define PV_PIN_KEY_FAILURES "pin.failures"
#define PV_PIN_KEY_LOCKED_UNTIL "pin.locked_until"

typedef enum pv_pin_verdict {
  PV_PIN_RIGHT,  /* the PIN matched; the failure count is back to 0 */
  PV_PIN_WRONG,  /* it did not; tries_left more before the lock */
  PV_PIN_LOCKED, /* refused unchecked (or this try locked): seconds_left */
} pv_pin_verdict;

typedef struct pv_pin_result {
  pv_pin_verdict verdict;
  int tries_left;   /* PV_PIN_WRONG: wrong tries left before the lock */
  int seconds_left; /* PV_PIN_LOCKED: whole seconds until checking resumes */
} pv_pin_result;

/* Returns PV_OK when pin is 4 to 8 ASCII digits, else PV_ERR_INVALID with
 * the reason (in English) in pv_err_detail(). Reads at most 9 bytes. */
pv_err pv_pin_validate(const char *pin);

/* Stores a new salted hash of pin (validated as above) in st's settings,
 * replacing any earlier PIN, and clears the failure count and any lock. */
pv_err pv_pin_set(pv_store *st, const char *pin);

/* Returns 1 when st holds a PIN record, 0 when not (or unreadable). */
int pv_pin_is_set(pv_store *st);

/* Checks pin against the stored hash, in constant time, and fills *out.
 * While locked (by clock) it refuses without hashing. The try is counted
 * before hashing, so cutting power mid-check wins no free try; the
 * PV_PIN_MAX_TRIES-th wrong one locks (verdict PV_PIN_LOCKED); a right one
 * clears the count. A malformed pin counts as a wrong try, unhashed.
 * PV_ERR_NOTFOUND when no PIN is set, PV_ERR_CORRUPT for a bad record,
 * store errors as they come; *out is meaningful only on PV_OK. */
pv_err pv_pin_check(pv_store *st, const pv_clock *clock, const char *pin,
                    pv_pin_result *out);

#endif
