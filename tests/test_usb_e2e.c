/* test_usb_e2e: USB export and import with the real programs, checked
 * against a network sync of the same device.
 *
 * Two collectors publish the sample surveys. A headless kiosk answers them
 * in French and in Arabic (a drawing, a voice note, an Arabic text), plus a
 * response in a table-de-quartier session. `pv-kiosk export-usb` writes a
 * folder (nothing marked synced), `pv-kiosk sync --once` sends the same
 * store to collector "net", `pv-collector import` reads the folder into
 * collector "usb": every file `pv-collector export` writes (CSV, codebook,
 * GeoJSON, attachments) is byte-identical between the two. Importing
 * again, or importing into "net" what it already received, gives only
 * duplicates and changes no byte. A folder with a flipped byte or an edited
 * manifest is refused, naming the file, and stores nothing.
 *
 * Hostile or odd sticks (issue 6 review): a FIFO in place of a file is
 * refused at once, naming it; a kiosk whose data sits in another
 * territory (responses, or sessions alone) is refused, naming that
 * territory; only attachments a valid response names are stored, and an
 * export with nothing valid enrolls no one and stores nothing. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "collector/import.h"
#include "collector/storage.h"
#include "core/store.h"
#include "sync/usb.h"

#define OUT_CAP (1 << 20)

static const char *const surveys[] = {"qualite-habiter", "tranquillite", "lien-social"};
#define N_SURVEYS (sizeof surveys / sizeof *surveys)

static char dir[256], kdb[512], config[512], out[OUT_CAP];

/* pv-collector args... --db db; checks the exit code; output in out. */
static void collector(const char *db, const char *const *args, int want, int line) {
  pv_test_tool(PV_COLLECTOR_BIN, args, db, want, out, OUT_CAP, 1, __FILE__, line);
}

/* A collector with the territory and the sample surveys published. */
static void make_collector(const char *db) {
  collector(db, (const char *[]){"territory", "add", "34172", "Montpellier", NULL}, 0,
            __LINE__);
  for (size_t i = 0; i < N_SURVEYS; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/content/surveys/%s", PV_SOURCE_DIR, surveys[i]);
    collector(db, (const char *[]){"survey", "publish", path, NULL}, 0, __LINE__);
  }
}

/* The headless kiosk's tour in French then Arabic, then one response in a
 * table-de-quartier session written through the store as the animateur
 * screen will. */
static void fill_kiosk(void) {
  char tour_path[512], *tour;
  size_t tour_len;
  snprintf(tour_path, sizeof tour_path, "%s/tests/scripts/tour.txt", PV_SOURCE_DIR);
  tour = pv_test_read(tour_path, &tour_len);
  CHECK(tour != NULL);
  static const char *const langs[] = {"fr", "ar"};
  for (size_t i = 0; tour && i < 2; i++) {
    char *script = malloc(tour_len + 64), *w = script, path[512], surveys_dir[512];
    for (const char *p = tour; *p;)
      if (strncmp(p, "LANG", 4) == 0) {
        memcpy(w, langs[i], 2);
        w += 2, p += 4;
      } else {
        *w++ = *p++;
      }
    *w = '\0';
    snprintf(path, sizeof path, "%s/tour-%s.txt", dir, langs[i]);
    pv_test_write(path, script, strlen(script));
    free(script);
    snprintf(surveys_dir, sizeof surveys_dir, "%s/content/surveys", PV_SOURCE_DIR);
    const char *argv[] = {PV_KIOSK_BIN, "--headless", "--config", config,   "--surveys",
                          surveys_dir,  "--db",       kdb,        "--size", "800x480",
                          "--script",   path,         NULL};
    CHECK_INT(pv_test_run(out, OUT_CAP, argv, 0), 0);
  }
  free(tour);

  pv_clock clock = pv_clock_system();
  pv_store *st = NULL;
  pv_store_session info = {0};
  char session[PV_UUID_LEN + 1], r[PV_UUID_LEN + 1];
  CHECK_INT(pv_store_open(kdb, &clock, &st), PV_OK);
  snprintf(info.kind, sizeof info.kind, "table_de_quartier");
  snprintf(info.place, sizeof info.place, "Maison pour tous Léo Lagrange");
  snprintf(info.qpv_code, sizeof info.qpv_code, "QN03401M");
  snprintf(info.qpv_name, sizeof info.qpv_name, "Mosson");
  snprintf(info.animateur, sizeof info.animateur, "AB");
  CHECK_INT(pv_store_session_begin(st, &info, session), PV_OK);
  CHECK_INT(pv_store_begin(st, "lien-social", 1, session, "ar", r), PV_OK);
  CHECK_INT(
      pv_store_put_answer(st, r, "idee", "\"نريد حديقة للأطفال\"", PV_QUALITATIVE),
      PV_OK);
  CHECK_INT(pv_store_finish(st, r), PV_OK);
  CHECK_INT(pv_store_session_end(st, session), PV_OK);
  pv_store_close(st);
}

