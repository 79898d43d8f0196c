/* SPDX-License-Identifier: MIT */
/*
 * `anyring run --emulate`: the command runs with libanyring-preload.so,
 * found next to the tool (build tree) or where it is installed; a
 * statically linked command cannot load it, which is said up front.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define PRELOAD_NAME "libanyring-preload.so"

/* The preload beside this tool: build/tools -> build/compat, or lib/anyring. */
static int find_preload(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *dir;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = dirname(self);
	snprintf(out, len, "%s/../compat/" PRELOAD_NAME, dir);
	if (!access(out, R_OK))
		return 0;
	snprintf(out, len, "%s/%s/" PRELOAD_NAME, dir, ANYRING_PRELOAD_FROM_BINDIR);
	return access(out, R_OK) ? -ENOENT : 0;
}

/* Where execvp would find cmd. */
static bool resolve(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return true;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t dlen = strcspn(p, ":");

		snprintf(out, len, "%.*s/%s", (int)dlen, p, cmd);
		if (!access(out, X_OK))
			return true;
		p += dlen + (p[dlen] == ':');
	}
	return false;
}

/* An ELF executable without a program interpreter loads no preload. */
static bool is_static_elf(const char *file)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool interp = false;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return false;
	}
	for (unsigned i = 0; i < eh.e_phnum && !interp; i++)
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
						       i * eh.e_phentsize)) ==
			    sizeof(ph) &&
		    ph.p_type == PT_INTERP)
			interp = true;
	close(fd);
	return !interp;
}

int run_emulate_prepare(const char *cmd)
{
	char preload[PATH_MAX + 64], file[PATH_MAX + 256], *value;
	const char *old = getenv("LD_PRELOAD");
	int ret = find_preload(preload, sizeof(preload));

	if (ret) {
		fprintf(stderr, "anyring run: %s not found beside the tool\n",
			PRELOAD_NAME);
		return ret;
	}
	if (resolve(cmd, file, sizeof(file)) && is_static_elf(file))
		fprintf(stderr,
			"anyring run: warning: %s is statically linked: it "
			"cannot load the emulation, so its own io_uring calls "
			"get what the kernel answers\n",
			cmd);
	/* After what is already preloaded: a sanitizer's runtime stays first. */
	if (asprintf(&value, "%s%s%s", old ? old : "", old && *old ? ":" : "",
		     preload) < 0)
		return -ENOMEM;
	setenv("LD_PRELOAD", value, 1);
	free(value);
	return 0;
}
