/* test_export: collector/export on a real collector database.
 *
 * Builds a database through collector/storage.h (territories, a device,
 * the sample surveys published from content/surveys, and a hand-made
 * survey "essai" in two versions with every question type), ingests
 * hand-made responses (Arabic text, quotes, separators, line breaks,
 * formula-looking text, map pins, a drawing and a voice note), exports
 * them as CSV, JSON and GeoJSON to memory and to a folder, and reads the
 * output back: CSV with a small RFC 4180 reader, JSON with cJSON; the
 * GeoJSON is checked against the structure RFC 7946 asks (survey
 * "carto": a map with bounds and one without).
 *
 * `test_export --pg` runs the same suite on the PostgreSQL server of the
 * ctest fixture "pg" (ctest entry test_export_pg).
 *
 * Bench mode, for docs/benchmarks.md (not run by ctest):
 *   test_export --bench-fill DB N   stores N responses of "essai" in DB
 *   test_export --bench-export DB   exports them to CSV (to /dev/null),
 *                                   prints seconds and peak RSS */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector/export.h"
#include "collector/storage.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "sync/protocol.h"
#include "tests/check.h"

#define T "34172"
#define T2 "75056"
#define NOW "2026-11-23T12:00:00.000Z"
#define S1 "11111111-1111-4111-8111-111111111111"
#define S2 "22222222-2222-4222-8222-222222222222"
#define DEV "6f1c0000-0000-4000-8000-000000000001"

/* ---- the hand-made survey ------------------------------------------------------ */

/* clang-format off */
#define L(fr, ar) "{\"fr\":\"" fr "\",\"ar\":\"" ar "\"}"
#define OPT(id, fr) \
  "{\"id\":\"" id "\",\"image\":\"pictograms/house.svg\",\"label\":" L(fr, "خيار") "}"
#define Q(id, type, fr, extra) \
  "{\"id\":\"" id "\",\"type\":\"" type "\",\"label\":" L(fr, "سؤال") "," \
  "\"image\":\"pictograms/house.svg\"" extra "}"

static const char essai_v1[] =
  "{\"format\":1,\"id\":\"essai\",\"version\":1,\"languages\":[\"fr\",\"ar\"],"
  "\"title\":" L("Essai ancien", "تجربة") ",\"image\":\"pictograms/house.svg\","
  "\"referentiel\":{\"pillar\":\"cadre_de_vie\",\"evaluative_questions\":[\"QE1\"],"
  "\"indicators\":[\"CV-1.1\"]},\"questions\":["
  Q("humeur", "smileys", "Humeur ancienne", ",\"points\":3") ","
  Q("ancienne", "yes_no", "Question retirée", "") ","
  Q("lieux", "choice", "Où allez-vous ?", ",\"multiple\":true,\"choices\":["
    OPT("parc", "Le parc") "," OPT("gare", "La gare") "]")
  "]}";

static const char essai_v2[] =
  "{\"format\":1,\"id\":\"essai\",\"version\":2,\"languages\":[\"fr\",\"ar\"],"
  "\"title\":" L("Essai", "تجربة") ",\"image\":\"pictograms/house.svg\","
  "\"referentiel\":{\"pillar\":\"cadre_de_vie\",\"evaluative_questions\":[\"QE1\"],"
  "\"indicators\":[\"CV-1.1\"]},\"questions\":["
  Q("humeur", "smileys", "Vous sentez-vous bien ?",
    ",\"points\":5,\"referentiel\":{\"evaluative_questions\":[\"QE1\",\"QE2\"],"
    "\"indicators\":[\"BE-1.1\",\"CV-2.1\"]}") ","
  Q("lieu", "choice", "Un lieu ?", ",\"choices\":["
    OPT("marche", "Le marché") "," OPT("parc", "Le parc") "]") ","
  Q("lieux", "choice", "Où allez-vous ?", ",\"multiple\":true,\"choices\":["
    OPT("parc", "Le parc") "," OPT("ecole", "L'école") "," OPT("cafe", "Le café") "]") ","
  Q("oui", "yes_no", "D'accord ?", "") ","
  Q("note", "scale", "Une note ?",
    ",\"low\":{\"label\":" L("Pas du tout", "أبدا") ",\"image\":\"pictograms/house.svg\"},"
    "\"high\":{\"label\":" L("Tout à fait", "تماما") ",\"image\":\"pictograms/house.svg\"}") ","
  Q("ordre", "ranking", "Dans quel ordre ?", ",\"choices\":["
    OPT("logement", "Les logements") "," OPT("proprete", "La propreté") ","
    OPT("transports", "Les transports") "]") ","
  Q("plan", "map", "Sur le plan ?", ",\"plan\":\"media/plan.png\",\"max\":5,\"pins\":["
    OPT("aime", "J'aime") "," OPT("evite", "J'évite") "]") ","
  Q("dessin", "drawing", "Dessinez", "") ","
  Q("photos", "photo_choice", "Quelle image ?", ",\"photos\":["
    "{\"id\":\"jardin\",\"photo\":\"media/jardin.jpg\",\"label\":" L("Un jardin", "حديقة") "},"
    "{\"id\":\"jeux\",\"photo\":\"media/jeux.jpg\",\"label\":" L("Des jeux", "ألعاب") "}]") ","
  Q("voix", "voice", "Dites-le", ",\"max_seconds\":60") ","
  Q("mot", "text", "Un mot ?", ",\"max_length\":300")
  "]}";

/* Bounds of the map "zone"; "croquis" has none (left out of the GeoJSON). */
#define W 3.8243
#define S 43.6194
#define E 3.8317
#define N 43.6226
static const char carto_v1[] =
  "{\"format\":1,\"id\":\"carto\",\"version\":1,\"languages\":[\"fr\",\"ar\"],"
  "\"title\":" L("Carte", "خريطة") ",\"image\":\"pictograms/house.svg\","
  "\"referentiel\":{\"pillar\":\"cadre_de_vie\",\"evaluative_questions\":[\"QE1\"],"
  "\"indicators\":[\"CV-1.1\"]},\"questions\":["
  Q("zone", "map", "Sur le plan ?", ",\"plan\":\"media/plan.png\",\"max\":5,"
    "\"bounds\":{\"west\":3.8243,\"south\":43.6194,\"east\":3.8317,\"north\":43.6226},"
    "\"pins\":[" OPT("aime", "J'aime") "," OPT("souk", "Le souk سوق") "]") ","
  Q("croquis", "map", "Sans coordonnées", ",\"plan\":\"media/plan.png\",\"pins\":["
    OPT("aime", "J'aime") "]") ","
  Q("mot", "text", "Un mot ?", "")
  "]}";

static const char *const columns[] = {
  "response_uuid", "survey_id", "survey_version", "territory", "session_uuid",
  "session_kind", "session_place", "qpv_code", "qpv_name", "animateur",
  "language", "started_at", "ended_at", "status", "duration_s",
  "humeur", "lieu", "lieux.parc", "lieux.ecole", "lieux.cafe", "lieux.gare", "oui", "note",
  "ordre.logement", "ordre.proprete", "ordre.transports", "plan", "plan.count", "dessin",
  "photos.jardin", "photos.jeux", "voix", "voix.seconds", "mot", "ancienne", NULL};
/* clang-format on */

/* Arabic with a separator, quotes and a line break: must come back intact. */
static const char arabic[] = "مرحبا بكم; \"حيّنا\"\nسطر ثانٍ";
static const unsigned char drawing_png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                            '\n', 1,   2,   3,   0,    255};
static const char voice_ogg[] = "OggS fake voice note bytes";
static char sha_d[PV_SHA256_HEX + 1], sha_v[PV_SHA256_HEX + 1];

#define R1 "aaaaaaaa-0000-4000-8000-000000000001"
#define R2 "aaaaaaaa-0000-4000-8000-000000000002"
#define R3 "aaaaaaaa-0000-4000-8000-000000000003"
#define R4 "aaaaaaaa-0000-4000-8000-000000000004"
#define R5 "aaaaaaaa-0000-4000-8000-000000000005"
#define G1 "bbbbbbbb-0000-4000-8000-000000000001"
#define G2 "bbbbbbbb-0000-4000-8000-000000000002"
#define G3 "bbbbbbbb-0000-4000-8000-000000000003"

