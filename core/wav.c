/* wav: see wav.h. The header is written field by field in little-endian,
 * so the file is the same on any host. */
#include "core/wav.h"

#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v & 0xFF);
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

size_t pv_wav_size(size_t n) {
  return PV_WAV_HEADER + 2 * n;
}

pv_err pv_wav_encode(const int16_t *s, size_t n, int rate, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (rate < 8000 || rate > 48000)
    return pv_fail(PV_ERR_INVALID, "wav: rate %d Hz out of 8000..48000", rate);
  if (n > (PV_WAV_MAX_BYTES - PV_WAV_HEADER) / 2)
    return pv_fail(PV_ERR_TOOBIG, "wav: %zu samples, at most %d bytes", n,
                   PV_WAV_MAX_BYTES);
  size_t size = pv_wav_size(n);
  uint8_t *b = malloc(size);
  if (!b)
    return pv_fail(PV_ERR_NOMEM, "wav: %zu bytes", size);
  memcpy(b, "RIFF", 4);
  put32(b + 4, (uint32_t)(size - 8));
  memcpy(b + 8, "WAVEfmt ", 8);
  put32(b + 16, 16);                 /* fmt chunk size */
  put16(b + 20, 1);                  /* PCM */
  put16(b + 22, 1);                  /* mono */
  put32(b + 24, (uint32_t)rate);     /* sample rate */
  put32(b + 28, (uint32_t)rate * 2); /* byte rate */
  put16(b + 32, 2);                  /* block align */
  put16(b + 34, 16);                 /* bits per sample */
  memcpy(b + 36, "data", 4);
  put32(b + 40, (uint32_t)(2 * n));
  for (size_t i = 0; i < n; i++)
    put16(b + PV_WAV_HEADER + 2 * i, (uint16_t)s[i]);
  *out = b;
  *len = size;
  return PV_OK;
}

pv_err pv_wav_parse(const uint8_t *bytes, size_t len, int *rate,
                    const uint8_t **samples, size_t *n) {
  if (len < PV_WAV_HEADER || memcmp(bytes, "RIFF", 4) != 0 ||
      memcmp(bytes + 8, "WAVEfmt ", 8) != 0 || memcmp(bytes + 36, "data", 4) != 0)
    return pv_fail(PV_ERR_INVALID, "wav: not a canonical RIFF/WAVE header");
  if (get32(bytes + 16) != 16 || get16(bytes + 20) != 1 || get16(bytes + 22) != 1 ||
      get16(bytes + 34) != 16)
    return pv_fail(PV_ERR_INVALID, "wav: not PCM mono 16-bit");
  uint32_t data = get32(bytes + 40);
  if (get32(bytes + 4) != len - 8 || data != len - PV_WAV_HEADER || data % 2)
    return pv_fail(PV_ERR_INVALID, "wav: sizes disagree with the file's %zu bytes",
                   len);
  *rate = (int)get32(bytes + 24);
  *samples = bytes + PV_WAV_HEADER;
  *n = data / 2;
  return PV_OK;
}

int16_t pv_wav_sample(const uint8_t *samples, size_t i) {
  return (int16_t)get16(samples + 2 * i);
}
