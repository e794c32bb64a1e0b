/* q_text: the `text` question's widget, without SDL.
 *
 * Writing is optional: closed, the question shows one big keyboard button
 * (and what was written, if anything, in a card that reopens it); the app
 * keeps its usual skip / next. Opened, the keyboard takes the screen: the
 * field on top shows the text through the same text pipeline as every
 * label (pv_draw_text: FriBidi order, HarfBuzz shaping, so Arabic joins
 * and mixed Arabic / Latin read in the right order), with a caret at the
 * paragraph's end, the count of characters and a done button; under it
 * the keys of kiosk/keyboard.c (never mirrored: a keyboard is a physical
 * layout), their language key switching FR / ع (the resident's language
 * first). Past max_length a key is refused, shown (red field) and spoken.
 * The answer is the text as a JSON string; empty is no answer.
 *
 * Widget ids: `keyboard` (open), `field` (the closed card), `keyboard:done`,
 * `key:C` for a key typing C as shown now (`key:é`, `key:É`), and
 * `key:shift`, `key:backspace`, `key:space`, `key:lang`, `key:page`. */
#ifndef PV_KIOSK_Q_TEXT_H
#define PV_KIOSK_Q_TEXT_H

#include <cjson/cJSON.h>

#include "core/survey.h"
#include "kiosk/draw.h"
#include "kiosk/keyboard.h"
#include "kiosk/metrics.h"
#include "kiosk/strings.h"
#include "kiosk/ui.h"

#define PV_QTEXT_DEFAULT_MAX 500 /* docs/survey-format.md */

/* The working state of the question on screen. */
typedef struct pv_qtext {
  pv_kb kb;
  pv_kb_buf buf;
  int open;                        /* the keyboard is on screen */
  int refused;                     /* the last key would have passed max_length */
  char shown[PV_KB_MAX_BYTES + 8]; /* what the field draws (borrowed by the frame) */
  char count[32];
} pv_qtext;

/* What the widget needs of the app. */
typedef struct pv_qtext_env {
  pv_ui *ui;
  pv_draw_list *dl;
  const pv_metrics *m;
  const pv_question *q;
  const char *lang;                                       /* the resident's language */
  const char *keyboard_icon, *done_icon, *backspace_icon; /* borrowed paths */
  pv_measure_fn measure; /* NULL: the field shows the text's start */
  void *measure_ud;
  void (*say)(void *ud, pv_str_id id);
  void (*say_prompt)(void *ud); /* the question's label */
  void (*click)(void *ud);      /* a key was typed (optional) */
  void *ud;
} pv_qtext_env;

/* Loads s from the JSON answer of q (NULL or not a string: empty), closed,
 * the keyboard in lang's layout. Text past max_length is cut. */
void pv_qtext_load(pv_qtext *s, const pv_question *q, const char *json,
                   const char *lang);

/* Returns the answer as a new cJSON string (caller deletes), or NULL when
 * nothing is written. */
cJSON *pv_qtext_encode(const pv_qtext *s);

/* Returns 1 while the keyboard is open (it then takes the whole screen). */
int pv_qtext_is_open(const pv_qtext *s);

/* Handles and draws the question: closed, in area (under the prompt, the
 * app draws the navigation); open, over all (the screen inside its
 * margins, nothing else drawn). */
void pv_qtext_do(pv_qtext *s, const pv_qtext_env *e, pv_rect area, pv_rect all);

#endif
