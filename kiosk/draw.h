/* draw: the list of draw commands that screens and widgets emit and that
 * one renderer (kiosk/render) replays with SDL. Layout code never calls
 * SDL: it appends commands here and measures text through a callback, so
 * it is testable without a display (tests read the list back).
 *
 * Coordinates are pixels in the window, origin top-left. Colours are
 * 0xRRGGBBAA. Text and image commands carry borrowed strings that must
 * outlive the frame (survey model strings, static UI strings). */
#ifndef PV_KIOSK_DRAW_H
#define PV_KIOSK_DRAW_H

#include <stddef.h>
#include <stdint.h>

#define PV_DRAW_MAX_COMMANDS 1024

typedef struct pv_rect {
  int x, y, w, h;
} pv_rect;

typedef uint32_t pv_color; /* 0xRRGGBBAA */

typedef enum pv_draw_kind {
  PV_DRAW_RECT,   /* filled rectangle, rounded by radius (0 = square) */
  PV_DRAW_FRAME,  /* outline of a rounded rectangle, `thickness` wide */
  PV_DRAW_CIRCLE, /* filled disc inscribed in rect */
  PV_DRAW_RING,   /* circle outline inscribed in rect, `thickness` wide */
  PV_DRAW_ARC,    /* arc of the ellipse inscribed in rect, angles in
                     degrees (0 = east, clockwise), `thickness` wide: smiles */
  PV_DRAW_TEXT,   /* a text run fitted into rect (see pv_text_style) */
  PV_DRAW_IMAGE,  /* an SVG or PNG file scaled to fit rect, aspect kept */
  PV_DRAW_CLIP,   /* restrict later commands to rect (w = 0: no clip) */
  PV_DRAW_PIXELS, /* a raster (pixels, pw x ph, 0xRRGGBBAA rows from the top,
                     borrowed) stretched to rect: the drawing canvas */
} pv_draw_kind;

typedef enum pv_text_align {
  PV_ALIGN_START, /* left in LTR, right in RTL */
  PV_ALIGN_CENTER,
  PV_ALIGN_END,
} pv_text_align;

typedef struct pv_text_style {
  int size_px;      /* font pixel size */
  int bold;         /* 0 or 1 */
  int rtl;          /* base direction of the paragraph */
  const char *lang; /* BCP 47 tag: picks the script and the font */
  pv_text_align align;
  int max_lines; /* wrap up to this many lines in rect.w; 0 = 1 line */
} pv_text_style;

typedef struct pv_draw_cmd {
  pv_draw_kind kind;
  pv_rect rect;
  pv_color color;
  int radius;             /* RECT, FRAME */
  int thickness;          /* FRAME, RING, ARC */
  int angle0, angle1;     /* ARC */
  const char *text;       /* TEXT (UTF-8, borrowed) */
  pv_text_style style;    /* TEXT */
  const char *path;       /* IMAGE (borrowed) */
  const uint32_t *pixels; /* PIXELS (borrowed, must outlive the frame) */
  int pw, ph;             /* PIXELS */
} pv_draw_cmd;

typedef struct pv_draw_list {
  pv_draw_cmd cmds[PV_DRAW_MAX_COMMANDS];
  size_t count;
  size_t dropped; /* commands past the bound (a layout bug; logged once) */
} pv_draw_list;

/* Empties the list for a new frame. */
void pv_draw_clear(pv_draw_list *dl);

/* Appends one command (copied); past PV_DRAW_MAX_COMMANDS it is counted
 * in dl->dropped and ignored. */
void pv_draw_push(pv_draw_list *dl, const pv_draw_cmd *cmd);

/* Shorthands for the common commands. */
void pv_draw_rect(pv_draw_list *dl, pv_rect r, pv_color c, int radius);
void pv_draw_frame(pv_draw_list *dl, pv_rect r, pv_color c, int radius, int thickness);
void pv_draw_circle(pv_draw_list *dl, pv_rect r, pv_color c);
void pv_draw_ring(pv_draw_list *dl, pv_rect r, pv_color c, int thickness);
void pv_draw_arc(pv_draw_list *dl, pv_rect r, pv_color c, int thickness, int angle0,
                 int angle1);
void pv_draw_text(pv_draw_list *dl, pv_rect r, pv_color c, const char *text,
                  const pv_text_style *style);
void pv_draw_image(pv_draw_list *dl, pv_rect r, const char *path);
void pv_draw_clip(pv_draw_list *dl, pv_rect r);
void pv_draw_pixels(pv_draw_list *dl, pv_rect r, const uint32_t *pixels, int pw,
                    int ph);

/* Text measurement, provided by the renderer (or a fake in tests):
 * returns the pixel size of text laid out with style in at most max_w
 * pixels wide (wrapping up to style->max_lines). */
typedef struct pv_text_metrics {
  int w, h, lines;
  int truncated; /* did not fit in max_lines */
} pv_text_metrics;

typedef pv_text_metrics (*pv_measure_fn)(void *ud, const char *text,
                                         const pv_text_style *style, int max_w);

/* Returns 1 when point (x, y) lies inside r. */
static inline int pv_rect_contains(pv_rect r, int x, int y) {
  return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

/* Mirrors r horizontally inside a container of width `width` (RTL). */
static inline pv_rect pv_rect_mirror(pv_rect r, int width) {
  r.x = width - r.x - r.w;
  return r;
}

#endif
