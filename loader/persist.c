// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "audit_rules.h"
#include "cgroups.h"
#include "config.h"
#include "fault.h"
#include "path_rules.h"
#include "persist.h"
#include "rules.h"
#include "util.h"
#include "veto_rules.h"

static const char *config_dir_override;

void set_config_dir(const char *dir)
{
	config_dir_override = dir;
}

const char *config_dir(void)
{
	const char *e = getenv("MPTCPIFY_CONFIG_DIR");

	if (config_dir_override)
		return config_dir_override;
	return e && *e ? e : DEFAULT_CONFIG_DIR;
}

static int conf_fail(int r, const struct conf_error *err)
{
	if (err->file[0] && err->line)
		return fail(EXIT_BAD_CONFIG, "%s:%u: %s", err->file, err->line, err->message);
	if (err->file[0])
		return fail(EXIT_BAD_CONFIG, "%s: %s", err->file, err->message[0] ? err->message :
			    strerror(-r));
	return fail(EXIT_BAD_CONFIG, "configuration: %s", err->message[0] ? err->message :
		    strerror(-r));
}

int persist_load(struct mptcpify_conf *c)
{
	struct conf_error err = {};
	struct stat st;
	int r;

	if (stat(config_dir(), &st) < 0 && errno == ENOENT)
		return 0;
	r = conf_load_dir(c, config_dir(), &err);
	return r < 0 ? conf_fail(r, &err) : 0;
}

int persist_lock(void)
{
	int fd;

	if (mkdir(config_dir(), 0755) < 0 && errno != EEXIST)
		return -fail(errno == EACCES ? EXIT_NOPERM : EXIT_INTERNAL, "cannot create %s: %s",
			     config_dir(), strerror(errno));
	fd = open(config_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -fail(EXIT_INTERNAL, "cannot open %s: %s", config_dir(), strerror(errno));
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -fail(EXIT_INTERNAL, "cannot lock %s: %s", config_dir(), strerror(errno));
	}
	return fd;
}

int persist_load_main(struct mptcpify_conf *c)
{
	struct conf_error err = {};
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%s", config_dir(), CONF_MAIN_FILE);
	r = conf_load_file(c, path, &err);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? conf_fail(r, &err) : 0;
}

/* Temporary files of a writer that was killed between writing and renaming
 * (".#mptcpify.conf.XXXX"). Never read, but they would pile up. Only called
 * under persist_lock(), which every writer holds: none is in use. */
static void remove_leftover_temps(void)
{
	_cleanup_free_ char *prefix = NULL;
	struct dirent *de;
	DIR *d;

	if (asprintf(&prefix, ".#%s.", CONF_MAIN_FILE) < 0)
		return;
	d = opendir(config_dir());
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && de->d_type == DT_REG)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int persist_save(const struct mptcpify_conf *c)
{
	char path[PATH_MAX];
	int r;

	if (mkdir(config_dir(), 0755) < 0 && errno != EEXIST)
		return fail(EXIT_INTERNAL, "cannot create %s: %s", config_dir(), strerror(errno));
	remove_leftover_temps();
	snprintf(path, sizeof(path), "%s/%s", config_dir(), CONF_MAIN_FILE);
	r = conf_write_atomic(c, path);
	if (r < 0)
		return fail(EXIT_INTERNAL, "cannot write %s: %s (the live rules were changed, the "
			    "file was not)", path, strerror(-r));
	return 0;
}

static bool list_has(const struct conf_list *l, const char *s)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static int map_full(const char *what)
{
	return fail(EXIT_FULL, "the %s map is full: detach some rules first", what);
}

/* Saved comm rules of a map that the new configuration no longer has. */
struct stale {
	enum state_map map;
	const struct mptcpify_conf *new;
	char (*comms)[MPTCPIFY_COMM_LEN];
	size_t n;
};

static int collect_stale(const void *key, uint64_t hits, uint32_t flags, void *userdata)
{
	struct stale *st = userdata;
	char comm[MPTCPIFY_COMM_LEN];

	if (!(flags & MPTCPIFY_RULE_SAVED))
		return 0;  /* a runtime rule: not the file's to remove */
	memcpy(comm, key, sizeof(comm));
	if (list_has(st->map == MAP_COMM ? &st->new->comms : st->map == MAP_DENY ?
		     &st->new->deny_comms : &st->new->exclude_comms, comm))
		return 0;
	st->comms = realloc(st->comms, (st->n + 1) * sizeof(*st->comms));
	if (!st->comms)
		return -ENOMEM;
	memcpy(st->comms[st->n++], comm, sizeof(comm));
	return 0;
}

static int remove_stale(struct state *s, enum state_map map, const struct mptcpify_conf *new)
{
	struct stale st = { .map = map, .new = new };
	int r = rules_foreach(s, map, collect_stale, &st);

	for (size_t i = 0; !r && i < st.n; i++)
		rule_comm_del(s, map, st.comms[i]);
	free(st.comms);
	return r < 0 ? fail(EXIT_INTERNAL, "cannot read the rules: %s", strerror(-r)) : 0;
}

