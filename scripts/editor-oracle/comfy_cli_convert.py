"""Converts templates with comfy-cli's converter (`comfy_cli.workflow_to_api.convert_ui_to_api`),
writing one JSON line per template in the golden files' shape, so `examples/corpus.rs
--candidate=FILE` compares it with the editor exactly as it compares comfyctl.

    python comfy_cli_convert.py OBJECT_INFO.json TEMPLATES_DIR NAMES.txt OUT.jsonl
"""

import json
import logging
import sys
import time
from importlib.metadata import version

from comfy_cli.workflow_to_api import convert_ui_to_api

# Its per-node warnings are not part of the measurement.
logging.getLogger("comfy_cli").setLevel(logging.ERROR)


def main() -> int:
    object_info_path, templates, names_path, out_path = sys.argv[1:5]
    with open(object_info_path, encoding="utf-8") as f:
        object_info = json.load(f)
    names = open(names_path, encoding="utf-8").read().split()
    took = 0.0
    with open(out_path, "w", encoding="utf-8") as out:
        for name in names:
            with open(f"{templates}/{name}", encoding="utf-8") as f:
                workflow = json.load(f)
            start = time.perf_counter()
            try:
                prompt = convert_ui_to_api(workflow, object_info)
                line = {"template": name, "frontend": "comfy-cli", "output": prompt}
            except Exception as e:  # a template it cannot convert is part of the measurement
                line = {"template": name, "frontend": "comfy-cli", "error": f"{type(e).__name__}: {e}"}
            took += time.perf_counter() - start
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"comfy-cli {version('comfy-cli')}: {len(names)} templates, {1000 * took / max(1, len(names)):.2f} ms each", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
