/* input: SDL's touch and mouse events into the widget context. Fingers
 * and the left mouse button both drive the one followed pointer; SDL's
 * synthesised mouse-from-touch events (which == SDL_TOUCH_MOUSEID) are
 * ignored, so a touch never counts twice even if the hints are not
 * honoured by a video back end. On a panel mounted turned (the platform
 * draws the screen rotated, kiosk/platform.c), a point on the panel is
 * turned back to the point of the screen the app laid out. */
#ifndef PV_KIOSK_INPUT_H
#define PV_KIOSK_INPUT_H

#include <SDL2/SDL.h>
#include <stdint.h>

#include "kiosk/ui.h"

/* Maps the point (x, y) of a pw x ph panel to the app's screen drawn on
 * it turned rotate degrees clockwise (0, 90, 180 or 270; the screen is
 * ph x pw for 90 and 270) into (*lx, *ly). Points off the panel are
 * first brought to its nearest edge, so the result is on the screen. */
void pv_input_to_logical(int rotate, int pw, int ph, int x, int y, int *lx, int *ly);

/* Feeds e to ui when it is a pointer event on a pw x ph panel showing
 * the app's screen turned rotate degrees clockwise (see above), at time
 * now_ms. Returns 1 when the event was used, 0 when it was not ours. */
int pv_input_event(pv_ui *ui, const SDL_Event *e, int pw, int ph, int rotate,
                   int64_t now_ms);

#endif
