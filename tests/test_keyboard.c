/* test_keyboard: the on-screen keyboards as data and the UTF-8 edit buffer
 * (kiosk/keyboard.c): every key of every page types what it shows, the
 * French accents and the Arabic letters are all there, backspace removes
 * one whole code point, and max_length counts code points. Then the
 * widget (kiosk/q_text.c) driven by pointer events: keys at least 12 mm
 * on every screen size, refusal past max_length shown and spoken, the
 * answer's JSON string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kiosk/keyboard.h"
#include "kiosk/q_text.h"

/* Every CHAR key, pressed in each shift state on a fresh buffer, types
 * exactly its output, and releases shift. */
static void test_every_key_types(void) {
  int keys = 0;
  for (int l = 0; l < PV_KB_LAYOUTS; l++)
    for (int p = 0; p < PV_KB_PAGES; p++) {
      const pv_kb_page *pg = pv_kb_page_get(l, p);
      CHECK(pg->n_rows >= 4 && pg->n_rows <= PV_KB_MAX_ROWS);
      int has_back = 0, has_space = 0, has_lang = 0, has_page = 0;
      for (int r = 0; r < pg->n_rows; r++) {
        CHECK(pg->rows[r].n > 0 && pg->rows[r].n <= PV_KB_MAX_KEYS);
        for (int i = 0; i < pg->rows[r].n; i++) {
          const pv_kb_key *k = &pg->rows[r].keys[i];
          CHECK(k->width > 0);
          has_back |= k->kind == PV_KB_BACKSPACE;
          has_space |= k->kind == PV_KB_SPACE;
          has_lang |= k->kind == PV_KB_LANG;
          has_page |= k->kind == PV_KB_PAGE;
          if (k->kind != PV_KB_CHAR && k->kind != PV_KB_SPACE)
            continue;
          for (int sh = 0; sh < 2; sh++) {
            pv_kb kb = {l, p, sh};
            pv_kb_buf b;
            pv_kb_buf_init(&b, 10);
            const char *out = pv_kb_key_output(k, sh);
            CHECK(out && pv_kb_utf8_count(out) >= 1 && pv_kb_utf8_count(out) <= 2);
            CHECK_INT(pv_kb_press(&kb, &b, k), PV_KB_TYPED);
            CHECK_STR(b.s, out);
            CHECK_INT(b.chars, pv_kb_utf8_count(out));
            CHECK_INT(kb.shift, 0);
            CHECK_INT(kb.layout, l);
            CHECK_INT(kb.page, p);
            /* And the script finds a key for each single code point. */
            if (pv_kb_utf8_count(out) == 1) {
              pv_kb at = {l, 0, 0};
              CHECK(pv_kb_locate(out, &at));
            }
            keys++;
          }
        }
      }
      CHECK(has_back && has_space && has_lang && has_page);
    }
  CHECK(keys > 150);
}

/* The accented row, capitals included, and the mode keys. */
static void test_french(void) {
  static const char *const accents[] = {"é", "è", "à", "ç", "ù", "â", "ê",
                                        "î", "ô", "û", "ë", "ï", "œ"};
  static const char *const capitals[] = {"É", "È", "À", "Ç", "Ù", "Â", "Ê",
                                         "Î", "Ô", "Û", "Ë", "Ï", "Œ"};
  for (size_t i = 0; i < sizeof accents / sizeof *accents; i++) {
    pv_kb at = {PV_KB_FR, 0, 0};
    CHECK(pv_kb_locate(accents[i], &at));
    CHECK_INT(at.layout, PV_KB_FR);
    CHECK_INT(at.page, PV_KB_LETTERS);
    CHECK_INT(at.shift, 0);
    at = (pv_kb){PV_KB_FR, 0, 0};
    CHECK(pv_kb_locate(capitals[i], &at));
    CHECK_INT(at.shift, 1);
  }
  const char *ascii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                      " ,.'-?!:;()\"@#%&*+=/";
  for (const char *c = ascii; *c; c++) {
    char one[2] = {*c, 0};
    pv_kb at = {PV_KB_FR, 0, 0};
    int found = pv_kb_locate(one, &at);
    if (!found)
      fprintf(stderr, "no key types \"%s\"\n", one);
    CHECK(found);
  }
  pv_kb at = {PV_KB_FR, 0, 0};
  CHECK(!pv_kb_locate("\t", &at));
  CHECK(!pv_kb_locate("ß", &at));

  pv_kb kb;
  pv_kb_buf b;
  pv_kb_buf_init(&b, 20);
  pv_kb_reset(&kb, pv_kb_layout_for("fr"));
  const pv_kb_page *pg = pv_kb_page_get(kb.layout, kb.page);
  const pv_kb_key *shift = &pg->rows[3].keys[0], *lang = &pg->rows[4].keys[1],
                  *page = &pg->rows[4].keys[0];
  CHECK_INT(shift->kind, PV_KB_SHIFT);
  CHECK_INT(pv_kb_press(&kb, &b, shift), PV_KB_MODE);
  CHECK_INT(pv_kb_press(&kb, &b, &pg->rows[1].keys[0]), PV_KB_TYPED); /* A */
  CHECK_INT(pv_kb_press(&kb, &b, &pg->rows[1].keys[0]), PV_KB_TYPED); /* a */
  CHECK_STR(b.s, "Aa");
  CHECK_INT(pv_kb_press(&kb, &b, page), PV_KB_MODE);
  CHECK_INT(kb.page, PV_KB_SYMBOLS);
  CHECK_INT(pv_kb_press(&kb, &b, lang), PV_KB_MODE);
  CHECK_INT(kb.layout, PV_KB_AR);
  CHECK_INT(kb.page, PV_KB_LETTERS);
  CHECK_STR(pv_kb_layout_name(PV_KB_AR), "ع");
  CHECK_STR(pv_kb_layout_name(PV_KB_FR), "FR");
  CHECK_INT(pv_kb_layout_for("ar"), PV_KB_AR);
  CHECK_INT(pv_kb_layout_for("ar-MA"), PV_KB_AR);
  CHECK_INT(pv_kb_layout_for("arn"), PV_KB_FR);
  CHECK_INT(pv_kb_layout_for(NULL), PV_KB_FR);
}

