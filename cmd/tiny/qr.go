package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"tiny/internal/qr"
)

func qrCommand(std streams) *cobra.Command {
	var out string
	var size int
	cmd := &cobra.Command{
		Use:   "qr CODE [-o FILE.png|FILE.svg] [--size N]",
		Short: "draw a link's QR code in the terminal, or write it as PNG or SVG",
		Long: "Draws the QR code of the link's short URL. It is made here, from the URL the\n" +
			"server gives, so it matches the web app's and the API's.",
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			render, err := qrRenderer(out, size)
			if err != nil {
				return err
			}
			c, err := loggedIn()
			if err != nil {
				return err
			}
			var l apiLink
			if _, err := c.get(cmd.Context(), linkPath(args[0]), nil, &l); err != nil {
				return err
			}
			code, err := qr.Encode(l.ShortURL)
			if err != nil {
				return err
			}
			if render == nil {
				_, err := fmt.Fprintf(std.stdout, "%s%s\n", code.Terminal(), l.ShortURL)
				return err
			}
			b, err := render(code)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(std.stderr, "Wrote the QR code of %s to %s.\n", l.ShortURL, out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the code to this .png or .svg file instead")
	cmd.Flags().IntVar(&size, "size", qr.DefaultSize, fmt.Sprintf("width of the image in pixels (%d to %d)", qr.MinSize, qr.MaxSize))
	return cmd
}

// qrRenderer picks the image format from the file's extension; nil for
// the terminal. It checks the flags before any request is made.
func qrRenderer(out string, size int) (func(*qr.Code) ([]byte, error), error) {
	if out == "" {
		return nil, nil
	}
	if err := qr.CheckSize(size); err != nil {
		return nil, usagef("--size: %v", err)
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".png":
		return func(c *qr.Code) ([]byte, error) { return c.PNG(size) }, nil
	case ".svg":
		return func(c *qr.Code) ([]byte, error) { return c.SVG(size) }, nil
	}
	return nil, usagef("-o %s: the file must end in .png or .svg", out)
}
