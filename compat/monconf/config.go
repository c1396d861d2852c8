package monconf

import (
	"time"

	"github.com/lvskit/lvskit/compat/timeperiod"
)

// Config is one parsed mon.cf, in file order. mon 1.3.6 keeps watches and
// services in perl hashes (no order); we keep the file's order so that
// output and tests are deterministic.
type Config struct {
	// File is the name given to Parse (used in error messages).
	File string

	Globals Globals

	// Hostgroups in order of first definition. A later "hostgroup X" line
	// replaces X's hosts in place, as mon does. A watch whose hostgroup is
	// not (yet) defined creates a hostgroup named after the watch holding
	// the single host of that name (mon warns, see Warnings).
	Hostgroups []*Hostgroup

	// Watches in order of first "watch" line. A second "watch X" block
	// after X already has services is an error; an earlier empty block is
	// merged, as in mon. A watch may have no services (mon then has no
	// such watch at all: "list watch" does not show it).
	Watches []*Watch

	// Aliases are "alias NAME" records (used by monshow); lines kept raw.
	Aliases []*Alias

	// Views are "view NAME item..." records (used by monshow).
	Views []*View

	// Warnings are the non-fatal messages mon prints on stderr while
	// reading the file ("watch group X defined with no corresponding
	// hostgroup.", "hostgroup X has no watch assigned to it!").
	Warnings []string
}

// Globals holds every "name = value" option of mon 1.3.6's read_cf, with
// mon's defaults already applied where they do not depend on the host.
// Options whose default depends on which directories exist (logdir,
// statedir, pidfile) are left empty unless set: mon picks /var/log/mon or
// "log.d"; /var/state/mon, /var/lib/mon or "state.d"; /run/mon/mon.pid,
// /run/mon.pid or /etc/mon.pid. Relative paths are resolved by the caller
// as mon's normalize_paths does (against basedir, cfbasedir or logdir).
type Globals struct {
	// Set records which options appeared in the file (by option name,
	// e.g. "pidfile"), so that "pidfile =" (empty: no pid file) can be
	// told from "not set".
	Set map[string]bool
	// Raw is each option's value exactly as written (last one wins).
	Raw map[string]string
	// Lines is the line of each option's last setting.
	Lines map[string]int

	AlertDir  string // alertdir; default "/usr/local/lib/mon/alert.d:alert.d"; ':'-separated list
	MonDir    string // mondir (mon's SCRIPTDIR); default "/usr/local/lib/mon/mon.d:mon.d"
	BaseDir   string // basedir; default "/usr/lib/mon"; relative values are made "./X"-relative as mon does
	CfBaseDir string // cfbasedir; default "/etc/mon"
	LogDir    string // logdir; "" = host default (/var/log/mon if a directory, else "log.d")
	StateDir  string // statedir; "" = host default (/var/state/mon, /var/lib/mon, else "state.d")
	PidFile   string // pidfile; "" with Set["pidfile"] = no pid file; unset = host default

	HistLength    int    // histlength (MAX_KEEP); default 100
	ServerPort    int    // serverport; default 2583
	TrapPort      int    // trapport; default 2583
	ServerBind    string // serverbind; "" = any
	TrapBind      string // trapbind; "" = any
	ClientAllow   string // clientallow; a perl regexp, default `\d+.\d+.\d+.\d+`
	MaxProcs      int    // maxprocs; 0 = unlimited
	RandStart     time.Duration
	AuthFile      string   // authfile; default "auth.cf" (relative to cfbasedir)
	AuthType      string   // authtype as written; default "getpwnam"
	AuthTypes     []string // authtype split on white space
	PamService    string   // pamservice; default "passwd"
	UserFile      string   // userfile; default "monusers.cf" (relative to cfbasedir)
	HistoricFile  string   // historicfile; "" = none
	HistoricTime  time.Duration
	ClientTimeout time.Duration // cltimeout; default 30s
	MonErrFile    string        // monerrfile; default "/dev/null"
	DtLogFile     string        // dtlogfile; default "downtime.log" (relative to logdir)
	DtLogging     bool          // dtlogging; default false

	DepRecurLimit int // dep_recur_limit; default 10

	// DepBehavior, DepMemory and UnackSummary are the values in force at
	// the END of the file. mon applies them positionally: each service
	// takes the value current when its "service" line is read (stored in
	// Service.DepBehavior etc.).
	DepBehavior  string        // dep_behavior: "a" (default), "m" or "hm"
	DepMemory    time.Duration // dep_memory; default 0
	UnackSummary bool          // unack_summary; default false

	SyslogFacility       string // syslog_facility; default "daemon"
	StartupAlertsOnReset bool   // startupalerts_on_reset; default false
	MonRemote            string // monremote; "" = unset

	// ExcludePeriod is the global exclude_period ("" = none): while the
	// time is inside it no monitor runs.
	ExcludePeriod       string
	ExcludePeriodParsed timeperiod.Period
}

