/* SPDX-License-Identifier: GPL-2.0-only */
/* CHECK(cond) for the fuzz harnesses: a property that must hold. On failure
 * it names the check and aborts, which libFuzzer (and the replay binaries)
 * report as a crash with the input that caused it. */
#ifndef MPTCPIFY_FUZZ_CHECK_H
#define MPTCPIFY_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif
