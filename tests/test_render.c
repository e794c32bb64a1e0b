/* test_render: the SDL side of the kiosk's graphics, headless (dummy video,
 * software renderer). Draws a frame with every command kind, French,
 * Arabic and mixed Arabic/digits/Latin text and an OpenMoji pictogram,
 * reads the pixels back and checks real properties (where the ink lies,
 * wrapping, the placeholder, cache hits). Shots go to a temporary folder
 * and to build/test-shots/ for a person to look at. */
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kiosk/render.h"
#include "kiosk/text.h"
#include "tests/check.h"

#define W 800
#define H 480
#define BG 0xFFF8ECFFu
#define INK 0x1B1B1FFFu

static const char *const FR = "Comment vous sentez-vous dans votre quartier ?";
static const char *const AR = "كيف تشعرون في حيّكم؟";
static const char *const MIXED = "يسكن 12 شخصًا في QPV";

static const pv_rect AR_RECT = {20, 330, 760, 60};
static const pv_rect MIX_RECT = {20, 400, 760, 60};
static const pv_rect PICTO_RECT = {420, 200, 110, 110};
static const pv_rect MISSING_RECT = {560, 200, 110, 110};
static const pv_rect FR_RECT = {420, 20, 370, 160};

typedef struct ink {
  long count;
  int min_x, max_x;
} ink;

/* Reads the renderer's frame as ARGB8888 into a new buffer (caller frees). */
static uint32_t *read_frame(SDL_Renderer *r, int w, int h) {
  uint32_t *px = calloc((size_t)w * (size_t)h, sizeof *px);
  if (!px || SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, px, w * 4) != 0) {
    fprintf(stderr, "read pixels: %s\n", SDL_GetError());
    abort();
  }
  return px;
}

/* Returns the pixels of q (in a w-wide frame) that differ visibly from
 * the 0xRRGGBBAA colour bg, with their horizontal extent. */
static ink find_ink(const uint32_t *px, int w, pv_rect q, pv_color bg) {
  ink k = {0, q.x + q.w, -1};
  int br = (int)(bg >> 24) & 0xFF, bgr = (int)(bg >> 16) & 0xFF,
      bb = (int)(bg >> 8) & 0xFF;
  for (int y = q.y; y < q.y + q.h; y++) {
    for (int x = q.x; x < q.x + q.w; x++) {
      uint32_t p = px[y * w + x];
      int dr = abs((int)((p >> 16) & 0xFF) - br),
          dg = abs((int)((p >> 8) & 0xFF) - bgr), db = abs((int)(p & 0xFF) - bb);
      if (dr + dg + db > 60) {
        k.count++;
        if (x < k.min_x)
          k.min_x = x;
        if (x > k.max_x)
          k.max_x = x;
      }
    }
  }
  return k;
}

/* Fills dl with the test frame; arabic_rtl sets the Arabic paragraph's
 * direction, picto the pictogram path. */
