/* engine: see engine.h. A pass is a few plain functions over one
 * `engine` context (the config, the HTTP client, the store, the report);
 * each request that fails ends the pass through fail_*(), which fills the
 * report's English detail and French message from static tables. The
 * thread wraps passes in a loop with backoff on a condition variable. */
#include "sync/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/quartiers.h"
#include "core/sha256.h"
#include "core/wav.h"
#include "sync/http.h"
#include "sync/protocol.h"
#include "sync/surveys.h"

typedef struct engine {
  const pv_sync_config *c;
  pv_http *http;
  pv_store *st;
  pv_sync_report *rep;
  const atomic_int *stop; /* may be NULL */
} engine;

/* ---- what animateurs read ---------------------------------------------- */

#define FR_KEPT "les réponses sont gardées sur la tablette."

static const struct {
  pv_http_fail fail;
  const char *fr;
} fail_fr[] = {
    {PV_HTTP_NET, "Pas de réseau : " FR_KEPT},
    {PV_HTTP_TIMEOUT, "Le serveur ne répond pas à temps : " FR_KEPT},
    {PV_HTTP_TLS,
     "Connexion refusée : le certificat du serveur n'est pas reconnu ; " FR_KEPT},
    {PV_HTTP_TOOBIG, "Réponse inattendue du serveur : " FR_KEPT},
    {PV_HTTP_STOPPED, "Envoi interrompu : " FR_KEPT},
    {PV_HTTP_OTHER, "Envoi impossible : " FR_KEPT},
};

/* First match wins: exact statuses before ranges. */
static const struct {
  long lo, hi;
  pv_err err;
  const char *fr;
} status_fr[] = {
    {401, 401, PV_ERR_STATE,
     "Le serveur ne reconnaît pas cette tablette (jeton refusé)."},
    {403, 403, PV_ERR_STATE,
     "Cette tablette n'est plus autorisée par le serveur (jeton révoqué)."},
    {404, 404, PV_ERR_INVALID, "Adresse du serveur incorrecte : " FR_KEPT},
    {413, 413, PV_ERR_TOOBIG, "Envoi trop gros pour le serveur : " FR_KEPT},
    {429, 429, PV_ERR_BUSY, "Le serveur est très sollicité : " FR_KEPT},
    {500, 599, PV_ERR_BUSY, "Le serveur a un problème : " FR_KEPT},
    {400, 499, PV_ERR_INVALID, "Le serveur a refusé l'envoi : " FR_KEPT},
    {100, 399, PV_ERR_INVALID, "Réponse inattendue du serveur : " FR_KEPT},
};

static const char fr_store[] =
    "Problème de stockage sur la tablette : nouvel essai plus tard.";
static const char fr_full[] =
    "La tablette n'a plus de place pour recevoir les questionnaires.";
static const char fr_survey_bad[] =
    "Un nouveau questionnaire n'a pas pu être installé : "
    "la version actuelle reste en service.";
static const char fr_reply[] = "Réponse inattendue du serveur : " FR_KEPT;
static const char fr_sessions[] =
    "Des sessions n'ont pas pu être envoyées : elles restent sur la tablette.";
static const char fr_prompts[] =
    "Des enregistrements de questions n'ont pas pu être échangés avec le serveur : "
    "nouvel essai au prochain envoi.";
static const char fr_refused[] =
    "Des réponses sont refusées par le serveur : elles restent "
    "sur la tablette.";

/* Ends the pass on a request without an HTTP answer. */
static pv_err fail_transport(engine *e, pv_err err, const pv_http_resp *r) {
  pv_sync_report *rep = e->rep;
  rep->err = err;
  rep->http_status = 0;
  snprintf(rep->error, sizeof rep->error, "%s", pv_err_detail());
  for (size_t i = 0; i < sizeof fail_fr / sizeof *fail_fr; i++)
    if (fail_fr[i].fail == r->fail) {
      snprintf(rep->message, sizeof rep->message, "%s", fail_fr[i].fr);
      break;
    }
  return err;
}

/* Ends the pass on an HTTP status the step did not expect; the server's
 * JSON error (code and reason) goes into the English detail. */
static pv_err fail_status(engine *e, const char *what, const pv_http_resp *r) {
  char code[PV_PROTO_MAX_CODE + 1], reason[PV_PROTO_MAX_REASON + 1];
  pv_sync_report *rep = e->rep;
  pv_proto_error_decode(r->body, r->len, code, reason);
  rep->http_status = r->status;
  rep->retry_after_s = r->retry_after_s;
  rep->err = PV_ERR_INVALID;
  snprintf(rep->message, sizeof rep->message,
           "Réponse inattendue du serveur : " FR_KEPT);
  for (size_t i = 0; i < sizeof status_fr / sizeof *status_fr; i++)
    if (r->status >= status_fr[i].lo && r->status <= status_fr[i].hi) {
      rep->err = status_fr[i].err;
      snprintf(rep->message, sizeof rep->message, "%s", status_fr[i].fr);
      break;
    }
  snprintf(rep->error, sizeof rep->error, "%s: HTTP %ld %s%s%s", what, r->status,
           code[0] ? code : "(no error code)", reason[0] ? ": " : "", reason);
  return pv_fail(rep->err, "sync: %s", rep->error);
}

/* Ends the pass on a local failure (store, disk). */
static pv_err fail_local(engine *e, pv_err err) {
  pv_sync_report *rep = e->rep;
  rep->err = err;
  rep->http_status = 0;
  snprintf(rep->error, sizeof rep->error, "%s", pv_err_detail());
  snprintf(rep->message, sizeof rep->message, "%s",
           err == PV_ERR_FULL ? fr_full : fr_store);
  return err;
}

/* Performs one request to path on the collector. PV_OK when a status was
 * read (the caller judges it); otherwise the pass has failed. */
static pv_err call(engine *e, const char *method, const char *path, const void *body,
                   size_t len, const char *ctype, const char *inm, size_t cap,
                   pv_http_resp *r) {
  char url[PV_HTTP_MAX_URL];
  pv_err err = pv_http_url(url, sizeof url, e->c->url, path);
  memset(r, 0, sizeof *r);
  r->retry_after_s = -1;
  if (err)
    return fail_local(e, err);
  pv_http_req req = {.method = method,
                     .url = url,
                     .token = e->c->token,
                     .content_type = ctype,
                     .body = body,
                     .body_len = len,
                     .if_none_match = inm,
                     .max_response = cap};
  err = pv_http_request(e->http, &req, r);
  if (err)
    return fail_transport(e, err, r);
  return PV_OK;
}

