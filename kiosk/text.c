/* text: see text.h. The pipeline for one paragraph:
 *   UTF-8 -> UTF-32 -> FriBidi levels (base direction from the style)
 *   -> a font family per character (Arabic script: Noto Sans Arabic; the
 *      rest: Noto Sans; neutrals follow their strong neighbour)
 *   -> greedy wrap at spaces in logical order, widths measured by shaping
 *   -> per line, fribidi_reorder_line gives the visual order, cut into runs
 *      of one level and one family, each shaped by SDL2_ttf/HarfBuzz with
 *      its own direction and script, and placed on a common baseline.
 * Glyphs are composed white with their coverage as alpha, so one cached
 * texture serves every colour through colour modulation. */
#include "kiosk/text.h"

#include <SDL2/SDL_ttf.h>
#include <fribidi.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

enum { FAM_LATIN, FAM_ARABIC, FAM_NEUTRAL };

#define MAX_LINES 16 /* bound on style->max_lines */
#define MAX_RUNS 64  /* directional/font runs per line */
#define MIN_SIZE 6   /* clamp for size_px */
#define MAX_SIZE 256
#define MAX_SURFACE 4096 /* bound on a text surface side */
#define PATH_LEN 1024
#define ELLIPSIS 0x2026   /* closes a truncated last line */
#define ARABIC_ASCENT 115 /* percent of the Arabic size above the baseline */
#define ARABIC_DESCENT 50 /* and below */

typedef struct font_slot {
  TTF_Font *font;
  int fam, bold, size;
  unsigned long used;
} font_slot;

typedef struct entry {
  char *text; /* NULL: free slot */
  uint32_t hash;
  int size, bold, rtl, align, max_lines, max_w;
  int has_metrics;
  pv_text_metrics m;
  SDL_Texture *tex;
  SDL_Renderer *tex_r;
  int tex_w, tex_h, tex_pad; /* texture is tex_w x (tex_h + 2 * tex_pad) */
  unsigned long used;
} entry;

typedef struct run {
  int lo, hi; /* logical range [lo, hi) */
  int fam, rtl, w;
} run;

typedef struct line {
  int lo, hi, w, nruns;
  run runs[MAX_RUNS];
} line;

typedef struct layout {
  int n, truncated, w, h, line_h, ascent, pad;
  int size, asize, bold, rtl, align;
  line lines[MAX_LINES];
} layout;

struct pv_text_ctx {
  char paths[2][2][PATH_LEN]; /* [family][bold] */
  font_slot fonts[PV_TEXT_MAX_FONTS];
  entry entries[PV_TEXT_MAX_ENTRIES];
  unsigned long tick;
  pv_text_stats stats;
  int warned_long, warned_runs;
  /* Scratch for one paragraph (the context is single-threaded). */
  int n;
  FriBidiChar u[PV_TEXT_MAX_BYTES + 1]; /* + 1: the ellipsis */
  FriBidiCharType types[PV_TEXT_MAX_BYTES + 1];
  FriBidiBracketType brackets[PV_TEXT_MAX_BYTES + 1];
  FriBidiLevel levels[PV_TEXT_MAX_BYTES + 1];
  FriBidiStrIndex map[PV_TEXT_MAX_BYTES + 1];
  unsigned char fam[PV_TEXT_MAX_BYTES + 1];
  char utf8[4 * (PV_TEXT_MAX_BYTES + 1) + 1];
  layout lay;
};

/* Returns 1 for code points of the Arabic script blocks. */
static int is_arabic(FriBidiChar c) {
  return (c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) ||
         (c >= 0x08A0 && c <= 0x08FF) || (c >= 0xFB50 && c <= 0xFDFF) ||
         (c >= 0xFE70 && c <= 0xFEFF);
}

/* Returns the TTF_Font for (fam, bold, size), opening it on demand and
 * evicting the least recently used slot; borrowed, NULL on failure. */
