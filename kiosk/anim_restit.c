/* anim_restit: the restitution screen: the running session's results,
 * one question per page, for the group (docs/animateur.md). The numbers
 * come from core/restitution (where the K rule lives); drawing one
 * question is kiosk/restit_view's. This file pages through the surveys
 * the session answered, skipping what is never shown (voice, text). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lang.h"
#include "core/log.h"
#include "core/restitution.h"
#include "kiosk/anim_internal.h"
#include "kiosk/palette.h"
#include "kiosk/restit_view.h"
#include "kiosk/strings.h"

#define MAX_SURVEYS 32
#define MAX_DRAWINGS 64 /* drawing files written for one restitution */

/* One page: a question of a survey, and a gallery page for drawings. */
typedef struct page {
  size_t survey, question, gallery;
} page;

typedef struct restit_state {
  pv_restit *r[MAX_SURVEYS]; /* per loaded survey */
  page *pages;
  size_t n_pages;
  int failed;
  char lang[PV_STORE_MAX_LANG + 1]; /* the language shown (the last resident's
                                       at first, then the language key's) */
  int li;                           /* its index in the page's survey, or 0 */
  pv_restit_view view; /* lives across the frame: the draw list borrows it */
  pv_look look;        /* the look in the shown language */
  pv_metrics m;        /* its metrics, placed for that direction */
  char dir[256];       /* drawings written as PNG files for the renderer */
  char paths[MAX_DRAWINGS][320];
  size_t n_paths;
  size_t page_paths; /* the page whose drawings the files hold */
  size_t built;      /* residents counted in this snapshot */
  char title[ANIM_TEXT_LEN], counter[32];
} restit_state;

static void drop_files(restit_state *s);

/* Writes the stored drawing sha256 to a private file the renderer can
 * load, once; returns its path or NULL. The files go with the state. */
static const char *drawing_path(void *ud, const char *sha256) {
  pv_anim *a = ud;
  restit_state *s = a->restit;
  for (size_t i = 0; i < s->n_paths; i++)
    if (strstr(s->paths[i], sha256))
      return s->paths[i];
  if (s->n_paths == MAX_DRAWINGS)
    drop_files(s); /* a page holds at most PV_RESTIT_VIEW_GALLERY */
  if (!s->dir[0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%.200s/pv-restit-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) { /* 0700: residents' drawings */
      PV_WARN("anim: restitution folder: %s", strerror(errno));
      s->dir[0] = '\0';
      return NULL;
    }
  }
  pv_store_blob blob;
  if (pv_store_get_attachment(a->store, sha256, &blob) != PV_OK)
    return NULL;
  char *path = s->paths[s->n_paths];
  snprintf(path, sizeof s->paths[0], "%s/%s.png", s->dir, sha256);
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(blob.bytes, 1, blob.size, f) == blob.size;
  if (f && fclose(f) != 0)
    ok = 0;
  pv_store_blob_free(&blob);
  if (!ok) {
    PV_WARN("anim: writing %s: %s", path, strerror(errno));
    unlink(path);
    return NULL;
  }
  return s->paths[s->n_paths++];
}

/* Removes the drawing files written for the screen (nothing of the
 * residents stays outside the store once the screen is left). */
static void drop_files(restit_state *s) {
  for (size_t i = 0; i < s->n_paths; i++)
    unlink(s->paths[i]);
  s->n_paths = 0;
  if (s->dir[0])
    rmdir(s->dir);
  s->dir[0] = '\0';
}

void anim_restit_free(pv_anim *a) {
  restit_state *s = a->restit;
  if (!s)
    return;
  for (size_t i = 0; i < MAX_SURVEYS; i++)
    pv_restit_free(s->r[i]);
  drop_files(s);
  free(s->pages);
  free(s);
  a->restit = NULL;
}

/* How many residents of the running session have finished (or left). */
static size_t finished(pv_anim *a) {
  pv_store_counts c = {0};
  if (pv_store_count(a->store, a->session.uuid, &c) != PV_OK)
    return 0;
  return c.complete + c.abandoned;
}

