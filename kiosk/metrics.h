/* metrics: every size on the kiosk's screens, derived from the display's
 * physical size (millimetres, not pixels: UI.md rule 3), for landscape and
 * portrait, 800x480 to 1920x1080. No SDL: the platform passes what it
 * knows of the display (diagonal in inches, or 0 when unknown). */
#ifndef PV_KIOSK_METRICS_H
#define PV_KIOSK_METRICS_H

#include "kiosk/draw.h"

/* Targets, in millimetres (UI.md, with 5.2 px/mm on the Pi's 7" panel). */
#define PV_MM_CHOICE_MIN 15.0 /* smaller side of a choice card */
#define PV_MM_NAV 14.0        /* next / back buttons */
#define PV_MM_TOUCH_MIN 12.0  /* nothing touchable is smaller */
#define PV_MM_GAP 2.3

typedef struct pv_metrics {
  int width, height;
  double px_per_mm; /* measured, or assumed (see pv_metrics_compute) */
  int assumed;      /* 1 when the physical size was unknown */
  int portrait;
  int rtl;

  int margin, gap;
  int top_bar;    /* speaker, progress dots, language */
  int nav_h;      /* height of the bottom navigation row */
  int nav_w;      /* width of next / back */
  int touch_min;  /* the smallest touch target, px */
  int choice_min; /* the smaller side of a choice card, px */
  int picto;      /* a prompt's pictogram */
  int prompt_px;  /* prompt text size */
  int label_px;   /* choice labels */
  int small_px;   /* the smallest text */
  int ring;       /* selection ring thickness */
  int radius;     /* card corners */
} pv_metrics;

/* Fills m for a w x h window. diagonal_in is the panel's diagonal in
 * inches (0 when unknown: then a panel is assumed from the pixel size,
 * 7" up to 1024 px wide, 10.1" up to 1440, 15.6" beyond). */
void pv_metrics_compute(pv_metrics *m, int w, int h, double diagonal_in, int rtl);

/* Returns mm converted to pixels for m, rounded, at least 1. */
int pv_mm(const pv_metrics *m, double mm);

/* Mirrors r for RTL layouts; returns r unchanged in LTR. */
pv_rect pv_metrics_place(const pv_metrics *m, pv_rect r);

#endif
