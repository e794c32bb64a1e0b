/* restitution: counts a session's answers question by question, then
 * applies the K rule (docs/animateur.md, "Restitution") in one place.
 *
 * Counting happens in the result itself (an accumulator per question,
 * filled response by response, so the store walk needs no copy of the
 * session); finishing hides and zeroes what the K rule forbids. The
 * per-type work is dispatched through a static table. */
#include "core/restitution.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GRID_CELLS (PV_RESTIT_GRID_W * PV_RESTIT_GRID_H)
#define MAX_DRAWINGS 4096 /* drawings read before the gallery is cut */

/* What is counted but never shown: residents per heat cell, and for
 * rankings how many residents put item i before item j (before[i * n +
 * j]), so means can be taken among the shown items only. */
typedef struct scratch {
  int *heat_res; /* residents per heat cell, laid out as rq->heat */
  int *before;   /* ranking: n x n pair counts */
  size_t gallery_cap;
} scratch;

typedef struct acc {
  const pv_survey *s;
  pv_restit *r;
  scratch *sc; /* one per question */
  size_t n_sc;
  char seed[PV_UUID_LEN + 1];
  int seeded;
} acc;

typedef pv_err (*add_fn)(acc *a, size_t qi, const cJSON *v, const pv_store_answer *ans);
typedef void (*finish_fn)(acc *a, size_t qi);

/* ---- values ---------------------------------------------------------- */

/* Returns v as an integer in lo..hi, or -1 when it is anything else. */
static int int_in(const cJSON *v, int lo, int hi) {
  if (!cJSON_IsNumber(v))
    return -1;
  double d = v->valuedouble;
  if (!(d >= lo && d <= hi) || d != (double)(int)d)
    return -1;
  return (int)d;
}

/* Returns the index of option id in q, or -1. */
static int option_of(const pv_question *q, const cJSON *v) {
  if (!cJSON_IsString(v))
    return -1;
  for (size_t i = 0; i < q->n_options; i++)
    if (strcmp(q->options[i].id, v->valuestring) == 0)
      return (int)i;
  return -1;
}

/* ---- adding one answer ---------------------------------------------- */

static pv_err add_point(acc *a, size_t qi, const cJSON *v, const pv_store_answer *ans) {
  (void)ans;
  pv_restit_question *rq = &a->r->questions[qi];
  int lo = rq->q->type == PV_Q_SMILEYS ? 1 : 0;
  int p = int_in(v, lo, lo + (int)rq->n_cells - 1);
  if (p < 0)
    return PV_OK;
  rq->cells[p - lo].count++;
  rq->answered++;
  return PV_OK;
}

static pv_err add_yes_no(acc *a, size_t qi, const cJSON *v,
                         const pv_store_answer *ans) {
  (void)ans;
  pv_restit_question *rq = &a->r->questions[qi];
  if (!cJSON_IsString(v))
    return PV_OK;
  int i = strcmp(v->valuestring, "yes") == 0  ? 0
          : strcmp(v->valuestring, "no") == 0 ? 1
                                              : -1;
  if (i < 0)
    return PV_OK;
  rq->cells[i].count++;
  rq->answered++;
  return PV_OK;
}

/* A single id or a list of ids (any version's form); each known option
 * counts once per resident. */
static pv_err add_choice(acc *a, size_t qi, const cJSON *v,
                         const pv_store_answer *ans) {
  (void)ans;
  pv_restit_question *rq = &a->r->questions[qi];
  unsigned char seen[PV_SURVEY_MAX_OPTIONS] = {0};
  int any = 0;
  const cJSON *one = cJSON_IsArray(v) ? v->child : v;
  for (; one; one = cJSON_IsArray(v) ? one->next : NULL) {
    int i = option_of(rq->q, one);
    if (i < 0 || i >= PV_SURVEY_MAX_OPTIONS || seen[i])
      continue;
    seen[i] = 1;
    rq->cells[i].count++;
    any = 1;
  }
  rq->answered += any;
  return PV_OK;
}

/* Keeps, for each pair of items this version knows, who came first. */
static pv_err add_ranking(acc *a, size_t qi, const cJSON *v,
                          const pv_store_answer *ans) {
  (void)ans;
  pv_restit_question *rq = &a->r->questions[qi];
  unsigned char seen[PV_SURVEY_MAX_OPTIONS] = {0};
  int order[PV_SURVEY_MAX_OPTIONS];
  size_t n = 0, items = rq->n_ranks;
  if (!cJSON_IsArray(v))
    return PV_OK;
  for (const cJSON *it = v->child; it; it = it->next) {
    int i = option_of(rq->q, it);
    if (i < 0 || i >= PV_SURVEY_MAX_OPTIONS || seen[i])
      continue;
    seen[i] = 1;
    for (size_t p = 0; p < n; p++)
      a->sc[qi].before[(size_t)order[p] * items + (size_t)i]++;
    order[n++] = i;
    rq->ranks[i].count++;
  }
  rq->answered += n > 0;
  return PV_OK;
}

