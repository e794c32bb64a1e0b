/* platform: pv-kiosk's SDL side. Loads the surveys, the config and the
 * store, opens a window (fullscreen by default: KMS/DRM on a Pi, whatever
 * SDL offers elsewhere; --window WxH on a desktop; dummy video in
 * --headless), and runs the app: an event loop that sleeps until a touch
 * or the app's next deadline, or the headless script runner on a virtual
 * clock. Touch and mouse both come in; SDL's synthesised mouse-from-touch
 * and touch-from-mouse events are switched off so nothing counts twice.
 *
 * A panel mounted turned (config "rotate", --rotate): SDL's KMS/DRM back
 * end ignores the kernel's rotation, so the kiosk turns the picture
 * itself. The app lays out for the turned size (a 800x480 panel at 90
 * degrees is a 480x800 screen) and draws into a target texture of that
 * size, copied turned onto the panel; touches are turned back
 * (kiosk/input.h). Unturned, the app draws straight to the panel. */
#include "kiosk/platform.h"
#include "kiosk/png.h"

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <SDL2/SDL_ttf.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/quartiers.h"
#include "core/tts.h"
#include "kiosk/anim.h"
#include "kiosk/anim_env.h"
#include "kiosk/app.h"
#include "kiosk/audio.h"
#include "kiosk/config.h"
#include "kiosk/input.h"
#include "kiosk/link.h"
#include "kiosk/recorder.h"
#include "kiosk/render.h"
#include "kiosk/script.h"
#include "kiosk/text.h"
#include "sync/surveys.h"

#define MAX_SIZE 8192

typedef struct opts {
  const char *surveys, *db, *config, *script, *shots, *assets, *tts;
  int headless, width, height;
  int sync;   /* --sync: run the sync thread headless too */
  int rotate; /* --rotate: degrees clockwise, or -1 for the config's */
  double diagonal_in;
} opts;

#define SURVEY_CHECK_MS 5000 /* idle kiosk: how often it looks for new surveys */

typedef struct current_id {
  unsigned long long ino;
  long long mtime_s, mtime_ns, size;
} current_id;

typedef struct kiosk {
  opts o;
  pv_config cfg;
  pv_survey *surveys[PV_APP_MAX_SURVEYS];
  size_t n_surveys;
  pv_store *store;
  pv_sync_config sync_cfg; /* valid when has_sync */
  char sync_dir[PV_LINK_MAX_PATH];
  int has_sync, sync_generation;
  pv_sync *sync;            /* the background thread, or NULL */
  current_id current_stamp; /* of surveys_dir/current.json when last loaded */
  Uint64 next_survey_check; /* SDL ticks: when to look at current.json again */
  pv_app_config ac;
  pv_anim_platform anim_plat; /* what animateur mode asks of the platform */
  int64_t virtual_ms;
  pv_clock clock;
  SDL_Window *win;
  SDL_Renderer *ren;
  int rotate;          /* degrees clockwise the panel shows the screen */
  SDL_Texture *screen; /* turned: what the app draws into; NULL otherwise */
  pv_text_ctx *text;
  pv_render_ctx *render;
  pv_audio_ctx *audio; /* kiosk/audio.h: pv_audio is a survey's recordings */
  pv_recorder *rec;    /* the microphone (a synthetic one when headless) */
  pv_qvoice_capture cap;
  char replay[PV_LINK_MAX_PATH];      /* scratch WAV for replaying a recording */
  char prompts_dir[PV_LINK_MAX_PATH]; /* <db>.prompts: recorded prompts to play */
  int prompts_generation;             /* the sync thread's, when last loaded */
  pv_app *app;
  pv_ui ui;
  pv_draw_list dl;
} kiosk;

static int usage(FILE *f) {
  fprintf(
      f,
      "usage: pv-kiosk [--surveys DIR] [--db FILE] [--config FILE] [--window WxH]\n"
      "                [--diagonal INCHES] [--rotate DEG] [--assets DIR] [--tts DIR]\n"
      "       pv-kiosk --headless --surveys DIR --db FILE --size WxH --script FILE\n"
      "                [--shots DIR] [--config FILE] [--diagonal INCHES]\n"
      "                [--rotate DEG] [--sync]\n");
  return 2;
}

