/* pv-collector: the evaluation backend's one program (docs/collector.md).
 *
 *   pv-collector serve [--listen ADDR:PORT] [--tls-cert F --tls-key F] [--threads N]
 *                      [--per-ip-limit N]
 *   pv-collector territory add CODE NAME | territory list
 *   pv-collector device|analyst add|revoke --territory CODE NAME
 *   pv-collector survey publish DIR [--territory CODE] [--assets DIR]
 *   pv-collector export --survey ID --format csv|json|geojson --out DIR
 *                       [--territory CODE]
 *                       [--from D] [--to D] [--session UUID]
 *   pv-collector import DIR [--territory CODE]
 *   pv-collector quartier add --territory CODE --code QN... --name NAME
 *   pv-collector quartier list --territory CODE
 *   pv-collector prompt list --territory CODE
 *   pv-collector prompt delete --territory CODE --survey ID --key KEY --lang LANG
 *
 * each with exactly one of --db FILE or --pg CONNINFO. Options are read
 * through one table; each command says which it takes. Exit codes: 0 ok,
 * 1 refused or failed (a message says why), 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "collector/export.h"
#include "collector/import.h"
#include "collector/server.h"
#include "collector/storage.h"
#include "collector/token.h"
#include "core/clock.h"
#include "core/survey.h"
#include "sync/protocol.h"

#define MAX_POS 3                            /* positional arguments of a command */
#define MAX_PUBLISH_FILE PV_SURVEY_MAX_AUDIO /* bytes of one survey file */
#define MAX_PUBLISH_DEPTH 8                  /* folder levels under a survey */

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2 };

typedef struct opts {
  const char *db, *pg, *listen, *tls_cert, *tls_key, *threads, *territory, *assets;
  const char *per_ip;
  const char *survey, *format, *out, *from, *to, *session, *code, *name, *key, *lang;
  const char *pos[MAX_POS];
  size_t n_pos;
} opts;

/* Options: each a bit, so a command lists the ones it takes. */
enum {
  O_DB = 1 << 0,
  O_PG = 1 << 1,
  O_LISTEN = 1 << 2,
  O_TLS_CERT = 1 << 3,
  O_TLS_KEY = 1 << 4,
  O_THREADS = 1 << 5,
  O_TERRITORY = 1 << 6,
  O_ASSETS = 1 << 7,
  O_SURVEY = 1 << 8,
  O_FORMAT = 1 << 9,
  O_OUT = 1 << 10,
  O_FROM = 1 << 11,
  O_TO = 1 << 12,
  O_SESSION = 1 << 13,
  O_PER_IP = 1 << 14,
  O_CODE = 1 << 15,
  O_NAME = 1 << 16,
  O_KEY = 1 << 17,
  O_LANG = 1 << 18,
};

static const struct option_def {
  const char *flag;
  unsigned bit;
  size_t offset;
} options[] = {
    {"--db", O_DB, offsetof(opts, db)},
    {"--pg", O_PG, offsetof(opts, pg)},
    {"--listen", O_LISTEN, offsetof(opts, listen)},
    {"--tls-cert", O_TLS_CERT, offsetof(opts, tls_cert)},
    {"--tls-key", O_TLS_KEY, offsetof(opts, tls_key)},
    {"--threads", O_THREADS, offsetof(opts, threads)},
    {"--per-ip-limit", O_PER_IP, offsetof(opts, per_ip)},
    {"--territory", O_TERRITORY, offsetof(opts, territory)},
    {"--assets", O_ASSETS, offsetof(opts, assets)},
    {"--survey", O_SURVEY, offsetof(opts, survey)},
    {"--format", O_FORMAT, offsetof(opts, format)},
    {"--out", O_OUT, offsetof(opts, out)},
    {"--from", O_FROM, offsetof(opts, from)},
    {"--to", O_TO, offsetof(opts, to)},
    {"--session", O_SESSION, offsetof(opts, session)},
    {"--code", O_CODE, offsetof(opts, code)},
    {"--name", O_NAME, offsetof(opts, name)},
    {"--key", O_KEY, offsetof(opts, key)},
    {"--lang", O_LANG, offsetof(opts, lang)},
};

