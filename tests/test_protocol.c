/* test_protocol: the wire format both ends share (sync/protocol.h).
 * Round trips, canonical identity whatever the key order, and a table of
 * bodies that must be refused with a reason. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sync/protocol.h"
#include "check.h"

#define UUID1 "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
#define UUID2 "77a0c0de-1234-4abc-8def-0123456789ab"
#define DEV "6f1c2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define T0 "2026-11-23T14:02:11.250Z"
#define T1 "2026-11-23T14:04:40.003Z"

static pv_store_answer answers[] = {
    {.question_id = "logement",
     .value = "4",
     .measure = PV_QUANTITATIVE,
     .answered_at = T0},
    {.question_id = "problemes",
     .value = "[\"humidite\",\"froid\"]",
     .measure = PV_QUANTITATIVE,
     .answered_at = T0},
    {.question_id = "parole",
     .value = "\"الدرج مظلم ; \\\"la nuit\\\"\"",
     .measure = PV_QUALITATIVE,
     .answered_at = T1},
    {.question_id = "dessin",
     .value = "{\"attachment\":\"" SHA "\",\"media_type\":\"image/png\",\"size\":12}",
     .measure = PV_QUALITATIVE,
     .answered_at = T1,
     .attachment = SHA},
};

static pv_store_response sample(void) {
  pv_store_response r = {.uuid = UUID1,
                         .survey_id = "qualite-habiter",
                         .survey_version = 3,
                         .device_id = DEV,
                         .language = "ar",
                         .started_at = T0,
                         .ended_at = T1,
                         .status = PV_STORE_COMPLETE,
                         .answers = answers,
                         .answer_count = sizeof answers / sizeof answers[0]};
  return r;
}

static void test_roundtrip(void) {
  pv_store_response r = sample();
  char *a = pv_proto_response_encode(&r);
  CHECK(a != NULL);
  CHECK_CONTAINS(a, "\"session\":null");
  CHECK_CONTAINS(a, "الدرج مظلم"); /* UTF-8 as is, not \u escapes */

  pv_store_response back;
  char why[200] = "";
  CHECK_INT(pv_proto_response_decode(a, strlen(a), &back, why, sizeof why), PV_OK);
  CHECK_STR(back.uuid, UUID1);
  CHECK_STR(back.survey_id, "qualite-habiter");
  CHECK_INT(back.survey_version, 3);
  CHECK_STR(back.session_uuid, "");
  CHECK_INT(back.answer_count, 4);
  CHECK_STR(back.answers[1].value, "[\"humidite\",\"froid\"]");
  CHECK_INT(back.answers[2].measure, PV_QUALITATIVE);
  CHECK_STR(back.answers[3].attachment, SHA);
  char *b = pv_proto_response_encode(&back);
  CHECK_STR(b, a); /* canonical: decode then encode is the identity */
  pv_store_response_free(&back);
  free(b);

  /* Another key order and spacing decode to the same canonical text. */
  const char *shuffled =
      "{ \"answers\": [{\"value\": 4, \"answered_at\": \"" T0 "\", \"measure\": "
      "\"quantitative\", \"question\": \"logement\"}],\n \"status\": \"complete\", "
      "\"ended_at\": \"" T1 "\", \"started_at\": \"" T0 "\", \"language\": \"ar\", "
      "\"session\": null, \"device\": \"" DEV "\", \"version\": 3, \"survey\": "
      "\"qualite-habiter\", \"uuid\": \"" UUID1 "\" }";
  r.answer_count = 1;
  char *one = pv_proto_response_encode(&r);
  CHECK_INT(
      pv_proto_response_decode(shuffled, strlen(shuffled), &back, why, sizeof why),
      PV_OK);
  char *c = pv_proto_response_encode(&back);
  CHECK_STR(c, one);
  pv_store_response_free(&back);
  free(c);
  free(one);
  free(a);
}

/* Each body is one response object that must be refused; the reason
 * must name the field. */
static const struct {
  const char *json, *reason;
} bad_responses[] = {
    {"[]", "not an object"},
    {"{\"uuid\":\"nope\"}", "uuid"},
    {"{\"uuid\":\"" UUID1 "\",\"extra\":1}", "unknown key \"extra\""},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"survey\":\"t\"}",
     "repeated key \"survey\""},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"Bad Id\"}", "survey"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1.5}", "version"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":\"3\"}", "version"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":0}", "version"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":7}", "device"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":\"x\"}",
     "session"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"français\"}",
     "language"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"2026-13-40T00:00:00."
     "000Z\","
     "\"ended_at\":\"" T1 "\"}",
     "started_at"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T1
     "\",\"ended_at\":\"" T0 "\"}",
     "before started_at"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T0
     "\",\"ended_at\":\"" T1 "\",\"status\":\"in_progress\",\"answers\":[]}",
     "status"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T0
     "\",\"ended_at\":\"" T1 "\",\"status\":\"complete\",\"answers\":{}}",
     "answers"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T0
     "\",\"ended_at\":\"" T1 "\",\"status\":\"complete\",\"answers\":[{\"question\":"
     "\"q\",\"measure\":\"quantitative\","
     "\"answered_at\":\"" T0 "\"}]}",
     "answers[0].value: missing"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T0
     "\",\"ended_at\":\"" T1 "\",\"status\":\"complete\",\"answers\":[{\"question\":"
     "\"q\",\"value\":1,\"measure\":"
     "\"quantitative\",\"answered_at\":\"" T0
     "\",\"attachment\":\"../../etc/passwd\"}]}",
     "answers[0].attachment"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T0
     "\",\"ended_at\":\"" T1 "\",\"status\":\"complete\",\"answers\":[{\"question\":"
     "\"d\",\"value\":{\"attachment\":\"" SHA "\"},\"measure\":"
     "\"qualitative\",\"answered_at\":\"" T0 "\"}]}",
     "answers[0].value.attachment"},
    {"{\"uuid\":\"" UUID1 "\",\"survey\":\"s\",\"version\":1,\"device\":\"" DEV
     "\",\"session\":null,\"language\":\"fr\",\"started_at\":\"" T0
     "\",\"ended_at\":\"" T1 "\",\"status\":\"complete\",\"answers\":[{\"question\":"
     "\"q\",\"value\":1,\"measure\":"
     "\"quantitative\",\"answered_at\":\"" T0
     "\"},{\"question\":\"q\",\"value\":2,\"measure\":"
     "\"quantitative\",\"answered_at\":\"" T0 "\"}]}",
     "answered twice"},
    {"{\"uuid\":\"" UUID1 "\"} trailing", "trailing"},
    {"{\"uuid\":\"\xff\"}", "UTF-8"},
};

