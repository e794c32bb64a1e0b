/* diag: see diag.h. */
#include "core/diag.h"

#include <stdlib.h>
#include <string.h>

void pv_diags_add(pv_diags *d, const char *file, int line, int col, const char *msg) {
  if (d->count >= PV_DIAGS_MAX) {
    d->dropped++;
    return;
  }
  if (d->count == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    pv_diag *items = realloc(d->items, cap * sizeof *items);
    if (!items) {
      d->dropped++;
      return;
    }
    d->items = items;
    d->cap = cap;
  }
  pv_diag *g = &d->items[d->count];
  g->file = strdup(file);
  g->message = strdup(msg);
  if (!g->file || !g->message) {
    free(g->file);
    free(g->message);
    d->dropped++;
    return;
  }
  g->line = line;
  g->col = col;
  d->count++;
}

void pv_diags_free(pv_diags *d) {
  for (size_t i = 0; i < d->count; i++) {
    free(d->items[i].file);
    free(d->items[i].message);
  }
  free(d->items);
  memset(d, 0, sizeof *d);
}

void pv_diags_print(const pv_diags *d, FILE *f) {
  for (size_t i = 0; i < d->count; i++)
    fprintf(f, "%s:%d:%d: %s\n", d->items[i].file, d->items[i].line, d->items[i].col,
            d->items[i].message);
  if (d->dropped)
    fprintf(f, "(%zu more problems not shown)\n", d->dropped);
}