/* ---- building the database ----------------------------------------------------------
 */

typedef struct file_in {
  const char *path;
  const void *bytes;
  size_t len;
} file_in;

static void publish(pv_cdb *db, const char *territory, const char *id, int version,
                    const file_in *files, size_t n) {
  pv_proto_survey s;
  memset(&s, 0, sizeof s);
  snprintf(s.id, sizeof s.id, "%s", id);
  s.version = version;
  s.files = calloc(n, sizeof *s.files);
  s.n_files = n;
  for (size_t i = 0; i < n; i++) {
    snprintf(s.files[i].path, sizeof s.files[i].path, "%s", files[i].path);
    CHECK_INT(pv_sha256_hex(files[i].bytes, files[i].len, s.files[i].sha256), PV_OK);
    s.files[i].size = files[i].len;
    CHECK_INT(pv_cdb_blob_put(db, s.files[i].sha256,
                              strstr(files[i].path, ".json")
                                  ? "application/json"
                                  : "application/octet-stream",
                              files[i].bytes, files[i].len),
              PV_OK);
  }
  pv_cdb_publish what;
  CHECK_INT(pv_cdb_survey_publish(db, territory, &s, NOW, &what), PV_OK);
  free(s.files);
}

/* Publishes content/surveys/<id> (survey.json and the files under media/) for
 * territory. */
static void publish_sample(pv_cdb *db, const char *territory, const char *id) {
  char dir[512], path[1024];
  file_in files[16];
  char *bufs[16], names[16][300];
  size_t n = 0;
  snprintf(dir, sizeof dir, "%s/content/surveys/%s", PV_SOURCE_DIR, id);
  snprintf(path, sizeof path, "%s/survey.json", dir);
  bufs[n] = pv_test_read(path, &files[n].len);
  CHECK(bufs[n] != NULL);
  files[n].path = "survey.json", files[n].bytes = bufs[n], n++;
  snprintf(path, sizeof path, "%s/media", dir);
  DIR *d = opendir(path);
  for (struct dirent *e; d && (e = readdir(d)) && n < 16;) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(names[n], sizeof names[n], "media/%s", e->d_name);
    snprintf(path, sizeof path, "%.500s/%.300s", dir, names[n]);
    bufs[n] = pv_test_read(path, &files[n].len);
    CHECK(bufs[n] != NULL);
    files[n].path = names[n], files[n].bytes = bufs[n], n++;
  }
  if (d)
    closedir(d);
  publish(db, territory, id, 1, files, n);
  for (size_t i = 0; i < n; i++)
    free(bufs[i]);
}

typedef struct ans {
  const char *q, *value, *attachment;
} ans;

/* Ingests one response to survey (stored, checked). */
static void ingest_to(pv_cdb *db, const char *territory, long long device,
                      const char *survey, const char *uuid, int version,
                      const char *session, const char *lang, const char *start,
                      const char *end, pv_store_status status, const ans *answers) {
  pv_store_response r;
  pv_store_answer a[16];
  memset(&r, 0, sizeof r);
  memset(a, 0, sizeof a);
  snprintf(r.uuid, sizeof r.uuid, "%s", uuid);
  snprintf(r.survey_id, sizeof r.survey_id, "%s", survey);
  r.survey_version = version;
  snprintf(r.session_uuid, sizeof r.session_uuid, "%s", session ? session : "");
  snprintf(r.device_id, sizeof r.device_id, DEV);
  snprintf(r.language, sizeof r.language, "%s", lang);
  snprintf(r.started_at, sizeof r.started_at, "%s", start);
  snprintf(r.ended_at, sizeof r.ended_at, "%s", end);
  r.status = status;
  size_t n = 0;
  for (; answers[n].q; n++) {
    snprintf(a[n].question_id, sizeof a[n].question_id, "%s", answers[n].q);
    a[n].value = (char *)answers[n].value;
    a[n].measure = PV_QUANTITATIVE;
    snprintf(a[n].answered_at, sizeof a[n].answered_at, "%s", start);
    snprintf(a[n].attachment, sizeof a[n].attachment, "%s",
             answers[n].attachment ? answers[n].attachment : "");
  }
  r.answers = a;
  r.answer_count = n;
  pv_cdb_ingest_item it;
  memset(&it, 0, sizeof it);
  it.r = &r;
  it.canonical = pv_proto_response_encode(&r);
  CHECK(it.canonical != NULL);
  if (!it.canonical)
    return;
  pv_sha256_hex(it.canonical, strlen(it.canonical), it.hash);
  CHECK_INT(pv_cdb_ingest(db, territory, device, &it, 1, NOW), PV_OK);
  CHECK_INT(it.outcome, PV_OUT_STORED);
  free((char *)it.canonical);
}

/* Ingests one response to "essai". */
static void ingest(pv_cdb *db, const char *territory, long long device,
                   const char *uuid, int version, const char *session, const char *lang,
                   const char *start, const char *end, pv_store_status status,
                   const ans *answers) {
  ingest_to(db, territory, device, "essai", uuid, version, session, lang, start, end,
            status, answers);
}

/* Survey "carto" and its responses: pins at the corners, in the middle,
 * of a kind no version has, malformed, and on the map without bounds. */
static void build_carto(pv_cdb *db, long long dev) {
  file_in f = {"survey.json", carto_v1, strlen(carto_v1)};
  publish(db, NULL, "carto", 1, &f, 1);
  ingest_to(db, T, dev, "carto", G1, 1, S1, "ar", "2026-11-04T10:00:00.000Z",
            "2026-11-04T10:01:00.000Z", PV_STORE_COMPLETE,
            (ans[]){{"zone",
                     "[{\"kind\":\"aime\",\"x\":0,\"y\":0},"
                     "{\"kind\":\"souk\",\"x\":1,\"y\":1},"
                     "{\"kind\":\"aime\",\"x\":0.5,\"y\":0.25},"
                     "{\"kind\":\"aime\",\"x\":2,\"y\":0.5}]",
                     NULL},
                    {"croquis", "[{\"kind\":\"aime\",\"x\":0.3,\"y\":0.3}]", NULL},
                    {"mot", "\"مرحبا\"", NULL},
                    {NULL, NULL, NULL}});
  ingest_to(db, T, dev, "carto", G2, 1, NULL, "fr", "2026-11-06T10:00:00.000Z",
            "2026-11-06T10:01:00.000Z", PV_STORE_COMPLETE,
            (ans[]){{"zone", "[]", NULL},
                    {"croquis", "[{\"kind\":\"aime\",\"x\":0.1,\"y\":0.9}]", NULL},
                    {NULL, NULL, NULL}});
  ingest_to(db, T, dev, "carto", G3, 1, NULL, "fr", "2026-11-07T10:00:00.000Z",
            "2026-11-07T10:01:00.000Z", PV_STORE_ABANDONED,
            (ans[]){{"zone", "[{\"kind\":\"ancien\",\"x\":0.25,\"y\":0.75}]", NULL},
                    {NULL, NULL, NULL}});
}

