/* Parking for targets that must not run any more code that could touch malloc:
 * serve "exit" / EOF on stdin with _exit (no atexit handlers, no stdio flushing). */
#ifndef ARENASCOPE_TARGET_PARK_H
#define ARENASCOPE_TARGET_PARK_H

#include "raw_out.h"

static __attribute__((unused)) void park_until_exit(void) {
  static char line[256];
  for (;;) {
    ssize_t n = raw_read_line(0, line, sizeof line);
    if (n < 0 || strcmp(line, "exit") == 0) _exit(0);
    if (n > 0) raw_say("ERR unknown command\n");
  }
}

/* Builds "READY <pid> k=v ..." in static storage. */
static char ready_store[4096];
static struct raw_out ready_line = {ready_store, 0, sizeof ready_store, -1, 0, 0};

static __attribute__((unused)) void ready_begin(void) {
  ready_line.len = 0;
  raw_str(&ready_line, "READY ");
  raw_u64(&ready_line, (uint64_t)getpid());
}

static __attribute__((unused)) void ready_hex(const char *key, uint64_t value) {
  raw_str(&ready_line, " ");
  raw_str(&ready_line, key);
  raw_str(&ready_line, "=");
  raw_hex(&ready_line, value);
}

static __attribute__((unused)) void ready_dec(const char *key, uint64_t value) {
  raw_str(&ready_line, " ");
  raw_str(&ready_line, key);
  raw_str(&ready_line, "=");
  raw_u64(&ready_line, value);
}

static __attribute__((unused)) void ready_word(const char *key, const char *value) {
  raw_str(&ready_line, " ");
  raw_str(&ready_line, key);
  raw_str(&ready_line, "=");
  raw_str(&ready_line, value);
}

static __attribute__((unused)) void ready_send(void) {
  raw_str(&ready_line, "\n");
  raw_write_all(1, ready_line.data, ready_line.len, NULL);
}

#endif
