/* SPDX-License-Identifier: GPL-2.0-only */
/* other-fmodret LINK_PIN [--empty]: loads other_fmodret.bpf.c, attaches its
 * program (or, with --empty, the one that only returns 0) and pins the link
 * at LINK_PIN (remove the pin to detach it). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "other_fmodret.skel.h"

int main(int argc, char **argv)
{
	struct other_fmodret_bpf *skel;
	struct bpf_link *link;
	int err;

	bool empty = argc == 3 && strcmp(argv[2], "--empty") == 0;

	if (argc != 2 && !empty) {
		fprintf(stderr, "usage: other-fmodret LINK_PIN [--empty]\n");
		return 2;
	}
	skel = other_fmodret_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "other-fmodret: load: %s\n", strerror(errno));
		return 1;
	}
	link = bpf_program__attach(empty ? skel->progs.empty_fmodret : skel->progs.other_fmodret);
	if (!link) {
		fprintf(stderr, "other-fmodret: attach: %s\n", strerror(errno));
		return 1;
	}
	err = bpf_link__pin(link, argv[1]);
	if (err) {
		fprintf(stderr, "other-fmodret: pin %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	printf("attached, link pinned at %s\n", argv[1]);
	return 0;
}
