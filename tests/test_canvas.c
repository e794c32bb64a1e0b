/* The drawing canvas (kiosk/canvas.c): strokes change the pixels they
 * should, undo restores exactly, clear, several fingers at once, and
 * memory stays bounded over 10,000 strokes. */
#include <stdlib.h>
#include <string.h>

#include "kiosk/canvas.h"
#include "tests/check.h"

#define RED 0xD55E00FFu
#define BLUE 0x0072B2FFu
#define N_PX ((size_t)PV_CANVAS_W * PV_CANVAS_H)

static uint32_t at(const pv_canvas *c, int x, int y) {
  return pv_canvas_pixels(c)[(size_t)y * PV_CANVAS_W + x];
}

static uint32_t *copy(const pv_canvas *c) {
  uint32_t *p = malloc(N_PX * sizeof *p);
  if (p)
    memcpy(p, pv_canvas_pixels(c), N_PX * sizeof *p);
  return p;
}

static int same(const pv_canvas *c, const uint32_t *p) {
  return memcmp(pv_canvas_pixels(c), p, N_PX * sizeof *p) == 0;
}

static void line(pv_canvas *c, int64_t f, int x0, int y0, int x1, int y1, uint32_t col,
                 int r) {
  CHECK_INT(pv_canvas_begin(c, f, x0, y0, col, r), PV_OK);
  pv_canvas_move(c, f, x1, y1);
  pv_canvas_end(c, f);
}

/* A stroke paints its capsule, joined between far samples, and nothing
 * outside it. */
static void test_stroke(pv_canvas *c) {
  pv_canvas_reset(c);
  CHECK(pv_canvas_blank(c));
  line(c, 1, 100, 100, 900, 100, RED, 10);
  CHECK_INT(at(c, 100, 100), RED);
  CHECK_INT(at(c, 500, 100), RED); /* between the two samples */
  CHECK_INT(at(c, 500, 110), RED); /* at the radius */
  CHECK_INT(at(c, 500, 111), PV_CANVAS_BG);
  CHECK_INT(at(c, 90, 100), RED);         /* round cap */
  CHECK_INT(at(c, 92, 92), PV_CANVAS_BG); /* round, not square */
  CHECK_INT(at(c, 500, 300), PV_CANVAS_BG);
  CHECK(!pv_canvas_blank(c));
  CHECK_INT(pv_canvas_undo_depth(c), 1);
  /* A diagonal through several samples. */
  CHECK_INT(pv_canvas_begin(c, 1, 0, 767, BLUE, 3), PV_OK);
  pv_canvas_move(c, 1, 300, 467);
  pv_canvas_move(c, 1, 600, 167);
  pv_canvas_end(c, 1);
  CHECK_INT(at(c, 150, 617), BLUE);
  CHECK_INT(at(c, 450, 317), BLUE);
  /* Out of the canvas: clamped, no crash. */
  line(c, 1, -50, -50, 5000, 5000, RED, 128);
  CHECK_INT(at(c, 0, 0), RED);
  CHECK_INT(at(c, 1023, 767), RED);
}

/* Undo gives back exactly the pixels before the stroke, also across
 * snapshots and after the stack has been baked. */
static void test_undo(pv_canvas *c) {
  pv_canvas_reset(c);
  CHECK_INT(pv_canvas_undo(c), 0);
  uint32_t *before[PV_CANVAS_MAX_STROKES + 1] = {0};
  for (int i = 0; i < 40; i++) {
    before[i] = copy(c);
    line(c, 1, (i * 37) % 1000, (i * 53) % 760, (i * 91) % 1000, (i * 17) % 760,
         i % 2 ? RED : BLUE, 4 + i % 20);
  }
  for (int i = 39; i >= 0; i--) {
    CHECK_INT(pv_canvas_undo(c), 1);
    CHECK(same(c, before[i]));
  }
  CHECK(pv_canvas_blank(c));
  for (int i = 0; i < 40; i++)
    free(before[i]);
  /* 100 strokes: the oldest are baked, the last 48 or more undo exactly. */
  uint32_t *last = NULL;
  for (int i = 0; i < 100; i++) {
    if (i == 99)
      last = copy(c);
    line(c, 1, i * 10, 0, 1000 - i * 10, 767, i % 2 ? RED : BLUE, 6);
  }
  CHECK(pv_canvas_undo_depth(c) >= PV_CANVAS_MAX_STROKES - PV_CANVAS_SNAPSHOT_EVERY);
  CHECK(pv_canvas_undo_depth(c) <= PV_CANVAS_MAX_STROKES);
  CHECK_INT(pv_canvas_undo(c), 1);
  CHECK(same(c, last));
  free(last);
  int depth = pv_canvas_undo_depth(c);
  for (int i = 0; i < depth; i++)
    pv_canvas_undo(c);
  CHECK_INT(pv_canvas_undo(c), 0);
  CHECK(!pv_canvas_blank(c)); /* the baked strokes stay */
}