static TTF_Font *get_font(pv_text_ctx *t, int fam, int bold, int size) {
  font_slot *victim = NULL;
  t->tick++;
  for (int i = 0; i < PV_TEXT_MAX_FONTS; i++) {
    font_slot *s = &t->fonts[i];
    if (s->font && s->fam == fam && s->bold == bold && s->size == size) {
      s->used = t->tick;
      return s->font;
    }
    if (!victim || !s->font || (victim->font && s->used < victim->used))
      victim = s;
  }
  TTF_Font *f = TTF_OpenFont(t->paths[fam][bold], size);
  if (!f) {
    PV_WARN("text: %s: %s", t->paths[fam][bold], TTF_GetError());
    return NULL;
  }
  TTF_SetFontHinting(f, TTF_HINTING_LIGHT);
  if (victim->font)
    TTF_CloseFont(victim->font);
  *victim =
      (font_slot){.font = f, .fam = fam, .bold = bold, .size = size, .used = t->tick};
  return f;
}

/* Sets the shaping direction and script of font for one run. */
static void set_shaping(TTF_Font *font, int fam, int rtl) {
  TTF_SetFontDirection(font, rtl ? TTF_DIRECTION_RTL : TTF_DIRECTION_LTR);
  TTF_SetFontScriptName(font, fam == FAM_ARABIC ? "Arab" : "Latn");
}

/* Returns the font of a run of family fam in layout L (borrowed). */
static TTF_Font *run_font(pv_text_ctx *t, const layout *L, int fam) {
  return get_font(t, fam, L->bold, fam == FAM_ARABIC ? L->asize : L->size);
}

/* Writes code points [lo, hi) as NUL-terminated UTF-8 into t->utf8;
 * returns it (borrowed scratch). */
static const char *run_utf8(pv_text_ctx *t, int lo, int hi) {
  FriBidiStrIndex len =
      fribidi_unicode_to_charset(FRIBIDI_CHAR_SET_UTF8, t->u + lo, hi - lo, t->utf8);
  t->utf8[len] = '\0';
  return t->utf8;
}

/* Returns the shaped width in pixels of code points [lo, hi) in one
 * family and direction; 0 on failure. */
static int shaped_width(pv_text_ctx *t, const layout *L, int lo, int hi, int fam,
                        int rtl) {
  TTF_Font *font = run_font(t, L, fam);
  int w = 0, h = 0;
  if (!font || hi <= lo)
    return 0;
  set_shaping(font, fam, rtl);
  if (TTF_SizeUTF8(font, run_utf8(t, lo, hi), &w, &h) != 0)
    return 0;
  return w;
}

/* Returns the width of logical range [lo, hi) as one line: the sum of its
 * runs of constant level and family (order does not change widths). */
static int range_width(pv_text_ctx *t, const layout *L, int lo, int hi) {
  int w = 0;
  for (int i = lo; i < hi;) {
    int j = i + 1;
    while (j < hi && t->levels[j] == t->levels[i] && t->fam[j] == t->fam[i])
      j++;
    w += shaped_width(t, L, i, j, t->fam[i], FRIBIDI_LEVEL_IS_RTL(t->levels[i]));
    i = j;
  }
  return w;
}

/* Cuts line ln (logical range) into runs in visual order with
 * fribidi_reorder_line; fills ln->runs and ln->w. */
