/* tts: see tts.h. The voice table lists the espeak-ng voices (1.51) for
 * the languages a survey may declare; tags espeak-ng cannot speak (Romani,
 * Comorian, Kabyle, Wolof, Bambara, Soninke, Lingala...) are absent, so
 * their texts need human recordings. */
#include "core/tts.h"

#include "core/lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PV_DEFAULT_TTS_DIR
#error "PV_DEFAULT_TTS_DIR must be defined by the build (core/CMakeLists.txt)"
#endif

static const struct {
  const char *tag; /* a whole BCP 47 tag or a primary subtag */
  const char *voice;
} voices[] = {
    /* Regional variants espeak-ng has a voice for. */
    {"en-US", "en-us"},
    {"es-419", "es-419"},
    {"fr-BE", "fr-be"},
    {"fr-CH", "fr-ch"},
    {"pt-BR", "pt-br"},
    {"zh-yue", "yue"},
    /* Languages by primary subtag. */
    // clang-format off
    {"af", "af"},   {"am", "am"},   {"ar", "ar"},   {"az", "az"},
    {"be", "be"},   {"bg", "bg"},   {"bn", "bn"},   {"bs", "bs"},
    {"ca", "ca"},   {"cmn", "cmn"}, {"cs", "cs"},   {"cy", "cy"},
    {"da", "da"},   {"de", "de"},   {"el", "el"},   {"en", "en"},
    {"eo", "eo"},   {"es", "es"},   {"et", "et"},   {"eu", "eu"},
    {"fa", "fa"},   {"fi", "fi"},   {"fr", "fr"},   {"ga", "ga"},
    {"gu", "gu"},   {"he", "he"},   {"hi", "hi"},   {"hr", "hr"},
    {"ht", "ht"},   {"hu", "hu"},   {"hy", "hy"},   {"id", "id"},
    {"is", "is"},   {"it", "it"},   {"ja", "ja"},   {"ka", "ka"},
    {"kk", "kk"},   {"kmr", "ku"},  {"ko", "ko"},   {"ku", "ku"},
    {"ky", "ky"},   {"lt", "lt"},   {"lv", "lv"},   {"mk", "mk"},
    {"ml", "ml"},   {"mr", "mr"},   {"ms", "ms"},   {"mt", "mt"},
    {"nb", "nb"},   {"ne", "ne"},   {"nl", "nl"},   {"no", "nb"},
    {"om", "om"},   {"pa", "pa"},   {"pl", "pl"},   {"prs", "fa"},
    {"pt", "pt"},   {"ro", "ro"},   {"ru", "ru"},   {"sk", "sk"},
    {"sl", "sl"},   {"sq", "sq"},   {"sr", "sr"},   {"sv", "sv"},
    {"sw", "sw"},   {"ta", "ta"},   {"te", "te"},   {"th", "th"},
    {"tk", "tk"},   {"tr", "tr"},   {"tt", "tt"},   {"ug", "ug"},
    {"uk", "uk"},   {"ur", "ur"},   {"uz", "uz"},   {"vi", "vi"},
    {"yue", "yue"}, {"zh", "cmn"},
    // clang-format on
};

/* Returns the voice whose table tag is exactly the n bytes at tag. */
static const char *find(const char *tag, size_t n) {
  for (size_t i = 0; i < sizeof voices / sizeof voices[0]; i++)
    if (pv_lang_eq_n(tag, n, voices[i].tag))
      return voices[i].voice;
  return NULL;
}

const char *pv_tts_voice(const char *lang) {
  if (!lang || !*lang)
    return NULL;
  const char *v = find(lang, strlen(lang));
  if (v)
    return v;
  const char *dash = strchr(lang, '-');
  return dash ? find(lang, (size_t)(dash - lang)) : NULL;
}

/* Returns 1 when s can sit in the key between newlines. */
static int key_part_ok(const char *s) {
  return s && *s && !strchr(s, '\n');
}

pv_err pv_tts_key(const char *voice, const char *lang, const char *text,
                  char out[PV_SHA256_HEX + 1]) {
  PV_ASSERT(text && out);
  if (!key_part_ok(voice) || !key_part_ok(lang))
    return pv_fail(PV_ERR_INVALID, "tts: voice and language must be non-empty lines");
  pv_sha256 *h = pv_sha256_new();
  if (!h)
    return pv_fail(PV_ERR_NOMEM, "tts: cannot allocate a hasher");
  pv_sha256_update(h, PV_TTS_KEY_PREFIX, strlen(PV_TTS_KEY_PREFIX));
  pv_sha256_update(h, voice, strlen(voice));
  pv_sha256_update(h, "\n", 1);
  pv_sha256_update(h, lang, strlen(lang));
  pv_sha256_update(h, "\n", 1);
  pv_sha256_update(h, text, strlen(text));
  pv_sha256_final(h, out);
  return PV_OK;
}

pv_err pv_tts_path(const char *dir, const char *lang, const char *text, char *out,
                   size_t outlen) {
  PV_ASSERT(dir && text && out && outlen > 0);
  out[0] = '\0';
  const char *voice = pv_tts_voice(lang);
  if (!voice)
    return pv_fail(PV_ERR_NOTFOUND, "tts: no espeak-ng voice for language '%s'",
                   lang ? lang : "(null)");
  char key[PV_SHA256_HEX + 1];
  pv_err err = pv_tts_key(voice, lang, text, key);
  if (err)
    return err;
  size_t dlen = strlen(dir);
  const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
  int n = snprintf(out, outlen, "%s%s%s.wav", dir, sep, key);
  if (n < 0 || (size_t)n >= outlen) {
    out[0] = '\0';
    return pv_fail(PV_ERR_TOOBIG, "tts: cache path under %s longer than %zu bytes", dir,
                   outlen - 1);
  }
  return PV_OK;
}

const char *pv_tts_default_dir(void) {
  const char *env = getenv("PV_TTS_DIR");
  return env && *env ? env : PV_DEFAULT_TTS_DIR;
}
