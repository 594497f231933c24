// SPDX-License-Identifier: GPL-2.0-only
/* Sockets to processes through /proc, and the network namespaces they live
 * in. Every file of a process is read relative to one open /proc/PID
 * directory: once the process has exited, those reads fail (even if its pid
 * is reused meanwhile), so an exiting process is skipped, never mixed up
 * with another. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlink.h"
#include "procsock.h"
#include "util.h"

void proc_sock_list_free(struct proc_sock_list *list)
{
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}

static int push(struct proc_sock_list *list, const struct proc_sock *ps)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 64;
		struct proc_sock *v = realloc(list->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = *ps;
	return 0;
}

static bool parse_pid(const char *s, pid_t *pid)
{
	long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1 << 30)
			return false;
		v = v * 10 + (*s - '0');
	}
	*pid = (pid_t)v;
	return v > 0;
}

/* 0 with every socket of the process appended; -ENOMEM; other errors mean
 * the process is gone or unreadable (the caller skips it). */
static int scan_process(int proc_fd, const char *name, pid_t pid, struct proc_sock_list *list)
{
	_cleanup_close_ int dir_fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct proc_sock ps = { .pid = pid };
	struct stat st;
	size_t first = list->n;
	ssize_t n;
	DIR *fds;
	int fd_fd, r = 0;

	if (dir_fd < 0)
		return -errno;
	{
		_cleanup_close_ int comm_fd = openat(dir_fd, "comm", O_RDONLY | O_CLOEXEC);
		char buf[sizeof(ps.comm) + 1];

		if (comm_fd < 0)
			return -errno;
		/* The name, then a newline. The name may hold newlines of its
		 * own (prctl(PR_SET_NAME)): only the last one goes. */
		n = read(comm_fd, buf, sizeof(buf));
		if (n <= 0)
			return n < 0 ? -errno : -ESRCH;
		if (buf[n - 1] == '\n')
			n--;
		if ((size_t)n >= sizeof(ps.comm))
			n = sizeof(ps.comm) - 1;
		memcpy(ps.comm, buf, n);
		ps.comm[n] = '\0';
	}
	if (fstatat(dir_fd, "ns/net", &st, 0) < 0)
		return -errno;
	ps.netns = st.st_ino;
	fd_fd = openat(dir_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd_fd < 0)
		return -errno;
	fds = fdopendir(fd_fd);
	if (!fds) {
		close(fd_fd);
		return -errno;
	}
	for (struct dirent *de; (de = readdir(fds));) {
		char link[64];
		unsigned long long ino;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(fd_fd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;  /* closed meanwhile */
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		ps.inode = ino;
		r = push(list, &ps);
		if (r)
			break;
	}
	closedir(fds);
	/* Still there after the scan? If not, what we read may be partial
	 * but it was this process's; if the comm can no longer be read the
	 * process is gone and its sockets with it: drop them. */
	if (!r && faccessat(dir_fd, "comm", R_OK, 0) < 0) {
		list->n = first;
		return -ESRCH;
	}
	return r;
}

int procsock_scan(struct proc_sock_list *list)
{
	_cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	int r = 0;

	if (proc_fd < 0)
		return -errno;
	d = opendir("/proc");
	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		pid_t pid;

		if (!parse_pid(de->d_name, &pid))
			continue;
		r = scan_process(proc_fd, de->d_name, pid, list);
		if (r == -ENOMEM)
			break;
		if (r == -EACCES || r == -EPERM)
			list->skipped++;
		r = 0;
	}
	closedir(d);
	return r;
}

uint64_t netns_self(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* An fd on the namespace, entered through a process still in it: -errno
 * when none of them is left. */
static int open_netns(const struct proc_sock_list *list, uint64_t netns)
{
	for (size_t i = 0; i < list->n; i++) {
		char path[64];
		struct stat st;
		int fd;

		if (list->v[i].netns != netns || (i && list->v[i - 1].pid == list->v[i].pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)list->v[i].pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* The pid may have been reused by a process elsewhere. */
		if (fstat(fd, &st) == 0 && st.st_ino == netns)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

int procsock_foreach_netns(const struct proc_sock_list *list, int nl_protocol,
			   netns_fn fn, void *userdata, size_t *skipped)
{
	_cleanup_close_ int self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	uint64_t self = netns_self();
	int nl_fd, r;

	*skipped = 0;
	if (self_fd < 0)
		return -errno;
	/* Ours first, always: it answers whether the kernel can be asked at all. */
	nl_fd = nl_open(nl_protocol);
	if (nl_fd < 0)
		return nl_fd;
	r = fn(self, nl_fd, userdata);
	close(nl_fd);
	for (size_t i = 0; i < list->n && r >= 0; i++) {
		uint64_t ns = list->v[i].netns;
		bool seen = ns == self;
		int target;

		for (size_t k = 0; k < i && !seen; k++)
			seen = list->v[k].netns == ns;
		if (seen)
			continue;
		target = open_netns(list, ns);
		if (target < 0)
			continue;  /* gone meanwhile, with its sockets */
		if (setns(target, CLONE_NEWNET) < 0) {
			debug("cannot enter network namespace %llu: %s",
			      (unsigned long long)ns, strerror(errno));
			close(target);
			(*skipped)++;
			continue;
		}
		close(target);
		/* The socket stays in the namespace it was made in. */
		nl_fd = nl_open(nl_protocol);
		if (setns(self_fd, CLONE_NEWNET) < 0) {
			if (nl_fd >= 0)
				close(nl_fd);
			return -errno;
		}
		if (nl_fd < 0)
			return nl_fd;
		r = fn(ns, nl_fd, userdata);
		close(nl_fd);
	}
	return r < 0 ? r : 0;
}