static void line_runs(pv_text_ctx *t, layout *L, line *ln, FriBidiParType base) {
  int len = ln->hi - ln->lo;
  ln->nruns = 0;
  ln->w = 0;
  if (len <= 0)
    return;
  for (int i = ln->lo; i < ln->hi; i++)
    t->map[i] = i;
  /* No NSM reordering: runs stay contiguous logical ranges for HarfBuzz. */
  FriBidiFlags flags = FRIBIDI_FLAGS_DEFAULT & ~FRIBIDI_FLAG_REORDER_NSM;
  if (!fribidi_reorder_line(flags, t->types, len, ln->lo, base, t->levels, NULL,
                            t->map))
    return;
  run *cur = NULL;
  int prev = -1;
  for (int v = ln->lo; v < ln->hi; v++) {
    int k = t->map[v];
    int rtl = FRIBIDI_LEVEL_IS_RTL(t->levels[k]);
    if (cur && t->fam[k] == cur->fam && rtl == cur->rtl &&
        t->levels[k] == t->levels[prev] && k == prev + (rtl ? -1 : 1)) {
      if (rtl)
        cur->lo = k;
      else
        cur->hi = k + 1;
    } else {
      if (ln->nruns == MAX_RUNS) {
        if (!t->warned_runs++)
          PV_WARN("text: more than %d runs on a line; the rest is dropped", MAX_RUNS);
        break;
      }
      cur = &ln->runs[ln->nruns++];
      *cur = (run){.lo = k, .hi = k + 1, .fam = t->fam[k], .rtl = rtl};
    }
    prev = k;
  }
  for (int i = 0; i < ln->nruns; i++) {
    run *r = &ln->runs[i];
    r->w = shaped_width(t, L, r->lo, r->hi, r->fam, r->rtl);
    ln->w += r->w;
  }
}

/* Returns 1 when code point c is a break opportunity (a space). */
static int is_break(FriBidiChar c) {
  return c == ' ' || c == '\t' || c == '\n';
}

/* Gives each character a font family: Arabic script to Noto Sans Arabic,
 * letters and digits to Noto Sans, neutrals to their strong neighbour in
 * the same level (else Noto Sans), and anything the Arabic font lacks to
 * Noto Sans. */
static void assign_families(pv_text_ctx *t, const layout *L) {
  int n = t->n;
  for (int i = 0; i < n; i++) {
    FriBidiCharType ty = t->types[i];
    if (is_arabic(t->u[i]))
      t->fam[i] = FAM_ARABIC;
    else if (FRIBIDI_IS_LETTER(ty) || FRIBIDI_IS_NUMBER(ty))
      t->fam[i] = FAM_LATIN;
    else
      t->fam[i] = FAM_NEUTRAL;
  }
  for (int i = 1; i < n; i++) /* forward: take the previous strong family */
    if (t->fam[i] == FAM_NEUTRAL && t->fam[i - 1] != FAM_NEUTRAL &&
        t->levels[i] == t->levels[i - 1])
      t->fam[i] = t->fam[i - 1];
  for (int i = n - 2; i >= 0; i--) /* backward: leading neutrals */
    if (t->fam[i] == FAM_NEUTRAL && t->fam[i + 1] != FAM_NEUTRAL &&
        t->levels[i] == t->levels[i + 1])
      t->fam[i] = t->fam[i + 1];
  TTF_Font *ar = NULL;
  for (int i = 0; i < n; i++) {
    if (t->fam[i] == FAM_NEUTRAL) {
      t->fam[i] = FAM_LATIN;
    } else if (t->fam[i] == FAM_ARABIC && !is_arabic(t->u[i])) {
      if (!ar)
        ar = run_font(t, L, FAM_ARABIC);
      if (!ar || !TTF_GlyphIsProvided32(ar, t->u[i]))
        t->fam[i] = FAM_LATIN;
    }
  }
}

/* Returns the end of the line starting at logical `start` that fits in
 * max_w (trailing spaces trimmed); *next receives where the following line
 * starts. A first word wider than max_w is taken whole (*overflow = 1). */
static int fit_line(pv_text_ctx *t, const layout *L, int start, int max_w, int *next,
                    int *overflow) {
  int n = t->n, best = -1, best_next = n;
  for (int j = start + 1; j <= n; j++) {
    if (j < n && !is_break(t->u[j]))
      continue;
    if (j < n && is_break(t->u[j - 1]))
      continue; /* inside a run of spaces */
    int e = j;
    while (e > start && is_break(t->u[e - 1]))
      e--;
    if (max_w > 0 && range_width(t, L, start, e) > max_w) {
      if (best < 0) {
        best = e;
        best_next = j;
        *overflow = 1;
      }
      break;
    }
    best = e;
    best_next = j;
    if (max_w <= 0) {
      /* No wrapping: the whole rest is one line. */
      best = n;
      best_next = n;
      while (best > start && is_break(t->u[best - 1]))
        best--;
      break;
    }
  }
  if (best < 0)
    best = n;
  *next = best_next;
  return best;
}

