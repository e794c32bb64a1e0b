/* survey: the survey model, its loader and its validator.
 *
 * A survey file (docs/survey-format.md) becomes a pv_survey only through
 * pv_survey_load(), which checks everything: syntax, UTF-8, nesting, types,
 * ids, texts in every language, media files, conditions. Each problem is
 * reported as a pv_diag ("path:line:col: message"). The model is read-only
 * for its users: the kiosk, the linter, the sync and the collector. */
#ifndef PV_SURVEY_H
#define PV_SURVEY_H

#include <stddef.h>

#include "core/diag.h"
#include "core/err.h"
#include "core/lang.h"

/* Named bounds; past any of them the loader stops or reports. */
#define PV_SURVEY_FORMAT 1
#define PV_SURVEY_MAX_FILE (1 << 20)
#define PV_SURVEY_MAX_DEPTH 16
#define PV_SURVEY_MAX_QUESTIONS 64
#define PV_SURVEY_MAX_OPTIONS 24
#define PV_SURVEY_MAX_RANKING 8
#define PV_SURVEY_MAX_PINS 8
#define PV_SURVEY_MAX_LANGUAGES 12
#define PV_SURVEY_MAX_TEXT 400
#define PV_SURVEY_MAX_ID 48
#define PV_SURVEY_MAX_QID 32
#define PV_SURVEY_MAX_CODE 32
#define PV_SURVEY_MAX_CODES 16
#define PV_SURVEY_MAX_PATH 200
#define PV_SURVEY_MAX_IMAGE (2 << 20)
#define PV_SURVEY_MAX_PHOTO (4 << 20)
#define PV_SURVEY_MAX_AUDIO (16 << 20)
#define PV_SURVEY_MAX_DIAGS PV_DIAGS_MAX
#define PV_SURVEY_MAX_LANG_TAG PV_LANG_MAX_TAG

typedef enum pv_qtype {
  PV_Q_SMILEYS,
  PV_Q_CHOICE,
  PV_Q_YES_NO,
  PV_Q_SCALE,
  PV_Q_RANKING,
  PV_Q_MAP,
  PV_Q_DRAWING,
  PV_Q_PHOTO_CHOICE,
  PV_Q_VOICE,
  PV_Q_TEXT,
  PV_Q__COUNT
} pv_qtype;

typedef enum pv_measure { PV_QUANTITATIVE, PV_QUALITATIVE } pv_measure;

/* A text in every declared language: s[i] is for survey->languages[i]. */
typedef struct pv_text {
  char **s;
} pv_text;

/* Audio recordings per language: path[i] is NULL when language i has no
 * human recording (the synthesised one speaks). Paths are resolved
 * (absolute or relative to the working directory as given). */
typedef struct pv_audio {
  char **path;
} pv_audio;

typedef struct pv_referentiel {
  char *pillar;                /* NULL when none */
  char **evaluative_questions; /* n_evaluative entries */
  size_t n_evaluative;
  char **indicators;
  size_t n_indicators;
} pv_referentiel;

/* An option: a choice, a ranking item, a kind of map pin or a photo. */
typedef struct pv_option {
  char *id;
  pv_text label;
  char *image; /* resolved path of the pictogram (or photo) */
  pv_audio audio;
  int exclusive; /* multiple choice: picking it clears the others ("none") */
} pv_option;

/* A condition: show the question when the answer to `question` (an
 * earlier one, index `question_index`) is one of `values`. Values are
 * stored as JSON scalars in text form: 3, "parc", "yes". */
typedef struct pv_condition {
  char *question;
  size_t question_index;
  char **values;
  size_t n_values;
} pv_condition;

typedef struct pv_question {
  char *id;
  pv_qtype type;
  pv_text label;
  char *image;
  pv_audio audio;
  int required;
  pv_condition *relevant;     /* NULL when always shown */
  pv_referentiel referentiel; /* effective: inherits the survey's */

  pv_option *options; /* choices, ranking items, pins or photos */
  size_t n_options;
  int points;          /* smileys: 3 or 5 */
  int multiple;        /* choice */
  int min, max;        /* choice (multiple), photo_choice, map (max pins) */
  pv_option low, high; /* scale ends (id is "low"/"high") */
  char *plan;          /* map: resolved plan image path */
  int has_bounds;
  double west, south, east, north;
  int max_seconds; /* voice */
  int max_length;  /* text, in characters */
} pv_question;

typedef struct pv_survey {
  char *id;
  int version;
  char **languages; /* n_languages BCP 47 tags; [0] is the default */
  size_t n_languages;
  pv_text title;
  char *image;
  pv_audio audio;
  pv_referentiel referentiel;
  pv_question *questions;
  size_t n_questions;
  char *dir; /* the survey folder, as given */
} pv_survey;

typedef struct pv_survey_opts {
  const char *assets_dir; /* where "pictograms/..." resolve; NULL = built-in */
} pv_survey_opts;

/* Loads and validates a survey from a folder (its survey.json) or from a
 * survey.json path. On success returns PV_OK and *out (caller frees with
 * pv_survey_free). On failure returns PV_ERR_INVALID (or NOMEM), *out is
 * NULL, and every problem is appended to diags (caller frees with
 * pv_diags_free). Never crashes on any bytes. */
pv_err pv_survey_load(const char *path, const pv_survey_opts *opts, pv_survey **out,
                      pv_diags *diags);

/* Same, from bytes in memory; `name` is used in messages and `dir` is
 * where media paths resolve (NULL: media are not checked on disk). */
pv_err pv_survey_parse(const char *name, const char *dir, const char *data, size_t len,
                       const pv_survey_opts *opts, pv_survey **out, pv_diags *diags);

void pv_survey_free(pv_survey *s);

/* Returns the type's name as written in files ("smileys"...). */
const char *pv_qtype_name(pv_qtype t);

/* Returns whether answers of type t are quantitative or qualitative. */
pv_measure pv_qtype_measure(pv_qtype t);

/* Returns the index of lang in s->languages, or -1. */
int pv_survey_lang_index(const pv_survey *s, const char *lang);

/* What a spoken text is, for audio coverage: a prompt (title, question
 * label) or a choice (option label, scale end). */
typedef enum pv_spoken_kind { PV_SPOKEN_PROMPT, PV_SPOKEN_CHOICE } pv_spoken_kind;

typedef void (*pv_spoken_fn)(void *ud, pv_spoken_kind kind, const pv_text *text,
                             const pv_audio *audio);

/* Calls fn once for every text the kiosk speaks, in survey order: the
 * title, then each question's label and its options (scale ends too). */
void pv_survey_each_spoken(const pv_survey *s, pv_spoken_fn fn, void *ud);

/* Returns the question with that id, or NULL (borrowed). */
const pv_question *pv_survey_question(const pv_survey *s, const char *id);

#endif
