/* tts: where a synthesised prompt lives, shared by pv-tts and the kiosk.
 *
 * pv-tts renders every spoken text of the surveys with espeak-ng into a
 * cache folder of WAV files; the kiosk plays them when a text has no human
 * recording. Both find a file by the same key (docs/survey-format.md,
 * section Audio):
 *
 *   sha256("pv-tts/1\n" voice "\n" language "\n" text)  ->  <dir>/<key>.wav
 *
 * The voice is in the key, so changing the voice table re-renders only
 * what it changes. Anything else that changes the sound for every text
 * (the speaking rate, the WAV layout) must bump PV_TTS_KEY_PREFIX. */
#ifndef PV_TTS_H
#define PV_TTS_H

#include <stddef.h>

#include "core/err.h"
#include "core/sha256.h"

#define PV_TTS_KEY_PREFIX "pv-tts/1\n"

/* How pv-tts speaks: slightly slower than espeak's 175 words per minute,
 * for residents who do not read or are new to the language. */
#define PV_TTS_RATE 150

/* Longest synthesised recording; a text past it is an error, not a cut.
 * A 400-byte text (PV_SURVEY_MAX_TEXT) spoken at PV_TTS_RATE takes up to
 * about 30 s, so the bound leaves room for espeak's pauses. */
#define PV_TTS_MAX_SECONDS 60

/* Returns the espeak-ng voice for a BCP 47 tag ("fr", "ar-MA", "pt-BR"),
 * matching the whole tag first, then its primary subtag, ignoring case;
 * NULL when espeak-ng has no voice for it. The string is static. */
const char *pv_tts_voice(const char *lang);

/* Writes the cache key (64 lowercase hex digits and a NUL) of text spoken
 * by voice in lang. Returns PV_ERR_INVALID when voice or lang is empty or
 * holds a newline (the key would be ambiguous), PV_ERR_NOMEM. */
pv_err pv_tts_key(const char *voice, const char *lang, const char *text,
                  char out[PV_SHA256_HEX + 1]);

/* Writes "<dir>/<key>.wav" for text in lang into out (outlen bytes,
 * NUL-terminated). Returns PV_ERR_NOTFOUND when lang has no voice,
 * PV_ERR_TOOBIG when the path does not fit, or pv_tts_key()'s errors. */
pv_err pv_tts_path(const char *dir, const char *lang, const char *text, char *out,
                   size_t outlen);

/* Returns the cache folder: $PV_TTS_DIR when set and non-empty, else the
 * one chosen at build time (borrowed, static or from the environment). */
const char *pv_tts_default_dir(void);

#endif
