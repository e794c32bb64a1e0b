/* test_input: SDL touch and mouse events drive the widget context the
 * same way; mouse events SDL makes from touches are ignored, so a tap is
 * never counted twice; other buttons do nothing. Events are built by hand:
 * no display needed. */
#include <SDL2/SDL.h>
#include <string.h>

#include "kiosk/input.h"
#include "tests/check.h"

static const pv_rect BUTTON = {100, 100, 200, 100};

static int frame(pv_ui *ui) {
  pv_ui_begin(ui);
  int f = pv_ui_widget_do(ui, "b", BUTTON, 0);
  pv_ui_end(ui);
  return f;
}

static SDL_Event finger(Uint32 type, SDL_FingerID id, float x, float y) {
  SDL_Event e;
  memset(&e, 0, sizeof e);
  e.type = type;
  e.tfinger.fingerId = id;
  e.tfinger.x = x;
  e.tfinger.y = y;
  return e;
}

static SDL_Event mouse(Uint32 type, Uint32 which, Uint8 button, int x, int y) {
  SDL_Event e;
  memset(&e, 0, sizeof e);
  e.type = type;
  e.button.which = which;
  e.button.button = button;
  e.button.x = x;
  e.button.y = y;
  return e;
}

int main(void) {
  pv_ui ui;
  pv_ui_init(&ui, 20);
  frame(&ui);
  /* A finger at (0.25, 0.3) of an 800x480 screen is (200, 144): inside. */
  SDL_Event down = finger(SDL_FINGERDOWN, 7, 0.25f, 0.3f);
  SDL_Event up = finger(SDL_FINGERUP, 7, 0.25f, 0.3f);
  CHECK(pv_input_event(&ui, &down, 800, 480, 0, 10));
  /* the mouse events SDL synthesises from that touch are not ours */
  SDL_Event fake_down =
      mouse(SDL_MOUSEBUTTONDOWN, SDL_TOUCH_MOUSEID, SDL_BUTTON_LEFT, 200, 144);
  SDL_Event fake_up =
      mouse(SDL_MOUSEBUTTONUP, SDL_TOUCH_MOUSEID, SDL_BUTTON_LEFT, 200, 144);
  CHECK(!pv_input_event(&ui, &fake_down, 800, 480, 0, 11));
  CHECK(pv_input_event(&ui, &up, 800, 480, 0, 60));
  CHECK(!pv_input_event(&ui, &fake_up, 800, 480, 0, 61));
  CHECK_INT(frame(&ui), PV_UI_TAPPED);
  CHECK_INT(frame(&ui), 0); /* once */

  /* A real mouse does the same. */
  SDL_Event md = mouse(SDL_MOUSEBUTTONDOWN, 0, SDL_BUTTON_LEFT, 150, 150);
  SDL_Event mu = mouse(SDL_MOUSEBUTTONUP, 0, SDL_BUTTON_LEFT, 150, 150);
  CHECK(pv_input_event(&ui, &md, 800, 480, 0, 100));
  CHECK_INT(frame(&ui), PV_UI_PRESSED);
  CHECK(pv_input_event(&ui, &mu, 800, 480, 0, 150));
  CHECK_INT(frame(&ui), PV_UI_TAPPED);

  /* The right button does nothing. */
  SDL_Event rd = mouse(SDL_MOUSEBUTTONDOWN, 0, SDL_BUTTON_RIGHT, 150, 150);
  CHECK(!pv_input_event(&ui, &rd, 800, 480, 0, 200));
  CHECK_INT(frame(&ui), 0);

  /* A finger outside, and a second finger while one is down. */
  SDL_Event out_down = finger(SDL_FINGERDOWN, 1, 0.9f, 0.9f);
  SDL_Event second = finger(SDL_FINGERDOWN, 2, 0.25f, 0.3f);
  SDL_Event second_up = finger(SDL_FINGERUP, 2, 0.25f, 0.3f);
  SDL_Event out_up = finger(SDL_FINGERUP, 1, 0.9f, 0.9f);
  pv_input_event(&ui, &out_down, 800, 480, 0, 300);
  pv_input_event(&ui, &second, 800, 480, 0, 310);
  pv_input_event(&ui, &second_up, 800, 480, 0, 320);
  pv_input_event(&ui, &out_up, 800, 480, 0, 330);
  CHECK_INT(frame(&ui), 0);

  /* Coordinates at the edge stay inside the screen. */
  SDL_Event edge = finger(SDL_FINGERDOWN, 3, 1.0f, 1.0f);
  pv_input_event(&ui, &edge, 800, 480, 0, 400);
  CHECK_INT(ui.x, 799);
  CHECK_INT(ui.y, 479);

  /* Other events are not ours. */
  SDL_Event key;
  memset(&key, 0, sizeof key);
  key.type = SDL_KEYDOWN;
  CHECK(!pv_input_event(&ui, &key, 800, 480, 0, 500));
  return pv_test_done();
}
