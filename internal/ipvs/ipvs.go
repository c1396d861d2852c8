// Package ipvs is lvskit's one IPVS library: netip-based domain types, the Client
// interface every binary uses, a kernel implementation over generic netlink
// (kernel_linux.go) and a stateful in-memory fake for logic tests (fake.go).
//
// Identity (ServiceKey, DestKey) is split from configuration (Service, Destination)
// and from what the kernel reports (ServiceInfo, DestinationInfo), so keys are
// comparable map keys.
//
// Errors returned by a Client keep the kernel's errno (errors.Is(err, unix.EEXIST)),
// because ipvsadm's messages depend on the operation and the errno together.
package ipvs

import (
	"context"
	"net/netip"
)

// Address families as the kernel numbers them.
const (
	FamilyIPv4 uint16 = 2  // AF_INET
	FamilyIPv6 uint16 = 10 // AF_INET6
)

// Protocol is the IP protocol of a virtual service; zero for fwmark services.
type Protocol uint16

const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	case 0:
		return "FWM"
	}
	return "?"
}

// ServiceKey identifies a virtual service: either Protocol+Addr+Port, or FWMark
// (with Family telling whether the mark is for IPv4 or IPv6 traffic).
type ServiceKey struct {
	Family   uint16
	Protocol Protocol
	Addr     netip.Addr
	Port     uint16
	FWMark   uint32
}

// IsFWMark reports whether the key names a firewall-mark service.
func (k ServiceKey) IsFWMark() bool { return k.FWMark != 0 }

// ServiceFlags are IP_VS_SVC_F_* bits.
type ServiceFlags uint32

const (
	SvcPersistent ServiceFlags = 0x0001
	SvcHashed     ServiceFlags = 0x0002
	SvcOnePacket  ServiceFlags = 0x0004
	SvcSchedFlag1 ServiceFlags = 0x0008 // sh-fallback / mh-fallback
	SvcSchedFlag2 ServiceFlags = 0x0010 // sh-port / mh-port
	SvcSchedFlag3 ServiceFlags = 0x0020
)

// Service is a virtual service's identity and configuration.
type Service struct {
	Key       ServiceKey
	Scheduler string
	Flags     ServiceFlags
	Timeout   uint32 // persistence timeout, seconds (meaningful with SvcPersistent)
	Netmask   uint32 // IPv4: the mask as a big-endian uint32; IPv6: prefix length
	PEName    string // persistence engine, e.g. "sip"
}

// Stats are a service's or destination's counters (64-bit, IPVS_SVC_ATTR_STATS64)
// and rate estimates.
type Stats struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
	CPS, InPPS, OutPPS, InBPS, OutBPS         uint64
}

// ServiceInfo is a service as the kernel reports it.
type ServiceInfo struct {
	Service
	Stats Stats
}

// Forward is the packet-forwarding method of a destination (IP_VS_CONN_F_FWD_MASK).
type Forward uint32

const (
	Masq   Forward = 0 // NAT (-m)
	Local  Forward = 1
	Tunnel Forward = 2 // IPIP/GUE/GRE (-i)
	Route  Forward = 3 // direct routing (-g)
	Bypass Forward = 4
)

// TunnelType is IP_VS_CONN_F_TUNNEL_TYPE_*.
type TunnelType uint8

const (
	TunIPIP TunnelType = 0
	TunGUE  TunnelType = 1
	TunGRE  TunnelType = 2
)

// TunnelFlags are IP_VS_TUNNEL_ENCAP_FLAG_*.
type TunnelFlags uint16

const (
	TunNoCsum  TunnelFlags = 0
	TunCsum    TunnelFlags = 1 << 0
	TunRemCsum TunnelFlags = 1 << 1
)

// DestKey identifies a real server within a service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

