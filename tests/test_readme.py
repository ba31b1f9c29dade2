import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.DOTALL).group(1)
    return [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_opens_with_the_two_commands():
    run_command, test_command = _readme_commands()[:2]
    assert run_command.startswith("pip install") and "colornn" in run_command
    assert test_command.startswith("pip install") and "pytest" in test_command


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_every_colornn_command_in_the_readme_parses():
    """Each `colornn ...` line of the README's shell blocks is accepted by the parser as written
    (placeholders like <date> are only names), so that no documented option goes stale."""
    import shlex

    from colornn_keras import cli

    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    commands = [line.split("  #")[0].strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()
                if line.startswith("colornn ") and "..." not in line]
    assert len(commands) > 20
    parser = cli.build_parser()
    for command in commands:
        try:
            parser.parse_args(shlex.split(command)[1:])
        except SystemExit:
            raise AssertionError(f"The README's command does not parse: {command}") from None
