/* png: see png.h. The encoder writes through a growable memory SDL_RWops
 * bounded by the caller's cap, so a PNG never needs a temporary file. */
#include "kiosk/png.h"

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <stdlib.h>
#include <string.h>

typedef struct membuf {
  unsigned char *b;
  size_t n, cap, limit;
  int over; /* a write would have passed limit */
} membuf;

static size_t mem_write(SDL_RWops *rw, const void *p, size_t size, size_t num) {
  membuf *m = rw->hidden.unknown.data1;
  size_t add = size * num;
  if (num && add / num != size)
    return 0;
  if (add > m->limit - m->n) {
    m->over = 1;
    return 0;
  }
  if (m->n + add > m->cap) {
    size_t cap = m->cap ? m->cap : 65536;
    while (cap < m->n + add)
      cap *= 2;
    cap = cap > m->limit ? m->limit : cap;
    unsigned char *b = realloc(m->b, cap);
    if (!b)
      return 0;
    m->b = b;
    m->cap = cap;
  }
  memcpy(m->b + m->n, p, add);
  m->n += add;
  return num;
}

static Sint64 mem_size(SDL_RWops *rw) {
  return (Sint64)((membuf *)rw->hidden.unknown.data1)->n;
}

static Sint64 mem_seek(SDL_RWops *rw, Sint64 offset, int whence) {
  membuf *m = rw->hidden.unknown.data1; /* the encoder only appends */
  if (offset == 0 && (whence == RW_SEEK_CUR || whence == RW_SEEK_END))
    return (Sint64)m->n;
  return SDL_SetError("png: seek on an append-only buffer");
}

static int mem_close(SDL_RWops *rw) {
  SDL_FreeRW(rw);
  return 0;
}

pv_err pv_png_encode(void *ud, const uint32_t *px, int w, int h, size_t cap,
                     unsigned char **out, size_t *len) {
  (void)ud;
  pv_err err = PV_OK;
  SDL_Surface *s = NULL;
  SDL_RWops *rw = NULL;
  membuf m = {.limit = cap};
  *out = NULL;
  *len = 0;
  if (w <= 0 || h <= 0 || w > PV_PNG_MAX_SIDE || h > PV_PNG_MAX_SIDE)
    return pv_fail(PV_ERR_TOOBIG, "png: %dx%d raster", w, h);
  s = SDL_CreateRGBSurfaceWithFormatFrom((void *)px, w, h, 32, w * 4,
                                         SDL_PIXELFORMAT_RGBA8888);
  rw = SDL_AllocRW();
  if (!s || !rw) {
    err = pv_fail(PV_ERR_NOMEM, "png: %s", SDL_GetError());
    goto out;
  }
  rw->type = SDL_RWOPS_UNKNOWN;
  rw->hidden.unknown.data1 = &m;
  rw->write = mem_write;
  rw->size = mem_size;
  rw->seek = mem_seek;
  rw->close = mem_close;
  int rc = IMG_SavePNG_RW(s, rw, 0);
  if (m.over) {
    err = pv_fail(PV_ERR_TOOBIG, "png: %dx%d drawing past %zu bytes", w, h, cap);
    goto out;
  }
  if (rc != 0 || m.n == 0) {
    err = pv_fail(PV_ERR_IO, "png: %s", IMG_GetError());
    goto out;
  }
  *out = m.b;
  *len = m.n;
  m.b = NULL;
out:
  if (rw)
    SDL_FreeRW(rw);
  SDL_FreeSurface(s);
  free(m.b);
  return err;
}

pv_err pv_png_decode(const void *bytes, size_t len, int w, int h, uint32_t *px) {
  pv_err err = PV_OK;
  SDL_Surface *s = NULL, *c = NULL;
  SDL_RWops *rw = len <= INT32_MAX ? SDL_RWFromConstMem(bytes, (int)len) : NULL;
  if (!rw)
    return pv_fail(PV_ERR_INVALID, "png: %zu bytes", len);
  s = IMG_LoadTyped_RW(rw, 1, "PNG");
  if (!s) {
    err = pv_fail(PV_ERR_INVALID, "png: %s", IMG_GetError());
    goto out;
  }
  if (s->w != w || s->h != h) {
    err = pv_fail(PV_ERR_INVALID, "png: %dx%d, expected %dx%d", s->w, s->h, w, h);
    goto out;
  }
  c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA8888, 0);
  if (!c) {
    err = pv_fail(PV_ERR_NOMEM, "png: %s", SDL_GetError());
    goto out;
  }
  for (int y = 0; y < h; y++)
    memcpy(px + (size_t)y * w, (const unsigned char *)c->pixels + (size_t)y * c->pitch,
           (size_t)w * 4);
out:
  SDL_FreeSurface(c);
  SDL_FreeSurface(s);
  return err;
}