/* Writes the language most of the session's residents answered in. */
static void usual_language(pv_anim *a, char out[PV_STORE_MAX_LANG + 1]) {
  enum { MAX_LANGS = 16 };
  char langs[MAX_LANGS][PV_STORE_MAX_LANG + 1];
  size_t counts[MAX_LANGS] = {0}, n = 0, best = 0;
  char after_t[PV_STORE_TIME_LEN + 1] = "", after_u[PV_UUID_LEN + 1] = "";
  pv_store_batch b;
  for (;;) {
    if (pv_store_finished_after(a->store, a->session.uuid, PV_STORE_MAX_BATCH,
                                after_t[0] ? after_t : NULL,
                                after_t[0] ? after_u : NULL, &b) != PV_OK)
      break;
    if (!b.count) {
      pv_store_batch_free(&b);
      break;
    }
    for (size_t i = 0; i < b.count; i++) {
      size_t k = 0;
      while (k < n && strcmp(langs[k], b.responses[i].language))
        k++;
      if (k == n && n < MAX_LANGS)
        snprintf(langs[n++], sizeof langs[0], "%s", b.responses[i].language);
      if (k < n && ++counts[k] > counts[best])
        best = k;
    }
    snprintf(after_t, sizeof after_t, "%s", b.responses[b.count - 1].started_at);
    snprintf(after_u, sizeof after_u, "%s", b.responses[b.count - 1].uuid);
    pv_store_batch_free(&b);
  }
  snprintf(out, PV_STORE_MAX_LANG + 1, "%s", n ? langs[best] : "");
}

/* Computes every survey's restitution for the running session. */
static restit_state *build(pv_anim *a) {
  restit_state *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  size_t cap = 0;
  usual_language(a, s->lang);
  s->built = finished(a);
  for (size_t i = 0; i < a->n_surveys && i < MAX_SURVEYS; i++) {
    pv_err err = pv_restit_from_store(a->store, a->surveys[i], a->session.uuid,
                                      a->set.k, &s->r[i]);
    if (err != PV_OK) {
      PV_WARN("anim: restitution of %s: %s: %s", a->surveys[i]->id, pv_strerror(err),
              pv_err_detail());
      s->failed = 1;
      continue;
    }
    if (s->r[i]->responses == 0)
      continue;
    for (size_t q = 0; q < s->r[i]->n_questions; q++) {
      if (s->r[i]->questions[q].state == PV_RESTIT_PRIVATE)
        continue;
      if (s->n_pages + PV_RESTIT_MAX_GALLERY / PV_RESTIT_VIEW_GALLERY + 1 >= cap) {
        size_t ncap = cap ? 2 * cap : 64;
        page *p = realloc(s->pages, ncap * sizeof *p);
        if (!p) {
          s->failed = 1;
          return s;
        }
        s->pages = p;
        cap = ncap;
      }
      size_t gallery = pv_restit_view_pages(&s->r[i]->questions[q]);
      for (size_t g = 0; g < (gallery ? gallery : 1) && s->n_pages < cap; g++)
        s->pages[s->n_pages++] = (page){i, q, g};
    }
  }
  return s;
}

