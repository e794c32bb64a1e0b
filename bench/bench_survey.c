/* bench_survey: load+validate time and peak RSS for the sample surveys.
 *
 * Loads every survey under the given folder many times and prints the
 * median and p99 time of one full load (read, pre-scan, parse, validate,
 * stat and sniff every media file), with, as the in-run baseline, the time
 * to merely read the same survey.json bytes and parse them with cJSON. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/survey.h"

#define ROUNDS 200
#define MAX_SURVEYS 64

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Baseline: read the file and parse it with cJSON, nothing else. */
static void read_and_parse(const char *file) {
  FILE *f = fopen(file, "rb");
  if (!f)
    return;
  static char buf[PV_SURVEY_MAX_FILE + 1];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  cJSON_Delete(cJSON_ParseWithLength(buf, n));
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "content/surveys";
  char *dirs[MAX_SURVEYS];
  int n = 0;
  DIR *d = opendir(root);
  if (!d) {
    perror(root);
    return 1;
  }
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_SURVEYS) {
    if (e->d_name[0] == '.' || e->d_type != DT_DIR)
      continue;
    size_t len = strlen(root) + strlen(e->d_name) + 2;
    dirs[n] = malloc(len);
    snprintf(dirs[n], len, "%s/%s", root, e->d_name);
    n++;
  }
  closedir(d);

  struct rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  static double load_us[ROUNDS], base_us[ROUNDS];
  size_t questions = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
      pv_survey *s = NULL;
      pv_diags diags = {0};
      if (pv_survey_load(dirs[i], NULL, &s, &diags) != PV_OK) {
        pv_diags_print(&diags, stderr);
        return 1;
      }
      if (r == 0)
        questions += s->n_questions;
      pv_survey_free(s);
      pv_diags_free(&diags);
    }
    double t1 = now_us();
    for (int i = 0; i < n; i++) {
      char file[1024];
      snprintf(file, sizeof file, "%s/survey.json", dirs[i]);
      read_and_parse(file);
    }
    load_us[r] = t1 - t0;
    base_us[r] = now_us() - t1;
  }
  qsort(load_us, ROUNDS, sizeof *load_us, cmp_double);
  qsort(base_us, ROUNDS, sizeof *base_us, cmp_double);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);

  printf("bench_survey: %d surveys, %zu questions, %d rounds\n", n, questions, ROUNDS);
  printf("  %-34s %10s %10s\n", "all surveys, one round", "p50 (ms)", "p99 (ms)");
  printf("  %-34s %10.3f %10.3f\n", "load + validate (pv_survey_load)",
         load_us[ROUNDS / 2] / 1e3, load_us[ROUNDS * 99 / 100] / 1e3);
  printf("  %-34s %10.3f %10.3f\n", "baseline: read + cJSON parse",
         base_us[ROUNDS / 2] / 1e3, base_us[ROUNDS * 99 / 100] / 1e3);
  printf("  ratio load/baseline (p50): %.1fx\n",
         load_us[ROUNDS / 2] / base_us[ROUNDS / 2]);
  printf("  peak RSS: %ld KiB (%ld KiB before the first load)\n", ru.ru_maxrss,
         ru0.ru_maxrss);
  for (int i = 0; i < n; i++)
    free(dirs[i]);
  return 0;
}
