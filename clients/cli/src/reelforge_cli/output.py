"""JSON or human output, and turning failures into one line and an exit status.

With ``--json`` a command prints the API's objects as returned on stdout, and
a failure as ``{"error": {"status", "code", "title", "detail"}}``. Without it,
rich tables and panels go to stdout; progress, spinners and the one-line
``error: ...`` go to stderr. API and network errors exit 1, usage and
configuration problems 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType

from reelforge_cli.context import AppState, app_state
from reelforge_cli.errors import UsageError
from reelforge_sdk import Client, ReelforgeError

API_ERROR = 1
USAGE_ERROR = 2
INTERRUPTED = 130

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


class Output:
    """Where a command's results, progress and errors go."""

    def __init__(self, *, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.stdout = Console(highlight=False, soft_wrap=False)
        self.stderr = Console(stderr=True, highlight=False)

    def result(self, data: Any, human: Callable[[], RenderableType]) -> None:
        """Print ``data`` as JSON, or ``human()`` for people."""
        if self.json_mode:
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            self.stdout.print(human())

    def record(self, data: Any) -> None:
        """One JSON object per line, for streams (``--json`` only)."""
        typer.echo(json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def note(self, text: str) -> None:
        """A one-line remark for people, on stderr (kept out of JSON output)."""
        if not self.json_mode:
            # Verbatim and unwrapped: remarks quote paths and URLs, which rich would read as markup or fold.
            self.stderr.print(text, markup=False, soft_wrap=True)

    def error(self, error: ReelforgeError | UsageError) -> None:
        if self.json_mode:
            typer.echo(json.dumps({"error": error.to_dict()}, indent=2, ensure_ascii=False))
        else:
            typer.echo(f"error: {error}", err=True)


@dataclass
class Session:
    """One command run: its state, its output, and a client made on first use."""

    state: AppState
    out: Output
    _client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self.state.client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


class ResultFailedError(Exception):
    """The command's result is already printed, but it is a failure (exit 1)."""

    def __init__(self, error: ReelforgeError) -> None:
        super().__init__(str(error))
        self.error = error


@contextmanager
def session(ctx: typer.Context, json_mode: bool) -> Iterator[Session]:
    """Run a command body, mapping expected failures to one line and an exit status."""
    out = Output(json_mode=json_mode)
    current = Session(app_state(ctx), out)
    try:
        yield current
    except ResultFailedError as failed:
        if not json_mode:
            out.error(failed.error)
        raise typer.Exit(API_ERROR) from None
    except ReelforgeError as error:
        out.error(error)
        raise typer.Exit(API_ERROR) from None
    except UsageError as problem:
        out.error(problem)
        raise typer.Exit(USAGE_ERROR) from None
    except OSError as exc:
        out.error(ReelforgeError(code="os_error", title="Local error", detail=str(exc)))
        raise typer.Exit(API_ERROR) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(INTERRUPTED) from None
    finally:
        current.close()
