/* A failed property in a fuzz target must stop libFuzzer with the input saved:
 * abort() does that, after saying which property broke. */
#ifndef SKYMESH_FUZZ_CHECK_H
#define SKYMESH_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s: check failed: %s (line %d)\n", __FILE__, #cond, __LINE__);   \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

#endif
