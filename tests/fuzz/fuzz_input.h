/* Reading a fuzz input as a program: bytes taken from the front, and zeros
 * once it runs out, so every input is a complete program. */
#ifndef SKYMESH_FUZZ_INPUT_H
#define SKYMESH_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct in {
  const uint8_t *p;
  size_t n;
} in;

static inline uint8_t u8(in *i) {
  if (!i->n) return 0;
  i->n--;
  return *i->p++;
}

#endif
