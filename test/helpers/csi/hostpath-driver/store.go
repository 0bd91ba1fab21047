package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// volumeMeta is what the store knows of a volume besides its files.
type volumeMeta struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	CapacityBytes  int64             `json:"capacityBytes"`
	SourceSnapshot string            `json:"sourceSnapshot,omitempty"`
	SourceVolume   string            `json:"sourceVolume,omitempty"`
	Parameters     map[string]string `json:"parameters,omitempty"`
	// Block: a raw block volume (CSI access type block), kept as a sparse image file.
	Block bool `json:"block,omitempty"`
}

type snapshotMeta struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	SourceVolume string    `json:"sourceVolume"`
	SizeBytes    int64     `json:"sizeBytes"`
	CreatedAt    time.Time `json:"createdAt"`
	// ReadyAt is when the snapshot turns readyToUse; zero: at once.
	ReadyAt time.Time `json:"readyAt,omitzero"`
	// Group is the group snapshot the snapshot was cut in, if any.
	Group string `json:"group,omitempty"`
	// Block: a copy of a block volume's image rather than a tar archive of its files.
	Block bool `json:"block,omitempty"`
}

// store keeps volumes and snapshots under one directory. A volume or snapshot exists once
// its metadata file does: the files are put in place first, the metadata written last, so
// a crash in between leaves nothing that Create would mistake for a finished object.
// One mutex serialises every change; the sidecars' calls are few.
type store struct {
	mu   sync.Mutex
	root string
}

var validID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$`)

var errNotFound = errors.New("not found")

func openStore(root string) (*store, error) {
	for _, dir := range []string{"volumes", "volume-meta", "snapshots", "groups"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			return nil, err
		}
	}
	return &store{root: root}, nil
}

func (s *store) volumeDir(id string) string { return filepath.Join(s.root, "volumes", id) }
func (s *store) volumeImage(id string) string {
	return filepath.Join(s.root, "volumes", id+".img")
}
func (s *store) snapshotImage(id string) string {
	return filepath.Join(s.root, "snapshots", id+".img")
}
func (s *store) volumeMetaPath(id string) string {
	return filepath.Join(s.root, "volume-meta", id+".json")
}
func (s *store) archivePath(id string) string {
	return filepath.Join(s.root, "snapshots", id+".tar.gz")
}
func (s *store) snapshotMetaPath(id string) string {
	return filepath.Join(s.root, "snapshots", id+".json")
}

func (s *store) groupPath(id string) string { return filepath.Join(s.root, "groups", id+".json") }

func readJSON[T any](path string) (*T, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	var value T
	if err := json.Unmarshal(data, &value); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &value, nil
}

func writeJSON(path string, value any) error {
	data, err := json.Marshal(value)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *store) volume(id string) (*volumeMeta, error) {
	return readJSON[volumeMeta](s.volumeMetaPath(id))
}

func (s *store) snapshot(id string) (*snapshotMeta, error) {
	return readJSON[snapshotMeta](s.snapshotMetaPath(id))
}

// createVolume fills a fresh directory (or, for a block volume, image) from the snapshot
// or volume that meta names, then moves it into place.
func (s *store) createVolume(meta volumeMeta) error {
	if meta.Block {
		return s.createBlockVolume(meta)
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "volumes"), ".new-"+meta.ID+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	switch {
	case meta.SourceSnapshot != "":
		err = run("tar", "-xzf", s.archivePath(meta.SourceSnapshot), "-C", tmp)
	case meta.SourceVolume != "":
		err = run("cp", "-a", s.volumeDir(meta.SourceVolume)+"/.", tmp)
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o777); err != nil {
		return err
	}
	if err := os.RemoveAll(s.volumeDir(meta.ID)); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.volumeDir(meta.ID)); err != nil {
		return err
	}
	return writeJSON(s.volumeMetaPath(meta.ID), meta)
}

// createBlockVolume makes a sparse image of the volume's capacity: a copy of the source
// snapshot's or volume's image (holes kept), grown to the capacity, or an empty one.
func (s *store) createBlockVolume(meta volumeMeta) error {
	tmp := s.volumeImage(meta.ID) + ".tmp"
	defer os.Remove(tmp)
	var err error
	switch {
	case meta.SourceSnapshot != "":
		err = sparseCopy(s.snapshotImage(meta.SourceSnapshot), tmp)
	case meta.SourceVolume != "":
		err = sparseCopy(s.volumeImage(meta.SourceVolume), tmp)
	}
	if err != nil {
		return err
	}
	if err := growTo(tmp, meta.CapacityBytes); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.volumeImage(meta.ID)); err != nil {
		return err
	}
	return writeJSON(s.volumeMetaPath(meta.ID), meta)
}

// growTo makes path (created if missing) at least size bytes long; the growth is a hole.
func growTo(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < size {
		if err := f.Truncate(size); err != nil {
			return err
		}
	}
	return os.Chmod(path, 0o666)
}

// sparseCopy copies an image, leaving runs of zeros as holes (cp --sparse=always).
func sparseCopy(from, to string) error {
	return run("cp", "--sparse=always", from, to)
}

func (s *store) deleteVolume(id string) error {
	if err := os.Remove(s.volumeMetaPath(id)); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.Remove(s.volumeImage(id)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.RemoveAll(s.volumeDir(id))
}

// createSnapshot archives the source volume's files as they are now; a block volume's
// image is copied instead.
func (s *store) createSnapshot(meta snapshotMeta) error {
	vol, err := s.volume(meta.SourceVolume)
	if err != nil {
		return err
	}
	if vol.Block {
		meta.Block = true
		tmp := s.snapshotImage(meta.ID) + ".tmp"
		defer os.Remove(tmp)
		if err := sparseCopy(s.volumeImage(meta.SourceVolume), tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, s.snapshotImage(meta.ID)); err != nil {
			return err
		}
		return writeJSON(s.snapshotMetaPath(meta.ID), meta)
	}
	tmp := s.archivePath(meta.ID) + ".tmp"
	defer os.Remove(tmp)
	if err := run("tar", "-czf", tmp, "-C", s.volumeDir(meta.SourceVolume), "."); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.archivePath(meta.ID)); err != nil {
		return err
	}
	return writeJSON(s.snapshotMetaPath(meta.ID), meta)
}

func (s *store) deleteSnapshot(id string) error {
	if err := os.Remove(s.snapshotMetaPath(id)); err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, path := range []string{s.archivePath(id), s.snapshotImage(id)} {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func (s *store) group(id string) (*groupMeta, error) {
	return readJSON[groupMeta](s.groupPath(id))
}

// createGroup records a group whose member snapshots are in place.
func (s *store) createGroup(meta groupMeta) error {
	return writeJSON(s.groupPath(meta.ID), meta)
}

func (s *store) deleteGroup(id string) error {
	if err := os.Remove(s.groupPath(id)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func (s *store) snapshots() ([]*snapshotMeta, error) {
	paths, err := filepath.Glob(filepath.Join(s.root, "snapshots", "*.json"))
	if err != nil {
		return nil, err
	}
	all := make([]*snapshotMeta, 0, len(paths))
	for _, path := range paths {
		meta, err := readJSON[snapshotMeta](path)
		if err != nil {
			return nil, err
		}
		all = append(all, meta)
	}
	return all, nil
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, out)
	}
	return nil
}
