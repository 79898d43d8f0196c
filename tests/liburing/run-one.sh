#!/bin/sh
# Runs one of liburing's tests in one mode and compares its result with
# liburing's own on this kernel (expected.txt), the way the suite's run.sh
# does; expected-failures.txt lists the known differences of our backends.
#
# usage: run-one.sh TEST MODE TESTDIR EXPECTED XFAILS ANYRING-TOOL TIMEOUT \
#                   XFAIL-CODE [LIBURING-SRC REFERENCE-TREE VERSION]
#   MODE: kernel | user (ANYRING_BACKEND), auto-eperm | auto-enosys (the
#   default backend under `anyring run --block=eperm|enosys`).
#   LIBURING-SRC...: liburing itself, built by reference.sh, to run the test
#   against when the kernel backend's result differs from expected.txt.
# exit: 0 the result is liburing's; XFAIL-CODE a listed expected failure, or
# a kernel-backend result that liburing itself gives on this kernel now
# (ctest shows both as skipped); 1 anything else, with the reason and the
# tail of the test's output.
set -u
t=$1 mode=$2 dir=$3 expected=$4 xfails=$5 tool=$6 timeout=$7 xfail_code=$8
ref_src=${9:-} ref_tree=${10:-} ref_version=${11:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/../logs" || exit 1
log=$(cd "$dir/../logs" && pwd)/$t.$mode.log

want=$(awk -v t="$t" '$1 == t { print $2 }' "$expected")
[ -n "$want" ] || { echo "FAIL: $t is not in $expected"; exit 1; }
# The last line a reference failure prints: ours must fail the same way.
why=$(awk -v t="$t" '$1 == t && $2 == "fail" { $1 = $2 = ""; sub(/^ +/, ""); print }' "$expected")

# The entry for this test and mode, if any: `TEST MODES REASON...`, MODES
# one mode, a comma-separated list, or * / all.
xfail=$(awk -v t="$t" -v m="$mode" '
	/^[ \t]*(#|$)/ { next }
	$1 != t { next }
	{
		n = split($2, modes, ",")
		for (i = 1; i <= n; i++)
			if (modes[i] == m || modes[i] == "*" || modes[i] == "all") {
				$1 = $2 = ""; sub(/^ +/, ""); print; exit
			}
	}' "$xfails")
# A listed hang is not run: it would only cost its full timeout.
case $xfail in
hang*)
	echo "XFAIL: $xfail (not run)"
	exit "$xfail_code" ;;
esac

[ -x "$dir/$t.t" ] || {
	echo "FAIL: $t.t does not build against anyring (see the build's output)"
	exit 1
}

case $mode in
kernel)
	# Where io_uring itself is refused, the kernel backend has nothing to
	# compare; as our own tests do, it is then skipped.
	if ! "$tool" probe --json | grep -q '"kernel_usable":true'; then
		echo "SKIPPED: the kernel's io_uring is not usable here"
		exit "$xfail_code"
	fi
	set -- env ANYRING_BACKEND=kernel ;;
user) set -- env ANYRING_BACKEND=user ;;
auto-eperm | auto-enosys)
	set -- env ANYRING_BACKEND=auto "$tool" run --block="${mode#auto-}" -- ;;
*) echo "FAIL: unknown mode $mode"; exit 1 ;;
esac

# Runs PROGRAM (with the mode's command before it) from DIR into LOG, and
# sets got (pass, skip, fail or timeout) and result (got, said in full).
# From its own directory (some exec ./exec-target.t), with no terminal on
# stdin, and SIGINT then SIGKILL after the timeout, as liburing's runner.
run_test() { # DIR PROGRAM LOG [COMMAND...]
	run_dir=$1 prog=$2 run_log=$3
	shift 3
	start=$(date +%s)
	(cd "$run_dir" && timeout -s INT -k 10 "$timeout" "$@" "$prog") \
		>"$run_log" 2>&1 </dev/null
	rc=$?
	# timeout(1) says 124 (137 after SIGKILL), unless the test's own
	# handling of SIGINT gives another status: the clock tells.
	case $rc in
	0) got=pass ;;
	77) got=skip ;;
	124 | 137) got=timeout ;;
	*) got=fail; [ $(($(date +%s) - start)) -ge "$timeout" ] && got=timeout ;;
	esac
	case $got in
	fail) result="fail (exit $rc)" ;;
	timeout) result="timeout (${timeout} s)" ;;
	*) result=$got ;;
	esac
}

run_test "$dir" "./$t.t" "$log" "$@"
last=$(tail -n 1 "$log")

# run.sh's rules: the reference's result, or a pass where it skips (we can
# do more than liburing here), or for the racy wq-aff a pass or a skip; a
# reference failure matches only the same failure (its last line).
match=no
if [ "$want" = fail ] && [ "$got" = fail ]; then
	{ [ -z "$why" ] || [ "$last" = "$why" ]; } && match=yes
elif [ "$got" = "$want" ]; then
	match=yes
elif [ "$want" = skip ] && [ "$got" = pass ]; then
	match=yes
elif [ "$t" = wq-aff ] && { [ "$got" = pass ] || [ "$got" = skip ]; }; then
	match=yes
fi

tail_log() {
	if [ -s "$log" ]; then
		echo "--- last lines of $log:"
		tail -n 25 "$log"
	else
		echo "--- no output ($log is empty)"
	fi
}
if [ $match = yes ]; then
	# A flaky entry may match; any other listed entry that matches is fixed.
	if [ -n "$xfail" ] && [ "${xfail#flaky}" = "$xfail" ]; then
		echo "XPASS: $result, as liburing ($want); remove '$t $mode' from $xfails"
		exit 1
	fi
	echo "PASS: $result, as liburing ($want)"
	exit 0
fi
expect="$want${why:+ ($why)}"
# The kernel backend only passes the kernel's answers on: where it differs
# from expected.txt, liburing itself, run now on the same kernel, tells
# whether the difference is the machine's (a kernel that has changed, or
# whose io_uring is in trouble, as dmesg may say) or ours.
if [ "$mode" = kernel ] && [ -n "$ref_src" ] && [ -z "$xfail" ]; then
	ours=$result ours_got=$got
	if ref=$(sh "$here/reference.sh" test "$ref_src" "$ref_tree" \
		"$ref_version" "$t" 2>"$log.reference"); then
		run_test "$(dirname "$ref")" "./$t.t" "$log.reference" env
		if [ "$got" = "$ours_got" ]; then
			echo "SKIPPED: got $ours, and liburing itself gives $result" \
				"on this kernel now (expected.txt: $expect):" \
				"the machine's difference, not anyring's"
			tail_log
			exit "$xfail_code"
		fi
		echo "(liburing itself gives $result on this kernel now)"
	else
		echo "(liburing itself could not be built to compare:" \
			"$(cat "$log.reference"))"
	fi
	result=$ours
fi
if [ -n "$xfail" ]; then
	echo "XFAIL: $xfail"
	echo "(got $result, liburing: $expect)"
	tail_log
	exit "$xfail_code"
fi
echo "FAIL: got $result, liburing: $expect"
tail_log
exit 1
