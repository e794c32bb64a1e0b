/* pv-tts: fills the synthesised-prompt cache for the kiosk.
 *
 *   pv-tts [--out DIR] [--assets DIR] [--no-ui] PATH...
 *
 * Loads every survey under PATH (a folder of survey folders, a survey
 * folder or a survey.json) through the core loader, walks every spoken
 * text in every language, and renders with libespeak-ng each one that has
 * no human recording and no cache file yet, into DIR/<key>.wav (core/tts.h).
 * It also renders the kiosk's own strings in every language of their
 * table, and each language's name in that language (kiosk/strings.h), so
 * the buttons and the language picker speak too; --no-ui skips them.
 * Each WAV is written to a temporary file, fsynced and renamed, so a crash
 * never leaves half a file under a real key. Exit status: 0 done, 1 a
 * survey was invalid or a text could not be rendered, 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include "core/log.h"
#include "core/survey.h"
#include "core/tts.h"
#include "kiosk/strings.h"

#define PATH_BYTES 4096
#define MAX_SURVEYS 1024    /* survey folders under one PATH */
#define MAX_TEXTS (1 << 18) /* distinct texts in one run */
#define MAX_LANGS 256       /* distinct language tags in one run */
#define WAV_HEADER 44
#define TEMP_PREFIX ".pv-tts-" /* temporary files in the cache folder */

static const char usage_text[] =
    "usage: pv-tts [--out DIR] [--assets DIR] [--no-ui] PATH...\n"
    "Renders every spoken text of the surveys under PATH (a folder of survey\n"
    "folders, a survey folder or a survey.json) with espeak-ng into DIR\n"
    "(default: $PV_TTS_DIR or the built-in cache), skipping texts with a\n"
    "human recording or a cached rendering. Counts are per distinct text;\n"
    "\"no voice\" texts need a human recording. Also renders the kiosk's own\n"
    "strings and language names, unless --no-ui.\n";

/* Counts per language: recorded counts texts with a human recording;
 * the others count distinct texts (one cache file each). */
typedef struct lang_stats {
  char tag[PV_SURVEY_MAX_LANG_TAG + 1];
  size_t rendered, cached, recorded, novoice, failed;
} lang_stats;

/* A text to render. */
typedef struct job {
  const char *voice; /* static, from pv_tts_voice() */
  char *lang, *text, *survey, *path;
  lang_stats *stats; /* in run.langs, or run.ui */
  size_t seq;        /* discovery order, to keep the sort stable */
} job;

/* Open-addressing set of the cache keys seen in this run. */
typedef struct keyset {
  char (*slot)[PV_SHA256_HEX + 1];
  size_t cap, n;
} keyset;

typedef struct run {
  const char *out_dir;
  pv_survey_opts opts;
  size_t n_surveys, n_invalid;
  lang_stats langs[MAX_LANGS];
  size_t n_langs;
  lang_stats ui; /* the kiosk's own strings and language names */
  int no_ui;
  job *jobs;
  size_t n_jobs, cap_jobs;
  keyset seen;
  int failed; /* something went wrong: exit 1 */
} run;

/* What the synthesis callback appends to: the samples of one text. */
typedef struct pcm {
  int16_t *s;
  size_t n, cap, max;
  int overflow, nomem;
} pcm;

/* ---- small helpers ----------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Makes dir and the folders above it (like mkdir -p). */
static pv_err mkdirs(const char *dir) {
  char buf[PATH_BYTES];
  int n = snprintf(buf, sizeof buf, "%s", dir);
  if (n < 0 || (size_t)n >= sizeof buf)
    return pv_fail(PV_ERR_TOOBIG, "%s: path too long", dir);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return pv_fail(PV_ERR_IO, "%s: %s", buf, strerror(errno));
    *p = c;
    if (c == '\0')
      break;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return pv_fail(PV_ERR_IO, "%s: not a folder", dir);
  return PV_OK;
}

/* Returns 1 when path is a complete cache file (atomic renames guarantee
 * a file under a real key is whole; the size check catches hand edits). */
static int cached(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > WAV_HEADER;
}

