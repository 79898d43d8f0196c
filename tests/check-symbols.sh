#!/bin/sh
# Every function of the registration family (and the rest of liburing's
# API that anyring implements) is exported by libanyring.so and by the
# liburing.so.2 build under the version node where liburing introduced it;
# and every symbol of Debian's liburing.so.2 is exported by ours under the
# same version (libabigail's abidiff, when installed, double-checks).
# usage: check-symbols.sh LIBANYRING LIBURING_COMPAT [DEBIAN_LIBURING]
set -u
anyring=$1 compat=$2 debian=${3:-}
status=0

exports() {
	objdump -T "$1" | awk '$2 == "g" && $4 == ".text" { print $NF, $(NF-1) }'
}

expect() { # expect SYMBOL NODE
	for lib in "$anyring" "$compat"; do
		if ! exports "$lib" | grep -qx "$1 $2"; then
			echo "missing: $1@$2 in $lib"
			status=1
		fi
	done
}

while read -r sym node; do
	[ -n "$sym" ] && expect "$sym" "$node"
done <<'LIST'
io_uring_register_files LIBURING_2.0
io_uring_register_files_tags LIBURING_2.1
io_uring_register_files_sparse LIBURING_2.2
io_uring_register_files_update LIBURING_2.0
io_uring_register_files_update_tag LIBURING_2.1
io_uring_unregister_files LIBURING_2.0
io_uring_register_file_alloc_range LIBURING_2.3
io_uring_register_buffers LIBURING_2.0
io_uring_register_buffers_tags LIBURING_2.1
io_uring_register_buffers_sparse LIBURING_2.2
io_uring_register_buffers_update_tag LIBURING_2.1
io_uring_unregister_buffers LIBURING_2.0
io_uring_clone_buffers LIBURING_2.8
io_uring_clone_buffers_offset LIBURING_2.9
io_uring_register_eventfd LIBURING_2.0
io_uring_register_eventfd_async LIBURING_2.0
io_uring_unregister_eventfd LIBURING_2.0
io_uring_register_probe LIBURING_2.0
io_uring_register_personality LIBURING_2.0
io_uring_unregister_personality LIBURING_2.0
io_uring_register_restrictions LIBURING_2.4
io_uring_enable_rings LIBURING_2.4
io_uring_register_iowq_aff LIBURING_2.1
io_uring_unregister_iowq_aff LIBURING_2.1
io_uring_register_iowq_max_workers LIBURING_2.1
io_uring_register_ring_fd LIBURING_2.2
io_uring_unregister_ring_fd LIBURING_2.2
io_uring_close_ring_fd LIBURING_2.4
io_uring_register_buf_ring LIBURING_2.2
io_uring_unregister_buf_ring LIBURING_2.2
io_uring_buf_ring_head LIBURING_2.6
io_uring_setup_buf_ring LIBURING_2.4
io_uring_free_buf_ring LIBURING_2.4
io_uring_register_sync_cancel LIBURING_2.3
io_uring_register_napi LIBURING_2.6
io_uring_unregister_napi LIBURING_2.6
io_uring_register_clock LIBURING_2.8
io_uring_register_sync_msg LIBURING_2.11
io_uring_resize_rings LIBURING_2.9
io_uring_register_region LIBURING_2.9
io_uring_register_wait_reg LIBURING_2.9
io_uring_register_ifq LIBURING_2.10
io_uring_register_query LIBURING_2.15
io_uring_register_query (ANYRING_0.1)
io_uring_register_bpf_filter LIBURING_2.15
io_uring_register_bpf_filter_task LIBURING_2.15
io_uring_register_zcrx_ctrl LIBURING_2.15
io_uring_setup LIBURING_2.3
io_uring_enter LIBURING_2.3
io_uring_enter2 LIBURING_2.3
io_uring_register LIBURING_2.3
io_uring_queue_init LIBURING_2.0
io_uring_queue_init_params LIBURING_2.0
io_uring_queue_init_mem LIBURING_2.5
io_uring_queue_mmap LIBURING_2.0
io_uring_queue_exit LIBURING_2.0
io_uring_ring_dontfork LIBURING_2.0
io_uring_get_sqe LIBURING_2.0
io_uring_submit LIBURING_2.0
io_uring_submit_and_wait LIBURING_2.0
io_uring_submit_and_wait_timeout LIBURING_2.2
io_uring_submit_and_get_events LIBURING_2.3
io_uring_get_events LIBURING_2.3
io_uring_wait_cqes LIBURING_2.0
io_uring_wait_cqe_timeout LIBURING_2.0
io_uring_peek_batch_cqe LIBURING_2.0
io_uring_mlock_size LIBURING_2.1
io_uring_mlock_size_params LIBURING_2.1
io_uring_get_probe LIBURING_2.0
io_uring_get_probe_ring LIBURING_2.0
io_uring_free_probe LIBURING_2.0
anyring_ring_backend ANYRING_0.1
anyring_set_backend ANYRING_0.1
LIST

# Internals stay hidden.
for lib in "$anyring" "$compat"; do
	if exports "$lib" | grep -Eq '^(ring_|backend_|kernel_)'; then
		echo "internal symbols exported by $lib"
		status=1
	fi
done
[ "$(objdump -p "$compat" | awk '/SONAME/ {print $2}')" = liburing.so.2 ] ||
	{ echo "wrong soname for $compat"; status=1; }

if [ -n "$debian" ] && [ -e "$debian" ]; then
	exports "$debian" | sort >/tmp/anyring-debian-syms.$$
	exports "$compat" | sort >/tmp/anyring-compat-syms.$$
	missing=$(comm -23 /tmp/anyring-debian-syms.$$ /tmp/anyring-compat-syms.$$)
	rm -f /tmp/anyring-debian-syms.$$ /tmp/anyring-compat-syms.$$
	if [ -n "$missing" ]; then
		echo "exported by Debian's liburing but not by ours:"
		echo "$missing"
		status=1
	fi
	if command -v abidiff >/dev/null 2>&1; then
		abidiff --no-added-syms "$debian" "$compat" || status=1
	fi
fi
[ $status = 0 ] && echo "symbols: ok"
exit $status