typedef int (*command_fn)(const opts *o, pv_cdb *db);

static int cmd_serve(const opts *o, pv_cdb *db);
static int cmd_territory_add(const opts *o, pv_cdb *db);
static int cmd_territory_list(const opts *o, pv_cdb *db);
static int cmd_device_add(const opts *o, pv_cdb *db);
static int cmd_device_revoke(const opts *o, pv_cdb *db);
static int cmd_analyst_add(const opts *o, pv_cdb *db);
static int cmd_analyst_revoke(const opts *o, pv_cdb *db);
static int cmd_publish(const opts *o, pv_cdb *db);
static int cmd_export(const opts *o, pv_cdb *db);
static int cmd_import(const opts *o, pv_cdb *db);
static int cmd_quartier_add(const opts *o, pv_cdb *db);
static int cmd_quartier_list(const opts *o, pv_cdb *db);
static int cmd_prompt_list(const opts *o, pv_cdb *db);
static int cmd_prompt_delete(const opts *o, pv_cdb *db);

#define DBS (O_DB | O_PG)

/* Every command: its words, its positional arguments, the options it
 * takes and those it needs, whether it opens the database itself. */
static const struct command {
  const char *word, *sub; /* sub NULL: a one-word command */
  size_t n_pos;
  unsigned allowed, required;
  int own_db; /* serve opens its own connections */
  command_fn fn;
  const char *usage;
} commands[] = {
    {"serve", NULL, 0, DBS | O_LISTEN | O_TLS_CERT | O_TLS_KEY | O_THREADS | O_PER_IP,
     0, 1, cmd_serve,
     "serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] [--threads N]\n"
     "      [--per-ip-limit N]"},
    {"territory", "add", 2, DBS, 0, 0, cmd_territory_add, "territory add CODE NAME"},
    {"territory", "list", 0, DBS, 0, 0, cmd_territory_list, "territory list"},
    {"device", "add", 1, DBS | O_TERRITORY, O_TERRITORY, 0, cmd_device_add,
     "device add --territory CODE NAME"},
    {"device", "revoke", 1, DBS | O_TERRITORY, O_TERRITORY, 0, cmd_device_revoke,
     "device revoke --territory CODE NAME"},
    {"analyst", "add", 1, DBS | O_TERRITORY, O_TERRITORY, 0, cmd_analyst_add,
     "analyst add --territory CODE NAME"},
    {"analyst", "revoke", 1, DBS | O_TERRITORY, O_TERRITORY, 0, cmd_analyst_revoke,
     "analyst revoke --territory CODE NAME"},
    {"survey", "publish", 1, DBS | O_TERRITORY | O_ASSETS, 0, 0, cmd_publish,
     "survey publish DIR [--territory CODE] [--assets DIR]"},
    {"export", NULL, 0,
     DBS | O_SURVEY | O_FORMAT | O_OUT | O_TERRITORY | O_FROM | O_TO | O_SESSION,
     O_SURVEY | O_FORMAT | O_OUT, 0, cmd_export,
     "export --survey ID --format csv|json|geojson --out DIR [--territory CODE]\n"
     "                     [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--session UUID]"},
    {"import", NULL, 1, DBS | O_TERRITORY, 0, 0, cmd_import,
     "import DIR [--territory CODE]"},
    {"quartier", "add", 0, DBS | O_TERRITORY | O_CODE | O_NAME,
     O_TERRITORY | O_CODE | O_NAME, 0, cmd_quartier_add,
     "quartier add --territory CODE --code QN03401M --name NAME"},
    {"quartier", "list", 0, DBS | O_TERRITORY, O_TERRITORY, 0, cmd_quartier_list,
     "quartier list --territory CODE"},
    {"prompt", "list", 0, DBS | O_TERRITORY, O_TERRITORY, 0, cmd_prompt_list,
     "prompt list --territory CODE"},
    {"prompt", "delete", 0, DBS | O_TERRITORY | O_SURVEY | O_KEY | O_LANG,
     O_TERRITORY | O_SURVEY | O_KEY | O_LANG, 0, cmd_prompt_delete,
     "prompt delete --territory CODE --survey ID --key q:QUESTION|o:QUESTION:OPTION\n"
     "                     --lang LANG"},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static int usage(void) {
  fprintf(stderr, "usage:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(stderr, "  pv-collector %s\n", commands[i].usage);
  fprintf(stderr, "every command takes exactly one of --db FILE or --pg CONNINFO\n");
  return EXIT_USAGE;
}

/* Prints "pv-collector: <what>: <error>[: <detail>]" and returns 1. */
static int fail(const char *what, pv_err err) {
  const char *d = pv_err_detail();
  fprintf(stderr, "pv-collector: %s: %s%s%s\n", what, pv_strerror(err), *d ? ": " : "",
          d);
  return EXIT_REFUSED;
}

static void now_iso(char out[25]) {
  pv_clock c = pv_clock_system();
  pv_time_iso(pv_clock_now(&c), out);
}

/* ---- serve ---- */

/* Splits "HOST:PORT" or "[V6]:PORT"; 0 when malformed. */
static int parse_listen(const char *s, char *host, size_t cap, int *port) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s)
    return 0;
  const char *h = s, *he = colon;
  if (*h == '[') {
    if (he[-1] != ']')
      return 0;
    h++;
    he--;
  }
  if ((size_t)(he - h) >= cap || he == h)
    return 0;
  memcpy(host, h, (size_t)(he - h));
  host[he - h] = '\0';
  char *end;
  errno = 0;
  long p = strtol(colon + 1, &end, 10);
  if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
    return 0;
  *port = (int)p;
  return 1;
}

