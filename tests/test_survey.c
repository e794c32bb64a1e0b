/* test_survey: the loader accepts a survey using every question type, and
 * each broken variant of it is refused with the expected message at the
 * expected file:line:col. Cases are a table of edits to the valid text. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/survey.h"
#include "tests/check.h"

/* A valid survey with every question type. Line numbers matter: the
 * cases below point into it. */
/* clang-format off */
static const char base[] =
    "{\n"                                                                   /* 1 */
    "  \"format\": 1, \"id\": \"demo\", \"version\": 2,\n"                  /* 2 */
    "  \"languages\": [\"fr\", \"ar\"],\n"                                  /* 3 */
    "  \"title\": {\"fr\": \"Mon quartier\", \"ar\": \"حيّي\"},\n"          /* 4 */
    "  \"image\": \"media/p.svg\",\n"                                       /* 5 */
    "  \"referentiel\": {\"pillar\": \"cadre_de_vie\", \"indicators\": [\"CV-1\"]},\n" /* 6 */
    "  \"questions\": [\n"                                                  /* 7 */
    "    {\"id\": \"ressenti\", \"type\": \"smileys\", \"points\": 5, \"required\": true,\n" /* 8 */
    "     \"label\": {\"fr\": \"Ça va ?\", \"ar\": \"كيف الحال؟\"}, \"image\": \"media/p.svg\"},\n" /* 9 */
    "    {\"id\": \"lieux\", \"type\": \"choice\", \"multiple\": true, \"min\": 1, \"max\": 2,\n" /* 10 */
    "     \"label\": {\"fr\": \"Où ?\", \"ar\": \"أين؟\"}, \"image\": \"media/p.svg\",\n" /* 11 */
    "     \"relevant\": {\"question\": \"ressenti\", \"in\": [3, 4, 5]},\n" /* 12 */
    "     \"choices\": [\n"                                                 /* 13 */
    "       {\"id\": \"parc\", \"label\": {\"fr\": \"Le parc\", \"ar\": \"الحديقة\"}, \"image\": \"media/p.svg\"},\n" /* 14 */
    "       {\"id\": \"marche\", \"label\": {\"fr\": \"Le marché\", \"ar\": \"السوق\"}, \"image\": \"media/p.svg\"}]},\n" /* 15 */
    "    {\"id\": \"sur\", \"type\": \"yes_no\", \"label\": {\"fr\": \"Sûr ?\", \"ar\": \"آمن؟\"}, \"image\": \"media/p.svg\",\n" /* 16 */
    "     \"relevant\": {\"question\": \"lieux\", \"in\": [\"parc\"]}},\n"  /* 17 */
    "    {\"id\": \"note\", \"type\": \"scale\", \"label\": {\"fr\": \"Note\", \"ar\": \"علامة\"}, \"image\": \"media/p.svg\",\n" /* 18 */
    "     \"low\": {\"label\": {\"fr\": \"Pas du tout\", \"ar\": \"أبدا\"}, \"image\": \"media/p.svg\"},\n" /* 19 */
    "     \"high\": {\"label\": {\"fr\": \"Tout à fait\", \"ar\": \"تماما\"}, \"image\": \"media/p.svg\"}},\n" /* 20 */
    "    {\"id\": \"ordre\", \"type\": \"ranking\", \"label\": {\"fr\": \"Ordre\", \"ar\": \"ترتيب\"}, \"image\": \"media/p.svg\",\n" /* 21 */
    "     \"choices\": [{\"id\": \"a\", \"label\": {\"fr\": \"A\", \"ar\": \"أ\"}, \"image\": \"media/p.svg\"},\n" /* 22 */
    "                 {\"id\": \"b\", \"label\": {\"fr\": \"B\", \"ar\": \"ب\"}, \"image\": \"media/p.svg\"}]},\n" /* 23 */
    "    {\"id\": \"carte\", \"type\": \"map\", \"label\": {\"fr\": \"Carte\", \"ar\": \"خريطة\"}, \"image\": \"media/p.svg\",\n" /* 24 */
    "     \"plan\": \"media/plan.png\", \"max\": 5,\n"                      /* 25 */
    "     \"bounds\": {\"west\": 3.0, \"south\": 43.1, \"east\": 3.1, \"north\": 43.2},\n" /* 26 */
    "     \"pins\": [{\"id\": \"aime\", \"label\": {\"fr\": \"J'aime\", \"ar\": \"أحب\"}, \"image\": \"media/p.svg\"}]},\n" /* 27 */
    "    {\"id\": \"dessin\", \"type\": \"drawing\", \"label\": {\"fr\": \"Dessin\", \"ar\": \"رسم\"}, \"image\": \"media/p.svg\"},\n" /* 28 */
    "    {\"id\": \"photos\", \"type\": \"photo_choice\", \"max\": 1, \"label\": {\"fr\": \"Photo\", \"ar\": \"صورة\"}, \"image\": \"media/p.svg\",\n" /* 29 */
    "     \"photos\": [{\"id\": \"p1\", \"label\": {\"fr\": \"Un\", \"ar\": \"واحد\"}, \"photo\": \"media/ph.jpg\"},\n" /* 30 */
    "                {\"id\": \"p2\", \"label\": {\"fr\": \"Deux\", \"ar\": \"اثنان\"}, \"photo\": \"media/plan.png\"}]},\n" /* 31 */
    "    {\"id\": \"voix\", \"type\": \"voice\", \"max_seconds\": 30, \"label\": {\"fr\": \"Parlez\", \"ar\": \"تكلم\"}, \"image\": \"media/p.svg\",\n" /* 32 */
    "     \"audio\": {\"fr\": \"media/voix.wav\"}},\n"                      /* 33 */
    "    {\"id\": \"mot\", \"type\": \"text\", \"label\": {\"fr\": \"Écrivez\", \"ar\": \"اكتب\"}, \"image\": \"media/p.svg\"}\n" /* 34 */
    "  ]\n"                                                                 /* 35 */
    "}\n";                                                                  /* 36 */