static int hexval(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Returns the slot index where key's probe starts (keys are uniform). */
static size_t key_hash(const char *key) {
  size_t h = 0;
  for (int k = 0; k < 12; k++)
    h = h << 4 | (size_t)hexval(key[k]);
  return h;
}

/* Adds key to the set; *added says whether it was new. Returns PV_OK,
 * PV_ERR_TOOBIG past MAX_TEXTS or PV_ERR_NOMEM. */
static pv_err keyset_add(keyset *ks, const char *key, int *added) {
  *added = 0;
  if ((ks->n + 1) * 2 > ks->cap) {
    size_t cap = ks->cap ? ks->cap * 2 : 1024;
    if (cap > 2 * (size_t)MAX_TEXTS)
      return pv_fail(PV_ERR_TOOBIG, "more than %d distinct texts", MAX_TEXTS);
    char(*slot)[PV_SHA256_HEX + 1] = calloc(cap, sizeof *slot);
    if (!slot)
      return pv_fail(PV_ERR_NOMEM, "out of memory for %zu keys", cap);
    for (size_t i = 0; i < ks->cap; i++) {
      if (!ks->slot[i][0])
        continue;
      size_t h = key_hash(ks->slot[i]);
      while (slot[h & (cap - 1)][0])
        h++;
      memcpy(slot[h & (cap - 1)], ks->slot[i], sizeof *slot);
    }
    free(ks->slot);
    ks->slot = slot;
    ks->cap = cap;
  }
  for (size_t h = key_hash(key);; h++) {
    char *s = ks->slot[h & (ks->cap - 1)];
    if (!s[0]) {
      memcpy(s, key, PV_SHA256_HEX + 1);
      ks->n++;
      *added = 1;
      return PV_OK;
    }
    if (memcmp(s, key, PV_SHA256_HEX) == 0)
      return PV_OK;
  }
}

/* Returns the index of lang's counters, adding them; -1 when full. */
static int lang_slot(run *r, const char *lang) {
  for (size_t i = 0; i < r->n_langs; i++)
    if (strcmp(r->langs[i].tag, lang) == 0)
      return (int)i;
  if (r->n_langs == MAX_LANGS || strlen(lang) > PV_SURVEY_MAX_LANG_TAG)
    return -1;
  lang_stats *ls = &r->langs[r->n_langs];
  memset(ls, 0, sizeof *ls);
  memcpy(ls->tag, lang, strlen(lang) + 1);
  return (int)r->n_langs++;
}

/* ---- collecting the texts ---------------------------------------------- */

typedef struct walk {
  run *r;
  const pv_survey *s;
  pv_err err; /* first fatal error (memory, bounds) */
} walk;

static pv_err add_job(run *r, const char *survey, const char *voice, const char *lang,
                      const char *text, const char *path, lang_stats *stats) {
  if (r->n_jobs == r->cap_jobs) {
    size_t cap = r->cap_jobs ? r->cap_jobs * 2 : 256;
    job *j = realloc(r->jobs, cap * sizeof *j);
    if (!j)
      return pv_fail(PV_ERR_NOMEM, "out of memory for %zu texts", cap);
    r->jobs = j;
    r->cap_jobs = cap;
  }
  job *j = &r->jobs[r->n_jobs];
  memset(j, 0, sizeof *j);
  j->voice = voice;
  j->lang = strdup(lang);
  j->text = strdup(text);
  j->survey = strdup(survey);
  j->path = strdup(path);
  if (!j->lang || !j->text || !j->survey || !j->path) {
    free(j->lang);
    free(j->text);
    free(j->survey);
    free(j->path);
    return pv_fail(PV_ERR_NOMEM, "out of memory");
  }
  j->stats = stats;
  j->seq = r->n_jobs++;
  return PV_OK;
}

/* pv_spoken_fn: sorts one text, in every language, into recorded, no
 * voice, cached, or to render. */
static void on_spoken(void *ud, pv_spoken_kind kind, const pv_text *text,
                      const pv_audio *audio) {
  walk *w = ud;
  (void)kind;
  if (w->err || !text->s)
    return;
  for (size_t i = 0; i < w->s->n_languages; i++) {
    const char *lang = w->s->languages[i], *t = text->s[i];
    if (!t)
      continue;
    int li = lang_slot(w->r, lang);
    if (li < 0) {
      w->err = pv_fail(PV_ERR_TOOBIG, "more than %d languages", MAX_LANGS);
      return;
    }
    lang_stats *ls = &w->r->langs[li];
    if (audio && audio->path && audio->path[i]) {
      ls->recorded++;
      continue;
    }
    const char *voice = pv_tts_voice(lang);
    char path[PATH_BYTES] = "", key[PV_SHA256_HEX + 1];
    /* Voiceless texts are keyed under a voice no table entry has, so they
     * are counted once each too. */
    pv_err err = pv_tts_key(voice ? voice : "(none)", lang, t, key);
    if (!err && voice)
      err = pv_tts_path(w->r->out_dir, lang, t, path, sizeof path);
    int added = 0;
    if (!err)
      err = keyset_add(&w->r->seen, key, &added);
    if (err) {
      w->err = err;
      return;
    }
    if (!added)
      continue; /* the same text in the same language, seen already */
    if (!voice)
      ls->novoice++;
    else if (cached(path))
      ls->cached++;
    else if ((err = add_job(w->r, w->s->id, voice, lang, t, path, ls)) != PV_OK) {
      w->err = err;
      return;
    }
  }
}

/* Loads one survey (folder or file) and collects its texts. */
static void load_one(run *r, const char *path) {
  pv_survey *s = NULL;
  pv_diags d = {0};
  pv_err err = pv_survey_load(path, &r->opts, &s, &d);
  r->n_surveys++;
  if (err) {
    pv_diags_print(&d, stderr);
    if (d.count == 0)
      fprintf(stderr, "%s: %s %s\n", path, pv_strerror(err), pv_err_detail());
    r->n_invalid++;
    r->failed = 1;
    goto out;
  }
  walk w = {.r = r, .s = s, .err = PV_OK};
  pv_survey_each_spoken(s, on_spoken, &w);
  if (w.err) {
    fprintf(stderr, "pv-tts: %s: %s: %s\n", path, pv_strerror(w.err), pv_err_detail());
    r->failed = 1;
  }
out:
  pv_survey_free(s);
  pv_diags_free(&d);
}

static int has_survey_json(const char *dir) {
  char file[PATH_BYTES];
  int n = snprintf(file, sizeof file, "%s/survey.json", dir);
  struct stat st;
  return n > 0 && (size_t)n < sizeof file && stat(file, &st) == 0 &&
         S_ISREG(st.st_mode);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads PATH: a survey.json, a survey folder, or a folder of survey
 * folders (in name order; hidden entries and folders without survey.json
 * are skipped). */
static void load_path(run *r, const char *path) {
  struct stat st;
  DIR *dir = NULL;
  char **names = NULL;
  size_t n = 0;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "pv-tts: %s: %s\n", path, strerror(errno));
    r->failed = 1;
    return;
  }
  if (!S_ISDIR(st.st_mode) || has_survey_json(path)) {
    load_one(r, path);
    return;
  }
  if (!(dir = opendir(path))) {
    fprintf(stderr, "pv-tts: %s: %s\n", path, strerror(errno));
    r->failed = 1;
    return;
  }
  names = calloc(MAX_SURVEYS, sizeof *names);
  if (!names)
    goto nomem;
  for (struct dirent *e; (e = readdir(dir));) {
    if (e->d_name[0] == '.')
      continue;
    if (n == MAX_SURVEYS) {
      fprintf(stderr, "pv-tts: %s: more than %d entries; the rest are skipped\n", path,
              MAX_SURVEYS);
      r->failed = 1;
      break;
    }
    if (!(names[n] = strdup(e->d_name)))
      goto nomem;
    n++;
  }
  qsort(names, n, sizeof *names, cmp_names);
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    char sub[PATH_BYTES];
    int k = snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
    if (k < 0 || (size_t)k >= sizeof sub) {
      fprintf(stderr, "pv-tts: %s/%s: path too long\n", path, names[i]);
      r->failed = 1;
      continue;
    }
    if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    if (has_survey_json(sub)) {
      load_one(r, sub);
      found++;
    } else {
      fprintf(stderr, "pv-tts: warning: %s has no survey.json; skipped\n", sub);
    }
  }
  if (found == 0)
    fprintf(stderr, "pv-tts: warning: %s: no survey folder (with a survey.json) here\n",
            path);
  goto out;
