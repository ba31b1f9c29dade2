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


# The README and the pages it sends readers to.
DOCUMENTS = ("README.md", "docs/cli.md", "docs/video.md", "docs/training.md", "docs/performance.md")


def _commands(document):
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / document).read_text(), flags=re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()
            if line.startswith("colornn ") and "..." not in line]


def test_every_colornn_command_in_the_readme_and_docs_parses():
    """Each `colornn ...` line of the README's and docs/' shell blocks is accepted by the parser as
    written (placeholders like <date> are only names), so that no documented option goes stale."""
    import shlex

    from colornn_keras import cli

    commands = {document: _commands(document) for document in DOCUMENTS}
    assert len(commands["README.md"]) >= 5 and sum(map(len, commands.values())) > 20
    parser = cli.build_parser()
    for document, lines in commands.items():
        for command in lines:
            try:
                parser.parse_args(shlex.split(command)[1:])
            except SystemExit:
                raise AssertionError(f"{document}'s command does not parse: {command}") from None


def _anchors(markdown):
    """The anchors GitHub gives a Markdown file's headings."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.*)$", markdown, flags=re.M)}


def test_the_readme_fits_on_a_few_screens_and_its_links_and_pictures_exist():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for document in DOCUMENTS:
        folder = (ROOT / document).parent
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", (ROOT / document).read_text()):
            if "://" in target:
                continue
            path = folder / target if target else ROOT / document
            assert path.exists(), f"{document} links to {target}, which does not exist"
            if anchor and path.suffix == ".md":
                assert anchor in _anchors(path.read_text()), f"{document} links to {target}#{anchor}: no such heading"
    teaser = ROOT / "docs" / "teaser.jpg"
    assert "](docs/teaser.jpg)" in readme and teaser.stat().st_size < 300_000