static int cmd_serve(const opts *o, pv_cdb *db) {
  (void)db;
  char host[64];
  int port = 8080;
  snprintf(host, sizeof host, "127.0.0.1");
  if (o->listen && !parse_listen(o->listen, host, sizeof host, &port)) {
    fprintf(stderr,
            "pv-collector: --listen %s: expected ADDR:PORT, e.g. 127.0.0.1:8443\n",
            o->listen);
    return EXIT_USAGE;
  }
  long threads = 0;
  if (o->threads) {
    char *end;
    threads = strtol(o->threads, &end, 10);
    if (end == o->threads || *end || threads < 1 || threads > PV_SERVER_MAX_THREADS) {
      fprintf(stderr, "pv-collector: --threads is 1..%d\n", PV_SERVER_MAX_THREADS);
      return EXIT_USAGE;
    }
  }
  /* Behind a reverse proxy every kiosk shares the proxy's address. */
  long per_ip = 0;
  if (o->per_ip) {
    char *end;
    per_ip = strtol(o->per_ip, &end, 10);
    if (end == o->per_ip || *end || per_ip < 1 || per_ip > 1024) {
      fprintf(stderr, "pv-collector: --per-ip-limit is 1..1024\n");
      return EXIT_USAGE;
    }
  }
  if (!o->tls_cert != !o->tls_key) {
    fprintf(stderr, "pv-collector: --tls-cert and --tls-key go together\n");
    return EXIT_USAGE;
  }
  /* Block the stop signals before any thread exists, so every server
   * thread inherits the mask and only sigwait below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  pv_server_config cfg = {
      .listen_addr = host,
      .port = port,
      .db_path = o->db,
      .pg_conninfo = o->pg,
      .tls_cert = o->tls_cert,
      .tls_key = o->tls_key,
      .threads = (int)threads,
      .per_ip_limit = (int)per_ip,
  };
  pv_server *srv = NULL;
  pv_err err = pv_server_start(&cfg, &srv);
  if (err)
    return fail("serve", err);
  int v6 = strchr(host, ':') != NULL;
  printf("listening on %s://%s%s%s:%d\n", pv_server_tls(srv) ? "https" : "http",
         v6 ? "[" : "", host, v6 ? "]" : "", pv_server_port(srv));
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  fprintf(stderr, "pv-collector: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  pv_server_stop(srv);
  return 0;
}

/* ---- territories and tokens ---- */

static int cmd_territory_add(const opts *o, pv_cdb *db) {
  char now[25];
  now_iso(now);
  pv_err err = pv_cdb_territory_add(db, o->pos[0], o->pos[1], now);
  if (err == PV_ERR_EXISTS) {
    fprintf(stderr, "pv-collector: territory %s already exists\n", o->pos[0]);
    return EXIT_REFUSED;
  }
  if (err)
    return fail("territory add", err);
  printf("territory %s added\n", o->pos[0]);
  return 0;
}

static int cmd_territory_list(const opts *o, pv_cdb *db) {
  (void)o;
  pv_cdb_territory *t = NULL;
  size_t n = 0;
  pv_err err = pv_cdb_territory_list(db, &t, &n);
  if (err)
    return fail("territory list", err);
  /* One per line, tab-separated: easy to read and to cut(1). */
  for (size_t i = 0; i < n; i++)
    printf("%s\t%s\n", t[i].code, t[i].name);
  free(t);
  return 0;
}

/* ---- quartiers ---- */

static int cmd_quartier_add(const opts *o, pv_cdb *db) {
  char now[25];
  now_iso(now);
  pv_err err = pv_cdb_quartier_add(db, o->territory, o->code, o->name, now);
  if (err == PV_ERR_EXISTS) {
    fprintf(stderr, "pv-collector: territory %s already lists quartier %s\n",
            o->territory, o->code);
    return EXIT_REFUSED;
  }
  if (err == PV_ERR_NOTFOUND) {
    fprintf(stderr, "pv-collector: no territory %s (add it first)\n", o->territory);
    return EXIT_REFUSED;
  }
  if (err)
    return fail("quartier add", err);
  printf("quartier %s added to territory %s\n", o->code, o->territory);
  return 0;
}

static int cmd_quartier_list(const opts *o, pv_cdb *db) {
  pv_quartier *q = NULL;
  size_t n = 0;
  pv_err err = pv_cdb_quartier_list(db, o->territory, &q, &n);
  if (err)
    return fail("quartier list", err);
  for (size_t i = 0; i < n; i++)
    printf("%s\t%s\n", q[i].code, q[i].name);
  free(q);
  return 0;
}

/* ---- recorded prompts ---- */

/* The territory's current entries, one a line, tab-separated under a
 * header: what the kiosks of the territory play; a deletion shows
 * "deleted" for its size. */
static int cmd_prompt_list(const opts *o, pv_cdb *db) {
  pv_proto_prompt_entry *e = NULL;
  size_t n = 0;
  pv_err err = pv_cdb_prompt_list(db, o->territory, &e, &n);
  if (err)
    return fail("prompt list", err);
  printf("survey\tkey\tlang\trecorded_at\tdevice\tsize\treceived_at\n");
  for (size_t i = 0; i < n; i++) {
    const pv_store_prompt *p = &e[i].p;
    char size[24] = "deleted";
    if (!p->deleted)
      snprintf(size, sizeof size, "%zu", p->size);
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p->survey_id, p->key, p->lang,
           p->recorded_at, p->device_id, size, e[i].received_at);
  }
  free(e);
  return 0;
}

