// SPDX-License-Identifier: MIT
/*
 * Without libFuzzer: run a fuzz target once per file named on the command
 * line, or once on stdin (AFL style).  Used to replay the seed corpus as a
 * quick test with the project's compiler.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(FILE *f, const char *name)
{
	size_t len = 0, cap = 0, n;
	uint8_t *buf = NULL, *nb;

	do {
		if (len == cap) {
			nb = realloc(buf, cap = cap * 2 + 4096);
			if (!nb) {
				free(buf);
				fprintf(stderr, "replay: %s: out of memory\n", name);
				return 1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2)
		return run(stdin, "stdin");
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		rc |= run(f, argv[i]);
		fclose(f);
	}
	printf("replayed %d input(s)\n", argc - 1);
	return rc;
}
