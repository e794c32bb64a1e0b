/* test_rotate: a panel mounted turned (config "rotate", --rotate): the
 * config key and its errors, and pv-kiosk --headless for real (in-process, and the
 * built binary once): a turned run's screenshot is, pixel for pixel, the unturned run's
 * picture turned, with every panel pixel showing the screen point a touch there lands
 * on. Scripts tap in the app's coordinates, so one script drives every rotation. */
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "kiosk/config.h"
#include "kiosk/input.h"
#include "kiosk/platform.h"
#include "tests/check.h"

static char tmp[256];

/* ---- config ----------------------------------------------------------- */

static const struct {
  const char *json;
  int col;
  const char *message;
} bad_rotate[] = {
    {"{\"rotate\": 45}", 12, "\"rotate\" is 45; it must be 0, 90, 180 or 270"},
    {"{\"rotate\": -90}", 12, "\"rotate\" is -90"},
    {"{\"rotate\": 360}", 12, "\"rotate\" is 360"},
    {"{\"rotate\": 90.5}", 12, "\"rotate\" is 90.5"},
    {"{\"rotate\": 1e300}", 12, "0, 90, 180 or 270 (degrees clockwise)"},
    {"{\"rotate\": \"90\"}", 12, "0, 90, 180 or 270 (degrees clockwise), not a string"},
    {"{\"rotate\": null}", 12, "not null"},
};

static void test_config(void) {
  static const int good[] = {0, 90, 180, 270};
  pv_config c;
  pv_diags d = {0};
  pv_config_defaults(&c);
  CHECK_INT(c.rotate, 0);
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    char text[64];
    snprintf(text, sizeof text, "{\n  \"rotate\": %d\n}", good[i]);
    CHECK_INT(pv_config_parse("k.json", text, strlen(text), &c, &d), PV_OK);
    CHECK_INT(c.rotate, good[i]);
    pv_config_free(&c);
  }
  CHECK_INT(d.count, 0);
  for (size_t i = 0; i < sizeof bad_rotate / sizeof bad_rotate[0]; i++) {
    const char *j = bad_rotate[i].json;
    CHECK_INT(pv_config_parse("k.json", j, strlen(j), &c, &d), PV_ERR_INVALID);
    CHECK_INT(c.rotate, 0);
    if (d.count != 1 || d.items[0].line != 1 || d.items[0].col != bad_rotate[i].col ||
        !strstr(d.items[0].message, bad_rotate[i].message))
      pv_test_fail(
          __FILE__, __LINE__, "%s: got %zu diags, first %d:%d: %s; want 1:%d: %s", j,
          d.count, d.count ? d.items[0].line : 0, d.count ? d.items[0].col : 0,
          d.count ? d.items[0].message : "", bad_rotate[i].col, bad_rotate[i].message);
    else
      pv_test_passed++;
    pv_config_free(&c);
    pv_diags_free(&d);
  }
  CHECK(pv_config_rotate_valid(270) && !pv_config_rotate_valid(-1) &&
        !pv_config_rotate_valid(1));
}

/* ---- pv-kiosk --headless ---------------------------------------------- */

/* A short tour: screens with text, pictograms, cards, a selection ring. */
static const char *const script_text[] = {
    "shot attract\n"
    "tap 10 10\n"
    "tap @lang:",
    "\n"
    "expect consent\n"
    "shot consent\n"
    "tap @consent:yes\n"
    "tap @survey:qualite-habiter\n"
    "expect question:bien_quartier\n"
    "tap @choice:4\n"
    "shot smileys\n",
};

static const char *const shots[] = {"attract", "consent", "smileys"};

/* Runs the kiosk in-process on the short tour in lang; the shots go to
 * tmp/<name>/. rotate NULL: no --rotate; config NULL: no --config.
 * Returns the exit code. */
