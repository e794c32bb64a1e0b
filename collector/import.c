/* import: see import.h.
 *
 * An import stores nothing until it knows it may, and ingests only bytes
 * it hashed itself:
 *   1. pv_usb_verify checks the folder against its manifest (sizes,
 *      hashes, line counts, no stray file; only regular files opened);
 *   2. the territory is picked; the kiosk must have no data in another
 *      one (pv_cdb_device_elsewhere), and its principal must not be
 *      revoked;
 *   3. responses.jsonl and sessions.jsonl are read whole by pv_usb_load,
 *      which checks the very bytes in memory against the manifest: a file
 *      swapped after step 1 is refused, and every later step parses that
 *      buffer, never the file again;
 *   4. a first pass over the responses marks the listed attachments that
 *      a valid response names; nothing else on the stick is stored;
 *   5. at the first batch holding something valid, the principal is
 *      enrolled if need be and those attachments stored (each read by
 *      pv_usb_load too); sessions then responses are ingested in batches.
 * An export with nothing valid in it thus enrolls no one and stores
 * nothing. */
#include "collector/import.h"

#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "sync/usb.h"

/* ---- a .jsonl held whole ---- */

typedef struct jsonl {
  unsigned char *text; /* pv_usb_load's buffer: the bytes that were hashed */
  size_t len, pos, number;
} jsonl;

/* Loads listed file f whole, checked against the manifest. */
static pv_err jsonl_load(jsonl *j, const char *dir, const pv_usb_file *f) {
  memset(j, 0, sizeof *j);
  j->len = (size_t)f->size;
  return pv_usb_load(dir, f, &j->text);
}

static void jsonl_free(jsonl *j) {
  free(j->text);
  memset(j, 0, sizeof *j);
}

/* The next line (without its '\n') as *line, *len (a view into j): 1 a
 * line, 0 at the end, -1 a line over PV_USB_MAX_LINE. */
static int jsonl_next(jsonl *j, const char **line, size_t *len) {
  if (j->pos >= j->len)
    return 0;
  const char *start = (const char *)j->text + j->pos;
  const char *nl = memchr(start, '\n', j->len - j->pos);
  size_t n = nl ? (size_t)(nl - start) : j->len - j->pos;
  j->pos += n + (nl ? 1 : 0);
  j->number++;
  *line = start;
  *len = n;
  return n > PV_USB_MAX_LINE ? -1 : 1;
}

/* ---- one import ---- */

typedef struct importer {
  pv_cdb *db;
  const char *dir, *now;
  FILE *log;
  const pv_usb_manifest *m;
  pv_import_report *rep;
  char token_hash[PV_SHA256_HEX + 1]; /* the principal's, not a token's */
  long long device;                   /* the principal's id, 0 until known */
  int ready;                          /* principal and attachments in place */
  unsigned char *named;               /* per m->files[i]: a valid response names it */
} importer;

/* Decodes responses.jsonl line (got from jsonl_next) into *r: 1 when
 * valid (free r with pv_store_response_free), else 0 with reason. A
 * response must come from the kiosk that made the export. */
static int decode_response(const char *line, size_t len, int got, const char *device,
                           pv_store_response *r, char *reason, size_t cap) {
  if (got < 0) {
    snprintf(reason, cap, "line over %d bytes", PV_USB_MAX_LINE);
    return 0;
  }
  if (pv_proto_response_decode(line, len, r, reason, cap) != PV_OK) {
    pv_store_response_free(r);
    return 0;
  }
  if (strcmp(r->device_id, device) != 0) {
    snprintf(reason, cap, "recorded by device %s, not by the exporting kiosk %s",
             r->device_id, device);
    pv_store_response_free(r);
    return 0;
  }
  return 1;
}

/* ---- the importing device ---- */

/* Finds the principal "usb-<device>" of rep->territory: im->device its
 * id, or 0 when it is not enrolled yet; PV_ERR_STATE when revoked. */