static int parse_size(const char *s, int *w, int *h) {
  char *end;
  long a = strtol(s, &end, 10);
  if (end == s || *end != 'x')
    return 0;
  const char *b_str = end + 1;
  long b = strtol(b_str, &end, 10);
  if (end == b_str || *end || a < 100 || b < 100 || a > MAX_SIZE || b > MAX_SIZE)
    return 0;
  *w = (int)a;
  *h = (int)b;
  return 1;
}

static int parse_args(int argc, char **argv, opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    static const struct {
      const char *flag;
      size_t offset;
    } paths[] = {
        {"--surveys", offsetof(opts, surveys)}, {"--db", offsetof(opts, db)},
        {"--config", offsetof(opts, config)},   {"--script", offsetof(opts, script)},
        {"--shots", offsetof(opts, shots)},     {"--assets", offsetof(opts, assets)},
        {"--tts", offsetof(opts, tts)},
    };
    int done = 0;
    for (size_t k = 0; k < sizeof paths / sizeof *paths && !done; k++)
      if (strcmp(a, paths[k].flag) == 0) {
        if (!v)
          return 0;
        *(const char **)((char *)o + paths[k].offset) = v;
        i++;
        done = 1;
      }
    if (done)
      continue;
    if (strcmp(a, "--headless") == 0) {
      o->headless = 1;
    } else if (strcmp(a, "--sync") == 0) {
      o->sync = 1;
    } else if ((strcmp(a, "--window") == 0 || strcmp(a, "--size") == 0) && v) {
      if (!parse_size(v, &o->width, &o->height)) {
        fprintf(stderr, "pv-kiosk: %s %s: expected WxH, e.g. 800x480\n", a, v);
        return 0;
      }
      i++;
    } else if (strcmp(a, "--diagonal") == 0 && v) {
      o->diagonal_in = strtod(v, NULL);
      i++;
    } else if (strcmp(a, "--rotate") == 0 && v) {
      char *end;
      long deg = strtol(v, &end, 10);
      if (end == v || *end || !pv_config_rotate_valid(deg)) {
        fprintf(stderr,
                "pv-kiosk: --rotate %s: expected 0, 90, 180 or 270 (degrees "
                "clockwise)\n",
                v);
        return 0;
      }
      o->rotate = (int)deg;
      i++;
    } else {
      fprintf(stderr, "pv-kiosk: unknown or incomplete option %s\n", a);
      return 0;
    }
  }
  if (o->headless && (!o->script || !o->width))
    return 0;
  return 1;
}

static void speak(void *ud, const char *path);
static void set_capture(kiosk *k);
static void setup_app(kiosk *k);

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every valid, enabled survey under dir; invalid ones are reported
 * (file:line:col) and skipped: the kiosk keeps serving the valid ones. */
static void load_surveys(kiosk *k) {
  DIR *d = opendir(k->o.surveys);
  if (!d) {
    PV_ERROR("kiosk: surveys: %s: %s", k->o.surveys, strerror(errno));
    return;
  }
  char *names[256];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256)
    if (e->d_name[0] != '.')
      names[n++] = strdup(e->d_name);
  closedir(d);
  if (n > 1)
    qsort(names, n, sizeof *names, by_name);
  pv_survey_opts so = {.assets_dir = k->o.assets};
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", k->o.surveys, names[i]);
    if (names[i] && stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
        pv_config_survey_enabled(&k->cfg, names[i]) &&
        k->n_surveys < PV_APP_MAX_SURVEYS) {
      pv_survey *s = NULL;
      pv_diags diags = {0};
      if (pv_survey_load(path, &so, &s, &diags) == PV_OK)
        k->surveys[k->n_surveys++] = s;
      else
        pv_diags_print(&diags, stderr);
      pv_diags_free(&diags);
    }
    free(names[i]);
  }
  /* What the sync engine installed: newer versions replace bundled ones. */
  if (k->has_sync)
    pv_link_load_surveys(k->sync_dir, &k->cfg, k->o.assets, k->surveys, &k->n_surveys,
                         PV_APP_MAX_SURVEYS);
}

/* Between residents, when the sync thread installed new survey versions:
 * loads the whole set again and swaps the app for one over it. On any
 * failure the kiosk keeps what it had. */