static size_t heat_index(size_t g, int gx, int gy) {
  return g * GRID_CELLS + (size_t)gy * PV_RESTIT_GRID_W + (size_t)gx;
}

/* Pins count where they fall; residents count once per cell and kind. */
static pv_err add_map(acc *a, size_t qi, const cJSON *v, const pv_store_answer *ans) {
  (void)ans;
  pv_restit_question *rq = &a->r->questions[qi];
  size_t nk = rq->n_cells;
  unsigned char touched[(PV_SURVEY_MAX_OPTIONS + 1) * GRID_CELLS];
  unsigned char kinds[PV_SURVEY_MAX_OPTIONS] = {0};
  int pins = 0;
  if (!cJSON_IsArray(v) || nk > PV_SURVEY_MAX_OPTIONS)
    return PV_OK;
  memset(touched, 0, (nk + 1) * GRID_CELLS);
  for (const cJSON *p = v->child; p && pins < PV_RESTIT_MAX_PINS; p = p->next) {
    int k = option_of(rq->q, cJSON_GetObjectItemCaseSensitive(p, "kind"));
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(p, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(p, "y");
    if (k < 0 || !cJSON_IsNumber(x) || !cJSON_IsNumber(y))
      continue;
    double fx = x->valuedouble, fy = y->valuedouble;
    if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1))
      continue;
    int gx = (int)(fx * PV_RESTIT_GRID_W), gy = (int)(fy * PV_RESTIT_GRID_H);
    gx = gx < PV_RESTIT_GRID_W ? gx : PV_RESTIT_GRID_W - 1;
    gy = gy < PV_RESTIT_GRID_H ? gy : PV_RESTIT_GRID_H - 1;
    size_t cells[2] = {heat_index((size_t)k, gx, gy), heat_index(nk, gx, gy)};
    for (size_t c = 0; c < 2; c++) {
      rq->heat[cells[c]].count++;
      if (!touched[cells[c]])
        a->sc[qi].heat_res[cells[c]]++;
      touched[cells[c]] = 1;
    }
    kinds[k] = 1;
    pins++;
  }
  for (size_t k = 0; k < nk; k++)
    rq->cells[k].count += kinds[k];
  rq->answered += pins > 0;
  return PV_OK;
}

static pv_err add_drawing(acc *a, size_t qi, const cJSON *v,
                          const pv_store_answer *ans) {
  pv_restit_question *rq = &a->r->questions[qi];
  scratch *sc = &a->sc[qi];
  const char *sha = ans->attachment;
  if (!pv_sha256_valid(sha)) {
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(v, "attachment");
    sha = cJSON_IsString(att) ? att->valuestring : "";
  }
  if (!pv_sha256_valid(sha))
    return PV_OK;
  rq->answered++;
  if (rq->n_gallery == MAX_DRAWINGS)
    return PV_OK;
  if (rq->n_gallery == sc->gallery_cap) {
    size_t cap = sc->gallery_cap ? sc->gallery_cap * 2 : 16;
    void *g = realloc(rq->gallery, cap * sizeof rq->gallery[0]);
    if (!g)
      return pv_fail(PV_ERR_NOMEM, "restitution: gallery of %zu drawings", cap);
    rq->gallery = g;
    sc->gallery_cap = cap;
  }
  memcpy(rq->gallery[rq->n_gallery++], sha, PV_SHA256_HEX + 1);
  return PV_OK;
}

/* ---- the K rule ------------------------------------------------------ */

/* Hides every count in 1..k-1; then, if any is hidden, hides the next
 * smallest shown non-zero counts (first in survey order on ties) until
 * the hidden ones hold at least k answers together, so the known total
 * minus the shown counts never gives away a hidden one; and hides the
 * zero counts too, since a zero shown beside hidden cells tells the room
 * each hidden cell holds at least one (1/1/1/0/4 would read "one each").
 * Zeroes what it hides. */
