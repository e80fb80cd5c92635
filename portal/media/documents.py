"""Documents: text for full-text search (PDF, Office Open XML, OpenDocument) and Office -> PDF conversion.

Text is read from the ZIP's XML parts directly (no LibreOffice needed, so it is searchable even where
LibreOffice is missing), with bounded entry counts, sizes, compression ratios and output length: a zip
bomb is refused, never inflated. Conversion to PDF runs LibreOffice headless in a subprocess with
rlimits and a timeout (``portal.media.sandbox``); without LibreOffice the file is stored with "no preview".
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from typing import Final

import pypdfium2 as pdfium
from defusedxml import ElementTree as SafeET

from portal.errors import RejectedFile
from portal.media import sandbox
from portal.media.pdf import _PDFIUM_LOCK

#: Longest text kept per document for search.
MAX_TEXT_CHARS: Final = 200_000
MAX_PDF_TEXT_PAGES: Final = 200
MAX_ZIP_ENTRIES: Final = 5000
MAX_ZIP_TOTAL: Final = 500 * 1024 * 1024
MAX_ZIP_RATIO: Final = 200
MAX_XML_PART: Final = 50 * 1024 * 1024
CONVERT_TIMEOUT_S: Final = 120.0
CONVERT_MEMORY: Final = 4 * sandbox.GIB
MIME: Final[dict[str, tuple[str, str]]] = {
    "DOCX": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "PPTX": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    "ODT": ("application/vnd.oasis.opendocument.text", "odt"),
    "ODS": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    "ODP": ("application/vnd.oasis.opendocument.presentation", "odp"),
}
_SLIDE_RE: Final = re.compile(r"^ppt/slides/slide(\d+)\.xml$")
_SHEET_RE: Final = re.compile(r"^xl/worksheets/sheet\d+\.xml$")


def check_zip(path: Path) -> zipfile.ZipFile:
    """Open an Office ZIP after checking it is no bomb (entries, total size, compression ratio)."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RejectedFile(f"truncated or corrupt office document: {exc}") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        zf.close()
        raise RejectedFile(f"office document has {len(infos)} parts; at most {MAX_ZIP_ENTRIES} are accepted")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_ZIP_TOTAL or total / packed > MAX_ZIP_RATIO:
        zf.close()
        raise RejectedFile(
            f"decompression bomb: the office document inflates to {total} bytes from {packed} "
            f"(limits {MAX_ZIP_TOTAL} bytes, ratio {MAX_ZIP_RATIO})"
        )
    return zf


def _text_parts(fmt: str, names: list[str]) -> list[str]:
    if fmt == "DOCX":
        return [n for n in ("word/document.xml",) if n in names]
    if fmt == "PPTX":
        slides = [(int(m.group(1)), n) for n in names if (m := _SLIDE_RE.match(n))]
        return [n for _, n in sorted(slides)]
    if fmt == "XLSX":
        return [n for n in names if n == "xl/sharedStrings.xml" or _SHEET_RE.match(n)]
    return [n for n in ("content.xml",) if n in names]


def office_text(path: Path, fmt: str) -> tuple[str, int | None]:
    """The words of an Office/OpenDocument file (bounded) and, for presentations, the slide count.

    RejectedFile for zip bombs, corrupt archives and XML with DTDs or entities (XXE, billion laughs).
    """
    with check_zip(path) as zf:
        names = zf.namelist()
        parts = _text_parts(fmt, names)
        if not parts:
            raise RejectedFile(f"corrupt {fmt} document: its main content part is missing")
        chunks: list[str] = []
        size = 0
        for name in parts:
            if zf.getinfo(name).file_size > MAX_XML_PART:
                raise RejectedFile(f"{fmt} part {name} is larger than {MAX_XML_PART} bytes")
            try:
                root = SafeET.fromstring(zf.read(name))
            except Exception as exc:  # defusedxml forbids DTDs/entities; broken XML is corrupt
                raise RejectedFile(f"corrupt or hostile {fmt} document ({name}): {exc}") from exc
            for text in root.itertext():
                if text.strip():
                    chunks.append(text.strip())
                    size += len(text) + 1
            if size > MAX_TEXT_CHARS:
                break
        slides = sum(1 for n in names if _SLIDE_RE.match(n)) if fmt == "PPTX" else None
        if fmt == "ODP":
            slides = _count_odp_pages(zf)
    return " ".join(chunks)[:MAX_TEXT_CHARS], slides


def _count_odp_pages(zf: zipfile.ZipFile) -> int | None:
    try:
        root = SafeET.fromstring(zf.read("content.xml"))
    except Exception:  # noqa: BLE001  (already read once above)
        return None
    return sum(1 for el in root.iter() if el.tag.endswith("}page"))


def pdf_text(path: Path) -> str:
    """The text of a PDF's first pages (bounded), or "" when it carries none or cannot be read."""
    out: list[str] = []
    size = 0
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(path)
        except Exception:  # noqa: BLE001  (probing reports unreadable PDFs; text is optional)
            return ""
        try:
            for index in range(min(len(doc), MAX_PDF_TEXT_PAGES)):
                page = doc[index]
                textpage = page.get_textpage()
                text = textpage.get_text_bounded()
                textpage.close()
                page.close()
                out.append(text)
                size += len(text)
                if size > MAX_TEXT_CHARS:
                    break
        except Exception:  # noqa: BLE001  (a damaged page ends the text, not the upload)
            pass
        finally:
            doc.close()
    return " ".join(" ".join(out).split())[:MAX_TEXT_CHARS]


def libreoffice() -> str | None:
    """LibreOffice's command when installed, else None."""
    return sandbox.find_tool("soffice", "libreoffice")


def convert_to_pdf(path: Path, fmt: str, out: Path) -> None:
    """Convert an Office file to PDF at ``out`` with LibreOffice headless (limited subprocess).

    ``sandbox.ToolMissing`` when LibreOffice is not installed; RejectedFile("no preview: ...") when the
    conversion fails or runs past its limits.
    """
    tool = libreoffice()
    if tool is None:
        raise sandbox.ToolMissing("no preview: LibreOffice is not installed on this server")
    ext = MIME.get(fmt, ("", fmt.lower()))[1]
    with tempfile.TemporaryDirectory(prefix="lo-") as tmp:
        work = Path(tmp)
        src = work / f"source.{ext}"
        src.symlink_to(path.resolve())
        profile = work / "profile"
        sandbox.run_limited(
            [
                tool, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
                f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf", "--outdir", str(work),
                str(src),
            ],
            cwd=work,
            timeout_s=CONVERT_TIMEOUT_S,
            memory_bytes=CONVERT_MEMORY,
            label="LibreOffice conversion",
        )  # fmt: skip
        produced = work / "source.pdf"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise RejectedFile("no preview: LibreOffice produced no PDF")
        produced.replace(out)
