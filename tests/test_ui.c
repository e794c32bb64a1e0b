/* test_ui: the widget context's touch rules, from tables of pointer
 * scripts (no SDL), and the metrics at the screen sizes the kiosk meets. */
#include <math.h>
#include <string.h>

#include "kiosk/metrics.h"
#include "kiosk/ui.h"
#include "tests/check.h"

static const pv_rect A = {10, 10, 100, 80}, B = {200, 10, 100, 80};

/* One frame declaring A (draggable when asked) and B; returns A's flags
 * and stores B's. */
static int frame(pv_ui *ui, int drag_a, int *b_flags) {
  pv_ui_begin(ui);
  int fa = pv_ui_widget_do(ui, "a", A, drag_a ? PV_UI_DRAGGABLE : 0);
  int fb = pv_ui_widget_do(ui, "b", B, 0);
  pv_ui_end(ui);
  if (b_flags)
    *b_flags = fb;
  return fa;
}

typedef struct step {
  pv_ptr_kind kind;
  int finger, x, y;
  int at_ms;
} step;

static const struct ui_case {
  const char *name;
  int drag_a;
  step steps[6];
  int n;
  int want_a, want_b; /* flags seen in the frame after the steps */
} cases[] = {
    {"tap",
     0,
     {{PV_PTR_DOWN, 1, 50, 50, 0}, {PV_PTR_UP, 1, 52, 48, 80}},
     2,
     PV_UI_TAPPED,
     0},
    {"slide off before release",
     0,
     {{PV_PTR_DOWN, 1, 50, 50, 0},
      {PV_PTR_MOVE, 1, 150, 50, 40},
      {PV_PTR_UP, 1, 150, 50, 80}},
     3,
     0,
     0},
    {"down on a, up on b",
     0,
     {{PV_PTR_DOWN, 1, 50, 50, 0}, {PV_PTR_UP, 1, 250, 50, 80}},
     2,
     0,
     0},
    {"down on nothing, up on a",
     0,
     {{PV_PTR_DOWN, 1, 150, 150, 0}, {PV_PTR_UP, 1, 50, 50, 80}},
     2,
     0,
     0},
    {"wobble inside still taps",
     0,
     {{PV_PTR_DOWN, 1, 50, 50, 0},
      {PV_PTR_MOVE, 1, 90, 70, 30},
      {PV_PTR_UP, 1, 90, 70, 60}},
     3,
     PV_UI_TAPPED,
     0},
    {"cancel",
     0,
     {{PV_PTR_DOWN, 1, 50, 50, 0}, {PV_PTR_CANCEL, 1, 50, 50, 30}},
     2,
     0,
     0},
    {"second finger ignored",
     0,
     {{PV_PTR_DOWN, 1, 50, 50, 0},
      {PV_PTR_DOWN, 2, 250, 50, 10},
      {PV_PTR_UP, 2, 250, 50, 20},
      {PV_PTR_UP, 1, 50, 50, 30}},
     4,
     PV_UI_TAPPED,
     0},
    {"still pressed", 0, {{PV_PTR_DOWN, 1, 50, 50, 0}}, 1, PV_UI_PRESSED, 0},
    {"drag and drop",
     1,
     {{PV_PTR_DOWN, 1, 50, 50, 0},
      {PV_PTR_MOVE, 1, 240, 60, 40},
      {PV_PTR_UP, 1, 260, 70, 80}},
     3,
     PV_UI_DROPPED,
     0},
    {"dragging",
     1,
     {{PV_PTR_DOWN, 1, 50, 50, 0}, {PV_PTR_MOVE, 1, 240, 60, 40}},
     2,
     PV_UI_PRESSED | PV_UI_DRAGGING,
     0},
};

static void test_cases(void) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const struct ui_case *c = &cases[i];
    pv_ui ui;
    pv_ui_init(&ui, 20);
    frame(&ui, c->drag_a, NULL); /* what the resident sees before touching */
    for (int s = 0; s < c->n; s++)
      pv_ui_pointer(&ui, c->steps[s].kind, c->steps[s].finger, c->steps[s].x,
                    c->steps[s].y, c->steps[s].at_ms);
    int fb;
    int fa = frame(&ui, c->drag_a, &fb);
    if (fa != c->want_a || fb != c->want_b)
      fprintf(stderr, "case \"%s\": a=%d b=%d\n", c->name, fa, fb);
    CHECK_INT(fa, c->want_a);
    CHECK_INT(fb, c->want_b);
    /* an event is reported once */
    CHECK_INT(frame(&ui, c->drag_a, NULL) & (PV_UI_TAPPED | PV_UI_DROPPED), 0);
  }
}

static void test_hold(void) {
  pv_ui ui;
  pv_ui_init(&ui, 20);
  frame(&ui, 0, NULL);
  pv_ui_pointer(&ui, PV_PTR_DOWN, 1, 50, 50, 1000);
  CHECK(!(frame(&ui, 0, NULL) & PV_UI_HELD));
  pv_ui_tick(&ui, 1000 + PV_UI_HOLD_MS - 1);
  CHECK(!(frame(&ui, 0, NULL) & PV_UI_HELD));
  CHECK(pv_ui_tick(&ui, 1000 + PV_UI_HOLD_MS));
  CHECK_INT(frame(&ui, 0, NULL), PV_UI_PRESSED | PV_UI_HELD);
  pv_ui_tick(&ui, 1000 + 3 * PV_UI_HOLD_MS);
  CHECK_INT(frame(&ui, 0, NULL), PV_UI_PRESSED); /* once per press */
  pv_ui_pointer(&ui, PV_PTR_UP, 1, 50, 50, 5000);
  CHECK_INT(frame(&ui, 0, NULL), 0); /* a long press is not also a tap */
  CHECK_INT(ui.last_input_ms, 5000);
}