/* Returns 1 when non-space text remains at or after logical index i. */
static int more_text(const pv_text_ctx *t, int i) {
  while (i < t->n && is_break(t->u[i]))
    i++;
  return i < t->n;
}

/* Adds the ellipsis run (index t->n) at the logical end of line ln: the
 * right in an LTR paragraph, the left in an RTL one. */
static void add_ellipsis(pv_text_ctx *t, const layout *L, line *ln) {
  if (ln->nruns == MAX_RUNS)
    return;
  run e = {.lo = t->n, .hi = t->n + 1, .fam = FAM_LATIN, .rtl = 0};
  e.w = shaped_width(t, L, e.lo, e.hi, e.fam, 0);
  if (L->rtl) {
    memmove(&ln->runs[1], &ln->runs[0], (size_t)ln->nruns * sizeof ln->runs[0]);
    ln->runs[0] = e;
  } else {
    ln->runs[ln->nruns] = e;
  }
  ln->nruns++;
  ln->w += e.w;
}

/* Lays out text into t->lay; returns 0, or -1 on failure (logged). */
static int do_layout(pv_text_ctx *t, const char *text, const pv_text_style *style,
                     int max_w) {
  layout *L = &t->lay;
  size_t len = strnlen(text, PV_TEXT_MAX_BYTES);
  if (len == PV_TEXT_MAX_BYTES && text[len]) {
    if (!t->warned_long++)
      PV_WARN("text: a text longer than %d bytes was cut", PV_TEXT_MAX_BYTES);
    len = PV_TEXT_MAX_BYTES - 1;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
      len--;
  }
  memset(L, 0, offsetof(layout, lines));
  L->size = style->size_px < MIN_SIZE   ? MIN_SIZE
            : style->size_px > MAX_SIZE ? MAX_SIZE
                                        : style->size_px;
  L->asize = (L->size * PV_TEXT_ARABIC_SCALE + 50) / 100;
  L->bold = style->bold ? 1 : 0;
  L->rtl = style->rtl ? 1 : 0;
  L->align = style->align;
  int max_lines = style->max_lines <= 0 ? 1 : style->max_lines;
  if (max_lines > MAX_LINES)
    max_lines = MAX_LINES;

  t->n = fribidi_charset_to_unicode(FRIBIDI_CHAR_SET_UTF8, text, (FriBidiStrIndex)len,
                                    t->u);
  int n = t->n;
  if (n <= 0)
    return 0;
  for (int i = 0; i < n; i++)
    if (t->u[i] == '\t' || t->u[i] == '\n' || t->u[i] == '\r')
      t->u[i] = ' ';
  fribidi_get_bidi_types(t->u, n, t->types);
  fribidi_get_bracket_types(t->u, n, t->types, t->brackets);
  FriBidiParType base = L->rtl ? FRIBIDI_PAR_RTL : FRIBIDI_PAR_LTR;
  if (!fribidi_get_par_embedding_levels_ex(t->types, t->brackets, n, &base,
                                           t->levels)) {
    PV_WARN("text: fribidi failed on a paragraph");
    return -1;
  }
  assign_families(t, L);

  /* Line metrics over the families present, so lines are evenly spaced.
   * Noto Sans Arabic declares about 2.1 em of line height (room for the
   * tallest mark stacks); lines use 1.15 em up and 0.5 em down instead,
   * and the texture keeps `pad` pixels above and below so rare tall
   * stacks are not cut (lines may touch, never clip). */
  int has[2] = {0, 0}, descent = 0, skip = 0;
  for (int i = 0; i < n; i++)
    has[t->fam[i]] = 1;
  for (int f = 0; f < 2; f++) {
    TTF_Font *font = has[f] ? run_font(t, L, f) : NULL;
    if (!font)
      continue;
    int asc = TTF_FontAscent(font), desc = -TTF_FontDescent(font);
    int casc = asc, cdesc = desc;
    if (f == FAM_ARABIC) {
      casc = SDL_min(asc, L->asize * ARABIC_ASCENT / 100);
      cdesc = SDL_min(desc, L->asize * ARABIC_DESCENT / 100);
    } else {
      skip = TTF_FontLineSkip(font);
    }
    L->ascent = SDL_max(L->ascent, casc);
    descent = SDL_max(descent, cdesc);
    L->pad = SDL_max(L->pad, SDL_max(asc - casc, desc - cdesc));
  }
  L->line_h = SDL_max(L->ascent + descent, skip);

  int start = 0;
  while (start < n && is_break(t->u[start]))
    start++;
  /* The ellipsis lives just past the text (index n), in Noto Sans. */
  t->u[n] = ELLIPSIS;
  t->fam[n] = FAM_LATIN;
  while (start < n && L->n < max_lines) {
    int next = n, overflow = 0, ellipsis = 0;
    int end = fit_line(t, L, start, max_w, &next, &overflow);
    if (L->n == max_lines - 1 && max_w > 0 && more_text(t, next)) {
      /* Last line and text remains: leave room for the ellipsis. */
      overflow = 0;
      end = fit_line(t, L, start, max_w - shaped_width(t, L, n, n + 1, FAM_LATIN, 0),
                     &next, &overflow);
      ellipsis = 1;
    }
    if (overflow)
      L->truncated = 1;
    line *ln = &L->lines[L->n++];
    ln->lo = start;
    ln->hi = end;
    line_runs(t, L, ln, base);
    if (ellipsis)
      add_ellipsis(t, L, ln);
    if (ln->w > L->w)
      L->w = ln->w;
    start = next;
    while (start < n && is_break(t->u[start]))
      start++;
  }
  if (start < n)
    L->truncated = 1;
  L->h = L->n * L->line_h;
  return 0;
}