/* A reason quoting a long key cuts it on a character boundary: the
 * reason goes into a JSON error body, which must stay UTF-8. */
static void test_reason_utf8(void) {
  char body[512], why[200] = "";
  pv_store_response r;
  snprintf(body, sizeof body, "{\"uuid\":\"" UUID1 "\",\"a%s\":1}",
           "éééééééééééééééééééééééééééééé");
  CHECK_INT(pv_proto_response_decode(body, strlen(body), &r, why, sizeof why),
            PV_ERR_INVALID);
  CHECK_CONTAINS(why, "unknown key \"aéé");
  char *e = pv_proto_error_encode("invalid", why), code[PV_PROTO_MAX_CODE + 1],
       back[PV_PROTO_MAX_REASON + 1];
  CHECK_INT(pv_proto_error_decode(e, strlen(e), code, back),
            PV_OK); /* pre-scan: UTF-8 */
  CHECK_STR(back, why);
  free(e);
}

static void test_bad_responses(void) {
  for (size_t i = 0; i < sizeof bad_responses / sizeof bad_responses[0]; i++) {
    pv_store_response r;
    char why[200] = "";
    const char *j = bad_responses[i].json;
    CHECK_INT(pv_proto_response_decode(j, strlen(j), &r, why, sizeof why),
              PV_ERR_INVALID);
    if (!strstr(why, bad_responses[i].reason))
      pv_test_fail(__FILE__, __LINE__, "case %zu: reason \"%s\" lacks \"%s\"", i, why,
                   bad_responses[i].reason);
    CHECK(r.answers == NULL);
  }
}

