/* bench_frames: frame time of the kiosk's renderer while tapping through a
 * survey, with SDL's dummy video driver and the software renderer.
 *
 * Opens the same pieces pv-kiosk opens (kiosk/platform.c: text engine,
 * renderer context, app over the sample surveys and a scratch store), and
 * runs the tour script (tests/scripts/tour.txt, LANG replaced by the
 * language) through the headless runner on its virtual clock. Unlike
 * pv-kiosk --headless, which draws only at `shot`, every frame the runner
 * builds is drawn here: pv_render_list + SDL_RenderPresent, timed with
 * clock_gettime. The tour runs twice: the first pass pays the cold caches
 * (SVG rasterising, text shaping), the second shows the steady state.
 * Baseline, in the same run: SDL_RenderClear + SDL_RenderPresent of an
 * empty frame at the same size, and a full-window fill drawn blended,
 * unblended and as geometry. Layout (pv_app_frame) is not in the frame
 * time: the runner calls it before the render callback. To say where the
 * time goes, frames are also grouped by screen, and some warm frames are
 * replayed one draw command at a time (cost by command kind).
 *
 *   bench_frames SURVEYS_DIR SCRIPT [DB] [WxH] [LANG] */
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <SDL2/SDL_ttf.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/store.h"
#include "core/survey.h"
#include "core/tts.h"
#include "kiosk/app.h"
#include "kiosk/config.h"
#include "kiosk/render.h"
#include "kiosk/script.h"
#include "kiosk/text.h"

#define MAX_FRAMES 20000    /* frames kept per pass; more are counted, not timed */
#define BASELINE_FRAMES 300 /* empty frames for the baseline */
#define TOUR_PASSES 2       /* cold, then warm caches */
#define MAX_DIRS 256

typedef struct frames {
  double ms[MAX_FRAMES];
  size_t n, dropped;
} frames;

#define N_KINDS (PV_DRAW_CLIP + 1)
#define PROFILE_EVERY 8 /* in the warm pass, every 8th frame is also replayed */

/* Cost by draw command kind: in the warm pass, some frames are replayed
 * one command at a time (each alone, then presented), minus the cost of an
 * empty present. Clipping is not replayed, so this is an estimate. */
typedef struct kind_cost {
  double ms, mpx; /* time, and area of the commands' rects in megapixels */
  unsigned long n;
} kind_cost;

#define N_SCREENS (PV_SCREEN_THANKS + 1)

typedef struct bench {
  pv_app *app;       /* for the screen each frame shows */
  frames *by_screen; /* N_SCREENS */
  SDL_Renderer *ren;
  pv_render_ctx *render;
  frames *cur;        /* the pass being timed */
  int profile;        /* replay commands one by one (after timing) */
  double present_ms;  /* median present with nothing drawn, subtracted */
  unsigned long seen; /* frames rendered in this pass */
  kind_cost kinds[N_KINDS];
} bench;

static const char *const screen_names[N_SCREENS] = {
    [PV_SCREEN_ATTRACT] = "attract",   [PV_SCREEN_LANGUAGE] = "language",
    [PV_SCREEN_CONSENT] = "consent",   [PV_SCREEN_SURVEY] = "survey",
    [PV_SCREEN_QUESTION] = "question", [PV_SCREEN_THANKS] = "thanks",
};