/* A frame that handles an event asks for another: the state it changed
 * is drawn by the next one. */
static void test_redraw_after_event(void) {
  pv_ui ui;
  pv_ui_init(&ui, 20);
  frame(&ui, 0, NULL);
  CHECK_INT(ui.dirty, 0);
  pv_ui_pointer(&ui, PV_PTR_DOWN, 1, 50, 50, 0);
  pv_ui_pointer(&ui, PV_PTR_UP, 1, 50, 50, 10);
  CHECK_INT(ui.dirty, 1);
  CHECK_INT(frame(&ui, 0, NULL), PV_UI_TAPPED);
  CHECK_INT(ui.dirty, 1);
  frame(&ui, 0, NULL);
  CHECK_INT(ui.dirty, 0);
}

static void test_unclaimed(void) {
  pv_ui ui;
  pv_ui_init(&ui, 20);
  frame(&ui, 0, NULL);
  pv_ui_pointer(&ui, PV_PTR_DOWN, 1, 50, 50, 0);
  pv_ui_pointer(&ui, PV_PTR_UP, 1, 50, 50, 10);
  /* the screen changed: the next frame has no widget "a" */
  pv_ui_begin(&ui);
  pv_ui_widget_do(&ui, "b", B, 0);
  pv_ui_end(&ui);
  /* "a" comes back: the old tap must not fire on it */
  CHECK_INT(frame(&ui, 0, NULL), 0);
}

static void test_lookup(void) {
  pv_ui ui;
  pv_ui_init(&ui, 20);
  pv_ui_begin(&ui);
  pv_ui_widget_do(&ui, "under", (pv_rect){0, 0, 300, 300}, 0);
  pv_ui_widget_do(&ui, "over", (pv_rect){50, 50, 10, 10}, 0);
  pv_ui_end(&ui);
  CHECK_STR(pv_ui_hit(&ui, 55, 55), "over");
  CHECK_STR(pv_ui_hit(&ui, 5, 5), "under");
  CHECK(pv_ui_hit(&ui, 400, 5) == NULL);
  const pv_rect *r = pv_ui_find(&ui, "over");
  CHECK(r && r->x == 50 && r->w == 10);
  CHECK(pv_ui_find(&ui, "missing") == NULL);
}

static void test_metrics(void) {
  pv_metrics m;
  /* The Raspberry Pi 7" touchscreen: about 5.2 px per mm (UI.md). */
  pv_metrics_compute(&m, 800, 480, 7.0, 0);
  CHECK(fabs(m.px_per_mm - 5.25) < 0.05);
  CHECK(!m.assumed && !m.portrait);
  CHECK_INT(m.prompt_px, 30);
  CHECK_INT(m.label_px, 22);
  CHECK(m.small_px >= 18);
  CHECK(m.choice_min >= 78);
  CHECK(m.nav_h >= 72);
  CHECK(m.touch_min >= (int)(12 * 5.2));
  /* Unknown panel: a 1280x800 window is taken for a 10.1" tablet. */
  pv_metrics_compute(&m, 1280, 800, 0, 0);
  CHECK(m.assumed);
  CHECK(m.px_per_mm > 5.5 && m.px_per_mm < 6.2);
  CHECK(m.touch_min / m.px_per_mm >= 11.9);
  /* Portrait, and nonsense diagonals fall back too. */
  pv_metrics_compute(&m, 480, 800, -3, 0);
  CHECK(m.portrait && m.assumed);
  /* RTL mirrors rects; LTR keeps them. */
  pv_metrics_compute(&m, 800, 480, 7.0, 1);
  pv_rect r = pv_metrics_place(&m, (pv_rect){10, 5, 100, 40});
  CHECK_INT(r.x, 800 - 10 - 100);
  CHECK_INT(r.y, 5);
  pv_metrics_compute(&m, 800, 480, 7.0, 0);
  CHECK_INT(pv_metrics_place(&m, (pv_rect){10, 5, 100, 40}).x, 10);
}

static void test_draw_bound(void) {
  static pv_draw_list dl;
  pv_draw_clear(&dl);
  for (int i = 0; i < PV_DRAW_MAX_COMMANDS + 5; i++)
    pv_draw_rect(&dl, (pv_rect){i, 0, 1, 1}, 0xFF0000FF, 0);
  CHECK_INT(dl.count, PV_DRAW_MAX_COMMANDS);
  CHECK_INT(dl.dropped, 5);
  CHECK_INT(dl.cmds[7].rect.x, 7);
  pv_draw_clear(&dl);
  CHECK_INT(dl.count, 0);
}

int main(void) {
  test_cases();
  test_hold();
  test_redraw_after_event();
  test_unclaimed();
  test_lookup();
  test_metrics();
  test_draw_bound();
  return pv_test_done();
}