/* Deletes a current recording for every kiosk of the territory: they
 * apply the deletion at their next sync. */
static int cmd_prompt_delete(const opts *o, pv_cdb *db) {
  char now[25];
  now_iso(now);
  pv_err err = pv_cdb_prompt_delete(db, o->territory, o->survey, o->key, o->lang, now);
  if (err == PV_ERR_NOTFOUND) {
    fprintf(stderr, "pv-collector: territory %s has no recording of %s %s in %s\n",
            o->territory, o->survey, o->key, o->lang);
    return EXIT_REFUSED;
  }
  if (err)
    return fail("prompt delete", err);
  printf("deleted %s %s %s: kiosks of %s drop it at their next sync\n", o->survey,
         o->key, o->lang, o->territory);
  return 0;
}

static int token_add(const opts *o, pv_cdb *db, pv_cdb_kind kind) {
  const char *what = kind == PV_CDB_DEVICE ? "device" : "analyst";
  char token[PV_PROTO_TOKEN_LEN + 1], hash[PV_SHA256_HEX + 1], now[25];
  long long id = 0;
  pv_err err = pv_token_new(kind, token);
  if (!err)
    err = pv_token_hash(token, hash);
  if (err)
    return fail(what, err);
  now_iso(now);
  err = pv_cdb_token_add(db, kind, o->territory, o->pos[0], hash, now, &id);
  if (err == PV_ERR_NOTFOUND) {
    fprintf(stderr, "pv-collector: no territory %s (add it first)\n", o->territory);
    return EXIT_REFUSED;
  }
  if (err == PV_ERR_EXISTS) {
    fprintf(stderr,
            "pv-collector: territory %s already has a %s named \"%s\" (revoke it "
            "first)\n",
            o->territory, what, o->pos[0]);
    return EXIT_REFUSED;
  }
  if (err)
    return fail(what, err);
  printf("%s\n", token);
  fflush(stdout);
  fprintf(stderr,
          "pv-collector: %s \"%s\" of territory %s enrolled. The token above is shown "
          "once and not stored: keep it now%s.\n",
          what, o->pos[0], o->territory,
          kind == PV_CDB_DEVICE ? " (kiosk config: sync.token)" : "");
  return 0;
}

