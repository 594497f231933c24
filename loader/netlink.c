// SPDX-License-Identifier: GPL-2.0-only
/* Netlink by hand: the messages are few and fixed (see netlink.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"
#include "util.h"

int nl_open(int protocol)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	int one = 1;

	if (fd < 0)
		return -errno;
	/* Extended acks are optional: older kernels ignore the option. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int nl_transact(int fd, struct nlmsghdr *req, nl_msg_fn fn, void *userdata)
{
	static uint32_t seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	/* Dumps come in messages of up to a page or two; 32 KiB takes any. */
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int result = 0;

	req->nlmsg_seq = ++seq;
	req->nlmsg_pid = 0;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump that failed after it started says so here. */
				int err = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err < 0 ? err : result;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				/* The ack (error 0) ends a request that was not a dump. */
				return e->error ? e->error : result;
			}
			if (!result) {
				int r = fn(h, userdata);

				if (r < 0)
					result = r;  /* keep reading to the end of the dump */
			}
			if (!(h->nlmsg_flags & NLM_F_MULTI) && !(req->nlmsg_flags & NLM_F_ACK))
				return result;
		}
	}
}

void nl_drain(int fd)
{
	char buf[8192];

	/* Each read of an unfinished dump makes the kernel fill in more,
	 * until NLMSG_DONE: then nothing is left and recv() says EAGAIN. */
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n <= 0 && !(n < 0 && errno == EINTR))
			return;
	}
}

int nla_put(struct nlmsghdr *h, size_t cap, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(h->nlmsg_len);
	struct nlattr *a = (struct nlattr *)((char *)h + off);

	if (off + NLA_ALIGN(NLA_HDRLEN + len) > cap)
		return -ENOBUFS;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
	h->nlmsg_len = off + NLA_ALIGN(a->nla_len);
	return 0;
}
