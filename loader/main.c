// SPDX-License-Identifier: GPL-2.0-only
/* mptcpify: make unmodified programs use Multipath TCP. */
#include <stdio.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "commands.h"
#include "persist.h"
#include "state.h"
#include "util.h"

static int (*const handlers[_CMD_MAX])(const struct cli *c) = {
	[CMD_ATTACH] = do_attach,
	[CMD_DETACH] = do_detach,
	[CMD_EXCLUDE] = do_exclude,
	[CMD_LIST] = do_list,
	[CMD_STATUS] = do_status,
	[CMD_RUN] = do_run,
	[CMD_MONITOR] = do_monitor,
	[CMD_ENABLE] = do_enable,
	[CMD_DISABLE] = do_disable,
	[CMD_DAEMON] = do_daemon,
	[CMD_LOAD] = do_load,
	[CMD_UNLOAD] = do_unload,
	[CMD_CONNECTIONS] = do_connections,
	[CMD_METRICS] = do_metrics,
	[CMD_AUDIT] = do_audit,
	[CMD_COMPAT] = do_compat,
	[CMD_OCI_HOOK] = do_oci_hook,
	[CMD_DENY] = do_deny,
};

int main(int argc, char **argv)
{
	struct cli c;
	int r;

	libbpf_set_print(libbpf_quiet);
	r = cli_parse(argc, argv, &c);
	if (r == EXIT_OK && c.show_version)
		printf("mptcpify %s\n", MPTCPIFY_VERSION);
	else if (r == EXIT_OK && c.show_help)
		cli_help(c.cmd);
	else if (r == EXIT_OK) {
		arg_json = c.json;
		arg_verbose = c.verbose;
		if (c.pin_root)
			set_pin_root(c.pin_root);
		if (c.config_dir)
			set_config_dir(c.config_dir);
		r = handlers[c.cmd](&c);
	}
	cli_free(&c);
	return r;
}
