"""Object storage: the :class:`ObjectStore` interface, a local folder (default) and S3 through boto3."""

from xxgk.storage.base import ObjectStore, StorageError

__all__ = ["ObjectStore", "StorageError"]
