/* usb: see usb.h.
 *
 * An export is two walks of the store: the first sizes everything for a
 * statvfs check before a byte is written, the second writes each file
 * through one writer that hashes as it goes and maps ENOSPC/EFBIG/EDQUOT
 * to PV_ERR_FULL. The manifest goes last (temp, fsync, rename, folder
 * fsync). Any failure closes what is open and removes the folder this
 * call made; the store is only read. */
#include "sync/usb.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/clock.h"
#include "sync/protocol.h"

#define IO_CHUNK (64 << 10)   /* bytes read at once while hashing */
#define MANIFEST_BASE 1024    /* bytes of a manifest without files */
#define MANIFEST_PER_FILE 260 /* bytes of one file's manifest entry, at most */
#define MB 1000000ULL         /* "Mo" as stick makers count them */
#define TMP_MANIFEST ".manifest.json.tmp"

/* ---- messages ---- */

static void say_fr(pv_usb_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say_fr(pv_usb_report *rep, const char *fmt, ...) {
  va_list ap;
  if (rep->message_fr[0])
    return; /* the first, most precise, wins */
  va_start(ap, fmt);
  vsnprintf(rep->message_fr, sizeof rep->message_fr, fmt, ap);
  va_end(ap);
}

/* The animateur's sentence for a failure no site described. */
static const char *generic_fr(pv_err err) {
  switch (err) {
  case PV_ERR_FULL:
    return "La clé USB est pleine : libérez de la place et réessayez.";
  case PV_ERR_NOTFOUND:
    return "Le dossier n'existe pas.";
  case PV_ERR_STATE:
    return "La clé est en lecture seule.";
  case PV_ERR_IO:
    return "L'écriture sur la clé a échoué : vérifiez la clé et réessayez.";
  case PV_ERR_NOMEM:
    return "L'export a échoué : mémoire insuffisante.";
  case PV_ERR_TOOBIG:
    return "L'export a échoué : trop de fichiers pour une seule clé.";
  default:
    return "L'export a échoué : les données de la tablette n'ont pas pu être lues.";
  }
}

/* A failed system call on path as a pv_err: full disk, read-only, missing
 * folder or plain I/O. */
static pv_err sys_fail(int e, const char *what, const char *path) {
  pv_err err = PV_ERR_IO;
  if (e == ENOSPC || e == EFBIG || e == EDQUOT)
    err = PV_ERR_FULL;
  else if (e == EROFS || e == EACCES || e == EPERM)
    err = PV_ERR_STATE;
  else if (e == ENOENT || e == ENOTDIR)
    err = PV_ERR_NOTFOUND;
  return pv_fail(err, "usb: %s %s: %s", what, path, strerror(e));
}

/* Writes "root/rel" into out (cap bytes); PV_ERR_TOOBIG when it does not fit. */
static pv_err join(char *out, size_t cap, const char *root, const char *rel) {
  if ((size_t)snprintf(out, cap, "%s/%s", root, rel) >= cap)
    return pv_fail(PV_ERR_TOOBIG, "usb: %s/%s: path over %zu bytes", root, rel,
                   cap - 1);
  return PV_OK;
}

/* fsyncs a folder so the names in it are durable. */
static pv_err sync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sys_fail(errno, "open folder", path);
  /* Some filesystems (vfat on old kernels) refuse a folder fsync: the
   * files themselves were fsynced. */
  int rc = fsync(fd), e = errno;
  close(fd);
  if (rc != 0 && e != EINVAL)
    return sys_fail(e, "fsync folder", path);
  return PV_OK;
}

/* ---- a set of attachment hashes ---- */

typedef struct shaset {
  char (*v)[PV_SHA256_HEX + 1];
  size_t n, cap;
} shaset;

static int by_hex(const void *a, const void *b) {
  return strcmp(a, b);
}

/* Sorts and drops repeats. */
static void shaset_compact(shaset *s) {
  size_t k = 0;
  if (s->n == 0)
    return;
  qsort(s->v, s->n, sizeof *s->v, by_hex);
  for (size_t i = 1; i < s->n; i++)
    if (strcmp(s->v[i], s->v[k]) != 0)
      memcpy(s->v[++k], s->v[i], sizeof *s->v);
  s->n = k + 1;
}

static pv_err shaset_add(shaset *s, const char *sha) {
  if (s->n == s->cap) {
    shaset_compact(s);
    if (s->n >= PV_USB_MAX_ATTACHMENTS)
      return pv_fail(PV_ERR_TOOBIG, "usb: more than %d attachments",
                     PV_USB_MAX_ATTACHMENTS);
    if (s->n * 2 >= s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 64;
      void *v = realloc(s->v, cap * sizeof *s->v);
      if (!v)
        return pv_fail(PV_ERR_NOMEM, "usb: out of memory for attachment names");
      s->v = v;
      s->cap = cap;
    }
  }
  snprintf(s->v[s->n++], sizeof *s->v, "%s", sha);
  return PV_OK;
}

static void shaset_free(shaset *s) {
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* ---- a file being written: hashed and counted as it goes ---- */

typedef struct out_file {
  int fd;
  pv_sha256 *h;
  uint64_t size;
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2];
} out_file;

static void of_abort(out_file *f) {
  char dummy[PV_SHA256_HEX + 1];
  if (f->fd >= 0)
    close(f->fd);
  if (f->h)
    pv_sha256_final(f->h, dummy);
  f->fd = -1;
  f->h = NULL;
}

