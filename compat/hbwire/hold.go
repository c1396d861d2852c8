package hbwire

// Hold is a value of rsc_hold: a share of the resource groups, always from the point of
// view of the node that sends it. A group is in a node's local share when the node is
// its preferred node (the first word of its haresources line), in its foreign share
// otherwise.
type Hold string

const (
	HoldNone    Hold = "none"
	HoldLocal   Hold = "local"
	HoldForeign Hold = "foreign"
	HoldAll     Hold = "all"
)

// HoldOf is the holding made of the local share (when local) and the foreign share
// (when foreign).
func HoldOf(local, foreign bool) Hold {
	switch {
	case local && foreign:
		return HoldAll
	case local:
		return HoldLocal
	case foreign:
		return HoldForeign
	}
	return HoldNone
}

// Local reports whether h includes the local share.
func (h Hold) Local() bool { return h == HoldLocal || h == HoldAll }

// Foreign reports whether h includes the foreign share.
func (h Hold) Foreign() bool { return h == HoldForeign || h == HoldAll }

// Mirror is h seen from the other node: the sender's local share is the receiver's
// foreign one. Anything but the four values mirrors to HoldNone.
func (h Hold) Mirror() Hold { return HoldOf(h.Foreign(), h.Local()) }