static int stopped(const engine *e) {
  return e->stop && atomic_load(e->stop);
}

/* ---- surveys ------------------------------------------------------------ */

/* A survey version that cannot be installed (bad file, bad survey, disk
 * full): logged and counted; the installed version stays in service and
 * the pass goes on to the responses. */
static void survey_problem(engine *e, const pv_proto_survey *s, pv_err err) {
  PV_WARN("sync: survey %s version %d not installed: %s", s->id, s->version,
          pv_err_detail());
  e->rep->surveys_failed++;
  if (err == PV_ERR_FULL)
    e->rep->disk_full = 1;
}

/* Downloads every file of s into a staging folder and installs it. A
 * failed request ends the pass (returned); any other problem goes to
 * survey_problem, sets *bad, and the pass goes on. */
static pv_err install_survey(engine *e, const pv_proto_survey *s, int *bad) {
  char staging[PV_SYNC_MAX_PATH], path[16 + PV_SHA256_HEX];
  pv_http_resp r = {0};
  pv_err err = PV_OK, local = pv_sync_stage_begin(e->c->surveys_dir, s, staging);
  for (size_t i = 0; i < s->n_files && !err && !local; i++) {
    const pv_proto_file *f = &s->files[i];
    if (!pv_proto_sha256_valid(f->sha256) || f->size > PV_SYNC_MAX_SURVEY_FILE) {
      local = pv_fail(PV_ERR_INVALID, "file %.80s: bad hash or too big", f->path);
      break;
    }
    snprintf(path, sizeof path, PV_PROTO_PREFIX "/files/%s", f->sha256);
    char url[PV_HTTP_MAX_URL];
    if ((err = pv_http_url(url, sizeof url, e->c->url, path))) {
      err = fail_local(e, err);
      break;
    }
    pv_http_req req = {
        .method = "GET", .url = url, .token = e->c->token, .max_response = f->size};
    memset(&r, 0, sizeof r);
    r.retry_after_s = -1;
    if ((err = pv_http_request(e->http, &req, &r))) {
      /* Longer than the catalogue says: this survey's fault, not the
       * network's; it is skipped and the pass goes on. */
      if (r.fail == PV_HTTP_TOOBIG) {
        local = pv_fail(PV_ERR_INVALID, "file %.80s: longer than the %zu bytes listed",
                        f->path, f->size);
        err = PV_OK;
      } else {
        err = fail_transport(e, err, &r);
      }
      pv_http_resp_free(&r);
      break;
    }
    if (r.status == 404)
      local = pv_fail(PV_ERR_NOTFOUND, "file %.80s: 404 from the collector", f->path);
    else if (r.status != 200)
      err = fail_status(e, "GET /v1/files", &r);
    else
      local = pv_sync_stage_file(staging, f, r.body ? r.body : "", r.len);
    pv_http_resp_free(&r);
  }
  if (!err && !local)
    local = pv_sync_stage_commit(e->c->surveys_dir, staging, s, e->c->assets_dir);
  if (!err && !local) {
    PV_INFO("sync: installed survey %s version %d", s->id, s->version);
    e->rep->surveys_installed++;
    return PV_OK;
  }
  if (!err) {
    survey_problem(e, s, local);
    *bad = 1;
  }
  pv_sync_stage_abort(staging);
  return err;
}

/* Puts id@version into cur (replacing that id's entry, or appending). */
static void current_set(pv_sync_current *cur, const char *id, int version) {
  size_t i = 0;
  while (i < cur->count && strcmp(cur->entries[i].id, id) != 0)
    i++;
  if (i == cur->count) {
    if (cur->count == PV_PROTO_MAX_SURVEYS)
      return;
    cur->count++;
  }
  snprintf(cur->entries[i].id, sizeof cur->entries[i].id, "%s", id);
  cur->entries[i].version = version;
}

static int current_equal(const pv_sync_current *a, const pv_sync_current *b) {
  if (a->count != b->count)
    return 0;
  for (size_t i = 0; i < a->count; i++)
    if (strcmp(a->entries[i].id, b->entries[i].id) != 0 ||
        a->entries[i].version != b->entries[i].version)
      return 0;
  return 1;
}

/* GET /v1/surveys (If-None-Match the last catalogue fully installed);
 * installs what is new and rewrites current.json when it changes. */