static pv_err principal_find(importer *im) {
  char seed[PV_CDB_MAX_CODE + PV_UUID_LEN + 64];
  pv_cdb_principal p;
  /* Not a token (spaces, newlines): pv_proto_token_valid refuses it, so
   * no request can present this hash's preimage. */
  snprintf(seed, sizeof seed, "porte-voix usb import\n%s\n%s", im->rep->territory,
           im->m->device);
  pv_err err = pv_sha256_hex(seed, strlen(seed), im->token_hash);
  if (err)
    return err;
  err = pv_cdb_token_lookup(im->db, im->token_hash, &p);
  if (err == PV_ERR_NOTFOUND)
    return PV_OK;
  if (err)
    return err;
  if (p.revoked)
    return pv_fail(PV_ERR_STATE,
                   "device \"%s\" of territory %s is revoked: imports from that kiosk "
                   "are refused",
                   p.name, p.territory);
  im->device = p.id;
  return PV_OK;
}

/* Enrolls the principal found missing by principal_find. */
static pv_err principal_enroll(importer *im) {
  pv_import_report *rep = im->rep;
  pv_err err = pv_cdb_token_add(im->db, PV_CDB_DEVICE, rep->territory, rep->principal,
                                im->token_hash, im->now, &im->device);
  if (err == PV_ERR_EXISTS)
    return pv_fail(PV_ERR_EXISTS,
                   "territory %s already has a device named \"%s\" enrolled with a "
                   "token: rename or revoke it",
                   rep->territory, rep->principal);
  rep->principal_created = !err;
  return err;
}

/* rep->territory: the one given (it must exist) or the only one. */
static pv_err pick_territory(pv_cdb *db, const char *territory, pv_import_report *rep) {
  pv_cdb_territory t;
  if (territory) {
    pv_err err = pv_cdb_territory_get(db, territory, &t);
    if (err == PV_ERR_NOTFOUND)
      return pv_fail(PV_ERR_NOTFOUND, "no territory %s", territory);
    if (!err)
      snprintf(rep->territory, sizeof rep->territory, "%s", t.code);
    return err;
  }
  pv_cdb_territory *all = NULL;
  size_t n = 0;
  pv_err err = pv_cdb_territory_list(db, &all, &n);
  if (!err && n == 1)
    snprintf(rep->territory, sizeof rep->territory, "%s", all[0].code);
  free(all);
  if (!err && n > 1)
    err = pv_fail(PV_ERR_INVALID,
                  "this collector holds %zu territories: give --territory CODE", n);
  else if (!err && n == 0)
    err = pv_fail(PV_ERR_INVALID, "this collector holds no territory yet");
  return err;
}

/* ---- attachments ---- */

/* The media type the PUT route would store for this Content-Type
 * (collector/server.c): the plain type/subtype before any ';', else
 * application/octet-stream; so an imported attachment exports under the
 * same name as a synced one. */
static void plain_media_type(const char *type, char out[PV_CDB_MAX_MEDIA_TYPE + 1]) {
  static const char extra[] = "!#$&^_.+-";
  size_t n = strcspn(type, ";"), slash = 0, slashes = 0;
  int ok = 1;
  while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
    n--;
  if (n < 3 || n > PV_CDB_MAX_MEDIA_TYPE)
    ok = 0;
  for (size_t i = 0; ok && i < n; i++) {
    char ch = type[i];
    int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9');
    int first = i == 0 || type[i - 1] == '/';
    if (ch == '/') {
      slash = i;
      slashes++;
    } else if (!alnum && (first || !strchr(extra, ch))) {
      ok = 0;
    }
  }
  if (!ok || slashes != 1 || slash == 0 || slash + 1 >= n) {
    snprintf(out, PV_CDB_MAX_MEDIA_TYPE + 1, "application/octet-stream");
    return;
  }
  memcpy(out, type, n);
  out[n] = '\0';
}

/* Stores listed attachment f from the bytes pv_usb_load checked. */
static pv_err import_attachment(importer *im, const pv_usb_file *f) {
  char media[PV_CDB_MAX_MEDIA_TYPE + 1];
  unsigned char *bytes = NULL;
  int created = 0;
  pv_err err = pv_usb_load(im->dir, f, &bytes);
  if (err)
    return err;
  plain_media_type(f->media_type, media);
  err = pv_cdb_attachment_put(im->db, im->rep->territory, f->sha256, media, bytes,
                              (size_t)f->size, im->now, &created);
  if (!err && created)
    im->rep->attachments_new++;
  else if (!err)
    im->rep->attachments_known++;
  free(bytes);
  return err;
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const pv_usb_file *)a)->path, ((const pv_usb_file *)b)->path);
}

