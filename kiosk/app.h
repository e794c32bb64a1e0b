/* app: the resident's journey, without SDL.
 *
 * attract -> language -> consent -> survey (when several) -> one question
 * per screen -> thanks -> attract. The app owns the journey's state and
 * the current response; each answer goes to the store when the resident
 * leaves its screen. Each frame it reads the widget context (kiosk/ui),
 * changes state, and fills a draw list (kiosk/draw) that the platform
 * renders. Sound goes out through a callback, so the app never touches a
 * device; time comes from the injected clock (inactivity, animations). */
#ifndef PV_KIOSK_APP_H
#define PV_KIOSK_APP_H

#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/store.h"
#include "core/survey.h"
#include "kiosk/draw.h"
#include "kiosk/metrics.h"
#include "kiosk/q_voice.h"
#include "kiosk/ui.h"

#define PV_APP_MAX_SURVEYS 32
#define PV_APP_MAX_LANGS 16
#define PV_APP_THANKS_MS 8000 /* thanks screen, then attract */
#define PV_APP_COUNTDOWN_S 10 /* "still there?" countdown */

typedef enum pv_screen {
  PV_SCREEN_ATTRACT,
  PV_SCREEN_LANGUAGE,
  PV_SCREEN_CONSENT,
  PV_SCREEN_SURVEY,
  PV_SCREEN_QUESTION,
  PV_SCREEN_THANKS,
  PV_SCREEN_VOICE_CONSENT, /* before a response's first recording */
  PV_SCREEN_HANDOFF,       /* tablet mode: "pass the tablet to the next person" */
} pv_screen;

/* Plays a WAV file (NULL: stop). The platform decides what "no audio
 * device" means: usually silence. */
typedef void (*pv_speak_fn)(void *ud, const char *wav_path);

typedef struct pv_app_config {
  int inactivity_s; /* before "still there?" (default 40) */
  int autoplay;     /* speak the prompt on entering a screen */
  const char *tts_dir;
  const char *assets_dir;   /* pictograms for the kiosk's own screens */
  const char *default_lang; /* offered first (NULL: the surveys' order) */
  int voice_off;            /* 1: voice questions hidden (voice_notes: false) */
  int volume;               /* 0..100, the config file's (animateur default) */
  /* Where the device's recorded prompts are written, each once, as
   * <sha256>.wav, to be played (made 0700 if missing; NULL: recordings
   * are not played). */
  const char *prompts_dir;
} pv_app_config;

typedef struct pv_app pv_app;

/* Creates the app over loaded surveys (borrowed, must outlive the app; at
 * least one), a store (borrowed) and a clock (copied). Returns NULL when
 * out of memory. */
pv_app *pv_app_new(pv_survey *const *surveys, size_t n_surveys, pv_store *store,
                   const pv_clock *clock, const pv_app_config *cfg);
void pv_app_free(pv_app *app);

/* Sets where speech goes (NULL fn: silent). */
void pv_app_set_speaker(pv_app *app, pv_speak_fn fn, void *ud);

/* Encodes w x h pixels (0xRRGGBBAA, rows from the top) as PNG into *out
 * (caller frees with free()), at most cap bytes (else PV_ERR_TOOBIG).
 * kiosk/png.c's pv_png_encode is the one the platform sets. */
typedef pv_err (*pv_png_fn)(void *ud, const uint32_t *px, int w, int h, size_t cap,
                            unsigned char **out, size_t *len);

/* Sets the drawing question's PNG encoder (NULL: drawings are not stored,
 * and say so in the log). */
void pv_app_set_png(pv_app *app, pv_png_fn fn, void *ud);

/* Returns the drawing canvas's pixels (kiosk/canvas.h's layout; borrowed,
 * valid until the next frame), or NULL before the first drawing question. */
const uint32_t *pv_app_canvas(const pv_app *app);

/* Sets the microphone (copied; its ud and replay_path must outlive the
 * app). Without one, voice questions are skipped and the response records
 * {"skipped": "no_capture_device"}. */
void pv_app_set_capture(pv_app *app, const pv_qvoice_capture *cap);

/* Builds one frame: handles what the widgets report, then draws into dl
 * (cleared first) for a window described by m. measure sizes text. */
void pv_app_frame(pv_app *app, pv_ui *ui, pv_draw_list *dl, const pv_metrics *m,
                  pv_measure_fn measure, void *measure_ud);

/* Advances time (inactivity, countdown, thanks, animations). Returns the
 * milliseconds until the app next needs a frame without input (-1: none,
 * the kiosk can sleep until a touch). */
int64_t pv_app_tick(pv_app *app, pv_ui *ui);

/* The current screen's name as the headless runner's `expect` spells it:
 * "attract", "language", "consent", "survey", "question:QID", "thanks",
 * "voice-consent", "handoff"; while animateur mode is open, its screen's
 * name (kiosk/anim.h).
 * Written into buf; returns buf. */
const char *pv_app_screen_name(const pv_app *app, char *buf, size_t size);

/* Reloads the recorded prompts from the store (pv_store_prompt_list) and
 * the languages they complete: the platform calls it after a sync kept
 * recordings from the collector; the app calls it itself when animateur
 * mode keeps or deletes one. Recordings play instead of the synthesised
 * voice: the survey's own audio file for the language first, then this
 * device's recording of (survey, key, the resident's language), then the
 * synthesised file. A language no survey declares is offered when every
 * question of some survey has its prompt ("q:" key) recorded in it (voice
 * questions left out when voice notes are off); such a survey shows its
 * texts, and the kiosk its strings, in the survey's first language. */
void pv_app_prompts_changed(pv_app *app);

/* Returns the animateur side (borrowed): the platform sets its env and
 * quartiers. */
struct pv_anim *pv_app_anim(pv_app *app);

/* Opens animateur mode (its PIN pad) as the corner gesture does: for a
 * keyboard an animateur plugs in (Ctrl+Alt+A in pv-kiosk) or a mouse. */
void pv_app_open_animateur(pv_app *app, pv_ui *ui);

/* Returns the current screen. */
pv_screen pv_app_screen(const pv_app *app);

/* Returns the RTL flag of the current language (for metrics). */
int pv_app_rtl(const pv_app *app);

/* Returns the UUID of the response in progress, or "" (borrowed). */
const char *pv_app_response(const pv_app *app);

#endif
