"""Input files: read whole, decoded, bounded, and every fault named by ``file:line``.

Every file a user hands the simulator (a scenario or experiment YAML, a roster, shift families, a
requirements table, an arrival trace, a contact log and its mapping, a run or sweep folder) goes
through one of these readers before anything interprets it. Each reader checks what can go wrong
with *any* file of its kind (missing, a folder, too large, binary, not UTF-8, unclosed YAML, a
duplicated CSV column, a truncated row, a cell that is not a finite number) and raises
:class:`~sim.engine.errors.ConfigError` whose ``where`` is ``file`` or ``file:line``, so the command
line prints one line and exits with status 2. What a file *means* (which keys, which columns) is
checked by its own module, with the line numbers these readers keep.

YAML is parsed with PyYAML's safe loader only (no ``!!python`` tags: a file is data and runs no
code), and an *alias bomb* (anchors whose expansion grows exponentially) is refused before it is
expanded: :func:`load_yaml` measures the expanded size of the node graph and refuses more than
:data:`MAX_YAML_NODES` nodes.
"""

from __future__ import annotations

import codecs
import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.engine.errors import ConfigError

__all__ = ["MAX_FILE_BYTES", "MAX_YAML_NODES", "MAX_FIELD_CHARS", "Row", "read_text", "load_yaml", "parse_yaml",
           "csv_rows", "load_json", "finite", "check_encoding"]

#: The largest input file read (bytes): 2 GB, far above a year's contact log of a large centre.
MAX_FILE_BYTES = 2 * 1024 ** 3
#: The most YAML nodes a file may expand to (aliases counted at every use): a large scenario has a few thousand.
MAX_YAML_NODES = 200_000
#: The longest CSV field read (characters).
MAX_FIELD_CHARS = 10_000


def _name(path: Path) -> str:
    return str(path)


def _check_file(path: Path, what: str, max_bytes: int) -> None:
    if not path.exists():
        raise ConfigError(_name(path), f"no such file (expected {what})")
    if path.is_dir():
        raise ConfigError(_name(path), f"is a folder (expected {what})")
    if not path.is_file():
        raise ConfigError(_name(path), f"is not a regular file (expected {what})")
    size = path.stat().st_size
    if size > max_bytes:
        raise ConfigError(_name(path), f"{size:,} bytes is larger than the {max_bytes:,} bytes read (expected {what})")


def check_encoding(name: str, path: str | Path) -> str:
    """``name`` when it is a text encoding Python knows, else a :class:`ConfigError` at ``path``."""
    try:
        codec = codecs.lookup(str(name))
    except (LookupError, TypeError, ValueError):
        raise ConfigError(str(path), f"unknown text encoding {name!r} (expected e.g. utf-8, latin-1, cp1252)") from None
    if not getattr(codec, "_is_text_encoding", True):
        raise ConfigError(str(path), f"{name!r} is not a text encoding (expected e.g. utf-8, latin-1, cp1252)")
    return str(name)


def _decode(data: bytes, path: Path, what: str, encoding: str) -> str:
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data[:8192] and not encoding.lower().startswith("utf-16"):
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise ConfigError(f"{_name(path)}:{line}", f"binary data, not text (expected {what})")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ConfigError(f"{_name(path)}:{line}",
                          f"not {encoding} text (byte 0x{data[err.start]:02x}; expected {what})") from None


