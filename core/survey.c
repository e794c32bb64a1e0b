/* survey: loads a survey.json into a pv_survey and validates everything the
 * format (docs/survey-format.md) promises, reporting each problem with its
 * file:line:col. The bytes go through a pre-scan (size, NUL, UTF-8, depth),
 * then cJSON, then a walk of the tree that fills the model; positions come
 * from core/jsonpos. The loader keeps going after a problem so authors see
 * them all at once; a survey with any problem is not returned. */
#include "core/survey.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsondoc.h"

/* ---- type table --------------------------------------------------------- */

typedef struct ctx ctx;
typedef void (*type_parse_fn)(ctx *c, const cJSON *q, pv_question *out);

static void parse_smileys(ctx *c, const cJSON *q, pv_question *out);
static void parse_choice(ctx *c, const cJSON *q, pv_question *out);
static void parse_nothing(ctx *c, const cJSON *q, pv_question *out);
static void parse_scale(ctx *c, const cJSON *q, pv_question *out);
static void parse_ranking(ctx *c, const cJSON *q, pv_question *out);
static void parse_map(ctx *c, const cJSON *q, pv_question *out);
static void parse_photo_choice(ctx *c, const cJSON *q, pv_question *out);
static void parse_voice(ctx *c, const cJSON *q, pv_question *out);
static void parse_text(ctx *c, const cJSON *q, pv_question *out);

#define COMMON_KEYS                                                                    \
  "id", "type", "label", "image", "audio", "required", "relevant", "referentiel"

static const struct qtype_def {
  const char *name;
  pv_measure measure;
  type_parse_fn parse;
  const char *keys[14]; /* allowed keys, NULL-terminated */
} qtypes[PV_Q__COUNT] = {
    [PV_Q_SMILEYS] = {"smileys",
                      PV_QUANTITATIVE,
                      parse_smileys,
                      {COMMON_KEYS, "points"}},
    [PV_Q_CHOICE] = {"choice",
                     PV_QUANTITATIVE,
                     parse_choice,
                     {COMMON_KEYS, "choices", "multiple", "min", "max"}},
    [PV_Q_YES_NO] = {"yes_no", PV_QUANTITATIVE, parse_nothing, {COMMON_KEYS}},
    [PV_Q_SCALE] = {"scale",
                    PV_QUANTITATIVE,
                    parse_scale,
                    {COMMON_KEYS, "low", "high"}},
    [PV_Q_RANKING] = {"ranking",
                      PV_QUANTITATIVE,
                      parse_ranking,
                      {COMMON_KEYS, "choices"}},
    [PV_Q_MAP] = {"map",
                  PV_QUALITATIVE,
                  parse_map,
                  {COMMON_KEYS, "plan", "bounds", "pins", "max"}},
    [PV_Q_DRAWING] = {"drawing", PV_QUALITATIVE, parse_nothing, {COMMON_KEYS}},
    [PV_Q_PHOTO_CHOICE] = {"photo_choice",
                           PV_QUALITATIVE,
                           parse_photo_choice,
                           {COMMON_KEYS, "photos", "min", "max"}},
    [PV_Q_VOICE] = {"voice", PV_QUALITATIVE, parse_voice, {COMMON_KEYS, "max_seconds"}},
    [PV_Q_TEXT] = {"text", PV_QUALITATIVE, parse_text, {COMMON_KEYS, "max_length"}},
};

const char *pv_qtype_name(pv_qtype t) {
  return (unsigned)t < PV_Q__COUNT ? qtypes[t].name : "unknown";
}

pv_measure pv_qtype_measure(pv_qtype t) {
  PV_ASSERT((unsigned)t < PV_Q__COUNT);
  return qtypes[t].measure;
}

static const char *const pillars[] = {
    "cohesion_sociale", "cadre_de_vie",          "emploi_developpement_economique",
    "transversal",      "transition_ecologique",
};

/* ---- the loading context ------------------------------------------------ */

typedef enum media_kind { MEDIA_IMAGE, MEDIA_PHOTO, MEDIA_AUDIO } media_kind;

struct ctx {
  pv_jsondoc *doc; /* the text, its positions, where problems go */
  const char *dir; /* survey folder, or NULL: media not checked */
  const char *assets;
  int oom;
  pv_survey *s;
  const cJSON *questions; /* the "questions" array, to name later ids */
};

/* Problems at a node's value, or at its key (members; the value
 * otherwise), into the document's diagnostics. */
#define err_at(c, node, ...) pv_jsondoc_error((c)->doc, (node), 0, __VA_ARGS__)
#define err_key(c, node, ...) pv_jsondoc_error((c)->doc, (node), 1, __VA_ARGS__)

static char *keep(ctx *c, const char *s) {
  char *d = strdup(s);
  if (!d)
    c->oom = 1;
  return d;
}

static void *zalloc(ctx *c, size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    c->oom = 1;
  return p;
}

/* Checks obj's keys against the NULL-terminated allowed list: reports
 * unknown and duplicate keys. Returns nothing; problems are reported. */
static void check_keys(ctx *c, const cJSON *obj, const char *const *allowed,
                       const char *what) {
  for (const cJSON *m = obj->child; m; m = m->next) {
    int ok = strcmp(m->string, "comment") == 0 || strcmp(m->string, "$schema") == 0;
    for (const char *const *k = allowed; !ok && *k; k++)
      ok = strcmp(m->string, *k) == 0;
    if (!ok)
      err_key(c, m, "unknown key \"%s\" in %s", m->string, what);
    for (const cJSON *p = obj->child; p != m; p = p->next)
      if (strcmp(p->string, m->string) == 0) {
        err_key(c, m, "duplicate key \"%s\"", m->string);
        break;
      }
  }
}

