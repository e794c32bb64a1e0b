/* err: error names and the per-thread detail buffer. */
#include "core/err.h"

#include <stdarg.h>

static const char *const names[PV_ERR__COUNT] = {
    [PV_OK] = "ok",
    [PV_ERR_NOMEM] = "out of memory",
    [PV_ERR_IO] = "input/output error",
    [PV_ERR_NOTFOUND] = "not found",
    [PV_ERR_INVALID] = "invalid input",
    [PV_ERR_TOOBIG] = "too big",
    [PV_ERR_CORRUPT] = "corrupt data",
    [PV_ERR_FOREIGN] = "not a Porte-voix file",
    [PV_ERR_DB] = "database error",
    [PV_ERR_FULL] = "disk full",
    [PV_ERR_BUSY] = "busy",
    [PV_ERR_STATE] = "not allowed now",
    [PV_ERR_EXISTS] = "already exists with other content",
};

static _Thread_local char detail[512];

const char *pv_strerror(pv_err err) {
  if ((unsigned)err >= PV_ERR__COUNT || !names[err])
    return "unknown error";
  return names[err];
}

pv_err pv_fail(pv_err err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return err;
}

const char *pv_err_detail(void) {
  return detail;
}

void pv_err_say(char *out, size_t len, const char *fmt, ...) {
  if (!out || len == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, len, fmt, ap);
  va_end(ap);
}