static void build(pv_cdb *db) {
  long long dev = 0, dev2 = 0;
  int created = 0;
  CHECK_INT(pv_cdb_territory_add(db, T, "Montpellier Méditerranée Métropole", NOW),
            PV_OK);
  CHECK_INT(pv_cdb_territory_add(db, T2, "Paris", NOW), PV_OK);
  CHECK_INT(pv_cdb_token_add(
                db, PV_CDB_DEVICE, T, "borne-mosson",
                "0000000000000000000000000000000000000000000000000000000000000001", NOW,
                &dev),
            PV_OK);
  CHECK_INT(pv_cdb_token_add(
                db, PV_CDB_DEVICE, T2, "borne-paris",
                "0000000000000000000000000000000000000000000000000000000000000002", NOW,
                &dev2),
            PV_OK);
  file_in f1 = {"survey.json", essai_v1, strlen(essai_v1)};
  file_in f2 = {"survey.json", essai_v2, strlen(essai_v2)};
  publish(db, NULL, "essai", 1, &f1, 1);
  publish(db, NULL, "essai", 2, &f2, 1);
  publish_sample(db, NULL, "qualite-habiter");
  publish_sample(db, T, "lien-social");
  publish_sample(db, T2, "tranquillite"); /* not visible to T */

  pv_sha256_hex(drawing_png, sizeof drawing_png, sha_d);
  pv_sha256_hex(voice_ogg, strlen(voice_ogg), sha_v);
  CHECK_INT(pv_cdb_attachment_put(db, T, sha_d, "image/png", drawing_png,
                                  sizeof drawing_png, NOW, &created),
            PV_OK);
  CHECK_INT(pv_cdb_attachment_put(db, T, sha_v, "audio/ogg", voice_ogg,
                                  strlen(voice_ogg), NOW, &created),
            PV_OK);

  char dessin[256], voix[256], mot[256];
  snprintf(dessin, sizeof dessin,
           "{\"attachment\":\"%s\",\"media_type\":\"image/png\",\"size\":%zu}", sha_d,
           sizeof drawing_png);
  snprintf(voix, sizeof voix,
           "{\"attachment\":\"%s\",\"media_type\":\"audio/ogg\",\"seconds\":12.6}",
           sha_v);
  cJSON *s = cJSON_CreateString(arabic);
  char *m = cJSON_PrintUnformatted(s);
  snprintf(mot, sizeof mot, "%s", m);
  cJSON_free(m);
  cJSON_Delete(s);
  /* Session S1 arrived (a place a CSV cell must quote); S2 has not. */
  pv_store_session s1 = {.uuid = S1,
                         .kind = "table_de_quartier",
                         .place = "Maison pour tous; \"Léo Lagrange\"",
                         .qpv_code = "QN03401M",
                         .qpv_name = "Mosson",
                         .animateur = "MB",
                         .started_at = "2026-11-02T09:30:00.000Z",
                         .ended_at = "2026-11-02T12:00:00.000Z"};
  char *s1_json = pv_proto_session_encode(&s1);
  pv_cdb_session_item si = {.s = &s1, .canonical = s1_json};
  pv_sha256_hex(s1_json, strlen(s1_json), si.hash);
  CHECK_INT(pv_cdb_session_ingest(db, T, dev, &si, 1, NOW), PV_OK);
  CHECK_INT(si.outcome, PV_OUT_STORED);
  free(s1_json);
  /* Ingested out of order: the export sorts by started_at. */
  ingest(db, T, dev, R3, 2, S2, "fr", "2026-11-10T08:00:00.000Z",
         "2026-11-10T08:01:00.000Z", PV_STORE_COMPLETE,
         (ans[]){{"mot", "\"=HYPERLINK(\\\"x\\\")\"", NULL}, {NULL, NULL, NULL}});
  ingest(db, T, dev, R1, 2, S1, "ar", "2026-11-02T10:00:00.000Z",
         "2026-11-02T10:02:05.500Z", PV_STORE_COMPLETE,
         (ans[]){{"humeur", "4", NULL},
                 {"lieu", "\"parc\"", NULL},
                 {"lieux", "[\"parc\",\"cafe\"]", NULL},
                 {"oui", "\"yes\"", NULL},
                 {"note", "7", NULL},
                 {"ordre", "[\"proprete\",\"transports\",\"logement\"]", NULL},
                 {"plan",
                  "[{\"kind\":\"aime\",\"x\":0.25,\"y\":0.5},"
                  "{\"kind\":\"evite\",\"x\":0.75,\"y\":0.125}]",
                  NULL},
                 {"dessin", dessin, sha_d},
                 {"photos", "[\"jeux\"]", NULL},
                 {"voix", voix, sha_v},
                 {"mot", mot, NULL},
                 {NULL, NULL, NULL}});
  ingest(db, T, dev, R2, 1, NULL, "fr", "2026-11-05T09:00:00.000Z",
         "2026-11-05T09:00:30.000Z", PV_STORE_ABANDONED,
         (ans[]){{"humeur", "2", NULL},
                 {"ancienne", "\"no\"", NULL},
                 {"lieux", "[\"gare\"]", NULL},
                 {NULL, NULL, NULL}});
  ingest(db, T, dev, R4, 2, NULL, "fr", "2026-11-12T08:00:00.000Z",
         "2026-11-12T08:00:10.000Z", PV_STORE_COMPLETE,
         (ans[]){{"mot", "\"+33 6; -1 @x\"", NULL},
                 {"note", "-3", NULL},
                 {"oui", "null", NULL},
                 {"lieux", "\"parc\"", NULL},
                 {NULL, NULL, NULL}});
  ingest(db, T2, dev2, R5, 2, NULL, "fr", "2026-11-03T08:00:00.000Z",
         "2026-11-03T08:00:10.000Z", PV_STORE_COMPLETE,
         (ans[]){{"mot", "\"Paris\"", NULL}, {NULL, NULL, NULL}});
  build_carto(db, dev);
}

/* ---- output to memory, and a small RFC 4180 reader
 * ------------------------------------ */

typedef struct membuf {
  char *s;
  size_t len, cap;
  int calls, fail_after; /* fail_after > 0: the sink fails on that call */
} membuf;

static pv_err mem_sink(void *ud, const void *bytes, size_t len) {
  membuf *m = ud;
  if (m->fail_after && ++m->calls >= m->fail_after)
    return pv_fail(PV_ERR_IO, "test: sink gave up");
  if (m->len + len + 1 > m->cap) {
    m->cap = (m->len + len + 1) * 2;
    m->s = realloc(m->s, m->cap);
  }
  memcpy(m->s + m->len, bytes, len);
  m->len += len;
  m->s[m->len] = '\0';
  return PV_OK;
}

#define MAX_ROWS 64
#define MAX_CELLS 64

typedef struct table {
  char *cell[MAX_ROWS][MAX_CELLS];
  int ncells[MAX_ROWS];
  int nrows;
  int ok; /* 0 when the text broke RFC 4180, CRLF or the BOM */
} table;

/* Reads UTF-8-BOM, ';'-separated, CRLF-terminated RFC 4180 text. */
static void csv_read(const char *s, size_t len, table *t) {
  memset(t, 0, sizeof *t);
  t->ok = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;
  size_t i = 3;
  char *cur = malloc(len + 1);
  while (t->ok && i < len && t->nrows < MAX_ROWS) {
    int row = t->nrows++;
    for (;;) { /* one field */
      size_t n = 0;
      if (i < len && s[i] == '"') {
        for (i++;; i++) {
          if (i >= len) {
            t->ok = 0;
            break;
          }
          if (s[i] == '"') {
            if (i + 1 < len && s[i + 1] == '"')
              cur[n++] = '"', i++;
            else {
              i++;
              break;
            }
          } else {
            cur[n++] = s[i];
          }
        }
      } else {
        while (i < len && s[i] != ';' && s[i] != '\r' && s[i] != '\n' && s[i] != '"')
          cur[n++] = s[i++];
      }
      cur[n] = '\0';
      if (t->ncells[row] < MAX_CELLS)
        t->cell[row][t->ncells[row]++] = strdup(cur);
      if (i < len && s[i] == ';') {
        i++;
        continue;
      }
      if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n') {
        i += 2;
        break;
      }
      t->ok = 0; /* a bare LF, a stray quote, or no CRLF at the end */
      break;
    }
  }
  free(cur);
}

static void table_free(table *t) {
  for (int r = 0; r < t->nrows; r++)
    for (int c = 0; c < t->ncells[r]; c++)
      free(t->cell[r][c]);
}

/* Returns the cell of row r in the column named name (row 0 is the header). */
static const char *cell(const table *t, int r, const char *name) {
  if (r >= t->nrows)
    return NULL;
  for (int c = 0; c < t->ncells[0]; c++)
    if (strcmp(t->cell[0][c], name) == 0)
      return c < t->ncells[r] ? t->cell[r][c] : NULL;
  return NULL;
}

