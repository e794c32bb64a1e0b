/* audio: see audio.h. The device is opened once, in the one format the
 * cache holds (16-bit mono at PV_AUDIO_RATE; SDL converts to whatever the
 * hardware wants), so the mixer callback only copies samples and scales
 * them by the volume. The device is paused when nothing plays, so an idle
 * kiosk spends nothing on audio. */
#include "kiosk/audio.h"

#include <SDL.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"

/* A decoded clip, keyed by its path and the file's size and mtime (a file
 * rewritten under the same name is decoded again). */
typedef struct clip {
  char *path;
  off_t size;
  struct timespec mtime;
  int16_t *s;
  size_t n;      /* samples */
  uint64_t used; /* last use, for least-recently-used eviction */
} clip;

struct pv_audio_ctx {
  SDL_AudioDeviceID dev; /* 0: silent */
  int we_init;           /* we started SDL's audio subsystem */
  int volume;            /* 0..100; read by the mixer under the device lock */
  /* What the mixer plays: borrowed from a cache entry; NULL when idle. */
  const int16_t *cur;
  size_t cur_n, pos;
  clip cache[PV_AUDIO_CACHE_CLIPS];
  size_t cache_bytes;
  uint64_t clock; /* use counter */
};

/* SDL's mixer callback: copies the current clip scaled by the volume,
 * then silence. Runs on SDL's audio thread with the device locked. */
static void mix(void *ud, Uint8 *stream, int len) {
  pv_audio_ctx *a = ud;
  int16_t *out = (int16_t *)(void *)stream;
  size_t n = (size_t)len / sizeof *out, i = 0;
  if (a->cur) {
    size_t k = a->cur_n - a->pos < n ? a->cur_n - a->pos : n;
    int32_t vol = a->volume;
    for (; i < k; i++)
      out[i] = (int16_t)((int32_t)a->cur[a->pos + i] * vol / 100);
    a->pos += k;
    if (a->pos >= a->cur_n)
      a->cur = NULL;
  }
  for (; i < n; i++)
    out[i] = 0;
}

pv_audio_ctx *pv_audio_open(void) {
  pv_audio_ctx *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->volume = PV_AUDIO_DEFAULT_VOLUME;
  if (!SDL_WasInit(SDL_INIT_AUDIO)) {
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
      PV_WARN("audio: no sound (%s); the kiosk carries on silently", SDL_GetError());
      return a;
    }
    a->we_init = 1;
  }
  SDL_AudioSpec want, have;
  SDL_zero(want);
  want.freq = PV_AUDIO_RATE;
  want.format = AUDIO_S16SYS;
  want.channels = 1;
  want.samples = 1024; /* about 46 ms: a tap's feedback stays prompt */
  want.callback = mix;
  want.userdata = a;
  /* No allowed changes: SDL converts our format to the hardware's. */
  a->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
  if (a->dev == 0) {
    PV_WARN("audio: no output device (%s); the kiosk carries on silently",
            SDL_GetError());
    if (a->we_init)
      SDL_QuitSubSystem(SDL_INIT_AUDIO);
    a->we_init = 0;
    return a;
  }
  PV_INFO("audio: playing through %s", SDL_GetCurrentAudioDriver());
  return a;
}

int pv_audio_available(const pv_audio_ctx *a) {
  return a && a->dev != 0;
}

/* Frees one cache entry. */
static void clip_drop(pv_audio_ctx *a, clip *c) {
  if (!c->path)
    return;
  a->cache_bytes -= c->n * sizeof *c->s;
  free(c->path);
  free(c->s);
  memset(c, 0, sizeof *c);
}

/* Returns the cached clip for path as it is on disk now, or NULL. */
static clip *cache_find(pv_audio_ctx *a, const char *path, const struct stat *st) {
  for (size_t i = 0; i < PV_AUDIO_CACHE_CLIPS; i++) {
    clip *c = &a->cache[i];
    if (!c->path || strcmp(c->path, path) != 0)
      continue;
    if (c->size == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
        c->mtime.tv_nsec == st->st_mtim.tv_nsec)
      return c;
    clip_drop(a, c); /* the file changed */
  }
  return NULL;
}