// Destination is a real server's identity and configuration.
type Destination struct {
	Key        DestKey
	Family     uint16 // may differ from the service's (IPv4 real server of an IPv6 fwmark service is not allowed, but the kernel reports it)
	Forward    Forward
	Weight     int32
	UThreshold uint32
	LThreshold uint32
	TunType    TunnelType
	TunPort    uint16 // network order semantics handled by the kernel implementation; this is the port number
	TunFlags   TunnelFlags
}

// DestinationInfo is a destination as the kernel reports it.
type DestinationInfo struct {
	Destination
	ActiveConns  uint32
	InactConns   uint32
	PersistConns uint32
	Stats        Stats
}

// Timeouts are the connection timeouts in seconds (ipvsadm --set); zero means "unchanged"
// when setting.
type Timeouts struct {
	TCP, TCPFin, UDP uint32
}

// DaemonState is IP_VS_STATE_*.
type DaemonState uint32

const (
	DaemonMaster DaemonState = 1
	DaemonBackup DaemonState = 2
)

func (s DaemonState) String() string {
	switch s {
	case DaemonMaster:
		return "master"
	case DaemonBackup:
		return "backup"
	}
	return "none"
}

// SyncDaemon is a connection synchronisation daemon's configuration.
type SyncDaemon struct {
	State      DaemonState
	McastIfn   string
	SyncID     uint32
	SyncMaxLen uint16     // 0: kernel default
	McastGroup netip.Addr // invalid: kernel default (224.0.0.81)
	McastPort  uint16     // 0: kernel default (8848)
	McastTTL   uint8      // 0: kernel default (1)
}

// Info is IPVS_CMD_GET_INFO: version (e.g. 0x010201 for 1.2.1) and connection table size.
type Info struct {
	Version     uint32
	ConnTabSize uint32
}

// Client is the IPVS operations lvskit needs. Implementations are safe for use by one
// goroutine at a time unless they say otherwise; every call honours ctx's deadline.
type Client interface {
	Info(ctx context.Context) (Info, error)

	Services(ctx context.Context) ([]ServiceInfo, error)
	Service(ctx context.Context, k ServiceKey) (ServiceInfo, error)
	AddService(ctx context.Context, s Service) error
	UpdateService(ctx context.Context, s Service) error
	DelService(ctx context.Context, k ServiceKey) error
	Flush(ctx context.Context) error

	Destinations(ctx context.Context, k ServiceKey) ([]DestinationInfo, error)
	AddDestination(ctx context.Context, k ServiceKey, d Destination) error
	UpdateDestination(ctx context.Context, k ServiceKey, d Destination) error
	DelDestination(ctx context.Context, k ServiceKey, d DestKey) error

	// Zero zeroes the counters of one service, or of all when k is nil.
	Zero(ctx context.Context, k *ServiceKey) error

	Timeouts(ctx context.Context) (Timeouts, error)
	SetTimeouts(ctx context.Context, t Timeouts) error

	Daemons(ctx context.Context) ([]SyncDaemon, error)
	StartDaemon(ctx context.Context, d SyncDaemon) error
	StopDaemon(ctx context.Context, state DaemonState) error

	// Batch applies ops in order, each on its own: a failed op does not stop the later
	// ones (the semantics of ipvsadm -R, which reports a kernel error and goes on). It
	// returns one error per op, nil for success. The kernel implementation pipelines the
	// requests on one socket, which is what makes a large restore fast.
	Batch(ctx context.Context, ops []Op) []error

	Close() error
}

// OpKind is the kind of one mutation in a Batch.
type OpKind uint8

const (
	OpAddService OpKind = iota + 1
	OpUpdateService
	OpDelService // uses Service.Key
	OpAddDest
	OpUpdateDest
	OpDelDest // uses Service.Key and Dest.Key
	OpFlush
)

// Op is one mutation in a Batch.
type Op struct {
	Kind    OpKind
	Service Service     // the service, or its key for the destination ops and OpDelService
	Dest    Destination // for the destination ops
}