static pv_err refresh_surveys(engine *e) {
  pv_sync_current old, next;
  pv_proto_catalog cat = {0};
  pv_http_resp r = {0};
  char *etag = NULL, reason[PV_PROTO_MAX_REASON + 1];
  const char *dir = e->c->surveys_dir;
  int bad = 0;
  pv_err err = pv_sync_current_read(dir, &old);
  if (err && err != PV_ERR_NOTFOUND)
    PV_WARN("sync: %s; rebuilding it", pv_err_detail());
  int have_current = err == PV_OK;
  /* Without our current.json the ETag means nothing: ask for everything. */
  if (have_current && (err = pv_store_sync_get(e->st, "surveys_etag", &etag)) &&
      err != PV_ERR_NOTFOUND) {
    err = fail_local(e, err);
    goto out;
  }
  if ((err = call(e, "GET", PV_PROTO_PREFIX "/surveys", NULL, 0, NULL, etag,
                  PV_SYNC_MAX_CATALOG, &r)))
    goto out;
  if (r.status == 304) {
    e->rep->surveys_not_modified = 1;
    goto out;
  }
  if (r.status != 200) {
    err = fail_status(e, "GET /v1/surveys", &r);
    goto out;
  }
  if (pv_proto_catalog_decode(r.body, r.len, &cat, reason, sizeof reason) != PV_OK) {
    /* The surveys in service stay; the responses still go this pass. */
    PV_WARN("sync: survey catalogue refused: %s", reason);
    e->rep->surveys_failed++;
    goto out;
  }
  /* The catalogue decides what is offered; an id whose new version does
   * not install keeps its installed one. */
  memset(&next, 0, sizeof next);
  for (size_t i = 0; i < cat.count; i++) {
    const pv_proto_survey *s = &cat.surveys[i];
    int this_bad = 0;
    if (!pv_proto_id_valid(s->id) || s->version < 0) { /* never a path from it */
      PV_WARN("sync: catalogue lists a bad survey id or version; skipped");
      bad = 1;
      continue;
    }
    if (!pv_sync_survey_installed(dir, s->id, s->version) &&
        (err = install_survey(e, s, &this_bad)))
      goto out;
    if (!this_bad) {
      current_set(&next, s->id, s->version);
      continue;
    }
    bad = 1;
    for (size_t k = 0; k < old.count; k++)
      if (strcmp(old.entries[k].id, s->id) == 0 &&
          pv_sync_survey_installed(dir, old.entries[k].id, old.entries[k].version))
        current_set(&next, s->id, old.entries[k].version);
  }
  if (!have_current || !current_equal(&old, &next)) {
    pv_err werr = pv_sync_current_write(dir, &next);
    if (werr) { /* the old list stays; try again next pass */
      PV_WARN("sync: %s", pv_err_detail());
      e->rep->surveys_failed++;
      e->rep->disk_full |= werr == PV_ERR_FULL;
      bad = 1;
    } else {
      e->rep->surveys_changed = 1;
    }
  }
  /* Remember the ETag only when everything it lists is installed, so a
   * version that failed is fetched again next pass. */
  if ((err =
           pv_store_sync_set(e->st, "surveys_etag", bad || !r.etag[0] ? NULL : r.etag)))
    fail_local(e, err);
out:
  pv_proto_catalog_free(&cat);
  pv_http_resp_free(&r);
  free(etag);
  return err;
}

/* ---- responses ---------------------------------------------------------- */

/* Makes sure the collector holds attachment sha: HEAD, then PUT from the
 * store when it lacks it. A failed request ends the pass (returned); a
 * blob this store lacks, or one the server refuses for good (400, 413),
 * is left to the server's verdict on the item (missing_attachment). */
static pv_err upload_one(engine *e, const char *sha) {
  char path[32 + PV_SHA256_HEX];
  pv_http_resp r = {0};
  pv_store_blob blob = {0};
  pv_err err;
  snprintf(path, sizeof path, PV_PROTO_PREFIX "/attachments/%s", sha);
  if ((err = call(e, "HEAD", path, NULL, 0, NULL, NULL, 0, &r)))
    return err;
  long head = r.status;
  if (head != 200 && head != 404)
    err = fail_status(e, "HEAD /v1/attachments", &r);
  pv_http_resp_free(&r);
  if (err || head == 200)
    return err;
  pv_err gerr = pv_store_get_attachment(e->st, sha, &blob);
  if (gerr == PV_ERR_NOTFOUND)
    return PV_OK; /* the server will say missing_attachment */
  if (gerr)
    return fail_local(e, gerr);
  err = call(e, "PUT", path, blob.bytes, blob.size,
             blob.media_type[0] ? blob.media_type : "application/octet-stream", NULL,
             PV_SYNC_MAX_REPLY, &r);
  if (!err && (r.status == 200 || r.status == 201))
    e->rep->attachments++;
  else if (!err && (r.status == 400 || r.status == 413))
    PV_WARN("sync: PUT attachment %s: HTTP %ld", sha, r.status);
  else if (!err)
    err = fail_status(e, "PUT /v1/attachments", &r);
  pv_http_resp_free(&r);
  pv_store_blob_free(&blob);
  return err;
}

/* Uploads every attachment that b names and the server lacks. */
static pv_err upload_attachments(engine *e, const pv_store_batch *b) {
  pv_err err = PV_OK;
  for (size_t i = 0; i < b->count && !err; i++) {
    const pv_store_response *resp = &b->responses[i];
    for (size_t k = 0; k < resp->answer_count && !err; k++) {
      const char *sha = resp->answers[k].attachment;
      if (sha[0] && pv_proto_sha256_valid(sha))
        err = upload_one(e, sha);
    }
  }
  return err;
}

/* Records the server's verdicts: acknowledges stored and duplicate (one
 * transaction), counts a failure with its reason on the others. Only
 * UUIDs of this batch are taken from the reply. */
static pv_err apply_results(engine *e, const pv_store_batch *b,
                            const pv_proto_result *res, size_t n) {
  const char **acks = calloc(b->count ? b->count : 1, sizeof *acks);
  char note[PV_PROTO_MAX_REASON + 64];
  size_t n_acks = 0;
  pv_err err = PV_OK;
  if (!acks)
    return fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: out of memory"));
  /* One result per item, in order (the protocol's promise): a reply that
   * breaks it acknowledges nothing; the batch goes again next pass. */
  int in_order = n == b->count;
  for (size_t i = 0; i < n && in_order; i++)
    in_order = strcmp(res[i].uuid, b->responses[i].uuid) == 0;
  if (!in_order) {
    free(acks);
    fail_local(e, pv_fail(PV_ERR_INVALID,
                          "sync: the reply's results do not match the batch "
                          "(%zu results for %zu responses)",
                          n, b->count));
    e->rep->http_status = 200;
    snprintf(e->rep->message, sizeof e->rep->message, "%s", fr_reply);
    return PV_ERR_INVALID;
  }
  /* Acknowledge first: a failure to note a refusal must not cost the
   * stored ones their acknowledgement. */
  for (size_t i = 0; i < n; i++)
    if (res[i].outcome == PV_OUT_STORED || res[i].outcome == PV_OUT_DUPLICATE)
      acks[n_acks++] = b->responses[i].uuid;
  if (n_acks && (err = pv_store_ack(e->st, acks, n_acks))) {
    fail_local(e, err);
    goto out;
  }
  e->rep->acked += n_acks;
  for (size_t i = 0; i < n; i++) {
    if (res[i].outcome == PV_OUT_STORED || res[i].outcome == PV_OUT_DUPLICATE)
      continue;
    e->rep->failed++;
    snprintf(note, sizeof note, "%s: %s", pv_proto_outcome_name(res[i].outcome),
             res[i].reason);
    if ((err = pv_store_note_failure(e->st, b->responses[i].uuid, note))) {
      fail_local(e, err);
      goto out;
    }
  }
out:
  free(acks);
  return err;
}