/* Returns member key of obj; reports it when required and absent. */
static const cJSON *member(ctx *c, const cJSON *obj, const char *key, int required,
                           const char *what) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!m && required)
    err_at(c, obj, "%s is missing \"%s\"", what, key);
  return m;
}

/* Reads an integer member within [lo, hi]; returns 1 and sets *out, or 0
 * (absent: *out keeps its default; wrong: reported). */
static int int_member(ctx *c, const cJSON *obj, const char *key, int required, long lo,
                      long hi, int *out, const char *what) {
  const cJSON *m = member(c, obj, key, required, what);
  if (!m)
    return 0;
  if (!cJSON_IsNumber(m) || m->valuedouble != floor(m->valuedouble) ||
      fabs(m->valuedouble) > 1e15) {
    err_at(c, m, "\"%s\" must be a whole number, not %s", key, pv_json_kind(m));
    return 0;
  }
  if (m->valuedouble < (double)lo || m->valuedouble > (double)hi) {
    err_at(c, m, "\"%s\" is %.0f; it must be between %ld and %ld", key, m->valuedouble,
           lo, hi);
    return 0;
  }
  *out = (int)m->valuedouble;
  return 1;
}

static int bool_member(ctx *c, const cJSON *obj, const char *key, int *out) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!m)
    return 0;
  if (!cJSON_IsBool(m)) {
    err_at(c, m, "\"%s\" must be true or false, not %s", key, pv_json_kind(m));
    return 0;
  }
  *out = cJSON_IsTrue(m);
  return 1;
}

/* Checks that s matches [a-z][<extra>a-z0-9]* with 1..max bytes. */
static int valid_id(const char *s, size_t max, const char *extra) {
  size_t n = strlen(s);
  if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z'))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          strchr(extra, s[i])))
      return 0;
  return 1;
}

/* Reads a string member that must be an id; returns it kept, or NULL. */
static char *id_member(ctx *c, const cJSON *obj, const char *key, size_t max,
                       const char *extra, const char *what) {
  const cJSON *m = member(c, obj, key, 1, what);
  if (!m)
    return NULL;
  if (!cJSON_IsString(m)) {
    err_at(c, m, "\"%s\" must be a string, not %s", key, pv_json_kind(m));
    return NULL;
  }
  if (!valid_id(m->valuestring, max, extra)) {
    err_at(c, m,
           "\"%s\" is not a valid id: use 1 to %zu characters among a-z, 0-9 and "
           "'%s', starting with a letter",
           m->valuestring, max, extra);
    return NULL;
  }
  return keep(c, m->valuestring);
}

static int blank(const char *s) {
  for (; *s; s++)
    if (!strchr(" \t", *s))
      return 0;
  return 1;
}

static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7F)
      return 1;
  return 0;
}

static void langs_list(ctx *c, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < c->s->n_languages && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                             c->s->languages[i]);
}

/* Reads a text: one non-empty string per declared language, no others. */
static void parse_text_obj(ctx *c, const cJSON *obj, const char *key, pv_text *out,
                           const char *what) {
  const cJSON *t = member(c, obj, key, 1, what);
  size_t nl = c->s->n_languages;
  out->s = zalloc(c, nl, sizeof *out->s);
  if (!t || !out->s)
    return;
  if (!cJSON_IsObject(t)) {
    err_at(c, t, "\"%s\" must be an object with one text per language, not %s", key,
           pv_json_kind(t));
    return;
  }
  char langs[256];
  langs_list(c, langs, sizeof langs);
  for (const cJSON *m = t->child; m; m = m->next) {
    int li = pv_survey_lang_index(c->s, m->string);
    if (li < 0) {
      err_key(c, m, "\"%s\" is not a declared language (languages: %s)", m->string,
              langs);
      continue;
    }
    if (out->s[li]) {
      err_key(c, m, "duplicate key \"%s\"", m->string);
      continue;
    }
    if (!cJSON_IsString(m)) {
      err_at(c, m, "the \"%s\" text must be a string, not %s", m->string,
             pv_json_kind(m));
      continue;
    }
    const char *v = m->valuestring;
    if (blank(v))
      err_at(c, m, "the \"%s\" text is empty", m->string);
    else if (strlen(v) > PV_SURVEY_MAX_TEXT)
      err_at(c, m, "the \"%s\" text is %zu bytes; the limit is %d", m->string,
             strlen(v), PV_SURVEY_MAX_TEXT);
    else if (has_control(v))
      err_at(c, m, "the \"%s\" text contains a control character (a line break?)",
             m->string);
    else
      out->s[li] = keep(c, v);
  }
  for (size_t i = 0; i < nl; i++)
    if (!out->s[i] && !cJSON_GetObjectItemCaseSensitive(t, c->s->languages[i]))
      err_at(c, t, "\"%s\" has no \"%s\" text; every declared language needs one", key,
             c->s->languages[i]);
}

static void free_text(pv_text *t, size_t n) {
  if (!t->s)
    return;
  for (size_t i = 0; i < n; i++)
    free(t->s[i]);
  free(t->s);
  t->s = NULL;
}

/* ---- media ------------------------------------------------------------- */

static const struct media_rule {
  const char *what;
  long max;
  const char *exts[4];
} media_rules[] = {
    [MEDIA_IMAGE] = {"pictogram", PV_SURVEY_MAX_IMAGE, {".svg", ".png"}},
    [MEDIA_PHOTO] = {"photo", PV_SURVEY_MAX_PHOTO, {".png", ".jpg", ".jpeg"}},
    [MEDIA_AUDIO] = {"audio file", PV_SURVEY_MAX_AUDIO, {".wav", ".ogg", ".opus"}},
};

