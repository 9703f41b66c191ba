/* SPDX-License-Identifier: MIT */
/* Running a libudrv call as an unprivileged user, for permission tests. */
#ifndef UDRV_TEST_NOBODY_H
#define UDRV_TEST_NOBODY_H

#include <stddef.h>

/*
 * Run fn(arg) in a child that dropped to uid/gid 65534 and is dumpable like
 * an ordinary user's process.  Returns what fn returned and copies the
 * child's udrv_last_error() into msg; fails the test if the child could not
 * drop privileges or died.
 */
int run_as_nobody(int (*fn)(void *arg), void *arg, char *msg, size_t size);

#endif /* UDRV_TEST_NOBODY_H */
