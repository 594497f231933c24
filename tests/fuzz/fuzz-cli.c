/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer harness for the command line: cli_parse() (loader/cli.c) on an
 * argv made of the input's NUL-separated pieces, then the validators the
 * commands apply to what it accepted. Checked beyond "does not crash or
 * leak":
 * - the result is EXIT_OK or EXIT_USAGE, nothing else;
 * - what is accepted is complete for its command: attach and detach have a
 *   selection, exclude has comm names only, run has a command, enable and
 *   disable have one unit, monitor's numbers are finite and positive;
 * - options of one command never leak into another (no --remove on attach,
 *   no lists on list or status);
 * - every value handed to a command points into argv's own strings. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "fuzz-check.h"
#include "util.h"

#define MAX_ARGS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is s one of the argument strings, or the tail of one ("--comm=NAME")?
 * Commands keep pointers into argv rather than copies. */
static bool from_argv(const char *s, char *const *orig, int argc) {
	for (int i = 1; i < argc; i++)
		if (s >= orig[i] && s <= orig[i] + strlen(orig[i]))
			return true;
	return false;
}

static void check_list(char **v, size_t n, char *const *orig, int argc) {
	CHECK((n == 0) == (v == NULL));
	CHECK(n <= (size_t) argc);
	for (size_t i = 0; i < n; i++)
		CHECK(from_argv(v[i], orig, argc));
}

static void check_accepted(const struct cli *c, char **argv, char *const *orig, int argc) {
	size_t lists = c->n_comms + c->n_cgroups + c->n_units;
	bool selectors = lists || c->all || c->all_rules || c->own_cgroup;
	const char *why;

	CHECK(c->cmd >= 0 && c->cmd < _CMD_MAX);
	check_list(c->comms, c->n_comms, orig, argc);
	check_list(c->cgroups, c->n_cgroups, orig, argc);
	check_list(c->units, c->n_units, orig, argc);
	CHECK(!c->pin_root || (c->pin_root[0] == '/' && from_argv(c->pin_root, orig, argc)));
	CHECK(!c->config_dir || (c->config_dir[0] == '/' && from_argv(c->config_dir, orig, argc)));
	if (c->cmd != CMD_ATTACH && c->cmd != CMD_DETACH && c->cmd != CMD_EXCLUDE &&
	    c->cmd != CMD_AUDIT && c->cmd != CMD_DENY)
		CHECK(!selectors && !c->runtime && !c->remove);
	CHECK(!c->kernel || c->cmd == CMD_COMPAT);
	if (c->cmd != CMD_MONITOR && c->cmd != CMD_OCI_HOOK)
		CHECK(c->count == 0 && c->timeout == 0);
	CHECK(!c->bad_arg || (c->cmd == CMD_OCI_HOOK && from_argv(c->bad_arg, orig, argc)));
	CHECK(!c->keep_on_stop || c->cmd == CMD_DAEMON);
	CHECK((c->unit != NULL) == (c->cmd == CMD_ENABLE || c->cmd == CMD_DISABLE));
	CHECK((c->run_argv != NULL) == (c->cmd == CMD_RUN));

	switch (c->cmd) {
	case CMD_ATTACH:
		CHECK(selectors && !c->all_rules && !c->remove);
		break;
	case CMD_DETACH:
		CHECK(selectors && !c->remove);
		break;
	case CMD_AUDIT:
		CHECK((lists || c->all) && !c->all_rules && !c->own_cgroup);
		break;
	case CMD_EXCLUDE: case CMD_DENY:
		/* Names, cgroups or units; never --all, --all-rules or --own-cgroup. */
		CHECK(c->n_comms + c->n_cgroups + c->n_units > 0);
		CHECK(!c->all && !c->all_rules && !c->own_cgroup);
		break;
	case CMD_MONITOR:
		CHECK(c->count >= 0);
		CHECK(c->timeout == 0 || (isfinite(c->timeout) && c->timeout > 0));
		break;
	case CMD_OCI_HOOK:
		/* Never a usage error: a bad --wait leaves the default. */
		CHECK(c->count == 0 && isfinite(c->timeout) && c->timeout > 0);
		break;
	case CMD_RUN:
		/* A tail of the (possibly permuted) argv, so NULL-terminated. */
		CHECK(c->run_argv > argv && c->run_argv < argv + argc);
		CHECK(c->run_argv[0] != NULL);
		break;
	case CMD_ENABLE: case CMD_DISABLE:
		CHECK(from_argv(c->unit, orig, argc));
		break;
	default:
		break;
	}

	/* What the commands do next with the values: each validator either
	 * accepts or gives a reason. */
	for (size_t i = 0; i < c->n_comms; i++) {
		why = NULL;
		CHECK((comm_name_check(c->comms[i], &why) == 0) == (why == NULL));
	}
	for (size_t i = 0; i < c->n_cgroups; i++) {
		why = NULL;
		CHECK((cgroup_path_check(c->cgroups[i], &why) == 0) == (why == NULL));
	}
	for (size_t i = 0; i < c->n_units; i++) {
		why = NULL;
		CHECK((unit_name_check(c->units[i], &why) == 0) == (why == NULL));
	}
	if (c->unit) {
		why = NULL;
		CHECK((unit_name_check(c->unit, &why) == 0) == (why == NULL));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *argv[MAX_ARGS + 2], *orig[MAX_ARGS + 2];
	char *buf, *p, *end;
	struct cli c;
	int argc = 0, r;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';

	argv[argc++] = (char *) "mptcpify";
	for (p = buf, end = buf + size; p <= end && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	memcpy(orig, argv, sizeof(argv));

	r = cli_parse(argc, argv, &c);
	CHECK(r == EXIT_OK || r == EXIT_USAGE);
	if (r == EXIT_OK && c.show_help)
		cli_help(c.cmd);
	else if (r == EXIT_OK && !c.show_version)
		check_accepted(&c, argv, orig, argc);
	cli_free(&c);
	CHECK(!c.comms && !c.cgroups && !c.units);

	free(buf);
	return 0;
}
