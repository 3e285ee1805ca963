package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"tiny/internal/tiny"
)

// TestBackupWhileServing backs up a database while another connection
// keeps creating links, as a serving tiny would: the backup is a whole
// database holding a prefix of the links, and restoring it gives a store
// that opens and finds them.
func TestBackupWhileServing(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	codec, err := tiny.NewCodec([]byte("backup-test-key!"))
	if err != nil {
		t.Fatal(err)
	}
	var created atomic.Int64
	writing, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() {
		for id := int64(1); writing.Err() == nil; id++ {
			l := &tiny.Link{ID: id, Code: codec.Encode(id), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
			if err := db.CreateLink(ctx, l); err != nil {
				done <- err
				return
			}
			created.Store(id)
		}
		done <- nil
	}()
	for created.Load() < 200 {
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	info, err := Backup(ctx, path, backup)
	before := created.Load()
	stop()
	if werr := <-done; werr != nil {
		t.Fatalf("creating links during the backup: %v", werr)
	}
	if err != nil {
		t.Fatalf("Backup = %v", err)
	}
	if info.Links < 200 || info.Links > before+1 || info.SchemaVersion < 6 {
		t.Errorf("Backup = %+v, want 200..%d links at schema 6 or later", info, before+1)
	}
	if _, err := Backup(ctx, path, backup); err == nil {
		t.Error("Backup over an existing file = nil error, want it refused")
	}

	// Restoring over the live database is refused; into a new place it works.
	if _, err := Restore(ctx, backup, path, true); err == nil || !strings.Contains(err.Error(), "stop tiny") {
		t.Errorf("Restore over a serving database = %v, want it refused", err)
	}
	restored := filepath.Join(dir, "restored.db")
	if _, err := Restore(ctx, backup, restored, false); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	rdb, err := Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	l, err := rdb.LinkByID(ctx, info.Links)
	if err != nil || l.ID != info.Links {
		t.Errorf("the restored store's last link = %+v, %v, want link %d", l, err, info.Links)
	}
	if _, err := Restore(ctx, backup, restored, false); err == nil {
		t.Error("Restore over an existing file without force = nil error, want it refused")
	}
}

func TestCheckBackupRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckBackup(t.Context(), notDB); err == nil {
		t.Error("CheckBackup(a text file) = nil error")
	}
	if _, err := CheckBackup(t.Context(), filepath.Join(dir, "missing.db")); err == nil {
		t.Error("CheckBackup(a missing file) = nil error")
	}
}
