/* ui: see ui.h. Touch first: a widget activates on finger-up inside the
 * widget it went down on (STYLE.md habit 8), never on hover. */
#include "kiosk/ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_id(char dst[PV_UI_MAX_ID], const char *src) {
  snprintf(dst, PV_UI_MAX_ID, "%s", src ? src : "");
}

void pv_ui_init(pv_ui *ui, int slop_px) {
  memset(ui, 0, sizeof *ui);
  ui->slop_px = slop_px > 0 ? slop_px : 1;
  ui->dirty = 1;
}

const char *pv_ui_hit(const pv_ui *ui, int x, int y) {
  for (int i = ui->n_last - 1; i >= 0; i--) /* last declared is on top */
    if (pv_rect_contains(ui->last[i].rect, x, y))
      return ui->last[i].id;
  return NULL;
}

const pv_rect *pv_ui_find(const pv_ui *ui, const char *id) {
  for (int i = 0; i < ui->n_last; i++)
    if (strcmp(ui->last[i].id, id) == 0)
      return &ui->last[i].rect;
  return NULL;
}

static int last_opts(const pv_ui *ui, const char *id) {
  for (int i = 0; i < ui->n_last; i++)
    if (strcmp(ui->last[i].id, id) == 0)
      return ui->last[i].opts;
  return 0;
}

static int beyond_slop(const pv_ui *ui) {
  return abs(ui->x - ui->down_x) > ui->slop_px || abs(ui->y - ui->down_y) > ui->slop_px;
}

/* Follows a finger other than the first: down in a free slot, moves, up. */
static void extra_pointer(pv_ui *ui, pv_ptr_kind kind, int64_t finger, int x, int y) {
  pv_ui_finger *slot = NULL;
  for (int i = 0; i < PV_UI_MAX_EXTRA && !slot; i++)
    if (ui->extra[i].down && ui->extra[i].id == finger)
      slot = &ui->extra[i];
  if (kind == PV_PTR_DOWN && !slot)
    for (int i = 0; i < PV_UI_MAX_EXTRA && !slot; i++)
      if (!ui->extra[i].down) {
        slot = &ui->extra[i];
        *slot = (pv_ui_finger){1, finger, x, y, x, y};
      }
  if (!slot)
    return;
  slot->x = x;
  slot->y = y;
  if (kind == PV_PTR_UP || kind == PV_PTR_CANCEL)
    slot->down = 0;
}

void pv_ui_pointer(pv_ui *ui, pv_ptr_kind kind, int64_t finger, int x, int y,
                   int64_t now_ms) {
  ui->now_ms = now_ms;
  ui->last_input_ms = now_ms;
  ui->dirty = 1;
  if (kind == PV_PTR_DOWN) {
    if (ui->down) { /* a second finger: no widget sees it */
      extra_pointer(ui, kind, finger, x, y);
      return;
    }
    ui->down = 1;
    ui->finger = finger;
    ui->x = ui->down_x = x;
    ui->y = ui->down_y = y;
    ui->down_ms = now_ms;
    ui->dragging = ui->held_fired = 0;
    set_id(ui->pressed, pv_ui_hit(ui, x, y));
    return;
  }
  if (!ui->down || finger != ui->finger) {
    extra_pointer(ui, kind, finger, x, y);
    return;
  }
  ui->x = x;
  ui->y = y;
  if (kind == PV_PTR_MOVE) {
    if (!ui->dragging && ui->pressed[0] && beyond_slop(ui) &&
        (last_opts(ui, ui->pressed) & PV_UI_DRAGGABLE))
      ui->dragging = 1;
    return;
  }
  /* UP or CANCEL ends the press. */
  ui->down = 0;
  if (kind == PV_PTR_UP && ui->pressed[0]) {
    if (ui->dragging) {
      set_id(ui->dropped, ui->pressed);
      ui->drop_x = x;
      ui->drop_y = y;
    } else if (!ui->held_fired) {
      const char *under = pv_ui_hit(ui, x, y);
      if (under && strcmp(under, ui->pressed) == 0)
        set_id(ui->tapped, ui->pressed);
    }
  }
  ui->pressed[0] = '\0';
  ui->dragging = 0;
}

int pv_ui_tick(pv_ui *ui, int64_t now_ms) {
  ui->now_ms = now_ms;
  if (ui->down && ui->pressed[0] && !ui->held_fired && !ui->dragging &&
      now_ms - ui->down_ms >= PV_UI_HOLD_MS && !beyond_slop(ui)) {
    ui->held_fired = 1;
    set_id(ui->held, ui->pressed);
    ui->dirty = 1;
  }
  return ui->dirty;
}

void pv_ui_begin(pv_ui *ui) {
  ui->n_widgets = 0;
}

/* Returns 1 and clears slot when it holds id. */
static int take(char slot[PV_UI_MAX_ID], const char *id) {
  if (slot[0] && strcmp(slot, id) == 0) {
    slot[0] = '\0';
    return 1;
  }
  return 0;
}

int pv_ui_widget_do(pv_ui *ui, const char *id, pv_rect r, int opts) {
  if (ui->n_widgets < PV_UI_MAX_WIDGETS) {
    pv_ui_widget *w = &ui->widgets[ui->n_widgets++];
    set_id(w->id, id);
    w->rect = r;
    w->opts = opts;
  }
  int flags = 0;
  if (ui->down && ui->pressed[0] && strcmp(ui->pressed, id) == 0) {
    flags |= PV_UI_PRESSED;
    if (ui->dragging)
      flags |= PV_UI_DRAGGING;
  }
  if (take(ui->tapped, id))
    flags |= PV_UI_TAPPED;
  if (take(ui->held, id))
    flags |= PV_UI_HELD;
  if (take(ui->dropped, id))
    flags |= PV_UI_DROPPED;
  if (flags & (PV_UI_TAPPED | PV_UI_HELD | PV_UI_DROPPED))
    ui->consumed = 1;
  return flags;
}

void pv_ui_end(pv_ui *ui) {
  memcpy(ui->last, ui->widgets, (size_t)ui->n_widgets * sizeof *ui->widgets);
  ui->n_last = ui->n_widgets;
  ui->tapped[0] = ui->held[0] = ui->dropped[0] = '\0';
  /* A handled event changed something the frame drew before it: draw
   * again. A drag redraws as it moves. */
  ui->dirty = ui->consumed || (ui->down && ui->dragging);
  ui->consumed = 0;
}

void pv_ui_drag_pos(const pv_ui *ui, int *x, int *y) {
  *x = ui->down ? ui->x : ui->drop_x;
  *y = ui->down ? ui->y : ui->drop_y;
}
