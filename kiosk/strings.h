/* strings: the kiosk's own words (buttons, consent, inactivity, thanks)
 * and each language's name in its own script, for the language picker.
 *
 * Survey texts come from the survey files; these are the few the kiosk
 * says itself. They live in one static table, French first (the default
 * and the fallback), then Arabic and English. Every string is also spoken:
 * pv-tts renders each one into the synthesised-prompt cache (core/tts.h),
 * and the kiosk finds the file with pv_str_audio_path(), so the two always
 * agree on the key. No SDL here. */
#ifndef PV_KIOSK_STRINGS_H
#define PV_KIOSK_STRINGS_H

#include <stddef.h>

#include "core/err.h"

/* Longest UI string, in bytes (Arabic takes two per letter); the test
 * holds every entry to it, so layout can plan for it. */
#define PV_STR_MAX_BYTES 240

typedef enum pv_str_id {
  PV_STR_TAP_TO_START,    /* attract screen */
  PV_STR_CHOOSE_LANGUAGE, /* language picker prompt */
  PV_STR_CONSENT,         /* anonymous, why, can stop */
  PV_STR_CONSENT_YES,     /* start */
  PV_STR_CONSENT_NO,      /* decline: back to attract */
  PV_STR_CHOOSE_SURVEY,   /* survey picker prompt */
  PV_STR_NEXT,            /* nav */
  PV_STR_BACK,            /* nav */
  PV_STR_SKIP,            /* optional question */
  PV_STR_YES,             /* yes_no */
  PV_STR_NO,              /* yes_no */
  PV_STR_STILL_THERE,     /* inactivity countdown */
  PV_STR_THANKS,          /* end of a survey */
  PV_STR_CHOSEN,          /* short spoken feedback on selection */
  PV_STR_REMOVED,         /* short spoken feedback on deselection */
  PV_STR_PICKED_N_OF_M,   /* "%d sur %d": chosen so far, most allowed */
  PV_STR_QUESTION_N_OF_M, /* "Question %d sur %d": progress */
  PV_STR_MAX_REACHED,     /* multiple choice at its max */
  PV_STR_LISTEN,          /* speaker button */
  PV_STR_LANGUAGE,        /* language button (top corner) */
  PV_STR_FINISH,          /* last question: end the survey */
  PV_STR_QUIT,            /* stop here, answers so far are kept */
  PV_STR_RECORD,          /* voice question: start recording */
  PV_STR_STOP,            /* voice question: stop recording */
  PV_STR_PLAY_BACK,       /* voice question: hear the recording */
  PV_STR_ERASE,           /* voice and drawing: start over */
  PV_STR_VOICE_CONSENT,   /* before the first recording: what happens to it */
  PV_STR_VOICE_YES,       /* voice consent: yes, record */
  PV_STR_VOICE_NO,        /* voice consent: no, skip the voice questions */
  PV_STR_RECORD_AGAIN,    /* voice question: record over the last one */
  PV_STR_COLOUR_BLACK,    /* drawing: swatches, spoken */
  PV_STR_COLOUR_RED,
  PV_STR_COLOUR_ORANGE,
  PV_STR_COLOUR_GREEN,
  PV_STR_COLOUR_BLUE,
  PV_STR_COLOUR_SKY,
  PV_STR_COLOUR_PINK,
  PV_STR_COLOUR_BROWN,
  PV_STR_ERASER,     /* drawing: paint with the background */
  PV_STR_BRUSH_FINE, /* drawing: brush sizes */
  PV_STR_BRUSH_MEDIUM,
  PV_STR_BRUSH_THICK,
  PV_STR_UNDO,       /* drawing: take back the last stroke */
  PV_STR_CLEAR_HOLD, /* drawing: the bin, tapped: how to use it */
  PV_STR_CLEARED,    /* drawing: the bin, held: done */
  PV_STR_HANDOFF,    /* tablet mode: pass the tablet to the next person */
  PV_STR_MY_TURN,    /* tablet mode: the next resident starts */
  PV_STR_NOT_ENOUGH, /* restitution: a hidden cell (K rule) */
  PV_STR_RESULTS,    /* restitution: title */
  PV_STR__COUNT
} pv_str_id;

/* Returns the string id in lang (a BCP 47 tag: "fr", "ar-MA"), matching
 * the whole tag, then its primary subtag (ASCII case ignored), then
 * French. Never NULL; static storage. An out-of-range id is a bug. */
const char *pv_str(pv_str_id id, const char *lang);

/* Returns the table language pv_str() uses for lang ("fr" for "tr" or
 * NULL, "ar" for "ar-MA"); static. Speak pv_str(id, lang) in this one. */
const char *pv_str_lang(const char *lang);

/* Returns the enum's name without prefix ("TAP_TO_START"), for logs and
 * tests; static, never NULL for a valid id. */
const char *pv_str_name(pv_str_id id);

/* Returns the number of placeholders ("%d") in the string id: 0, or 2
 * for the "N of M" strings. Strings with placeholders are not rendered
 * by pv-tts (the numbers vary). */
int pv_str_nargs(pv_str_id id);

/* Writes pv_str(id, lang) into out (outlen bytes, NUL-terminated) with
 * its "%d" placeholders replaced by a then b, in order. Returns PV_OK or
 * PV_ERR_TOOBIG (out holds a cut, still valid UTF-8, string). */
pv_err pv_str_fill(char *out, size_t outlen, pv_str_id id, const char *lang, int a,
                   int b);

/* Writes the cache path of the spoken string (core/tts.h): the text of
 * pv_str(id, lang) in pv_str_lang(lang). Returns pv_tts_path()'s errors,
 * PV_ERR_INVALID for strings with placeholders. */
pv_err pv_str_audio_path(const char *dir, pv_str_id id, const char *lang, char *out,
                         size_t outlen);

/* Number of table languages, and the i-th tag ("fr", "ar", "en"). */
size_t pv_str_lang_count(void);
const char *pv_str_lang_at(size_t i);

/* Returns the language's own name in its own script ("Français",
 * "العربية", "Türkçe"), matching the whole tag then its primary subtag
 * (ASCII case ignored); NULL when the table does not know it (show the
 * tag). Static storage. */
const char *pv_lang_endonym(const char *lang);

/* Returns the name to show for lang with the kiosk's fonts (Noto Sans:
 * Latin, Greek, Cyrillic; Noto Sans Arabic): its endonym when they draw
 * its script, else its name in Latin letters ("Tamil" for தமிழ்), else
 * NULL (show the tag). Static storage. */
const char *pv_lang_shown_name(const char *lang);

/* Writes the cache path of the spoken endonym of lang: the text
 * pv_lang_endonym(lang) spoken in its table tag (the primary subtag).
 * Returns PV_ERR_NOTFOUND when there is no endonym or no voice, or
 * pv_tts_path()'s errors. */
pv_err pv_lang_endonym_audio_path(const char *dir, const char *lang, char *out,
                                  size_t outlen);

/* Number of known endonyms, and the i-th one's tag and name (static),
 * for pv-tts and the tests. */
size_t pv_lang_endonym_count(void);
const char *pv_lang_endonym_tag(size_t i);

#endif