static void hide_small(pv_restit_cell *c, size_t n, int k) {
  long hidden_sum = 0;
  int any = 0;
  for (size_t i = 0; i < n; i++)
    if (c[i].count > 0 && c[i].count < k) {
      c[i].hidden = 1;
      hidden_sum += c[i].count;
      any = 1;
    }
  while (any && hidden_sum < k) {
    size_t best = n;
    for (size_t i = 0; i < n; i++)
      if (!c[i].hidden && c[i].count > 0 && (best == n || c[i].count < c[best].count))
        best = i;
    if (best == n)
      break;
    c[best].hidden = 1;
    hidden_sum += c[best].count;
  }
  for (size_t i = 0; any && i < n; i++)
    if (c[i].count == 0)
      c[i].hidden = 1;
  for (size_t i = 0; i < n; i++)
    if (c[i].hidden)
      c[i].count = 0;
}

/* Fewer than k residents: nothing of the question is left. */
static void too_few(pv_restit_question *rq) {
  rq->state = PV_RESTIT_TOO_FEW;
  rq->answered = 0;
  for (size_t i = 0; i < rq->n_cells; i++)
    rq->cells[i] = (pv_restit_cell){0, 1};
  for (size_t i = 0; i < rq->n_ranks; i++) {
    rq->ranks[i] = (pv_restit_rank){0, 0, 1};
    rq->order[i] = i;
  }
  if (rq->heat)
    for (size_t i = 0; i < (rq->n_cells + 1) * GRID_CELLS; i++)
      rq->heat[i] = (pv_restit_cell){0, 1};
  free(rq->gallery);
  rq->gallery = NULL;
  rq->n_gallery = 0;
}

static void finish_counts(acc *a, size_t qi) {
  pv_restit_question *rq = &a->r->questions[qi];
  if (rq->answered < a->r->k)
    too_few(rq);
  else
    hide_small(rq->cells, rq->n_cells, a->r->k);
}

static void finish_ranking(acc *a, size_t qi) {
  pv_restit_question *rq = &a->r->questions[qi];
  int k = a->r->k;
  if (rq->answered < k) {
    too_few(rq);
    return;
  }
  /* A hidden item must not move the others: each resident's rank of a
   * shown item counts only the shown items they put before it. */
  size_t n = rq->n_ranks;
  const int *before = a->sc[qi].before;
  for (size_t i = 0; i < n; i++)
    if (rq->ranks[i].count < k)
      rq->ranks[i].hidden = 1;
  for (size_t i = 0; i < n; i++) {
    pv_restit_rank *it = &rq->ranks[i];
    rq->order[i] = i;
    if (it->hidden) {
      *it = (pv_restit_rank){0, 0, 1};
      continue;
    }
    long sum = it->count; /* rank 1 each, plus the shown items put first */
    for (size_t j = 0; j < n; j++)
      if (j != i && !rq->ranks[j].hidden)
        sum += before[j * n + i];
    it->mean = (double)sum / it->count;
  }
  /* Insertion sort (at most PV_SURVEY_MAX_OPTIONS items): stable. */
  for (size_t i = 1; i < rq->n_ranks; i++) {
    size_t o = rq->order[i], j = i;
    for (; j > 0; j--) {
      const pv_restit_rank *p = &rq->ranks[rq->order[j - 1]], *c = &rq->ranks[o];
      int first = !c->hidden && (p->hidden || c->mean < p->mean);
      if (!first)
        break;
      rq->order[j] = rq->order[j - 1];
    }
    rq->order[j] = o;
  }
}

/* Heat cells: the all-kinds cell shows when at least k residents have a
 * pin in it; its split by kind shows only when every kind there has 0 or
 * at least k residents, so all-kinds minus shown kinds gives nothing. */
static void finish_map(acc *a, size_t qi) {
  pv_restit_question *rq = &a->r->questions[qi];
  int k = a->r->k;
  size_t nk = rq->n_cells;
  if (rq->answered < k) {
    too_few(rq);
    return;
  }
  hide_small(rq->cells, nk, k);
  for (size_t c = 0; c < GRID_CELLS; c++) {
    int all = a->sc[qi].heat_res[nk * GRID_CELLS + c];
    int split_ok = all >= k;
    for (size_t g = 0; g < nk && split_ok; g++) {
      int res = a->sc[qi].heat_res[g * GRID_CELLS + c];
      split_ok = res == 0 || res >= k;
    }
    if (all == 0)
      continue;
    for (size_t g = 0; g <= nk; g++)
      if (g == nk ? all < k : !split_ok)
        rq->heat[g * GRID_CELLS + c] = (pv_restit_cell){0, 1};
  }
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = UINT64_C(14695981039346656037);
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
  return h;
}