/* Pending and synced counts of the device store. */
static void kiosk_counts(pv_store_counts *c) {
  pv_clock clock = pv_clock_system();
  pv_store *st = NULL;
  CHECK_INT(pv_store_open(kdb, &clock, &st), PV_OK);
  CHECK_INT(pv_store_count(st, NULL, c), PV_OK);
  pv_store_close(st);
}

/* `pv-collector export` of every sample survey from db into root/<survey>. */
static void export_all(const char *db, const char *root) {
  CHECK_INT(mkdir(root, 0755), 0);
  for (size_t i = 0; i < N_SURVEYS; i++) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", root, surveys[i]);
    collector(db,
              (const char *[]){"export", "--survey", surveys[i], "--format", "csv",
                               "--out", path, NULL},
              0, __LINE__);
  }
}

/* Folders a and b hold the same names with the same bytes, to depth 3;
 * returns the number of files compared. */
static size_t same_tree(const char *a, const char *b, int depth) {
  size_t files = 0;
  DIR *da = opendir(a), *db = opendir(b);
  int na = 0, nb = 0;
  CHECK(da && db);
  for (struct dirent *e; db && (e = readdir(db)) != NULL;)
    nb += e->d_name[0] != '.';
  for (struct dirent *e; da && (e = readdir(da)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    na++;
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
    snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
    DIR *sub = opendir(pa);
    if (sub) {
      closedir(sub);
      if (depth > 0)
        files += same_tree(pa, pb, depth - 1);
      continue;
    }
    size_t la = 0, lb = 0;
    char *ta = pv_test_read(pa, &la), *tb = pv_test_read(pb, &lb);
    if (!ta || !tb || la != lb || memcmp(ta, tb, la) != 0)
      pv_test_fail(__FILE__, __LINE__, "%s and %s differ (%zu and %zu bytes)", pa, pb,
                   la, lb);
    else
      pv_test_passed++;
    files++;
    free(ta);
    free(tb);
  }
  CHECK_INT(na, nb);
  if (da)
    closedir(da);
  if (db)
    closedir(db);
  return files;
}

/* The number of "N <word>" in the import summary line starting with what. */
static long summary(const char *what, const char *word) {
  const char *line = strstr(out, what);
  char key[64];
  snprintf(key, sizeof key, " %s", word);
  const char *end = line ? strchr(line, '\n') : NULL;
  for (const char *p = line; p && p < end; p++)
    if (strncmp(p, key, strlen(key)) == 0) {
      const char *q = p;
      while (q > line && q[-1] >= '0' && q[-1] <= '9')
        q--;
      return strtol(q, NULL, 10);
    }
  return -1;
}

/* Copies the export folder src into dst (two levels). */
static void copy_tree(const char *src, const char *dst) {
  DIR *d = opendir(src);
  CHECK(d != NULL);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    char ps[1200], pd[1200];
    snprintf(ps, sizeof ps, "%s/%s", src, e->d_name);
    snprintf(pd, sizeof pd, "%s/%s", dst, e->d_name);
    DIR *sub = opendir(ps);
    if (sub) {
      closedir(sub);
      copy_tree(ps, pd);
      continue;
    }
    size_t len = 0;
    char *bytes = pv_test_read(ps, &len);
    pv_test_write(pd, bytes, len);
    free(bytes);
  }
  if (d)
    closedir(d);
}

