package partition

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// MaxPartitions bounds Config.Owners.
const MaxPartitions = 1 << 16

// Config configures a Member. Every member of one store is given the same
// ClusterName and Owners; each its own Name, Dir and Remote.
type Config struct {
	// ClusterName is the protoactor cluster's name. Required.
	ClusterName string
	// Provider is the protoactor cluster provider that tells members about
	// each other (consul, etcd, Kubernetes; protoactor's test provider in
	// one process). Required.
	Provider cluster.ClusterProvider
	// Remote is this member's protoactor remote configuration (address,
	// TLS through its gRPC options). Default remote.Configure("127.0.0.1",
	// 0): loopback, a free port.
	Remote *remote.Config
	// Name is this member's name, the one Owners refers to: 1 to 40 bytes
	// of A-Z a-z 0-9 . _ -. A member announces it to the cluster (as the
	// cluster kind "batpak-member.<Name>"), so it must be unique among live
	// members: Start fails with ErrMemberNameTaken when another live member
	// has it. "" for a member that owns no partition (a client).
	Name string
	// Owners[k] is the name of the member that owns partition k;
	// len(Owners) is the number of partitions, N, fixed when the store is
	// created (each partition directory records it). Required, at most
	// MaxPartitions; every name valid as Name is. A name may own several
	// partitions.
	Owners []string
	// Dir is this member's data directory: partition k lives in
	// Dir/p-<k> (its metadata, partition.json, and its store, store/).
	// Required when Name owns a partition.
	Dir string
	// Create lets Start create the directories of the partitions this
	// member owns that do not exist yet: set it when the store is first
	// created. Without it, an owned partition without a directory fails
	// Start with ErrPartitionMissing, so that a partition moved in Owners
	// but not on disk is not started empty on its new owner (a second,
	// diverging history beside the copy on its old owner).
	Create bool
	// Store is the configuration of each partition's store (actors.Config);
	// its Dir and Name are set per partition (Name "batpak-p-<k>").
	Store actors.Config
	// System is the actor system the member runs in. Default a new one
	// whose protoactor log lines go to actors.DefaultLogger(). Give one
	// that serves this member only: a system joins one cluster, and Close
	// shuts it down (as protoactor's Cluster.Shutdown does).
	System *actor.ActorSystem
	// ClusterOptions are passed to cluster.Configure after the member's
	// own (the kinds of the application's grains, gossip settings...).
	ClusterOptions []cluster.ConfigOption
	// Fallback resolves the cluster identities of other kinds than the
	// partitions' (the application's grains), for example
	// disthash.New(). Default none: other kinds resolve to no PID.
	Fallback cluster.IdentityLookup
	// RequestTimeout bounds a call whose context has no deadline. Default
	// 30 s.
	RequestTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Remote == nil {
		c.Remote = remote.Configure("127.0.0.1", 0)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.System == nil {
		c.System = actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	}
	return c
}

// validate checks c; errors wrap messages.ErrInvalidArgument.
func (c Config) validate() error {
	switch {
	case c.ClusterName == "":
		return invalid("Config.ClusterName is empty")
	case c.Provider == nil:
		return invalid("Config.Provider is nil")
	case len(c.Owners) == 0:
		return invalid("Config.Owners is empty (it names the owner of each partition)")
	case len(c.Owners) > MaxPartitions:
		return invalid(fmt.Sprintf("Config.Owners has %d partitions, at most %d", len(c.Owners), MaxPartitions))
	}
	if c.Name != "" && !validName(c.Name) {
		return invalid(fmt.Sprintf("Config.Name %q: want 1 to 40 bytes of A-Z a-z 0-9 . _ -", c.Name))
	}
	for k, o := range c.Owners {
		if !validName(o) {
			return invalid(fmt.Sprintf("Config.Owners[%d] %q: want 1 to 40 bytes of A-Z a-z 0-9 . _ -", k, o))
		}
	}
	if len(c.owned()) > 0 && c.Dir == "" {
		return invalid(fmt.Sprintf("Config.Dir is empty, and %q owns partitions", c.Name))
	}
	return nil
}

// owned returns the partitions Name owns, in order.
func (c Config) owned() []int {
	var ks []int
	for k, o := range c.Owners {
		if c.Name != "" && o == c.Name {
			ks = append(ks, k)
		}
	}
	return ks
}

// validName reports whether s is a valid member name: 1 to 40 bytes of
// A-Z a-z 0-9 . _ - (so that "kind-batpak-member.<name>" is a valid
// Kubernetes label name, the k8s provider's form of a kind).
func validName(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func invalid(msg string) error {
	return &messages.Error{Code: messages.CodeInvalidArgument, Message: "batpak partition: " + msg}
}
