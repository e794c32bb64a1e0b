/* anim_prompts: the animateur records a survey's prompts and choice labels
 * in any language (issue 6, item 7; docs/animateur.md "Recorded prompts").
 *
 * Four steps on one screen ("prompts"): the survey (when several), the
 * language (the survey's own, then languages speech synthesis does not
 * know, each by its own name and its French name), the list of texts
 * (each question's prompt, then its choices, pins or photos, with a mark
 * when recorded in that language), and the recording panel: the text in
 * French so the animateur knows what to say, the resident's voice widget
 * (kiosk/q_voice: record with a live level, at most PROMPT_SECONDS, stop,
 * listen, record again), then keep (pv_store_prompt_record) or delete the
 * kept one (pv_store_prompt_delete). Keeping or deleting bumps
 * a->prompts_gen, which the app watches to reload what it plays. The
 * microphone and the player come from pv_anim_env. French, left to right;
 * no SDL.
 *
 * Widget ids: prompts:survey:ID, prompts:lang:TAG, prompt:KEY, page:prev,
 * page:next, back; on the panel record, stop, replay, rerecord, delete
 * (q_voice), prompts:keep, prompts:delete, prompts:next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kiosk/anim_internal.h"
#include "kiosk/palette.h"
#include "kiosk/strings.h"

#define PROMPT_SECONDS 30 /* the longest recording of one text */
#define MAX_ITEMS (PV_SURVEY_MAX_QUESTIONS * (PV_SURVEY_MAX_OPTIONS + 1))
#define MAX_LANGS (PV_SURVEY_MAX_LANGUAGES + 16) /* the survey's, then the table's */
#define MAX_SURVEYS 32 /* cards on the first step (the app loads at most 32) */

/* Languages offered beyond the survey's own: ones speech synthesis does
 * not know (or not well), spoken in the territory's quartiers. */
static const char *const extra_langs[] = {"ary", "tr",  "zdj", "rom", "wo",
                                          "bm",  "snk", "kab", "ta",  "pt"};
#define N_EXTRA (sizeof extra_langs / sizeof extra_langs[0])

/* Languages' French names, for the animateur who does not read them. */
static const struct {
  const char *tag, *french;
} french_names[] = {
    {"fr", "français"},        {"ar", "arabe"},   {"en", "anglais"},
    {"es", "espagnol"},        {"it", "italien"}, {"de", "allemand"},
    {"ro", "roumain"},         {"ru", "russe"},   {"uk", "ukrainien"},
    {"fa", "persan"},          {"ps", "pachto"},  {"zh", "chinois"},
    {"ary", "arabe marocain"}, {"tr", "turc"},    {"zdj", "comorien"},
    {"rom", "romani"},         {"wo", "wolof"},   {"bm", "bambara"},
    {"snk", "soninké"},        {"kab", "kabyle"}, {"ta", "tamoul"},
    {"pt", "portugais"},
};

typedef enum step { STEP_SURVEY, STEP_LANG, STEP_LIST, STEP_RECORD } step;

/* One text a survey speaks. */
typedef struct item {
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  const char *text;  /* in French (else the survey's first language); borrowed */
  const char *image; /* its pictogram, or NULL; borrowed */
  int is_question;
} item;

typedef struct state {
  step step;
  size_t survey; /* index in a->surveys */
  char langs[MAX_LANGS][PV_STORE_MAX_LANG + 1];
  char counts[MAX_LANGS][32]; /* "3 sur 25": texts recorded, per language */
  size_t n_langs;
  char lang[PV_STORE_MAX_LANG + 1]; /* the language being recorded */
  item items[MAX_ITEMS];
  size_t n_items;
  pv_store_prompt *have; /* the survey's recordings, every language */
  size_t n_have;
  int page;
  size_t cur;     /* the panel's item */
  int stored;     /* the panel's item has a kept recording in lang */
  pv_qvoice take; /* what the microphone gave */
  pv_question q;  /* a voice question of PROMPT_SECONDS: the widget's bounds */
  char msg[200];  /* the last action's outcome, French */
  int msg_ok;
  char title[160]; /* the top bar's, formatted (draw commands borrow it) */
} state;

static state *state_of(pv_anim *a) {
  if (!a->prompts && (a->prompts = calloc(1, sizeof(state))))
    ((state *)a->prompts)->q =
        (pv_question){.type = PV_Q_VOICE, .max_seconds = PROMPT_SECONDS};
  return a->prompts;
}

