/* bench_drawing: ten minutes of scripted drawing on the `drawing`
 * question, on a virtual clock (it runs in seconds), through the real app,
 * canvas, PNG encoder and store. Prints the peak resident memory at 1 and
 * at 10 minutes: bounded means the two are close, whatever the number of
 * strokes (the undo stack is capped, snapshots bound replay).
 *
 * usage: bench_drawing [CONTENT_SURVEYS_DIR] */
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/store.h"
#include "core/survey.h"
#include "kiosk/app.h"
#include "kiosk/canvas.h"
#include "kiosk/png.h"
#include "kiosk/script.h"

#define MINUTE_MS (60 * 1000LL)
#define POINTS 16 /* samples per stroke */

static pv_text_metrics measure(void *ud, const char *text, const pv_text_style *st,
                               int max_w) {
  (void)ud;
  int w = (int)strlen(text) * st->size_px / 2;
  int lines = max_w > 0 ? (w + max_w - 1) / max_w : 1;
  lines = lines < 1 ? 1 : lines;
  return (pv_text_metrics){w < max_w ? w : max_w, lines * st->size_px * 6 / 5, lines,
                           0};
}

static long peak_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int run(pv_script_env *env, const char *line) {
  int code = pv_script_line(env, line, 1, "bench", stderr);
  if (code != PV_SCRIPT_OK)
    fprintf(stderr, "bench_drawing: %s: failed\n", line);
  return code == PV_SCRIPT_OK;
}

/* Cheap deterministic noise in 0..1. */
static double noise(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return (double)((*s >> 8) & 0xFFFF) / 65535.0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : PV_CONTENT_DIR "/surveys";
  char path[1024], tmpl[] = "/tmp/bench_drawing.XXXXXX";
  pv_survey *survey = NULL;
  pv_store *store = NULL;
  pv_app *app = NULL;
  static pv_ui ui;
  static pv_draw_list dl;
  int rc = 1;
  if (!mkdtemp(tmpl)) {
    perror("bench_drawing: mkdtemp");
    return 1;
  }
  IMG_Init(IMG_INIT_PNG);
  snprintf(path, sizeof path, "%s/lien-social", dir);
  pv_diags d = {0};
  if (pv_survey_load(path, NULL, &survey, &d) != PV_OK) {
    fprintf(stderr, "bench_drawing: %s: %s\n", path, pv_err_detail());
    pv_diags_free(&d);
    goto out;
  }
  pv_diags_free(&d);
  int64_t clock_ms = 1700000000000LL;
  pv_clock clock = pv_clock_virtual(&clock_ms);
  snprintf(path, sizeof path, "%s/kiosk.db", tmpl);
  if (pv_store_open(path, &clock, &store) != PV_OK) {
    fprintf(stderr, "bench_drawing: %s: %s\n", path, pv_err_detail());
    goto out;
  }
  pv_app_config cfg = {.inactivity_s = 40,
                       .tts_dir = tmpl, /* silent: nothing there */
                       .assets_dir = PV_ASSETS_DIR};
  app = pv_app_new(&survey, 1, store, &clock, &cfg);
  if (!app)
    goto out;
  pv_app_set_png(app, pv_png_encode, NULL);
  pv_ui_init(&ui, 20);
  pv_script_env env = {.app = app,
                       .ui = &ui,
                       .dl = &dl,
                       .width = 1280,
                       .height = 800,
                       .clock_ms = &clock_ms,
                       .measure = measure};
  pv_script_frame(&env);
  static const char *const to_drawing[] = {"tap 10 10",
                                           "tap @lang:fr",
                                           "tap @consent:yes",
                                           "tap @choice:7",
                                           "tap @next",
                                           "tap @skip",
                                           "tap @skip",
                                           "tap @skip",
                                           "tap @skip",
                                           "tap @skip",
                                           "tap @skip",
                                           "tap @skip",
                                           "expect question:dessin"};
  for (size_t i = 0; i < sizeof to_drawing / sizeof *to_drawing; i++)
    if (!run(&env, to_drawing[i]))
      goto out;
  int64_t start = clock_ms;
  long strokes = 0, stores = 0, at1 = 0;
  unsigned seed = 42;
  int64_t next_store = start + 30000;
  while (clock_ms - start < 10 * MINUTE_MS) {
    char line[PV_SCRIPT_MAX_LINE];
    int n = snprintf(line, sizeof line, "draw");
    double x = noise(&seed), y = noise(&seed);
    for (int p = 0; p < POINTS; p++) {
      x += (noise(&seed) - 0.5) * 0.1;
      y += (noise(&seed) - 0.5) * 0.1;
      x = x < 0 ? 0 : x > 1 ? 1 : x;
      y = y < 0 ? 0 : y > 1 ? 1 : y;
      n += snprintf(line + n, sizeof line - (size_t)n, " %.3f %.3f", x, y);
    }
    if (!run(&env, line))
      goto out;
    strokes++;
    if (strokes % 10 == 0) {
      snprintf(line, sizeof line, "colour %ld", 1 + strokes / 10 % 8);
      if (!run(&env, line))
        goto out;
      snprintf(line, sizeof line, "brush %ld", 1 + strokes / 10 % 3);
      if (!run(&env, line))
        goto out;
    }
    if (strokes % 7 == 0 && !run(&env, "undo"))
      goto out;
    if (strokes % 400 == 0 && !run(&env, "clear"))
      goto out;
    if (clock_ms >= next_store) { /* leave and come back: the PNG is stored */
      if (!run(&env, "tap @back") || !run(&env, "tap @skip") ||
          !run(&env, "expect question:dessin"))
        goto out;
      stores++;
      next_store += 30000;
    }
    if (!run(&env, "wait 200"))
      goto out;
    if (!at1 && clock_ms - start >= MINUTE_MS) {
      at1 = peak_kib();
      printf("drawing: 1 min: %ld strokes, peak RSS %.1f MiB\n", strokes, at1 / 1024.0);
    }
  }
  long at10 = peak_kib();
  printf("drawing: 10 min: %ld strokes, %ld PNGs stored, peak RSS %.1f MiB (%+.1f MiB "
         "since 1 min)\n",
         strokes, stores, at10 / 1024.0, (at10 - at1) / 1024.0);
  rc = 0;
out:
  pv_app_free(app);
  pv_store_close(store);
  pv_survey_free(survey);
  snprintf(path, sizeof path, "rm -rf '%s'", tmpl);
  if (system(path) != 0)
    fprintf(stderr, "bench_drawing: could not remove %s\n", tmpl);
  IMG_Quit();
  return rc;
}
