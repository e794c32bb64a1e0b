/* bench_store: what does a durable answer cost? Times pv_store_put_answer
 * (one committed, fsynced transaction each) against the floor the disk
 * sets: write(2) of a small block + fdatasync(2) on a file in the same
 * folder, the same number of times. Goal: commit p50 within 2x of raw.
 *
 * Usage: bench_store [DIR [COUNT]]   (DIR defaults to ".", COUNT to 500)
 * Works in a fresh DIR/pv-bench-XXXXXX, removed afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <unistd.h>

#include "core/store.h"

#define DEFAULT_COUNT 500
#define MAX_COUNT 100000
#define WARMUP 20
#define QUESTIONS_PER_RESPONSE 12 /* a typical survey: then a new response */
#define BLOCK 64                  /* bytes: about one answer's row */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct stats {
  double p50, p90, p99, max, mean;
} stats;

/* Sorts samples in place and returns their percentiles (nearest rank). */
static stats summarise(double *samples, size_t n) {
  stats s = {0};
  double sum = 0;
  qsort(samples, n, sizeof *samples, cmp_double);
  for (size_t i = 0; i < n; i++)
    sum += samples[i];
  s.p50 = samples[(n * 50 + 99) / 100 - 1];
  s.p90 = samples[(n * 90 + 99) / 100 - 1];
  s.p99 = samples[(n * 99 + 99) / 100 - 1];
  s.max = samples[n - 1];
  s.mean = sum / (double)n;
  return s;
}

/* Times count rounds of write(BLOCK) + fdatasync on a new file; append
 * grows the file each time, otherwise the same block is rewritten. */
static int raw_fsync(const char *dir, size_t count, int append, double *samples) {
  char path[4096];
  char block[BLOCK];
  memset(block, 'x', sizeof block);
  if (snprintf(path, sizeof path, "%s/raw-%s", dir, append ? "append" : "rewrite") >=
      (int)sizeof path)
    return -1;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    perror(path);
    return -1;
  }
  for (size_t i = 0; i < count + WARMUP; i++) {
    double t = now_us();
    ssize_t n =
        append ? write(fd, block, sizeof block) : pwrite(fd, block, sizeof block, 0);
    if (n != (ssize_t)sizeof block || fdatasync(fd) != 0) {
      perror(path);
      close(fd);
      return -1;
    }
    if (i >= WARMUP)
      samples[i - WARMUP] = now_us() - t;
  }
  close(fd);
  unlink(path);
  return 0;
}

/* Puts count timed answers into st: a 12-question survey, one response
 * after another, as a kiosk writes them; *r is the open response. */
static pv_err timed_puts(pv_store *st, char r[PV_UUID_LEN + 1], size_t count,
                         size_t *serial, double *samples) {
  char qid[16], value[64];
  pv_err err;
  for (size_t i = 0; i < count + WARMUP; i++, (*serial)++) {
    size_t q = *serial % QUESTIONS_PER_RESPONSE;
    if (q == 0) {
      if (r[0] && (err = pv_store_finish(st, r)))
        return err;
      if ((err = pv_store_begin(st, "bench", 1, NULL, "fr", r)))
        return err;
    }
    snprintf(qid, sizeof qid, "q%zu", q);
    snprintf(value, sizeof value, "{\"choice\":%zu,\"at\":%zu}", *serial % 5, *serial);
    double t = now_us();
    if ((err = pv_store_put_answer(st, r, qid, value, PV_QUANTITATIVE)))
      return err;
    if (i >= WARMUP)
      samples[i - WARMUP] = now_us() - t;
  }
  return PV_OK;
}

/* Times pv_store_put_answer on a new store twice: from its creation, when
 * commits first append to a new WAL file, then after a checkpoint, when
 * they rewrite the WAL from its start (a kiosk left running). */
static int store_puts(const char *dir, size_t count, double *growing, double *reused) {
  char path[4096], r[PV_UUID_LEN + 1] = "";
  pv_clock clock = pv_clock_system();
  pv_store *st = NULL;
  sqlite3 *db = NULL;
  size_t serial = 0;
  int rc = -1;
  pv_err err = PV_OK;
  if (snprintf(path, sizeof path, "%s/bench.db", dir) >= (int)sizeof path)
    return -1;
  if ((err = pv_store_open(path, &clock, &st)) ||
      (err = timed_puts(st, r, count, &serial, growing)))
    goto out;
  /* A second connection checkpoints everything: the next commit restarts
   * the WAL at its beginning, as SQLite's autocheckpoint does in use. */
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL) !=
          SQLITE_OK) {
    fprintf(stderr, "bench_store: checkpoint: %s\n", sqlite3_errmsg(db));
    goto out;
  }
  sqlite3_close(db);
  db = NULL;
  if ((err = timed_puts(st, r, count, &serial, reused)))
    goto out;
  rc = 0;
out:
  if (err)
    fprintf(stderr, "bench_store: %s: %s\n", pv_strerror(err), pv_err_detail());
  sqlite3_close(db);
  pv_store_close(st);
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    char name[4200];
    if (snprintf(name, sizeof name, "%s%s", path, suffixes[i]) < (int)sizeof name)
      unlink(name);
  }
  return rc;
}

static void row(const char *name, stats s) {
  printf("%-40s %8.0f %8.0f %8.0f %8.0f %8.0f\n", name, s.p50, s.p90, s.p99, s.max,
         s.mean);
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : ".";
  size_t count = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : DEFAULT_COUNT;
  if (count < 10 || count > MAX_COUNT) {
    fprintf(stderr, "usage: bench_store [DIR [COUNT 10..%d]]\n", MAX_COUNT);
    return 2;
  }
  char dir[4000];
  if (snprintf(dir, sizeof dir, "%s/pv-bench-XXXXXX", base) >= (int)sizeof dir ||
      !mkdtemp(dir)) {
    fprintf(stderr, "bench_store: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  double *append = malloc(count * sizeof *append);
  double *rewrite = malloc(count * sizeof *rewrite);
  double *growing = malloc(count * sizeof *growing);
  double *reused = malloc(count * sizeof *reused);
  int rc = 1;
  if (!append || !rewrite || !growing || !reused)
    goto out;
  if (raw_fsync(dir, count, 1, append) || raw_fsync(dir, count, 0, rewrite) ||
      store_puts(dir, count, growing, reused))
    goto out;
  stats sa = summarise(append, count), sr = summarise(rewrite, count);
  stats sg = summarise(growing, count), su = summarise(reused, count);
  printf("bench_store: %zu samples per row (after %d warm-up) in %s\n", count, WARMUP,
         dir);
  printf("%-40s %8s %8s %8s %8s %8s\n", "latency (microseconds)", "p50", "p90", "p99",
         "max", "mean");
  row("raw write(64 B) + fdatasync, appending", sa);
  row("raw pwrite(64 B) + fdatasync, in place", sr);
  row("put_answer commit, new store", sg);
  row("put_answer commit, after checkpoint", su);
  printf("commit p50 / raw appending p50: new store %.2f, after checkpoint %.2f "
         "(goal <= 2)\n",
         sg.p50 / sa.p50, su.p50 / sa.p50);
  printf("commit p50 / raw in place p50:  new store %.2f, after checkpoint %.2f\n",
         sg.p50 / sr.p50, su.p50 / sr.p50);
  rc = 0;
out:
  free(append);
  free(rewrite);
  free(growing);
  free(reused);
  rmdir(dir);
  return rc;
}
