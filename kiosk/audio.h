/* audio: plays one spoken clip at a time through SDL audio.
 *
 * Every prompt and choice speaks (a human recording or the synthesised
 * one, core/tts.h); this module plays those WAV files. A new clip stops
 * the one playing. Clips are decoded once into the output format (16-bit
 * mono at PV_AUDIO_RATE) and kept in a small bounded cache, so a replay
 * (the speaker button, a long press) starts at once. The volume is
 * applied while mixing, so it changes a clip already playing.
 *
 * No sound card is not an error for the resident: when SDL audio cannot
 * start or no output device opens, pv_audio_open() still returns a
 * context, pv_audio_available() says 0, and play calls check and decode
 * the file as usual (so the same files are refused either way) but play
 * nothing: they return PV_OK and pv_audio_playing() stays 0.
 *
 * The context is called pv_audio_ctx because core/survey.h already names
 * a survey's recordings pv_audio. Use it from one thread (the UI's); SDL
 * calls the mixer from its own, under the device lock. */
#ifndef PV_KIOSK_AUDIO_H
#define PV_KIOSK_AUDIO_H

#include <stddef.h>

#include "core/err.h"

#define PV_AUDIO_RATE 22050             /* Hz; espeak-ng's own rate */
#define PV_AUDIO_MAX_FILE (16 << 20)    /* bytes of WAV file */
#define PV_AUDIO_MAX_SECONDS 120        /* of sound in one clip */
#define PV_AUDIO_CACHE_CLIPS 32         /* decoded clips kept */
#define PV_AUDIO_CACHE_BYTES (16 << 20) /* decoded bytes kept, all clips */
#define PV_AUDIO_DEFAULT_VOLUME 80

typedef struct pv_audio_ctx pv_audio_ctx;

/* Opens the default output device (initialising SDL's audio subsystem if
 * nobody did). Returns a context (caller frees with pv_audio_close), a
 * silent one when there is no device; NULL only when out of memory. */
pv_audio_ctx *pv_audio_open(void);

/* Returns 1 when a device is open and clips are heard, 0 when silent. */
int pv_audio_available(const pv_audio_ctx *a);

/* Stops what plays and plays the WAV at wav_path from its start. Returns
 * PV_OK (also on a silent context), PV_ERR_NOTFOUND (no such file),
 * PV_ERR_TOOBIG (file over PV_AUDIO_MAX_FILE or sound over
 * PV_AUDIO_MAX_SECONDS), PV_ERR_INVALID (not a regular file or not a WAV
 * SDL can decode), PV_ERR_IO, PV_ERR_NOMEM; on error nothing plays. */
pv_err pv_audio_play_file(pv_audio_ctx *a, const char *wav_path);

/* Stops what plays (nothing to do when nothing does). */
void pv_audio_stop(pv_audio_ctx *a);

/* Returns 1 while a clip is being played, else 0 (always 0 when silent). */
int pv_audio_playing(pv_audio_ctx *a);

/* Sets the volume, clamped to 0..100 (0 is silence, 100 the clip as
 * recorded); applies to the clip playing too. */
void pv_audio_set_volume(pv_audio_ctx *a, int volume);

/* Returns the volume in 0..100. */
int pv_audio_volume(const pv_audio_ctx *a);

/* Returns how many decoded clips the cache holds (for tests and logs). */
size_t pv_audio_cached(const pv_audio_ctx *a);

/* Stops, closes the device, frees the cache and a. NULL is fine. */
void pv_audio_close(pv_audio_ctx *a);

#endif
