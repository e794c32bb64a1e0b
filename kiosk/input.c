/* input: see input.h. Finger coordinates are normalised (0..1) over the
 * panel by SDL; mouse coordinates are panel pixels (the platform scales
 * SDL's window points on HiDPI desktops). Both become panel
 * pixels first, then the app's screen's. */
#include "kiosk/input.h"

#include "core/err.h"

#define MOUSE_FINGER (-1) /* the mouse's id among fingers */

static int clamp(int v, int hi) {
  return v < 0 ? 0 : v >= hi ? hi - 1 : v;
}

void pv_input_to_logical(int rotate, int pw, int ph, int x, int y, int *lx, int *ly) {
  PV_ASSERT(pw > 0 && ph > 0);
  x = clamp(x, pw);
  y = clamp(y, ph);
  /* The screen's top-left is drawn at the panel's top-left (0), top-right
   * (90), bottom-right (180) or bottom-left (270). */
  switch (rotate) {
  case 0:
    *lx = x, *ly = y;
    break;
  case 90:
    *lx = y, *ly = pw - 1 - x;
    break;
  case 180:
    *lx = pw - 1 - x, *ly = ph - 1 - y;
    break;
  case 270:
    *lx = ph - 1 - y, *ly = x;
    break;
  default:
    PV_ASSERT(!"rotate is 0, 90, 180 or 270");
  }
}

/* Hands one pointer event at panel point (x, y) to ui. */
static void pointer(pv_ui *ui, pv_ptr_kind kind, int64_t id, int x, int y, int pw,
                    int ph, int rotate, int64_t now_ms) {
  int lx, ly;
  pv_input_to_logical(rotate, pw, ph, x, y, &lx, &ly);
  pv_ui_pointer(ui, kind, id, lx, ly, now_ms);
}

int pv_input_event(pv_ui *ui, const SDL_Event *e, int pw, int ph, int rotate,
                   int64_t now_ms) {
  switch (e->type) {
  case SDL_MOUSEBUTTONDOWN:
  case SDL_MOUSEBUTTONUP:
    if (e->button.which == SDL_TOUCH_MOUSEID || e->button.button != SDL_BUTTON_LEFT)
      return 0;
    pointer(ui, e->type == SDL_MOUSEBUTTONDOWN ? PV_PTR_DOWN : PV_PTR_UP, MOUSE_FINGER,
            e->button.x, e->button.y, pw, ph, rotate, now_ms);
    return 1;
  case SDL_MOUSEMOTION:
    if (e->motion.which == SDL_TOUCH_MOUSEID || !(e->motion.state & SDL_BUTTON_LMASK))
      return 0;
    pointer(ui, PV_PTR_MOVE, MOUSE_FINGER, e->motion.x, e->motion.y, pw, ph, rotate,
            now_ms);
    return 1;
  case SDL_FINGERDOWN:
  case SDL_FINGERUP:
  case SDL_FINGERMOTION: {
    pv_ptr_kind kind = e->type == SDL_FINGERDOWN ? PV_PTR_DOWN
                       : e->type == SDL_FINGERUP ? PV_PTR_UP
                                                 : PV_PTR_MOVE;
    pointer(ui, kind, (int64_t)e->tfinger.fingerId, (int)(e->tfinger.x * (float)pw),
            (int)(e->tfinger.y * (float)ph), pw, ph, rotate, now_ms);
    return 1;
  }
  default:
    return 0;
  }
}
