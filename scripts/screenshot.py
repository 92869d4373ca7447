#!/usr/bin/env python3
"""Renders a `tmux capture-pane -e -p` dump (text with ANSI colours) to a PNG.

Usage: tmux capture-pane -e -p -t SESSION > pane.txt; python3 scripts/screenshot.py pane.txt assets/dashboard.png
Needs Pillow (pip install pillow) and DejaVu Sans Mono (fonts-dejavu-core).
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

PALETTE = {30: "#1e1e1e", 31: "#e06c75", 32: "#98c379", 33: "#e5c07b", 34: "#61afef", 35: "#c678dd",
           36: "#56b6c2", 37: "#dcdfe4", 90: "#7f848e", 91: "#ff7b86", 92: "#b5e890", 93: "#ffd68a",
           94: "#7cc4ff", 95: "#e09cff", 96: "#7fdbe6", 97: "#ffffff"}
BACKGROUND, FOREGROUND = "#1e2127", "#dcdfe4"
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def parse(line):
    """Yields (text, fg, bg, bold) runs of one line."""
    fg, bg, bold, reverse = FOREGROUND, None, False, False
    pos = 0
    for match in SGR.finditer(line):
        if match.start() > pos:
            yield line[pos:match.start()], (bg or BACKGROUND) if reverse else fg, fg if reverse else bg, bold
        codes = [int(c) for c in match.group(1).split(";") if c] or [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg, bg, bold, reverse = FOREGROUND, None, False, False
            elif c == 1:
                bold = True
            elif c == 7:
                reverse = True
            elif c in (22,):
                bold = False
            elif c == 27:
                reverse = False
            elif c == 39:
                fg = FOREGROUND
            elif c == 49:
                bg = None
            elif c in PALETTE:
                fg = PALETTE[c]
            elif 40 <= c <= 47:
                bg = PALETTE[c - 10]
            elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                colour = PALETTE.get(30 + codes[i + 2] % 8, FOREGROUND)
                fg, bg = (colour, bg) if c == 38 else (fg, colour)
                i += 2
            i += 1
        pos = match.end()
    if pos < len(line):
        yield line[pos:], (bg or BACKGROUND) if reverse else fg, fg if reverse else bg, bold


def main(source, target):
    lines = open(source, encoding="utf-8").read().rstrip("\n").split("\n")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 15)
    bold_font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 15)
    cell_w, cell_h = font.getbbox("M")[2], 19
    columns = max(len(SGR.sub("", l)) for l in lines)
    image = Image.new("RGB", (cell_w * columns + 20, cell_h * len(lines) + 20), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        x = 10
        for text, fg, bg, bold in parse(line):
            width = cell_w * len(text)
            if bg:
                draw.rectangle([x, 10 + row * cell_h, x + width, 10 + (row + 1) * cell_h], fill=bg)
            for i, ch in enumerate(text):
                draw.text((x + i * cell_w, 10 + row * cell_h), ch, fill=fg, font=bold_font if bold else font)
            x += width
    image.save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