static const char *french_name(const char *tag) {
  for (size_t i = 0; i < sizeof french_names / sizeof french_names[0]; i++)
    if (!strcmp(french_names[i].tag, tag))
      return french_names[i].french;
  return tag;
}

/* The language's own name as the fonts can draw it, else its tag. */
static const char *endonym(const char *tag) {
  const char *e = pv_lang_shown_name(tag);
  return e ? e : tag;
}

/* The largest text size from big down to small at which text fits w
 * pixels on one line (small when text is measured by estimate). */
static int fit_line(const pv_look *lk, const char *text, int big, int small, int bold,
                    const char *lang, int w) {
  for (int size = big; lk->measure && size > small; size -= 2) {
    pv_text_style st = {.size_px = size,
                        .bold = bold,
                        .rtl = pv_lang_is_rtl(lang),
                        .lang = lang,
                        .align = PV_ALIGN_CENTER,
                        .max_lines = 1};
    if (lk->measure(lk->mud, text, &st, 1 << 20).w <= w)
      return size;
  }
  return small;
}

/* The largest text size from big down to small at which text fits a box
 * of w x h pixels (h 0: any height) in lines lines. */
static int fit_box(const pv_look *lk, const char *text, int big, int small, int bold,
                   int lines, int w, int h) {
  for (int size = big; size > small; size -= 2) {
    int need = pv_look_text_height(lk, text, size, bold, lines, w);
    if (pv_look_text_height(lk, text, size, bold, lines + 1, w) <= need &&
        (h <= 0 || need <= h))
      return size;
  }
  return small;
}

/* ---- the survey's texts and recordings ----------------------------------------- */

/* Adds the text of question qid (oid NULL) or of its option oid. */
static void add_item(state *s, const char *text, const char *image, const char *qid,
                     const char *oid) {
  if (s->n_items >= MAX_ITEMS)
    return;
  item *it = &s->items[s->n_items];
  int is_question = oid == NULL;
  int n = is_question ? snprintf(it->key, sizeof it->key, "q:%s", qid)
                      : snprintf(it->key, sizeof it->key, "o:%s:%s", qid, oid);
  if (n < 0 || (size_t)n >= sizeof it->key || !pv_store_prompt_key_valid(it->key))
    return; /* an id the key format cannot carry: not offered */
  it->text = text ? text : "";
  it->image = image;
  it->is_question = is_question;
  s->n_items++;
}

/* Lists survey sv's texts: each question's prompt, then its options. */
static void load_items(state *s, const pv_survey *sv) {
  int li = pv_survey_lang_index(sv, "fr");
  if (li < 0)
    li = 0;
  s->n_items = 0;
  for (size_t i = 0; i < sv->n_questions; i++) {
    const pv_question *q = &sv->questions[i];
    add_item(s, q->label.s[li], q->image, q->id, NULL);
    switch (q->type) {
    case PV_Q_CHOICE:
    case PV_Q_RANKING:
    case PV_Q_PHOTO_CHOICE:
    case PV_Q_MAP:
      for (size_t o = 0; o < q->n_options; o++)
        add_item(s, q->options[o].label.s[li], q->options[o].image, q->id,
                 q->options[o].id);
      break;
    case PV_Q_SCALE:
      add_item(s, q->low.label.s[li], q->low.image, q->id, "low");
      add_item(s, q->high.label.s[li], q->high.image, q->id, "high");
      break;
    default:
      break;
    }
  }
}

/* Reloads the survey's recordings from the store. */
static void load_have(pv_anim *a, state *s) {
  free(s->have);
  s->have = NULL;
  s->n_have = 0;
  if (pv_store_prompt_list(a->store, a->surveys[s->survey]->id, &s->have, &s->n_have) !=
      PV_OK)
    PV_WARN("anim: prompts: %s", pv_err_detail());
}

/* The kept recording of key in lang, or NULL (borrowed from s->have). */
static const pv_store_prompt *have_of(const state *s, const char *key,
                                      const char *lang) {
  for (size_t i = 0; i < s->n_have; i++)
    if (!strcmp(s->have[i].key, key) && !strcmp(s->have[i].lang, lang))
      return &s->have[i];
  return NULL;
}

