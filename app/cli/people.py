"""`assetmap people ...`: a person's data on request (export, erase) and consent housekeeping."""

from pathlib import Path
from typing import Annotated

import orjson
import typer

from app.cli import app, fail, session_scope
from app.errors import AssetmapError
from app.settings import get_settings

people_app = typer.Typer(
    help="People (skill and volunteer records): export, erasure, consent.", no_args_is_help=True
)
app.add_typer(people_app, name="people")

ACTOR = "cli"
AssetId = Annotated[
    int, typer.Option("--asset", min=1, help="The id of the person's (skill or volunteer) asset.")
]


@people_app.command("export")
def export(
    asset: AssetId,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (default: standard output).")
    ] = None,
) -> None:
    """Everything held about a person as JSON: record, consents, public location, areas, audit."""
    from app.services.people import erasure

    with session_scope() as session:
        try:
            document = erasure.export_person(session, asset)
        except AssetmapError as exc:
            fail(exc.message)
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote everything held about asset {asset} to {out}", err=True)


@people_app.command("erase")
def erase(asset: AssetId) -> None:
    """Erase a person: delete the record and its rows, scrub its audit values, keep a tombstone."""
    from app.services.people import erasure

    ledger = erasure.ledger_path(get_settings())
    with session_scope() as session:
        try:
            tombstone = erasure.erase_person(session, asset, actor=ACTOR)
        except AssetmapError as exc:
            fail(exc.message)
        # The ledger first: should the commit fail, a restore erases a person who asked to be
        # erased, never brings one back.
        erasure.append_to_ledger(ledger, [tombstone])
        session.commit()
    typer.echo(f"erased asset {asset} (tombstone also in {ledger})")


@people_app.command("reapply-erasures")
def reapply_erasures() -> None:
    """After restoring a backup: erase again every erased person the backup brought back
    (tombstones from the database and from the erasure ledger)."""
    from app.services.people import erasure

    ledger = erasure.ledger_path(get_settings())
    with session_scope() as session:
        erasure.remember_tombstones(session, erasure.read_ledger(ledger))
        erased = erasure.reapply_erasures(session, actor=ACTOR)
        session.commit()
    who = "person" if len(erased) == 1 else "people"
    ids = f": {', '.join(map(str, erased))}" if erased else ""
    typer.echo(f"erased again {len(erased)} restored {who}{ids}")


@people_app.command("expire-consents")
def expire_consents() -> None:
    """Unpublish people whose consent has lapsed (run daily, e.g. from cron)."""
    from app.services.people import consents as people

    with session_scope() as session:
        lapsed = people.expire_consents(session)
        session.commit()
    who = "person" if len(lapsed) == 1 else "people"
    typer.echo(f"unpublished {len(lapsed)} {who} whose consent lapsed")
