/* import: see import.h. */
#include "collector/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"
#include "sync/usb.h"

#define READ_CHUNK (64 << 10) /* bytes read from a .jsonl at once */

/* ---- reading a .jsonl line by line, hashing it as it goes ---- */

typedef struct lines {
  int fd;
  pv_sha256 *h;
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2];
  const char *rel;
  unsigned char *chunk;
  size_t pos, fill;
  char *line; /* PV_USB_MAX_LINE + 1 bytes */
  size_t len, number;
  int eof;
} lines;

static void lines_close(lines *l) {
  char dummy[PV_SHA256_HEX + 1];
  if (l->fd >= 0)
    close(l->fd);
  if (l->h)
    pv_sha256_final(l->h, dummy);
  free(l->chunk);
  free(l->line);
  memset(l, 0, sizeof *l);
  l->fd = -1;
}

static pv_err lines_open(lines *l, const char *dir, const char *rel) {
  memset(l, 0, sizeof *l);
  l->fd = -1;
  l->rel = rel;
  if ((size_t)snprintf(l->path, sizeof l->path, "%s/%s", dir, rel) >= sizeof l->path)
    return pv_fail(PV_ERR_TOOBIG, "%s/%s: path too long", dir, rel);
  if (!(l->h = pv_sha256_new()) || !(l->chunk = malloc(READ_CHUNK)) ||
      !(l->line = malloc(PV_USB_MAX_LINE + 1))) {
    lines_close(l);
    return pv_fail(PV_ERR_NOMEM, "%s: out of memory", rel);
  }
  l->fd = open(l->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (l->fd < 0) {
    pv_err err = pv_fail(PV_ERR_IO, "%s: %s", l->path, strerror(errno));
    lines_close(l);
    return err;
  }
  return PV_OK;
}

/* Reads the next line (without its '\n') into l->line/l->len: 1 a line,
 * 0 at the end, -1 a line over PV_USB_MAX_LINE (read past and dropped),
 * or a pv_err through *err. */
static int lines_next(lines *l, pv_err *err) {
  int toolong = 0;
  l->len = 0;
  for (;;) {
    if (l->pos == l->fill) {
      if (l->eof) { /* a last line without '\n' (verify refuses those) */
        if (!l->len && !toolong)
          return 0;
        l->number++;
        l->line[l->len] = '\0';
        return toolong ? -1 : 1;
      }
      ssize_t n = read(l->fd, l->chunk, READ_CHUNK);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        *err = pv_fail(PV_ERR_IO, "%s: %s", l->path, strerror(errno));
        return 0;
      }
      pv_sha256_update(l->h, l->chunk, (size_t)n);
      l->pos = 0;
      l->fill = (size_t)n;
      l->eof = n == 0;
      continue;
    }
    unsigned char *start = l->chunk + l->pos;
    unsigned char *nl = memchr(start, '\n', l->fill - l->pos);
    size_t take = nl ? (size_t)(nl - start) : l->fill - l->pos;
    if (!toolong && l->len + take > PV_USB_MAX_LINE)
      toolong = 1;
    if (!toolong) {
      memcpy(l->line + l->len, start, take);
      l->len += take;
    }
    l->pos += take + (nl ? 1 : 0);
    if (nl) {
      l->number++;
      l->line[l->len] = '\0';
      return toolong ? -1 : 1;
    }
  }
}

/* At the end of the file: checks it still hashes to want. */
static pv_err lines_finish(lines *l, const char *want) {
  char got[PV_SHA256_HEX + 1];
  PV_ASSERT(l->eof && l->pos == l->fill);
  pv_sha256_final(l->h, got);
  l->h = NULL;
  if (strcmp(got, want) != 0)
    return pv_fail(PV_ERR_CORRUPT, "%s: changed while it was being imported", l->rel);
  return PV_OK;
}

/* ---- the importing device ---- */