static void count_langs(state *s) {
  for (size_t l = 0; l < s->n_langs; l++) {
    size_t done = 0;
    for (size_t i = 0; i < s->n_items; i++)
      done += have_of(s, s->items[i].key, s->langs[l]) != NULL;
    snprintf(s->counts[l], sizeof s->counts[l], "%zu sur %zu", done, s->n_items);
  }
}

/* The survey's languages, then the table's, each once. */
static void load_langs(state *s, const pv_survey *sv) {
  s->n_langs = 0;
  for (size_t i = 0; i < sv->n_languages + N_EXTRA && s->n_langs < MAX_LANGS; i++) {
    const char *tag =
        i < sv->n_languages ? sv->languages[i] : extra_langs[i - sv->n_languages];
    int seen = 0;
    for (size_t k = 0; k < s->n_langs; k++)
      seen |= !strcmp(s->langs[k], tag);
    if (!seen)
      snprintf(s->langs[s->n_langs++], sizeof s->langs[0], "%s", tag);
  }
}

/* ---- moving between steps -------------------------------------------------------- */

static void open_survey(pv_anim *a, state *s, size_t i) {
  s->survey = i;
  load_items(s, a->surveys[i]);
  load_langs(s, a->surveys[i]);
  load_have(a, s);
  count_langs(s);
  s->step = STEP_LANG;
}

/* Opens the panel on item i: the kept recording, if any, ready to hear. */
static void open_panel(pv_anim *a, state *s, size_t i) {
  pv_qvoice_reset(&s->take, a->env.capture);
  s->cur = i;
  s->msg[0] = '\0';
  const pv_store_prompt *p = have_of(s, s->items[i].key, s->lang);
  s->stored = p != NULL;
  if (p) {
    pv_store_blob blob = {0};
    pv_err err = pv_store_get_attachment(a->store, p->sha256, &blob);
    if (err == PV_OK)
      err = pv_qvoice_load_wav(&s->take, &s->q, blob.bytes, blob.size);
    if (err != PV_OK)
      PV_WARN("anim: prompt %s %s: %s", p->key, p->lang, pv_err_detail());
    pv_store_blob_free(&blob);
  }
  s->step = STEP_RECORD;
}

static void keep(pv_anim *a, state *s) {
  uint8_t *wav = NULL;
  size_t len = 0;
  pv_store_prompt p = {0};
  const pv_survey *sv = a->surveys[s->survey];
  snprintf(p.survey_id, sizeof p.survey_id, "%s", sv->id);
  snprintf(p.key, sizeof p.key, "%s", s->items[s->cur].key);
  snprintf(p.lang, sizeof p.lang, "%s", s->lang);
  pv_err err = pv_qvoice_wav(&s->take, &wav, &len);
  if (err == PV_OK)
    err = pv_store_prompt_record(a->store, &p, "audio/wav", wav, len, NULL);
  free(wav);
  if (err != PV_OK) {
    PV_WARN("anim: keeping prompt %s %s: %s", p.key, p.lang, pv_err_detail());
    snprintf(s->msg, sizeof s->msg,
             "L'enregistrement n'a pas pu être gardé (stockage de la tablette). "
             "Réessayez.");
    s->msg_ok = 0;
    return;
  }
  PV_INFO("anim: prompt %s %s %s recorded", p.survey_id, p.key, p.lang);
  s->take.dirty = 0;
  s->stored = 1;
  snprintf(s->msg, sizeof s->msg, "Gardé : les habitants entendront votre voix.");
  s->msg_ok = 1;
  load_have(a, s);
  a->prompts_gen++;
}

static void drop(pv_anim *a, state *s) {
  const pv_survey *sv = a->surveys[s->survey];
  const char *key = s->items[s->cur].key;
  pv_err err = pv_store_prompt_delete(a->store, sv->id, key, s->lang);
  if (err != PV_OK && err != PV_ERR_NOTFOUND) {
    PV_WARN("anim: deleting prompt %s %s: %s", key, s->lang, pv_err_detail());
    snprintf(s->msg, sizeof s->msg,
             "L'enregistrement n'a pas pu être supprimé (stockage de la tablette).");
    s->msg_ok = 0;
    return;
  }
  PV_INFO("anim: prompt %s %s %s deleted", sv->id, key, s->lang);
  if (a->env.play)
    a->env.play(a->env.ud, NULL);
  pv_qvoice_reset(&s->take, a->env.capture);
  s->stored = 0;
  snprintf(s->msg, sizeof s->msg, "Supprimé ; partout au prochain envoi.");
  s->msg_ok = 1;
  load_have(a, s);
  a->prompts_gen++;
}

