/* testlib: see check.h. */
#include "tests/check.h"

#include "core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int pv_test_passed, pv_test_failed;

void pv_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  pv_test_failed++;
  fprintf(stderr, "%s:%d: FAIL: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int pv_test_done(void) {
  printf("%d passed, %d failed\n", pv_test_passed, pv_test_failed);
  return pv_test_failed ? 1 : 0;
}

const char *pv_test_tmpdir(void) {
  static char path[256];
  const char *base = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/pv-test-XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(path)) {
    perror("mkdtemp");
    abort();
  }
  return path;
}

static void mkdirs_for(const char *path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
      perror(buf);
      abort();
    }
    *p = '/';
  }
}

void pv_test_write(const char *path, const void *data, size_t len) {
  mkdirs_for(path);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    perror(path);
    abort();
  }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void pv_test_rmtree(const char *path) {
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void pg_quiet(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* Runs one parameterless command on conn; 0 or -1 with a failure. */
static int pg_command(PGconn *conn, const char *sql) {
  PGresult *res = PQexec(conn, sql);
  int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok)
    pv_test_fail(__FILE__, __LINE__, "PostgreSQL: %s: %s", sql, PQerrorMessage(conn));
  PQclear(res);
  return ok ? 0 : -1;
}

int pv_test_pg_conninfo(char *out, size_t len, const char *dbname) {
  const char *file = getenv("PV_TEST_PG_CONNINFO_FILE");
  char base[512] = "", sql[256];
  PGconn *conn = NULL;
  char *ident = NULL;
  int rc = -1;
  FILE *f = NULL;

  if (!file || !*file) {
    pv_test_fail(__FILE__, __LINE__,
                 "PV_TEST_PG_CONNINFO_FILE is not set: run through ctest (fixture pg, "
                 "scripts/pg-test.sh)");
    return -1;
  }
  f = fopen(file, "r");
  if (!f || !fgets(base, sizeof base, f)) {
    pv_test_fail(__FILE__, __LINE__,
                 "%s: no PostgreSQL conninfo (did the pg_start fixture run?)", file);
    goto out;
  }
  base[strcspn(base, "\r\n")] = '\0';
  conn = PQconnectdb(base);
  if (PQstatus(conn) != CONNECTION_OK) {
    pv_test_fail(__FILE__, __LINE__, "PostgreSQL: %s: %s", base, PQerrorMessage(conn));
    goto out;
  }
  PQsetNoticeProcessor(conn, pg_quiet, NULL);
  ident = PQescapeIdentifier(conn, dbname, strlen(dbname));
  if (!ident) {
    pv_test_fail(__FILE__, __LINE__, "PostgreSQL: bad name %s", dbname);
    goto out;
  }
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
  if (pg_command(conn, sql) != 0)
    goto out;
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", ident);
  if (pg_command(conn, sql) != 0)
    goto out;
  /* A later keyword wins in a libpq conninfo. */
  if (snprintf(out, len, "%s dbname=%s", base, dbname) >= (int)len) {
    pv_test_fail(__FILE__, __LINE__, "conninfo longer than %zu bytes", len);
    goto out;
  }
  rc = 0;
out:
  PQfreemem(ident);
  PQfinish(conn);
  if (f)
    fclose(f);
  return rc;
}

void pv_test_disk_full(int full) {
  static struct rlimit was;
  static void (*old)(int);
  if (full) {
    struct rlimit lim;
    PV_ASSERT(getrlimit(RLIMIT_FSIZE, &was) == 0);
    lim = (struct rlimit){.rlim_cur = 1, .rlim_max = was.rlim_max};
    old = signal(SIGXFSZ, SIG_IGN);
    PV_ASSERT(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  } else {
    PV_ASSERT(setrlimit(RLIMIT_FSIZE, &was) == 0);
    signal(SIGXFSZ, old);
  }
}

char *pv_test_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (len)
    *len = 0;
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 8192;
      char *b = realloc(buf, cap);
      if (!b) {
        perror(path);
        abort();
      }
      buf = b;
    }
    size_t k = fread(buf + n, 1, cap - n - 1, f);
    if (k == 0)
      break;
    n += k;
  }
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

/* ---- the real programs ---- */

extern char **environ;

enum { EMU_WORDS = 8, EMU_ARGS = 64 };