/* Creates root/rel (it must not exist). */
static pv_err of_open(out_file *f, const char *root, const char *rel) {
  pv_err err;
  memset(f, 0, sizeof *f);
  f->fd = -1;
  if ((err = join(f->path, sizeof f->path, root, rel)))
    return err;
  if (!(f->h = pv_sha256_new()))
    return pv_fail(PV_ERR_NOMEM, "usb: out of memory for a hasher");
  f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (f->fd < 0) {
    err = sys_fail(errno, "create", f->path);
    of_abort(f);
  }
  return err;
}

static pv_err of_write(out_file *f, const void *data, size_t len) {
  const char *p = data;
  pv_sha256_update(f->h, data, len);
  f->size += len;
  while (len > 0) {
    ssize_t n = write(f->fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return sys_fail(n < 0 ? errno : ENOSPC, "write", f->path);
    p += n;
    len -= (size_t)n;
  }
  return PV_OK;
}

/* fsyncs and closes f, writing its hash and size to *entry (rel named by
 * the caller). f is closed whatever happens. */
static pv_err of_close(out_file *f, pv_usb_file *entry) {
  pv_err err = PV_OK;
  if (fsync(f->fd) != 0)
    err = sys_fail(errno, "fsync", f->path);
  if (close(f->fd) != 0 && !err)
    err = sys_fail(errno, "close", f->path);
  f->fd = -1;
  pv_sha256_final(f->h, entry->sha256);
  f->h = NULL;
  entry->size = f->size;
  return err;
}

/* ---- export ---- */

typedef struct exporter {
  pv_store *st;
  pv_usb_report *rep;
  char root[PV_USB_MAX_PATH + 1]; /* the export folder, once made */
  shaset shas;
  pv_usb_file *files; /* responses, sessions, then attachments */
  size_t n_files;
} exporter;

/* Walks every finished response, oldest first: encodes each, adds its
 * length (and a newline) to *bytes, its attachments to ex->shas, and
 * writes it to f unless f is NULL. */
static pv_err walk_responses(exporter *ex, out_file *f, uint64_t *bytes,
                             size_t *count) {
  pv_err err = PV_OK;
  pv_store_batch b = {0};
  char after_at[PV_STORE_TIME_LEN + 1] = "", after_uuid[PV_UUID_LEN + 1] = "";
  for (;;) {
    err = pv_store_finished_after(ex->st, NULL, PV_STORE_MAX_BATCH,
                                  after_at[0] ? after_at : NULL,
                                  after_uuid[0] ? after_uuid : NULL, &b);
    if (err || b.count == 0)
      break;
    for (size_t i = 0; !err && i < b.count; i++) {
      const pv_store_response *r = &b.responses[i];
      char *json = pv_proto_response_encode(r);
      if (!json) {
        err = pv_fail(PV_ERR_NOMEM, "usb: response %s: cannot encode (out of memory)",
                      r->uuid);
        break;
      }
      size_t len = strlen(json);
      if (f && !(err = of_write(f, json, len)))
        err = of_write(f, "\n", 1);
      free(json);
      *bytes += len + 1;
      (*count)++;
      for (size_t a = 0; !err && a < r->answer_count; a++)
        if (r->answers[a].attachment[0])
          err = shaset_add(&ex->shas, r->answers[a].attachment);
    }
    snprintf(after_at, sizeof after_at, "%s", b.responses[b.count - 1].started_at);
    snprintf(after_uuid, sizeof after_uuid, "%s", b.responses[b.count - 1].uuid);
    pv_store_batch_free(&b);
    if (err)
      break;
  }
  pv_store_batch_free(&b);
  return err;
}

/* Encodes every session; writes them to f unless NULL. */
static pv_err walk_sessions(exporter *ex, out_file *f, uint64_t *bytes, size_t *count) {
  pv_store_session *s = NULL;
  size_t n = 0;
  pv_err err = pv_store_session_list(ex->st, &s, &n);
  for (size_t i = 0; !err && i < n; i++) {
    char *json = pv_proto_session_encode(&s[i]);
    if (!json) {
      err = pv_fail(PV_ERR_NOMEM, "usb: session %s: cannot encode", s[i].uuid);
      break;
    }
    size_t len = strlen(json);
    if (f && !(err = of_write(f, json, len)))
      err = of_write(f, "\n", 1);
    free(json);
    *bytes += len + 1;
    (*count)++;
  }
  free(s);
  return err;
}

/* Adds up the attachments' sizes (ex->shas compacted first). */
static pv_err size_attachments(exporter *ex, uint64_t *bytes) {
  pv_err err = PV_OK;
  shaset_compact(&ex->shas);
  for (size_t i = 0; !err && i < ex->shas.n; i++) {
    pv_store_blob blob = {0};
    if ((err = pv_store_get_attachment(ex->st, ex->shas.v[i], &blob))) {
      if (err == PV_ERR_NOTFOUND) /* the store's fault, not a missing folder */
        err = pv_fail(PV_ERR_CORRUPT,
                      "usb: attachment %s, named by a response, is not in the store",
                      ex->shas.v[i]);
      break;
    }
    *bytes += blob.size;
    pv_store_blob_free(&blob);
  }
  return err;
}

/* Pass one: what the export will take, before writing anything. */
static pv_err check_room(exporter *ex, const char *dir) {
  uint64_t need = MANIFEST_BASE;
  size_t responses = 0, sessions = 0;
  struct statvfs vfs;
  pv_err err;
  uint64_t responses_bytes = 0, sessions_bytes = 0;
  if ((err = walk_responses(ex, NULL, &responses_bytes, &responses)) ||
      (err = walk_sessions(ex, NULL, &sessions_bytes, &sessions)))
    return err;
  if (responses_bytes > PV_USB_MAX_JSONL || sessions_bytes > PV_USB_MAX_JSONL)
    return pv_fail(
        PV_ERR_TOOBIG, "usb: %s: over %d bytes: the import could not read it",
        responses_bytes > PV_USB_MAX_JSONL ? PV_USB_RESPONSES : PV_USB_SESSIONS,
        PV_USB_MAX_JSONL);
  need += responses_bytes + sessions_bytes;
  if ((err = size_attachments(ex, &need)))
    return err;
  if (statvfs(dir, &vfs) != 0)
    return PV_OK; /* unknown: the writes will tell */
  uint64_t files = 3 + ex->shas.n, block = vfs.f_frsize ? vfs.f_frsize : 4096;
  /* Every file ends in a partly used block; each manifest entry, a line. */
  need += files * (block + MANIFEST_PER_FILE);
  uint64_t avail = (uint64_t)vfs.f_bavail * block;
  if (avail >= need)
    return PV_OK;
  ex->rep->missing = need - avail;
  unsigned long long mb = (ex->rep->missing + MB - 1) / MB;
  say_fr(ex->rep, "La clé USB est pleine : il manque %llu Mo.", mb);
  return pv_fail(PV_ERR_FULL,
                 "usb: %s: %llu bytes free, the export needs about %llu (%llu MB "
                 "missing)",
                 dir, (unsigned long long)avail, (unsigned long long)need, mb);
}

/* Makes dir/porte-voix-<device>-<stamp>[-N] and records it in ex->root. */
static pv_err make_folder(exporter *ex, const char *dir) {
  char iso[PV_STORE_TIME_LEN + 1], stamp[20], name[PV_USB_MAX_PATH + 1];
  pv_clock clock = pv_clock_system();
  pv_err err;
  pv_time_iso(pv_clock_now(&clock), iso);
  /* "2026-11-23T15:57:58.123Z" -> "20261123T155758Z": no ':' (FAT). */
  snprintf(stamp, sizeof stamp, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8,
           iso + 11, iso + 14, iso + 17);
  for (int n = 1; n <= PV_USB_MAX_SUFFIX; n++) {
    char suffix[8] = "";
    if (n > 1)
      snprintf(suffix, sizeof suffix, "-%d", n);
    if ((size_t)snprintf(name, sizeof name, "%s/" PV_USB_PREFIX "%s-%s%s", dir,
                         pv_store_device_id(ex->st), stamp, suffix) >= sizeof name)
      return pv_fail(PV_ERR_TOOBIG, "usb: %s: path too long", dir);
    if (mkdir(name, 0755) == 0) {
      snprintf(ex->root, sizeof ex->root, "%s", name);
      char sub[PV_USB_MAX_PATH + 1];
      if ((err = join(sub, sizeof sub, ex->root, PV_USB_ATTACHMENTS)))
        return err;
      if (mkdir(sub, 0755) != 0)
        return sys_fail(errno, "create folder", sub);
      return PV_OK;
    }
    if (errno != EEXIST)
      return sys_fail(errno, "create folder", name);
  }
  return pv_fail(PV_ERR_EXISTS, "usb: %s: %d exports this second already", dir,
                 PV_USB_MAX_SUFFIX);
}

/* Writes responses.jsonl or sessions.jsonl as ex->files[slot]. */
static pv_err write_jsonl(exporter *ex, const char *rel, int sessions) {
  out_file f;
  uint64_t bytes = 0;
  pv_usb_file *entry = &ex->files[ex->n_files];
  pv_err err = of_open(&f, ex->root, rel);
  if (err)
    return err;
  err = sessions ? walk_sessions(ex, &f, &bytes, &ex->rep->sessions)
                 : walk_responses(ex, &f, &bytes, &ex->rep->responses);
  if (err) {
    of_abort(&f);
    return err;
  }
  if ((err = of_close(&f, entry)))
    return err;
  snprintf(entry->path, sizeof entry->path, "%s", rel);
  ex->rep->bytes += entry->size;
  ex->n_files++;
  return PV_OK;
}

/* Writes attachments/<sha> for every hash in ex->shas, checking that the
 * bytes still hash to their name. */
static pv_err write_attachments(exporter *ex) {
  pv_err err = PV_OK;
  shaset_compact(&ex->shas);
  for (size_t i = 0; !err && i < ex->shas.n; i++) {
    const char *sha = ex->shas.v[i];
    pv_usb_file *entry = &ex->files[ex->n_files];
    pv_store_blob blob = {0};
    out_file f;
    snprintf(entry->path, sizeof entry->path, PV_USB_ATTACHMENTS "/%s", sha);
    if ((err = pv_store_get_attachment(ex->st, sha, &blob))) {
      if (err == PV_ERR_NOTFOUND)
        err = pv_fail(PV_ERR_CORRUPT,
                      "usb: attachment %s, named by a response, is not in the store",
                      sha);
      break;
    }
    snprintf(entry->media_type, sizeof entry->media_type, "%s",
             blob.media_type[0] ? blob.media_type : "application/octet-stream");
    if (!(err = of_open(&f, ex->root, entry->path))) {
      if ((err = of_write(&f, blob.bytes, blob.size)))
        of_abort(&f);
      else
        err = of_close(&f, entry);
    }
    pv_store_blob_free(&blob);
    if (!err && strcmp(entry->sha256, sha) != 0)
      err = pv_fail(PV_ERR_CORRUPT, "usb: attachment %s in the store hashes to %s", sha,
                    entry->sha256);
    if (!err) {
      ex->rep->bytes += entry->size;
      ex->rep->attachments++;
      ex->n_files++;
    }
  }
  return err;
}

/* Returns the manifest's JSON (malloc'd), or NULL when out of memory. */
static char *manifest_json(const exporter *ex, const char *created_at) {
  char *text = NULL;
  cJSON *root = cJSON_CreateObject(), *counts = NULL, *files = NULL;
  int ok =
      root && cJSON_AddStringToObject(root, "format", PV_USB_FORMAT) &&
      cJSON_AddNumberToObject(root, "version", PV_USB_VERSION) &&
      cJSON_AddStringToObject(root, "device", pv_store_device_id(ex->st)) &&
      cJSON_AddStringToObject(root, "created_at", created_at) &&
      (counts = cJSON_AddObjectToObject(root, "counts")) &&
      cJSON_AddNumberToObject(counts, "responses", (double)ex->rep->responses) &&
      cJSON_AddNumberToObject(counts, "sessions", (double)ex->rep->sessions) &&
      cJSON_AddNumberToObject(counts, "attachments", (double)ex->rep->attachments) &&
      (files = cJSON_AddArrayToObject(root, "files"));
  for (size_t i = 0; ok && i < ex->n_files; i++) {
    const pv_usb_file *f = &ex->files[i];
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(files, o)) {
      cJSON_Delete(o);
      ok = 0;
      break;
    }
    ok = cJSON_AddStringToObject(o, "path", f->path) &&
         cJSON_AddStringToObject(o, "sha256", f->sha256) &&
         cJSON_AddNumberToObject(o, "size", (double)f->size) &&
         (!f->media_type[0] || cJSON_AddStringToObject(o, "media_type", f->media_type));
  }
  if (ok)
    text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}

