/* canvas: see canvas.h. The raster is what the resident sees; base plus
 * the stack replays to it (strokes in progress drawn on top). */
#include "kiosk/canvas.h"

#include <stdlib.h>
#include <string.h>

#define N_PX ((size_t)PV_CANVAS_W * PV_CANVAS_H)
#define RASTER_BYTES (N_PX * sizeof(uint32_t))
#define N_SNAPS                                                                        \
  (PV_CANVAS_MAX_STROKES / PV_CANVAS_SNAPSHOT_EVERY) /* snap[0] = base                 \
                                                      */

typedef struct pt {
  int16_t x, y;
} pt;

typedef struct stroke {
  int clear; /* 1: a clear, no points */
  uint32_t colour;
  int radius;
  pt *pts;
  int n, cap;
} stroke;

typedef struct active {
  int used;
  int64_t finger;
  stroke s;
} active;

struct pv_canvas {
  uint32_t *px;            /* what is shown */
  uint32_t *snap[N_SNAPS]; /* snap[k]: base + the first k*EVERY strokes; [0] = base */
  int snap_ok;             /* snap[0..snap_ok-1] are current */
  stroke stack[PV_CANVAS_MAX_STROKES];
  int n;
  active act[PV_CANVAS_MAX_FINGERS];
};

static int clampi(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static void fill(uint32_t *buf, uint32_t c) {
  for (size_t i = 0; i < N_PX; i++)
    buf[i] = c;
}

/* Paints the capsule of radius r around segment (x0,y0)-(x1,y1): every
 * pixel whose centre lies within r of the segment. */
static void capsule(uint32_t *buf, int x0, int y0, int x1, int y1, int r, uint32_t c) {
  int minx = clampi((x0 < x1 ? x0 : x1) - r, 0, PV_CANVAS_W - 1);
  int maxx = clampi((x0 > x1 ? x0 : x1) + r, 0, PV_CANVAS_W - 1);
  int miny = clampi((y0 < y1 ? y0 : y1) - r, 0, PV_CANVAS_H - 1);
  int maxy = clampi((y0 > y1 ? y0 : y1) + r, 0, PV_CANVAS_H - 1);
  long dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy, r2 = (long)r * r;
  for (int y = miny; y <= maxy; y++) {
    uint32_t *row = buf + (size_t)y * PV_CANVAS_W;
    for (int x = minx; x <= maxx; x++) {
      long px = x - x0, py = y - y0;
      long ex, ey; /* from the nearest point of the segment, exactly */
      long t = px * dx + py * dy;
      if (len2 == 0 || t <= 0) {
        ex = px;
        ey = py;
      } else if (t >= len2) {
        ex = x - x1;
        ey = y - y1;
      } else { /* squared distance to the line: cross^2 / len2 */
        long cross = px * dy - py * dx;
        if ((double)cross * cross <= (double)r2 * len2)
          row[x] = c;
        continue;
      }
      if (ex * ex + ey * ey <= r2)
        row[x] = c;
    }
  }
}

static void replay(uint32_t *buf, const stroke *s) {
  if (s->clear) {
    fill(buf, PV_CANVAS_BG);
    return;
  }
  for (int i = 0; i < s->n; i++) {
    const pt *a = &s->pts[i > 0 ? i - 1 : 0], *b = &s->pts[i];
    capsule(buf, a->x, a->y, b->x, b->y, s->radius, s->colour);
  }
}

static void stroke_free(stroke *s) {
  free(s->pts);
  memset(s, 0, sizeof *s);
}

/* Makes snap[k] current for every k whose strokes are all on the stack;
 * returns 0 when out of memory (snapshots then stay fewer). */
static int ensure_snaps(pv_canvas *c) {
  int want = c->n / PV_CANVAS_SNAPSHOT_EVERY + 1;
  if (want > N_SNAPS)
    want = N_SNAPS;
  for (int k = c->snap_ok; k < want; k++) {
    if (!c->snap[k] && !(c->snap[k] = malloc(RASTER_BYTES)))
      return 0;
    memcpy(c->snap[k], c->snap[k - 1], RASTER_BYTES);
    for (int i = (k - 1) * PV_CANVAS_SNAPSHOT_EVERY; i < k * PV_CANVAS_SNAPSHOT_EVERY;
         i++)
      replay(c->snap[k], &c->stack[i]);
    c->snap_ok = k + 1;
  }
  return 1;
}

/* Redraws the shown raster: the nearest snapshot, the strokes after it,
 * then the strokes in progress. */
static void rebuild(pv_canvas *c) {
  int k = c->snap_ok - 1;
  memcpy(c->px, c->snap[k], RASTER_BYTES);
  for (int i = k * PV_CANVAS_SNAPSHOT_EVERY; i < c->n; i++)
    replay(c->px, &c->stack[i]);
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++)
    if (c->act[f].used)
      replay(c->px, &c->act[f].s);
}