// Hostgroup is a "hostgroup NAME host..." record (hosts may continue on
// the following lines until a blank line).
type Hostgroup struct {
	Name  string
	Hosts []string
	Line  int // line of the (last) "hostgroup" keyword
	// Implicit: created by a "watch" line naming no defined hostgroup;
	// its single host is the watch's name.
	Implicit bool
}

// Alias is an "alias NAME" record; Lines are the record's lines, raw.
type Alias struct {
	Name  string
	Lines []string
	Line  int
}

// View is a "view NAME item..." record.
type View struct {
	Name  string
	Items []string
	Line  int
}

// Watch is a "watch GROUP" block.
type Watch struct {
	Group    string
	Services []*Service
	Line     int
}

// Service is a "service NAME" block within a watch. Zero values mean "not
// configured" unless stated.
type Service struct {
	Name string
	Line int

	// Interval is the polling interval; 0 means mon never runs the
	// monitor (mon 1.3.6 has no default interval: such a service only
	// reacts to traps).
	Interval        time.Duration
	FailureInterval time.Duration // failure_interval; 0 = use Interval
	RandSkew        time.Duration // randskew; default 0

	// Monitor is the "monitor" line as written ("" = no monitor).
	// MonitorCmd is its parse: Program is the first white-space separated
	// word, Args the rest split with perl's Text::ParseWords::quotewords
	// (quotes and backslashes honoured) as mon's run_monitor does. When
	// the line ends in ";;", NoHosts is set and the ";;" is removed: mon
	// then does not append the hostgroup's hosts.
	Monitor    string
	MonitorCmd *Command
	NoHosts    bool

	// AllowEmptyGroup: "allow_empty_group" present; the monitor runs even
	// when every host is disabled/excluded.
	AllowEmptyGroup bool
	Description     string // description (MON_DESCRIPTION)

	// Redistribute is the "redistribute ALERT args" line ("" = none).
	Redistribute    string
	RedistributeCmd *Command

	TrapTimeout  time.Duration // traptimeout; 0 = none
	TrapDuration time.Duration // trapduration; 0 = none

	// Depend is the "depend" expression with "SELF:" already replaced by
	// "GROUP:" (a perl expression over GROUP:SERVICE terms in mon).
	Depend        string
	AlertDepend   string
	MonitorDepend string
	HostDepend    string
	DepBehavior   string        // "a", "m" or "hm"; default from the global in force
	DepMemory     time.Duration // default from the global in force

	// ExcludeHosts are hosts never passed to the monitor (file order,
	// duplicates removed).
	ExcludeHosts        []string
	ExcludePeriod       string // "" = none
	ExcludePeriodParsed timeperiod.Period

	UnackSummary bool

	// Env are the "NAME=value" lines of the service, in file order (last
	// definition of a name wins in mon; here duplicates are replaced in
	// place). mon sets them in the environment of alerts.
	Env []EnvVar

	// Periods in file order.
	Periods []*Period

	// Set records which service keywords appeared (e.g. "interval");
	// Lines the line of each one's last use.
	Set   map[string]bool
	Lines map[string]int
}

