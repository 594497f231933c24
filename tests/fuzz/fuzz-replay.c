/* SPDX-License-Identifier: GPL-2.0-only */
/* A main() for the fuzz harnesses without libFuzzer: feeds every file named
 * on the command line, or found directly in a directory named there, to
 * LLVMFuzzerTestOneInput() once. Built with gcc and -fsanitize=address,
 * undefined, it replays the seed corpus in the unit test suite, and it
 * reproduces a crash file without clang: `fuzz-config-parse-replay FILE`. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
	FILE *f = fopen(path, "re");
	uint8_t *buf = NULL;
	size_t len = 0, allocated = 0, k;

	if (!f) {
		fprintf(stderr, "cannot open %s: %m\n", path);
		return -errno;
	}
	do {
		if (len == allocated) {
			allocated = allocated ? allocated * 2 : 4096;
			buf = realloc(buf, allocated);
			if (!buf)
				abort();
		}
		k = fread(buf + len, 1, allocated - len, f);
		len += k;
	} while (k > 0);
	if (ferror(f)) {
		fprintf(stderr, "cannot read %s\n", path);
		fclose(f);
		free(buf);
		return -EIO;
	}
	fclose(f);

	/* A buffer of exactly the input's size, so that ASan sees overreads. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int cmp_names(const void *a, const void *b) {
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Replay the regular files directly in dir, in name order. */
static int replay_dir(const char *dir, unsigned *count) {
	struct dirent **names;
	int n, r = 0;

	n = scandir(dir, &names, NULL, NULL);
	if (n < 0) {
		fprintf(stderr, "cannot list %s: %m\n", dir);
		return -errno;
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && r == 0) {
			r = replay_file(path);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv) {
	unsigned count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int r;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "cannot stat %s: %m\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			r = replay_dir(argv[i], &count);
		else {
			r = replay_file(argv[i]);
			count++;
		}
		if (r < 0)
			return 1;
	}
	if (count == 0) {
		fprintf(stderr, "no input found\n");
		return 1;
	}
	printf("replayed %u inputs\n", count);
	return 0;
}