static void build_frame(pv_draw_list *dl, int arabic_rtl, const char *picto) {
  pv_text_style fr = {
      .size_px = 26, .bold = 1, .lang = "fr", .align = PV_ALIGN_START, .max_lines = 2};
  pv_text_style ar = {.size_px = 30,
                      .rtl = arabic_rtl,
                      .lang = "ar",
                      .align = PV_ALIGN_START,
                      .max_lines = 1};
  pv_text_style small = {.size_px = 20, .lang = "fr", .align = PV_ALIGN_START};
  pv_text_style small_ar = {
      .size_px = 20, .rtl = 1, .lang = "ar", .align = PV_ALIGN_START};
  pv_text_style mix = ar;
  mix.rtl = 1;
  pv_draw_clear(dl);
  pv_draw_rect(dl, (pv_rect){0, 0, W, H}, BG, 0);
  /* A card with a frame, and a smiley: disc, eyes, smile. */
  pv_draw_rect(dl, (pv_rect){20, 20, 380, 290}, 0xFFFFFFFFu, 24);
  pv_draw_frame(dl, (pv_rect){20, 20, 380, 290}, 0x00796BFFu, 24, 4);
  pv_draw_circle(dl, (pv_rect){50, 60, 140, 140}, 0xF9A825FFu);
  pv_draw_circle(dl, (pv_rect){88, 100, 18, 24}, INK);
  pv_draw_circle(dl, (pv_rect){134, 100, 18, 24}, INK);
  pv_draw_arc(dl, (pv_rect){75, 95, 90, 80}, INK, 8, 25, 155);
  /* A selection ring around a second disc. */
  pv_draw_circle(dl, (pv_rect){230, 70, 120, 120}, 0x2E7D32FFu);
  pv_draw_ring(dl, (pv_rect){220, 60, 140, 140}, 0x1565C0FFu, 6);
  pv_draw_text(dl, (pv_rect){40, 220, 170, 70}, INK, "Très bien", &fr);
  pv_draw_text(dl, FR_RECT, INK, FR, &fr);
  /* Too long for one line: cut with an ellipsis at the logical end. */
  pv_draw_text(dl, (pv_rect){220, 220, 170, 40}, INK, "Pas du tout content", &small);
  pv_draw_text(dl, (pv_rect){220, 262, 170, 40}, INK, "راضٍ جدًا عن الحي والجيران",
               &small_ar);
  pv_draw_rect(dl, PICTO_RECT, 0xFFFFFFFFu, 16);
  pv_draw_image(dl, PICTO_RECT, picto);
  pv_draw_image(dl, MISSING_RECT,
                PV_SOURCE_DIR "/assets/pictograms/does-not-exist.svg");
  /* A clipped card: the half past the clip must not show. */
  pv_draw_clip(dl, (pv_rect){690, 200, 50, 110});
  pv_draw_rect(dl, (pv_rect){690, 200, 100, 110}, 0xD84315FFu, 20);
  pv_draw_clip(dl, (pv_rect){0, 0, 0, 0});
  pv_draw_text(dl, AR_RECT, INK, AR, &ar);
  pv_draw_text(dl, MIX_RECT, INK, MIXED, &mix);
}

/* Writes the current frame to dir/name and to build/test-shots/name. */
static void shoot(SDL_Renderer *r, const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  CHECK_INT(pv_render_shot(r, path), PV_OK);
  struct stat st;
  CHECK(stat(path, &st) == 0 && st.st_size > 1000);
  if (mkdir(PV_SOURCE_DIR "/build/test-shots", 0755) != 0 && errno != EEXIST)
    perror("mkdir test-shots");
  snprintf(path, sizeof path, "%s/%s", PV_SOURCE_DIR "/build/test-shots", name);
  CHECK_INT(pv_render_shot(r, path), PV_OK);
}

/* Checks measurement: longer is wider, narrow wraps to more lines. */
static void test_measure(pv_text_ctx *t) {
  pv_text_style fr = {.size_px = 30, .bold = 1, .lang = "fr", .max_lines = 3};
  pv_text_style ar = {.size_px = 30, .rtl = 1, .lang = "ar", .max_lines = 1};
  pv_text_metrics a = pv_text_measure(t, "كيف", &ar, 0);
  pv_text_metrics b = pv_text_measure(t, AR, &ar, 0);
  CHECK(a.w > 0 && b.w > a.w);
  CHECK_INT(b.lines, 1);
  pv_text_metrics one = pv_text_measure(t, FR, &fr, 0);
  pv_text_metrics narrow = pv_text_measure(t, FR, &fr, 300);
  CHECK_INT(one.lines, 1);
  CHECK(narrow.lines >= 2);
  CHECK(narrow.h > one.h);
  CHECK(narrow.w <= 300);
  CHECK(!narrow.truncated);
  /* One line allowed where two are needed: truncated. */
  fr.max_lines = 1;
  pv_text_metrics cut = pv_text_measure(t, FR, &fr, 300);
  CHECK(cut.truncated && cut.lines == 1);
  CHECK(cut.w <= 300); /* the ellipsis fits too */
  /* The frame's prompt: two lines in its rect, nothing cut. */
  pv_text_style prompt = {.size_px = 26, .bold = 1, .lang = "fr", .max_lines = 2};
  pv_text_metrics two = pv_text_measure(t, FR, &prompt, FR_RECT.w);
  CHECK_INT(two.lines, 2);
  CHECK(!two.truncated);
  /* Digits use Noto Sans at size_px whatever the paragraph direction
   * (only Arabic script is drawn 12% larger). */
  pv_text_style lat = {.size_px = 30, .lang = "fr"};
  pv_text_metrics d1 = pv_text_measure(t, "12", &lat, 0);
  pv_text_metrics d2 = pv_text_measure(t, "12", &ar, 0);
  CHECK_INT(d1.w, d2.w);
  /* The uncached surface has the measured size. */
  SDL_Surface *surf = pv_text_surface(t, MIXED, &ar, 0, INK);
  pv_text_metrics ms = pv_text_measure(t, MIXED, &ar, 0);
  CHECK(surf && surf->w == ms.w && surf->h >= ms.h);
  SDL_FreeSurface(surf);
  /* Empty and NULL are harmless. */
  CHECK_INT(pv_text_measure(t, "", &lat, 100).w, 0);
  CHECK_INT(pv_text_measure(t, NULL, &lat, 100).w, 0);
}