static int valid_rel_path(const char *p) {
  size_t n = strlen(p);
  if (n == 0 || n > PV_SURVEY_MAX_PATH || p[0] == '/' || p[n - 1] == '/')
    return 0;
  const char *seg = p;
  for (const char *q = p;; q++) {
    if (*q == '/' || *q == '\0') {
      size_t sl = (size_t)(q - seg);
      if (sl == 0 || (sl == 1 && seg[0] == '.') ||
          (sl == 2 && seg[0] == '.' && seg[1] == '.'))
        return 0;
      if (*q == '\0')
        return 1;
      seg = q + 1;
    } else if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                 (*q >= '0' && *q <= '9') || strchr("._-", *q))) {
      return 0;
    }
  }
}

static const char *extension(const char *p) {
  const char *slash = strrchr(p, '/');
  const char *dot = strrchr(slash ? slash : p, '.');
  return dot ? dot : "";
}

/* Checks the first bytes of a file against what its extension promises. */
static int sniff_ok(const char *ext, const unsigned char *b, size_t n) {
  if (strcasecmp(ext, ".png") == 0)
    return n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
  if (strcasecmp(ext, ".jpg") == 0 || strcasecmp(ext, ".jpeg") == 0)
    return n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
  if (strcasecmp(ext, ".wav") == 0)
    return n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0;
  if (strcasecmp(ext, ".ogg") == 0 || strcasecmp(ext, ".opus") == 0)
    return n >= 4 && memcmp(b, "OggS", 4) == 0;
  if (strcasecmp(ext, ".svg") == 0)
    return memmem(b, n, "<svg", 4) != NULL;
  return 0;
}

/* Reads a media path member, checks it and the file; returns the resolved
 * path (kept) or NULL. */
static char *parse_media(ctx *c, const cJSON *m, media_kind kind) {
  const struct media_rule *r = &media_rules[kind];
  if (!cJSON_IsString(m)) {
    err_at(c, m, "a %s path must be a string, not %s", r->what, pv_json_kind(m));
    return NULL;
  }
  const char *p = m->valuestring;
  if (!valid_rel_path(p)) {
    err_at(c, m,
           "\"%s\" is not a valid media path: use '/' between names of A-Z, a-z, "
           "0-9, '.', '_', '-', no '..', at most %d bytes",
           p, PV_SURVEY_MAX_PATH);
    return NULL;
  }
  int in_assets = strncmp(p, "pictograms/", 11) == 0;
  if (!(strncmp(p, "media/", 6) == 0 || (in_assets && kind == MEDIA_IMAGE))) {
    err_at(c, m, "\"%s\": a %s must be under %s", p, r->what,
           kind == MEDIA_IMAGE ? "media/ or pictograms/" : "media/");
    return NULL;
  }
  const char *ext = extension(p);
  int ext_ok = 0;
  for (int i = 0; r->exts[i]; i++)
    ext_ok |= strcasecmp(ext, r->exts[i]) == 0;
  if (!ext_ok) {
    err_at(c, m, "\"%s\": a %s must be %s%s%s%s%s", p, r->what, r->exts[0],
           r->exts[1] ? " or " : "", r->exts[1] ? r->exts[1] : "",
           r->exts[2] ? " or " : "", r->exts[2] ? r->exts[2] : "");
    return NULL;
  }
  const char *base = in_assets ? c->assets : c->dir;
  char full[4096];
  if (base)
    snprintf(full, sizeof full, "%s/%s", base, p);
  else
    snprintf(full, sizeof full, "%s", p);
  if (!c->dir) /* parsing from memory: nothing to check on disk */
    return keep(c, full);

  struct stat st;
  if (stat(full, &st) != 0) {
    err_at(c, m, "%s \"%s\" not found (looked for %s)", r->what, p, full);
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    err_at(c, m, "%s \"%s\" is not a regular file", r->what, p);
    return NULL;
  }
  if (st.st_size > r->max) {
    err_at(c, m, "%s \"%s\" is %lld bytes; the limit is %ld", r->what, p,
           (long long)st.st_size, r->max);
    return NULL;
  }
  unsigned char head[4096];
  size_t n = 0;
  int fd = open(full, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t got = read(fd, head, sizeof head);
    n = got > 0 ? (size_t)got : 0;
    close(fd);
  }
  if (fd < 0) {
    err_at(c, m, "%s \"%s\" cannot be read: %s", r->what, p, strerror(errno));
    return NULL;
  }
  if (!sniff_ok(ext, head, n)) {
    err_at(c, m, "%s \"%s\" is not a valid %s file (its content does not match)",
           r->what, p, ext + 1);
    return NULL;
  }
  return keep(c, full);
}

static char *media_member(ctx *c, const cJSON *obj, const char *key, media_kind kind,
                          int required, const char *what) {
  const cJSON *m = member(c, obj, key, required, what);
  return m ? parse_media(c, m, kind) : NULL;
}

static void parse_audio(ctx *c, const cJSON *obj, pv_audio *out) {
  out->path = zalloc(c, c->s->n_languages, sizeof *out->path);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "audio");
  if (!a || !out->path)
    return;
  if (!cJSON_IsObject(a)) {
    err_at(c, a, "\"audio\" must be an object from language to file, not %s",
           pv_json_kind(a));
    return;
  }
  char langs[256];
  langs_list(c, langs, sizeof langs);
  for (const cJSON *m = a->child; m; m = m->next) {
    int li = pv_survey_lang_index(c->s, m->string);
    if (li < 0) {
      err_key(c, m, "\"%s\" is not a declared language (languages: %s)", m->string,
              langs);
    } else if (out->path[li]) {
      err_key(c, m, "duplicate key \"%s\"", m->string);
    } else {
      out->path[li] = parse_media(c, m, MEDIA_AUDIO);
    }
  }
}

