/* SPDX-License-Identifier: GPL-2.0-only */
/* Which container a cgroup belongs to, read from its path: container
 * engines name the cgroup of a container after its id (libpod-ID.scope,
 * crio-ID.scope, docker-ID.scope, cri-containerd-ID.scope with systemd's
 * cgroup manager; .../libpod-ID, /docker/ID, /kubepods/.../ID with
 * cgroupfs). Nothing is stored: list, monitor, the daemon's log and
 * connections ask when they show a cgroup or a process. */
#ifndef MPTCPIFY_CONTAINERS_H
#define MPTCPIFY_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A container id as the engines write it: 64 lowercase hex digits. */
#define CONTAINER_ID_LEN 64
/* How many of them `podman ps` and `crictl ps` show. */
#define CONTAINER_SHORT_LEN 12

/* The id of the innermost container cgroup on path (a cgroup v2 path, with
 * or without the /sys/fs/cgroup prefix) into id (CONTAINER_ID_LEN + 1
 * bytes). 0, or -ENOENT when no component of path names a container (the
 * engines' own helper scopes, such as conmon's, do not count). */
int container_of_cgroup_path(const char *path, char *id);

/* The same for a running process, from /proc/PID/cgroup: 0, -ENOENT, or
 * -errno when the process cannot be read (gone). */
int container_of_pid(pid_t pid, char *id);

/* Remembers the container of the last cgroup ids seen, for readers of
 * events (monitor, the daemon): each event names a cgroup id and the
 * process; the process may be gone when the event is read, so the cgroup
 * id is looked up in cgroupfs then, once per id. */
#define CONTAINER_CACHE_SLOTS 64
struct container_cache {
	struct {
		uint64_t cgroup_id;   /* 0: empty */
		bool found;
		char id[CONTAINER_ID_LEN + 1];
	} slot[CONTAINER_CACHE_SLOTS];
	unsigned next;
};

/* The container of cgroup_id (where pid ran, if it still runs), or NULL
 * when it is none. The string lives in the cache until CONTAINER_CACHE_SLOTS
 * other ids were looked up. */
const char *container_cache_lookup(struct container_cache *c, uint64_t cgroup_id, pid_t pid);

#endif
