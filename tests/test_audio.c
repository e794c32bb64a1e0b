/* test_audio: the kiosk's clip player (kiosk/audio.h), for real through
 * SDL's dummy driver (plays in real time into nothing), its disk driver
 * (writes what is mixed to a file, so the volume can be measured), and a
 * driver that does not exist (the silent context). WAVs are synthesised
 * here: sines in several formats, one too long, plus files that are not
 * WAVs, too big, missing or folders. */
#include <SDL.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "kiosk/audio.h"
#include "tests/check.h"

static void put_le(unsigned char *b, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++)
    b[i] = (unsigned char)(v >> (8 * i));
}

/* Writes a PCM WAV of a 440 Hz sine at amplitude amp (of full scale,
 * 0..1): rate Hz, channels, 8 or 16 bits, seconds long. */
static void write_sine(const char *path, int rate, int channels, int bits,
                       double seconds, double amp) {
  size_t frames = (size_t)(rate * seconds), bps = (size_t)bits / 8;
  size_t data = frames * (size_t)channels * bps;
  unsigned char *w = calloc(1, 44 + data);
  PV_ASSERT(w);
  memcpy(w, "RIFF", 4);
  put_le(w + 4, (uint32_t)(36 + data), 4);
  memcpy(w + 8, "WAVEfmt ", 8);
  put_le(w + 16, 16, 4);
  put_le(w + 20, 1, 2);
  put_le(w + 22, (uint32_t)channels, 2);
  put_le(w + 24, (uint32_t)rate, 4);
  put_le(w + 28, (uint32_t)(rate * channels * (int)bps), 4);
  put_le(w + 32, (uint32_t)(channels * (int)bps), 2);
  put_le(w + 34, (uint32_t)bits, 2);
  memcpy(w + 36, "data", 4);
  put_le(w + 40, (uint32_t)data, 4);
  unsigned char *p = w + 44;
  for (size_t f = 0; f < frames; f++) {
    double v = amp * sin(2 * M_PI * 440.0 * (double)f / rate);
    for (int c = 0; c < channels; c++) {
      if (bits == 8)
        *p++ = (unsigned char)(128 + (int)lround(v * 127));
      else {
        put_le(p, (uint16_t)(int16_t)lround(v * 32767), 2);
        p += 2;
      }
    }
  }
  pv_test_write(path, w, 44 + data);
  free(w);
}

/* Waits up to ms for pv_audio_playing() to turn 0; returns the ms waited,
 * or -1 when it still plays. */
static int wait_done(pv_audio_ctx *a, int ms) {
  for (int t = 0; t <= ms; t += 10) {
    if (!pv_audio_playing(a))
      return t;
    SDL_Delay(10);
  }
  return -1;
}

typedef struct files {
  char dir[256];
  char shortw[300], longw[300], stereo8[300], toolong[300], text[300], big[300],
      missing[300], truncated[300], loud[300];
} files;

