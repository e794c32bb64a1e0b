/* test_input: SDL touch and mouse events drive the widget context the
 * same way; mouse events SDL makes from touches are ignored, so a tap is
 * never counted twice; other buttons do nothing. On a panel mounted
 * turned, a panel point maps to the app's screen corner by corner for the
 * four rotations, and touches reach the widget drawn under them. Events
 * are built by hand: no display needed. */
#include <SDL2/SDL.h>
#include <string.h>

#include "kiosk/input.h"
#include "tests/check.h"

static const pv_rect BUTTON = {100, 100, 200, 100};
static const pv_rect CORNER = {0, 0, 100, 100}; /* the app's top-left corner */

static int frame_at(pv_ui *ui, pv_rect r) {
  pv_ui_begin(ui);
  int f = pv_ui_widget_do(ui, "b", r, 0);
  pv_ui_end(ui);
  return f;
}

static int frame(pv_ui *ui) {
  return frame_at(ui, BUTTON);
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

/* An unturned 800x480 screen. */
static void test_plain(void) {
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
}

/* ---- pv_input_to_logical ---------------------------------------------- */

/* An 800x480 panel (the official 7"): where its corners and a point land. */
static const struct {
  int rotate, px, py, lx, ly;
} points[] = {
    {0, 0, 0, 0, 0},
    {0, 799, 479, 799, 479},
    {0, 200, 144, 200, 144},
    /* 90: the 480x800 screen's top-left is drawn at the panel's top-right. */
    {90, 799, 0, 0, 0},
    {90, 0, 0, 0, 799},
    {90, 799, 479, 479, 0},
    {90, 0, 479, 479, 799},
    {90, 700, 30, 30, 99},
    /* 180: at the bottom-right, upside down. */
    {180, 799, 479, 0, 0},
    {180, 0, 0, 799, 479},
    {180, 799, 0, 0, 479},
    {180, 0, 479, 799, 0},
    {180, 700, 30, 99, 449},
    /* 270: at the bottom-left. */
    {270, 0, 479, 0, 0},
    {270, 0, 0, 479, 0},
    {270, 799, 0, 479, 799},
    {270, 799, 479, 0, 799},
    {270, 700, 30, 449, 700},
    /* Off the panel: its nearest edge first. */
    {0, -5, 900, 0, 479},
    {90, 800, -1, 0, 0},
    {180, 1000, 480, 0, 0},
    {270, -3, 480, 0, 0},
};

static void test_points(void) {
  for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
    int lx = -1, ly = -1;
    pv_input_to_logical(points[i].rotate, 800, 480, points[i].px, points[i].py, &lx,
                        &ly);
    if (lx != points[i].lx || ly != points[i].ly)
      pv_test_fail(__FILE__, __LINE__, "rotate %d: (%d, %d) -> (%d, %d), want (%d, %d)",
                   points[i].rotate, points[i].px, points[i].py, lx, ly, points[i].lx,
                   points[i].ly);
    else
      pv_test_passed++;
  }
}

/* Where the screen's top-left corner shows on an 800x480 panel, as a
 * finger (0..1) and as a mouse (pixels); and a spot far from it. */
static const struct {
  int rotate;
  float fx, fy; /* near the drawn top-left corner */
  int mx, my;
  int want_x, want_y;   /* the finger, in the app's pixels */
  float away_x, away_y; /* the panel's opposite corner */
} taps[] = {
    {0, 0.05f, 0.05f, 10, 10, 40, 24, 0.95f, 0.95f},
    {90, 0.95f, 0.05f, 790, 10, 24, 39, 0.05f, 0.95f},
    {180, 0.95f, 0.95f, 790, 470, 39, 23, 0.05f, 0.05f},
    {270, 0.05f, 0.95f, 10, 470, 23, 40, 0.95f, 0.05f},
};

/* Touch and mouse on a turned panel reach the widget drawn under them. */
static void test_turned(void) {
  for (size_t i = 0; i < sizeof taps / sizeof taps[0]; i++) {
    int r = taps[i].rotate;
    pv_ui ui;
    pv_ui_init(&ui, 20);
    frame_at(&ui, CORNER);
    SDL_Event down = finger(SDL_FINGERDOWN, 4, taps[i].fx, taps[i].fy);
    SDL_Event up = finger(SDL_FINGERUP, 4, taps[i].fx, taps[i].fy);
    CHECK(pv_input_event(&ui, &down, 800, 480, r, 10));
    CHECK_INT(ui.x, taps[i].want_x);
    CHECK_INT(ui.y, taps[i].want_y);
    CHECK_INT(frame_at(&ui, CORNER), PV_UI_PRESSED);
    CHECK(pv_input_event(&ui, &up, 800, 480, r, 60));
    CHECK_INT(frame_at(&ui, CORNER), PV_UI_TAPPED);

    SDL_Event md =
        mouse(SDL_MOUSEBUTTONDOWN, 0, SDL_BUTTON_LEFT, taps[i].mx, taps[i].my);
    SDL_Event mu = mouse(SDL_MOUSEBUTTONUP, 0, SDL_BUTTON_LEFT, taps[i].mx, taps[i].my);
    CHECK(pv_input_event(&ui, &md, 800, 480, r, 100));
    CHECK(ui.x < 100 && ui.y < 100);
    CHECK(pv_input_event(&ui, &mu, 800, 480, r, 150));
    CHECK_INT(frame_at(&ui, CORNER), PV_UI_TAPPED);

    /* The panel's opposite corner is the screen's opposite corner. */
    SDL_Event far_down = finger(SDL_FINGERDOWN, 4, taps[i].away_x, taps[i].away_y);
    SDL_Event far_up = finger(SDL_FINGERUP, 4, taps[i].away_x, taps[i].away_y);
    pv_input_event(&ui, &far_down, 800, 480, r, 200);
    int turned = r == 90 || r == 270;
    CHECK(ui.x > (turned ? 400 : 700) && ui.y > (turned ? 700 : 400));
    pv_input_event(&ui, &far_up, 800, 480, r, 250);
    CHECK_INT(frame_at(&ui, CORNER), 0);
  }
}

int main(void) {
  test_plain();
  test_points();
  test_turned();
  return pv_test_done();
}
