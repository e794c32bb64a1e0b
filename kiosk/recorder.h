/* recorder: captures the microphone through SDL for voice answers.
 *
 * SDL's audio thread delivers 16 kHz mono 16-bit samples into a bounded
 * buffer under a mutex; the UI thread takes them out each frame (through
 * the capture callbacks of kiosk/q_voice.h, so the app never touches SDL).
 * The device is opened on start and closed on stop: the microphone is live
 * only while the resident records. No capture device is not an error for
 * the kiosk: pv_recorder_available() says 0 and the voice questions are
 * skipped with the reason stored.
 *
 * A synthetic source (pv_recorder_open_synth) stands in for the device in
 * the headless runner: a soft 440 Hz tone paced by the runner's virtual
 * clock, so scripted recordings and their screenshots are reproducible.
 * Tests drive the real device path with SDL's `disk` driver, which reads
 * capture input from the raw file named by SDL_DISKAUDIOFILEIN. */
#ifndef PV_KIOSK_RECORDER_H
#define PV_KIOSK_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PV_RECORDER_RATE 16000   /* Hz, mono, signed 16-bit native order */
#define PV_RECORDER_BUFFER 65536 /* samples held between two takes (4 s) */

typedef struct pv_recorder pv_recorder;

/* Returns a recorder over the default capture device (initialising SDL's
 * audio subsystem if nobody did; caller frees with pv_recorder_close), one
 * with no device when there is none; NULL only when out of memory. */
pv_recorder *pv_recorder_open(void);

/* Returns a recorder whose input is a synthetic tone, one sample per
 * 1/16000 s of *clock_ms (borrowed; must outlive the recorder). */
pv_recorder *pv_recorder_open_synth(const int64_t *clock_ms);

/* Returns 1 when recording can start (a capture device exists), else 0. */
int pv_recorder_available(const pv_recorder *r);

/* Empties the buffer and starts capturing. PV_ERR_NOTFOUND when there is
 * no capture device or it will not open (details in pv_err_detail()). */
pv_err pv_recorder_start(pv_recorder *r);

/* Stops capturing (samples already captured stay to be taken). */
void pv_recorder_stop(pv_recorder *r);

/* Moves up to max captured samples into out, oldest first; returns how
 * many. */
size_t pv_recorder_take(pv_recorder *r, int16_t *out, size_t max);

/* Returns how many samples were lost because the buffer was full (the UI
 * thread did not take them in time) since the last start. */
size_t pv_recorder_dropped(const pv_recorder *r);

/* Stops and frees r. NULL is fine. */
void pv_recorder_close(pv_recorder *r);

#endif
