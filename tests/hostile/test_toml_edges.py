"""Class 5: TOML that is deeply nested or starts with a byte-order mark."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.conftest import assert_bad_input, bptrace


def test_a_utf8_byte_order_mark_is_accepted(seed1: Path) -> None:
    seed1.write_bytes(b"\xef\xbb\xbf" + seed1.read_bytes())
    result = bptrace("run", seed1.name, "--table", cwd=seed1.parent)  # the table shows it was read whole
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Training step 0" in result.stdout


def test_nesting_deeper_than_the_parser_recursion_is_exit_2(tmp_path: Path) -> None:
    depth = 100_000
    (tmp_path / "deep.toml").write_text(f"format = 1\nname = 'deep'\nx = {'[' * depth}{']' * depth}\n")
    assert_bad_input(bptrace("run", "deep.toml", cwd=tmp_path), "deep.toml", "nested too deeply")


def test_nesting_the_parser_survives_but_our_readers_would_not_is_exit_2(tmp_path: Path) -> None:
    # 300 levels parse; X is then walked by the shape check, which must not be handed such depth.
    (tmp_path / "deep.toml").write_text(
        "format = 1\n[network]\ninputs = 2\nlayers = [{ units = 1, activation = 'sigmoid' }]\nloss = 'bce'\n"
        f"[data]\nX = {'[' * 300}1.0{']' * 300}\nY = [[1.0]]\n"
    )
    assert_bad_input(bptrace("run", "deep.toml", cwd=tmp_path), "deep.toml", "nested too deeply", "64")