static const char *const kind_names[N_KINDS] = {
    [PV_DRAW_RECT] = "rect",   [PV_DRAW_FRAME] = "frame", [PV_DRAW_CIRCLE] = "circle",
    [PV_DRAW_RING] = "ring",   [PV_DRAW_ARC] = "arc",     [PV_DRAW_TEXT] = "text",
    [PV_DRAW_IMAGE] = "image", [PV_DRAW_CLIP] = "clip",
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void frames_add(frames *f, double ms) {
  if (f->n < MAX_FRAMES)
    f->ms[f->n++] = ms;
  else
    f->dropped++;
}

/* Returns the q-quantile (0..1) of the sorted times, nearest rank. */
static double quantile(const frames *f, double q) {
  if (f->n == 0)
    return 0;
  size_t i = (size_t)(q * (double)f->n);
  return f->ms[i < f->n ? i : f->n - 1];
}

static void print_row(const char *label, frames *f) {
  qsort(f->ms, f->n, sizeof *f->ms, cmp_double);
  printf("  %-34s %7zu %8.2f %8.2f %8.2f %8.2f\n", label, f->n, quantile(f, 0.50),
         quantile(f, 0.90), quantile(f, 0.99), f->n ? f->ms[f->n - 1] : 0.0);
}

/* The runner's render callback: draw the frame the app just built. */
static void render_timed(void *ud, const pv_draw_list *dl) {
  bench *b = ud;
  double t0 = now_ms();
  pv_render_list(b->render, dl);
  SDL_RenderPresent(b->ren);
  double dt = now_ms() - t0;
  frames_add(b->cur, dt);
  pv_screen sc = pv_app_screen(b->app);
  if ((unsigned)sc < N_SCREENS)
    frames_add(&b->by_screen[sc], dt);
  if (!b->profile || b->seen++ % PROFILE_EVERY)
    return;
  static pv_draw_list one;
  for (size_t i = 0; i < dl->count; i++) {
    pv_draw_kind k = dl->cmds[i].kind;
    if ((unsigned)k >= N_KINDS || k == PV_DRAW_CLIP)
      continue;
    one.count = 1;
    one.cmds[0] = dl->cmds[i];
    double c0 = now_ms();
    pv_render_list(b->render, &one);
    SDL_RenderPresent(b->ren);
    b->kinds[k].ms += now_ms() - c0 - b->present_ms;
    b->kinds[k].mpx += (double)dl->cmds[i].rect.w * dl->cmds[i].rect.h / 1e6;
    b->kinds[k].n++;
  }
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every valid survey folder under root into out (at most max);
 * returns how many. Invalid ones are reported and skipped. */
static size_t load_surveys(const char *root, pv_survey **out, size_t max) {
  char *names[MAX_DIRS];
  size_t n = 0, loaded = 0;
  DIR *d = opendir(root);
  if (!d) {
    perror(root);
    return 0;
  }
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_DIRS)
    if (e->d_name[0] != '.')
      names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    if (names[i] && loaded < max) {
      snprintf(path, sizeof path, "%s/%s", root, names[i]);
      pv_diags diags = {0};
      pv_survey *s = NULL;
      pv_survey_opts so = {.assets_dir = PV_ASSETS_DIR};
      if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (pv_survey_load(path, &so, &s, &diags) == PV_OK)
          out[loaded++] = s;
        else
          pv_diags_print(&diags, stderr);
      }
      pv_diags_free(&diags);
    }
    free(names[i]);
  }
  return loaded;
}

/* Runs the script at path line by line with every "LANG" replaced by
 * lang (as tests/test_screens.c does). Returns the runner's exit code. */
