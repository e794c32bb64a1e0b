/* fuzz_survey: libFuzzer target for the survey loader (core/survey.h).
 *
 * Any bytes go through pv_survey_parse() (media not checked on disk). Past
 * the sanitizers, the harness checks the loader's contract: a result or
 * diagnostics, never both; positions inside the input; and, for a survey it
 * accepts, the model's promises (bounds, every text in every language,
 * unique ids, conditions pointing backwards, no \u0000 cutting a string
 * short). A broken promise aborts with a one-line reason, which libFuzzer
 * records as a crash. Prints nothing otherwise. Run through
 * scripts/fuzz-smoke.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/survey.h"
#include "core/tts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static FILE *devnull;

#define PROMISE(cond)                                                                  \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "fuzz_survey: broken promise: %s (%s:%d)\n", #cond, __FILE__,    \
              __LINE__);                                                               \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  setenv("PV_LOG", "error", 1); /* the loader's warnings are not findings */
  devnull = fopen("/dev/null", "w");
  return 0;
}

static int valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p++;
    int more = c < 0x80             ? 0
               : (c & 0xE0) == 0xC0 ? 1
               : (c & 0xF0) == 0xE0 ? 2
               : (c & 0xF8) == 0xF0 ? 3
                                    : -1;
    if (more < 0 || (more == 1 && c < 0xC2) || (more == 3 && c > 0xF4))
      return 0;
    for (int i = 0; i < more; i++, p++)
      if ((*p & 0xC0) != 0x80)
        return 0;
  }
  return 1;
}

typedef struct walk {
  const pv_survey *s;
  size_t texts;
} walk;

static void on_spoken(void *ud, pv_spoken_kind kind, const pv_text *text,
                      const pv_audio *audio) {
  walk *w = ud;
  PROMISE(kind == PV_SPOKEN_PROMPT || kind == PV_SPOKEN_CHOICE);
  PROMISE(text && text->s);
  PROMISE(audio);
  for (size_t i = 0; i < w->s->n_languages; i++) {
    const char *t = text->s[i];
    PROMISE(t && *t);
    PROMISE(strlen(t) <= PV_SURVEY_MAX_TEXT);
    PROMISE(valid_utf8(t));
    for (const char *p = t; *p; p++)
      PROMISE((unsigned char)*p >= 0x20 && *p != 0x7f);
    char path[512];
    pv_err err = pv_tts_path("/c", w->s->languages[i], t, path, sizeof path);
    PROMISE(err == PV_OK || err == PV_ERR_NOTFOUND);
    w->texts++;
  }
}

/* Returns 1 when data holds the JSON escape \u0000 (a backslash that is
 * not itself escaped, then u0000). cJSON decodes it to a NUL that cuts the
 * C string short, so the model would hold less than the file says; like
 * a raw NUL byte, the loader must refuse it. */
static int has_nul_escape(const uint8_t *data, size_t size) {
  for (size_t i = 0; i < size; i++) {
    if (data[i] != '\\')
      continue;
    size_t run = 0;
    while (i < size && data[i] == '\\')
      run++, i++;
    if (run % 2 == 1 && size - i >= 5 && data[i] == 'u' &&
        memcmp(data + i + 1, "0000", 4) == 0)
      return 1;
  }
  return 0;
}

static void check_text(const pv_survey *s, const pv_text *t) {
  PROMISE(t->s);
  for (size_t i = 0; i < s->n_languages; i++)
    PROMISE(t->s[i] && strlen(t->s[i]) <= PV_SURVEY_MAX_TEXT);
}