static int kiosk(const char *name, const char *lang, const char *size,
                 const char *rotate, const char *config) {
  char script[512], db[512], dir[512], text[1024];
  snprintf(script, sizeof script, "%s/%s.txt", tmp, name);
  snprintf(db, sizeof db, "%s/%s.db", tmp, name);
  snprintf(dir, sizeof dir, "%s/%s", tmp, name);
  snprintf(text, sizeof text, "%s%s%s", script_text[0], lang, script_text[1]);
  pv_test_write(script, text, strlen(text));
  char *argv[16] = {
      "pv-kiosk", "--headless", "--surveys", PV_SOURCE_DIR "/content/surveys",
      "--db",     db,           "--size",    (char *)size,
      "--script", script,       "--shots",   dir};
  int argc = 12;
  if (rotate) {
    argv[argc++] = "--rotate";
    argv[argc++] = (char *)rotate;
  }
  if (config) {
    argv[argc++] = "--config";
    argv[argc++] = (char *)config;
  }
  return pv_kiosk_main(argc, argv);
}

/* Loads a PNG as RGBA32; NULL (and a failure) when it cannot. */
static SDL_Surface *load(const char *dir, const char *shot) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s/%s.png", tmp, dir, shot);
  SDL_Surface *raw = IMG_Load(path);
  SDL_Surface *s =
      raw ? SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0) : NULL;
  SDL_FreeSurface(raw);
  if (!s)
    pv_test_fail(__FILE__, __LINE__, "%s: %s", path, IMG_GetError());
  return s;
}

static Uint32 pixel(const SDL_Surface *s, int x, int y) {
  const Uint8 *row = (const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch;
  Uint32 p;
  memcpy(&p, row + (size_t)x * 4, 4);
  return p | 0xFF000000u; /* RGB only */
}

/* Checks that every pixel of panel shot dir_panel shows the pixel of the
 * unturned shot dir_screen that a touch there lands on (pv_input_to_logical):
 * the turned picture, exactly. */
static void check_turned(const char *dir_panel, const char *dir_screen, int rotate) {
  for (size_t i = 0; i < sizeof shots / sizeof shots[0]; i++) {
    SDL_Surface *p = load(dir_panel, shots[i]), *s = load(dir_screen, shots[i]);
    int turned = rotate == 90 || rotate == 270;
    if (p && s && p->w == (turned ? s->h : s->w) && p->h == (turned ? s->w : s->h)) {
      long bad = 0, changes = 0;
      for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
          int lx, ly;
          pv_input_to_logical(rotate, p->w, p->h, x, y, &lx, &ly);
          bad += pixel(p, x, y) != pixel(s, lx, ly);
          changes += x > 0 && pixel(p, x, y) != pixel(p, x - 1, y);
        }
      if (bad)
        pv_test_fail(__FILE__, __LINE__, "%s/%s: %ld pixels differ from %s turned %d",
                     dir_panel, shots[i], bad, dir_screen, rotate);
      else
        pv_test_passed++;
      CHECK(changes > 1000); /* a real picture, not a blank one */
    } else {
      pv_test_fail(__FILE__, __LINE__, "%s/%s: %dx%d, %s: %dx%d", dir_panel, shots[i],
                   p ? p->w : 0, p ? p->h : 0, dir_screen, s ? s->w : 0, s ? s->h : 0);
    }
    SDL_FreeSurface(p);
    SDL_FreeSurface(s);
  }
}

