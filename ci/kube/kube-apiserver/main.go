// kube-apiserver of Kubernetes, built from k8s.io/kubernetes at the version go.mod pins: the same main as
// upstream's cmd/kube-apiserver, here because `go install k8s.io/kubernetes/cmd/...` refuses that module's
// replace directives (see ../go.mod).
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones without the host's zoneinfo

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream registers it
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream registers them
	_ "k8s.io/component-base/metrics/prometheus/version"  // the build-info metric
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