/* Returns the row whose first cell is key, or -1. */
static int row_of(const table *t, const char *key) {
  for (int r = 1; r < t->nrows; r++)
    if (t->ncells[r] && strcmp(t->cell[r][0], key) == 0)
      return r;
  return -1;
}

static void export_mem(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                       const char *format, membuf *m, pv_err want) {
  memset(m, 0, sizeof *m);
  CHECK_INT(pv_export_write(db, territory, f, format, mem_sink, m), want);
}

/* ---- the checks -------------------------------------------------------------------
 */

static void test_csv(pv_cdb *db) {
  membuf m;
  table t;
  pv_cdb_filter f = {.survey_id = "essai"};
  export_mem(db, T, &f, "csv", &m, PV_OK);
  csv_read(m.s, m.len, &t);
  CHECK(t.ok);
  CHECK_INT(t.nrows, 5); /* header + R1 R2 R3 R4; R5 is another territory's */
  int ncols = 0;
  while (columns[ncols])
    ncols++;
  CHECK_INT(t.ncells[0], ncols);
  for (int c = 0; c < ncols && c < t.ncells[0]; c++)
    CHECK_STR(t.cell[0][c], columns[c]);
  for (int r = 1; r < t.nrows; r++)
    CHECK_INT(t.ncells[r], ncols);
  CHECK_STR(t.cell[1][0], R1); /* by started_at */
  CHECK_STR(t.cell[2][0], R2);
  CHECK_STR(t.cell[3][0], R3);
  CHECK_STR(t.cell[4][0], R4);

  char want[128];
  CHECK_STR(cell(&t, 1, "survey_id"), "essai");
  CHECK_STR(cell(&t, 1, "survey_version"), "2");
  CHECK_STR(cell(&t, 1, "territory"), T);
  CHECK_STR(cell(&t, 1, "session_uuid"), S1);
  CHECK_STR(cell(&t, 1, "session_kind"), "table_de_quartier");
  CHECK_STR(cell(&t, 1, "session_place"), "Maison pour tous; \"Léo Lagrange\"");
  CHECK_STR(cell(&t, 1, "qpv_code"), "QN03401M");
  CHECK_STR(cell(&t, 1, "qpv_name"), "Mosson");
  CHECK_STR(cell(&t, 1, "animateur"), "MB");
  CHECK_STR(cell(&t, 1, "language"), "ar");
  CHECK_STR(cell(&t, 1, "started_at"), "2026-11-02T10:00:00.000Z");
  CHECK_STR(cell(&t, 1, "ended_at"), "2026-11-02T10:02:05.500Z");
  CHECK_STR(cell(&t, 1, "status"), "complete");
  CHECK_STR(cell(&t, 1, "duration_s"), "125");
  CHECK_STR(cell(&t, 1, "humeur"), "4");
  CHECK_STR(cell(&t, 1, "lieu"), "parc");
  CHECK_STR(cell(&t, 1, "lieux.parc"), "1");
  CHECK_STR(cell(&t, 1, "lieux.ecole"), "0");
  CHECK_STR(cell(&t, 1, "lieux.cafe"), "1");
  CHECK_STR(cell(&t, 1, "lieux.gare"), "0");
  CHECK_STR(cell(&t, 1, "oui"), "yes");
  CHECK_STR(cell(&t, 1, "note"), "7");
  CHECK_STR(cell(&t, 1, "ordre.logement"), "3");
  CHECK_STR(cell(&t, 1, "ordre.proprete"), "1");
  CHECK_STR(cell(&t, 1, "ordre.transports"), "2");
  CHECK_STR(cell(&t, 1, "plan"),
            "[{\"kind\":\"aime\",\"x\":0.25,\"y\":0.5},{\"kind\":\"evite\",\"x\":0.75,"
            "\"y\":0.125}]");
  CHECK_STR(cell(&t, 1, "plan.count"), "2");
  snprintf(want, sizeof want, "attachments/%s.png", sha_d);
  CHECK_STR(cell(&t, 1, "dessin"), want);
  CHECK_STR(cell(&t, 1, "photos.jardin"), "0");
  CHECK_STR(cell(&t, 1, "photos.jeux"), "1");
  snprintf(want, sizeof want, "attachments/%s.ogg", sha_v);
  CHECK_STR(cell(&t, 1, "voix"), want);
  CHECK_STR(cell(&t, 1, "voix.seconds"), "13");
  CHECK_STR(cell(&t, 1, "mot"), arabic); /* byte-identical */
  CHECK_STR(cell(&t, 1, "ancienne"), "");

  /* Version 1: old-only question and option, unanswered ones empty. */
  CHECK_STR(cell(&t, 2, "survey_version"), "1");
  CHECK_STR(cell(&t, 2, "status"), "abandoned");
  CHECK_STR(cell(&t, 2, "session_uuid"), "");
  CHECK_STR(cell(&t, 2, "session_kind"), "");
  CHECK_STR(cell(&t, 2, "animateur"), "");
  /* R3's session S2 has not arrived: its columns are empty. */
  CHECK_STR(cell(&t, 3, "session_uuid"), S2);
  CHECK_STR(cell(&t, 3, "session_kind"), "");
  CHECK_STR(cell(&t, 3, "qpv_code"), "");
  CHECK_STR(cell(&t, 2, "duration_s"), "30");
  CHECK_STR(cell(&t, 2, "humeur"), "2");
  CHECK_STR(cell(&t, 2, "ancienne"), "no");
  CHECK_STR(cell(&t, 2, "lieux.gare"), "1");
  CHECK_STR(cell(&t, 2, "lieux.parc"), "0");
  CHECK_STR(cell(&t, 2, "oui"), "");
  CHECK_STR(cell(&t, 2, "ordre.logement"), "");
  CHECK_STR(cell(&t, 2, "plan.count"), "");
  CHECK_STR(cell(&t, 2, "dessin"), "");

  /* Formula-looking text defused; numbers written plainly. */
  CHECK_STR(cell(&t, 3, "mot"), "'=HYPERLINK(\"x\")");
  CHECK_STR(cell(&t, 4, "mot"), "'+33 6; -1 @x");
  CHECK_STR(cell(&t, 4, "note"), "-3");
  CHECK_STR(cell(&t, 4, "oui"), "");                /* null: not answered */
  CHECK_STR(cell(&t, 4, "lieux.parc"), "\"parc\""); /* not the expected shape: JSON */
  CHECK_STR(cell(&t, 4, "lieux.cafe"), "");
  CHECK_STR(cell(&t, 3, "lieux.parc"), "");

  /* The raw bytes: BOM, CRLF, quoting. */
  CHECK(m.len > 3 && memcmp(m.s,
                            "\xEF\xBB\xBF"
                            "response_uuid;survey_id;",
                            27) == 0);
  CHECK_CONTAINS(m.s, "\"مرحبا بكم; \"\"حيّنا\"\"\nسطر ثانٍ\"");
  CHECK_CONTAINS(m.s, ";\"'=HYPERLINK(\"\"x\"\")\";");
  CHECK_CONTAINS(m.s, ";-3;");
  CHECK_CONTAINS(m.s, "ancienne\r\n");
  CHECK(m.len >= 2 && memcmp(m.s + m.len - 2, "\r\n", 2) == 0);
  table_free(&t);
  free(m.s);
}

