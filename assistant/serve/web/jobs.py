"""A batch profile job started from the web app (one per user, in a folder of its own): the same
:class:`~assistant.serve.jobs.BatchJob` the REST API's ``/api/batch`` jobs run (defined there, outside the web
package, so the API needs no Gradio)."""

from __future__ import annotations

from assistant.serve.jobs import BatchJob

__all__ = ["BatchJob"]
