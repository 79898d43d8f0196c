/* SPDX-License-Identifier: MIT */
/*
 * `anyring probe`: is io_uring usable here, and if not, why; which backend
 * `auto` picks; what the kernel supports, opcode by opcode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "anyring.h"
#include "json.h"
#include "names.h"
#include "tool.h"

struct probe_facts {
	int kernel_status;     /* 0, or -errno from io_uring_setup */
	int io_uring_disabled; /* sysctl value, -1 when the sysctl is absent */
	int io_uring_group;    /* sysctl value, -1 when absent */
	int seccomp_mode;      /* 0 off, 1 strict, 2 filter, -1 unknown */
	int seccomp_filters;
	int auto_backend;
	unsigned features;
	char kernel_release[65];
	struct io_uring_probe *sqe_probe; /* NULL when unavailable */
	bool register_supported[IORING_REGISTER_LAST];
};

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void read_seccomp(struct probe_facts *f)
{
	char line[256];
	FILE *st = fopen("/proc/self/status", "r");

	f->seccomp_mode = -1;
	f->seccomp_filters = 0;
	if (!st)
		return;
	while (fgets(line, sizeof(line), st)) {
		sscanf(line, "Seccomp: %d", &f->seccomp_mode);
		sscanf(line, "Seccomp_filters: %d", &f->seccomp_filters);
	}
	fclose(st);
}

/*
 * Linux checks the register opcode before it looks at the fd, so a bad
 * (non-blind) fd yields EBADF for a known opcode and EINVAL otherwise.
 */
static bool kernel_knows_register_op(unsigned op)
{
	return io_uring_register(0x7fffffff, op, NULL, 0) != -EINVAL;
}

static void read_kernel(struct probe_facts *f)
{
	struct io_uring_params p;
	struct io_uring ring;

	f->features = 0;
	f->sqe_probe = NULL;
	if (f->kernel_status)
		return;
	anyring_set_backend(ANYRING_BACKEND_KERNEL);
	memset(&p, 0, sizeof(p));
	if (io_uring_queue_init_params(2, &ring, &p) == 0) {
		f->features = p.features;
		f->sqe_probe = io_uring_get_probe_ring(&ring);
		io_uring_queue_exit(&ring);
	}
	anyring_set_backend(ANYRING_BACKEND_AUTO);
	for (unsigned op = 0; op < IORING_REGISTER_LAST; op++)
		f->register_supported[op] = kernel_knows_register_op(op);
}

static void gather(struct probe_facts *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	f->kernel_status = anyring_kernel_status();
	f->io_uring_disabled = read_int_file("/proc/sys/kernel/io_uring_disabled");
	f->io_uring_group = read_int_file("/proc/sys/kernel/io_uring_group");
	read_seccomp(f);
	f->auto_backend = anyring_default_backend();
	if (uname(&u) == 0)
		snprintf(f->kernel_release, sizeof(f->kernel_release), "%s",
			 u.release);
	read_kernel(f);
}

/* One sentence on why io_uring is (not) usable, for humans and scripts. */
static const char *explain(const struct probe_facts *f)
{
	switch (-f->kernel_status) {
	case 0:
		return "the kernel's io_uring is usable";
	case ENOSYS:
		if (f->seccomp_mode == 2)
			return "io_uring_setup returned ENOSYS: a seccomp filter "
			       "refuses it (as gVisor-style sandboxes do), or "
			       "the kernel lacks io_uring";
		return "io_uring_setup returned ENOSYS: this kernel has no "
		       "io_uring (too old, or built without it)";
	case EPERM:
		if (f->io_uring_disabled == 2)
			return "io_uring_setup returned EPERM: the sysctl "
			       "kernel.io_uring_disabled=2 disables io_uring "
			       "for every process";
		if (f->io_uring_disabled == 1)
			return "io_uring_setup returned EPERM: the sysctl "
			       "kernel.io_uring_disabled=1 allows io_uring only "
			       "to CAP_SYS_ADMIN and kernel.io_uring_group";
		if (f->seccomp_mode == 2)
			return "io_uring_setup returned EPERM: a seccomp filter "
			       "blocks it (the default profile of Docker >= 25, "
			       "containerd >= 2.0, Podman, Android)";
		return "io_uring_setup returned EPERM: io_uring is not "
		       "permitted for this process";
	case EACCES:
		return "io_uring_setup returned EACCES: a security module "
		       "(SELinux, AppArmor) denies io_uring";
	}
	return "io_uring_setup failed";
}

