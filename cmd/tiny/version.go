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

// versionText reads the build information Go records in every binary:
// the module version (a tag when built with go install …@version), and
// the commit when built in a git checkout without -buildvcs=false.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "tiny (no build information)\n"
	}
	version, commit, modified := info.Main.Version, "unknown", ""
	if version == "" {
		version = "(devel)"
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
	return fmt.Sprintf("tiny %s\ncommit %s%s\n%s\n", version, commit, modified, info.GoVersion)
}
