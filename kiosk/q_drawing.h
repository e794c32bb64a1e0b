/* q_drawing: the `drawing` question's widget, without SDL.
 *
 * The canvas (kiosk/canvas.h, a fixed 1024x768 raster) scaled to fit,
 * never mirrored (it is a picture); beside it, in big pictographic
 * buttons each spoken when touched, the colour swatches with the eraser
 * (start side, under the prompt) and the tools (end side): three brush
 * sizes shown as dots of their real size, undo, and clear (a bin held
 * PV_QDRAW_CLEAR_MS: the canvas shakes while it is held, then empties).
 * In RTL the columns change sides; the canvas does not mirror. The
 * canvas follows the ui context's pointer and the further fingers it
 * tracks (pv_ui.extra) that went down on the canvas: each finger id draws
 * its own stroke.
 *
 * Widget ids: `canvas`, `colour:N` (1..PV_QDRAW_COLOURS), `eraser`,
 * `brush:N` (1..3, fine to thick), `undo`, `clear`. */
#ifndef PV_KIOSK_Q_DRAWING_H
#define PV_KIOSK_Q_DRAWING_H

#include <stdint.h>

#include "core/survey.h"
#include "kiosk/canvas.h"
#include "kiosk/draw.h"
#include "kiosk/metrics.h"
#include "kiosk/strings.h"
#include "kiosk/ui.h"

#define PV_QDRAW_COLOURS 8
#define PV_QDRAW_BRUSHES 3
#define PV_QDRAW_CLEAR_MS 1000 /* hold the bin this long to clear */

/* The swatches' colours (0xRRGGBBAA), Okabe-Ito's colour-blind-safe set
 * with ink for black and brown for yellow (yellow vanishes on white). */
extern const uint32_t pv_qdraw_colours[PV_QDRAW_COLOURS];

/* The brushes' diameters on screen, millimetres. */
extern const double pv_qdraw_brush_mm[PV_QDRAW_BRUSHES];

/* The working state of the drawing on screen. */
typedef struct pv_qdraw {
  pv_canvas *canvas;               /* owned by the caller */
  int colour;                      /* index in pv_qdraw_colours */
  int brush;                       /* index in pv_qdraw_brush_mm */
  int eraser;                      /* 1: strokes paint the background */
  int drawing;                     /* the ui's finger is drawing a stroke */
  int64_t finger;                  /* its id */
  int64_t others[PV_UI_MAX_EXTRA]; /* further fingers drawing at once */
  int n_others;
  int cleared; /* the bin fired for the press in progress */
  int changed; /* a stroke, undo or clear since pv_qdraw_reset */
} pv_qdraw;

/* What the widget needs of the app. */
typedef struct pv_qdraw_env {
  pv_ui *ui;
  pv_draw_list *dl;
  const pv_metrics *m;
  const char *lang;      /* the resident's language */
  const char *undo_icon; /* pictogram paths (borrowed) */
  const char *clear_icon;
  const char *check_icon;
  void (*say)(void *ud, pv_str_id id);
  void *ud;
} pv_qdraw_env;

/* Returns s to its first look over canvas (borrowed): first colour,
 * middle brush, no eraser, nothing in progress, not changed. The canvas
 * itself is not touched. */
void pv_qdraw_reset(pv_qdraw *s, pv_canvas *canvas);

/* Handles and draws the widget in area (the question's area). In
 * landscape the prompt goes above the swatches: returns the rect left for
 * it (already mirrored for RTL), or a zero-width rect in portrait. */
pv_rect pv_qdraw_do(pv_qdraw *s, const pv_qdraw_env *e, pv_rect area);

/* Returns the milliseconds until the widget next needs a frame (the bin
 * held: its ring fills and the canvas shakes), or -1. */
int64_t pv_qdraw_next_frame(const pv_qdraw *s, const pv_ui *ui);

#endif