// EnvVar is a NAME=value line inside a service.
type EnvVar struct {
	Name, Value string
}

// Period is a "period [LABEL:] SPEC" block with its alert settings.
type Period struct {
	// Label is the name mon uses for the period: the LABEL before ':' if
	// given, else the whole spec string.
	Label  string
	Spec   string // Time::Period spec ("" = always)
	Parsed timeperiod.Period
	Line   int

	// Alert lines in file order, per kind.
	Alerts        []*AlertLine
	UpAlerts      []*AlertLine
	StartupAlerts []*AlertLine
	AckAlerts     []*AlertLine
	DisableAlerts []*AlertLine

	// AlertEvery 0 = every failure alerts (mon's default).
	AlertEvery time.Duration
	// Modifier after the alertevery time: "" , "strict", "observe_detail",
	// "ignore_summary" or "summary" (accepted for compatibility, no effect).
	AlertEveryMode string

	// alertafter forms:
	//   alertafter N        → AlertAfterConsec = N
	//   alertafter TIME     → AlertAfterInterval = TIME
	//   alertafter N TIME   → AlertAfter = N, AlertAfterInterval = TIME
	// Several alertafter lines accumulate as in mon (each form sets only
	// its own fields; "alertafter 3" then "alertafter 10m" leaves both
	// AlertAfterConsec 3 and AlertAfterInterval 10m). AlertAfterForm is
	// the last form used; an exact engine reads the three fields.
	AlertAfterConsec   int
	AlertAfter         int
	AlertAfterInterval time.Duration
	AlertAfterForm     AlertAfterForm

	UpAlertAfter    time.Duration // upalertafter; 0 = none
	NumAlerts       int           // numalerts; 0 = unlimited
	NoCompAlerts    bool          // no_comp_alerts
	AlertsDontCount bool          // alerts_dont_count
	AlertExitRange  ExitRange     // alertexitrange "N" or "N-M"; "" = none

	// Set records which period keywords appeared; Lines the line of
	// each one's last use.
	Set   map[string]bool
	Lines map[string]int
}

// AlertAfterForm tells which of the alertafter syntaxes was used.
type AlertAfterForm int

const (
	AlertAfterNone      AlertAfterForm = iota
	AlertAfterCount                    // alertafter N
	AlertAfterTime                     // alertafter TIME
	AlertAfterCountTime                // alertafter N TIME
)

// AlertLine is one alert/upalert/startupalert/ackalert/disablealert line.
type AlertLine struct {
	// Raw is the line's argument text as written (after the keyword).
	Raw string
	// ExitRange is the "exit=N" or "exit=N-M" prefix ("" = any exit
	// value): mon calls the alert only when the monitor's exit value is in
	// range.
	ExitRange ExitRange
	// Cmd is the alert program (looked up in alertdir) and its arguments
	// split with quotewords, as mon's do_alert and call_alert do.
	Cmd  Command
	Line int
}

// Command is a program name and its arguments.
type Command struct {
	// Program is the name as written (looked up in mondir/alertdir).
	Program string
	// ArgText is the argument text as mon hands it to quotewords (and, for
	// an alert, writes it in its log and alert history); "" = none.
	ArgText string
	// Args is ArgText split with quotewords.
	Args []string
	// QuoteError: ArgText has an unbalanced quote or a trailing backslash,
	// for which perl's quotewords returns no words at all (Args is nil).
	// mon 1.3.6 reads such a line without complaint; at run time it calls
	// such an alert without its configured arguments, and a monitor's argv
	// is empty, so exec fails and every check fails (exit 1, no output).
	QuoteError bool
}