/* ---- drawing pieces ----------------------------------------------------------------
 */

/* The top bar: a way back (to the menu from the first step, else one step
 * up; 1 when tapped) and the title. */
static int top(const anim_frame *f, const char *label, const char *title) {
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  pv_rect back = {m->margin, m->margin, m->nav_w, m->top_bar};
  int tapped = pv_look_button(lk, "back", back, lk->pics[PV_PIC_ARROW_LEFT], label,
                              COL_CARD, COL_INK, 1) &
               PV_UI_TAPPED;
  int x = back.x + back.w + m->gap;
  int tw = m->width - x - m->margin;
  pv_look_text(lk, (pv_rect){x, m->margin, tw, m->top_bar}, COL_INK, title,
               fit_box(lk, title, m->prompt_px, m->small_px, 1, 2, tw, m->top_bar), 1,
               PV_ALIGN_START, 2);
  return tapped;
}

static void message(const anim_frame *f, const state *s, pv_rect r) {
  if (!s->msg[0] || r.w <= 0)
    return;
  const pv_look *lk = f->lk;
  int icon = r.h < lk->m->touch_min ? r.h : lk->m->touch_min;
  pv_draw_image(lk->dl, (pv_rect){r.x, r.y + (r.h - icon) / 2, icon, icon},
                lk->pics[s->msg_ok ? PV_PIC_CHECK : PV_PIC_WARNING]);
  pv_look_text(
      lk, (pv_rect){r.x + icon + lk->m->gap, r.y, r.w - icon - lk->m->gap, r.h},
      s->msg_ok ? COL_GOOD : COL_BAD, s->msg, lk->m->label_px, 1, PV_ALIGN_START, 2);
}

static int area_top(const pv_metrics *m) {
  return m->margin + m->top_bar + m->gap;
}

/* ---- the steps
 * ----------------------------------------------------------------------- */

static void step_survey(const anim_frame *f, state *s) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  if (top(f, "Menu", "Enregistrer des consignes : quel questionnaire ?")) {
    anim_go(a, ANIM_MENU);
    return;
  }
  int y = area_top(m);
  pv_rect cells[MAX_SURVEYS];
  size_t n = a->n_surveys < MAX_SURVEYS ? a->n_surveys : MAX_SURVEYS;
  pv_look_grid(
      lk, (pv_rect){m->margin, y, m->width - 2 * m->margin, m->height - y - m->margin},
      n, cells);
  for (size_t i = 0; i < n; i++) {
    const pv_survey *sv = a->surveys[i];
    int li = pv_survey_lang_index(sv, "fr");
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "prompts:survey:%.32s", sv->id);
    int flags = pv_ui_widget_do(lk->ui, id, cells[i], 0);
    pv_look_picture_card(lk, cells[i], flags, 0, sv->image,
                         sv->title.s[li < 0 ? 0 : li]);
    if (flags & PV_UI_TAPPED) {
      open_survey(a, s, i);
      return;
    }
  }
}

