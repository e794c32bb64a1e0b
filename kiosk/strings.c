/* strings: see strings.h. French is written as it is spoken to a
 * neighbour ("vous", short sentences, a no-break space before ? ! :, as
 * in content/surveys); Arabic is Modern Standard Arabic with the polite
 * plural (أنتم), gender-neutral and usual in the Maghreb, like the sample
 * surveys; English is plain. Numbers stay Western digits in every
 * language, as on Maghreb signage. */
#include "kiosk/strings.h"

#include "core/lang.h"

#include <stdio.h>
#include <string.h>

#include "core/tts.h"

/* The table's languages, in column order; French first is the fallback. */
enum { FR, AR, EN, N_LANGS };
static const char *const langs[N_LANGS] = {"fr", "ar", "en"};

#define NBSP "\xc2\xa0" /* U+00A0, before ? ! : in French */

/* One row per string, one line per language. */
// clang-format off
static const struct {
  const char *name;
  int nargs; /* "%d" placeholders */
  const char *text[N_LANGS];
} table[] = {
    [PV_STR_TAP_TO_START] = {"TAP_TO_START", 0,
        {"Touchez l'écran pour commencer",
         "المسوا الشاشة للبدء",
         "Touch the screen to start"}},
    [PV_STR_CHOOSE_LANGUAGE] = {"CHOOSE_LANGUAGE", 0,
        {"Choisissez votre langue",
         "اختاروا لغتكم",
         "Choose your language"}},
    [PV_STR_CONSENT] = {"CONSENT", 0,
        {"C'est anonyme" NBSP ": nous ne vous demandons pas votre nom. "
         "Vos réponses aident à améliorer le quartier. "
         "Vous pouvez arrêter quand vous voulez.",
         "المشاركة مجهولة الهوية: لا نسألكم عن أسمائكم. "
         "أجوبتكم تساعد على تحسين الحي. "
         "يمكنكم التوقّف متى شئتم.",
         "It is anonymous: we do not ask your name. "
         "Your answers help to make the neighbourhood better. "
         "You can stop at any time."}},
    [PV_STR_CONSENT_YES] = {"CONSENT_YES", 0,
        {"D'accord, je commence",
         "نعم، أبدأ",
         "OK, let's start"}},
    [PV_STR_CONSENT_NO] = {"CONSENT_NO", 0,
        {"Non merci",
         "لا، شكرًا",
         "No, thank you"}},
    [PV_STR_CHOOSE_SURVEY] = {"CHOOSE_SURVEY", 0,
        {"De quoi voulez-vous parler" NBSP "?",
         "عن أيّ موضوع تريدون الحديث؟",
         "What would you like to talk about?"}},
    [PV_STR_NEXT] = {"NEXT", 0, {"Suivant", "التالي", "Next"}},
    [PV_STR_BACK] = {"BACK", 0, {"Retour", "رجوع", "Back"}},
    [PV_STR_SKIP] = {"SKIP", 0, {"Passer", "تخطّي", "Skip"}},
    [PV_STR_YES] = {"YES", 0, {"Oui", "نعم", "Yes"}},
    [PV_STR_NO] = {"NO", 0, {"Non", "لا", "No"}},
    [PV_STR_STILL_THERE] = {"STILL_THERE", 0,
        {"Vous êtes toujours là" NBSP "? Touchez l'écran pour continuer.",
         "هل ما زلتم هنا؟ المسوا الشاشة للمتابعة.",
         "Are you still there? Touch the screen to carry on."}},
    [PV_STR_THANKS] = {"THANKS", 0,
        {"Merci" NBSP "! Votre voix compte.",
         "شكرًا لكم! صوتكم مهمّ.",
         "Thank you! Your voice counts."}},
    [PV_STR_CHOSEN] = {"CHOSEN", 0, {"Choisi", "تمّ الاختيار", "Selected"}},
    [PV_STR_REMOVED] = {"REMOVED", 0, {"Retiré", "تمّ الإلغاء", "Removed"}},
    [PV_STR_PICKED_N_OF_M] = {"PICKED_N_OF_M", 2,
        {"%d sur %d",
         "%d من %d",
         "%d of %d"}},
    [PV_STR_QUESTION_N_OF_M] = {"QUESTION_N_OF_M", 2,
        {"Question %d sur %d",
         "السؤال %d من %d",
         "Question %d of %d"}},
    [PV_STR_MAX_REACHED] = {"MAX_REACHED", 0,
        {"Vous avez choisi le maximum de réponses. "
         "Retirez-en une pour en choisir une autre.",
         "لقد بلغتم الحدّ الأقصى من الأجوبة. ألغوا جوابًا لاختيار جواب آخر.",
         "You have chosen as many answers as you can. Remove one to choose another."}},
    [PV_STR_LISTEN] = {"LISTEN", 0, {"Écouter", "استمعوا", "Listen"}},
    [PV_STR_LANGUAGE] = {"LANGUAGE", 0, {"Langue", "اللغة", "Language"}},
    [PV_STR_FINISH] = {"FINISH", 0, {"Terminer", "إنهاء", "Finish"}},
    [PV_STR_QUIT] = {"QUIT", 0, {"Arrêter ici", "التوقّف هنا", "Stop here"}},
    [PV_STR_RECORD] = {"RECORD", 0,
        {"Appuyez pour parler",
         "اضغطوا للتحدّث",
         "Press to speak"}},
    [PV_STR_STOP] = {"STOP", 0, {"Arrêter", "إيقاف", "Stop"}},
    [PV_STR_PLAY_BACK] = {"PLAY_BACK", 0, {"Réécouter", "إعادة الاستماع", "Play back"}},
    [PV_STR_ERASE] = {"ERASE", 0, {"Effacer", "مسح", "Erase"}},
    [PV_STR_VOICE_CONSENT] = {"VOICE_CONSENT", 0,
        {"Votre voix sera enregistrée. Seule l'équipe de l'enquête "
         "l'écoutera, sans savoir qui vous êtes. Vous pouvez l'effacer.",
         "سيُسجَّل صوتكم. لن يستمع إليه إلا فريق الاستطلاع، "
         "دون معرفة من أنتم. يمكنكم مسحه.",
         "Your voice will be recorded. Only the survey team will listen "
         "to it, without knowing who you are. You can erase it."}},
    [PV_STR_VOICE_YES] = {"VOICE_YES", 0,
        {"Oui, enregistrer", "نعم، سجّلوا", "Yes, record"}},
    [PV_STR_VOICE_NO] = {"VOICE_NO", 0,
        {"Non, sans ma voix", "لا، بدون صوتي", "No, without my voice"}},
    [PV_STR_RECORD_AGAIN] = {"RECORD_AGAIN", 0,
        {"Recommencer", "إعادة التسجيل", "Record again"}},
    [PV_STR_COLOUR_BLACK] = {"COLOUR_BLACK", 0, {"Noir", "أسود", "Black"}},
    [PV_STR_COLOUR_RED] = {"COLOUR_RED", 0, {"Rouge", "أحمر", "Red"}},
    [PV_STR_COLOUR_ORANGE] = {"COLOUR_ORANGE", 0, {"Orange", "برتقالي", "Orange"}},
    [PV_STR_COLOUR_GREEN] = {"COLOUR_GREEN", 0, {"Vert", "أخضر", "Green"}},
    [PV_STR_COLOUR_BLUE] = {"COLOUR_BLUE", 0, {"Bleu", "أزرق", "Blue"}},
    [PV_STR_COLOUR_SKY] = {"COLOUR_SKY", 0, {"Bleu ciel", "أزرق سماوي", "Sky blue"}},
    [PV_STR_COLOUR_PINK] = {"COLOUR_PINK", 0, {"Rose", "وردي", "Pink"}},
    [PV_STR_COLOUR_BROWN] = {"COLOUR_BROWN", 0, {"Marron", "بنّي", "Brown"}},
    [PV_STR_ERASER] = {"ERASER", 0, {"Gomme", "ممحاة", "Eraser"}},
    [PV_STR_BRUSH_FINE] = {"BRUSH_FINE", 0, {"Trait fin", "خطّ رفيع", "Fine line"}},
    [PV_STR_BRUSH_MEDIUM] = {"BRUSH_MEDIUM", 0, {"Trait moyen", "خطّ متوسّط", "Medium line"}},
    [PV_STR_BRUSH_THICK] = {"BRUSH_THICK", 0, {"Trait épais", "خطّ عريض", "Thick line"}},
    [PV_STR_UNDO] = {"UNDO", 0, {"Annuler le dernier trait", "إلغاء آخر خطّ", "Undo the last line"}},
    [PV_STR_CLEAR_HOLD] = {"CLEAR_HOLD", 0,
        {"Pour tout effacer, gardez le doigt sur la poubelle.",
         "لمسح كلّ شيء، أبقوا إصبعكم على سلّة المهملات.",
         "To clear everything, keep your finger on the bin."}},
    [PV_STR_CLEARED] = {"CLEARED", 0, {"Tout est effacé", "تمّ مسح كلّ شيء", "All cleared"}},
    [PV_STR_HANDOFF] = {"HANDOFF", 0,
        {"Merci" NBSP "! Passez la tablette à la personne suivante.",
         "شكرًا! ناولوا اللوحة للشخص التالي.",
         "Thank you! Please hand the tablet to the next person."}},
    [PV_STR_MY_TURN] = {"MY_TURN", 0, {"À moi" NBSP "!", "دوري!", "My turn!"}},
    [PV_STR_NOT_ENOUGH] = {"NOT_ENOUGH", 0,
        {"Pas assez de réponses pour montrer ce résultat.",
         "لا توجد إجابات كافية لعرض هذه النتيجة.",
         "Not enough answers to show this result."}},
    [PV_STR_RESULTS] = {"RESULTS", 0, {"Vos réponses", "إجاباتكم", "Your answers"}},
};
// clang-format on
_Static_assert(sizeof table / sizeof table[0] == PV_STR__COUNT,
               "every pv_str_id needs a row in the strings table");

