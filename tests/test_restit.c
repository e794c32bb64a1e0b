/* test_restit: the restitution computation (core/restitution) and its K
 * rule: every question type, K = 1, 3 and 5, exactly K-1 and K answers,
 * the "total minus shown" leak, several survey versions, abandoned and
 * unfinished responses, voice and text never read, map heat cells counted
 * by residents, the gallery's order, and a real store walk over a session
 * with responses outside it left out. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/restitution.h"
#include "kiosk/restit_view.h"
#include "tests/check.h"

/* clang-format off */
static const char survey_json[] =
    "{\"format\": 1, \"id\": \"t\", \"version\": 2, \"languages\": [\"fr\"],\n"
    " \"title\": {\"fr\": \"Test\"}, \"image\": \"media/p.svg\",\n"
    " \"questions\": [\n"
    "  {\"id\": \"ressenti\", \"type\": \"smileys\", \"points\": 5, \"label\": {\"fr\": \"Ça va ?\"}, \"image\": \"media/p.svg\"},\n"
    "  {\"id\": \"lieux\", \"type\": \"choice\", \"multiple\": true, \"label\": {\"fr\": \"Où ?\"}, \"image\": \"media/p.svg\",\n"
    "   \"choices\": [{\"id\": \"parc\", \"label\": {\"fr\": \"Parc\"}, \"image\": \"media/p.svg\"},\n"
    "                {\"id\": \"marche\", \"label\": {\"fr\": \"Marché\"}, \"image\": \"media/p.svg\"},\n"
    "                {\"id\": \"gare\", \"label\": {\"fr\": \"Gare\"}, \"image\": \"media/p.svg\"}]},\n"
    "  {\"id\": \"sur\", \"type\": \"yes_no\", \"label\": {\"fr\": \"Sûr ?\"}, \"image\": \"media/p.svg\"},\n"
    "  {\"id\": \"note\", \"type\": \"scale\", \"label\": {\"fr\": \"Note\"}, \"image\": \"media/p.svg\",\n"
    "   \"low\": {\"label\": {\"fr\": \"Non\"}, \"image\": \"media/p.svg\"}, \"high\": {\"label\": {\"fr\": \"Oui\"}, \"image\": \"media/p.svg\"}},\n"
    "  {\"id\": \"ordre\", \"type\": \"ranking\", \"label\": {\"fr\": \"Ordre\"}, \"image\": \"media/p.svg\",\n"
    "   \"choices\": [{\"id\": \"a\", \"label\": {\"fr\": \"A\"}, \"image\": \"media/p.svg\"},\n"
    "                {\"id\": \"b\", \"label\": {\"fr\": \"B\"}, \"image\": \"media/p.svg\"},\n"
    "                {\"id\": \"c\", \"label\": {\"fr\": \"C\"}, \"image\": \"media/p.svg\"},\n"
    "                {\"id\": \"d\", \"label\": {\"fr\": \"D\"}, \"image\": \"media/p.svg\"}]},\n"
    "  {\"id\": \"carte\", \"type\": \"map\", \"label\": {\"fr\": \"Carte\"}, \"image\": \"media/p.svg\", \"plan\": \"media/plan.png\",\n"
    "   \"pins\": [{\"id\": \"aime\", \"label\": {\"fr\": \"J'aime\"}, \"image\": \"media/p.svg\"},\n"
    "              {\"id\": \"peur\", \"label\": {\"fr\": \"Peur\"}, \"image\": \"media/p.svg\"}]},\n"
    "  {\"id\": \"dessin\", \"type\": \"drawing\", \"label\": {\"fr\": \"Dessin\"}, \"image\": \"media/p.svg\"},\n"
    "  {\"id\": \"photos\", \"type\": \"photo_choice\", \"label\": {\"fr\": \"Photo\"}, \"image\": \"media/p.svg\",\n"
    "   \"photos\": [{\"id\": \"p1\", \"label\": {\"fr\": \"Un\"}, \"photo\": \"media/a.jpg\"},\n"
    "              {\"id\": \"p2\", \"label\": {\"fr\": \"Deux\"}, \"photo\": \"media/b.jpg\"}]},\n"
    "  {\"id\": \"voix\", \"type\": \"voice\", \"label\": {\"fr\": \"Parlez\"}, \"image\": \"media/p.svg\"},\n"
    "  {\"id\": \"mot\", \"type\": \"text\", \"label\": {\"fr\": \"Écrivez\"}, \"image\": \"media/p.svg\"},\n"
    "  {\"id\": \"un\", \"type\": \"choice\", \"label\": {\"fr\": \"Un seul\"}, \"image\": \"media/p.svg\",\n"
    "   \"choices\": [{\"id\": \"x\", \"label\": {\"fr\": \"X\"}, \"image\": \"media/p.svg\"},\n"
    "                {\"id\": \"y\", \"label\": {\"fr\": \"Y\"}, \"image\": \"media/p.svg\"}]}\n"
    " ]}\n";
/* clang-format on */

enum {
  Q_SMILEYS,
  Q_CHOICE,
  Q_YES_NO,
  Q_SCALE,
  Q_RANKING,
  Q_MAP,
  Q_DRAWING,
  Q_PHOTO,
  Q_VOICE,
  Q_TEXT,
  Q_SINGLE
};

static pv_survey *survey;

#define MAX_POOL 256
#define SESSION_A "0b5e7c9a-1111-4a2b-8c3d-000000000001"
static pv_store_response pool[MAX_POOL];
static size_t npool;

static void reset(void) {
  for (size_t i = 0; i < npool; i++)
    pv_store_response_free(&pool[i]);
  memset(pool, 0, sizeof pool);
  npool = 0;
}