static void step_lang(const anim_frame *f, state *s) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  if (top(f, a->n_surveys > 1 ? "Retour" : "Menu",
          "Dans quelle langue enregistrez-vous ?")) {
    if (a->n_surveys > 1)
      s->step = STEP_SURVEY;
    else
      anim_go(a, ANIM_MENU);
    return;
  }
  int y = area_top(m);
  pv_rect cells[MAX_LANGS];
  pv_look_grid(
      lk, (pv_rect){m->margin, y, m->width - 2 * m->margin, m->height - y - m->margin},
      s->n_langs, cells);
  for (size_t i = 0; i < s->n_langs; i++) {
    pv_rect r = cells[i];
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "prompts:lang:%.34s", s->langs[i]);
    int flags = pv_ui_widget_do(lk->ui, id, r, 0);
    pv_look_card(lk, r, flags, 0);
    /* Its own name, big, in its own script; the French name and the
     * count below, smaller. */
    int pad = m->gap, h1 = r.h / 2 - pad, tw = r.w - 2 * pad;
    const char *name = endonym(s->langs[i]);
    pv_text_style st = {.size_px = fit_line(lk, name, m->prompt_px, m->small_px * 3 / 4,
                                            1, s->langs[i], tw),
                        .bold = 1,
                        .rtl = pv_lang_is_rtl(s->langs[i]),
                        .lang = s->langs[i],
                        .align = PV_ALIGN_CENTER,
                        .max_lines = 1};
    pv_draw_text(lk->dl, (pv_rect){r.x + pad, r.y + pad, tw, h1}, COL_INK, name, &st);
    int h2 = (r.h - h1 - 2 * pad) / 2;
    const char *french = french_name(s->langs[i]);
    pv_look_text(lk, (pv_rect){r.x + pad, r.y + pad + h1, tw, h2}, COL_INK, french,
                 fit_line(lk, french, m->label_px, m->small_px * 3 / 4, 0, "fr", tw), 0,
                 PV_ALIGN_CENTER, 1);
    pv_look_text(
        lk, (pv_rect){r.x + pad, r.y + pad + h1 + h2, tw, h2}, COL_MUTED, s->counts[i],
        fit_line(lk, s->counts[i], m->small_px, m->small_px * 3 / 4, 0, "fr", tw), 0,
        PV_ALIGN_CENTER, 1);
    if (flags & PV_UI_TAPPED) {
      snprintf(s->lang, sizeof s->lang, "%s", s->langs[i]);
      s->page = 0;
      s->msg[0] = '\0';
      s->step = STEP_LIST;
      return;
    }
  }
}

static void step_list(const anim_frame *f, state *s) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  snprintf(s->title, sizeof s->title, "En %s : touchez un texte", french_name(s->lang));
  if (top(f, "Retour", s->title)) {
    count_langs(s);
    s->step = STEP_LANG;
    return;
  }
  /* Rows of texts, two columns in landscape, pages below. */
  int y = area_top(m);
  int nav_y = m->height - m->margin - m->nav_h;
  int cols = m->portrait ? 1 : 2;
  int row_h = m->touch_min * 5 / 4;
  int rows = (nav_y - m->gap - y + m->gap) / (row_h + m->gap);
  if (rows < 1)
    rows = 1;
  row_h = (nav_y - m->gap - y - (rows - 1) * m->gap) / rows; /* share what is left */
  if (row_h > 2 * m->touch_min)
    row_h = 2 * m->touch_min;
  int per_page = rows * cols;
  int pages =
      s->n_items ? (int)((s->n_items + (size_t)per_page - 1) / (size_t)per_page) : 1;
  if (s->page >= pages)
    s->page = pages - 1;
  int col_w = (m->width - 2 * m->margin - (cols - 1) * m->gap) / cols;
  for (int k = 0; k < per_page; k++) {
    size_t i = (size_t)s->page * (size_t)per_page + (size_t)k;
    if (i >= s->n_items)
      break;
    const item *it = &s->items[i];
    int c = k / rows, row = k % rows;
    pv_rect r = {m->margin + c * (col_w + m->gap), y + row * (row_h + m->gap), col_w,
                 row_h};
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "prompt:%.40s", it->key);
    int flags = pv_ui_widget_do(lk->ui, id, r, 0);
    int done = have_of(s, it->key, s->lang) != NULL;
    pv_look_card(lk, r, flags, 0);
    /* Choices sit a step in from their question. */
    int indent = it->is_question ? 0 : row_h / 2;
    int icon = row_h - 2 * m->gap;
    int x = r.x + m->gap + indent;
    if (it->image)
      pv_draw_image(lk->dl, (pv_rect){x, r.y + m->gap, icon, icon}, it->image);
    x += icon + m->gap;
    int mark = icon * 3 / 4;
    int tw = r.x + r.w - x - mark - 2 * m->gap;
    pv_look_text(lk, (pv_rect){x, r.y, tw, r.h}, COL_INK, it->text,
                 fit_box(lk, it->text, m->label_px, m->small_px * 3 / 4,
                         it->is_question, 3, tw, r.h - m->gap),
                 it->is_question, PV_ALIGN_START, 3);
    if (done)
      pv_draw_image(
          lk->dl,
          (pv_rect){r.x + r.w - mark - m->gap, r.y + (r.h - mark) / 2, mark, mark},
          lk->pics[PV_PIC_CHECK]);
    if (flags & PV_UI_TAPPED) {
      open_panel(a, s, i);
      return;
    }
  }
  if (pages > 1) {
    int bw = m->nav_w;
    if (pv_look_button(lk, "page:prev", (pv_rect){m->margin, nav_y, bw, m->nav_h},
                       lk->pics[PV_PIC_ARROW_LEFT], "Avant", COL_CARD, COL_INK,
                       s->page > 0) &
        PV_UI_TAPPED)
      s->page--;
    if (pv_look_button(lk, "page:next",
                       (pv_rect){m->width - m->margin - bw, nav_y, bw, m->nav_h},
                       lk->pics[PV_PIC_ARROW_RIGHT], "Après", COL_CARD, COL_INK,
                       s->page + 1 < pages) &
        PV_UI_TAPPED)
      s->page++;
    pv_look_text(lk,
                 (pv_rect){m->margin + bw + m->gap, nav_y,
                           m->width - 2 * (m->margin + bw + m->gap), m->nav_h},
                 COL_MUTED, anim_text(a, "Page %d sur %d", s->page + 1, pages),
                 m->label_px, 0, PV_ALIGN_CENTER, 1);
  }
}

