/* test_strings: the kiosk's own strings (kiosk/strings.h). Every id has a
 * non-empty, valid UTF-8, bounded string in fr, ar and en; lookups fall
 * back from the whole tag to the primary subtag to French; placeholders
 * fill; endonyms are known and written in their own script; audio paths
 * follow the tts key of the language actually spoken. */
#include <stdint.h>
#include <stdlib.h>

#include "core/tts.h"
#include "kiosk/strings.h"
#include "tests/check.h"

/* Returns 1 when s is valid UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF) with no control characters. */
static int utf8_ok(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    uint32_t c = *s;
    int n = c < 0x80                 ? 0
            : c >= 0xC2 && c <= 0xDF ? 1
            : (c & 0xF0) == 0xE0     ? 2
            : c >= 0xF0 && c <= 0xF4 ? 3
                                     : -1;
    if (n < 0 || (n == 0 && c < 0x20))
      return 0;
    if (n > 0)
      c &= 0x3Fu >> n;
    for (int i = 1; i <= n; i++) {
      if ((s[i] & 0xC0) != 0x80)
        return 0;
      c = c << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (n == 3 && (c < 0x10000 || c > 0x10FFFF)))
      return 0;
    s += n + 1;
  }
  return 1;
}

/* Returns 1 when s holds a letter of the Arabic block (U+0600..U+06FF). */
static int has_arabic(const char *s) {
  for (; *s; s++)
    if (((unsigned char)s[0] == 0xD8 || (unsigned char)s[0] == 0xD9 ||
         (unsigned char)s[0] == 0xDA || (unsigned char)s[0] == 0xDB) &&
        ((unsigned char)s[1] & 0xC0) == 0x80)
      return 1;
  return 0;
}

/* Counts "%d" in s. */
static int count_args(const char *s) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, "%d")); p += 2)
    n++;
  return n;
}

static void test_table(void) {
  static const char *const must[] = {"fr", "ar", "en"};
  CHECK_INT(pv_str_lang_count(), 3);
  CHECK_STR(pv_str_lang_at(0), "fr"); /* French first: the fallback */
  for (int id = 0; id < PV_STR__COUNT; id++) {
    const char *name = pv_str_name((pv_str_id)id);
    CHECK(name && *name);
    for (size_t l = 0; l < sizeof must / sizeof must[0]; l++) {
      const char *s = pv_str((pv_str_id)id, must[l]);
      if (!s || !*s) {
        pv_test_fail(__FILE__, __LINE__, "%s has no %s string", name, must[l]);
        continue;
      }
      CHECK(utf8_ok(s));
      if (strlen(s) > PV_STR_MAX_BYTES)
        pv_test_fail(__FILE__, __LINE__, "%s [%s] is %zu bytes, limit %d", name,
                     must[l], strlen(s), PV_STR_MAX_BYTES);
      else
        pv_test_passed++;
      /* Placeholders agree across languages with what the table says. */
      CHECK_INT(count_args(s), pv_str_nargs((pv_str_id)id));
      /* No "%" other than the placeholders (they are not printf formats). */
      int pct = 0;
      for (const char *p = s; *p; p++)
        pct += *p == '%';
      CHECK_INT(pct, pv_str_nargs((pv_str_id)id));
      /* The Arabic column is in Arabic, the others are not. */
      CHECK_INT(has_arabic(s), strcmp(must[l], "ar") == 0);
      /* No leading or trailing space. */
      CHECK(s[0] != ' ' && s[strlen(s) - 1] != ' ');
    }
    /* Distinct languages say different things (nothing left untranslated),
     * except where the words happen to match ("Question %d ..." differs
     * by its tail). */
    CHECK(strcmp(pv_str((pv_str_id)id, "fr"), pv_str((pv_str_id)id, "ar")) != 0);
  }
  /* French typography: a no-break space before ? ! : (U+00A0). */
  CHECK_CONTAINS(pv_str(PV_STR_STILL_THERE, "fr"), "\xc2\xa0?");
  CHECK_CONTAINS(pv_str(PV_STR_THANKS, "fr"), "\xc2\xa0!");
  CHECK_CONTAINS(pv_str(PV_STR_CONSENT, "fr"), "\xc2\xa0:");
  /* The consent says the three things. */
  CHECK_CONTAINS(pv_str(PV_STR_CONSENT, "fr"), "anonyme");
  CHECK_CONTAINS(pv_str(PV_STR_CONSENT, "en"), "name");
  CHECK_CONTAINS(pv_str(PV_STR_CONSENT, "en"), "stop");
  CHECK_STR(pv_str(PV_STR_CHOSEN, "fr"), "Choisi");
  CHECK_STR(pv_str(PV_STR_YES, "ar"), "نعم");
}