nomem:
  fprintf(stderr, "pv-tts: %s: out of memory\n", path);
  r->failed = 1;
out:
  for (size_t i = 0; names && i < n; i++)
    free(names[i]);
  free(names);
  closedir(dir);
}

/* ---- the kiosk's own strings ------------------------------------------- */

/* Sorts one kiosk text spoken in lang (path from kiosk/strings.h, so the
 * kiosk finds it under the same key) into no voice, seen, cached or to
 * render. Returns PV_OK or a fatal error (memory, bounds). */
static pv_err add_ui_text(run *r, const char *lang, const char *text, pv_err path_err,
                          const char *path) {
  const char *voice = pv_tts_voice(lang);
  char key[PV_SHA256_HEX + 1];
  int added = 0;
  if (!voice) {
    r->ui.novoice++;
    return PV_OK;
  }
  if (path_err)
    return path_err;
  pv_err err = pv_tts_key(voice, lang, text, key);
  if (!err)
    err = keyset_add(&r->seen, key, &added);
  if (err || !added)
    return err; /* a survey says the same words: rendered once, for both */
  if (cached(path)) {
    r->ui.cached++;
    return PV_OK;
  }
  return add_job(r, "(kiosk)", voice, lang, text, path, &r->ui);
}

/* Collects every UI string without numbers in every table language, and
 * every language's name spoken in that language. */