static void test_filters(pv_cdb *db) {
  static const struct {
    const char *from, *to, *session;
    const char *uuids[5];
  } cases[] = {
      {NULL, NULL, NULL, {R1, R2, R3, R4, NULL}},
      {"2026-11-03", NULL, NULL, {R2, R3, R4, NULL}},
      {NULL, "2026-11-06", NULL, {R1, R2, NULL}},
      {"2026-11-05", "2026-11-10", NULL, {R2, NULL}}, /* to is exclusive */
      {"", "", S1, {R1, NULL}},
      {NULL, NULL, S2, {R3, NULL}},
      {"2026-12-01", NULL, NULL, {NULL}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    membuf m;
    table t;
    pv_cdb_filter f = {"essai", cases[i].from, cases[i].to, cases[i].session};
    export_mem(db, T, &f, "csv", &m, PV_OK);
    csv_read(m.s, m.len, &t);
    CHECK(t.ok);
    int n = 0;
    while (cases[i].uuids[n])
      n++;
    CHECK_INT(t.nrows - 1, n);
    for (int k = 0; k < n && k + 1 < t.nrows; k++)
      CHECK_STR(t.cell[k + 1][0], cases[i].uuids[k]);
    table_free(&t);
    free(m.s);
  }
  /* Another territory sees only its own response. */
  membuf m;
  table t;
  pv_cdb_filter f = {.survey_id = "essai"};
  export_mem(db, T2, &f, "csv", &m, PV_OK);
  csv_read(m.s, m.len, &t);
  CHECK_INT(t.nrows, 2);
  CHECK_STR(cell(&t, 1, "response_uuid"), R5);
  CHECK_STR(cell(&t, 1, "territory"), T2);
  table_free(&t);
  free(m.s);
  /* Every territory (administrators): all five, territory left empty. */
  export_mem(db, NULL, &f, "csv", &m, PV_OK);
  csv_read(m.s, m.len, &t);
  CHECK_INT(t.nrows, 6);
  CHECK_STR(cell(&t, 2, "response_uuid"), R5);
  CHECK_STR(cell(&t, 2, "territory"), "");
  table_free(&t);
  free(m.s);
}

static void test_json(pv_cdb *db) {
  membuf m;
  pv_cdb_filter f = {.survey_id = "essai"};
  export_mem(db, T, &f, "json", &m, PV_OK);
  cJSON *j = cJSON_ParseWithLength(m.s, m.len);
  CHECK(j != NULL);
  const cJSON *s = cJSON_GetObjectItem(j, "survey");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "id")), "essai");
  const cJSON *v = cJSON_GetObjectItem(s, "versions");
  CHECK_INT(cJSON_GetArraySize(v), 2);
  CHECK_INT(cJSON_GetArrayItem(v, 0) ? cJSON_GetArrayItem(v, 0)->valueint : 0, 2);
  CHECK_INT(cJSON_GetArrayItem(v, 1) ? cJSON_GetArrayItem(v, 1)->valueint : 0, 1);
  const cJSON *rs = cJSON_GetObjectItem(j, "responses");
  CHECK_INT(cJSON_GetArraySize(rs), 4);
  const cJSON *r1 = cJSON_GetArrayItem(rs, 0), *r2 = cJSON_GetArrayItem(rs, 1);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "uuid")), R1);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "survey")), "essai");
  CHECK_INT(cJSON_GetObjectItem(r1, "version")
                ? cJSON_GetObjectItem(r1, "version")->valueint
                : 0,
            2);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "territory")), T);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "session")), S1);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "language")), "ar");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "started_at")),
            "2026-11-02T10:00:00.000Z");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "ended_at")),
            "2026-11-02T10:02:05.500Z");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "status")), "complete");
  const cJSON *a = cJSON_GetObjectItem(r1, "answers");
  CHECK_INT(cJSON_GetArraySize(a), 11);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "mot")), arabic);
  CHECK_INT(
      cJSON_GetObjectItem(a, "humeur") ? cJSON_GetObjectItem(a, "humeur")->valueint : 0,
      4);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(a, "plan")), 2);
  CHECK_STR(
      cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "ordre"), 0)),
      "proprete");
  CHECK_STR(cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(a, "dessin"), "attachment")),
            sha_d);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "session_kind")),
            "table_de_quartier");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "session_place")),
            "Maison pour tous; \"Léo Lagrange\"");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "qpv_code")), "QN03401M");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "qpv_name")), "Mosson");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r1, "animateur")), "MB");
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(r2, "session")));
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(r2, "session_kind")));
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(r2, "animateur")));
  /* R3: in session S2, which has not arrived. */
  const cJSON *r3 = cJSON_GetArrayItem(rs, 2);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r3, "session")), S2);
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(r3, "session_kind")));
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(r3, "qpv_name")));
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r2, "status")), "abandoned");
  CHECK_STR(cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(r2, "answers"), "ancienne")),
            "no");
  const cJSON *a4 = cJSON_GetObjectItem(cJSON_GetArrayItem(rs, 3), "answers");
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(a4, "oui")));
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a4, "mot")), "+33 6; -1 @x");
  /* Arabic is written as UTF-8, not as \u escapes. */
  CHECK_CONTAINS(m.s, "مرحبا بكم");
  cJSON_Delete(j);
  free(m.s);

  /* No response matches: still valid JSON. */
  pv_cdb_filter none = {.survey_id = "essai", .from = "2030-01-01"};
  export_mem(db, T, &none, "json", &m, PV_OK);
  j = cJSON_ParseWithLength(m.s, m.len);
  CHECK(j != NULL);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "responses")), 0);
  cJSON_Delete(j);
  free(m.s);
}

