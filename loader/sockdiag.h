/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's view of MPTCP sockets through sock_diag netlink
 * (inet_diag + mptcp_diag), in the network namespace the netlink socket
 * was created in. */
#ifndef MPTCPIFY_SOCKDIAG_H
#define MPTCPIFY_SOCKDIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct mptcp_sock_diag {
	uint64_t inode;           /* the MPTCP socket's inode: socket:[INODE] in /proc/PID/fd */
	int family;               /* AF_INET or AF_INET6 */
	uint8_t state;            /* TCP_ESTABLISHED, ... (include/net/tcp_states.h) */
	struct in6_addr src, dst; /* AF_INET: the first 4 bytes */
	uint16_t sport, dport;    /* host order */
	bool have_info;           /* INET_DIAG_INFO came with it */
	unsigned subflows;        /* TCP subflows, the initial one included */
	bool fallback;            /* MPTCP_INFO_FLAG_FALLBACK: plain TCP now */
};

struct mptcp_sock_list {
	struct mptcp_sock_diag *v;
	size_t n, cap;
};

/* Appends every MPTCP socket (listeners only when listening) of fd's network
 * namespace, AF_INET then AF_INET6, to list, then sorts list by inode
 * (each inode once). fd: nl_open(NETLINK_SOCK_DIAG).
 * 0, or -errno: -ENOENT/-EOPNOTSUPP when the kernel has no mptcp_diag
 * (see SOCKDIAG_NO_MODULE). */
int sockdiag_dump_mptcp(int fd, bool listening, struct mptcp_sock_list *list);
void mptcp_sock_list_free(struct mptcp_sock_list *list);

#define SOCKDIAG_NO_MODULE \
	"the kernel has no MPTCP socket diagnostics (module mptcp_diag not loaded): " \
	"modprobe mptcp_diag (it needs inet_diag)"

/* "ESTABLISHED", "SYN-SENT", ... as ss names them. */
const char *tcp_state_name(uint8_t state);
/* "1.2.3.4:80" or "[2001:db8::1]:80". */
void sockaddr_format(int family, const struct in6_addr *a, uint16_t port, char *buf, size_t len);

#endif
