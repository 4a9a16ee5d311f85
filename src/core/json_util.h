/* Small JSON helpers on top of cJSON, shared by the client core and framing. */
#ifndef SKYMESH_JSON_UTIL_H
#define SKYMESH_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* Nesting depth of a parsed value, counting the innermost scalar: 1 and [] are 1, [1] is 2, [[1]] is 3. */
int sky_json_depth(const struct cJSON *item);

/* Parses len bytes of JSON text and re-prints it compactly. Returns a malloc'd
 * string (caller frees), or NULL when the text is not exactly one JSON value,
 * nests deeper than max_depth, or memory ran out. */
char *sky_json_compact(const char *text, size_t len, int max_depth);

/* Whether text[0..len) is exactly one JSON value (RFC 8259 grammar; whitespace
 * around and between tokens allowed) nesting no deeper than max_depth as
 * sky_json_depth counts it. A scanner, not a parser: no allocation, one pass,
 * so a 200 KB chat is checked without building a tree (sky_json_compact's cost).
 * Bytes >= 0x20 inside strings are not checked as UTF-8 (nor are they by cJSON).
 * When compact is not NULL it is set to whether no whitespace lies outside
 * strings: such text can be embedded or sent as it is. */
bool sky_json_valid(const char *text, size_t len, int max_depth, bool *compact);

/* Prints an item compactly, as malloc'd text (caller frees), NULL on OOM. */
char *sky_json_print(const struct cJSON *item);

/* strdup is POSIX, not C11: a copy the caller frees, NULL on OOM or NULL input. */
char *sky_strdup(const char *s);

#endif