static void no_say(void *ud, pv_str_id id) {
  (void)ud;
  (void)id; /* animateurs read the labels */
}

static void play(void *ud, const char *path) {
  pv_anim *a = ud;
  if (a->env.play)
    a->env.play(a->env.ud, path);
}

static void step_record(const anim_frame *f, state *s) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  const item *it = &s->items[s->cur];
  snprintf(s->title, sizeof s->title, "Enregistrer en %s", french_name(s->lang));
  if (top(f, "Retour", s->title)) {
    pv_qvoice_reset(&s->take, a->env.capture);
    play(a, NULL);
    s->msg[0] = '\0';
    s->step = STEP_LIST;
    return;
  }
  /* Landscape: what to say on the start side (pictogram, the French text,
   * where it stands, the last outcome), the microphone on the end side;
   * portrait: the same stacked. The actions along the foot. */
  int top_y = area_top(m);
  int nav_y = m->height - m->margin - m->nav_h;
  int w = m->width - 2 * m->margin;
  int half = m->portrait ? w : (w - m->gap) * 2 / 5; /* the text side */
  int text_w = half - m->picto - m->gap;
  int y = top_y;
  int text_lines = m->portrait ? 3 : 4;
  int size = fit_box(lk, it->text, m->prompt_px, m->label_px, 1, text_lines, text_w, 0);
  int text_h = pv_look_text_height(lk, it->text, size, 1, text_lines, text_w);
  if (text_h < m->picto)
    text_h = m->picto;
  if (it->image)
    pv_draw_image(lk->dl, (pv_rect){m->margin, y, m->picto, m->picto}, it->image);
  int x = m->margin + m->picto + m->gap;
  pv_look_text(lk, (pv_rect){x, y, text_w, text_h}, COL_INK, it->text, size, 1,
               PV_ALIGN_START, text_lines);
  y += text_h + m->gap / 2;
  int line_h = m->small_px * 3 / 2;
  const char *where =
      s->take.state == PV_QVOICE_RECORDING ? "Parlez maintenant, puis arrêtez."
      : s->stored && s->take.dirty ? "Nouvel essai : réécoutez-le, puis gardez-le."
      : s->stored                  ? "Déjà enregistré dans cette langue."
      : s->take.dirty              ? "Réécoutez votre essai, puis gardez-le."
                                   : "Pas encore enregistré dans cette langue.";
  pv_look_text(lk, (pv_rect){x, y, text_w, 2 * line_h}, COL_MUTED, where, m->small_px,
               0, PV_ALIGN_START, 2);
  y += 2 * line_h + m->gap;
  /* Portrait: two rows of actions, the message above them. */
  int rows_y = m->portrait ? nav_y - m->gap - m->nav_h : nav_y;
  pv_rect msg_r = m->portrait
                      ? (pv_rect){m->margin, rows_y - m->gap - m->nav_h, w, m->nav_h}
                      : (pv_rect){m->margin, y, half, nav_y - m->gap - y};
  if (msg_r.h > m->nav_h)
    msg_r.h = m->nav_h;
  pv_rect mic_r = m->portrait ? (pv_rect){m->margin, y, w, msg_r.y - m->gap - y}
                              : (pv_rect){m->margin + half + m->gap, top_y,
                                          w - half - m->gap, nav_y - m->gap - top_y};

  if (!a->env.capture) {
    pv_look_text(lk, mic_r, COL_BAD,
                 "Pas de micro sur cette tablette : branchez-en un, puis revenez ici.",
                 m->label_px, 1, PV_ALIGN_CENTER, 3);
  } else {
    pv_qvoice_env e = {.ui = lk->ui,
                       .dl = lk->dl,
                       .m = m,
                       .q = &s->q,
                       .lang = "fr",
                       .cap = a->env.capture,
                       .mic_icon = lk->pics[PV_PIC_MIC],
                       .ear_icon = lk->pics[PV_PIC_EAR],
                       .cross_icon = lk->pics[PV_PIC_CROSS],
                       .check_icon = lk->pics[PV_PIC_CHECK],
                       .say = no_say,
                       .play = play,
                       .ud = a};
    pv_qvoice_do(&s->take, &e, mic_r);
  }
  if (s->take.state == PV_QVOICE_RECORDING)
    return; /* stop first */
  message(f, s, msg_r);

  int bw = m->portrait ? (w - m->gap) / 2 : (w - 2 * m->gap) / 3;
  if (bw > m->nav_w * 3 / 2)
    bw = m->nav_w * 3 / 2;
  pv_rect keep_r = {m->width - m->margin - bw, nav_y, bw, m->nav_h};
  pv_rect del_r = {keep_r.x - m->gap - bw, nav_y, bw, m->nav_h};
  pv_rect next_r = m->portrait ? (pv_rect){keep_r.x, rows_y, bw, m->nav_h}
                               : (pv_rect){del_r.x - m->gap - bw, nav_y, bw, m->nav_h};
  int can_keep = s->take.state == PV_QVOICE_DONE && s->take.dirty;
  if (pv_look_button(lk, "prompts:keep", keep_r, lk->pics[PV_PIC_CHECK], "Garder",
                     COL_ACCENT, COL_CARD, can_keep) &
      PV_UI_TAPPED) {
    keep(a, s);
    return;
  }
  if (pv_look_button(lk, "prompts:delete", del_r, lk->pics[PV_PIC_TRASH], "Supprimer",
                     COL_CARD, COL_BAD, s->stored) &
      PV_UI_TAPPED) {
    drop(a, s);
    return;
  }
  if (pv_look_button(lk, "prompts:next", next_r, lk->pics[PV_PIC_ARROW_RIGHT],
                     "Suivant", COL_CARD, COL_INK, s->cur + 1 < s->n_items) &
      PV_UI_TAPPED) {
    play(a, NULL);
    open_panel(a, s, s->cur + 1);
  }
}

