/* recorder: see recorder.h. The ring buffer is the only state shared with
 * SDL's audio thread; the mutex guards it. When it is full the oldest
 * samples are kept and the newest dropped (counted), so what was said
 * first survives a stalled UI. */
#include "kiosk/recorder.h"

#include <SDL.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct pv_recorder {
  SDL_AudioDeviceID dev; /* open while recording, else 0 */
  int have_device;       /* a capture device exists (or synth) */
  int we_init;           /* we started SDL's audio subsystem */
  SDL_mutex *lock;
  int16_t ring[PV_RECORDER_BUFFER];
  size_t head, count, dropped; /* under lock */
  /* Synthetic source (headless): time-paced tone. */
  const int64_t *clock_ms;
  int synth_on;
  int64_t synth_start_ms;
  uint64_t synth_made; /* samples produced since start */
};

/* Appends n samples to the ring; the caller holds the lock. */
static void push(pv_recorder *r, const int16_t *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (r->count == PV_RECORDER_BUFFER) {
      r->dropped += n - i;
      return;
    }
    r->ring[(r->head + r->count) % PV_RECORDER_BUFFER] = s[i];
    r->count++;
  }
}

/* SDL's capture callback: runs on SDL's audio thread. */
static void captured(void *ud, Uint8 *stream, int len) {
  pv_recorder *r = ud;
  SDL_LockMutex(r->lock);
  push(r, (const int16_t *)(const void *)stream, (size_t)len / sizeof(int16_t));
  SDL_UnlockMutex(r->lock);
}

static pv_recorder *alloc(void) {
  pv_recorder *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->lock = SDL_CreateMutex();
  if (!r->lock) {
    free(r);
    return NULL;
  }
  return r;
}

pv_recorder *pv_recorder_open(void) {
  pv_recorder *r = alloc();
  if (!r)
    return NULL;
  if (!SDL_WasInit(SDL_INIT_AUDIO)) {
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
      PV_WARN("recorder: no audio (%s); voice questions will be skipped",
              SDL_GetError());
      return r;
    }
    r->we_init = 1;
  }
  int n = SDL_GetNumAudioDevices(1);
  /* -1: the driver cannot list devices but may still open the default. */
  r->have_device = n != 0;
  if (!r->have_device)
    PV_WARN("recorder: no capture device (driver %s); voice questions will be skipped",
            SDL_GetCurrentAudioDriver() ? SDL_GetCurrentAudioDriver() : "none");
  return r;
}

pv_recorder *pv_recorder_open_synth(const int64_t *clock_ms) {
  pv_recorder *r = alloc();
  if (!r)
    return NULL;
  r->clock_ms = clock_ms;
  r->have_device = 1;
  return r;
}

int pv_recorder_available(const pv_recorder *r) {
  return r && r->have_device;
}

pv_err pv_recorder_start(pv_recorder *r) {
  pv_recorder_stop(r);
  SDL_LockMutex(r->lock);
  r->head = r->count = r->dropped = 0;
  SDL_UnlockMutex(r->lock);
  if (!r->have_device)
    return pv_fail(PV_ERR_NOTFOUND, "recorder: no capture device");
  if (r->clock_ms) {
    r->synth_on = 1;
    r->synth_start_ms = *r->clock_ms;
    r->synth_made = 0;
    return PV_OK;
  }
  SDL_AudioSpec want, have;
  SDL_zero(want);
  want.freq = PV_RECORDER_RATE;
  want.format = AUDIO_S16SYS;
  want.channels = 1;
  want.samples = 512; /* 32 ms: the level meter stays live */
  want.callback = captured;
  want.userdata = r;
  /* No allowed changes: SDL converts the hardware's format to ours. */
  r->dev = SDL_OpenAudioDevice(NULL, 1, &want, &have, 0);
  if (r->dev == 0)
    return pv_fail(PV_ERR_NOTFOUND, "recorder: capture device will not open: %s",
                   SDL_GetError());
  SDL_PauseAudioDevice(r->dev, 0);
  return PV_OK;
}

/* Produces the synthetic samples due by now: a 440 Hz tone whose loudness
 * swells and fades like speech (period 1.3 s), so the meter moves. */
static void synth_fill(pv_recorder *r) {
  if (!r->synth_on)
    return;
  int64_t ms = *r->clock_ms - r->synth_start_ms;
  uint64_t due = ms > 0 ? (uint64_t)ms * PV_RECORDER_RATE / 1000 : 0;
  int16_t chunk[256];
  while (r->synth_made < due) {
    size_t k = 0;
    for (; k < sizeof chunk / sizeof *chunk && r->synth_made < due; k++) {
      double t = (double)r->synth_made++ / PV_RECORDER_RATE;
      double env = 0.15 + 0.45 * (0.5 - 0.5 * cos(2 * M_PI * t / 1.3));
      chunk[k] = (int16_t)(env * 32767 * sin(2 * M_PI * 440 * t));
    }
    push(r, chunk, k);
  }
}

void pv_recorder_stop(pv_recorder *r) {
  if (!r)
    return;
  if (r->synth_on) {
    SDL_LockMutex(r->lock);
    synth_fill(r);
    SDL_UnlockMutex(r->lock);
    r->synth_on = 0;
  }
  if (r->dev) {
    SDL_CloseAudioDevice(r->dev); /* waits for the callback to finish */
    r->dev = 0;
  }
}

size_t pv_recorder_take(pv_recorder *r, int16_t *out, size_t max) {
  SDL_LockMutex(r->lock);
  synth_fill(r);
  size_t n = r->count < max ? r->count : max;
  for (size_t i = 0; i < n; i++)
    out[i] = r->ring[(r->head + i) % PV_RECORDER_BUFFER];
  r->head = (r->head + n) % PV_RECORDER_BUFFER;
  r->count -= n;
  SDL_UnlockMutex(r->lock);
  return n;
}

size_t pv_recorder_dropped(const pv_recorder *r) {
  SDL_LockMutex(r->lock);
  size_t d = r->dropped;
  SDL_UnlockMutex(r->lock);
  return d;
}

void pv_recorder_close(pv_recorder *r) {
  if (!r)
    return;
  pv_recorder_stop(r);
  SDL_DestroyMutex(r->lock);
  if (r->we_init)
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
  free(r);
}
