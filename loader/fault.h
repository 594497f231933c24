/* SPDX-License-Identifier: GPL-2.0-only */
/* Crash points for the fault tests (tests/vm/cases/40-faults.sh).
 *
 * MPTCPIFY_TEST_CRASH=NAME makes the process SIGKILL itself when it reaches
 * the point called NAME, exactly as `kill -9` or a power cut would at the
 * worst moment: between pinning the maps and pinning the link, half-way
 * through applying the rules, between writing the new configuration and
 * renaming it into place. Nothing is cleaned up, which is the point: the
 * next start has to cope. Whoever can set a root process's environment can
 * already do worse, so this opens nothing. */
#ifndef MPTCPIFY_FAULT_H
#define MPTCPIFY_FAULT_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static inline void fault_point(const char *name)
{
	const char *want = getenv("MPTCPIFY_TEST_CRASH");

	if (want && strcmp(want, name) == 0)
		raise(SIGKILL);
}

#endif