/* Bakes the oldest snapshot's worth of strokes into the base. */
static void bake(pv_canvas *c) {
  int e = PV_CANVAS_SNAPSHOT_EVERY;
  if (c->snap_ok < 2 && !ensure_snaps(c)) { /* no memory: replay into base */
    for (int i = 0; i < e; i++)
      replay(c->snap[0], &c->stack[i]);
  } else {
    uint32_t *old = c->snap[0];
    memmove(c->snap, c->snap + 1, (N_SNAPS - 1) * sizeof *c->snap);
    c->snap[N_SNAPS - 1] = old; /* reused as a buffer */
  }
  for (int i = 0; i < e; i++)
    stroke_free(&c->stack[i]);
  memmove(c->stack, c->stack + e, (size_t)(c->n - e) * sizeof *c->stack);
  memset(c->stack + c->n - e, 0, (size_t)e * sizeof *c->stack);
  c->n -= e;
  c->snap_ok = c->snap_ok > 1 ? c->snap_ok - 1 : 1;
}

static void push(pv_canvas *c, stroke *s) {
  if (c->n == PV_CANVAS_MAX_STROKES)
    bake(c);
  c->stack[c->n++] = *s;
  memset(s, 0, sizeof *s);
  ensure_snaps(c);
}

static int add_point(stroke *s, int x, int y) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 64;
    if (cap > PV_CANVAS_MAX_POINTS)
      cap = PV_CANVAS_MAX_POINTS;
    pt *p = realloc(s->pts, (size_t)cap * sizeof *p);
    if (!p)
      return 0;
    s->pts = p;
    s->cap = cap;
  }
  s->pts[s->n++] = (pt){(int16_t)x, (int16_t)y};
  return 1;
}

static active *find(pv_canvas *c, int64_t finger) {
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++)
    if (c->act[f].used && c->act[f].finger == finger)
      return &c->act[f];
  return NULL;
}

/* ---- public -------------------------------------------------------------- */

pv_canvas *pv_canvas_new(void) {
  pv_canvas *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->px = malloc(RASTER_BYTES);
  c->snap[0] = malloc(RASTER_BYTES);
  if (!c->px || !c->snap[0]) {
    pv_canvas_free(c);
    return NULL;
  }
  pv_canvas_reset(c);
  return c;
}

void pv_canvas_free(pv_canvas *c) {
  if (!c)
    return;
  pv_canvas_reset(c);
  free(c->px);
  for (int k = 0; k < N_SNAPS; k++)
    free(c->snap[k]);
  free(c);
}

void pv_canvas_reset(pv_canvas *c) {
  for (int i = 0; i < c->n; i++)
    stroke_free(&c->stack[i]);
  c->n = 0;
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++) {
    stroke_free(&c->act[f].s);
    c->act[f].used = 0;
  }
  if (c->px)
    fill(c->px, PV_CANVAS_BG);
  if (c->snap[0])
    fill(c->snap[0], PV_CANVAS_BG);
  c->snap_ok = 1;
}