static void collect_ui(run *r) {
  char path[PATH_BYTES];
  pv_err err = PV_OK;
  for (size_t l = 0; l < pv_str_lang_count() && !err; l++) {
    const char *lang = pv_str_lang_at(l);
    for (int id = 0; id < PV_STR__COUNT && !err; id++) {
      if (pv_str_nargs((pv_str_id)id) > 0)
        continue;
      pv_err perr = pv_str_audio_path(r->out_dir, (pv_str_id)id, lang, path, sizeof path);
      err = add_ui_text(r, lang, pv_str((pv_str_id)id, lang), perr, path);
    }
  }
  for (size_t i = 0; i < pv_lang_endonym_count() && !err; i++) {
    const char *lang = pv_lang_endonym_tag(i);
    pv_err perr = pv_lang_endonym_audio_path(r->out_dir, lang, path, sizeof path);
    err = add_ui_text(r, lang, pv_lang_endonym(lang), perr, path);
  }
  if (err) {
    fprintf(stderr, "pv-tts: kiosk strings: %s: %s\n", pv_strerror(err), pv_err_detail());
    r->failed = 1;
  }
}

/* ---- rendering ---------------------------------------------------------- */

/* espeak-ng's synthesis callback: appends samples to the pcm passed as
 * user_data; returns 1 to stop synthesis past the bound. */
static int on_samples(short *wav, int n, espeak_EVENT *events) {
  pcm *p = events ? events->user_data : NULL;
  if (!p)
    return 1;
  if (!wav || n <= 0)
    return 0;
  if ((size_t)n > p->max - p->n) {
    p->overflow = 1;
    return 1;
  }
  if (p->n + (size_t)n > p->cap) {
    size_t cap = p->cap ? p->cap : 16384;
    while (cap < p->n + (size_t)n)
      cap *= 2;
    if (cap > p->max)
      cap = p->max;
    int16_t *s = realloc(p->s, cap * sizeof *s);
    if (!s) {
      p->nomem = 1;
      return 1;
    }
    p->s = s;
    p->cap = cap;
  }
  memcpy(p->s + p->n, wav, (size_t)n * sizeof *wav);
  p->n += (size_t)n;
  return 0;
}

static void put_le(unsigned char *b, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++)
    b[i] = (unsigned char)(v >> (8 * i));
}

static pv_err write_all(int fd, const void *data, size_t len, const char *path) {
  const unsigned char *p = data;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "%s: %s", path,
                     strerror(errno));
    p += w;
    len -= (size_t)w;
  }
  return PV_OK;
}