static int token_revoke(const opts *o, pv_cdb *db, pv_cdb_kind kind) {
  const char *what = kind == PV_CDB_DEVICE ? "device" : "analyst";
  char now[25];
  now_iso(now);
  pv_err err = pv_cdb_token_revoke(db, kind, o->territory, o->pos[0], now);
  if (err == PV_ERR_NOTFOUND) {
    fprintf(stderr, "pv-collector: no live %s named \"%s\" in territory %s\n", what,
            o->pos[0], o->territory);
    return EXIT_REFUSED;
  }
  if (err)
    return fail(what, err);
  printf("%s \"%s\" of territory %s revoked\n", what, o->pos[0], o->territory);
  return 0;
}

static int cmd_device_add(const opts *o, pv_cdb *db) {
  return token_add(o, db, PV_CDB_DEVICE);
}
static int cmd_device_revoke(const opts *o, pv_cdb *db) {
  return token_revoke(o, db, PV_CDB_DEVICE);
}
static int cmd_analyst_add(const opts *o, pv_cdb *db) {
  return token_add(o, db, PV_CDB_ANALYST);
}
static int cmd_analyst_revoke(const opts *o, pv_cdb *db) {
  return token_revoke(o, db, PV_CDB_ANALYST);
}

/* ---- survey publish ---- */

/* Media types by file extension; the rest is application/octet-stream. */
static const struct {
  const char *ext, *type;
} media_types[] = {
    {".json", "application/json"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".svg", "image/svg+xml"},
    {".webp", "image/webp"},
    {".wav", "audio/wav"},
    {".ogg", "audio/ogg"},
    {".opus", "audio/ogg"},
    {".mp3", "audio/mpeg"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
};

static const char *media_type(const char *path) {
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof media_types / sizeof *media_types; i++)
    if (strcasecmp(dot, media_types[i].ext) == 0)
      return media_types[i].type;
  return "application/octet-stream";
}