static void test_codebook(pv_cdb *db) {
  membuf m;
  table t;
  memset(&m, 0, sizeof m);
  CHECK_INT(pv_export_codebook(db, T, "essai", mem_sink, &m), PV_OK);
  csv_read(m.s, m.len, &t);
  CHECK(t.ok);
  int ncols = 0;
  while (columns[ncols])
    ncols++;
  CHECK_INT(t.nrows, ncols + 1);
  static const char *const header[] = {
      "column", "question_id",           "label_fr",    "type",        "measure",
      "pilier", "questions_evaluatives", "indicateurs", "value_labels"};
  CHECK_INT(t.ncells[0], 9);
  for (int c = 0; c < 9 && c < t.ncells[0]; c++)
    CHECK_STR(t.cell[0][c], header[c]);
  for (int r = 1; r < t.nrows && r <= ncols; r++)
    CHECK_STR(t.cell[r][0], columns[r - 1]); /* one row per data column, in order */

  /* The session's columns, in French. */
  static const struct {
    const char *column, *label;
  } meta[] = {
      {"session_kind", "Type de session"},
      {"session_place", "Lieu"},
      {"qpv_code", "Code QPV"},
      {"qpv_name", "Nom du quartier"},
      {"animateur", "Initiales de l'animateur"},
  };
  for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
    int mr = row_of(&t, meta[i].column);
    CHECK(mr > 0);
    const char *label = cell(&t, mr, "label_fr");
    CHECK(label && strncmp(label, meta[i].label, strlen(meta[i].label)) == 0);
    CHECK_STR(cell(&t, mr, "type"), "meta");
  }
  CHECK_STR(cell(&t, row_of(&t, "session_kind"), "value_labels"),
            "kiosk = Kiosque en libre-service | table_de_quartier = Table de quartier "
            "| marche_exploratoire = Marche exploratoire | atelier = Atelier");

  int r = row_of(&t, "humeur");
  CHECK_STR(cell(&t, r, "question_id"), "humeur");
  CHECK_STR(cell(&t, r, "label_fr"), "Vous sentez-vous bien ?");
  CHECK_STR(cell(&t, r, "type"), "smileys");
  CHECK_STR(cell(&t, r, "measure"), "quantitative");
  CHECK_STR(cell(&t, r, "pilier"), "cadre_de_vie");
  CHECK_STR(cell(&t, r, "questions_evaluatives"), "QE1 | QE2");
  CHECK_STR(cell(&t, r, "indicateurs"), "BE-1.1 | CV-2.1");
  CHECK_STR(cell(&t, r, "value_labels"), "1 = très mécontent | 2 = mécontent | 3 = "
                                         "neutre | 4 = content | 5 = très content");
  r = row_of(&t, "lieu");
  CHECK_STR(cell(&t, r, "value_labels"), "marche = Le marché | parc = Le parc");
  CHECK_STR(cell(&t, r, "indicateurs"), "CV-1.1"); /* inherited from the survey */
  r = row_of(&t, "lieux.gare");
  CHECK_STR(cell(&t, r, "label_fr"), "Où allez-vous ? — La gare");
  CHECK_STR(cell(&t, r, "type"), "choice");
  CHECK_STR(cell(&t, r, "value_labels"),
            "1 = choisi | 0 = non choisi (vide : question sans réponse)");
  r = row_of(&t, "oui");
  CHECK_STR(cell(&t, r, "value_labels"), "yes = oui | no = non");
  r = row_of(&t, "note");
  CHECK_STR(cell(&t, r, "value_labels"), "0 = Pas du tout | 10 = Tout à fait");
  r = row_of(&t, "ordre.proprete");
  CHECK_STR(cell(&t, r, "label_fr"), "Dans quel ordre ? — La propreté");
  CHECK_STR(cell(&t, r, "value_labels"),
            "rang donné à « La propreté » : 1 = en premier (préféré) … 3 = en dernier");
  r = row_of(&t, "plan");
  CHECK_STR(cell(&t, r, "measure"), "qualitative");
  CHECK_CONTAINS(cell(&t, r, "value_labels"), "aime = J'aime | evite = J'évite");
  r = row_of(&t, "voix.seconds");
  CHECK_STR(cell(&t, r, "label_fr"), "Dites-le — durée en secondes");
  r = row_of(&t, "ancienne");
  CHECK_STR(cell(&t, r, "label_fr"), "Question retirée");
  r = row_of(&t, "status");
  CHECK_STR(cell(&t, r, "type"), "meta");
  CHECK_CONTAINS(cell(&t, r, "value_labels"), "complete = questionnaire terminé");
  r = row_of(&t, "language");
  CHECK_STR(cell(&t, r, "value_labels"), "fr = français | ar = arabe");
  table_free(&t);
  free(m.s);

  /* A sample survey, published from content/surveys. */
  memset(&m, 0, sizeof m);
  CHECK_INT(pv_export_codebook(db, T, "lien-social", mem_sink, &m), PV_OK);
  csv_read(m.s, m.len, &t);
  CHECK(t.ok);
  r = row_of(&t, "seul");
  CHECK_STR(cell(&t, r, "type"), "scale");
  CHECK_STR(cell(&t, r, "label_fr"),
            "Il vous arrive de vous sentir seul, ou seule\xC2\xA0?");
  CHECK_STR(cell(&t, r, "value_labels"), "0 = Très souvent | 10 = Jamais");
  CHECK_STR(cell(&t, r, "pilier"), "cohesion_sociale");
  CHECK_STR(cell(&t, r, "questions_evaluatives"), "QE3");
  CHECK_STR(cell(&t, r, "indicateurs"), "CS-1.1");
  CHECK(row_of(&t, "lieux_rencontre.nulle_part") > 0);
  CHECK(row_of(&t, "comment_participer.tablette") > 0);
  r = row_of(&t, "idee");
  CHECK_STR(cell(&t, r, "questions_evaluatives"), "QE3 | QE4");
  table_free(&t);
  free(m.s);

  memset(&m, 0, sizeof m);
  CHECK_INT(pv_export_codebook(db, T, "qualite-habiter", mem_sink, &m), PV_OK);
  csv_read(m.s, m.len, &t);
  r = row_of(&t, "espaces_verts.jardin");
  CHECK_STR(cell(&t, r, "pilier"), "transition_ecologique");
  CHECK_STR(cell(&t, r, "type"), "photo_choice");
  r = row_of(&t, "proprete");
  CHECK_STR(cell(&t, r, "value_labels"), "1 = mécontent | 2 = neutre | 3 = content");
  table_free(&t);
  free(m.s);
}

static void test_errors(pv_cdb *db) {
  membuf m;
  pv_cdb_filter f = {.survey_id = "essai"};
  export_mem(db, T, &f, "xml", &m, PV_ERR_INVALID);
  CHECK_INT(m.len, 0);
  pv_cdb_filter nobody = {.survey_id = "inconnu"};
  export_mem(db, T, &nobody, "csv", &m, PV_ERR_NOTFOUND);
  CHECK_INT(m.len, 0);
  pv_cdb_filter other = {.survey_id = "tranquillite"}; /* published for T2 only */
  export_mem(db, T, &other, "csv", &m, PV_ERR_NOTFOUND);
  memset(&m, 0, sizeof m);
  CHECK_INT(pv_export_codebook(db, T, "tranquillite", mem_sink, &m), PV_ERR_NOTFOUND);
  pv_cdb_filter bad = {.survey_id = "essai", .from = "2026'; DROP"};
  export_mem(db, T, &bad, "csv", &m, PV_ERR_INVALID);
  pv_cdb_filter badsess = {.survey_id = "essai", .session = "../../x"};
  export_mem(db, T, &badsess, "json", &m, PV_ERR_INVALID);
  export_mem(db, T, NULL, "csv", &m, PV_ERR_INVALID);
  /* A sink that fails stops the export with its error. */
  memset(&m, 0, sizeof m);
  m.fail_after = 1;
  CHECK_INT(pv_export_write(db, T, &f, "csv", mem_sink, &m), PV_ERR_IO);
  free(m.s);
}

static int file_equals(const char *path, const void *bytes, size_t len) {
  size_t n = 0;
  char *got = pv_test_read(path, &n);
  int eq = got && n == len && memcmp(got, bytes, len) == 0;
  free(got);
  return eq;
}

static int count_tmp(const char *dir) {
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));)
    n += strstr(e->d_name, ".tmp") != NULL;
  if (d)
    closedir(d);
  return n;
}

static void test_dir(pv_cdb *db) {
  char dir[512], path[1024];
  snprintf(dir, sizeof dir, "%s/out", pv_test_tmpdir());
  pv_cdb_filter f = {.survey_id = "essai"};
  membuf csv, book;
  export_mem(db, T, &f, "csv", &csv, PV_OK);
  memset(&book, 0, sizeof book);
  CHECK_INT(pv_export_codebook(db, T, "essai", mem_sink, &book), PV_OK);

  CHECK_INT(pv_export_to_dir(db, T, &f, "csv", dir), PV_OK);
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  pv_test_write(path, "mine", 4); /* someone else's file */
  CHECK_INT(pv_export_to_dir(db, T, &f, "csv", dir),
            PV_OK); /* again: replaces its own */
  snprintf(path, sizeof path, "%s/essai.csv", dir);
  CHECK(file_equals(path, csv.s, csv.len));
  snprintf(path, sizeof path, "%s/codebook.csv", dir);
  CHECK(file_equals(path, book.s, book.len));
  snprintf(path, sizeof path, "%s/attachments/%s.png", dir, sha_d);
  CHECK(file_equals(path, drawing_png, sizeof drawing_png));
  snprintf(path, sizeof path, "%s/attachments/%s.ogg", dir, sha_v);
  CHECK(file_equals(path, voice_ogg, strlen(voice_ogg)));
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  CHECK(file_equals(path, "mine", 4));
  CHECK_INT(count_tmp(dir), 0);
  snprintf(path, sizeof path, "%s/attachments", dir);
  CHECK_INT(count_tmp(path), 0);

  /* JSON beside it; a filter that leaves out R1 leaves out its files. */
  char dir2[512];
  snprintf(dir2, sizeof dir2, "%s", pv_test_tmpdir());
  pv_cdb_filter later = {.survey_id = "essai", .from = "2026-11-03"};
  CHECK_INT(pv_export_to_dir(db, T, &later, "json", dir2), PV_OK);
  snprintf(path, sizeof path, "%s/essai.json", dir2);
  size_t n = 0;
  char *text = pv_test_read(path, &n);
  cJSON *j = text ? cJSON_ParseWithLength(text, n) : NULL;
  CHECK(j != NULL);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "responses")), 3);
  cJSON_Delete(j);
  free(text);
  snprintf(path, sizeof path, "%s/attachments/%s.png", dir2, sha_d);
  struct stat st;
  CHECK(stat(path, &st) != 0);
  snprintf(path, sizeof path, "%s/codebook.csv", dir2);
  CHECK(stat(path, &st) == 0);

  /* Attachments are per territory: a folder export needs one. */
  char dir3[512];
  snprintf(dir3, sizeof dir3, "%s", pv_test_tmpdir());
  CHECK_INT(pv_export_to_dir(db, NULL, &f, "csv", dir3), PV_ERR_INVALID);
  CHECK_CONTAINS(pv_err_detail(), "territory");
  pv_test_rmtree(dir3);

  /* An output path that is a file is refused. */
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  CHECK_INT(pv_export_to_dir(db, T, &f, "csv", path), PV_ERR_IO);
  pv_test_rmtree(dir);
  pv_test_rmtree(dir2);
  free(csv.s);
  free(book.s);
}

