/* Small JSON helpers on top of cJSON, shared by the client core and framing. */
#ifndef SKYMESH_JSON_UTIL_H
#define SKYMESH_JSON_UTIL_H

#include <stddef.h>

struct cJSON;

/* Nesting depth of a parsed value, counting the innermost scalar: 1 and [] are 1, [1] is 2, [[1]] is 3. */
int sky_json_depth(const struct cJSON *item);

/* Parses len bytes of JSON text and re-prints it compactly. Returns a malloc'd
 * string (caller frees), or NULL when the text is not exactly one JSON value,
 * nests deeper than max_depth, or memory ran out. */
char *sky_json_compact(const char *text, size_t len, int max_depth);

/* Prints an item compactly, as malloc'd text (caller frees), NULL on OOM. */
char *sky_json_print(const struct cJSON *item);

/* strdup is POSIX, not C11: a copy the caller frees, NULL on OOM or NULL input. */
char *sky_strdup(const char *s);

#endif