static void make_files(files *f) {
  snprintf(f->dir, sizeof f->dir, "%s", pv_test_tmpdir());
  snprintf(f->shortw, sizeof f->shortw, "%s/short.wav", f->dir);
  snprintf(f->longw, sizeof f->longw, "%s/long.wav", f->dir);
  snprintf(f->stereo8, sizeof f->stereo8, "%s/stereo8.wav", f->dir);
  snprintf(f->toolong, sizeof f->toolong, "%s/toolong.wav", f->dir);
  snprintf(f->text, sizeof f->text, "%s/notes.wav", f->dir);
  snprintf(f->big, sizeof f->big, "%s/big.wav", f->dir);
  snprintf(f->missing, sizeof f->missing, "%s/nowhere.wav", f->dir);
  snprintf(f->truncated, sizeof f->truncated, "%s/truncated.wav", f->dir);
  snprintf(f->loud, sizeof f->loud, "%s/loud.wav", f->dir);
  write_sine(f->shortw, 22050, 1, 16, 0.4, 0.5); /* espeak-ng's format */
  write_sine(f->longw, 48000, 2, 16, 3.0, 0.5);  /* a human recording */
  write_sine(f->stereo8, 44100, 2, 8, 0.2, 0.5); /* converted on load */
  write_sine(f->toolong, 8000, 1, 8, PV_AUDIO_MAX_SECONDS + 1, 0.1); /* ~1 MB */
  write_sine(f->loud, 22050, 1, 16, 0.3, 0.8);
  static const char text[] = "This is not a WAV file, only words.\n";
  pv_test_write(f->text, text, strlen(text));
  /* Over the size bound: a sparse file, cheap to make. */
  pv_test_write(f->big, "RIFF", 4);
  PV_ASSERT(truncate(f->big, (off_t)PV_AUDIO_MAX_FILE + 1) == 0);
  /* A real header whose data stops short. */
  unsigned char head[64];
  FILE *in = fopen(f->shortw, "rb");
  PV_ASSERT(in && fread(head, 1, sizeof head, in) == sizeof head);
  fclose(in);
  pv_test_write(f->truncated, head, 40);
}

/* The errors every context (heard or silent) gives, and nothing plays. */
static void check_refusals(pv_audio_ctx *a, const files *f) {
  CHECK_INT(pv_audio_play_file(a, f->missing), PV_ERR_NOTFOUND);
  CHECK_INT(pv_audio_playing(a), 0);
  CHECK_INT(pv_audio_play_file(a, f->text), PV_ERR_INVALID);
  CHECK_CONTAINS(pv_err_detail(), "not a WAV");
  CHECK_INT(pv_audio_play_file(a, f->truncated), PV_ERR_INVALID);
  CHECK_INT(pv_audio_play_file(a, f->big), PV_ERR_TOOBIG);
  CHECK_CONTAINS(pv_err_detail(), "limit");
  CHECK_INT(pv_audio_play_file(a, f->toolong), PV_ERR_TOOBIG);
  CHECK_CONTAINS(pv_err_detail(), "120 s");
  CHECK_INT(pv_audio_play_file(a, f->dir), PV_ERR_INVALID);
  CHECK_INT(pv_audio_playing(a), 0);
}

static void check_volume(pv_audio_ctx *a) {
  CHECK_INT(pv_audio_volume(a), PV_AUDIO_DEFAULT_VOLUME);
  pv_audio_set_volume(a, 150);
  CHECK_INT(pv_audio_volume(a), 100);
  pv_audio_set_volume(a, -5);
  CHECK_INT(pv_audio_volume(a), 0);
  pv_audio_set_volume(a, 55);
  CHECK_INT(pv_audio_volume(a), 55);
  pv_audio_set_volume(a, PV_AUDIO_DEFAULT_VOLUME);
}

