/* q_voice: the `voice` question's widget and its consent screen, no SDL.
 *
 * A big record button; while recording, a stop button ringed by a
 * countdown to the question's max_seconds, a live level meter (RMS of the
 * last 50 ms) and the seconds left; then replay (through the app's audio
 * player, from a scratch WAV), record again and delete. Every control is a
 * pictogram whose label is spoken on a long press; the row mirrors in RTL.
 * Samples come from the platform through pv_qvoice_capture (kiosk/recorder
 * in pv-kiosk, a fake in tests), 16 kHz mono 16-bit, kept in memory until
 * the app stores them as a WAV attachment on leaving the screen.
 *
 * Before a response's first recording the app shows the consent screen
 * (pv_qvoice_consent_do): what happens to the recording, yes / no.
 *
 * Widget ids: `record`, `stop`, `replay`, `rerecord`, `delete`; on the
 * consent screen `consent:voice:yes`, `consent:voice:no`. */
#ifndef PV_KIOSK_Q_VOICE_H
#define PV_KIOSK_Q_VOICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/survey.h"
#include "kiosk/draw.h"
#include "kiosk/metrics.h"
#include "kiosk/strings.h"
#include "kiosk/ui.h"

#define PV_QVOICE_RATE 16000 /* Hz */
/* The longest recording whose WAV fits one attachment (8 MiB): 262 s,
 * under the format's largest max_seconds (300). */
#define PV_QVOICE_MAX_SECONDS 262
#define PV_QVOICE_LEVEL_MS 50 /* the meter's window */

/* The microphone, as the platform provides it. start returns PV_OK or
 * PV_ERR_NOTFOUND; take moves up to max samples captured so far into out
 * and returns how many; available says whether a capture device exists.
 * replay_path is a scratch file for replays (removed when a recording is
 * dropped). */
typedef struct pv_qvoice_capture {
  int (*available)(void *ud);
  pv_err (*start)(void *ud);
  void (*stop)(void *ud);
  size_t (*take)(void *ud, int16_t *out, size_t max);
  void *ud;
  const char *replay_path;
} pv_qvoice_capture;

typedef enum pv_qvoice_state {
  PV_QVOICE_IDLE,      /* nothing recorded */
  PV_QVOICE_RECORDING, /* the microphone is live */
  PV_QVOICE_DONE,      /* a recording is there */
} pv_qvoice_state;

/* The working state of the voice question on screen. */
typedef struct pv_qvoice {
  pv_qvoice_state state;
  int16_t *s; /* samples, owned; NULL when none */
  size_t n, cap;
  int dirty;      /* differs from what the store holds */
  int refused;    /* the last start failed (the button turns red) */
  char shown[16]; /* seconds left or length, as drawn (draw commands borrow) */
} pv_qvoice;

/* What the widget needs of the app. */
typedef struct pv_qvoice_env {
  pv_ui *ui;
  pv_draw_list *dl;
  const pv_metrics *m;
  const pv_question *q;
  const char *lang;
  const pv_qvoice_capture *cap;
  const char *mic_icon, *ear_icon, *cross_icon, *check_icon; /* borrowed paths */
  void (*say)(void *ud, pv_str_id id);
  void (*play)(void *ud, const char *wav_path); /* NULL: stop what plays */
  void *ud;
} pv_qvoice_env;

/* Returns the most samples a recording of q may hold. */
size_t pv_qvoice_max_samples(const pv_question *q);

/* Drops the recording (stopping the capture if it runs, removing the
 * replay file) and frees its samples; v is IDLE and clean after. */
void pv_qvoice_reset(pv_qvoice *v, const pv_qvoice_capture *cap);

/* Loads a stored WAV (as pv_wav_encode writes) as v's recording (DONE,
 * clean). PV_ERR_INVALID for another file, PV_ERR_NOMEM. */
pv_err pv_qvoice_load_wav(pv_qvoice *v, const pv_question *q, const uint8_t *bytes,
                          size_t len);

/* Writes the recording as a WAV (caller frees *out). PV_ERR_NOTFOUND when
 * there is none, else pv_wav_encode's errors. */
pv_err pv_qvoice_wav(const pv_qvoice *v, uint8_t **out, size_t *len);

/* Stops a recording in progress, keeping what was captured. */
void pv_qvoice_stop(pv_qvoice *v, const pv_qvoice_capture *cap);

/* Returns the sound level of the last 50 ms recorded, 0..1 (-60..0 dBFS). */
double pv_qvoice_level(const pv_qvoice *v);

/* Takes what the capture holds; stops at the question's maximum. Call each
 * frame while recording (pv_qvoice_do does). */
void pv_qvoice_pump(pv_qvoice *v, const pv_qvoice_capture *cap, const pv_question *q);

/* Handles and draws the voice controls in area. */
void pv_qvoice_do(pv_qvoice *v, const pv_qvoice_env *e, pv_rect area);

/* Handles and draws the consent screen's body in area (pictograms, the
 * words, yes / no). Returns 1 on yes, 2 on no, 0 otherwise. */
int pv_qvoice_consent_do(const pv_qvoice_env *e, pv_rect area);

#endif
