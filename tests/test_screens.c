/* test_screens: pv-kiosk --headless for real (SDL dummy video, software
 * renderer, fonts, pictograms; no audio device at all), running the tour
 * script in French and Arabic at 800x480. Its screenshots are compared
 * with the ones in docs/screens/ (the pictures people look at), with a
 * small tolerance. After a deliberate change of the screens, run
 * scripts/screens.sh, look at every picture, and commit them. Also checks
 * the runner's exit codes. */
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "kiosk/platform.h"
#include "tests/check.h"

static char tmp[256];

/* Runs the kiosk in-process on a script text; returns its exit code. */
static int kiosk(const char *name, const char *script_text, const char *size) {
  char script[512], db[512], shots[512];
  snprintf(script, sizeof script, "%s/%s.txt", tmp, name);
  snprintf(db, sizeof db, "%s/%s.db", tmp, name);
  snprintf(shots, sizeof shots, "%s/%s", tmp, name);
  pv_test_write(script, script_text, strlen(script_text));
  char *argv[] = {
      "pv-kiosk", "--headless", "--surveys", PV_SOURCE_DIR "/content/surveys",
      "--db",     db,           "--size",    (char *)size,
      "--script", script,       "--shots",   shots,
      NULL};
  return pv_kiosk_main(12, argv);
}

/* Returns tests/scripts/<name>.txt for lang (caller frees). */
static char *script_for(const char *name, const char *lang) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/scripts/%s.txt", PV_SOURCE_DIR, name);
  FILE *f = fopen(path, "rb");
  PV_ASSERT(f);
  static char raw[32768];
  size_t n = fread(raw, 1, sizeof raw - 1, f);
  fclose(f);
  raw[n] = '\0';
  char *out = malloc(n * 2 + 1), *o = out;
  PV_ASSERT(out);
  for (const char *p = raw; *p;) {
    if (strncmp(p, "LANG", 4) == 0) {
      o += snprintf(o, 8, "%s", lang);
      p += 4;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

/* Compares two PNGs: returns the share of pixels (per million) whose
 * channels differ by more than 24, or -1 when sizes differ or a file is
 * missing. */
static long diff_ppm(const char *a_path, const char *b_path) {
  SDL_Surface *a0 = IMG_Load(a_path), *b0 = IMG_Load(b_path);
  long out = -1;
  SDL_Surface *a = a0 ? SDL_ConvertSurfaceFormat(a0, SDL_PIXELFORMAT_RGBA32, 0) : NULL;
  SDL_Surface *b = b0 ? SDL_ConvertSurfaceFormat(b0, SDL_PIXELFORMAT_RGBA32, 0) : NULL;
  if (a && b && a->w == b->w && a->h == b->h) {
    long bad = 0;
    for (int y = 0; y < a->h; y++) {
      const Uint8 *pa = (const Uint8 *)a->pixels + y * a->pitch;
      const Uint8 *pb = (const Uint8 *)b->pixels + y * b->pitch;
      for (int x = 0; x < a->w * 4; x += 4)
        for (int c = 0; c < 3; c++)
          if (abs(pa[x + c] - pb[x + c]) > 24) {
            bad++;
            break;
          }
    }
    out = bad * 1000000L / ((long)a->w * a->h);
  }
  SDL_FreeSurface(a);
  SDL_FreeSurface(b);
  SDL_FreeSurface(a0);
  SDL_FreeSurface(b0);
  return out;
}

static const char *const tour_goldens[] = {
    "attract",       "consent", "smileys-5",       "smileys-3",      "choice-multiple",
    "scale",         "ranking", "yes-no",          "photo-choice",   "map",
    "map-full",      "thanks",  "still-there",     "text",           "text-keyboard",
    "voice-consent", "voice",   "voice-recording", "voice-recorded", "drawing",
    "photo-preview", NULL,
};

/* Animateur mode (tests/scripts/animateur.txt); the status and USB
 * screens show this machine's free space, so they are looked at only. */
static const char *const animateur_goldens[] = {
    "anim-gesture", "anim-menu",         "anim-session",          "handoff",
    "restit-faces", "restit-faces-2",    "restit-yes-no-too-few", "restit-choice",
    "restit-map",   "anim-menu-session", "anim-menu-ended",       NULL,
};

static void test_script(const char *script_name, const char *const *goldens,
                        const char *lang) {
  char *script = script_for(script_name, lang);
  char name[64];
  snprintf(name, sizeof name, "%s-%s", script_name, lang);
  CHECK_INT(kiosk(name, script, "800x480"), 0);
  free(script);
  for (size_t i = 0; goldens[i]; i++) {
    char got[512], want[512];
    snprintf(got, sizeof got, "%s/%s/%s.png", tmp, name, goldens[i]);
    snprintf(want, sizeof want, "%s/docs/screens/800x480-%s-%s.png", PV_SOURCE_DIR,
             lang, goldens[i]);
    long d = diff_ppm(got, want);
    if (d < 0 || d > 5000)
      fprintf(stderr,
              "%s differs from %s (%ld ppm of pixels); if the change is meant, run "
              "scripts/screens.sh and look at the pictures\n",
              got, want, d);
    CHECK(d >= 0 && d <= 5000); /* at most 0.5% of the pixels */
  }
}

static void test_exit_codes(void) {
  CHECK_INT(kiosk("bad-line", "expect attract\nfly 3 4\n", "800x480"), 2);
  CHECK_INT(kiosk("failed", "tap 10 10\nexpect thanks\n", "800x480"), 3);
  CHECK_INT(kiosk("no-widget", "tap @consent:yes\n", "800x480"), 3);
  CHECK_INT(kiosk("portrait", "tap 10 10\ntap @lang:fr\nexpect consent\n", "480x800"),
            0);
  char *argv[] = {"pv-kiosk", "--headless", "--size", "12x9", NULL};
  CHECK_INT(pv_kiosk_main(4, argv), 2);
}

int main(void) {
  snprintf(tmp, sizeof tmp, "%s", pv_test_tmpdir());
  setenv("SDL_AUDIODRIVER", "no-such-device", 1); /* no audio device at all */
  char usb[300]; /* the animateur's USB screen offers this folder */
  snprintf(usb, sizeof usb, "%s/usb", tmp);
  PV_ASSERT(mkdir(usb, 0700) == 0);
  snprintf(usb, sizeof usb, "%s/usb/CLE_USB", tmp);
  PV_ASSERT(mkdir(usb, 0700) == 0);
  snprintf(usb, sizeof usb, "%s/usb", tmp);
  setenv("PV_USB_ROOTS", usb, 1);
  test_script("tour", tour_goldens, "fr");
  test_script("tour", tour_goldens, "ar");
  test_script("animateur", animateur_goldens, "fr");
  test_script("animateur", animateur_goldens, "ar");
  test_exit_codes();
  pv_test_rmtree(tmp);
  return pv_test_done();
}
