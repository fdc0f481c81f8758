// The pinned SeaweedFS whose `weed` binary the object-storage tests start
// (internal/testtools.StartS3). Not part of Jalon's build: .ci/install-weed
// builds it from a copy of this file into the tools cache.
module jalon/ci/weed

go 1.26.6

require github.com/seaweedfs/seaweedfs v0.0.0-20261109003541-7506e5f91cd6

// As SeaweedFS's own go.mod (replace directives apply only in the main module).
replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
