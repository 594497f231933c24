// SPDX-License-Identifier: GPL-2.0-only
/* deny and exclude: keep programs on TCP, by name, cgroup or unit. Every
 * argument is checked first; then the live maps and (unless --runtime) the
 * configuration file change, all or nothing, like attach.
 *
 * exclude: their TCP sockets are not converted (a program asking for MPTCP
 * itself keeps it). deny: not converted, and a socket() asking for MPTCP
 * gets TCP. Names go to comm_exclude / comm_deny (rules.c); cgroups and
 * units are path rules of veto_paths (veto_rules.c), followed across the
 * cgroup's removal and re-creation like attach's. */
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
#include "veto_rules.h"

struct veto_target {
	char kind;               /* 'c' comm, 'g' cgroup, 'u' unit */
	const char *given;
	char saved[PATH_MAX];    /* what the file holds: the name, canonical path, or unit */
	struct path_rule pr;     /* 'g', 'u' */
	bool absent;             /* removing a rule whose path is not valid now */
	int r;                   /* the live change: 0, -EEXIST, -ENOENT */
};

struct verb {
	bool deny;               /* else exclude */
	bool remove;
	const char *name;        /* "deny", "exclude" */
};

static int check_comm(const struct verb *v, struct veto_target *t)
{
	char shown[4 * 64 + 8];
	const char *why = NULL;

	if (comm_name_check(t->given, &why) == 0) {
		snprintf(t->saved, sizeof(t->saved), "%s", t->given);
		return 0;
	}
	printable(t->given, shown, sizeof(shown));
	if (strlen(t->given) > 15 && !strpbrk(shown, "\\"))
		return fail(EXIT_BAD_COMM, "invalid comm '%s': %s; the kernel shows it as '%.15s': "
			    "%s that", shown, why, t->given, v->name);
	return fail(EXIT_BAD_COMM, "invalid comm '%s': %s", shown, why);
}

/* A cgroup directory (not a pattern, not the root). Adding needs it to
 * exist (a typo is refused, not kept as a rule that never matches);
 * removing does not (the file may still name it). */
static int check_cgroup(const struct verb *v, struct veto_target *t)
{
	char canon[PATH_MAX];
	const char *why = NULL;
	uint64_t id;
	int r;

	if (cgroup_path_is_pattern(t->given))
		return fail(EXIT_BAD_CGROUP, "invalid cgroup path '%s': %s takes a cgroup directory, "
			    "not a pattern (a rule covers every cgroup below its directory)", t->given,
			    v->name);
	if (cgroup_path_check(t->given, &why) < 0)
		return fail(EXIT_BAD_CGROUP, "invalid cgroup path '%s': %s", t->given, why);
	if (v->remove) {
		bool was = log_quiet;

		log_quiet = true;
		r = cgroup_resolve(t->given, &id, canon, sizeof(canon), NULL);
		log_quiet = was;
	} else {
		r = cgroup_resolve(t->given, &id, canon, sizeof(canon), NULL);
		if (r)
			return r;
	}
	if (path_rule_parse(r ? t->given : canon, &t->pr, &why) < 0) {
		if (v->remove) {
			t->absent = true;
			snprintf(t->saved, sizeof(t->saved), "%s", t->given);
			return 0;
		}
		if (strcmp(canon, CGROUP2_ROOT) == 0)
			why = "names the cgroup root: give a cgroup below it";
		return fail(EXIT_BAD_CGROUP, "invalid cgroup path '%s': %s", t->given, why);
	}
	path_rule_show(&t->pr, t->saved, sizeof(t->saved));
	return 0;
}

static int check_unit(const struct verb *v, struct veto_target *t)
{
	char cg[PATH_MAX];
	const char *why = NULL;
	int r;

	snprintf(t->saved, sizeof(t->saved), "%s", t->given);
	r = unit_cgroup(t->given, cg, sizeof(cg));
	if (r) {
		if (v->remove && r != EXIT_BAD_UNIT) {
			t->absent = true;
			return 0;
		}
		return r;
	}
	if (path_rule_parse(cg, &t->pr, &why) < 0)
		return fail(EXIT_BAD_UNIT, "cannot %s unit %s: its cgroup %s %s", v->name, t->given, cg, why);
	return 0;
}

static int check_target(const struct verb *v, struct veto_target *t)
{
	switch (t->kind) {
	case 'c': return check_comm(v, t);
	case 'g': return check_cgroup(v, t);
	case 'u': return check_unit(v, t);
	}
	return EXIT_INTERNAL;
}

static int live_change(struct state *s, const struct verb *v, struct veto_target *t, bool remove,
		       uint32_t flags)
{
	char kind = v->deny ? MPTCPIFY_VETO_DENY : MPTCPIFY_VETO_EXCLUDE;
	enum state_map map = v->deny ? MAP_DENY : MAP_EXCLUDE;

	if (t->kind == 'c')
		return remove ? rule_comm_del(s, map, t->given) : rule_comm_add(s, map, t->given, flags);
	if (t->absent)
		return -ENOENT;
	return remove ? veto_path_del(s, kind, &t->pr) : veto_path_add(s, kind, &t->pr, flags, NULL);
}