/* Returns an FNV-1a hash of the cache key. */
static uint32_t key_hash(const char *text, const int *fields, int nfields) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    h = (h ^ *p) * 16777619u;
  for (int i = 0; i < nfields; i++)
    h = (h ^ (uint32_t)fields[i]) * 16777619u;
  return h;
}

/* Returns the cache entry for the key, creating it (evicting the least
 * recently used) when absent; *found tells which. NULL on out of memory. */
static entry *lookup(pv_text_ctx *t, const char *text, const pv_text_style *style,
                     int max_w, int *found) {
  int f[6] = {style->size_px,
              style->bold ? 1 : 0,
              style->rtl ? 1 : 0,
              (int)style->align,
              style->max_lines <= 0 ? 1 : style->max_lines,
              max_w <= 0 ? 0 : max_w};
  uint32_t h = key_hash(text, f, 6);
  entry *victim = NULL;
  t->tick++;
  for (int i = 0; i < PV_TEXT_MAX_ENTRIES; i++) {
    entry *e = &t->entries[i];
    if (e->text && e->hash == h && e->size == f[0] && e->bold == f[1] &&
        e->rtl == f[2] && e->align == f[3] && e->max_lines == f[4] &&
        e->max_w == f[5] && strcmp(e->text, text) == 0) {
      e->used = t->tick;
      *found = 1;
      return e;
    }
    if (!victim || !e->text || (victim->text && e->used < victim->used))
      victim = e;
  }
  *found = 0;
  char *copy = strndup(text, PV_TEXT_MAX_BYTES);
  if (!copy)
    return NULL;
  if (victim->text) {
    t->stats.evictions++;
    free(victim->text);
    if (victim->tex)
      SDL_DestroyTexture(victim->tex);
  }
  *victim = (entry){.text = copy,
                    .hash = h,
                    .size = f[0],
                    .bold = f[1],
                    .rtl = f[2],
                    .align = f[3],
                    .max_lines = f[4],
                    .max_w = f[5],
                    .used = t->tick};
  return victim;
}

/* Returns the metrics of the current layout. */
static pv_text_metrics layout_metrics(const layout *L) {
  return (pv_text_metrics){
      .w = L->w, .h = L->h, .lines = L->n, .truncated = L->truncated};
}

