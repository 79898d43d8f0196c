/* SPDX-License-Identifier: MIT */
/*
 * Registered files under concurrency: updates and unregisters racing
 * in-flight fixed-file requests. Each tag must be posted exactly once,
 * never before the CQE of a request still using its file, and no
 * descriptor may stay open once the last reference is gone.
 */
#include <pthread.h>

#include "harness.h"

#define SLOTS 8
#define ITERS 40
#define THREADS 4
#define READ_DATA (1ULL << 62) /* user_data of reads; tags are small */

/*
 * Per-thread ring: reads wait on pipes registered with tags; replacing
 * the files must not post the old tags until those reads complete.
 */
static void *ordering_thread(void *arg)
{
	long base = (long)arg * 1000000, failures = 0;
	struct io_uring ring;
	int p[SLOTS][2], rfd[SLOTS];

	if (io_uring_queue_init(64, &ring, 0))
		return (void *)1L;
	for (int it = 0; it < ITERS; it++) {
		__u64 tags[SLOTS], new_tags[SLOTS];
		unsigned char seen_read[SLOTS] = {0}, seen_tag[2 * SLOTS] = {0};
		char buf[SLOTS][4];

		for (int i = 0; i < SLOTS; i++) {
			if (pipe(p[i]))
				return (void *)1L;
			rfd[i] = p[i][0];
			tags[i] = base + it * 100 + i + 1;
			new_tags[i] = base + it * 100 + 50 + i;
		}
		if (io_uring_register_files_tags(&ring, rfd, tags, SLOTS))
			failures++;
		for (int i = 0; i < SLOTS; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			/* Not IOSQE_ASYNC: that resolves the slot only when a
			 * worker runs it, which may be after the update. */
			io_uring_prep_read(sqe, i, buf[i], 1, 0);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->user_data = READ_DATA | (__u64)i;
		}
		if (io_uring_submit(&ring) != SLOTS)
			failures++;
		/* Replace every file while its read is pending. */
		if (io_uring_register_files_update_tag(&ring, 0, rfd, new_tags,
						       SLOTS) != SLOTS)
			failures++;
		if (io_uring_cq_ready(&ring))
			failures++; /* no old tag may be posted yet */
		for (int i = 0; i < SLOTS; i++)
			if (write(p[i][1], "x", 1) != 1)
				failures++;
		/* Reads complete, each followed (at some point) by its tag. */
		for (int n = 0; n < 2 * SLOTS; n++) {
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(&ring, &cqe)) {
				failures++;
				break;
			}
			if (cqe->user_data & READ_DATA) {
				seen_read[cqe->user_data & ~READ_DATA]++;
				if (cqe->res != 1)
					failures++;
			} else {
				unsigned i = (unsigned)(cqe->user_data - base - it * 100 - 1);

				if (i >= SLOTS || seen_read[i] != 1 || seen_tag[i]++)
					failures++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		if (io_uring_unregister_files(&ring))
			failures++;
		for (int n = 0; n < SLOTS; n++) {
			struct io_uring_cqe *cqe;
			unsigned i;

			if (io_uring_wait_cqe(&ring, &cqe)) {
				failures++;
				break;
			}
			i = (unsigned)(cqe->user_data - base - it * 100 - 50);
			if (i >= SLOTS || seen_tag[SLOTS + i]++)
				failures++;
			io_uring_cqe_seen(&ring, cqe);
		}
		for (int i = 0; i < SLOTS; i++) {
			close(p[i][0]);
			close(p[i][1]);
		}
	}
	io_uring_queue_exit(&ring);
	return (void *)failures;
}

/* One ring: a reader thread uses slots while an updater replaces them. */
static struct {
	struct io_uring ring;
	int file;
	atomic_bool stop;
	atomic_ulong next_tag;
	unsigned char tag_seen[4096];
	long failures;
} sh;

/*
 * Reads are submitted by the main thread, which outlives them: in the
 * kernel a thread's pending requests are cancelled when it exits.
 */
static void submit_reads(int i)
{
	static char buf[8];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&sh.ring);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, i % SLOTS, buf, 8, 0);
	sqe->flags |= IOSQE_FIXED_FILE | (i % 3 ? 0 : IOSQE_ASYNC);
	sqe->user_data = 1;
	io_uring_submit(&sh.ring);
}