/* Adds a response (survey id, version, status, session) with n answers
 * given as qid, json pairs. */
static pv_store_response *add(const char *sid, int version, pv_store_status status,
                              const char *session, size_t n, ...) {
  PV_ASSERT(npool < MAX_POOL);
  pv_store_response *r = &pool[npool++];
  snprintf(r->uuid, sizeof r->uuid, "00000000-0000-4000-8000-%012zu", npool);
  snprintf(r->survey_id, sizeof r->survey_id, "%s", sid);
  r->survey_version = version;
  snprintf(r->session_uuid, sizeof r->session_uuid, "%s", session);
  r->status = status;
  r->answers = calloc(n ? n : 1, sizeof r->answers[0]);
  PV_ASSERT(r->answers);
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    snprintf(r->answers[i].question_id, sizeof r->answers[i].question_id, "%s",
             va_arg(ap, const char *));
    r->answers[i].value = strdup(va_arg(ap, const char *));
    PV_ASSERT(r->answers[i].value);
  }
  va_end(ap);
  r->answer_count = n;
  return r;
}

/* The common case: a complete response of version 2 in session A. */
static void one(const char *qid, const char *json) {
  add("t", 2, PV_STORE_COMPLETE, SESSION_A, 1, qid, json);
}

static void ones(size_t times, const char *qid, const char *json) {
  for (size_t i = 0; i < times; i++)
    one(qid, json);
}

static pv_restit *build(int k) {
  pv_restit *r = NULL;
  CHECK_INT(pv_restit_build(survey, pool, npool, k, &r), PV_OK);
  PV_ASSERT(r);
  return r;
}

/* Every hidden value is zero; and, for a single-answer distribution, the
 * hidden cells together hold at least K answers (total minus shown). */
static void check_no_leak(const pv_restit_question *rq, int k, int single) {
  long shown = 0;
  int any_hidden = 0;
  for (size_t i = 0; i < rq->n_cells; i++) {
    if (rq->cells[i].hidden) {
      CHECK_INT(rq->cells[i].count, 0);
      any_hidden = 1;
    } else {
      CHECK(rq->cells[i].count == 0 || rq->cells[i].count >= k);
      shown += rq->cells[i].count;
    }
  }
  if (single && any_hidden && rq->state == PV_RESTIT_SHOWN)
    CHECK(rq->answered - shown >= k);
}

/* ---- distributions: a table of smiley counts and what stays shown ----- */

typedef struct dist_case {
  int k;
  int counts[5];
  const char *hidden; /* one letter per point: H hidden, . shown */
} dist_case;

static const dist_case DIST_CASES[] = {
    {3, {0, 0, 3, 0, 0}, "....."},
    {3, {2, 1, 0, 3, 4}, "HHH.."}, /* the two small ones hold 3 together */
    {3, {1, 4, 5, 0, 0}, "HH.HH"}, /* one small: the next smallest goes too */
    {3, {1, 3, 3, 0, 5}, "HH.H."}, /* ties: the first in survey order */
    {3, {1, 0, 0, 0, 9}, "HHHHH"}, /* only one other: both go, and the zeros */
    {3, {3, 3, 3, 3, 3}, "....."},
    {1, {1, 1, 1, 0, 0}, "....."}, /* K = 1 hides nothing */
    {5, {4, 4, 4, 0, 0}, "HHHHH"},
    {5, {5, 4, 6, 0, 1}, ".H.HH"}, /* 4 + 1 = 5: enough together */
    {5, {5, 6, 0, 0, 1}, "H.HHH"}, /* 1 alone: then the 5 */
    {0, {1, 1, 1, 0, 0}, "....."}, /* k < 1 is 1 */
    {3, {1, 1, 1, 0, 4}, "HHHH."}, /* the zero hidden too: not "one each" */
};

static void test_distributions(void) {
  for (size_t c = 0; c < sizeof DIST_CASES / sizeof DIST_CASES[0]; c++) {
    const dist_case *dc = &DIST_CASES[c];
    reset();
    int total = 0;
    for (int p = 0; p < 5; p++) {
      char v[8];
      snprintf(v, sizeof v, "%d", p + 1);
      ones((size_t)dc->counts[p], "ressenti", v);
      total += dc->counts[p];
    }
    pv_restit *r = build(dc->k);
    const pv_restit_question *rq = &r->questions[Q_SMILEYS];
    CHECK_INT(r->k, dc->k < 1 ? 1 : dc->k);
    CHECK_INT(rq->state, PV_RESTIT_SHOWN);
    CHECK_INT(rq->answered, total);
    CHECK_INT(rq->n_cells, 5);
    for (int p = 0; p < 5; p++) {
      int hidden = dc->hidden[p] == 'H';
      if (rq->cells[p].hidden != hidden)
        fprintf(stderr, "case %zu point %d\n", c, p + 1);
      CHECK_INT(rq->cells[p].hidden, hidden);
      CHECK_INT(rq->cells[p].count, hidden ? 0 : dc->counts[p]);
    }
    check_no_leak(rq, r->k, 1);
    pv_restit_free(r);
  }
}

