/* SPDX-License-Identifier: GPL-2.0-only */
/* A small streaming JSON writer for --json output: the caller opens and
 * closes objects and arrays, commas and escaping are handled here. */
#ifndef MPTCPIFY_JSON_H
#define MPTCPIFY_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *out;
	int depth;
	bool need_comma[32];
};

void json_init(struct json *j, FILE *out);
void json_open_object(struct json *j, const char *key);
void json_close_object(struct json *j);
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_u64(struct json *j, const char *key, uint64_t value);
void json_i64(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline (one document per line, for monitor). */
void json_end(struct json *j);

#endif