/* Writes n samples at rate as a canonical PCM WAV (16-bit mono, 44-byte
 * header) to path: a temporary file in dir, fsynced, then renamed. */
static pv_err write_wav(const char *dir, const char *path, const int16_t *s, size_t n,
                        int rate) {
  char tmp[PATH_BYTES];
  int k = snprintf(tmp, sizeof tmp, "%s/" TEMP_PREFIX "XXXXXX", dir);
  if (k < 0 || (size_t)k >= sizeof tmp)
    return pv_fail(PV_ERR_TOOBIG, "%s: path too long", dir);
  int fd = mkstemp(tmp);
  if (fd < 0)
    return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "%s: %s", tmp,
                   strerror(errno));
  pv_err err = PV_OK;
  uint32_t data_bytes = (uint32_t)(n * 2);
  unsigned char h[WAV_HEADER];
  memcpy(h, "RIFF", 4);
  put_le(h + 4, 36 + data_bytes, 4);
  memcpy(h + 8, "WAVEfmt ", 8);
  put_le(h + 16, 16, 4);                 /* fmt chunk size */
  put_le(h + 20, 1, 2);                  /* PCM */
  put_le(h + 22, 1, 2);                  /* mono */
  put_le(h + 24, (uint32_t)rate, 4);     /* sample rate */
  put_le(h + 28, (uint32_t)rate * 2, 4); /* byte rate */
  put_le(h + 32, 2, 2);                  /* block align */
  put_le(h + 34, 16, 2);                 /* bits per sample */
  memcpy(h + 36, "data", 4);
  put_le(h + 40, data_bytes, 4);
  if ((err = write_all(fd, h, sizeof h, tmp)) != PV_OK)
    goto out;
  unsigned char buf[8192];
  for (size_t i = 0; i < n;) {
    size_t m = 0;
    for (; i < n && m < sizeof buf; i++, m += 2)
      put_le(buf + m, (uint16_t)s[i], 2);
    if ((err = write_all(fd, buf, m, tmp)) != PV_OK)
      goto out;
  }
  /* mkstemp makes 0600; the kiosk may run as another user. */
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
    err = pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "%s: %s", tmp,
                  strerror(errno));
    goto out;
  }
out:
  if (close(fd) != 0 && !err)
    err = pv_fail(PV_ERR_IO, "%s: %s", tmp, strerror(errno));
  if (!err && rename(tmp, path) != 0)
    err = pv_fail(PV_ERR_IO, "%s: %s", path, strerror(errno));
  if (err)
    unlink(tmp);
  return err;
}

/* Removes temporary files a killed run left in dir (older than an hour,
 * so a run going on in parallel keeps its own). */
static void remove_stale_temps(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  time_t now = time(NULL);
  for (struct dirent *e; (e = readdir(d));) {
    char path[PATH_BYTES];
    struct stat st;
    if (strncmp(e->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) != 0)
      continue;
    int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (n > 0 && (size_t)n < sizeof path && lstat(path, &st) == 0 &&
        S_ISREG(st.st_mode) && now - st.st_mtime > 3600 && unlink(path) == 0)
      PV_INFO("tts: removed %s, left by an interrupted run", path);
  }
  closedir(d);
}

/* Makes the renames durable. */
static pv_err sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0 || fsync(fd) != 0) {
    pv_err err = pv_fail(PV_ERR_IO, "%s: %s", dir, strerror(errno));
    if (fd >= 0)
      close(fd);
    return err;
  }
  close(fd);
  return PV_OK;
}

static const char *espeak_message(espeak_ng_STATUS st, char *buf, size_t len) {
  espeak_ng_GetStatusCodeMessage(st, buf, len);
  return buf;
}

