// SPDX-License-Identifier: GPL-2.0-only
/* MPTCP limits and endpoints over generic netlink, by hand: resolve the
 * family id, then MPTCP_PM_CMD_GET_LIMITS and an MPTCP_PM_CMD_GET_ADDR dump. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include "mptcp_pm.h"
#include "netlink.h"
#include "util.h"

struct genl_req {
	struct nlmsghdr h;
	struct genlmsghdr g;
	char attrs[64];
};

static void genl_init(struct genl_req *req, uint16_t family, uint8_t cmd, uint8_t version,
		      uint16_t flags)
{
	memset(req, 0, sizeof(*req));
	req->h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->h.nlmsg_type = family;
	req->h.nlmsg_flags = NLM_F_REQUEST | flags;
	req->g.cmd = cmd;
	req->g.version = version;
}

#define GENL_ATTRS(h) ((const char *)NLMSG_DATA(h) + GENL_HDRLEN)
#define GENL_ATTRLEN(h) ((int)(h)->nlmsg_len - (int)NLMSG_LENGTH(GENL_HDRLEN))

static int on_family(const struct nlmsghdr *h, void *userdata)
{
	uint16_t *id = userdata;

	NLA_FOREACH(a, GENL_ATTRS(h), GENL_ATTRLEN(h))
		if (NLA_TYPE(a) == CTRL_ATTR_FAMILY_ID && NLA_LEN(a) >= 2)
			memcpy(id, NLA_DATA(a), sizeof(*id));
	return 0;
}

static int on_limits(const struct nlmsghdr *h, void *userdata)
{
	struct mptcp_pm_state *pm = userdata;

	NLA_FOREACH(a, GENL_ATTRS(h), GENL_ATTRLEN(h)) {
		if (NLA_LEN(a) < 4)
			continue;
		if (NLA_TYPE(a) == MPTCP_PM_ATTR_SUBFLOWS)
			memcpy(&pm->subflows, NLA_DATA(a), 4);
		else if (NLA_TYPE(a) == MPTCP_PM_ATTR_RCV_ADD_ADDRS)
			memcpy(&pm->add_addr_accepted, NLA_DATA(a), 4);
	}
	return 0;
}

static int on_addr(const struct nlmsghdr *h, void *userdata)
{
	struct mptcp_pm_state *pm = userdata;
	struct mptcp_endpoint ep = {};

	NLA_FOREACH(a, GENL_ATTRS(h), GENL_ATTRLEN(h)) {
		if (NLA_TYPE(a) != MPTCP_PM_ATTR_ADDR)
			continue;
		NLA_FOREACH(b, NLA_DATA(a), NLA_LEN(a)) {
			int t = NLA_TYPE(b), n = NLA_LEN(b);
			const void *p = NLA_DATA(b);

			if (t == MPTCP_PM_ADDR_ATTR_FAMILY && n >= 2) {
				uint16_t f;

				memcpy(&f, p, 2);
				ep.family = f;
			} else if (t == MPTCP_PM_ADDR_ATTR_ID && n >= 1) {
				ep.id = *(const uint8_t *)p;
			} else if (t == MPTCP_PM_ADDR_ATTR_ADDR4 && n >= 4) {
				memcpy(&ep.addr, p, 4);
			} else if (t == MPTCP_PM_ADDR_ATTR_ADDR6 && n >= 16) {
				memcpy(&ep.addr, p, 16);
			} else if (t == MPTCP_PM_ADDR_ATTR_PORT && n >= 2) {
				memcpy(&ep.port, p, 2);
			} else if (t == MPTCP_PM_ADDR_ATTR_FLAGS && n >= 4) {
				memcpy(&ep.flags, p, 4);
			} else if (t == MPTCP_PM_ADDR_ATTR_IF_IDX && n >= 4) {
				memcpy(&ep.ifindex, p, 4);
			}
		}
	}
	if (pm->n_ep < ELEMENTSOF(pm->ep))
		pm->ep[pm->n_ep] = ep;
	pm->n_ep++;
	return 0;
}

int mptcp_pm_read(struct mptcp_pm_state *pm)
{
	_cleanup_close_ int fd = nl_open(NETLINK_GENERIC);
	struct genl_req req;
	uint16_t family = 0;
	int r;

	memset(pm, 0, sizeof(*pm));
	if (fd < 0)
		return fd;
	genl_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	r = nla_put(&req.h, sizeof(req), CTRL_ATTR_FAMILY_NAME, MPTCP_PM_NAME, sizeof(MPTCP_PM_NAME));
	if (!r)
		r = nl_transact(fd, &req.h, on_family, &family);
	if (r)
		return r;
	if (!family)
		return -ENOENT;
	genl_init(&req, family, MPTCP_PM_CMD_GET_LIMITS, MPTCP_PM_VER, 0);
	r = nl_transact(fd, &req.h, on_limits, pm);
	if (r)
		return r;
	genl_init(&req, family, MPTCP_PM_CMD_GET_ADDR, MPTCP_PM_VER, NLM_F_DUMP);
	return nl_transact(fd, &req.h, on_addr, pm);
}

void mptcp_endpoint_flags(uint32_t flags, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ MPTCP_PM_ADDR_FLAG_SIGNAL, "signal" },
		{ MPTCP_PM_ADDR_FLAG_SUBFLOW, "subflow" },
		{ MPTCP_PM_ADDR_FLAG_BACKUP, "backup" },
		{ MPTCP_PM_ADDR_FLAG_FULLMESH, "fullmesh" },
		/* Newer kernels: defined here, Debian 12's header may lack it. */
		{ 1u << 4, "implicit" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (flags & names[i].bit)
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? " " : "", names[i].name);
	if (!off)
		snprintf(buf, len, "(no flags)");
}
