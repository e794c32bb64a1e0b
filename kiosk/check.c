/* check: see check.h. A path may be a survey.json, a survey folder, or a
 * folder of survey folders (content/surveys). */
#include "kiosk/check.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/survey.h"
#include "core/tts.h"

typedef struct checker {
  const char *assets;
  const char *tts;
  FILE *out, *err;
  int surveys, invalid;
} checker;

/* Audio coverage of one survey in one language. */
typedef struct coverage {
  const pv_survey *s;
  const char *tts;
  size_t lang;
  int human[2], synth[2], none[2];
  char missing[3][96]; /* a few texts with no audio, to name them */
  int n_missing;
} coverage;

static void count_spoken(void *ud, pv_spoken_kind kind, const pv_text *text,
                         const pv_audio *audio) {
  coverage *cv = ud;
  const char *lang = cv->s->languages[cv->lang];
  char path[4096];
  if (audio->path && audio->path[cv->lang]) {
    cv->human[kind]++;
    return;
  }
  if (pv_tts_path(cv->tts, lang, text->s[cv->lang], path, sizeof path) == PV_OK &&
      access(path, R_OK) == 0) {
    cv->synth[kind]++;
    return;
  }
  cv->none[kind]++;
  if (cv->n_missing < 3)
    snprintf(cv->missing[cv->n_missing++], sizeof cv->missing[0], "%s",
             text->s[cv->lang]);
}

static void report_coverage(checker *ck, const char *file, const pv_survey *s) {
  for (size_t l = 0; l < s->n_languages; l++) {
    coverage cv = {.s = s, .tts = ck->tts, .lang = l};
    pv_survey_each_spoken(s, count_spoken, &cv);
    fprintf(ck->out,
            "  audio %-5s prompts: %d human, %d synthesised, %d none; "
            "choices: %d human, %d synthesised, %d none\n",
            s->languages[l], cv.human[PV_SPOKEN_PROMPT], cv.synth[PV_SPOKEN_PROMPT],
            cv.none[PV_SPOKEN_PROMPT], cv.human[PV_SPOKEN_CHOICE],
            cv.synth[PV_SPOKEN_CHOICE], cv.none[PV_SPOKEN_CHOICE]);
    int none = cv.none[0] + cv.none[1];
    if (none == 0)
      continue;
    fprintf(ck->err,
            "%s: %d \"%s\" texts have no audio (no recording in the survey, none "
            "synthesised in %s; run `make tts`), e.g.",
            file, none, s->languages[l], ck->tts);
    for (int i = 0; i < cv.n_missing; i++)
      fprintf(ck->err, "%s \"%s\"", i ? "," : "", cv.missing[i]);
    fputc('\n', ck->err);
    ck->invalid++;
  }
}

static void check_one(checker *ck, const char *path) {
  pv_survey_opts opts = {.assets_dir = ck->assets};
  pv_survey *s = NULL;
  pv_diags diags = {0};
  ck->surveys++;
  pv_err err = pv_survey_load(path, &opts, &s, &diags);
  if (err != PV_OK) {
    pv_diags_print(&diags, ck->err);
    if (err == PV_ERR_NOMEM)
      fprintf(ck->err, "%s: %s\n", path, pv_err_detail());
    fprintf(ck->out, "%s: invalid (%zu problems)\n", path, diags.count + diags.dropped);
    ck->invalid++;
    pv_diags_free(&diags);
    return;
  }
  fprintf(ck->out, "%s: ok: \"%s\" version %d, %zu questions, languages", path, s->id,
          s->version, s->n_questions);
  for (size_t i = 0; i < s->n_languages; i++)
    fprintf(ck->out, " %s", s->languages[i]);
  fputc('\n', ck->out);
  report_coverage(ck, path, s);
  pv_survey_free(s);
  pv_diags_free(&diags);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder without survey.json is a folder of surveys: check each
 * subfolder, in name order; files beside them (README.md) are skipped. */
static void check_folder(checker *ck, const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    fprintf(ck->err, "%s: cannot open: %m\n", path);
    ck->invalid++;
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char sub[4096];
    struct stat st;
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(names, cap * sizeof *names);
      if (!grown)
        break;
      names = grown;
    }
    names[n] = strdup(sub);
    if (names[n])
      n++;
  }
  closedir(d);
  if (n > 1)
    qsort(names, n, sizeof *names, by_name);
  if (n == 0) {
    fprintf(ck->err, "%s:1:1: no survey.json here and no survey folders below\n", path);
    ck->invalid++;
  }
  for (size_t i = 0; i < n; i++) {
    check_one(ck, names[i]);
    free(names[i]);
  }
  free(names);
}

static void check_path(checker *ck, const char *path) {
  struct stat st;
  char probe[4096];
  if (stat(path, &st) != 0) {
    fprintf(ck->err, "%s: %m\n", path);
    ck->invalid++;
    return;
  }
  snprintf(probe, sizeof probe, "%s/survey.json", path);
  if (S_ISDIR(st.st_mode) && access(probe, F_OK) != 0)
    check_folder(ck, path);
  else
    check_one(ck, path);
}

static int usage(FILE *err) {
  fprintf(err, "usage: pv-kiosk check [--assets DIR] [--tts DIR] PATH...\n"
               "  PATH: a survey.json, a survey folder, or a folder of surveys\n");
  return 2;
}

int pv_check_main(int argc, char **argv, FILE *out, FILE *err) {
  checker ck = {.assets = NULL, .tts = pv_tts_default_dir(), .out = out, .err = err};
  int first = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--assets") == 0 && i + 1 < argc) {
      ck.assets = argv[++i];
    } else if (strcmp(argv[i], "--tts") == 0 && i + 1 < argc) {
      ck.tts = argv[++i];
    } else if (strcmp(argv[i], "--") == 0) {
      first = i + 1;
      break;
    } else if (argv[i][0] == '-') {
      fprintf(err, "pv-kiosk check: unknown option %s\n", argv[i]);
      return usage(err);
    } else {
      first = i;
      break;
    }
  }
  if (first == 0 || first >= argc)
    return usage(err);
  for (int i = first; i < argc; i++)
    check_path(&ck, argv[i]);
  fprintf(out, "%d survey%s checked, %d with problems\n", ck.surveys,
          ck.surveys == 1 ? "" : "s", ck.invalid);
  return ck.invalid ? 1 : 0;
}