/* Makes room for bytes more (never evicts a clip playing: callers stop
 * first) and returns a free slot. */
static clip *cache_slot(pv_audio_ctx *a, size_t bytes) {
  for (;;) {
    clip *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < PV_AUDIO_CACHE_CLIPS; i++) {
      clip *c = &a->cache[i];
      if (!c->path)
        free_slot = free_slot ? free_slot : c;
      else if (!oldest || c->used < oldest->used)
        oldest = c;
    }
    if (free_slot && a->cache_bytes + bytes <= PV_AUDIO_CACHE_BYTES)
      return free_slot;
    if (!oldest) /* empty cache: one clip may take the whole budget */
      return free_slot;
    clip_drop(a, oldest);
  }
}

/* Decodes the WAV at path into 16-bit mono at PV_AUDIO_RATE: *s (caller
 * frees with free) and *n samples. */
static pv_err decode(const char *path, int16_t **s, size_t *n) {
  SDL_AudioSpec spec;
  Uint8 *wav = NULL;
  Uint32 len = 0;
  SDL_AudioStream *stream = NULL;
  pv_err err = PV_OK;
  *s = NULL;
  *n = 0;
  SDL_RWops *rw = SDL_RWFromFile(path, "rb");
  if (!rw)
    return pv_fail(PV_ERR_IO, "audio: %s: %s", path, SDL_GetError());
  if (!SDL_LoadWAV_RW(rw, 1, &spec, &wav, &len))
    return pv_fail(PV_ERR_INVALID, "audio: %s: not a WAV file we can play (%s)", path,
                   SDL_GetError());
  size_t frame = (size_t)SDL_AUDIO_BITSIZE(spec.format) / 8 * spec.channels;
  if (frame == 0 || spec.freq <= 0) {
    err = pv_fail(PV_ERR_INVALID, "audio: %s: WAV without samples", path);
    goto out;
  }
  double seconds = (double)len / (double)frame / spec.freq;
  if (seconds > PV_AUDIO_MAX_SECONDS) {
    err = pv_fail(PV_ERR_TOOBIG, "audio: %s: %.0f s of sound; the limit is %d s", path,
                  seconds, PV_AUDIO_MAX_SECONDS);
    goto out;
  }
  stream = SDL_NewAudioStream(spec.format, spec.channels, spec.freq, AUDIO_S16SYS, 1,
                              PV_AUDIO_RATE);
  if (!stream || SDL_AudioStreamPut(stream, wav, (int)len) != 0 ||
      SDL_AudioStreamFlush(stream) != 0) {
    err =
        pv_fail(PV_ERR_INVALID, "audio: %s: cannot convert (%s)", path, SDL_GetError());
    goto out;
  }
  int avail = SDL_AudioStreamAvailable(stream);
  if (avail <= 0) {
    err = pv_fail(PV_ERR_INVALID, "audio: %s: WAV without samples", path);
    goto out;
  }
  if (!(*s = malloc((size_t)avail))) {
    err = pv_fail(PV_ERR_NOMEM, "audio: %s: cannot allocate %d bytes", path, avail);
    goto out;
  }
  int got = SDL_AudioStreamGet(stream, *s, avail);
  if (got < 0) {
    err =
        pv_fail(PV_ERR_INVALID, "audio: %s: cannot convert (%s)", path, SDL_GetError());
    goto out;
  }
  *n = (size_t)got / sizeof **s;
out:
  if (err) {
    free(*s);
    *s = NULL;
  }
  SDL_FreeAudioStream(stream);
  SDL_FreeWAV(wav);
  return err;
}

