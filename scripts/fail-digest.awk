# fail-digest.awk: the failures in go test output, in a few lines, for the end of a CI
# log (where a log cut to its head and tail still shows them). For each "--- FAIL:"
# header (nested ones too: the VM suite prints its guest's test output inside its own
# failure) it prints the header and the first line of each of that test's messages
# (those at the header's indentation + 4 that start "file.go:N: "), at most 14 per test
# and 160 characters each; then the packages that failed, panics and timeouts. 45 lines
# at most in all.
function indent(s) { match(s, /^ */); return RLENGTH }
function out(s) {
	if (printed >= 45) { dropped++; return }
	if (length(s) > 160) s = substr(s, 1, 157) "..."
	print s; printed++
}
{
	ind = indent($0)
	# Leave the blocks this line is not inside (a blank line leaves none).
	while (depth > 0 && $0 !~ /^ *$/ && ind <= head[depth]) depth--
}
/^ *--- FAIL: / {
	depth++; head[depth] = ind; shown[depth] = 0
	out($0)
	next
}
/^FAIL\t|^panic: |^panic: test timed out|^\*\*\* Test killed/ { tail[++ntail] = $0; next }
depth > 0 && ind == head[depth] + 4 && /^ *[A-Za-z0-9_.-]+\.go:[0-9]+: / {
	if (shown[depth]++ < 14) out($0)
}
END {
	for (i = 1; i <= ntail; i++) out(tail[i])
	if (dropped) print "(" dropped " more lines: see the full output above)"
}
