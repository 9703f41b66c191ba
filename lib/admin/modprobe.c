// SPDX-License-Identifier: MIT
/*
 * Loading a kernel module with modprobe, started by posix_spawn (no fork of
 * a possibly large, multi-threaded driver process) with its output captured
 * for the error message.  The program is found at fixed paths, as the
 * kernel's own modprobe_path, never through $PATH, and runs with a fixed
 * environment: binding is done by root and setuid programs, whose
 * environment must not choose what they run.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"

static char *const clean_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

static const char *const modprobe_paths[] = {
	"/sbin/modprobe", "/usr/sbin/modprobe", "/bin/modprobe", "/usr/bin/modprobe",
};

#ifdef UDRV_TEST_HOOKS
static const char *test_modprobe;

void udrv_test_set_modprobe(const char *path)
{
	test_modprobe = path;
}
#endif

static int spawn(const char *prog, const char *module, int out, pid_t *pid)
{
	char *argv[] = { (char *)prog, (char *)module, NULL };
	posix_spawn_file_actions_t fa;
	int ret;

	ret = posix_spawn_file_actions_init(&fa);
	if (ret)
		return ret;
	ret = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(&fa, out, 1);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(&fa, out, 2);
	if (!ret)
		ret = posix_spawn(pid, prog, &fa, NULL, argv, clean_env);
	posix_spawn_file_actions_destroy(&fa);
	return ret;
}

/* Start the first modprobe there is; *@prog names what was run (or tried). */
static int start(const char *module, int out, pid_t *pid, const char **prog)
{
	size_t i;
	int ret = ENOENT;

#ifdef UDRV_TEST_HOOKS
	if (test_modprobe) {
		*prog = test_modprobe;
		return access(*prog, X_OK) ? errno : spawn(*prog, module, out, pid);
	}
#endif
	for (i = 0; ret == ENOENT && i < UDRV_ARRAY_SIZE(modprobe_paths); i++) {
		*prog = modprobe_paths[i];
		ret = access(*prog, X_OK) ? errno : spawn(*prog, module, out, pid);
	}
	if (ret == ENOENT)
		*prog = "modprobe (in /sbin, /usr/sbin, /bin or /usr/bin)";
	return ret;
}

/* Read everything the child writes; keep the first size - 1 bytes, one line. */
static void collect(int fd, char *buf, size_t size)
{
	size_t used = 0;
	char chunk[256], *p;
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used + 1 < size) {
			size_t take = (size_t)n < size - 1 - used ? (size_t)n : size - 1 - used;

			memcpy(buf + used, chunk, take);
			used += take;
		}
	}
	while (used && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		used--;
	buf[used] = '\0';
	for (p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

int udrv_modprobe(const char *module, const char *why)
{
	const char *prog;
	char out[384] = "";
	int pipefd[2], status, ret;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return udrv_err(errno, "loading %s: cannot create a pipe: %s", module,
				strerror(errno));
	ret = start(module, pipefd[1], &pid, &prog);
	close(pipefd[1]);
	if (ret) {
		close(pipefd[0]);
		return udrv_err(ret, "cannot run %s to load %s: %s (install kmod, or %s)", prog,
				module, strerror(ret), why);
	}
	collect(pipefd[0], out, sizeof(out));
	close(pipefd[0]);

	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (ret < 0)
		return 0; /* SIGCHLD ignored: the status is gone; the caller checks the result */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* Where posix_spawn cannot report exec errors (e.g. under valgrind), 127 says it. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*out)
		return udrv_err(ENOENT, "cannot run %s to load %s: not found or not executable (install kmod, or %s)",
				prog, module, why);
	if (WIFEXITED(status))
		return udrv_err(ENOENT, "%s %s failed (exit status %d)%s%s; %s", prog, module,
				WEXITSTATUS(status), *out ? ": " : "", out, why);
	return udrv_err(EIO, "%s %s was killed by signal %d; %s", prog, module,
			WTERMSIG(status), why);
}
