// SPDX-License-Identifier: GPL-2.0-only
/* sock_diag dumps of MPTCP sockets, by hand: one inet_diag_req_v2 per
 * address family with sdiag_protocol IPPROTO_MPTCP, asking for INET_DIAG_INFO,
 * which mptcp_diag fills with struct mptcp_info. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/sock_diag.h>

#include "netlink.h"
#include "sockdiag.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* include/net/tcp_states.h, not exported to user space. */
enum { TCP_ESTABLISHED_ = 1, TCP_LISTEN_ = 10, TCP_STATE_MAX_ = 12 };

static const char *const state_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN-SENT", [3] = "SYN-RECV", [4] = "FIN-WAIT-1",
	[5] = "FIN-WAIT-2", [6] = "TIME-WAIT", [7] = "CLOSE", [8] = "CLOSE-WAIT",
	[9] = "LAST-ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW-SYN-RECV",
};

const char *tcp_state_name(uint8_t state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) && state_names[state] ?
		state_names[state] : "UNKNOWN";
}

void sockaddr_format(int family, const struct in6_addr *a, uint16_t port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family, a, ip, sizeof(ip));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

void mptcp_sock_list_free(struct mptcp_sock_list *list)
{
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}

static int on_sock(const struct nlmsghdr *h, void *userdata)
{
	struct mptcp_sock_list *list = userdata;
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	struct mptcp_sock_diag d = {};
	int len;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	d.inode = m->idiag_inode;
	d.family = m->idiag_family;
	d.state = m->idiag_state;
	memcpy(&d.src, m->id.idiag_src, sizeof(d.src));
	memcpy(&d.dst, m->id.idiag_dst, sizeof(d.dst));
	d.sport = ntohs(m->id.idiag_sport);
	d.dport = ntohs(m->id.idiag_dport);
	d.subflows = 1;
	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	NLA_FOREACH(a, (const char *)m + NLMSG_ALIGN(sizeof(*m)), len) {
		/* Kernels differ in the struct's length: take what both know,
		 * zeros for the rest. */
		struct mptcp_info info = {};
		size_t n;

		if (NLA_TYPE(a) != INET_DIAG_INFO)
			continue;
		n = (size_t)NLA_LEN(a) < sizeof(info) ? (size_t)NLA_LEN(a) : sizeof(info);
		memcpy(&info, NLA_DATA(a), n);
		d.have_info = true;
		d.fallback = info.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK;
		/* mptcpi_subflows counts the subflows added to the first one. */
		d.subflows = d.fallback ? 1 : 1u + info.mptcpi_subflows;
	}
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 16;
		struct mptcp_sock_diag *v = realloc(list->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = d;
	return 0;
}

/* By inode; for one inode, the AF_INET dump's entry first. */
static int sock_cmp(const void *a, const void *b)
{
	const struct mptcp_sock_diag *x = a, *y = b;

	if (x->inode != y->inode)
		return (x->inode > y->inode) - (x->inode < y->inode);
	return (x->family == AF_INET6) - (y->family == AF_INET6);
}

/* One socket can come in both dumps (a v6 socket seen by the v4 one on
 * some kernels): keep the v4 dump's, as the first seen. Sorting first
 * keeps this linear-logarithmic with thousands of connections. */
static void sort_unique(struct mptcp_sock_list *list)
{
	size_t o = 0;

	if (list->n < 2)
		return;
	qsort(list->v, list->n, sizeof(*list->v), sock_cmp);
	for (size_t i = 0; i < list->n; i++)
		if (!o || !list->v[i].inode || list->v[i].inode != list->v[o - 1].inode)
			list->v[o++] = list->v[i];
	list->n = o;
}

int sockdiag_dump_mptcp(int fd, bool listening, struct mptcp_sock_list *list)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < 2; i++) {
		struct {
			struct nlmsghdr h;
			struct inet_diag_req_v2 r;
			char attrs[16];
		} req = {
			.h = {
				.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_req_v2)),
				.nlmsg_type = SOCK_DIAG_BY_FAMILY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			},
			.r = {
				.sdiag_family = families[i],
				/* A u8: protocols above 255 go in INET_DIAG_REQ_PROTOCOL. */
				.sdiag_protocol = IPPROTO_MPTCP & 0xff,
				.idiag_ext = 1 << (INET_DIAG_INFO - 1),
				/* Every state but LISTEN, unless asked. */
				.idiag_states = ((1u << (TCP_STATE_MAX_ + 1)) - 1) &
					~(listening ? 0 : 1u << TCP_LISTEN_),
			},
		};
		uint32_t proto = IPPROTO_MPTCP;
		int r = nla_put(&req.h, sizeof(req), INET_DIAG_REQ_PROTOCOL, &proto, sizeof(proto));

		if (!r)
			r = nl_transact(fd, &req.h, on_sock, list);

		/* Without mptcp_diag, inet_diag answers ENOENT (no handler for
		 * the protocol); without inet_diag, sock_diag does. */
		if (r < 0)
			return r;
	}
	sort_unique(list);
	return 0;
}
