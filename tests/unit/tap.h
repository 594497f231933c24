/* SPDX-License-Identifier: GPL-2.0-only */
/* TAP for the host unit tests: check() prints one test point and counts
 * it; each test prints the plan ("1..N") last. */
#ifndef MPTCPIFY_TEST_TAP_H
#define MPTCPIFY_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned n_tests, n_failed;

/* One TAP test point. A '#' would start a TAP directive: names have none,
 * and one that slips in is shown as '%'. */
__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...) {
	char name[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (char *i = name; (i = strchr(i, '#')); )
		*i = '%';

	n_tests++;
	if (!ok)
		n_failed++;
	printf("%sok %u - %s\n", ok ? "" : "not ", n_tests, name);
	return ok;
}

#endif
