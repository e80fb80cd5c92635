"""Configuration from ``ASSETPORT_*`` environment variables (embedded defaults need nothing set)."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# File-name stem -> product key: the stem minus a trailing view suffix ("_2", "-front", " B"), also
# ignoring a browser's duplicate-download counter ("546451996_1 (1).png"); case-insensitive.
DEFAULT_FILENAME_PATTERN = (
    r"(?i)^(?P<key>.+?)"
    r"(?:[_\-\s](?P<view>\d{1,3}|front|back|side|top|bottom|left|right|detail|[a-z]))?"
    r"(?:\s*\(\d{1,3}\))?$"
)


class Settings(BaseSettings):
    """All runtime settings; every field can be set as ``ASSETPORT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ASSETPORT_", extra="ignore")

    instance_dir: Path = Field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str | None = None
    storage_dir: Path | None = None
    search_url: str | None = None
    # Languages whose Snowball stems search besides exact words (comma-separated ISO codes, e.g. "en,de");
    # changing them needs a reindex (``assetport reindex``).
    search_languages: str = "en"
    # ASSETPORT_VARIANT_INHERITANCE (default true) is read where the rule lives, ``indexer.variants`` (search
    # documents are built outside the portal too): variants share their model's pictures; changing it needs
    # a reindex.
    redis_url: str | None = None
    secret_key: str | None = None
    # Upload and decoding limits: a request larger than this answers 413; images with more pixels are
    # rejected as decompression bombs before any pixel is decoded.
    max_upload_bytes: int = 512 * 1024 * 1024
    max_image_pixels: int = 200_000_000
    # One text form field at most this large, one form at most this many fields and files (413 beyond).
    max_form_field_bytes: int = 512 * 1024
    max_form_parts: int = 1000
    # Temp files of uploads and renders nothing wrote to for this long are leftovers of a killed process:
    # removed at start-up and by a periodic job.
    tmp_max_age_seconds: int = 3600
    filename_pattern: str = DEFAULT_FILENAME_PATTERN
    # How file names spell the "/" of an article number: "7310-22-B_1.jpg" links to "7310/22-B".
    filename_slash_replacement: str = "-"
    # Worker threads of the in-process queue (0 = one per CPU core).
    worker_threads: int = 0
    # Run jobs inline instead of on a worker thread; tests and one-shot CLI commands use it.
    jobs_eager: bool = False
    # Seconds the in-process search lane waits to fold a burst of changes into one index write.
    search_sync_linger: float = 1.0
    login_max_failures: int = 5
    login_window_seconds: int = 300
    # Cookies are Secure on HTTPS requests anyway; this forces it for every request. Remember-me lasts
    # this many days; behind a reverse proxy, trusted_proxies hops of X-Forwarded-For/-Proto are believed
    # (client address for login throttling and rate limits, https for Secure cookies and HSTS).
    session_cookie_secure: bool = False
    remember_days: int = 14
    trusted_proxies: int = 0
    # Failed logins per client address (any accounts) in the login window before that client is refused.
    login_max_client_failures: int = 50
    log_level: str = "INFO"
    # Distribution: a CMYK ICC profile file enables CMYK output for presets with colour "cmyk"; package
    # and link-table downloads stay valid this long; larger packages stop with a clear message; article
    # numbers may be matched ignoring leading zeros; webhook retries back off exponentially.
    cmyk_profile_path: str | None = None
    package_link_ttl_seconds: int = 7 * 24 * 3600
    package_max_bytes: int = 20 * 1024**3
    package_strip_leading_zeros: bool = False
    webhook_max_attempts: int = 6
    webhook_backoff_seconds: float = 30.0
    webhook_timeout_seconds: float = 10.0
    # Notifications: mail goes out over SMTP when ``smtp_url`` is set (``smtp://host:25``,
    # ``smtp://user:pass@host:587?starttls=1``, ``smtps://user:pass@host:465``; unset: in-app only), from
    # ``smtp_from``, retried with exponential backoff; ``public_url`` makes the links in mails absolute.
    smtp_url: str | None = None
    smtp_from: str = "Assetport <assetport@localhost>"
    smtp_timeout_seconds: float = 10.0
    smtp_max_attempts: int = 6
    smtp_backoff_seconds: float = 60.0
    public_url: str | None = None
    # Brand hub and share links: requests per client address per minute (0 = no limit) for pages,
    # thumbnails/previews and downloads, and password attempts per link per 5 minutes.
    public_rate_pages: int = 120
    public_rate_media: int = 1200
    public_rate_downloads: int = 30
    public_rate_passwords: int = 5
    # Vision: which model embeds and tags images (auto = CLIP when its weights load, else the packaged
    # model; off = no embeddings, no auto tags), CLIP's architecture and weights (a hub tag or a local
    # checkpoint file), and a bound on torch's threads (0 = torch's default).
    vision_model: str = "auto"
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    vision_threads: int = 0
    # Where the forward passes run: onnx (ONNX Runtime, graphs exported once from the torch weights into
    # <instance>/models/onnx; torch is the fallback) or torch.
    vision_runtime: str = "onnx"
    # Cosine from which a new image is flagged as a near-duplicate (0 = the model's calibrated default).
    vision_duplicate_threshold: float = 0.0
    # Meaning search: the packaged text model (MiniLM) embeds each asset's product and metadata text at
    # index time and queries are fused with the word search (auto = on unless vision is off; on; off), and
    # the minimum cosine a hit found by meaning alone needs (0 = the calibrated default).
    search_meaning: str = "auto"
    search_meaning_floor: float = 0.0

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_dir / 'assetport.db'}"

    @cached_property
    def resolved_storage_dir(self) -> Path:
        """Root of the content-addressed blob store."""
        return self.storage_dir or self.instance_dir / "blobs"

    @cached_property
    def resolved_search_url(self) -> str:
        """The search engine URL, defaulting to an embedded index in the instance folder."""
        return self.search_url or f"embedded://{self.instance_dir / 'index'}"

    def ensure_instance_dir(self) -> None:
        """Create the instance folder (private to the owner: it holds the secret key and the database)."""
        self.instance_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    @cached_property
    def resolved_secret_key(self) -> str:
        """The secret key: from the environment, else generated once into ``instance/secret_key``."""
        if self.secret_key:
            return self.secret_key
        self.ensure_instance_dir()
        path = self.instance_dir / "secret_key"
        if not path.exists():
            key = secrets.token_urlsafe(48)
            # O_EXCL: two processes starting at once must not overwrite each other's key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return path.read_text().strip()
            with os.fdopen(fd, "w") as fh:
                fh.write(key)
            return key
        return path.read_text().strip()

    @property
    def content_language(self) -> str:
        """The language of the products' default name and description: the first search language."""
        return (self.search_languages.split(",")[0].strip().lower() or "en")[:3]

    @property
    def effective_worker_threads(self) -> int:
        """Number of in-process worker threads."""
        return self.worker_threads or max(1, os.cpu_count() or 1)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