/* ---- the screen
 * ------------------------------------------------------------------------ */

void anim_screen_prompts(const anim_frame *f) {
  pv_anim *a = f->a;
  state *s = state_of(a);
  if (!s) {
    PV_WARN("anim: prompts: out of memory");
    anim_go(a, ANIM_MENU);
    return;
  }
  if (s->step == STEP_SURVEY && a->n_surveys == 1)
    open_survey(a, s, 0);
  switch (s->step) {
  case STEP_SURVEY:
    step_survey(f, s);
    break;
  case STEP_LANG:
    step_lang(f, s);
    break;
  case STEP_LIST:
    step_list(f, s);
    break;
  case STEP_RECORD:
    step_record(f, s);
    break;
  }
}

void anim_prompts_leave(pv_anim *a) {
  state *s = a->prompts;
  if (!s)
    return;
  pv_qvoice_reset(&s->take, a->env.capture);
  s->step = STEP_SURVEY;
  s->msg[0] = '\0';
}

int anim_prompts_recording(const pv_anim *a) {
  const state *s = a->prompts;
  return s && s->step == STEP_RECORD && s->take.state == PV_QVOICE_RECORDING;
}

void anim_prompts_free(pv_anim *a) {
  state *s = a->prompts;
  if (!s)
    return;
  pv_qvoice_reset(&s->take, a->env.capture);
  free(s->have);
  free(s);
  a->prompts = NULL;
}