/* Returns the clip for path, from the cache or decoded into it. */
static pv_err load(pv_audio_ctx *a, const char *path, clip **out) {
  struct stat st;
  *out = NULL;
  if (stat(path, &st) != 0)
    return pv_fail(errno == ENOENT ? PV_ERR_NOTFOUND : PV_ERR_IO, "audio: %s: %s", path,
                   strerror(errno));
  if (!S_ISREG(st.st_mode))
    return pv_fail(PV_ERR_INVALID, "audio: %s: not a regular file", path);
  if (st.st_size > PV_AUDIO_MAX_FILE)
    return pv_fail(PV_ERR_TOOBIG, "audio: %s: %lld bytes; the limit is %d", path,
                   (long long)st.st_size, PV_AUDIO_MAX_FILE);
  clip *c = cache_find(a, path, &st);
  if (!c) {
    int16_t *s;
    size_t n;
    pv_err err = decode(path, &s, &n);
    if (err)
      return err;
    char *key = malloc(strlen(path) + 1);
    if (!key) {
      free(s);
      return pv_fail(PV_ERR_NOMEM, "audio: out of memory");
    }
    memcpy(key, path, strlen(path) + 1);
    c = cache_slot(a, n * sizeof *s);
    c->path = key;
    c->size = st.st_size;
    c->mtime = st.st_mtim;
    c->s = s;
    c->n = n;
    a->cache_bytes += n * sizeof *s;
  }
  c->used = ++a->clock;
  *out = c;
  return PV_OK;
}

pv_err pv_audio_play_file(pv_audio_ctx *a, const char *wav_path) {
  PV_ASSERT(a && wav_path);
  pv_audio_stop(a); /* also keeps the eviction below off the playing clip */
  clip *c;
  pv_err err = load(a, wav_path, &c);
  if (err || !a->dev)
    return err;
  SDL_LockAudioDevice(a->dev);
  a->cur = c->s;
  a->cur_n = c->n;
  a->pos = 0;
  SDL_UnlockAudioDevice(a->dev);
  SDL_PauseAudioDevice(a->dev, 0);
  return PV_OK;
}

void pv_audio_stop(pv_audio_ctx *a) {
  if (!a || !a->dev)
    return;
  SDL_LockAudioDevice(a->dev);
  a->cur = NULL;
  a->pos = a->cur_n = 0;
  SDL_UnlockAudioDevice(a->dev);
  SDL_PauseAudioDevice(a->dev, 1);
}

int pv_audio_playing(pv_audio_ctx *a) {
  if (!a || !a->dev)
    return 0;
  SDL_LockAudioDevice(a->dev);
  int playing = a->cur != NULL;
  SDL_UnlockAudioDevice(a->dev);
  if (!playing && SDL_GetAudioDeviceStatus(a->dev) == SDL_AUDIO_PLAYING)
    SDL_PauseAudioDevice(a->dev, 1); /* done: idle costs nothing */
  return playing;
}

void pv_audio_set_volume(pv_audio_ctx *a, int volume) {
  PV_ASSERT(a);
  volume = volume < 0 ? 0 : volume > 100 ? 100 : volume;
  if (a->dev)
    SDL_LockAudioDevice(a->dev);
  a->volume = volume;
  if (a->dev)
    SDL_UnlockAudioDevice(a->dev);
}

int pv_audio_volume(const pv_audio_ctx *a) {
  PV_ASSERT(a);
  return a->volume;
}

size_t pv_audio_cached(const pv_audio_ctx *a) {
  size_t n = 0;
  for (size_t i = 0; a && i < PV_AUDIO_CACHE_CLIPS; i++)
    n += a->cache[i].path != NULL;
  return n;
}

void pv_audio_close(pv_audio_ctx *a) {
  if (!a)
    return;
  if (a->dev)
    SDL_CloseAudioDevice(a->dev); /* the mixer has stopped after this */
  if (a->we_init)
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
  for (size_t i = 0; i < PV_AUDIO_CACHE_CLIPS; i++)
    clip_drop(a, &a->cache[i]);
  free(a);
}
