// SPDX-License-Identifier: GPL-2.0-only
/* attach, detach: validate every argument first, then change the live maps
 * and (unless --runtime) the configuration file, all or nothing. (exclude
 * and deny: cmd_veto.c.) */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_pattern.h"
#include "cgroups.h"
#include "commands.h"
#include "config.h"
#include "path_rules.h"
#include "persist.h"
#include "rules.h"
#include "state.h"
#include "util.h"

enum verb { VERB_ATTACH, VERB_DETACH };

struct target {           /* one cgroup path rule, pattern or unit */
	const char *name;     /* as given */
	char path[PATH_MAX];  /* shown: /sys/fs/cgroup/... */
	struct path_rule pr;
	bool is_unit;
	bool is_own;          /* --own-cgroup: the cgroup's id, not its path */
	uint64_t id;          /* is_own only */
	bool absent;          /* detach of a rule whose path is invalid now */
};

static const char *verb_name[] = { "attach", "detach" };

/* The selection of one command: the parsed lists, plus --own-cgroup's path. */
struct selection {
	char **comms;  size_t n_comms;
	char **cgroups; size_t n_cgroups;
	char **units;  size_t n_units;
	const char *own;  /* --own-cgroup: this process's cgroup */
	bool all, all_rules, runtime;
};

static int selection_from_cli(const struct cli *c, struct selection *sel)
{
	/* Static: the selection points at it until the command ends. */
	static char own[PATH_MAX];

	*sel = (struct selection) {
		.comms = c->comms, .n_comms = c->n_comms,
		.units = c->units, .n_units = c->n_units,
		.all = c->all, .all_rules = c->all_rules, .runtime = c->runtime,
	};
	sel->cgroups = c->cgroups;
	sel->n_cgroups = c->n_cgroups;
	if (c->own_cgroup) {
		/* For the drop-in of `mptcpify enable`: ExecStartPre= runs in the
		 * service's cgroup (or its .control child with Delegate=yes). */
		char *base;

		if (cgroup_of_pid(0, own, sizeof(own)) < 0)
			return fail(EXIT_BAD_CGROUP, "cannot read /proc/self/cgroup");
		base = strrchr(own, '/');
		if (base && strcmp(base, "/.control") == 0)
			*base = '\0';
		sel->own = own;
	}
	return 0;
}

static int check_comms(struct selection *sel)
{
	for (size_t i = 0; i < sel->n_comms; i++) {
		const char *why = NULL;
		char shown[4 * 64 + 8];

		if (comm_name_check(sel->comms[i], &why) < 0) {
			printable(sel->comms[i], shown, sizeof(shown));
			if (strlen(sel->comms[i]) > 15 && !strpbrk(shown, "\\"))
				return fail(EXIT_BAD_COMM, "invalid comm '%s': %s; the kernel shows it "
					    "as '%.15s': select that", shown, why, sel->comms[i]);
			return fail(EXIT_BAD_COMM, "invalid comm '%s': %s", shown, why);
		}
	}
	return 0;
}

/* An exact path must name a cgroup v2 directory when attached (a typo is
 * refused, not kept as a rule that never matches: checked in
 * resolve_targets), and a pattern's directory must be one. Either may be
 * removed and created again later: the rule follows. */
