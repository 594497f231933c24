// SPDX-License-Identifier: GPL-2.0-only
/* load: pin and attach with the saved selection; unload: remove it all. */
#include <stdio.h>

#include "commands.h"
#include "persist.h"
#include "state.h"
#include "util.h"

int do_load(const struct cli *c)
{
	struct mptcpify_conf conf = {};
	struct state s = STATE_INIT;
	int r;

	r = persist_load(&conf);
	if (!r)
		r = state_open(&s, STATE_WRITE | STATE_CREATE);
	if (!r && s.created)
		r = persist_apply(&s, &conf);
	if (!r && !arg_json)
		printf("%s under %s\n", s.created ? "loaded and pinned" : "already loaded", pin_root());
	state_close(&s);
	conf_free(&conf);
	return r;
}

int do_unload(const struct cli *c)
{
	bool was = state_is_pinned();
	int r;

	r = state_unload();
	if (!r && !arg_json)
		printf("%s\n", was ? "unloaded: new sockets are TCP again" : "nothing was loaded");
	return r;
}