/* Counts a failure with reason on every response of b. */
static pv_err note_all(engine *e, const pv_store_batch *b, const char *reason) {
  for (size_t i = 0; i < b->count; i++) {
    pv_err err = pv_store_note_failure(e->st, b->responses[i].uuid, reason);
    if (err)
      return fail_local(e, err);
  }
  e->rep->failed += b->count;
  return PV_OK;
}

/* Posts one batch and applies the reply. *shrink is set when the server
 * found the body too large, so the caller retries with fewer. */
static pv_err post_batch(engine *e, const pv_store_batch *b, int *shrink) {
  pv_proto_result *res = NULL;
  pv_http_resp r = {0};
  size_t n = 0;
  pv_err err = PV_OK;
  char *body = pv_proto_batch_encode(b->responses, b->count);
  *shrink = 0;
  if (!body)
    return fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: cannot encode a batch"));
  /* Never send what the protocol's limit refuses: a server answers 413
   * before reading, and a client caught sending into that refusal sees a
   * send error, not the 413, and would retry the same batch for ever. */
  if (strlen(body) > PV_PROTO_MAX_BODY && b->count > 1) {
    *shrink = 1;
    goto out;
  }
  if (strlen(body) > PV_PROTO_MAX_BODY) {
    err = note_all(e, b, "response over the protocol's body limit");
    goto out;
  }
  if ((err = call(e, "POST", PV_PROTO_PREFIX "/responses", body, strlen(body), NULL,
                  NULL, PV_SYNC_MAX_REPLY, &r)))
    goto out;
  e->rep->sent += b->count;
  int itemised = r.status == 200 || r.status == 201 || r.status == 400 ||
                 r.status == 409 || r.status == 422;
  if (itemised && pv_proto_results_decode(r.body, r.len, &res, &n) == PV_OK) {
    err = apply_results(e, b, res, n);
  } else if (r.status == 413 && b->count > 1) {
    e->rep->sent -= b->count;
    *shrink = 1;
  } else if (r.status == 400 || r.status == 413) {
    /* The whole batch refused: a bug on one side. Keep it, note why, and
     * carry on with the rest of the outbox. */
    char code[PV_PROTO_MAX_CODE + 1], reason[PV_PROTO_MAX_REASON + 1], note[300];
    pv_proto_error_decode(r.body, r.len, code, reason);
    snprintf(note, sizeof note, "batch refused: HTTP %ld %s: %s", r.status, code,
             reason);
    PV_WARN("sync: %s", note);
    err = note_all(e, b, note);
  } else if (itemised) {
    e->rep->http_status = r.status;
    err = fail_local(e, pv_fail(PV_ERR_INVALID,
                                "sync: POST /v1/responses: HTTP %ld "
                                "without a readable results list",
                                r.status));
    snprintf(e->rep->message, sizeof e->rep->message,
             "Réponse inattendue du serveur : " FR_KEPT);
  } else {
    err = fail_status(e, "POST /v1/responses", &r);
  }
out:
  free(res);
  free(body);
  pv_http_resp_free(&r);
  return err;
}

/* ---- sessions ------------------------------------------------------------ */

/* Posts body (n items) to path and reads the itemised reply: PV_OK and
 * *res (malloc'd, caller frees) holding exactly n results, or the pass's
 * failure. For sessions and prompts, whose steps stand apart. */
static pv_err post_for_results(engine *e, const char *path, const char *body, size_t n,
                               pv_proto_result **res) {
  pv_http_resp r = {0};
  size_t nres = 0;
  char what[64];
  snprintf(what, sizeof what, "POST %s", path);
  *res = NULL;
  pv_err err =
      call(e, "POST", path, body, strlen(body), NULL, NULL, PV_SYNC_MAX_REPLY, &r);
  if (err)
    return err;
  int itemised = r.status == 200 || r.status == 201 || r.status == 400 ||
                 r.status == 409 || r.status == 422;
  if (!itemised || pv_proto_results_decode(r.body, r.len, res, &nres) != PV_OK)
    err = fail_status(e, what, &r);
  else if (nres != n)
    err = fail_local(e, pv_fail(PV_ERR_INVALID, "sync: %s: %zu results for %zu items",
                                what, nres, n));
  if (err) {
    free(*res);
    *res = NULL;
  }
  pv_http_resp_free(&r);
  return err;
}

/* Posts n pending sessions and acknowledges those stored or duplicate. */
static pv_err post_sessions(engine *e, const pv_store_session *s, size_t n) {
  pv_proto_result *res = NULL;
  pv_store_session *acks = NULL;
  size_t n_acks = 0;
  pv_err err = PV_OK;
  char *body = pv_proto_sessions_encode(s, n);
  if (!body)
    return fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: cannot encode sessions"));
  if ((err = post_for_results(e, PV_PROTO_PREFIX "/sessions", body, n, &res)))
    goto out;
  e->rep->sessions_sent += n;
  for (size_t i = 0; i < n; i++)
    if (strcmp(res[i].uuid, s[i].uuid) != 0) {
      err = fail_local(
          e, pv_fail(PV_ERR_INVALID, "sync: POST /v1/sessions: results out of order"));
      goto out;
    }
  acks = calloc(n, sizeof *acks);
  if (!acks) {
    err = fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: out of memory"));
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    if (res[i].outcome == PV_OUT_STORED || res[i].outcome == PV_OUT_DUPLICATE) {
      acks[n_acks++] = s[i];
      continue;
    }
    e->rep->sessions_failed++;
    PV_WARN("sync: session %s refused: %s: %s", s[i].uuid,
            pv_proto_outcome_name(res[i].outcome), res[i].reason);
  }
  if (n_acks && (err = pv_store_sessions_ack(e->st, acks, n_acks))) {
    fail_local(e, err);
    goto out;
  }
  e->rep->sessions_acked += n_acks;
out:
  free(acks);
  free(res);
  free(body);
  return err;
}

/* Sends the pending sessions, each at most once a pass, oldest first: a
 * batch walks past the one before, so sessions the collector refuses for
 * good (counted in sessions_failed) do not hold newer ones back. */