static bool sqe_op_supported(const struct probe_facts *f, unsigned op)
{
	return f->sqe_probe && io_uring_opcode_supported(f->sqe_probe, (int)op);
}

static void print_text(const struct probe_facts *f)
{
	printf("anyring %s\n", anyring_version());
	printf("kernel:            Linux %s\n", f->kernel_release);
	printf("io_uring_setup:    %s\n",
	       f->kernel_status ? errno_name(-f->kernel_status) : "ok");
	printf("why:               %s\n", explain(f));
	if (f->io_uring_disabled < 0)
		printf("io_uring_disabled: (sysctl absent)\n");
	else
		printf("io_uring_disabled: %d\n", f->io_uring_disabled);
	printf("seccomp:           mode %d, %d filter(s)\n", f->seccomp_mode,
	       f->seccomp_filters);
	printf("auto backend:      %s\n", anyring_backend_name(f->auto_backend));
	printf("user backend:      %s\n",
	       anyring_backend_available(ANYRING_BACKEND_USER)
		       ? "available"
		       : "not in this build");
	printf("kernel features:   0x%x", f->features);
	for (unsigned b = 0; b < 32; b++)
		if ((f->features & (1U << b)) && feature_name(b))
			printf(" %s", feature_name(b));
	printf("\n\n%-4s %-28s %-7s %s\n", "#", "register opcode", "kernel",
	       "user");
	for (unsigned op = 0; op < IORING_REGISTER_LAST; op++)
		printf("%-4u %-28s %-7s %s\n", op, register_op_name(op),
		       f->register_supported[op] ? "yes" : "no",
		       anyring_register_op_supported(ANYRING_BACKEND_USER, op)
			       ? "yes"
			       : "no");
	printf("\n%-4s %-28s %-7s %s\n", "#", "SQE opcode", "kernel", "user");
	for (unsigned op = 0; op < IORING_OP_LAST; op++)
		printf("%-4u %-28s %-7s %s\n", op, sqe_op_name(op),
		       sqe_op_supported(f, op) ? "yes" : "no",
		       anyring_sqe_op_supported(ANYRING_BACKEND_USER, op) ? "yes"
									  : "no");
}

static void print_json(const struct probe_facts *f)
{
	struct json j;

	json_begin(&j, stdout);
	json_string(&j, "anyring_version", anyring_version());
	json_string(&j, "kernel_release", f->kernel_release);
	json_bool(&j, "kernel_usable", f->kernel_status == 0);
	json_string(&j, "io_uring_setup",
		    f->kernel_status ? errno_name(-f->kernel_status) : "ok");
	json_string(&j, "reason", explain(f));
	json_int(&j, "io_uring_disabled", f->io_uring_disabled);
	json_int(&j, "io_uring_group", f->io_uring_group);
	json_int(&j, "seccomp_mode", f->seccomp_mode);
	json_int(&j, "seccomp_filters", f->seccomp_filters);
	json_string(&j, "auto_backend", anyring_backend_name(f->auto_backend));
	json_bool(&j, "user_backend_available",
		  anyring_backend_available(ANYRING_BACKEND_USER));
	json_int(&j, "kernel_features", f->features);
	json_array(&j, "register_opcodes");
	for (unsigned op = 0; op < IORING_REGISTER_LAST; op++) {
		json_object(&j, NULL);
		json_int(&j, "opcode", op);
		json_string(&j, "name", register_op_name(op));
		json_bool(&j, "kernel", f->register_supported[op]);
		json_bool(&j, "user",
			  anyring_register_op_supported(ANYRING_BACKEND_USER, op));
		json_close_object(&j);
	}
	json_close_array(&j);
	json_array(&j, "sqe_opcodes");
	for (unsigned op = 0; op < IORING_OP_LAST; op++) {
		json_object(&j, NULL);
		json_int(&j, "opcode", op);
		json_string(&j, "name", sqe_op_name(op));
		json_bool(&j, "kernel", sqe_op_supported(f, op));
		json_bool(&j, "user", anyring_sqe_op_supported(ANYRING_BACKEND_USER, op));
		json_close_object(&j);
	}
	json_close_array(&j);
	json_end(&j);
}

int cmd_probe(int argc, char **argv)
{
	struct probe_facts f;
	bool as_json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else {
			fprintf(stderr, "anyring probe: unknown option %s\n",
				argv[i]);
			return 2;
		}
	}
	gather(&f);
	if (as_json)
		print_json(&f);
	else
		print_text(&f);
	io_uring_free_probe(f.sqe_probe);
	return 0;
}
