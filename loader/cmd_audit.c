// SPDX-License-Identifier: GPL-2.0-only
/* audit: watch programs without converting them (which socket options they
 * set and get on their TCP sockets). Every argument is checked first; then
 * the live maps and (unless --runtime) the configuration file change, all
 * or nothing, like attach. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "audit_rules.h"
#include "mptcpify.h"
#include "cgroup_pattern.h"
#include "cgroups.h"
#include "commands.h"
#include "config.h"
#include "persist.h"
#include "state.h"
#include "util.h"

struct audit_target {
	char kind;               /* 'c' comm, 'g' cgroup, 'u' unit */
	const char *given;
	char saved[PATH_MAX];    /* what the file holds: the name, or the canonical path */
	uint64_t id;             /* 'g', 'u' */
	bool resolved;
	int r;                   /* the live change: 0, -EEXIST, -ENOENT */
};

/* Checks one argument; resolves cgroups and units to ids. When removing,
 * a cgroup that is gone is not an error: the file may still name it. */
static int check_target(struct audit_target *t, bool remove)
{
	char canon[PATH_MAX], cg[PATH_MAX], shown[4 * 64 + 8];
	const char *why = NULL;
	int r;

	switch (t->kind) {
	case 'c':
		if (comm_name_check(t->given, &why) < 0)
			return fail(EXIT_BAD_COMM, "invalid comm '%s': %s",
				    printable(t->given, shown, sizeof(shown)), why);
		snprintf(t->saved, sizeof(t->saved), "%s", t->given);
		return 0;
	case 'g':
		if (cgroup_path_is_pattern(t->given))
			return fail(EXIT_BAD_CGROUP, "invalid cgroup path '%s': audit takes a cgroup "
				    "directory, not a pattern", t->given);
		if (cgroup_path_check(t->given, &why) < 0)
			return fail(EXIT_BAD_CGROUP, "invalid cgroup path '%s': %s", t->given, why);
		if (remove) {
			bool was = log_quiet;

			log_quiet = true;
			r = cgroup_resolve(t->given, &t->id, canon, sizeof(canon), NULL);
			log_quiet = was;
			t->resolved = r == 0;
			snprintf(t->saved, sizeof(t->saved), "%s", r == 0 ? canon : t->given);
			return 0;
		}
		r = cgroup_resolve(t->given, &t->id, canon, sizeof(canon), NULL);
		if (r)
			return r;
		t->resolved = true;
		snprintf(t->saved, sizeof(t->saved), "%s", canon);
		return 0;
	case 'u':
		snprintf(t->saved, sizeof(t->saved), "%s", t->given);
		r = unit_cgroup(t->given, cg, sizeof(cg));
		if (r)
			return remove && r != EXIT_BAD_UNIT ? 0 : r;
		if (cgroup_resolve_quiet(cg, false, &t->id) == 0) {
			t->resolved = true;
			return 0;
		}
		if (remove)
			return 0;
		return fail(EXIT_BAD_UNIT, "unit %s is not running (no cgroup %s yet): start it, "
			    "then audit it", t->given, cg);
	}
	return EXIT_INTERNAL;
}

static int conf_change(struct mptcpify_conf *c, const struct audit_target *t, bool remove)
{
	return remove ? conf_remove_audit(c, t->kind == 'u' ? 'u' : t->kind, t->saved) :
		conf_add_audit(c, t->kind, t->saved);
}

static int live_change(struct state *s, struct audit_target *t, bool remove, uint32_t flags)
{
	if (t->kind == 'c')
		return remove ? audit_comm_del(s, t->given) : audit_comm_add(s, t->given, flags);
	if (!t->resolved)
		return -ENOENT;
	return remove ? audit_cgroup_del(s, t->id) : audit_cgroup_add(s, t->id, flags);
}

static void undo(struct state *s, struct audit_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].r == 0)
			live_change(s, &t[i], true, 0);
	audit_sync(s);
}