/* Jobs sorted by voice then language, so each voice loads once. */
static int cmp_jobs(const void *a, const void *b) {
  const job *x = a, *y = b;
  int c = strcmp(x->voice, y->voice);
  if (!c)
    c = strcmp(x->lang, y->lang);
  return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Prints which text failed (its start, cut on a UTF-8 boundary) and why. */
static void report_failure(const job *j, const char *why) {
  size_t len = strlen(j->text), n = len;
  if (n > 60) {
    n = 60;
    while (n > 0 && ((unsigned char)j->text[n] & 0xC0) == 0x80)
      n--;
  }
  fprintf(stderr, "pv-tts: %s [%s] \"%.*s%s\": %s\n", j->survey, j->lang, (int)n,
          j->text, n < len ? "..." : "", why);
}

/* Counts jobs [from, n_jobs) as failed, when rendering cannot go on. */
static void fail_rest(run *r, size_t from) {
  for (size_t i = from; i < r->n_jobs; i++)
    r->jobs[i].stats->failed++;
  r->failed = 1;
}

/* Renders every job; failures are reported and counted, not fatal. */
static void render_all(run *r) {
  char msg[512];
  espeak_ng_ERROR_CONTEXT ctx = NULL;
  pcm p = {0};
  espeak_ng_InitializePath(NULL);
  espeak_ng_STATUS st = espeak_ng_Initialize(&ctx);
  if (st != ENS_OK) {
    fprintf(stderr, "pv-tts: cannot start espeak-ng: ");
    espeak_ng_PrintStatusCodeMessage(st, stderr, ctx);
    espeak_ng_ClearErrorContext(&ctx);
    fail_rest(r, 0);
    return;
  }
  /* 0: espeak's default chunk length; samples arrive through on_samples. */
  st = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL);
  if (st != ENS_OK) {
    fprintf(stderr, "pv-tts: espeak-ng output: %s\n",
            espeak_message(st, msg, sizeof msg));
    fail_rest(r, 0);
    goto out;
  }
  espeak_SetSynthCallback(on_samples);
  int rate = espeak_ng_GetSampleRate();
  if (rate <= 0) {
    fprintf(stderr, "pv-tts: espeak-ng reports a sample rate of %d\n", rate);
    fail_rest(r, 0);
    goto out;
  }
  p.max = (size_t)PV_TTS_MAX_SECONDS * (size_t)rate;

  qsort(r->jobs, r->n_jobs, sizeof *r->jobs, cmp_jobs);
  const char *voice = NULL;
  int voice_ok = 0;
  for (size_t i = 0; i < r->n_jobs; i++) {
    job *j = &r->jobs[i];
    lang_stats *ls = j->stats;
    if (!voice || strcmp(voice, j->voice) != 0) {
      voice = j->voice;
      st = espeak_ng_SetVoiceByName(voice);
      voice_ok = st == ENS_OK;
      if (!voice_ok)
        fprintf(stderr, "pv-tts: espeak-ng voice \"%s\": %s\n", voice,
                espeak_message(st, msg, sizeof msg));
      /* Set after the voice: loading a voice may reset the rate. */
      else if ((st = espeak_ng_SetParameter(espeakRATE, PV_TTS_RATE, 0)) != ENS_OK)
        fprintf(stderr, "pv-tts: espeak-ng rate: %s\n",
                espeak_message(st, msg, sizeof msg));
    }
    if (!voice_ok) {
      report_failure(j, "no voice");
      ls->failed++;
      r->failed = 1;
      continue;
    }
    p.n = 0;
    p.overflow = p.nomem = 0;
    /* Plain UTF-8: no SSML, no [[phonemes]], whatever the author typed. */
    st = espeak_ng_Synthesize(j->text, strlen(j->text) + 1, 0, POS_CHARACTER, 0,
                              espeakCHARS_UTF8, NULL, &p);
    if (st == ENS_OK)
      st = espeak_ng_Synchronize();
    const char *why = NULL;
    char detail[64];
    if (p.overflow) {
      snprintf(detail, sizeof detail, "longer than %d s of speech; record it instead",
               PV_TTS_MAX_SECONDS);
      why = detail;
    } else if (p.nomem) {
      why = "out of memory";
    } else if (st != ENS_OK) {
      why = espeak_message(st, msg, sizeof msg);
    } else if (p.n == 0) {
      why = "espeak-ng made no sound for it; record it instead";
    }
    pv_err err = why ? PV_OK : write_wav(r->out_dir, j->path, p.s, p.n, rate);
    if (err) {
      snprintf(msg, sizeof msg, "%s: %s", pv_strerror(err), pv_err_detail());
      why = msg;
    }
    if (why) {
      report_failure(j, why);
      ls->failed++;
      r->failed = 1;
      if (err == PV_ERR_FULL) {
        fail_rest(r, i + 1); /* every next write would fail the same way */
        break;
      }
      continue;
    }
    PV_DEBUG("tts: %s [%s] %.2f s -> %s", j->survey, j->lang, (double)p.n / rate,
             j->path);
    ls->rendered++;
  }
out:
  free(p.s);
  espeak_ng_Terminate();
}

