/* test_usb: the USB export folder (sync/usb.h) on temporary folders with a
 * real device store: its layout (responses.jsonl in the protocol's
 * canonical JSON, sessions.jsonl, attachments by SHA-256, manifest.json
 * written last), pv_usb_verify catching a flipped byte, an extra file, a
 * missing file and a malformed manifest, and the failures an animateur
 * meets (missing folder, read-only folder, full disk) each giving a clear
 * French sentence, leaving no partial folder and the store unchanged.
 * Hostile or odd sticks: a FIFO in place of any file is refused at once,
 * naming it (an alarm fails the test if anything blocks); what macOS and
 * Windows leave (._*, .DS_Store, Thumbs.db...) is ignored; pv_usb_load
 * hands over only bytes that match the manifest, even when the file is
 * swapped after pv_usb_verify. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/store.h"
#include "sync/protocol.h"
#include "sync/usb.h"
#include "tests/check.h"

#define T0 INT64_C(1795435200000) /* 2026-11-23T10:00:00.000Z */
#define MINUTE_MS INT64_C(60000)

static int64_t now_ms = T0;
static char dir[256], kdb[512];
static pv_store *st;
static char r_session[PV_UUID_LEN + 1], r_attach[PV_UUID_LEN + 1];
static char r_abandoned[PV_UUID_LEN + 1], r_shared[PV_UUID_LEN + 1];
static char r_open[PV_UUID_LEN + 1], session[PV_UUID_LEN + 1];
static char sha_png[PV_SHA256_HEX + 1], sha_voice[PV_SHA256_HEX + 1];

static const unsigned char png[] = {0x89, 'P',  'N', 'G', '\r', '\n',
                                    0x1a, '\n', 1,   2,   3};
static const unsigned char voice[] = "RIFF....WAVEfmt voice bytes";

static void tick(void) {
  now_ms += MINUTE_MS;
}

/* The device: a table de quartier with one Arabic text answer (acknowledged
 * already), a drawing and a voice note, an abandoned response, one sharing
 * the drawing, and one still in progress (never exported). */