/* Finds or enrolls the principal "usb-<device>" of rep->territory. */
static pv_err principal(pv_cdb *db, const char *device, const char *now,
                        pv_import_report *rep, long long *id) {
  char seed[PV_CDB_MAX_CODE + PV_UUID_LEN + 64], hash[PV_SHA256_HEX + 1];
  pv_cdb_principal p;
  /* Not a token (spaces, newlines): pv_proto_token_valid refuses it, so
   * no request can present this hash's preimage. */
  snprintf(seed, sizeof seed, "porte-voix usb import\n%s\n%s", rep->territory, device);
  snprintf(rep->principal, sizeof rep->principal, PV_IMPORT_PRINCIPAL_PREFIX "%s",
           device);
  pv_err err = pv_sha256_hex(seed, strlen(seed), hash);
  if (err)
    return err;
  err = pv_cdb_token_lookup(db, hash, &p);
  if (err == PV_ERR_NOTFOUND) {
    err = pv_cdb_token_add(db, PV_CDB_DEVICE, rep->territory, rep->principal, hash, now,
                           id);
    if (err == PV_ERR_EXISTS)
      return pv_fail(PV_ERR_EXISTS,
                     "territory %s already has a device named \"%s\" enrolled with a "
                     "token: rename or revoke it",
                     rep->territory, rep->principal);
    rep->principal_created = !err;
    return err;
  }
  if (err)
    return err;
  if (p.revoked)
    return pv_fail(PV_ERR_STATE,
                   "device \"%s\" of territory %s is revoked: imports from that kiosk "
                   "are refused",
                   p.name, p.territory);
  *id = p.id;
  return PV_OK;
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

static pv_err import_attachment(pv_cdb *db, const char *dir, const pv_usb_file *f,
                                const char *now, pv_import_report *rep) {
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2], got[PV_SHA256_HEX + 1];
  char media[PV_CDB_MAX_MEDIA_TYPE + 1];
  unsigned char *bytes = NULL;
  size_t len = 0;
  int created = 0;
  pv_err err = PV_OK;
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, f->path) >= sizeof path)
    return pv_fail(PV_ERR_TOOBIG, "%s: path too long", f->path);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pv_fail(PV_ERR_IO, "%s: %s", path, strerror(errno));
  /* The manifest bounds the size (verified); read one byte more to see a
   * file that grew since. */
  if (!(bytes = malloc(f->size + 1))) {
    err = pv_fail(PV_ERR_NOMEM, "%s: out of memory", f->path);
    goto out;
  }
  for (;;) {
    ssize_t n = read(fd, bytes + len, f->size + 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err = pv_fail(PV_ERR_IO, "%s: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0 || (len += (size_t)n) > f->size)
      break;
  }
  if ((err = pv_sha256_hex(bytes, len, got)))
    goto out;
  if (len != f->size || strcmp(got, f->sha256) != 0) {
    err = pv_fail(PV_ERR_CORRUPT, "%s: changed since it was checked", f->path);
    goto out;
  }
  plain_media_type(f->media_type, media);
  if ((err = pv_cdb_attachment_put(db, rep->territory, f->sha256, media, bytes, len,
                                   now, &created)))
    goto out;
  if (created)
    rep->attachments_new++;
  else
    rep->attachments_known++;
out:
  free(bytes);
  close(fd);
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

static pv_err flush(pv_cdb *db, long long device, batch *b, const char *now, FILE *log,
                    pv_import_report *rep) {
  pv_err err = PV_OK;
  if (b->n && !(err = pv_cdb_ingest(db, rep->territory, device, b->items, b->n, now)))
    for (size_t i = 0; i < b->n; i++) {
      pv_proto_outcome o = b->items[i].outcome;
      char reason[PV_PROTO_MAX_REASON + 1];
      rep->responses[o]++;
      outcome_reason(&b->r[i], o, rep->territory, reason, sizeof reason);
      if (log && reason[0])
        fprintf(log, "%s:%zu: response %s: %s: %s\n", PV_USB_RESPONSES, b->line[i],
                b->r[i].uuid, pv_proto_outcome_name(o), reason);
    }
  batch_clear(b);
  return err;
}

static pv_err import_responses(pv_cdb *db, long long device, const char *dir,
                               const pv_usb_file *f, const char *now, FILE *log,
                               pv_import_report *rep) {
  lines l;
  batch *b = calloc(1, sizeof *b);
  char reason[PV_PROTO_MAX_REASON + 1];
  pv_err err = PV_OK;
  int got;
  if (!b)
    return pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_RESPONSES);
  if ((err = lines_open(&l, dir, PV_USB_RESPONSES))) {
    free(b);
    return err;
  }
  while (!err && (got = lines_next(&l, &err)) != 0 && !err) {
    pv_store_response *r = &b->r[b->n];
    pv_cdb_ingest_item *it = &b->items[b->n];
    if (got < 0) {
      snprintf(reason, sizeof reason, "line over %d bytes", PV_USB_MAX_LINE);
    } else if (pv_proto_response_decode(l.line, l.len, r, reason, sizeof reason) !=
               PV_OK) {
      pv_store_response_free(r);
    } else {
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
      b->line[b->n++] = l.number;
      if (b->n == PV_PROTO_MAX_BATCH)
        err = flush(db, device, b, now, log, rep);
      continue;
    }
    rep->responses[PV_OUT_INVALID]++;
    if (log)
      fprintf(log, "%s:%zu: invalid: %s\n", PV_USB_RESPONSES, l.number, reason);
  }
  if (!err)
    err = flush(db, device, b, now, log, rep);
  batch_clear(b);
  if (!err)
    err = lines_finish(&l, f->sha256);
  lines_close(&l);
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

static pv_err sflush(pv_cdb *db, long long device, sbatch *b, const char *now,
                     FILE *log, pv_import_report *rep) {
  pv_err err = PV_OK;
  if (b->n &&
      !(err = pv_cdb_session_ingest(db, rep->territory, device, b->items, b->n, now)))
    for (size_t i = 0; i < b->n; i++) {
      pv_proto_outcome o = b->items[i].outcome;
      rep->sessions[o]++;
      if (log && o != PV_OUT_STORED && o != PV_OUT_DUPLICATE)
        fprintf(log, "%s:%zu: session %s: %s: already stored with other content\n",
                PV_USB_SESSIONS, b->line[i], b->s[i].uuid, pv_proto_outcome_name(o));
    }
  for (size_t i = 0; i < b->n; i++) {
    free(b->canon[i]);
    b->canon[i] = NULL;
  }
  b->n = 0;
  return err;
}

/* Sessions go in before responses, as a kiosk sends them: an export then
 * shows each response's session at once. */
static pv_err import_sessions(pv_cdb *db, long long device, const char *dir,
                              const pv_usb_file *f, const char *now, FILE *log,
                              pv_import_report *rep) {
  lines l;
  sbatch *b = calloc(1, sizeof *b);
  char reason[PV_PROTO_MAX_REASON + 1];
  pv_err err = PV_OK;
  int got;
  if (!b)
    return pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_SESSIONS);
  if ((err = lines_open(&l, dir, PV_USB_SESSIONS))) {
    free(b);
    return err;
  }
  while (!err && (got = lines_next(&l, &err)) != 0 && !err) {
    pv_store_session *x = &b->s[b->n];
    pv_cdb_session_item *it = &b->items[b->n];
    if (got < 0) {
      snprintf(reason, sizeof reason, "line over %d bytes", PV_USB_MAX_LINE);
    } else if (pv_proto_session_decode(l.line, l.len, x, reason, sizeof reason) ==
               PV_OK) {
      b->canon[b->n] = pv_proto_session_encode(x);
      if (!b->canon[b->n] ||
          (err = pv_sha256_hex(b->canon[b->n], strlen(b->canon[b->n]), it->hash))) {
        err = err ? err : pv_fail(PV_ERR_NOMEM, "%s: out of memory", PV_USB_SESSIONS);
        break;
      }
      it->s = x;
      it->canonical = b->canon[b->n];
      b->line[b->n++] = l.number;
      if (b->n == PV_PROTO_MAX_SESSIONS)
        err = sflush(db, device, b, now, log, rep);
      continue;
    }
    rep->sessions[PV_OUT_INVALID]++;
    if (log)
      fprintf(log, "%s:%zu: invalid: %s\n", PV_USB_SESSIONS, l.number, reason);
  }
  if (!err)
    err = sflush(db, device, b, now, log, rep);
  for (size_t i = 0; i <= b->n && i < PV_PROTO_MAX_SESSIONS; i++)
    free(b->canon[i]);
  if (!err)
    err = lines_finish(&l, f->sha256);
  lines_close(&l);
  free(b);
  return err;
}

/* ---- the import ---- */

pv_err pv_import_dir(pv_cdb *db, const char *territory, const char *dir,
                     const char *now, FILE *log, pv_import_report *rep) {
  pv_usb_manifest m = {0};
  const pv_usb_file *responses = NULL, *sessions = NULL;
  long long device = 0;
  pv_err err;
  memset(rep, 0, sizeof *rep);
  if ((err = pv_usb_verify(dir, &m)) || (err = pick_territory(db, territory, rep)) ||
      (err = principal(db, m.device, now, rep, &device)))
    goto out;
  for (size_t i = 0; i < m.n_files; i++) {
    const pv_usb_file *f = &m.files[i];
    if (strcmp(f->path, PV_USB_RESPONSES) == 0)
      responses = f;
    else if (strcmp(f->path, PV_USB_SESSIONS) == 0)
      sessions = f;
    else if ((err = import_attachment(db, dir, f, now, rep)))
      goto out;
  }
  PV_ASSERT(responses && sessions); /* pv_usb_verify requires both */
  if ((err = import_sessions(db, device, dir, sessions, now, log, rep)) ||
      (err = import_responses(db, device, dir, responses, now, log, rep)))
    goto out;
out:
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
