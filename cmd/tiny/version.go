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

// version is the release's version, set by deploy/release.sh with
// -ldflags "-X main.version=…"; empty in other builds.
var version string

// versionText reads the build information Go records in every binary:
// the module version (a tag when built with go install …@version), and
// the commit when built in a git checkout without -buildvcs=false.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "tiny (no build information)\n"
	}
	v, commit, modified := info.Main.Version, "unknown", ""
	if v == "" {
		v = "(devel)"
	}
	if version != "" {
		v = version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	return fmt.Sprintf("tiny %s\ncommit %s%s\n%s\n", v, commit, modified, info.GoVersion)
}
