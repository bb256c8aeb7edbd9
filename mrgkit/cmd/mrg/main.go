// Command mrg is mrgkit's one command-line tool: `mrg <verb> [flags]`.
// Each verb lives in its own file and registers itself in init().
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	usageerr "github.com/mrgkit/mrgkit/mrgkit/internal/usage"
)

// verb is one `mrg` sub-command.
type verb struct {
	name    string
	summary string
	// run parses args (without the verb, with parseFlags) and does the
	// work. Errors are printed as one line `mrg <verb>: <error>`. The exit
	// status is 2 for usage errors: the command line itself is wrong, on
	// any files (an unknown flag, a value that does not parse or is out of
	// range, a -set key or value refused, a missing or contradicting flag;
	// usagef here, usage.Wrap in the packages); 1 for every other error
	// (missing or bad files, a run that cannot be resumed so, the machine);
	// 0 for -h.
	run func(args []string, stdout, stderr io.Writer) error
}

var verbs = map[string]verb{}

// register adds a verb; called from init() in each verb's file.
func register(v verb) {
	if _, dup := verbs[v.name]; dup {
		panic("mrg: verb registered twice: " + v.name)
	}
	verbs[v.name] = v
}

// usageError marks an error caused by wrong command-line use (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// newFlagSet returns a FlagSet for a verb that reports errors instead of exiting.
// Parse it with parseFlags.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mrg "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses a verb's flags. -h prints the verb's usage and returns
// flag.ErrHelp; a bad flag or value returns a usage error, printed by Main
// as one line (flag's own message and flag list are not printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, printUsage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = printUsage
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		printUsage()
		return flag.ErrHelp
	}
	return usagef("%v (%s -h lists the flags)", err, fs.Name())
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mrg <verb> [flags]   (mrg <verb> -h for the verb's flags)")
	fmt.Fprintln(w, "\nverbs:")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, verbs[n].summary)
	}
}

// Main runs mrg with the given arguments and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mrg: unknown verb %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := v.run(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		msg := strings.TrimSpace(err.Error())
		fmt.Fprintf(stderr, "mrg %s: %s\n", v.name, msg)
		if ue := (usageError{}); errors.As(err, &ue) || usageerr.Is(err) {
			return 2
		}
		return 1
	}
}

// writeJSON prints v as indented JSON (HTML characters unescaped).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