/* The 28 letters, the hamza forms, taa marbuta, alif maqsura, Arabic
 * punctuation: all on the Arabic layout, without leaving it. */
static void test_arabic(void) {
  static const char *const letters[] = {
      "ا", "ب", "ت", "ث", "ج", "ح", "خ", "د", "ذ", "ر", "ز", "س", "ش", "ص", "ض",
      "ط", "ظ", "ع", "غ", "ف", "ق", "ك", "ل", "م", "ن", "ه", "و", "ي", "ء", "أ",
      "إ", "آ", "ؤ", "ئ", "ة", "ى", "،", "؟", "ـ", "َ",  "ُ",  "ِ",  "ّ",  "ْ"};
  for (size_t i = 0; i < sizeof letters / sizeof *letters; i++) {
    pv_kb at = {PV_KB_AR, 0, 0};
    int found = pv_kb_locate(letters[i], &at);
    if (!found)
      fprintf(stderr, "no key types \"%s\"\n", letters[i]);
    CHECK(found);
    CHECK_INT(at.layout, PV_KB_AR);
  }
  /* The lam-alef key types two code points. */
  const pv_kb_page *pg = pv_kb_page_get(PV_KB_AR, PV_KB_LETTERS);
  int found = 0;
  for (int i = 0; i < pg->rows[2].n; i++) {
    const pv_kb_key *k = &pg->rows[2].keys[i];
    if (k->kind == PV_KB_CHAR && strcmp(k->text, "لا") == 0) {
      pv_kb kb = {PV_KB_AR, 0, 0};
      pv_kb_buf b;
      pv_kb_buf_init(&b, 2);
      CHECK_INT(pv_kb_press(&kb, &b, k), PV_KB_TYPED);
      CHECK_INT(b.chars, 2);
      CHECK_INT(pv_kb_press(&kb, &b, k), PV_KB_REFUSED);
      found = 1;
    }
  }
  CHECK(found);
}

