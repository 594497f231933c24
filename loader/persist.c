// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cgroups.h"
#include "config.h"
#include "fault.h"
#include "persist.h"
#include "rules.h"
#include "util.h"

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

/* Saved rules of a map that the new configuration no longer has. */
struct stale {
	enum state_map map;
	const struct mptcpify_conf *new;
	const uint64_t *ids;        /* MAP_CGROUP: ids the new configuration resolves to */
	size_t n_ids;
	char (*comms)[MPTCPIFY_COMM_LEN];
	uint64_t *cgroups;
	size_t n;
};

static int collect_stale(const void *key, uint64_t hits, uint32_t flags, void *userdata)
{
	struct stale *st = userdata;
	bool keep = false;

	if (!(flags & MPTCPIFY_RULE_SAVED))
		return 0;  /* a runtime rule: not the file's to remove */
	if (st->map == MAP_CGROUP) {
		uint64_t id;

		memcpy(&id, key, sizeof(id));
		for (size_t i = 0; i < st->n_ids && !keep; i++)
			keep = st->ids[i] == id;
		if (!keep) {
			st->cgroups = realloc(st->cgroups, (st->n + 1) * sizeof(*st->cgroups));
			if (!st->cgroups)
				return -ENOMEM;
			st->cgroups[st->n++] = id;
		}
	} else {
		char comm[MPTCPIFY_COMM_LEN];

		memcpy(comm, key, sizeof(comm));
		keep = list_has(st->map == MAP_COMM ? &st->new->comms : &st->new->exclude_comms, comm);
		if (!keep) {
			st->comms = realloc(st->comms, (st->n + 1) * sizeof(*st->comms));
			if (!st->comms)
				return -ENOMEM;
			memcpy(st->comms[st->n++], comm, sizeof(comm));
		}
	}
	return 0;
}

static int remove_stale(struct state *s, enum state_map map, const struct mptcpify_conf *new,
			const uint64_t *ids, size_t n_ids)
{
	struct stale st = { .map = map, .new = new, .ids = ids, .n_ids = n_ids };
	int r = rules_foreach(s, map, collect_stale, &st);

	for (size_t i = 0; !r && i < st.n; i++) {
		if (map == MAP_CGROUP)
			rule_cgroup_del(s, st.cgroups[i]);
		else
			rule_comm_del(s, map, st.comms[i]);
	}
	free(st.comms);
	free(st.cgroups);
	return r < 0 ? fail(EXIT_INTERNAL, "cannot read the rules: %s", strerror(-r)) : 0;
}

static int add_comms(struct state *s, enum state_map map, const struct conf_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = rule_comm_add(s, map, l->v[i], MPTCPIFY_RULE_SAVED);

		if (r == -E2BIG)
			return map_full(map == MAP_COMM ? "comm rule" : "exclude");
		if (r < 0 && r != -EEXIST)
			return fail(EXIT_INTERNAL, "cannot add comm %s: %s", l->v[i], strerror(-r));
	}
	return 0;
}

/* The ids of the configuration's cgroups and running units. */
static int resolve_ids(const struct mptcpify_conf *c, uint64_t **ret, size_t *n)
{
	const struct conf_list *lists[] = { &c->cgroups, &c->units };

	*ret = calloc(c->cgroups.n + c->units.n + 1, sizeof(uint64_t));
	*n = 0;
	if (!*ret)
		return fail(EXIT_INTERNAL, "out of memory");
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			if (cgroup_resolve_quiet(lists[l]->v[i], l == 1, &(*ret)[*n]) == 0)
				(*n)++;
			else
				debug("%s %s: no cgroup now, skipped", l ? "unit" : "cgroup", lists[l]->v[i]);
		}
	return 0;
}

int persist_apply(struct state *s, const struct mptcpify_conf *new)
{
	_cleanup_free_ uint64_t *ids = NULL;
	size_t n_ids = 0;
	int r;

	r = resolve_ids(new, &ids, &n_ids);
	if (!r)
		r = remove_stale(s, MAP_COMM, new, NULL, 0);
	if (!r)
		r = remove_stale(s, MAP_EXCLUDE, new, NULL, 0);
	if (!r)
		r = remove_stale(s, MAP_CGROUP, new, ids, n_ids);
	if (!r)
		r = add_comms(s, MAP_COMM, &new->comms);
	fault_point("applying");  /* comm rules in, excludes and cgroups not yet */
	if (!r)
		r = add_comms(s, MAP_EXCLUDE, &new->exclude_comms);
	for (size_t i = 0; !r && i < n_ids; i++) {
		int e = rule_cgroup_add(s, ids[i], MPTCPIFY_RULE_SAVED);

		if (e == -E2BIG)
			r = map_full("cgroup rule");
		else if (e < 0 && e != -EEXIST)
			r = fail(EXIT_INTERNAL, "cannot add a cgroup rule: %s", strerror(-e));
	}
	if (!r && rule_set_all(s, new->all) < 0)
		r = fail(EXIT_INTERNAL, "cannot set system-wide mode: %s", strerror(errno));
	if (rules_recount(s) < 0 && !r)
		r = fail(EXIT_INTERNAL, "cannot update the rule counts: %s", strerror(errno));
	return r;
}
