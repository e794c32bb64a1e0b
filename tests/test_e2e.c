/* test_e2e: the whole chain with the real programs, as an administrator,
 * a kiosk and a chef de projet would run them.
 *
 * pv-collector (territory, device, analyst, survey publish, serve on an
 * ephemeral loopback port) <- pv-kiosk --headless answering the sample
 * survey in French and in Arabic <- pv-kiosk sync --once -> pv-collector
 * export -> the CSV holds exactly the device's responses, cell by cell,
 * with the codebook's French labels; the analyst's HTTP export gives the
 * same bytes; a second sync pass sends nothing. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/survey.h"

#define OUT_CAP (1 << 20)

/* ---- a small RFC 4180 reader for ';'-separated CSV ---- */

#define MAX_COLS 256
#define MAX_ROWS 64

typedef struct csv {
  char *cells[MAX_ROWS][MAX_COLS];
  int cols[MAX_ROWS];
  int rows;
} csv;

static int csv_parse(const char *s, csv *c) {
  memset(c, 0, sizeof *c);
  char cell[8192];
  size_t n = 0;
  int quoted = 0, row = 0, col = 0;
  for (;; s++) {
    if (quoted) {
      if (*s == '\0')
        return -1;
      if (*s == '"' && s[1] == '"')
        cell[n++] = *s++;
      else if (*s == '"')
        quoted = 0;
      else
        cell[n++] = *s;
      continue;
    }
    if (*s == '"') {
      quoted = 1;
      continue;
    }
    if (*s == ';' || *s == '\r' || *s == '\n' || *s == '\0') {
      if (*s == '\r' && s[1] != '\n')
        return -1;
      if (*s == '\r')
        s++;
      if (*s == '\0' && col == 0 && n == 0)
        break;
      if (row >= MAX_ROWS || col >= MAX_COLS)
        return -1;
      cell[n] = '\0';
      c->cells[row][col++] = strdup(cell);
      n = 0;
      if (*s != ';') {
        c->cols[row++] = col;
        col = 0;
      }
      if (*s == '\0')
        break;
      continue;
    }
    if (n + 1 >= sizeof cell)
      return -1;
    cell[n++] = *s;
  }
  c->rows = row;
  return 0;
}

static void csv_free(csv *c) {
  for (int r = 0; r < c->rows; r++)
    for (int k = 0; k < c->cols[r]; k++)
      free(c->cells[r][k]);
}

static int csv_col(const csv *c, const char *name) {
  for (int k = 0; c->rows && k < c->cols[0]; k++)
    if (strcmp(c->cells[0][k], name) == 0)
      return k;
  return -1;
}

static int csv_row(const csv *c, const char *uuid) {
  int k = csv_col(c, "response_uuid");
  for (int r = 1; k >= 0 && r < c->rows; r++)
    if (strcmp(c->cells[r][k], uuid) == 0)
      return r;
  return -1;
}

static const char *cell(const csv *c, int row, const char *col) {
  int k = csv_col(c, col);
  if (row < 0 || k < 0 || k >= c->cols[row]) {
    pv_test_fail(__FILE__, __LINE__, "no cell (%d, %s)", row, col);
    return "";
  }
  return c->cells[row][k];
}

/* ---- HTTP as the analyst ---- */

typedef struct buf {
  char *p;
  size_t n;
} buf;

static size_t grow(char *p, size_t s, size_t n, void *ud) {
  buf *b = ud;
  size_t len = s * n;
  if (b->n + len + 1 > OUT_CAP)
    return 0;
  memcpy(b->p + b->n, p, len);
  b->n += len;
  b->p[b->n] = '\0';
  return len;
}

static long http_get(const char *url, const char *token, buf *b) {
  CURL *h = curl_easy_init();
  char auth[160];
  long status = 0;
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *hdr = curl_slist_append(NULL, auth);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grow);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
  if (curl_easy_perform(h) == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  return status;
}

/* ---- the chain ---- */

static const char *dir;
static char cdb[512], kdb[512], config[512], out[OUT_CAP];

