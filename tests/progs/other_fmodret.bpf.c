// SPDX-License-Identifier: GPL-2.0-only
/* A second, unrelated fmod_ret program on update_socket_protocol, standing in
 * for another tool: it turns TCP sockets of tasks named "otherprog" into
 * MPTCP and returns 0 for everything else. Used to show that mptcpify and
 * such a program both keep working, attached in either order. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

__u64 calls = 0;

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(other_fmodret, int family, int type, int protocol)
{
	static const char name[] = "otherprog";
	char comm[16] = {};

	__sync_fetch_and_add(&calls, 1);
	bpf_get_current_comm(comm, sizeof(comm));
	if (family != 2 || (type & 0xf) != 1 || protocol != 0)
		return 0;
	for (int i = 0; i < (int)sizeof(name); i++)
		if (comm[i] != name[i])
			return 0;
	return 262;
}

/* The floor of any design on this hook: an fmod_ret program that does
 * nothing (`other-fmodret LINK_PIN --empty`), for the cost benchmark. */
SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(empty_fmodret, int family, int type, int protocol)
{
	return 0;
}