/* Copies coverage of src (ARGB8888) into dst at (x, y), keeping the
 * larger alpha where runs touch; colour is set to rgb. */
static void merge_alpha(SDL_Surface *dst, SDL_Surface *src, int x, int y,
                        uint32_t rgb) {
  for (int sy = 0; sy < src->h; sy++) {
    int dy = y + sy;
    if (dy < 0 || dy >= dst->h)
      continue;
    const uint32_t *sp =
        (const uint32_t *)((const uint8_t *)src->pixels + sy * src->pitch);
    uint32_t *dp = (uint32_t *)((uint8_t *)dst->pixels + dy * dst->pitch);
    for (int sx = 0; sx < src->w; sx++) {
      int dx = x + sx;
      if (dx < 0 || dx >= dst->w)
        continue;
      uint32_t a = sp[sx] >> 24, da = dp[dx] >> 24;
      if (a > da)
        dp[dx] = (a << 24) | rgb;
    }
  }
}

/* Draws the current layout into a new ARGB8888 surface, glyphs in rgb
 * (0xRRGGBB) with coverage as alpha; caller frees. NULL on failure. */
static SDL_Surface *compose(pv_text_ctx *t, uint32_t rgb) {
  const layout *L = &t->lay;
  if (L->w <= 0 || L->h <= 0)
    return NULL;
  int W = L->w > MAX_SURFACE ? MAX_SURFACE : L->w;
  int H = L->h + 2 * L->pad > MAX_SURFACE ? MAX_SURFACE : L->h + 2 * L->pad;
  SDL_Surface *out =
      SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
  if (!out) {
    PV_WARN("text: surface %dx%d: %s", W, H, SDL_GetError());
    return NULL;
  }
  SDL_FillRect(out, NULL, rgb & 0xFFFFFFu);
  SDL_Color white = {255, 255, 255, 255};
  for (int li = 0; li < L->n; li++) {
    const line *ln = &L->lines[li];
    int slack = L->w - ln->w, x;
    int start_left = !L->rtl;
    if (L->align == PV_ALIGN_CENTER)
      x = slack / 2;
    else if ((L->align == PV_ALIGN_START) == start_left)
      x = 0;
    else
      x = slack;
    for (int ri = 0; ri < ln->nruns; ri++) {
      const run *r = &ln->runs[ri];
      TTF_Font *font = run_font(t, L, r->fam);
      if (font && r->hi > r->lo) {
        set_shaping(font, r->fam, r->rtl);
        SDL_Surface *s = TTF_RenderUTF8_Blended(font, run_utf8(t, r->lo, r->hi), white);
        if (s) {
          if (s->format->format == SDL_PIXELFORMAT_ARGB8888)
            merge_alpha(out, s, x,
                        L->pad + li * L->line_h + L->ascent - TTF_FontAscent(font),
                        rgb);
          SDL_FreeSurface(s);
        }
      }
      x += r->w;
    }
  }
  return out;
}