static pv_err send_sessions(engine *e) {
  pv_store_session after = {0};
  for (;;) {
    pv_store_session *s = NULL;
    size_t n = 0;
    pv_err err = pv_store_sessions_pending_after(e->st, PV_PROTO_MAX_SESSIONS,
                                                 after.uuid[0] ? &after : NULL, &s, &n);
    if (err)
      return fail_local(e, err);
    if (n > 0) {
      err = post_sessions(e, s, n);
      after = s[n - 1];
    }
    free(s);
    if (err || n < PV_PROTO_MAX_SESSIONS)
      return err;
  }
}

/* ---- recorded prompts ---------------------------------------------------- */

/* Uploads the audio of n pending recordings (deletions have none), posts
 * them and acknowledges every one the collector stored or already held
 * (duplicate): it is now current there; *all_acked tells whether all were. */
static pv_err post_prompts(engine *e, const pv_store_prompt *p, size_t n,
                           int *all_acked) {
  pv_proto_result *res = NULL;
  pv_store_prompt *acks = NULL;
  size_t n_acks = 0;
  char *body = NULL;
  pv_err err = PV_OK;
  *all_acked = 0;
  for (size_t i = 0; i < n && !err; i++)
    if (!p[i].deleted)
      err = upload_one(e, p[i].sha256);
  if (err)
    return err;
  if (!(body = pv_proto_prompts_encode(p, n)))
    return fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: cannot encode prompts"));
  if ((err = post_for_results(e, PV_PROTO_PREFIX "/prompts", body, n, &res)))
    goto out;
  e->rep->prompts_sent += n;
  if (!(acks = calloc(n, sizeof *acks))) {
    err = fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: out of memory"));
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    pv_proto_outcome o = res[i].outcome;
    if (o == PV_OUT_STORED || o == PV_OUT_DUPLICATE) {
      acks[n_acks++] = p[i];
      continue;
    }
    e->rep->prompts_failed++;
    PV_WARN("sync: prompt %s %s %s%s refused: %s: %s", p[i].survey_id, p[i].key,
            p[i].lang, p[i].deleted ? " (deletion)" : "", pv_proto_outcome_name(o),
            res[i].reason);
  }
  if (n_acks && (err = pv_store_prompts_ack(e->st, acks, n_acks))) {
    fail_local(e, err);
    goto out;
  }
  e->rep->prompts_acked += n_acks;
  *all_acked = n_acks == n;
out:
  free(acks);
  free(res);
  free(body);
  return err;
}

/* Sends the recordings and deletions made here, each at most once a pass. */
static pv_err send_prompts(engine *e) {
  for (;;) {
    pv_store_prompt *p = NULL;
    size_t n = 0;
    int all_acked = 0;
    pv_err err = pv_store_prompts_pending(e->st, PV_PROTO_MAX_PROMPTS, &p, &n);
    if (err)
      return fail_local(e, err);
    if (n > 0)
      err = post_prompts(e, p, n, &all_acked);
    free(p);
    if (err || n < PV_PROTO_MAX_PROMPTS || !all_acked)
      return err;
  }
}

/* Clears the report of a request whose failure was the item's, not the
 * pass's (the step goes on). */
static void report_clear(engine *e) {
  pv_sync_report *rep = e->rep;
  rep->err = PV_OK;
  rep->http_status = 0;
  rep->retry_after_s = -1;
  rep->error[0] = rep->message[0] = '\0';
}

/* Returns why len bytes cannot be the audio of recording p, or NULL: its
 * size and SHA-256, and a WAV the kiosk plays (core/wav.h). */
static const char *audio_problem(const pv_store_prompt *p, const void *bytes,
                                 size_t len) {
  char hex[PV_SHA256_HEX + 1] = "";
  const uint8_t *samples = NULL;
  size_t n = 0;
  int rate = 0;
  if (len != p->size || pv_sha256_hex(bytes ? bytes : "", len, hex) != PV_OK ||
      strcmp(hex, p->sha256) != 0)
    return "size or SHA-256 differs from its record";
  if (pv_wav_parse(bytes, len, &rate, &samples, &n) != PV_OK)
    return "not a WAV this kiosk can play";
  return NULL;
}

/* Gives the store one listed entry (bytes NULL for a deletion); the store
 * decides again in its write transaction. Returns the pass's failure; a
 * refused entry sets *problem. */
static pv_err store_entry(engine *e, const pv_store_prompt *p, const void *bytes,
                          size_t len, const char **problem) {
  int kept = 0;
  pv_err err = pv_store_prompt_receive(e->st, p, bytes, len, &kept);
  if (err == PV_ERR_INVALID) {
    *problem = pv_err_detail();
    return PV_OK;
  }
  if (err)
    return fail_local(e, err);
  if (kept && p->deleted)
    e->rep->prompts_removed++;
  else if (kept)
    e->rep->prompts_received++;
  return PV_OK;
}

/* Downloads the audio of recording p (GET /v1/attachments, at most
 * p->size bytes), checks it (audio_problem) and gives it to the store. A
 * failed request ends the step (returned); a recording that cannot be had
 * or kept sets *bad and the step goes on. */
static pv_err receive_prompt(engine *e, const pv_store_prompt *p, int *bad) {
  char path[32 + PV_SHA256_HEX];
  pv_http_resp r = {0};
  const char *problem = NULL;
  snprintf(path, sizeof path, PV_PROTO_PREFIX "/attachments/%s", p->sha256);
  pv_err err = call(e, "GET", path, NULL, 0, NULL, NULL, p->size, &r);
  if (err && r.fail == PV_HTTP_TOOBIG) { /* the record's fault, not the network's */
    report_clear(e);
    err = PV_OK;
    problem = "longer than its record says";
  } else if (err) {
    goto out;
  } else if (r.status == 404) {
    problem = "404 from the collector";
  } else if (r.status != 200) {
    err = fail_status(e, "GET /v1/attachments", &r);
    goto out;
  } else if (!(problem = audio_problem(p, r.body, r.len))) {
    err = store_entry(e, p, r.body, r.len, &problem);
  }
  if (!err && problem) {
    PV_WARN("sync: prompt %s %s %s not received: %s", p->survey_id, p->key, p->lang,
            problem);
    e->rep->prompts_receive_failed++;
    *bad = 1;
  }
out:
  pv_http_resp_free(&r);
  return err;
}