/* clang-format on */

static char dir[256];

static void make_media(void) {
  static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
  static const char png[] = "\x89PNG\r\n\x1a\n0000";
  static const char jpg[] = "\xFF\xD8\xFF\xE0";
  static const char wav[] = "RIFF\x24\0\0\0WAVEfmt ";
  char p[512];
  snprintf(p, sizeof p, "%s/media/p.svg", dir);
  pv_test_write(p, svg, sizeof svg - 1);
  snprintf(p, sizeof p, "%s/media/plan.png", dir);
  pv_test_write(p, png, sizeof png - 1);
  snprintf(p, sizeof p, "%s/media/ph.jpg", dir);
  pv_test_write(p, jpg, sizeof jpg - 1);
  snprintf(p, sizeof p, "%s/media/voix.wav", dir);
  pv_test_write(p, wav, sizeof wav - 1);
  snprintf(p, sizeof p, "%s/media/fake.png", dir);
  pv_test_write(p, svg, sizeof svg - 1);
  /* A plan over PV_SURVEY_MAX_PHOTO: a PNG header, then a hole. */
  snprintf(p, sizeof p, "%s/media/huge.png", dir);
  pv_test_write(p, png, sizeof png - 1);
  if (truncate(p, (off_t)PV_SURVEY_MAX_PHOTO + 1) != 0)
    abort();
  snprintf(p, sizeof p, "%s/media/folder.png/x", dir);
  pv_test_write(p, svg, sizeof svg - 1);
}

/* Returns base with the first occurrence of from replaced by to (caller
 * frees); aborts when from is absent, so a stale case fails loudly. */