void anim_screen_restit(const anim_frame *f) {
  pv_anim *a = f->a;
  const pv_metrics *m = f->lk->m;
  /* One snapshot per K newcomers: shown again after one more resident,
   * fresh figures would tell the room that resident's answers. */
  if (a->restit && finished(a) >= ((restit_state *)a->restit)->built + (size_t)a->set.k)
    anim_restit_free(a);
  if (!a->restit)
    a->restit = build(a);
  restit_state *s = a->restit;
  if (!s) {
    anim_go(a, ANIM_MENU);
    return;
  }
  if (a->restit_page < 0 || (size_t)a->restit_page >= s->n_pages)
    a->restit_page = 0;
  const page *p = s->n_pages ? &s->pages[a->restit_page] : NULL;
  const pv_survey *sv = p ? a->surveys[p->survey] : NULL;
  /* The shown language: the survey's, switched with the language key. */
  if (!s->lang[0])
    snprintf(s->lang, sizeof s->lang, "%s", f->lk->lang);
  s->li = sv ? pv_survey_lang_index(sv, s->lang) : 0;
  if (s->li < 0)
    s->li = 0;
  const char *lang = sv ? sv->languages[s->li] : "fr";
  s->look = *f->lk;
  s->look.lang = lang;
  s->look.rtl = pv_lang_is_rtl(lang);
  s->m = *f->lk->m;
  s->m.rtl = s->look.rtl;
  s->look.m = &s->m;
  const pv_look *lk = &s->look;

  /* Top bar: the way back (French: for the animateur), the question. */
  pv_rect back = {m->margin, m->margin, m->nav_w, m->top_bar};
  if (pv_look_button(f->lk, "back", back, lk->pics[PV_PIC_ARROW_LEFT], "Menu", COL_CARD,
                     COL_INK, 1) &
      PV_UI_TAPPED) {
    drop_files(s); /* the snapshot stays until K more residents answered */
    /* The results may have stayed on screen, open to anyone, long after
     * the animateur left them: then the way back asks for the PIN. */
    anim_go(a, f->now - a->restit_ms >= PV_ANIM_IDLE_MS && pv_pin_is_set(a->store)
                   ? ANIM_PIN
                   : ANIM_MENU);
    return;
  }
  int nav_y = m->height - m->margin - m->nav_h;
  if (!p) {
    pv_look_text(
        lk,
        (pv_rect){m->margin, m->height / 3, m->width - 2 * m->margin, m->prompt_px * 3},
        COL_INK, pv_str(PV_STR_NOT_ENOUGH, lang), m->prompt_px, 1, PV_ALIGN_CENTER, 2);
    return;
  }
  const pv_restit_question *rq = &s->r[p->survey]->questions[p->question];
  /* The pictogram at the start of the line, the text after it; the
   * animateur's way back stays on the left. */
  int x = back.x + back.w + m->gap, title_w = m->width - x - m->margin;
  pv_rect pic = {lk->rtl ? m->width - m->margin - m->top_bar : x, m->margin, m->top_bar,
                 m->top_bar};
  if (rq->q->image) {
    pv_draw_image(lk->dl, pic, rq->q->image);
    title_w -= m->top_bar + m->gap;
    if (!lk->rtl)
      x += m->top_bar + m->gap;
  }
  snprintf(s->title, sizeof s->title, "%s",
           rq->q->label.s && rq->q->label.s[s->li] ? rq->q->label.s[s->li] : "");
  pv_rect title = {x, m->margin, title_w, m->top_bar + m->gap};
  pv_look_text(lk, title, COL_INK, s->title, m->label_px, 1, PV_ALIGN_START, 2);

  /* The question's results. */
  int top = m->margin + m->top_bar + 2 * m->gap;
  pv_rect area = {m->margin, top, m->width - 2 * m->margin, nav_y - m->gap - top};
  pv_restit_view_init(&s->view, lk, s->li);
  s->view.too_few = pv_str(PV_STR_NOT_ENOUGH, lang);
  s->view.yes = pv_str(PV_STR_YES, lang);
  s->view.no = pv_str(PV_STR_NO, lang);
  s->view.drawing_path = drawing_path;
  s->view.ud = a;
  s->view.page = p->gallery;
  if (s->page_paths != (size_t)a->restit_page) { /* this page's drawings only */
    drop_files(s);
    s->page_paths = (size_t)a->restit_page;
  }
  pv_restit_view_draw(&s->view, rq, area);

  /* Bottom: previous, where we are, the language, next. */
  int avail = m->width - 2 * m->margin - 3 * m->gap;
  int bw = m->nav_w < avail / 4 ? m->nav_w : avail / 4;
  int lw = m->nav_h * 5 / 2 < avail / 3 ? m->nav_h * 5 / 2 : avail / 3;
  int cw = avail - 2 * bw - lw; /* the counter takes what is left */
  pv_rect prev = {m->margin, nav_y, bw, m->nav_h};
  pv_rect counter = {prev.x + bw + m->gap, nav_y, cw, m->nav_h};
  pv_rect lang_b = {counter.x + cw + m->gap, nav_y, lw, m->nav_h};
  pv_rect next = {m->width - m->margin - bw, nav_y, bw, m->nav_h};
  snprintf(s->counter, sizeof s->counter, "%d / %zu", a->restit_page + 1, s->n_pages);
  pv_look_text(f->lk, counter, COL_MUTED, s->counter, m->label_px, 1, PV_ALIGN_CENTER,
               1);
  if (pv_look_button(f->lk, "restit:prev", prev, lk->pics[PV_PIC_ARROW_LEFT], NULL,
                     COL_CARD, COL_INK, a->restit_page > 0) &
      PV_UI_TAPPED)
    a->restit_page--;
  if (pv_look_button(f->lk, "restit:next", next, lk->pics[PV_PIC_ARROW_RIGHT], NULL,
                     COL_ACCENT, COL_CARD, (size_t)a->restit_page + 1 < s->n_pages) &
      PV_UI_TAPPED)
    a->restit_page++;
  if (sv->n_languages > 1 &&
      pv_look_button(f->lk, "restit:lang", lang_b, lk->pics[PV_PIC_GLOBE],
                     pv_lang_endonym(sv->languages[(s->li + 1) % sv->n_languages]),
                     COL_CARD, COL_INK, 1) &
          PV_UI_TAPPED)
    snprintf(s->lang, sizeof s->lang, "%s",
             sv->languages[(s->li + 1) % sv->n_languages]);
}
