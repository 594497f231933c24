/* SPDX-License-Identifier: GPL-2.0-only */
/* abi3-pin ... abi6-pin PIN_ROOT RULE...: pins the programs of
 * MPTCPIFY_ABI 3, 4, 5 or 6 (tests/progs/abiN, that version's own BPF source)
 * and their maps
 * under PIN_ROOT as that version did: maps by name, config.abi = N, the
 * cgroup trackers as link_cgroup_mkdir/rmdir, backstop copies as
 * link_backstop1..3 where the kernel preempts inside the hook (preemption
 * mode full or lazy), for ABI 5 the socket option programs as that
 * version's loader pinned them (link_refset/link_refget; prog_aud* always,
 * link_aud* while an audit rule exists), the socket hook as "link", last.
 * Built once per ABI with -DABI=N (tests/progs/meson.build), for the
 * upgrade tests.
 * RULE: comm=NAME, exclude=NAME or cgroup=PATH (an absolute path under
 * /sys/fs/cgroup, made a path rule selecting that cgroup), each with
 * ":saved" for a rule of the configuration file; from ABI 5 also
 * audit=NAME (an audit rule by name, flags as comm rules); from ABI 6
 * deny=NAME (a deny name), denycg=PATH and exclcg=PATH (deny and exclude
 * cgroup rules, with the cgroup's live id, as that version's veto_rules.c
 * added them). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcpify.h"   /* the copy in tests/progs/abiN */
#if ABI == 3
#include "mptcpify-abi3.skel.h"
typedef struct mptcpify_abi3_bpf skel_t;
#define skel_open mptcpify_abi3_bpf__open
#define skel_load mptcpify_abi3_bpf__load
#elif ABI == 4
#include "mptcpify-abi4.skel.h"
typedef struct mptcpify_abi4_bpf skel_t;
#define skel_open mptcpify_abi4_bpf__open
#define skel_load mptcpify_abi4_bpf__load
#elif ABI == 5
#include "mptcpify-abi5.skel.h"
typedef struct mptcpify_abi5_bpf skel_t;
#define skel_open mptcpify_abi5_bpf__open
#define skel_load mptcpify_abi5_bpf__load
#elif ABI == 6
#include "mptcpify-abi6.skel.h"
typedef struct mptcpify_abi6_bpf skel_t;
#define skel_open mptcpify_abi6_bpf__open
#define skel_load mptcpify_abi6_bpf__load
#else
#error "ABI must be 3, 4, 5 or 6"
#endif
_Static_assert(MPTCPIFY_ABI == ABI, "tests/progs/abiN/mptcpify.h is that ABI's");

#define CGROUP2_ROOT "/sys/fs/cgroup"

static const char *const map_names[] = {
	"config", "comm_rules", "comm_exclude", "cgroup_rules", "stats", "events",
	"cgroup_paths", "cgroup_globs", "retired_hits", "event_readers",
#if ABI >= 4
	"name_filter",
#endif
#if ABI >= 5
	"sockopt_refused", "sockopt_audit", "audit_config", "audit_comms", "audit_cgroups",
	"compat_stats",
#endif
#if ABI >= 6
	"comm_deny", "veto_paths", "cgroup_vetoes", "auto_exclude",
#endif
};

static int die(const char *what)
{
	fprintf(stderr, "abi%d-pin: %s: %s\n", ABI, what, strerror(errno));
	return 1;
}

static int add_name(int fd, const char *name, unsigned flags)
{
	int n = libbpf_num_possible_cpus();
	struct mptcpify_rule *v = calloc(n, sizeof(*v));
	char key[MPTCPIFY_COMM_LEN] = "";

	strncpy(key, name, sizeof(key) - 1);
	for (int c = 0; v && c < n; c++)
		v[c].flags = flags;
	return v ? bpf_map_update_elem(fd, key, v, BPF_NOEXIST) : -1;
}

#if ABI >= 4
static void set_name_bit(__u64 *words, const char *name)
{
	__u64 w[2] = {};
	__u32 bit;

	strncpy((char *)w, name, MPTCPIFY_COMM_LEN - 1);
	bit = mptcpify_name_hash(w[0], w[1] & mptcpify_name_last_word_mask());
	words[bit / 64] |= 1ULL << (bit % 64);
}
#endif