static void reload_surveys(kiosk *k) {
  pv_survey *old[PV_APP_MAX_SURVEYS];
  size_t n_old = k->n_surveys;
  memcpy(old, k->surveys, sizeof old);
  k->n_surveys = 0;
  load_surveys(k);
  pv_app *app = k->n_surveys
                    ? pv_app_new(k->surveys, k->n_surveys, k->store, &k->clock, &k->ac)
                    : NULL;
  pv_survey **drop = app ? old : k->surveys;
  size_t n_drop = app ? n_old : k->n_surveys;
  for (size_t i = 0; i < n_drop; i++)
    pv_survey_free(drop[i]);
  if (!app) {
    memcpy(k->surveys, old, sizeof old);
    k->n_surveys = n_old;
    PV_WARN("kiosk: new surveys could not be loaded; keeping the current ones");
    return;
  }
  pv_app_free(k->app);
  k->app = app;
  setup_app(k);
  PV_INFO("kiosk: %zu surveys loaded after a sync", k->n_surveys);
  pv_link_collect(k->sync_dir, k->surveys, k->n_surveys, k->store);
}

static void speak(void *ud, const char *path) {
  kiosk *k = ud;
  if (!path) {
    pv_audio_stop(k->audio);
    return;
  }
  pv_err err = pv_audio_play_file(k->audio, path);
  if (err != PV_OK) /* never the resident's problem: log and carry on */
    PV_DEBUG("kiosk: audio: %s: %s", path, pv_err_detail());
}

/* The microphone for voice questions, through kiosk/recorder.h. */
static int rec_available(void *ud) {
  return pv_recorder_available(ud);
}

static pv_err rec_start(void *ud) {
  return pv_recorder_start(ud);
}

static void rec_stop(void *ud) {
  pv_recorder_stop(ud);
}

static size_t rec_take(void *ud, int16_t *out, size_t max) {
  return pv_recorder_take(ud, out, max);
}

static void set_capture(kiosk *k) {
  k->cap = (pv_qvoice_capture){.available = rec_available,
                               .start = rec_start,
                               .stop = rec_stop,
                               .take = rec_take,
                               .ud = k->rec,
                               .replay_path = k->replay};
  pv_app_set_capture(k->app, k->rec ? &k->cap : NULL);
}

/* The quartiers a session may name: the collector's list when the sync
 * engine saved one, else the offline default beside the surveys folder. */
static void set_quartiers(kiosk *k) {
  char path[4096];
  pv_quartier *q = NULL;
  size_t n = 0;
  pv_err err = PV_ERR_NOTFOUND;
  if (k->has_sync) {
    snprintf(path, sizeof path, "%.4000s/quartiers.json", k->sync_dir);
    err = pv_quartiers_load(path, &q, &n);
  }
  if (err == PV_ERR_NOTFOUND) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", k->o.surveys);
    char *slash = strrchr(dir, '/');
    if (slash && slash[1] == '\0') { /* "content/surveys/" */
      *slash = '\0';
      slash = strrchr(dir, '/');
    }
    if (slash)
      *slash = '\0';
    snprintf(path, sizeof path, "%.4000s/quartiers.json", slash ? dir : ".");
    err = pv_quartiers_load(path, &q, &n);
  }
  if (err != PV_OK) {
    if (err != PV_ERR_NOTFOUND)
      PV_WARN("kiosk: quartiers: %s", pv_err_detail());
    return;
  }
  const char *codes[PV_ANIM_MAX_QUARTIERS], *names[PV_ANIM_MAX_QUARTIERS];
  size_t m = n < PV_ANIM_MAX_QUARTIERS ? n : PV_ANIM_MAX_QUARTIERS;
  for (size_t i = 0; i < m; i++) {
    codes[i] = q[i].code;
    names[i] = q[i].name;
  }
  pv_anim_set_quartiers(pv_app_anim(k->app), codes, names, m);
  PV_INFO("kiosk: %zu quartiers from %s", n, path);
  free(q);
}

/* Animateur mode's player (recorded prompts): env.ud is the platform. */
static void anim_play(void *ud, const char *path) {
  pv_anim_platform *p = ud;
  if (!p->audio)
    return;
  if (!path)
    pv_audio_stop(p->audio);
  else if (pv_audio_play_file(p->audio, path) != PV_OK)
    PV_DEBUG("kiosk: audio: %s: %s", path, pv_err_detail());
}

