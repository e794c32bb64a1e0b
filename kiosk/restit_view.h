/* restit_view: draws one question of a restitution (core/restitution.h)
 * for the group, big and pictographic, into a pv_draw_list: smileys and
 * scales as faces (or points) under bars, yes/no likewise, choices and
 * photo choices as bars beside their pictograms or photos, rankings as
 * bars in order of preference, pins as a heat map over the plan (never
 * mirrored), drawings as a gallery. What the K rule hid arrives zeroed
 * and flagged; it is drawn as the neutral "pas assez de réponses"
 * pictogram, never as a number. RTL mirrors bars and order. No SDL and
 * no input: the caller's screen owns navigation. */
#ifndef PV_KIOSK_RESTIT_VIEW_H
#define PV_KIOSK_RESTIT_VIEW_H

#include <stddef.h>

#include "core/restitution.h"
#include "kiosk/draw.h"
#include "kiosk/look.h"

#define PV_RESTIT_VIEW_MAX_NUMS 96 /* numbers drawn in one frame */
#define PV_RESTIT_VIEW_NUM 12      /* bytes of one number */
#define PV_RESTIT_VIEW_GALLERY 12  /* drawings on one page */
#define PV_RESTIT_VIEW_PATH 1024   /* bytes of the cached plan path */

/* Returns the path of the PNG stored under sha256, borrowed and valid
 * until the frame is drawn, or NULL (a neutral card is drawn instead). */
typedef const char *(*pv_restit_path_fn)(void *ud, const char *sha256);

/* What the caller sets before drawing, and the view's own per-frame
 * storage: the draw list borrows the numbers written here, so the view
 * must outlive the frame it drew (keep it in the screen's state). */
typedef struct pv_restit_view {
  const pv_look *lk; /* draw list, metrics, direction, pictograms */
  int li;            /* language index in the survey, for option labels */
  /* Words in the screen's language (the kiosk's strings); NULL: French. */
  const char *too_few;   /* "Pas assez de réponses" */
  const char *not_shown; /* voice and text: "Pas montré en public" */
  const char *yes, *no;
  pv_restit_path_fn drawing_path;
  void *ud;
  int map_kind; /* heat of one pin kind (0..), or -1 for all kinds */
  size_t page;  /* gallery: page of PV_RESTIT_VIEW_GALLERY drawings */

  /* the view's own */
  char nums[PV_RESTIT_VIEW_MAX_NUMS][PV_RESTIT_VIEW_NUM];
  size_t n_nums;
  char plan[PV_RESTIT_VIEW_PATH]; /* the plan whose size is cached */
  int plan_w, plan_h;
} pv_restit_view;

/* Resets v for a look: French words, all pin kinds, first page. */
void pv_restit_view_init(pv_restit_view *v, const pv_look *lk, int li);

/* Draws question rq of a restitution inside area (LTR design coordinates,
 * placed for RTL like every screen of the kiosk). One question per view
 * per frame: each call reuses the view's number storage. */
void pv_restit_view_draw(pv_restit_view *v, const pv_restit_question *rq, pv_rect area);

/* Returns how many gallery pages rq has (0 when it has no gallery). */
size_t pv_restit_view_pages(const pv_restit_question *rq);

#endif