/* The ELF machine of the program at path, or -1 when it is not one. */
static int elf_machine(const char *path) {
  unsigned char h[20];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, h, sizeof h);
  close(fd);
  if (n != (ssize_t)sizeof h || memcmp(h, "\177ELF", 4) != 0)
    return -1;
  return h[18] | h[19] << 8; /* e_machine; both our targets are little-endian */
}

/* argv with $PV_TEST_EMULATOR's words before it, into out (EMU_ARGS), when
 * argv[0] is a program of this test's own architecture (the built ones;
 * /usr/bin/openssl or a script runs as it is); NULL when they do not fit.
 * /proc/self/exe is named by its path: the emulator would read its own. */
static char *const *emulated(char *const argv[], char **out) {
  static char words[512], self[1024];
  const char *emu = getenv("PV_TEST_EMULATOR");
  if (!emu || !*emu)
    return argv;
  char *prog = argv[0];
  if (strcmp(prog, "/proc/self/exe") == 0) {
    ssize_t n = readlink(prog, self, sizeof self - 1);
    if (n <= 0)
      return argv;
    self[n] = '\0';
    prog = self;
  }
  int mine = elf_machine("/proc/self/exe");
  if (mine < 0 || elf_machine(prog) != mine)
    return argv;
  if (snprintf(words, sizeof words, "%s", emu) >= (int)sizeof words)
    return NULL;
  size_t n = 0;
  for (char *save = NULL, *w = strtok_r(words, " ", &save); w;
       w = strtok_r(NULL, " ", &save)) {
    if (n == EMU_WORDS)
      return NULL;
    out[n++] = w;
  }
  out[n++] = prog;
  for (size_t i = 1; argv[i]; i++) {
    if (n == EMU_ARGS - 1)
      return NULL;
    out[n++] = argv[i];
  }
  out[n] = NULL;
  return out;
}

int pv_test_execv(char *const argv[]) {
  char *buf[EMU_ARGS];
  char *const *a = emulated(argv, buf);
  if (!a) {
    errno = E2BIG;
    return -1;
  }
  return a == argv ? execv(a[0], a) : execvp(a[0], a);
}

int pv_test_spawn(pid_t *pid, const posix_spawn_file_actions_t *fa,
                  char *const argv[]) {
  char *buf[EMU_ARGS];
  char *const *a = emulated(argv, buf);
  if (!a)
    return E2BIG;
  return a == argv ? posix_spawn(pid, a[0], fa, NULL, a, environ)
                   : posix_spawnp(pid, a[0], fa, NULL, a, environ);
}

int pv_test_run(char *out, size_t cap, const char *const *argv, int both) {
  int fd[2];
  if (pipe(fd) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    if (both)
      dup2(fd[1], 2);
    close(fd[0]);
    close(fd[1]);
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1", 1);
    pv_test_execv((char *const *)argv);
    _exit(127);
  }
  close(fd[1]);
  size_t n = 0;
  ssize_t r;
  while ((r = read(fd[0], out + n, cap - 1 - n)) > 0 && n + 1 < cap)
    n += (size_t)r;
  out[n] = '\0';
  close(fd[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int pv_test_tool(const char *bin, const char *const *args, const char *db, int want,
                 char *out, size_t cap, int both, const char *file, int line) {
  const char *argv[16] = {bin};
  int n = 1;
  for (; args[n - 1] && n < 13; n++)
    argv[n] = args[n - 1];
  argv[n++] = "--db";
  argv[n++] = db;
  argv[n] = NULL;
  int rc = pv_test_run(out, cap, argv, both);
  if (rc != want)
    pv_test_fail(file, line, "%s %s %s: exit %d, expected %d:\n%s", bin, args[0],
                 args[0] && args[1] ? args[1] : "", rc, want, out);
  else
    pv_test_passed++;
  return rc;
}

void pv_test_chomp(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
}

pid_t pv_test_serve(const char *collector_bin, const char *db, char *url, size_t cap) {
  int fd[2];
  if (pipe(fd) != 0)
    abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    const char *argv[] = {collector_bin, "serve", "--listen", "127.0.0.1:0",
                          "--db",        db,      NULL};
    pv_test_execv((char *const *)argv);
    _exit(127);
  }
  close(fd[1]);
  FILE *f = fdopen(fd[0], "r");
  char line[256] = "";
  url[0] = '\0';
  if (f && fgets(line, sizeof line, f) && strncmp(line, "listening on ", 13) == 0) {
    pv_test_chomp(line);
    snprintf(url, cap, "%.120s", line + 13);
  }
  if (f)
    fclose(f);
  return pid;
}