/* What every new app needs of the platform: voice, PNG, microphone,
 * the animateur side's platform services (with the microphone and a
 * player for recording prompts) and the quartiers. */
static void setup_app(kiosk *k) {
  pv_app_set_speaker(k->app, speak, k);
  pv_app_set_png(k->app, pv_png_encode, NULL);
  set_capture(k);
  pv_anim_env env;
  pv_anim_env_init(&env, &k->anim_plat, k->o.db, k->store, k->sync, k->audio);
  env.capture = k->rec ? &k->cap : NULL;
  env.play = anim_play;
  pv_anim *anim = pv_app_anim(k->app);
  pv_anim_set_env(anim, &env);
  pv_audio_set_volume(k->audio, pv_anim_settings_now(anim)->volume);
  set_quartiers(k);
}

/* 1 while no resident is answering and animateur mode is closed: the
 * moment to swap surveys (attract screen, or tablet mode's handoff). */
static int between_residents(kiosk *k) {
  pv_screen now = pv_app_screen(k->app);
  return (now == PV_SCREEN_ATTRACT || now == PV_SCREEN_HANDOFF) &&
         !pv_app_response(k->app)[0] && !pv_anim_is_open(pv_app_anim(k->app));
}

/* The size the app lays out for into (*w, *h): the panel's output size,
 * turned. When turned, makes the screen texture at that size first (again
 * after a resize); if the renderer cannot, logs it and the kiosk draws
 * unturned from then on, so a frame is never laid out for the wrong size. */
static void screen_size(kiosk *k, int *w, int *h) {
  int pw = 0, ph = 0, tw = 0, th = 0;
  SDL_GetRendererOutputSize(k->ren, &pw, &ph);
  int turned = k->rotate == 90 || k->rotate == 270;
  *w = turned ? ph : pw;
  *h = turned ? pw : ph;
  if (!k->rotate)
    return;
  if (k->screen && SDL_QueryTexture(k->screen, NULL, NULL, &tw, &th) == 0 && tw == *w &&
      th == *h)
    return;
  if (k->screen)
    SDL_DestroyTexture(k->screen);
  /* Opaque, as the panel: the turned copy is then a plain copy of pixels. */
  k->screen = SDL_CreateTexture(k->ren, SDL_PIXELFORMAT_RGB888,
                                SDL_TEXTUREACCESS_TARGET, *w, *h);
  if (k->screen && SDL_SetTextureBlendMode(k->screen, SDL_BLENDMODE_NONE) == 0)
    return;
  PV_ERROR("kiosk: cannot draw the screen turned %d degrees (%dx%d): %s; drawing it "
           "unturned",
           k->rotate, *w, *h, SDL_GetError());
  if (k->screen)
    SDL_DestroyTexture(k->screen);
  k->screen = NULL;
  k->rotate = 0;
  *w = pw;
  *h = ph;
}

/* Draws the draw list on the panel: straight, or into the screen texture
 * then turned onto the panel (k->rotate clockwise). */
static void draw_frame(kiosk *k) {
  if (k->screen && SDL_SetRenderTarget(k->ren, k->screen) != 0) {
    PV_ERROR("kiosk: cannot draw into the screen texture: %s; drawing the screen "
             "unturned from the next frame",
             SDL_GetError());
    SDL_DestroyTexture(k->screen);
    k->screen = NULL;
    k->rotate = 0;
    k->ui.dirty = 1; /* this frame was laid out turned: lay it out again */
  }
  pv_render_list(k->render, &k->dl);
  if (!k->screen)
    return;
  int pw = 0, ph = 0, tw = 0, th = 0;
  SDL_SetRenderTarget(k->ren, NULL);
  SDL_GetRendererOutputSize(k->ren, &pw, &ph);
  SDL_QueryTexture(k->screen, NULL, NULL, &tw, &th);
  /* The texture at the panel's origin, turned about the point that lands
   * it exactly on the panel whatever the sizes' parity: for 90 degrees
   * (pw/2, pw/2), for 270 (ph/2, ph/2), for 180 its own centre. */
  SDL_FRect dst = {0, 0, (float)tw, (float)th};
  float c = k->rotate == 90 ? pw / 2.0f : k->rotate == 270 ? ph / 2.0f : 0;
  SDL_FPoint centre =
      k->rotate == 180 ? (SDL_FPoint){tw / 2.0f, th / 2.0f} : (SDL_FPoint){c, c};
  SDL_SetRenderDrawColor(k->ren, 0, 0, 0, 255);
  SDL_RenderClear(k->ren); /* never rely on the back buffer's old contents */
  SDL_RenderCopyExF(k->ren, k->screen, NULL, &dst, k->rotate, &centre, SDL_FLIP_NONE);
}

