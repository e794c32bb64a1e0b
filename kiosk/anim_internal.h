/* anim_internal: what the animateur screens share (kiosk/anim*.c only).
 *
 * anim.c: life cycle, settings, gesture, PIN pad, menu, sessions.
 * anim_status.c: status and settings, USB export.
 * anim_restit.c: the restitution screen over kiosk/restit_view.
 * anim_prompts.c: recording prompts in any language. */
#ifndef PV_KIOSK_ANIM_INTERNAL_H
#define PV_KIOSK_ANIM_INTERNAL_H

#include "core/pin.h"
#include "kiosk/anim.h"

#define ANIM_TEXTS 24     /* formatted texts per frame */
#define ANIM_TEXT_LEN 480 /* bytes of one */

typedef enum anim_screen {
  ANIM_CLOSED,
  ANIM_PIN,     /* the PIN pad */
  ANIM_PIN_NEW, /* first run: choose a PIN, then confirm it */
  ANIM_MENU,
  ANIM_SESSION, /* starting a session: type, quartier, place, initials */
  ANIM_RESTIT,
  ANIM_STATUS, /* status and settings */
  ANIM_USB,
  ANIM_PROMPTS, /* recording prompts: survey, language, texts, the panel */
} anim_screen;

struct pv_anim {
  pv_store *store;
  pv_clock clock;
  pv_survey *const *surveys;
  size_t n_surveys;
  pv_anim_env env;
  pv_anim_settings set;
  unsigned generation;

  anim_screen screen;
  int64_t last_touch_ms; /* for the idle close */
  int64_t gesture_ms;    /* when both corners were first held, or -1 */
  int gesture_fired;     /* this hold already opened: wait for release */

  /* PIN pad */
  char digits[PV_PIN_MAX_DIGITS + 1];
  char first[PV_PIN_MAX_DIGITS + 1]; /* first-run: the PIN typed once */
  char pin_msg[160];                 /* what the pad says (French) */

  /* Session */
  pv_store_session session; /* the running one (uuid "" when none) */
  pv_store_session draft;   /* the form */
  int field;                /* the form's text field being typed, 0 none */
  struct {
    char code[PV_STORE_MAX_ID + 1];
    char name[PV_STORE_MAX_TEXT + 1];
  } quartiers[PV_ANIM_MAX_QUARTIERS];
  size_t n_quartiers;

  /* Status, USB */
  char usb_dirs[PV_ANIM_MAX_USB_DIRS][PV_ANIM_PATH];
  size_t n_usb_dirs;
  char msg[320]; /* the last action's outcome (French) */
  int msg_ok;

  /* Texts drawn this frame: draw commands borrow their strings until the
   * frame is rendered, so formatted ones live here (anim_text). */
  char texts[ANIM_TEXTS][ANIM_TEXT_LEN];
  int n_texts;

  /* Restitution */
  void *restit; /* kiosk/anim_restit.c's state */
  int restit_page;
  int64_t restit_ms; /* when the restitution was entered: past the idle
                        delay, leaving it asks for the PIN again */

  /* Recorded prompts */
  void *prompts;        /* kiosk/anim_prompts.c's state */
  unsigned prompts_gen; /* bumped when a recording is kept or deleted */
};

/* One frame of an animateur screen. */
typedef struct anim_frame {
  pv_anim *a;
  const pv_look *lk;
  int64_t now;
} anim_frame;

/* Formats a text that lives until the next frame (draw commands borrow
 * strings): never draw a stack buffer. Past ANIM_TEXTS, returns "". */
const char *anim_text(pv_anim *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Goes to screen s (resets what a screen keeps between frames). */
void anim_go(pv_anim *a, anim_screen s);
/* Draws the top bar: title, and a "back to the menu" button (1 when
 * tapped). */
int anim_top_bar(const anim_frame *f, const char *title);
/* Stores the settings and bumps the generation; logs a failure. */
void anim_save_settings(pv_anim *a);

/* Screens outside anim.c. */
void anim_screen_status(const anim_frame *f);
void anim_screen_usb(const anim_frame *f);
void anim_screen_restit(const anim_frame *f);
void anim_restit_free(pv_anim *a);
void anim_screen_prompts(const anim_frame *f);
/* Leaving the prompts screen: stops a recording, drops the take. */
void anim_prompts_leave(pv_anim *a);
/* 1 while the microphone records on the prompts screen. */
int anim_prompts_recording(const pv_anim *a);
void anim_prompts_free(pv_anim *a);

#endif