static void free_audio(pv_audio *a, size_t n) {
  if (!a->path)
    return;
  for (size_t i = 0; i < n; i++)
    free(a->path[i]);
  free(a->path);
  a->path = NULL;
}

/* ---- référentiel ---------------------------------------------------------- */

static int valid_code(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > PV_SURVEY_MAX_CODE)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
      return 0;
  return 1;
}

static void parse_codes(ctx *c, const cJSON *ref, const char *key, char ***out,
                        size_t *n) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(ref, key);
  if (!a)
    return;
  if (!cJSON_IsArray(a)) {
    err_at(c, a, "\"%s\" must be an array of codes, not %s", key, pv_json_kind(a));
    return;
  }
  int count = cJSON_GetArraySize(a);
  if (count > PV_SURVEY_MAX_CODES) {
    err_at(c, a, "\"%s\" has %d codes; the limit is %d", key, count,
           PV_SURVEY_MAX_CODES);
    return;
  }
  *out = zalloc(c, (size_t)count, sizeof **out);
  if (!*out)
    return;
  for (const cJSON *e = a->child; e; e = e->next) {
    if (!cJSON_IsString(e) || !valid_code(e->valuestring)) {
      err_at(c, e,
             "a code in \"%s\" must be a string of 1 to %d characters among A-Z, "
             "a-z, 0-9, '.', '_', '-'",
             key, PV_SURVEY_MAX_CODE);
      continue;
    }
    (*out)[(*n)++] = keep(c, e->valuestring);
  }
}

static void parse_referentiel(ctx *c, const cJSON *obj, pv_referentiel *out) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(obj, "referentiel");
  if (!r)
    return;
  if (!cJSON_IsObject(r)) {
    err_at(c, r, "\"referentiel\" must be an object, not %s", pv_json_kind(r));
    return;
  }
  static const char *const keys[] = {"pillar", "evaluative_questions", "indicators",
                                     NULL};
  check_keys(c, r, keys, "the référentiel");
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "pillar");
  if (p) {
    int ok = 0;
    for (size_t i = 0; cJSON_IsString(p) && i < sizeof pillars / sizeof *pillars; i++)
      ok |= strcmp(p->valuestring, pillars[i]) == 0;
    if (ok)
      out->pillar = keep(c, p->valuestring);
    else
      err_at(c, p,
             "\"pillar\" must be one of cohesion_sociale, cadre_de_vie, "
             "emploi_developpement_economique, transversal, transition_ecologique");
  }
  parse_codes(c, r, "evaluative_questions", &out->evaluative_questions,
              &out->n_evaluative);
  parse_codes(c, r, "indicators", &out->indicators, &out->n_indicators);
}

static void free_referentiel(pv_referentiel *r) {
  free(r->pillar);
  for (size_t i = 0; i < r->n_evaluative; i++)
    free(r->evaluative_questions[i]);
  free(r->evaluative_questions);
  for (size_t i = 0; i < r->n_indicators; i++)
    free(r->indicators[i]);
  free(r->indicators);
  memset(r, 0, sizeof *r);
}

static char **copy_codes(ctx *c, char **src, size_t n) {
  char **d = zalloc(c, n, sizeof *d);
  for (size_t i = 0; d && i < n; i++)
    d[i] = keep(c, src[i]);
  return d;
}

/* A question's référentiel inherits, key by key, what it does not name
 * itself from the survey's. */
static void inherit_referentiel(ctx *c, pv_referentiel *r) {
  const pv_referentiel *sr = &c->s->referentiel;
  if (!r->pillar && sr->pillar)
    r->pillar = keep(c, sr->pillar);
  if (r->n_evaluative == 0 && !r->evaluative_questions && sr->n_evaluative) {
    r->evaluative_questions = copy_codes(c, sr->evaluative_questions, sr->n_evaluative);
    r->n_evaluative = r->evaluative_questions ? sr->n_evaluative : 0;
  }
  if (r->n_indicators == 0 && !r->indicators && sr->n_indicators) {
    r->indicators = copy_codes(c, sr->indicators, sr->n_indicators);
    r->n_indicators = r->indicators ? sr->n_indicators : 0;
  }
}

/* ---- options ---------------------------------------------------------- */

static void parse_option(ctx *c, const cJSON *o, pv_option *out, media_kind kind,
                         const char *what) {
  if (!cJSON_IsObject(o)) {
    err_at(c, o, "each %s must be an object, not %s", what, pv_json_kind(o));
    return;
  }
  const char *image_key = kind == MEDIA_PHOTO ? "photo" : "image";
  const char *keys[] = {"id",
                        "label",
                        image_key,
                        "audio",
                        strcmp(what, "choice") == 0 ? "exclusive" : NULL,
                        NULL};
  check_keys(c, o, keys, what);
  bool_member(c, o, "exclusive", &out->exclusive);
  out->id = id_member(c, o, "id", PV_SURVEY_MAX_QID, "_", what);
  parse_text_obj(c, o, "label", &out->label, what);
  out->image = media_member(c, o, image_key, kind, 1, what);
  parse_audio(c, o, &out->audio);
}

static void free_option(pv_option *o, size_t nl) {
  free(o->id);
  free_text(&o->label, nl);
  free(o->image);
  free_audio(&o->audio, nl);
}

