// Package ipvsadm is the legacy surface of ipvsadm 1.31, without I/O: its popt-style
// argument parser and the option/command compatibility checks with their exact
// messages and exit codes (Parse), the -R line reader (LineReader), every listing and
// -S format (Printer), the /proc/net/ip_vs_conn formatter (Printer.ListConn) and
// libipvs's errno messages (Strerror).
//
// Behaviour follows the Debian 1:1.31-1 binary, checked against it on a real IPVS
// kernel (cmd/ipvsadm's TestVMSessions). Where the Debian package differs from the
// upstream 1.31 tarball it is the Debian binary that counts: weights go up to INT_MAX.
// C quirks are kept on purpose, among them: glibc's inet_aton ("10.1", hex, octal and
// trailing blanks accepted), the wrapping int comparisons of libipvs's sort (addresses
// 2^31 or more apart compare backwards) run through glibc's merge sort, the 33- and
// 28-character truncation of names in listings, fwmarks printed as signed ints, and the
// -R reader having no comment syntax.
package ipvsadm