/* Applies one listed entry p by the rule (docs/sync-protocol.md "Recorded
 * prompts"): an entry pending here is kept (it uploads, then is current;
 * *bad so the list is read again); else a deletion removes the recording
 * held here; else a recording this store lacks is downloaded. */
static pv_err apply_entry(engine *e, const pv_store_prompt *p, int *bad) {
  pv_store_prompt mine;
  const char *problem = NULL;
  pv_err err = pv_store_prompt_get(e->st, p->survey_id, p->key, p->lang, &mine);
  int found = err == PV_OK;
  if (err && err != PV_ERR_NOTFOUND)
    return fail_local(e, err);
  err = PV_OK;
  if (found && !mine.synced) {
    *bad = 1;
    return PV_OK;
  }
  if (p->deleted) {
    if (found && !(err = store_entry(e, p, NULL, 0, &problem)) && problem) {
      PV_WARN("sync: prompt deletion %s %s %s not applied: %s", p->survey_id, p->key,
              p->lang, problem);
      e->rep->prompts_receive_failed++;
      *bad = 1;
    }
    return err;
  }
  if (found && strcmp(mine.sha256, p->sha256) == 0)
    return PV_OK;
  return receive_prompt(e, p, bad);
}

/* GET /v1/prompts (If-None-Match the last list fully applied): the
 * collector's current entries, recordings and deletions, each applied by
 * apply_entry. A collector without the route (404) changes nothing; the
 * ETag is kept only when every entry was applied, so a failed one is
 * tried again next pass. */
static pv_err fetch_prompts(engine *e) {
  char *etag = NULL, reason[PV_PROTO_MAX_REASON + 1];
  pv_proto_prompts got = {0};
  pv_http_resp r = {0};
  int bad = 0;
  pv_err err = pv_store_sync_get(e->st, "prompts_etag", &etag);
  if (err && err != PV_ERR_NOTFOUND) {
    err = fail_local(e, err);
    goto out;
  }
  if ((err = call(e, "GET", PV_PROTO_PREFIX "/prompts", NULL, 0, NULL, etag,
                  PV_PROTO_MAX_BODY, &r)))
    goto out;
  if (r.status == 304 || r.status == 404)
    goto out;
  if (r.status != 200) {
    err = fail_status(e, "GET /v1/prompts", &r);
    goto out;
  }
  if (pv_proto_prompts_decode(r.body, r.len, 1, &got, reason, sizeof reason)) {
    PV_WARN("sync: prompts list refused: %s", reason);
    e->rep->prompts_receive_failed++;
    goto out;
  }
  for (size_t i = 0; i < got.count && !err && !stopped(e); i++) {
    if (!got.items[i].ok) {
      PV_WARN("sync: %s", got.items[i].result.reason);
      e->rep->prompts_receive_failed++;
      bad = 1;
      continue;
    }
    err = apply_entry(e, &got.items[i].p, &bad);
  }
  if (!err && !stopped(e) &&
      (err =
           pv_store_sync_set(e->st, "prompts_etag", bad || !r.etag[0] ? NULL : r.etag)))
    fail_local(e, err);
out:
  pv_proto_prompts_free(&got);
  pv_http_resp_free(&r);
  free(etag);
  return err;
}

/* ---- quartiers ----------------------------------------------------------- */

#define QUARTIERS_FILE "quartiers.json"

/* GET /v1/quartiers: saves the territory's list as
 * <surveys_dir>/quartiers.json (atomically) when it changed. A collector
 * without the route (404) or with an empty list leaves the file as it is
 * (the kiosk falls back on content/quartiers.json while there is none); a
 * list that does not parse or cannot be saved is counted, and the old
 * file stays. */
static pv_err refresh_quartiers(engine *e) {
  char path[PV_SYNC_MAX_PATH], reason[PV_PROTO_MAX_REASON + 1];
  pv_quartier *got = NULL, *had = NULL;
  size_t n = 0, n_had = 0;
  char *text = NULL, *old_text = NULL;
  pv_http_resp r = {0};
  pv_err err = PV_OK;
  const char *dir = e->c->surveys_dir;
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, QUARTIERS_FILE) >= sizeof path)
    return fail_local(e, pv_fail(PV_ERR_TOOBIG, "sync: surveys_dir too long"));
  if ((err = call(e, "GET", PV_PROTO_PREFIX "/quartiers", NULL, 0, NULL, NULL,
                  PV_QUARTIERS_MAX_FILE, &r)))
    goto out;
  if (r.status == 404)
    goto out;
  if (r.status != 200) {
    err = fail_status(e, "GET /v1/quartiers", &r);
    goto out;
  }
  if (pv_quartiers_parse(r.body, r.len, &got, &n, reason, sizeof reason) != PV_OK) {
    PV_WARN("sync: quartiers list refused: %s", reason);
    e->rep->quartiers_failed = 1;
    goto out;
  }
  if (n == 0) /* nothing distributed: the kiosk keeps its offline default */
    goto out;
  if (!(text = pv_quartiers_encode(got, n))) {
    err = fail_local(e, pv_fail(PV_ERR_NOMEM, "sync: out of memory"));
    goto out;
  }
  if (pv_quartiers_load(path, &had, &n_had) == PV_OK &&
      (old_text = pv_quartiers_encode(had, n_had)) && strcmp(old_text, text) == 0)
    goto out;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    PV_WARN("sync: mkdir %s: %s", dir, strerror(errno));
  pv_err werr = pv_quartiers_save(path, got, n);
  if (werr) {
    PV_WARN("sync: %s", pv_err_detail());
    e->rep->quartiers_failed = 1;
    e->rep->disk_full |= werr == PV_ERR_FULL;
  } else {
    e->rep->quartiers_changed = 1;
  }
out:
  free(text);
  free(old_text);
  free(got);
  free(had);
  pv_http_resp_free(&r);
  return err;
}

/* Runs a step whose failure must not end the pass (sessions, quartiers):
 * a failure is logged and counted in *failed, and the report is cleared
 * for the responses that follow. */
