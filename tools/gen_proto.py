"""Generate Python code for everything under proto/ into libs/contracts.

    python tools/gen_proto.py          # regenerate in place
    python tools/gen_proto.py --check  # fail when the committed code drifts

Generation is hermetic: protoc and its plugins come from the pinned
grpcio-tools and mypy-protobuf in the development environment.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "libs" / "contracts" / "src"
PACKAGE = "reelforge"


def generate(out_dir: Path) -> None:
    """Run protoc over every .proto file, then make each folder a package."""
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    with_services = [p for p in protos if re.search(r"^service\s", (PROTO_DIR / p).read_text(), re.MULTILINE)]
    bin_dir = Path(sys.executable).parent
    protoc = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}"]
    messages = [
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--python_out={out_dir}",
        f"--mypy_out={out_dir}",
    ]
    subprocess.run([*protoc, *messages, *protos], check=True, cwd=PROTO_DIR, capture_output=True)
    if with_services:
        services = [
            f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
            f"--grpc_python_out={out_dir}",
            f"--mypy_grpc_out={out_dir}",
        ]
        subprocess.run([*protoc, *services, *with_services], check=True, cwd=PROTO_DIR, capture_output=True)
    for folder in [out_dir / PACKAGE, *(p for p in (out_dir / PACKAGE).rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    (out_dir / PACKAGE / "py.typed").touch()


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def check() -> int:
    """Regenerate into a temporary folder and compare with the committed tree."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh_root = Path(tmp)
        generate(fresh_root)
        fresh, committed = _tree(fresh_root / PACKAGE), _tree(OUT_DIR / PACKAGE)
        drift = sorted(str(p) for p in fresh ^ committed)
        drift += sorted(
            str(p)
            for p in fresh & committed
            if not filecmp.cmp(fresh_root / PACKAGE / p, OUT_DIR / PACKAGE / p, shallow=False)
        )
    if drift:
        print("generated protobuf code drifts from proto/; run `make proto`:", file=sys.stderr)
        for path in drift:
            print(f"  libs/contracts/src/{PACKAGE}/{path}", file=sys.stderr)
        return 1
    print("generated protobuf code matches proto/")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if committed code drifts")
    args = parser.parse_args()
    if args.check:
        return check()
    generated = OUT_DIR / PACKAGE
    if generated.exists():
        for path in sorted(generated.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    generate(OUT_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
