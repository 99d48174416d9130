package deploycheck_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The deployment files ship with the server and are copied as they are,
// so they are held to what the server does: every variable they set is
// one the server reads, the API processes leave the jobs to the worker
// processes beside them, and every orchestrator waits longer than
// SHUTDOWN_TIMEOUT before it kills.

// root is the repository, from this package's directory.
const root = "../.."

// awsSDKVariables are read by the AWS SDK itself (STORAGE_PROVIDER=s3),
// not by the server's configuration.
var awsSDKVariables = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"}

// serverVariables maps every variable the reference server's
// configuration reads (the env tags of its config structs) to its default
// (envDefault, "" when none).
func serverVariables(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "examples", "saas", "*.go"))
	require.NoError(t, err)
	vars := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			f, ok := n.(*ast.Field)
			if !ok || f.Tag == nil {
				return true
			}
			raw, err := strconv.Unquote(f.Tag.Value)
			require.NoError(t, err)
			tag := reflect.StructTag(raw)
			if key := tag.Get("env"); key != "" {
				vars[strings.Split(key, ",")[0]] = tag.Get("envDefault")
			}
			return true
		})
	}
	require.Greater(t, len(vars), 50, "the server's variables were found")
	for _, k := range awsSDKVariables {
		vars[k] = ""
	}
	return vars
}

// defaultShutdownTimeout is SHUTDOWN_TIMEOUT when nothing sets it.
func defaultShutdownTimeout(t *testing.T, vars map[string]string) time.Duration {
	t.Helper()
	return mustDuration(t, vars["SHUTDOWN_TIMEOUT"])
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, v), path)
}

type k8sDeployment struct {
	Metadata struct{ Name string }
	Spec     struct {
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Args []string
					Env  []struct{ Name, Value string }
				}
			}
		}
	}
}

func TestDeployKubernetesManifests(t *testing.T) {
	t.Parallel()
	known := serverVariables(t)
	var configMap struct{ Data map[string]string }
	readYAML(t, "deploy/k8s/configmap.yaml", &configMap)
	var secret struct {
		StringData map[string]string `yaml:"stringData"`
	}
	readYAML(t, "deploy/k8s/secret.yaml", &secret)
	for _, m := range []map[string]string{configMap.Data, secret.StringData} {
		for k := range m {
			assert.True(t, has(known, k), "%s is set in deploy/k8s but the server does not read it", k)
		}
	}

	commands := map[string][]string{}
	for _, file := range []string{"deploy/k8s/deployment-serve.yaml", "deploy/k8s/deployment-worker.yaml"} {
		var d k8sDeployment
		readYAML(t, file, &d)
		spec := d.Spec.Template.Spec
		require.Len(t, spec.Containers, 1, file)
		c := spec.Containers[0]
		commands[file] = c.Args
		shutdown := defaultShutdownTimeout(t, known)
		if v, ok := configMap.Data["SHUTDOWN_TIMEOUT"]; ok {
			shutdown = mustDuration(t, v)
		}
		for _, e := range c.Env {
			assert.True(t, has(known, e.Name), "%s: %s is not read by the server", file, e.Name)
			if e.Name == "SHUTDOWN_TIMEOUT" {
				shutdown = mustDuration(t, e.Value)
			}
		}
		grace := 30 * time.Second // Kubernetes' default
		if spec.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
		}
		assert.Greater(t, grace, shutdown, "%s: the kubelet kills the pod before SHUTDOWN_TIMEOUT ends", file)
	}
	assert.Equal(t, []string{"serve", "--workers=false"}, commands["deploy/k8s/deployment-serve.yaml"],
		"the API pods leave the jobs to the worker deployment")
	assert.Equal(t, []string{"worker"}, commands["deploy/k8s/deployment-worker.yaml"])
}

func TestDeployComposeFile(t *testing.T) {
	t.Parallel()
	known := serverVariables(t)
	var compose struct {
		Services map[string]struct {
			Build           any
			Command         []string
			Environment     map[string]string
			StopGracePeriod string `yaml:"stop_grace_period"`
		}
	}
	readYAML(t, "docker-compose.yml", &compose)
	commands := map[string][]string{}
	for name, s := range compose.Services {
		if s.Build == nil {
			continue // not the server's image
		}
		commands[name] = s.Command
		shutdown := defaultShutdownTimeout(t, known)
		for k, v := range s.Environment {
			assert.True(t, has(known, k), "docker-compose.yml %s: %s is not read by the server", name, k)
			if k == "SHUTDOWN_TIMEOUT" {
				shutdown = mustDuration(t, v)
			}
		}
		if len(s.Command) == 0 || (s.Command[0] != "serve" && s.Command[0] != "worker") {
			continue // a command that exits (migrate)
		}
		grace := 10 * time.Second // Compose's default
		if s.StopGracePeriod != "" {
			grace = mustDuration(t, s.StopGracePeriod)
		}
		assert.Greater(t, grace, shutdown, "docker-compose.yml %s: Compose kills it before SHUTDOWN_TIMEOUT ends", name)
	}
	assert.Equal(t, []string{"serve", "--workers=false"}, commands["server"], "the API leaves the jobs to the worker service")
	assert.Equal(t, []string{"worker"}, commands["worker"])
	assert.Equal(t, []string{"migrate", "up"}, commands["migrate"])
}

// TestDeployEnvExample: every variable .env.example names, set or
// commented out, is one the server reads.
func TestDeployEnvExample(t *testing.T) {
	t.Parallel()
	known := serverVariables(t)
	data, err := os.ReadFile(filepath.Join(root, ".env.example"))
	require.NoError(t, err)
	named := 0
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		key, _, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t") || strings.ToUpper(key) != key {
			continue // prose
		}
		named++
		assert.True(t, has(known, key), ".env.example names %s, which the server does not read", key)
	}
	assert.Greater(t, named, 50, "the variables of .env.example were found")
}

// TestEnvExampleHasNoUsableSecret: a copied .env.example never
// starts a server with a known secret.
func TestEnvExampleHasNoUsableSecret(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(root, ".env.example"))
	require.NoError(t, err)
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		for _, name := range []string{"JWT_SECRET=", "SIGNING_SECRET="} {
			if v, ok := strings.CutPrefix(line, name); ok {
				v, _, _ = strings.Cut(v, " ")
				assert.Empty(t, strings.TrimSpace(v), "%s in .env.example must not hold a value that works", name)
			}
		}
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	require.NoError(t, err, s)
	return d
}

func has(vars map[string]string, key string) bool {
	_, ok := vars[key]
	return ok
}