static void test_dummy(const files *f) {
  setenv("SDL_AUDIODRIVER", "dummy", 1);
  pv_audio_ctx *a = pv_audio_open();
  PV_ASSERT(a);
  CHECK_INT(pv_audio_available(a), 1);
  CHECK_INT(pv_audio_playing(a), 0);
  check_volume(a);

  /* A short clip plays, then ends by itself (the dummy driver keeps time). */
  Uint64 t0 = SDL_GetTicks64();
  CHECK_INT(pv_audio_play_file(a, f->shortw), PV_OK);
  CHECK_INT(pv_audio_playing(a), 1);
  int waited = wait_done(a, 3000);
  CHECK(waited >= 0);
  Uint64 took = SDL_GetTicks64() - t0;
  if (took < 250)
    pv_test_fail(__FILE__, __LINE__, "a 0.4 s clip ended after %llu ms",
                 (unsigned long long)took);
  else
    pv_test_passed++;
  CHECK_INT(pv_audio_cached(a), 1);

  /* Stop, and a new clip stops the one playing. */
  CHECK_INT(pv_audio_play_file(a, f->longw), PV_OK);
  CHECK_INT(pv_audio_playing(a), 1);
  pv_audio_stop(a);
  CHECK_INT(pv_audio_playing(a), 0);
  pv_audio_stop(a); /* twice is fine */
  CHECK_INT(pv_audio_play_file(a, f->longw), PV_OK);
  CHECK_INT(pv_audio_play_file(a, f->shortw), PV_OK);
  CHECK_INT(pv_audio_playing(a), 1);
  waited = wait_done(a, 2000); /* the short one, not the 3 s one */
  CHECK(waited >= 0 && waited < 1500);
  CHECK_INT(pv_audio_cached(a), 2); /* replays came from the cache */

  /* Other formats convert on load. */
  CHECK_INT(pv_audio_play_file(a, f->stereo8), PV_OK);
  CHECK_INT(wait_done(a, 2000) >= 0, 1);
  CHECK_INT(pv_audio_cached(a), 3);

  /* Refusals; an error also stops what played. */
  CHECK_INT(pv_audio_play_file(a, f->longw), PV_OK);
  check_refusals(a, f);
  CHECK_INT(pv_audio_cached(a), 3);

  /* A file rewritten under the same name is decoded again, not replayed. */
  write_sine(f->stereo8, 22050, 1, 16, 0.1, 0.5);
  CHECK_INT(pv_audio_play_file(a, f->stereo8), PV_OK);
  CHECK_INT(pv_audio_cached(a), 3);
  pv_audio_close(a);
  pv_audio_close(NULL);
}

/* Through the disk driver: what the mixer wrote is the clip scaled by the
 * volume. */
static void test_disk(const files *f) {
  char out[300];
  snprintf(out, sizeof out, "%s/mixed.raw", f->dir);
  setenv("SDL_AUDIODRIVER", "disk", 1);
  setenv("SDL_DISKAUDIOFILE", out, 1);
  pv_audio_ctx *a = pv_audio_open();
  PV_ASSERT(a);
  CHECK_INT(pv_audio_available(a), 1);
  pv_audio_set_volume(a, 50);
  CHECK_INT(pv_audio_play_file(a, f->loud), PV_OK);
  CHECK(wait_done(a, 3000) >= 0);
  pv_audio_close(a);
  unsetenv("SDL_DISKAUDIOFILE");

  FILE *in = fopen(out, "rb");
  CHECK(in != NULL);
  if (!in)
    return;
  long peak = 0, n = 0;
  unsigned char b[2];
  while (fread(b, 1, 2, in) == 2) {
    long s = (int16_t)(b[0] | b[1] << 8);
    peak = labs(s) > peak ? labs(s) : peak;
    n++;
  }
  fclose(in);
  CHECK(n >= (long)(0.3 * PV_AUDIO_RATE)); /* the whole clip went out */
  /* 0.8 of full scale at half volume: 0.4 of full scale, give or take. */
  long want = (long)(0.8 * 32767 * 0.5);
  if (labs(peak - want) > want / 50)
    pv_test_fail(__FILE__, __LINE__, "peak %ld, expected about %ld", peak, want);
  else
    pv_test_passed++;
}

/* No such driver: a silent context; the same refusals, no sound. */
static void test_silent(const files *f) {
  setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
  pv_audio_ctx *a = pv_audio_open();
  CHECK(a != NULL);
  if (!a)
    return;
  CHECK_INT(pv_audio_available(a), 0);
  check_volume(a);
  CHECK_INT(pv_audio_play_file(a, f->shortw), PV_OK);
  CHECK_INT(pv_audio_playing(a), 0);
  pv_audio_stop(a);
  check_refusals(a, f);
  pv_audio_close(a);
  CHECK_INT(pv_audio_available(NULL), 0);
  CHECK_INT(pv_audio_playing(NULL), 0);
}

int main(void) {
  files f;
  make_files(&f);
  test_dummy(&f);
  test_disk(&f);
  test_silent(&f);
  unsetenv("SDL_AUDIODRIVER");
  pv_test_rmtree(f.dir);
  SDL_Quit();
  return pv_test_done();
}
