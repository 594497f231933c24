// SPDX-License-Identifier: GPL-2.0-only
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroups.h"
#include "containers.h"
#include "util.h"

/* Prefixes of a container's own cgroup, before its id; a bare id is the
 * cgroupfs layout (/docker/ID, /kubepods/besteffort/podUID/ID). */
static const char *const engine_prefixes[] = {
	"libpod-", "crio-", "docker-", "cri-containerd-", "",
};

static bool is_id(const char *s, size_t n)
{
	if (n != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* One path component: "libpod-ID.scope", "ID", ... -> ID. */
static bool component_id(const char *c, size_t n, char *id)
{
	static const char scope[] = ".scope";

	if (n > sizeof(scope) - 1 && memcmp(c + n - (sizeof(scope) - 1), scope, sizeof(scope) - 1) == 0)
		n -= sizeof(scope) - 1;
	for (size_t i = 0; i < ELEMENTSOF(engine_prefixes); i++) {
		size_t pl = strlen(engine_prefixes[i]);

		/* libpod-conmon-ID.scope holds conmon, not the container: its
		 * suffix is no id, so it never matches. */
		if (n > pl && strncmp(c, engine_prefixes[i], pl) == 0 && is_id(c + pl, n - pl)) {
			memcpy(id, c + pl, CONTAINER_ID_LEN);
			id[CONTAINER_ID_LEN] = '\0';
			return true;
		}
	}
	return false;
}

int container_of_cgroup_path(const char *path, char *id)
{
	const char *end = path + strlen(path);

	/* Innermost first: a pod's slice can be named after an id too. */
	while (end > path) {
		const char *start = end;

		while (start > path && start[-1] != '/')
			start--;
		if (component_id(start, end - start, id))
			return 0;
		end = start > path ? start - 1 : path;
	}
	return -ENOENT;
}

int container_of_pid(pid_t pid, char *id)
{
	char path[PATH_MAX];
	int r = cgroup_of_pid(pid, path, sizeof(path));

	return r < 0 ? r : container_of_cgroup_path(path, id);
}

const char *container_cache_lookup(struct container_cache *c, uint64_t cgroup_id, pid_t pid)
{
	char path[PATH_MAX];
	uint64_t now;
	unsigned k;

	if (!cgroup_id)
		return NULL;
	for (k = 0; k < CONTAINER_CACHE_SLOTS; k++)
		if (c->slot[k].cgroup_id == cgroup_id)
			return c->slot[k].found ? c->slot[k].id : NULL;
	k = c->next++ % CONTAINER_CACHE_SLOTS;
	c->slot[k].cgroup_id = cgroup_id;
	/* The process, when it still runs in that cgroup (cheap); else a walk
	 * of cgroupfs for the id (once per cgroup id). A cgroup already
	 * removed is remembered as no container. */
	if (!(pid > 0 && cgroup_of_pid(pid, path, sizeof(path)) == 0 &&
	      cgroup_id_of_path(path, &now) == 0 && now == cgroup_id) &&
	    cgroup_path_of(cgroup_id, path, sizeof(path)) < 0)
		path[0] = '\0';
	c->slot[k].found = container_of_cgroup_path(path, c->slot[k].id) == 0;
	return c->slot[k].found ? c->slot[k].id : NULL;
}
