// SPDX-License-Identifier: MIT
/* Running a libudrv call as an unprivileged user; see nobody.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include "nobody.h"

int run_as_nobody(int (*fn)(void *arg), void *arg, char *msg, size_t size)
{
	int pfd[2], status, ret;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		if (setgid(65534) || setuid(65534))
			_exit(100);
		prctl(PR_SET_DUMPABLE, 1);
		ret = fn(arg);
		dprintf(pfd[1], "%d %s", ret, udrv_last_error());
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, size - 1);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(n > 0);
	msg[n] = '\0';
	return atoi(msg);
}