/* A collector holds no response and none of the export's attachments. */
static void check_empty(const char *db, const pv_usb_manifest *m) {
  pv_cdb *c = NULL;
  size_t n = 1;
  CHECK_INT(pv_cdb_open_sqlite(db, &c), PV_OK);
  CHECK_INT(pv_cdb_count(c, NULL, NULL, &n), PV_OK);
  CHECK_INT(n, 0);
  for (size_t i = 0; i < m->n_files; i++) {
    int has = 1;
    if (!m->files[i].media_type[0])
      continue;
    CHECK_INT(pv_cdb_attachment_has(c, "34172", m->files[i].sha256, &has), PV_OK);
    CHECK_INT(has, 0);
  }
  pv_cdb_close(c);
}

/* One file of a hand-made export folder (media_type: attachments only). */
typedef struct hand_file {
  const char *path;
  const void *bytes;
  size_t len;
  const char *media_type;
} hand_file;

/* Writes folder dst: files and a consistent manifest for device. */
static void hand_folder(const char *dst, const char *device, const hand_file *files,
                        size_t n, size_t responses, size_t sessions) {
  size_t cap = 4096 + n * 400, used = 0, attachments = 0;
  char *manifest = malloc(cap), path[1200];
  for (size_t i = 0; i < n; i++)
    attachments += files[i].media_type != NULL;
  used +=
      (size_t)snprintf(manifest + used, cap - used,
                       "{\"format\": \"porte-voix-usb\", \"version\": 1, "
                       "\"device\": \"%s\", \"created_at\": "
                       "\"2026-11-23T10:00:00.000Z\", \"counts\": {\"responses\": "
                       "%zu, \"sessions\": %zu, \"attachments\": %zu}, \"files\": [",
                       device, responses, sessions, attachments);
  for (size_t i = 0; i < n; i++) {
    char sha[PV_SHA256_HEX + 1], media[120] = "";
    pv_sha256_hex(files[i].bytes, files[i].len, sha);
    if (files[i].media_type)
      snprintf(media, sizeof media, ", \"media_type\": \"%s\"", files[i].media_type);
    used +=
        (size_t)snprintf(manifest + used, cap - used,
                         "%s{\"path\": \"%s\", \"sha256\": \"%s\", \"size\": %zu%s}",
                         i ? ", " : "", files[i].path, sha, files[i].len, media);
    snprintf(path, sizeof path, "%s/%s", dst, files[i].path);
    pv_test_write(path, files[i].bytes, files[i].len);
  }
  used += (size_t)snprintf(manifest + used, cap - used, "]}");
  CHECK(used < cap);
  snprintf(path, sizeof path, "%s/manifest.json", dst);
  pv_test_write(path, manifest, strlen(manifest));
  free(manifest);
}

/* A FIFO in place of each file of a copy of folder: the CLI import fails
 * at once naming it (alarm() in main catches a hang), stores nothing. */
static void test_fifo(const char *folder, const pv_usb_manifest *m, const char *db) {
  char copy[600], path[1400], want[200];
  snprintf(copy, sizeof copy, "%s/fifo", dir);
  copy_tree(folder, copy);
  for (size_t i = 0; i < m->n_files + 1; i++) {
    const char *rel = i < m->n_files ? m->files[i].path : "manifest.json";
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", copy, rel);
    char *bytes = pv_test_read(path, &len);
    CHECK_INT(unlink(path), 0);
    CHECK_INT(mkfifo(path, 0644), 0);
    collector(db, (const char *[]){"import", copy, NULL}, 1, __LINE__);
    snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", rel);
    CHECK_CONTAINS(out, want);
    CHECK_INT(unlink(path), 0);
    pv_test_write(path, bytes, len);
    free(bytes);
  }
  check_empty(db, m);
  pv_test_rmtree(copy);
}

/* A kiosk's data imported into the wrong territory: importing into the
 * right one is refused, naming where the data is, and stores nothing;
 * the same when only its sessions went astray. */
