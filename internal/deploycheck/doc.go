// Package deploycheck holds no code: its test holds the deployment files
// of the repository (docker-compose.yml, deploy/k8s, .env.example) to the
// reference server they run. It lives apart from examples/saas so that the
// server's directory, tests included, can be copied into another module.
package deploycheck
