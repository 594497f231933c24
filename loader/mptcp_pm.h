/* SPDX-License-Identifier: GPL-2.0-only */
/* The in-kernel MPTCP path manager's settings over generic netlink
 * ("mptcp_pm" family), as `ip mptcp limits show` / `ip mptcp endpoint show`
 * read them, in the caller's network namespace. */
#ifndef MPTCPIFY_MPTCP_PM_H
#define MPTCPIFY_MPTCP_PM_H

#include <stdint.h>
#include <netinet/in.h>

struct mptcp_endpoint {
	int family;
	struct in6_addr addr;     /* AF_INET: the first 4 bytes */
	uint16_t port;            /* 0: none */
	uint8_t id;
	uint32_t flags;           /* MPTCP_PM_ADDR_FLAG_* */
	int ifindex;              /* 0: none */
};

struct mptcp_pm_state {
	uint32_t subflows, add_addr_accepted;
	struct mptcp_endpoint ep[64];
	size_t n_ep;              /* beyond 64, only counted */
};

/* 0, or -errno: -ENOENT when the kernel has no "mptcp_pm" family. */
int mptcp_pm_read(struct mptcp_pm_state *pm);

/* "signal subflow backup" and the like, for the flags set. */
void mptcp_endpoint_flags(uint32_t flags, char *buf, size_t len);

#endif
