/* render: see render.h. Every shape becomes a convex outline (points in
 * clockwise order) that is either filled as a fan from its centre or
 * paired with an inner outline of the same point count and filled as a
 * strip: one SDL_RenderGeometry call per shape, smooth enough at kiosk
 * sizes without anti-aliasing. Images are rasterised at their drawn size
 * (SVG through IMG_LoadSizedSVG_RW, so they stay crisp) and cached. */
#include "kiosk/render.h"

#include <SDL2/SDL_image.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

#define MAX_PTS 512       /* points of one outline */
#define MAX_SPANS 512     /* rectangles of one filled shape per batch */
#define MAX_CORNER_SEG 32 /* segments per rounded corner */
#define WARNED_PATHS 32   /* broken images remembered for log-once */
#define PLACEHOLDER_FILL 0xE6E1D8FFu
#define PLACEHOLDER_EDGE 0x9E978CFFu

typedef struct pt {
  float x, y;
} pt;

typedef struct image_entry {
  char *path;       /* NULL: free slot */
  int w, h;         /* requested box */
  SDL_Texture *tex; /* NULL with path set: broken image */
  int tw, th;       /* drawn size, aspect kept, fits in (w, h) */
  unsigned long used;
} image_entry;

struct pv_render_ctx {
  SDL_Renderer *r;
  pv_text_ctx *text;
  image_entry images[PV_RENDER_MAX_IMAGES];
  unsigned long tick;
  pv_render_stats stats;
  uint32_t warned[WARNED_PATHS];
  int nwarned;
  /* Mesh scratch. */
  pt outer[MAX_PTS], inner[MAX_PTS];
  SDL_Vertex verts[2 * MAX_PTS + 2];
  int idx[6 * MAX_PTS + 6];
  SDL_Rect spans[MAX_SPANS]; /* filled shapes as runs of rows */
  SDL_Texture *raster;       /* PIXELS: one streaming texture, reused */
  int raster_w, raster_h;
};

