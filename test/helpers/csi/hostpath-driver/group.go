package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// groupMeta is a group snapshot: one cut across several volumes, kept as one ordinary
// snapshot per volume (so each restores alone) plus this file naming them.
type groupMeta struct {
	ID            string    `json:"id"`
	SourceVolumes []string  `json:"sourceVolumes"`
	Snapshots     []string  `json:"snapshots"`
	CreatedAt     time.Time `json:"createdAt"`
}

// groupController is served only with --group-snapshots, so a cluster without it behaves
// like a driver that has no group snapshots at all.
type groupController struct {
	csi.UnimplementedGroupControllerServer
	store *store
}

func (g *groupController) GroupControllerGetCapabilities(context.Context, *csi.GroupControllerGetCapabilitiesRequest) (*csi.GroupControllerGetCapabilitiesResponse, error) {
	return &csi.GroupControllerGetCapabilitiesResponse{Capabilities: []*csi.GroupControllerServiceCapability{{
		Type: &csi.GroupControllerServiceCapability_Rpc{Rpc: &csi.GroupControllerServiceCapability_RPC{
			Type: csi.GroupControllerServiceCapability_RPC_CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT,
		}},
	}}}, nil
}

// The snapshotter names group snapshots groupsnapshot-<content uid>: the name is the id,
// and a member's snapshot id is <group id>-<volume id>, so a retried call finds them all.
func (g *groupController) CreateVolumeGroupSnapshot(_ context.Context, req *csi.CreateVolumeGroupSnapshotRequest) (*csi.CreateVolumeGroupSnapshotResponse, error) {
	if !validID.MatchString(req.GetName()) {
		return nil, status.Errorf(codes.InvalidArgument, "group snapshot name %q is not usable as an id", req.GetName())
	}
	volumes := slices.Sorted(slices.Values(req.GetSourceVolumeIds()))
	if len(volumes) == 0 {
		return nil, status.Error(codes.InvalidArgument, "source volume ids are required")
	}
	g.store.mu.Lock()
	defer g.store.mu.Unlock()
	existing, err := g.store.group(req.GetName())
	if err == nil {
		if !slices.Equal(existing.SourceVolumes, volumes) {
			return nil, status.Errorf(codes.AlreadyExists, "group snapshot %s exists for volumes %v", existing.ID, existing.SourceVolumes)
		}
		resp, err := g.groupOf(existing)
		return &csi.CreateVolumeGroupSnapshotResponse{GroupSnapshot: resp}, err
	}
	if !errors.Is(err, errNotFound) {
		return nil, internal(err)
	}
	meta, err := g.cut(req.GetName(), volumes)
	if err != nil {
		return nil, err
	}
	resp, err := g.groupOf(meta)
	return &csi.CreateVolumeGroupSnapshotResponse{GroupSnapshot: resp}, err
}

// cut archives every volume of the group at once, under the store's lock (no other call
// changes a volume meanwhile), with one creation time for all.
func (g *groupController) cut(id string, volumes []string) (*groupMeta, error) {
	meta := &groupMeta{ID: id, SourceVolumes: volumes, CreatedAt: time.Now().UTC()}
	members := make([]snapshotMeta, len(volumes))
	for i, volumeID := range volumes {
		vol, err := g.store.volume(volumeID)
		if err != nil {
			return nil, status.Errorf(codes.NotFound, "source volume %s: %v", volumeID, err)
		}
		snapshotID := id + "-" + volumeID
		if !validID.MatchString(snapshotID) {
			return nil, status.Errorf(codes.InvalidArgument, "member snapshot id %q is too long", snapshotID)
		}
		members[i] = snapshotMeta{ID: snapshotID, Name: snapshotID, SourceVolume: volumeID, SizeBytes: vol.CapacityBytes, CreatedAt: meta.CreatedAt, Group: id}
		meta.Snapshots = append(meta.Snapshots, snapshotID)
	}
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i := range members {
		wg.Go(func() { errs[i] = g.store.createSnapshot(members[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, m := range members {
			_ = g.store.deleteSnapshot(m.ID)
		}
		return nil, internal(err)
	}
	if err := g.store.createGroup(*meta); err != nil {
		return nil, internal(err)
	}
	return meta, nil
}

func (g *groupController) groupOf(meta *groupMeta) (*csi.VolumeGroupSnapshot, error) {
	group := &csi.VolumeGroupSnapshot{GroupSnapshotId: meta.ID, CreationTime: timestamppb.New(meta.CreatedAt), ReadyToUse: true}
	for _, id := range meta.Snapshots {
		snap, err := g.store.snapshot(id)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "member snapshot %s of group %s: %v", id, meta.ID, err)
		}
		member := snapshotOf(snap)
		member.GroupSnapshotId = meta.ID
		group.Snapshots = append(group.Snapshots, member)
	}
	return group, nil
}

// DeleteVolumeGroupSnapshot deletes the members and the group; what is gone already is fine.
func (g *groupController) DeleteVolumeGroupSnapshot(_ context.Context, req *csi.DeleteVolumeGroupSnapshotRequest) (*csi.DeleteVolumeGroupSnapshotResponse, error) {
	if !validID.MatchString(req.GetGroupSnapshotId()) {
		return nil, status.Errorf(codes.InvalidArgument, "group snapshot id %q is not valid", req.GetGroupSnapshotId())
	}
	g.store.mu.Lock()
	defer g.store.mu.Unlock()
	ids := slices.Clone(req.GetSnapshotIds())
	if meta, err := g.store.group(req.GetGroupSnapshotId()); err == nil {
		ids = append(ids, meta.Snapshots...)
	} else if !errors.Is(err, errNotFound) {
		return nil, internal(err)
	}
	for _, id := range ids {
		if !validID.MatchString(id) {
			return nil, status.Errorf(codes.InvalidArgument, "snapshot id %q is not valid", id)
		}
		if err := g.store.deleteSnapshot(id); err != nil {
			return nil, internal(err)
		}
	}
	if err := g.store.deleteGroup(req.GetGroupSnapshotId()); err != nil {
		return nil, internal(err)
	}
	return &csi.DeleteVolumeGroupSnapshotResponse{}, nil
}

func (g *groupController) GetVolumeGroupSnapshot(_ context.Context, req *csi.GetVolumeGroupSnapshotRequest) (*csi.GetVolumeGroupSnapshotResponse, error) {
	g.store.mu.Lock()
	defer g.store.mu.Unlock()
	meta, err := g.store.group(req.GetGroupSnapshotId())
	if errors.Is(err, errNotFound) {
		return nil, status.Errorf(codes.NotFound, "group snapshot %s does not exist", req.GetGroupSnapshotId())
	}
	if err != nil {
		return nil, internal(err)
	}
	if ids := req.GetSnapshotIds(); len(ids) > 0 && !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(meta.Snapshots))) {
		return nil, status.Errorf(codes.InvalidArgument, "group snapshot %s has snapshots %v, not %v", meta.ID, meta.Snapshots, ids)
	}
	resp, err := g.groupOf(meta)
	return &csi.GetVolumeGroupSnapshotResponse{GroupSnapshot: resp}, err
}