static void run_apart(engine *e, pv_err (*step)(engine *), const char *what,
                      size_t *failed) {
  pv_sync_report *rep = e->rep;
  if (step(e) == PV_OK)
    return;
  PV_WARN("sync: %s: %s", what, rep->error);
  (*failed)++;
  report_clear(e);
}

/* Sends the outbox batch by batch, each response at most once a pass. */
static pv_err send_outbox(engine *e) {
  char after_at[PV_STORE_TIME_LEN + 1] = "", after_uuid[PV_UUID_LEN + 1] = "";
  size_t batch = e->c->batch;
  if (batch == 0 || batch > PV_PROTO_MAX_BATCH)
    batch = PV_PROTO_MAX_BATCH;
  for (;;) {
    pv_store_batch b = {0};
    int shrink = 0;
    if (stopped(e)) {
      pv_http_resp r = {.fail = PV_HTTP_STOPPED};
      return fail_transport(e, pv_fail(PV_ERR_STATE, "sync: stopped"), &r);
    }
    pv_err err = pv_store_pending_after(e->st, batch, after_at[0] ? after_at : NULL,
                                        after_uuid[0] ? after_uuid : NULL, &b);
    if (err)
      return fail_local(e, err);
    if (b.count == 0) {
      pv_store_batch_free(&b);
      return PV_OK;
    }
    if (!(err = upload_attachments(e, &b)))
      err = post_batch(e, &b, &shrink);
    if (!err && shrink) {
      batch = b.count / 2;
    } else if (!err) {
      const pv_store_response *last = &b.responses[b.count - 1];
      memcpy(after_at, last->started_at, sizeof after_at);
      memcpy(after_uuid, last->uuid, sizeof after_uuid);
    }
    pv_store_batch_free(&b);
    if (err)
      return err;
  }
}

/* One pass with an open client; fills *rep. */
static pv_err run_pass(const pv_sync_config *c, pv_http *http, pv_store *st,
                       const atomic_int *stop, pv_sync_report *rep) {
  engine e = {.c = c, .http = http, .st = st, .rep = rep, .stop = stop};
  pv_store_counts counts;
  memset(rep, 0, sizeof *rep);
  rep->retry_after_s = -1;
  pv_err err = PV_OK;
  if (c->surveys_dir)
    err = refresh_surveys(&e);
  size_t quartiers_failed = 0;
  if (!err && c->surveys_dir && !stopped(&e))
    run_apart(&e, refresh_quartiers, "quartiers not refreshed", &quartiers_failed);
  rep->quartiers_failed |= quartiers_failed != 0;
  if (!err && !stopped(&e))
    run_apart(&e, send_sessions, "sessions not sent", &rep->sessions_failed);
  if (!err && !stopped(&e))
    run_apart(&e, send_prompts, "recorded prompts not sent", &rep->prompts_failed);
  if (!err && !stopped(&e))
    run_apart(&e, fetch_prompts, "recorded prompts not received",
              &rep->prompts_receive_failed);
  if (!err)
    err = send_outbox(&e);
  /* Old survey folders are not removed here: the kiosk may still show
   * one until its next reload (kiosk/link.h, pv_link_collect). */
  if (pv_store_count(st, NULL, &counts) == PV_OK) {
    rep->pending_after = counts.pending;
    rep->pending_known = 1;
  }
  if (!err && rep->failed)
    snprintf(rep->message, sizeof rep->message, "%s", fr_refused);
  else if (!err && rep->sessions_failed)
    snprintf(rep->message, sizeof rep->message, "%s", fr_sessions);
  else if (!err && (rep->prompts_failed || rep->prompts_receive_failed))
    snprintf(rep->message, sizeof rep->message, "%s", fr_prompts);
  else if (!err && rep->surveys_failed)
    snprintf(rep->message, sizeof rep->message, "%s",
             rep->disk_full ? fr_full : fr_survey_bad);
  rep->err = err;
  return err;
}

pv_err pv_sync_once(const pv_sync_config *c, pv_store *st, pv_sync_report *out) {
  pv_http *http = NULL;
  pv_http_opts ho = {.ca_file = c->ca_file,
                     .connect_timeout_ms = c->connect_timeout_ms,
                     .transfer_timeout_ms = c->transfer_timeout_ms};
  PV_ASSERT(c && c->url && st && out);
  memset(out, 0, sizeof *out);
  out->retry_after_s = -1;
  pv_err err = pv_http_open(&ho, &http);
  if (err) {
    out->err = err;
    snprintf(out->error, sizeof out->error, "%s", pv_err_detail());
    snprintf(out->message, sizeof out->message, "%s", fr_store);
    return err;
  }
  err = run_pass(c, http, st, NULL, out);
  pv_http_close(http);
  return err;
}

int64_t pv_sync_backoff_ms(int failures, long retry_after_s, double unit) {
  int64_t d = PV_SYNC_BACKOFF_BASE_MS;
  for (int i = 0; i < failures && d < PV_SYNC_BACKOFF_CAP_MS; i++)
    d *= 2;
  if (d > PV_SYNC_BACKOFF_CAP_MS)
    d = PV_SYNC_BACKOFF_CAP_MS;
  if (unit < 0 || unit >= 1)
    unit = 0;
  d = (int64_t)((double)d * (0.5 + 0.5 * unit));
  if (retry_after_s > 0 && d < retry_after_s * 1000LL)
    d = retry_after_s * 1000LL;
  return d;
}

/* ---- the thread --------------------------------------------------------- */

enum { S_URL, S_TOKEN, S_CA, S_SURVEYS, S_ASSETS, S_DB, S__COUNT };

struct pv_sync {
  pv_sync_config c;
  char *strings[S__COUNT]; /* our copies of c's strings and the db path */
  pv_clock clock;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* on CLOCK_MONOTONIC */
  atomic_int stop;
  int kicked;            /* under mu */
  pv_sync_status status; /* under mu */
  atomic_int generation;
  atomic_int prompts_generation;
};

/* A uniform number in [0, 1) for the jitter. */
static double jitter_unit(void) {
  unsigned int x = 0;
  if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x)
    x = (unsigned int)time(NULL) * 2654435761u;
  return (double)x / 4294967296.0;
}