/* Each language's name in its own script. Tags are primary subtags, so
 * the spoken endonym is keyed by one tag whatever region a survey names. */
static const struct {
  const char *tag, *name;
} endonyms[] = {
    {"fr", "Français"},     {"ar", "العربية"},
    {"en", "English"},      {"tr", "Türkçe"},
    {"es", "Español"},      {"pt", "Português"},
    {"ro", "Română"},       {"it", "Italiano"},
    {"de", "Deutsch"},      {"nl", "Nederlands"},
    {"pl", "Polski"},       {"ru", "Русский"},
    {"uk", "Українська"},   {"bg", "Български"},
    {"sr", "Српски"},       {"hr", "Hrvatski"},
    {"bs", "Bosanski"},     {"sq", "Shqip"},
    {"el", "Ελληνικά"},     {"hy", "Հայերեն"},
    {"ka", "ქართული"},      {"fa", "فارسی"},
    {"prs", "دری"},         {"ps", "پښتو"},
    {"ur", "اردو"},         {"ku", "Kurdî"},
    {"kmr", "Kurmancî"},    {"hi", "हिन्दी"},
    {"bn", "বাংলা"},        {"ta", "தமிழ்"},
    {"zh", "中文"},         {"vi", "Tiếng Việt"},
    {"am", "አማርኛ"},         {"ti", "ትግርኛ"},
    {"so", "Soomaali"},     {"sw", "Kiswahili"},
    {"wo", "Wolof"},        {"bm", "Bamanankan"},
    {"ff", "Pulaar"},       {"snk", "Sooninkanxanne"},
    {"ln", "Lingála"},      {"ht", "Kreyòl ayisyen"},
    {"rom", "Romani čhib"}, {"zdj", "Shikomori"},
    {"kab", "Taqbaylit"},   {"zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ"},
    {"ary", "الدارجة"},
};

