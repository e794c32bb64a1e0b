/* look: the kiosk's shared drawing pieces (cards, buttons, text, smiley
 * faces, grids) used by the resident's screens (kiosk/app.c), the
 * animateur's screens and the restitution view, so that every screen
 * looks and behaves the same. No state: a pv_look describes the frame
 * being drawn (widget context, draw list, metrics, text measurement, the
 * direction and language of the text, the resolved pictogram paths). */
#ifndef PV_KIOSK_LOOK_H
#define PV_KIOSK_LOOK_H

#include <stddef.h>

#include "kiosk/draw.h"
#include "kiosk/metrics.h"
#include "kiosk/ui.h"

#define PV_LOOK_PATH 1024 /* bytes of a resolved pictogram path */

/* The kiosk's own pictograms (assets/pictograms/). */
typedef enum pv_pic {
  PV_PIC_CHECK,
  PV_PIC_CROSS,
  PV_PIC_SPEAKER,
  PV_PIC_TOUCH,
  PV_PIC_GLOBE,
  PV_PIC_SHIELD,
  PV_PIC_ARROW_LEFT,
  PV_PIC_ARROW_RIGHT,
  PV_PIC_HEART,
  PV_PIC_STAR,
  PV_PIC_QUESTION,
  PV_PIC_KEYBOARD,
  PV_PIC_MIC,
  PV_PIC_EAR,
  PV_PIC_TRASH,
  PV_PIC_LOCK,
  PV_PIC_MEETING,
  PV_PIC_WALKING,
  PV_PIC_PALETTE,
  PV_PIC_NEIGHBOURHOOD,
  PV_PIC_PENCIL,
  PV_PIC_PEOPLE,
  PV_PIC_WARNING,
  PV_PIC_VOTE,
  PV_PIC_WRENCH,
  PV_PIC_HANDSHAKE,
  PV_PIC__COUNT
} pv_pic;

typedef struct pv_look {
  pv_ui *ui;
  pv_draw_list *dl;
  const pv_metrics *m;
  pv_measure_fn measure; /* NULL: text heights are estimated */
  void *mud;
  int rtl;
  const char *lang;                 /* of the texts drawn; never NULL */
  const char (*pics)[PV_LOOK_PATH]; /* PV_PIC__COUNT resolved paths */
} pv_look;

/* Returns pictogram p's file name inside assets/pictograms/; static. */
const char *pv_look_pic_file(pv_pic p);

/* Places an LTR-designed rect for the current direction. */
pv_rect pv_look_at(const pv_look *lk, int x, int y, int w, int h);
/* A text style in the look's language and direction. */
pv_text_style pv_look_style(const pv_look *lk, int size, int bold, pv_text_align align,
                            int lines);
/* Draws text s fitted into r, up to lines lines (0: one). */
void pv_look_text(const pv_look *lk, pv_rect r, pv_color c, const char *s, int size,
                  int bold, pv_text_align align, int lines);
/* Returns the height text needs at size in w pixels, up to lines lines. */
int pv_look_text_height(const pv_look *lk, const char *text, int size, int bold,
                        int lines, int w);
/* A soft rounded panel: pressed look on touch-down, ring and check badge
 * when selected (never colour alone). */
void pv_look_card(const pv_look *lk, pv_rect r, int flags, int selected);
/* A card with a pictogram above a label; `check` adds the badge. */
void pv_look_picture_card_ex(const pv_look *lk, pv_rect r, int flags, int selected,
                             int check, const char *image, const char *label);
void pv_look_picture_card(const pv_look *lk, pv_rect r, int flags, int selected,
                          const char *image, const char *label);
/* A button with a pictogram and a label; declares widget id and returns
 * its PV_UI_* flags (0 when disabled). */
int pv_look_button(const pv_look *lk, const char *id, pv_rect r, const char *image,
                   const char *label, pv_color fill, pv_color ink, int enabled);
/* The speaker button at the start of the top bar; 1 when tapped. */
int pv_look_speaker(const pv_look *lk);
/* Lays n cards in area as a grid of the largest square-ish cells that fit
 * (one row when one_row), writing each rect (mirrored for RTL) to out. */
void pv_look_grid_ex(const pv_look *lk, pv_rect area, size_t n, int one_row,
                     pv_rect *out);
void pv_look_grid(const pv_look *lk, pv_rect area, size_t n, pv_rect *out);
/* One smiley face for point (1..points), drawn by shape, colour only
 * reinforcing. */
void pv_look_face(const pv_look *lk, pv_rect r, int point, int points);

#endif