/* ---- main ----------------------------------------------------------------- */

static int usage_error(const char *what, const char *arg) {
  fprintf(stderr, "pv-tts: %s%s\n%s", what, arg, usage_text);
  return 2;
}

int main(int argc, char **argv) {
  run r;
  memset(&r, 0, sizeof r);
  int n_paths = 0, only_paths = 0;
  /* Options anywhere; the surveys are compacted to the front of argv. */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (only_paths || a[0] != '-' || !a[1]) {
      argv[n_paths++] = argv[i];
    } else if (strcmp(a, "--") == 0) {
      only_paths = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0])
        return usage_error("a folder must follow ", a);
      r.out_dir = argv[++i];
    } else if (strcmp(a, "--no-ui") == 0) {
      r.no_ui = 1;
    } else if (strcmp(a, "--assets") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0])
        return usage_error("a folder must follow ", a);
      r.opts.assets_dir = argv[++i];
    } else {
      return usage_error("unknown option ", a);
    }
  }
  if (n_paths == 0)
    return usage_error("no survey given", "");
  if (!r.out_dir)
    r.out_dir = pv_tts_default_dir();

  double t0 = now_seconds();
  pv_err err = mkdirs(r.out_dir);
  if (err) {
    fprintf(stderr, "pv-tts: cache folder: %s: %s\n", pv_strerror(err),
            pv_err_detail());
    return 1;
  }
  for (int i = 0; i < n_paths; i++)
    load_path(&r, argv[i]);
  if (!r.no_ui)
    collect_ui(&r);
  if (r.n_jobs > 0) {
    remove_stale_temps(r.out_dir);
    render_all(&r);
    if ((err = sync_dir(r.out_dir)) != PV_OK) {
      fprintf(stderr, "pv-tts: %s: %s\n", pv_strerror(err), pv_err_detail());
      r.failed = 1;
    }
  }

  lang_stats total = {.tag = ""};
  for (size_t i = 0; i < r.n_langs; i++) {
    const lang_stats *ls = &r.langs[i];
    total.rendered += ls->rendered;
    total.cached += ls->cached;
    total.recorded += ls->recorded;
    total.novoice += ls->novoice;
    total.failed += ls->failed;
    if (ls->novoice)
      fprintf(stderr,
              "pv-tts: warning: espeak-ng has no voice for \"%s\": %zu texts need a "
              "human recording\n",
              ls->tag, ls->novoice);
  }
  printf("pv-tts: %zu surveys (%zu invalid) into %s in %.1f s\n", r.n_surveys,
         r.n_invalid, r.out_dir, now_seconds() - t0);
  printf("pv-tts: rendered %zu, cached %zu, recorded %zu, no voice %zu, failed %zu\n",
         total.rendered, total.cached, total.recorded, total.novoice, total.failed);
  if (!r.no_ui)
    printf("pv-tts: kiosk strings and language names: %zu rendered, %zu cached, "
           "%zu without a voice, %zu failed\n",
           r.ui.rendered, r.ui.cached, r.ui.novoice, r.ui.failed);
  for (size_t i = 0; i < r.n_langs; i++) {
    const lang_stats *ls = &r.langs[i];
    printf("  %-8s rendered %zu, cached %zu, recorded %zu, no voice %zu, failed %zu\n",
           ls->tag, ls->rendered, ls->cached, ls->recorded, ls->novoice, ls->failed);
  }

  for (size_t i = 0; i < r.n_jobs; i++) {
    free(r.jobs[i].lang);
    free(r.jobs[i].text);
    free(r.jobs[i].survey);
    free(r.jobs[i].path);
  }
  free(r.jobs);
  free(r.seen.slot);
  return r.failed ? 1 : 0;
}
