/* SPDX-License-Identifier: GPL-2.0-only */
/* The state of a container that an OCI runtime writes on a hook's stdin
 * (runtime-spec, "State"): {"ociVersion", "id", "status", "pid", "bundle",
 * "annotations"}. Read with json-c; only this file knows the format. */
#ifndef MPTCPIFY_OCI_STATE_H
#define MPTCPIFY_OCI_STATE_H

#include <stddef.h>
#include <sys/types.h>

/* The state is small (annotations make most of it); a runtime that writes
 * more than this is not talking to a hook. */
#define OCI_STATE_MAX (1024 * 1024)

struct oci_state {
	char id[256];       /* the runtime's container id, control bytes escaped; may be cut */
	char status[32];    /* "creating", "created", "running", "stopped" */
	pid_t pid;          /* the container's first process on the host; 0: none */
};

/* Parses len bytes of buf. 0, or -EINVAL with the reason in why. */
int oci_state_parse(const char *buf, size_t len, struct oci_state *st, char *why, size_t why_len);

#endif
