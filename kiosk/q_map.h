/* q_map: the `map` question's widget, without SDL.
 *
 * The survey's plan, shown large and never mirrored (it is a map); a
 * palette of the question's pin kinds (each its pictogram; a tap selects
 * the kind and speaks its label) and a remove button; a tap on the plan
 * drops a pin of the selected kind, a drag moves a pin, and a pin is
 * removed by tapping it (it is ringed and spoken) then the remove button,
 * or by dragging it onto that button. Past `max` pins a tap on the plan
 * is refused, shown (red frame, red cross where it was tapped, counter in
 * red) and spoken. The answer is [{"kind", "x", "y"}, ...], x and y in
 * 0..1 from the plan image's left and top.
 *
 * Widget ids: `plan`, `pin:KIND` (palette), `pinned:N` (the Nth pin on
 * the plan, from 1), `remove`. */
#ifndef PV_KIOSK_Q_MAP_H
#define PV_KIOSK_Q_MAP_H

#include <cjson/cJSON.h>

#include "core/survey.h"
#include "kiosk/draw.h"
#include "kiosk/metrics.h"
#include "kiosk/strings.h"
#include "kiosk/ui.h"

#define PV_QMAP_MAX_PINS 30 /* the format's largest `max` */

typedef struct pv_qmap_pin {
  int kind;    /* index in the question's options */
  double x, y; /* 0..1 on the plan image */
} pv_qmap_pin;

/* The working state of the map on screen. */
typedef struct pv_qmap {
  pv_qmap_pin pins[PV_QMAP_MAX_PINS];
  int n;
  int kind;        /* selected kind (index), never -1 */
  int picked;      /* pin ringed for removal, or -1 */
  int refused;     /* the last tap on the plan was past max */
  double rx, ry;   /* where it was refused */
  char plan[1024]; /* the plan whose size is cached below */
  int plan_w, plan_h;
} pv_qmap;

/* What the widget needs of the app: where to declare and draw, the
 * question, and how to speak. */
typedef struct pv_qmap_env {
  pv_ui *ui;
  pv_draw_list *dl;
  const pv_metrics *m;
  const pv_question *q;
  int li;                  /* language index in the survey */
  const char *lang;        /* the resident's language */
  const char *remove_icon; /* pictogram paths (borrowed) */
  const char *check_icon;
  void (*say_option)(void *ud, const pv_option *o);
  void (*say)(void *ud, pv_str_id id);
  void *ud;
} pv_qmap_env;

/* Loads s from the JSON answer of q (NULL: no pins). Unknown kinds and
 * malformed pins are dropped; coordinates clamped to 0..1. */
void pv_qmap_load(pv_qmap *s, const pv_question *q, const char *json);

/* Returns the answer as a new cJSON array (caller deletes), or NULL when
 * no pin is placed. Coordinates are rounded to 1/10000. */
cJSON *pv_qmap_encode(const pv_qmap *s, const pv_question *q);

/* Handles and draws the map in area (the question's area). In landscape
 * the prompt goes beside the plan: returns the rect left for it (already
 * mirrored for RTL), or a zero-width rect in portrait. */
pv_rect pv_qmap_do(pv_qmap *s, const pv_qmap_env *e, pv_rect area);

/* Reads a PNG's or JPEG's pixel size from its header; returns 0 when the
 * file is neither or unreadable. */
int pv_qmap_image_size(const char *path, int *w, int *h);

#endif
