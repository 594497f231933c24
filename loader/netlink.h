/* SPDX-License-Identifier: GPL-2.0-only */
/* The few netlink exchanges mptcpify needs (sock_diag dumps, generic
 * netlink requests), written by hand: one request out, the replies read
 * until NLMSG_DONE or the ack, each handed to a callback. */
#ifndef MPTCPIFY_NETLINK_H
#define MPTCPIFY_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* A netlink socket of this protocol in the caller's current network
 * namespace (it stays there after a later setns()): fd or -errno. */
int nl_open(int protocol);

typedef int (*nl_msg_fn)(const struct nlmsghdr *h, void *userdata);

/* Sends the message (nlmsg_seq and nlmsg_pid are filled in) and calls fn for
 * each reply of type other than NLMSG_DONE/NLMSG_ERROR. 0, the kernel's
 * -errno, or fn's first negative return. */
int nl_transact(int fd, struct nlmsghdr *req, nl_msg_fn fn, void *userdata);

/* Reads and drops whatever waits on fd (replies to requests of an earlier
 * owner of a socket handed over by systemd, a dump it did not finish), so
 * that the next nl_transact() starts clean. */
void nl_drain(int fd);

/* Attribute walking over a buffer of struct nlattr (netlink and genl). */
#define NLA_FOREACH(a, buf, len) \
	for (const struct nlattr *a = (const struct nlattr *)(buf); \
	     (len) >= (int)((const char *)a - (const char *)(buf)) + (int)sizeof(*a) && \
	     a->nla_len >= sizeof(*a) && \
	     a->nla_len <= (len) - ((const char *)a - (const char *)(buf)); \
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))
#define NLA_DATA(a) ((const void *)((const char *)(a) + NLA_HDRLEN))
#define NLA_LEN(a) ((int)(a)->nla_len - NLA_HDRLEN)
#define NLA_TYPE(a) ((a)->nla_type & NLA_TYPE_MASK)

/* Appends an attribute to a message held in a buffer of size cap: 0 or -ENOBUFS. */
int nla_put(struct nlmsghdr *h, size_t cap, uint16_t type, const void *data, size_t len);

#endif
