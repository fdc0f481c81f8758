package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"jalon/internal/testtools"
)

// The binary starts on a host without a time zone database (a scratch or
// distroless image): it embeds its own, registered before any package loads
// Europe/Brussels. The test builds the real binary and runs it in a mount
// namespace where every directory Go reads zoneinfo from is empty, without
// GOROOT (whose zoneinfo.zip is a fallback too) and with an empty ZONEINFO.
func TestStartsWithoutHostZoneinfo(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || exec.Command(unshare, "-Urm", "true").Run() != nil {
		testtools.Missing(t, "needs unshare and user namespaces to hide the host's zoneinfo")
	}
	bin := filepath.Join(t.TempDir(), "jalon")
	// -trimpath: the binary does not know the GOROOT it was built from.
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	empty := t.TempDir()
	script := `for d in /usr/share/zoneinfo /usr/share/lib/zoneinfo /usr/lib/locale/TZ /etc/zoneinfo; do
		if [ -d "$d" ]; then mount -t tmpfs none "$d" || exit 97; fi
	done
	[ -z "$(ls /usr/share/zoneinfo 2>/dev/null)" ] || exit 98
	exec "$0" no-such-command`
	cmd := exec.Command(unshare, "-Urm", "sh", "-c", script, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ZONEINFO=" + empty}
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code == 97 || code == 98 {
		t.Fatalf("could not hide the host's zoneinfo (exit %d): %s", code, out)
	}
	// It got as far as reading its command line: exit 1, no panic.
	if strings.Contains(string(out), "panic") || !strings.Contains(string(out), `unknown command "no-such-command"`) {
		t.Fatalf("jalon without zoneinfo: %v\n%s", err, out)
	}
}
