"""The product's own error types: every message is meant for a reviewer, not a developer."""
from __future__ import annotations

__all__ = [
    "ExtractError",
    "UnsupportedFileType",
    "FileTooLarge",
    "EmptyFile",
    "EncryptedPDF",
    "ScannedPDF",
    "CorruptFile",
    "NoPolicyText",
    "StoreError",
    "PermissionDenied",
    "FetchError",
    "FetchRefused",
    "FetchFailed",
]


class ExtractError(Exception):
    """Base class: `str(err)` is a sentence a reviewer understands."""


class UnsupportedFileType(ExtractError):
    """The file is not a PDF, TXT, Markdown, HTML or DOCX document."""


class FileTooLarge(ExtractError):
    """The file or its content exceeds a configured limit."""


class EmptyFile(ExtractError):
    """The file has no bytes at all."""


class EncryptedPDF(ExtractError):
    """The PDF is password-protected and cannot be read."""


class ScannedPDF(ExtractError):
    """The PDF has no text layer (it looks scanned)."""


class CorruptFile(ExtractError):
    """The file is damaged or is not what its name says."""


class NoPolicyText(ExtractError):
    """The file was read but holds no usable text."""


class StoreError(ExtractError):
    """The database cannot be opened, is locked or is damaged."""


class PermissionDenied(ExtractError):
    """The signed-in user's role does not allow this action (viewers only read)."""


class FetchError(ExtractError):
    """A policy URL could not be fetched (the message names the URL and the reason)."""


class FetchRefused(FetchError):
    """The URL is not fetched at all: a non-http(s) scheme, or an address that is not public
    (loopback, private, link-local, metadata ...) and not allowed by PRIVACY_FETCH_ALLOW_HOSTS."""


class FetchFailed(FetchError):
    """The server could not be reached, did not answer in time, answered an error status, or
    redirected too often."""
