/* export: one survey's responses as CSV, JSON or GeoJSON, its codebook,
 * and a folder with them plus the attachments (see export.h; the
 * analyst's reference is docs/sync-protocol.md, "Exports").
 *
 * A "model" is built first from every published version of the survey
 * the territory sees (newest first): the union of their questions gives
 * the columns, each question laid out by a per-type table entry. Then
 * pv_cdb_export walks the responses with a cursor; each one becomes one
 * CSV row (cells gathered in a reused row buffer, then quoted and
 * written), one JSON object, or one GeoJSON Feature per pin of a map
 * question with geographic bounds, pushed through a fixed-size output
 * buffer to the caller's sink. Memory is bounded by the model, one row and
 * the output chunk, whatever the number of responses; only pv_export_to_dir
 * also keeps the attachments it must copy (39 bytes each, bounded), and
 * copies them after the walk: a pv_cdb runs one statement at a time. */
#include "collector/export.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/wav.h"
#include "core/clock.h"

#define MAX_NAME 96               /* a column name: qid "." option ".seconds" */
#define MAX_ROW (32 << 20)        /* bytes of one CSV row's cells */
#define MAX_ATTACHMENTS (1 << 20) /* attachments one folder export copies */
#define MAX_LABELS (16 << 10)     /* bytes of one codebook cell */
#define MAX_PATH 4096

static const char bom[] = "\xEF\xBB\xBF";

/* ---- output: a fixed chunk in front of the sink ---------------------------------- */

typedef struct writer {
  pv_export_sink_fn sink;
  void *ud;
  char *buf;
  size_t len;
  pv_err err; /* first failure; later writes are dropped */
} writer;

static pv_err out_flush(writer *o) {
  if (!o->err && o->len) {
    pv_err err = o->sink(o->ud, o->buf, o->len);
    if (err)
      o->err = err;
  }
  o->len = 0;
  return o->err;
}

static void put(writer *o, const void *p, size_t n) {
  const char *s = p;
  while (n && !o->err) {
    size_t room = PV_EXPORT_CHUNK - o->len;
    size_t k = n < room ? n : room;
    memcpy(o->buf + o->len, s, k);
    o->len += k, s += k, n -= k;
    if (o->len == PV_EXPORT_CHUNK)
      out_flush(o);
  }
}

static void puts_(writer *o, const char *s) {
  put(o, s, strlen(s));
}

static void putf(writer *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(writer *o, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0)
    put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Writes one CSV field: RFC 4180 quoting when it holds ; " CR or LF, and
 * a leading apostrophe on text that a spreadsheet would run as a formula. */
static void csv_field(writer *o, const char *s, size_t n, int numeric) {
  int defuse = !numeric && n && memchr("=+-@\t\r", s[0], 6) != NULL;
  int quote = 0;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ';' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (!quote && !defuse) {
    put(o, s, n);
    return;
  }
  if (quote)
    put(o, "\"", 1);
  if (defuse)
    put(o, "'", 1);
  size_t from = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '"') {
      put(o, s + from, i + 1 - from); /* up to and with the quote ... */
      put(o, "\"", 1);                /* ... then its double */
      from = i + 1;
    }
  put(o, s + from, n - from);
  if (quote)
    put(o, "\"", 1);
}

static void csv_text(writer *o, const char *s, int first) {
  if (!first)
    put(o, ";", 1);
  csv_field(o, s, strlen(s), 0);
}

/* Writes s as a JSON string: quotes, backslashes and control characters
 * escaped, every other byte (UTF-8 included) as is. */
static void json_str(writer *o, const char *s) {
  put(o, "\"", 1);
  const char *from = s;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    put(o, from, (size_t)(s - from));
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(o, e, 2);
    } else if (c == '\n') {
      put(o, "\\n", 2);
    } else if (c == '\r') {
      put(o, "\\r", 2);
    } else if (c == '\t') {
      put(o, "\\t", 2);
    } else {
      putf(o, "\\u%04x", c);
    }
    from = s + 1;
  }
  put(o, from, (size_t)(s - from));
  put(o, "\"", 1);
}

static void json_str_or_null(writer *o, const char *s) {
  if (s && *s)
    json_str(o, s);
  else
    puts_(o, "null");
}

/* ---- the model: versions, questions, columns ---------------------------------- */

typedef enum colkind {
  COL_FIXED,   /* response metadata */
  COL_VALUE,   /* smileys, scale, yes_no, single choice, text */
  COL_FLAG,    /* one option of a multiple choice or photo_choice: 0/1 */
  COL_RANK,    /* one ranking item: its rank 1..n */
  COL_PINS,    /* map: the pins as compact JSON */
  COL_COUNT,   /* map: the number of pins */
  COL_FILE,    /* drawing, voice: attachments/<sha256>.<ext> */
  COL_SECONDS, /* voice: length in whole seconds */
} colkind;

typedef struct column {
  char name[MAX_NAME];
  colkind kind;
  size_t fixed;           /* COL_FIXED: index in fixed_cols */
  size_t q;               /* index in model.qs */
  const pv_option *opt;   /* COL_FLAG, COL_RANK */
  const pv_survey *opt_s; /* the version opt comes from (its languages) */
} column;

/* A question as exported: its definition from the newest version that
 * has it, and its columns first_col .. first_col + n_cols - 1. */
typedef struct mquestion {
  const pv_question *def;
  const pv_survey *s;
  size_t first_col, n_cols;
} mquestion;

typedef struct model {
  char id[PV_STORE_MAX_ID + 1];
  pv_survey **versions; /* newest first */
  size_t n_versions;
  mquestion *qs;
  size_t n_qs;
  size_t *by_id; /* indexes of qs sorted by question id */
  column *cols;
  size_t n_cols;
} model;

typedef struct fixed_col {
  const char *name;
  const char *label_fr;
  const char *value_labels;
} fixed_col;

enum {
  F_UUID,
  F_SURVEY,
  F_VERSION,
  F_TERRITORY,
  F_SESSION,
  F_SESSION_KIND,
  F_SESSION_PLACE,
  F_QPV_CODE,
  F_QPV_NAME,
  F_ANIMATEUR,
  F_LANGUAGE,
  F_STARTED,
  F_ENDED,
  F_STATUS,
  F_DURATION,
  F__COUNT
};

static const fixed_col fixed_cols[F__COUNT] = {
    [F_UUID] = {"response_uuid", "Identifiant unique de la réponse (UUID)", ""},
    [F_SURVEY] = {"survey_id", "Identifiant du questionnaire", ""},
    [F_VERSION] = {"survey_version",
                   "Version du questionnaire à laquelle la personne a répondu", ""},
    [F_TERRITORY] = {"territory", "Code du territoire (contrat de ville) de la borne",
                     ""},
    [F_SESSION] = {"session_uuid",
                   "Identifiant de la séance animée (table de quartier, marche "
                   "exploratoire…) ; vide pour une réponse libre à la borne",
                   ""},
    [F_SESSION_KIND] = {"session_kind",
                        "Type de session (vide hors séance, ou si la séance n'est pas "
                        "encore arrivée)",
                        "kiosk = Kiosque en libre-service | table_de_quartier = Table "
                        "de quartier | marche_exploratoire = Marche exploratoire | "
                        "atelier = Atelier"},
    [F_SESSION_PLACE] = {"session_place", "Lieu de la session", ""},
    [F_QPV_CODE] = {"qpv_code",
                    "Code QPV du quartier prioritaire de la session (ex. QN03401M)",
                    ""},
    [F_QPV_NAME] = {"qpv_name", "Nom du quartier de la session", ""},
    [F_ANIMATEUR] = {"animateur",
                     "Initiales de l'animateur ou de l'animatrice de la session", ""},
    [F_LANGUAGE] = {"language", "Langue choisie par la personne pour répondre", ""},
    [F_STARTED] = {"started_at", "Début de la réponse (heure UTC, ISO 8601)", ""},
    [F_ENDED] = {"ended_at", "Fin de la réponse (heure UTC, ISO 8601)", ""},
    [F_STATUS] = {"status", "État de la réponse",
                  "complete = questionnaire terminé | abandoned = abandonné en cours "
                  "de route (les réponses données sont gardées)"},
    [F_DURATION] = {"duration_s",
                    "Durée de la réponse en secondes entières (fin moins début)", ""},
};

