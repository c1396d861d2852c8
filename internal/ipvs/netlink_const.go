//go:build linux

package ipvs

import "golang.org/x/sys/unix"

// Kernel constants of the IPVS generic netlink interface, from the uapi header
// linux/ip_vs.h. A copy of that header is in testdata/ip_vs.h and
// TestConstantsMatchUAPIHeader checks every number below against it, so none is a guess.

const (
	ipvsGenlName    = "IPVS" // IPVS_GENL_NAME
	ipvsGenlVersion = 0x1    // IPVS_GENL_VERSION
)

// IPVS_CMD_*
const (
	cmdNewService = 1
	cmdSetService = 2
	cmdDelService = 3
	cmdGetService = 4
	cmdNewDest    = 5
	cmdSetDest    = 6
	cmdDelDest    = 7
	cmdGetDest    = 8
	cmdNewDaemon  = 9
	cmdDelDaemon  = 10
	cmdGetDaemon  = 11
	cmdSetConfig  = 12
	cmdGetConfig  = 13
	cmdSetInfo    = 14
	cmdGetInfo    = 15
	cmdZero       = 16
	cmdFlush      = 17
)

// IPVS_CMD_ATTR_*
const (
	cmdAttrService       = 1
	cmdAttrDest          = 2
	cmdAttrDaemon        = 3
	cmdAttrTimeoutTCP    = 4
	cmdAttrTimeoutTCPFin = 5
	cmdAttrTimeoutUDP    = 6
)

// IPVS_SVC_ATTR_*
const (
	svcAttrAF        = 1
	svcAttrProtocol  = 2
	svcAttrAddr      = 3
	svcAttrPort      = 4
	svcAttrFWMark    = 5
	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9
	svcAttrStats     = 10
	svcAttrPEName    = 11
	svcAttrStats64   = 12
)

// IPVS_DEST_ATTR_*
const (
	destAttrAddr         = 1
	destAttrPort         = 2
	destAttrFwdMethod    = 3
	destAttrWeight       = 4
	destAttrUThresh      = 5
	destAttrLThresh      = 6
	destAttrActiveConns  = 7
	destAttrInactConns   = 8
	destAttrPersistConns = 9
	destAttrStats        = 10
	destAttrAddrFamily   = 11
	destAttrStats64      = 12
	destAttrTunType      = 13
	destAttrTunPort      = 14
	destAttrTunFlags     = 15
)

// IPVS_DAEMON_ATTR_*
const (
	daemonAttrState       = 1
	daemonAttrMcastIfn    = 2
	daemonAttrSyncID      = 3
	daemonAttrSyncMaxLen  = 4
	daemonAttrMcastGroup  = 5
	daemonAttrMcastGroup6 = 6
	daemonAttrMcastPort   = 7
	daemonAttrMcastTTL    = 8
)

// IPVS_STATS_ATTR_*
const (
	statsAttrConns    = 1
	statsAttrInPkts   = 2
	statsAttrOutPkts  = 3
	statsAttrInBytes  = 4
	statsAttrOutBytes = 5
	statsAttrCPS      = 6
	statsAttrInPPS    = 7
	statsAttrOutPPS   = 8
	statsAttrInBPS    = 9
	statsAttrOutBPS   = 10
	statsAttrPad      = 11
)

// IPVS_INFO_ATTR_*
const (
	infoAttrVersion     = 1
	infoAttrConnTabSize = 2
)

// Other uapi numbers the codec needs. Netlink and generic netlink numbers come from
// golang.org/x/sys/unix.
const (
	connFwdMask      = 0x0007 // IP_VS_CONN_F_FWD_MASK
	sizeofNlMsghdr   = 16     // struct nlmsghdr
	sizeofGenlMsghdr = 4      // struct genlmsghdr
	sizeofNlAttr     = 4      // struct nlattr
	sizeofIPVSFlags  = 8      // struct ip_vs_flags
	sizeofNfInetAddr = 16     // union nf_inet_addr: IPVS_*_ATTR_ADDR travels with this size
	nlaTypeMask      = ^uint16(unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
)
