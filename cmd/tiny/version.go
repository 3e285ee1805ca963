package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func versionCommand(std streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version, the commit and the Go version of this binary",
		Args:  positional(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(std.stdout, versionText())
			return err
		},
	}
}

// version and commit are the release's, set by deploy/release.sh with
// -ldflags "-X main.version=… -X main.commit=…"; empty in other builds,
// which take the commit from the build info when Go stamped it.
var version, commit string

// versionText reads the build information Go records in every binary:
// the module version (a tag when built with go install …@version), and
// the commit when built in a git checkout without -buildvcs=false.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "tiny (no build information)\n"
	}
	v, rev, modified := info.Main.Version, "unknown", ""
	if commit != "" {
		rev = commit
	}
	if v == "" {
		v = "(devel)"
	}
	if version != "" {
		v = version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	return fmt.Sprintf("tiny %s\ncommit %s%s\n%s\n", v, rev, modified, info.GoVersion)
}