static void test_territory(const char *folder, const pv_usb_manifest *m) {
  static const char *const astray[] = {"responses", "sessions"};
  for (size_t k = 0; k < 2; k++) {
    char db[600], one[600], path[1400];
    pv_cdb *c = NULL;
    size_t n = 1;
    snprintf(db, sizeof db, "%s/astray-%s.db", dir, astray[k]);
    make_collector(db);
    collector(db, (const char *[]){"territory", "add", "34999", "Ailleurs", NULL}, 0,
              __LINE__);
    if (k == 0) {
      snprintf(one, sizeof one, "%s", folder);
    } else { /* the sessions alone */
      size_t len = 0;
      snprintf(one, sizeof one, "%s/sessions-only", dir);
      snprintf(path, sizeof path, "%s/sessions.jsonl", folder);
      char *text = pv_test_read(path, &len);
      hand_file files[] = {{"responses.jsonl", "", 0, NULL},
                           {"sessions.jsonl", text, len, NULL}};
      hand_folder(one, m->device, files, 2, 0, m->sessions);
      free(text);
    }
    collector(db, (const char *[]){"import", one, "--territory", "34999", NULL}, 0,
              __LINE__);
    CHECK_INT(summary(k == 0 ? "responses:" : "sessions:", "stored"),
              (long)(k == 0 ? m->responses : m->sessions));
    collector(db, (const char *[]){"import", folder, "--territory", "34172", NULL}, 1,
              __LINE__);
    CHECK_CONTAINS(out, "this kiosk's data is in territory 34999; import there, or ask "
                        "the admin");
    CHECK_INT(pv_cdb_open_sqlite(db, &c), PV_OK);
    CHECK_INT(pv_cdb_count(c, "34172", NULL, &n), PV_OK);
    CHECK_INT(n, 0);
    for (size_t i = 0; i < m->n_files; i++) {
      int has = 1;
      if (!m->files[i].media_type[0])
        continue;
      CHECK_INT(pv_cdb_attachment_has(c, "34172", m->files[i].sha256, &has), PV_OK);
      CHECK_INT(has, 0);
    }
    pv_cdb_close(c);
    /* Into its own territory, it goes on as before. */
    collector(db, (const char *[]){"import", folder, "--territory", "34999", NULL}, 0,
              __LINE__);
  }
}

/* Through pv_import_dir: only what valid responses name is stored, and
 * the kiosk's principal is enrolled only when something is. */