static char *edit(const char *from, const char *to) {
  const char *at = strstr(base, from);
  if (!at) {
    fprintf(stderr, "edit: \"%s\" not in the base survey\n", from);
    abort();
  }
  size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  PV_ASSERT(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
  return out;
}

/* Parses text from memory, with media resolved in dir. Returns the first
 * diag formatted as "line:col: message" in buf, or "" when valid. */
static pv_err parse(const char *text, size_t len, char *buf, size_t size) {
  pv_survey *s = NULL;
  pv_diags d = {0};
  pv_err err = pv_survey_parse("survey.json", dir, text, len, NULL, &s, &d);
  buf[0] = '\0';
  if (d.count)
    snprintf(buf, size, "%d:%d: %s", d.items[0].line, d.items[0].col,
             d.items[0].message);
  CHECK((err == PV_OK) == (s != NULL));
  pv_survey_free(s);
  pv_diags_free(&d);
  return err;
}

static void test_valid(void) {
  char p[512];
  snprintf(p, sizeof p, "%s/survey.json", dir);
  pv_test_write(p, base, sizeof base - 1);
  pv_survey *s = NULL;
  pv_diags d = {0};
  pv_err err = pv_survey_load(p, NULL, &s, &d);
  pv_diags_print(&d, stderr);
  CHECK_INT(err, PV_OK);
  CHECK_INT(d.count, 0);
  if (!s)
    return;
  CHECK_STR(s->id, "demo");
  CHECK_INT(s->version, 2);
  CHECK_INT(s->n_languages, 2);
  CHECK_STR(s->languages[1], "ar");
  CHECK_STR(s->title.s[1], "حيّي");
  CHECK_INT(s->n_questions, 10);
  for (int t = 0; t < PV_Q__COUNT; t++)
    CHECK_INT(s->questions[t].type, t); /* one question of each type, in enum order */
  const pv_question *q = pv_survey_question(s, "lieux");
  CHECK(q && q->multiple && q->min == 1 && q->max == 2 && q->n_options == 2);
  CHECK(q && q->relevant && q->relevant->question_index == 0 &&
        q->relevant->n_values == 3 && strcmp(q->relevant->values[2], "5") == 0);
  q = pv_survey_question(s, "sur");
  CHECK(q && q->relevant && strcmp(q->relevant->values[0], "\"parc\"") == 0);
  q = pv_survey_question(s, "ressenti");
  CHECK(q && q->points == 5 && q->required && q->referentiel.pillar &&
        strcmp(q->referentiel.pillar, "cadre_de_vie") == 0 &&
        q->referentiel.n_indicators == 1);
  CHECK_INT(pv_qtype_measure(PV_Q_SMILEYS), PV_QUANTITATIVE);
  CHECK_INT(pv_qtype_measure(PV_Q_MAP), PV_QUALITATIVE);
  q = pv_survey_question(s, "carte");
  CHECK(q && q->has_bounds && q->max == 5 && q->west == 3.0 && q->north == 43.2);
  q = pv_survey_question(s, "voix");
  CHECK(q && q->max_seconds == 30 && q->audio.path[0] && !q->audio.path[1]);
  q = pv_survey_question(s, "mot");
  CHECK(q && q->max_length == 500 && !q->required);
  CHECK(pv_lang_is_rtl("ar") && pv_lang_is_rtl("ar-MA") && !pv_lang_is_rtl("fr") &&
        !pv_lang_is_rtl("arn"));
  pv_survey_free(s);
}

static const struct bad_case {
  const char *name, *from, *to;
  const char *where; /* "line:col" expected of the first problem */
  const char *says;  /* a phrase of its message */
} bad_cases[] = {
    {"truncated", "  ]\n}\n", "  ]\n", "36:1", "unexpected end of file"},
    {"syntax", "\"version\": 2,", "\"version\": 2,,", "2:43", "syntax error near ','"},
    {"trailing garbage", "  ]\n}\n", "  ]\n}\nx", "37:1", "syntax error near 'x'"},
    {"not an object", "{\n  \"format\"", "[\n  \"format\"", "2:11", "near ':'"},
    {"format", "\"format\": 1", "\"format\": 2", "2:13", "format 2 is not supported"},
    {"version type", "\"version\": 2", "\"version\": \"2\"", "2:41",
     "\"version\" must be a whole number, not a string"},
    {"version fraction", "\"version\": 2", "\"version\": 2.5", "2:41", "whole number"},
    {"id pattern", "\"id\": \"demo\"", "\"id\": \"Démo\"", "2:22", "not a valid id"},
    {"unknown key", "\"version\": 2,", "\"version\": 2, \"versoin\": 3,", "2:44",
     "unknown key \"versoin\""},
    {"missing title", "  \"title\": {\"fr\": \"Mon quartier\", \"ar\": \"حيّي\"},\n", "",
     "1:1", "missing \"title\""},
    {"bad language tag", "[\"fr\", \"ar\"]", "[\"fr\", \"arabic!\"]", "3:23", "BCP 47"},
    {"language twice", "[\"fr\", \"ar\"]", "[\"fr\", \"fr\"]", "3:23", "listed twice"},
    {"missing language text", "{\"fr\": \"Ça va ?\", \"ar\": \"كيف الحال؟\"}",
     "{\"fr\": \"Ça va ?\"}", "9:15", "no \"ar\" text"},
    {"undeclared language", "{\"fr\": \"Mon quartier\", \"ar\": \"حيّي\"}",
     "{\"fr\": \"Mon quartier\", \"ar\": \"حيّي\", \"de\": \"Mein Viertel\"}", "4:53",
     "\"de\" is not a declared language"},
    {"empty text", "\"fr\": \"Où ?\"", "\"fr\": \"  \"", "11:22", "text is empty"},
    {"control char", "\"fr\": \"Où ?\"", "\"fr\": \"Où\\n?\"", "11:22",
     "control character"},
    {"duplicate question id", "{\"id\": \"dessin\"", "{\"id\": \"ordre\"", "28:12",
     "duplicate question id \"ordre\""},
    {"duplicate choice id", "{\"id\": \"marche\"", "{\"id\": \"parc\"", "15:15",
     "duplicate choice id \"parc\""},
    {"duplicate key", "\"points\": 5,", "\"points\": 5, \"points\": 3,", "8:56",
     "duplicate key \"points\""},
    {"unknown type", "\"type\": \"drawing\"", "\"type\": \"painting\"", "28:30",
     "unknown question type \"painting\""},
    {"smileys points", "\"points\": 5", "\"points\": 4", "8:53", "3 or 5"},
    {"min over max", "\"min\": 1, \"max\": 2", "\"min\": 2, \"max\": 1", "10:64",
     "greater than \"max\""},
    {"max over choices", "\"max\": 2,", "\"max\": 3,", "10:74", "between 1 and 2"},
    {"min without multiple", "\"multiple\": true, ", "", "10:39",
     "\"min\" applies only with \"multiple\": true"},
    {"one choice",
     "{\"id\": \"parc\", \"label\": {\"fr\": \"Le parc\", \"ar\": \"الحديقة\"}, "
     "\"image\": \"media/p.svg\"},\n",
     "", "13:17", "needs 2 to 24"},
    {"missing media", "\"image\": \"media/p.svg\"},\n    {\"id\": \"lieux\"",
     "\"image\": \"media/nope.svg\"},\n    {\"id\": \"lieux\"", "9:73",
     "pictogram \"media/nope.svg\" not found"},
    {"media outside", "\"image\": \"media/p.svg\",\n  \"referentiel\"",
     "\"image\": \"../p.svg\",\n  \"referentiel\"", "5:12", "not a valid media path"},
    {"media extension", "\"image\": \"media/p.svg\",\n  \"referentiel\"",
     "\"image\": \"media/ph.jpg\",\n  \"referentiel\"", "5:12",
     "a pictogram must be .svg or .png"},
    {"media content", "\"image\": \"media/p.svg\",\n  \"referentiel\"",
     "\"image\": \"media/fake.png\",\n  \"referentiel\"", "5:12",
     "not a valid png file"},
    {"media is a folder", "\"image\": \"media/p.svg\",\n  \"referentiel\"",
     "\"image\": \"media/folder.png\",\n  \"referentiel\"", "5:12",
     "not a regular file"},
    {"map plan missing", "\"plan\": \"media/plan.png\"",
     "\"plan\": \"media/absent.png\"", "25:14", "not found"},
    {"map plan too large", "\"plan\": \"media/plan.png\"",
     "\"plan\": \"media/huge.png\"", "25:14", "the limit is 4194304"},
    {"audio undeclared lang", "{\"fr\": \"media/voix.wav\"}",
     "{\"en\": \"media/voix.wav\"}", "33:16", "\"en\" is not a declared language"},
    {"optional keys dropped", "\"plan\": \"media/plan.png\", \"max\": 5,",
     "\"plan\": \"media/plan.png\",", NULL, NULL},
    {"condition points forward", "\"question\": \"ressenti\"", "\"question\": \"sur\"",
     "12:31", "does not come before"},
    {"condition unknown question", "\"question\": \"lieux\"", "\"question\": \"lieu\"",
     "17:31", "\"lieu\", which is not a question"},
    {"condition out of domain", "[3, 4, 5]", "[3, 4, 6]", "12:56",
     "6 is not an answer of \"ressenti\""},
    {"condition on unknown choice", "\"in\": [\"parc\"]", "\"in\": [\"plage\"]",
     "17:47", "\"plage\" is not an answer of \"lieux\""},
    {"condition on a map", "\"question\": \"ressenti\"", "\"question\": \"carte\"",
     "12:31", "does not come before"},
    {"pillar", "\"pillar\": \"cadre_de_vie\"", "\"pillar\": \"logement\"", "6:29",
     "\"pillar\" must be one of"},
    {"indicator code", "[\"CV-1\"]", "[\"CV 1\"]", "6:60", "a code in \"indicators\""},
    {"bounds order", "\"west\": 3.0", "\"west\": 3.5", "26:16", "west < east"},
    {"latitude", "\"north\": 43.2", "\"north\": 143.2", "26:67", "within ±90"},
    {"scale end missing", "\"high\": {", "\"top\": {", "20:6", "unknown key \"top\""},
    {"voice max", "\"max_seconds\": 30", "\"max_seconds\": 3000", "32:52",
     "between 5 and 300"},
    {"photo is svg", "\"photo\": \"media/ph.jpg\"", "\"photo\": \"media/p.svg\"",
     "30:80", "a photo must be .png or .jpg or .jpeg"},
    {"exclusive in multiple choice", "{\"id\": \"marche\"",
     "{\"id\": \"marche\", \"exclusive\": true", NULL, NULL},
    {"exclusive in a ranking", "{\"id\": \"a\"", "{\"id\": \"a\", \"exclusive\": true",
     "22:30", "unknown key \"exclusive\" in item"},
    {"null question", "    {\"id\": \"dessin\"", "    null,\n    {\"id\": \"dessin\"",
     "28:5", "each question must be an object, not null"},
    {"no questions", "\"questions\": [\n", "\"questions\": [], \"x\": [\n", "7:20",
     "unknown key \"x\""},
};

static void test_bad_cases(void) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    const struct bad_case *c = &bad_cases[i];
    char *text = edit(c->from, c->to);
    char got[600];
    pv_err err = parse(text, strlen(text), got, sizeof got);
    if (!c->where) { /* an edit that keeps the survey valid */
      CHECK_INT(err, PV_OK);
    } else {
      if (err != PV_ERR_INVALID)
        fprintf(stderr, "case \"%s\" was accepted\n", c->name);
      CHECK_INT(err, PV_ERR_INVALID);
      char where[32];
      snprintf(where, sizeof where, "%s:", c->where);
      if (strncmp(got, where, strlen(where)) != 0)
        fprintf(stderr, "case \"%s\": got \"%s\", expected at %s\n", c->name, got,
                c->where);
      CHECK(strncmp(got, where, strlen(where)) == 0);
      if (c->says)
        CHECK_CONTAINS(got, c->says);
    }
    free(text);
  }
}

