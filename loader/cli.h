/* SPDX-License-Identifier: GPL-2.0-only */
/* The command line, parsed into one struct before anything runs.
 *
 * cli_parse() only reads argv and writes the struct (and usage errors to
 * stderr): it opens no file, map or process, so that tests/fuzz can call it
 * on any input. What needs the system (a comm name's validity, a cgroup's
 * existence, --own-cgroup's path) is checked by the command afterwards. */
#ifndef MPTCPIFY_CLI_H
#define MPTCPIFY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cli_command {
	CMD_ATTACH, CMD_DETACH, CMD_EXCLUDE, CMD_LIST, CMD_STATUS, CMD_RUN, CMD_MONITOR,
	CMD_ENABLE, CMD_DISABLE, CMD_DAEMON, CMD_LOAD, CMD_UNLOAD, CMD_CONNECTIONS,
	CMD_METRICS,
	CMD_AUDIT, CMD_COMPAT,
	CMD_OCI_HOOK,
	CMD_DENY,
	_CMD_MAX,
	CMD_NONE = -1,  /* only with show_help or show_version */
};

struct cli {
	enum cli_command cmd;
	bool show_help;         /* --help: print help for cmd (or the global one), exit 0 */
	bool show_version;
	bool json, verbose;
	const char *pin_root;   /* NULL: default / environment */
	const char *config_dir;

	/* attach, detach, exclude, audit, deny: each string is one of argv's */
	char **comms;   size_t n_comms;
	char **cgroups; size_t n_cgroups;
	char **units;   size_t n_units;
	bool all, all_rules, runtime, remove, own_cgroup;

	long count;             /* monitor --count: 0 when not given */
	double timeout;         /* monitor --timeout, oci-hook --wait, in seconds: 0 when not given */
	bool keep_on_stop;      /* daemon */
	bool listening, selected_only;  /* connections */
	bool kernel;            /* compat --kernel */
	const char *unit;       /* enable, disable */
	char **run_argv;        /* run: CMD ARGS..., NULL-terminated, a tail of argv */
	const char *bad_arg;    /* oci-hook: an argument it ignored (it never fails) */
};

/* EXIT_OK with *c filled, or EXIT_USAGE after printing why. On EXIT_OK with
 * show_help or show_version set, nothing else is meaningful. cli_free()
 * releases what either outcome allocated. */
int cli_parse(int argc, char **argv, struct cli *c);
void cli_free(struct cli *c);

const char *cli_command_name(enum cli_command cmd);
void cli_usage(FILE *f);
void cli_help(enum cli_command cmd);
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
