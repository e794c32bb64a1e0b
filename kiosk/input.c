/* input: see input.h. Finger coordinates are normalised (0..1) by SDL. */
#include "kiosk/input.h"

#define MOUSE_FINGER (-1) /* the mouse's id among fingers */

static int clamp(int v, int hi) {
  return v < 0 ? 0 : v >= hi ? hi - 1 : v;
}

int pv_input_event(pv_ui *ui, const SDL_Event *e, int w, int h, int64_t now_ms) {
  switch (e->type) {
  case SDL_MOUSEBUTTONDOWN:
  case SDL_MOUSEBUTTONUP:
    if (e->button.which == SDL_TOUCH_MOUSEID || e->button.button != SDL_BUTTON_LEFT)
      return 0;
    pv_ui_pointer(ui, e->type == SDL_MOUSEBUTTONDOWN ? PV_PTR_DOWN : PV_PTR_UP,
                  MOUSE_FINGER, e->button.x, e->button.y, now_ms);
    return 1;
  case SDL_MOUSEMOTION:
    if (e->motion.which == SDL_TOUCH_MOUSEID || !(e->motion.state & SDL_BUTTON_LMASK))
      return 0;
    pv_ui_pointer(ui, PV_PTR_MOVE, MOUSE_FINGER, e->motion.x, e->motion.y, now_ms);
    return 1;
  case SDL_FINGERDOWN:
  case SDL_FINGERUP:
  case SDL_FINGERMOTION: {
    pv_ptr_kind kind = e->type == SDL_FINGERDOWN ? PV_PTR_DOWN
                       : e->type == SDL_FINGERUP ? PV_PTR_UP
                                                 : PV_PTR_MOVE;
    pv_ui_pointer(ui, kind, (int64_t)e->tfinger.fingerId,
                  clamp((int)(e->tfinger.x * (float)w), w),
                  clamp((int)(e->tfinger.y * (float)h), h), now_ms);
    return 1;
  }
  default:
    return 0;
  }
}
