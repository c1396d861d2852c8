//go:build linux

package ipvs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// transport is the one netlink socket a Kernel talks through. The real one is in
// kernel_linux.go; tests script the kernel's side (netlink_script_test.go).
type transport interface {
	// Send writes one buffer holding one or more netlink messages.
	Send(b []byte) error
	// Receive reads at least one and at most len(bufs) datagrams (each holding one
	// or more messages), one per buffer, waiting only for the first; lens gets
	// their lengths. When nothing arrives within the receive timeout it fails with
	// os.ErrDeadlineExceeded.
	Receive(bufs [][]byte, lens []int) (int, error)
	// SetReceiveTimeout bounds each Receive (SO_RCVTIMEO).
	SetReceiveTimeout(d time.Duration) error
	Close() error
}

// Kernel is the Client over the kernel's IPVS generic netlink family. It keeps one
// socket; calls are serialised by a mutex, so a Kernel may be shared between
// goroutines. Open it with OpenKernel.
type Kernel struct {
	mu     sync.Mutex
	t      transport
	cfg    kernelConfig
	family uint16 // generic netlink family id of "IPVS"
	seq    uint32
	// rcvTimeout is the receive timeout last set on the socket.
	rcvTimeout time.Duration
	destHint   int // capacity for the next Destinations result
	enc        encoder
	rbufs      [][]byte // receive buffers, one datagram each
	rlens      []int
	dec        decoder
}

var _ Client = (*Kernel)(nil)

// receiveBufSize is a page, as libnl (so ipvsadm) uses. Every datagram the IPVS
// family sends is at most NLMSG_GOODSIZE, which is smaller than a page. A larger
// buffer would make the kernel allocate larger dump buffers (netlink_dump sizes
// them by the reader's largest read, up to 32 KiB), which measurably slowed
// listing thousands of services on a 6.1 kernel.
var receiveBufSize = os.Getpagesize()

// receiveBatch is how many datagrams one receive call may return (recvmmsg): a
// destination dump's data and its NLMSG_DONE come in one call, and a Batch
// window's acknowledgements in few.
const receiveBatch = 16

// errPending marks Batch ops whose acknowledgement has not arrived.
var errPending = errors.New("no acknowledgement")

func newKernel(t transport, cfg kernelConfig) *Kernel {
	k := &Kernel{
		t:     t,
		cfg:   cfg,
		rlens: make([]int, receiveBatch),
		enc:   encoder{buf: make([]byte, 0, 4096)},
	}
	mem := make([]byte, receiveBatch*receiveBufSize)
	for i := range receiveBatch {
		k.rbufs = append(k.rbufs, mem[i*receiveBufSize:(i+1)*receiveBufSize:(i+1)*receiveBufSize])
	}
	return k
}

func (k *Kernel) nextSeq() uint32 {
	k.seq++
	return k.seq
}

// Close closes the socket.
func (k *Kernel) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.t.Close()
}

// arm bounds the coming receives by ctx's deadline, or by the default timeout
// when ctx has none. The deadline becomes the socket's receive timeout, set only
// when it changes by more than an eighth, so that a listing of thousands of
// services costs no system call per service for it. Cancelling ctx is noticed
// between receives; a receive in progress waits at most its timeout (the kernel
// answers IPVS requests synchronously, so a wait is short unless the kernel is
// stuck). The blocking socket is deliberate: measured on a 6.1 kernel, going
// through the runtime poller made listing 5,000 services markedly slower.
func (k *Kernel) arm(ctx context.Context) {
	d := k.cfg.timeout
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	d = max(d, time.Millisecond)
	if k.rcvTimeout == 0 || d < k.rcvTimeout-k.rcvTimeout/8 || d > k.rcvTimeout+k.rcvTimeout/8 {
		if k.t.SetReceiveTimeout(d) == nil {
			k.rcvTimeout = d
		}
	}
}

// receive reads the datagrams that are there (at least one) and passes each
// message to visit, failing early when ctx is done.
func (k *Kernel) receive(ctx context.Context, op string, visit func(m message) error) error {
	if err := ctx.Err(); err != nil {
		return &OpError{Op: op, Err: err}
	}
	n, err := k.t.Receive(k.rbufs, k.rlens)
	if err != nil {
		return k.receiveError(ctx, op, err)
	}
	for i := range n {
		if err := splitMessages(k.rbufs[i][:k.rlens[i]], visit); err != nil {
			return &OpError{Op: op, Err: err}
		}
	}
	return nil
}