static void test_buffer(void) {
  pv_kb_buf b;
  pv_kb_buf_init(&b, 5);
  CHECK(pv_kb_buf_insert(&b, "é"));
  CHECK(pv_kb_buf_insert(&b, "ع"));
  CHECK(pv_kb_buf_insert(&b, "€"));
  CHECK(pv_kb_buf_insert(&b, "\xF0\x9F\x98\x80")); /* U+1F600, 4 bytes */
  CHECK_INT(b.chars, 4);
  CHECK_INT((int)b.len, 2 + 2 + 3 + 4);
  CHECK(pv_kb_buf_insert(&b, "a"));
  CHECK(!pv_kb_buf_insert(&b, "b")); /* max 5 code points, not bytes */
  CHECK(!pv_kb_buf_insert(&b, ""));
  CHECK_INT(b.chars, 5);
  /* Backspace removes whole code points, from the end. */
  static const char *const after[] = {"éع€\xF0\x9F\x98\x80", "éع€", "éع", "é", ""};
  for (int i = 0; i < 5; i++) {
    CHECK(pv_kb_buf_backspace(&b));
    CHECK_STR(b.s, after[i]);
    CHECK_INT(b.chars, 4 - i);
    CHECK_INT(pv_kb_utf8_count(b.s), 4 - i);
  }
  CHECK(!pv_kb_buf_backspace(&b));
  /* Invalid UTF-8 never enters. */
  CHECK(!pv_kb_buf_insert(&b, "\xC3"));
  CHECK(!pv_kb_buf_insert(&b, "\xC0\x80"));     /* overlong */
  CHECK(!pv_kb_buf_insert(&b, "\xED\xA0\x80")); /* surrogate */
  CHECK_INT(b.chars, 0);
  /* Set keeps whole code points up to max. */
  CHECK(!pv_kb_buf_set(&b, "àéîôùç"));
  CHECK_STR(b.s, "àéîôù");
  CHECK(pv_kb_buf_set(&b, "الدرج"));
  CHECK_INT(b.chars, 5);
  CHECK_INT((int)b.len, 10);
  /* Bounds: max clamped to the format's range; a full 2000 fits. */
  pv_kb_buf_init(&b, 0);
  CHECK_INT(b.max, 1);
  pv_kb_buf_init(&b, 5000);
  CHECK_INT(b.max, PV_KB_MAX_CHARS);
  for (int i = 0; i < PV_KB_MAX_CHARS; i++)
    if (!pv_kb_buf_insert(&b, "\xF0\x9F\x98\x80")) {
      CHECK_INT(i, PV_KB_MAX_CHARS);
      break;
    }
  CHECK_INT(b.chars, PV_KB_MAX_CHARS);
  CHECK(!pv_kb_buf_insert(&b, "a"));
  /* Direction of the first strong character. */
  CHECK_INT(pv_kb_text_rtl("12 الدرج abc", 0), 1);
  CHECK_INT(pv_kb_text_rtl("« Le hall » الدرج", 1), 0);
  CHECK_INT(pv_kb_text_rtl("123 !", 1), 1);
  CHECK_INT(pv_kb_text_rtl("", 0), 0);
}

/* ---- the widget ---------------------------------------------------------- */

typedef struct bench {
  pv_qtext s;
  pv_question q;
  pv_ui ui;
  pv_draw_list dl;
  pv_metrics m;
  int64_t ms;
  int said[PV_STR__COUNT];
  int prompts;
} bench;

static void say(void *ud, pv_str_id id) {
  ((bench *)ud)->said[id]++;
}

static void say_prompt(void *ud) {
  ((bench *)ud)->prompts++;
}

static void frame(bench *b) {
  pv_qtext_env e = {.ui = &b->ui,
                    .dl = &b->dl,
                    .m = &b->m,
                    .q = &b->q,
                    .lang = "fr",
                    .keyboard_icon = "k.svg",
                    .done_icon = "d.svg",
                    .backspace_icon = "b.svg",
                    .say = say,
                    .say_prompt = say_prompt,
                    .ud = b};
  pv_rect all = {6, 6, b->m.width - 12, b->m.height - 12};
  pv_rect area = {12, 150, b->m.width - 24, b->m.height / 3};
  pv_draw_clear(&b->dl);
  pv_ui_begin(&b->ui);
  pv_qtext_do(&b->s, &e, area, all);
  pv_ui_end(&b->ui);
}

/* Taps widget id (which must be on screen); returns 0 when it is not. */
static int tap(bench *b, const char *id) {
  const pv_rect *r = pv_ui_find(&b->ui, id);
  if (!r) {
    fprintf(stderr, "no widget %s\n", id);
    return 0;
  }
  int x = r->x + r->w / 2, y = r->y + r->h / 2;
  pv_ui_pointer(&b->ui, PV_PTR_DOWN, 1, x, y, b->ms += 10);
  frame(b);
  pv_ui_pointer(&b->ui, PV_PTR_UP, 1, x, y, b->ms += 80);
  frame(b);
  frame(b);
  return 1;
}

static void bench_open(bench *b, int w, int h, int rtl, int max_length,
                       const char *json) {
  memset(b, 0, sizeof *b);
  b->q.type = PV_Q_TEXT;
  b->q.max_length = max_length;
  pv_metrics_compute(&b->m, w, h, 0, rtl);
  pv_ui_init(&b->ui, 20);
  pv_qtext_load(&b->s, &b->q, json, rtl ? "ar" : "fr");
  frame(b);
}

/* Every key of every mode, on every screen size: at least the smallest
 * target (one pixel of rounding), inside the screen, not overlapping. */
