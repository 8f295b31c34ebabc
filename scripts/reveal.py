"""Refresh the vendored reveal.js under src/fouanalys/build/templates/reveal/.

    .venv/bin/python scripts/reveal.py 5.2.1

Downloads the release tarball from the npm registry, checks it against the registry's
``dist.integrity`` (sha512) and copies the few files a deck needs. The build itself never
touches the network; update templates/reveal/README.md (version, integrity) and commit.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org/reveal.js"
TARGET = Path(__file__).resolve().parents[1] / "src/fouanalys/build/templates/reveal"
FILES = {
    "package/dist/reveal.js": "reveal.js",
    "package/dist/reveal.css": "reveal.css",
    "package/dist/theme/white.css": "theme/white.css",
    "package/plugin/notes/notes.js": "plugin/notes/notes.js",
    "package/LICENSE": "LICENSE",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="reveal.js version, e.g. 5.2.1")
    version = parser.parse_args().version
    with urllib.request.urlopen(f"{REGISTRY}/{version}", timeout=60) as response:
        dist = json.load(response)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=120) as response:
        data = response.read()
    algorithm, expected = dist["integrity"].split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if algorithm != "sha512" or actual != expected:
        raise SystemExit(f"Integrity mismatch for {dist['tarball']}: {algorithm}-{actual}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, name in FILES.items():
            out = TARGET / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(member).read())
    print(f"reveal.js {version} from {dist['tarball']}\nintegrity {dist['integrity']}")


if __name__ == "__main__":
    main()