/* Reads an array of options under key with lo..hi entries and unique ids. */
static void parse_options(ctx *c, const cJSON *q, pv_question *out, const char *key,
                          int lo, int hi, media_kind kind, const char *what) {
  const cJSON *a = member(c, q, key, 1, "the question");
  if (!a)
    return;
  if (!cJSON_IsArray(a)) {
    err_at(c, a, "\"%s\" must be an array, not %s", key, pv_json_kind(a));
    return;
  }
  int n = cJSON_GetArraySize(a);
  if (n < lo || n > hi) {
    err_at(c, a, "\"%s\" has %d entries; it needs %d to %d", key, n, lo, hi);
    return;
  }
  out->options = zalloc(c, (size_t)n, sizeof *out->options);
  if (!out->options)
    return;
  out->n_options = (size_t)n;
  size_t i = 0;
  for (const cJSON *o = a->child; o; o = o->next, i++) {
    parse_option(c, o, &out->options[i], kind, what);
    for (size_t j = 0; out->options[i].id && j < i; j++)
      if (out->options[j].id && strcmp(out->options[j].id, out->options[i].id) == 0)
        err_at(c, cJSON_GetObjectItemCaseSensitive(o, "id"),
               "duplicate %s id \"%s\" in this question", what, out->options[i].id);
  }
}

/* Reads min/max for a multiple selection among n options. */
static void parse_min_max(ctx *c, const cJSON *q, pv_question *out, int n) {
  out->min = 1;
  out->max = n;
  if (n < 1)
    return;
  int_member(c, q, "min", 0, 1, n, &out->min, "the question");
  int_member(c, q, "max", 0, 1, n, &out->max, "the question");
  if (out->min > out->max)
    err_at(c, cJSON_GetObjectItemCaseSensitive(q, "min"),
           "\"min\" (%d) is greater than \"max\" (%d)", out->min, out->max);
}

/* ---- per-type parsers ------------------------------------------------- */

static void parse_smileys(ctx *c, const cJSON *q, pv_question *out) {
  if (int_member(c, q, "points", 1, 3, 5, &out->points, "a smileys question") &&
      out->points == 4) {
    err_at(c, cJSON_GetObjectItemCaseSensitive(q, "points"),
           "\"points\" must be 3 or 5");
    out->points = 0;
  }
}

static void parse_choice(ctx *c, const cJSON *q, pv_question *out) {
  parse_options(c, q, out, "choices", 2, PV_SURVEY_MAX_OPTIONS, MEDIA_IMAGE, "choice");
  bool_member(c, q, "multiple", &out->multiple);
  if (out->multiple) {
    parse_min_max(c, q, out, (int)out->n_options);
    return;
  }
  out->min = out->max = 1;
  for (size_t i = 0; i < out->n_options; i++)
    if (out->options[i].exclusive) {
      const cJSON *o =
          cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(q, "choices"), (int)i);
      err_key(c, cJSON_GetObjectItemCaseSensitive(o, "exclusive"),
              "\"exclusive\" applies only with \"multiple\": true");
    }
  static const char *const multi_only[] = {"min", "max"};
  for (size_t i = 0; i < 2; i++) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(q, multi_only[i]);
    if (m)
      err_key(c, m, "\"%s\" applies only with \"multiple\": true", multi_only[i]);
  }
}

static void parse_nothing(ctx *c, const cJSON *q, pv_question *out) {
  (void)c;
  (void)q;
  (void)out;
}

static void parse_end(ctx *c, const cJSON *q, const char *key, pv_option *out) {
  const cJSON *e = member(c, q, key, 1, "a scale question");
  if (!e)
    return;
  if (!cJSON_IsObject(e)) {
    err_at(c, e, "\"%s\" must be an object with a label and an image, not %s", key,
           pv_json_kind(e));
    return;
  }
  static const char *const keys[] = {"label", "image", "audio", NULL};
  check_keys(c, e, keys, "a scale end");
  out->id = keep(c, key);
  parse_text_obj(c, e, "label", &out->label, "a scale end");
  out->image = media_member(c, e, "image", MEDIA_IMAGE, 1, "a scale end");
  parse_audio(c, e, &out->audio);
}

static void parse_scale(ctx *c, const cJSON *q, pv_question *out) {
  out->min = 0;
  out->max = 10;
  parse_end(c, q, "low", &out->low);
  parse_end(c, q, "high", &out->high);
}

static void parse_ranking(ctx *c, const cJSON *q, pv_question *out) {
  parse_options(c, q, out, "choices", 2, PV_SURVEY_MAX_RANKING, MEDIA_IMAGE, "item");
}

static void parse_map(ctx *c, const cJSON *q, pv_question *out) {
  out->plan = media_member(c, q, "plan", MEDIA_PHOTO, 1, "a map question");
  parse_options(c, q, out, "pins", 1, PV_SURVEY_MAX_PINS, MEDIA_IMAGE, "pin kind");
  out->max = 10;
  int_member(c, q, "max", 0, 1, 30, &out->max, "a map question");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(q, "bounds");
  if (!b)
    return;
  if (!cJSON_IsObject(b)) {
    err_at(c, b, "\"bounds\" must be an object, not %s", pv_json_kind(b));
    return;
  }
  static const char *const keys[] = {"west", "south", "east", "north", NULL};
  check_keys(c, b, keys, "the bounds");
  static const double limit[] = {180, 90, 180, 90};
  double v[4];
  int ok = 1;
  for (int i = 0; i < 4; i++) {
    const cJSON *m = member(c, b, keys[i], 1, "\"bounds\"");
    if (!m || !cJSON_IsNumber(m) || fabs(m->valuedouble) > limit[i]) {
      if (m)
        err_at(c, m, "\"%s\" must be a number of degrees within ±%.0f", keys[i],
               limit[i]);
      ok = 0;
      continue;
    }
    v[i] = m->valuedouble;
  }
  if (!ok)
    return;
  if (v[0] >= v[2] || v[1] >= v[3]) {
    err_at(c, b, "\"bounds\" must have west < east and south < north");
    return;
  }
  out->has_bounds = 1;
  out->west = v[0];
  out->south = v[1];
  out->east = v[2];
  out->north = v[3];
}