// receiveError turns a transport receive error into the error to report.
func (k *Kernel) receiveError(ctx context.Context, op string, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := ctx.Err(); cerr != nil {
			return &OpError{Op: op, Err: cerr}
		}
		return &OpError{Op: op, Err: fmt.Errorf("no reply from the kernel in time: %w", context.DeadlineExceeded)}
	}
	return &OpError{Op: op, Err: err}
}

// exchange sends the one message in k.enc.buf (sequence seq) and reads replies until
// its acknowledgement (dump=false; requests carry NLM_F_ACK) or NLMSG_DONE
// (dump=true). Messages of type msgType go to handle, without their genl header.
// Replies to earlier requests (a call that timed out) are skipped by sequence.
func (k *Kernel) exchange(ctx context.Context, op string, seq uint32, dump bool, msgType uint16, handle func(payload []byte) error) error {
	k.arm(ctx)
	if err := k.t.Send(k.enc.buf); err != nil {
		return &OpError{Op: op, Err: err}
	}
	var (
		done      bool
		kernelErr error
		firstErr  error
	)
	visit := func(m message) error {
		if m.seq != seq || done {
			return nil
		}
		switch m.typ {
		case unix.NLMSG_ERROR:
			code, err := errnoOf(m.payload)
			if err != nil {
				return err
			}
			if code != 0 {
				kernelErr = &OpError{Op: op, Err: code}
				done = true
			} else if !dump {
				done = true
			}
		case unix.NLMSG_DONE:
			if !dump {
				return nil
			}
			done = true
			// A dump that failed midway reports the error in NLMSG_DONE.
			if code, err := errnoOf(m.payload); err == nil && code != 0 {
				kernelErr = &OpError{Op: op, Err: code}
			}
		case unix.NLMSG_NOOP, unix.NLMSG_OVERRUN:
		default:
			if m.typ != msgType || handle == nil {
				return nil
			}
			p, _, err := genlPayload(m)
			if err == nil {
				err = handle(p)
			}
			if err != nil && firstErr == nil {
				firstErr = &OpError{Op: op, Err: err}
			}
		}
		return nil
	}
	for !done {
		if err := k.receive(ctx, op, visit); err != nil {
			return err
		}
	}
	if kernelErr != nil {
		return kernelErr
	}
	return firstErr
}

// call encodes one IPVS request with build (may be nil) and exchanges it.
func (k *Kernel) call(ctx context.Context, op string, cmd uint8, dump bool, build func(e *encoder), handle func(payload []byte) error) error {
	if err := ctx.Err(); err != nil {
		return &OpError{Op: op, Err: err}
	}
	seq := k.nextSeq()
	flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	if dump {
		flags = unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	}
	k.enc.buf = k.enc.buf[:0]
	off := k.enc.begin(k.family, flags, seq, cmd, ipvsGenlVersion)
	if build != nil {
		build(&k.enc)
	}
	k.enc.end(off)
	return k.exchange(ctx, op, seq, dump, k.family, handle)
}

// resolveFamily asks the generic netlink controller for the IPVS family id. A
// missing family is reported as ENOPROTOOPT, the errno ipvsadm 1.31 reports then
// ("Can't initialize ipvs: Protocol not available").
func (k *Kernel) resolveFamily(ctx context.Context) error {
	const op = "look up generic netlink family " + ipvsGenlName
	seq := k.nextSeq()
	k.enc.buf = k.enc.buf[:0]
	off := k.enc.begin(unix.GENL_ID_CTRL, unix.NLM_F_REQUEST|unix.NLM_F_ACK, seq, unix.CTRL_CMD_GETFAMILY, 1)
	k.enc.str(unix.CTRL_ATTR_FAMILY_NAME, ipvsGenlName)
	k.enc.end(off)
	var id uint16
	err := k.exchange(ctx, op, seq, false, unix.GENL_ID_CTRL, func(p []byte) error {
		v, ok, err := findAttr(p, unix.CTRL_ATTR_FAMILY_ID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no family id in controller reply", errMalformed)
		}
		id, err = getU16(v)
		return err
	})
	if errors.Is(err, unix.ENOENT) {
		return &OpError{Op: op, Err: unix.ENOPROTOOPT}
	}
	if err != nil {
		return err
	}
	if id == 0 {
		return &OpError{Op: op, Err: fmt.Errorf("%w: no reply with a family id", errMalformed)}
	}
	k.family = id
	return nil
}