static void test_fallback(void) {
  static const struct {
    const char *lang, *want; /* want: the table language used */
  } cases[] = {
      {"fr", "fr"},     {"FR", "fr"},    {"fr-FR", "fr"}, {"fr-BE", "fr"},
      {"ar", "ar"},     {"ar-MA", "ar"}, {"AR-dz", "ar"}, {"en", "en"},
      {"en-GB", "en"},  {"En-us", "en"}, {"tr", "fr"},    {"rom", "fr"},
      {"", "fr"},       {"e", "fr"},     {"ara", "fr"},   {"-ar", "fr"},
      {"arx-ar", "fr"}, {"fr-", "fr"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK_STR(pv_str_lang(cases[i].lang), cases[i].want);
    CHECK_STR(pv_str(PV_STR_NEXT, cases[i].lang), pv_str(PV_STR_NEXT, cases[i].want));
  }
  CHECK_STR(pv_str_lang(NULL), "fr");
  CHECK_STR(pv_str(PV_STR_NEXT, NULL), "Suivant");
  CHECK_STR(pv_str(PV_STR_NEXT, "ar-MA"), "التالي");
  CHECK_STR(pv_str(PV_STR_NEXT, "en-GB"), "Next");
  CHECK_STR(pv_str(PV_STR_NEXT, "tr"), "Suivant");
}

static void test_fill(void) {
  char buf[64];
  CHECK_INT(pv_str_fill(buf, sizeof buf, PV_STR_PICKED_N_OF_M, "fr", 2, 3), PV_OK);
  CHECK_STR(buf, "2 sur 3");
  CHECK_INT(pv_str_fill(buf, sizeof buf, PV_STR_PICKED_N_OF_M, "en", 1, 24), PV_OK);
  CHECK_STR(buf, "1 of 24");
  CHECK_INT(pv_str_fill(buf, sizeof buf, PV_STR_QUESTION_N_OF_M, "ar", 4, 12), PV_OK);
  CHECK_STR(buf, "السؤال 4 من 12");
  CHECK_INT(pv_str_fill(buf, sizeof buf, PV_STR_QUESTION_N_OF_M, "fr", -1, 0), PV_OK);
  CHECK_STR(buf, "Question -1 sur 0");
  /* No placeholders: the string as is. */
  CHECK_INT(pv_str_fill(buf, sizeof buf, PV_STR_NEXT, "fr", 7, 8), PV_OK);
  CHECK_STR(buf, "Suivant");
  /* Exactly enough room, then one byte short. */
  CHECK_INT(pv_str_fill(buf, 8, PV_STR_PICKED_N_OF_M, "fr", 2, 3), PV_OK);
  CHECK_STR(buf, "2 sur 3");
  CHECK_INT(pv_str_fill(buf, 7, PV_STR_PICKED_N_OF_M, "fr", 2, 3), PV_ERR_TOOBIG);
  CHECK_STR(buf, "2 sur ");
  /* A cut never splits a UTF-8 character: "السؤال" is 12 bytes. */
  CHECK_INT(pv_str_fill(buf, 7, PV_STR_QUESTION_N_OF_M, "ar", 1, 2), PV_ERR_TOOBIG);
  CHECK_STR(buf, "الس");
  CHECK_INT(pv_str_fill(buf, 6, PV_STR_QUESTION_N_OF_M, "ar", 1, 2), PV_ERR_TOOBIG);
  CHECK_STR(buf, "ال");
  CHECK(utf8_ok(buf));
  CHECK_INT(pv_str_fill(buf, 1, PV_STR_NEXT, "fr", 0, 0), PV_ERR_TOOBIG);
  CHECK_STR(buf, "");
  CHECK_INT(pv_str_fill(buf, sizeof buf, PV_STR_PICKED_N_OF_M, "fr", -2147483647 - 1,
                        2147483647),
            PV_OK);
  CHECK_STR(buf, "-2147483648 sur 2147483647");
}

static void test_endonyms(void) {
  static const struct {
    const char *lang, *name;
  } cases[] = {
      {"fr", "Français"},     {"fr-BE", "Français"},  {"FR", "Français"},
      {"ar", "العربية"},      {"ar-MA", "العربية"},   {"en", "English"},
      {"tr", "Türkçe"},       {"es", "Español"},      {"es-419", "Español"},
      {"pt", "Português"},    {"pt-BR", "Português"}, {"ro", "Română"},
      {"ru", "Русский"},      {"fa", "فارسی"},        {"zh", "中文"},
      {"rom", "Romani čhib"}, {"kab", "Taqbaylit"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_STR(pv_lang_endonym(cases[i].lang), cases[i].name);
  CHECK(pv_lang_endonym("xx") == NULL);
  CHECK(pv_lang_endonym("") == NULL);
  CHECK(pv_lang_endonym(NULL) == NULL);
  CHECK(pv_lang_endonym("f") == NULL);
  CHECK(pv_lang_endonym("fra") == NULL);

  size_t n = pv_lang_endonym_count();
  CHECK(n >= 20);
  for (size_t i = 0; i < n; i++) {
    const char *tag = pv_lang_endonym_tag(i), *name = pv_lang_endonym(tag);
    CHECK(tag && strlen(tag) >= 2 && strlen(tag) <= 3 && !strchr(tag, '-'));
    CHECK(name && *name && utf8_ok(name) && strlen(name) <= 40);
    for (size_t j = 0; j < i; j++)
      CHECK(strcmp(tag, pv_lang_endonym_tag(j)) != 0);
  }
  /* Every table language has a name. */
  for (size_t i = 0; i < pv_str_lang_count(); i++)
    CHECK(pv_lang_endonym(pv_str_lang_at(i)) != NULL);
}

static void test_audio_paths(void) {
  char p[512], want[512];
  /* A UI string is keyed by the language it is spoken in. */
  CHECK_INT(pv_str_audio_path("/c", PV_STR_NEXT, "fr", p, sizeof p), PV_OK);
  CHECK_INT(pv_tts_path("/c", "fr", "Suivant", want, sizeof want), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_str_audio_path("/c", PV_STR_NEXT, "ar-MA", p, sizeof p), PV_OK);
  CHECK_INT(pv_tts_path("/c", "ar", "التالي", want, sizeof want), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_str_audio_path("/c", PV_STR_NEXT, "tr", p, sizeof p), PV_OK);
  CHECK_INT(pv_tts_path("/c", "fr", "Suivant", want, sizeof want), PV_OK);
  CHECK_STR(p, want); /* French words in the French voice, not a Turkish one */
  CHECK_INT(pv_str_audio_path("/c", PV_STR_PICKED_N_OF_M, "fr", p, sizeof p),
            PV_ERR_INVALID);
  CHECK_STR(p, "");
  CHECK_INT(pv_str_audio_path("/c", PV_STR_NEXT, "fr", p, 10), PV_ERR_TOOBIG);

  /* An endonym is keyed by its own primary subtag. */
  CHECK_INT(pv_lang_endonym_audio_path("/c", "tr", p, sizeof p), PV_OK);
  CHECK_INT(pv_tts_path("/c", "tr", "Türkçe", want, sizeof want), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_lang_endonym_audio_path("/c", "pt-BR", p, sizeof p), PV_OK);
  CHECK_INT(pv_tts_path("/c", "pt", "Português", want, sizeof want), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_lang_endonym_audio_path("/c", "xx", p, sizeof p), PV_ERR_NOTFOUND);
  CHECK_INT(pv_lang_endonym_audio_path("/c", "rom", p, sizeof p), PV_ERR_NOTFOUND);
  CHECK_STR(p, "");
}

int main(void) {
  test_table();
  test_fallback();
  test_fill();
  test_endonyms();
  test_audio_paths();
  return pv_test_done();
}
