/* SPDX-License-Identifier: GPL-2.0-only */
/* abi2-pin PIN_ROOT RULE...: pins the socket hook of MPTCPIFY_ABI 2 and its
 * maps under PIN_ROOT as that version did (maps by name, the link as
 * "link", config.abi = 2), with the given rules, for the upgrade test.
 * RULE: comm=NAME, exclude=NAME or cgroup=PATH, each with ":saved" for a
 * rule of the configuration file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi2/mptcpify.h"
#include "mptcpify-abi2.skel.h"

static int die(const char *what)
{
	fprintf(stderr, "abi2-pin: %s: %s\n", what, strerror(errno));
	return 1;
}

static int add(int fd, const void *key, unsigned flags)
{
	int n = libbpf_num_possible_cpus();
	struct mptcpify_rule *v = calloc(n, sizeof(*v));

	for (int c = 0; v && c < n; c++)
		v[c].flags = flags;
	return v ? bpf_map_update_elem(fd, key, v, BPF_NOEXIST) : -1;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "config", "comm_rules", "comm_exclude", "cgroup_rules",
				       "stats", "events" };
	struct mptcpify_config cfg = { .abi = 2 };
	struct mptcpify_abi2_bpf *skel;
	struct bpf_link *link;
	char p[4096];
	__u32 zero = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: abi2-pin PIN_ROOT [comm=|exclude=|cgroup=VALUE[:saved]]...\n");
		return 2;
	}
	mkdir(argv[1], 0700);
	skel = mptcpify_abi2_bpf__open();
	if (!skel)
		return die("open");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", argv[1], names[i]);
		bpf_map__set_pin_path(bpf_object__find_map_by_name(skel->obj, names[i]), p);
	}
	if (mptcpify_abi2_bpf__load(skel))
		return die("load");
	for (int i = 2; i < argc; i++) {
		char *v = strchr(argv[i], '='), *saved = strstr(argv[i], ":saved");
		char key[MPTCPIFY_COMM_LEN] = "";
		unsigned flags = saved ? MPTCPIFY_RULE_SAVED : 0;

		if (!v)
			return fprintf(stderr, "abi2-pin: bad rule %s\n", argv[i]), 2;
		if (saved)
			*saved = '\0';
		*v++ = '\0';
		if (strcmp(argv[i], "cgroup") == 0) {
			struct { struct file_handle fh; __u64 id; } h = { .fh.handle_bytes = 8 };
			int mnt;

			if (name_to_handle_at(AT_FDCWD, v, &h.fh, &mnt, 0) < 0)
				return die(v);
			if (add(bpf_map__fd(skel->maps.cgroup_rules), &h.id, flags) < 0)
				return die("cgroup rule");
			cfg.n_cgroup++;
			continue;
		}
		strncpy(key, v, sizeof(key) - 1);
		if (add(bpf_map__fd(strcmp(argv[i], "comm") == 0 ? skel->maps.comm_rules :
				    skel->maps.comm_exclude), key, flags) < 0)
			return die("comm rule");
		if (strcmp(argv[i], "comm") == 0)
			cfg.n_comm++;
		else
			cfg.n_exclude++;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, 0) < 0)
		return die("config");
	link = bpf_program__attach(skel->progs.mptcpify_socket);
	if (!link)
		return die("attach");
	snprintf(p, sizeof(p), "%s/link", argv[1]);
	if (bpf_link__pin(link, p))
		return die("pin link");
	printf("pinned ABI 2 state under %s\n", argv[1]);
	return 0;
}
