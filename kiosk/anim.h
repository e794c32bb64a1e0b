/* anim: animateur mode, the kiosk's staff side (docs/animateur.md).
 *
 * Opened from any resident screen by a gesture no resident makes by
 * accident (two fingers held on two opposite corners for 3 s), then a
 * PIN pad (core/pin.h; a first-run screen sets the PIN when none is set).
 * Inside: start or end a session (type, quartier, place, initials), show
 * the session's results to the group (restitution), status and settings,
 * export to a USB folder. The app (kiosk/app.c) draws the resident's
 * journey and hands frames to this module while it is open; what the
 * journey needs back (the running session, the mode, the settings) it
 * reads through the getters below. No SDL: what needs the platform (sync
 * status, "sync now", storage, battery, USB folders, volume) comes in
 * through pv_anim_env callbacks, so tests drive every screen. Animateur
 * screens speak French only (animateurs read); the restitution speaks
 * the residents' languages. */
#ifndef PV_KIOSK_ANIM_H
#define PV_KIOSK_ANIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/store.h"
#include "core/survey.h"
#include "kiosk/look.h"
#include "kiosk/q_voice.h"

#define PV_ANIM_GESTURE_MS 3000  /* both corners held this long */
#define PV_ANIM_IDLE_MS 120000   /* animateur screens close after 2 idle minutes */
#define PV_ANIM_MAX_USB_DIRS 8   /* mounted folders offered for an export */
#define PV_ANIM_PATH 512         /* bytes of a folder path */
#define PV_ANIM_MAX_QUARTIERS 64 /* quartiers offered when starting a session */

/* The two ways a kiosk runs (issue 6, item 3). */
typedef enum pv_anim_mode {
  PV_MODE_KIOSK,  /* unattended: attract screen, inactivity reset */
  PV_MODE_TABLET, /* facilitated: after the thanks, "pass the tablet on" */
} pv_anim_mode;

/* Settings an animateur changes on the device; kept in the store's
 * settings (keys "kiosk.*", "restit.k"), so they survive a restart and
 * override the config file's values. */
typedef struct pv_anim_settings {
  int inactivity_s;  /* before "still there?", 20..300 */
  int volume;        /* 0..100 */
  int autoplay;      /* speak each prompt on entering its screen */
  int voice_notes;   /* voice questions offered */
  int k;             /* restitution: cells with fewer answers are hidden */
  pv_anim_mode mode; /* outside a session; a session's kind sets its own */
  char default_lang[PV_STORE_MAX_LANG + 1]; /* "" : the surveys' order */
} pv_anim_settings;

/* What the platform reports for the status screen. */
typedef struct pv_anim_status {
  int sync_configured;                   /* 0: this device has no collector */
  char last_sync[PV_STORE_TIME_LEN + 1]; /* last successful pass, or "" */
  char problem[PV_STORE_MAX_TEXT + 1];   /* last problem in plain French, or "" */
  int64_t storage_free;                  /* bytes free beside the store, -1 unknown */
  int storage_in_memory;                 /* 1: the store is in RAM, lost at power-off */
  int battery;                           /* percent, -1 when there is none */
  int charging;                          /* 1 plugged in */
} pv_anim_status;

typedef struct pv_anim_env {
  void *ud;
  /* Fills *out (may leave fields at their "unknown" values). */
  void (*status)(void *ud, pv_anim_status *out);
  /* Asks the sync thread for a pass now. NULL: no sync on this device. */
  void (*sync_now)(void *ud);
  /* Writes up to max mounted folders an export may go to (removable
   * media first) and returns how many. */
  size_t (*usb_dirs)(void *ud, char dirs[][PV_ANIM_PATH], size_t max);
  /* Exports everything to dir; PV_OK and a French summary in msg, or an
   * error and a French sentence saying what to do in msg. */
  pv_err (*usb_export)(void *ud, const char *dir, char *msg, size_t cap);
  /* Applies the volume (0..100) now. */
  void (*set_volume)(void *ud, int volume);
  /* The microphone for recording prompts (borrowed, must outlive the
   * anim; NULL: none) and a player for listening to them (a WAV path,
   * NULL stops; the callback NULL: silent). */
  const pv_qvoice_capture *capture;
  void (*play)(void *ud, const char *wav_path);
} pv_anim_env;

typedef struct pv_anim pv_anim;

/* Creates the animateur side over the store (borrowed), the clock
 * (copied), the loaded surveys (borrowed) and env (copied; NULL: no
 * platform). defaults are the config file's values; settings stored on
 * the device override them. A session left running by a power cut is
 * resumed. NULL when out of memory. */
pv_anim *pv_anim_new(pv_store *st, const pv_clock *clock, pv_survey *const *surveys,
                     size_t n_surveys, const pv_anim_settings *defaults,
                     const pv_anim_env *env);
void pv_anim_free(pv_anim *a);

/* Sets the platform's services (copied; NULL: none), e.g. once the sync
 * thread and the audio are up. */
void pv_anim_set_env(pv_anim *a, const pv_anim_env *env);

/* Sets the quartiers offered when starting a session (copied; at most
 * PV_ANIM_MAX_QUARTIERS): the collector's list, or the offline default. */
void pv_anim_set_quartiers(pv_anim *a, const char *const *codes,
                           const char *const *names, size_t n);

/* Follows the opening gesture on any resident screen: returns 1 once,
 * when two fingers have been held on two opposite corners for
 * PV_ANIM_GESTURE_MS, and writes the hold's progress (0..1, 0 when no
 * such hold) to *progress for the rings to draw. */
int pv_anim_gesture(pv_anim *a, const pv_ui *ui, const pv_metrics *m, double *progress);

/* Draws the progress rings of a hold in the corners (progress > 0). */
void pv_anim_draw_gesture(const pv_look *lk, double progress);

/* Opens animateur mode on the PIN pad (or the first-run screen). */
void pv_anim_open(pv_anim *a);
/* 1 while animateur mode is on screen. */
int pv_anim_is_open(const pv_anim *a);

/* Builds one animateur frame into lk (its ui, draw list, metrics). Returns
 * 1 while animateur mode stays open, 0 when it closed this frame (the
 * resident's journey resumes). */
int pv_anim_frame(pv_anim *a, const pv_look *lk);

/* Milliseconds until animateur mode needs a frame without input (-1:
 * none), and closes it after PV_ANIM_IDLE_MS without a touch. */
int64_t pv_anim_tick(pv_anim *a, const pv_ui *ui);

/* The running session's UUID, or "" (borrowed). */
const char *pv_anim_session(const pv_anim *a);
/* The mode residents meet now: the session's (kiosk for a self-service
 * kiosk session, tablet for the others), else the setting. */
pv_anim_mode pv_anim_mode_now(const pv_anim *a);
/* The current settings (borrowed). */
const pv_anim_settings *pv_anim_settings_now(const pv_anim *a);
/* Bumped each time the settings or the session change, so the app can
 * re-read them cheaply. */
unsigned pv_anim_generation(const pv_anim *a);

/* Bumped each time a recorded prompt is kept or deleted on the prompts
 * screen: the app reloads its prompts (pv_app_prompts_changed) when it
 * sees it move. */
unsigned pv_anim_prompts_generation(const pv_anim *a);

/* The current screen's name for the headless runner: "pin", "pin-new",
 * "admin", "session", "restitution", "status", "usb", "prompts". */
const char *pv_anim_screen_name(const pv_anim *a);

#endif