static const char *pin(char *buf, const char *root, const char *name)
{
	snprintf(buf, 4096, "%s/%s", root, name);
	return buf;
}

static int pin_link(struct bpf_program *prog, const char *root, const char *name)
{
	struct bpf_link *link = bpf_program__attach(prog);
	char p[4096];

	return link ? bpf_link__pin(link, pin(p, root, name)) : -1;
}

int main(int argc, char **argv)
{
#if ABI >= 4
	static __u64 words[MPTCPIFY_NAME_FILTER_WORDS];
#endif
	struct mptcpify_config cfg = { .abi = ABI };
#if ABI >= 5
	struct mptcpify_audit_config audit = {};
#endif
	LIBBPF_OPTS(bpf_test_run_opts, run);
	__u32 zero = 0, number = 0;
	skel_t *skel;
	char p[4096];

	if (argc < 2) {
		fprintf(stderr, "usage: abi%d-pin PIN_ROOT [comm=|exclude=|cgroup=VALUE[:saved]]...\n", ABI);
		return 2;
	}
	mkdir(argv[1], 0700);
	skel = skel_open();
	if (!skel)
		return die("open");
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", argv[1], map_names[i]);
		bpf_map__set_pin_path(bpf_object__find_map_by_name(skel->obj, map_names[i]), p);
	}
	if (skel_load(skel))
		return die("load");
	/* As that version's loader: the probe records MPTCP's pernet id and
	 * tells the preemption mode (plus one). */
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mptcpify_preempt_mode), &run) < 0)
		return die("preemption probe");
	for (int i = 2; i < argc; i++) {
		char *v = strchr(argv[i], '='), *saved = strstr(argv[i], ":saved");
		unsigned flags = saved ? MPTCPIFY_RULE_SAVED : 0;

		if (!v)
			return fprintf(stderr, "abi%d-pin: bad rule %s\n", ABI, argv[i]), 2;
		if (saved)
			*saved = '\0';
		*v++ = '\0';
#if ABI >= 6
		if (strcmp(argv[i], "denycg") == 0 || strcmp(argv[i], "exclcg") == 0) {
			bool deny = argv[i][0] == 'd';
			struct { struct file_handle fh; __u64 id; } h = { .fh.handle_bytes = 8 };
			unsigned rflags = flags | (deny ? MPTCPIFY_RULE_DENY : 0);
			struct mptcpify_path_rule pr = { .number = ++number, .flags = rflags };
			struct mptcpify_cgroup_rule cr = { .flags = rflags, .number = number };
			char key[MPTCPIFY_CGROUP_PATH_LEN] = "";
			const char *rel = v + strlen(CGROUP2_ROOT);
			unsigned depth = 0;
			int mnt;

			if (strncmp(v, CGROUP2_ROOT "/", strlen(CGROUP2_ROOT) + 1) != 0 ||
			    name_to_handle_at(AT_FDCWD, v, &h.fh, &mnt, 0) < 0)
				return die(v);
			/* The path, and the rule's kind in the key's last byte. */
			strncpy(key, rel, MPTCPIFY_CGROUP_PATH_MAX);
			key[MPTCPIFY_CGROUP_PATH_LEN - 1] = deny ? MPTCPIFY_VETO_DENY : MPTCPIFY_VETO_EXCLUDE;
			for (const char *c = rel; *c; c++)
				depth += *c == '/';
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.veto_paths), key, &pr, 0) < 0 ||
			    bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_vetoes), &h.id, &cr, 0) < 0)
				return die("deny or exclude cgroup rule");
			cfg.n_veto += 2;  /* the path and its live id */
			cfg.veto_levels |= 1u << depth;
			if (deny)
				cfg.veto_flags |= MPTCPIFY_VETO_F_DENY_CGROUP;
			continue;
		}
		if (strcmp(argv[i], "deny") == 0) {
			if (add_name(bpf_map__fd(skel->maps.comm_deny), v, flags) < 0)
				return die("deny rule");
			cfg.n_deny++;
			set_name_bit(words, v);
			continue;
		}
