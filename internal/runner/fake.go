package runner

import (
	"context"
	"sync"
)

// Fake is a Runner that runs nothing: it records every Cmd and answers with the result
// Respond returns (or a zero Result). Safe for concurrent use.
type Fake struct {
	// Respond, if set, decides the result of each call.
	Respond func(c Cmd) Result

	mu    sync.Mutex
	calls []Cmd
}

var _ Runner = (*Fake)(nil)

// Run records c and returns the scripted result.
func (f *Fake) Run(_ context.Context, c Cmd) Result {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	respond := f.Respond
	f.mu.Unlock()
	if c.Started != nil {
		c.Started(0)
	}
	if respond == nil {
		return Result{}
	}
	return respond(c)
}

// Calls returns a copy of the recorded calls, oldest first.
func (f *Fake) Calls() []Cmd {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Cmd(nil), f.calls...)
}
