#!/usr/bin/env python3
"""Lines of code of each herd implementation: lines that hold code, not
blank, not only comment (Python docstrings count as comments).

    python3 scripts/loc.py

prints one tab-separated row per implementation (a header first):

    implementation  language  files  code_lines

- herd: the Rust crates the `herd` binary is built from (proto, base,
  olympic, herd), without tests: `#[cfg(test)]` items and the files of
  `#[cfg(test)] mod x;` are left out. It also does far more than the
  references (Olympic scores, journal, anti-entropy, link keys, STATUS).
- asyncio, node, java: the reference herds under bench/peers/.

Comments are found by a small scanner that knows string and character
literals, not by a parser; that is exact for these files.
"""

import io
import os
import re
import sys
import tokenize

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
HERD_CRATES = ["proto", "base", "olympic", "herd"]
REFERENCES = [
    ("asyncio", "Python", "bench/peers/asyncio/server.py"),
    ("node", "JavaScript", "bench/peers/node/server.js"),
    ("java", "Java", "bench/peers/java/Server.java"),
]
# `#[cfg(test)]` or `#[cfg(any(test, ...))]`: an item built only for tests.
TEST_ONLY = re.compile(r"#\[cfg\((?:any\()?test\b")


def python_code_lines(text):
    """Line numbers holding Python tokens other than comments and docstrings."""
    lines, logical = set(), []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        if tok.type != tokenize.NEWLINE:
            logical.append(tok)
            continue
        # A logical line that is one string is a docstring (or as good as one).
        if not (len(logical) == 1 and logical[0].type == tokenize.STRING):
            for t in logical:
                lines.update(range(t.start[0], t.end[0] + 1))
        logical = []
    return len(lines)


def strip_c_comments(text, rust=False):
    """`text` with `//` and `/* */` comments blanked, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c, nxt = text[i], text[i + 1:i + 2]
        if c == "/" and nxt == "/":
            while i < n and text[i] != "\n":
                i += 1
        elif c == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
        elif c in "\"`" or (c == "'" and not rust):
            # JavaScript and Java quotes end at the line (a JS regex may hold one).
            end = literal_end(text, i, c, one_line=not rust and c != "`")
            out.append(text[i:end])
            i = end
        elif c == "'" and rust and (nxt == "\\" or text[i + 2:i + 3] == "'"):
            end = literal_end(text, i, "'")  # a char literal; otherwise a lifetime
            out.append(text[i:end])
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def literal_end(text, start, quote, one_line=False):
    """Index just past the literal opened by `quote` at `start`."""
    i = start + 1
    while i < len(text) and text[i] != quote:
        if one_line and text[i] == "\n":
            return i
        i += 2 if text[i] == "\\" else 1
    return i + 1


def c_code_lines(text, rust=False):
    return sum(1 for line in strip_c_comments(text, rust).splitlines() if line.strip())


def skip_test_items(code):
    """Rust code without `#[cfg(test)]` items; also the modules they declare
    by name (`mod x;`), to leave their files out."""
    kept, test_mods, pos = [], [], 0
    for m in TEST_ONLY.finditer(code):
        if m.start() < pos:
            continue
        kept.append(code[pos:m.start()])
        body = code.find("{", m.end())
        semi = code.find(";", m.end())
        if semi >= 0 and (body < 0 or semi < body):
            decl = re.search(r"\bmod\s+(\w+)\s*$", code[m.end():semi])
            if decl:
                test_mods.append(decl.group(1))
            pos = semi + 1
            continue
        depth, i = 0, body
        while i < len(code):
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
            if depth == 0:
                break
        pos = i
    kept.append(code[pos:])
    return "".join(kept), test_mods


def herd_rows():
    files, lines, skipped = 0, 0, set()
    sources = []
    for crate in HERD_CRATES:
        for folder, _, names in os.walk(os.path.join(ROOT, crate, "src")):
            sources += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".rs")]
    stripped = {}
    for path in sources:
        with open(path, encoding="utf-8") as f:
            code, test_mods = skip_test_items(strip_c_comments(f.read(), rust=True))
        stripped[path] = code
        # `mod x;` in lib.rs, main.rs or mod.rs is x.rs or x/ beside it; in a.rs, a/x.rs or a/x/.
        base = os.path.dirname(path)
        if os.path.basename(path) not in ("lib.rs", "main.rs", "mod.rs"):
            base = path[:-3]
        for name in test_mods:
            skipped.add(os.path.join(base, name + ".rs"))
            skipped.add(os.path.join(base, name) + os.sep)
    for path in sources:
        if path in skipped or any(path.startswith(s) for s in skipped if s.endswith(os.sep)):
            continue
        files += 1
        lines += sum(1 for line in stripped[path].splitlines() if line.strip())
    return [("herd", "Rust", files, lines)]


def main():
    rows = herd_rows()
    for name, language, path in REFERENCES:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            text = f.read()
        count = python_code_lines(text) if language == "Python" else c_code_lines(text)
        rows.append((name, language, 1, count))
    print("implementation\tlanguage\tfiles\tcode_lines")
    for row in rows:
        print("\t".join(map(str, row)))


if __name__ == "__main__":
    sys.exit(main())
