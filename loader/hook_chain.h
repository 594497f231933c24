/* SPDX-License-Identifier: GPL-2.0-only */
/* Other programs on the socket hook. The kernel runs the fmod_ret programs
 * of update_socket_protocol newest first and stops at the first that
 * returns non-zero. mptcpify ends the chain for the sockets it declines
 * (config.chain_ends), which only takes a say away from programs attached
 * before it: with any other program on the hook when it loads, it returns 0
 * for them instead. Works on link ids and fds only (below state.c). */
#ifndef MPTCPIFY_HOOK_CHAIN_H
#define MPTCPIFY_HOOK_CHAIN_H

#include <stddef.h>
#include <linux/types.h>

struct hook_link {
	__u32 link_id;
	__u32 prog_id;
	char prog_name[16];
};

/* The tracing links attached to the same kernel function as link_fd (our
 * primary's) whose program is none of own_prog_ids: up to max into out
 * (may be NULL), and how many there are; -errno on failure. */
int hook_foreign_links(int link_fd, const __u32 *own_prog_ids, size_t n_own,
		       struct hook_link *out, size_t max);

/* The program id of a link, 0 when it cannot be read. */
__u32 hook_link_prog_id(int link_fd);

/* Sets config.chain_ends (and its mirror in config.hot) in the config map
 * to on; the rest of the value is kept. 0 or -errno. */
int hook_chain_set(int config_fd, int on);

#endif
