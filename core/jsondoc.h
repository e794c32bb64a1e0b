/* jsondoc: a JSON file read the way a linter needs it, shared by every
 * loader of files people write (surveys, the kiosk config): read bounded,
 * pre-scanned (core/jsonpos), parsed by cJSON, with a position for every
 * node, and problems reported as "name:line:col: message" into diags. */
#ifndef PV_JSONDOC_H
#define PV_JSONDOC_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stddef.h>

#include "core/diag.h"
#include "core/err.h"
#include "core/jsonpos.h"

typedef struct pv_jsondoc {
  const char *name; /* for messages (borrowed) */
  char *text;       /* own copy, NUL-terminated; a BOM reads as spaces */
  size_t len;
  cJSON *root;
  pv_jsonpos *pos;
  pv_diags *diags;
  size_t errors; /* problems reported through this document */
} pv_jsondoc;

/* Describes what is read, for messages and bounds. */
typedef struct pv_jsondoc_kind {
  const char *what;  /* "a survey", "a kiosk config" */
  size_t max_bytes;  /* the file's size bound */
  const char *limit; /* the bound for people: "1 MiB" */
  int max_depth;     /* nesting bound */
} pv_jsondoc_kind;

/* Parses len bytes at data into doc. Returns PV_OK (doc filled; free with
 * pv_jsondoc_free), PV_ERR_INVALID after reporting the problem (too big,
 * NUL, bad UTF-8, too deep, syntax) to diags, or PV_ERR_NOMEM. */
pv_err pv_jsondoc_parse(pv_jsondoc *doc, const char *name, const char *data, size_t len,
                        const pv_jsondoc_kind *kind, pv_diags *diags);

/* Reads the file at path, bounded by kind->max_bytes, into a new buffer
 * (caller frees *data). Returns PV_OK; PV_ERR_NOTFOUND (nothing reported:
 * the caller decides what absence means); PV_ERR_INVALID after reporting
 * at path:1:1 (a directory, not a regular file, too big, unreadable); or
 * PV_ERR_NOMEM. */
pv_err pv_jsondoc_read(const char *path, const pv_jsondoc_kind *kind, char **data,
                       size_t *len, pv_diags *diags);

/* Frees what doc holds (not the diags). */
void pv_jsondoc_free(pv_jsondoc *doc);

/* Reports a problem at node's value, or at its key when at_key is set (for
 * members; the value otherwise), and counts it in doc->errors. */
void pv_jsondoc_error(pv_jsondoc *doc, const cJSON *node, int at_key, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
void pv_jsondoc_verror(pv_jsondoc *doc, const cJSON *node, int at_key, const char *fmt,
                       va_list ap) __attribute__((format(printf, 4, 0)));

/* Returns "an object", "an array", "a string", "a number", "a boolean" or
 * "null" for messages; static. */
const char *pv_json_kind(const cJSON *v);

#endif
