/* SPDX-License-Identifier: GPL-2.0-only */
/* Which process holds which socket, and in which network namespace: a scan
 * of /proc/PID/fd for socket:[INODE] links. Processes that exit during the
 * scan, or that this user may not read, are skipped. */
#ifndef MPTCPIFY_PROCSOCK_H
#define MPTCPIFY_PROCSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_sock {
	uint64_t inode;    /* socket inode */
	uint64_t netns;    /* inode of /proc/PID/ns/net */
	pid_t pid;
	char comm[16];
};

struct proc_sock_list {
	struct proc_sock *v;
	size_t n, cap;
	size_t skipped;    /* processes whose fds could not be read (permissions) */
};

/* 0 or -errno (only when /proc itself cannot be read, or out of memory). */
int procsock_scan(struct proc_sock_list *list);
void proc_sock_list_free(struct proc_sock_list *list);

/* The inode of our own network namespace, or 0. */
uint64_t netns_self(void);

/* Calls fn for our own network namespace (always, first), then once per
 * other distinct network namespace of list's entries, with a
 * socket of this netlink protocol created inside it (setns() into it
 * through one of its processes, then back). A namespace whose processes
 * have all gone, or that cannot be entered (no CAP_SYS_ADMIN), is skipped
 * and counted in *skipped. -errno when we could not return to our own
 * namespace (the caller must stop), else 0 or fn's negative return. */
typedef int (*netns_fn)(uint64_t netns, int nl_fd, void *userdata);
int procsock_foreach_netns(const struct proc_sock_list *list, int nl_protocol,
			   netns_fn fn, void *userdata, size_t *skipped);

#endif