static void parse_photo_choice(ctx *c, const cJSON *q, pv_question *out) {
  parse_options(c, q, out, "photos", 2, PV_SURVEY_MAX_OPTIONS, MEDIA_PHOTO, "photo");
  parse_min_max(c, q, out, (int)out->n_options);
}

static void parse_voice(ctx *c, const cJSON *q, pv_question *out) {
  out->max_seconds = 60;
  int_member(c, q, "max_seconds", 0, 5, 300, &out->max_seconds, "a voice question");
}

static void parse_text(ctx *c, const cJSON *q, pv_question *out) {
  out->max_length = 500;
  int_member(c, q, "max_length", 0, 1, 2000, &out->max_length, "a text question");
}

/* ---- conditions --------------------------------------------------------- */

/* Returns 1 when value v lies in the answer domain of question q. */
static int in_domain(const pv_question *q, const cJSON *v) {
  double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
  int whole = cJSON_IsNumber(v) && d == floor(d);
  switch (q->type) {
  case PV_Q_SMILEYS: /* points 0: already reported; do not cascade */
    return whole && d >= 1 && d <= (q->points ? q->points : 5);
  case PV_Q_SCALE:
    return whole && d >= 0 && d <= 10;
  case PV_Q_YES_NO:
    return cJSON_IsString(v) &&
           (strcmp(v->valuestring, "yes") == 0 || strcmp(v->valuestring, "no") == 0);
  case PV_Q_CHOICE:
    for (size_t i = 0; cJSON_IsString(v) && i < q->n_options; i++)
      if (q->options[i].id && strcmp(q->options[i].id, v->valuestring) == 0)
        return 1;
    return 0;
  default:
    return 0;
  }
}

static const char *domain_hint(const pv_question *q) {
  switch (q->type) {
  case PV_Q_SMILEYS:
    return q->points == 3 ? "1 to 3" : "1 to 5";
  case PV_Q_SCALE:
    return "0 to 10";
  case PV_Q_YES_NO:
    return "\"yes\" or \"no\"";
  default:
    return "its choice ids";
  }
}

static void parse_condition(ctx *c, const cJSON *q, size_t index, pv_question *out) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(q, "relevant");
  if (!r)
    return;
  if (!cJSON_IsObject(r)) {
    err_at(c, r, "\"relevant\" must be an object {\"question\": ..., \"in\": [...]}");
    return;
  }
  static const char *const keys[] = {"question", "in", NULL};
  check_keys(c, r, keys, "the condition");
  const cJSON *qid = member(c, r, "question", 1, "the condition");
  const cJSON *in = member(c, r, "in", 1, "the condition");
  if (!qid || !in)
    return;
  if (!cJSON_IsString(qid)) {
    err_at(c, qid, "\"question\" must be a question id, not %s", pv_json_kind(qid));
    return;
  }
  const pv_question *target = NULL;
  size_t ti = 0;
  for (size_t i = 0; i < c->s->n_questions; i++) {
    const char *id = c->s->questions[i].id;
    if (id && strcmp(id, qid->valuestring) == 0) {
      target = &c->s->questions[i];
      ti = i;
      break;
    }
  }
  if (!target || ti >= index) {
    int later = 0;
    for (const cJSON *q2 = c->questions ? c->questions->child : NULL; q2;
         q2 = q2->next) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(q2, "id");
      later |= cJSON_IsString(id) && strcmp(id->valuestring, qid->valuestring) == 0;
    }
    if (later)
      err_at(c, qid,
             "the condition refers to \"%s\", which does not come before this "
             "question; conditions must point backwards",
             qid->valuestring);
    else
      err_at(c, qid, "the condition refers to \"%s\", which is not a question here",
             qid->valuestring);
    return;
  }
  if (!(target->type == PV_Q_SMILEYS || target->type == PV_Q_CHOICE ||
        target->type == PV_Q_YES_NO || target->type == PV_Q_SCALE)) {
    err_at(c, qid,
           "a condition can refer to a smileys, choice, yes_no or scale question, "
           "not to \"%s\" (%s)",
           target->id, pv_qtype_name(target->type));
    return;
  }
  int n = cJSON_IsArray(in) ? cJSON_GetArraySize(in) : 0;
  if (!cJSON_IsArray(in) || n < 1 || n > PV_SURVEY_MAX_OPTIONS) {
    err_at(c, in, "\"in\" must be an array of 1 to %d values", PV_SURVEY_MAX_OPTIONS);
    return;
  }
  pv_condition *cond = zalloc(c, 1, sizeof *cond);
  if (!cond)
    return;
  out->relevant = cond;
  cond->question = keep(c, target->id);
  cond->question_index = ti;
  cond->values = zalloc(c, (size_t)n, sizeof *cond->values);
  if (!cond->values)
    return;
  for (const cJSON *v = in->child; v; v = v->next) {
    if (!in_domain(target, v)) {
      char *shown = cJSON_PrintUnformatted(v);
      err_at(c, v, "%s is not an answer of \"%s\" (%s: %s)", shown ? shown : "value",
             target->id, pv_qtype_name(target->type), domain_hint(target));
      free(shown);
      continue;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (!text) {
      c->oom = 1;
      continue;
    }
    cond->values[cond->n_values++] = text;
  }
}

static void free_condition(pv_condition *cond) {
  if (!cond)
    return;
  free(cond->question);
  for (size_t i = 0; i < cond->n_values; i++)
    cJSON_free(cond->values[i]);
  free(cond->values);
  free(cond);
}

/* ---- questions ---------------------------------------------------------- */