/* e with mouse coordinates in the panel's pixels: SDL gives them in
 * window points, which a HiDPI desktop makes half the pixels (the panel
 * of a Pi on KMS/DRM has as many points as pixels). */
static SDL_Event panel_pixels(const kiosk *k, const SDL_Event *e, int pw, int ph) {
  SDL_Event out = *e;
  int ww = 0, wh = 0;
  SDL_GetWindowSize(k->win, &ww, &wh);
  if (ww <= 0 || wh <= 0 || (ww == pw && wh == ph))
    return out;
  if (e->type == SDL_MOUSEBUTTONDOWN || e->type == SDL_MOUSEBUTTONUP) {
    out.button.x = (Sint32)((int64_t)e->button.x * pw / ww);
    out.button.y = (Sint32)((int64_t)e->button.y * ph / wh);
  } else if (e->type == SDL_MOUSEMOTION) {
    out.motion.x = (Sint32)((int64_t)e->motion.x * pw / ww);
    out.motion.y = (Sint32)((int64_t)e->motion.y * ph / wh);
  }
  return out;
}

static void render_frame(kiosk *k) {
  draw_frame(k);
  SDL_RenderPresent(k->ren);
}

static void script_render(void *ud, const pv_draw_list *dl) {
  (void)ud;
  (void)dl; /* headless frames are drawn only when shot */
}

static pv_err script_shot(void *ud, const char *name) {
  kiosk *k = ud;
  char path[4096];
  if (!k->o.shots)
    return PV_OK;
  snprintf(path, sizeof path, "%s/%s.png", k->o.shots, name);
  draw_frame(k); /* the shot is the panel's picture: turned when it is */
  return pv_render_shot(k->ren, path);
}

/* The display's diagonal in inches from SDL's DPI, or 0 when unknown. */
static double display_diagonal(int w, int h) {
  float ddpi = 0;
  if (SDL_GetDisplayDPI(0, &ddpi, NULL, NULL) != 0 || ddpi < 50 || ddpi > 600)
    return 0;
  return sqrt((double)w * w + (double)h * h) / ddpi;
}

/* Waits up to timeout_ms (-1: for ever) for an event; returns 1 with *e,
 * or 0 when the time ran out. SDL 2.26 waits efficiently only where the
 * video driver can block (X11, Wayland); elsewhere (KMS/DRM on a Pi, the
 * dummy driver) SDL_WaitEventTimeout polls every millisecond, about 1000
 * wake-ups a second on an idle kiosk. There we poll every PV_POLL_MS
 * instead: 10 ms keeps a touch within one frame of its feedback. */
#define PV_POLL_MS 10
static int wait_event(SDL_Event *e, int timeout_ms) {
  static int blocking = -1;
  if (blocking < 0) {
    const char *d = SDL_GetCurrentVideoDriver();
    blocking = d && (strcmp(d, "x11") == 0 || strcmp(d, "wayland") == 0);
  }
  if (blocking)
    return timeout_ms < 0 ? SDL_WaitEvent(e) : SDL_WaitEventTimeout(e, timeout_ms);
  Uint64 end = SDL_GetTicks64() + (Uint64)(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    if (SDL_PollEvent(e))
      return 1;
    if (timeout_ms >= 0 && SDL_GetTicks64() >= end)
      return 0;
    SDL_Delay(PV_POLL_MS);
  }
}

/* Identifies the current current.json: a rewrite (tmp + rename) gives a
 * new inode and time; all zero when there is none. */
static current_id current_stamp(const kiosk *k) {
  current_id id;
  char path[PV_LINK_MAX_PATH + 32];
  struct stat sb;
  memset(&id, 0, sizeof id);
  snprintf(path, sizeof path, "%s/" PV_SYNC_CURRENT, k->sync_dir);
  if (stat(path, &sb) == 0) {
    id.ino = sb.st_ino;
    id.mtime_s = sb.st_mtim.tv_sec;
    id.mtime_ns = sb.st_mtim.tv_nsec;
    id.size = sb.st_size;
  }
  return id;
}

