/* err: the one error type of Porte-voix.
 *
 * Every fallible function returns pv_err (0 = ok). A failure can leave a
 * detail (the library's own message, a path, a reason) in a per-thread
 * buffer, read with pv_err_detail(); it stays valid until the next
 * pv_fail() on the same thread. */
#ifndef PV_ERR_H
#define PV_ERR_H

#include <stdio.h>
#include <stdlib.h>

typedef enum pv_err {
  PV_OK = 0,
  PV_ERR_NOMEM,    /* out of memory */
  PV_ERR_IO,       /* read, write or fsync failed */
  PV_ERR_NOTFOUND, /* file, row or key absent */
  PV_ERR_INVALID,  /* input broke a rule (survey, value, argument) */
  PV_ERR_TOOBIG,   /* input past a named bound */
  PV_ERR_CORRUPT,  /* stored data failed its integrity check */
  PV_ERR_FOREIGN,  /* a file that is not ours, or from a newer version */
  PV_ERR_DB,       /* SQLite said no */
  PV_ERR_FULL,     /* disk full */
  PV_ERR_BUSY,     /* locked by someone else, try later */
  PV_ERR_STATE,    /* operation not allowed in the current state */
  PV_ERR_EXISTS,   /* already there with other content */
  PV_ERR__COUNT
} pv_err;

/* Returns a static English phrase for err; never NULL. */
const char *pv_strerror(pv_err err);

/* Records a formatted detail for the calling thread and returns err, so
 * failures read `return pv_fail(PV_ERR_IO, "%s: %s", path, strerror(errno));` */
pv_err pv_fail(pv_err err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns the last detail recorded on this thread (borrowed), or "" . */
const char *pv_err_detail(void);

/* Writes a reason (for a caller's reason buffer, e.g. a decoder saying why
 * it refused something) into out, len bytes; out NULL or len 0 is fine. */
void pv_err_say(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Programmer errors abort with file:line; the world returns pv_err. */
#define PV_ASSERT(cond)                                                                \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond);     \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

#endif
