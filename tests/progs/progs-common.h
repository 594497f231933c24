/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by the test programs in tests/progs/. Header-only so
 * that every program, static or not, is a single compilation unit.
 *
 * Output convention for every program: one `key=value` per line on stdout,
 * so that a test can match a whole line (`grep -qx protocol=262`); failures
 * print `error=ERRNO_NAME (strerror text)` on stdout plus some context on
 * stderr, and exit 1. Usage errors exit 2. */
#ifndef MPTCPIFY_PROGS_COMMON_H
#define MPTCPIFY_PROGS_COMMON_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <netinet/in.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define EXIT_USAGE 2
#define EXIT_SKIP 77 /* what meson and automake call "skipped" */

static inline const char *errno_name(int e)
{
	const char *n = strerrorname_np(e); /* glibc >= 2.32 */

	return n ? n : "EUNKNOWN";
}

/* The one error printer: `error=` line on stdout, context on stderr. */
static inline void report_errno(const char *prog, const char *what, int e)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(e));
	printf("error=%s (%s)\n", errno_name(e), strerror(e));
	fflush(stdout);
}

/* Parses a non-negative decimal number no larger than max. */
static inline int parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A seconds value, fractional allowed ("0.5"). */
static inline int parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || v > 1e6)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "tcp", "mptcp", "udp", "sctp" or a number (0 = the kernel's default). */
static inline int parse_proto(const char *s, int *ret)
{
	static const struct { const char *name; int proto; } names[] = {
		{ "tcp", IPPROTO_TCP },
		{ "mptcp", IPPROTO_MPTCP },
		{ "udp", IPPROTO_UDP },
		{ "sctp", IPPROTO_SCTP },
		{ "default", 0 },
	};
	unsigned long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name)) {
			*ret = names[i].proto;
			return 0;
		}
	if (parse_ulong(s, INT_MAX, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_seconds(double sec)
{
	struct timespec ts = {
		.tv_sec = (time_t)sec,
		.tv_nsec = (long)((sec - (double)(time_t)sec) * 1e9),
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (n > 0); v is reordered. */
static inline double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