/* Writes manifest.json last: temp, fsync, rename, folder fsync. */
static pv_err write_manifest(exporter *ex) {
  char iso[PV_STORE_TIME_LEN + 1], final[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2];
  pv_clock clock = pv_clock_system();
  pv_usb_file entry = {0};
  out_file f;
  pv_err err;
  pv_time_iso(pv_clock_now(&clock), iso);
  char *text = manifest_json(ex, iso);
  if (!text)
    return pv_fail(PV_ERR_NOMEM, "usb: out of memory for the manifest");
  if ((err = join(final, sizeof final, ex->root, PV_USB_MANIFEST)) ||
      (err = of_open(&f, ex->root, TMP_MANIFEST)))
    goto out;
  if ((err = of_write(&f, text, strlen(text))) || (err = of_write(&f, "\n", 1))) {
    of_abort(&f);
    goto out;
  }
  if ((err = of_close(&f, &entry)))
    goto out;
  if (rename(f.path, final) != 0) {
    err = sys_fail(errno, "rename", f.path);
    goto out;
  }
  ex->rep->bytes += entry.size;
  if ((err = sync_dir(ex->root)))
    goto out;
out:
  free(text);
  return err;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  if (flag == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

pv_err pv_usb_export(pv_store *st, const char *dir, pv_usb_report *rep) {
  exporter ex = {.st = st, .rep = rep};
  char attach_dir[PV_USB_MAX_PATH + 1];
  struct stat sb;
  pv_err err;
  PV_ASSERT(st && dir && rep);
  memset(rep, 0, sizeof *rep);

  if (stat(dir, &sb) != 0) {
    err = sys_fail(errno, "open folder", dir);
    if (err == PV_ERR_NOTFOUND)
      say_fr(rep, "Le dossier n'existe pas.");
    goto out;
  }
  if (!S_ISDIR(sb.st_mode)) {
    say_fr(rep, "Ce n'est pas un dossier : choisissez un dossier de la clé.");
    err = pv_fail(PV_ERR_STATE, "usb: %s is not a folder", dir);
    goto out;
  }
  /* Before reading the store: a read-only stick fails at once. */
  if (access(dir, W_OK) != 0) {
    err = sys_fail(errno, "write to", dir);
    goto out;
  }
  if ((err = check_room(&ex, dir)))
    goto out;
  ex.files = calloc(2, sizeof *ex.files);
  if (!ex.files) {
    err = pv_fail(PV_ERR_NOMEM, "usb: out of memory for the manifest");
    goto out;
  }
  /* Pass two finds the attachments again: the store may have moved on. */
  ex.shas.n = 0;
  if ((err = make_folder(&ex, dir)) || (err = write_jsonl(&ex, PV_USB_RESPONSES, 0)) ||
      (err = write_jsonl(&ex, PV_USB_SESSIONS, 1)))
    goto out;
  shaset_compact(&ex.shas);
  {
    pv_usb_file *grown = realloc(ex.files, (2 + ex.shas.n) * sizeof *ex.files);
    if (!grown) {
      err = pv_fail(PV_ERR_NOMEM, "usb: out of memory for the manifest");
      goto out;
    }
    ex.files = grown;
    memset(ex.files + 2, 0, ex.shas.n * sizeof *ex.files);
  }
  if ((err = write_attachments(&ex)) ||
      (err = join(attach_dir, sizeof attach_dir, ex.root, PV_USB_ATTACHMENTS)) ||
      (err = sync_dir(attach_dir)) || (err = write_manifest(&ex)) ||
      (err = sync_dir(dir)))
    goto out;
  snprintf(rep->folder, sizeof rep->folder, "%s", ex.root);
  snprintf(
      rep->message, sizeof rep->message,
      "usb: exported %zu responses, %zu sessions, %zu attachments (%llu bytes) to %s",
      rep->responses, rep->sessions, rep->attachments, (unsigned long long)rep->bytes,
      ex.root);
  snprintf(rep->message_fr, sizeof rep->message_fr,
           "Export terminé : %zu réponse%s, %zu séance%s, %zu fichier%s joint%s.",
           rep->responses, rep->responses == 1 ? "" : "s", rep->sessions,
           rep->sessions == 1 ? "" : "s", rep->attachments,
           rep->attachments == 1 ? "" : "s", rep->attachments == 1 ? "" : "s");
out:
  if (err) {
    const char *d = pv_err_detail();
    snprintf(rep->message, sizeof rep->message, "%s: %s", pv_strerror(err), d);
    say_fr(rep, "%s", generic_fr(err));
    if (ex.root[0])
      nftw(ex.root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    rep->folder[0] = '\0';
    rep->responses = rep->sessions = rep->attachments = 0;
    rep->bytes = 0;
  }
  shaset_free(&ex.shas);
  free(ex.files);
  return err;
}

/* ---- verify ---- */

/* Opens path (named rel in errors) for reading, only when it is a regular
 * file: never through a symbolic link, and without blocking, so a FIFO or
 * a device node planted on a stick cannot hang the reader (O_NONBLOCK is
 * cleared once fstat said S_ISREG). PV_ERR_NOTFOUND (detail "rel:
 * missing") when absent, PV_ERR_CORRUPT when not a regular file. *fd_out
 * is the caller's to close. */
static pv_err open_regular(const char *path, const char *rel, int *fd_out,
                           struct stat *sb) {
  pv_err err = PV_OK;
  int flags, fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  *fd_out = -1;
  if (fd < 0) {
    if (errno == ENOENT)
      return pv_fail(PV_ERR_NOTFOUND, "%s: missing", rel);
    if (errno == ELOOP)
      return pv_fail(PV_ERR_CORRUPT, "%s: a symbolic link, not a regular file", rel);
    return sys_fail(errno, "open", path);
  }
  if (fstat(fd, sb) != 0) {
    err = sys_fail(errno, "stat", path);
    goto out;
  }
  if (!S_ISREG(sb->st_mode)) {
    err = pv_fail(PV_ERR_CORRUPT, "%s: not a regular file (%s)", rel,
                  S_ISFIFO(sb->st_mode)                          ? "a FIFO"
                  : S_ISDIR(sb->st_mode)                         ? "a folder"
                  : S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode) ? "a device"
                                                                 : "a special file");
    goto out;
  }
  if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
    err = sys_fail(errno, "fcntl", path);
out:
  if (err)
    close(fd);
  else
    *fd_out = fd;
  return err;
}

/* Strict object reading: every child of o must be a key of keys[] (NULL
 * terminated), each at most once; found[i] gets keys[i]'s item or NULL. */
static pv_err pick_keys(const cJSON *o, const char *what, const char *const *keys,
                        const cJSON **found) {
  size_t n = 0;
  while (keys[n])
    found[n++] = NULL;
  if (!cJSON_IsObject(o))
    return pv_fail(PV_ERR_INVALID, "manifest.json: %s: expected an object", what);
  for (const cJSON *c = o->child; c; c = c->next) {
    size_t k = 0;
    while (keys[k] && strcmp(keys[k], c->string) != 0)
      k++;
    if (!keys[k])
      return pv_fail(PV_ERR_INVALID, "manifest.json: %s: unknown key \"%.40s\"", what,
                     c->string);
    if (found[k])
      return pv_fail(PV_ERR_INVALID, "manifest.json: %s: \"%s\" given twice", what,
                     keys[k]);
    found[k] = c;
  }
  return PV_OK;
}

/* A whole number in 0..max, or -1. */
static double whole(const cJSON *v, double max) {
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
      v->valuedouble != (double)(long long)v->valuedouble)
    return -1;
  return v->valuedouble;
}

/* A media type as a device stores it: printable ASCII with a '/'
 * ("audio/ogg; codecs=opus" too; the importer keeps what the PUT route
 * would). */
static int media_type_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > PV_STORE_MAX_MEDIA_TYPE || !strchr(s, '/'))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < ' ' || s[i] > '~')
      return 0;
  return 1;
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const pv_usb_file *)a)->path, ((const pv_usb_file *)b)->path);
}

