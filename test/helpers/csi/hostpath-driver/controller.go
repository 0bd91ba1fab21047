package main

import (
	"context"
	"errors"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	defaultCapacity = 1 << 30
	// The volume context key under which a PV's spec.csi.volumeAttributes carries the
	// volume's directory, for the test node agent.
	hostPathKey = "holdfast.dev/host-path"
	// A VolumeSnapshotClass parameter (a Go duration, e.g. "2s"): snapshots of the class
	// are cut at once but report readyToUse only that long after, like storage that
	// uploads a snapshot after cutting it.
	readyAfterKey = "holdfast.dev/ready-after"
)

type controller struct {
	csi.UnimplementedControllerServer
	store *store
}

func (c *controller) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	var caps []*csi.ControllerServiceCapability
	for _, t := range []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
		csi.ControllerServiceCapability_RPC_LIST_SNAPSHOTS,
		csi.ControllerServiceCapability_RPC_CLONE_VOLUME,
	} {
		caps = append(caps, &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{
			Rpc: &csi.ControllerServiceCapability_RPC{Type: t},
		}})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

// Volumes are directories (access type mount) or image files (access type block), any
// access mode; one volume is not both.
func checkCapabilities(caps []*csi.VolumeCapability) (block bool, err error) {
	if len(caps) == 0 {
		return false, status.Error(codes.InvalidArgument, "volume capabilities are required")
	}
	block = caps[0].GetBlock() != nil
	for _, c := range caps {
		if (c.GetBlock() != nil) != block {
			return false, status.Error(codes.InvalidArgument, "a volume is either block or filesystem, not both")
		}
	}
	return block, nil
}

func capacity(r *csi.CapacityRange) int64 {
	switch {
	case r.GetRequiredBytes() > 0:
		return r.GetRequiredBytes()
	case r.GetLimitBytes() > 0:
		return r.GetLimitBytes()
	}
	return defaultCapacity
}

func internal(err error) error {
	return status.Error(codes.Internal, err.Error())
}

// The provisioner names volumes pvc-<PVC uid>; that name is the volume id, so a retried
// CreateVolume finds the volume it made before.
func (c *controller) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if !validID.MatchString(req.GetName()) {
		return nil, status.Errorf(codes.InvalidArgument, "volume name %q is not usable as an id", req.GetName())
	}
	block, err := checkCapabilities(req.GetVolumeCapabilities())
	if err != nil {
		return nil, err
	}
	meta := volumeMeta{ID: req.GetName(), Name: req.GetName(), CapacityBytes: capacity(req.GetCapacityRange()), Parameters: req.GetParameters(), Block: block}
	meta.SourceSnapshot = req.GetVolumeContentSource().GetSnapshot().GetSnapshotId()
	meta.SourceVolume = req.GetVolumeContentSource().GetVolume().GetVolumeId()
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	existing, err := c.store.volume(meta.ID)
	if err == nil {
		if existing.CapacityBytes != meta.CapacityBytes || existing.SourceSnapshot != meta.SourceSnapshot || existing.SourceVolume != meta.SourceVolume || existing.Block != meta.Block {
			return nil, status.Errorf(codes.AlreadyExists, "volume %s exists with other parameters", meta.ID)
		}
		return c.volumeResponse(existing, req.GetVolumeContentSource()), nil
	}
	if !errors.Is(err, errNotFound) {
		return nil, internal(err)
	}
	if err := c.checkSource(meta); err != nil {
		return nil, err
	}
	if err := c.store.createVolume(meta); err != nil {
		return nil, internal(err)
	}
	return c.volumeResponse(&meta, req.GetVolumeContentSource()), nil
}

// checkSource refuses a source larger than the volume, and one of the other volume mode:
// an archive of files cannot become an image, nor the reverse.
func (c *controller) checkSource(meta volumeMeta) error {
	var size int64
	var block bool
	switch {
	case meta.SourceSnapshot != "":
		snap, err := c.store.snapshot(meta.SourceSnapshot)
		if err != nil {
			return status.Errorf(codes.NotFound, "source snapshot %s: %v", meta.SourceSnapshot, err)
		}
		size, block = snap.SizeBytes, snap.Block
	case meta.SourceVolume != "":
		vol, err := c.store.volume(meta.SourceVolume)
		if err != nil {
			return status.Errorf(codes.NotFound, "source volume %s: %v", meta.SourceVolume, err)
		}
		size, block = vol.CapacityBytes, vol.Block
	default:
		return nil
	}
	if block != meta.Block {
		return status.Errorf(codes.InvalidArgument, "the source is a %s volume and the new volume a %s one: this driver cannot convert between them", modeName(block), modeName(meta.Block))
	}
	if size > meta.CapacityBytes {
		return status.Errorf(codes.OutOfRange, "the source holds %d bytes, more than the %d requested", size, meta.CapacityBytes)
	}
	return nil
}

