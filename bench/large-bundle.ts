// A generated policy bundle shaped like the check libraries projects ship
// (Kubernetes/IaC misconfiguration checks with their own `opa test` suites):
// a shared library, policy modules each with several partial-set `deny`/`warn`
// rules, helper functions and comprehensions, summary rules over every
// check, and *_test.rego modules using `with input as`. Deterministic.

export interface BundleModule { file: string; source: string }

const FIELDS = ['privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'runAsNonRoot'];
const CAPS = ['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE', 'NET_RAW'];

function library(): BundleModule {
  return {
    file: 'lib/k8s.rego',
    source: `package lib.k8s

import rego.v1

default is_workload := false

is_workload if input.kind in {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}

pod_spec := input.spec.template.spec if input.kind != "Pod"

pod_spec := input.spec if input.kind == "Pod"

containers contains c if {
  some c in pod_spec.containers
}

containers contains c if {
  some c in pod_spec.initContainers
}

name := object.get(input, ["metadata", "name"], "unnamed")

namespace := object.get(input, ["metadata", "namespace"], "default")

result(msg, c) := {"msg": msg, "container": c.name, "resource": sprintf("%s/%s", [namespace, name])}

has_cap(c, cap) if {
  some x in c.securityContext.capabilities.add
  upper(x) == cap
}

cpu_millis(v) := n if {
  endswith(v, "m")
  n := to_number(trim_suffix(v, "m"))
} else := n if {
  n := to_number(v) * 1000
}

memory_mib(v) := n if {
  endswith(v, "Mi")
  n := to_number(trim_suffix(v, "Mi"))
} else := n if {
  endswith(v, "Gi")
  n := to_number(trim_suffix(v, "Gi")) * 1024
}
`,
  };
}

/** One check module: ~120 lines, a package per check. */
function check(k: number): BundleModule {
  const field = FIELDS[k % FIELDS.length]!;
  const cap = CAPS[k % CAPS.length]!;
  const limit = 100 + (k % 7) * 50;
  const sev = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'][k % 4];
  const lines = [
    `# METADATA`,
    `# title: Check ${k}`,
    `# description: |`,
    `#   Containers should not set ${field} and should not add the ${cap} capability;`,
    `#   resource limits keep one workload from starving the node, and images`,
    `#   come from the registries the cluster trusts.`,
    `# related_resources:`,
    `#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/`,
    `#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/`,
    `#     description: Configure a security context`,
    `# scope: package`,
    `# custom:`,
    `#   recommended_actions:`,
    `#     - Remove ${field} from the container's securityContext`,
    `#     - Drop the ${cap} capability`,
    `#     - Set resources.limits.cpu and resources.limits.memory`,
    `#   input:`,
    `#     selector:`,
    `#       - type: kubernetes`,
    `#         subtypes:`,
    `#           - kind: Deployment`,
    `#           - kind: Pod`,
    `#   id: KSV${String(k).padStart(4, '0')}`,
    `#   severity: ${sev}`,
    `package checks.kubernetes.ksv${k}`,
    '',
    'import rego.v1',
    '',
    'import data.lib.k8s',
    '',
    `severity := "${sev}"`,
    '',
    `allowed_registries := {"registry.example.com", "mirror.example.com/${k}"}`,
    '',
    `field_set(c) if c.securityContext.${field} == true`,
    '',
    'image_registry(c) := r if {',
    '  parts := split(c.image, "/")',
    '  count(parts) > 1',
    '  r := parts[0]',
    '} else := "docker.io"',
    '',
    'untrusted(c) if not image_registry(c) in allowed_registries',
    '',
    'ports(c) := {p.containerPort | some p in c.ports}',
    '',
    `low_ports(c) := {p | some p in ports(c); p < ${1024 + k}}`,
    '',
    'deny contains res if {',
    '  k8s.is_workload',
    '  some c in k8s.containers',
    '  field_set(c)',
    `  res := k8s.result(sprintf("container %s sets ${field}", [c.name]), c)`,
    '}',
    '',
    'deny contains res if {',
    '  some c in k8s.containers',
    `  k8s.has_cap(c, "${cap}")`,
    `  res := k8s.result(sprintf("container %s adds ${cap}", [c.name]), c)`,
    '}',
    '',
    'deny contains res if {',
    '  some c in k8s.containers',
    '  cpu := object.get(c, ["resources", "limits", "cpu"], "0")',
    `  k8s.cpu_millis(cpu) > ${limit * 10}`,
    `  res := k8s.result(sprintf("container %s cpu limit %s above ${limit * 10}m", [c.name, cpu]), c)`,
    '}',
    '',
    'deny contains res if {',
    '  some c in k8s.containers',
    '  mem := object.get(c, ["resources", "limits", "memory"], "0Mi")',
    `  k8s.memory_mib(mem) > ${limit * 4}`,
    `  res := k8s.result(sprintf("container %s memory %s above ${limit * 4}Mi", [c.name, mem]), c)`,
    '}',
    '',
    'deny contains res if {',
    '  some c in k8s.containers',
    '  bad := low_ports(c)',
    '  count(bad) > 0',
    '  res := k8s.result(sprintf("container %s listens on %v", [c.name, sort(bad)]), c)',
    '}',
    '',
    'warn contains res if {',
    '  some c in k8s.containers',
    '  untrusted(c)',
    '  res := k8s.result(sprintf("container %s image from %s", [c.name, image_registry(c)]), c)',
    '}',
    '',
    'warn contains res if {',
    '  some c in k8s.containers',
    '  endswith(c.image, ":latest")',
    '  res := k8s.result(sprintf("container %s uses :latest", [c.name]), c)',
    '}',
    '',
    'warn contains res if {',
    '  some c in k8s.containers',
    '  not c.livenessProbe',
    '  res := k8s.result(sprintf("container %s has no liveness probe", [c.name]), c)',
    '}',
    '',
    'env_secrets := [name |',
    '  some c in k8s.containers',
    '  some e in c.env',
    '  contains(lower(e.name), "secret")',
    '  name := e.name',
    ']',
    '',
    'warn contains res if {',
    '  count(env_secrets) > 0',
    '  res := {"msg": sprintf("secrets in env: %v", [env_secrets]), "container": "", "resource": k8s.name}',
    '}',
    '',
    'by_container := {name: msgs |',
    '  some c in k8s.containers',
    '  name := c.name',
    '  msgs := [d.msg | some d in deny; d.container == name]',
    '}',
    '',
    'summary := {',
    '  "id": [a.annotations.custom.id | some a in rego.metadata.chain(); a.annotations.custom.id][0],',
    '  "severity": severity,',
    '  "failures": count(deny),',
    '  "warnings": count(warn),',
    '}',
    '',
    'warn contains res if {',
    '  some c in k8s.containers',
    '  some v in c.volumeMounts',
    '  startswith(v.mountPath, "/var/run")',
    '  res := k8s.result(sprintf("container %s mounts %s", [c.name, v.mountPath]), c)',
    '}',
    '',
    'warn contains res if {',
    '  some c in k8s.containers',
    '  not c.resources.requests',
    '  res := k8s.result(sprintf("container %s sets no requests", [c.name]), c)',
    '}',
    '',
    'host_paths := {v.hostPath.path | some v in k8s.pod_spec.volumes; v.hostPath}',
    '',
    'deny contains res if {',
    '  some p in host_paths',
    '  not startswith(p, "/data")',
    '  res := {"msg": sprintf("hostPath %s", [p]), "container": "", "resource": k8s.name}',
    '}',
    '',
    'passed if count(deny) == 0',
    '',
    'labels_ok if {',
    '  every k in {"app", "team"} {',
    '    input.metadata.labels[k]',
    '  }',
    '}',
    '',
    'deny contains res if {',
    '  k8s.is_workload',
    '  not labels_ok',
    '  res := {"msg": "missing labels app/team", "container": "", "resource": k8s.name}',
    '}',
  ];
  return { file: `checks/ksv${k}.rego`, source: `${lines.join('\n')}\n` };
}

function workload(k: number, bad: boolean): string {
  const sc = bad ? `{"${FIELDS[k % FIELDS.length]}": true, "capabilities": {"add": ["${CAPS[k % CAPS.length]}"]}}` : '{}';
  return `{
    "kind": "Deployment",
    "metadata": {"name": "app-${k}", "labels": {"app": "a", "team": "t"}},
    "spec": {"template": {"spec": {"containers": [{
      "name": "main",
      "image": "${bad ? 'docker.io/library/nginx:latest' : 'registry.example.com/nginx:1.25'}",
      "securityContext": ${sc},
      "livenessProbe": {"httpGet": {"path": "/"}},
      "resources": {"limits": {"cpu": "${bad ? '64' : '100m'}", "memory": "${bad ? '64Gi' : '128Mi'}"}},
      "ports": [{"containerPort": ${bad ? 80 : 8080 + 1024 + k}}]
    }]}}}
  }`;
}

/** Tests for check k: `with input as` a good and a bad workload. */
function checkTest(k: number): BundleModule {
  const pkg = `checks.kubernetes.ksv${k}`;
  const source = `package ${pkg}_test

import rego.v1

import data.${pkg}

good := ${workload(k, false)}

bad := ${workload(k, true)}

other_bad := ${workload(k + 1, true)}

also_good := ${workload(k + 2, false)}

test_good_passes if {
  ksv${k}.passed with input as good
}

test_bad_denied if {
  count(ksv${k}.deny) >= 3 with input as bad
}

test_bad_warns if {
  some w in ksv${k}.warn with input as bad
  contains(w.msg, "latest")
}

test_summary if {
  s := ksv${k}.summary with input as bad
  s.failures >= 3
  s.id == "KSV${String(k).padStart(4, '0')}"
}

test_by_container if {
  r := ksv${k}.by_container with input as bad
  count(r.main) >= 3
}

test_host_path_denied if {
  some d in ksv${k}.deny with input as object.union(good, {"spec": {"template": {"spec": {"volumes": [{"name": "h", "hostPath": {"path": "/etc"}}]}}}})
  d.msg == "hostPath /etc"
}

test_host_path_under_data_allowed if {
  ksv${k}.passed with input as object.union(good, {"spec": {"template": {"spec": {"volumes": [{"name": "h", "hostPath": {"path": "/data/x"}}]}}}})
}

test_missing_labels_denied if {
  some d in ksv${k}.deny with input as json.remove(good, ["metadata/labels/team"])
  d.msg == "missing labels app/team"
}

test_env_secret_warned if {
  some w in ksv${k}.warn with input as json.patch(good, [{"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [{"name": "DB_SECRET", "value": "x"}]}])
  contains(w.msg, "DB_SECRET")
}

test_untrusted_registry_warned if {
  some w in ksv${k}.warn with input as bad
  contains(w.msg, "image from docker.io")
}

test_other_bad_denied if {
  count(ksv${k}.deny) >= 2 with input as other_bad
}

test_also_good_passes if {
  ksv${k}.passed with input as also_good
}

test_pod_kind if {
  ksv${k}.passed with input as {"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "a", "team": "t"}}, "spec": good.spec.template.spec}
}
`;
  return { file: `checks/ksv${k}_test.rego`, source };
}

function summary(checks: number): BundleModule {
  const refs = Array.from({ length: checks }, (_, k) => `  data.checks.kubernetes.ksv${k}.summary,`);
  return {
    file: 'summary.rego',
    source: `package summary

import rego.v1

all_summaries := [
${refs.join('\n')}
]

failed := [s.id | some s in all_summaries; s.failures > 0]

by_severity := {sev: n | some sev in {"LOW", "MEDIUM", "HIGH", "CRITICAL"}; n := count([s | some s in all_summaries; s.severity == sev; s.failures > 0])}

report := {"failed": count(failed), "by_severity": by_severity}
`,
  };
}

/**
 * `checks` check modules with their tests (2 modules each), the library and
 * the summary. 150 checks give 302 modules and ~40,000 lines.
 */
export function largeBundle(checks = 150): BundleModule[] {
  const out: BundleModule[] = [library()];
  for (let k = 0; k < checks; k++) out.push(check(k), checkTest(k));
  out.push(summary(checks));
  return out;
}

export function lineCount(modules: BundleModule[]): number {
  return modules.reduce((n, m) => n + m.source.split('\n').length - 1, 0);
}

/** Route modules as the server generates them from cfg.yaml `input:` lines (for the growth measurement). */
export function routeModules(n: number): BundleModule[] {
  const conds = [
    'input.SigMetadata.ID == "TRC-%"',
    'input.SigMetadata.Properties.Severity >= %',
    'startswith(input.Context.processName, "proc%")',
    'some r in input.Results\n some v in r.Vulnerabilities\n v.Severity == "CRITICAL"\n v.VulnerabilityID == "CVE-%"',
    'count([v | some r in input.Results; some v in r.Vulnerabilities; v.Severity == "HIGH"]) > %',
    'input.metadata.labels.team == "team%"',
  ];
  const modules = Array.from({ length: n }, (_, i) => ({
    file: `route${i}.rego`,
    source: `package hooker.route${i}\n\nallow if {\n ${conds[i % conds.length]!.replaceAll('%', String(i))}\n}\n`,
  }));
  modules.push({ file: 'routes.rego', source: `package hooker.routes\n\n${modules.map((_, i) => `matched contains "route${i}" if data.hooker.route${i}.allow`).join('\n')}\n` });
  return modules;
}