static uint64_t splitmix64(uint64_t *st) {
  uint64_t z = (*st += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int sha_cmp(const void *x, const void *y) {
  return strcmp(x, y);
}

/* At least k drawings: sorted (forgets the answering order), then
 * shuffled by the session, then cut to PV_RESTIT_MAX_GALLERY. */
static void finish_drawing(acc *a, size_t qi) {
  pv_restit_question *rq = &a->r->questions[qi];
  if (rq->answered < a->r->k) {
    too_few(rq);
    return;
  }
  size_t n = rq->n_gallery;
  qsort(rq->gallery, n, sizeof rq->gallery[0], sha_cmp);
  uint64_t st = fnv1a(a->seed);
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(splitmix64(&st) % i);
    char t[PV_SHA256_HEX + 1];
    memcpy(t, rq->gallery[i - 1], sizeof t);
    memcpy(rq->gallery[i - 1], rq->gallery[j], sizeof t);
    memcpy(rq->gallery[j], t, sizeof t);
  }
  if (rq->n_gallery > PV_RESTIT_MAX_GALLERY)
    rq->n_gallery = PV_RESTIT_MAX_GALLERY;
}

/* ---- dispatch -------------------------------------------------------- */

typedef struct type_ops {
  add_fn add; /* NULL: never read (private) */
  finish_fn finish;
} type_ops;

static const type_ops OPS[PV_Q__COUNT] = {
    [PV_Q_SMILEYS] = {add_point, finish_counts},
    [PV_Q_CHOICE] = {add_choice, finish_counts},
    [PV_Q_YES_NO] = {add_yes_no, finish_counts},
    [PV_Q_SCALE] = {add_point, finish_counts},
    [PV_Q_RANKING] = {add_ranking, finish_ranking},
    [PV_Q_MAP] = {add_map, finish_map},
    [PV_Q_DRAWING] = {add_drawing, finish_drawing},
    [PV_Q_PHOTO_CHOICE] = {add_choice, finish_counts},
    [PV_Q_VOICE] = {NULL, NULL},
    [PV_Q_TEXT] = {NULL, NULL},
};

/* Returns how many distribution cells question q has. */
static size_t cells_of(const pv_question *q) {
  switch (q->type) {
  case PV_Q_SMILEYS:
    return q->points > 0 ? (size_t)q->points : 0;
  case PV_Q_SCALE:
    return PV_RESTIT_SCALE_CELLS;
  case PV_Q_YES_NO:
    return 2;
  case PV_Q_CHOICE:
  case PV_Q_PHOTO_CHOICE:
  case PV_Q_MAP:
    return q->n_options;
  default:
    return 0;
  }
}

/* ---- lifecycle ------------------------------------------------------- */

void pv_restit_free(pv_restit *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n_questions; i++) {
    pv_restit_question *rq = &r->questions[i];
    free(rq->cells);
    free(rq->ranks);
    free(rq->order);
    free(rq->heat);
    free(rq->gallery);
  }
  free(r->questions);
  free(r);
}

static void acc_free(acc *a) {
  if (a->sc)
    for (size_t i = 0; i < a->n_sc; i++) {
      free(a->sc[i].heat_res);
      free(a->sc[i].before);
    }
  free(a->sc);
  pv_restit_free(a->r);
  memset(a, 0, sizeof *a);
}

/* Allocates the empty result and the scratch for survey s. */
static pv_err acc_init(acc *a, const pv_survey *s, int k) {
  memset(a, 0, sizeof *a);
  a->s = s;
  PV_ASSERT(s->n_questions <= PV_SURVEY_MAX_QUESTIONS);
  if (!(a->r = calloc(1, sizeof *a->r)) ||
      !(a->r->questions =
            calloc(s->n_questions ? s->n_questions : 1, sizeof a->r->questions[0])) ||
      !(a->sc = calloc(s->n_questions ? s->n_questions : 1, sizeof a->sc[0])))
    goto nomem;
  a->n_sc = s->n_questions;
  a->r->k = k < 1 ? 1 : k;
  a->r->n_questions = s->n_questions;
  for (size_t i = 0; i < s->n_questions; i++) {
    const pv_question *q = &s->questions[i];
    pv_restit_question *rq = &a->r->questions[i];
    rq->q = q;
    rq->state = OPS[q->type].add ? PV_RESTIT_SHOWN : PV_RESTIT_PRIVATE;
    if (!OPS[q->type].add)
      continue;
    PV_ASSERT(q->n_options <= PV_SURVEY_MAX_OPTIONS);
    rq->n_cells = cells_of(q);
    if (rq->n_cells && !(rq->cells = calloc(rq->n_cells, sizeof rq->cells[0])))
      goto nomem;
    if (q->type == PV_Q_RANKING && q->n_options) {
      rq->n_ranks = q->n_options;
      if (!(rq->ranks = calloc(q->n_options, sizeof rq->ranks[0])) ||
          !(rq->order = calloc(q->n_options, sizeof rq->order[0])) ||
          !(a->sc[i].before = calloc(q->n_options * q->n_options, sizeof(int))))
        goto nomem;
    }
    if (q->type == PV_Q_MAP) {
      size_t cells = (rq->n_cells + 1) * GRID_CELLS;
      if (!(rq->heat = calloc(cells, sizeof rq->heat[0])) ||
          !(a->sc[i].heat_res = calloc(cells, sizeof(int))))
        goto nomem;
    }
  }
  return PV_OK;
nomem:
  acc_free(a);
  return pv_fail(PV_ERR_NOMEM, "restitution: no memory for %zu questions",
                 s->n_questions);
}