/* Clear empties the canvas and is itself undoable. */
static void test_clear(pv_canvas *c) {
  pv_canvas_reset(c);
  line(c, 1, 10, 10, 500, 500, RED, 20);
  uint32_t *drawn = copy(c);
  pv_canvas_clear(c);
  CHECK(pv_canvas_blank(c));
  CHECK_INT(pv_canvas_undo(c), 1);
  CHECK(same(c, drawn));
  free(drawn);
  pv_canvas_clear(c);
  line(c, 1, 600, 600, 700, 700, BLUE, 5);
  CHECK_INT(at(c, 10, 10), PV_CANVAS_BG);
  CHECK_INT(at(c, 650, 650), BLUE);
}

/* Two fingers draw two strokes at once, each joined to its own previous
 * sample, never to the other finger's; an eleventh finger is refused. */
static void test_fingers(pv_canvas *c) {
  pv_canvas_reset(c);
  CHECK_INT(pv_canvas_begin(c, 7, 100, 100, RED, 5), PV_OK);
  CHECK_INT(pv_canvas_begin(c, 8, 100, 600, BLUE, 5), PV_OK);
  for (int i = 1; i <= 8; i++) {
    pv_canvas_move(c, 7, 100 + i * 100, 100);
    pv_canvas_move(c, 8, 100 + i * 100, 600);
  }
  CHECK_INT(at(c, 550, 100), RED);
  CHECK_INT(at(c, 550, 600), BLUE);
  CHECK_INT(at(c, 550, 350), PV_CANVAS_BG); /* no segment across fingers */
  uint32_t *one = NULL;
  pv_canvas_end(c, 8);
  one = copy(c); /* red still in progress */
  pv_canvas_end(c, 7);
  CHECK_INT(pv_canvas_undo_depth(c), 2);
  CHECK_INT(pv_canvas_undo(c), 1); /* the stroke that ended last: red */
  CHECK_INT(at(c, 550, 100), PV_CANVAS_BG);
  CHECK_INT(at(c, 550, 600), BLUE);
  free(one);
  /* Undo while a finger is down keeps its stroke on top. */
  CHECK_INT(pv_canvas_begin(c, 3, 50, 700, RED, 4), PV_OK);
  pv_canvas_move(c, 3, 900, 700);
  CHECK_INT(pv_canvas_undo(c), 1);
  CHECK_INT(at(c, 550, 600), PV_CANVAS_BG);
  CHECK_INT(at(c, 500, 700), RED);
  pv_canvas_end(c, 3);
  for (int f = 0; f < PV_CANVAS_MAX_FINGERS; f++)
    CHECK_INT(pv_canvas_begin(c, 100 + f, f * 50, 10, RED, 2), PV_OK);
  CHECK_INT(pv_canvas_begin(c, 999, 10, 10, RED, 2), PV_ERR_TOOBIG);
  pv_canvas_move(c, 999, 500, 500); /* ignored */
  CHECK_INT(at(c, 500, 500), PV_CANVAS_BG);
  pv_canvas_end_all(c);
  CHECK_INT(pv_canvas_undo_depth(c), 1 + PV_CANVAS_MAX_FINGERS);
}

/* 10,000 strokes, some longer than a stroke's point cap: memory stays
 * under about 5 rasters and the stack's points. */
static void test_bounded(pv_canvas *c) {
  pv_canvas_reset(c);
  size_t cap = 5 * N_PX * sizeof(uint32_t) +
               (size_t)(PV_CANVAS_MAX_STROKES + PV_CANVAS_MAX_FINGERS) *
                   PV_CANVAS_MAX_POINTS * 4 +
               4096;
  size_t peak = 0;
  for (int i = 0; i < 10000; i++) {
    CHECK(pv_canvas_begin(c, i % 3, (i * 7) % 1024, (i * 13) % 768, RED, 1 + i % 30) ==
          PV_OK);
    int n = i % 500 == 0 ? 5000 : 20;
    for (int k = 0; k < n; k++)
      pv_canvas_move(c, i % 3, (i * 7 + k * 3) % 1024, (i * 13 + k) % 768);
    pv_canvas_end(c, i % 3);
    if (i % 7 == 0)
      pv_canvas_undo(c);
    size_t m = pv_canvas_memory(c);
    peak = m > peak ? m : peak;
  }
  CHECK(peak <= cap);
  CHECK(pv_canvas_undo_depth(c) <= PV_CANVAS_MAX_STROKES);
}

int main(void) {
  pv_canvas *c = pv_canvas_new();
  CHECK(c != NULL);
  if (!c)
    return pv_test_done();
  test_stroke(c);
  test_undo(c);
  test_clear(c);
  test_fingers(c);
  test_bounded(c);
  pv_canvas_free(c);
  return pv_test_done();
}