/* Sleeps up to ms, or until stop, or (when kickable) a kick. */
static void wait_for(pv_sync *s, int64_t ms, int kickable) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += (time_t)(ms / 1000);
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->mu);
  while (!atomic_load(&s->stop) && !(kickable && s->kicked))
    if (pthread_cond_timedwait(&s->cv, &s->mu, &t) == ETIMEDOUT)
      break;
  s->kicked = 0;
  pthread_mutex_unlock(&s->mu);
}

static void *thread_main(void *ud) {
  pv_sync *s = ud;
  pv_store *st = NULL;
  pv_http *http = NULL;
  int failures = 0;
  pv_http_opts ho = {.ca_file = s->c.ca_file,
                     .connect_timeout_ms = s->c.connect_timeout_ms,
                     .transfer_timeout_ms = s->c.transfer_timeout_ms,
                     .stop = &s->stop};
  int64_t poll_ms =
      (s->c.poll_seconds > 0 ? s->c.poll_seconds : PV_SYNC_DEFAULT_POLL_S) * 1000LL;
  while (!atomic_load(&s->stop)) {
    pv_sync_report rep = {0};
    pv_err err = PV_OK;
    /* Opened lazily and retried with the backoff: a locked or missing
     * store at start-up is not the end of syncing. */
    if (!st)
      err = pv_store_open(s->strings[S_DB], &s->clock, &st);
    if (!err && !http)
      err = pv_http_open(&ho, &http);
    pv_store_counts counts;
    int counted = !err && pv_store_count(st, NULL, &counts) == PV_OK;
    pthread_mutex_lock(&s->mu);
    if (counted) /* what waits, before the pass that may take a while */
      s->status.pending = counts.pending;
    s->status.running = err == PV_OK;
    s->status.last_attempt_ms = pv_clock_now(&s->clock);
    pthread_mutex_unlock(&s->mu);
    if (err) {
      rep.err = err;
      rep.retry_after_s = -1;
      snprintf(rep.error, sizeof rep.error, "%s", pv_err_detail());
      snprintf(rep.message, sizeof rep.message, "%s", fr_store);
    } else {
      run_pass(&s->c, http, st, &s->stop, &rep);
    }
    if (atomic_load(&s->stop))
      break;
    if (rep.surveys_changed)
      atomic_fetch_add(&s->generation, 1);
    if (rep.prompts_received || rep.prompts_removed)
      atomic_fetch_add(&s->prompts_generation, 1);
    int64_t wait = poll_ms;
    if (rep.err) {
      failures++;
      wait = pv_sync_backoff_ms(failures, rep.retry_after_s, jitter_unit());
      PV_WARN("sync: pass failed (%d in a row, next in %lld s): %s", failures,
              (long long)(wait / 1000), rep.error);
    } else {
      failures = 0;
      if (rep.sent || rep.surveys_installed)
        PV_INFO("sync: sent %zu, acknowledged %zu, refused %zu, pending %zu", rep.sent,
                rep.acked, rep.failed, rep.pending_after);
    }
    pthread_mutex_lock(&s->mu);
    pv_sync_status *o = &s->status;
    int64_t now = pv_clock_now(&s->clock);
    o->running = 0;
    if (rep.pending_known) /* else the count from before the pass stays */
      o->pending = rep.pending_after;
    o->consecutive_failures = failures;
    o->http_status = rep.http_status;
    if (!rep.err)
      o->last_success_ms = now;
    snprintf(o->last_error, sizeof o->last_error, "%s", rep.message);
    snprintf(o->last_detail, sizeof o->last_detail, "%s", rep.error);
    o->next_attempt_ms = now + wait;
    pthread_mutex_unlock(&s->mu);
    /* A kick (a new response) shortens the poll, never a backoff. */
    wait_for(s, wait, failures == 0);
  }
  pv_http_close(http);
  pv_store_close(st);
  return NULL;
}

static void sync_free(pv_sync *s) {
  for (int i = 0; i < S__COUNT; i++)
    free(s->strings[i]);
  free(s);
}

pv_err pv_sync_start(const pv_sync_config *c, const char *db_path,
                     const pv_clock *clock, pv_sync **out) {
  pthread_condattr_t ca;
  PV_ASSERT(c && c->url && db_path && clock && out);
  *out = NULL;
  pv_sync *s = calloc(1, sizeof *s);
  if (!s)
    return pv_fail(PV_ERR_NOMEM, "sync: out of memory");
  s->c = *c;
  s->clock = *clock;
  const char *src[S__COUNT] = {c->url,         c->token,      c->ca_file,
                               c->surveys_dir, c->assets_dir, db_path};
  const char **dst[S__COUNT] = {&s->c.url,         &s->c.token,      &s->c.ca_file,
                                &s->c.surveys_dir, &s->c.assets_dir, NULL};
  for (int i = 0; i < S__COUNT; i++) {
    if (!src[i])
      continue;
    if (!(s->strings[i] = strdup(src[i]))) {
      sync_free(s);
      return pv_fail(PV_ERR_NOMEM, "sync: out of memory");
    }
    if (dst[i])
      *dst[i] = s->strings[i];
  }
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&s->mu, NULL);
  int rc = pthread_create(&s->thread, NULL, thread_main, s);
  if (rc != 0) {
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    sync_free(s);
    return pv_fail(PV_ERR_NOMEM, "sync: pthread_create: %s", strerror(rc));
  }
  *out = s;
  return PV_OK;
}

void pv_sync_kick(pv_sync *s) {
  pthread_mutex_lock(&s->mu);
  s->kicked = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

void pv_sync_status_get(pv_sync *s, pv_sync_status *out) {
  pthread_mutex_lock(&s->mu);
  *out = s->status;
  pthread_mutex_unlock(&s->mu);
}

int pv_sync_surveys_generation(pv_sync *s) {
  return atomic_load(&s->generation);
}

int pv_sync_prompts_generation(pv_sync *s) {
  return atomic_load(&s->prompts_generation);
}

void pv_sync_stop(pv_sync *s) {
  if (!s)
    return;
  pthread_mutex_lock(&s->mu);
  atomic_store(&s->stop, 1);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  sync_free(s);
}
