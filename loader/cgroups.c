// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "cgroups.h"
#include "config.h"
#include "mptcpify.h"
#include "util.h"

#define CGROUP2_MAGIC 0x63677270
#define CGROUP1_MAGIC 0x27e0eb

extern char **environ;

int cgroup_id_of_path(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mnt;

	/* For cgroup2 (kernfs) the file handle is the 64-bit cgroup id. */
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) < 0)
		return -errno;
	if (h.fh.handle_bytes != sizeof(uint64_t))
		return -EOPNOTSUPP;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return true;
	return false;
}

int cgroup_resolve(const char *path, uint64_t *id, char *canon, size_t len, int *depth)
{
	char abs[PATH_MAX], real[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	int r, d = 0;

	if (!*path)
		return fail(EXIT_BAD_CGROUP, "empty cgroup path: give a directory under %s",
			    CGROUP2_ROOT);
	if (has_dotdot(path))
		return fail(EXIT_BAD_CGROUP, "cgroup path '%s' contains '..': give the path "
			    "without it", path);
	if (path[0] == '/')
		snprintf(abs, sizeof(abs), "%s", path);
	else
		snprintf(abs, sizeof(abs), "%s/%s", CGROUP2_ROOT, path);
	while (strlen(abs) > 1 && abs[strlen(abs) - 1] == '/')
		abs[strlen(abs) - 1] = '\0';

	if (lstat(abs, &st) < 0)
		return fail(EXIT_BAD_CGROUP, "cgroup %s: %s", abs, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return fail(EXIT_BAD_CGROUP, "%s is a symlink: give the cgroup directory itself", abs);
	if (!S_ISDIR(st.st_mode))
		return fail(EXIT_BAD_CGROUP, "%s is not a directory: give a cgroup v2 directory "
			    "under %s", abs, CGROUP2_ROOT);
	if (statfs(abs, &sfs) < 0)
		return fail(EXIT_BAD_CGROUP, "cgroup %s: %s", abs, strerror(errno));
	if ((unsigned long)sfs.f_type == CGROUP1_MAGIC)
		return fail(EXIT_BAD_CGROUP, "%s is on a cgroup v1 hierarchy: mptcpify needs "
			    "cgroup v2 (unified hierarchy, under %s)", abs, CGROUP2_ROOT);
	if ((unsigned long)sfs.f_type != CGROUP2_MAGIC)
		return fail(EXIT_BAD_CGROUP, "%s is not a cgroup v2 directory: give a directory "
			    "under %s", abs, CGROUP2_ROOT);
	if (!realpath(abs, real))
		return fail(EXIT_BAD_CGROUP, "cgroup %s: %s", abs, strerror(errno));
	if (strcmp(real, abs) != 0)
		return fail(EXIT_BAD_CGROUP, "%s goes through a symlink: give the real path %s",
			    abs, real);
	if (strncmp(real, CGROUP2_ROOT, strlen(CGROUP2_ROOT)) != 0 ||
	    (real[strlen(CGROUP2_ROOT)] != '/' && real[strlen(CGROUP2_ROOT)] != '\0'))
		return fail(EXIT_BAD_CGROUP, "%s is a cgroup2 mount other than %s: give the path "
			    "under %s", real, CGROUP2_ROOT, CGROUP2_ROOT);
	for (const char *s = real + strlen(CGROUP2_ROOT); *s; s++)
		if (*s == '/')
			d++;
	if (d > MPTCPIFY_MAX_CGROUP_DEPTH)
		return fail(EXIT_BAD_CGROUP, "%s is %d levels deep; mptcpify looks at most %d "
			    "levels below the root: select an ancestor", real, d,
			    MPTCPIFY_MAX_CGROUP_DEPTH);
	r = cgroup_id_of_path(real, id);
	if (r < 0)
		return fail(EXIT_BAD_CGROUP, "cannot get the id of cgroup %s: %s", real, strerror(-r));
	snprintf(canon, len, "%s", real);
	if (depth)
		*depth = d;
	return 0;
}

static uint64_t walk_target;
static char *walk_buf;
static size_t walk_len;
static bool walk_found;

static int walk_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	uint64_t id;

	if (type != FTW_D)
		return 0;
	if (cgroup_id_of_path(p, &id) == 0 && id == walk_target) {
		snprintf(walk_buf, walk_len, "%s", p);
		walk_found = true;
		return 1;
	}
	return 0;
}

int cgroup_path_of(uint64_t id, char *buf, size_t len)
{
	walk_target = id;
	walk_buf = buf;
	walk_len = len;
	walk_found = false;
	nftw(CGROUP2_ROOT, walk_one, 32, FTW_PHYS | FTW_MOUNT);
	return walk_found ? 0 : -ENOENT;
}

int cgroup_of_pid(int pid, char *buf, size_t len)
{
	char path[64], content[4096], *p;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (read_file_str(path, content, sizeof(content)) < 0)
		return -errno;
	/* cgroup v2 line: "0::/path" */
	p = strstr(content, "0::");
	if (!p)
		return -EOPNOTSUPP;
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	snprintf(buf, len, "%s%s", CGROUP2_ROOT, strcmp(p, "/") == 0 ? "" : p);
	return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", "-.slice" -> "":
 * systemd nests a slice in the slice named by its name up to each dash. */
static void slice_path(const char *slice, char *buf, size_t len)
{
	size_t o = 0, n = strlen(slice) - strlen(".slice");

	buf[0] = '\0';
	if (strcmp(slice, "-.slice") == 0)
		return;
	for (size_t i = 0; i <= n && o < len; i++)
		if (i == n || slice[i] == '-')
			o += snprintf(buf + o, len - o, "/%.*s.slice", (int)i, slice);
}

/* Runs `systemctl show -p LoadState,ControlGroup,Slice UNIT`. */
int unit_cgroup(const char *unit, char *buf, size_t len)
{
	const char *why = NULL;
	char *argv[] = { "systemctl", "show", "-p", "LoadState,ControlGroup,Slice", "--",
			 (char *)unit, NULL };
	char out[2 * PATH_MAX] = "", load[64] = "", cg[PATH_MAX] = "", slice[256] = "", sp[PATH_MAX];
	posix_spawn_file_actions_t fa;
	int pipefd[2], status;
	ssize_t n = 0, r;
	pid_t pid;

	if (unit_name_check(unit, &why) < 0)
		return fail(EXIT_BAD_UNIT, "cannot select unit '%s': %s", unit, why);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return fail(EXIT_INTERNAL, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	r = posix_spawnp(&pid, "systemctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r) {
		close(pipefd[0]);
		return fail(EXIT_BAD_UNIT, "cannot run systemctl to find %s's cgroup: %s "
			    "(is systemd running? use --cgroup PATH instead)", unit, strerror(r));
	}
	while (n < (ssize_t)sizeof(out) - 1 && (r = read(pipefd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	close(pipefd[0]);
	out[n] = '\0';
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail(EXIT_BAD_UNIT, "systemctl could not show unit %s (is systemd running? "
			    "use --cgroup PATH instead)", unit);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "LoadState=", 10) == 0)
			snprintf(load, sizeof(load), "%s", line + 10);
		else if (strncmp(line, "ControlGroup=", 13) == 0)
			snprintf(cg, sizeof(cg), "%s", line + 13);
		else if (strncmp(line, "Slice=", 6) == 0)
			snprintf(slice, sizeof(slice), "%s", line + 6);
	}
	if (cg[0]) {
		snprintf(buf, len, "%s%s", CGROUP2_ROOT, cg);
		return 0;
	}
	/* Not running: the cgroup it will get, from its slice and name. */
	if (strcmp(load, "not-found") == 0 || !slice[0] || !strstr(slice, ".slice"))
		return fail(EXIT_BAD_UNIT, "unit %s is not known to systemd (LoadState=%s): check "
			    "the name with 'systemctl status %s'", unit, load[0] ? load : "?", unit);
	slice_path(slice, sp, sizeof(sp));
	snprintf(buf, len, "%s%s/%s", CGROUP2_ROOT, sp, unit);
	return 0;
}

int cgroup_resolve_quiet(const char *path_or_unit, bool is_unit, uint64_t *id)
{
	char cg[PATH_MAX], canon[PATH_MAX];
	bool was = log_quiet;
	int r = 0;

	log_quiet = true;
	if (is_unit)
		r = unit_cgroup(path_or_unit, cg, sizeof(cg));
	if (!r)
		r = cgroup_resolve(is_unit ? cg : path_or_unit, id, canon, sizeof(canon), NULL);
	log_quiet = was;
	return r;
}