/* The interactive loop: sleep until an event or the app's next deadline,
 * draw only when something changed. Escape quits in a window. */
static int run_loop(kiosk *k, int windowed) {
  int w, h, redraw = 1;
  pv_screen was = pv_app_screen(k->app);
  for (;;) {
    if (k->sync) {
      pv_screen now = pv_app_screen(k->app);
      if (now == PV_SCREEN_THANKS && was != PV_SCREEN_THANKS)
        pv_sync_kick(k->sync); /* a response just finished: send it */
      was = now;
      int pgen = pv_sync_prompts_generation(k->sync);
      if (pgen != k->prompts_generation) { /* recordings from the collector */
        k->prompts_generation = pgen;
        pv_app_prompts_changed(k->app);
        redraw = 1;
      }
      int gen = pv_sync_surveys_generation(k->sync);
      if (gen != k->sync_generation && between_residents(k)) {
        k->sync_generation = gen;
        k->current_stamp = current_stamp(k);
        reload_surveys(k);
        redraw = 1;
      }
    }
    /* current.json rewritten by another process (`pv-kiosk sync --once`),
     * which this kiosk's thread cannot have counted: looked at once every
     * SURVEY_CHECK_MS, not on every frame of the attract animation. */
    if (k->has_sync && between_residents(k) &&
        SDL_GetTicks64() >= k->next_survey_check) {
      k->next_survey_check = SDL_GetTicks64() + SURVEY_CHECK_MS;
      current_id stamp = current_stamp(k);
      if (memcmp(&stamp, &k->current_stamp, sizeof stamp) != 0) {
        k->current_stamp = stamp;
        PV_INFO("kiosk: %s/" PV_SYNC_CURRENT " changed; reloading the surveys",
                k->sync_dir);
        reload_surveys(k);
        redraw = 1;
      }
    }
    int64_t next = pv_app_tick(k->app, &k->ui);
    if (next == 0 || k->ui.dirty)
      redraw = 1;
    if (redraw) {
      pv_metrics m;
      screen_size(k, &w, &h);
      pv_metrics_compute(&m, w, h, k->o.diagonal_in, pv_app_rtl(k->app));
      pv_app_frame(k->app, &k->ui, &k->dl, &m, pv_text_measure, k->text);
      render_frame(k);
      redraw = 0;
      continue; /* the frame may have changed state: tick again */
    }
    SDL_Event e;
    int timeout = next < 0 ? -1 : next > 60000 ? 60000 : (int)next;
    /* Syncing: look at the survey set every few seconds even when idle
     * (an atomic read and a stat: nothing to the idle CPU). */
    if (k->has_sync && (timeout < 0 || timeout > SURVEY_CHECK_MS))
      timeout = SURVEY_CHECK_MS;
    if (!wait_event(&e, timeout)) {
      redraw = next >= 0; /* the deadline passed */
      continue;
    }
    do {
      if (e.type == SDL_QUIT)
        return 0;
      if (windowed && e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE)
        return 0;
      /* A keyboard the animateur plugs in (or a desktop with a mouse, where
       * no two fingers exist): Ctrl+Alt+A opens the PIN pad. */
      if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_a &&
          (e.key.keysym.mod & KMOD_CTRL) && (e.key.keysym.mod & KMOD_ALT)) {
        pv_app_open_animateur(k->app, &k->ui);
        redraw = 1;
      }
      if (e.type == SDL_WINDOWEVENT || e.type == SDL_RENDER_TARGETS_RESET)
        redraw = 1;
      if (e.type == SDL_RENDER_DEVICE_RESET && k->screen) {
        SDL_DestroyTexture(k->screen); /* lost: screen_size makes it again */
        k->screen = NULL;
        redraw = 1;
      }
      SDL_GetRendererOutputSize(k->ren, &w, &h); /* the panel's */
      SDL_Event pe = panel_pixels(k, &e, w, h);
      pv_input_event(&k->ui, &pe, w, h, k->rotate, pv_clock_now(&k->clock));
    } while (SDL_PollEvent(&e));
    redraw |= k->ui.dirty;
  }
}

