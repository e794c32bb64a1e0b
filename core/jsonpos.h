/* jsonpos: where things are in a JSON text, for file:line:col messages.
 *
 * cJSON parses but keeps no positions. This module adds what a linter
 * needs around it: a pre-scan that rejects invalid UTF-8, NUL bytes and
 * excessive nesting with the offset of the first bad byte (before cJSON
 * ever sees the bytes), and an index from each node of a parsed cJSON tree
 * to the offset of its value (and of its key, for members), built by
 * walking the already-validated text in step with the tree. */
#ifndef PV_JSONPOS_H
#define PV_JSONPOS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/err.h"

/* Checks data for NUL bytes (raw, or escaped as \u0000), invalid UTF-8
 * (overlongs, surrogates, past U+10FFFF), control bytes outside strings
 * (cJSON would take them for white space) and nesting deeper than
 * max_depth. Returns PV_OK, or
 * PV_ERR_INVALID with *bad_off at the first offending byte and a message
 * (static string) in *why. */
pv_err pv_json_prescan(const char *data, size_t len, int max_depth, size_t *bad_off,
                       const char **why);

/* Returns 1 when data ends inside a string or with an object or array
 * still open (a truncated file), else 0. */
int pv_json_unclosed(const char *data, size_t len);

/* Converts a byte offset into a 1-based line and column (column in bytes). */
void pv_json_linecol(const char *data, size_t len, size_t off, int *line, int *col);

typedef struct pv_jsonpos pv_jsonpos;

/* Indexes every node of root, parsed by cJSON from the same data. Returns
 * the index (caller frees with pv_jsonpos_free), or NULL when out of memory
 * or when the text and the tree disagree (a bug). */
pv_jsonpos *pv_jsonpos_build(const char *data, size_t len, const cJSON *root);

/* Returns the offset of node's value, or 0 when unknown. */
size_t pv_jsonpos_value(const pv_jsonpos *p, const cJSON *node);

/* Returns the offset of the key of an object member, or of its value when
 * it has no key (array elements, the root). */
size_t pv_jsonpos_key(const pv_jsonpos *p, const cJSON *node);

void pv_jsonpos_free(pv_jsonpos *p);

#endif
