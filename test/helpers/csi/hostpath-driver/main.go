// Command holdfast-hostpath is the test clusters' CSI driver: a controller that keeps each
// volume as a directory and each snapshot as a tar archive of one, under --statedir; a
// block volume (access type block, a PVC with volumeMode Block) is a sparse image file of
// its capacity, and its snapshots are sparse copies of the image. It
// stands in for kubernetes-csi's csi-driver-host-path, which the Go module proxy of the
// development machines does not serve (see docs/test-environment.md). The real
// csi-provisioner and csi-snapshotter sidecars drive it over a unix socket; nothing here
// mounts anything, because the test clusters have no kubelet.
//
// Layout of --statedir:
//
//	volumes/<volume id>/           the volume's files (what a mounted volume would show)
//	volumes/<volume id>.img        a block volume's contents (sparse, of its capacity)
//	volume-meta/<volume id>.json   name, capacity and content source of the volume
//	snapshots/<snapshot id>.tar.gz the files of the source volume when the snapshot was cut
//	snapshots/<snapshot id>.img    a block volume's image when the snapshot was cut
//	snapshots/<snapshot id>.json   source volume, size and creation time
//	groups/<group id>.json         a group snapshot's volumes and member snapshots
//	                               (with --group-snapshots: the CSI group controller service)
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
)

func main() {
	endpoint := flag.String("endpoint", "", "unix:///path/to/csi.sock")
	nodeID := flag.String("nodeid", "", "the node name reported by NodeGetInfo")
	driverName := flag.String("drivername", "hostpath.csi.k8s.io", "the CSI driver name")
	stateDir := flag.String("statedir", "", "where volumes and snapshots are kept")
	groupSnapshots := flag.Bool("group-snapshots", false, "serve the CSI group controller (VolumeGroupSnapshots)")
	flag.Parse()
	if *endpoint == "" || *nodeID == "" || *stateDir == "" {
		log.Fatal("--endpoint, --nodeid and --statedir are required")
	}
	store, err := openStore(*stateDir)
	if err != nil {
		log.Fatal(err)
	}
	socket := strings.TrimPrefix(*endpoint, "unix://")
	if err := os.Remove(socket); err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	listener, err := net.Listen("unix", socket)
	if err != nil {
		log.Fatal(err)
	}
	server := grpc.NewServer(grpc.UnaryInterceptor(logCalls))
	csi.RegisterIdentityServer(server, &identity{name: *driverName, groups: *groupSnapshots})
	csi.RegisterControllerServer(server, &controller{store: store})
	if *groupSnapshots {
		csi.RegisterGroupControllerServer(server, &groupController{store: store})
	}
	csi.RegisterNodeServer(server, &node{id: *nodeID})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		<-signals
		server.GracefulStop()
	}()
	log.Printf("serving %s for node %s on %s, state in %s", *driverName, *nodeID, socket, *stateDir)
	if err := server.Serve(listener); err != nil {
		log.Fatal(err)
	}
}

func logCalls(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		log.Printf("%s: %v", info.FullMethod, err)
	} else if !strings.HasSuffix(info.FullMethod, "/Probe") {
		log.Printf("%s ok", info.FullMethod)
	}
	return resp, err
}

type identity struct {
	csi.UnimplementedIdentityServer
	name   string
	groups bool
}

func (i *identity) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: i.name, VendorVersion: "holdfast-test"}, nil
}

// The controller service (and the group controller with --group-snapshots): no
// VOLUME_ACCESSIBILITY_CONSTRAINTS, so the provisioner needs no Node or CSINode objects,
// which a cluster without a kubelet does not have.
func (i *identity) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	services := []csi.PluginCapability_Service_Type{csi.PluginCapability_Service_CONTROLLER_SERVICE}
	if i.groups {
		services = append(services, csi.PluginCapability_Service_GROUP_CONTROLLER_SERVICE)
	}
	var caps []*csi.PluginCapability
	for _, t := range services {
		caps = append(caps, &csi.PluginCapability{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: t}}})
	}
	return &csi.GetPluginCapabilitiesResponse{Capabilities: caps}, nil
}

func (i *identity) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

// The node service answers only what a registrar would ask; volumes are never staged or
// published because no kubelet calls for it.
type node struct {
	csi.UnimplementedNodeServer
	id string
}

func (n *node) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: n.id}, nil
}

func (n *node) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{}, nil
}