/* ---- GeoJSON ------------------------------------------------------------------------
 */

static const char *const geo_props[] = {"response_uuid",
                                        "survey_id",
                                        "survey_version",
                                        "territory",
                                        "session_uuid",
                                        "language",
                                        "started_at",
                                        "question_id",
                                        "pin_index",
                                        "kind",
                                        "kind_label_fr",
                                        "x",
                                        "y",
                                        NULL};

/* Checks text against RFC 7946's structure for this export (a
 * FeatureCollection of Point Features inside the bounds, every property
 * present, no other) and returns the parsed document (caller frees), or
 * NULL. */
static cJSON *geo_parse(const char *text, size_t len) {
  cJSON *j = cJSON_ParseWithLength(text, len);
  CHECK(j != NULL);
  if (!j)
    return NULL;
  CHECK(cJSON_IsObject(j));
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type")),
            "FeatureCollection");
  CHECK(cJSON_GetObjectItemCaseSensitive(j, "crs") == NULL); /* RFC 7946 4 */
  const cJSON *fs = cJSON_GetObjectItemCaseSensitive(j, "features");
  CHECK(cJSON_IsArray(fs));
  for (const cJSON *ft = fs ? fs->child : NULL; ft; ft = ft->next) {
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ft, "type")),
              "Feature");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(ft, "geometry");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "type")),
              "Point");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(g, "coordinates");
    CHECK(cJSON_IsArray(c));
    CHECK_INT(cJSON_GetArraySize(c), 2);
    const cJSON *lon = cJSON_GetArrayItem(c, 0), *lat = cJSON_GetArrayItem(c, 1);
    CHECK(cJSON_IsNumber(lon) && isfinite(lon->valuedouble));
    CHECK(cJSON_IsNumber(lat) && isfinite(lat->valuedouble));
    if (cJSON_IsNumber(lon) && cJSON_IsNumber(lat)) {
      CHECK(lon->valuedouble >= W && lon->valuedouble <= E);
      CHECK(lat->valuedouble >= S && lat->valuedouble <= N);
    }
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ft, "properties");
    CHECK(cJSON_IsObject(p));
    int n = 0;
    for (; geo_props[n]; n++)
      CHECK(cJSON_GetObjectItemCaseSensitive(p, geo_props[n]) != NULL);
    CHECK_INT(cJSON_GetArraySize(p), n);
  }
  return j;
}

static const cJSON *geo_prop(const cJSON *j, int i, const char *name) {
  const cJSON *ft =
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "features"), i);
  return cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(ft, "properties"), name);
}

static double geo_coord(const cJSON *j, int i, int k) {
  const cJSON *ft =
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "features"), i);
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(ft, "geometry"), "coordinates");
  const cJSON *v = cJSON_GetArrayItem(c, k);
  return cJSON_IsNumber(v) ? v->valuedouble : -999;
}

static void test_geojson(pv_cdb *db) {
  CHECK(pv_export_format_valid("geojson"));
  CHECK_STR(pv_export_media_type("geojson"), "application/geo+json");
  membuf m;
  pv_cdb_filter f = {.survey_id = "carto"};
  export_mem(db, T, &f, "geojson", &m, PV_OK);
  cJSON *j = geo_parse(m.s, m.len);
  /* G1: three good pins (the fourth is off the plan); G2: none; G3: one;
   * the map without bounds ("croquis") is left out. */
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "features")), 4);
  static const struct {
    const char *uuid;
    int pin;
    const char *kind, *label;
    double x, y, lon, lat;
  } want[] = {
      {G1, 1, "aime", "J'aime", 0, 0, W, N},                /* top left */
      {G1, 2, "souk", "Le souk سوق", 1, 1, E, S},           /* bottom right */
      {G1, 3, "aime", "J'aime", 0.5, 0.25, 3.828, 43.6218}, /* 7 decimals */
      {G3, 1, "ancien", NULL, 0.25, 0.75, 3.8261500, 43.6202},
  };
  for (int i = 0; i < 4; i++) {
    CHECK(geo_coord(j, i, 0) == want[i].lon);
    CHECK(geo_coord(j, i, 1) == want[i].lat);
    CHECK_STR(cJSON_GetStringValue(geo_prop(j, i, "response_uuid")), want[i].uuid);
    CHECK_STR(cJSON_GetStringValue(geo_prop(j, i, "question_id")), "zone");
    CHECK_INT(geo_prop(j, i, "pin_index") ? geo_prop(j, i, "pin_index")->valueint : 0,
              want[i].pin);
    CHECK_STR(cJSON_GetStringValue(geo_prop(j, i, "kind")), want[i].kind);
    if (want[i].label)
      CHECK_STR(cJSON_GetStringValue(geo_prop(j, i, "kind_label_fr")), want[i].label);
    else
      CHECK(cJSON_IsNull(geo_prop(j, i, "kind_label_fr")));
    CHECK(cJSON_IsNumber(geo_prop(j, i, "x")) &&
          geo_prop(j, i, "x")->valuedouble == want[i].x);
    CHECK(cJSON_IsNumber(geo_prop(j, i, "y")) &&
          geo_prop(j, i, "y")->valuedouble == want[i].y);
    CHECK_STR(cJSON_GetStringValue(geo_prop(j, i, "survey_id")), "carto");
    CHECK_INT(geo_prop(j, i, "survey_version")
                  ? geo_prop(j, i, "survey_version")->valueint
                  : 0,
              1);
    CHECK_STR(cJSON_GetStringValue(geo_prop(j, i, "territory")), T);
  }
  CHECK_STR(cJSON_GetStringValue(geo_prop(j, 0, "session_uuid")), S1);
  CHECK_STR(cJSON_GetStringValue(geo_prop(j, 0, "language")), "ar");
  CHECK_STR(cJSON_GetStringValue(geo_prop(j, 0, "started_at")),
            "2026-11-04T10:00:00.000Z");
  CHECK(cJSON_IsNull(geo_prop(j, 3, "session_uuid")));
  CHECK_STR(cJSON_GetStringValue(geo_prop(j, 3, "language")), "fr");
  /* Coordinates as written: 7 decimals; Arabic as UTF-8, not \u escapes. */
  CHECK_CONTAINS(m.s, "\"coordinates\":[3.8243000,43.6226000]");
  CHECK_CONTAINS(m.s, "\"coordinates\":[3.8317000,43.6194000]");
  CHECK_CONTAINS(m.s, "Le souk سوق");
  CHECK(strstr(m.s, "\\u") == NULL);
  cJSON_Delete(j);
  free(m.s);

  /* The CSV keeps the pins of the map without bounds. */
  table t;
  export_mem(db, T, &f, "csv", &m, PV_OK);
  csv_read(m.s, m.len, &t);
  CHECK(t.ok);
  CHECK_STR(cell(&t, row_of(&t, G2), "croquis"),
            "[{\"kind\":\"aime\",\"x\":0.1,\"y\":0.9}]");
  CHECK_STR(cell(&t, row_of(&t, G2), "zone.count"), "0");
  table_free(&t);
  free(m.s);

  /* Every territory: territory null. */
  export_mem(db, NULL, &f, "geojson", &m, PV_OK);
  j = geo_parse(m.s, m.len);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "features")), 4);
  CHECK(cJSON_IsNull(geo_prop(j, 0, "territory")));
  cJSON_Delete(j);
  free(m.s);

  /* Zero pins: no response matches; a survey whose map has no bounds. */
  static const char empty[] = "{\"type\":\"FeatureCollection\",\"features\":[]}\n";
  pv_cdb_filter none = {.survey_id = "carto", .from = "2030-01-01"};
  pv_cdb_filter essai = {.survey_id = "essai"};
  pv_cdb_filter sample = {.survey_id = "qualite-habiter"};
  const pv_cdb_filter *empties[] = {&none, &essai, &sample};
  for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
    export_mem(db, T, empties[i], "geojson", &m, PV_OK);
    CHECK_STR(m.s, empty);
    cJSON_Delete(geo_parse(m.s, m.len));
    free(m.s);
  }

  /* Folders: <survey>.geojson beside the CSV and JSON when a map has
   * bounds (the sample's too), not otherwise; --format geojson writes it
   * as the data file. */
  char dir[512], path[1024];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  export_mem(db, T, &f, "geojson", &m, PV_OK);
  static const char *const formats[] = {"csv", "json", "geojson"};
  for (size_t i = 0; i < 3; i++) {
    CHECK_INT(pv_export_to_dir(db, T, &f, formats[i], dir), PV_OK);
    snprintf(path, sizeof path, "%s/carto.geojson", dir);
    CHECK(file_equals(path, m.s, m.len));
    snprintf(path, sizeof path, "%s/codebook.csv", dir);
    CHECK(access(path, F_OK) == 0);
    unlink(path);
    snprintf(path, sizeof path, "%s/carto.geojson", dir);
    unlink(path);
  }
  free(m.s);
  CHECK_INT(pv_export_to_dir(db, T, &sample, "csv", dir), PV_OK);
  snprintf(path, sizeof path, "%s/qualite-habiter.geojson", dir);
  CHECK(file_equals(path, empty, strlen(empty)));
  CHECK_INT(pv_export_to_dir(db, T, &essai, "json", dir), PV_OK);
  snprintf(path, sizeof path, "%s/essai.json", dir);
  CHECK(access(path, F_OK) == 0);
  snprintf(path, sizeof path, "%s/essai.geojson", dir);
  CHECK(access(path, F_OK) != 0);
  CHECK_INT(count_tmp(dir), 0);
  pv_test_rmtree(dir);
}