typedef struct walk {
  const char *root;
  pv_proto_file *files;
  size_t n;
  pv_cdb *db;
} walk;

/* Reads a whole file (at most max bytes) into a malloc'd buffer. */
static pv_err slurp(const char *path, size_t max, unsigned char **out, size_t *len) {
  pv_err err = PV_OK;
  unsigned char *buf = NULL;
  struct stat st;
  FILE *f = fopen(path, "rb");
  if (!f)
    return pv_fail(PV_ERR_IO, "%s: %s", path, strerror(errno));
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    err = pv_fail(PV_ERR_IO, "%s: not a regular file", path);
    goto out;
  }
  if ((unsigned long long)st.st_size > max) {
    err = pv_fail(PV_ERR_TOOBIG, "%s: over %zu bytes", path, max);
    goto out;
  }
  buf = malloc((size_t)st.st_size + 1);
  if (!buf) {
    err = pv_fail(PV_ERR_NOMEM, "%s: out of memory", path);
    goto out;
  }
  *len = fread(buf, 1, (size_t)st.st_size, f);
  if (ferror(f) || *len != (size_t)st.st_size) {
    err = pv_fail(PV_ERR_IO, "%s: read failed", path);
    goto out;
  }
  *out = buf;
  buf = NULL;
out:
  free(buf);
  fclose(f);
  return err;
}

/* Stores one file as a blob and records it. */
static pv_err add_file(walk *w, const char *abs, const char *rel) {
  unsigned char *bytes = NULL;
  size_t len = 0;
  if (w->n >= PV_PROTO_MAX_FILES)
    return pv_fail(PV_ERR_TOOBIG, "%s: a survey holds at most %d files", w->root,
                   PV_PROTO_MAX_FILES);
  if (!pv_proto_path_safe(rel) || strlen(rel) > PV_SURVEY_MAX_PATH)
    return pv_fail(PV_ERR_INVALID,
                   "%s: file name not allowed (letters, digits, . _ - and /)", abs);
  pv_err err = slurp(abs, MAX_PUBLISH_FILE, &bytes, &len);
  if (err)
    return err;
  pv_proto_file *f = &w->files[w->n];
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", rel);
  f->size = len;
  err = pv_sha256_hex(bytes, len, f->sha256);
  if (!err)
    err = pv_cdb_blob_put(w->db, f->sha256, media_type(rel), bytes, len);
  free(bytes);
  if (!err)
    w->n++;
  return err;
}

/* Walks dir (rel is its path under the survey root, "" for the root):
 * every regular file, dotfiles skipped, symbolic links refused. */
static pv_err walk_dir(walk *w, const char *dir, const char *rel, int depth) {
  pv_err err = PV_OK;
  if (depth > MAX_PUBLISH_DEPTH)
    return pv_fail(PV_ERR_TOOBIG, "%s: folders nested over %d levels", dir,
                   MAX_PUBLISH_DEPTH);
  DIR *d = opendir(dir);
  if (!d)
    return pv_fail(PV_ERR_IO, "%s: %s", dir, strerror(errno));
  struct dirent *e;
  while (!err && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char abs[PATH_MAX], sub[PV_SURVEY_MAX_PATH + 2];
    struct stat st;
    if ((size_t)snprintf(abs, sizeof abs, "%s/%s", dir, e->d_name) >= sizeof abs ||
        (size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
            sizeof sub) {
      err = pv_fail(PV_ERR_TOOBIG, "%s/%s: path too long", dir, e->d_name);
      break;
    }
    if (lstat(abs, &st) != 0) {
      err = pv_fail(PV_ERR_IO, "%s: %s", abs, strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
      err = pv_fail(PV_ERR_INVALID, "%s: a symbolic link; publish real files", abs);
    } else if (S_ISDIR(st.st_mode)) {
      err = walk_dir(w, abs, sub, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      err = add_file(w, abs, sub);
    }
  }
  closedir(d);
  return err;
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const pv_proto_file *)a)->path, ((const pv_proto_file *)b)->path);
}