int do_audit(const struct cli *c)
{
	static const char *const kind_word[] = { ['c'] = "comm", ['g'] = "cgroup", ['u'] = "unit" };
	struct mptcpify_conf conf = {};
	struct state s = STATE_INIT;
	_cleanup_free_ struct audit_target *t = NULL;
	_cleanup_close_ int conf_lock = -1;
	uint32_t flags = c->runtime ? 0 : MPTCPIFY_RULE_SAVED;
	size_t n = c->n_comms + c->n_cgroups + c->n_units, k = 0;
	int r, all_r = 0;

	t = calloc(n + 1, sizeof(*t));
	if (!t)
		return fail(EXIT_INTERNAL, "out of memory");
	for (size_t i = 0; i < c->n_comms; i++)
		t[k++] = (struct audit_target){ .kind = 'c', .given = c->comms[i] };
	for (size_t i = 0; i < c->n_cgroups; i++)
		t[k++] = (struct audit_target){ .kind = 'g', .given = c->cgroups[i] };
	for (size_t i = 0; i < c->n_units; i++)
		t[k++] = (struct audit_target){ .kind = 'u', .given = c->units[i] };
	for (size_t i = 0; i < n; i++) {
		r = check_target(&t[i], c->remove);
		if (r)
			return r;
	}
	r = need_bpf_privileges("audit");
	if (r)
		return r;
	if (!c->runtime) {
		conf_lock = persist_lock();
		if (conf_lock < 0)
			return -conf_lock;
		r = persist_load_main(&conf);
		if (r)
			goto out;
	}
	r = state_open(&s, STATE_WRITE | (c->remove ? 0 : STATE_CREATE));
	if (r == EXIT_NOT_LOADED && c->remove && !c->runtime)
		r = 0;   /* nothing live: only the file changes */
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
			t[k].r = live_change(&s, &t[k], c->remove, flags);
			if (t[k].r == -E2BIG) {
				undo(&s, t, k);
				r = fail(EXIT_FULL, "the audit rule maps are full (%d each): remove some "
					 "audit rules first; nothing was changed", MPTCPIFY_MAX_AUDIT_RULES);
				goto out;
			}
			if (t[k].r < 0 && t[k].r != -EEXIST && t[k].r != -ENOENT) {
				undo(&s, t, k);
				r = fail(EXIT_INTERNAL, "cannot change audit %s %s: %s", kind_word[(int)t[k].kind],
					 t[k].given, strerror(-t[k].r));
				goto out;
			}
		}
		if (c->all)
			all_r = audit_set_all(&s, !c->remove, flags);
		r = audit_sync(&s);
		if (r) {
			undo(&s, t, n);
			r = fail(EXIT_INTERNAL, "cannot attach the audit programs: %s", strerror(-r));
			goto out;
		}
	} else {
		for (k = 0; k < n; k++)
			t[k].r = -ENOENT;
		all_r = -ENOENT;
	}
	if (!c->runtime) {
		for (k = 0; k < n; k++) {
			int cr = conf_change(&conf, &t[k], c->remove);

			if (cr == 0)
				t[k].r = 0;
			else if (cr == -E2BIG) {
				if (s.link_fd >= 0)
					undo(&s, t, n);
				r = fail(EXIT_FULL, "the configuration holds as many audit rules as the "
					 "maps: remove some first; nothing was changed");
				goto out;
			}
		}
		if (c->all) {
			if (conf.audit_all != !c->remove)
				all_r = 0;
			conf.audit_all = !c->remove;
		}
		r = persist_save(&conf);
		if (r)
			goto out;
	}
	for (k = 0; k < n && !arg_json; k++)
		printf("audit %s %s: %s\n", kind_word[(int)t[k].kind], t[k].saved,
		       t[k].r == 0 ? (c->remove ? "no longer watched" : "watched") :
		       c->remove ? "was not watched" : "already watched");
	if (c->all && !arg_json)
		printf("audit of every process: %s\n", all_r == 0 ? (c->remove ? "off" : "on") :
		       c->remove ? "was off" : "already on");
	if (!c->remove && !arg_json)
		printf("run the programs for a while, then: mptcpify compat\n");
	r = EXIT_OK;
out:
	state_close(&s);
	conf_free(&conf);
	return r;
}