// ---- Client ----

// Info returns the IPVS version and connection table size (IPVS_CMD_GET_INFO).
func (k *Kernel) Info(ctx context.Context) (Info, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var info Info
	var got bool
	err := k.call(ctx, "get info", cmdGetInfo, false, nil, func(p []byte) error {
		a := attrs{b: p}
		var err error
		for typ, v, ok := a.next(); ok && err == nil; typ, v, ok = a.next() {
			switch typ {
			case infoAttrVersion:
				info.Version, err = getU32(v)
				got = true
			case infoAttrConnTabSize:
				info.ConnTabSize, err = getU32(v)
			}
		}
		if err != nil {
			return err
		}
		return a.err
	})
	if err == nil && !got {
		err = &OpError{Op: "get info", Err: fmt.Errorf("%w: reply without version", errMalformed)}
	}
	return info, err
}

// Services lists all virtual services (one IPVS_CMD_GET_SERVICE dump), in the
// kernel's order.
func (k *Kernel) Services(ctx context.Context) ([]ServiceInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []ServiceInfo
	err := k.call(ctx, "list services", cmdGetService, true, nil, func(p []byte) error {
		nest, ok, err := findAttr(p, cmdAttrService)
		if err != nil || !ok {
			return orMissing(err, "service")
		}
		out = append(out, ServiceInfo{})
		return k.dec.service(nest, &out[len(out)-1])
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func orMissing(err error, what string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: reply without %s attribute", errMalformed, what)
}

// Service returns one service; a missing one fails with ESRCH.
func (k *Kernel) Service(ctx context.Context, key ServiceKey) (ServiceInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out ServiceInfo
	got := false
	err := k.call(ctx, "get service", cmdGetService, false,
		func(e *encoder) { e.serviceKey(key) },
		func(p []byte) error {
			nest, ok, err := findAttr(p, cmdAttrService)
			if err != nil || !ok {
				return orMissing(err, "service")
			}
			got = true
			return k.dec.service(nest, &out)
		})
	if err == nil && !got {
		err = &OpError{Op: "get service", Err: unix.ESRCH}
	}
	return out, err
}

// AddService creates a service (IPVS_CMD_NEW_SERVICE).
func (k *Kernel) AddService(ctx context.Context, s Service) error {
	return k.single(ctx, Op{Kind: OpAddService, Service: s})
}

// UpdateService replaces a service's configuration, flags included.
func (k *Kernel) UpdateService(ctx context.Context, s Service) error {
	return k.single(ctx, Op{Kind: OpUpdateService, Service: s})
}

// DelService deletes a service and its destinations.
func (k *Kernel) DelService(ctx context.Context, key ServiceKey) error {
	return k.single(ctx, Op{Kind: OpDelService, Service: Service{Key: key}})
}

// Flush deletes every service.
func (k *Kernel) Flush(ctx context.Context) error {
	return k.single(ctx, Op{Kind: OpFlush})
}

// AddDestination adds a real server to a service.
func (k *Kernel) AddDestination(ctx context.Context, key ServiceKey, d Destination) error {
	return k.single(ctx, Op{Kind: OpAddDest, Service: Service{Key: key}, Dest: d})
}

// UpdateDestination changes a real server's configuration.
func (k *Kernel) UpdateDestination(ctx context.Context, key ServiceKey, d Destination) error {
	return k.single(ctx, Op{Kind: OpUpdateDest, Service: Service{Key: key}, Dest: d})
}

// DelDestination removes a real server from a service.
func (k *Kernel) DelDestination(ctx context.Context, key ServiceKey, d DestKey) error {
	return k.single(ctx, Op{Kind: OpDelDest, Service: Service{Key: key}, Dest: Destination{Key: d}})
}

func (k *Kernel) single(ctx context.Context, op Op) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	name, cmd, err := opRequest(&op)
	if err != nil {
		return err
	}
	return k.call(ctx, name, cmd, false, func(e *encoder) { encodeOp(e, &op) }, nil)
}

// opRequest maps an Op to its name (for errors) and command.
func opRequest(op *Op) (name string, cmd uint8, err error) {
	switch op.Kind {
	case OpAddService:
		return "add service", cmdNewService, nil
	case OpUpdateService:
		return "edit service", cmdSetService, nil
	case OpDelService:
		return "delete service", cmdDelService, nil
	case OpAddDest:
		return "add destination", cmdNewDest, nil
	case OpUpdateDest:
		return "edit destination", cmdSetDest, nil
	case OpDelDest:
		return "delete destination", cmdDelDest, nil
	case OpFlush:
		return "flush", cmdFlush, nil
	}
	return "", 0, &OpError{Op: "batch", Err: fmt.Errorf("unknown op kind %d", op.Kind)}
}

// encodeOp appends op's attributes (a plain switch, not closures: a restore
// encodes thousands of ops).
func encodeOp(e *encoder, op *Op) {
	switch op.Kind {
	case OpAddService, OpUpdateService:
		e.service(&op.Service)
	case OpDelService:
		e.serviceKey(op.Service.Key)
	case OpAddDest, OpUpdateDest:
		e.serviceKey(op.Service.Key)
		e.dest(&op.Dest)
	case OpDelDest:
		e.serviceKey(op.Service.Key)
		e.destKey(&op.Dest)
	}
}

// Destinations lists a service's real servers (one IPVS_CMD_GET_DEST dump). The
// kernel answers a dump for a missing service with an empty list, not an error.
func (k *Kernel) Destinations(ctx context.Context, key ServiceKey) ([]DestinationInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fam := serviceFamily(key)
	// Services of one table tend to have alike numbers of destinations: size the
	// result like the previous one, so a listing allocates once per service.
	out := make([]DestinationInfo, 0, k.destHint)
	err := k.call(ctx, "list destinations", cmdGetDest, true,
		func(e *encoder) { e.serviceKey(key) },
		func(p []byte) error {
			nest, ok, err := findAttr(p, cmdAttrDest)
			if err != nil || !ok {
				return orMissing(err, "destination")
			}
			out = append(out, DestinationInfo{})
			return k.dec.dest(nest, fam, &out[len(out)-1])
		})
	if err != nil {
		return nil, err
	}
	k.destHint = max(len(out), 1)
	return out, nil
}

// Zero zeroes the counters of one service, or of all when key is nil.
func (k *Kernel) Zero(ctx context.Context, key *ServiceKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var build func(e *encoder)
	if key != nil {
		kk := *key
		build = func(e *encoder) { e.serviceKey(kk) }
	}
	return k.call(ctx, "zero", cmdZero, false, build, nil)
}

// Timeouts returns the TCP, TCP FIN and UDP timeouts (IPVS_CMD_GET_CONFIG).
func (k *Kernel) Timeouts(ctx context.Context) (Timeouts, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var t Timeouts
	err := k.call(ctx, "get timeouts", cmdGetConfig, false, nil, func(p []byte) error {
		a := attrs{b: p}
		var err error
		for typ, v, ok := a.next(); ok && err == nil; typ, v, ok = a.next() {
			switch typ {
			case cmdAttrTimeoutTCP:
				t.TCP, err = getU32(v)
			case cmdAttrTimeoutTCPFin:
				t.TCPFin, err = getU32(v)
			case cmdAttrTimeoutUDP:
				t.UDP, err = getU32(v)
			}
		}
		if err != nil {
			return err
		}
		return a.err
	})
	return t, err
}

// SetTimeouts sets the timeouts; a zero field leaves that timeout unchanged (the
// kernel's rule). All three attributes are sent, as ipvsadm does.
func (k *Kernel) SetTimeouts(ctx context.Context, t Timeouts) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.call(ctx, "set timeouts", cmdSetConfig, false, func(e *encoder) {
		e.u32(cmdAttrTimeoutTCP, t.TCP)
		e.u32(cmdAttrTimeoutTCPFin, t.TCPFin)
		e.u32(cmdAttrTimeoutUDP, t.UDP)
	}, nil)
}

// Daemons lists the running sync daemons (master first, then backup).
func (k *Kernel) Daemons(ctx context.Context) ([]SyncDaemon, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []SyncDaemon
	err := k.call(ctx, "list daemons", cmdGetDaemon, true, nil, func(p []byte) error {
		nest, ok, err := findAttr(p, cmdAttrDaemon)
		if err != nil || !ok {
			return orMissing(err, "daemon")
		}
		out = append(out, SyncDaemon{})
		return k.dec.daemon(nest, &out[len(out)-1])
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StartDaemon starts a sync daemon (IPVS_CMD_NEW_DAEMON). Zero optional fields
// are not sent, so the kernel uses its defaults.
func (k *Kernel) StartDaemon(ctx context.Context, d SyncDaemon) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.call(ctx, "start daemon", cmdNewDaemon, false, func(e *encoder) { e.daemon(&d) }, nil)
}

// StopDaemon stops the master or the backup daemon.
func (k *Kernel) StopDaemon(ctx context.Context, state DaemonState) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.call(ctx, "stop daemon", cmdDelDaemon, false, func(e *encoder) {
		n := e.nestStart(cmdAttrDaemon)
		e.u32(daemonAttrState, uint32(state))
		e.nestEnd(n)
	}, nil)
}

// Batch applies ops in order, each on its own, and returns one error per op. The
// requests are pipelined: up to the batch window of them go to the kernel in one
// write (the kernel handles them in order within that write), then their
// acknowledgements are read back and matched to ops by sequence number.
func (k *Kernel) Batch(ctx context.Context, ops []Op) []error {
	errs := make([]error, len(ops))
	if len(ops) == 0 {
		return errs
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	names := make([]string, len(ops))
	for start := 0; start < len(ops); start += k.cfg.window {
		end := min(start+k.cfg.window, len(ops))
		if err := ctx.Err(); err != nil {
			failRest(errs, start, &OpError{Op: "batch", Err: err})
			return errs
		}
		if !k.batchWindow(ctx, ops, errs, names, start, end) {
			return errs
		}
	}
	return errs
}

// batchWindow sends ops[start:end] in one write and collects their acks. Without a
// deadline in ctx the default timeout applies to each window, not to the whole
// batch, so that a restore of any size can finish. It reports false when the
// batch must stop (the deadline passed).
func (k *Kernel) batchWindow(ctx context.Context, ops []Op, errs []error, names []string, start, end int) bool {
	k.arm(ctx)
	k.enc.buf = k.enc.buf[:0]
	base := k.seq + 1
	pending := 0
	for i := start; i < end; i++ {
		seq := k.nextSeq()
		name, cmd, err := opRequest(&ops[i])
		if err != nil {
			errs[i] = err
			continue
		}
		names[i] = name
		off := k.enc.begin(k.family, unix.NLM_F_REQUEST|unix.NLM_F_ACK, seq, cmd, ipvsGenlVersion)
		encodeOp(&k.enc, &ops[i])
		k.enc.end(off)
		errs[i] = errPending
		pending++
	}
	if pending == 0 {
		return true
	}
	if err := k.t.Send(k.enc.buf); err != nil {
		for i := start; i < end; i++ {
			if errs[i] == errPending {
				errs[i] = &OpError{Op: names[i], Err: err}
			}
		}
		return true
	}
	visit := func(m message) error {
		if m.typ != unix.NLMSG_ERROR {
			return nil
		}
		idx := int(m.seq - base) // unsigned difference survives wrap-around
		if m.seq-base >= uint32(end-start) {
			return nil
		}
		i := start + idx
		if errs[i] != errPending {
			return nil
		}
		code, err := errnoOf(m.payload)
		switch {
		case err != nil:
			errs[i] = &OpError{Op: names[i], Err: err}
		case code != 0:
			errs[i] = &OpError{Op: names[i], Err: code}
		default:
			errs[i] = nil
		}
		pending--
		return nil
	}
	for pending > 0 {
		if err := k.receive(ctx, "batch", visit); err != nil {
			cause := errors.Unwrap(err)
			for i := start; i < end; i++ {
				if errs[i] == errPending {
					errs[i] = &OpError{Op: names[i], Err: cause}
				}
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				failRest(errs, end, err)
				return false
			}
			return true
		}
	}
	return true
}

func failRest(errs []error, from int, err error) {
	for i := from; i < len(errs); i++ {
		errs[i] = err
	}
}
