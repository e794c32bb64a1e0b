/* text: the kiosk's text engine. Lays out a UTF-8 paragraph with FriBidi
 * (visual order of mixed Arabic/Latin/digit runs), shapes each run with
 * HarfBuzz through SDL2_ttf (direction and script set per run), picks Noto
 * Sans Arabic for Arabic script and Noto Sans for the rest, wraps at spaces
 * up to style->max_lines, aligns lines relative to the paragraph direction,
 * and caches fonts, measurements and textures in bounded LRU tables so a
 * static frame costs no shaping at all. Arabic is drawn 12% larger than
 * size_px (UI.md rule 8). */
#ifndef PV_KIOSK_TEXT_H
#define PV_KIOSK_TEXT_H

#include <SDL2/SDL.h>

#include "kiosk/draw.h"

#define PV_TEXT_MAX_BYTES 4096   /* longer texts are cut (logged once) */
#define PV_TEXT_MAX_FONTS 24     /* open TTF_Font (family, bold, size) */
#define PV_TEXT_MAX_ENTRIES 256  /* cached layouts (metrics + texture) */
#define PV_TEXT_ARABIC_SCALE 112 /* percent of size_px for Arabic runs */

typedef struct pv_text_ctx pv_text_ctx;

typedef struct pv_text_stats {
  unsigned long measure_hits, measure_misses;
  unsigned long texture_hits, texture_misses;
  unsigned long evictions;
  int entries, fonts;
} pv_text_stats;

/* Opens the engine on a folder holding NotoSans-{Regular,Bold}.ttf and
 * NotoSansArabic-{Regular,Bold}.ttf; missing Bold or Arabic files fall back
 * to NotoSans-Regular with a warning. Returns NULL (logged) when
 * NotoSans-Regular.ttf cannot be opened. Caller frees with pv_text_close. */
pv_text_ctx *pv_text_open(const char *fonts_dir);

/* Frees fonts, cached textures and the context; NULL is fine. Call it
 * before destroying the renderer the textures were made with. */
void pv_text_close(pv_text_ctx *t);

/* Matches pv_measure_fn (ud is the pv_text_ctx): size of text laid out
 * with style in at most max_w pixels (max_w <= 0: no wrapping). */
pv_text_metrics pv_text_measure(void *ud, const char *text, const pv_text_style *style,
                                int max_w);

/* Returns a texture of text laid out as pv_text_measure describes, lines
 * aligned inside it per style->align, colour applied by colour modulation.
 * *w and *h receive the layout box (the measured size); the texture is
 * w x (h + 2 * *pad): draw it with its top *pad pixels above the box, the
 * padding holds Arabic marks that rise or fall past the compact lines.
 * Borrowed from the cache: valid until the next pv_text_* call. Use one
 * renderer per context (a cached texture made with another renderer is
 * destroyed and remade). NULL for empty text or on error (logged). */
SDL_Texture *pv_text_texture(pv_text_ctx *t, SDL_Renderer *r, const char *text,
                             const pv_text_style *style, int max_w, pv_color color,
                             int *w, int *h, int *pad);

/* Renders the same layout into a new ARGB8888 surface in colour, padded
 * above and below like the texture (no cache); caller frees with SDL_FreeSurface. NULL
 * for empty text or on error. */
SDL_Surface *pv_text_surface(pv_text_ctx *t, const char *text,
                             const pv_text_style *style, int max_w, pv_color color);

/* Copies the cache counters into *out. */
void pv_text_get_stats(const pv_text_ctx *t, pv_text_stats *out);

#endif