static void make_store(void) {
  pv_clock clock = pv_clock_virtual(&now_ms);
  pv_store_session info = {0};
  char sha[PV_SHA256_HEX + 1];
  CHECK_INT(pv_store_open(kdb, &clock, &st), PV_OK);
  snprintf(info.kind, sizeof info.kind, "table_de_quartier");
  snprintf(info.place, sizeof info.place, "Maison pour tous Léo Lagrange");
  snprintf(info.qpv_code, sizeof info.qpv_code, "QN03401M");
  snprintf(info.qpv_name, sizeof info.qpv_name, "Mosson");
  snprintf(info.animateur, sizeof info.animateur, "AB");
  CHECK_INT(pv_store_session_begin(st, &info, session), PV_OK);
  tick();
  CHECK_INT(pv_store_begin(st, "lien-social", 1, session, "ar", r_session), PV_OK);
  CHECK_INT(pv_store_put_answer(st, r_session, "idee", "\"الدرج مظلم في المساء\"",
                                PV_QUALITATIVE),
            PV_OK);
  CHECK_INT(pv_store_finish(st, r_session), PV_OK);
  tick();
  CHECK_INT(pv_store_session_end(st, session), PV_OK);
  CHECK_INT(pv_store_begin(st, "tranquillite", 1, NULL, "fr", r_attach), PV_OK);
  CHECK_INT(pv_store_put_answer(st, r_attach, "securite", "4", PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_put_attachment(st, r_attach, "dessin", "image/png", png,
                                    sizeof png, sha_png),
            PV_OK);
  CHECK_INT(pv_store_put_attachment(st, r_attach, "idees", "audio/wav; codecs=1", voice,
                                    sizeof voice, sha_voice),
            PV_OK);
  CHECK_INT(pv_store_finish(st, r_attach), PV_OK);
  tick();
  CHECK_INT(pv_store_begin(st, "tranquillite", 1, NULL, "fr", r_abandoned), PV_OK);
  CHECK_INT(pv_store_put_answer(st, r_abandoned, "securite", "2", PV_QUANTITATIVE),
            PV_OK);
  CHECK_INT(pv_store_abandon(st, r_abandoned), PV_OK);
  tick();
  CHECK_INT(pv_store_begin(st, "tranquillite", 1, NULL, "fr", r_shared), PV_OK);
  CHECK_INT(pv_store_put_attachment(st, r_shared, "dessin", "image/png", png,
                                    sizeof png, sha),
            PV_OK);
  CHECK_STR(sha, sha_png);
  CHECK_INT(pv_store_finish(st, r_shared), PV_OK);
  tick();
  CHECK_INT(pv_store_begin(st, "tranquillite", 1, NULL, "fr", r_open), PV_OK);
  const char *acked[] = {r_session};
  CHECK_INT(pv_store_ack(st, acked, 1), PV_OK);
}

/* What the store says: counts, and how many are pending and unsynced. */
typedef struct snapshot {
  pv_store_counts counts;
  size_t pending;
  char synced_at[PV_STORE_TIME_LEN + 1];
} snapshot;

static snapshot snap(void) {
  snapshot s = {0};
  pv_store_batch b = {0};
  pv_store_response r = {0};
  CHECK_INT(pv_store_count(st, NULL, &s.counts), PV_OK);
  CHECK_INT(pv_store_pending(st, PV_STORE_MAX_BATCH, &b), PV_OK);
  s.pending = b.count;
  pv_store_batch_free(&b);
  CHECK_INT(pv_store_get_response(st, r_attach, &r), PV_OK);
  snprintf(s.synced_at, sizeof s.synced_at, "%s", r.synced_at);
  pv_store_response_free(&r);
  return s;
}

/* The store is as it was: same counts, nothing acknowledged by an export. */
static void check_unchanged(const snapshot *before, int line) {
  snapshot now = snap();
  if (memcmp(&now.counts, &before->counts, sizeof now.counts) != 0 ||
      now.pending != before->pending || strcmp(now.synced_at, before->synced_at) != 0)
    pv_test_fail(__FILE__, line,
                 "the store changed: %zu pending (was %zu), %zu synced "
                 "(was %zu)",
                 now.counts.pending, before->counts.pending, now.counts.synced,
                 before->counts.synced);
  else
    pv_test_passed++;
}

/* Number of entries in a folder (".", ".." aside), -1 if it cannot be read. */
static int entries(const char *path) {
  DIR *d = opendir(path);
  int n = 0;
  if (!d)
    return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

static char *read_in(const char *folder, const char *rel, size_t *len) {
  char path[1600];
  snprintf(path, sizeof path, "%s/%s", folder, rel);
  return pv_test_read(path, len);
}

/* The layout and the content of a good export. */
static void test_layout(const char *folder) {
  size_t len = 0;
  char *text;
  /* responses.jsonl: every finished response, synced or not, oldest
   * first, each the canonical JSON sync sends. */
  pv_store_batch b = {0};
  char want[1 << 14] = "";
  size_t w = 0;
  CHECK_INT(pv_store_finished_after(st, NULL, PV_STORE_MAX_BATCH, NULL, NULL, &b),
            PV_OK);
  CHECK_INT(b.count, 4);
  for (size_t i = 0; i < b.count; i++) {
    char *json = pv_proto_response_encode(&b.responses[i]);
    w += (size_t)snprintf(want + w, sizeof want - w, "%s\n", json);
    free(json);
  }
  pv_store_batch_free(&b);
  text = read_in(folder, PV_USB_RESPONSES, &len);
  CHECK_STR(text, want);
  CHECK_CONTAINS(text, "الدرج مظلم في المساء");
  CHECK(text && !strstr(text, r_open));
  free(text);
  /* sessions.jsonl: the session, canonical. */
  pv_store_session s = {0};
  CHECK_INT(pv_store_session_get(st, session, &s), PV_OK);
  char *json = pv_proto_session_encode(&s);
  snprintf(want, sizeof want, "%s\n", json ? json : "?");
  free(json);
  text = read_in(folder, PV_USB_SESSIONS, &len);
  CHECK_STR(text, want);
  free(text);
  /* attachments/<sha256>: each once, byte for byte. */
  char rel[128];
  snprintf(rel, sizeof rel, "attachments/%s", sha_png);
  text = read_in(folder, rel, &len);
  CHECK(text && len == sizeof png && memcmp(text, png, len) == 0);
  free(text);
  snprintf(rel, sizeof rel, "attachments/%s", sha_voice);
  text = read_in(folder, rel, &len);
  CHECK(text && len == sizeof voice && memcmp(text, voice, len) == 0);
  free(text);
  CHECK_INT(entries(folder), 4); /* 2 .jsonl, attachments/, manifest.json */
  char sub[1200];
  snprintf(sub, sizeof sub, "%s/attachments", folder);
  CHECK_INT(entries(sub), 2);
  /* The manifest: every file with its hash and size, the counts. */
  pv_usb_manifest m = {0};
  pv_err err = pv_usb_verify(folder, &m);
  if (err)
    fprintf(stderr, "verify: %s: %s\n", pv_strerror(err), pv_err_detail());
  CHECK_INT(err, PV_OK);
  CHECK_INT(m.version, PV_USB_VERSION);
  CHECK_STR(m.device, pv_store_device_id(st));
  CHECK_INT(m.responses, 4);
  CHECK_INT(m.sessions, 1);
  CHECK_INT(m.attachments, 2);
  CHECK_INT(m.n_files, 4);
  for (size_t i = 0; i < m.n_files; i++) {
    const pv_usb_file *f = &m.files[i];
    char *bytes = read_in(folder, f->path, &len);
    char hex[PV_SHA256_HEX + 1] = "";
    if (bytes)
      pv_sha256_hex(bytes, len, hex);
    CHECK_STR(hex, f->sha256);
    CHECK_INT(len, f->size);
    free(bytes);
    if (strstr(f->path, sha_voice))
      CHECK_STR(f->media_type, "audio/wav; codecs=1");
    if (strstr(f->path, sha_png))
      CHECK_STR(f->media_type, "image/png");
    if (!strchr(f->path, '/'))
      CHECK_STR(f->media_type, "");
  }
  pv_usb_manifest_free(&m);
  text = read_in(folder, PV_USB_MANIFEST, &len);
  CHECK_CONTAINS(text, "\"format\":\t\"porte-voix-usb\"");
  free(text);
}

/* Runs verify on folder; checks err and that the detail names what. */
static void verify_fails(const char *folder, pv_err want, const char *what, int line) {
  pv_usb_manifest m = {0};
  pv_err err = pv_usb_verify(folder, &m);
  pv_usb_manifest_free(&m);
  if (err != want || !strstr(pv_err_detail(), what))
    pv_test_fail(__FILE__, line, "verify: %s (%s), expected %s naming %s",
                 pv_strerror(err), pv_err_detail(), pv_strerror(want), what);
  else
    pv_test_passed++;
}

static void verify_ok(const char *folder, int line) {
  pv_usb_manifest m = {0};
  pv_err err = pv_usb_verify(folder, &m);
  pv_usb_manifest_free(&m);
  if (err)
    pv_test_fail(__FILE__, line, "verify: %s (%s)", pv_strerror(err), pv_err_detail());
  else
    pv_test_passed++;
}

static void write_file(const char *folder, const char *rel, const char *text) {
  char path[1600];
  snprintf(path, sizeof path, "%s/%s", folder, rel);
  pv_test_write(path, text, strlen(text));
}

/* Replaces the first occurrence of from by to in folder/rel. */
static void edit(const char *folder, const char *rel, const char *from,
                 const char *to) {
  size_t len = 0;
  char *text = read_in(folder, rel, &len), *at = text ? strstr(text, from) : NULL;
  CHECK(at != NULL);
  if (!at) {
    free(text);
    return;
  }
  size_t head = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
  char *out = malloc(len - fl + tl + 1);
  memcpy(out, text, head);
  memcpy(out + head, to, tl);
  memcpy(out + head + tl, at + fl, len - head - fl + 1);
  char path[1600];
  snprintf(path, sizeof path, "%s/%s", folder, rel);
  pv_test_write(path, out, strlen(out));
  free(out);
  free(text);
}

static void test_tamper(const char *folder) {
  char path[1600], away[1700], rel[128];
  size_t len = 0;
  /* A flipped byte in responses.jsonl. */
  char *orig = read_in(folder, PV_USB_RESPONSES, &len);
  CHECK(orig && len > 10);
  if (orig) {
    orig[len / 2] ^= 0x01;
    snprintf(path, sizeof path, "%s/%s", folder, PV_USB_RESPONSES);
    pv_test_write(path, orig, len);
    verify_fails(folder, PV_ERR_CORRUPT, "responses.jsonl: SHA-256 differs", __LINE__);
    orig[len / 2] ^= 0x01;
    pv_test_write(path, orig, len);
  }
  free(orig);
  verify_ok(folder, __LINE__);
  /* A truncated attachment: the size says it first. */
  snprintf(rel, sizeof rel, "attachments/%s", sha_voice);
  write_file(folder, rel, "RIFF");
  verify_fails(folder, PV_ERR_CORRUPT, rel, __LINE__);
  snprintf(path, sizeof path, "%s/%s", folder, rel);
  pv_test_write(path, voice, sizeof voice);
  /* Extra files, at the top and among the attachments. */
  write_file(folder, "notes.txt", "hello");
  verify_fails(folder, PV_ERR_CORRUPT, "notes.txt: not listed", __LINE__);
  snprintf(path, sizeof path, "%s/notes.txt", folder);
  unlink(path);
  write_file(folder, "attachments/extra.bin", "x");
  verify_fails(folder, PV_ERR_CORRUPT, "attachments/extra.bin", __LINE__);
  snprintf(path, sizeof path, "%s/attachments/extra.bin", folder);
  unlink(path);
  /* A missing attachment, then a missing manifest (an unfinished export). */
  snprintf(rel, sizeof rel, "attachments/%s", sha_png);
  snprintf(path, sizeof path, "%s/%s", folder, rel);
  snprintf(away, sizeof away, "%s/../away.png", folder);
  CHECK_INT(rename(path, away), 0);
  verify_fails(folder, PV_ERR_NOTFOUND, rel, __LINE__);
  CHECK_INT(rename(away, path), 0);
  snprintf(path, sizeof path, "%s/%s", folder, PV_USB_MANIFEST);
  snprintf(away, sizeof away, "%s/../manifest.away", folder);
  CHECK_INT(rename(path, away), 0);
  verify_fails(folder, PV_ERR_NOTFOUND, "unfinished", __LINE__);
  CHECK_INT(rename(away, path), 0);
  verify_ok(folder, __LINE__);
  /* A manifest edited by hand: a hash, a count, a newer version, an
   * unknown key, not JSON. Each is put back before the next. */
  static const struct {
    const char *from, *to;
    pv_err err;
    const char *names;
  } edits[] = {
      {"\"responses\":\t4", "\"responses\":\t5", PV_ERR_CORRUPT,
       "responses.jsonl: 4 lines, the manifest counts 5"},
      {"\"version\":\t1", "\"version\":\t2", PV_ERR_FOREIGN, "newer"},
      {"\"format\":", "\"extra\":\t1,\n\t\"format\":", PV_ERR_INVALID, "unknown key"},
      {"\"files\":", "\"files\": [], \"files\":", PV_ERR_INVALID, "given twice"},
      {"{", "[", PV_ERR_INVALID, "manifest.json"},
      {"\"path\":\t\"sessions.jsonl\"", "\"path\":\t\"../sessions.jsonl\"",
       PV_ERR_INVALID, "../sessions.jsonl"},
  };
  char *manifest = read_in(folder, PV_USB_MANIFEST, &len);
  for (size_t i = 0; manifest && i < sizeof edits / sizeof *edits; i++) {
    edit(folder, PV_USB_MANIFEST, edits[i].from, edits[i].to);
    verify_fails(folder, edits[i].err, edits[i].names, __LINE__);
    write_file(folder, PV_USB_MANIFEST, manifest);
  }
  /* A hash in the manifest changed: the file no longer matches it. */
  pv_usb_manifest m = {0};
  CHECK_INT(pv_usb_verify(folder, &m), PV_OK);
  for (size_t i = 0; i < m.n_files; i++)
    if (strcmp(m.files[i].path, PV_USB_SESSIONS) == 0) {
      char flipped[PV_SHA256_HEX + 1];
      snprintf(flipped, sizeof flipped, "%s", m.files[i].sha256);
      flipped[0] = flipped[0] == '0' ? '1' : '0';
      edit(folder, PV_USB_MANIFEST, m.files[i].sha256, flipped);
      verify_fails(folder, PV_ERR_CORRUPT, "sessions.jsonl: SHA-256 differs", __LINE__);
      write_file(folder, PV_USB_MANIFEST, manifest);
    }
  pv_usb_manifest_free(&m);
  free(manifest);
  verify_ok(folder, __LINE__);
}

/* What macOS and Windows leave on a stick they touched is ignored; any
 * other unlisted file is still refused. */
static void test_litter(const char *folder) {
  static const char *const litter[] = {
      "._manifest.json",
      "._responses.jsonl",
      ".DS_Store",
      ".Trashes/501/x",
      ".fseventsd/fseventsd-uuid",
      ".Spotlight-V100/Store-V2/a",
      "Thumbs.db",
      "desktop.ini",
      "THUMBS.DB",
      "attachments/._x",
      "attachments/.DS_Store",
      "attachments/Thumbs.db",
  };
  char path[1600];
  for (size_t i = 0; i < sizeof litter / sizeof *litter; i++)
    write_file(folder, litter[i], "litter");
  verify_ok(folder, __LINE__);
  write_file(folder, "attachments/Thumbs.db.txt", "x");
  verify_fails(folder, PV_ERR_CORRUPT, "attachments/Thumbs.db.txt: not listed",
               __LINE__);
  snprintf(path, sizeof path, "%s/attachments/Thumbs.db.txt", folder);
  unlink(path);
  write_file(folder, "notes.txt", "hello");
  verify_fails(folder, PV_ERR_CORRUPT, "notes.txt: not listed", __LINE__);
  snprintf(path, sizeof path, "%s/notes.txt", folder);
  unlink(path);
  for (size_t i = 0; i < sizeof litter / sizeof *litter; i++) {
    snprintf(path, sizeof path, "%s/%s", folder, litter[i]);
    unlink(path);
  }
  static const char *const dirs[] = {".Spotlight-V100/Store-V2", ".Spotlight-V100",
                                     ".Trashes/501", ".Trashes", ".fseventsd"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(path, sizeof path, "%s/%s", folder, dirs[i]);
    CHECK_INT(rmdir(path), 0);
  }
  verify_ok(folder, __LINE__);
}

/* A FIFO in place of each file a folder lists: refused at once (opened
 * without blocking), naming the file; a symbolic link likewise. */
static void test_special(const char *folder) {
  char att[128], path[1600], away[1700];
  snprintf(att, sizeof att, "attachments/%s", sha_png);
  const char *const files[] = {PV_USB_MANIFEST, PV_USB_RESPONSES, PV_USB_SESSIONS, att};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char want[200];
    snprintf(path, sizeof path, "%s/%s", folder, files[i]);
    snprintf(away, sizeof away, "%s/../special.away", folder);
    CHECK_INT(rename(path, away), 0);
    CHECK_INT(mkfifo(path, 0644), 0);
    snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", files[i]);
    verify_fails(folder, PV_ERR_CORRUPT, want, __LINE__);
    CHECK_INT(unlink(path), 0);
    CHECK_INT(symlink(away, path), 0);
    snprintf(want, sizeof want, "%s: a symbolic link", files[i]);
    verify_fails(folder, PV_ERR_CORRUPT, want, __LINE__);
    CHECK_INT(unlink(path), 0);
    CHECK_INT(rename(away, path), 0);
  }
  verify_ok(folder, __LINE__);
}

/* pv_usb_load: the bytes it returns are the bytes it hashed. A file
 * swapped after pv_usb_verify (same size or not, or a FIFO) is refused. */
static void test_load(const char *folder) {
  pv_usb_manifest m = {0};
  char path[1600], away[1700];
  CHECK_INT(pv_usb_verify(folder, &m), PV_OK);
  for (size_t i = 0; i < m.n_files; i++) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    char got[PV_SHA256_HEX + 1];
    char *disk = read_in(folder, m.files[i].path, &len);
    CHECK_INT(pv_usb_load(folder, &m.files[i], &bytes), PV_OK);
    CHECK(bytes && disk && len == m.files[i].size && memcmp(bytes, disk, len) == 0);
    CHECK(bytes && bytes[len] == '\0');
    if (bytes)
      CHECK_INT(pv_sha256_hex(bytes, len, got), PV_OK);
    CHECK_STR(got, m.files[i].sha256);
    free(bytes);
    free(disk);
  }
  const pv_usb_file *f = NULL;
  for (size_t i = 0; i < m.n_files; i++)
    if (strcmp(m.files[i].path, PV_USB_RESPONSES) == 0)
      f = &m.files[i];
  CHECK(f != NULL);
  size_t len = 0;
  char *orig = f ? read_in(folder, f->path, &len) : NULL;
  CHECK(orig && len > 10);
  if (f && orig) {
    unsigned char *bytes = (unsigned char *)"untouched";
    snprintf(path, sizeof path, "%s/%s", folder, f->path);
    /* Same size, one byte changed. */
    orig[len / 2] ^= 0x01;
    pv_test_write(path, orig, len);
    CHECK_INT(pv_usb_load(folder, f, &bytes), PV_ERR_CORRUPT);
    CHECK_CONTAINS(pv_err_detail(), "responses.jsonl: changed since it was checked");
    CHECK(bytes == NULL);
    orig[len / 2] ^= 0x01;
    /* Grown by a line. */
    pv_test_write(path, orig, len);
    FILE *fp = fopen(path, "a");
    CHECK(fp != NULL);
    if (fp) {
      fputs("{}\n", fp);
      fclose(fp);
    }
    CHECK_INT(pv_usb_load(folder, f, &bytes), PV_ERR_CORRUPT);
    /* A FIFO. */
    snprintf(away, sizeof away, "%s/../load.away", folder);
    CHECK_INT(unlink(path), 0);
    CHECK_INT(mkfifo(path, 0644), 0);
    CHECK_INT(pv_usb_load(folder, f, &bytes), PV_ERR_CORRUPT);
    CHECK_CONTAINS(pv_err_detail(), "responses.jsonl: not a regular file (a FIFO)");
    CHECK_INT(unlink(path), 0);
    pv_test_write(path, orig, len);
    CHECK_INT(pv_usb_load(folder, f, &bytes), PV_OK);
    free(bytes);
  }
  free(orig);
  pv_usb_manifest_free(&m);
  verify_ok(folder, __LINE__);
}

