/* SPDX-License-Identifier: MIT */
/* Counting this process's open file descriptors, for leak checks in tests. */
#ifndef UDRV_TEST_FDS_H
#define UDRV_TEST_FDS_H

/* Number of entries in /proc/self/fd (including the one used to count). */
int count_fds(void);

#endif /* UDRV_TEST_FDS_H */