static void parse_question(ctx *c, const cJSON *q, size_t index) {
  pv_question *out = &c->s->questions[index];
  if (!cJSON_IsObject(q)) {
    err_at(c, q, "each question must be an object, not %s", pv_json_kind(q));
    return;
  }
  const cJSON *t = member(c, q, "type", 1, "the question");
  out->type = PV_Q__COUNT;
  if (t) {
    for (int i = 0; cJSON_IsString(t) && i < PV_Q__COUNT; i++)
      if (strcmp(t->valuestring, qtypes[i].name) == 0)
        out->type = (pv_qtype)i;
    if (out->type == PV_Q__COUNT)
      err_at(c, t,
             "unknown question type%s%s%s: use smileys, choice, yes_no, scale, "
             "ranking, map, drawing, photo_choice, voice or text",
             cJSON_IsString(t) ? " \"" : "", cJSON_IsString(t) ? t->valuestring : "",
             cJSON_IsString(t) ? "\"" : "");
  }
  out->id = id_member(c, q, "id", PV_SURVEY_MAX_QID, "_", "the question");
  for (size_t j = 0; out->id && j < index; j++)
    if (c->s->questions[j].id && strcmp(c->s->questions[j].id, out->id) == 0)
      err_at(c, cJSON_GetObjectItemCaseSensitive(q, "id"),
             "duplicate question id \"%s\"", out->id);
  parse_text_obj(c, q, "label", &out->label, "the question");
  out->image = media_member(c, q, "image", MEDIA_IMAGE, 1, "the question");
  parse_audio(c, q, &out->audio);
  bool_member(c, q, "required", &out->required);
  parse_referentiel(c, q, &out->referentiel);
  inherit_referentiel(c, &out->referentiel);
  if (out->type == PV_Q__COUNT) {
    out->type = PV_Q_DRAWING; /* something freeable; the survey is invalid */
    return;
  }
  check_keys(c, q, qtypes[out->type].keys, "this question type");
  qtypes[out->type].parse(c, q, out);
  parse_condition(c, q, index, out);
}

static void free_question(pv_question *q, size_t nl) {
  free(q->id);
  free_text(&q->label, nl);
  free(q->image);
  free_audio(&q->audio, nl);
  free_condition(q->relevant);
  free_referentiel(&q->referentiel);
  for (size_t i = 0; i < q->n_options; i++)
    free_option(&q->options[i], nl);
  free(q->options);
  free_option(&q->low, nl);
  free_option(&q->high, nl);
  free(q->plan);
}

void pv_survey_free(pv_survey *s) {
  if (!s)
    return;
  size_t nl = s->n_languages;
  for (size_t i = 0; i < s->n_questions; i++)
    free_question(&s->questions[i], nl);
  free(s->questions);
  free_text(&s->title, nl);
  free_audio(&s->audio, nl);
  free_referentiel(&s->referentiel);
  free(s->image);
  free(s->id);
  for (size_t i = 0; i < nl; i++)
    free(s->languages[i]);
  free(s->languages);
  free(s->dir);
  free(s);
}

/* ---- the survey -------------------------------------------------------- */

static void parse_languages(ctx *c, const cJSON *root) {
  const cJSON *a = member(c, root, "languages", 1, "the survey");
  if (!a)
    return;
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
  if (n < 1 || n > PV_SURVEY_MAX_LANGUAGES) {
    err_at(c, a, "\"languages\" must be an array of 1 to %d language tags",
           PV_SURVEY_MAX_LANGUAGES);
    return;
  }
  c->s->languages = zalloc(c, (size_t)n, sizeof *c->s->languages);
  if (!c->s->languages)
    return;
  for (const cJSON *e = a->child; e; e = e->next) {
    if (!cJSON_IsString(e) || !pv_lang_tag_valid(e->valuestring)) {
      err_at(c, e,
             "a language must be a BCP 47 tag such as \"fr\", \"ar\" or \"ar-MA\"");
      continue;
    }
    if (pv_survey_lang_index(c->s, e->valuestring) >= 0) {
      err_at(c, e, "language \"%s\" is listed twice", e->valuestring);
      continue;
    }
    c->s->languages[c->s->n_languages++] = keep(c, e->valuestring);
  }
}

static const char *basename_of(const char *dir) {
  const char *end = dir + strlen(dir);
  while (end > dir && end[-1] == '/')
    end--;
  const char *start = end;
  while (start > dir && start[-1] != '/')
    start--;
  static _Thread_local char name[256];
  size_t n = (size_t)(end - start);
  if (n >= sizeof name)
    n = sizeof name - 1;
  memcpy(name, start, n);
  name[n] = '\0';
  return name;
}

