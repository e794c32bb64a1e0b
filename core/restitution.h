/* restitution: what a group is shown of its own answers at the end of a
 * meeting (issue 6, item 4), computed by a pure function over finished
 * responses so the K rule is tested apart from any drawing.
 *
 * The K rule (docs/animateur.md, "Restitution") is applied here, once:
 * a value that must stay hidden is zeroed in the result and flagged, so a
 * view cannot show it even by mistake. Voice notes and texts are never
 * read. No SDL, no I/O except the store walk of pv_restit_from_store. */
#ifndef PV_RESTITUTION_H
#define PV_RESTITUTION_H

#include <stddef.h>

#include "core/err.h"
#include "core/sha256.h"
#include "core/store.h"
#include "core/survey.h"

#define PV_RESTIT_K_DEFAULT 3    /* the setting's default */
#define PV_RESTIT_GRID_W 16      /* heat grid columns over the plan */
#define PV_RESTIT_GRID_H 12      /* heat grid rows */
#define PV_RESTIT_MAX_PINS 30    /* pins read per answer (the format's max) */
#define PV_RESTIT_MAX_GALLERY 96 /* drawings kept for the gallery */
#define PV_RESTIT_PAGE 100       /* responses per store page */
#define PV_RESTIT_SCALE_CELLS 11 /* scale answers 0..10 */

typedef enum pv_restit_state {
  PV_RESTIT_SHOWN,   /* the data below is what may be shown */
  PV_RESTIT_TOO_FEW, /* fewer than K residents: "pas assez de réponses" */
  PV_RESTIT_PRIVATE, /* voice, text: never shown, nothing was read */
} pv_restit_state;

/* One count of a distribution; hidden => count is 0. */
typedef struct pv_restit_cell {
  int count;
  int hidden;
} pv_restit_cell;

/* One ranking item; hidden => mean and count are 0. */
typedef struct pv_restit_rank {
  double mean; /* mean rank, 1 = preferred */
  int count;   /* residents who ranked it */
  int hidden;
} pv_restit_rank;

typedef struct pv_restit_question {
  const pv_question *q; /* borrowed from the survey */
  pv_restit_state state;
  int answered; /* residents who answered (0 unless SHOWN) */

  /* Distributions, by type: smileys cells[p-1] for point p; scale
   * cells[v] for 0..10; yes_no cells[0] "yes", cells[1] "no"; choice and
   * photo_choice cells[i] for option i (a multiple answer counts in each
   * chosen option); map cells[i] residents who placed a pin of kind i. */
  pv_restit_cell *cells;
  size_t n_cells;

  /* ranking: ranks[i] for option i; order lists the option indices by
   * mean rank, best first, hidden items last in survey order. */
  pv_restit_rank *ranks;
  size_t *order;
  size_t n_ranks;

  /* map: n_cells + 1 grids of GRID_W x GRID_H cells, row-major, y down;
   * grid g < n_cells is pin kind g, grid n_cells all kinds. A cell counts
   * pins; see pv_restit_heat. */
  pv_restit_cell *heat;

  /* drawing: attachment SHA-256s in a shuffled order (not the answering
   * order), only when SHOWN. */
  char (*gallery)[PV_SHA256_HEX + 1];
  size_t n_gallery;
} pv_restit_question;

typedef struct pv_restit {
  int k;              /* the threshold applied (>= 1) */
  size_t responses;   /* responses counted (the room knows it: not hidden) */
  size_t n_questions; /* = the survey's, in survey order */
  pv_restit_question *questions;
} pv_restit;

/* Computes the restitution of responses rs[0..n) for survey s (only
 * finished responses to s->id, any version: answers match questions by
 * id, values outside the current domain are ignored). k < 1 counts as 1.
 * The gallery's shuffle is seeded by the first counted response's
 * session. On success *out is the caller's, to pv_restit_free. */
pv_err pv_restit_build(const pv_survey *s, const pv_store_response *rs, size_t n, int k,
                       pv_restit **out);

/* The same over the finished responses of one session in the store (NULL:
 * every session), walked in pages of PV_RESTIT_PAGE. */
pv_err pv_restit_from_store(pv_store *st, const pv_survey *s, const char *session_uuid,
                            int k, pv_restit **out);

/* Frees r; NULL is fine. */
void pv_restit_free(pv_restit *r);

/* Returns heat cell (gx, gy) of grid g (a pin kind, or the number of
 * kinds for all kinds) of a map question; borrowed. */
const pv_restit_cell *pv_restit_heat(const pv_restit_question *rq, size_t g, int gx,
                                     int gy);

#endif