static void test_batch(void) {
  pv_store_response rs[2] = {sample(), sample()};
  memcpy(rs[1].uuid, UUID2, sizeof UUID2);
  char *body = pv_proto_batch_encode(rs, 2);
  CHECK(body != NULL);
  pv_proto_batch b;
  char why[200] = "";
  CHECK_INT(pv_proto_batch_decode(body, strlen(body), &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 2);
  CHECK(b.items[0].ok && b.items[1].ok);
  CHECK_STR(b.items[1].result.uuid, UUID2);
  pv_proto_batch_free(&b);
  free(body);

  /* One bad item does not sink the others; a repeated uuid is refused. */
  rs[1] = sample();
  body = pv_proto_batch_encode(rs, 2);
  char *mixed = malloc(strlen(body) + 64);
  /* Insert a broken item between the two (same uuid twice otherwise). */
  size_t head = strlen("{\"responses\":[");
  snprintf(mixed, strlen(body) + 64, "%.*s{\"uuid\":\"bad\"},%s", (int)head, body,
           body + head);
  CHECK_INT(pv_proto_batch_decode(mixed, strlen(mixed), &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 3);
  CHECK(!b.items[0].ok);
  CHECK_INT(b.items[0].result.outcome, PV_OUT_INVALID);
  CHECK_CONTAINS(b.items[0].result.reason, "responses[0]: uuid");
  CHECK(b.items[1].ok);
  CHECK(!b.items[2].ok);
  CHECK_CONTAINS(b.items[2].result.reason, "repeated");
  CHECK_STR(b.items[2].result.uuid, UUID1);
  pv_proto_batch_free(&b);
  free(mixed);
  free(body);

  /* Bodies refused whole. */
  static const struct {
    const char *body;
    pv_err err;
    const char *reason;
  } whole[] = {
      {"", PV_ERR_INVALID, "not JSON"},
      {"{\"responses\":[]}", PV_ERR_INVALID, "1 to 100"},
      {"{\"responses\":{}}", PV_ERR_INVALID, "expected"},
      {"[1]", PV_ERR_INVALID, "expected"},
      {"{\"responses\":[],\"x\":1}", PV_ERR_INVALID, "unknown key"},
      {"{\"responses\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
       PV_ERR_INVALID, "nest"},
  };
  for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
    why[0] = '\0';
    CHECK_INT(pv_proto_batch_decode(whole[i].body, strlen(whole[i].body), &b, why,
                                    sizeof why),
              whole[i].err);
    if (!strstr(why, whole[i].reason))
      pv_test_fail(__FILE__, __LINE__, "whole %zu: reason \"%s\" lacks \"%s\"", i, why,
                   whole[i].reason);
  }
  /* 101 items: too many. */
  size_t cap = 20 + 101 * 3;
  char *many = malloc(cap);
  size_t n = (size_t)snprintf(many, cap, "{\"responses\":[");
  for (int i = 0; i < 101; i++)
    n += (size_t)snprintf(many + n, cap - n, "%s{}", i ? "," : "");
  snprintf(many + n, cap - n, "]}");
  CHECK_INT(pv_proto_batch_decode(many, strlen(many), &b, why, sizeof why),
            PV_ERR_TOOBIG);
  free(many);
  CHECK_INT(pv_proto_batch_decode("{}", PV_PROTO_MAX_BODY + 1, &b, why, sizeof why),
            PV_ERR_TOOBIG);
}

static void test_results(void) {
  pv_proto_result res[3] = {
      {.uuid = UUID1, .outcome = PV_OUT_STORED},
      {.uuid = UUID2, .outcome = PV_OUT_UNKNOWN_SURVEY, .reason = "version 9 unknown"},
      {.uuid = "", .outcome = PV_OUT_DUPLICATE},
  };
  CHECK_INT(pv_proto_batch_status(res, 1), 200);
  CHECK_INT(pv_proto_batch_status(res, 3), 422);
  CHECK_INT(pv_proto_batch_status(res, 0), 200);
  res[2].outcome = PV_OUT_CONFLICT;
  CHECK_INT(pv_proto_batch_status(res, 3), 409);
  res[2].outcome = PV_OUT_DUPLICATE;
  CHECK_INT(pv_proto_outcome_status(PV_OUT_STORED), 201);
  char *s = pv_proto_results_encode(res, 3);
  pv_proto_result *back = NULL;
  size_t n = 0;
  CHECK_INT(pv_proto_results_decode(s, strlen(s), &back, &n), PV_OK);
  CHECK_INT(n, 3);
  CHECK_INT(back[1].outcome, PV_OUT_UNKNOWN_SURVEY);
  CHECK_STR(back[1].reason, "version 9 unknown");
  CHECK_INT(back[2].outcome, PV_OUT_DUPLICATE);
  free(back);
  free(s);
  CHECK_INT(
      pv_proto_results_decode("{\"results\":[{\"uuid\":\"x\",\"outcome\":\"maybe\"}]}",
                              50, &back, &n),
      PV_ERR_INVALID);

  char code[PV_PROTO_MAX_CODE + 1], reason[PV_PROTO_MAX_REASON + 1];
  char *e = pv_proto_error_encode("too_large", "body over 4194304 bytes");
  CHECK_INT(pv_proto_error_decode(e, strlen(e), code, reason), PV_OK);
  CHECK_STR(code, "too_large");
  CHECK_STR(reason, "body over 4194304 bytes");
  free(e);
  CHECK_INT(pv_proto_error_decode("<html>", 6, code, reason), PV_ERR_INVALID);
}

static void test_catalog(void) {
  pv_proto_file files[2] = {{.path = "survey.json", .sha256 = SHA, .size = 1800},
                            {.path = "media/plan.jpg", .sha256 = SHA, .size = 201455}};
  pv_proto_survey sv = {
      .id = "tranquillite", .version = 2, .files = files, .n_files = 2};
  pv_proto_catalog c = {.surveys = &sv, .count = 1}, back;
  char *s = pv_proto_catalog_encode(&c), why[200] = "";
  CHECK_INT(pv_proto_catalog_decode(s, strlen(s), &back, why, sizeof why), PV_OK);
  CHECK_INT(back.count, 1);
  CHECK_STR(back.surveys[0].files[1].path, "media/plan.jpg");
  CHECK_INT(back.surveys[0].files[1].size, 201455);
  pv_proto_catalog_free(&back);
  free(s);
  const char *evil = "{\"surveys\":[{\"id\":\"a\",\"version\":1,\"files\":[{\"path\":"
                     "\"../kiosk.json\",\"sha256\":\"" SHA "\",\"size\":1}]}]}";
  CHECK_INT(pv_proto_catalog_decode(evil, strlen(evil), &back, why, sizeof why),
            PV_ERR_INVALID);
  CHECK_CONTAINS(why, "safe path");
}

static void test_checks(void) {
  static const struct {
    const char *path;
    int ok;
  } paths[] = {
      {"survey.json", 1},
      {"media/plan.jpg", 1},
      {"media/a-b_c.1.png", 1},
      {"", 0},
      {"/etc/passwd", 0},
      {"../x", 0},
      {"media/../x", 0},
      {"media//x", 0},
      {"media/", 0},
      {".hidden", 0},
      {"a/./b", 0},
      {"a\\b", 0},
      {"média/x.png", 0},
      {"a b", 0},
      {"a%2f..", 0},
  };
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (pv_proto_path_safe(paths[i].path) != paths[i].ok)
      pv_test_fail(__FILE__, __LINE__, "path_safe(\"%s\") != %d", paths[i].path,
                   paths[i].ok);
  CHECK(pv_proto_sha256_valid(SHA));
  CHECK(!pv_proto_sha256_valid(
      "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"));
  CHECK(!pv_proto_sha256_valid(SHA "0"));
  CHECK(pv_proto_time_valid(T0));
  CHECK(!pv_proto_time_valid("2026-11-23T14:02:11Z"));
  CHECK(!pv_proto_time_valid("2026-02-30T14:02:11.250Z"));
  CHECK(pv_proto_time_valid("2024-02-29T23:59:59.999Z"));
  CHECK(!pv_proto_time_valid("2023-02-29T00:00:00.000Z"));
  CHECK(!pv_proto_time_valid("2026-11-23T24:00:00.000Z"));
  CHECK(!pv_proto_time_valid("2026-11-23T14:02:11.250Z "));
  CHECK(!pv_proto_time_valid("2026-11-23 14:02:11.250Z"));
  CHECK(!pv_proto_time_valid("+026-11-23T14:02:11.250Z"));
  /* pv_time_parse inverts pv_time_iso, across leap years and centuries. */
  int64_t ms = 0;
  CHECK_INT(pv_time_parse("1970-01-01T00:00:00.000Z", &ms), 0);
  CHECK_INT(ms, 0);
  for (int64_t t = 0; t < 7258118400000LL; t += 86399999LL * 7 + 12345) {
    char iso[PV_STORE_TIME_LEN + 1];
    pv_time_iso(t, iso);
    if (pv_time_parse(iso, &ms) != 0 || ms != t) {
      pv_test_fail(__FILE__, __LINE__, "pv_time_parse(%s) != %lld", iso, (long long)t);
      break;
    }
  }
  CHECK(pv_proto_id_valid("qualite-habiter"));
  CHECK(pv_proto_id_valid("q_1"));
  CHECK(!pv_proto_id_valid("1q"));
  CHECK(!pv_proto_id_valid("Q"));
  CHECK(pv_proto_token_valid("pvd_abcdefghijklmnopqrstuvwxyzABCD-_"));
  CHECK(pv_proto_token_valid("pva_0123456789abcdefghijklmnopqrstuv"));
  CHECK(!pv_proto_token_valid("pvx_0123456789abcdefghijklmnopqrstuv"));
  CHECK(!pv_proto_token_valid("pvd_0123456789abcdefghijklmnopqrstu"));
  CHECK(!pv_proto_token_valid("pvd_0123456789abcdefghijklmnopqrst=v"));
}

/* ---- sessions ---- */

#define SESS "0f0e0d0c-0b0a-4988-8776-655443322110"

static pv_store_session sample_session(void) {
  pv_store_session s = {.uuid = SESS,
                        .kind = "table_de_quartier",
                        .place = "Maison pour tous \"Léo Lagrange\"",
                        .qpv_code = "QN03401M",
                        .qpv_name = "Mosson",
                        .animateur = "MB",
                        .started_at = T0};
  return s;
}

static void test_session_roundtrip(void) {
  pv_store_session s = sample_session(), back;
  char why[200] = "";
  char *a = pv_proto_session_encode(&s);
  CHECK_STR(a, "{\"uuid\":\"" SESS "\",\"kind\":\"table_de_quartier\","
               "\"place\":\"Maison pour tous \\\"Léo Lagrange\\\"\","
               "\"qpv_code\":\"QN03401M\",\"qpv_name\":\"Mosson\",\"animateur\":\"MB\","
               "\"started_at\":\"" T0 "\",\"ended_at\":null}");
  CHECK_INT(pv_proto_session_decode(a, strlen(a), &back, why, sizeof why), PV_OK);
  CHECK_STR(back.place, s.place);
  CHECK_STR(back.ended_at, "");
  CHECK_STR(back.qpv_code, "QN03401M");
  free(a);

  /* Ended, other key order and spacing: the same canonical text. */
  snprintf(s.ended_at, sizeof s.ended_at, "%s", T1);
  a = pv_proto_session_encode(&s);
  static const char shuffled[] =
      "{ \"ended_at\": \"" T1 "\", \"animateur\": \"MB\", \"qpv_name\": \"Mosson\","
      " \"qpv_code\": \"QN03401M\", \"place\": \"Maison pour tous \\\"Léo "
      "Lagrange\\\"\","
      " \"kind\": \"table_de_quartier\", \"started_at\": \"" T0 "\", \"uuid\": \"" SESS
      "\" }";
  CHECK_INT(pv_proto_session_decode(shuffled, strlen(shuffled), &back, why, sizeof why),
            PV_OK);
  char *b = pv_proto_session_encode(&back);
  CHECK_STR(b, a);
  free(a);
  free(b);

  /* Every kind; a kiosk without place, quartier or initials. */
  for (size_t i = 0; pv_proto_session_kind(i); i++)
    CHECK(pv_proto_session_kind_valid(pv_proto_session_kind(i)));
  CHECK(pv_proto_session_kind(4) == NULL);
  pv_store_session k = {.uuid = SESS, .kind = "kiosk", .started_at = T0};
  a = pv_proto_session_encode(&k);
  CHECK_INT(pv_proto_session_decode(a, strlen(a), &back, why, sizeof why), PV_OK);
  CHECK_STR(back.kind, "kiosk");
  free(a);
}

#define SB(rest) "{\"uuid\":\"" SESS "\"," rest "}"
#define S_OK_TAIL                                                                      \
  "\"place\":\"\",\"qpv_code\":\"\",\"qpv_name\":\"\",\"animateur\":\"\","             \
  "\"started_at\":\"" T0 "\",\"ended_at\":null"

static const struct {
  const char *json;
  const char *reason;
} bad_sessions[] = {
    {"[]", "not an object"},
    {"{\"kind\":\"kiosk\"}", "uuid: expected a UUID"},
    {SB("\"kind\":\"kiosk\",\"extra\":1," S_OK_TAIL), "unknown key \"extra\""},
    {SB("\"kind\":\"kiosk\",\"kind\":\"kiosk\"," S_OK_TAIL), "repeated key \"kind\""},
    {SB("\"kind\":\"fete\"," S_OK_TAIL), "kind: expected"},
    {SB("\"kind\":1," S_OK_TAIL), "kind: expected"},
    {SB(S_OK_TAIL), "kind: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":7,\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T0 "\",\"ended_at\":null"),
     "place: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":\"a\\nb\",\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T0 "\",\"ended_at\":null"),
     "place: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"QN0340M\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T0 "\",\"ended_at\":null"),
     "qpv_code: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"qn03401m\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T0 "\",\"ended_at\":null"),
     "qpv_code: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"Marie-Claire\",\"started_at\":\"" T0 "\",\"ended_at\":null"),
     "animateur: expected initials of at most 8 bytes"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"2026-11-23\",\"ended_at\":null"),
     "started_at: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T0 "\""),
     "ended_at: expected"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T1 "\",\"ended_at\":\"" T0 "\""),
     "ended_at: before started_at"},
    {SB("\"kind\":\"kiosk\",\"place\":\"\",\"qpv_code\":\"\",\"qpv_name\":\"\","
        "\"animateur\":\"\",\"started_at\":\"" T0 "\",\"ended_at\":\"\""),
     "ended_at: expected"},
};

