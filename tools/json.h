/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer for the tool's --json output. */
#ifndef ANYRING_TOOL_JSON_H
#define ANYRING_TOOL_JSON_H

#include <stdbool.h>
#include <stdio.h>

struct json {
	FILE *out;
	int depth;
	bool need_comma[32];
};

void json_begin(struct json *j, FILE *out);
void json_end(struct json *j);
/* Open an object or array; key is NULL inside arrays. */
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
void json_close_object(struct json *j);
void json_close_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_int(struct json *j, const char *key, long long value);
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);

#endif