static void test_headless(const char *lang) {
  char land[64], port[64], name[64], conf[512];
  snprintf(land, sizeof land, "%s-800x480", lang);
  snprintf(port, sizeof port, "%s-480x800", lang);
  CHECK_INT(kiosk(land, lang, "800x480", NULL, NULL), 0);
  CHECK_INT(kiosk(port, lang, "480x800", NULL, NULL), 0);
  static const struct {
    const char *rotate;
    int deg;
  } runs[] = {{"0", 0}, {"90", 90}, {"180", 180}, {"270", 270}};
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    snprintf(name, sizeof name, "%s-rotate-%s", lang, runs[i].rotate);
    CHECK_INT(kiosk(name, lang, "800x480", runs[i].rotate, NULL), 0);
    check_turned(name, runs[i].deg % 180 ? port : land, runs[i].deg);
  }
  /* A panel whose sides differ by an odd number (a --window): still exact. */
  if (strcmp(lang, "fr") == 0) {
    CHECK_INT(kiosk("fr-801x480", lang, "801x480", NULL, NULL), 0);
    CHECK_INT(kiosk("fr-480x801", lang, "480x801", NULL, NULL), 0);
    for (size_t i = 1; i < sizeof runs / sizeof runs[0]; i++) {
      snprintf(name, sizeof name, "fr-801x480-rotate-%s", runs[i].rotate);
      CHECK_INT(kiosk(name, lang, "801x480", runs[i].rotate, NULL), 0);
      check_turned(name, runs[i].deg % 180 ? "fr-480x801" : "fr-801x480", runs[i].deg);
    }
  }
  /* The config's rotate, and --rotate over it. */
  snprintf(conf, sizeof conf, "%s/rotate-270.json", tmp);
  static const char conf_270[] = "{\"rotate\": 270}\n";
  pv_test_write(conf, conf_270, strlen(conf_270));
  snprintf(name, sizeof name, "%s-config-270", lang);
  CHECK_INT(kiosk(name, lang, "800x480", NULL, conf), 0);
  check_turned(name, port, 270);
  snprintf(name, sizeof name, "%s-config-270-option-180", lang);
  CHECK_INT(kiosk(name, lang, "800x480", "180", conf), 0);
  check_turned(name, land, 180);
}

/* The built program: a turned run, a bad --rotate, a bad config value. */
static void test_binary(void) {
  char out[4096], db[512], script[512], dir[512], conf[512];
  snprintf(db, sizeof db, "%s/bin.db", tmp);
  snprintf(script, sizeof script, "%s/fr-800x480.txt", tmp); /* test_headless's */
  snprintf(dir, sizeof dir, "%s/bin-rotate-90", tmp);
  const char *run[] = {
      PV_KIOSK_BIN, "--headless", "--rotate",  "90",
      "--size",     "800x480",    "--surveys", PV_SOURCE_DIR "/content/surveys",
      "--db",       db,           "--script",  script,
      "--shots",    dir,          NULL};
  CHECK_INT(pv_test_run(out, sizeof out, run, 1), 0);
  check_turned("bin-rotate-90", "fr-480x800", 90);

  const char *bad[] = {
      PV_KIOSK_BIN, "--headless", "--rotate",  "45",
      "--size",     "800x480",    "--surveys", PV_SOURCE_DIR "/content/surveys",
      "--db",       db,           "--script",  script,
      NULL};
  CHECK_INT(pv_test_run(out, sizeof out, bad, 1), 2);
  CHECK(strstr(out, "--rotate 45: expected 0, 90, 180 or 270") != NULL);

  snprintf(conf, sizeof conf, "%s/bad.json", tmp);
  static const char conf_bad[] = "{\n  \"volume\": 80,\n  \"rotate\": 45\n}\n";
  pv_test_write(conf, conf_bad, strlen(conf_bad));
  const char *badconf[] = {
      PV_KIOSK_BIN, "--headless", "--config",  conf,
      "--size",     "800x480",    "--surveys", PV_SOURCE_DIR "/content/surveys",
      "--db",       db,           "--script",  script,
      NULL};
  CHECK_INT(pv_test_run(out, sizeof out, badconf, 1), 1);
  char want[600];
  snprintf(want, sizeof want, "%s:3:13: \"rotate\" is 45", conf);
  if (!strstr(out, want))
    pv_test_fail(__FILE__, __LINE__, "want \"%s\" in: %s", want, out);
  else
    pv_test_passed++;
}

int main(void) {
  snprintf(tmp, sizeof tmp, "%s", pv_test_tmpdir());
  setenv("SDL_AUDIODRIVER", "no-such-device", 1); /* no audio device at all */
  test_config();
  test_headless("fr");
  test_headless("ar");
  test_binary();
  pv_test_rmtree(tmp);
  return pv_test_done();
}