static void test_named(const char *folder, const pv_usb_manifest *m) {
  static const unsigned char stray[] = "not named by any response";
  static const char bad_line[] = "{}\n";
  char db_path[600], one[600], path[1400], stray_rel[100], stray_sha[PV_SHA256_HEX + 1];
  char other_device[PV_UUID_LEN + 1] = "11111111-2222-4333-8444-555555555555";
  hand_file files[2 + 64 + 1];
  char *held[2 + 64] = {0};
  size_t n = 0, len = 0;
  pv_import_report rep;
  pv_cdb *c = NULL;
  int has = 1;
  snprintf(db_path, sizeof db_path, "%s/named.db", dir);
  make_collector(db_path);
  CHECK_INT(pv_cdb_open_sqlite(db_path, &c), PV_OK);
  pv_sha256_hex(stray, sizeof stray, stray_sha);
  snprintf(stray_rel, sizeof stray_rel, "attachments/%s", stray_sha);

  /* Nothing but an attachment no response names: nothing stored, no one
   * enrolled. */
  snprintf(one, sizeof one, "%s/stray-only", dir);
  hand_file lone[] = {{"responses.jsonl", "", 0, NULL},
                      {"sessions.jsonl", "", 0, NULL},
                      {stray_rel, stray, sizeof stray, "image/png"}};
  hand_folder(one, m->device, lone, 3, 0, 0);
  CHECK_INT(pv_import_dir(c, NULL, one, "2026-11-23T12:00:00.000Z", NULL, &rep), PV_OK);
  CHECK_INT(rep.principal_created, 0);
  CHECK_INT(rep.attachments_new + rep.attachments_known, 0);
  CHECK_INT(pv_cdb_attachment_has(c, "34172", stray_sha, &has), PV_OK);
  CHECK_INT(has, 0);

  /* Only invalid lines (and responses from another device): the same. */
  for (size_t i = 0; i < m->n_files && n < 2 + 64; i++) {
    snprintf(path, sizeof path, "%s/%s", folder, m->files[i].path);
    held[n] = pv_test_read(path, &len);
    files[n] = (hand_file){m->files[i].path, held[n], len,
                           m->files[i].media_type[0] ? m->files[i].media_type : NULL};
    n++;
  }
  CHECK_INT(n, m->n_files);
  snprintf(one, sizeof one, "%s/invalid-only", dir);
  hand_file junk[] = {{"responses.jsonl", bad_line, strlen(bad_line), NULL},
                      {"sessions.jsonl", bad_line, strlen(bad_line), NULL},
                      {stray_rel, stray, sizeof stray, "image/png"}};
  hand_folder(one, m->device, junk, 3, 1, 1);
  CHECK_INT(pv_import_dir(c, NULL, one, "2026-11-23T12:00:00.000Z", NULL, &rep), PV_OK);
  CHECK_INT(rep.responses[PV_OUT_INVALID], 1);
  CHECK_INT(rep.sessions[PV_OUT_INVALID], 1);
  CHECK_INT(rep.principal_created, 0);
  CHECK_INT(rep.attachments_new, 0);
  /* The real responses, told apart from their device: all invalid. */
  for (size_t i = 0; i < n; i++)
    if (strcmp(files[i].path, "responses.jsonl") == 0) {
      char *copy = malloc(files[i].len + 1), *at = copy;
      memcpy(copy, files[i].bytes, files[i].len);
      copy[files[i].len] = '\0';
      while ((at = strstr(at, m->device)) != NULL)
        memcpy(at, other_device, PV_UUID_LEN);
      snprintf(one, sizeof one, "%s/other-device", dir);
      hand_file swapped[] = {{"responses.jsonl", copy, files[i].len, NULL},
                             {"sessions.jsonl", "", 0, NULL}};
      hand_folder(one, m->device, swapped, 2, m->responses, 0);
      FILE *log = tmpfile();
      CHECK_INT(pv_import_dir(c, NULL, one, "2026-11-23T12:00:00.000Z", log, &rep),
                PV_OK);
      CHECK_INT(rep.responses[PV_OUT_INVALID], m->responses);
      CHECK_INT(rep.responses[PV_OUT_STORED], 0);
      CHECK_INT(rep.principal_created, 0);
      char text[512] = "";
      rewind(log);
      CHECK(fgets(text, sizeof text, log) != NULL);
      CHECK_CONTAINS(text, "not by the exporting kiosk");
      fclose(log);
      free(copy);
    }
  size_t count = 1;
  CHECK_INT(pv_cdb_count(c, NULL, NULL, &count), PV_OK);
  CHECK_INT(count, 0);

  /* The real export plus a listed attachment no response names: all is
   * stored but that one; the principal is enrolled now. */
  files[n++] = (hand_file){stray_rel, stray, sizeof stray, "image/png"};
  snprintf(one, sizeof one, "%s/plus-stray", dir);
  hand_folder(one, m->device, files, n, m->responses, m->sessions);
  CHECK_INT(pv_import_dir(c, NULL, one, "2026-11-23T12:00:00.000Z", NULL, &rep), PV_OK);
  CHECK_INT(rep.principal_created, 1);
  CHECK_INT(rep.responses[PV_OUT_STORED], m->responses);
  CHECK_INT(rep.sessions[PV_OUT_STORED], m->sessions);
  CHECK_INT(rep.attachments_new, m->attachments);
  CHECK_INT(pv_cdb_attachment_has(c, "34172", stray_sha, &has), PV_OK);
  CHECK_INT(has, 0);
  for (size_t i = 0; i < 2 + 64; i++)
    free(held[i]);
  pv_cdb_close(c);
}

/* On PostgreSQL (argument "pg"): the territory check's SQL there. A
 * folder with the kiosk's sessions alone goes into 34999; the whole
 * folder is then refused in 34172, and still welcome in 34999 (where the
 * surveys are not published: its responses are "unknown survey"). */