/* First pass, storing nothing: marks in im->named the listed attachments
 * that some valid response names. */
static pv_err mark_named(importer *im, jsonl *responses) {
  char reason[PV_PROTO_MAX_REASON + 1];
  const char *line;
  size_t len;
  int got;
  responses->pos = responses->number = 0;
  while ((got = jsonl_next(responses, &line, &len)) != 0) {
    pv_store_response r;
    memset(&r, 0, sizeof r);
    if (!decode_response(line, len, got, im->m->device, &r, reason, sizeof reason))
      continue;
    for (size_t a = 0; a < r.answer_count; a++) {
      pv_usb_file key;
      memset(&key, 0, sizeof key);
      if (!r.answers[a].attachment[0])
        continue;
      snprintf(key.path, sizeof key.path, PV_USB_ATTACHMENTS "/%s",
               r.answers[a].attachment);
      const pv_usb_file *f =
          bsearch(&key, im->m->files, im->m->n_files, sizeof *im->m->files, by_path);
      if (f)
        im->named[f - im->m->files] = 1;
    }
    pv_store_response_free(&r);
  }
  responses->pos = responses->number = 0;
  return PV_OK;
}

/* Before the first row is stored: enrolls the principal if need be, then
 * stores the attachments mark_named found. */
static pv_err make_ready(importer *im) {
  pv_err err = PV_OK;
  if (im->ready)
    return PV_OK;
  if (!im->device && (err = principal_enroll(im)))
    return err;
  for (size_t i = 0; !err && i < im->m->n_files; i++)
    if (im->named[i])
      err = import_attachment(im, &im->m->files[i]);
  im->ready = !err;
  return err;
}

/* ---- responses ---- */

/* A batch of decoded responses waiting for pv_cdb_ingest. */
typedef struct batch {
  pv_store_response r[PV_PROTO_MAX_BATCH];
  char *canon[PV_PROTO_MAX_BATCH];
  pv_cdb_ingest_item items[PV_PROTO_MAX_BATCH];
  size_t line[PV_PROTO_MAX_BATCH];
  size_t n;
} batch;

static void batch_clear(batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    pv_store_response_free(&b->r[i]);
    free(b->canon[i]);
    b->canon[i] = NULL;
  }
  b->n = 0;
}

/* The reason sync would give for an outcome (collector/server.c). */
static void outcome_reason(const pv_store_response *x, pv_proto_outcome o,
                           const char *territory, char *out, size_t cap) {
  switch (o) {
  case PV_OUT_CONFLICT:
    snprintf(out, cap, "already stored with other content");
    break;
  case PV_OUT_UNKNOWN_SURVEY:
    snprintf(out, cap, "survey %s version %d is not published for territory %s",
             x->survey_id, x->survey_version, territory);
    break;
  case PV_OUT_MISSING_ATTACHMENT:
    snprintf(out, cap, "an answer names an attachment the export does not hold");
    break;
  default:
    out[0] = '\0';
  }
}

static pv_err flush(importer *im, batch *b) {
  pv_import_report *rep = im->rep;
  pv_err err = PV_OK;
  if (b->n && !(err = make_ready(im)) &&
      !(err =
            pv_cdb_ingest(im->db, rep->territory, im->device, b->items, b->n, im->now)))
    for (size_t i = 0; i < b->n; i++) {
      pv_proto_outcome o = b->items[i].outcome;
      char reason[PV_PROTO_MAX_REASON + 1];
      rep->responses[o]++;
      outcome_reason(&b->r[i], o, rep->territory, reason, sizeof reason);
      if (im->log && reason[0])
        fprintf(im->log, "%s:%zu: response %s: %s: %s\n", PV_USB_RESPONSES, b->line[i],
                b->r[i].uuid, pv_proto_outcome_name(o), reason);
    }
  batch_clear(b);
  return err;
}

