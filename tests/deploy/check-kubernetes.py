#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Host check of deploy/kubernetes/: every YAML file parses, and the
DaemonSet names the paths the packages use (the hooks.d directory and file,
the pin root's bpffs, the cgroup2 mount, conf.d) and carries the packages'
hooks.d file, but for the binary's path. TAP on stdout.

  check-kubernetes.py DEPLOY-DIR --hook-json FILE --hooks-dir DIR
                      --conf-d DIR --pin-root DIR --cgroup-root DIR
"""
import argparse
import json
import os
import re
import sys

import yaml

results = []


def check(ok, name, why=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}")
    if not ok and why:
        for line in str(why).splitlines():
            print(f"# {line}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("deploy_dir")
    ap.add_argument("--hook-json", required=True, help="the hooks.d file the packages install")
    ap.add_argument("--hooks-dir", required=True)
    ap.add_argument("--conf-d", required=True)
    ap.add_argument("--pin-root", required=True)
    ap.add_argument("--cgroup-root", required=True)
    a = ap.parse_args()

    docs = []
    files = sorted(f for f in os.listdir(a.deploy_dir) if f.endswith((".yaml", ".yml")))
    check(len(files) >= 2, f"YAML files in {a.deploy_dir}", files)
    for f in files:
        try:
            with open(os.path.join(a.deploy_dir, f)) as fh:
                loaded = [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError as e:
            check(False, f"{f} parses", e)
            continue
        bad = [d for d in loaded if not (isinstance(d, dict) and d.get("apiVersion")
                                         and d.get("kind") and d.get("metadata", {}).get("name"))]
        check(loaded and not bad, f"{f} parses: {len(loaded)} objects with apiVersion, kind, name", bad)
        docs += [(f, d) for d in loaded]

    def objects(kind):
        return [d for _, d in docs if d["kind"] == kind]

    with open(a.hook_json) as fh:
        pkg_hook = json.load(fh)
    hook_file = os.path.basename(a.hooks_dir.rstrip("/") + "/mptcpify.json")

    dss = objects("DaemonSet")
    if not check(len(dss) == 1, "one DaemonSet"):
        return
    pod = dss[0]["spec"]["template"]["spec"]
    check(pod.get("hostPID") is True, "DaemonSet: hostPID (the hook and the daemon see the node's processes)")
    containers = pod.get("containers", []) + pod.get("initContainers", [])
    check(all(c.get("securityContext", {}).get("privileged") is True for c in containers),
          "DaemonSet: every container privileged")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    host_paths = {v["hostPath"]["path"]: n for n, v in volumes.items() if "hostPath" in v}
    bpffs = os.path.dirname(a.pin_root.rstrip("/"))
    for path, what in ((bpffs, "the pin root's bpffs"), (a.cgroup_root, "the cgroup2 mount"),
                       (a.hooks_dir, "the packages' hooks.d directory")):
        check(path in host_paths, f"DaemonSet: hostPath {path} ({what})", sorted(host_paths))

    def mounts(c):
        return {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}

    daemons = [c for c in pod.get("containers", []) if "daemon" in (c.get("command", []) + c.get("args", []))]
    if check(len(daemons) == 1, "DaemonSet: one container runs 'mptcpify daemon'"):
        m = mounts(daemons[0])
        for path in (bpffs, a.cgroup_root):
            check(m.get(host_paths.get(path)) == path, f"daemon: {path} mounted at {path}", m)
        conf_vols = [n for n, p in m.items() if p == a.conf_d]
        check(len(conf_vols) == 1 and "configMap" in volumes.get(conf_vols[0], {}),
              f"daemon: a ConfigMap mounted at {a.conf_d} (conf.d)", m)
        if conf_vols and "configMap" in volumes.get(conf_vols[0], {}):
            name = volumes[conf_vols[0]]["configMap"]["name"]
            cms = [c for c in objects("ConfigMap") if c["metadata"]["name"] == name]
            check(len(cms) == 1 and all(k.endswith(".conf") for k in cms[0].get("data", {})),
                  f"ConfigMap {name}: its keys end in .conf (conf.d reads *.conf only)", cms)

    inits = pod.get("initContainers", [])
    hook_text = None
    if check(len(inits) == 1, "DaemonSet: one init container puts the hook on the node"):
        m = mounts(inits[0])
        check(m.get(host_paths.get(a.hooks_dir)) == "/host" + a.hooks_dir,
              f"init container: the node's {a.hooks_dir} at /host{a.hooks_dir}", m)
        script = os.path.join(a.deploy_dir, os.path.basename(inits[0]["command"][0]))
        with open(script) as fh:
            text = fh.read()
        check(f"{a.hooks_dir}/{hook_file}" in text, f"{os.path.basename(script)} writes {a.hooks_dir}/{hook_file}")
        hook_vols = [n for n, v in volumes.items() if "configMap" in v and n in m]
        if check(len(hook_vols) == 1, "init container: the hook's ConfigMap mounted", m):
            name = volumes[hook_vols[0]]["configMap"]["name"]
            cms = [c for c in objects("ConfigMap") if c["metadata"]["name"] == name]
            data = cms[0].get("data", {}) if cms else {}
            check(hook_file in data and f"{m[hook_vols[0]]}/{hook_file}" in text,
                  f"ConfigMap {name}: holds {hook_file}, which the script copies", sorted(data))
            hook_text = data.get(hook_file)

    if hook_text is not None:
        node_hook = json.loads(hook_text)
        path = node_hook.get("hook", {}).get("path", "")
        check(any(path.startswith(p.rstrip("/") + "/") for p in host_paths),
              f"the node's hook runs {path}, in a hostPath the init container fills", sorted(host_paths))
        same = {k: v for k, v in node_hook.items() if k != "hook"} == {k: v for k, v in pkg_hook.items() if k != "hook"}
        same_hook = {k: v for k, v in node_hook["hook"].items() if k != "path"} == \
            {k: v for k, v in pkg_hook["hook"].items() if k != "path"}
        check(same and same_hook, "the node's hooks.d file is the packages' but for the binary's path",
              json.dumps(node_hook, indent=1) + "\n" + json.dumps(pkg_hook, indent=1))

    want = pkg_hook["when"]["annotations"]
    pods = objects("Pod")
    check(len(pods) >= 1, "a pod example")
    for p in pods:
        ann = p["metadata"].get("annotations", {})
        hit = all(any(re.search(kr, k) and re.search(vr, v) for k, v in ann.items())
                  for kr, vr in want.items())
        check(hit, f"pod {p['metadata']['name']}: its annotations match the hook's {want}", ann)


main()
print(f"1..{len(results)}")
sys.exit(0 if results and all(results) else 1)
