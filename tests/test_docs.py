"""The README documents every setting and every CLI command (datasette's idea)."""

from pathlib import Path

import pytest

from app.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"ASSETMAP_{name.upper()}" in README


def test_readme_opens_with_the_run_and_test_commands() -> None:
    head = README[:800]
    assert "make run" in head and "make test" in head


def test_every_cli_command_is_in_the_readme() -> None:
    import typer.main

    from app.cli import app

    group = typer.main.get_command(app)
    commands = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        commands += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    missing = [c for c in commands if f"assetmap {c}" not in README]
    assert missing == []
