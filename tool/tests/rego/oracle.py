#!/usr/bin/env python3
"""Computes the expected findings of every case in this folder with OPA
itself, as conftest would report them, into each case's `expected.json`.

Not run by `cargo test` (which compares paved's findings with the
committed `expected.json`): run it when adding or changing a case. It needs
the `opa-golib-python-bindings` package from PyPI, which embeds OPA (Go) as
a shared library and evaluates offline:

    python3 -m venv /tmp/opa && /tmp/opa/bin/pip download --no-deps \
        --python-version 3.14 --only-binary=:all: opa-golib-python-bindings \
        -d /tmp/opa/wheel && unzip -q /tmp/opa/wheel/*.whl -d /tmp/opa/lib
    PYTHONPATH=/tmp/opa/lib python3 tool/tests/rego/oracle.py

(The wheel says Python 3.14, but its ctypes wrapper runs on 3.11.)

A case is a folder: `policies/` (Rego, optional `paved.yaml` and data
files), `inputs.yaml` (one document per input) and, for policies in Rego
v0 (which the embedded OPA does not parse), `oracle/`: the same policies
in v1, used here instead.
"""

import glob
import json
import os
import re
import sys

import yaml
from opa_bindings import OpaEngine, OpaError, OpaUndefinedError

HERE = os.path.dirname(os.path.abspath(__file__))
FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
RULE_HEAD = re.compile(r"^([a-z_][a-zA-Z0-9_]*)\b", re.M)
PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
BRACKET_IF = re.compile(r"^(deny|violation|warn)[\w]*\[[^\]]*\]\s+if\b", re.M)


def exception_name(rule):
    if rule in ("deny", "violation", "warn"):
        return ""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            return rule[len(prefix):]
    return rule


def load(case):
    folder = os.path.join(case, "oracle") if os.path.isdir(os.path.join(case, "oracle")) else os.path.join(case, "policies")
    config_path = os.path.join(case, "policies", "paved.yaml")
    config = yaml.safe_load(open(config_path)) if os.path.exists(config_path) else {}
    engine = OpaEngine()
    packages = {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.rego"), recursive=True)):
        if path.endswith("_test.rego"):
            continue
        text = open(path).read()
        if BRACKET_IF.search(text):
            return None, None, {"error": "rule uses `if` without `contains`"}
        engine.add_policy(os.path.relpath(path, case), text)
        package = PACKAGE.search(text).group(1)
        rules = packages.setdefault(package, [])
        for name in RULE_HEAD.findall(text):
            if (FAILURE.match(name) or WARNING.match(name) or name == "exception") and name not in rules:
                rules.append(name)
    for entry in config.get("data", []):
        base = os.path.join(case, "policies", entry)
        paths = [base] if os.path.isfile(base) else sorted(glob.glob(os.path.join(base, "**", "*.*"), recursive=True))
        for path in paths:
            if path.endswith(".json"):
                engine.add_data(json.load(open(path)))
            elif path.endswith((".yaml", ".yml")):
                engine.add_data(yaml.safe_load(open(path)))
    return engine, packages, config


def conftest(engine, packages, namespaces, value):
    found, excepted = [], 0
    for namespace in namespaces:
        rules = packages.get(namespace, [])
        waived = set()
        if "exception" in rules:
            try:
                for names in engine.eval_document(f"{namespace}.exception", value):
                    waived.update(names)
            except OpaUndefinedError:
                pass
        for rule in rules:
            if rule == "exception":
                continue
            try:
                produced = engine.eval_document(f"{namespace}.{rule}", value)
            except OpaUndefinedError:
                continue
            if not isinstance(produced, list):
                continue
            messages = []
            for item in produced:
                if isinstance(item, str):
                    messages.append(item)
                elif isinstance(item, dict):
                    if not isinstance(item.get("msg"), str):
                        raise OpaError("conftest", f"{namespace}.{rule}: message without msg")
                    messages.append(item["msg"])
            if exception_name(rule) in waived:
                excepted += len(messages)
                continue
            severity = "error" if FAILURE.match(rule) else "warning"
            for message in messages:
                found.append({"rule": f"{namespace}.{rule}", "severity": severity, "msg": message})
    return found, excepted


def run(case):
    engine, packages, config = load(case)
    if engine is None:
        return config
    inputs = [doc for doc in yaml.safe_load_all(open(os.path.join(case, "inputs.yaml"))) if doc is not None]
    combine = config.get("combine", {})
    combined = combine.get("unit", []) + combine.get("cluster", [])
    if config.get("allNamespaces"):
        namespaces = [p for p in packages if p not in combined]
    else:
        namespaces = config.get("namespaces", ["main"])
    results = []
    try:
        for index, value in enumerate(inputs):
            found, excepted = conftest(engine, packages, namespaces, value)
            for finding in found:
                results.append({"input": index, **finding})
            if excepted:
                results.append({"input": index, "excepted": excepted})
        if combined:
            whole = [{"path": "manifest.yaml", "contents": value} for value in inputs]
            found, excepted = conftest(engine, packages, combined, whole)
            for finding in found:
                results.append({"input": "combined", **finding})
            if excepted:
                results.append({"input": "combined", "excepted": excepted})
    except OpaError as error:
        return {"error": str(error).splitlines()[0]}
    results.sort(key=lambda r: json.dumps(r, sort_keys=True))
    return {"findings": results}


def main():
    cases = sys.argv[1:] or sorted(d for d in glob.glob(os.path.join(HERE, "*")) if os.path.isdir(d))
    for case in cases:
        if os.path.exists(os.path.join(case, "by-hand.md")):
            continue  # expected.json written by hand: see its by-hand.md
        try:
            expected = run(case)
        except OpaError as error:
            expected = {"error": str(error).splitlines()[0]}
        with open(os.path.join(case, "expected.json"), "w") as out:
            json.dump(expected, out, indent=2, sort_keys=True)
            out.write("\n")
        print(os.path.basename(case), "error" if "error" in expected else f"{len(expected['findings'])} results")


if __name__ == "__main__":
    main()
