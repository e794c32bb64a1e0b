/* ui: the kiosk's immediate-mode widget context (in the manner of microui).
 *
 * One pv_ui is passed first to every call. Pointer input (mouse or finger,
 * both fed by the platform as abstract events with a timestamp) goes in
 * between frames; each frame, screens declare their widgets by string id
 * ("choice:parc", "next") and rect, and get back what happened to them:
 * pressed (for the touch-down look within one frame), tapped (finger-up
 * inside the widget it went down on), held (long press: speak the label),
 * dragged. Hit tests use the widgets of the previous frame, which is what
 * the resident saw when touching. The same widget table lets the headless
 * runner `tap @ID`. No SDL here. */
#ifndef PV_KIOSK_UI_H
#define PV_KIOSK_UI_H

#include <stdint.h>

#include "kiosk/draw.h"

#define PV_UI_MAX_WIDGETS 96
#define PV_UI_MAX_ID 48
#define PV_UI_HOLD_MS 600 /* a long press speaks the label */
#define PV_UI_SLOP_MM 4.0 /* movement that turns a press into a drag */
#define PV_UI_MAX_EXTRA 4 /* further fingers followed (for the drawing canvas) */

typedef enum pv_ptr_kind {
  PV_PTR_DOWN,
  PV_PTR_MOVE,
  PV_PTR_UP,
  PV_PTR_CANCEL
} pv_ptr_kind;

/* What happened to a widget this frame (flags, may combine). */
enum {
  PV_UI_PRESSED = 1 << 0,  /* the pointer is down on it now */
  PV_UI_TAPPED = 1 << 1,   /* released inside it, not a long press nor a drag */
  PV_UI_HELD = 1 << 2,     /* long press reached (reported once per press) */
  PV_UI_DRAGGING = 1 << 3, /* being dragged: pv_ui_drag_pos() tells where */
  PV_UI_DROPPED = 1 << 4,  /* drag ended: pv_ui_drag_pos() is the drop point */
};

/* Widget options. */
enum {
  PV_UI_DRAGGABLE = 1 << 0,
};

typedef struct pv_ui_widget {
  char id[PV_UI_MAX_ID];
  pv_rect rect;
  int opts;
} pv_ui_widget;

/* A finger down while the first one is: widgets never see it (a palm
 * presses no button), but a canvas may draw with it. */
typedef struct pv_ui_finger {
  int down;
  int64_t id;
  int x, y, down_x, down_y;
} pv_ui_finger;

typedef struct pv_ui {
  /* Widgets declared this frame, and those of the last finished frame
   * (used for hit tests and by the headless runner). */
  pv_ui_widget widgets[PV_UI_MAX_WIDGETS];
  int n_widgets;
  pv_ui_widget last[PV_UI_MAX_WIDGETS];
  int n_last;

  /* The one pointer we follow (further fingers are ignored while it is
   * down: a resident's palm does not press a second button). */
  int down;
  int64_t finger;
  int x, y, down_x, down_y;
  int64_t down_ms, now_ms;
  int slop_px;
  char pressed[PV_UI_MAX_ID]; /* widget under the finger at touch-down */
  int dragging, held_fired;
  pv_ui_finger extra[PV_UI_MAX_EXTRA]; /* further fingers (more are ignored) */

  /* Events waiting for the frame that reports them. */
  char tapped[PV_UI_MAX_ID];
  char held[PV_UI_MAX_ID];
  char dropped[PV_UI_MAX_ID];
  int drop_x, drop_y;
  int64_t last_input_ms; /* for inactivity */
  int dirty;             /* something changed: redraw */
  int consumed;          /* this frame handled an event */
} pv_ui;

/* Resets ui; slop_px is the drag threshold in pixels. */
void pv_ui_init(pv_ui *ui, int slop_px);

/* Feeds one pointer event at time now_ms (ms, the injected clock). */
void pv_ui_pointer(pv_ui *ui, pv_ptr_kind kind, int64_t finger, int x, int y,
                   int64_t now_ms);

/* Advances time without input (long presses fire here); returns 1 when
 * the UI needs a redraw. */
int pv_ui_tick(pv_ui *ui, int64_t now_ms);

/* Starts a frame: clears this frame's widget table. */
void pv_ui_begin(pv_ui *ui);

/* Declares a widget and returns its PV_UI_* flags for this frame. An event
 * is reported once: a tap is consumed by the frame that reports it. */
int pv_ui_widget_do(pv_ui *ui, const char *id, pv_rect r, int opts);

/* Ends a frame: this frame's widgets become the hit-test table; events no
 * widget claimed (its screen changed) are dropped. */
void pv_ui_end(pv_ui *ui);

/* Where the dragged widget is (pointer position), or the drop point. */
void pv_ui_drag_pos(const pv_ui *ui, int *x, int *y);

/* Returns the rect of widget id in the last frame, or NULL (borrowed). */
const pv_rect *pv_ui_find(const pv_ui *ui, const char *id);

/* Returns the id of the topmost widget at (x, y) in the last frame, or NULL. */
const char *pv_ui_hit(const pv_ui *ui, int x, int y);

#endif
