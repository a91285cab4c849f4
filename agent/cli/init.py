"""``pantau init``: the configuration and a commented inventory skeleton to start a deployment from."""

from __future__ import annotations

import contextlib
import grp
import os
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import out
from agent.errors import AgentError
from agent.lang import tr
from i18n import Msg

app = typer.Typer()
SKELETON = Path(__file__).resolve().parent.parent / "skeleton"
FILE_MODE, DIRECTORY_MODE = 0o640, 0o750  # the pantau group reads, nobody else


def _files(directory: Path) -> dict[Path, str]:
    """What init writes: path -> text."""
    inventory = directory / "inventory"
    config = (SKELETON / "pantau.yml").read_text(encoding="utf-8")
    files = {
        directory / "pantau.yml": config.replace("{inventory}", str(inventory)).replace(
            "{known_hosts}", str(directory / "known_hosts")
        ),
        directory / "known_hosts": "",
    }
    for source in sorted((SKELETON / "inventory").glob("*.yml")):
        files[inventory / source.name] = source.read_text(encoding="utf-8")
    return files


def _group() -> int:
    """The pantau group (made by systemd-sysusers from the shipped file) when root writes and it exists;
    else -1: the files keep the writer's own group."""
    if os.geteuid() != 0:
        return -1
    try:
        return grp.getgrnam("pantau").gr_gid
    except KeyError:
        return -1


@app.command()
def init(
    directory: Annotated[Path, typer.Option("--dir", help="configuration folder")] = Path("/etc/pantau"),
    force: Annotated[bool, typer.Option("--force", help="overwrite files that exist")] = False,
) -> None:
    """Write pantau.yml, an empty known_hosts and a commented inventory skeleton (default: /etc/pantau)."""
    files = _files(directory)
    existing = [path for path in files if path.exists()]
    if existing and not force:
        raise AgentError(Msg("{file} exists; nothing was written (--force overwrites)", file=existing[0]))
    gid = _group()
    made: list[Path] = []
    try:
        for folder in (directory, directory / "inventory", directory / "secrets"):
            if not folder.is_dir():
                folder.mkdir(parents=True)
                made.append(folder)
            folder.chmod(DIRECTORY_MODE)
            os.chown(folder, -1, gid)
        for path, text in files.items():
            if not path.exists():
                made.append(path)
            path.write_text(text, encoding="utf-8")
            path.chmod(FILE_MODE)
            os.chown(path, -1, gid)
    except OSError as exc:
        for path in reversed(made):  # nothing half-done: what this run created goes again
            with contextlib.suppress(OSError):
                path.rmdir() if path.is_dir() else path.unlink()
        raise AgentError(
            Msg("cannot write {filename}: {why}; run as root or choose --dir", filename=exc.filename, why=exc.strerror)
        ) from exc
    config, inventory = directory / "pantau.yml", directory / "inventory"
    out.print(tr("wrote {config} and the inventory skeleton in {inventory}", config=config, inventory=inventory))
    out.print(tr("next: describe your network there, then: pantau inventory validate {inventory}", inventory=inventory))