static void parse_root(ctx *c, const cJSON *root, int folder_named) {
  if (!cJSON_IsObject(root)) {
    err_at(c, root, "a survey must be a JSON object, not %s", pv_json_kind(root));
    return;
  }
  static const char *const keys[] = {"format",    "id",    "version", "languages",
                                     "title",     "image", "audio",   "referentiel",
                                     "questions", NULL};
  check_keys(c, root, keys, "the survey");
  int format = 0;
  if (int_member(c, root, "format", 1, 1, 1000000, &format, "the survey") &&
      format != PV_SURVEY_FORMAT)
    err_at(c, cJSON_GetObjectItemCaseSensitive(root, "format"),
           "format %d is not supported; this version reads format %d", format,
           PV_SURVEY_FORMAT);
  c->s->id = id_member(c, root, "id", PV_SURVEY_MAX_ID, "-", "the survey");
  if (c->s->id && folder_named && c->dir && strcmp(c->s->id, basename_of(c->dir)) != 0)
    err_at(c, cJSON_GetObjectItemCaseSensitive(root, "id"),
           "the survey id \"%s\" differs from its folder name \"%s\"", c->s->id,
           basename_of(c->dir));
  int_member(c, root, "version", 1, 1, 2147483647L, &c->s->version, "the survey");
  parse_languages(c, root);
  if (c->s->n_languages == 0)
    return; /* every text depends on the languages */
  parse_text_obj(c, root, "title", &c->s->title, "the survey");
  c->s->image = media_member(c, root, "image", MEDIA_IMAGE, 1, "the survey");
  parse_audio(c, root, &c->s->audio);
  parse_referentiel(c, root, &c->s->referentiel);

  const cJSON *qs = member(c, root, "questions", 1, "the survey");
  if (!qs)
    return;
  int n = cJSON_IsArray(qs) ? cJSON_GetArraySize(qs) : -1;
  if (n < 1 || n > PV_SURVEY_MAX_QUESTIONS) {
    err_at(c, qs, "\"questions\" must be an array of 1 to %d questions",
           PV_SURVEY_MAX_QUESTIONS);
    return;
  }
  c->s->questions = zalloc(c, (size_t)n, sizeof *c->s->questions);
  if (!c->s->questions)
    return;
  c->questions = qs;
  size_t i = 0;
  for (const cJSON *q = qs->child; q && !c->oom; q = q->next, i++) {
    c->s->n_questions = i + 1;
    parse_question(c, q, i);
  }
}

static const pv_jsondoc_kind survey_kind = {.what = "a survey",
                                            .max_bytes = PV_SURVEY_MAX_FILE,
                                            .limit = "1 MiB",
                                            .max_depth = PV_SURVEY_MAX_DEPTH};

static pv_err parse_common(const char *name, const char *dir, int folder_named,
                           const char *data, size_t len, const pv_survey_opts *opts,
                           pv_survey **out, pv_diags *diags) {
  pv_jsondoc doc;
  ctx c = {0};
  *out = NULL;
  pv_err err = pv_jsondoc_parse(&doc, name, data, len, &survey_kind, diags);
  if (err != PV_OK)
    return err;
  c.doc = &doc;
  c.dir = dir;
  c.assets = opts && opts->assets_dir ? opts->assets_dir : PV_DEFAULT_ASSETS_DIR;
  c.s = calloc(1, sizeof *c.s);
  if (!c.s || (dir && !(c.s->dir = strdup(dir)))) {
    err = pv_fail(PV_ERR_NOMEM, "survey: out of memory loading %s", name);
    goto out;
  }
  parse_root(&c, doc.root, folder_named);
  if (c.oom)
    err = pv_fail(PV_ERR_NOMEM, "survey: out of memory loading %s", name);
  else if (doc.errors)
    err = PV_ERR_INVALID;
  else {
    *out = c.s;
    c.s = NULL;
  }
out:
  pv_survey_free(c.s);
  pv_jsondoc_free(&doc);
  return err;
}

pv_err pv_survey_parse(const char *name, const char *dir, const char *data, size_t len,
                       const pv_survey_opts *opts, pv_survey **out, pv_diags *diags) {
  return parse_common(name, dir, 0, data, len, opts, out, diags);
}

pv_err pv_survey_load(const char *path, const pv_survey_opts *opts, pv_survey **out,
                      pv_diags *diags) {
  char file[4096], dir[4096];
  struct stat st;
  int folder = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  *out = NULL;
  if (strlen(path) > 3000) {
    pv_diags_add(diags, "(path)", 1, 1, "path too long");
    return PV_ERR_INVALID;
  }
  if (folder) {
    snprintf(dir, sizeof dir, "%.3000s", path);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
      dir[--n] = '\0';
    snprintf(file, sizeof file, "%.3000s/survey.json", dir);
  } else {
    snprintf(file, sizeof file, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash)
      snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
      snprintf(dir, sizeof dir, ".");
  }
  char *data = NULL;
  size_t len = 0;
  pv_err err = pv_jsondoc_read(file, &survey_kind, &data, &len, diags);
  if (err == PV_ERR_NOTFOUND) {
    pv_diags_add(diags, file, 1, 1,
                 folder ? "no survey.json in this folder" : "no such file");
    return PV_ERR_INVALID;
  }
  if (err != PV_OK)
    return err;
  err = parse_common(file, dir, folder, data, len, opts, out, diags);
  free(data);
  return err;
}

/* ---- queries ---------------------------------------------------------- */

int pv_survey_lang_index(const pv_survey *s, const char *lang) {
  for (size_t i = 0; i < s->n_languages; i++)
    if (s->languages[i] && strcmp(s->languages[i], lang) == 0)
      return (int)i;
  return -1;
}

const pv_question *pv_survey_question(const pv_survey *s, const char *id) {
  for (size_t i = 0; i < s->n_questions; i++)
    if (strcmp(s->questions[i].id, id) == 0)
      return &s->questions[i];
  return NULL;
}

void pv_survey_each_spoken(const pv_survey *s, pv_spoken_fn fn, void *ud) {
  fn(ud, PV_SPOKEN_PROMPT, &s->title, &s->audio);
  for (size_t i = 0; i < s->n_questions; i++) {
    const pv_question *q = &s->questions[i];
    fn(ud, PV_SPOKEN_PROMPT, &q->label, &q->audio);
    if (q->type == PV_Q_SCALE) {
      fn(ud, PV_SPOKEN_CHOICE, &q->low.label, &q->low.audio);
      fn(ud, PV_SPOKEN_CHOICE, &q->high.label, &q->high.audio);
    }
    for (size_t j = 0; j < q->n_options; j++)
      fn(ud, PV_SPOKEN_CHOICE, &q->options[j].label, &q->options[j].audio);
  }
}
