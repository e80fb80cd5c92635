"""File storage: the content-addressed blob store."""

from portal.storage.blobstore import BlobStore, StoredBlob

__all__ = ["BlobStore", "StoredBlob"]