/* Reads one files[] entry into f. */
static pv_err read_entry(const cJSON *o, size_t i, pv_usb_file *f) {
  static const char *const keys[] = {"path", "sha256", "size", "media_type", NULL};
  const cJSON *v[4];
  char what[32];
  pv_err err;
  snprintf(what, sizeof what, "files[%zu]", i);
  if ((err = pick_keys(o, what, keys, v)))
    return err;
  if (!cJSON_IsString(v[0]) || strlen(v[0]->valuestring) > PV_USB_MAX_REL)
    return pv_fail(PV_ERR_INVALID, "manifest.json: %s.path: expected a file name",
                   what);
  snprintf(f->path, sizeof f->path, "%s", v[0]->valuestring);
  if (!cJSON_IsString(v[1]) || !pv_sha256_valid(v[1]->valuestring))
    return pv_fail(PV_ERR_INVALID,
                   "manifest.json: %s (%s): sha256: expected 64 "
                   "lowercase hex digits",
                   what, f->path);
  snprintf(f->sha256, sizeof f->sha256, "%s", v[1]->valuestring);
  double size = whole(v[2], 9007199254740992.0);
  if (size < 0)
    return pv_fail(PV_ERR_INVALID,
                   "manifest.json: %s (%s): size: expected a whole "
                   "number of bytes",
                   what, f->path);
  f->size = (uint64_t)size;
  int is_attachment =
      strncmp(f->path, PV_USB_ATTACHMENTS "/", sizeof PV_USB_ATTACHMENTS) == 0;
  if (is_attachment) {
    const char *name = f->path + sizeof PV_USB_ATTACHMENTS;
    if (strcmp(name, f->sha256) != 0)
      return pv_fail(PV_ERR_INVALID,
                     "manifest.json: %s: an attachment is named by its "
                     "sha256",
                     f->path);
    if (f->size == 0 || f->size > PV_STORE_MAX_ATTACHMENT)
      return pv_fail(PV_ERR_TOOBIG, "manifest.json: %s: size %llu out of 1..%d",
                     f->path, (unsigned long long)f->size, PV_STORE_MAX_ATTACHMENT);
    if (!cJSON_IsString(v[3]) || !media_type_ok(v[3]->valuestring))
      return pv_fail(PV_ERR_INVALID,
                     "manifest.json: %s: media_type: expected a media "
                     "type such as image/png",
                     f->path);
    snprintf(f->media_type, sizeof f->media_type, "%s", v[3]->valuestring);
  } else if (strcmp(f->path, PV_USB_RESPONSES) != 0 &&
             strcmp(f->path, PV_USB_SESSIONS) != 0) {
    return pv_fail(PV_ERR_INVALID,
                   "manifest.json: %s: \"%.80s\" is not a file an export "
                   "holds",
                   what, f->path);
  } else if (v[3]) {
    return pv_fail(PV_ERR_INVALID, "manifest.json: %s: media_type is for attachments",
                   f->path);
  } else if (f->size > PV_USB_MAX_JSONL) {
    return pv_fail(PV_ERR_TOOBIG, "manifest.json: %s: size %llu over %d bytes", f->path,
                   (unsigned long long)f->size, PV_USB_MAX_JSONL);
  }
  return PV_OK;
}

