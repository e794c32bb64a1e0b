/* input: SDL's touch and mouse events into the widget context. Fingers
 * and the left mouse button both drive the one followed pointer; SDL's
 * synthesised mouse-from-touch events (which == SDL_TOUCH_MOUSEID) are
 * ignored, so a touch never counts twice even if the hints are not
 * honoured by a video back end. */
#ifndef PV_KIOSK_INPUT_H
#define PV_KIOSK_INPUT_H

#include <SDL2/SDL.h>
#include <stdint.h>

#include "kiosk/ui.h"

/* Feeds e to ui when it is a pointer event, for a w x h output at time
 * now_ms. Returns 1 when the event was used, 0 when it was not ours. */
int pv_input_event(pv_ui *ui, const SDL_Event *e, int w, int h, int64_t now_ms);

#endif