static int add_comms(struct state *s, enum state_map map, const struct conf_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = rule_comm_add(s, map, l->v[i], MPTCPIFY_RULE_SAVED);

		if (r == -E2BIG)
			return map_full(map == MAP_COMM ? "comm rule" : map == MAP_DENY ? "deny" : "exclude");
		if (r < 0 && r != -EEXIST)
			return fail(EXIT_INTERNAL, "cannot add comm %s: %s", l->v[i], strerror(-r));
	}
	return 0;
}

/* The path rules of the configuration's cgroups and units. */
static int conf_path_rules(const struct mptcpify_conf *c, struct path_rule **ret, size_t *n)
{
	if (path_rules_of_lists(&c->cgroups, &c->units, ret, n) < 0)
		return fail(EXIT_INTERNAL, "out of memory");
	return 0;
}

struct stale_paths {
	const struct path_rule *keep;
	size_t n_keep;
	struct path_rule *gone;
	size_t n;
};

static int collect_stale_path(const struct path_rule *pr, uint32_t number, uint32_t flags, void *ud)
{
	struct stale_paths *sp = ud;
	struct path_rule *g;

	if (!(flags & MPTCPIFY_RULE_SAVED))
		return 0;
	for (size_t i = 0; i < sp->n_keep; i++)
		if (strcmp(sp->keep[i].rel, pr->rel) == 0)
			return 0;
	g = realloc(sp->gone, (sp->n + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	sp->gone = g;
	sp->gone[sp->n++] = *pr;
	return 0;
}

/* Saved id rules (carried over from ABI 2 by an upgrade): the file's path
 * rules replace them. */
struct saved_ids {
	uint64_t *v;
	size_t n;
};

static int collect_saved_ids(uint64_t id, const struct mptcpify_cgroup_rule *v, void *ud)
{
	struct saved_ids *si = ud;
	uint64_t *n;

	if (v->number != 0 || !(v->flags & MPTCPIFY_RULE_SAVED))
		return 0;
	n = realloc(si->v, (si->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	si->v = n;
	si->v[si->n++] = id;
	return 0;
}

static int apply_paths(struct state *s, const struct path_rule *want, size_t n_want)
{
	struct stale_paths sp = { .keep = want, .n_keep = n_want };
	struct saved_ids ids = {};
	int r = path_rules_foreach(s, collect_stale_path, &sp);

	if (!r)
		r = cgroup_rules_foreach(s, collect_saved_ids, &ids);
	for (size_t i = 0; !r && i < sp.n; i++)
		path_rule_del(s, &sp.gone[i]);
	for (size_t i = 0; !r && i < ids.n; i++)
		rule_cgroup_del(s, ids.v[i]);
	free(sp.gone);
	free(ids.v);
	if (r)
		return fail(EXIT_INTERNAL, "cannot read the cgroup rules: %s", strerror(-r));
	for (size_t i = 0; i < n_want; i++) {
		char shown[PATH_MAX];
		int e = path_rule_add(s, &want[i], MPTCPIFY_RULE_SAVED, NULL);

		if (e == -E2BIG || e == -ENOSPC)
			return fail(EXIT_FULL, "cannot add cgroup rule %s: %s", path_rule_show(&want[i],
				    shown, sizeof(shown)), e == -ENOSPC ? "too many patterns in its "
				    "directory" : "the path rule map is full");
		if (e < 0 && e != -EEXIST)
			return fail(EXIT_INTERNAL, "cannot add cgroup rule %s: %s",
				    path_rule_show(&want[i], shown, sizeof(shown)), strerror(-e));
	}
	return 0;
}

int persist_apply(struct state *s, const struct mptcpify_conf *new)
{
	_cleanup_free_ struct path_rule *paths = NULL;
	size_t n_paths = 0;
	int r;

	r = conf_path_rules(new, &paths, &n_paths);
	if (!r)
		r = remove_stale(s, MAP_COMM, new);
	if (!r)
		r = remove_stale(s, MAP_EXCLUDE, new);
	if (!r)
		r = remove_stale(s, MAP_DENY, new);
	if (!r)
		r = add_comms(s, MAP_COMM, &new->comms);
	fault_point("applying");  /* comm rules in, excludes and cgroups not yet */
	if (!r)
		r = add_comms(s, MAP_EXCLUDE, &new->exclude_comms);
	if (!r)
		r = add_comms(s, MAP_DENY, &new->deny_comms);
	if (!r)
		r = veto_apply_conf(s, new);
	if (!r)
		r = apply_paths(s, paths, n_paths);
	if (!r && rule_set_all(s, new->all) < 0)
		r = fail(EXIT_INTERNAL, "cannot set system-wide mode: %s", strerror(errno));
	if (!r)
		r = audit_apply_conf(s, new);
	if (rules_recount(s) < 0 && !r)
		r = fail(EXIT_INTERNAL, "cannot update the rule counts: %s", strerror(errno));
	return r;
}
