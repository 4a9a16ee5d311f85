/* CPU-time readings shared by the C load generators (relaygen.c, joingen.c):
 * each reports its own CPU and the server's next to its rates, so a reader
 * sees who was the bottleneck. Header-only: each generator is one `cc` call. */
#ifndef SKYMESH_BENCH_CPU_TIME_H
#define SKYMESH_BENCH_CPU_TIME_H

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* CPU ms (user + sys) of a process from /proc/PID/stat; pid 0 = none. */
static double proc_cpu_ms(int pid) {
  if (!pid) return 0;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
  if (!p) return 0;
  unsigned long ut = 0, st = 0;
  /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return 0;
  return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* This process's CPU ms (user + sys). */
static double self_cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

#endif