static void test_bad_sessions(void) {
  for (size_t i = 0; i < sizeof bad_sessions / sizeof bad_sessions[0]; i++) {
    pv_store_session s;
    char why[200] = "";
    const char *j = bad_sessions[i].json;
    CHECK_INT(pv_proto_session_decode(j, strlen(j), &s, why, sizeof why),
              PV_ERR_INVALID);
    if (!strstr(why, bad_sessions[i].reason))
      pv_test_fail(__FILE__, __LINE__, "session case %zu: reason \"%s\" lacks \"%s\"",
                   i, why, bad_sessions[i].reason);
  }
  /* A place just at the bound passes, one byte more does not. */
  pv_store_session s = sample_session(), back;
  char why[200] = "";
  memset(s.place, 'x', PV_STORE_MAX_TEXT);
  s.place[PV_STORE_MAX_TEXT] = '\0';
  char *a = pv_proto_session_encode(&s);
  CHECK_INT(pv_proto_session_decode(a, strlen(a), &back, why, sizeof why), PV_OK);
  free(a);
  char big[PV_STORE_MAX_TEXT + 2];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  char body[1024];
  snprintf(body, sizeof body,
           SB("\"kind\":\"kiosk\",\"place\":\"%s\",\"qpv_code\":\"\",\"qpv_name\":\"\","
              "\"animateur\":\"\",\"started_at\":\"" T0 "\",\"ended_at\":null"),
           big);
  CHECK_INT(pv_proto_session_decode(body, strlen(body), &back, why, sizeof why),
            PV_ERR_INVALID);
  CHECK_CONTAINS(why, "place: expected a text of at most 200 bytes");
}