#endif
		if (strcmp(argv[i], "cgroup") == 0) {
			struct { struct file_handle fh; __u64 id; } h = { .fh.handle_bytes = 8 };
			struct mptcpify_path_rule pr = { .number = ++number, .flags = flags };
			struct mptcpify_cgroup_rule cr = { .flags = flags, .number = number };
			char key[MPTCPIFY_CGROUP_PATH_LEN] = "";
			const char *rel = v + strlen(CGROUP2_ROOT);
			unsigned depth = 0;
			int mnt;

			if (strncmp(v, CGROUP2_ROOT "/", strlen(CGROUP2_ROOT) + 1) != 0)
				return fprintf(stderr, "abi%d-pin: %s is not under %s\n", ABI, v,
					       CGROUP2_ROOT), 2;
			if (name_to_handle_at(AT_FDCWD, v, &h.fh, &mnt, 0) < 0)
				return die(v);
			strncpy(key, rel, sizeof(key) - 1);
			for (const char *c = rel; *c; c++)
				depth += *c == '/';
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_paths), key, &pr, 0) < 0 ||
			    bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_rules), &h.id, &cr, 0) < 0)
				return die("cgroup rule");
			cfg.n_cgroup += 2;  /* the path rule and its live id */
			cfg.levels |= 1u << depth;
			continue;
		}
#if ABI >= 5
		if (strcmp(argv[i], "audit") == 0) {
			char key[MPTCPIFY_COMM_LEN] = "";

			strncpy(key, v, sizeof(key) - 1);
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.audit_comms), key, &flags,
						BPF_NOEXIST) < 0)
				return die("audit rule");
			audit.n_comm++;
			continue;
		}
#endif
		if (add_name(bpf_map__fd(strcmp(argv[i], "comm") == 0 ? skel->maps.comm_rules :
					 skel->maps.comm_exclude), v, flags) < 0)
			return die("comm rule");
		if (strcmp(argv[i], "comm") == 0)
			cfg.n_comm++;
		else
			cfg.n_exclude++;
#if ABI >= 4
		set_name_bit(words, v);
#endif
	}
#if ABI >= 4
	for (__u32 w = 0; w < MPTCPIFY_NAME_FILTER_WORDS; w++)
		if (words[w] && bpf_map_update_elem(bpf_map__fd(skel->maps.name_filter), &w,
						    &words[w], 0) < 0)
			return die("name filter");
	cfg.generation = 1;
#endif
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, 0) < 0)
		return die("config");
	if (pin_link(skel->progs.mptcpify_cgroup_mkdir, argv[1], "link_cgroup_mkdir") ||
	    pin_link(skel->progs.mptcpify_cgroup_rmdir, argv[1], "link_cgroup_rmdir"))
		return die("cgroup trackers");
#if ABI >= 5
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.audit_config), &zero, &audit, 0) < 0)
		return die("audit config");
	if (bpf_program__pin(skel->progs.mptcpify_audset, pin(p, argv[1], "prog_audset")) ||
	    bpf_program__pin(skel->progs.mptcpify_audget, pin(p, argv[1], "prog_audget")) ||
	    bpf_program__pin(skel->progs.mptcpify_audsol, pin(p, argv[1], "prog_audsol")))
		return die("audit programs");
	if (audit.n_comm &&
	    (pin_link(skel->progs.mptcpify_audset, argv[1], "link_audset") ||
	     pin_link(skel->progs.mptcpify_audget, argv[1], "link_audget") ||
	     pin_link(skel->progs.mptcpify_audsol, argv[1], "link_audsol")))
		return die("audit links");
	if (pin_link(skel->progs.mptcpify_refset, argv[1], "link_refset") ||
	    pin_link(skel->progs.mptcpify_refget, argv[1], "link_refget"))
		return die("refusal programs");
#endif
	if (run.retval >= 3 &&  /* preempt_dynamic_mode + 1: full 3, lazy 4 */
	    (pin_link(skel->progs.mptcpify_back1, argv[1], "link_backstop1") ||
	     pin_link(skel->progs.mptcpify_back2, argv[1], "link_backstop2") ||
	     pin_link(skel->progs.mptcpify_back3, argv[1], "link_backstop3")))
		return die("backstops");
	if (pin_link(skel->progs.mptcpify_socket, argv[1], "link"))
		return die("socket hook");
	printf("pinned ABI %d state under %s (%s backstops)\n", ABI, argv[1],
	       run.retval >= 3 ? "with" : "no");
	return 0;
}