/* A failed export: err, the French sentence, no folder left behind. */
static void export_fails(const char *out, pv_err want, const char *fr, int line) {
  pv_usb_report rep;
  int before = entries(out);
  pv_err err = pv_usb_export(st, out, &rep);
  if (err != want || !strstr(rep.message_fr, fr) || rep.folder[0] ||
      entries(out) != before || !rep.message[0])
    pv_test_fail(__FILE__, line, "export to %s: %s (%s / %s), expected %s and \"%s\"",
                 out, pv_strerror(err), rep.message, rep.message_fr, pv_strerror(want),
                 fr);
  else
    pv_test_passed++;
}

static void test_failures(const snapshot *before) {
  char out[512];
  /* A folder that does not exist (the stick was pulled). */
  snprintf(out, sizeof out, "%s/no-such-stick", dir);
  export_fails(out, PV_ERR_NOTFOUND, "Le dossier n'existe pas.", __LINE__);
  check_unchanged(before, __LINE__);
  /* A file where a folder should be. */
  snprintf(out, sizeof out, "%s/a-file", dir);
  pv_test_write(out, "x", 1);
  export_fails(out, PV_ERR_STATE, "n'est pas un dossier", __LINE__);
  /* A read-only folder. Root writes anyway, so as root the export runs in
   * a child that drops to nobody (the store's connection is only used
   * after the folder check, which fails first). */
  snprintf(out, sizeof out, "%s/read-only", dir);
  CHECK_INT(mkdir(out, 0755), 0);
  CHECK_INT(chmod(out, 0555), 0);
  if (geteuid() != 0) {
    export_fails(out, PV_ERR_STATE, "La clé est en lecture seule.", __LINE__);
  } else {
    CHECK_INT(chmod(dir, 0755), 0);
    pid_t pid = fork();
    if (pid == 0) {
      pv_usb_report rep;
      if (setgid(65534) != 0 || setuid(65534) != 0)
        _exit(3);
      pv_err err = pv_usb_export(st, out, &rep);
      _exit(err == PV_ERR_STATE &&
                    strcmp(rep.message_fr, "La clé est en lecture seule.") == 0
                ? 0
                : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT(chmod(dir, 0700), 0);
  }
  CHECK_INT(entries(out), 0);
  check_unchanged(before, __LINE__);
  /* A full stick, as writes fail on one: the partial folder goes away. */
  snprintf(out, sizeof out, "%s/full", dir);
  CHECK_INT(mkdir(out, 0755), 0);
  pv_usb_report rep;
  pv_test_disk_full(1);
  pv_err err = pv_usb_export(st, out, &rep);
  pv_test_disk_full(0);
  CHECK_INT(err, PV_ERR_FULL);
  CHECK_CONTAINS(rep.message_fr, "La clé USB est pleine");
  CHECK_CONTAINS(rep.message, "disk full");
  CHECK_CONTAINS(rep.message, "write"); /* past the statvfs check, mid-write */
  CHECK_INT(rep.missing, 0);
  CHECK_STR(rep.folder, "");
  CHECK_INT(entries(out), 0);
  check_unchanged(before, __LINE__);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  snprintf(kdb, sizeof kdb, "%s/kiosk.db", dir);
  alarm(120); /* a blocking open on a FIFO must fail the test, not hang it */
  make_store();
  snapshot before = snap();
  CHECK_INT(before.counts.synced, 1);
  CHECK_INT(before.pending, 3);

  char out[512];
  snprintf(out, sizeof out, "%s/stick", dir);
  CHECK_INT(mkdir(out, 0755), 0);
  pv_usb_report rep, again;
  pv_err err = pv_usb_export(st, out, &rep);
  if (err)
    fprintf(stderr, "export: %s\n", rep.message);
  CHECK_INT(err, PV_OK);
  CHECK_INT(rep.responses, 4);
  CHECK_INT(rep.sessions, 1);
  CHECK_INT(rep.attachments, 2);
  CHECK(rep.bytes > sizeof png + sizeof voice);
  CHECK_STR(rep.message_fr,
            "Export terminé : 4 réponses, 1 séance, 2 fichiers joints.");
  char prefix[700];
  snprintf(prefix, sizeof prefix, "%s/porte-voix-%s-", out, pv_store_device_id(st));
  CHECK(strncmp(rep.folder, prefix, strlen(prefix)) == 0);
  /* "...-YYYYMMDDTHHMMSSZ": no ':' a FAT stick would refuse. */
  CHECK(strlen(rep.folder) >= strlen(prefix) + 16 &&
        !strchr(rep.folder + strlen(dir), ':'));
  check_unchanged(&before, __LINE__);
  test_layout(rep.folder);

  /* A second export never overwrites the first. */
  CHECK_INT(pv_usb_export(st, out, &again), PV_OK);
  CHECK(strcmp(again.folder, rep.folder) != 0);
  CHECK_INT(entries(out), 2);
  check_unchanged(&before, __LINE__);

  test_tamper(rep.folder);
  test_litter(rep.folder);
  test_special(rep.folder);
  test_load(rep.folder);
  test_failures(&before);

  pv_store_close(st);
  pv_test_rmtree(dir);
  return pv_test_done();
}