/* Returns the SDL colour of a 0xRRGGBBAA value. */
static SDL_Color to_sdl(pv_color c) {
  return (SDL_Color){(Uint8)(c >> 24), (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c};
}

/* Opaque colours are drawn without blending: the software renderer
 * blends every pixel otherwise, about 20x slower on a full-screen fill. */
static void set_color(pv_render_ctx *rc, SDL_Color c) {
  SDL_SetRenderDrawBlendMode(rc->r,
                             c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
  SDL_SetRenderDrawColor(rc->r, c.r, c.g, c.b, c.a);
}

/* Returns v clamped to [lo, hi]. */
static int clampi(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* Writes the outline of a rounded rectangle (clockwise from the top-right
 * corner, seg + 1 points per corner) into p; returns the point count. */
static int rounded_outline(pt *p, float x, float y, float w, float h, float rad,
                           int seg) {
  static const float start_deg[4] = {-90.0f, 0.0f, 90.0f, 180.0f};
  float cx[4] = {x + w - rad, x + w - rad, x + rad, x + rad};
  float cy[4] = {y + rad, y + h - rad, y + h - rad, y + rad};
  int n = 0;
  for (int c = 0; c < 4; c++) {
    for (int i = 0; i <= seg; i++) {
      float a = (start_deg[c] + 90.0f * (float)i / (float)seg) * (float)M_PI / 180.0f;
      p[n++] = (pt){cx[c] + rad * cosf(a), cy[c] + rad * sinf(a)};
    }
  }
  return n;
}

/* Writes n points of the ellipse arc centred (cx, cy), radii (rx, ry),
 * from a0 to a1 degrees (clockwise on screen) into p. */
static void ellipse_arc(pt *p, int n, float cx, float cy, float rx, float ry, float a0,
                        float a1) {
  for (int i = 0; i < n; i++) {
    float a = (a0 + (a1 - a0) * (float)i / (float)(n - 1)) * (float)M_PI / 180.0f;
    p[i] = (pt){cx + rx * cosf(a), cy + ry * sinf(a)};
  }
}

/* Returns a point count for an ellipse of radii rx, ry spanning `deg`
 * degrees: about one point per 5 pixels of perimeter, bounded. */
static int ellipse_points(float rx, float ry, float deg) {
  float per = (float)M_PI * (rx + ry) * deg / 360.0f;
  return clampi((int)(per / 5.0f), 12, MAX_PTS);
}

/* Fills the convex outline p[0..n) as a fan around (cx, cy). */
static void fill_fan(pv_render_ctx *rc, const pt *p, int n, float cx, float cy,
                     SDL_Color c) {
  if (n < 3)
    return;
  rc->verts[0] = (SDL_Vertex){{cx, cy}, c, {0, 0}};
  for (int i = 0; i < n; i++)
    rc->verts[i + 1] = (SDL_Vertex){{p[i].x, p[i].y}, c, {0, 0}};
  int k = 0;
  for (int i = 0; i < n; i++) {
    rc->idx[k++] = 0;
    rc->idx[k++] = 1 + i;
    rc->idx[k++] = 1 + (i + 1) % n;
  }
  set_color(rc, c);
  SDL_RenderGeometry(rc->r, NULL, rc->verts, n + 1, rc->idx, k);
}

/* Fills the band between outlines a and b (n points each, matching);
 * closed joins the last pair to the first. */
static void fill_strip(pv_render_ctx *rc, const pt *a, const pt *b, int n, int closed,
                       SDL_Color c) {
  if (n < 2)
    return;
  for (int i = 0; i < n; i++) {
    rc->verts[2 * i] = (SDL_Vertex){{a[i].x, a[i].y}, c, {0, 0}};
    rc->verts[2 * i + 1] = (SDL_Vertex){{b[i].x, b[i].y}, c, {0, 0}};
  }
  int k = 0, quads = closed ? n : n - 1;
  for (int i = 0; i < quads; i++) {
    int j = (i + 1) % n;
    rc->idx[k++] = 2 * i;
    rc->idx[k++] = 2 * i + 1;
    rc->idx[k++] = 2 * j;
    rc->idx[k++] = 2 * i + 1;
    rc->idx[k++] = 2 * j + 1;
    rc->idx[k++] = 2 * j;
  }
  set_color(rc, c);
  SDL_RenderGeometry(rc->r, NULL, rc->verts, 2 * n, rc->idx, k);
}

/* Returns the segment count for a corner of radius rad. */
static int corner_segments(float rad) {
  return clampi((int)(rad / 2.0f), 3, MAX_CORNER_SEG);
}

/* Fills, row by row, the shape whose row y (0..h) spans from x + inset(y)
 * to x + w - inset(y): filled shapes are runs of rectangles, which the
 * software renderer fills far faster than fans of thin triangles. */
static void fill_rows(pv_render_ctx *rc, pv_rect q, SDL_Color c,
                      int (*inset)(const pv_rect *q, int y, float k), float k) {
  int n = 0;
  set_color(rc, c);
  for (int y = 0; y < q.h; y++) {
    int in = inset(&q, y, k);
    /* rows with the same inset merge into one rectangle */
    if (n > 0 && rc->spans[n - 1].x == q.x + in &&
        rc->spans[n - 1].y + rc->spans[n - 1].h == q.y + y) {
      rc->spans[n - 1].h++;
      continue;
    }
    if (n == MAX_SPANS) {
      SDL_RenderFillRects(rc->r, rc->spans, n);
      n = 0;
    }
    if (q.w - 2 * in > 0)
      rc->spans[n++] = (SDL_Rect){q.x + in, q.y + y, q.w - 2 * in, 1};
  }
  if (n)
    SDL_RenderFillRects(rc->r, rc->spans, n);
}

/* Inset of row y of a rectangle with corners of radius k. */
static int rounded_inset(const pv_rect *q, int y, float rad) {
  float dy = 0;
  if (y < rad)
    dy = rad - ((float)y + 0.5f);
  else if (y >= q->h - rad)
    dy = ((float)y + 0.5f) - ((float)q->h - rad);
  if (dy <= 0)
    return 0;
  return (int)lroundf(rad - sqrtf(rad * rad - dy * dy));
}

/* Inset of row y of the ellipse inscribed in q (k unused). */
static int ellipse_inset(const pv_rect *q, int y, float k) {
  (void)k;
  float rx = (float)q->w / 2, ry = (float)q->h / 2;
  float t = ((float)y + 0.5f - ry) / ry;
  float half = rx * sqrtf(1.0f - t * t > 0 ? 1.0f - t * t : 0);
  return (int)lroundf(rx - half);
}

/* Draws a filled rectangle rounded by rad. */
static void draw_rect(pv_render_ctx *rc, pv_rect q, pv_color col, int rad) {
  SDL_Color c = to_sdl(col);
  if (q.w <= 0 || q.h <= 0)
    return;
  rad = clampi(rad, 0, (q.w < q.h ? q.w : q.h) / 2);
  if (rad == 0) {
    set_color(rc, c);
    SDL_RenderFillRect(rc->r, &(SDL_Rect){q.x, q.y, q.w, q.h});
    return;
  }
  fill_rows(rc, q, c, rounded_inset, (float)rad);
}

/* Draws the outline of a rectangle rounded by rad, thick pixels wide. */
static void draw_frame(pv_render_ctx *rc, pv_rect q, pv_color col, int rad, int thick) {
  if (q.w <= 0 || q.h <= 0 || thick <= 0)
    return;
  if (2 * thick >= q.w || 2 * thick >= q.h) {
    draw_rect(rc, q, col, rad);
    return;
  }
  rad = clampi(rad, 0, (q.w < q.h ? q.w : q.h) / 2);
  int seg = corner_segments((float)rad);
  float in_rad = rad > thick ? (float)(rad - thick) : 0.0f;
  int n = rounded_outline(rc->outer, (float)q.x, (float)q.y, (float)q.w, (float)q.h,
                          (float)rad, seg);
  rounded_outline(rc->inner, (float)(q.x + thick), (float)(q.y + thick),
                  (float)(q.w - 2 * thick), (float)(q.h - 2 * thick), in_rad, seg);
  fill_strip(rc, rc->outer, rc->inner, n, 1, to_sdl(col));
}

/* Draws a filled ellipse centred (cx, cy) with radii rx, ry. */
static void fill_ellipse(pv_render_ctx *rc, float cx, float cy, float rx, float ry,
                         SDL_Color c) {
  int n = ellipse_points(rx, ry, 360.0f);
  ellipse_arc(rc->outer, n, cx, cy, rx, ry, 0.0f, 360.0f * (float)(n - 1) / (float)n);
  fill_fan(rc, rc->outer, n, cx, cy, c);
}

/* Draws the disc inscribed in q. */
static void draw_circle(pv_render_ctx *rc, pv_rect q, pv_color col) {
  if (q.w <= 0 || q.h <= 0)
    return;
  fill_rows(rc, q, to_sdl(col), ellipse_inset, 0);
}

/* Draws a thick arc of the ellipse inscribed in q (outer edge on it) from
 * a0 to a1 degrees, 0 = east, clockwise; a full turn is a ring. Open arcs
 * get round caps. */
static void draw_arc(pv_render_ctx *rc, pv_rect q, pv_color col, int thick, int a0,
                     int a1) {
  SDL_Color c = to_sdl(col);
  float rx = (float)q.w / 2, ry = (float)q.h / 2;
  float cx = (float)q.x + rx, cy = (float)q.y + ry;
  if (q.w <= 0 || q.h <= 0 || thick <= 0)
    return;
  if ((float)thick >= rx || (float)thick >= ry) {
    fill_ellipse(rc, cx, cy, rx, ry, c);
    return;
  }
  while (a1 < a0)
    a1 += 360;
  int full = a1 - a0 >= 360;
  if (full)
    a1 = a0 + 360;
  int n = ellipse_points(rx, ry, (float)(a1 - a0));
  if (full) { /* closed strip: the last point would repeat the first */
    float end = (float)a0 + 360.0f * (float)(n - 1) / (float)n;
    ellipse_arc(rc->outer, n, cx, cy, rx, ry, (float)a0, end);
    ellipse_arc(rc->inner, n, cx, cy, rx - (float)thick, ry - (float)thick, (float)a0,
                end);
    fill_strip(rc, rc->outer, rc->inner, n, 1, c);
    return;
  }
  ellipse_arc(rc->outer, n, cx, cy, rx, ry, (float)a0, (float)a1);
  ellipse_arc(rc->inner, n, cx, cy, rx - (float)thick, ry - (float)thick, (float)a0,
              (float)a1);
  fill_strip(rc, rc->outer, rc->inner, n, 0, c);
  float half = (float)thick / 2;
  pt ends[2] = {
      {(rc->outer[0].x + rc->inner[0].x) / 2, (rc->outer[0].y + rc->inner[0].y) / 2},
      {(rc->outer[n - 1].x + rc->inner[n - 1].x) / 2,
       (rc->outer[n - 1].y + rc->inner[n - 1].y) / 2}};
  for (int i = 0; i < 2; i++)
    fill_ellipse(rc, ends[i].x, ends[i].y, half, half, c);
}

/* Draws a text command: the cached texture placed in the rect by the
 * alignment relative to the paragraph direction, centred vertically. */
static void draw_text(pv_render_ctx *rc, const pv_draw_cmd *cmd) {
  int w = 0, h = 0, pad = 0;
  if (!rc->text || !cmd->text)
    return;
  SDL_Texture *tex = pv_text_texture(rc->text, rc->r, cmd->text, &cmd->style,
                                     cmd->rect.w, cmd->color, &w, &h, &pad);
  if (!tex)
    return;
  int slack = cmd->rect.w - w, x;
  int left = (cmd->style.align == PV_ALIGN_START) == !cmd->style.rtl;
  if (cmd->style.align == PV_ALIGN_CENTER)
    x = cmd->rect.x + slack / 2;
  else
    x = left ? cmd->rect.x : cmd->rect.x + slack;
  int y = h <= cmd->rect.h ? cmd->rect.y + (cmd->rect.h - h) / 2 : cmd->rect.y;
  SDL_RenderCopy(rc->r, tex, NULL, &(SDL_Rect){x, y - pad, w, h + 2 * pad});
}

/* Returns an FNV-1a hash of s. */
static uint32_t str_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* Logs a broken image once per path (within a small memory). */
static void warn_once(pv_render_ctx *rc, const char *path, const char *why) {
  uint32_t h = str_hash(path);
  int n = rc->nwarned < WARNED_PATHS ? rc->nwarned : WARNED_PATHS;
  for (int i = 0; i < n; i++)
    if (rc->warned[i] == h)
      return;
  rc->warned[rc->nwarned++ % WARNED_PATHS] = h;
  PV_WARN("render: %s: %s; drawing a placeholder", path, why);
}

/* Returns 1 when path ends in ".svg" (any case). */
static int is_svg(const char *path) {
  size_t n = strlen(path);
  return n >= 4 && strcasecmp(path + n - 4, ".svg") == 0;
}

/* Rasterises the SVG at path to fit in (w, h), aspect kept; caller frees
 * the surface. NULL on failure (SDL_GetError says why). */
static SDL_Surface *load_svg(const char *path, int w, int h) {
  SDL_RWops *rw = SDL_RWFromFile(path, "rb");
  if (!rw)
    return NULL;
  SDL_Surface *s = IMG_LoadSizedSVG_RW(rw, w, 0);
  if (s && s->h > h) {
    SDL_FreeSurface(s);
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    s = IMG_LoadSizedSVG_RW(rw, 0, h);
  }
  SDL_RWclose(rw);
  return s;
}

/* Loads path into entry e at the box (e->w, e->h); leaves e->tex NULL and
 * logs once when the file is missing or broken. */
static void load_image(pv_render_ctx *rc, image_entry *e) {
  SDL_Surface *s = is_svg(e->path) ? load_svg(e->path, e->w, e->h) : IMG_Load(e->path);
  if (!s || s->w <= 0 || s->h <= 0 || s->w > 4 * PV_RENDER_MAX_IMAGE_SIDE ||
      s->h > 4 * PV_RENDER_MAX_IMAGE_SIDE) {
    warn_once(rc, e->path, s ? "image too large or empty" : IMG_GetError());
    rc->stats.image_failures++;
    SDL_FreeSurface(s);
    return;
  }
  double sx = (double)e->w / s->w, sy = (double)e->h / s->h;
  double k = sx < sy ? sx : sy;
  e->tw = (int)(s->w * k + 0.5);
  e->th = (int)(s->h * k + 0.5);
  if (e->tw < 1)
    e->tw = 1;
  if (e->th < 1)
    e->th = 1;
  /* Scale once, here, to the drawn size: the frame is then a plain copy
   * (the software renderer would otherwise rescale it every frame). */
  if (s->w != e->tw || s->h != e->th) {
    SDL_Surface *src = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_Surface *dst =
        SDL_CreateRGBSurfaceWithFormat(0, e->tw, e->th, 32, SDL_PIXELFORMAT_ARGB8888);
    if (src && dst && SDL_SoftStretchLinear(src, NULL, dst, NULL) == 0) {
      SDL_FreeSurface(s);
      s = dst;
      dst = NULL;
    }
    SDL_FreeSurface(src);
    SDL_FreeSurface(dst);
  }
  e->tex = SDL_CreateTextureFromSurface(rc->r, s);
  SDL_FreeSurface(s);
  if (!e->tex) {
    warn_once(rc, e->path, SDL_GetError());
    rc->stats.image_failures++;
    return;
  }
  SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
  SDL_SetTextureScaleMode(e->tex, SDL_ScaleModeLinear);
}

/* Returns the cache entry for (path, w, h), loading it on a miss and
 * evicting the least recently used; NULL on out of memory. */
static image_entry *get_image(pv_render_ctx *rc, const char *path, int w, int h) {
  image_entry *victim = NULL;
  rc->tick++;
  for (int i = 0; i < PV_RENDER_MAX_IMAGES; i++) {
    image_entry *e = &rc->images[i];
    if (e->path && e->w == w && e->h == h && strcmp(e->path, path) == 0) {
      e->used = rc->tick;
      rc->stats.image_hits++;
      return e;
    }
    if (!victim || !e->path || (victim->path && e->used < victim->used))
      victim = e;
  }
  rc->stats.image_misses++;
  char *copy = strdup(path);
  if (!copy)
    return NULL;
  free(victim->path);
  if (victim->tex)
    SDL_DestroyTexture(victim->tex);
  *victim = (image_entry){.path = copy, .w = w, .h = h, .used = rc->tick};
  load_image(rc, victim);
  return victim;
}

/* Draws the neutral placeholder: a soft square with an edge, centred. */
static void draw_placeholder(pv_render_ctx *rc, pv_rect q) {
  int side = q.w < q.h ? q.w : q.h;
  pv_rect s = {q.x + (q.w - side) / 2, q.y + (q.h - side) / 2, side, side};
  draw_rect(rc, s, PLACEHOLDER_FILL, side / 8);
  draw_frame(rc, s, PLACEHOLDER_EDGE, side / 8, side / 32 + 1);
}

/* Draws an image command fitted in its rect, aspect kept, centred. */
static void draw_image(pv_render_ctx *rc, const pv_draw_cmd *cmd) {
  pv_rect q = cmd->rect;
  if (q.w <= 0 || q.h <= 0)
    return;
  int w = q.w > PV_RENDER_MAX_IMAGE_SIDE ? PV_RENDER_MAX_IMAGE_SIDE : q.w;
  int h = q.h > PV_RENDER_MAX_IMAGE_SIDE ? PV_RENDER_MAX_IMAGE_SIDE : q.h;
  image_entry *e = cmd->path ? get_image(rc, cmd->path, w, h) : NULL;
  if (!e || !e->tex) {
    if (!cmd->path)
      warn_once(rc, "(null)", "no path");
    draw_placeholder(rc, q);
    return;
  }
  SDL_Rect dst = {q.x + (q.w - e->tw) / 2, q.y + (q.h - e->th) / 2, e->tw, e->th};
  SDL_RenderCopy(rc->r, e->tex, NULL, &dst);
}

/* Uploads the raster into the one streaming texture (made again when
 * the raster's size changes) and stretches it to the rect. */
static void draw_pixels(pv_render_ctx *rc, const pv_draw_cmd *cmd) {
  pv_rect q = cmd->rect;
  if (!cmd->pixels || cmd->pw <= 0 || cmd->ph <= 0 || q.w <= 0 || q.h <= 0)
    return;
  if (rc->raster && (rc->raster_w != cmd->pw || rc->raster_h != cmd->ph)) {
    SDL_DestroyTexture(rc->raster);
    rc->raster = NULL;
  }
  if (!rc->raster) {
    rc->raster = SDL_CreateTexture(rc->r, SDL_PIXELFORMAT_RGBA8888,
                                   SDL_TEXTUREACCESS_STREAMING, cmd->pw, cmd->ph);
    if (!rc->raster) {
      warn_once(rc, "(raster)", SDL_GetError());
      draw_placeholder(rc, q);
      return;
    }
    rc->raster_w = cmd->pw;
    rc->raster_h = cmd->ph;
  }
  SDL_UpdateTexture(rc->raster, NULL, cmd->pixels, cmd->pw * (int)sizeof(uint32_t));
  SDL_RenderCopy(rc->r, rc->raster, NULL, &(SDL_Rect){q.x, q.y, q.w, q.h});
}

pv_render_ctx *pv_render_open(SDL_Renderer *r, pv_text_ctx *t) {
  pv_render_ctx *rc = calloc(1, sizeof *rc);
  if (!rc)
    return NULL;
  rc->r = r;
  rc->text = t;
  return rc;
}

void pv_render_close(pv_render_ctx *rc) {
  if (!rc)
    return;
  for (int i = 0; i < PV_RENDER_MAX_IMAGES; i++) {
    free(rc->images[i].path);
    if (rc->images[i].tex)
      SDL_DestroyTexture(rc->images[i].tex);
  }
  if (rc->raster)
    SDL_DestroyTexture(rc->raster);
  free(rc);
}

void pv_render_list(pv_render_ctx *rc, const pv_draw_list *dl) {
  SDL_SetRenderDrawBlendMode(rc->r, SDL_BLENDMODE_BLEND);
  for (size_t i = 0; i < dl->count && i < PV_DRAW_MAX_COMMANDS; i++) {
    const pv_draw_cmd *c = &dl->cmds[i];
    switch (c->kind) {
    case PV_DRAW_RECT:
      draw_rect(rc, c->rect, c->color, c->radius);
      break;
    case PV_DRAW_FRAME:
      draw_frame(rc, c->rect, c->color, c->radius, c->thickness);
      break;
    case PV_DRAW_CIRCLE:
      draw_circle(rc, c->rect, c->color);
      break;
    case PV_DRAW_RING:
      draw_arc(rc, c->rect, c->color, c->thickness, 0, 360);
      break;
    case PV_DRAW_ARC:
      draw_arc(rc, c->rect, c->color, c->thickness, c->angle0, c->angle1);
      break;
    case PV_DRAW_TEXT:
      draw_text(rc, c);
      break;
    case PV_DRAW_IMAGE:
      draw_image(rc, c);
      break;
    case PV_DRAW_PIXELS:
      draw_pixels(rc, c);
      break;
    case PV_DRAW_CLIP:
      SDL_RenderSetClipRect(
          rc->r, c->rect.w > 0 ? &(SDL_Rect){c->rect.x, c->rect.y, c->rect.w, c->rect.h}
                               : NULL);
      break;
    }
  }
  SDL_RenderSetClipRect(rc->r, NULL);
}

void pv_render_get_stats(const pv_render_ctx *rc, pv_render_stats *out) {
  *out = rc->stats;
}

pv_err pv_render_shot(SDL_Renderer *r, const char *png_path) {
  int w = 0, h = 0;
  pv_err err = PV_OK;
  SDL_Surface *s = NULL;
  if (SDL_GetRendererOutputSize(r, &w, &h) != 0)
    return pv_fail(PV_ERR_IO, "shot: %s", SDL_GetError());
  /* RGB24: the frame is opaque, whatever alpha the target holds. */
  s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24);
  if (!s)
    return pv_fail(PV_ERR_NOMEM, "shot: %dx%d: %s", w, h, SDL_GetError());
  if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_RGB24, s->pixels, s->pitch) != 0) {
    err = pv_fail(PV_ERR_IO, "shot: read pixels: %s", SDL_GetError());
    goto out;
  }
  if (IMG_SavePNG(s, png_path) != 0)
    err = pv_fail(PV_ERR_IO, "shot: %s: %s", png_path, IMG_GetError());
out:
  SDL_FreeSurface(s);
  return err;
}