/* Returns the milliseconds one render of dl takes. */
static double time_frame(SDL_Renderer *r, pv_render_ctx *rc, const pv_draw_list *dl) {
  Uint64 t0 = SDL_GetPerformanceCounter();
  SDL_RenderClear(r);
  pv_render_list(rc, dl);
  SDL_RenderFlush(r);
  Uint64 t1 = SDL_GetPerformanceCounter();
  return (double)(t1 - t0) * 1000.0 / (double)SDL_GetPerformanceFrequency();
}

int main(void) {
  static pv_draw_list dl;
  setenv("SDL_VIDEODRIVER", "dummy", 1);
  setenv("SDL_RENDER_DRIVER", "software", 1);
  setenv("SDL_AUDIODRIVER", "dummy", 1);
  if (SDL_Init(SDL_INIT_VIDEO) != 0) {
    fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
    return 1;
  }
  IMG_Init(IMG_INIT_PNG);
  char dir[256];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());

  SDL_Window *win = SDL_CreateWindow("test_render", 0, 0, W, H, SDL_WINDOW_HIDDEN);
  SDL_Renderer *r = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE) : NULL;
  pv_text_ctx *t = pv_text_open(PV_SOURCE_DIR "/assets/fonts");
  pv_render_ctx *rc = r && t ? pv_render_open(r, t) : NULL;
  CHECK(win && r && t && rc);
  if (!rc)
    return pv_test_done();
  CHECK(pv_text_open("/nonexistent") == NULL);

  test_measure(t);

  /* Frame 1: RTL Arabic aligned START (right). */
  const char *house = PV_SOURCE_DIR "/assets/pictograms/house.svg";
  build_frame(&dl, 1, house);
  SDL_RenderClear(r);
  pv_render_list(rc, &dl);
  shoot(r, dir, "render-rtl.png");
  uint32_t *px = read_frame(r, W, H);
  ink ar = find_ink(px, W, AR_RECT, BG);
  CHECK(ar.count > 200);
  CHECK(ar.min_x > AR_RECT.x + AR_RECT.w / 2);   /* all in the right half */
  CHECK(ar.max_x >= AR_RECT.x + AR_RECT.w - 12); /* flush right */
  ink mix = find_ink(px, W, MIX_RECT, BG);
  CHECK(mix.count > 200 && mix.min_x > MIX_RECT.x + MIX_RECT.w / 2);
  /* The pictogram: not background, not the white card alone. */
  pv_rect inner = {PICTO_RECT.x + 10, PICTO_RECT.y + 10, PICTO_RECT.w - 20,
                   PICTO_RECT.h - 20};
  ink pic = find_ink(px, W, inner, 0xFFFFFFFFu);
  CHECK(pic.count > inner.w * inner.h / 5);
  /* The placeholder: its fill at the centre, not the background. */
  uint32_t centre = px[(MISSING_RECT.y + MISSING_RECT.h / 2) * W + MISSING_RECT.x +
                       MISSING_RECT.w / 2];
  CHECK_INT(centre & 0xFFFFFF, 0xE6E1D8);
  /* The clip: inside is red-orange, past the clip is background. */
  CHECK_INT(px[250 * W + 700] & 0xFFFFFF, 0xD84315);
  CHECK_INT(px[250 * W + 760] & 0xFFFFFF, BG >> 8);
  /* Shapes: the disc's centre is amber, the ring's band is blue. */
  CHECK_INT(px[80 * W + 120] & 0xFFFFFF, 0xF9A825);
  CHECK_INT(px[130 * W + 223] & 0xFFFFFF, 0x1565C0);
  /* French wrapped on two lines inside its rect. */
  ink fr = find_ink(px, W, FR_RECT, BG);
  CHECK(fr.count > 500 && fr.min_x < FR_RECT.x + 10);
  free(px);

  /* Frame 2, identical: every text comes from the cache. */
  pv_text_stats s1, s2;
  pv_render_stats i1, i2;
  pv_text_get_stats(t, &s1);
  pv_render_get_stats(rc, &i1);
  SDL_RenderClear(r);
  pv_render_list(rc, &dl);
  pv_text_get_stats(t, &s2);
  pv_render_get_stats(rc, &i2);
  CHECK_INT(s2.texture_misses, s1.texture_misses);
  CHECK_INT(s2.texture_hits - s1.texture_hits, 6);
  CHECK_INT(i2.image_misses, i1.image_misses);
  CHECK_INT(i2.image_hits - i1.image_hits, 2);
  CHECK_INT(i2.image_failures, 1); /* the missing file, tried once */

  /* Frame 3: the same Arabic in an LTR paragraph aligned START (left). */
  build_frame(&dl, 0, house);
  SDL_RenderClear(r);
  pv_render_list(rc, &dl);
  shoot(r, dir, "render-ltr.png");
  px = read_frame(r, W, H);
  ar = find_ink(px, W, AR_RECT, BG);
  CHECK(ar.count > 200);
  CHECK(ar.min_x <= AR_RECT.x + 12);
  CHECK(ar.max_x < AR_RECT.x + AR_RECT.w / 2);
  free(px);

  /* Frame 4: a broken pictogram path: placeholder, no crash. */
  build_frame(&dl, 1, PV_TEST_DATA "/no-such-dir/broken.png");
  SDL_RenderClear(r);
  pv_render_list(rc, &dl);
  px = read_frame(r, W, H);
  centre = px[(PICTO_RECT.y + PICTO_RECT.h / 2) * W + PICTO_RECT.x + PICTO_RECT.w / 2];
  CHECK_INT(centre & 0xFFFFFF, 0xE6E1D8);
  free(px);

  /* Timing: one cached frame at 1280x800 with the software renderer. */
  SDL_Window *big = SDL_CreateWindow("bench", 0, 0, 1280, 800, SDL_WINDOW_HIDDEN);
  SDL_Renderer *br = big ? SDL_CreateRenderer(big, -1, SDL_RENDERER_SOFTWARE) : NULL;
  /* Its own text engine: cached textures belong to one renderer. */
  pv_text_ctx *bt = pv_text_open(PV_SOURCE_DIR "/assets/fonts");
  pv_render_ctx *brc = br && bt ? pv_render_open(br, bt) : NULL;
  CHECK(brc != NULL);
  if (brc) {
    build_frame(&dl, 1, house);
    dl.cmds[0].rect = (pv_rect){0, 0, 1280, 800};
    double first = time_frame(br, brc, &dl);
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
      double ms = time_frame(br, brc, &dl);
      if (ms < best)
        best = ms;
    }
    printf("1280x800 software: first frame %.2f ms, cached frame %.2f ms\n", first,
           best);
    pv_render_close(brc);
  }
  pv_text_close(bt);
  if (br)
    SDL_DestroyRenderer(br);
  if (big)
    SDL_DestroyWindow(big);

  pv_text_stats fin;
  pv_text_get_stats(t, &fin);
  printf("text cache: %lu/%lu texture hits/misses, %lu/%lu measure hits/misses, "
         "%d entries, %d fonts\n",
         fin.texture_hits, fin.texture_misses, fin.measure_hits, fin.measure_misses,
         fin.entries, fin.fonts);

  pv_render_close(rc);
  pv_text_close(t);
  SDL_DestroyRenderer(r);
  SDL_DestroyWindow(win);
  pv_test_rmtree(dir);
  IMG_Quit();
  SDL_Quit();
  return pv_test_done();
}