#define N_ENDONYMS (sizeof endonyms / sizeof endonyms[0])

/* Returns the index of lang among n tags (whole tag, then primary
 * subtag), or -1. */
static int find_tag(const char *lang, size_t n, const char *(*tag_at)(size_t)) {
  if (!lang || !*lang)
    return -1;
  size_t len = strlen(lang);
  for (size_t i = 0; i < n; i++)
    if (pv_lang_eq_n(lang, len, tag_at(i)))
      return (int)i;
  const char *dash = strchr(lang, '-');
  if (!dash)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (pv_lang_eq_n(lang, (size_t)(dash - lang), tag_at(i)))
      return (int)i;
  return -1;
}

static int str_col(const char *lang) {
  int i = find_tag(lang, N_LANGS, pv_str_lang_at);
  return i < 0 ? FR : i;
}

size_t pv_str_lang_count(void) {
  return N_LANGS;
}

const char *pv_str_lang_at(size_t i) {
  PV_ASSERT(i < N_LANGS);
  return langs[i];
}

const char *pv_str(pv_str_id id, const char *lang) {
  PV_ASSERT((unsigned)id < PV_STR__COUNT);
  const char *s = table[id].text[str_col(lang)];
  return s ? s : table[id].text[FR];
}

const char *pv_str_lang(const char *lang) {
  return langs[str_col(lang)];
}

const char *pv_str_name(pv_str_id id) {
  PV_ASSERT((unsigned)id < PV_STR__COUNT);
  return table[id].name;
}

int pv_str_nargs(pv_str_id id) {
  PV_ASSERT((unsigned)id < PV_STR__COUNT);
  return table[id].nargs;
}