/* Exactly K-1 residents: nothing; exactly K: shown. For K = 1, 3, 5. */
static void test_threshold(void) {
  static const int ks[] = {1, 3, 5};
  for (size_t i = 0; i < 3; i++) {
    int k = ks[i];
    for (int n = k - 1; n <= k; n++) {
      reset();
      ones((size_t)n, "ressenti", "4");
      ones((size_t)n, "sur", "\"yes\"");
      ones((size_t)n, "note", "7");
      ones((size_t)n, "lieux", "[\"parc\"]");
      ones((size_t)n, "photos", "[\"p2\"]");
      ones((size_t)n, "ordre", "[\"b\",\"a\",\"c\",\"d\"]");
      ones((size_t)n, "carte", "[{\"kind\":\"aime\",\"x\":0.5,\"y\":0.5}]");
      ones((size_t)n, "dessin",
           "{\"attachment\":"
           "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");
      pv_restit *r = build(k);
      static const int qs[] = {Q_SMILEYS, Q_YES_NO,  Q_SCALE, Q_CHOICE,
                               Q_PHOTO,   Q_RANKING, Q_MAP,   Q_DRAWING};
      for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
        const pv_restit_question *rq = &r->questions[qs[j]];
        CHECK_INT(rq->state, n >= k ? PV_RESTIT_SHOWN : PV_RESTIT_TOO_FEW);
        CHECK_INT(rq->answered, n >= k ? n : 0);
        for (size_t c = 0; c < rq->n_cells; c++) /* too few: all hidden, zero */
          CHECK(n >= k || (rq->cells[c].hidden && rq->cells[c].count == 0));
        for (size_t c = 0; c < rq->n_ranks; c++)
          CHECK(n >= k || (rq->ranks[c].hidden && rq->ranks[c].mean == 0));
      }
      CHECK_INT(r->questions[Q_SMILEYS].cells[3].count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_YES_NO].cells[0].count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_SCALE].cells[7].count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_CHOICE].cells[0].count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_PHOTO].cells[1].count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_RANKING].ranks[1].count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_MAP].cells[0].count, n >= k ? n : 0);
      CHECK_INT(pv_restit_heat(&r->questions[Q_MAP], 2, 8, 6)->count, n >= k ? n : 0);
      CHECK_INT(r->questions[Q_DRAWING].n_gallery, n >= k ? (size_t)n : 0);
      CHECK(n >= k || r->questions[Q_DRAWING].gallery == NULL);
      pv_restit_free(r);
    }
  }
}

static void test_values(void) {
  reset();
  /* scale: both ends count; anything else is not an answer */
  ones(3, "note", "0");
  ones(3, "note", "10");
  one("note", "11");
  one("note", "2.5");
  one("note", "\"3\"");
  one("note", "{\"skipped\":\"x\"}");
  /* yes_no: 4 yes, 2 no: "no" hidden, then "yes" too (total leak) */
  ones(4, "sur", "\"yes\"");
  ones(2, "sur", "\"no\"");
  one("sur", "\"peut-etre\"");
  /* multiple choice: each chosen option counts once per resident */
  ones(3, "lieux", "[\"parc\",\"marche\",\"parc\"]");
  one("lieux", "\"gare\"");         /* an older, single-choice version */
  one("lieux", "[\"nulle_part\"]"); /* an option this version lacks */
  one("lieux", "[]");
  /* single choice */
  ones(3, "un", "\"x\"");
  ones(3, "un", "\"y\"");
  pv_restit *r = build(3);
  const pv_restit_question *sc = &r->questions[Q_SCALE];
  CHECK_INT(sc->n_cells, 11);
  CHECK_INT(sc->answered, 6);
  CHECK_INT(sc->cells[0].count, 3);
  CHECK_INT(sc->cells[10].count, 3);
  CHECK_INT(sc->cells[3].count, 0);
  CHECK_INT(sc->cells[3].hidden, 0);
  const pv_restit_question *yn = &r->questions[Q_YES_NO];
  CHECK_INT(yn->answered, 6);
  CHECK_INT(yn->cells[0].hidden, 1);
  CHECK_INT(yn->cells[1].hidden, 1);
  CHECK_INT(yn->cells[0].count, 0);
  check_no_leak(yn, 3, 1);
  const pv_restit_question *ch = &r->questions[Q_CHOICE];
  CHECK_INT(ch->answered, 4);
  /* gare (1 resident) hidden, then parc (3, first of the ties) too */
  CHECK_INT(ch->cells[0].hidden, 1);
  CHECK_INT(ch->cells[0].count, 0);
  CHECK_INT(ch->cells[1].count, 3);
  CHECK_INT(ch->cells[2].hidden, 1);
  CHECK_INT(ch->cells[2].count, 0);
  check_no_leak(ch, 3, 0);
  const pv_restit_question *un = &r->questions[Q_SINGLE];
  CHECK_INT(un->answered, 6);
  CHECK_INT(un->cells[0].count, 3);
  CHECK_INT(un->cells[1].count, 3);
  pv_restit_free(r);
}

/* Where the one resident who ranked a hidden item put it must not show
 * in the others' means: before or after a and b, the same figures. */