/* Parses the manifest text into *m (files sorted by path). */
static pv_err parse_manifest(const char *text, size_t len, pv_usb_manifest *m) {
  static const char *const keys[] = {"format", "version", "device", "created_at",
                                     "counts", "files",   NULL};
  static const char *const count_keys[] = {"responses", "sessions", "attachments",
                                           NULL};
  const cJSON *v[6], *c[3];
  pv_err err = PV_OK;
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root)
    return pv_fail(PV_ERR_INVALID, "manifest.json: not JSON");
  if ((err = pick_keys(root, "top level", keys, v)))
    goto out;
  if (!cJSON_IsString(v[0]) || strcmp(v[0]->valuestring, PV_USB_FORMAT) != 0) {
    err = pv_fail(PV_ERR_INVALID, "manifest.json: format: expected \"%s\"",
                  PV_USB_FORMAT);
    goto out;
  }
  double version = whole(v[1], 1e6);
  if (version < 1) {
    err = pv_fail(PV_ERR_INVALID, "manifest.json: version: expected a whole number");
    goto out;
  }
  m->version = (int)version;
  if (m->version > PV_USB_VERSION) {
    err = pv_fail(PV_ERR_FOREIGN,
                  "manifest.json: format version %d is newer than this "
                  "program's (%d): update it",
                  m->version, PV_USB_VERSION);
    goto out;
  }
  if (!cJSON_IsString(v[2]) || !pv_uuid_valid(v[2]->valuestring)) {
    err = pv_fail(PV_ERR_INVALID, "manifest.json: device: expected a UUID");
    goto out;
  }
  snprintf(m->device, sizeof m->device, "%s", v[2]->valuestring);
  if (!cJSON_IsString(v[3]) || !pv_proto_time_valid(v[3]->valuestring)) {
    err = pv_fail(PV_ERR_INVALID,
                  "manifest.json: created_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ");
    goto out;
  }
  snprintf(m->created_at, sizeof m->created_at, "%s", v[3]->valuestring);
  if ((err = pick_keys(v[4], "counts", count_keys, c)))
    goto out;
  double counts[3];
  for (size_t k = 0; k < 3; k++)
    if ((counts[k] = whole(c[k], 1e15)) < 0) {
      err = pv_fail(PV_ERR_INVALID, "manifest.json: counts.%s: expected a whole number",
                    count_keys[k]);
      goto out;
    }
  m->responses = (size_t)counts[0];
  m->sessions = (size_t)counts[1];
  m->attachments = (size_t)counts[2];
  if (!cJSON_IsArray(v[5])) {
    err = pv_fail(PV_ERR_INVALID, "manifest.json: files: expected an array");
    goto out;
  }
  size_t n = (size_t)cJSON_GetArraySize(v[5]);
  if (n > 2 + PV_USB_MAX_ATTACHMENTS) {
    err = pv_fail(PV_ERR_TOOBIG, "manifest.json: over %d files",
                  2 + PV_USB_MAX_ATTACHMENTS);
    goto out;
  }
  if (n && !(m->files = calloc(n, sizeof *m->files))) {
    err = pv_fail(PV_ERR_NOMEM, "manifest.json: out of memory");
    goto out;
  }
  size_t i = 0, attachments = 0;
  for (const cJSON *o = v[5]->child; o; o = o->next, i++) {
    if ((err = read_entry(o, i, &m->files[i])))
      goto out;
    attachments += m->files[i].media_type[0] != '\0';
  }
  m->n_files = n;
  qsort(m->files, n, sizeof *m->files, by_path);
  for (i = 1; i < n; i++)
    if (strcmp(m->files[i].path, m->files[i - 1].path) == 0) {
      err = pv_fail(PV_ERR_INVALID, "manifest.json: %s listed twice", m->files[i].path);
      goto out;
    }
  if (!bsearch(&(pv_usb_file){.path = PV_USB_RESPONSES}, m->files, n, sizeof *m->files,
               by_path) ||
      !bsearch(&(pv_usb_file){.path = PV_USB_SESSIONS}, m->files, n, sizeof *m->files,
               by_path)) {
    err = pv_fail(PV_ERR_INVALID, "manifest.json: files: %s and %s must be listed",
                  PV_USB_RESPONSES, PV_USB_SESSIONS);
    goto out;
  }
  if (attachments != m->attachments) {
    err = pv_fail(PV_ERR_CORRUPT, "manifest.json: lists %zu attachments, counts %zu",
                  attachments, m->attachments);
    goto out;
  }