/* Ingests every line of the checked responses.jsonl buffer. */
static pv_err import_responses(importer *im, jsonl *j) {
  batch *b = calloc(1, sizeof *b);
  char reason[PV_PROTO_MAX_REASON + 1];
  const char *line;
  size_t len;
  pv_err err = PV_OK;
  int got;
  if (!b)
    return pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_RESPONSES);
  while (!err && (got = jsonl_next(j, &line, &len)) != 0) {
    pv_store_response *r = &b->r[b->n];
    pv_cdb_ingest_item *it = &b->items[b->n];
    if (!decode_response(line, len, got, im->m->device, r, reason, sizeof reason)) {
      im->rep->responses[PV_OUT_INVALID]++;
      if (im->log)
        fprintf(im->log, "%s:%zu: invalid: %s\n", PV_USB_RESPONSES, j->number, reason);
      continue;
    }
    b->canon[b->n] = pv_proto_response_encode(r);
    if (!b->canon[b->n] ||
        (err = pv_sha256_hex(b->canon[b->n], strlen(b->canon[b->n]), it->hash))) {
      free(b->canon[b->n]);
      b->canon[b->n] = NULL;
      pv_store_response_free(r);
      err = err ? err : pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_RESPONSES);
      break;
    }
    it->r = r;
    it->canonical = b->canon[b->n];
    b->line[b->n++] = j->number;
    if (b->n == PV_PROTO_MAX_BATCH)
      err = flush(im, b);
  }
  if (!err)
    err = flush(im, b);
  batch_clear(b);
  free(b);
  return err;
}

/* ---- sessions ---- */

/* A batch of decoded sessions waiting for pv_cdb_session_ingest. */
typedef struct sbatch {
  pv_store_session s[PV_PROTO_MAX_SESSIONS];
  char *canon[PV_PROTO_MAX_SESSIONS];
  pv_cdb_session_item items[PV_PROTO_MAX_SESSIONS];
  size_t line[PV_PROTO_MAX_SESSIONS];
  size_t n;
} sbatch;

static void sbatch_clear(sbatch *b) {
  for (size_t i = 0; i < b->n; i++) {
    free(b->canon[i]);
    b->canon[i] = NULL;
  }
  b->n = 0;
}

static pv_err sflush(importer *im, sbatch *b) {
  pv_import_report *rep = im->rep;
  pv_err err = PV_OK;
  if (b->n && !(err = make_ready(im)) &&
      !(err = pv_cdb_session_ingest(im->db, rep->territory, im->device, b->items, b->n,
                                    im->now)))
    for (size_t i = 0; i < b->n; i++) {
      pv_proto_outcome o = b->items[i].outcome;
      rep->sessions[o]++;
      if (im->log && o != PV_OUT_STORED && o != PV_OUT_DUPLICATE)
        fprintf(im->log, "%s:%zu: session %s: %s: already stored with other content\n",
                PV_USB_SESSIONS, b->line[i], b->s[i].uuid, pv_proto_outcome_name(o));
    }
  sbatch_clear(b);
  return err;
}

/* Ingests every line of the checked sessions.jsonl buffer. Sessions go in
 * before responses, as a kiosk sends them: an export then shows each
 * response's session at once. */
static pv_err import_sessions(importer *im, jsonl *j) {
  sbatch *b = calloc(1, sizeof *b);
  char reason[PV_PROTO_MAX_REASON + 1];
  const char *line;
  size_t len;
  pv_err err = PV_OK;
  int got;
  if (!b)
    return pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_SESSIONS);
  while (!err && (got = jsonl_next(j, &line, &len)) != 0) {
    pv_store_session *x = &b->s[b->n];
    pv_cdb_session_item *it = &b->items[b->n];
    if (got < 0) {
      snprintf(reason, sizeof reason, "line over %d bytes", PV_USB_MAX_LINE);
    } else if (pv_proto_session_decode(line, len, x, reason, sizeof reason) == PV_OK) {
      b->canon[b->n] = pv_proto_session_encode(x);
      if (!b->canon[b->n] ||
          (err = pv_sha256_hex(b->canon[b->n], strlen(b->canon[b->n]), it->hash))) {
        free(b->canon[b->n]);
        b->canon[b->n] = NULL;
        err = err ? err : pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_SESSIONS);
        break;
      }
      it->s = x;
      it->canonical = b->canon[b->n];
      b->line[b->n++] = j->number;
      if (b->n == PV_PROTO_MAX_SESSIONS)
        err = sflush(im, b);
      continue;
    }
    im->rep->sessions[PV_OUT_INVALID]++;
    if (im->log)
      fprintf(im->log, "%s:%zu: invalid: %s\n", PV_USB_SESSIONS, j->number, reason);
  }
  if (!err)
    err = sflush(im, b);
  sbatch_clear(b);
  free(b);
  return err;
}