static void test_ranking_hidden_item(void) {
  double means[2][2];
  static const char *const third[2] = {"[\"d\",\"a\",\"b\"]", "[\"a\",\"b\",\"d\"]"};
  for (int v = 0; v < 2; v++) {
    reset();
    add("t", 2, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", "[\"a\",\"b\"]");
    add("t", 2, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", "[\"a\",\"b\"]");
    add("t", 2, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", third[v]);
    pv_restit *r = build(3);
    const pv_restit_question *rq = &r->questions[Q_RANKING];
    CHECK_INT(rq->ranks[3].hidden, 1);
    means[v][0] = rq->ranks[0].mean;
    means[v][1] = rq->ranks[1].mean;
    pv_restit_free(r);
  }
  CHECK(means[0][0] == means[1][0] && means[0][1] == means[1][1]);
  CHECK(means[0][0] == 1.0 && means[0][1] == 2.0);
}

/* Mean ranks; an item only a newer version has, ranked by fewer than K,
 * is hidden and listed last. */
static void test_ranking(void) {
  reset();
  add("t", 1, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", "[\"a\",\"b\",\"c\"]");
  add("t", 1, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", "[\"a\",\"c\",\"b\"]");
  add("t", 1, PV_STORE_ABANDONED, SESSION_A, 1, "ordre", "[\"b\",\"a\",\"c\"]");
  add("t", 2, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", "[\"c\",\"d\",\"b\",\"a\"]");
  add("t", 2, PV_STORE_COMPLETE, SESSION_A, 1, "ordre", "[\"d\",\"c\",\"b\",\"a\"]");
  pv_restit *r = build(3);
  const pv_restit_question *rq = &r->questions[Q_RANKING];
  CHECK_INT(rq->state, PV_RESTIT_SHOWN);
  CHECK_INT(rq->answered, 5);
  CHECK_INT(rq->n_ranks, 4);
  /* Ranks among the shown items only (d, hidden, must not move them):
   * a: 1,1,2,3,3; b: 2,3,1,2,2; c: 3,2,3,1,1: 10/5 each */
  for (int i = 0; i < 3; i++)
    CHECK(rq->ranks[i].mean > 1.99 && rq->ranks[i].mean < 2.01);
  CHECK_INT(rq->ranks[2].count, 5);
  CHECK_INT(rq->ranks[3].hidden, 1);
  CHECK_INT(rq->ranks[3].count, 0);
  CHECK(rq->ranks[3].mean == 0);
  CHECK_INT(rq->order[0], 0); /* ties: survey order; the hidden one last */
  CHECK_INT(rq->order[1], 1);
  CHECK_INT(rq->order[2], 2);
  CHECK_INT(rq->order[3], 3);
  pv_restit_free(r);
}

static void pin_answer(char *out, size_t cap, const char *kind, double x, double y,
                       int times) {
  size_t len = (size_t)snprintf(out, cap, "[");
  for (int i = 0; i < times; i++)
    len +=
        (size_t)snprintf(out + len, cap - len, "%s{\"kind\":\"%s\",\"x\":%g,\"y\":%g}",
                         i ? "," : "", kind, x, y);
  snprintf(out + len, cap - len, "]");
}

/* Heat cells count residents, not pins; a cell's split by kind shows
 * only when no kind there is below K. */
static void test_map(void) {
  char v[1024];
  reset();
  /* cell (8, 6): 3 residents "aime" -> shown everywhere */
  pin_answer(v, sizeof v, "aime", 0.5, 0.5, 1);
  ones(3, "carte", v);
  /* cell (1, 1): one resident, 3 pins -> hidden though 3 pins */
  pin_answer(v, sizeof v, "aime", 0.1, 0.1, 3);
  one("carte", v);
  /* cell (15, 11) (the far edge): 3 "aime" and 1 "peur": all kinds shown
   * (4 pins), the split hidden, or 4 - 3 would give the "peur" pin away */
  pin_answer(v, sizeof v, "aime", 1.0, 1.0, 1);
  ones(3, "carte", v);
  one("carte", "[{\"kind\":\"peur\",\"x\":0.99,\"y\":0.99}]");
  /* not pins */
  one("carte", "[{\"kind\":\"inconnu\",\"x\":0.5,\"y\":0.5},{\"kind\":\"aime\",\"x\":2,"
               "\"y\":0.5}]");
  one("carte", "[]");
  pv_restit *r = build(3);
  const pv_restit_question *rq = &r->questions[Q_MAP];
  CHECK_INT(rq->state, PV_RESTIT_SHOWN);
  CHECK_INT(rq->answered, 8);
  CHECK_INT(rq->n_cells, 2);
  /* residents per kind: 7 "aime", 1 "peur"; 8 - 7 would give "peur"
   * away, so "aime" goes too */
  CHECK_INT(rq->cells[0].hidden, 1);
  CHECK_INT(rq->cells[0].count, 0);
  CHECK_INT(rq->cells[1].hidden, 1);
  check_no_leak(rq, 3, 1);
  const size_t all = 2;
  CHECK_INT(pv_restit_heat(rq, 0, 8, 6)->count, 3);
  CHECK_INT(pv_restit_heat(rq, 0, 8, 6)->hidden, 0);
  CHECK_INT(pv_restit_heat(rq, 1, 8, 6)->count, 0);
  CHECK_INT(pv_restit_heat(rq, 1, 8, 6)->hidden, 0);
  CHECK_INT(pv_restit_heat(rq, all, 8, 6)->count, 3);
  CHECK_INT(pv_restit_heat(rq, all, 1, 1)->hidden, 1);
  CHECK_INT(pv_restit_heat(rq, all, 1, 1)->count, 0);
  CHECK_INT(pv_restit_heat(rq, 0, 1, 1)->hidden, 1);
  CHECK_INT(pv_restit_heat(rq, 0, 1, 1)->count, 0);
  CHECK_INT(pv_restit_heat(rq, all, 15, 11)->count, 4);
  CHECK_INT(pv_restit_heat(rq, all, 15, 11)->hidden, 0);
  CHECK_INT(pv_restit_heat(rq, 0, 15, 11)->hidden, 1);
  CHECK_INT(pv_restit_heat(rq, 0, 15, 11)->count, 0);
  CHECK_INT(pv_restit_heat(rq, 1, 15, 11)->hidden, 1);
  CHECK_INT(pv_restit_heat(rq, 1, 15, 11)->count, 0);
  int shown_cells = 0;
  for (size_t g = 0; g <= all; g++)
    for (int y = 0; y < PV_RESTIT_GRID_H; y++)
      for (int x = 0; x < PV_RESTIT_GRID_W; x++) {
        const pv_restit_cell *c = pv_restit_heat(rq, g, x, y);
        CHECK(c->hidden ? c->count == 0 : (c->count == 0 || c->count >= 3));
        shown_cells += c->count > 0;
      }
  CHECK_INT(shown_cells, 3); /* (8,6) aime and all, (15,11) all */
  pv_restit_free(r);
}

static const char *const SHAS[] = {
    "1111111111111111111111111111111111111111111111111111111111111111",
    "2222222222222222222222222222222222222222222222222222222222222222",
    "3333333333333333333333333333333333333333333333333333333333333333",
    "4444444444444444444444444444444444444444444444444444444444444444",
    "5555555555555555555555555555555555555555555555555555555555555555",
};

/* Adds drawing answers in the order given by idx. */
static void drawings(const int *idx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char v[128];
    snprintf(v, sizeof v, "{\"attachment\":\"%s\"}", SHAS[idx[i]]);
    one("dessin", v);
  }
}

static void test_gallery(void) {
  static const int fwd[] = {0, 1, 2, 3, 4}, rev[] = {4, 3, 2, 1, 0};
  char first[5][PV_SHA256_HEX + 1];
  reset();
  drawings(fwd, 5);
  one("dessin", "{\"skipped\":\"x\"}");
  one("dessin", "{\"attachment\":\"not-a-sha\"}");
  pv_restit *r = build(5);
  const pv_restit_question *rq = &r->questions[Q_DRAWING];
  CHECK_INT(rq->state, PV_RESTIT_SHOWN);
  CHECK_INT(rq->answered, 5);
  CHECK_INT(rq->n_gallery, 5);
  int found[5] = {0};
  for (size_t i = 0; i < rq->n_gallery; i++) {
    memcpy(first[i], rq->gallery[i], sizeof first[i]);
    for (int j = 0; j < 5; j++)
      found[j] += strcmp(rq->gallery[i], SHAS[j]) == 0;
  }
  for (int j = 0; j < 5; j++)
    CHECK_INT(found[j], 1);
  pv_restit_free(r);
  /* the answering order does not show through: reversed, same gallery */
  reset();
  drawings(rev, 5);
  r = build(5);
  rq = &r->questions[Q_DRAWING];
  CHECK_INT(rq->n_gallery, 5);
  int same = 1, answering = 1;
  for (size_t i = 0; i < rq->n_gallery && i < 5; i++) {
    same &= strcmp(rq->gallery[i], first[i]) == 0;
    answering &= strcmp(rq->gallery[i], SHAS[rev[i]]) == 0;
  }
  CHECK(same);
  CHECK(!answering);
  pv_restit_free(r);
  /* K - 1 drawings: no gallery at all */
  reset();
  drawings(fwd, 4);
  r = build(5);
  CHECK_INT(r->questions[Q_DRAWING].state, PV_RESTIT_TOO_FEW);
  CHECK_INT(r->questions[Q_DRAWING].n_gallery, 0);
  CHECK(r->questions[Q_DRAWING].gallery == NULL);
  pv_restit_free(r);
}

/* Voice and text are private whatever was answered; other surveys and
 * unfinished responses do not count; versions and abandoned ones do. */
static void test_scope(void) {
  reset();
  for (int i = 0; i < 5; i++) {
    add("t", 1 + i % 2, i == 4 ? PV_STORE_ABANDONED : PV_STORE_COMPLETE, SESSION_A, 3,
        "voix",
        "{\"attachment\":"
        "\"1111111111111111111111111111111111111111111111111111111111111111\","
        "\"media_type\":\"audio/wav\",\"size\":44}",
        "mot", "\"bonjour\"", "ressenti", "5");
  }
  add("t", 2, PV_STORE_IN_PROGRESS, SESSION_A, 1, "ressenti", "5");
  add("autre", 2, PV_STORE_COMPLETE, SESSION_A, 1, "ressenti", "5");
  add("t", 2, PV_STORE_COMPLETE, SESSION_A, 2, "ressenti", "1", "ressenti", "1");
  pv_restit *r = build(3);
  CHECK_INT(r->responses, 6);
  CHECK_INT(r->n_questions, survey->n_questions);
  for (size_t i = 0; i < r->n_questions; i++)
    CHECK(r->questions[i].q == &survey->questions[i]);
  static const int priv[] = {Q_VOICE, Q_TEXT};
  for (size_t i = 0; i < 2; i++) {
    const pv_restit_question *rq = &r->questions[priv[i]];
    CHECK_INT(rq->state, PV_RESTIT_PRIVATE);
    CHECK_INT(rq->answered, 0);
    CHECK(rq->cells == NULL && rq->ranks == NULL && rq->heat == NULL &&
          rq->gallery == NULL);
    CHECK_INT(rq->n_cells + rq->n_ranks + rq->n_gallery, 0);
  }
  const pv_restit_question *sm = &r->questions[Q_SMILEYS];
  CHECK_INT(sm->answered, 6); /* 5 + the duplicated answer counted once */
  /* 5 fives and one 1: 6 - 5 would give the 1 away, so both go */
  CHECK_INT(sm->cells[4].hidden, 1);
  CHECK_INT(sm->cells[4].count, 0);
  CHECK_INT(sm->cells[0].hidden, 1);
  CHECK_INT(sm->cells[0].count, 0);
  check_no_leak(sm, 3, 1);
  /* nothing answered at all */
  pv_restit_free(r);
  r = NULL;
  CHECK_INT(pv_restit_build(survey, NULL, 0, 3, &r), PV_OK);
  CHECK_INT(r->responses, 0);
  CHECK_INT(r->questions[Q_SMILEYS].state, PV_RESTIT_TOO_FEW);
  pv_restit_free(r);
  pv_restit_free(NULL);
}

/* ---- a real store ---------------------------------------------------- */

static int64_t now_ms = INT64_C(1709287200000);

/* Stores one finished response with a smiley and a drawing. */
static void store_one(pv_store *st, const char *session, int point, int status_abandon,
                      int drawing) {
  char uuid[PV_UUID_LEN + 1], v[8], sha[PV_SHA256_HEX + 1];
  now_ms += 1000;
  CHECK_INT(pv_store_begin(st, "t", 2, session, "fr", uuid), PV_OK);
  snprintf(v, sizeof v, "%d", point);
  CHECK_INT(pv_store_put_answer(st, uuid, "ressenti", v, PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_put_answer(st, uuid, "mot", "\"secret\"", PV_QUALITATIVE), PV_OK);
  if (drawing) {
    char png[32];
    int len = snprintf(png, sizeof png, "\x89PNG drawing %d", drawing);
    CHECK_INT(
        pv_store_put_attachment(st, uuid, "dessin", "image/png", png, (size_t)len, sha),
        PV_OK);
  }
  CHECK_INT(status_abandon ? pv_store_abandon(st, uuid) : pv_store_finish(st, uuid),
            PV_OK);
}

static void test_store(void) {
  char path[512], a[PV_UUID_LEN + 1], b[PV_UUID_LEN + 1], open_uuid[PV_UUID_LEN + 1];
  snprintf(path, sizeof path, "%s/store.db", pv_test_tmpdir());
  pv_clock clock = pv_clock_virtual(&now_ms);
  pv_store *st = NULL;
  CHECK_INT(pv_store_open(path, &clock, &st), PV_OK);
  if (!st)
    return;
  pv_store_session info = {0};
  snprintf(info.kind, sizeof info.kind, "table_de_quartier");
  CHECK_INT(pv_store_session_begin(st, &info, a), PV_OK);
  CHECK_INT(pv_store_session_begin(st, &info, b), PV_OK);
  /* session a: 100 residents give 5, 4 give 4, one gives 1 (abandoned),
   * 3 drawings;
   * more than one page of PV_RESTIT_PAGE */
  for (int i = 0; i < 104; i++)
    store_one(st, a, i < 100 ? 5 : 4, 0, i < 3 ? i + 1 : 0);
  store_one(st, a, 1, 1, 0);
  /* outside it: session b and no session at all, all "2" */
  for (int i = 0; i < 4; i++) {
    store_one(st, b, 2, 0, 10 + i);
    store_one(st, NULL, 2, 0, 0);
  }
  /* still in progress in a: not counted */
  CHECK_INT(pv_store_begin(st, "t", 2, a, "fr", open_uuid), PV_OK);
  CHECK_INT(pv_store_put_answer(st, open_uuid, "ressenti", "3", PV_QUANTITATIVE),
            PV_OK);

  pv_restit *r = NULL;
  CHECK_INT(pv_restit_from_store(st, survey, a, 3, &r), PV_OK);
  if (r) {
    const pv_restit_question *sm = &r->questions[Q_SMILEYS];
    CHECK_INT(r->responses, 105);
    CHECK_INT(sm->answered, 105);
    CHECK_INT(sm->cells[4].count, 100);
    CHECK_INT(sm->cells[3].hidden, 1); /* 1 alone, then the next smallest */
    CHECK_INT(sm->cells[1].count, 0);  /* b's and the session-less "2"s */
    CHECK_INT(sm->cells[1].hidden, 1); /* a zero beside hidden cells is hidden */
    CHECK_INT(sm->cells[2].count, 0);  /* the one in progress */
    CHECK_INT(sm->cells[0].hidden, 1);
    check_no_leak(sm, 3, 1);
    CHECK_INT(r->questions[Q_DRAWING].n_gallery, 3);
    CHECK_INT(r->questions[Q_TEXT].state, PV_RESTIT_PRIVATE);
    /* the gallery holds the store's attachments: their SHA-256s load */
    for (size_t i = 0; i < r->questions[Q_DRAWING].n_gallery; i++) {
      pv_store_blob blob = {0};
      CHECK_INT(pv_store_get_attachment(st, r->questions[Q_DRAWING].gallery[i], &blob),
                PV_OK);
      CHECK_INT(strncmp((const char *)blob.bytes, "\x89PNG drawing ", 13), 0);
      pv_store_blob_free(&blob);
    }
  }
  pv_restit_free(r);
  /* session b alone: 4 residents, 4 drawings with K = 5: nothing */
  r = NULL;
  CHECK_INT(pv_restit_from_store(st, survey, b, 5, &r), PV_OK);
  if (r) {
    CHECK_INT(r->responses, 4);
    CHECK_INT(r->questions[Q_SMILEYS].state, PV_RESTIT_TOO_FEW);
    CHECK_INT(r->questions[Q_DRAWING].state, PV_RESTIT_TOO_FEW);
  }
  pv_restit_free(r);
  /* a bad session id is the store's error */
  r = NULL;
  CHECK(pv_restit_from_store(st, survey, "pas-un-uuid", 3, &r) != PV_OK);
  CHECK(r == NULL);
  pv_store_close(st);
}

/* ---- the view (kiosk/restit_view) ------------------------------------ */

static pv_draw_list dl;
static pv_metrics metrics;
static pv_ui ui;
static char pics[PV_PIC__COUNT][PV_LOOK_PATH];
static pv_look look;
static pv_restit_view view;

/* Draws rq into the area under a top bar, for 800x480, LTR or RTL. */
static void draw(const pv_restit_question *rq, int rtl) {
  pv_metrics_compute(&metrics, 800, 480, 7.0, rtl);
  for (int p = 0; p < PV_PIC__COUNT; p++)
    snprintf(pics[p], sizeof pics[p], "pics/%s", pv_look_pic_file((pv_pic)p));
  look = (pv_look){.ui = &ui,
                   .dl = &dl,
                   .m = &metrics,
                   .rtl = rtl,
                   .lang = rtl ? "ar" : "fr",
                   .pics = (const char(*)[PV_LOOK_PATH])pics};
  pv_draw_clear(&dl);
  pv_ui_begin(&ui);
  pv_restit_view_draw(&view, rq, (pv_rect){20, 80, 760, 380});
  CHECK_INT(dl.dropped, 0);
}

/* Returns how many text commands say s; *where gets the last one's rect. */
static int texts(const char *s, pv_rect *where) {
  int n = 0;
  for (size_t i = 0; i < dl.count; i++)
    if (dl.cmds[i].kind == PV_DRAW_TEXT && strcmp(dl.cmds[i].text, s) == 0) {
      n++;
      if (where)
        *where = dl.cmds[i].rect;
    }
  return n;
}

/* Returns how many image commands draw path; *where gets the last one's rect. */
static int images(const char *path, pv_rect *where) {
  int n = 0;
  for (size_t i = 0; i < dl.count; i++)
    if (dl.cmds[i].kind == PV_DRAW_IMAGE && strcmp(dl.cmds[i].path, path) == 0) {
      n++;
      if (where)
        *where = dl.cmds[i].rect;
    }
  return n;
}

/* Returns how many texts are numbers (digits only). */
static int numbers(void) {
  int n = 0;
  for (size_t i = 0; i < dl.count; i++)
    if (dl.cmds[i].kind == PV_DRAW_TEXT && dl.cmds[i].text[0] &&
        strspn(dl.cmds[i].text, "0123456789") == strlen(dl.cmds[i].text))
      n++;
  return n;
}

static void test_view_counts(void) {
  reset();
  ones(1, "ressenti", "1");
  ones(4, "ressenti", "2");
  ones(5, "ressenti", "3");
  ones(3, "sur", "\"yes\"");
  ones(2, "voix", "{\"skipped\":\"no_capture_device\"}");
  pv_restit *r = build(3);
  pv_restit_view_init(&view, &look, 0);
  /* smileys 1/4/5/0/0: the 1 and the 4 are veiled, never written, and so
   * are the zeros (shown, they would say each veil holds someone) */
  draw(&r->questions[Q_SMILEYS], 0);
  CHECK_INT(texts("5", NULL), 1);
  CHECK_INT(texts("0", NULL), 0);
  CHECK_INT(texts("1", NULL), 0);
  CHECK_INT(texts("4", NULL), 0);
  CHECK_INT(numbers(), 1);
  CHECK_INT(texts("Pas assez de réponses", NULL), 1); /* the key */
  CHECK_INT(images(pics[PV_PIC_PEOPLE], NULL), 5);    /* four veils and the key */
  /* RTL: the same, mirrored (point 3's number stands mirrored) */
  pv_rect ltr, rtl;
  CHECK_INT(texts("5", &ltr), 1);
  draw(&r->questions[Q_SMILEYS], 1);
  CHECK_INT(texts("5", &rtl), 1);
  CHECK_INT(rtl.x, 800 - ltr.x - ltr.w);
  CHECK_INT(rtl.y, ltr.y);
  /* yes / no with 3 yes: "3", "0" and the words under them */
  draw(&r->questions[Q_YES_NO], 0);
  CHECK_INT(texts("3", NULL), 1);
  CHECK_INT(texts("0", NULL), 1);
  CHECK_INT(texts("Oui", NULL), 1);
  CHECK_INT(texts("Non", NULL), 1);
  CHECK_INT(images(pics[PV_PIC_PEOPLE], NULL), 0);
  /* too few: the sentence, no number at all */
  draw(&r->questions[Q_SCALE], 0);
  CHECK_INT(numbers(), 0);
  CHECK_INT(texts("Pas assez de réponses", NULL), 1);
  view.too_few = "ليست هناك إجابات كافية";
  draw(&r->questions[Q_CHOICE], 1);
  CHECK_INT(texts("ليست هناك إجابات كافية", NULL), 1);
  /* voice and text: private, whatever was answered */
  draw(&r->questions[Q_VOICE], 0);
  CHECK_INT(texts("Pas montré en public", NULL), 1);
  CHECK_INT(images(pics[PV_PIC_LOCK], NULL), 1);
  CHECK_INT(numbers(), 0);
  pv_restit_free(r);
}

static void test_view_rows(void) {
  reset();
  ones(3, "ordre", "[\"b\",\"a\",\"c\"]");
  ones(3, "lieux", "[\"parc\",\"gare\"]");
  ones(4, "lieux", "[\"marche\"]");
  ones(3, "photos", "[\"p1\"]");
  pv_restit *r = build(3);
  pv_restit_view_init(&view, &look, 0);
  /* ranking: b first; d (nobody ranked it) veiled, without a position */
  draw(&r->questions[Q_RANKING], 0);
  pv_rect b_img, a_img, one, two;
  CHECK_INT(images(survey->questions[Q_RANKING].options[1].image, &b_img), 4);
  CHECK_INT(texts("1", &one), 1);
  CHECK_INT(texts("2", &two), 1);
  CHECK_INT(texts("3", NULL), 1);
  CHECK_INT(texts("4", NULL), 0);
  CHECK(one.y < two.y);
  CHECK_INT(texts("B", &b_img), 1);
  CHECK_INT(texts("A", &a_img), 1);
  CHECK(b_img.y < a_img.y);
  CHECK_INT(images(pics[PV_PIC_PEOPLE], NULL), 2); /* d's veil and the key */
  /* choices: bars and numbers; RTL bars grow from the right */
  draw(&r->questions[Q_CHOICE], 0);
  CHECK_INT(texts("3", NULL), 2);
  CHECK_INT(texts("4", NULL), 1);
  CHECK_INT(texts("Marché", &a_img), 1);
  draw(&r->questions[Q_CHOICE], 1);
  CHECK_INT(texts("Marché", &b_img), 1);
  CHECK_INT(b_img.x, 800 - a_img.x - a_img.w);
  draw(&r->questions[Q_PHOTO], 0);
  CHECK_INT(images(survey->questions[Q_PHOTO].options[0].image, NULL), 1);
  CHECK_INT(texts("3", NULL), 1);
  pv_restit_free(r);
}

/* The heat lies over the plan the same way in both directions. */
static void test_view_map(void) {
  char v[256];
  reset();
  pin_answer(v, sizeof v, "aime", 0.1, 0.2, 1);
  ones(3, "carte", v);
  pin_answer(v, sizeof v, "peur", 0.9, 0.9, 2);
  one("carte", v);
  pv_restit *r = build(3);
  const pv_restit_question *rq = &r->questions[Q_MAP];
  pv_restit_view_init(&view, &look, 0);
  pv_rect plan[2], heat[2];
  for (int rtl = 0; rtl < 2; rtl++) {
    draw(rq, rtl);
    CHECK_INT(images(rq->q->plan, &plan[rtl]), 1);
    int n = 0;
    for (size_t i = 0; i < dl.count; i++)
      if (dl.cmds[i].kind == PV_DRAW_RECT &&
          (dl.cmds[i].color & 0xFFFFFF00u) == 0xD8431500u) {
        heat[rtl] = dl.cmds[i].rect;
        n++;
      }
    CHECK_INT(n, 1); /* the lone "peur" resident's cell is not drawn */
  }
  CHECK_INT(plan[1].x, 800 - plan[0].x - plan[0].w); /* moved, */
  CHECK_INT(plan[1].w, plan[0].w);
  CHECK_INT(heat[0].x - plan[0].x, heat[1].x - plan[1].x); /* never flipped */
  CHECK_INT(heat[0].x - plan[0].x, 1 * plan[0].w / PV_RESTIT_GRID_W);
  CHECK_INT(heat[0].y - plan[0].y, 2 * plan[0].h / PV_RESTIT_GRID_H);
  pv_restit_free(r);
}

static int path_calls;

static const char *drawing_path(void *ud, const char *sha) {
  static char paths[PV_RESTIT_VIEW_GALLERY][128];
  char *p = paths[path_calls++ % PV_RESTIT_VIEW_GALLERY];
  snprintf(p, 128, "%s/%s.png", (const char *)ud, sha);
  return p;
}

static void test_view_gallery(void) {
  static const int order[] = {0, 1, 2, 3, 4};
  reset();
  drawings(order, 5);
  pv_restit *r = build(3);
  const pv_restit_question *rq = &r->questions[Q_DRAWING];
  pv_restit_view_init(&view, &look, 0);
  view.drawing_path = drawing_path;
  view.ud = "/cache";
  path_calls = 0;
  draw(rq, 0);
  CHECK_INT(path_calls, 5);
  CHECK_INT(pv_restit_view_pages(rq), 1);
  char want[128];
  pv_rect first_ltr, first_rtl;
  snprintf(want, sizeof want, "/cache/%s.png", rq->gallery[0]);
  CHECK_INT(images(want, &first_ltr), 1);
  draw(rq, 1);
  CHECK_INT(images(want, &first_rtl), 1);
  CHECK_INT(first_rtl.x, 800 - first_ltr.x - first_ltr.w); /* order mirrors */
  pv_restit_free(r);
  /* K - 1 drawings: the callback is never asked for a path */
  reset();
  drawings(order, 2);
  r = build(3);
  path_calls = 0;
  draw(&r->questions[Q_DRAWING], 0);
  CHECK_INT(path_calls, 0);
  CHECK_INT(pv_restit_view_pages(&r->questions[Q_DRAWING]), 0);
  CHECK_INT(texts("Pas assez de réponses", NULL), 1);
  pv_restit_free(r);
}

int main(void) {
  pv_diags d = {0};
  pv_err err = pv_survey_parse("t.json", NULL, survey_json, strlen(survey_json), NULL,
                               &survey, &d);
  pv_diags_print(&d, stderr);
  pv_diags_free(&d);
  CHECK_INT(err, PV_OK);
  if (!survey)
    return pv_test_done();
  CHECK_INT(survey->n_questions, Q_SINGLE + 1);
  test_distributions();
  test_threshold();
  test_values();
  test_ranking();
  test_ranking_hidden_item();
  test_map();
  test_gallery();
  test_scope();
  test_store();
  test_view_counts();
  test_view_rows();
  test_view_map();
  test_view_gallery();
  reset();
  pv_survey_free(survey);
  return pv_test_done();
}
