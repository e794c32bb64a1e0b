/* wav: writes and reads the kiosk's recordings as WAV (RIFF, PCM 16-bit).
 *
 * Voice answers are stored as plain PCM WAV (16 kHz mono 16-bit, about
 * 1.9 MiB a minute), which every analyst's tool plays. Opus in Ogg would
 * be some 20 times smaller; docs/qualitative.md says when to switch. The
 * reader accepts only what the writer writes (a canonical 44-byte header),
 * for tests and for replaying a stored answer. No SDL here. */
#ifndef PV_WAV_H
#define PV_WAV_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PV_WAV_HEADER 44           /* bytes before the samples */
#define PV_WAV_MAX_BYTES (8 << 20) /* PV_STORE_MAX_ATTACHMENT */
#define PV_WAV_MEDIA_TYPE "audio/wav"
#define PV_WAV_VOICE_RATE 16000 /* Hz: the kiosk records voice notes at this rate */

/* Returns the file size of n mono 16-bit samples as WAV. */
size_t pv_wav_size(size_t n);

/* Writes n mono 16-bit samples at rate Hz as a WAV file into a new buffer
 * (*out, caller frees; *len its size). PV_ERR_TOOBIG past
 * PV_WAV_MAX_BYTES, PV_ERR_INVALID for a rate outside 8000..48000,
 * PV_ERR_NOMEM. */
pv_err pv_wav_encode(const int16_t *s, size_t n, int rate, uint8_t **out, size_t *len);

/* Parses a WAV written by pv_wav_encode: on PV_OK *rate is its rate, and
 * *samples (borrowed from bytes, little-endian, possibly unaligned) and *n
 * its samples. PV_ERR_INVALID for anything else. */
pv_err pv_wav_parse(const uint8_t *bytes, size_t len, int *rate,
                    const uint8_t **samples, size_t *n);

/* Returns sample i of samples from pv_wav_parse. */
int16_t pv_wav_sample(const uint8_t *samples, size_t i);

#endif
