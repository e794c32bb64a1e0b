/* png: a drawing's raster to and from PNG, through SDL2_image
 * (IMG_SavePNG_RW, lossless; IMG_Load_RW). The app reaches the encoder
 * through the callback pv_app_set_png() installs, so pv_kiosk_ui stays
 * free of SDL. Pixels are 0xRRGGBBAA, rows from the top, no padding. */
#ifndef PV_KIOSK_PNG_H
#define PV_KIOSK_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PV_PNG_MAX_SIDE 4096 /* rasters larger than this are refused */

/* Encodes w x h pixels as PNG into *out (caller frees with free()), its
 * length in *len. PV_ERR_TOOBIG when the PNG would pass cap bytes or a
 * side passes PV_PNG_MAX_SIDE; PV_ERR_NOMEM, PV_ERR_IO with SDL's message.
 * Matches pv_png_fn (kiosk/app.h) with ud unused. */
pv_err pv_png_encode(void *ud, const uint32_t *px, int w, int h, size_t cap,
                     unsigned char **out, size_t *len);

/* Decodes a PNG of exactly w x h pixels into px (w * h entries, caller's).
 * PV_ERR_INVALID when it is not a PNG of that size. */
pv_err pv_png_decode(const void *bytes, size_t len, int w, int h, uint32_t *px);

#endif
