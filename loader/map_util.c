// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcpify.h"
#include "map_util.h"

int map_ncpus(void)
{
	static int n;

	if (!n) {
		n = libbpf_num_possible_cpus();
		if (n <= 0)
			n = 1;
	}
	return n;
}

int map_walk_keys(int fd, size_t key_size, void (*fn)(const void *key, void *arg), void *arg,
		  __u32 *n)
{
	char key[MPTCPIFY_CGROUP_PATH_LEN], next[MPTCPIFY_CGROUP_PATH_LEN];
	void *prev = NULL;

	*n = 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		(*n)++;
		memcpy(key, next, key_size);
		prev = key;
		if (fn)
			fn(key, arg);
	}
	return errno == ENOENT ? 0 : -errno;
}

int map_count_keys(int fd, size_t key_size, __u32 *n)
{
	return map_walk_keys(fd, key_size, NULL, NULL, n);
}

static void set_name_bit(const void *key, void *words)
{
	__u64 w[2];
	__u32 bit;

	memcpy(w, key, sizeof(w));
	bit = mptcpify_name_hash(w[0], w[1] & mptcpify_name_last_word_mask());
	((__u64 *)words)[bit / 64] |= 1ULL << (bit % 64);
}

int name_filter_scan(int filter_fd, int comm_fd, int exclude_fd, int deny_fd, __u32 *n_comm,
		     __u32 *n_exclude, __u32 *n_deny)
{
	static __u64 words[MPTCPIFY_NAME_FILTER_WORDS];
	__u32 zero = 0;
	int r;

	memset(words, 0, sizeof(words));
	r = map_walk_keys(comm_fd, MPTCPIFY_COMM_LEN, set_name_bit, words, n_comm);
	if (!r)
		r = map_walk_keys(exclude_fd, MPTCPIFY_COMM_LEN, set_name_bit, words, n_exclude);
	*n_deny = 0;
	if (!r && deny_fd >= 0)
		r = map_walk_keys(deny_fd, MPTCPIFY_COMM_LEN, set_name_bit, words, n_deny);
	if (r || filter_fd < 0)
		return r;
	/* One write for the whole bitmap (ABI 7: a single value). Bits of
	 * names still present are set in the old value and in the new one
	 * alike, so however the copy is seen half done, no name rule is
	 * missed while it is rewritten. */
	return bpf_map_update_elem(filter_fd, &zero, words, 0) < 0 ? -errno : 0;
}

int config_publish(int config_fd, __u32 generation)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mptcpify_config *c = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
					 config_fd, 0);

	if (c == MAP_FAILED)
		return -errno;
	__atomic_store_n(&c->generation, generation, __ATOMIC_RELAXED);
	__atomic_store_n(&c->verdict_tag, mptcpify_verdict_tag(generation), __ATOMIC_RELEASE);
	munmap(c, page);
	return 0;
}

int name_filter_write(int filter_fd, int comm_fd, int exclude_fd, int deny_fd)
{
	__u32 n_comm, n_exclude, n_deny;

	return name_filter_scan(filter_fd, comm_fd, exclude_fd, deny_fd, &n_comm, &n_exclude, &n_deny);
}
