#!/usr/bin/python3
"""Keeps the README's console examples in step with the build.

Each ```console block holds commands (`$ cmd`, continued with a trailing backslash) and, under
some of them, what they print (stdout and stderr together). A command shown with output is run
as if from the repository root (in a scratch folder that links to its entries, so that files it
writes stay out of the tree), with `build/` replaced by the build folder; one shown without
output is not run. An output line `...` stands for any number of lines: the lines above
it are the head of the real output and the lines below it its tail.

  scripts/readme_examples.py [--build DIR]           rewrite README.md's outputs from the build
  scripts/readme_examples.py [--build DIR] --check   exit 1, with a diff, where they differ

Timings (`0.02 s`, `579.1 runs/s`) are compared as `#`: they vary from run to run.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOLATILE = re.compile(r"\b\d+(\.\d+)? (s|runs/s)\b")


def parse_blocks(lines):
    """Yields (start, end) line indices of each ```console block's body."""
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            yield i + 1, j
            i = j
        i += 1


def split_examples(body):
    """A block body -> [(command lines, output lines)]."""
    examples, k = [], 0
    while k < len(body):
        if not body[k].startswith("$ "):
            raise SystemExit(f"README.md: console line '{body[k]}' is neither a command nor under one")
        cmd = [body[k]]
        k += 1
        # Continued with a backslash, or annotated with comment-only lines under it.
        while k < len(body) and (cmd[-1].rstrip().endswith("\\") or body[k].lstrip().startswith("#")):
            cmd.append(body[k])
            k += 1
        out = []
        while k < len(body) and not body[k].startswith("$ "):
            out.append(body[k])
            k += 1
        examples.append((cmd, out))
    return examples


def command_text(cmd_lines):
    """The shell command of `$ a \\` + `  b  # comment` lines, comments dropped."""
    parts = []
    for line in cmd_lines:
        line = line[2:] if line.startswith("$ ") else line
        line = re.sub(r"\s+#.*$", "", line)
        parts.append(line.rstrip().rstrip("\\").strip())
    return " ".join(p for p in parts if p)


def run(cmd, build):
    """Runs `cmd` in a scratch copy of the repository's layout (links to its entries and to
    ../shared), so that the files an example writes never land in the source tree."""
    cmd = re.sub(r"(^|\s)build/", lambda m: m.group(1) + build.rstrip("/") + "/", cmd)
    env = dict(os.environ, COLUMNS="100")
    with tempfile.TemporaryDirectory(prefix="nesim_readme_") as tmp:
        repo = os.path.join(tmp, "repo")
        os.mkdir(repo)
        for entry in os.listdir(ROOT):
            if entry not in (".git", "build"):
                os.symlink(os.path.join(ROOT, entry), os.path.join(repo, entry))
        shared = os.path.join(os.path.dirname(ROOT), "shared")
        if os.path.isdir(shared):
            os.symlink(shared, os.path.join(tmp, "shared"))
        p = subprocess.run(["bash", "-c", cmd], cwd=repo, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300)
    return p.stdout.rstrip("\n").split("\n") if p.stdout.strip() else []


def shown(real, template):
    """The real output cut the way the README cuts it (head ... tail)."""
    if "..." not in template:
        return real
    cut = template.index("...")
    head, tail = cut, len(template) - cut - 1
    if len(real) <= head + tail:
        return real
    return real[:head] + ["..."] + (real[len(real) - tail:] if tail else [])


def mask(lines):
    return [VOLATILE.sub("#", l.rstrip()) for l in lines]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder (default: build)")
    ap.add_argument("--check", action="store_true", help="compare instead of rewriting")
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if not os.access(os.path.join(build, "nesim"), os.X_OK):
        print(f"readme_examples: no nesim in {build}: build first", file=sys.stderr)
        return 2
    with open(a.readme) as f:
        lines = f.read().split("\n")
    new_lines, drift, last = [], [], 0
    for start, end in parse_blocks(lines):
        new_lines += lines[last:start]
        for cmd, out in split_examples(lines[start:end]):
            new_lines += cmd
            blank = 0  # blank lines that end the output separate it from the next command
            while out and not out[-1].strip():
                out, blank = out[:-1], blank + 1
            if not out:
                new_lines += [""] * blank
                continue
            real = shown(run(command_text(cmd), build), out)
            if mask(real) != mask(out):
                drift.append((command_text(cmd), out, real))
                new_lines += real
            else:
                new_lines += out  # keep the README's own timings
            new_lines += [""] * blank
        last = end
    new_lines += lines[last:]
    if a.check:
        for cmd, old, new in drift:
            print(f"README.md: the output of `{cmd}` drifted from the build:")
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(old, new, "README.md", "build", lineterm=""))
        if drift:
            print(f"{len(drift)} example(s) drifted: run scripts/readme_examples.py to update README.md")
            return 1
        print("README.md console examples match the build")
        return 0
    with open(a.readme + ".tmp", "w") as f:
        f.write("\n".join(new_lines))
    os.replace(a.readme + ".tmp", a.readme)
    print(f"README.md: {len(drift)} example(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
