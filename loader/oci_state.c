// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "oci_state.h"
#include "util.h"

static int invalid(char *why, size_t len, const char *fmt, const char *arg)
{
	snprintf(why, len, fmt, arg);
	return -EINVAL;
}

/* A string member, or NULL when absent or not a string. */
static const char *member_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int read_members(struct json_object *root, struct oci_state *st, char *why, size_t why_len)
{
	struct json_object *pid;
	const char *s;
	int64_t p;

	if (!json_object_is_type(root, json_type_object))
		return invalid(why, why_len, "the OCI state is not a JSON object%s", "");
	s = member_string(root, "id");
	if (!s || !*s)
		return invalid(why, why_len, "the OCI state has no container id%s", "");
	printable(s, st->id, sizeof(st->id));
	s = member_string(root, "status");
	snprintf(st->status, sizeof(st->status), "%s", s ? s : "");
	/* The runtime-spec: "pid ... MUST be set when status is created or
	 * running" (the host's pid; absent or 0 otherwise). */
	if (!json_object_object_get_ex(root, "pid", &pid))
		return 0;
	if (!json_object_is_type(pid, json_type_int))
		return invalid(why, why_len, "the OCI state's pid is not a number%s", "");
	errno = 0;
	p = json_object_get_int64(pid);
	if (p < 0 || p > INT_MAX || errno)
		return invalid(why, why_len, "the OCI state's pid is out of range (%s)",
			       json_object_to_json_string(pid));
	st->pid = (pid_t)p;
	return 0;
}

int oci_state_parse(const char *buf, size_t len, struct oci_state *st, char *why, size_t why_len)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error e;
	size_t end;
	int r;

	*st = (struct oci_state) {};
	if (len > OCI_STATE_MAX)
		return invalid(why, why_len, "the OCI state is larger than %s", "1 MiB");
	tok = json_tokener_new();
	if (!tok)
		return invalid(why, why_len, "out of memory%s", "");
	root = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		json_object_put(root);
		return invalid(why, why_len, "the OCI state on stdin is not JSON: %s",
			       e == json_tokener_continue ? "it ends too early" : json_tokener_error_desc(e));
	}
	/* One document: whitespace may follow it, nothing else. */
	for (; end < len; end++)
		if (!strchr(" \t\r\n", buf[end])) {
			json_object_put(root);
			return invalid(why, why_len, "the OCI state on stdin has data after its "
				       "JSON object%s", "");
		}
	r = read_members(root, st, why, why_len);
	json_object_put(root);
	return r;
}
