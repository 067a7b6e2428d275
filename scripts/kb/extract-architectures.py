#!/usr/bin/env python3
"""Extracts model_type -> architecture class names from transformers' models/auto/modeling_auto.py.

Usage: python3 scripts/kb/extract-architectures.py path/to/modeling_auto.py > scripts/kb/architectures.json
Reads the *_MAPPING_NAMES tables with the ast module; never imports transformers.
"""
import ast
import collections
import json
import sys

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
arch = collections.defaultdict(set)
for node in tree.body:
    if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
        continue
    if not node.targets[0].id.endswith("_MAPPING_NAMES"):
        continue
    value = node.value.args[0] if isinstance(node.value, ast.Call) else node.value
    if not isinstance(value, (ast.List, ast.Tuple)):
        continue
    for entry in value.elts:
        if isinstance(entry, ast.Tuple) and len(entry.elts) == 2:
            model_type = ast.literal_eval(entry.elts[0])
            classes = ast.literal_eval(entry.elts[1])
            for cls in [classes] if isinstance(classes, str) else classes:
                arch[model_type].add(cls)
json.dump({k: sorted(v) for k, v in sorted(arch.items())}, sys.stdout, indent=1)
print()