out:
  cJSON_Delete(root);
  return err;
}

/* Reads root/manifest.json whole (bounded) into a malloc'd, NUL-ended buffer. */
static pv_err read_manifest(const char *root, char **out, size_t *len) {
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2];
  struct stat sb;
  pv_err err = join(path, sizeof path, root, PV_USB_MANIFEST);
  char *buf = NULL;
  int fd = -1;
  if (err)
    return err;
  if ((err = open_regular(path, path, &fd, &sb))) {
    if (err == PV_ERR_NOTFOUND)
      return pv_fail(PV_ERR_NOTFOUND,
                     "%s: missing: an unfinished export, or not an "
                     "export folder",
                     path);
    return err;
  }
  if (sb.st_size > PV_USB_MAX_MANIFEST) {
    err = pv_fail(PV_ERR_TOOBIG, "%s: over %d bytes", path, PV_USB_MAX_MANIFEST);
    goto out;
  }
  if (!(buf = malloc((size_t)sb.st_size + 1))) {
    err = pv_fail(PV_ERR_NOMEM, "%s: out of memory", path);
    goto out;
  }
  size_t got = 0;
  while (got < (size_t)sb.st_size) {
    ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      err = n < 0 ? sys_fail(errno, "read", path)
                  : pv_fail(PV_ERR_IO, "%s: shorter than its size", path);
      goto out;
    }
    got += (size_t)n;
  }
  buf[got] = '\0';
  *out = buf;
  *len = got;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return err;
}