static int run_tour(pv_script_env *env, const char *path, const char *lang) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return PV_SCRIPT_BAD_LINE;
  }
  char line[PV_SCRIPT_MAX_LINE], out[PV_SCRIPT_MAX_LINE * 2];
  int line_no = 0, code = PV_SCRIPT_OK;
  while (code == PV_SCRIPT_OK && fgets(line, sizeof line, f)) {
    line_no++;
    line[strcspn(line, "\r\n")] = '\0';
    size_t o = 0;
    for (const char *p = line; *p && o + 16 < sizeof out;) {
      if (strncmp(p, "LANG", 4) == 0) {
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", lang);
        p += 4;
      } else {
        out[o++] = *p++;
      }
    }
    out[o] = '\0';
    code = pv_script_line(env, out, line_no, path, stderr);
  }
  fclose(f);
  return code;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_frames SURVEYS_DIR SCRIPT [DB] [WxH] [LANG]\n"
                    "  e.g. bench_frames content/surveys tests/scripts/tour.txt "
                    "/tmp/f.db 1280x800 fr\n");
    return 2;
  }
  const char *surveys_dir = argv[1], *script = argv[2];
  const char *db = argc > 3 ? argv[3] : "build/bench_frames.db";
  const char *size = argc > 4 ? argv[4] : "1280x800";
  const char *lang = argc > 5 ? argv[5] : "fr";
  char *end;
  long w = strtol(size, &end, 10), h = *end == 'x' ? strtol(end + 1, &end, 10) : 0;
  if (w < 100 || h < 100 || w > 8192 || h > 8192 || *end) {
    fprintf(stderr, "bench_frames: %s: expected WxH\n", size);
    return 2;
  }

  int code = 1;
  pv_survey *surveys[PV_APP_MAX_SURVEYS];
  size_t n_surveys = 0;
  pv_store *store = NULL;
  SDL_Window *win = NULL;
  bench b = {0};
  pv_text_ctx *text = NULL;
  pv_app *app = NULL;
  static frames pass[TOUR_PASSES], all, base, by_screen[N_SCREENS];
  b.by_screen = by_screen;
  pv_config cfg;
  pv_config_defaults(&cfg);
  int64_t virtual_ms = 1700000000000LL;
  pv_clock clock = pv_clock_virtual(&virtual_ms);

  remove(db); /* a fresh store each run */
  n_surveys = load_surveys(surveys_dir, surveys, PV_APP_MAX_SURVEYS);
  if (n_surveys == 0) {
    fprintf(stderr, "bench_frames: no valid survey in %s\n", surveys_dir);
    goto out;
  }
  if (pv_store_open(db, &clock, &store) != PV_OK) {
    fprintf(stderr, "bench_frames: %s: %s\n", db, pv_err_detail());
    goto out;
  }
  setenv("SDL_VIDEODRIVER", "dummy", 1);
  setenv("SDL_AUDIODRIVER", "dummy", 1);
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
    fprintf(stderr, "bench_frames: SDL: %s\n", SDL_GetError());
    goto out;
  }
  IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG);
  win = SDL_CreateWindow("bench_frames", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                         (int)w, (int)h, SDL_WINDOW_HIDDEN);
  b.ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE) : NULL;
  if (!b.ren) {
    fprintf(stderr, "bench_frames: cannot draw: %s\n", SDL_GetError());
    goto out;
  }
  text = pv_text_open(PV_ASSETS_DIR "/fonts");
  b.render = text ? pv_render_open(b.ren, text) : NULL;
  if (!b.render) {
    fprintf(stderr, "bench_frames: cannot load the fonts in %s/fonts\n", PV_ASSETS_DIR);
    goto out;
  }
  pv_app_config ac = {.inactivity_s = cfg.inactivity_seconds,
                      .autoplay = cfg.autoplay,
                      .tts_dir = pv_tts_default_dir(),
                      .assets_dir = PV_ASSETS_DIR};
  app = pv_app_new(surveys, n_surveys, store, &clock, &ac);
  if (!app)
    goto out;
  b.app = app;
  pv_ui ui;
  static pv_draw_list dl;
  pv_ui_init(&ui, 20);

  /* Baseline: an empty frame, cleared and presented. */
  SDL_SetRenderDrawColor(b.ren, 255, 255, 255, 255);
  for (int i = 0; i < BASELINE_FRAMES; i++) {
    double t0 = now_ms();
    SDL_RenderClear(b.ren);
    SDL_RenderPresent(b.ren);
    frames_add(&base, now_ms() - t0);
  }

  /* More baselines: a present with nothing drawn (subtracted from the
   * per-kind costs), and a full-window fill drawn by SDL_RenderFillRect
   * versus two triangles through SDL_RenderGeometry (how kiosk/render
   * draws shapes), to tell the rasteriser's cost from the kiosk's. */
  static frames present_only, fill_rect, fill_geom;
  for (int i = 0; i < BASELINE_FRAMES; i++) {
    double t0 = now_ms();
    SDL_RenderPresent(b.ren);
    frames_add(&present_only, now_ms() - t0);
  }
  SDL_Rect full = {0, 0, (int)w, (int)h};
  SDL_SetRenderDrawBlendMode(b.ren, SDL_BLENDMODE_BLEND);
  SDL_SetRenderDrawColor(b.ren, 250, 245, 235, 255);
  for (int i = 0; i < BASELINE_FRAMES; i++) {
    double t0 = now_ms();
    SDL_RenderFillRect(b.ren, &full);
    SDL_RenderPresent(b.ren);
    frames_add(&fill_rect, now_ms() - t0);
  }
  static frames fill_opaque;
  SDL_SetRenderDrawBlendMode(b.ren, SDL_BLENDMODE_NONE);
  for (int i = 0; i < BASELINE_FRAMES; i++) {
    double t0 = now_ms();
    SDL_RenderFillRect(b.ren, &full);
    SDL_RenderPresent(b.ren);
    frames_add(&fill_opaque, now_ms() - t0);
  }
  SDL_SetRenderDrawBlendMode(b.ren, SDL_BLENDMODE_BLEND);
  SDL_Color cv = {250, 245, 235, 255};
  SDL_Vertex quad[4] = {{{0, 0}, cv, {0, 0}},
                        {{(float)w, 0}, cv, {0, 0}},
                        {{(float)w, (float)h}, cv, {0, 0}},
                        {{0, (float)h}, cv, {0, 0}}};
  static const int quad_idx[6] = {0, 1, 2, 0, 2, 3};
  for (int i = 0; i < BASELINE_FRAMES; i++) {
    double t0 = now_ms();
    SDL_RenderGeometry(b.ren, NULL, quad, 4, quad_idx, 6);
    SDL_RenderPresent(b.ren);
    frames_add(&fill_geom, now_ms() - t0);
  }
  qsort(present_only.ms, present_only.n, sizeof *present_only.ms, cmp_double);
  b.present_ms = quantile(&present_only, 0.5);

  pv_script_env env = {.app = app,
                       .ui = &ui,
                       .dl = &dl,
                       .width = (int)w,
                       .height = (int)h,
                       .clock_ms = &virtual_ms,
                       .measure = pv_text_measure,
                       .measure_ud = text,
                       .render = render_timed,
                       .ud = &b};
  double wall0 = now_ms();
  for (int p = 0; p < TOUR_PASSES; p++) {
    b.cur = &pass[p];
    b.profile = p == TOUR_PASSES - 1;
    b.seen = 0;
    int rc = run_tour(&env, script, lang);
    if (rc != PV_SCRIPT_OK) {
      fprintf(stderr, "bench_frames: the tour failed (pass %d, code %d)\n", p + 1, rc);
      code = rc;
      goto out;
    }
  }
  double wall = now_ms() - wall0;
  for (int p = 0; p < TOUR_PASSES; p++)
    for (size_t i = 0; i < pass[p].n; i++)
      frames_add(&all, pass[p].ms[i]);

  printf("bench_frames: %ldx%ld, SDL video driver %s, renderer %s, tour %s (%s), %d "
         "passes\n",
         w, h, SDL_GetCurrentVideoDriver(), "software", script, lang, TOUR_PASSES);
  printf("  %-34s %7s %8s %8s %8s %8s\n", "frame time (ms)", "frames", "p50", "p90",
         "p99", "max");
  print_row("render+present, all frames", &all);
  print_row("  pass 1 (cold caches)", &pass[0]);
  print_row("  pass 2 (warm caches)", &pass[1]);
  print_row("baseline: clear+present, empty", &base);
  print_row("  present only, nothing drawn", &present_only);
  print_row("  full-window FillRect, blend", &fill_rect);
  print_row("  full-window FillRect, no blend", &fill_opaque);
  print_row("  full-window Geometry, blend", &fill_geom);
  printf("  ratio all/baseline (p50): %.1fx; goal p99 < 8 ms: %s\n",
         quantile(&all, 0.5) / (quantile(&base, 0.5) > 0 ? quantile(&base, 0.5) : 1e-9),
         quantile(&all, 0.99) < 8.0 ? "met" : "NOT met");
  printf("  wall time of the two tours (layout + render, virtual waits instant): "
         "%.0f ms\n",
         wall);
  printf("  by screen (both passes; the screen after the frame's state changes):\n");
  for (int k = 0; k < N_SCREENS; k++)
    if (by_screen[k].n) {
      char label[64];
      snprintf(label, sizeof label, "  %s", screen_names[k]);
      print_row(label, &by_screen[k]);
    }
  double total = 0;
  for (int k = 0; k < N_KINDS; k++)
    total += b.kinds[k].ms;
  printf(
      "  cost by command kind (warm pass, every %dth frame replayed one command at a "
      "time):\n",
      PROFILE_EVERY);
  printf("    %-8s %8s %12s %10s %8s\n", "kind", "commands", "ms/command", "ms/Mpx",
         "share");
  for (int k = 0; k < N_KINDS; k++)
    if (b.kinds[k].n)
      printf("    %-8s %8lu %12.3f %10.2f %7.1f%%\n", kind_names[k], b.kinds[k].n,
             b.kinds[k].ms / (double)b.kinds[k].n,
             b.kinds[k].mpx > 0 ? b.kinds[k].ms / b.kinds[k].mpx : 0.0,
             total > 0 ? 100 * b.kinds[k].ms / total : 0.0);
  if (all.dropped)
    printf("  (%zu frames beyond %d not timed)\n", all.dropped, MAX_FRAMES);
  code = 0;
out:
  pv_app_free(app);
  pv_render_close(b.render);
  pv_text_close(text);
  if (b.ren)
    SDL_DestroyRenderer(b.ren);
  if (win)
    SDL_DestroyWindow(win);
  if (TTF_WasInit())
    TTF_Quit();
  IMG_Quit();
  SDL_Quit();
  pv_store_close(store);
  for (size_t i = 0; i < n_surveys; i++)
    pv_survey_free(surveys[i]);
  pv_config_free(&cfg);
  return code;
}
