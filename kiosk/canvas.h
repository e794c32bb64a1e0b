/* canvas: the `drawing` question's model, without SDL.
 *
 * An RGBA raster at a fixed logical size (PV_CANVAS_W x PV_CANVAS_H, the
 * same on a 7" tablet and a 15" kiosk: the widget scales it to fit).
 * Strokes are round-brush capsules between successive samples, so fast
 * moves stay joined; no anti-aliasing, so replay is exact and the PNG of
 * flat colours stays small. Each finger id draws its own stroke, so
 * several fingers at once are safe. The eraser is a stroke in the
 * background colour; clear is an operation on the undo stack like a
 * stroke (undo brings the drawing back).
 *
 * Undo: the finished strokes (points, colour, radius) stay on a stack of
 * at most PV_CANVAS_MAX_STROKES, replayed over the nearest snapshot
 * (one every PV_CANVAS_SNAPSHOT_EVERY strokes, so a replay draws at most
 * that many). When the stack is full, its oldest snapshot's worth of
 * strokes is baked into the base raster: memory is bounded whatever the
 * drawing's length (about 5 rasters plus the stack's points).
 *
 * Strokes drawn at once by several fingers are pushed in the order they
 * end; where two such strokes of different colours cross, an undo that
 * replays them may order the crossing differently than it was drawn. */
#ifndef PV_KIOSK_CANVAS_H
#define PV_KIOSK_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PV_CANVAS_W 1024
#define PV_CANVAS_H 768
#define PV_CANVAS_MAX_STROKES 64    /* undo depth, at most */
#define PV_CANVAS_MAX_POINTS 4096   /* a longer stroke continues as a new one */
#define PV_CANVAS_SNAPSHOT_EVERY 16 /* strokes between snapshots */
#define PV_CANVAS_MAX_FINGERS 10    /* strokes in progress at once */
#define PV_CANVAS_MAX_RADIUS 128    /* brush radius, canvas pixels */
#define PV_CANVAS_BG 0xFFFFFFFFu    /* background (and eraser), 0xRRGGBBAA */

typedef struct pv_canvas pv_canvas;

/* Returns a new blank canvas (caller frees with pv_canvas_free), or NULL
 * when out of memory. */
pv_canvas *pv_canvas_new(void);
void pv_canvas_free(pv_canvas *c);

/* Makes c blank with no history and no stroke in progress. */
void pv_canvas_reset(pv_canvas *c);

/* Returns the raster, PV_CANVAS_W x PV_CANVAS_H pixels 0xRRGGBBAA in
 * rows from the top (borrowed, valid until the next call on c). */
const uint32_t *pv_canvas_pixels(const pv_canvas *c);

/* Replaces the drawing with px (same layout as pv_canvas_pixels; copied)
 * and forgets the history: a restored drawing is the new base. */
void pv_canvas_load(pv_canvas *c, const uint32_t *px);

/* Starts finger's stroke at (x, y), canvas pixels (clamped), in colour
 * with radius (1..PV_CANVAS_MAX_RADIUS). A finger already drawing ends
 * its stroke first. PV_ERR_TOOBIG when PV_CANVAS_MAX_FINGERS strokes are
 * in progress (the finger is ignored). */
pv_err pv_canvas_begin(pv_canvas *c, int64_t finger, int x, int y, uint32_t colour,
                       int radius);

/* Extends finger's stroke to (x, y); ignored when the finger is not
 * drawing. */
void pv_canvas_move(pv_canvas *c, int64_t finger, int x, int y);

/* Ends finger's stroke and pushes it on the undo stack. */
void pv_canvas_end(pv_canvas *c, int64_t finger);

/* Ends every stroke in progress (the resident left the screen). */
void pv_canvas_end_all(pv_canvas *c);

/* Clears to the background, as an undoable operation. */
void pv_canvas_clear(pv_canvas *c);

/* Takes back the last finished stroke or clear; returns 0 when there is
 * nothing to undo. Strokes in progress are kept on top. */
int pv_canvas_undo(pv_canvas *c);

/* Returns how many operations undo can take back. */
int pv_canvas_undo_depth(const pv_canvas *c);

/* Returns 1 when every pixel is the background. */
int pv_canvas_blank(const pv_canvas *c);

/* Returns the bytes c holds now (rasters, snapshots, points). */
size_t pv_canvas_memory(const pv_canvas *c);

#endif
