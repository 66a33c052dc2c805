"""Writes a PEP 503 "simple" index with a stand-in torch wheel for offline builds.

The wheel is importable (`import torch` prints nothing, `torch.__version__` is set) and carries
TORCH_STANDIN_MIB MiB of incompressible bytes so that installing it, snapshotting the layer and
exporting/importing the cache cost what a real CPU torch wheel (~200 MB download, ~700 MB installed) costs
in compression and transfer, instead of a few kilobytes.
"""

import base64
import hashlib
import os
import sys
import zipfile

out_dir, version, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
name = "torch"
wheel = f"{name}-{version}-py3-none-any.whl"
project_dir = os.path.join(out_dir, "simple", name)
os.makedirs(project_dir, exist_ok=True)
wheel_path = os.path.join(project_dir, wheel)
dist_info = f"{name}-{version}.dist-info"


def record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


files = {
    f"{name}/__init__.py": f'__version__ = "{version}+standin"\n'.encode(),
    f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
    f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: voxpersona-standin\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
tmp = wheel_path + ".tmp"
with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
    records = []
    for arcname, data in files.items():
        zf.writestr(arcname, data)
        records.append(record_line(arcname, data))
    blob_name = f"{name}/lib/libtorch_standin.bin"
    blob = os.urandom(mib * 1024 * 1024)
    zf.writestr(blob_name, blob)
    records.append(record_line(blob_name, blob))
    records.append(f"{dist_info}/RECORD,,")
    zf.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
os.replace(tmp, wheel_path)

with open(wheel_path, "rb") as f:
    sha = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        sha.update(chunk)
with open(os.path.join(project_dir, "index.html"), "w") as f:
    f.write(f'<!DOCTYPE html>\n<html><body>\n<a href="{wheel}#sha256={sha.hexdigest()}">{wheel}</a>\n</body></html>\n')
with open(os.path.join(out_dir, "simple", "index.html"), "w") as f:
    f.write(f'<!DOCTYPE html>\n<html><body>\n<a href="{name}/">{name}</a>\n</body></html>\n')
print(wheel_path)