/* Counts one response, when it is a finished one to this survey. */
static pv_err acc_add(acc *a, const pv_store_response *resp) {
  unsigned char seen[PV_SURVEY_MAX_QUESTIONS] = {0};
  pv_err err = PV_OK;
  if (strcmp(resp->survey_id, a->s->id) != 0 || resp->status == PV_STORE_IN_PROGRESS)
    return PV_OK;
  if (!a->seeded) {
    snprintf(a->seed, sizeof a->seed, "%s", resp->session_uuid);
    a->seeded = 1;
  }
  a->r->responses++;
  for (size_t i = 0; i < resp->answer_count && !err; i++) {
    const pv_store_answer *ans = &resp->answers[i];
    const pv_question *q = pv_survey_question(a->s, ans->question_id);
    if (!q || !OPS[q->type].add || !ans->value)
      continue; /* voice and text: never even parsed */
    size_t qi = (size_t)(q - a->s->questions);
    if (seen[qi])
      continue; /* the store keeps one answer per question; be sure */
    seen[qi] = 1;
    cJSON *v = cJSON_Parse(ans->value);
    if (!v)
      continue; /* the store keeps valid JSON; anything else is not an answer */
    err = OPS[q->type].add(a, qi, v, ans);
    cJSON_Delete(v);
  }
  return err;
}

/* Applies the K rule and hands the result over to *out. */
static void acc_finish(acc *a, pv_restit **out) {
  for (size_t i = 0; i < a->r->n_questions; i++)
    if (OPS[a->r->questions[i].q->type].finish)
      OPS[a->r->questions[i].q->type].finish(a, i);
  *out = a->r;
  a->r = NULL;
  acc_free(a);
}

pv_err pv_restit_build(const pv_survey *s, const pv_store_response *rs, size_t n, int k,
                       pv_restit **out) {
  acc a;
  pv_err err;
  PV_ASSERT(s && out && (rs || n == 0));
  *out = NULL;
  if ((err = acc_init(&a, s, k)))
    return err;
  for (size_t i = 0; i < n; i++)
    if ((err = acc_add(&a, &rs[i])))
      goto out;
  acc_finish(&a, out);
out:
  if (err)
    acc_free(&a);
  return err;
}

pv_err pv_restit_from_store(pv_store *st, const pv_survey *s, const char *session_uuid,
                            int k, pv_restit **out) {
  acc a;
  pv_err err;
  pv_store_batch b = {0};
  char after_at[PV_STORE_TIME_LEN + 1] = "", after_uuid[PV_UUID_LEN + 1] = "";
  PV_ASSERT(st && s && out);
  *out = NULL;
  if ((err = acc_init(&a, s, k)))
    return err;
  for (;;) {
    err = pv_store_finished_after(st, session_uuid, PV_RESTIT_PAGE,
                                  after_uuid[0] ? after_at : NULL,
                                  after_uuid[0] ? after_uuid : NULL, &b);
    if (err)
      goto out;
    for (size_t i = 0; i < b.count; i++)
      if ((err = acc_add(&a, &b.responses[i])))
        goto out;
    if (b.count < PV_RESTIT_PAGE)
      break;
    snprintf(after_at, sizeof after_at, "%s", b.responses[b.count - 1].started_at);
    snprintf(after_uuid, sizeof after_uuid, "%s", b.responses[b.count - 1].uuid);
    pv_store_batch_free(&b);
  }
  acc_finish(&a, out);
out:
  pv_store_batch_free(&b);
  if (err)
    acc_free(&a);
  return err;
}

const pv_restit_cell *pv_restit_heat(const pv_restit_question *rq, size_t g, int gx,
                                     int gy) {
  PV_ASSERT(rq->heat && g <= rq->n_cells && gx >= 0 && gx < PV_RESTIT_GRID_W &&
            gy >= 0 && gy < PV_RESTIT_GRID_H);
  return &rq->heat[heat_index(g, gx, gy)];
}