static int check_exists(struct target *t)
{
	char canon[PATH_MAX], dir[PATH_MAX];
	uint64_t id;

	if (strcmp(t->pr.dir, "/") == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s%s", CGROUP2_ROOT, t->pr.dir);
	return cgroup_resolve(dir, &id, canon, sizeof(canon), NULL);
}

static int resolve_targets(struct selection *sel, struct target *t, bool attach)
{
	size_t k = 0;
	int r;

	for (size_t i = 0; i < sel->n_units; i++, k++) {
		char cg[PATH_MAX];
		const char *why = NULL;

		t[k].name = sel->units[i];
		t[k].is_unit = true;
		r = unit_cgroup(sel->units[i], cg, sizeof(cg));
		if (r)
			return r;
		if (path_rule_parse(cg, &t[k].pr, &why) < 0)
			return fail(EXIT_BAD_UNIT, "cannot select unit %s: its cgroup %s %s",
				    sel->units[i], cg, why);
		path_rule_show(&t[k].pr, t[k].path, sizeof(t[k].path));
	}
	for (size_t i = 0; i < sel->n_cgroups; i++, k++) {
		const char *why = NULL;

		t[k].name = sel->cgroups[i];
		if (attach && !cgroup_path_is_pattern(sel->cgroups[i]) &&
		    cgroup_path_check(sel->cgroups[i], &why) == 0) {
			/* What is at the path, first: its own error names the cause
			 * better ("not a directory", "cgroup v1", ...). */
			char canon[PATH_MAX];
			uint64_t id;

			r = cgroup_resolve(sel->cgroups[i], &id, canon, sizeof(canon), NULL);
			if (r)
				return r;
		}
		if (cgroup_path_check(sel->cgroups[i], &why) < 0 ||
		    path_rule_parse(sel->cgroups[i], &t[k].pr, &why) < 0) {
			if (attach)
				return fail(EXIT_BAD_CGROUP, "invalid cgroup path '%s': %s",
					    sel->cgroups[i], why);
			t[k].absent = true;  /* detach: the file may still hold it */
			snprintf(t[k].path, sizeof(t[k].path), "%s", sel->cgroups[i]);
			continue;
		}
		path_rule_show(&t[k].pr, t[k].path, sizeof(t[k].path));
		if (attach && t[k].pr.glob) {
			r = check_exists(&t[k]);
			if (r)
				return r;
		}
	}
	if (sel->own) {
		char canon[PATH_MAX];

		t[k].name = sel->own;
		t[k].is_own = true;
		r = cgroup_resolve(sel->own, &t[k].id, canon, sizeof(canon), NULL);
		snprintf(t[k].path, sizeof(t[k].path), "%s", sel->own);
		if (r && attach)
			return r;
		if (r)
			t[k].absent = true;
	}
	return 0;
}

/* The config change for one rule; -EEXIST/-ENOENT are fine. */
static int conf_change(struct mptcpify_conf *c, enum verb verb, char kind, const char *v)
{
	switch (kind) {
	case 'c': return verb == VERB_ATTACH ? conf_add_comm(c, v) : conf_remove_comm(c, v);
	case 'g': return verb == VERB_ATTACH ? conf_add_cgroup(c, v) : conf_remove_cgroup(c, v);
	case 'u': return verb == VERB_ATTACH ? conf_add_unit(c, v) : conf_remove_unit(c, v);
	}
	return -EINVAL;
}

static void say(const char *what, const char *name, int r, enum verb verb)
{
	const char *done[] = { "attached", "detached" };
	const char *noop[] = { "already attached", "was not attached" };

	if (!arg_json)
		printf("%s %s: %s\n", what, name, r == 0 ? done[verb] : noop[verb]);
}

static void warn_if_mptcp_off(void)
{
	char v[16];

	if (read_file_str("/proc/sys/net/mptcp/enabled", v, sizeof(v)) < 0)
		warn("this kernel has no MPTCP (/proc/sys/net/mptcp missing): selected programs keep TCP");
	else if (v[0] == '0')
		warn("net.mptcp.enabled is 0 in this network namespace: selected programs keep TCP "
		     "here; enable it with: sysctl -w net.mptcp.enabled=1 (and "
		     "'net.mptcp.enabled=1' in /etc/sysctl.d/90-enable-MPTCP.conf)");
}

/* Undo list for the live maps, so that a failure half-way changes nothing. */
struct undo {
	enum state_map map;
	char comm[MPTCPIFY_COMM_LEN];
	const struct target *target;  /* MAP_CGROUP */
};

static int change_live(struct state *s, enum verb verb, struct selection *sel,
		       struct target *t, size_t nt, struct undo *u, size_t *nu, int *res)
{
	bool add = verb == VERB_ATTACH;
	enum state_map map = MAP_COMM;
	uint32_t flags = sel->runtime ? 0 : MPTCPIFY_RULE_SAVED;
	size_t k = 0;
	int r;

	for (size_t i = 0; i < sel->n_comms; i++, k++) {
		r = add ? rule_comm_add(s, map, sel->comms[i], flags) : rule_comm_del(s, map, sel->comms[i]);
		res[k] = r;
		if (r == -E2BIG)
			return fail(EXIT_FULL, "the %s map is full (%d entries): detach some rules "
				    "first; nothing was changed", "comm rule", MPTCPIFY_MAX_COMM_RULES);
		if (r < 0 && r != -EEXIST && r != -ENOENT)
			return fail(EXIT_INTERNAL, "cannot change comm %s: %s", sel->comms[i], strerror(-r));
		if (r == 0 && add) {
			u[*nu].map = map;
			comm_key(sel->comms[i], u[(*nu)++].comm);
		}
	}
	for (size_t i = 0; i < nt; i++, k++) {
		if (t[i].absent) {
			res[k] = -ENOENT;
			continue;
		}
		if (t[i].is_own)
			r = add ? rule_cgroup_add(s, t[i].id, flags, 0) : rule_cgroup_del(s, t[i].id);
		else
			r = add ? path_rule_add(s, &t[i].pr, flags, NULL) : path_rule_del(s, &t[i].pr);
		res[k] = r;
		if (r == -E2BIG)
			return fail(EXIT_FULL, "the cgroup rule maps are full (%d paths, %d pattern "
				    "directories, %d live cgroups): detach some rules first; nothing "
				    "was changed", MPTCPIFY_MAX_PATH_RULES, MPTCPIFY_MAX_GLOB_DIRS,
				    MPTCPIFY_MAX_CGROUP_RULES);
		if (r == -ENOSPC)
			return fail(EXIT_BAD_CGROUP, "cannot add pattern %s: %d patterns already share "
				    "its directory; nothing was changed", t[i].path,
				    MPTCPIFY_GLOBS_PER_DIR);
		if (r < 0 && r != -EEXIST && r != -ENOENT)
			return fail(EXIT_INTERNAL, "cannot change cgroup %s: %s", t[i].path, strerror(-r));
		if (r == 0 && add) {
			u[*nu].map = MAP_CGROUP;
			u[*nu].target = &t[i];
			(*nu)++;
		}
	}
	return 0;
}

static void undo_live(struct state *s, struct undo *u, size_t nu)
{
	for (size_t i = 0; i < nu; i++) {
		if (u[i].map == MAP_CGROUP && u[i].target->is_own)
			rule_cgroup_del(s, u[i].target->id);
		else if (u[i].map == MAP_CGROUP)
			path_rule_del(s, &u[i].target->pr);
		else
			rule_comm_del(s, u[i].map, u[i].comm);
	}
	rules_recount(s);
}

static int run_verb(enum verb verb, const struct cli *cli)
{
	struct selection sel = {};
	struct mptcpify_conf conf = {};
	struct state s = STATE_INIT;
	_cleanup_free_ struct target *t = NULL;
	_cleanup_free_ struct undo *u = NULL;
	_cleanup_free_ int *res = NULL;
	_cleanup_close_ int conf_lock = -1;
	size_t nt, nu = 0, k = 0;
	int r;

	r = selection_from_cli(cli, &sel);
	if (r)
		goto out;
	r = check_comms(&sel);
	if (r)
		goto out;
	nt = sel.n_units + sel.n_cgroups + (sel.own ? 1 : 0);
	t = calloc(nt + 1, sizeof(*t));
	u = calloc(sel.n_comms + nt + 1, sizeof(*u));
	res = calloc(sel.n_comms + nt + 1, sizeof(*res));
	if (!t || !u || !res) {
		r = fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	r = resolve_targets(&sel, t, verb == VERB_ATTACH);
	if (r)
		goto out;
	r = need_bpf_privileges(verb_name[verb]);
	if (r)
		goto out;
	if (!sel.runtime) {
		/* Read, change, write back: under the lock from here to the end,
		 * so that two CLIs never lose each other's change. */
		conf_lock = persist_lock();
		if (conf_lock < 0) {
			r = -conf_lock;
			goto out;
		}
		r = persist_load_main(&conf);
		if (r)
			goto out;
	}

	/* Detaching needs nothing loaded: then only the file changes. */
	r = state_open(&s, STATE_WRITE | (verb == VERB_DETACH ? 0 : STATE_CREATE));
	if (r == EXIT_NOT_LOADED && !sel.runtime)
		r = 0;
	else if (r)
		goto out;
	if (s.link_fd >= 0 && s.created && !sel.runtime) {
		/* Fresh maps: bring the saved selection back first. */
		struct mptcpify_conf all = {};

		r = persist_load(&all);
		if (!r)
			r = persist_apply(&s, &all);
		conf_free(&all);
		if (r)
			goto out;
	}

	if (s.link_fd >= 0) {
		r = change_live(&s, verb, &sel, t, nt, u, &nu, res);
		if (!r && sel.all && rule_set_all(&s, verb == VERB_ATTACH) < 0)
			r = fail(EXIT_INTERNAL, "cannot change system-wide mode: %s", strerror(errno));
		if (!r && sel.all_rules && rules_clear(&s) < 0)
			r = fail(EXIT_INTERNAL, "cannot clear the rules: %s", strerror(errno));
		if (r) {
			undo_live(&s, u, nu);
			goto out;
		}
		rules_recount(&s);
	} else {
		for (size_t i = 0; i < sel.n_comms + nt; i++)
			res[i] = -ENOENT;
	}

	if (!sel.runtime) {
		for (size_t i = 0; i < sel.n_comms; i++) {
			int cr = conf_change(&conf, verb, 'c', sel.comms[i]);

			if (cr == 0)
				res[i] = 0;
			else if (cr == -E2BIG) {
				r = fail(EXIT_FULL, "the configuration holds as many comm rules as the "
					 "map: detach some first; nothing was changed");
				if (s.link_fd >= 0)
					undo_live(&s, u, nu);
				goto out;
			}
		}
		for (size_t i = 0; i < nt; i++) {
			int cr;

			if (t[i].is_own)
				continue;  /* a runtime selection of one cgroup id */
			cr = conf_change(&conf, verb, t[i].is_unit ? 'u' : 'g',
					 t[i].is_unit ? t[i].name : (t[i].absent ? t[i].name : t[i].path));
			if (cr == 0)
				res[sel.n_comms + i] = 0;
			else if (cr == -E2BIG) {
				r = fail(EXIT_FULL, "the configuration holds as many rules as the maps: "
					 "detach some first; nothing was changed");
				if (s.link_fd >= 0)
					undo_live(&s, u, nu);
				goto out;
			}
		}
		if (sel.all)
			conf.all = verb == VERB_ATTACH;
		if (sel.all_rules) {
			conf_free(&conf);
			memset(&conf, 0, sizeof(conf));
		}
		r = persist_save(&conf);
		if (r)
			goto out;
	}
	for (size_t i = 0; i < sel.n_comms; i++, k++)
		say("comm", sel.comms[i], res[k], verb);
	for (size_t i = 0; i < nt; i++, k++)
		say(t[i].is_unit ? "unit" : "cgroup", t[i].is_unit ? t[i].name : t[i].path,
		    res[k], verb);
	if (sel.all && !arg_json)
		printf("system-wide mode: %s\n", verb == VERB_ATTACH ? "on" : "off");
	if (sel.all_rules && !arg_json)
		printf("all rules removed\n");
	if (verb == VERB_ATTACH)
		warn_if_mptcp_off();
	r = EXIT_OK;
out:
	state_close(&s);
	conf_free(&conf);
	return r;
}

int do_attach(const struct cli *c) { return run_verb(VERB_ATTACH, c); }
int do_detach(const struct cli *c) { return run_verb(VERB_DETACH, c); }
