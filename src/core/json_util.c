#include "json_util.h"

#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

int sky_json_depth(const cJSON *item) {
  /* Iterative over siblings, recursive over children: bounded by cJSON's own
   * nesting limit, which the parser already enforced. */
  int deepest = 0;
  for (const cJSON *child = item ? item->child : NULL; child; child = child->next) {
    int d = sky_json_depth(child);
    if (d > deepest) deepest = d;
  }
  return deepest + 1;
}

char *sky_json_compact(const char *text, size_t len, int max_depth) {
  if (!text) return NULL;
  const char *end = NULL;
  cJSON *item = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!item) return NULL;
  /* Only trailing whitespace may follow the value. */
  while (end && (size_t)(end - text) < len) {
    char c = *end++;
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\0') {
      cJSON_Delete(item);
      return NULL;
    }
  }
  char *out = NULL;
  if (sky_json_depth(item) <= max_depth) out = cJSON_PrintUnformatted(item);
  cJSON_Delete(item);
  return out;
}

char *sky_json_print(const cJSON *item) { return item ? cJSON_PrintUnformatted(item) : NULL; }

char *sky_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