/* Checks one listed file: a regular file of the listed size and SHA-256;
 * for a .jsonl, its line count against want_lines. */
static pv_err check_file(const char *root, const pv_usb_file *f, int jsonl,
                         size_t want_lines) {
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2], got[PV_SHA256_HEX + 1];
  struct stat sb;
  pv_sha256 *h = NULL;
  unsigned char *buf = NULL;
  uint64_t total = 0;
  size_t lines = 0;
  int last = '\n';
  pv_err err = join(path, sizeof path, root, f->path);
  int fd = -1;
  if (err)
    return err;
  if ((err = open_regular(path, f->path, &fd, &sb))) {
    if (err == PV_ERR_NOTFOUND)
      return pv_fail(PV_ERR_NOTFOUND, "%s: listed in the manifest but missing",
                     f->path);
    return err;
  }
  if ((uint64_t)sb.st_size != f->size) {
    err = pv_fail(PV_ERR_CORRUPT, "%s: %llu bytes, the manifest says %llu", f->path,
                  (unsigned long long)sb.st_size, (unsigned long long)f->size);
    goto out;
  }
  if (!(h = pv_sha256_new()) || !(buf = malloc(IO_CHUNK))) {
    err = pv_fail(PV_ERR_NOMEM, "%s: out of memory", f->path);
    goto out;
  }
  for (;;) {
    ssize_t n = read(fd, buf, IO_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err = sys_fail(errno, "read", path);
      goto out;
    }
    if (n == 0)
      break;
    pv_sha256_update(h, buf, (size_t)n);
    total += (uint64_t)n;
    for (ssize_t i = 0; jsonl && i < n; i++)
      lines += buf[i] == '\n';
    last = buf[n - 1];
  }
  pv_sha256_final(h, got);
  h = NULL;
  if (total != f->size || strcmp(got, f->sha256) != 0) {
    err = pv_fail(PV_ERR_CORRUPT,
                  "%s: SHA-256 differs from the manifest (the file changed or is "
                  "damaged)",
                  f->path);
    goto out;
  }
  if (jsonl && (last != '\n' || lines != want_lines)) {
    err = pv_fail(PV_ERR_CORRUPT, "%s: %zu lines%s, the manifest counts %zu", f->path,
                  lines, last != '\n' ? " (the last one unfinished)" : "", want_lines);
    goto out;
  }
