/* test_quartiers: the list of quartiers (core/quartiers.h): the offline
 * default ships valid, a table of lists that must be refused with a
 * reason, and save/load round trips that leave no temporary file. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/quartiers.h"
#include "tests/check.h"

static void test_default(void) {
  pv_quartier *q = NULL;
  size_t n = 0;
  CHECK_INT(pv_quartiers_load(PV_SOURCE_DIR "/content/quartiers.json", &q, &n), PV_OK);
  CHECK(n >= 3);
  for (size_t i = 0; i < n; i++) {
    CHECK(pv_quartier_code_valid(q[i].code));
    CHECK(strstr(q[i].name, "(exemple)") != NULL); /* clearly a sample */
  }
  free(q);
}

#define ITEM(code, name) "{\"code\":\"" code "\",\"name\":\"" name "\"}"

static const struct {
  const char *json;
  pv_err err;
  const char *reason;
} bad[] = {
    {"", PV_ERR_INVALID, "expected {\"quartiers\""},
    {"[]", PV_ERR_INVALID, "expected {\"quartiers\""},
    {"{\"quartiers\":{}}", PV_ERR_INVALID, "expected {\"quartiers\""},
    {"{\"quartiers\":[],\"x\":1}", PV_ERR_INVALID, "expected {\"quartiers\""},
    {"{\"quartiers\":[],\"note\":7}", PV_ERR_INVALID, "expected {\"quartiers\""},
    {"{\"quartiers\":[],\"quartiers\":[]}", PV_ERR_INVALID, "expected {\"quartiers\""},
    {"{\"quartiers\":[]} x", PV_ERR_INVALID, "trailing bytes"},
    {"{\"quartiers\":[1]}", PV_ERR_INVALID, "quartiers[0]: expected"},
    {"{\"quartiers\":[{\"code\":\"QN03401M\",\"name\":\"A\",\"x\":1}]}", PV_ERR_INVALID,
     "quartiers[0]: expected"},
    {"{\"quartiers\":[" ITEM("QN0340M", "A") "]}", PV_ERR_INVALID,
     "quartiers[0].code: expected a QPV code"},
    {"{\"quartiers\":[" ITEM("", "A") "]}", PV_ERR_INVALID, "quartiers[0].code"},
    {"{\"quartiers\":[" ITEM("QN03401M", "") "]}", PV_ERR_INVALID,
     "quartiers[0].name: expected 1 to 200 bytes"},
    {"{\"quartiers\":[" ITEM("QN03401M", "a\\nb") "]}", PV_ERR_INVALID,
     "quartiers[0].name"},
    {"{\"quartiers\":[" ITEM("QN03401M", "A") "," ITEM("QN03401M", "B") "]}",
     PV_ERR_INVALID, "quartiers[1].code: QN03401M listed twice"},
    {"{\"quartiers\":[\"\xff\"]}", PV_ERR_INVALID, "byte"},
};

static void test_bad(void) {
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pv_quartier *q = (pv_quartier *)1;
    size_t n = 99;
    char why[200] = "";
    CHECK_INT(
        pv_quartiers_parse(bad[i].json, strlen(bad[i].json), &q, &n, why, sizeof why),
        bad[i].err);
    CHECK(q == NULL && n == 0);
    if (!strstr(why, bad[i].reason))
      pv_test_fail(__FILE__, __LINE__, "case %zu: reason \"%s\" lacks \"%s\"", i, why,
                   bad[i].reason);
  }
  /* A name at the bound passes, one byte more does not. */
  char name[PV_QUARTIER_MAX_NAME + 2], json[400];
  pv_quartier *q = NULL;
  size_t n = 0;
  char why[200] = "";
  memset(name, 'x', sizeof name);
  name[PV_QUARTIER_MAX_NAME] = '\0';
  snprintf(json, sizeof json,
           "{\"quartiers\":[{\"code\":\"QN03401M\",\"name\":\"%s\"}]}", name);
  CHECK_INT(pv_quartiers_parse(json, strlen(json), &q, &n, why, sizeof why), PV_OK);
  CHECK_INT(n, 1);
  free(q);
  name[PV_QUARTIER_MAX_NAME] = 'x';
  name[PV_QUARTIER_MAX_NAME + 1] = '\0';
  snprintf(json, sizeof json,
           "{\"quartiers\":[{\"code\":\"QN03401M\",\"name\":\"%s\"}]}", name);
  CHECK_INT(pv_quartiers_parse(json, strlen(json), &q, &n, why, sizeof why),
            PV_ERR_INVALID);
  /* Past the item bound. */
  size_t cap = 32 + (PV_QUARTIERS_MAX + 1) * 3;
  char *many = malloc(cap);
  PV_ASSERT(many);
  size_t len = (size_t)snprintf(many, cap, "{\"quartiers\":[");
  for (int i = 0; i <= PV_QUARTIERS_MAX; i++)
    len += (size_t)snprintf(many + len, cap - len, "%s{}", i ? "," : "");
  len += (size_t)snprintf(many + len, cap - len, "]}");
  CHECK_INT(pv_quartiers_parse(many, len, &q, &n, why, sizeof why), PV_ERR_TOOBIG);
  free(many);
}

static int tmp_files(const char *dir) {
  int count = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));)
    count += strstr(e->d_name, ".tmp") != NULL;
  if (d)
    closedir(d);
  return count;
}

static void test_save_load(void) {
  char dir[300], path[400];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  snprintf(path, sizeof path, "%s/quartiers.json", dir);
  pv_quartier *q = NULL;
  size_t n = 9;
  CHECK_INT(pv_quartiers_load(path, &q, &n), PV_ERR_NOTFOUND);
  const pv_quartier list[] = {{"QN03401M", "Mosson"},
                              {"QN02A01M", "Quartier \"des Salines\" — حيّنا"}};
  CHECK_INT(pv_quartiers_save(path, list, 2), PV_OK);
  CHECK_INT(pv_quartiers_load(path, &q, &n), PV_OK);
  CHECK_INT(n, 2);
  if (n == 2) {
    CHECK_STR(q[0].code, "QN03401M");
    CHECK_STR(q[1].name, list[1].name);
  }
  free(q);
  size_t len = 0;
  char *text = pv_test_read(path, &len);
  char *enc = pv_quartiers_encode(list, 2);
  CHECK_STR(text, enc);
  free(text);
  free(enc);
  /* Replaced whole; an empty list is a list. */
  CHECK_INT(pv_quartiers_save(path, list, 0), PV_OK);
  CHECK_INT(pv_quartiers_load(path, &q, &n), PV_OK);
  CHECK_INT(n, 0);
  CHECK(q == NULL);
  CHECK_INT(tmp_files(dir), 0);
  /* A file that is not a list: refused with its path and reason. */
  pv_test_write(path, "{\"quartiers\":[1]}", 17);
  CHECK_INT(pv_quartiers_load(path, &q, &n), PV_ERR_INVALID);
  CHECK_CONTAINS(pv_err_detail(), "quartiers.json: quartiers[0]: expected");
  /* Saving into a folder that does not exist fails and leaves nothing. */
  char missing[500];
  snprintf(missing, sizeof missing, "%s/nope/quartiers.json", dir);
  CHECK_INT(pv_quartiers_save(missing, list, 2), PV_ERR_IO);
  pv_test_rmtree(dir);
}

int main(void) {
  test_default();
  test_bad();
  test_save_load();
  return pv_test_done();
}