static int conf_change(struct mptcpify_conf *c, const struct verb *v, const struct veto_target *t)
{
	if (v->deny)
		return v->remove ? conf_remove_deny(c, t->kind, t->saved) : conf_add_deny(c, t->kind, t->saved);
	return v->remove ? conf_remove_exclude_kind(c, t->kind, t->saved) :
		conf_add_exclude_kind(c, t->kind, t->saved);
}

/* Takes back the rules this command added (as attach does). */
static void undo(struct state *s, const struct verb *v, struct veto_target *t, size_t n)
{
	for (size_t i = 0; i < n && !v->remove; i++)
		if (t[i].r == 0)
			live_change(s, v, &t[i], true, 0);
	rules_recount(s);
}

static void say(const struct verb *v, const struct veto_target *t)
{
	static const char *const word[] = { ['c'] = "comm", ['g'] = "cgroup", ['u'] = "unit" };
	static const char *const done[2][2] = {
		{ "excluded", "no longer excluded" }, { "denied", "no longer denied" } };
	static const char *const noop[2][2] = {
		{ "already excluded", "was not excluded" }, { "already denied", "was not denied" } };

	if (!arg_json)
		printf("%s %s: %s\n", word[(int)t->kind], t->saved,
		       (t->r == 0 ? done : noop)[v->deny][v->remove]);
}

static int run(const struct verb *v, const struct cli *c)
{
	struct mptcpify_conf conf = {};
	struct state s = STATE_INIT;
	_cleanup_free_ struct veto_target *t = NULL;
	_cleanup_close_ int conf_lock = -1;
	uint32_t flags = c->runtime ? 0 : MPTCPIFY_RULE_SAVED;
	size_t n = c->n_comms + c->n_cgroups + c->n_units, k = 0;
	int r;

	t = calloc(n + 1, sizeof(*t));
	if (!t)
		return fail(EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; i < c->n_comms; i++)
		t[k++] = (struct veto_target){ .kind = 'c', .given = c->comms[i] };
	for (size_t i = 0; i < c->n_cgroups; i++)
		t[k++] = (struct veto_target){ .kind = 'g', .given = c->cgroups[i] };
	for (size_t i = 0; i < c->n_units; i++)
		t[k++] = (struct veto_target){ .kind = 'u', .given = c->units[i] };
	for (k = 0; k < n; k++) {
		r = check_target(v, &t[k]);
		if (r)
			return r;
	}
	r = need_bpf_privileges(v->name);
	if (r)
		return r;
	if (!c->runtime) {
		/* Read, change, write back: under the lock from here to the end. */
		conf_lock = persist_lock();
		if (conf_lock < 0)
			return -conf_lock;
		r = persist_load_main(&conf);
		if (r)
			goto out;
	}
	/* Removing needs nothing loaded: then only the file changes. */
	r = state_open(&s, STATE_WRITE | (v->remove ? 0 : STATE_CREATE));
	if (r == EXIT_NOT_LOADED && v->remove && !c->runtime)
		r = 0;
	else if (r)
		goto out;
	if (s.link_fd >= 0 && s.created && !c->runtime) {
		/* Fresh maps: bring the saved rules back first. */
		struct mptcpify_conf saved = {};

		r = persist_load(&saved);
		if (!r)
			r = persist_apply(&s, &saved);
		conf_free(&saved);
		if (r)
			goto out;
	}
	if (s.link_fd >= 0) {
		for (k = 0; k < n; k++) {
			t[k].r = live_change(&s, v, &t[k], v->remove, flags);
			if (t[k].r == -E2BIG) {
				undo(&s, v, t, k);
				r = fail(EXIT_FULL, "the %s maps are full (%d names, %d cgroup and unit rules "
					 "of deny and exclude together): remove some first; nothing was "
					 "changed", v->name, v->deny ? MPTCPIFY_MAX_DENY : MPTCPIFY_MAX_EXCLUDES,
					 MPTCPIFY_MAX_VETO_PATHS);
				goto out;
			}
			if (t[k].r < 0 && t[k].r != -EEXIST && t[k].r != -ENOENT) {
				undo(&s, v, t, k);
				r = fail(EXIT_INTERNAL, "cannot %s %s: %s", v->name, t[k].saved,
					 strerror(-t[k].r));
				goto out;
			}
		}
		rules_recount(&s);
	} else {
		for (k = 0; k < n; k++)
			t[k].r = -ENOENT;
	}
	if (!c->runtime) {
		for (k = 0; k < n; k++) {
			int cr = conf_change(&conf, v, &t[k]);

			if (cr == 0)
				t[k].r = 0;
			else if (cr == -E2BIG) {
				if (s.link_fd >= 0)
					undo(&s, v, t, n);
				r = fail(EXIT_FULL, "the configuration holds as many %s rules as the maps: "
					 "remove some first; nothing was changed", v->name);
				goto out;
			}
		}
		r = persist_save(&conf);
		if (r)
			goto out;
	}
	for (k = 0; k < n; k++)
		say(v, &t[k]);
	r = EXIT_OK;
out:
	state_close(&s);
	conf_free(&conf);
	return r;
}

int do_deny(const struct cli *c)
{
	struct verb v = { .deny = true, .remove = c->remove, .name = "deny" };

	return run(&v, c);
}

int do_exclude(const struct cli *c)
{
	struct verb v = { .remove = c->remove, .name = "exclude" };

	return run(&v, c);
}
