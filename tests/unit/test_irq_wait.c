// SPDX-License-Identifier: MIT
/*
 * udrv_irq_wait() on eventfds (and a pipe, for UIO) standing in for a device's interrupt fds: the
 * events it returns, its timeout, a stale UIO count, and that waiting for
 * ever sleeps even when the caller made the fd non-blocking (an event loop
 * such as libuv's does that to the fds it is given).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "uio/uio_dev.h"
#include "udrv_internal.h"

/* A backend whose fds are eventfds: no irq_read op. */
static const struct udrv_backend_ops eventfd_ops = { .path = { .name = "fake" } };

struct fake {
	struct udrv_device dev;
	int fd;
};

static int setup(void **state)
{
	static struct fake f;

	memset(&f, 0, sizeof(f));
	strcpy(f.dev.name, "0000:00:01.0");
	f.dev.ops = &eventfd_ops;
	f.fd = eventfd(0, EFD_CLOEXEC);
	assert_true(f.fd >= 0);
	f.dev.irq.type = UDRV_IRQ_MSI;
	f.dev.irq.nvec = 1;
	f.dev.irq.fds = &f.fd;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	close(f->fd);
	return 0;
}

static void post(int fd, uint64_t n)
{
	assert_int_equal(write(fd, &n, sizeof(n)), sizeof(n));
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *post_later(void *arg)
{
	struct fake *f = arg;

	usleep(300 * 1000);
	post(f->fd, 1);
	return NULL;
}

/* Pending events come back at once, counted; the fd is then drained. */
static void test_pending_events(void **state)
{
	struct fake *f = *state;
	uint64_t ev = 0;

	post(f->fd, 3);
	assert_int_equal(udrv_irq_wait(&f->dev, 0, -1, &ev), 0);
	assert_int_equal(ev, 3);
	assert_int_equal(udrv_irq_wait(&f->dev, 0, 50, &ev), -ETIMEDOUT);
	assert_string_equal(udrv_last_error(), "0000:00:01.0: no interrupt on vector 0 within 50 ms");
}

/* Waiting for ever on a non-blocking fd sleeps until the event comes. */
static void test_nonblocking_fd_sleeps(void **state)
{
	struct fake *f = *state;
	pthread_t t;
	uint64_t ev = 0;
	double cpu;

	assert_int_equal(fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK), 0);
	cpu = cpu_seconds();
	assert_int_equal(pthread_create(&t, NULL, post_later, f), 0);
	assert_int_equal(udrv_irq_wait(&f->dev, 0, -1, &ev), 0);
	cpu = cpu_seconds() - cpu;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(ev, 1);
	/* A spinning wait burns the whole 0.3 s; a sleeping one next to nothing. */
	if (!getenv("UDRV_TEST_UNDER_VALGRIND")) /* timing means nothing under valgrind */
		assert_true(cpu < 0.1);
}

/* A UIO count that has not moved is no event: the wait goes on, then times out. */
static void test_stale_uio_count(void **state)
{
	struct fake *f = *state;
	struct udrv_uio uio = { .fd = -1, .num = 0, .last = 5 };
	uint32_t count = 5;
	uint64_t ev = 0;
	int p[2];

	/* UIO's fd reads as a 4-byte count of all interrupts so far: a pipe can say that. */
	assert_int_equal(pipe(p), 0);
	f->dev.ops = udrv_backend_ops(UDRV_BACKEND_UIO);
	f->dev.priv = &uio;
	f->dev.irq.fds = &p[0];
	assert_int_equal(write(p[1], &count, sizeof(count)), sizeof(count));
	assert_int_equal(udrv_irq_wait(&f->dev, 0, 100, &ev), -ETIMEDOUT);
	count = 7;
	assert_int_equal(write(p[1], &count, sizeof(count)), sizeof(count));
	assert_int_equal(udrv_irq_wait(&f->dev, 0, -1, &ev), 0);
	assert_int_equal(ev, 2);
	assert_int_equal(uio.last, 7);
	close(p[0]);
	close(p[1]);
}

static void test_bad_calls(void **state)
{
	struct fake *f = *state;
	uint64_t ev;

	assert_int_equal(udrv_irq_wait(&f->dev, 1, 0, &ev), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "vector 1 out of range"));
	f->dev.irq.type = 0;
	assert_int_equal(udrv_irq_wait(&f->dev, 0, 0, &ev), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "udrv_irq_enable()"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonblocking_fd_sleeps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_uio_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_calls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