func modeName(block bool) string {
	if block {
		return "block"
	}
	return "filesystem"
}

func (c *controller) volumeResponse(meta *volumeMeta, source *csi.VolumeContentSource) *csi.CreateVolumeResponse {
	path := c.store.volumeDir(meta.ID)
	if meta.Block {
		path = c.store.volumeImage(meta.ID)
	}
	return &csi.CreateVolumeResponse{Volume: &csi.Volume{
		VolumeId:      meta.ID,
		CapacityBytes: meta.CapacityBytes,
		ContentSource: source,
		VolumeContext: map[string]string{hostPathKey: path},
	}}
}

func (c *controller) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	if !validID.MatchString(req.GetVolumeId()) {
		return nil, status.Errorf(codes.InvalidArgument, "volume id %q is not valid", req.GetVolumeId())
	}
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	if err := c.store.deleteVolume(req.GetVolumeId()); err != nil {
		return nil, internal(err)
	}
	return &csi.DeleteVolumeResponse{}, nil
}

func (c *controller) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	vol, err := c.store.volume(req.GetVolumeId())
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "volume %s: %v", req.GetVolumeId(), err)
	}
	if block, err := checkCapabilities(req.GetVolumeCapabilities()); err != nil || block != vol.Block {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: "volume " + vol.ID + " is a " + modeName(vol.Block) + " volume"}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeCapabilities: req.GetVolumeCapabilities(),
	}}, nil
}

// The snapshotter names snapshots snapshot-<VolumeSnapshotContent uid>: the name is the id.
func (c *controller) CreateSnapshot(_ context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	if !validID.MatchString(req.GetName()) {
		return nil, status.Errorf(codes.InvalidArgument, "snapshot name %q is not usable as an id", req.GetName())
	}
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	existing, err := c.store.snapshot(req.GetName())
	if err == nil {
		if existing.SourceVolume != req.GetSourceVolumeId() {
			return nil, status.Errorf(codes.AlreadyExists, "snapshot %s exists for volume %s", existing.ID, existing.SourceVolume)
		}
		return &csi.CreateSnapshotResponse{Snapshot: snapshotOf(existing)}, nil
	}
	if !errors.Is(err, errNotFound) {
		return nil, internal(err)
	}
	vol, err := c.store.volume(req.GetSourceVolumeId())
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "source volume %s: %v", req.GetSourceVolumeId(), err)
	}
	meta := snapshotMeta{ID: req.GetName(), Name: req.GetName(), SourceVolume: vol.ID, SizeBytes: vol.CapacityBytes, CreatedAt: time.Now().UTC()}
	if after, ok := req.GetParameters()[readyAfterKey]; ok {
		delay, err := time.ParseDuration(after)
		if err != nil || delay < 0 {
			return nil, status.Errorf(codes.InvalidArgument, "parameter %s: %q is not a duration", readyAfterKey, after)
		}
		meta.ReadyAt = meta.CreatedAt.Add(delay)
	}
	if err := c.store.createSnapshot(meta); err != nil {
		return nil, internal(err)
	}
	return &csi.CreateSnapshotResponse{Snapshot: snapshotOf(&meta)}, nil
}

func snapshotOf(meta *snapshotMeta) *csi.Snapshot {
	return &csi.Snapshot{
		SnapshotId:     meta.ID,
		SourceVolumeId: meta.SourceVolume,
		SizeBytes:      meta.SizeBytes,
		CreationTime:   timestamppb.New(meta.CreatedAt),
		ReadyToUse:     !time.Now().Before(meta.ReadyAt),
	}
}

func (c *controller) DeleteSnapshot(_ context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	if !validID.MatchString(req.GetSnapshotId()) {
		return nil, status.Errorf(codes.InvalidArgument, "snapshot id %q is not valid", req.GetSnapshotId())
	}
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	if err := c.store.deleteSnapshot(req.GetSnapshotId()); err != nil {
		return nil, internal(err)
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

// ListSnapshots filters by snapshot id or source volume and returns one page.
func (c *controller) ListSnapshots(_ context.Context, req *csi.ListSnapshotsRequest) (*csi.ListSnapshotsResponse, error) {
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	all, err := c.store.snapshots()
	if err != nil {
		return nil, internal(err)
	}
	resp := &csi.ListSnapshotsResponse{}
	for _, meta := range all {
		if req.GetSnapshotId() != "" && meta.ID != req.GetSnapshotId() {
			continue
		}
		if req.GetSourceVolumeId() != "" && meta.SourceVolume != req.GetSourceVolumeId() {
			continue
		}
		resp.Entries = append(resp.Entries, &csi.ListSnapshotsResponse_Entry{Snapshot: snapshotOf(meta)})
	}
	return resp, nil
}