/* ---- the import ---- */

pv_err pv_import_dir(pv_cdb *db, const char *territory, const char *dir,
                     const char *now, FILE *log, pv_import_report *rep) {
  pv_usb_manifest m = {0};
  jsonl responses = {0}, sessions = {0};
  const pv_usb_file *rf = NULL, *sf = NULL;
  char other[PV_CDB_MAX_CODE + 1];
  importer im = {.db = db, .dir = dir, .now = now, .log = log, .m = &m, .rep = rep};
  pv_err err;
  memset(rep, 0, sizeof *rep);
  if ((err = pv_usb_verify(dir, &m)) || (err = pick_territory(db, territory, rep)))
    goto out;
  snprintf(rep->principal, sizeof rep->principal, PV_IMPORT_PRINCIPAL_PREFIX "%s",
           m.device);
  /* UUIDs are global: rows stored under the wrong territory would make
   * every later import or sync into the right one a conflict. */
  if ((err = pv_cdb_device_elsewhere(db, m.device, rep->principal, rep->territory,
                                     other)))
    goto out;
  if (other[0]) {
    err = pv_fail(PV_ERR_STATE,
                  "this kiosk's data is in territory %s; import there, or ask the "
                  "admin (device %s, nothing imported into %s)",
                  other, m.device, rep->territory);
    goto out;
  }
  if ((err = principal_find(&im)))
    goto out;
  for (size_t i = 0; i < m.n_files; i++)
    if (strcmp(m.files[i].path, PV_USB_RESPONSES) == 0)
      rf = &m.files[i];
    else if (strcmp(m.files[i].path, PV_USB_SESSIONS) == 0)
      sf = &m.files[i];
  PV_ASSERT(rf && sf); /* pv_usb_verify requires both */
  if (m.n_files && !(im.named = calloc(m.n_files, 1))) {
    err = pv_fail(PV_ERR_NOMEM, "%s: out of memory", dir);
    goto out;
  }
  if ((err = jsonl_load(&responses, dir, rf)) ||
      (err = jsonl_load(&sessions, dir, sf)) || (err = mark_named(&im, &responses)) ||
      (err = import_sessions(&im, &sessions)) ||
      (err = import_responses(&im, &responses)))
    goto out;
out:
  jsonl_free(&responses);
  jsonl_free(&sessions);
  free(im.named);
  pv_usb_manifest_free(&m);
  return err;
}

int pv_import_clean(const pv_import_report *rep) {
  for (int o = 0; o < PV_OUT__COUNT; o++)
    if (o != PV_OUT_STORED && o != PV_OUT_DUPLICATE &&
        (rep->responses[o] || rep->sessions[o]))
      return 0;
  return 1;
}

void pv_import_print(const pv_import_report *rep, const char *dir, FILE *out) {
  const size_t *r = rep->responses, *s = rep->sessions;
  fprintf(out, "imported %s into territory %s as device \"%s\"%s\n", dir,
          rep->territory, rep->principal, rep->principal_created ? " (new)" : "");
  fprintf(out,
          "responses: %zu stored, %zu duplicate, %zu conflict, %zu invalid, %zu "
          "unknown survey, %zu missing attachment\n",
          r[PV_OUT_STORED], r[PV_OUT_DUPLICATE], r[PV_OUT_CONFLICT], r[PV_OUT_INVALID],
          r[PV_OUT_UNKNOWN_SURVEY], r[PV_OUT_MISSING_ATTACHMENT]);
  fprintf(out, "sessions: %zu stored, %zu duplicate, %zu conflict, %zu invalid\n",
          s[PV_OUT_STORED], s[PV_OUT_DUPLICATE], s[PV_OUT_CONFLICT], s[PV_OUT_INVALID]);
  fprintf(out, "attachments: %zu new, %zu already there\n", rep->attachments_new,
          rep->attachments_known);
}