pv_err pv_str_fill(char *out, size_t outlen, pv_str_id id, const char *lang, int a,
                   int b) {
  PV_ASSERT(out && outlen > 0);
  /* The whole result first (bounded: the string plus two numbers), then a
   * copy cut on a character boundary when out is short. */
  char full[PV_STR_MAX_BYTES + 2 * 12 + 1];
  const char *s = pv_str(id, lang);
  int args[2] = {a, b}, next = 0;
  size_t used = 0;
  while (*s && used + 12 < sizeof full) {
    if (s[0] == '%' && s[1] == 'd' && next < 2) {
      int n = snprintf(full + used, sizeof full - used, "%d", args[next++]);
      used += n > 0 ? (size_t)n : 0;
      s += 2;
    } else {
      full[used++] = *s++;
    }
  }
  full[used] = '\0';
  if (used < outlen) {
    memcpy(out, full, used + 1);
    return PV_OK;
  }
  size_t n = outlen - 1;
  while (n > 0 && ((unsigned char)full[n] & 0xC0) == 0x80)
    n--; /* full[n] starts a character: cut before it */
  memcpy(out, full, n);
  out[n] = '\0';
  return pv_fail(PV_ERR_TOOBIG, "strings: %s does not fit in %zu bytes",
                 pv_str_name(id), outlen);
}

pv_err pv_str_audio_path(const char *dir, pv_str_id id, const char *lang, char *out,
                         size_t outlen) {
  PV_ASSERT(out && outlen > 0);
  out[0] = '\0';
  if (pv_str_nargs(id) > 0)
    return pv_fail(PV_ERR_INVALID, "strings: %s has numbers and is not pre-rendered",
                   pv_str_name(id));
  return pv_tts_path(dir, pv_str_lang(lang), pv_str(id, lang), out, outlen);
}

size_t pv_lang_endonym_count(void) {
  return N_ENDONYMS;
}

const char *pv_lang_endonym_tag(size_t i) {
  PV_ASSERT(i < N_ENDONYMS);
  return endonyms[i].tag;
}

const char *pv_lang_endonym(const char *lang) {
  int i = find_tag(lang, N_ENDONYMS, pv_lang_endonym_tag);
  return i < 0 ? NULL : endonyms[i].name;
}

/* Endonyms in scripts the kiosk's fonts lack, in Latin letters. */
static const struct {
  const char *tag, *name;
} latin_names[] = {
    {"hi", "Hindi"},    {"bn", "Bangla"},   {"ta", "Tamil"},
    {"zh", "Zhongwen"}, {"am", "Amarinya"}, {"ti", "Tigrinya"},
    {"hy", "Hayeren"},  {"ka", "Kartuli"},  {"zgh", "Tamazight"},
};

/* 1 when every character of UTF-8 s is in a block the fonts draw. */
static int drawable(const char *s) {
  static const struct {
    unsigned lo, hi;
  } blocks[] = {
      {0x0000, 0x024F}, /* Latin, Latin-1, Latin Extended-A and -B */
      {0x0300, 0x036F}, /* combining marks */
      {0x0370, 0x04FF}, /* Greek, Cyrillic */
      {0x0600, 0x06FF}, /* Arabic */
      {0x0750, 0x077F}, /* Arabic Supplement */
      {0x1E00, 0x1EFF}, /* Latin Extended Additional (Tiếng Việt) */
      {0x2000, 0x206F}, /* punctuation */
  };
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned cp;
    int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
    cp = n == 1 ? *p : n == 2 ? *p & 0x1Fu : n == 3 ? *p & 0x0Fu : *p & 0x07u;
    for (int i = 1; i < n; i++) {
      if ((p[i] & 0xC0) != 0x80)
        return 0;
      cp = cp << 6 | (p[i] & 0x3Fu);
    }
    p += n;
    int ok = 0;
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0] && !ok; b++)
      ok = cp >= blocks[b].lo && cp <= blocks[b].hi;
    if (!ok)
      return 0;
  }
  return 1;
}

const char *pv_lang_shown_name(const char *lang) {
  const char *name = pv_lang_endonym(lang);
  if (name && drawable(name))
    return name;
  size_t len = lang ? pv_lang_primary_len(lang) : 0;
  for (size_t i = 0; len && i < sizeof latin_names / sizeof latin_names[0]; i++)
    if (pv_lang_eq_n(lang, len, latin_names[i].tag))
      return latin_names[i].name;
  return NULL;
}

pv_err pv_lang_endonym_audio_path(const char *dir, const char *lang, char *out,
                                  size_t outlen) {
  PV_ASSERT(out && outlen > 0);
  out[0] = '\0';
  int i = find_tag(lang, N_ENDONYMS, pv_lang_endonym_tag);
  if (i < 0)
    return pv_fail(PV_ERR_NOTFOUND, "strings: no name known for language '%s'",
                   lang ? lang : "(null)");
  return pv_tts_path(dir, endonyms[i].tag, endonyms[i].name, out, outlen);
}
