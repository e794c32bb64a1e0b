/* render: replays a pv_draw_list (kiosk/draw.h) on an SDL_Renderer. Shapes
 * (rounded rects, frames, discs, rings, thick arcs) are triangle meshes
 * drawn with SDL_RenderGeometry; text goes through kiosk/text; SVG and PNG
 * images are loaded with SDL2_image at the size they are drawn and cached
 * as textures in a bounded LRU table. A missing or broken image draws a
 * neutral placeholder and is logged once. Nothing here decides layout. */
#ifndef PV_KIOSK_RENDER_H
#define PV_KIOSK_RENDER_H

#include <SDL2/SDL.h>

#include "core/err.h"
#include "kiosk/draw.h"
#include "kiosk/text.h"

#define PV_RENDER_MAX_IMAGES 128      /* cached (path, w, h) textures */
#define PV_RENDER_MAX_IMAGE_SIDE 2048 /* images drawn larger are capped */

typedef struct pv_render_ctx pv_render_ctx;

typedef struct pv_render_stats {
  unsigned long image_hits, image_misses, image_failures;
} pv_render_stats;

/* Opens a renderer context on r using text engine t (both borrowed: they
 * must outlive the context). Returns NULL on out of memory. Caller frees
 * with pv_render_close. */
pv_render_ctx *pv_render_open(SDL_Renderer *r, pv_text_ctx *t);

/* Frees cached image textures and the context; NULL is fine. */
void pv_render_close(pv_render_ctx *rc);

/* Draws every command of dl in order (blending on, clip reset at the end).
 * Text is placed in its rect by style->align relative to the paragraph
 * direction and centred vertically (top-aligned if taller than the rect).
 * Does not clear or present. */
void pv_render_list(pv_render_ctx *rc, const pv_draw_list *dl);

/* Copies the image cache counters into *out. */
void pv_render_get_stats(const pv_render_ctx *rc, pv_render_stats *out);

/* Writes the renderer's current frame to png_path. Returns PV_OK, or
 * PV_ERR_NOMEM / PV_ERR_IO with the SDL message in pv_err_detail(). */
pv_err pv_render_shot(SDL_Renderer *r, const char *png_path);

#endif