static int cmd_publish(const opts *o, pv_cdb *db) {
  int rc = EXIT_REFUSED;
  pv_survey *s = NULL;
  pv_diags diags = {0};
  walk w = {.root = o->pos[0], .db = db};
  pv_survey_opts so = {.assets_dir = o->assets}; /* NULL: the built-in assets */
  char now[25];

  pv_err err = pv_survey_load(o->pos[0], &so, &s, &diags);
  if (err) {
    pv_diags_print(&diags, stderr);
    fprintf(stderr, "pv-collector: %s: survey refused (%zu problem%s)\n", o->pos[0],
            diags.count + diags.dropped, diags.count + diags.dropped == 1 ? "" : "s");
    goto out;
  }
  w.files = calloc(PV_PROTO_MAX_FILES, sizeof *w.files);
  if (!w.files) {
    fail("survey publish", pv_fail(PV_ERR_NOMEM, "out of memory"));
    goto out;
  }
  struct stat st;
  const char *root = o->pos[0];
  /* A survey.json path was given: publish its folder. */
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", root);
  if (stat(root, &st) == 0 && !S_ISDIR(st.st_mode)) {
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = '\0';
    else
      snprintf(dir, sizeof dir, ".");
  }
  err = walk_dir(&w, dir, "", 0);
  if (err) {
    fail("survey publish", err);
    goto out;
  }
  qsort(w.files, w.n, sizeof *w.files, by_path);
  pv_proto_survey ps = {.version = s->version, .files = w.files, .n_files = w.n};
  snprintf(ps.id, sizeof ps.id, "%s", s->id);
  pv_cdb_publish what = PV_CDB_UNCHANGED;
  now_iso(now);
  err = pv_cdb_survey_publish(db, o->territory, &ps, now, &what);
  if (err == PV_ERR_EXISTS) {
    fprintf(stderr,
            "pv-collector: %s version %d was published with other files: change "
            "\"version\" in survey.json\n",
            ps.id, ps.version);
    goto out;
  }
  if (err == PV_ERR_NOTFOUND) {
    fprintf(stderr, "pv-collector: no territory %s\n", o->territory);
    goto out;
  }
  if (err) {
    fail("survey publish", err);
    goto out;
  }
  printf("%s %s version %d (%zu files)\n",
         what == PV_CDB_PUBLISHED ? "published" : "unchanged", ps.id, ps.version, w.n);
  rc = 0;
out:
  free(w.files);
  pv_survey_free(s);
  pv_diags_free(&diags);
  return rc;
}

/* ---- export ---- */

static int cmd_export(const opts *o, pv_cdb *db) {
  if (!pv_export_format_valid(o->format)) {
    fprintf(stderr, "pv-collector: --format is csv, json or geojson\n");
    return EXIT_USAGE;
  }
  if (o->session && !pv_uuid_valid(o->session)) {
    fprintf(stderr, "pv-collector: --session is a UUID\n");
    return EXIT_USAGE;
  }
  pv_cdb_filter f = {
      .survey_id = o->survey, .from = o->from, .to = o->to, .session = o->session};
  /* Without --territory: the collector's only territory. An export is one
   * territory's (its rows name it, its attachments are its own); with
   * several, the administrator names one. */
  char only[PV_CDB_MAX_CODE + 1] = "";
  const char *territory = o->territory;
  if (!territory) {
    pv_cdb_territory *t = NULL;
    size_t n = 0;
    pv_err lerr = pv_cdb_territory_list(db, &t, &n);
    if (lerr)
      return fail("export", lerr);
    if (n == 1)
      snprintf(only, sizeof only, "%s", t[0].code);
    free(t);
    if (n != 1) {
      if (n)
        fprintf(stderr,
                "pv-collector: this collector holds %zu territories: give --territory "
                "CODE (pv-collector territory list names them)\n",
                n);
      else
        fprintf(stderr, "pv-collector: this collector holds no territory yet\n");
      return EXIT_REFUSED;
    }
    territory = only;
  }
  pv_err err = pv_export_to_dir(db, territory, &f, o->format, o->out);
  if (err == PV_ERR_NOTFOUND) {
    fprintf(stderr, "pv-collector: no survey %s visible to territory %s\n", o->survey,
            territory);
    return EXIT_REFUSED;
  }
  if (err)
    return fail("export", err);
  printf("exported %s to %s\n", o->survey, o->out);
  return 0;
}