out:
  if (h)
    pv_sha256_final(h, got);
  free(buf);
  close(fd);
  return err;
}

/* What macOS and Windows leave in any folder they touched, besides
 * dot-files (._manifest.json, .DS_Store, .Trashes, .fseventsd,
 * .Spotlight-V100...). Skipping them is safe: only listed files are read. */
static const char *const foreign_litter[] = {"Thumbs.db", "desktop.ini"};

/* 1 when name is such litter: a dot-file or a name above (any case). */
static int is_litter(const char *name) {
  if (name[0] == '.')
    return 1;
  for (size_t i = 0; i < sizeof foreign_litter / sizeof *foreign_litter; i++)
    if (strcasecmp(name, foreign_litter[i]) == 0)
      return 1;
  return 0;
}

/* Every entry of folder rel (root itself when rel is "") must be listed,
 * litter aside (is_litter); attachments/ is walked the same way. */
static pv_err check_unlisted(const char *root, const char *rel,
                             const pv_usb_manifest *m) {
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2];
  pv_err err = PV_OK;
  if (*rel)
    err = join(path, sizeof path, root, rel);
  else
    snprintf(path, sizeof path, "%s", root);
  if (err)
    return err;
  DIR *d = opendir(path);
  if (!d)
    return sys_fail(errno, "open folder", path);
  struct dirent *e;
  while (!err && (e = readdir(d)) != NULL) {
    pv_usb_file key = {0};
    if (is_litter(e->d_name)) /* ".", ".." too */
      continue;
    if (!*rel && strcmp(e->d_name, PV_USB_MANIFEST) == 0)
      continue;
    if (!*rel && strcmp(e->d_name, PV_USB_ATTACHMENTS) == 0) {
      struct stat sb;
      char sub[sizeof path];
      if ((err = join(sub, sizeof sub, root, PV_USB_ATTACHMENTS)))
        break;
      if (lstat(sub, &sb) != 0 || !S_ISDIR(sb.st_mode))
        err = pv_fail(PV_ERR_CORRUPT, "%s: not a folder", PV_USB_ATTACHMENTS);
      else
        err = check_unlisted(root, PV_USB_ATTACHMENTS, m);
      continue;
    }
    if ((size_t)snprintf(key.path, sizeof key.path, "%s%s%s", rel, *rel ? "/" : "",
                         e->d_name) >= sizeof key.path ||
        !bsearch(&key, m->files, m->n_files, sizeof *m->files, by_path))
      err = pv_fail(PV_ERR_CORRUPT, "%s%s%.200s: not listed in the manifest", rel,
                    *rel ? "/" : "", e->d_name);
  }
  closedir(d);
  return err;
}

pv_err pv_usb_verify(const char *export_dir, pv_usb_manifest *out) {
  char *text = NULL;
  size_t len = 0;
  pv_err err;
  PV_ASSERT(export_dir && out);
  memset(out, 0, sizeof *out);
  if ((err = read_manifest(export_dir, &text, &len)) ||
      (err = parse_manifest(text, len, out)))
    goto out;
  for (size_t i = 0; !err && i < out->n_files; i++) {
    const pv_usb_file *f = &out->files[i];
    int responses = strcmp(f->path, PV_USB_RESPONSES) == 0;
    int sessions = strcmp(f->path, PV_USB_SESSIONS) == 0;
    err = check_file(export_dir, f, responses || sessions,
                     responses ? out->responses : out->sessions);
  }
  if (!err)
    err = check_unlisted(export_dir, "", out);
out:
  free(text);
  return err;
}

pv_err pv_usb_load(const char *export_dir, const pv_usb_file *f, unsigned char **out) {
  char path[PV_USB_MAX_PATH + PV_USB_MAX_REL + 2], got[PV_SHA256_HEX + 1];
  struct stat sb;
  unsigned char *buf = NULL;
  size_t len = 0;
  int fd = -1;
  uint64_t max = f->media_type[0] ? PV_STORE_MAX_ATTACHMENT : PV_USB_MAX_JSONL;
  PV_ASSERT(export_dir && f && out);
  *out = NULL;
  pv_err err = join(path, sizeof path, export_dir, f->path);
  if (err)
    return err;
  if (f->size > max)
    return pv_fail(PV_ERR_TOOBIG, "%s: size %llu over %llu bytes", f->path,
                   (unsigned long long)f->size, (unsigned long long)max);
  if ((err = open_regular(path, f->path, &fd, &sb)))
    return err;
  /* One byte more than listed, to see a file that grew since. */
  if (!(buf = malloc((size_t)f->size + 2))) {
    err = pv_fail(PV_ERR_NOMEM, "%s: out of memory", f->path);
    goto out;
  }
  for (;;) {
    ssize_t n = read(fd, buf + len, (size_t)f->size + 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err = sys_fail(errno, "read", path);
      goto out;
    }
    if (n == 0 || (len += (size_t)n) > f->size)
      break;
  }
  if ((err = pv_sha256_hex(buf, len, got)))
    goto out;
  if (len != f->size || strcmp(got, f->sha256) != 0) {
    err = pv_fail(PV_ERR_CORRUPT, "%s: changed since it was checked, or damaged",
                  f->path);
    goto out;
  }
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
out:
  free(buf);
  if (fd >= 0)
    close(fd);
  return err;
}

void pv_usb_manifest_free(pv_usb_manifest *m) {
  if (!m)
    return;
  free(m->files);
  m->files = NULL;
  m->n_files = 0;
}