static void collector(const char *const *args, int want, char *stdout_buf) {
  pv_test_tool(PV_COLLECTOR_BIN, args, cdb, want, stdout_buf ? stdout_buf : out,
               OUT_CAP, 0, __FILE__, __LINE__);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  dir = pv_test_tmpdir();
  snprintf(cdb, sizeof cdb, "%s/collector.db", dir);
  snprintf(kdb, sizeof kdb, "%s/kiosk.db", dir);
  snprintf(config, sizeof config, "%s/kiosk.json", dir);

  /* The administrator. */
  char device_token[128], analyst_token[128];
  collector((const char *[]){"territory", "add", "34172", "Montpellier", NULL}, 0,
            NULL);
  collector((const char *[]){"device", "add", "--territory", "34172", "hall", NULL}, 0,
            NULL);
  snprintf(device_token, sizeof device_token, "%.127s", out);
  pv_test_chomp(device_token);
  collector((const char *[]){"analyst", "add", "--territory", "34172", "cdp", NULL}, 0,
            NULL);
  snprintf(analyst_token, sizeof analyst_token, "%.127s", out);
  pv_test_chomp(analyst_token);
  CHECK(strncmp(device_token, "pvd_", 4) == 0);
  CHECK(strncmp(analyst_token, "pva_", 4) == 0);
  static const char *const surveys[] = {"qualite-habiter", "tranquillite",
                                        "lien-social"};
  for (size_t i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/content/surveys/%s", PV_SOURCE_DIR, surveys[i]);
    collector((const char *[]){"survey", "publish", path, NULL}, 0, NULL);
  }

  char url[200];
  pid_t server = pv_test_serve(PV_COLLECTOR_BIN, cdb, url, sizeof url);
  CHECK(strncmp(url, "http://127.0.0.1:", 17) == 0);

  /* The kiosk: its config, then two residents, in French and in Arabic. */
  char text[2048];
  snprintf(text, sizeof text,
           "{\"language\": \"fr\", \"sync\": {\"url\": \"%s\", \"token\": \"%s\", "
           "\"surveys_dir\": \"%s/synced\"}}",
           url, device_token, dir);
  pv_test_write(config, text, strlen(text));
  char tour_src_path[512], *tour_src;
  size_t tour_len;
  snprintf(tour_src_path, sizeof tour_src_path, "%s/tests/scripts/tour.txt",
           PV_SOURCE_DIR);
  tour_src = pv_test_read(tour_src_path, &tour_len);
  CHECK(tour_src != NULL);
  static const char *const langs[] = {"fr", "ar"};
  for (size_t i = 0; tour_src && i < 2; i++) {
    char *script = malloc(tour_len + 64), *w = script, path[512];
    for (const char *p = tour_src; *p;)
      if (strncmp(p, "LANG", 4) == 0) {
        memcpy(w, langs[i], 2);
        w += 2, p += 4;
      } else
        *w++ = *p++;
    *w = '\0';
    snprintf(path, sizeof path, "%s/tour-%s.txt", dir, langs[i]);
    pv_test_write(path, script, strlen(script));
    free(script);
    char surveys_dir[512];
    snprintf(surveys_dir, sizeof surveys_dir, "%s/content/surveys", PV_SOURCE_DIR);
    const char *argv[] = {PV_KIOSK_BIN, "--headless", "--config", config,   "--surveys",
                          surveys_dir,  "--db",       kdb,        "--size", "800x480",
                          "--script",   path,         NULL};
    CHECK_INT(pv_test_run(out, OUT_CAP, argv, 0), 0);
  }
  free(tour_src);

  /* One sync pass, then a second that has nothing to send. */
  const char *sync_argv[] = {PV_KIOSK_BIN, "sync", "--once", "--config",
                             config,       "--db", kdb,      NULL};
  CHECK_INT(pv_test_run(out, OUT_CAP, sync_argv, 0), 0);
  CHECK_INT(pv_test_run(out, OUT_CAP, sync_argv, 0), 0);

  /* The device's own view: every response and answer, from its file. */
  sqlite3 *db = NULL;
  CHECK_INT(sqlite3_open_v2(kdb, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  CHECK_INT(
      sqlite3_prepare_v2(db,
                         "SELECT r.uuid, r.language, r.status, r.synced_at IS NOT NULL,"
                         " a.question_id, a.value FROM responses r JOIN answers a"
                         " ON a.response_uuid = r.uuid WHERE r.survey_id ="
                         " 'qualite-habiter' ORDER BY r.uuid, a.question_id",
                         -1, &st, NULL),
      SQLITE_OK);

  /* The chef de projet's export. */
  char export_dir[512], csv_path[600], codebook_path[600];
  snprintf(export_dir, sizeof export_dir, "%s/export", dir);
  collector((const char *[]){"export", "--survey", "qualite-habiter", "--format", "csv",
                             "--out", export_dir, NULL},
            0, NULL);
  snprintf(csv_path, sizeof csv_path, "%s/qualite-habiter.csv", export_dir);
  snprintf(codebook_path, sizeof codebook_path, "%s/codebook.csv", export_dir);
  size_t csv_len = 0, cb_len = 0;
  char *csv_text = pv_test_read(csv_path, &csv_len);
  char *cb_text = pv_test_read(codebook_path, &cb_len);
  CHECK(csv_text && cb_text);
  csv c = {0}, cb = {0};
  if (csv_text && cb_text) {
    CHECK(csv_len > 3 && memcmp(csv_text, "\xEF\xBB\xBF", 3) == 0);
    CHECK_INT(csv_parse(csv_text + 3, &c), 0);
    CHECK_INT(
        csv_parse(cb_text + (memcmp(cb_text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0), &cb), 0);
  }

  /* Every response the device holds for the survey is a row, and each
   * answer its cell; the device marked each synced. */
  int responses = 0, answers = 0;
  char last[64] = "";
  while (c.rows && sqlite3_step(st) == SQLITE_ROW) {
    const char *uuid = (const char *)sqlite3_column_text(st, 0);
    const char *lang = (const char *)sqlite3_column_text(st, 1);
    const char *status = (const char *)sqlite3_column_text(st, 2);
    const char *qid = (const char *)sqlite3_column_text(st, 4);
    const char *value = (const char *)sqlite3_column_text(st, 5);
    int row = csv_row(&c, uuid);
    CHECK(row > 0);
    CHECK_INT(sqlite3_column_int(st, 3), 1);
    if (strcmp(last, uuid) != 0) {
      responses++;
      snprintf(last, sizeof last, "%s", uuid);
      CHECK_STR(cell(&c, row, "language"), lang);
      CHECK_STR(cell(&c, row, "status"), status);
    }
    answers++;
    char col[128];
    if (value[0] == '"') { /* single choice, yes/no */
      char v[64];
      snprintf(v, sizeof v, "%.*s", (int)strlen(value) - 2, value + 1);
      CHECK_STR(cell(&c, row, qid), v);
    } else if (strncmp(value, "[{", 2) == 0) { /* map: the pins, and their count */
      int pins = 0;
      for (const char *p = strstr(value, "\"kind\""); p; p = strstr(p + 1, "\"kind\""))
        pins++;
      char want[16];
      snprintf(want, sizeof want, "%d", pins);
      snprintf(col, sizeof col, "%s.count", qid);
      CHECK_STR(cell(&c, row, col), want);
      CHECK_STR(cell(&c, row, qid), value);
    } else if (value[0] == '[') { /* multiple, photos (0/1) or ranking (rank) */
      int rank = 1, is_ranking = strcmp(qid, "priorites") == 0;
      for (const char *p = strchr(value, '"'); p; rank++) {
        const char *e = strchr(p + 1, '"');
        snprintf(col, sizeof col, "%s.%.*s", qid, (int)(e - p - 1), p + 1);
        char want[16];
        snprintf(want, sizeof want, "%d", is_ranking ? rank : 1);
        CHECK_STR(cell(&c, row, col), want);
        p = strchr(e + 1, '"');
      }
    } else {
      CHECK_STR(cell(&c, row, qid), value); /* smileys, scale */
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  CHECK_INT(responses, 2);
  CHECK_INT(c.rows - 1, responses); /* exactly those, nothing else */
  CHECK(answers >= 18);

  /* Languages came through: one row in French, one in Arabic. */
  int ar = 0;
  for (int r = 1; r < c.rows; r++)
    ar += strcmp(cell(&c, r, "language"), "ar") == 0;
  CHECK_INT(ar, 1);

  /* The codebook labels every question with the survey's own French text
   * and its type, and every data column has a codebook row. */
  pv_survey *sv = NULL;
  pv_diags diags = {0};
  CHECK_INT(pv_survey_load(PV_SOURCE_DIR "/content/surveys/qualite-habiter", NULL, &sv,
                           &diags),
            PV_OK);
  pv_diags_free(&diags);
  int kcol = csv_col(&cb, "column"), klabel = csv_col(&cb, "label_fr"),
      ktype = csv_col(&cb, "type"), kq = csv_col(&cb, "question_id");
  CHECK(kcol >= 0 && klabel >= 0 && ktype >= 0 && kq >= 0);
  /* A question's own column has its label; an option's column
   * "q.option" has "label — option label"; other columns of the question
   * ("carte.count") start with its label. */
  size_t labelled = 0;
  for (size_t q = 0;
       sv && kcol >= 0 && klabel >= 0 && ktype >= 0 && kq >= 0 && q < sv->n_questions;
       q++) {
    const pv_question *qu = &sv->questions[q];
    const char *ql = qu->label.s[0]; /* "fr" is the survey's first language */
    int rows = 0;
    for (int r = 1; r < cb.rows; r++) {
      if (strcmp(cb.cells[r][kq], qu->id) != 0)
        continue;
      rows++;
      const char *col = cb.cells[r][kcol], *label = cb.cells[r][klabel];
      CHECK_STR(cb.cells[r][ktype], pv_qtype_name(qu->type));
      CHECK(strncmp(label, ql, strlen(ql)) == 0);
      if (strcmp(col, qu->id) == 0)
        CHECK_STR(label, ql);
      for (size_t o = 0; o < qu->n_options; o++) {
        char want[1024], name[200];
        snprintf(name, sizeof name, "%s.%s", qu->id, qu->options[o].id);
        snprintf(want, sizeof want, "%s — %s", ql, qu->options[o].label.s[0]);
        if (strcmp(col, name) == 0)
          CHECK_STR(label, want);
      }
    }
    labelled += rows > 0;
  }
  CHECK(sv && labelled == sv->n_questions);
  pv_survey_free(sv);
  for (int k = 0; c.rows && k < c.cols[0]; k++) {
    int row = -1;
    for (int r = 1; kcol >= 0 && r < cb.rows && row < 0; r++)
      if (strcmp(cb.cells[r][kcol], c.cells[0][k]) == 0)
        row = r;
    if (row < 0)
      pv_test_fail(__FILE__, __LINE__, "column %s has no codebook row", c.cells[0][k]);
  }

  /* Qualitative answers end to end: every attachment the device holds (the
   * tour's drawing PNG and voice WAV) comes out of sync and export
   * byte-identical, and the Arabic and French text answer is one CSV cell,
   * exactly as typed. */
  static const char *const qual[] = {"lien-social", "tranquillite"};
  for (size_t i = 0; i < 2; i++) {
    char qdir[600];
    snprintf(qdir, sizeof qdir, "%s/export-%s", dir, qual[i]);
    collector((const char *[]){"export", "--survey", qual[i], "--format", "csv",
                               "--out", qdir, NULL},
              0, NULL);
  }
  sqlite3 *kd = NULL;
  sqlite3_stmt *at = NULL;
  int attachments = 0;
  CHECK_INT(sqlite3_open_v2(kdb, &kd, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  CHECK_INT(
      sqlite3_prepare_v2(kd,
                         "SELECT a.sha256, a.bytes, r.survey_id FROM attachments a"
                         " JOIN answer_attachments l ON l.sha256 = a.sha256"
                         " JOIN responses r ON r.uuid = l.response_uuid",
                         -1, &at, NULL),
      SQLITE_OK);
  while (at && sqlite3_step(at) == SQLITE_ROW) {
    const char *sha = (const char *)sqlite3_column_text(at, 0);
    const void *bytes = sqlite3_column_blob(at, 1);
    size_t n = (size_t)sqlite3_column_bytes(at, 1);
    const char *sid = (const char *)sqlite3_column_text(at, 2);
    static const char *const exts[] = {".png", ".wav", ".bin"};
    char *got = NULL;
    size_t got_len = 0;
    for (size_t e = 0; e < 3 && !got; e++) {
      char path[800];
      snprintf(path, sizeof path, "%s/export-%s/attachments/%s%s", dir, sid, sha,
               exts[e]);
      got = pv_test_read(path, &got_len);
    }
    CHECK(got != NULL);
    CHECK(got && got_len == n && memcmp(got, bytes, n) == 0);
    free(got);
    attachments++;
  }
  sqlite3_finalize(at);
  CHECK(attachments >= 2); /* at least the drawing and the voice note */
  char ls_csv_path[700];
  snprintf(ls_csv_path, sizeof ls_csv_path, "%s/export-lien-social/lien-social.csv",
           dir);
  size_t ls_len = 0;
  char *ls_text = pv_test_read(ls_csv_path, &ls_len);
  csv ls = {0};
  CHECK(ls_text && csv_parse(ls_text + 3, &ls) == 0);
  sqlite3_stmt *tx = NULL;
  int texts = 0;
  CHECK_INT(sqlite3_prepare_v2(
                kd,
                "SELECT r.uuid, json_extract(a.value, '$') FROM answers a"
                " JOIN responses r ON r.uuid = a.response_uuid"
                " WHERE r.survey_id = 'lien-social' AND a.question_id = 'idee'",
                -1, &tx, NULL),
            SQLITE_OK);
  while (tx && ls.rows && sqlite3_step(tx) == SQLITE_ROW) {
    int row = csv_row(&ls, (const char *)sqlite3_column_text(tx, 0));
    CHECK(row > 0);
    CHECK_STR(cell(&ls, row, "idee"), (const char *)sqlite3_column_text(tx, 1));
    CHECK_CONTAINS(cell(&ls, row, "idee"), "الدرج مظلم");
    texts++;
  }
  CHECK(texts >= 1);
  sqlite3_finalize(tx);
  /* The voice note's length comes out in whole seconds. */
  char tq_path[700];
  snprintf(tq_path, sizeof tq_path, "%s/export-tranquillite/tranquillite.csv", dir);
  size_t tq_len = 0;
  char *tq_text = pv_test_read(tq_path, &tq_len);
  csv tq = {0};
  CHECK(tq_text && csv_parse(tq_text + 3, &tq) == 0);
  sqlite3_stmt *vs = NULL;
  int voices = 0;
  CHECK_INT(
      sqlite3_prepare_v2(kd,
                         "SELECT r.uuid, json_extract(a.value, '$.size') FROM answers a"
                         " JOIN responses r ON r.uuid = a.response_uuid"
                         " WHERE r.survey_id = 'tranquillite' AND a.question_id ="
                         " 'idees' AND json_extract(a.value, '$.size') IS NOT NULL",
                         -1, &vs, NULL),
      SQLITE_OK);
  while (vs && tq.rows && sqlite3_step(vs) == SQLITE_ROW) {
    int row = csv_row(&tq, (const char *)sqlite3_column_text(vs, 0));
    long long size = sqlite3_column_int64(vs, 1);
    char want[32];
    snprintf(want, sizeof want, "%lld", ((size - 44) + 16000) / 32000);
    CHECK_STR(cell(&tq, row, "idees.seconds"), want);
    voices++;
  }
  CHECK(voices >= 1);
  sqlite3_finalize(vs);
  csv_free(&tq);
  free(tq_text);
  sqlite3_close(kd);
  csv_free(&ls);
  free(ls_text);

  /* The analyst's HTTP export is the same file, byte for byte; a device
   * token may not pull it. */
  char get[400];
  snprintf(get, sizeof get, "%s/v1/export?survey=qualite-habiter&format=csv", url);
  buf b = {malloc(OUT_CAP), 0};
  CHECK_INT(http_get(get, analyst_token, &b), 200);
  CHECK(csv_text && b.n == csv_len && memcmp(b.p, csv_text, csv_len) == 0);
  if (csv_text && (b.n != csv_len || memcmp(b.p, csv_text, csv_len) != 0))
    fprintf(stderr, "HTTP export (%zu bytes):\n%s\nCLI export (%zu bytes):\n%s\n", b.n,
            b.p, csv_len, csv_text);
  b.n = 0;
  CHECK_INT(http_get(get, device_token, &b), 403);
  free(b.p);

  csv_free(&c);
  csv_free(&cb);
  free(csv_text);
  free(cb_text);
  kill(server, SIGTERM);
  int status = 0;
  CHECK(waitpid(server, &status, 0) == server && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0);
  pv_test_rmtree(dir);
  curl_global_cleanup();
  return pv_test_done();
}