/* ---- import (collector/import.h) ---- */

static int cmd_import(const opts *o, pv_cdb *db) {
  char now[25];
  pv_import_report rep;
  now_iso(now);
  pv_err err = pv_import_dir(db, o->territory, o->pos[0], now, stderr, &rep);
  if (err)
    return fail(o->pos[0], err);
  pv_import_print(&rep, o->pos[0], stdout);
  return pv_import_clean(&rep) ? 0 : EXIT_REFUSED;
}

/* ---- main ---- */

/* Fills o from argv[first..]; returns the set of options seen, or -1 on
 * a usage error (message printed). */
static long parse(int argc, char **argv, int first, opts *o) {
  unsigned seen = 0;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
      if (o->n_pos >= MAX_POS) {
        fprintf(stderr, "pv-collector: unexpected argument %s\n", a);
        return -1;
      }
      o->pos[o->n_pos++] = a;
      continue;
    }
    size_t k = 0;
    while (k < sizeof options / sizeof *options && strcmp(a, options[k].flag) != 0)
      k++;
    if (k == sizeof options / sizeof *options) {
      fprintf(stderr, "pv-collector: unknown option %s\n", a);
      return -1;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "pv-collector: %s needs a value\n", a);
      return -1;
    }
    if (seen & options[k].bit) {
      fprintf(stderr, "pv-collector: %s given twice\n", a);
      return -1;
    }
    seen |= options[k].bit;
    *(const char **)((char *)o + options[k].offset) = argv[++i];
  }
  return (long)seen;
}

int main(int argc, char **argv) {
  opts o = {0};
  const struct command *cmd = NULL;
  pv_cdb *db = NULL;
  if (argc < 2)
    return usage();
  for (size_t i = 0; i < N_COMMANDS && !cmd; i++)
    if (strcmp(argv[1], commands[i].word) == 0 &&
        (!commands[i].sub || (argc > 2 && strcmp(argv[2], commands[i].sub) == 0)))
      cmd = &commands[i];
  if (!cmd) {
    fprintf(stderr, "pv-collector: unknown command%s%s\n", argc > 1 ? " " : "",
            argv[1]);
    return usage();
  }
  long seen = parse(argc, argv, cmd->sub ? 3 : 2, &o);
  if (seen < 0)
    return usage();
  for (size_t k = 0; k < sizeof options / sizeof *options; k++)
    if (((unsigned long)seen & options[k].bit) && !(cmd->allowed & options[k].bit)) {
      fprintf(stderr, "pv-collector: %s does not take %s\n", cmd->usage,
              options[k].flag);
      return EXIT_USAGE;
    }
  if ((cmd->required & (unsigned long)seen) != cmd->required || o.n_pos != cmd->n_pos) {
    fprintf(stderr, "usage: pv-collector %s (--db FILE | --pg CONNINFO)\n", cmd->usage);
    return EXIT_USAGE;
  }
  if (!o.db == !o.pg) {
    fprintf(stderr, "pv-collector: give exactly one of --db FILE or --pg CONNINFO\n");
    return EXIT_USAGE;
  }
  if (cmd->own_db)
    return cmd->fn(&o, NULL);
  pv_err err = pv_cdb_open(o.db, o.pg, &db);
  if (err)
    return fail(o.db ? o.db : "postgresql", err);
  int rc = cmd->fn(&o, db);
  pv_cdb_close(db);
  return rc;
}
