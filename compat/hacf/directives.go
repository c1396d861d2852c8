package hacf

import (
	"fmt"
	"time"
)

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

const (
	noteLogging  = "heartbeatd logs to syslog and the log files itself"
	noteLogd     = "heartbeatd has no logging daemon; it logs as logfile/debugfile/logfacility say"
	noteAPI      = "heartbeatd has no client API; its status query replaces cl_status"
	noteR2       = "Pacemaker (CRM) directive; heartbeatd runs R1 resources only"
	noteProcess  = "process tuning with no protocol or failover effect"
	noteCompress = "R1 messages stay below compression_threshold; compressed messages from a peer are not implemented (compat/hbwire)"
)

// directiveList is heartbeat 3.0.6's directive table (its Directives, whole-line
// directives and installed HBcomm media plugins) with heartbeatd's support for each.
var directiveList = []*DirectiveInfo{
	// Cluster membership and media.
	{Name: "node", Support: Honoured, set: (*Config).addNode},
	{Name: "bcast", Support: Honoured, set: (*Config).addBcast},
	{Name: "ucast", WholeLine: true, Support: Honoured, set: (*Config).addUcast},
	{Name: "mcast", WholeLine: true, Support: Honoured, set: (*Config).addMcast},
	{Name: "udpport", Support: Honoured, set: (*Config).setUDPPort},
	{Name: "ping", Support: Honoured, set: func(c *Config, v string) error { c.Pings = append(c.Pings, v); return nil }},
	{Name: "ping_group", WholeLine: true, Support: Honoured, set: (*Config).addPingGroup},
	{Name: "serial", Support: NotImplemented, Note: "serial-line heartbeats; use bcast, mcast or ucast",
		set: func(c *Config, v string) error {
			c.Media = append(c.Media, Medium{Kind: Serial, Line: c.currentLine(), Device: v})
			c.mediaSeen = true
			return nil
		}},
	{Name: "baud", Support: Accepted, Note: "serial line speed; serial media are not implemented", set: (*Config).setBaud},
	{Name: "mcast6", WholeLine: true, Support: Honoured, set: (*Config).addMcast6},
	{Name: "ucast6", WholeLine: true, Support: Honoured, set: (*Config).addUcast6},
	{Name: "ping6", Support: Honoured, Note: "IPv6 ping nodes, pinged with ICMPv6 echo; an IPv6 address only, no host name, as in heartbeat 3.0.6", set: (*Config).addPing6},

	// Timing.
	{Name: "keepalive", Support: Honoured, set: timeSetter("keepalive", 1, func(c *Config) *time.Duration { return &c.Keepalive })},
	{Name: "deadtime", Support: Honoured, set: timeSetter("deadtime", 0, func(c *Config) *time.Duration { return &c.Deadtime })},
	{Name: "warntime", Support: Honoured, set: func(c *Config, v string) error {
		t, err := timeValue("warntime", v, 1, fmt.Sprintf("Warn time [%s] is invalid.", v))
		if err != nil {
			return err
		}
		c.Warntime = t
		return nil
	}},
	{Name: "initdead", Support: Honoured, set: timeSetter("initdead", 0, func(c *Config) *time.Duration { return &c.Initdead })},
	{Name: "deadping", Support: Honoured, set: timeSetter("deadping", 0, func(c *Config) *time.Duration { return &c.Deadping })},

	// Resources.
	{Name: "auto_failback", Support: Honoured, set: (*Config).setAutoFailback},
	{Name: "nice_failback", Support: Honoured, set: (*Config).setNiceFailback},
	{Name: "crm", Support: Honoured, Note: "only 'off': heartbeatd runs R1 resources", set: (*Config).setPacemaker},
	{Name: "pacemaker", Support: Honoured, Note: "only 'off': heartbeatd runs R1 resources", set: (*Config).setPacemaker},
	{Name: "autojoin", Support: Honoured, Note: "only 'none' is valid with R1 resources, as in heartbeat",
		set: oneOf("autojoin", true, "Invalid autojoin directive [%s]", func(c *Config) *string { return &c.Autojoin }, "none", "other", "any")},
	{Name: "respawn", WholeLine: true, Support: Honoured, Note: "started when the node becomes active, as heartbeat 3.0.6: sh -c as the user, restarted 1 s after an exit but 100, given up after 11 short runs; ipfail (any path ending in /ipfail) is built in", set: childSetter(false)},
	{Name: "failfast", WholeLine: true, Support: NotImplemented, Note: "rebooting the node when a child dies", set: childSetter(true)},
	{Name: "env", Support: Honoured, Note: "sets HA_NAME=value for respawned programs", set: (*Config).setEnv},

	// Protocol.
	{Name: "hopfudge", Support: Honoured, set: intSetter("hopfudge", 0, 255, "", func(c *Config) *int { return &c.HopFudge })},
	{Name: "msgfmt", Support: Accepted, Note: "heartbeat 3.0.6 frames its messages as netstrings either way (compat/hbwire)", set: oneOf("msgfmt", false, "", func(c *Config) *string { return &c.Msgfmt }, "classic", "netstring")},
	{Name: "compression", Support: Accepted, Note: noteCompress, set: oneOf("compression", false, "Compression module(%s) not found", func(c *Config) *string { return &c.Compression }, "zlib", "bz2")},
	{Name: "compression_threshold", Support: Accepted, Note: noteCompress, set: intSetter("compression_threshold", 1, 1<<20, "set_compression_threshold: compress_threshhold(%s) invalid", func(c *Config) *int { return &c.CompressionThreshold })},
	{Name: "traditional_compression", Support: Accepted, Note: noteCompress, set: boolSetter("traditional_compression", func(c *Config) *bool { return &c.TraditionalCompression })},
	{Name: "max_rexmit_delay", Support: Honoured, set: func(c *Config, v string) error {
		n := atoi(v)
		if n <= 0 {
			return bad(fmt.Sprintf("Invalid max_rexmit_delay time(%s)", v), "max_rexmit_delay %q: want milliseconds > 0", v)
		}
		if n > MaxTime.Milliseconds() {
			// heartbeat's atoi keeps the low 32 bits of a larger number, and takes them
			// when positive.
			return outOfRange("max_rexmit_delay", v, true, "", "at most %d milliseconds, one day", MaxTime.Milliseconds())
		}
		c.MaxRexmitDelay = time.Duration(n) * time.Millisecond
		return nil
	}},
	{Name: "uuidfrom", Support: Honoured, set: oneOf("uuidfrom", false, "Invalid uuidfrom directive [%s]", func(c *Config) *string { return &c.UUIDFrom }, "file", "nodename")},
	{Name: "hbgenmethod", Support: Honoured, set: oneOf("hbgenmethod", false, "Illegal hb generation method [%s]", func(c *Config) *string { return &c.Hbgenmethod }, "file", "time")},
	{Name: "cluster", Support: Accepted, Note: "the cluster's name, which R1 messages do not carry", set: str(func(c *Config) *string { return &c.Cluster })},

	// Logging.
	{Name: "logfile", Support: Honoured, set: str(func(c *Config) *string { return &c.LogFile })},
	{Name: "debugfile", Support: Honoured, set: str(func(c *Config) *string { return &c.DebugFile })},
	{Name: "logfacility", Support: Honoured, set: (*Config).setLogFacility},
	{Name: "debug", Support: Honoured, set: intSetter("debug", 0, 255, "", func(c *Config) *int { return &c.Debug })},
	{Name: "use_logd", Support: Accepted, Note: noteLogd, set: (*Config).setUseLogd},
	{Name: "conn_logd_time", Support: Accepted, Note: noteLogd, set: timeSetter("conn_logd_time", 1, func(c *Config) *time.Duration { d := time.Duration(0); return &d })},
	{Name: "log_badpack", Support: Accepted, Note: noteLogging, set: boolSetter("log_badpack", nil)},
	{Name: "syslogmsgfmt", Support: Accepted, Note: noteLogging, set: boolSetter("syslogmsgfmt", nil)},

	// Process tuning.
	{Name: "realtime", Support: Honoured, set: boolSetter("realtime", func(c *Config) *bool { return &c.Realtime })},
	{Name: "rtprio", Support: Honoured, set: func(c *Config, v string) error {
		n := atoi(v)
		if n < 1 || n > 99 {
			return bad(fmt.Sprintf("Illegal realtime priority [%s]", v), "rtprio %q: want 1-99", v)
		}
		c.RTPrio = int(n)
		return nil
	}},
	{Name: "coredumps", Support: Accepted, Note: noteProcess, set: boolSetter("coredumps", func(c *Config) *bool { return &c.Coredumps })},
	{Name: "coreroot", Support: Accepted, Note: noteProcess, set: ignoreValue},
	{Name: "memreserve", Support: Accepted, Note: noteProcess, set: intSetter("memreserve", 1, 1<<40, "", nil)},
	{Name: "use_apphbd", Support: Accepted, Note: "apphbd registration; heartbeatd is supervised by its init system", set: boolSetter("use_apphbd", nil)},
	{Name: "apiauth", WholeLine: true, Support: Accepted, Note: noteAPI, set: (*Config).setAPIAuth},

	// Pacemaker-only settings heartbeat accepts (and ignores) without pacemaker.
	{Name: "record_config_changes", Support: Accepted, Note: noteR2, set: boolSetter("record_config_changes", nil)},
	{Name: "record_pengine_inputs", Support: Accepted, Note: noteR2, set: boolSetter("record_pengine_inputs", nil)},
	{Name: "enable_config_writes", Support: Accepted, Note: noteR2, set: boolSetter("enable_config_writes", nil)},
	{Name: "crmd_spawns_pengine", Support: Accepted, Note: noteR2, set: boolSetter("crmd_spawns_pengine", nil)},
	{Name: "crm_daemon_dir", Support: NotImplemented, Note: noteR2, set: ignoreValue},
	{Name: "quorum_server", Support: NotImplemented, Note: "quorum server (Pacemaker quorum plugin)", set: ignoreValue},

	// Fencing and watchdog.
	{Name: "stonith", WholeLine: true, Support: NotImplemented, Note: "STONITH fencing", set: (*Config).stonithLine},
	{Name: "stonith_host", WholeLine: true, Support: NotImplemented, Note: "STONITH fencing", set: (*Config).stonithLine},
	{Name: "watchdog", Support: Honoured, Note: "written every keepalive, disarmed (magic close) on a clean stop; the timeout is the device's (softdog: soft_margin, 60 s by default)", set: (*Config).setWatchdog},
}
