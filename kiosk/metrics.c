/* metrics: see metrics.h. Text sizes follow UI.md at 800x480 (prompt 30 px,
 * labels 22 px, nothing under 18 px) and scale with px/mm elsewhere. */
#include "kiosk/metrics.h"

#include <math.h>

int pv_mm(const pv_metrics *m, double mm) {
  int px = (int)lround(mm * m->px_per_mm);
  return px < 1 ? 1 : px;
}

static int at_least(int v, int floor_px) {
  return v < floor_px ? floor_px : v;
}

void pv_metrics_compute(pv_metrics *m, int w, int h, double diagonal_in, int rtl) {
  double diag_px = sqrt((double)w * w + (double)h * h);
  m->width = w;
  m->height = h;
  m->rtl = rtl;
  m->portrait = h > w;
  m->assumed = !(diagonal_in > 2.0 && diagonal_in < 100.0);
  if (m->assumed) {
    int longest = w > h ? w : h;
    diagonal_in = longest <= 1024 ? 7.0 : longest <= 1440 ? 10.1 : 15.6;
  }
  m->px_per_mm = diag_px / (diagonal_in * 25.4);

  m->margin = pv_mm(m, 2.3);
  m->gap = pv_mm(m, PV_MM_GAP);
  m->touch_min = pv_mm(m, PV_MM_TOUCH_MIN);
  m->choice_min = pv_mm(m, PV_MM_CHOICE_MIN);
  m->top_bar = at_least(pv_mm(m, 10.8), m->touch_min);
  m->nav_h = at_least(pv_mm(m, PV_MM_NAV), m->touch_min);
  m->nav_w = pv_mm(m, 38.0);
  /* back, skip (or the counter) and next share the bottom row */
  int third = (w - 2 * m->margin - 2 * m->gap) / 3;
  if (m->nav_w > third)
    m->nav_w = third;
  m->picto = pv_mm(m, 14.0);
  m->prompt_px = at_least(pv_mm(m, 5.8), 18);
  m->label_px = at_least(pv_mm(m, 4.2), 18);
  m->small_px = at_least(pv_mm(m, 3.5), 18);
  m->ring = at_least(pv_mm(m, 1.15), 4);
  m->radius = pv_mm(m, 2.5);
}

pv_rect pv_metrics_place(const pv_metrics *m, pv_rect r) {
  return m->rtl ? pv_rect_mirror(r, m->width) : r;
}
