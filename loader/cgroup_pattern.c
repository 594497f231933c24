// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "cgroup_pattern.h"
#include "mptcpify.h"

/* "/sys/fs/cgroup/" is 15 bytes: "/sys/fs/cgroup/a" is "/a" (2) below it. */

bool cgroup_path_is_pattern(const char *path)
{
	return strchr(path, '*') != NULL;
}

int cgroup_pattern_check(const char *path, const char **why)
{
	const char *star = strchr(path, '*'), *last = strrchr(path, '/');
	const char *name = last ? last + 1 : path;
	const char *r = NULL;

	size_t len = strlen(path);

	/* The kernel matches paths relative to the cgroup2 mount, "/a/b". */
	if (strncmp(path, "/sys/fs/cgroup/", 15) == 0)
		len -= 14;
	else if (path[0] != '/')
		len += 1;
	if (len > MPTCPIFY_CGROUP_PATH_MAX)
		r = "longer than 254 bytes below /sys/fs/cgroup (the longest path a rule can match)";
	else if (strpbrk(path, "?[]"))
		r = "only '*' is a pattern character ('?', '[' and ']' are not supported)";
	else if (!star)
		r = NULL;
	else if (strstr(path, "**"))
		r = "'**' is not supported: '*' matches within one path component";
	else if (star < name)
		r = "a '*' may only stand in the last path component";
	else if (strchr(star + 1, '*'))
		r = "only one '*' is supported in a pattern";
	else if ((size_t)(star - name) > MPTCPIFY_GLOB_PART_MAX ||
		 strlen(star + 1) > MPTCPIFY_GLOB_PART_MAX)
		r = "the text before and after the '*' may have at most 63 bytes each";
	if (why)
		*why = r;
	return r ? -EINVAL : 0;
}
