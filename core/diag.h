/* diag: problems found in a file, each with its place, for linters and
 * loaders ("path:line:col: message"). Bounded: past PV_DIAGS_MAX only
 * the count grows. */
#ifndef PV_DIAG_H
#define PV_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define PV_DIAGS_MAX 200

typedef struct pv_diag {
  char *file;
  int line, col;
  char *message;
} pv_diag;

typedef struct pv_diags {
  pv_diag *items;
  size_t count, cap;
  size_t dropped; /* problems past PV_DIAGS_MAX (or out of memory), counted only */
} pv_diags;

/* Appends a copy of one problem; past the bound it is only counted. */
void pv_diags_add(pv_diags *d, const char *file, int line, int col, const char *msg);

/* Frees every diag and empties d (it can be used again). */
void pv_diags_free(pv_diags *d);

/* Writes "file:line:col: message\n" for every diag to f. */
void pv_diags_print(const pv_diags *d, FILE *f);

#endif
