// SPDX-License-Identifier: GPL-2.0-only
/* Other tools' programs on update_socket_protocol, found through the
 * kernel's list of BPF links: see hook_chain.h. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "hook_chain.h"
#include "mptcpify.h"
#include "util.h"

__u32 hook_link_prog_id(int link_fd)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);

	if (link_fd < 0 || bpf_obj_get_info_by_fd(link_fd, &li, &len) < 0)
		return 0;
	return li.prog_id;
}

static int tracing_target(int link_fd, struct bpf_link_info *li)
{
	__u32 len = sizeof(*li);

	memset(li, 0, sizeof(*li));
	if (bpf_obj_get_info_by_fd(link_fd, li, &len) < 0)
		return -errno;
	return li->type == BPF_LINK_TYPE_TRACING ? 0 : -EINVAL;
}

int hook_foreign_links(int link_fd, const __u32 *own_prog_ids, size_t n_own,
		       struct hook_link *out, size_t max)
{
	struct bpf_link_info ours;
	__u32 id = 0;
	size_t n = 0;
	int r = tracing_target(link_fd, &ours);

	if (r)
		return r;
	while (bpf_link_get_next_id(id, &id) == 0) {
		_cleanup_close_ int fd = bpf_link_get_fd_by_id(id);
		struct bpf_link_info li;
		bool own = false;

		if (fd < 0 || tracing_target(fd, &li) < 0)
			continue;  /* gone meanwhile, or not a tracing link */
		if (li.tracing.target_obj_id != ours.tracing.target_obj_id ||
		    li.tracing.target_btf_id != ours.tracing.target_btf_id)
			continue;
		for (size_t i = 0; i < n_own; i++)
			own |= li.prog_id == own_prog_ids[i];
		if (own)
			continue;
		if (out && n < max) {
			struct bpf_prog_info pi = {};
			__u32 len = sizeof(pi);
			_cleanup_close_ int pfd = bpf_prog_get_fd_by_id(li.prog_id);

			out[n] = (struct hook_link){ .link_id = id, .prog_id = li.prog_id };
			if (pfd >= 0 && bpf_obj_get_info_by_fd(pfd, &pi, &len) == 0)
				memcpy(out[n].prog_name, pi.name, sizeof(out[n].prog_name));
		}
		n++;
	}
	return (int)n;
}

int hook_chain_set(int config_fd, int on)
{
	struct mptcpify_config c = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(config_fd, &zero, &c) < 0)
		return -errno;
	c.chain_ends = !!on;
	/* hot changes in its lowest byte only, and the verdict tag is written
	 * back unchanged: a copy the hook sees half done is old or new. */
	c.hot = (c.hot & ~MPTCPIFY_HOT_CHAIN) | (on ? MPTCPIFY_HOT_CHAIN : 0);
	return bpf_map_update_elem(config_fd, &zero, &c, 0) < 0 ? -errno : 0;
}