static void model_free(model *m) {
  for (size_t i = 0; i < m->n_versions; i++)
    pv_survey_free(m->versions[i]);
  free(m->versions);
  free(m->qs);
  free(m->by_id);
  free(m->cols);
  memset(m, 0, sizeof *m);
}

static pv_err add_col(model *m, colkind kind, size_t q, const char *suffix,
                      const pv_option *opt, const pv_survey *opt_s) {
  if (m->n_cols >= PV_EXPORT_MAX_COLUMNS)
    return pv_fail(PV_ERR_TOOBIG, "export: survey %s needs more than %d columns", m->id,
                   PV_EXPORT_MAX_COLUMNS);
  column *c = &m->cols[m->n_cols++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->q = q;
  c->opt = opt;
  c->opt_s = opt_s;
  const char *qid = m->qs[q].def->id;
  if (suffix)
    snprintf(c->name, sizeof c->name, "%s.%s", qid, suffix);
  else
    snprintf(c->name, sizeof c->name, "%s", qid);
  return PV_OK;
}

/* Returns the question of version s with id and the same layout as def
 * (same type; for choice, same multiple), or NULL. */
static const pv_question *same_question(const pv_survey *s, const pv_question *def) {
  const pv_question *q = pv_survey_question(s, def->id);
  if (!q || q->type != def->type || q->multiple != def->multiple)
    return NULL;
  return q;
}

/* One column per option, over every version (newest order, then options
 * only older versions have). */
static pv_err option_cols(model *m, size_t qi, colkind kind) {
  const pv_question *def = m->qs[qi].def;
  size_t first = m->n_cols;
  for (size_t v = 0; v < m->n_versions; v++) {
    const pv_question *q = same_question(m->versions[v], def);
    for (size_t o = 0; q && o < q->n_options; o++) {
      int seen = 0;
      for (size_t c = first; c < m->n_cols && !seen; c++)
        seen = strcmp(m->cols[c].opt->id, q->options[o].id) == 0;
      pv_err err =
          seen ? PV_OK
               : add_col(m, kind, qi, q->options[o].id, &q->options[o], m->versions[v]);
      if (err)
        return err;
    }
  }
  return PV_OK;
}

static pv_err cols_value(model *m, size_t qi) {
  return add_col(m, COL_VALUE, qi, NULL, NULL, NULL);
}

static pv_err cols_choice(model *m, size_t qi) {
  return m->qs[qi].def->multiple ? option_cols(m, qi, COL_FLAG) : cols_value(m, qi);
}

static pv_err cols_flags(model *m, size_t qi) {
  return option_cols(m, qi, COL_FLAG);
}

static pv_err cols_ranking(model *m, size_t qi) {
  return option_cols(m, qi, COL_RANK);
}

static pv_err cols_map(model *m, size_t qi) {
  pv_err err = add_col(m, COL_PINS, qi, NULL, NULL, NULL);
  return err ? err : add_col(m, COL_COUNT, qi, "count", NULL, NULL);
}

static pv_err cols_drawing(model *m, size_t qi) {
  return add_col(m, COL_FILE, qi, NULL, NULL, NULL);
}

static pv_err cols_voice(model *m, size_t qi) {
  pv_err err = add_col(m, COL_FILE, qi, NULL, NULL, NULL);
  return err ? err : add_col(m, COL_SECONDS, qi, "seconds", NULL, NULL);
}

/* Per question type: its columns, and the attachment extension used when
 * the answer does not name a media type. */
typedef struct qlayout {
  pv_err (*cols)(model *m, size_t qi);
  const char *default_ext;
} qlayout;

static const qlayout layouts[PV_Q__COUNT] = {
    [PV_Q_SMILEYS] = {cols_value, NULL},     [PV_Q_CHOICE] = {cols_choice, NULL},
    [PV_Q_YES_NO] = {cols_value, NULL},      [PV_Q_SCALE] = {cols_value, NULL},
    [PV_Q_RANKING] = {cols_ranking, NULL},   [PV_Q_MAP] = {cols_map, NULL},
    [PV_Q_DRAWING] = {cols_drawing, ".png"}, [PV_Q_PHOTO_CHOICE] = {cols_flags, NULL},
    [PV_Q_VOICE] = {cols_voice, ".wav"},     [PV_Q_TEXT] = {cols_value, NULL},
};

/* qsort_r comparator: ud is the model (exports run on several threads). */
static int by_id_cmp(const void *a, const void *b, void *ud) {
  const mquestion *qs = ((const model *)ud)->qs;
  return strcmp(qs[*(const size_t *)a].def->id, qs[*(const size_t *)b].def->id);
}

/* Returns the index in m->qs of question id, or -1. */
static long find_question(const model *m, const char *id) {
  size_t lo = 0, hi = m->n_qs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(m->qs[m->by_id[mid]].def->id, id);
    if (c == 0)
      return (long)m->by_id[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* Loads version `version` of the survey into *out, or PV_ERR_NOTFOUND
 * when the territory does not see it. */
static pv_err load_version(pv_cdb *db, const char *territory, const char *id,
                           int version, pv_survey **out) {
  pv_proto_survey ps;
  pv_store_blob blob = {0};
  pv_diags diags = {0};
  memset(&ps, 0, sizeof ps);
  *out = NULL;
  pv_err err = pv_cdb_survey_get(db, territory, id, version, &ps);
  if (err)
    goto out;
  const pv_proto_file *file = NULL;
  for (size_t i = 0; i < ps.n_files && !file; i++)
    if (strcmp(ps.files[i].path, "survey.json") == 0)
      file = &ps.files[i];
  if (!file) {
    err = pv_fail(PV_ERR_CORRUPT, "export: survey %s version %d has no survey.json", id,
                  version);
    goto out;
  }
  if ((err = pv_cdb_blob_get(db, file->sha256, &blob)))
    goto out;
  char name[PV_STORE_MAX_ID + 40];
  snprintf(name, sizeof name, "%s@%d/survey.json", id, version);
  err = pv_survey_parse(name, NULL, (const char *)blob.bytes, blob.size, NULL, out,
                        &diags);
  if (err == PV_ERR_INVALID)
    err = pv_fail(PV_ERR_CORRUPT, "export: stored %s does not load: %s:%d:%d: %s", name,
                  diags.count ? diags.items[0].file : name,
                  diags.count ? diags.items[0].line : 0,
                  diags.count ? diags.items[0].col : 0,
                  diags.count ? diags.items[0].message : "invalid");
out:
  free(ps.files);
  pv_store_blob_free(&blob);
  pv_diags_free(&diags);
  return err;
}

/* Builds *m for survey_id as territory sees it: the newest visible
 * version and up to PV_EXPORT_MAX_VERSIONS - 1 below it. */
static pv_err model_load(pv_cdb *db, const char *territory, const char *survey_id,
                         model *m) {
  pv_proto_catalog cat = {0};
  memset(m, 0, sizeof *m);
  pv_err err = PV_OK;
  if (!survey_id || !pv_proto_id_valid(survey_id)) {
    err = pv_fail(PV_ERR_INVALID, "export: bad survey id");
    goto out;
  }
  snprintf(m->id, sizeof m->id, "%s", survey_id);
  if ((err = pv_cdb_survey_catalog(db, territory, &cat)))
    goto out;
  int newest = 0;
  for (size_t i = 0; i < cat.count; i++)
    if (strcmp(cat.surveys[i].id, survey_id) == 0)
      newest = cat.surveys[i].version;
  if (newest <= 0) {
    err = pv_fail(PV_ERR_NOTFOUND, "export: survey %s is not published for %s",
                  survey_id, territory ? territory : "any territory");
    goto out;
  }
  if (!(m->versions = calloc(PV_EXPORT_MAX_VERSIONS, sizeof *m->versions))) {
    err = pv_fail(PV_ERR_NOMEM, "export: out of memory");
    goto out;
  }
  for (int v = newest; v >= 1 && newest - v < PV_EXPORT_MAX_VERSIONS; v--) {
    pv_survey *s = NULL;
    err = load_version(db, territory, survey_id, v, &s);
    if (err == PV_ERR_NOTFOUND)
      continue;
    if (err)
      goto out;
    m->versions[m->n_versions++] = s;
  }
  if (!m->n_versions) {
    err = pv_fail(PV_ERR_NOTFOUND, "export: survey %s is not published for %s",
                  survey_id, territory ? territory : "any territory");
    goto out;
  }
  size_t max_q = m->n_versions * PV_SURVEY_MAX_QUESTIONS;
  m->qs = calloc(max_q, sizeof *m->qs);
  m->by_id = calloc(max_q, sizeof *m->by_id);
  m->cols = calloc(PV_EXPORT_MAX_COLUMNS, sizeof *m->cols);
  if (!m->qs || !m->by_id || !m->cols) {
    err = pv_fail(PV_ERR_NOMEM, "export: out of memory");
    goto out;
  }
  /* The union of questions: newest order, then those only older ones have. */
  for (size_t v = 0; v < m->n_versions; v++) {
    const pv_survey *s = m->versions[v];
    for (size_t i = 0; i < s->n_questions; i++) {
      int seen = 0;
      for (size_t k = 0; k < m->n_qs && !seen; k++)
        seen = strcmp(m->qs[k].def->id, s->questions[i].id) == 0;
      if (!seen)
        m->qs[m->n_qs++] = (mquestion){&s->questions[i], s, 0, 0};
    }
  }
  for (size_t f = 0; f < F__COUNT; f++) {
    column *c = &m->cols[m->n_cols++];
    memset(c, 0, sizeof *c);
    c->kind = COL_FIXED;
    c->fixed = f;
    snprintf(c->name, sizeof c->name, "%s", fixed_cols[f].name);
  }
  for (size_t q = 0; q < m->n_qs; q++) {
    m->qs[q].first_col = m->n_cols;
    if ((err = layouts[m->qs[q].def->type].cols(m, q)))
      goto out;
    m->qs[q].n_cols = m->n_cols - m->qs[q].first_col;
    m->by_id[q] = q;
  }
  qsort_r(m->by_id, m->n_qs, sizeof *m->by_id, by_id_cmp, m);
out:
  pv_proto_catalog_free(&cat);
  if (err)
    model_free(m);
  return err;
}

/* ---- one response ---------------------------------------------------------------- */

typedef struct cell {
  size_t off, len;
  int set, numeric;
} cell;

/* An attachment to copy, kept small (one per response that has one):
 * the binary SHA-256 and the file name's extension. */
typedef struct attachment_ref {
  unsigned char sha[32];
  char ext[7]; /* ".png", ".webm", ... */
} attachment_ref;

/* Everything one export run carries from response to response. */
typedef struct run {
  const model *m;
  const char *territory;
  writer o;
  int json, geo;
  size_t count;    /* responses written */
  size_t features; /* GeoJSON: features written */
  size_t bounded;  /* map questions with bounds, over the model's versions */
  /* CSV: the current row */
  cell *cells;
  char *row;
  size_t row_len, row_cap;
  /* pv_export_to_dir: attachments to copy (NULL otherwise) */
  attachment_ref *atts;
  size_t n_atts, cap_atts;
  int collect;
  const pv_store_session *session; /* the current response's, or NULL */
} run;

static pv_err row_set(run *r, size_t col, const char *s, size_t n, int numeric) {
  if (r->row_len + n > r->row_cap) {
    size_t cap = r->row_cap ? r->row_cap : 4096;
    while (cap < r->row_len + n)
      cap *= 2;
    if (cap > MAX_ROW)
      return pv_fail(PV_ERR_TOOBIG, "export: a row is over %d bytes", MAX_ROW);
    char *p = realloc(r->row, cap);
    if (!p)
      return pv_fail(PV_ERR_NOMEM, "export: out of memory");
    r->row = p, r->row_cap = cap;
  }
  memcpy(r->row + r->row_len, s, n);
  r->cells[col] = (cell){r->row_len, n, 1, numeric};
  r->row_len += n;
  return PV_OK;
}

static pv_err row_setf(run *r, size_t col, int numeric, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static pv_err row_setf(run *r, size_t col, int numeric, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  return row_set(r, col, tmp, n > 0 ? (size_t)n : 0, numeric);
}

/* Media type of an attachment answer -> file extension. */
static const struct {
  const char *media_type, *ext;
} exts[] = {
    {"image/png", ".png"},   {"image/jpeg", ".jpg"},  {"audio/wav", ".wav"},
    {"audio/x-wav", ".wav"}, {"audio/wave", ".wav"},  {"audio/vnd.wave", ".wav"},
    {"audio/ogg", ".ogg"},   {"audio/opus", ".opus"}, {"audio/webm", ".webm"},
    {"audio/mpeg", ".mp3"},  {"audio/mp4", ".m4a"},
};

/* The file extension of media_type (".bin" when unknown); static. */
static const char *ext_of(const char *media_type) {
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (strcmp(media_type, exts[i].media_type) == 0)
      return exts[i].ext;
  return ".bin";
}

/* Writes "<sha256>.<ext>" for an attachment answer (a's linked hash, else
 * the value's "attachment") into file; returns 0 when there is none. */
static int attachment_file(pv_qtype type, const cJSON *v, const pv_store_answer *a,
                           char *file, size_t cap, char sha[PV_SHA256_HEX + 1]) {
  const char *h = a->attachment[0] ? a->attachment : NULL;
  const cJSON *att = cJSON_GetObjectItemCaseSensitive(v, "attachment");
  if (!h && cJSON_IsString(att))
    h = att->valuestring;
  if (!h || !pv_proto_sha256_valid(h))
    return 0;
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(v, "media_type");
  const char *ext = layouts[type].default_ext ? layouts[type].default_ext : ".bin";
  if (cJSON_IsString(mt))
    ext = ext_of(mt->valuestring);
  snprintf(file, cap, "%s%s", h, ext);
  snprintf(sha, PV_SHA256_HEX + 1, "%s", h);
  return 1;
}

static int hexval(char c) {
  return c >= 'a' ? c - 'a' + 10 : c - '0';
}

/* Remembers attachment sha (hex) written as file "<sha><ext>", for
 * pv_export_to_dir; nothing when not collecting. */
static pv_err note_attachment(run *r, const char *sha, const char *file) {
  if (!r->collect)
    return PV_OK;
  if (r->n_atts == r->cap_atts) {
    size_t cap = r->cap_atts ? r->cap_atts * 2 : 64;
    if (cap > MAX_ATTACHMENTS)
      return pv_fail(PV_ERR_TOOBIG, "export: more than %d attachments",
                     MAX_ATTACHMENTS);
    attachment_ref *p = realloc(r->atts, cap * sizeof *p);
    if (!p)
      return pv_fail(PV_ERR_NOMEM, "export: out of memory");
    r->atts = p, r->cap_atts = cap;
  }
  attachment_ref *a = &r->atts[r->n_atts++];
  memset(a, 0, sizeof *a);
  for (int i = 0; i < 32; i++) /* sha is 64 lowercase hex digits (checked) */
    a->sha[i] = (unsigned char)(hexval(sha[2 * i]) << 4 | hexval(sha[2 * i + 1]));
  snprintf(a->ext, sizeof a->ext, "%s", file + PV_SHA256_HEX);
  return PV_OK;
}

/* Returns the column of option id among mq's columns, or -1. */
static long option_col(const run *r, const mquestion *mq, const char *id) {
  for (size_t c = mq->first_col; c < mq->first_col + mq->n_cols; c++)
    if (r->m->cols[c].opt && strcmp(r->m->cols[c].opt->id, id) == 0)
      return (long)c;
  return -1;
}

/* Fills mq's cells from answer value v. Returns PV_OK, or PV_ERR_INVALID
 * when v does not have the shape the columns expect (the caller then
 * writes v as JSON), or another error. */
static pv_err render(run *r, const mquestion *mq, const cJSON *v,
                     const pv_store_answer *a) {
  const pv_question *q = mq->def;
  size_t c0 = mq->first_col;
  pv_err err = PV_OK;
  switch (r->m->cols[c0].kind) {
  case COL_VALUE:
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
        fabs(v->valuedouble) < 1e9)
      return row_setf(r, c0, 1, "%d", (int)v->valuedouble);
    if (cJSON_IsString(v))
      return row_set(r, c0, v->valuestring, strlen(v->valuestring), 0);
    return PV_ERR_INVALID;
  case COL_FLAG:
  case COL_RANK: {
    if (!cJSON_IsArray(v))
      return PV_ERR_INVALID;
    int rank = 0;
    for (const cJSON *it = v->child; it; it = it->next)
      if (!cJSON_IsString(it) || option_col(r, mq, it->valuestring) < 0)
        return PV_ERR_INVALID;
    if (r->m->cols[c0].kind == COL_FLAG)
      for (size_t c = c0; c < c0 + mq->n_cols && !err; c++)
        err = row_set(r, c, "0", 1, 1);
    for (const cJSON *it = v->child; it && !err; it = it->next) {
      long c = option_col(r, mq, it->valuestring);
      rank++;
      err = r->m->cols[c0].kind == COL_FLAG ? row_set(r, (size_t)c, "1", 1, 1)
                                            : row_setf(r, (size_t)c, 1, "%d", rank);
    }
    return err;
  }
  case COL_PINS: {
    if (!cJSON_IsArray(v))
      return PV_ERR_INVALID;
    char *pins = cJSON_PrintUnformatted(v);
    if (!pins)
      return pv_fail(PV_ERR_NOMEM, "export: out of memory");
    err = row_set(r, c0, pins, strlen(pins), 0);
    cJSON_free(pins);
    return err ? err : row_setf(r, c0 + 1, 1, "%d", cJSON_GetArraySize(v));
  }
  case COL_FILE: {
    char file[PV_SHA256_HEX + 24], sha[PV_SHA256_HEX + 1], cellv[PV_SHA256_HEX + 40];
    if (!attachment_file(q->type, v, a, file, sizeof file, sha))
      return PV_ERR_INVALID;
    snprintf(cellv, sizeof cellv, "attachments/%s", file);
    if ((err = row_set(r, c0, cellv, strlen(cellv), 0)) ||
        (err = note_attachment(r, sha, file)))
      return err;
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(v, "seconds");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(v, "media_type");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(v, "size");
    if (mq->n_cols > 1 && cJSON_IsNumber(sec) && fabs(sec->valuedouble) < 1e9)
      err = row_setf(r, c0 + 1, 1, "%d", (int)lround(sec->valuedouble));
    else if (mq->n_cols > 1 && cJSON_IsString(mt) &&
             strcmp(mt->valuestring, PV_WAV_MEDIA_TYPE) == 0 && cJSON_IsNumber(size) &&
             size->valuedouble > PV_WAV_HEADER && size->valuedouble < 1e9)
      /* The kiosk's WAV: mono 16-bit at PV_WAV_VOICE_RATE after a 44-byte
       * header, so its length follows from its size. */
      err = row_setf(
          r, c0 + 1, 1, "%d",
          (int)lround((size->valuedouble - PV_WAV_HEADER) / (2.0 * PV_WAV_VOICE_RATE)));
    return err;
  }
  default:
    return PV_ERR_INVALID;
  }
}

/* The common one-column answers without a JSON parse: a small integer
 * (smileys, scale) or a string without escapes (yes_no, single choice,
 * most texts). PV_ERR_INVALID when value is anything else (then parsed). */
static pv_err scalar_fast(run *r, const mquestion *mq, const char *value) {
  size_t n = strlen(value);
  if (n >= 2 && value[0] == '"' && value[n - 1] == '"' && !memchr(value, '\\', n))
    return row_set(r, mq->first_col, value + 1, n - 2, 0);
  size_t digits = strspn(value + (value[0] == '-'), "0123456789");
  if (digits >= 1 && digits <= 9 && (value[0] == '-') + digits == n &&
      (digits == 1 || value[value[0] == '-'] != '0'))
    return row_set(r, mq->first_col, value, n, 1);
  return PV_ERR_INVALID;
}

/* Whole seconds from started_at to ended_at, or -1 when either is missing. */
static long long duration_s(const pv_store_response *resp) {
  int64_t a, b;
  if (pv_time_parse(resp->started_at, &a) != 0 ||
      pv_time_parse(resp->ended_at, &b) != 0)
    return -1;
  return (long long)((b - a) / 1000);
}

static pv_err csv_row(run *r, const pv_store_response *resp) {
  const model *m = r->m;
  pv_err err = PV_OK;
  r->row_len = 0;
  memset(r->cells, 0, m->n_cols * sizeof *r->cells);
  long long dur = duration_s(resp);
  const pv_store_session *ses = r->session;
  const char *texts[F__COUNT] = {
      [F_UUID] = resp->uuid,
      [F_SURVEY] = resp->survey_id,
      [F_TERRITORY] = r->territory ? r->territory : "",
      [F_SESSION] = resp->session_uuid,
      [F_SESSION_KIND] = ses ? ses->kind : NULL,
      [F_SESSION_PLACE] = ses ? ses->place : NULL,
      [F_QPV_CODE] = ses ? ses->qpv_code : NULL,
      [F_QPV_NAME] = ses ? ses->qpv_name : NULL,
      [F_ANIMATEUR] = ses ? ses->animateur : NULL,
      [F_LANGUAGE] = resp->language,
      [F_STARTED] = resp->started_at,
      [F_ENDED] = resp->ended_at,
      [F_STATUS] = pv_store_status_name(resp->status),
  };
  for (size_t f = 0; f < F__COUNT && !err; f++)
    if (texts[f])
      err = row_set(r, f, texts[f], strlen(texts[f]), 0);
  if (!err)
    err = row_setf(r, F_VERSION, 1, "%d", resp->survey_version);
  if (!err && dur >= 0)
    err = row_setf(r, F_DURATION, 1, "%lld", dur);
  for (size_t i = 0; i < resp->answer_count && !err; i++) {
    const pv_store_answer *a = &resp->answers[i];
    long qi = find_question(m, a->question_id);
    if (qi < 0 || !a->value)
      continue; /* not in any version the territory sees: JSON export has it */
    const mquestion *mq = &m->qs[qi];
    for (size_t c = mq->first_col; c < mq->first_col + mq->n_cols; c++)
      r->cells[c].set = 0; /* an answer given twice: the last one counts */
    if (m->cols[mq->first_col].kind == COL_VALUE &&
        (err = scalar_fast(r, mq, a->value)) != PV_ERR_INVALID)
      continue; /* done, or failed (err) */
    err = PV_OK;
    cJSON *v = cJSON_Parse(a->value);
    if (!v || cJSON_IsNull(v)) { /* null: not answered; not JSON: cannot be stored */
      cJSON_Delete(v);
      continue;
    }
    err = render(r, mq, v, a);
    if (err == PV_ERR_INVALID) { /* not the shape the columns expect: keep it whole */
      for (size_t c = mq->first_col; c < mq->first_col + mq->n_cols; c++)
        r->cells[c].set = 0;
      char *raw = cJSON_PrintUnformatted(v);
      err = raw ? row_set(r, mq->first_col, raw, strlen(raw), 0)
                : pv_fail(PV_ERR_NOMEM, "export: out of memory");
      cJSON_free(raw);
    }
    cJSON_Delete(v);
  }
  if (err)
    return err;
  for (size_t c = 0; c < m->n_cols; c++) {
    if (c)
      put(&r->o, ";", 1);
    if (r->cells[c].set)
      csv_field(&r->o, r->row + r->cells[c].off, r->cells[c].len, r->cells[c].numeric);
  }
  put(&r->o, "\r\n", 2);
  return r->o.err;
}

static pv_err json_response(run *r, const pv_store_response *resp) {
  writer *o = &r->o;
  pv_err err = PV_OK;
  puts_(o, r->count ? ",\n{\"uuid\":" : "\n{\"uuid\":");
  json_str(o, resp->uuid);
  puts_(o, ",\"survey\":");
  json_str(o, resp->survey_id);
  putf(o, ",\"version\":%d,\"territory\":", resp->survey_version);
  json_str_or_null(o, r->territory);
  puts_(o, ",\"session\":");
  json_str_or_null(o, resp->session_uuid);
  /* The session's fields: null when it has none or it has not arrived. */
  const pv_store_session *ses = r->session;
  static const char *const ses_keys[] = {
      ",\"session_kind\":", ",\"session_place\":", ",\"qpv_code\":", ",\"qpv_name\":",
      ",\"animateur\":"};
  const char *ses_vals[] = {ses ? ses->kind : NULL, ses ? ses->place : NULL,
                            ses ? ses->qpv_code : NULL, ses ? ses->qpv_name : NULL,
                            ses ? ses->animateur : NULL};
  for (size_t k = 0; k < sizeof ses_keys / sizeof *ses_keys; k++) {
    puts_(o, ses_keys[k]);
    if (ses_vals[k])
      json_str(o, ses_vals[k]);
    else
      puts_(o, "null");
  }
  puts_(o, ",\"language\":");
  json_str(o, resp->language);
  puts_(o, ",\"started_at\":");
  json_str(o, resp->started_at);
  puts_(o, ",\"ended_at\":");
  json_str_or_null(o, resp->ended_at);
  puts_(o, ",\"status\":");
  json_str(o, pv_store_status_name(resp->status));
  puts_(o, ",\"answers\":{");
  int first = 1;
  for (size_t i = 0; i < resp->answer_count && !err; i++) {
    const pv_store_answer *a = &resp->answers[i];
    int later = 0; /* an answer given twice: the last one counts */
    for (size_t k = i + 1; k < resp->answer_count && !later; k++)
      later = strcmp(resp->answers[k].question_id, a->question_id) == 0;
    if (later || !a->value || !a->value[0])
      continue;
    /* pv_cdb_export hands values as pv_proto_response_decode printed them
     * with cJSON: compact, valid JSON, UTF-8 unescaped; written as is. */
    put(o, first ? "" : ",", first ? 0 : 1);
    json_str(o, a->question_id);
    put(o, ":", 1);
    puts_(o, a->value);
    first = 0;
    if (!r->collect || (!a->attachment[0] && a->value[0] != '{'))
      continue;
    cJSON *v = cJSON_Parse(a->value);
    long qi = find_question(r->m, a->question_id);
    char file[PV_SHA256_HEX + 24], sha[PV_SHA256_HEX + 1];
    pv_qtype type = qi >= 0 ? r->m->qs[qi].def->type : PV_Q_TEXT;
    if (attachment_file(type, v, a, file, sizeof file, sha))
      err = note_attachment(r, sha, file);
    cJSON_Delete(v);
  }
  puts_(o, "}}");
  return err ? err : o->err;
}

/* ---- GeoJSON: one Feature per pin of a map with bounds ------------------------- */

/* The French text of t (else the survey's first language). Borrowed. */
static const char *fr_text(const pv_survey *s, const pv_text *t) {
  int fr = pv_survey_lang_index(s, "fr");
  return t->s[fr >= 0 ? fr : 0];
}

/* Returns the number of map questions with bounds over m's versions. */
static size_t bounded_maps(const model *m) {
  size_t n = 0;
  for (size_t v = 0; v < m->n_versions; v++)
    for (size_t i = 0; i < m->versions[v]->n_questions; i++)
      n += m->versions[v]->questions[i].type == PV_Q_MAP &&
           m->versions[v]->questions[i].has_bounds;
  return n;
}

/* The definition a pin answer is placed with: the question as the
 * answered version has it (pins are normalised to that version's plan),
 * else the model's (that version is not visible); *s its survey. NULL
 * when it is not a map with bounds: such pins stay out of the GeoJSON. */
static const pv_question *geo_question(const model *m, const mquestion *mq, int version,
                                       const pv_survey **s) {
  const pv_question *q = NULL;
  *s = mq->s;
  for (size_t v = 0; v < m->n_versions && !q; v++)
    if (m->versions[v]->version == version) {
      q = pv_survey_question(m->versions[v], mq->def->id);
      *s = m->versions[v];
    }
  if (!q)
    q = mq->def, *s = mq->s;
  return q->type == PV_Q_MAP && q->has_bounds ? q : NULL;
}

/* Writes v as the shortest %g text that reads back as v (v finite). */
static void put_num(writer *o, double v) {
  char tmp[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (strtod(tmp, NULL) == v)
      break;
  }
  puts_(o, tmp);
}

/* Writes a coordinate rounded to 7 decimals (about 1 cm), never "-0". */
static void put_coord(writer *o, double v) {
  v = round(v * 1e7) / 1e7;
  putf(o, "%.7f", v == 0 ? 0.0 : v);
}

/* Returns 1 and sets *out when it is a number in [0, 1]. */
static int unit_number(const cJSON *it, double *out) {
  if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
      it->valuedouble > 1)
    return 0;
  *out = it->valuedouble;
  return 1;
}

/* The French label of pin kind id in q (of version s), else in the
 * model's definition; NULL when neither has it. Borrowed. */
static const char *kind_label(const mquestion *mq, const pv_question *q,
                              const pv_survey *s, const char *id) {
  for (size_t o = 0; o < q->n_options; o++)
    if (strcmp(q->options[o].id, id) == 0)
      return fr_text(s, &q->options[o].label);
  for (size_t o = 0; o < mq->def->n_options; o++)
    if (strcmp(mq->def->options[o].id, id) == 0)
      return fr_text(mq->s, &mq->def->options[o].label);
  return NULL;
}

/* Writes one Feature for pin number idx (1-based) of question q. */
static void geo_feature(run *r, const pv_store_response *resp, const mquestion *mq,
                        const pv_question *q, const pv_survey *s, int idx,
                        const char *kind, double x, double y) {
  writer *o = &r->o;
  puts_(o, r->features ? ",\n" : "\n");
  puts_(o, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
  put_coord(o, q->west + x * (q->east - q->west));
  put(o, ",", 1);
  put_coord(o, q->north - y * (q->north - q->south)); /* plans are north-up */
  puts_(o, "]},\"properties\":{\"response_uuid\":");
  json_str(o, resp->uuid);
  puts_(o, ",\"survey_id\":");
  json_str(o, resp->survey_id);
  putf(o, ",\"survey_version\":%d,\"territory\":", resp->survey_version);
  json_str_or_null(o, r->territory);
  puts_(o, ",\"session_uuid\":");
  json_str_or_null(o, resp->session_uuid);
  puts_(o, ",\"language\":");
  json_str(o, resp->language);
  puts_(o, ",\"started_at\":");
  json_str(o, resp->started_at);
  puts_(o, ",\"question_id\":");
  json_str(o, q->id);
  putf(o, ",\"pin_index\":%d,\"kind\":", idx);
  json_str(o, kind);
  puts_(o, ",\"kind_label_fr\":");
  json_str_or_null(o, kind_label(mq, q, s, kind));
  puts_(o, ",\"x\":");
  put_num(o, x);
  puts_(o, ",\"y\":");
  put_num(o, y);
  puts_(o, "}}");
  r->features++;
}

/* Writes the Features of one response: every well-formed pin ({"kind":
 * string, "x", "y" in 0..1}) of its map answers with bounds; malformed
 * pins are left out (the CSV keeps the answer whole). */
static pv_err geo_response(run *r, const pv_store_response *resp) {
  for (size_t i = 0; i < resp->answer_count && !r->o.err; i++) {
    const pv_store_answer *a = &resp->answers[i];
    int later = 0; /* an answer given twice: the last one counts */
    for (size_t k = i + 1; k < resp->answer_count && !later; k++)
      later = strcmp(resp->answers[k].question_id, a->question_id) == 0;
    long qi = later || !a->value || a->value[0] != '['
                  ? -1
                  : find_question(r->m, a->question_id);
    const pv_survey *s = NULL;
    const pv_question *q =
        qi < 0 ? NULL : geo_question(r->m, &r->m->qs[qi], resp->survey_version, &s);
    if (!q)
      continue;
    cJSON *v = cJSON_Parse(a->value);
    int idx = 0;
    for (const cJSON *pin = cJSON_IsArray(v) ? v->child : NULL; pin; pin = pin->next) {
      const cJSON *kind = cJSON_GetObjectItemCaseSensitive(pin, "kind");
      double x, y;
      idx++;
      if (cJSON_IsString(kind) &&
          unit_number(cJSON_GetObjectItemCaseSensitive(pin, "x"), &x) &&
          unit_number(cJSON_GetObjectItemCaseSensitive(pin, "y"), &y))
        geo_feature(r, resp, &r->m->qs[qi], q, s, idx, kind->valuestring, x, y);
    }
    cJSON_Delete(v);
  }
  return r->o.err;
}

static pv_err on_response(void *ud, const pv_store_response *resp,
                          const pv_store_session *session) {
  run *r = ud;
  r->session = session;
  pv_err err = r->geo    ? geo_response(r, resp)
               : r->json ? json_response(r, resp)
                         : csv_row(r, resp);
  r->count++;
  r->session = NULL;
  return err;
}

/* ---- runs ------------------------------------------------------------------------ */

/* 1 when s is NULL, "" or at most max bytes of the characters in set. */
static int filter_ok(const char *s, size_t max, const char *set) {
  if (!s)
    return 1;
  size_t n = strlen(s);
  return n <= max && strspn(s, set) == n;
}

static pv_err check_filter(const pv_cdb_filter *f, const char *format) {
  if (!pv_export_format_valid(format))
    return pv_fail(PV_ERR_INVALID, "export: format must be csv, json or geojson");
  if (!f || !f->survey_id || !pv_proto_id_valid(f->survey_id))
    return pv_fail(PV_ERR_INVALID, "export: a survey id is required");
  if (!filter_ok(f->from, PV_STORE_TIME_LEN, "0123456789-T:.Z") ||
      !filter_ok(f->to, PV_STORE_TIME_LEN, "0123456789-T:.Z"))
    return pv_fail(PV_ERR_INVALID, "export: from and to are dates such as 2026-11-01");
  if (!filter_ok(f->session, PV_UUID_LEN, "0123456789abcdefABCDEF-"))
    return pv_fail(PV_ERR_INVALID, "export: session must be a UUID");
  return PV_OK;
}

static void run_free(run *r) {
  free(r->o.buf);
  free(r->cells);
  free(r->row);
  free(r->atts);
}

/* export_run flags. */
enum {
  RUN_COLLECT = 1,    /* keep r->atts: the attachments the data file names */
  RUN_IF_BOUNDED = 2, /* GeoJSON: write nothing when no map has bounds */
};

/* The body of pv_export_write; with RUN_COLLECT, r->atts lists the
 * attachments written (the caller frees with run_free). */
static pv_err export_run(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                         const char *format, pv_export_sink_fn sink, void *ud,
                         int flags, run *r) {
  model m;
  memset(&m, 0, sizeof m);
  memset(r, 0, sizeof *r);
  pv_err err = check_filter(f, format);
  if (err || (err = model_load(db, territory, f->survey_id, &m)))
    return err;
  r->m = &m;
  r->territory = territory;
  r->json = strcmp(format, "json") == 0;
  r->geo = strcmp(format, "geojson") == 0;
  r->collect = (flags & RUN_COLLECT) != 0;
  r->bounded = bounded_maps(&m);
  if (r->geo && (flags & RUN_IF_BOUNDED) && !r->bounded)
    goto out; /* err is PV_OK: nothing to write */
  r->o = (writer){sink, ud, malloc(PV_EXPORT_CHUNK), 0, PV_OK};
  r->cells = calloc(m.n_cols, sizeof *r->cells);
  if (!r->o.buf || !r->cells) {
    err = pv_fail(PV_ERR_NOMEM, "export: out of memory");
    goto out;
  }
  if (r->geo) {
    /* RFC 7946: WGS 84 longitude, latitude; no "crs" member */
    puts_(&r->o, "{\"type\":\"FeatureCollection\",\"features\":[");
  } else if (r->json) {
    puts_(&r->o, "{\"survey\":{\"id\":");
    json_str(&r->o, m.id);
    const pv_survey *s = m.versions[0];
    int fr = pv_survey_lang_index(s, "fr");
    puts_(&r->o, ",\"title\":");
    json_str(&r->o, s->title.s[fr >= 0 ? fr : 0]);
    puts_(&r->o, ",\"versions\":[");
    for (size_t v = 0; v < m.n_versions; v++)
      putf(&r->o, "%s%d", v ? "," : "", m.versions[v]->version);
    puts_(&r->o, "]},\"responses\":[");
  } else {
    put(&r->o, bom, 3);
    for (size_t c = 0; c < m.n_cols; c++)
      csv_text(&r->o, m.cols[c].name, c == 0);
    put(&r->o, "\r\n", 2);
  }
  if ((err = r->o.err))
    goto out;
  if ((err = pv_cdb_export_rows(db, territory, f, on_response, r)))
    goto out;
  if (r->geo)
    puts_(&r->o, r->features ? "\n]}\n" : "]}\n");
  else if (r->json)
    puts_(&r->o, r->count ? "\n]}\n" : "]}\n");
  err = out_flush(&r->o);
out:
  r->m = NULL;
  model_free(&m);
  return err;
}

int pv_export_format_valid(const char *format) {
  return pv_export_media_type(format) != NULL;
}

const char *pv_export_media_type(const char *format) {
  if (!format)
    return NULL;
  if (strcmp(format, "csv") == 0)
    return "text/csv; charset=utf-8";
  if (strcmp(format, "json") == 0)
    return "application/json";
  if (strcmp(format, "geojson") == 0)
    return "application/geo+json";
  return NULL;
}

pv_err pv_export_write(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                       const char *format, pv_export_sink_fn sink, void *ud) {
  run r;
  pv_err err = export_run(db, territory, f, format, sink, ud, 0, &r);
  run_free(&r);
  return err;
}

/* ---- codebook ------------------------------------------------------------------- */

static const char *const smileys3[] = {"mécontent", "neutre", "content"};
static const char *const smileys5[] = {"très mécontent", "mécontent", "neutre",
                                       "content", "très content"};

/* French names of common answer languages, for the codebook. */
static const struct {
  const char *tag, *name;
} language_names[] = {
    {"fr", "français"},  {"ar", "arabe"},      {"en", "anglais"},  {"es", "espagnol"},
    {"pt", "portugais"}, {"it", "italien"},    {"de", "allemand"}, {"tr", "turc"},
    {"ru", "russe"},     {"uk", "ukrainien"},  {"ro", "roumain"},  {"rom", "romani"},
    {"zh", "chinois"},   {"vi", "vietnamien"}, {"ber", "berbère"}, {"kab", "kabyle"},
    {"wo", "wolof"},     {"bm", "bambara"},    {"so", "somali"},   {"fa", "persan"},
    {"ps", "pachto"},    {"ta", "tamoul"},     {"hy", "arménien"}, {"ka", "géorgien"},
};

typedef struct sbuf {
  char s[MAX_LABELS];
  size_t len;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...) {
  if (b->len >= sizeof b->s - 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->s + b->len, sizeof b->s - b->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    b->len += (size_t)n < sizeof b->s - b->len ? (size_t)n : sizeof b->s - 1 - b->len;
}

static void join(sbuf *b, char *const *items, size_t n) {
  for (size_t i = 0; i < n; i++)
    sb_add(b, "%s%s", i ? " | " : "", items[i]);
}

static void options_labels(sbuf *b, const model *m, const mquestion *mq) {
  /* every option over the versions, as the columns list them; for a
   * single choice, the options of the versions with the same layout */
  const pv_question *def = mq->def;
  size_t n = 0;
  const char *seen[PV_SURVEY_MAX_OPTIONS * 4];
  for (size_t v = 0; v < m->n_versions; v++) {
    const pv_question *q = same_question(m->versions[v], def);
    for (size_t o = 0; q && o < q->n_options; o++) {
      int dup = 0;
      for (size_t k = 0; k < n && !dup; k++)
        dup = strcmp(seen[k], q->options[o].id) == 0;
      if (dup || n >= sizeof seen / sizeof seen[0])
        continue;
      seen[n++] = q->options[o].id;
      sb_add(b, "%s%s = %s", n > 1 ? " | " : "", q->options[o].id,
             fr_text(m->versions[v], &q->options[o].label));
    }
  }
}

static void value_labels(sbuf *b, const model *m, const column *c) {
  const mquestion *mq = &m->qs[c->q];
  const pv_question *q = mq->def;
  switch (c->kind) {
  case COL_FIXED:
    sb_add(b, "%s", fixed_cols[c->fixed].value_labels);
    if (c->fixed == F_LANGUAGE) {
      const pv_survey *s = m->versions[0];
      for (size_t i = 0; i < s->n_languages; i++) {
        const char *name = s->languages[i];
        for (size_t k = 0; k < sizeof language_names / sizeof language_names[0]; k++)
          if (strcmp(language_names[k].tag, s->languages[i]) == 0)
            name = language_names[k].name;
        sb_add(b, "%s%s = %s", i ? " | " : "", s->languages[i], name);
      }
    }
    return;
  case COL_VALUE:
    switch (q->type) {
    case PV_Q_SMILEYS:
      for (int i = 1; i <= q->points; i++)
        sb_add(b, "%s%d = %s", i > 1 ? " | " : "", i,
               q->points == 3 ? smileys3[i - 1] : smileys5[(i - 1) % 5]);
      return;
    case PV_Q_SCALE:
      sb_add(b, "0 = %s | 10 = %s", fr_text(mq->s, &q->low.label),
             fr_text(mq->s, &q->high.label));
      return;
    case PV_Q_YES_NO:
      sb_add(b, "yes = oui | no = non");
      return;
    case PV_Q_CHOICE:
      options_labels(b, m, mq);
      return;
    case PV_Q_TEXT:
      sb_add(b, "texte libre, tel que la personne l'a écrit");
      return;
    default:
      return;
    }
  case COL_FLAG:
    sb_add(b, "1 = choisi | 0 = non choisi (vide : question sans réponse)");
    return;
  case COL_RANK:
    sb_add(b, "rang donné à « %s » : 1 = en premier (préféré) … %zu = en dernier",
           fr_text(c->opt_s, &c->opt->label), mq->n_cols);
    return;
  case COL_PINS:
    sb_add(b, "liste JSON des épingles posées sur le plan, "
              "[{\"kind\": genre, \"x\": 0 à 1, \"y\": 0 à 1}] ; genres : ");
    options_labels(b, m, mq);
    return;
  case COL_COUNT:
    sb_add(b, "nombre d'épingles posées (0 à %d)", q->max);
    return;
  case COL_FILE:
    sb_add(b, "%s",
           q->type == PV_Q_DRAWING
               ? "fichier du dessin (PNG) dans le dossier attachments/"
               : "fichier de l'enregistrement dans le dossier attachments/");
    return;
  case COL_SECONDS:
    sb_add(b, "durée de l'enregistrement en secondes (au plus %d)", q->max_seconds);
    return;
  }
}

static const char *const codebook_header[] = {
    "column", "question_id",           "label_fr",    "type",         "measure",
    "pilier", "questions_evaluatives", "indicateurs", "value_labels", NULL};

static pv_err write_codebook(const model *m, writer *o) {
  put(o, bom, 3);
  for (size_t i = 0; codebook_header[i]; i++)
    csv_text(o, codebook_header[i], i == 0);
  put(o, "\r\n", 2);
  sbuf *b = malloc(sizeof *b);
  if (!b)
    return pv_fail(PV_ERR_NOMEM, "export: out of memory");
  for (size_t ci = 0; ci < m->n_cols && !o->err; ci++) {
    const column *c = &m->cols[ci];
    csv_text(o, c->name, 1);
    if (c->kind == COL_FIXED) {
      csv_text(o, "", 0);
      csv_text(o, fixed_cols[c->fixed].label_fr, 0);
      csv_text(o, "meta", 0);
      for (int i = 0; i < 4; i++)
        csv_text(o, "", 0);
    } else {
      const mquestion *mq = &m->qs[c->q];
      const pv_question *q = mq->def;
      const pv_referentiel *ref = &q->referentiel;
      csv_text(o, q->id, 0);
      b->len = 0;
      sb_add(b, "%s", fr_text(mq->s, &q->label));
      if (c->opt)
        sb_add(b, " — %s", fr_text(c->opt_s, &c->opt->label));
      else if (c->kind == COL_COUNT)
        sb_add(b, " — nombre d'épingles");
      else if (c->kind == COL_SECONDS)
        sb_add(b, " — durée en secondes");
      csv_text(o, b->s, 0);
      csv_text(o, pv_qtype_name(q->type), 0);
      csv_text(o, pv_measure_name(pv_qtype_measure(q->type)), 0);
      csv_text(o, ref->pillar ? ref->pillar : "", 0);
      b->len = 0;
      b->s[0] = '\0';
      join(b, ref->evaluative_questions, ref->n_evaluative);
      csv_text(o, b->s, 0);
      b->len = 0;
      b->s[0] = '\0';
      join(b, ref->indicators, ref->n_indicators);
      csv_text(o, b->s, 0);
    }
    b->len = 0;
    b->s[0] = '\0';
    value_labels(b, m, c);
    csv_text(o, b->s, 0);
    put(o, "\r\n", 2);
  }
  free(b);
  return out_flush(o);
}

pv_err pv_export_codebook(pv_cdb *db, const char *territory, const char *survey_id,
                          pv_export_sink_fn sink, void *ud) {
  model m;
  writer o = {sink, ud, NULL, 0, PV_OK};
  pv_err err = model_load(db, territory, survey_id, &m);
  if (err)
    return err;
  if (!(o.buf = malloc(PV_EXPORT_CHUNK)))
    err = pv_fail(PV_ERR_NOMEM, "export: out of memory");
  else
    err = write_codebook(&m, &o);
  free(o.buf);
  model_free(&m);
  return err;
}

/* ---- to a folder ---------------------------------------------------------------- */

/* A file being written: temporary name beside its final one. */
typedef struct afile {
  int fd;
  char tmp[MAX_PATH], path[MAX_PATH];
} afile;

static pv_err afile_open(afile *f, const char *dir, const char *name) {
  static unsigned serial; /* distinct temp names within one process */
  f->fd = -1;
  int n1 = snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
  const char *slash = strrchr(name, '/');
  int n2 = snprintf(f->tmp, sizeof f->tmp, "%s/%.*s.%s.%ld.%u.tmp", dir,
                    slash ? (int)(slash - name + 1) : 0, name, slash ? slash + 1 : name,
                    (long)getpid(), __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
  if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof f->path || (size_t)n2 >= sizeof f->tmp)
    return pv_fail(PV_ERR_TOOBIG, "export: path too long: %s", dir);
  f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (f->fd < 0)
    return pv_fail(PV_ERR_IO, "export: %s: %s", f->tmp, strerror(errno));
  return PV_OK;
}

static pv_err afile_sink(void *ud, const void *bytes, size_t len) {
  afile *f = ud;
  const char *p = bytes;
  while (len) {
    ssize_t n = write(f->fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "export: %s: %s",
                     f->tmp, strerror(errno));
    p += n, len -= (size_t)n;
  }
  return PV_OK;
}

/* Finishes f: when err is PV_OK, fsyncs it and renames it over its final
 * name; otherwise (or when that fails) removes the temporary file.
 * Returns err or the first failure. */
static pv_err afile_close(afile *f, pv_err err) {
  if (f->fd < 0)
    return err;
  if (err == PV_OK && fsync(f->fd) != 0)
    err = pv_fail(PV_ERR_IO, "export: fsync %s: %s", f->tmp, strerror(errno));
  if (close(f->fd) != 0 && err == PV_OK)
    err = pv_fail(PV_ERR_IO, "export: close %s: %s", f->tmp, strerror(errno));
  f->fd = -1;
  if (err == PV_OK && rename(f->tmp, f->path) != 0)
    err = pv_fail(PV_ERR_IO, "export: rename %s: %s", f->path, strerror(errno));
  if (err != PV_OK)
    unlink(f->tmp);
  return err;
}

static pv_err sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    pv_err err = pv_fail(PV_ERR_IO, "export: fsync %s: %s", dir, strerror(errno));
    if (fd >= 0)
      close(fd);
    return err;
  }
  close(fd);
  return PV_OK;
}

static pv_err make_dir(const char *dir) {
  struct stat st;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return pv_fail(PV_ERR_IO, "export: mkdir %s: %s", dir, strerror(errno));
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return pv_fail(PV_ERR_IO, "export: %s is not a folder", dir);
  return PV_OK;
}

static int att_cmp(const void *a, const void *b) {
  const attachment_ref *x = a, *y = b;
  int c = memcmp(x->sha, y->sha, sizeof x->sha);
  return c ? c : strcmp(x->ext, y->ext);
}

static pv_err copy_attachment(pv_cdb *db, const char *territory, const char *dir,
                              const attachment_ref *a) {
  pv_store_blob blob = {0};
  afile f = {.fd = -1};
  char sha[PV_SHA256_HEX + 1], name[PV_SHA256_HEX + 32];
  for (int i = 0; i < 32; i++)
    snprintf(sha + 2 * i, 3, "%02x", a->sha[i]);
  pv_err err = pv_cdb_attachment_get(db, territory, sha, &blob);
  if (err == PV_ERR_NOTFOUND)
    err = pv_fail(PV_ERR_CORRUPT,
                  "export: attachment %s named by a response is not stored", sha);
  if (err)
    goto out;
  snprintf(name, sizeof name, "attachments/%s%s", sha, a->ext);
  if (!(err = afile_open(&f, dir, name)))
    err = afile_sink(&f, blob.bytes, blob.size);
  err = afile_close(&f, err);
out:
  pv_store_blob_free(&blob);
  return err;
}

/* Makes out_dir/prompts/<survey>/<lang> (each level) into dir. */
static pv_err prompt_dir(const char *out_dir, const pv_store_prompt *p, char *dir,
                         size_t cap) {
  const char *const parts[] = {"prompts", p->survey_id, p->lang};
  size_t len = (size_t)snprintf(dir, cap, "%s", out_dir);
  pv_err err = PV_OK;
  for (size_t i = 0; i < 3 && !err; i++) {
    len += (size_t)snprintf(dir + len, len < cap ? cap - len : 0, "/%s", parts[i]);
    err = len >= cap ? pv_fail(PV_ERR_TOOBIG, "export: path too long: %s", out_dir)
                     : make_dir(dir);
  }
  return err;
}

/* Writes the territory's current recorded prompts of survey_id, each as
 * prompts/<survey>/<lang>/<key>.<ext> with the key's ':' written '.'
 * (ids never hold one; Windows names cannot hold ':'), so "q:logement" in
 * Darija is prompts/<survey>/ary/q.logement.wav. Survey, language and key
 * were checked on ingest: no path is built from anything else. */
static pv_err copy_prompts(pv_cdb *db, const char *territory, const char *survey_id,
                           const char *out_dir) {
  pv_proto_prompt_entry *list = NULL;
  size_t n = 0;
  char dir[MAX_PATH], name[PV_STORE_MAX_PROMPT_KEY + 16];
  int wrote = 0;
  pv_err err = pv_cdb_prompt_list(db, territory, &list, &n);
  for (size_t i = 0; i < n && !err; i++) {
    const pv_store_prompt *p = &list[i].p;
    pv_store_blob blob = {0};
    afile f = {.fd = -1};
    if (strcmp(p->survey_id, survey_id) != 0 || p->deleted) /* deletions: no file */
      continue;
    snprintf(name, sizeof name, "%s%s", p->key, ext_of(p->media_type));
    for (char *c = name; *c; c++)
      if (*c == ':')
        *c = '.';
    if ((err = prompt_dir(out_dir, p, dir, sizeof dir)) ||
        (err = pv_cdb_attachment_get(db, territory, p->sha256, &blob)))
      break;
    if (!(err = afile_open(&f, dir, name)))
      err = afile_sink(&f, blob.bytes, blob.size);
    err = afile_close(&f, err);
    pv_store_blob_free(&blob);
    if (!err)
      err = sync_dir(dir);
    wrote = 1;
  }
  /* The new folders' own entries: prompts/<survey>, then prompts. */
  for (int up = 0; up < 2 && wrote && !err; up++) {
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = '\0';
    err = sync_dir(dir);
  }
  free(list);
  return err;
}

pv_err pv_export_to_dir(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                        const char *format, const char *out_dir) {
  run r;
  memset(&r, 0, sizeof r);
  afile data = {.fd = -1}, book = {.fd = -1}, geo = {.fd = -1};
  char name[PV_STORE_MAX_ID + 16], adir[MAX_PATH];
  pv_err err = check_filter(f, format);
  if (err || !out_dir || !*out_dir)
    return err ? err : pv_fail(PV_ERR_INVALID, "export: an output folder is required");
  if ((err = make_dir(out_dir)))
    return err;
  snprintf(name, sizeof name, "%s.%s", f->survey_id, format);
  if ((err = afile_open(&data, out_dir, name)))
    goto out;
  err = export_run(db, territory, f, format, afile_sink, &data, RUN_COLLECT, &r);
  if ((err = afile_close(&data, err)))
    goto out;
  if ((err = afile_open(&book, out_dir, "codebook.csv")))
    goto out;
  err = pv_export_codebook(db, territory, f->survey_id, afile_sink, &book);
  if ((err = afile_close(&book, err)))
    goto out;
  if (strcmp(format, "geojson") != 0) { /* the pins on a map too, when bounds exist */
    run g;
    snprintf(name, sizeof name, "%s.geojson", f->survey_id);
    if ((err = afile_open(&geo, out_dir, name)))
      goto out;
    err = export_run(db, territory, f, "geojson", afile_sink, &geo, RUN_IF_BOUNDED, &g);
    size_t bounded = g.bounded;
    run_free(&g);
    if (!err && !bounded)
      afile_close(&geo, PV_ERR_STATE); /* no map has bounds: no file */
    else if ((err = afile_close(&geo, err)))
      goto out;
  }
  if (r.n_atts)
    qsort(r.atts, r.n_atts, sizeof *r.atts, att_cmp);
  if (r.n_atts && !territory) {
    err = pv_fail(PV_ERR_INVALID,
                  "export: attachments are kept per territory: give a "
                  "territory to export %zu of them",
                  r.n_atts);
    goto out;
  }
  snprintf(adir, sizeof adir, "%s/attachments", out_dir);
  if (r.n_atts && (err = make_dir(adir)))
    goto out;
  for (size_t i = 0; i < r.n_atts && !err; i++)
    if (i == 0 || att_cmp(&r.atts[i], &r.atts[i - 1]) != 0)
      err = copy_attachment(db, territory, out_dir, &r.atts[i]);
  if (!err && r.n_atts)
    err = sync_dir(adir);
  if (!err && territory) /* recordings are a territory's too */
    err = copy_prompts(db, territory, f->survey_id, out_dir);
  if (!err)
    err = sync_dir(out_dir);
out:
  afile_close(&data, err ? err : PV_ERR_STATE);
  afile_close(&book, err ? err : PV_ERR_STATE);
  afile_close(&geo, err ? err : PV_ERR_STATE);
  run_free(&r);
  return err;
}
