/* SPDX-License-Identifier: GPL-2.0-only */
/* cgloop DIR N: mkdir() and rmdir() of DIR/cgloop-scope, N times; prints
 * the median ns per pair over 5 repetitions (under QEMU -icount, guest ns
 * are instructions). For the cost of the cgroup_mkdir/rmdir programs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char path[4096];
	double r[5];
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: cgloop DIR N\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/cgloop-x.scope", argv[1]);
	for (int rep = -1; rep < 5; rep++) {  /* rep -1: warm-up */
		double t0 = now();

		for (long i = 0; i < n; i++)
			if (mkdir(path, 0755) < 0 || rmdir(path) < 0) {
				perror(path);
				return 1;
			}
		if (rep >= 0)
			r[rep] = (now() - t0) / n;
	}
	qsort(r, 5, sizeof(r[0]), cmp);
	printf("ns_per_mkdir_rmdir=%.1f\n", r[2]);
	return 0;
}
