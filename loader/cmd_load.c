// SPDX-License-Identifier: GPL-2.0-only
/* load: pin and attach with the saved selection; unload: remove it all. */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "persist.h"
#include "state.h"
#include "util.h"

static int no_args(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help_for(cmd);
			exit(EXIT_OK);
		}
		return usage_error(cmd, "see 'mptcpify %s --help'", cmd);
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int do_load(int argc, char **argv)
{
	struct mptcpify_conf conf = {};
	struct state s = STATE_INIT;
	int r = no_args("load", argc, argv);

	if (!r)
		r = persist_load(&conf);
	if (!r)
		r = state_open(&s, STATE_WRITE | STATE_CREATE);
	if (!r && s.created)
		r = persist_apply(&s, NULL, &conf);
	if (!r && !arg_json)
		printf("%s under %s\n", s.created ? "loaded and pinned" : "already loaded", pin_root());
	state_close(&s);
	conf_free(&conf);
	return r;
}

int do_unload(int argc, char **argv)
{
	bool was = state_is_pinned();
	int r = no_args("unload", argc, argv);

	if (!r)
		r = state_unload();
	if (!r && !arg_json)
		printf("%s\n", was ? "unloaded: new sockets are TCP again" : "nothing was loaded");
	return r;
}