/* Raw bytes that are not a survey at all: each gets a diag at a position
 * inside the text, never a crash. */
static void test_hostile_bytes(void) {
  char got[600];
  /* invalid UTF-8 inside a string */
  char *text = edit("Mon quartier", "Mon \xC3\x28quartier");
  CHECK_INT(parse(text, strlen(text), got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "4:24: invalid UTF-8: save the file as UTF-8");
  free(text);
  /* a UTF-16 surrogate encoded in UTF-8, and an overlong slash */
  CHECK_INT(parse("{\"a\": \"\xED\xA0\x80\"}", 11, got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "1:8: invalid UTF-8: save the file as UTF-8");
  CHECK_INT(parse("\"\xC0\xAF\"", 4, got, sizeof got), PV_ERR_INVALID);
  CHECK_CONTAINS(got, "1:2: invalid UTF-8");
  /* NUL byte */
  CHECK_INT(parse("{\"a\":\0}", 7, got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "1:6: NUL byte: this is not a text file");
  /* a control byte that cJSON would take for white space */
  CHECK_INT(parse("{\x10\"format\": 1}", 15, got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "1:2: control character outside a string");
  /* an escaped NUL would silently cut a text short */
  text = edit("Mon quartier", "Mon\\u0000 quartier");
  CHECK_INT(parse(text, strlen(text), got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "4:23: \\u0000 (an escaped NUL) is not allowed in a survey");
  free(text);
  /* but an escaped backslash before "u0000" is just text */
  text = edit("Mon quartier", "Mon \\\\u0000 quartier");
  CHECK_INT(parse(text, strlen(text), got, sizeof got), PV_OK);
  free(text);
  /* a UTF-8 byte-order mark (Windows editors) is accepted */
  size_t blen = sizeof base - 1 + 3;
  char *bom = malloc(blen);
  PV_ASSERT(bom);
  memcpy(bom, "\xEF\xBB\xBF", 3);
  memcpy(bom + 3, base, sizeof base - 1);
  CHECK_INT(parse(bom, blen, got, sizeof got), PV_OK);
  bom[3] = 'X'; /* and columns still count its three bytes */
  CHECK_INT(parse(bom, blen, got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "1:4: JSON syntax error near 'X'");
  free(bom);
  /* 10,000-deep nesting */
  size_t deep = 20000;
  char *nest = malloc(deep);
  PV_ASSERT(nest);
  memset(nest, '[', deep / 2);
  memset(nest + deep / 2, ']', deep / 2);
  CHECK_INT(parse(nest, deep, got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "1:17: nested too deeply (limit 16 levels)");
  free(nest);
  /* empty input and only white space */
  CHECK_INT(parse("", 0, got, sizeof got), PV_ERR_INVALID);
  CHECK_CONTAINS(got, "1:1: JSON syntax error");
  CHECK_INT(parse(" \n\n  ", 5, got, sizeof got), PV_ERR_INVALID);
  CHECK_CONTAINS(got, "3:3: JSON syntax error");
  /* over the size bound */
  size_t big = PV_SURVEY_MAX_FILE + 1;
  char *huge = malloc(big);
  PV_ASSERT(huge);
  memset(huge, ' ', big);
  CHECK_INT(parse(huge, big, got, sizeof got), PV_ERR_INVALID);
  CHECK_CONTAINS(got, "1:1: file too large");
  free(huge);
  /* binary garbage: deterministic pseudo-random bytes */
  unsigned char junk[4096];
  unsigned x = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1103515245u + 12345u;
    junk[i] = (unsigned char)(x >> 16);
  }
  CHECK_INT(parse((const char *)junk, sizeof junk, got, sizeof got), PV_ERR_INVALID);
  CHECK(got[0] != '\0');
}

/* Every problem is reported in one pass, not only the first. */
static void test_reports_all(void) {
  char *a = edit("\"points\": 5", "\"points\": 4");
  const char *from = "\"max_seconds\": 30";
  char *at = strstr(a, from);
  PV_ASSERT(at);
  size_t n = strlen(a) + 8;
  char *text = malloc(n);
  PV_ASSERT(text);
  snprintf(text, n, "%.*s\"max_seconds\": 3000%s", (int)(at - a), a, at + strlen(from));
  pv_survey *s = NULL;
  pv_diags d = {0};
  CHECK_INT(pv_survey_parse("s.json", dir, text, strlen(text), NULL, &s, &d),
            PV_ERR_INVALID);
  CHECK_INT(d.count, 2);
  CHECK(s == NULL);
  pv_diags_free(&d);
  free(text);
  free(a);
}

/* "exclusive" needs a multiple choice: two edits to the base. */
static void test_exclusive_single(void) {
  char *a = edit("\"multiple\": true, \"min\": 1, \"max\": 2,", "");
  const char *from = "{\"id\": \"marche\"";
  char *at = strstr(a, from);
  PV_ASSERT(at);
  size_t n = strlen(a) + 32;
  char *text = malloc(n);
  PV_ASSERT(text);
  snprintf(text, n, "%.*s{\"id\": \"marche\", \"exclusive\": true%s", (int)(at - a), a,
           at + strlen(from));
  char got[600];
  CHECK_INT(parse(text, strlen(text), got, sizeof got), PV_ERR_INVALID);
  CHECK_STR(got, "15:25: \"exclusive\" applies only with \"multiple\": true");
  free(text);
  free(a);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  make_media();
  test_valid();
  test_bad_cases();
  test_hostile_bytes();
  test_reports_all();
  test_exclusive_single();
  pv_test_rmtree(dir);
  return pv_test_done();
}
