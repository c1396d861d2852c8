package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// RunSave is the ipvsadm-save script: "-n" selects numeric output, any other word
// starting with '-' prints the script's help on stderr and exits 1, other words are
// ignored; then it runs "ipvsadm -S [-n]".
func RunSave(env Env) int {
	numeric := false
	for _, a := range env.Args[1:] {
		switch {
		case a == "-n":
			numeric = true
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(env.Stderr, "%s: Script to save the IPVS table to stdout.\n"+
				"   With the -n option, prints out the table in numeric format.\n", "ipvsadm-save")
			return 1
		}
	}
	env.Args = []string{"ipvsadm", "-S"}
	if numeric {
		env.Args = append(env.Args, "-n")
	}
	return Run(env)
}

// RunRestore is the ipvsadm-restore script: drop the lines of stdin that start with '#'
// (grep -v '^#'), clear the table (ipvsadm -C, whose status is ignored), and feed the
// rest to "ipvsadm -R" as echo "$(...)" would: trailing newlines cut, one added.
func RunRestore(env Env) int {
	var kept bytes.Buffer
	if env.Stdin != nil {
		br := bufio.NewReader(env.Stdin)
		for {
			line, err := br.ReadString('\n')
			if line != "" && !strings.HasPrefix(line, "#") {
				kept.WriteString(line)
				if !strings.HasSuffix(line, "\n") {
					kept.WriteByte('\n')
				}
			}
			if err != nil {
				if err != io.EOF {
					fmt.Fprintf(env.Stderr, "ipvsadm-restore: %v\n", err)
				}
				break
			}
		}
	}
	input := strings.TrimRight(kept.String(), "\n") + "\n"

	clear := env
	clear.Args = []string{"ipvsadm", "-C"}
	clear.Stdin = strings.NewReader("")
	Run(clear)

	env.Args = []string{"ipvsadm", "-R"}
	env.Stdin = strings.NewReader(input)
	return Run(env)
}
