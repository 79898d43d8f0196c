/* SPDX-License-Identifier: MIT */
#include "json.h"

static void separator(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
	if (key)
		fprintf(j->out, "\"%s\":", key);
}

static void open_container(struct json *j, const char *key, char c)
{
	separator(j, key);
	fputc(c, j->out);
	j->depth++;
	j->need_comma[j->depth] = false;
}

void json_begin(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
	open_container(j, NULL, '{');
}

void json_end(struct json *j)
{
	json_close_object(j);
	fputc('\n', j->out);
}

void json_object(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_array(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_close_object(struct json *j)
{
	j->depth--;
	fputc('}', j->out);
}

void json_close_array(struct json *j)
{
	j->depth--;
	fputc(']', j->out);
}

void json_string(struct json *j, const char *key, const char *value)
{
	separator(j, key);
	fputc('"', j->out);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', j->out);
		if ((unsigned char)*p < 0x20)
			fprintf(j->out, "\\u%04x", *p);
		else
			fputc(*p, j->out);
	}
	fputc('"', j->out);
}

void json_int(struct json *j, const char *key, long long value)
{
	separator(j, key);
	fprintf(j->out, "%lld", value);
}

void json_double(struct json *j, const char *key, double value)
{
	separator(j, key);
	fprintf(j->out, "%.3f", value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	separator(j, key);
	fputs(value ? "true" : "false", j->out);
}