static void suite(pv_cdb *db) {
  build(db);
  test_csv(db);
  test_filters(db);
  test_json(db);
  test_codebook(db);
  test_errors(db);
  test_dir(db);
  test_geojson(db);
}

/* ---- bench mode -------------------------------------------------------------------
 */

static pv_err null_sink(void *ud, const void *bytes, size_t len) {
  (void)bytes;
  *(size_t *)ud += len;
  return PV_OK;
}

static int bench_fill(const char *path, long n) {
  pv_cdb *db = NULL;
  if (pv_cdb_open_sqlite(path, &db))
    return 1;
  long long dev = 0;
  pv_cdb_territory_add(db, T, "Montpellier", NOW);
  pv_cdb_token_add(db, PV_CDB_DEVICE, T, "borne",
                   "0000000000000000000000000000000000000000000000000000000000000001",
                   NOW, &dev);
  file_in f1 = {"survey.json", essai_v1, strlen(essai_v1)};
  file_in f2 = {"survey.json", essai_v2, strlen(essai_v2)};
  publish(db, NULL, "essai", 1, &f1, 1);
  publish(db, NULL, "essai", 2, &f2, 1);
  static const char *const values[][2] = {
      {"humeur", "4"},
      {"lieu", "\"parc\""},
      {"lieux", "[\"parc\",\"cafe\"]"},
      {"oui", "\"yes\""},
      {"note", "7"},
      {"ordre", "[\"proprete\",\"transports\",\"logement\"]"},
      {"plan", "[{\"kind\":\"aime\",\"x\":0.25,\"y\":0.5}]"},
      {"photos", "[\"jeux\"]"},
      {"mot", "\"مرحبا بكم، هذا نص تجريبي; avec du français aussi\""},
  };
  enum { NV = sizeof values / sizeof values[0], BATCH = 100 };
  pv_store_response rs[BATCH];
  pv_store_answer as[BATCH][NV];
  pv_cdb_ingest_item items[BATCH];
  for (long done = 0; done < n;) {
    size_t k = 0;
    for (; k < BATCH && done < n; k++, done++) {
      pv_store_response *r = &rs[k];
      memset(r, 0, sizeof *r);
      pv_uuid_v4(r->uuid);
      snprintf(r->survey_id, sizeof r->survey_id, "essai");
      r->survey_version = 2;
      snprintf(r->device_id, sizeof r->device_id, DEV);
      snprintf(r->language, sizeof r->language, "fr");
      pv_time_iso(1793527200000LL + done * 1000, r->started_at);
      pv_time_iso(1793527200000LL + done * 1000 + 95000, r->ended_at);
      r->status = PV_STORE_COMPLETE;
      for (size_t i = 0; i < NV; i++) {
        memset(&as[k][i], 0, sizeof as[k][i]);
        snprintf(as[k][i].question_id, sizeof as[k][i].question_id, "%s", values[i][0]);
        as[k][i].value = (char *)values[i][1];
        snprintf(as[k][i].answered_at, sizeof as[k][i].answered_at, "%s",
                 r->started_at);
      }
      r->answers = as[k];
      r->answer_count = NV;
      memset(&items[k], 0, sizeof items[k]);
      items[k].r = r;
      items[k].canonical = pv_proto_response_encode(r);
      pv_sha256_hex(items[k].canonical, strlen(items[k].canonical), items[k].hash);
    }
    pv_err err = pv_cdb_ingest(db, T, dev, items, k, NOW);
    for (size_t i = 0; i < k; i++)
      free((char *)items[i].canonical);
    if (err) {
      fprintf(stderr, "ingest: %s\n", pv_err_detail());
      return 1;
    }
  }
  pv_cdb_close(db);
  return 0;
}

static int bench_export(const char *path) {
  pv_cdb *db = NULL;
  if (pv_cdb_open_sqlite(path, &db))
    return 1;
  size_t bytes = 0, n = 0;
  struct timespec a, b;
  pv_cdb_count(db, T, "essai", &n);
  clock_gettime(CLOCK_MONOTONIC, &a);
  pv_cdb_filter f = {.survey_id = "essai"};
  pv_err err = pv_export_write(db, T, &f, "csv", null_sink, &bytes);
  clock_gettime(CLOCK_MONOTONIC, &b);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("export: %zu responses, %zu bytes of CSV in %.2f s, peak RSS %.1f MiB (%s)\n",
         n, bytes,
         (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
         (double)ru.ru_maxrss / 1024.0, err ? pv_err_detail() : "ok");
  pv_cdb_close(db);
  return err ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--bench-fill") == 0)
    return bench_fill(argv[2], strtol(argv[3], NULL, 10));
  if (argc == 3 && strcmp(argv[1], "--bench-export") == 0)
    return bench_export(argv[2]);

  pv_cdb *db = NULL;
  char tmp[512] = "";
  if (argc == 2 && strcmp(argv[1], "--pg") == 0) { /* ctest: test_export_pg */
    char conninfo[1024];
    if (pv_test_pg_conninfo(conninfo, sizeof conninfo, "pv_test_export") == 0)
      CHECK_INT(pv_cdb_open_pg(conninfo, &db), PV_OK);
  } else {
    snprintf(tmp, sizeof tmp, "%s", pv_test_tmpdir());
    char path[600];
    snprintf(path, sizeof path, "%s/collector.db", tmp);
    CHECK_INT(pv_cdb_open_sqlite(path, &db), PV_OK);
  }
  if (db) {
    printf("test_export: on %s\n", pv_cdb_backend(db));
    suite(db);
    pv_cdb_close(db);
  }
  if (tmp[0])
    pv_test_rmtree(tmp);
  return pv_test_done();
}