static void test_key_sizes(void) {
  static const int sizes[][2] = {{800, 480}, {1280, 800}, {480, 800}, {1920, 1080}};
  for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
    bench *b = calloc(1, sizeof *b);
    bench_open(b, sizes[z][0], sizes[z][1], 0, 0, NULL);
    CHECK(tap(b, "keyboard"));
    for (int l = 0; l < PV_KB_LAYOUTS; l++)
      for (int p = 0; p < PV_KB_PAGES; p++)
        for (int sh = 0; sh < 2; sh++) {
          b->s.kb = (pv_kb){l, p, sh};
          frame(b);
          frame(b);
          int keys = 0;
          for (int i = 0; i < b->ui.n_last; i++) {
            const pv_ui_widget *w = &b->ui.last[i];
            int side = w->rect.w < w->rect.h ? w->rect.w : w->rect.h;
            if (side < b->m.touch_min - 1)
              fprintf(stderr, "%dx%d: %s is %dx%d\n", sizes[z][0], sizes[z][1], w->id,
                      w->rect.w, w->rect.h);
            CHECK(side >= b->m.touch_min - 1);
            CHECK(w->rect.x >= 0 && w->rect.y >= 0 &&
                  w->rect.x + w->rect.w <= b->m.width &&
                  w->rect.y + w->rect.h <= b->m.height);
            for (int j = 0; j < i; j++) {
              const pv_rect *o = &b->ui.last[j].rect;
              CHECK(w->rect.x >= o->x + o->w || o->x >= w->rect.x + w->rect.w ||
                    w->rect.y >= o->y + o->h || o->y >= w->rect.y + w->rect.h);
            }
            keys += strncmp(w->id, "key:", 4) == 0;
          }
          CHECK(keys >= 30);
        }
    free(b);
  }
}

/* Past max_length a key is refused, shown (the count in the answer stays)
 * and spoken; backspace makes room again. */
static void test_widget(void) {
  bench *b = calloc(1, sizeof *b);
  bench_open(b, 800, 480, 0, 3, "\"àb\"");
  CHECK_INT(pv_qtext_is_open(&b->s), 0);
  CHECK(pv_ui_find(&b->ui, "field") != NULL); /* what was written shows */
  CHECK(pv_ui_find(&b->ui, "key:a") == NULL);
  CHECK(tap(b, "field"));
  CHECK_INT(pv_qtext_is_open(&b->s), 1);
  CHECK(tap(b, "key:é"));
  CHECK_STR(b->s.buf.s, "àbé");
  CHECK_INT(b->said[PV_STR_MAX_REACHED], 0);
  CHECK(tap(b, "key:z"));
  CHECK_STR(b->s.buf.s, "àbé");
  CHECK_INT(b->s.refused, 1);
  CHECK_INT(b->said[PV_STR_MAX_REACHED], 1);
  /* The refusal is drawn: a red frame around the field. */
  int red = 0;
  for (size_t i = 0; i < b->dl.count; i++)
    red |= b->dl.cmds[i].kind == PV_DRAW_FRAME && b->dl.cmds[i].color == 0xD84315FFu;
  CHECK(red);
  CHECK(tap(b, "key:backspace"));
  CHECK_INT(b->s.refused, 0);
  CHECK(tap(b, "key:shift"));
  CHECK(tap(b, "key:Z")); /* shown as typed: the key's id follows shift */
  CHECK_STR(b->s.buf.s, "àbZ");
  CHECK(pv_ui_find(&b->ui, "key:z") != NULL); /* shift is one-shot */
  cJSON *v = pv_qtext_encode(&b->s);
  char *json = v ? cJSON_PrintUnformatted(v) : NULL;
  CHECK_STR(json ? json : "(null)", "\"àbZ\"");
  cJSON_free(json);
  cJSON_Delete(v);
  CHECK(tap(b, "keyboard:done"));
  CHECK_INT(pv_qtext_is_open(&b->s), 0);
  /* Held, the keyboard button speaks the prompt. */
  const pv_rect *k = pv_ui_find(&b->ui, "keyboard");
  CHECK(k != NULL);
  if (k) {
    pv_ui_pointer(&b->ui, PV_PTR_DOWN, 1, k->x + 5, k->y + 5, b->ms += 10);
    frame(b);
    pv_ui_tick(&b->ui, b->ms += PV_UI_HOLD_MS + 50);
    frame(b);
    pv_ui_pointer(&b->ui, PV_PTR_UP, 1, k->x + 5, k->y + 5, b->ms += 10);
    frame(b);
    CHECK_INT(b->prompts, 1);
    CHECK_INT(pv_qtext_is_open(&b->s), 0);
  }
  /* Erased to nothing: no answer. Text past max_length is cut on load,
   * a non-string answer is ignored, the keyboard opens in Arabic for an
   * Arabic speaker. */
  pv_qtext_load(&b->s, &b->q, "\"abcdef\"", "ar");
  CHECK_STR(b->s.buf.s, "abc");
  CHECK_INT(b->s.kb.layout, PV_KB_AR);
  pv_qtext_load(&b->s, &b->q, "[1]", "fr");
  CHECK(pv_qtext_encode(&b->s) == NULL);
  free(b);
}

int main(void) {
  test_every_key_types();
  test_french();
  test_arabic();
  test_buffer();
  test_key_sizes();
  test_widget();
  return pv_test_done();
}