static void *updater(void *arg)
{
	(void)arg;
	while (!atomic_load(&sh.stop)) {
		__u64 tag = atomic_fetch_add(&sh.next_tag, 1);
		int slot = (int)(tag % SLOTS);

		if (tag >= sizeof(sh.tag_seen))
			break;
		if (io_uring_register_files_update_tag(&sh.ring, (unsigned)slot,
						       &sh.file, &tag, 1) != 1)
			sh.failures++;
	}
	return NULL;
}

static void check_tag(struct io_uring_cqe *cqe)
{
	if (cqe->user_data == 1) {
		/* A read saw a file, or the moment its slot was being swapped. */
		if (cqe->res != 8 && cqe->res != -EBADF)
			sh.failures++;
	} else if (cqe->user_data >= sizeof(sh.tag_seen) ||
		   sh.tag_seen[cqe->user_data]++) {
		sh.failures++;
	}
}

static void check_shared_ring(void)
{
	pthread_t u;
	int fds[SLOTS];
	struct io_uring_cqe *cqe;
	__u64 tags_made;

	t_ring(&sh.ring, 128, 0);
	sh.file = t_temp_file(64, 'r');
	atomic_store(&sh.next_tag, 100);
	for (int i = 0; i < SLOTS; i++)
		fds[i] = -1;
	ASSERT_EQ(io_uring_register_files(&sh.ring, fds, SLOTS), 0);
	pthread_create(&u, NULL, updater, NULL);
	/* Submit and reap as we go while the updater swaps the files. */
	for (int i = 0; i < 600; i++) {
		submit_reads(i);
		while (io_uring_peek_cqe(&sh.ring, &cqe) == 0) {
			check_tag(cqe);
			io_uring_cqe_seen(&sh.ring, cqe);
		}
	}
	atomic_store(&sh.stop, true);
	pthread_join(u, NULL);
	ASSERT_EQ(io_uring_unregister_files(&sh.ring), 0);
	tags_made = atomic_load(&sh.next_tag);
	if (tags_made > sizeof(sh.tag_seen))
		tags_made = sizeof(sh.tag_seen);
	/* Drain: every tag 100..tags_made-1 exactly once, all reads done. */
	for (;;) {
		struct __kernel_timespec ts = {.tv_nsec = 200000000};
		unsigned missing = 0;

		for (__u64 t = 100; t < tags_made; t++)
			missing += !sh.tag_seen[t];
		if (!missing)
			break;
		if (io_uring_wait_cqe_timeout(&sh.ring, &cqe, &ts)) {
			T_CHECK_INT("tags never posted", missing, 0);
			break;
		}
		check_tag(cqe);
		io_uring_cqe_seen(&sh.ring, cqe);
	}
	ASSERT_EQ(sh.failures, 0);
	io_uring_queue_exit(&sh.ring);
	close(sh.file);
}

int main(int argc, char **argv)
{
	pthread_t threads[THREADS];
	int fds_before;

	t_init(argc, argv);
	T_REQUIRE_REGISTER(IORING_REGISTER_FILES2, IORING_REGISTER_FILES_UPDATE2);
	fds_before = t_count_dir("/proc/self/fd");
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, ordering_thread, (void *)i);
	for (int i = 0; i < THREADS; i++) {
		void *failures;

		pthread_join(threads[i], &failures);
		ASSERT_EQ((long)failures, 0);
	}
	check_shared_ring();
	/* Every registered file's descriptor is gone with its last user. */
	ASSERT_EQ(t_count_dir("/proc/self/fd"), fds_before);
	return t_done();
}