static void test_sessions_batch(void) {
  pv_store_session ss[2] = {sample_session(), sample_session()};
  memcpy(ss[1].uuid, UUID2, sizeof UUID2);
  snprintf(ss[1].ended_at, sizeof ss[1].ended_at, "%s", T1);
  char *body = pv_proto_sessions_encode(ss, 2);
  CHECK(body != NULL);
  CHECK(strncmp(body, "{\"sessions\":[{\"uuid\":", 21) == 0);
  pv_proto_sessions b;
  char why[200] = "";
  CHECK_INT(pv_proto_sessions_decode(body, strlen(body), &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 2);
  if (b.count == 2) {
    CHECK(b.items[0].ok && b.items[1].ok);
    CHECK_STR(b.items[1].s.ended_at, T1);
    CHECK_STR(b.items[1].result.uuid, UUID2);
  }
  pv_proto_sessions_free(&b);
  free(body);

  /* Items are judged one by one; a uuid twice keeps the first. */
  static const char mixed[] =
      "{\"sessions\":[" SB("\"kind\":\"kiosk\"," S_OK_TAIL) "," SB(
          "\"kind\":\"fete\"," S_OK_TAIL) "," SB("\"kind\":\"atelier\"," S_OK_TAIL) "]"
                                                                                    "}";
  CHECK_INT(pv_proto_sessions_decode(mixed, strlen(mixed), &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 3);
  if (b.count == 3) {
    CHECK(b.items[0].ok);
    CHECK(!b.items[1].ok);
    CHECK_INT(b.items[1].result.outcome, PV_OUT_INVALID);
    CHECK_CONTAINS(b.items[1].result.reason, "sessions[1]: kind: expected");
    CHECK_STR(b.items[1].result.uuid, SESS);
    CHECK(!b.items[2].ok);
    CHECK_CONTAINS(b.items[2].result.reason, "sessions[2]: uuid repeated in the batch");
  }
  pv_proto_sessions_free(&b);

  /* The body as a whole. */
  static const struct {
    const char *body;
    pv_err err;
    const char *reason;
  } whole[] = {
      {"{\"sessions\":[]}", PV_ERR_INVALID, "1 to 100 sessions, not 0"},
      {"{\"responses\":[]}", PV_ERR_INVALID, "expected {\"sessions\": [...]}"},
      {"{\"sessions\":[],\"x\":1}", PV_ERR_INVALID, "unknown key \"x\""},
      {"{\"sessions\":[", PV_ERR_INVALID, ""},
      {"[1]", PV_ERR_INVALID, "expected {\"sessions\""},
  };
  for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
    why[0] = '\0';
    CHECK_INT(pv_proto_sessions_decode(whole[i].body, strlen(whole[i].body), &b, why,
                                       sizeof why),
              whole[i].err);
    CHECK_CONTAINS(why, whole[i].reason);
    CHECK(b.items == NULL && b.count == 0);
  }
  /* 101 sessions: too many. */
  size_t cap = 101 * 300 + 64, len = 0;
  char *many = malloc(cap);
  CHECK(many != NULL);
  if (!many)
    return;
  len += (size_t)snprintf(many + len, cap - len, "{\"sessions\":[");
  for (int i = 0; i < 101; i++)
    len += (size_t)snprintf(many + len, cap - len,
                            "%s" SB("\"kind\":\"kiosk\"," S_OK_TAIL), i ? "," : "");
  len += (size_t)snprintf(many + len, cap - len, "]}");
  CHECK_INT(pv_proto_sessions_decode(many, len, &b, why, sizeof why), PV_ERR_TOOBIG);
  free(many);
}

static void test_qpv_codes(void) {
  static const struct {
    const char *code;
    int ok;
  } cases[] = {
      {"", 1},         {"QN03401M", 1},  {"QN02A01M", 1}, {"QN97101M", 1},
      {"QN0340M", 0},  {"QN034011M", 0}, {"qn03401m", 0}, {"QP03401M", 0},
      {"QN03401m", 0}, {"QN034A1M", 0},  {"QN03401 ", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (pv_proto_qpv_code_valid(cases[i].code) != cases[i].ok)
      pv_test_fail(__FILE__, __LINE__, "qpv code \"%s\": expected %d", cases[i].code,
                   cases[i].ok);
  CHECK(!pv_proto_qpv_code_valid(NULL));
}

/* ---- recorded prompts ---- */

static pv_store_prompt sample_prompt(void) {
  pv_store_prompt p = {.survey_id = "qualite-habiter",
                       .key = "o:logement:humidite",
                       .lang = "ary",
                       .sha256 = SHA,
                       .media_type = "audio/wav",
                       .size = 48044,
                       .recorded_at = T0,
                       .device_id = DEV};
  return p;
}

static void test_prompt_roundtrip(void) {
  pv_store_prompt p = sample_prompt(), back;
  char why[200] = "";
  char *a = pv_proto_prompt_encode(&p);
  CHECK_STR(a, "{\"survey\":\"qualite-habiter\",\"key\":\"o:logement:humidite\","
               "\"lang\":\"ary\",\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\","
               "\"size\":48044,\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\"}");
  CHECK_INT(pv_proto_prompt_decode(a, strlen(a), &back, why, sizeof why), PV_OK);
  CHECK(memcmp(&p, &back, sizeof p) == 0);
  free(a);
  /* Another key order and spacing decode to the same record. */
  static const char shuffled[] =
      "{ \"device\": \"" DEV "\", \"size\": 48044, \"lang\": \"ary\", \"survey\": "
      "\"qualite-habiter\", \"recorded_at\": \"" T0 "\", \"sha256\": \"" SHA "\", "
      "\"media_type\": \"audio/wav\", \"key\": \"o:logement:humidite\" }";
  CHECK_INT(pv_proto_prompt_decode(shuffled, strlen(shuffled), &back, why, sizeof why),
            PV_OK);
  CHECK(memcmp(&p, &back, sizeof p) == 0);

  /* A deletion travels without audio fields, and comes back deleted. */
  pv_store_prompt del = {.survey_id = "qualite-habiter",
                         .key = "q:logement",
                         .lang = "fr",
                         .recorded_at = T1,
                         .device_id = DEV,
                         .deleted = 1};
  a = pv_proto_prompt_encode(&del);
  CHECK_STR(a, "{\"survey\":\"qualite-habiter\",\"key\":\"q:logement\","
               "\"lang\":\"fr\",\"deleted\":true,\"recorded_at\":\"" T1 "\","
               "\"device\":\"" DEV "\"}");
  CHECK_INT(pv_proto_prompt_decode(a, strlen(a), &back, why, sizeof why), PV_OK);
  CHECK(memcmp(&del, &back, sizeof del) == 0);
  CHECK_INT(back.deleted, 1);
  free(a);

  /* A GET entry adds received_at, last; the list decodes it into the item. */
  pv_proto_prompt_entry e[2] = {{.p = p, .received_at = T1},
                                {.p = del, .received_at = T0}};
  a = pv_proto_prompt_list_encode(e, 2);
  CHECK_CONTAINS(a, "\"device\":\"" DEV "\",\"received_at\":\"" T1 "\"}");
  CHECK_CONTAINS(a, "\"deleted\":true,\"recorded_at\":\"" T1 "\",\"device\":\"" DEV
                    "\",\"received_at\":\"" T0 "\"}");
  pv_proto_prompts b;
  CHECK_INT(pv_proto_prompts_decode(a, strlen(a), 1, &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 2);
  if (b.count == 2) {
    CHECK(b.items[0].ok && b.items[1].ok);
    CHECK(memcmp(&b.items[0].p, &p, sizeof p) == 0);
    CHECK_STR(b.items[0].received_at, T1);
    CHECK(memcmp(&b.items[1].p, &del, sizeof del) == 0);
    CHECK_STR(b.items[1].received_at, T0);
    CHECK(b.items[1].result.reason[0] == '\0');
  }
  pv_proto_prompts_free(&b);
  /* A POST batch carries no received_at: only the collector sets it. */
  CHECK_INT(pv_proto_prompts_decode(a, strlen(a), 0, &b, why, sizeof why), PV_OK);
  if (b.count == 2) {
    CHECK(!b.items[0].ok);
    CHECK_CONTAINS(b.items[0].result.reason, "prompts[0]: unknown key \"received_at\"");
  }
  pv_proto_prompts_free(&b);
  free(a);
  /* A GET entry without received_at is refused. */
  a = pv_proto_prompts_encode(&p, 1);
  CHECK_INT(pv_proto_prompts_decode(a, strlen(a), 1, &b, why, sizeof why), PV_OK);
  if (b.count == 1) {
    CHECK(!b.items[0].ok);
    CHECK_CONTAINS(b.items[0].result.reason, "prompts[0]: received_at: expected");
  }
  pv_proto_prompts_free(&b);
  free(a);
}

#define PB(rest) "{\"survey\":\"s\",\"key\":\"q:a\"," rest "}"
#define P_OK_LANG "\"lang\":\"tr\","
#define P_OK_TAIL                                                                      \
  "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":10,"                   \
  "\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""

static const struct {
  const char *json;
  const char *reason;
} bad_prompts[] = {
    {"[]", "not an object"},
    {PB(P_OK_LANG P_OK_TAIL ",\"x\":1"), "unknown key \"x\""},
    {PB(P_OK_LANG P_OK_LANG P_OK_TAIL), "repeated key \"lang\""},
    {"{\"survey\":\"Bad\",\"key\":\"q:a\"," P_OK_LANG P_OK_TAIL "}",
     "survey: expected"},
    {"{\"survey\":\"s\",\"key\":\"a\"," P_OK_LANG P_OK_TAIL "}", "key: expected"},
    {"{\"survey\":\"s\",\"key\":\"q:\"," P_OK_LANG P_OK_TAIL "}", "key: expected"},
    {"{\"survey\":\"s\",\"key\":\"o:a\"," P_OK_LANG P_OK_TAIL "}", "key: expected"},
    {"{\"survey\":\"s\",\"key\":\"q:a:b:c\"," P_OK_LANG P_OK_TAIL "}", "key: expected"},
    {PB("\"lang\":\"Darija\"," P_OK_TAIL), "lang: expected"},
    {PB("\"lang\":\"\"," P_OK_TAIL), "lang: expected"},
    {PB(P_OK_LANG "\"sha256\":\"ABC\",\"media_type\":\"audio/wav\",\"size\":10,"
                  "\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""),
     "sha256: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"image/png\",\"size\":10,"
                  "\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""),
     "media_type: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":0,"
                  "\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""),
     "size: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":"
                  "8388609,\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""),
     "size: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":1.5,"
                  "\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""),
     "size: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":10,"
                  "\"recorded_at\":\"2026-11-23\",\"device\":\"" DEV "\""),
     "recorded_at: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":10,"
                  "\"recorded_at\":\"" T0 "\",\"device\":\"kiosk-1\""),
     "device: expected"},
    {PB(P_OK_LANG "\"sha256\":\"" SHA "\",\"media_type\":\"audio/wav\",\"size\":10,"
                  "\"recorded_at\":\"" T0 "\""),
     "device: expected"},
    /* Deletions: true only, and no audio fields. */
    {PB(P_OK_LANG "\"deleted\":false,\"recorded_at\":\"" T0 "\",\"device\":\"" DEV
                  "\""),
     "deleted: expected true"},
    {PB(P_OK_LANG "\"deleted\":1,\"recorded_at\":\"" T0 "\",\"device\":\"" DEV "\""),
     "deleted: expected true"},
    {PB(P_OK_LANG "\"deleted\":true," P_OK_TAIL),
     "deleted: a deletion has no sha256, media_type or size"},
    {PB(P_OK_LANG "\"deleted\":true,\"size\":10,\"recorded_at\":\"" T0
                  "\",\"device\":\"" DEV "\""),
     "deleted: a deletion has no"},
    {PB(P_OK_LANG "\"deleted\":true,\"recorded_at\":\"" T0 "\""), "device: expected"},
    {PB(P_OK_LANG "\"deleted\":true,\"device\":\"" DEV "\""), "recorded_at: expected"},
    {PB(P_OK_LANG P_OK_TAIL ",\"received_at\":\"" T0 "\""),
     "unknown key \"received_at\""},
};

static void test_prompts_batch(void) {
  char why[200] = "";
  pv_store_prompt p;
  for (size_t i = 0; i < sizeof bad_prompts / sizeof bad_prompts[0]; i++) {
    const char *j = bad_prompts[i].json;
    why[0] = '\0';
    CHECK_INT(pv_proto_prompt_decode(j, strlen(j), &p, why, sizeof why),
              PV_ERR_INVALID);
    if (!strstr(why, bad_prompts[i].reason))
      pv_test_fail(__FILE__, __LINE__, "prompt case %zu: reason \"%s\" lacks \"%s\"", i,
                   why, bad_prompts[i].reason);
  }
  /* A good one of the same shape, so the table tests what it says. */
  static const char good[] = PB(P_OK_LANG P_OK_TAIL);
  CHECK_INT(pv_proto_prompt_decode(good, strlen(good), &p, why, sizeof why), PV_OK);
  CHECK_INT(p.deleted, 0);
  static const char good_del[] = PB(P_OK_LANG "\"deleted\":true,\"recorded_at\":\"" T0
                                              "\",\"device\":\"" DEV "\"");
  CHECK_INT(pv_proto_prompt_decode(good_del, strlen(good_del), &p, why, sizeof why),
            PV_OK);
  CHECK_INT(p.deleted, 1);
  CHECK_STR(p.sha256, "");

  /* Items are judged one by one. */
  static const char mixed[] =
      "{\"prompts\":[" PB(P_OK_LANG P_OK_TAIL) "," PB("\"lang\":\"?\"," P_OK_TAIL) "]}";
  pv_proto_prompts b;
  CHECK_INT(pv_proto_prompts_decode(mixed, strlen(mixed), 0, &b, why, sizeof why),
            PV_OK);
  CHECK_INT(b.count, 2);
  if (b.count == 2) {
    CHECK(b.items[0].ok);
    CHECK_STR(b.items[0].p.lang, "tr");
    CHECK(!b.items[1].ok);
    CHECK_INT(b.items[1].result.outcome, PV_OUT_INVALID);
    CHECK_CONTAINS(b.items[1].result.reason, "prompts[1]: lang: expected");
  }
  pv_proto_prompts_free(&b);

  /* Encode and decode a batch; an empty list is a list, not a batch. */
  pv_store_prompt two[2] = {sample_prompt(), sample_prompt()};
  snprintf(two[1].lang, sizeof two[1].lang, "zdj");
  char *body = pv_proto_prompts_encode(two, 2);
  CHECK(body && strncmp(body, "{\"prompts\":[{\"survey\":", 22) == 0);
  CHECK_INT(pv_proto_prompts_decode(body, strlen(body), 0, &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 2);
  if (b.count == 2) {
    CHECK(b.items[1].ok && memcmp(&b.items[1].p, &two[1], sizeof two[1]) == 0);
    CHECK_STR(b.items[1].received_at, "");
  }
  pv_proto_prompts_free(&b);
  free(body);
  body = pv_proto_prompt_list_encode(NULL, 0);
  CHECK_STR(body, "{\"prompts\":[]}");
  CHECK_INT(pv_proto_prompts_decode(body, strlen(body), 1, &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 0);
  pv_proto_prompts_free(&b);
  CHECK_INT(pv_proto_prompts_decode(body, strlen(body), 0, &b, why, sizeof why),
            PV_ERR_INVALID);
  CHECK_CONTAINS(why, "1 to 100 prompts, not 0");
  free(body);
  static const char other[] = "{\"prompts\":[],\"x\":1}";
  CHECK_INT(pv_proto_prompts_decode(other, strlen(other), 1, &b, why, sizeof why),
            PV_ERR_INVALID);
  CHECK_CONTAINS(why, "unknown key \"x\"");

  /* 101 recordings: too many for a POST, fine for a list. */
#define P_OK_ENTRY P_OK_TAIL ",\"received_at\":\"" T1 "\""
  size_t cap = 101 * 400 + 64, len = 0;
  char *many = malloc(cap);
  CHECK(many != NULL);
  if (!many)
    return;
  len += (size_t)snprintf(many + len, cap - len, "{\"prompts\":[");
  for (int i = 0; i < 101; i++)
    len += (size_t)snprintf(many + len, cap - len, "%s" PB(P_OK_LANG P_OK_ENTRY),
                            i ? "," : "");
  len += (size_t)snprintf(many + len, cap - len, "]}");
  CHECK_INT(pv_proto_prompts_decode(many, len, 0, &b, why, sizeof why), PV_ERR_TOOBIG);
  CHECK_INT(pv_proto_prompts_decode(many, len, 1, &b, why, sizeof why), PV_OK);
  CHECK_INT(b.count, 101);
  if (b.count == 101)
    CHECK(b.items[100].ok && strcmp(b.items[100].received_at, T1) == 0);
  pv_proto_prompts_free(&b);
  free(many);

  /* A prompt batch's outcomes: stored, duplicate, unknown_survey 422. */
  pv_proto_result res[3] = {{.outcome = PV_OUT_STORED},
                            {.outcome = PV_OUT_DUPLICATE},
                            {.outcome = PV_OUT_UNKNOWN_SURVEY}};
  CHECK_INT(pv_proto_batch_status(res, 2), 200);
  CHECK_INT(pv_proto_batch_status(res, 3), 422);
  /* "older" is gone: the collector no longer compares device clocks. */
  static const char older[] = "{\"results\":[{\"uuid\":\"\",\"outcome\":\"older\"}]}";
  pv_proto_result *dec = NULL;
  size_t nd = 0;
  CHECK_INT(pv_proto_results_decode(older, strlen(older), &dec, &nd), PV_ERR_INVALID);
  free(dec);
}

int main(void) {
  test_roundtrip();
  test_bad_responses();
  test_reason_utf8();
  test_batch();
  test_results();
  test_catalog();
  test_checks();
  test_session_roundtrip();
  test_bad_sessions();
  test_sessions_batch();
  test_qpv_codes();
  test_prompt_roundtrip();
  test_prompts_batch();
  return pv_test_done();
}