pv_text_ctx *pv_text_open(const char *fonts_dir) {
  static const char *const files[2][2] = {
      {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"},
      {"NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"}};
  pv_text_ctx *t = NULL;
  if (TTF_Init() != 0) { /* reference counted: paired with TTF_Quit */
    PV_ERROR("text: TTF_Init: %s", TTF_GetError());
    return NULL;
  }
  t = calloc(1, sizeof *t);
  if (!t)
    goto out;
  for (int f = 0; f < 2; f++) {
    for (int b = 0; b < 2; b++) {
      char *p = t->paths[f][b];
      snprintf(p, PATH_LEN, "%s/%s", fonts_dir, files[f][b]);
      SDL_RWops *rw = SDL_RWFromFile(p, "rb");
      if (rw) {
        SDL_RWclose(rw);
        continue;
      }
      if (f == 0 && b == 0) {
        PV_ERROR("text: %s: cannot open", p);
        goto out;
      }
      PV_WARN("text: %s: cannot open; using %s", p, files[0][0]);
      snprintf(p, PATH_LEN, "%s/%s", fonts_dir, files[0][0]);
    }
  }
  if (!get_font(t, FAM_LATIN, 0, 24))
    goto out;
  return t;
out:
  free(t);
  TTF_Quit();
  return NULL;
}

void pv_text_close(pv_text_ctx *t) {
  if (!t)
    return;
  for (int i = 0; i < PV_TEXT_MAX_ENTRIES; i++) {
    free(t->entries[i].text);
    if (t->entries[i].tex)
      SDL_DestroyTexture(t->entries[i].tex);
  }
  for (int i = 0; i < PV_TEXT_MAX_FONTS; i++)
    if (t->fonts[i].font)
      TTF_CloseFont(t->fonts[i].font);
  free(t);
  TTF_Quit();
}

pv_text_metrics pv_text_measure(void *ud, const char *text, const pv_text_style *style,
                                int max_w) {
  pv_text_ctx *t = ud;
  pv_text_metrics none = {0, 0, 0, 0};
  int found = 0;
  if (!t || !text || !*text || !style)
    return none;
  entry *e = lookup(t, text, style, max_w, &found);
  if (e && e->has_metrics) {
    t->stats.measure_hits++;
    return e->m;
  }
  t->stats.measure_misses++;
  if (do_layout(t, text, style, max_w) != 0)
    return none;
  if (e) {
    e->m = layout_metrics(&t->lay);
    e->has_metrics = 1;
  }
  return layout_metrics(&t->lay);
}

SDL_Surface *pv_text_surface(pv_text_ctx *t, const char *text,
                             const pv_text_style *style, int max_w, pv_color color) {
  if (!t || !text || !*text || !style || do_layout(t, text, style, max_w) != 0)
    return NULL;
  SDL_Surface *s = compose(t, color >> 8);
  if (s) {
    SDL_SetSurfaceBlendMode(s, SDL_BLENDMODE_BLEND);
    SDL_SetSurfaceAlphaMod(s, color & 0xFF);
  }
  return s;
}

SDL_Texture *pv_text_texture(pv_text_ctx *t, SDL_Renderer *r, const char *text,
                             const pv_text_style *style, int max_w, pv_color color,
                             int *w, int *h, int *pad) {
  int found = 0;
  if (!t || !r || !text || !*text || !style)
    return NULL;
  entry *e = lookup(t, text, style, max_w, &found);
  if (!e)
    return NULL;
  if (e->tex && e->tex_r == r) {
    t->stats.texture_hits++;
  } else {
    t->stats.texture_misses++;
    if (e->tex)
      SDL_DestroyTexture(e->tex);
    e->tex = NULL;
    if (do_layout(t, text, style, max_w) != 0)
      return NULL;
    e->m = layout_metrics(&t->lay);
    e->has_metrics = 1;
    SDL_Surface *s = compose(t, 0xFFFFFFu);
    if (!s)
      return NULL;
    e->tex = SDL_CreateTextureFromSurface(r, s);
    e->tex_w = s->w;
    e->tex_pad = t->lay.pad;
    e->tex_h = SDL_max(s->h - 2 * t->lay.pad, 0);
    SDL_FreeSurface(s);
    if (!e->tex) {
      PV_WARN("text: texture: %s", SDL_GetError());
      return NULL;
    }
    e->tex_r = r;
    SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
  }
  SDL_SetTextureColorMod(e->tex, (color >> 24) & 0xFF, (color >> 16) & 0xFF,
                         (color >> 8) & 0xFF);
  SDL_SetTextureAlphaMod(e->tex, color & 0xFF);
  if (w)
    *w = e->tex_w;
  if (h)
    *h = e->tex_h;
  if (pad)
    *pad = e->tex_pad;
  return e->tex;
}

void pv_text_get_stats(const pv_text_ctx *t, pv_text_stats *out) {
  *out = t->stats;
  out->entries = 0;
  out->fonts = 0;
  for (int i = 0; i < PV_TEXT_MAX_ENTRIES; i++)
    out->entries += t->entries[i].text != NULL;
  for (int i = 0; i < PV_TEXT_MAX_FONTS; i++)
    out->fonts += t->fonts[i].font != NULL;
}