static void test_pg(const char *folder, const pv_usb_manifest *m) {
  static const char now[] = "2026-11-23T12:00:00.000Z";
  char conninfo[1024], one[600];
  pv_import_report rep;
  pv_cdb *c = NULL;
  size_t n = 1;
  if (pv_test_pg_conninfo(conninfo, sizeof conninfo, "pv_test_usb_e2e") != 0)
    return;
  CHECK_INT(pv_cdb_open_pg(conninfo, &c), PV_OK);
  if (!c)
    return;
  CHECK_INT(pv_cdb_territory_add(c, "34172", "Montpellier", now), PV_OK);
  CHECK_INT(pv_cdb_territory_add(c, "34999", "Ailleurs", now), PV_OK);
  snprintf(one, sizeof one, "%s/sessions-only", dir); /* from test_territory */
  CHECK_INT(pv_import_dir(c, "34999", one, now, NULL, &rep), PV_OK);
  CHECK_INT(rep.sessions[PV_OUT_STORED], m->sessions);
  CHECK_INT(rep.principal_created, 1);
  CHECK_INT(pv_import_dir(c, "34172", folder, now, NULL, &rep), PV_ERR_STATE);
  CHECK_CONTAINS(pv_err_detail(), "this kiosk's data is in territory 34999; import "
                                  "there, or ask the admin");
  CHECK_INT(pv_import_dir(c, "34999", folder, now, NULL, &rep), PV_OK);
  CHECK_INT(rep.responses[PV_OUT_UNKNOWN_SURVEY], m->responses);
  CHECK_INT(rep.sessions[PV_OUT_DUPLICATE], m->sessions);
  CHECK_INT(pv_cdb_count(c, NULL, NULL, &n), PV_OK);
  CHECK_INT(n, 0);
  pv_cdb_close(c);
}