def read_text(path: str | Path, what: str, *, encoding: str = "utf-8", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The whole text of ``path``, decoded (a UTF-8 byte-order mark is dropped), or a one-line
    :class:`ConfigError` saying what is wrong with it; ``what`` names the kind of file expected."""
    path = Path(path)
    _check_file(path, what, max_bytes)
    check_encoding(encoding, path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(_name(path), f"cannot be read: {err.strerror or err}") from None
    return _decode(data, path, what, encoding)


def _expanded_size(node: Any, limit: int, sizes: dict[int, int]) -> int:
    """How many nodes ``node`` stands for once every alias is expanded (memoised per node)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    sizes[key] = 1  # a node met again while being measured is a recursive alias: counted once
    total = 1
    value = node.value
    if isinstance(value, list):
        for item in value:
            children = item if isinstance(item, tuple) else (item,)
            for child in children:
                total += _expanded_size(child, limit, sizes)
                if total > limit:
                    break
    sizes[key] = total
    return total


def parse_yaml(text: str, where: str, what: str = "a YAML file", *, max_nodes: int = MAX_YAML_NODES) -> Any:
    """``text`` parsed as YAML with the safe loader; errors name ``where:line``. A document whose
    aliases would expand to more than ``max_nodes`` nodes is refused before it is expanded."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = ": ".join(str(p) for p in (err.context, err.problem) if p) or "not valid YAML"
        raise ConfigError(f"{where}{line}", f"{problem} (expected {what})") from None
    except yaml.YAMLError as err:
        raise ConfigError(where, f"not valid YAML: {str(err).splitlines()[0]} (expected {what})") from None
    except RecursionError:
        raise ConfigError(where, f"nested too deeply (expected {what})") from None
    if root is None:
        return None
    if _expanded_size(root, max_nodes, {}) > max_nodes:
        raise ConfigError(where, f"its aliases expand to more than {max_nodes:,} values: refused (expected {what})")
    try:
        return yaml.SafeLoader(text).get_single_data()
    except yaml.constructor.ConstructorError as err:
        mark = err.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{where}{line}", f"{err.problem} (plain YAML data only; expected {what})") from None
    except yaml.YAMLError as err:
        raise ConfigError(where, f"not valid YAML: {str(err).splitlines()[0]} (expected {what})") from None
    except RecursionError:
        raise ConfigError(where, f"nested too deeply (expected {what})") from None


def load_yaml(path: str | Path, what: str = "a YAML file", *, max_bytes: int = 64 * 1024 ** 2) -> Any:
    """A YAML file read with :func:`read_text` and :func:`parse_yaml` (safe loader, bounded aliases)."""
    return parse_yaml(read_text(path, what, max_bytes=max_bytes), _name(Path(path)), what)


@dataclass(frozen=True)
class Row:
    """One data row of a CSV file: its cells by column and the line it starts on (1 = header)."""

    line: int
    cells: dict[str, str]

    def where(self, column: str | None = None) -> str:
        return f"line {self.line}" + (f", column {column!r}" if column else "")


def csv_rows(path: str | Path, what: str, *, required: Sequence[str] = (), encoding: str = "utf-8",
             delimiter: str = ",", max_bytes: int = MAX_FILE_BYTES, allow_empty: bool = False) -> tuple[list[str], Iterator[Row]]:
    """The header and the rows of a CSV file, checked as they are read: the header has no empty or
    duplicated column and holds every ``required`` column; each row has as many cells as the header
    (a truncated or overlong row is named by its line) and no field longer than
    :data:`MAX_FIELD_CHARS`. Errors are :class:`ConfigError` at ``file:line``."""
    path = Path(path)
    text = read_text(path, what, encoding=encoding, max_bytes=max_bytes)
    name = _name(path)
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ConfigError(name, f"empty file (expected {what})") from None
        except csv.Error as err:
            raise ConfigError(f"{name}:1", f"not a readable CSV header: {err} (expected {what})") from None
    finally:
        csv.field_size_limit(limit)
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for column in header:
        if not column:
            raise ConfigError(f"{name}:1", f"the header has an empty column name (expected {what})")
        if column in seen:
            raise ConfigError(f"{name}:1", f"column {column!r} appears twice in the header (expected {what})")
        seen.add(column)
    missing = [c for c in required if c not in seen]
    if missing:
        raise ConfigError(f"{name}:1", f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
                                       f" (expected {what} with columns {', '.join(required)}; found {', '.join(header)})")

    def rows() -> Iterator[Row]:
        previous = csv.field_size_limit(MAX_FIELD_CHARS)
        n = 0
        try:
            while True:
                start = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as err:
                    raise ConfigError(f"{name}:{start}", f"not readable as CSV: {err}") from None
                if not cells or all(not c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise ConfigError(f"{name}:{start}", f"{len(cells)} cells where the header has {len(header)}"
                                                         f" ({'truncated row' if len(cells) < len(header) else 'extra cells'})")
                n += 1
                yield Row(start, dict(zip(header, cells)))
        finally:
            csv.field_size_limit(previous)
        if n == 0 and not allow_empty:
            raise ConfigError(name, f"no data rows under the header (expected {what})")

    return header, rows()


def finite(text: Any, where: str, *, minimum: float | None = None, maximum: float | None = None,
           integer: bool = False, unit: str = "") -> float:
    """A cell or option read as a finite number in ``[minimum, maximum]``: ASCII digits only
    (``'１２'`` is refused), no ``nan`` or ``inf``; ``integer`` asks for a whole number."""
    raw = str(text).strip()
    kind = "a whole number" if integer else "a number"
    unit_text = f" in {unit}" if unit else ""
    if not raw or not raw.isascii():
        raise ConfigError(where, f"expected {kind}{unit_text}, got {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(where, f"expected {kind}{unit_text}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(where, f"expected a finite number{unit_text}, got {raw!r}")
    if integer and value != int(value):
        raise ConfigError(where, f"expected a whole number, got {raw!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(where, f"expected {kind} >= {minimum:g}{unit_text}, got {raw!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(where, f"expected {kind} <= {maximum:g}{unit_text}, got {raw!r}")
    return value


def load_json(path: str | Path, what: str = "a JSON file", *, max_bytes: int = 64 * 1024 ** 2) -> Any:
    """A JSON file read with :func:`read_text` and parsed; a syntax error is named by ``file:line``."""
    import json

    path = Path(path)
    text = read_text(path, what, max_bytes=max_bytes)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{_name(path)}:{err.lineno}", f"not valid JSON: {err.msg} (expected {what})") from None
    except RecursionError:
        raise ConfigError(_name(path), f"nested too deeply (expected {what})") from None
