/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for what the OCI hook reads: the runtime's state JSON
 * (loader/oci_state.c) and container ids in cgroup paths
 * (loader/containers.c). TAP, the plan printed last. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "containers.h"
#include "oci_state.h"
#include "tap.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void state_ok(const char *name, const char *json, const char *id, int pid, const char *status)
{
	struct oci_state st;
	char why[256] = "";
	int r = oci_state_parse(json, strlen(json), &st, why, sizeof(why));

	if (!check(r == 0 && strcmp(st.id, id) == 0 && st.pid == pid && strcmp(st.status, status) == 0,
		   "state: %s", name))
		printf("# r=%d why='%s' id='%s' pid=%d status='%s'\n", r, why, st.id, (int)st.pid, st.status);
}

static void state_bad(const char *name, const char *json, size_t len, const char *want)
{
	struct oci_state st;
	char why[256] = "";
	int r = oci_state_parse(json, len, &st, why, sizeof(why));

	if (!check(r == -EINVAL && strstr(why, want), "state refused: %s", name))
		printf("# r=%d why='%s' (wanted '%s')\n", r, why, want);
}

/* A literal, NULs inside included. */
#define BAD(name, literal, want) state_bad(name, literal, sizeof(literal) - 1, want)

static void states(void)
{
	static char big[OCI_STATE_MAX + 2];
	const char *bad;

	state_ok("podman's createRuntime state",
		 "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"" ID "\",\"status\":\"created\",\"pid\":1234,"
		 "\"bundle\":\"/var/lib/containers/storage/vfs-containers/" ID "/userdata\","
		 "\"annotations\":{\"io.mptcpify.enable\":\"true\",\"io.podman.annotations.autoremove\":\"TRUE\"}}",
		 ID, 1234, "created");
	state_ok("members in another order, whitespace after",
		 "{ \"pid\": 7, \"status\": \"created\", \"id\": \"abc\" }\n\n", "abc", 7, "created");
	state_ok("no pid (a poststop state)", "{\"id\":\"abc\",\"status\":\"stopped\"}", "abc", 0, "stopped");
	state_ok("control bytes in the id are escaped", "{\"id\":\"a\\nb\",\"pid\":1}", "a\\x0ab", 1, "");
	BAD("not JSON", "nonsense", "not JSON");
	BAD("empty", "", "not JSON");
	BAD("cut short", "{\"id\":\"abc\",\"pid\":", "ends too early");
	BAD("an array", "[1,2]", "not a JSON object");
	BAD("no id", "{\"pid\":1}", "no container id");
	BAD("empty id", "{\"id\":\"\",\"pid\":1}", "no container id");
	BAD("pid as a string", "{\"id\":\"a\",\"pid\":\"1\"}", "not a number");
	BAD("pid as a float", "{\"id\":\"a\",\"pid\":1.5}", "not a number");
	BAD("negative pid", "{\"id\":\"a\",\"pid\":-1}", "out of range");
	BAD("huge pid", "{\"id\":\"a\",\"pid\":99999999999}", "out of range");
	bad = "{\"id\":\"a\",\"pid\":1} {\"id\":\"b\"}";
	state_bad("two documents", bad, strlen(bad), "data after");
	memset(big, ' ', sizeof(big));
	state_bad("larger than 1 MiB", big, sizeof(big), "larger than");
	/* A NUL inside the buffer ends nothing: the length does. */
	BAD("a NUL after the object", "{\"id\":\"a\"}\0x", "data after");
}

static void path_is(const char *path, const char *want)
{
	char id[CONTAINER_ID_LEN + 1] = "";
	int r = container_of_cgroup_path(path, id);

	if (want)
		check(r == 0 && strcmp(id, want) == 0, "container of %s", path);
	else
		check(r == -ENOENT, "no container in %s", path);
}

static void paths(void)
{
	const char *other = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

	path_is("/sys/fs/cgroup/machine.slice/libpod-" ID ".scope/container", ID);
	path_is("/machine.slice/libpod-" ID ".scope", ID);
	path_is("/machine.slice/machine-libpod_pod_x.slice/libpod-" ID ".scope/container", ID);
	path_is("/libpod_parent/libpod-" ID, ID);
	path_is("/system.slice/docker-" ID ".scope", ID);
	path_is("/docker/" ID, ID);
	path_is("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/crio-" ID ".scope", ID);
	path_is("/kubepods.slice/kubepods-burstable.slice/x.slice/cri-containerd-" ID ".scope", ID);
	path_is("/kubepods/besteffort/pod1234/" ID, ID);
	/* The innermost id wins. */
	path_is("/docker/" ID "/docker/" "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", other);
	/* As another cgroup namespace shows it. */
	path_is("/../../machine.slice/libpod-" ID ".scope/container", ID);
	path_is("/machine.slice/libpod-conmon-" ID ".scope", NULL);
	path_is("/system.slice/nginx.service", NULL);
	path_is("/", NULL);
	path_is("", NULL);
	path_is("/machine.slice/libpod-" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" ".scope", NULL);
	path_is("/machine.slice/libpod-" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" ".scope", NULL);
	path_is("/machine.slice/libpod-" ID "0.scope", NULL);
	path_is("/machine.slice/other-" ID ".scope", NULL);
}

int main(void)
{
	states();
	paths();
	printf("1..%u\n", n_tests);
	return n_failed ? 1 : 0;
}