static void check_survey(const pv_survey *s) {
  PROMISE(s->id && *s->id && strlen(s->id) <= PV_SURVEY_MAX_ID);
  PROMISE(s->version >= 1);
  PROMISE(s->n_languages >= 1 && s->n_languages <= PV_SURVEY_MAX_LANGUAGES);
  for (size_t i = 0; i < s->n_languages; i++) {
    PROMISE(s->languages[i] && strlen(s->languages[i]) <= PV_SURVEY_MAX_LANG_TAG);
    PROMISE(pv_survey_lang_index(s, s->languages[i]) == (int)i); /* unique */
    (void)pv_lang_is_rtl(s->languages[i]);
    (void)pv_tts_voice(s->languages[i]);
  }
  check_text(s, &s->title);
  PROMISE(s->image);
  PROMISE(s->n_questions >= 1 && s->n_questions <= PV_SURVEY_MAX_QUESTIONS);
  for (size_t i = 0; i < s->n_questions; i++) {
    const pv_question *q = &s->questions[i];
    PROMISE((unsigned)q->type < PV_Q__COUNT);
    PROMISE(strcmp(pv_qtype_name(q->type), "unknown") != 0);
    (void)pv_qtype_measure(q->type);
    PROMISE(q->id && *q->id && strlen(q->id) <= PV_SURVEY_MAX_QID);
    PROMISE(pv_survey_question(s, q->id) == q); /* unique */
    PROMISE(q->image);
    check_text(s, &q->label);
    PROMISE(q->n_options <= PV_SURVEY_MAX_OPTIONS);
    for (size_t j = 0; j < q->n_options; j++) {
      PROMISE(q->options[j].id && q->options[j].image);
      check_text(s, &q->options[j].label);
      for (size_t k = 0; k < j; k++)
        PROMISE(strcmp(q->options[k].id, q->options[j].id) != 0);
    }
    if (q->relevant) {
      PROMISE(q->relevant->question_index < i);
      PROMISE(strcmp(s->questions[q->relevant->question_index].id,
                     q->relevant->question) == 0);
      PROMISE(q->relevant->n_values >= 1 && q->relevant->n_values <= 24);
    }
    switch (q->type) {
    case PV_Q_SMILEYS:
      PROMISE(q->points == 3 || q->points == 5);
      break;
    case PV_Q_CHOICE:
    case PV_Q_PHOTO_CHOICE:
      PROMISE(q->n_options >= 2);
      if (q->multiple || q->type == PV_Q_PHOTO_CHOICE)
        PROMISE(q->min >= 1 && q->min <= q->max && (size_t)q->max <= q->n_options);
      break;
    case PV_Q_RANKING:
      PROMISE(q->n_options >= 2 && q->n_options <= PV_SURVEY_MAX_RANKING);
      break;
    case PV_Q_MAP:
      PROMISE(q->plan);
      PROMISE(q->n_options >= 1 && q->n_options <= PV_SURVEY_MAX_PINS);
      PROMISE(q->max >= 1 && q->max <= 30);
      break;
    case PV_Q_SCALE:
      check_text(s, &q->low.label);
      check_text(s, &q->high.label);
      break;
    case PV_Q_VOICE:
      PROMISE(q->max_seconds >= 5 && q->max_seconds <= 300);
      break;
    case PV_Q_TEXT:
      PROMISE(q->max_length >= 1 && q->max_length <= 2000);
      break;
    default:
      break;
    }
  }
  walk w = {.s = s, .texts = 0};
  pv_survey_each_spoken(s, on_spoken, &w);
  PROMISE(w.texts >= s->n_languages * (1 + s->n_questions));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pv_survey *s = NULL;
  pv_diags d = {0};
  pv_err err =
      pv_survey_parse("fuzz.json", NULL, (const char *)data, size, NULL, &s, &d);
  /* Inputs are at most 64 KiB and libFuzzer turns a huge malloc into a
   * crash itself, so PV_ERR_NOMEM here means the loader mislabelled a
   * refusal. */
  PROMISE(err == PV_OK || err == PV_ERR_INVALID);
  PROMISE((err == PV_OK) == (s != NULL));
  PROMISE(d.count <= PV_SURVEY_MAX_DIAGS);
  if (err == PV_OK) {
    PROMISE(d.count == 0 && d.dropped == 0);
    PROMISE(!has_nul_escape(data, size));
    check_survey(s);
  } else {
    PROMISE(d.count > 0); /* a refusal explains itself */
  }
  size_t lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  for (size_t i = 0; i < d.count; i++) {
    const pv_diag *g = &d.items[i];
    PROMISE(g->file && strcmp(g->file, "fuzz.json") == 0);
    PROMISE(g->message && *g->message);
    PROMISE(g->line >= 1 && (size_t)g->line <= lines);
    PROMISE(g->col >= 1 && (size_t)g->col <= size + 1);
  }
  if (devnull)
    pv_diags_print(&d, devnull);
  pv_survey_free(s);
  pv_diags_free(&d);
  return 0;
}
