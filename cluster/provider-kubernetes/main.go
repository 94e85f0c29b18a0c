// The Kubernetes provider plugin, built from the Go module proxy's copy of
// github.com/pulumi/pulumi-kubernetes/provider/v4 by cluster/toolchain.sh.
//
// Upstream's main embeds schema-embed.json and terraform-mapping-embed.json, which `go generate`
// writes and the module does not carry; this main embeds the schema.json and
// terraform-mapping.json that the module does carry (copied beside it by toolchain.sh), and
// serves the same provider.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
