// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroups.h"
#include "config.h"
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

int persist_save(const struct mptcpify_conf *c)
{
	char path[PATH_MAX];
	int r;

	if (mkdir(config_dir(), 0755) < 0 && errno != EEXIST)
		return fail(EXIT_INTERNAL, "cannot create %s: %s", config_dir(), strerror(errno));
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

static int apply_comms(struct state *s, enum state_map map, const struct conf_list *old,
		       const struct conf_list *new)
{
	for (size_t i = 0; old && i < old->n; i++)
		if (!list_has(new, old->v[i]))
			rule_comm_del(s, map, old->v[i]);
	for (size_t i = 0; new && i < new->n; i++) {
		int r = rule_comm_add(s, map, new->v[i]);

		if (r == -E2BIG)
			return map_full(map == MAP_COMM ? "comm rule" : "exclude");
		if (r < 0 && r != -EEXIST)
			return fail(EXIT_INTERNAL, "cannot add comm %s: %s", new->v[i], strerror(-r));
	}
	return 0;
}

/* Cgroup paths and units resolve to ids; one that does not resolve (not
 * created yet, unit stopped) is skipped with a note. */
static int resolve_quiet(const char *path, bool unit, uint64_t *id)
{
	char cg[PATH_MAX], canon[PATH_MAX];
	int saved = dup(2), devnull, r;

	/* The resolvers print their reason; here a miss is only a note. */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, 2);
	r = unit ? unit_cgroup(path, cg, sizeof(cg)) : 0;
	if (!r)
		r = cgroup_resolve(unit ? cg : path, id, canon, sizeof(canon), NULL);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (devnull >= 0)
		close(devnull);
	return r;
}

static int apply_cgroups(struct state *s, const struct conf_list *old,
			 const struct conf_list *new, bool unit)
{
	uint64_t id;

	for (size_t i = 0; old && i < old->n; i++)
		if (!list_has(new, old->v[i]) && resolve_quiet(old->v[i], unit, &id) == 0)
			rule_cgroup_del(s, id);
	for (size_t i = 0; new && i < new->n; i++) {
		int r;

		if (resolve_quiet(new->v[i], unit, &id) != 0) {
			debug("%s %s: no cgroup now, skipped", unit ? "unit" : "cgroup", new->v[i]);
			continue;
		}
		r = rule_cgroup_add(s, id);
		if (r == -E2BIG)
			return map_full("cgroup rule");
		if (r < 0 && r != -EEXIST)
			return fail(EXIT_INTERNAL, "cannot add cgroup %s: %s", new->v[i], strerror(-r));
	}
	return 0;
}

int persist_apply(struct state *s, const struct mptcpify_conf *old,
		  const struct mptcpify_conf *new)
{
	int r;

	r = apply_comms(s, MAP_COMM, old ? &old->comms : NULL, &new->comms);
	if (!r)
		r = apply_comms(s, MAP_EXCLUDE, old ? &old->exclude_comms : NULL, &new->exclude_comms);
	if (!r)
		r = apply_cgroups(s, old ? &old->cgroups : NULL, &new->cgroups, false);
	if (!r)
		r = apply_cgroups(s, old ? &old->units : NULL, &new->units, true);
	if (!r && (!old || old->all != new->all || new->all))
		r = rule_set_all(s, new->all) < 0 ? fail(EXIT_INTERNAL, "cannot set system-wide mode") : 0;
	if (rules_recount(s) < 0 && !r)
		r = fail(EXIT_INTERNAL, "cannot update the rule counts: %s", strerror(errno));
	return r;
}
