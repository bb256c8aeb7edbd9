package run

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Lock files of a run directory. Both are OS file locks (flock): the kernel
// releases them when the process ends, however it ends, so a killed run never
// leaves a stale lock behind.
const (
	// RunLockFile is held exclusively by the one process training into the
	// directory, for the whole run. It holds that process's id and command.
	RunLockFile = ".lock"
	// CkptLockFile is held exclusively by the trainer only while it swaps a
	// checkpoint directory in (the two renames of SaveCheckpoint), and shared
	// by readers (LoadCheckpoint, Load) while they read one, so that a
	// reader never sees a half-renamed checkpoint.
	CkptLockFile = ".ckpt.lock"
)

// RunLock is an exclusive lock on a run directory.
type RunLock struct{ f *os.File }

// LockRun takes the run directory's exclusive lock without waiting. When
// another process holds it, the error names that process (its id and
// command, as it wrote them into the lock file).
func LockRun(dir string) (*RunLock, error) {
	path := filepath.Join(dir, RunLockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "locking run directory %s", dir)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			holder = strings.TrimSpace(string(b))
		}
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, errors.Errorf("run directory %s is in use by %s (lock %s): wait for it to finish, or use another -out", dir, holder, path)
		}
		return nil, errors.Wrapf(err, "locking run directory %s", dir)
	}
	// Ours now: say who holds it.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("process %d (%s)\n", os.Getpid(), strings.Join(os.Args, " "))), 0)
	}
	return &RunLock{f: f}, nil
}

// Unlock releases the lock (the lock file stays: removing it would race with
// a process that has just opened it).
func (l *RunLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

// LockCheckpoints takes the checkpoint lock of the run directory parent,
// shared (readers) or exclusive (the trainer's renames), waiting for it. The
// returned function releases it. A directory where the lock file can be
// neither opened nor created (read-only, someone else's) is read unlocked:
// nobody can be writing checkpoints into it either.
func LockCheckpoints(parent string, exclusive bool) (func(), error) {
	path := filepath.Join(parent, CkptLockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		if f, err = os.Open(path); err != nil {
			if exclusive {
				return nil, errors.Wrapf(err, "locking checkpoints in %s", parent)
			}
			return func() {}, nil
		}
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if exclusive {
			return nil, errors.Wrapf(err, "locking checkpoints in %s", parent)
		}
		return func() {}, nil
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		_ = f.Close()
	}, nil
}