static int open_sdl(kiosk *k) {
  SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
  SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
  SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "0");
  if (k->o.headless) {
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (!getenv("SDL_AUDIODRIVER"))
      setenv("SDL_AUDIODRIVER", "dummy", 1);
  }
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    fprintf(stderr, "pv-kiosk: cannot start the display: %s\n", SDL_GetError());
    return 0;
  }
  if (TTF_Init() != 0) {
    fprintf(stderr, "pv-kiosk: cannot start fonts: %s\n", TTF_GetError());
    return 0;
  }
  IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG);
  Uint32 flags = SDL_WINDOW_ALLOW_HIGHDPI;
  int w = k->o.width, h = k->o.height;
  if (k->o.headless)
    flags |= SDL_WINDOW_HIDDEN;
  else if (!w)
    flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  k->win = SDL_CreateWindow("Porte-voix", SDL_WINDOWPOS_CENTERED,
                            SDL_WINDOWPOS_CENTERED, w ? w : 800, h ? h : 480, flags);
  if (!k->win) {
    fprintf(stderr, "pv-kiosk: cannot open a window: %s\n", SDL_GetError());
    return 0;
  }
  k->ren = SDL_CreateRenderer(k->win, -1, k->o.headless ? SDL_RENDERER_SOFTWARE : 0);
  if (!k->ren)
    k->ren = SDL_CreateRenderer(k->win, -1, SDL_RENDERER_SOFTWARE);
  if (!k->ren) {
    fprintf(stderr, "pv-kiosk: cannot draw: %s\n", SDL_GetError());
    return 0;
  }
  if (!k->o.headless && !w)
    SDL_ShowCursor(SDL_DISABLE);
  char fonts[4096];
  snprintf(fonts, sizeof fonts, "%s/fonts", k->o.assets);
  k->text = pv_text_open(fonts);
  k->render = k->text ? pv_render_open(k->ren, k->text) : NULL;
  if (!k->render) {
    fprintf(stderr, "pv-kiosk: cannot load the fonts in %s\n", fonts);
    return 0;
  }
  k->audio = pv_audio_open(); /* silent without a device, never an error */
  pv_audio_set_volume(k->audio, k->cfg.volume);
  /* Headless runs record a synthetic tone on the script's clock. */
  k->rec = k->o.headless ? pv_recorder_open_synth(&k->virtual_ms) : pv_recorder_open();
  const char *run = getenv("XDG_RUNTIME_DIR");
  snprintf(k->replay, sizeof k->replay, "%.200s/pv-kiosk-replay-%ld.wav",
           run && *run ? run : "/tmp", (long)getpid());
  int sw, sh;
  screen_size(k, &sw, &sh); /* the screen texture now, or unturned */
  if (k->rotate)
    PV_INFO("kiosk: the screen is drawn turned %d degrees clockwise: %dx%d", k->rotate,
            sw, sh);
  if (k->o.diagonal_in <= 0 && !k->o.headless)
    k->o.diagonal_in = display_diagonal(sw, sh);
  return 1;
}

static void close_all(kiosk *k) {
  pv_sync_stop(k->sync);
  pv_app_free(k->app);
  pv_recorder_close(k->rec);
  if (k->replay[0])
    remove(k->replay); /* nothing of a resident stays */
  pv_audio_close(k->audio);
  pv_render_close(k->render);
  pv_text_close(k->text);
  if (k->screen)
    SDL_DestroyTexture(k->screen);
  if (k->ren)
    SDL_DestroyRenderer(k->ren);
  if (k->win)
    SDL_DestroyWindow(k->win);
  if (TTF_WasInit())
    TTF_Quit();
  IMG_Quit();
  SDL_Quit();
  pv_store_close(k->store);
  for (size_t i = 0; i < k->n_surveys; i++)
    pv_survey_free(k->surveys[i]);
  pv_config_free(&k->cfg);
}

