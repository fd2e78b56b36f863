"""The ``vecina`` command (also ``python -m bot``): one sub-command per module."""
from __future__ import annotations

import click

from . import lint_cmd, members_cmd, outbox_cmd, roster_cmd, serve_cmd, simulate_cmd, test_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Vecina, a neighbourhood back-up line: tools for coordinators and operators."""


main.add_command(lint_cmd.lint)
main.add_command(simulate_cmd.simulate)
main.add_command(test_cmd.test)
main.add_command(members_cmd.members)
main.add_command(outbox_cmd.outbox)
main.add_command(serve_cmd.serve)
main.add_command(roster_cmd.roster)