int main(int argc, char **argv) {
  int pg = argc > 1 && strcmp(argv[1], "pg") == 0;
  char usb_db[512], net_db[512], bad_db[512], stick[512], url[200], token[128];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  snprintf(kdb, sizeof kdb, "%s/kiosk.db", dir);
  snprintf(config, sizeof config, "%s/kiosk.json", dir);
  snprintf(usb_db, sizeof usb_db, "%s/usb.db", dir);
  snprintf(net_db, sizeof net_db, "%s/net.db", dir);
  snprintf(bad_db, sizeof bad_db, "%s/bad.db", dir);
  alarm(240); /* a blocking open on a FIFO must fail the test, not hang it */
  snprintf(stick, sizeof stick, "%s/stick", dir);
  make_collector(usb_db);
  make_collector(net_db);
  make_collector(bad_db);
  collector(net_db,
            (const char *[]){"device", "add", "--territory", "34172", "hall", NULL}, 0,
            __LINE__);
  snprintf(token, sizeof token, "%.127s", out);
  token[strcspn(token, "\n")] = '\0';
  CHECK(strncmp(token, "pvd_", 4) == 0);
  pid_t server = pv_test_serve(PV_COLLECTOR_BIN, net_db, url, sizeof url);
  CHECK(strncmp(url, "http://127.0.0.1:", 17) == 0);
  char text[2048];
  snprintf(text, sizeof text,
           "{\"language\": \"fr\", \"sync\": {\"url\": \"%s\", \"token\": \"%s\", "
           "\"surveys_dir\": \"%s/synced\"}}",
           url, token, dir);
  pv_test_write(config, text, strlen(text));
  fill_kiosk();

  /* The export, before any sync: everything is in it, nothing is marked
   * synced. */
  pv_store_counts before, after;
  kiosk_counts(&before);
  CHECK(before.pending >= 3);
  CHECK_INT(before.synced, 0);
  CHECK_INT(mkdir(stick, 0755), 0);
  const char *export_argv[] = {PV_KIOSK_BIN, "export-usb", "--db", kdb,
                               "--out",      stick,        NULL};
  CHECK_INT(pv_test_run(out, OUT_CAP, export_argv, 0), 0);
  char folder[1200] = "";
  snprintf(folder, sizeof folder, "%.1100s", out);
  folder[strcspn(folder, "\n")] = '\0';
  CHECK(strncmp(folder, stick, strlen(stick)) == 0);
  CHECK_CONTAINS(out, "Export terminé");
  kiosk_counts(&after);
  CHECK_INT(after.pending, before.pending);
  CHECK_INT(after.synced, 0);
  pv_usb_manifest m = {0};
  CHECK_INT(pv_usb_verify(folder, &m), PV_OK);
  CHECK_INT(m.responses, before.pending);
  CHECK_INT(m.sessions, 1);
  CHECK(m.attachments >= 2); /* the drawing and the voice note */

  /* The same store over the network to "net", then the folder into "usb". */
  const char *sync_argv[] = {PV_KIOSK_BIN, "sync", "--once", "--config",
                             config,       "--db", kdb,      NULL};
  CHECK_INT(pv_test_run(out, OUT_CAP, sync_argv, 0), 0);
  kiosk_counts(&after);
  CHECK_INT(after.pending, 0);
  CHECK_INT(after.synced, before.pending);
  collector(usb_db, (const char *[]){"import", folder, NULL}, 0, __LINE__);
  CHECK_INT(summary("responses:", "stored"), (long)m.responses);
  CHECK_INT(summary("responses:", "duplicate"), 0);
  CHECK_INT(summary("responses:", "conflict"), 0);
  CHECK_INT(summary("responses:", "invalid"), 0);
  CHECK_INT(summary("sessions:", "stored"), 1);
  CHECK_INT(summary("attachments:", "new"), (long)m.attachments);
  CHECK_CONTAINS(out, "as device \"usb-");

  /* What analysts get is the same, byte for byte, every file. */
  char usb_out[600], net_out[600], again_out[600];
  snprintf(usb_out, sizeof usb_out, "%s/export-usb", dir);
  snprintf(net_out, sizeof net_out, "%s/export-net", dir);
  export_all(usb_db, usb_out);
  export_all(net_db, net_out);
  size_t files = same_tree(usb_out, net_out, 3);
  CHECK(files >= N_SURVEYS * 2 + 2); /* CSV and codebook each, attachments */
  printf("usb and network exports: %zu files, byte-identical\n", files);
  char csv_path[700];
  snprintf(csv_path, sizeof csv_path, "%s/lien-social/lien-social.csv", usb_out);
  char *csv = pv_test_read(csv_path, NULL);
  CHECK_CONTAINS(csv, "نريد حديقة للأطفال");
  CHECK_CONTAINS(csv, "QN03401M");
  CHECK_CONTAINS(csv, "الدرج مظلم"); /* typed by the Arabic tour */
  free(csv);

  /* Importing again changes nothing; nor does importing into "net" what
   * it already received over the network. */
  collector(usb_db, (const char *[]){"import", folder, NULL}, 0, __LINE__);
  CHECK_INT(summary("responses:", "stored"), 0);
  CHECK_INT(summary("responses:", "duplicate"), (long)m.responses);
  CHECK_INT(summary("sessions:", "duplicate"), 1);
  CHECK_INT(summary("attachments:", "already there"), (long)m.attachments);
  collector(net_db, (const char *[]){"import", folder, "--territory", "34172", NULL}, 0,
            __LINE__);
  CHECK_INT(summary("responses:", "stored"), 0);
  CHECK_INT(summary("responses:", "duplicate"), (long)m.responses);
  CHECK_INT(summary("sessions:", "duplicate"), 1);
  snprintf(again_out, sizeof again_out, "%s/export-again", dir);
  export_all(usb_db, again_out);
  CHECK_INT(same_tree(again_out, usb_out, 3), files);
  snprintf(again_out, sizeof again_out, "%s/export-net-again", dir);
  export_all(net_db, again_out);
  CHECK_INT(same_tree(again_out, net_out, 3), files);

  /* The same rules as sync: a response edited on the stick (its manifest
   * recomputed, so the folder is consistent) is a conflict, reported, and
   * changes nothing; the other responses are duplicates. */
  char edited[600], epath[800], mpath[800], sha[PV_SHA256_HEX + 1];
  snprintf(edited, sizeof edited, "%s/edited", dir);
  copy_tree(folder, edited);
  snprintf(epath, sizeof epath, "%s/responses.jsonl", edited);
  snprintf(mpath, sizeof mpath, "%s/manifest.json", edited);
  size_t elen = 0, mlen = 0;
  char *lines = pv_test_read(epath, &elen), *mtext = pv_test_read(mpath, &mlen);
  char *value = lines ? strstr(lines, "\"value\":4,") : NULL;
  CHECK(value != NULL && mtext != NULL);
  for (size_t i = 0; value && mtext && i < m.n_files; i++)
    if (strcmp(m.files[i].path, "responses.jsonl") == 0) {
      value[8] = '5';
      pv_test_write(epath, lines, elen);
      pv_sha256_hex(lines, elen, sha);
      char *old = strstr(mtext, m.files[i].sha256);
      CHECK(old != NULL);
      if (old)
        memcpy(old, sha, PV_SHA256_HEX);
      pv_test_write(mpath, mtext, mlen);
    }
  free(lines);
  free(mtext);
  collector(usb_db, (const char *[]){"import", edited, NULL}, 1, __LINE__);
  CHECK_INT(summary("responses:", "conflict"), 1);
  CHECK_INT(summary("responses:", "duplicate"), (long)m.responses - 1);
  CHECK_CONTAINS(out, ": conflict: already stored with other content");
  snprintf(again_out, sizeof again_out, "%s/export-after-conflict", dir);
  export_all(usb_db, again_out);
  CHECK_INT(same_tree(again_out, usb_out, 3), files);
  /* Revoking the kiosk's import principal refuses its folders. */
  char principal[64];
  snprintf(principal, sizeof principal, "usb-%s", m.device);
  collector(
      usb_db,
      (const char *[]){"device", "revoke", "--territory", "34172", principal, NULL}, 0,
      __LINE__);
  collector(usb_db, (const char *[]){"import", folder, NULL}, 1, __LINE__);
  CHECK_CONTAINS(out, "revoked");

  /* Tampered folders are refused before anything is stored. */
  char bad[600];
  snprintf(bad, sizeof bad, "%s/tampered", dir);
  copy_tree(folder, bad);
  char path[800];
  size_t len = 0;
  snprintf(path, sizeof path, "%s/responses.jsonl", bad);
  char *bytes = pv_test_read(path, &len);
  CHECK(bytes && len > 100);
  if (bytes) {
    bytes[len / 2] ^= 0x20;
    pv_test_write(path, bytes, len);
    collector(bad_db, (const char *[]){"import", bad, NULL}, 1, __LINE__);
    CHECK_CONTAINS(out, "responses.jsonl: SHA-256 differs from the manifest");
    bytes[len / 2] ^= 0x20;
    pv_test_write(path, bytes, len);
  }
  free(bytes);
  check_empty(bad_db, &m);
  snprintf(path, sizeof path, "%s/manifest.json", bad);
  /* The first attachment's "sha256" in the manifest, its last digit
   * changed: the entry no longer agrees with its file's name. */
  char *manifest = pv_test_read(path, &len);
  char *at = manifest ? strstr(manifest, "\"path\":\t\"attachments/") : NULL;
  at = at ? strstr(at, "\"sha256\":\t\"") : NULL;
  CHECK(at != NULL);
  if (at) {
    char *digit = at + strlen("\"sha256\":\t\"") + 63;
    *digit = *digit == '0' ? '1' : '0';
    pv_test_write(path, manifest, len);
    collector(bad_db, (const char *[]){"import", bad, NULL}, 1, __LINE__);
    CHECK_CONTAINS(out, "attachments/");
    CHECK_CONTAINS(out, "named by its sha256");
  }
  free(manifest);
  check_empty(bad_db, &m);
  /* An unfinished export (no manifest) is refused too. */
  unlink(path);
  collector(bad_db, (const char *[]){"import", bad, NULL}, 1, __LINE__);
  CHECK_CONTAINS(out, "manifest.json: missing");
  check_empty(bad_db, &m);
  test_fifo(folder, &m, bad_db);
  test_territory(folder, &m);
  test_named(folder, &m);
  if (pg)
    test_pg(folder, &m);
  pv_usb_manifest_free(&m);

  kill(server, SIGTERM);
  int status = 0;
  CHECK(waitpid(server, &status, 0) == server && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0);
  pv_test_rmtree(dir);
  return pv_test_done();
}