int pv_kiosk_main(int argc, char **argv) {
  kiosk *k = calloc(1, sizeof *k);
  int code = 1;
  if (!k)
    return 1;
  k->o.surveys = PV_DEFAULT_SURVEYS_DIR;
  k->o.assets = PV_DEFAULT_ASSETS_DIR;
  k->o.tts = pv_tts_default_dir();
  k->o.db = "porte-voix.db";
  k->o.rotate = -1;
  if (!parse_args(argc, argv, &k->o)) {
    code = usage(stderr);
    goto out;
  }
  pv_config_defaults(&k->cfg);
  if (k->o.config) {
    pv_diags diags = {0};
    pv_err err = pv_config_load(k->o.config, &k->cfg, &diags);
    pv_diags_print(&diags, stderr);
    pv_diags_free(&diags);
    if (err != PV_OK)
      goto out;
  }
  k->rotate = k->o.rotate >= 0 ? k->o.rotate : k->cfg.rotate;
  k->has_sync = pv_link_config(&k->cfg, k->o.db, k->sync_dir, &k->sync_cfg);
  if (k->has_sync) {
    k->sync_cfg.assets_dir = k->o.assets;
    k->current_stamp = current_stamp(k); /* before loading: a change reloads */
  }
  load_surveys(k);
  if (k->n_surveys == 0) {
    fprintf(stderr, "pv-kiosk: no valid survey in %s\n", k->o.surveys);
    goto out;
  }
  k->clock = k->o.headless ? pv_clock_virtual(&k->virtual_ms) : pv_clock_system();
  k->virtual_ms = 1700000000000LL;
  pv_err err = pv_store_open(k->o.db, &k->clock, &k->store);
  if (err != PV_OK) {
    fprintf(stderr, "pv-kiosk: %s: %s\n", pv_strerror(err), pv_err_detail());
    goto out;
  }
  /* Synced versions neither listed nor loaded nor owed to the collector. */
  if (k->has_sync)
    pv_link_collect(k->sync_dir, k->surveys, k->n_surveys, k->store);
  /* The sync thread has its own store connection; headless runs (tests)
   * start it only when asked. */
  if (k->has_sync && (!k->o.headless || k->o.sync)) {
    /* Real time for the thread: its status is about the real network,
     * and the headless virtual clock belongs to the script's thread. */
    pv_clock real = pv_clock_system();
    err = pv_sync_start(&k->sync_cfg, k->o.db, &real, &k->sync);
    if (err != PV_OK) /* the kiosk still collects; the next start retries */
      PV_ERROR("kiosk: sync: %s", pv_err_detail());
    else {
      k->sync_generation = pv_sync_surveys_generation(k->sync);
      k->prompts_generation = pv_sync_prompts_generation(k->sync);
    }
  }
  if (!open_sdl(k))
    goto out;
  /* Recorded prompts are written beside the store, readable by us only. */
  snprintf(k->prompts_dir, sizeof k->prompts_dir, "%.4000s.prompts", k->o.db);
  if (mkdir(k->prompts_dir, 0700) != 0 && errno != EEXIST)
    PV_WARN("kiosk: %s: %s", k->prompts_dir, strerror(errno));
  k->ac = (pv_app_config){.inactivity_s = k->cfg.inactivity_seconds,
                          .autoplay = k->cfg.autoplay,
                          .tts_dir = k->o.tts,
                          .assets_dir = k->o.assets,
                          .default_lang = k->cfg.language,
                          .voice_off = !k->cfg.voice_notes,
                          .volume = k->cfg.volume,
                          .prompts_dir = k->prompts_dir};
  k->app = pv_app_new(k->surveys, k->n_surveys, k->store, &k->clock, &k->ac);
  if (!k->app)
    goto out;
  setup_app(k);
  pv_ui_init(&k->ui, 20);
  if (k->o.headless) {
    if (k->o.shots)
      mkdir(k->o.shots, 0755);
    int sw, sh; /* scripts tap in the app's coordinates: the turned size */
    screen_size(k, &sw, &sh);
    pv_script_env env = {.app = k->app,
                         .ui = &k->ui,
                         .dl = &k->dl,
                         .width = sw,
                         .height = sh,
                         .diagonal_in = k->o.diagonal_in,
                         .clock_ms = &k->virtual_ms,
                         .measure = pv_text_measure,
                         .measure_ud = k->text,
                         .render = script_render,
                         .shot = script_shot,
                         .ud = k};
    code = pv_script_run(&env, k->o.script, stderr);
  } else {
    code = run_loop(k, k->o.width != 0);
  }
out:
  close_all(k);
  free(k);
  return code;
}