const uint32_t *pv_canvas_pixels(const pv_canvas *c) {
  return c->px;
}

void pv_canvas_load(pv_canvas *c, const uint32_t *px) {
  pv_canvas_reset(c);
  memcpy(c->snap[0], px, RASTER_BYTES);
  memcpy(c->px, px, RASTER_BYTES);
}

pv_err pv_canvas_begin(pv_canvas *c, int64_t finger, int x, int y, uint32_t colour,
                       int radius) {
  pv_canvas_end(c, finger);
  active *a = NULL;
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS && !a; f++)
    if (!c->act[f].used)
      a = &c->act[f];
  if (!a)
    return pv_fail(PV_ERR_TOOBIG, "canvas: more than %d fingers",
                   PV_CANVAS_MAX_FINGERS);
  x = clampi(x, 0, PV_CANVAS_W - 1);
  y = clampi(y, 0, PV_CANVAS_H - 1);
  a->s = (stroke){.colour = colour, .radius = clampi(radius, 1, PV_CANVAS_MAX_RADIUS)};
  if (!add_point(&a->s, x, y))
    return pv_fail(PV_ERR_NOMEM, "canvas: stroke");
  a->used = 1;
  a->finger = finger;
  capsule(c->px, x, y, x, y, a->s.radius, colour);
  return PV_OK;
}

void pv_canvas_move(pv_canvas *c, int64_t finger, int x, int y) {
  active *a = find(c, finger);
  if (!a)
    return;
  x = clampi(x, 0, PV_CANVAS_W - 1);
  y = clampi(y, 0, PV_CANVAS_H - 1);
  pt last = a->s.pts[a->s.n - 1];
  if (last.x == x && last.y == y)
    return;
  if (a->s.n == PV_CANVAS_MAX_POINTS) { /* continue as a new stroke */
    uint32_t colour = a->s.colour;
    int radius = a->s.radius;
    pv_canvas_end(c, finger);
    if (pv_canvas_begin(c, finger, last.x, last.y, colour, radius) != PV_OK)
      return;
    a = find(c, finger);
  }
  if (!add_point(&a->s, x, y))
    return; /* out of memory: the stroke stops growing */
  capsule(c->px, last.x, last.y, x, y, a->s.radius, a->s.colour);
}

void pv_canvas_end(pv_canvas *c, int64_t finger) {
  active *a = find(c, finger);
  if (!a)
    return;
  a->used = 0;
  push(c, &a->s);
}

void pv_canvas_end_all(pv_canvas *c) {
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++)
    if (c->act[f].used)
      pv_canvas_end(c, c->act[f].finger);
}

void pv_canvas_clear(pv_canvas *c) {
  stroke s = {.clear = 1};
  push(c, &s);
  fill(c->px, PV_CANVAS_BG);
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++) /* fingers still down go on */
    if (c->act[f].used)
      replay(c->px, &c->act[f].s);
}

int pv_canvas_undo(pv_canvas *c) {
  if (c->n == 0)
    return 0;
  stroke_free(&c->stack[--c->n]);
  int ok = c->n / PV_CANVAS_SNAPSHOT_EVERY + 1;
  if (c->snap_ok > ok)
    c->snap_ok = ok;
  rebuild(c);
  return 1;
}

int pv_canvas_undo_depth(const pv_canvas *c) {
  return c->n;
}

int pv_canvas_blank(const pv_canvas *c) {
  for (size_t i = 0; i < N_PX; i++)
    if (c->px[i] != PV_CANVAS_BG)
      return 0;
  return 1;
}

size_t pv_canvas_memory(const pv_canvas *c) {
  size_t b = sizeof *c + RASTER_BYTES;
  for (int k = 0; k < N_SNAPS; k++)
    b += c->snap[k] ? RASTER_BYTES : 0;
  for (int i = 0; i < c->n; i++)
    b += (size_t)c->stack[i].cap * sizeof(pt);
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++)
    b += (size_t)c->act[f].s.cap * sizeof(pt);
  return b;
}
