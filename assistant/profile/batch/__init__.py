"""Batch profiles (issue 5, item 7): many companies → ``profiles.jsonl``, a Markdown and an HTML report per
company, and ``summary.csv``; resumable, one bad company never stops the run.

    report = run_batch(store, None, BatchOptions(out=Path("out"), workers=2, engine="ray"), settings)

**One per-company function.** :func:`profile_task` turns a :class:`Task` (the company, its aliases and its
chunks, the reference date, whether to summarise) into a :class:`CompanyResult` (the profile JSON, both
reports and the CSV row, or the error, with the seconds of each stage). It writes no file, so the same
function runs inline, in a process or thread pool (``engine="local"``), or as a Ray task (``engine="ray"``) on
a private local Ray cluster the run starts and stops, or on an existing cluster (``ray_address``; see
:mod:`assistant.profile.batch.ray_engine`: a task per company, retried when its worker dies).

**The driver** reads each company's chunks (texts only, no vectors) from its one store when it submits the
task — so no worker opens the store and workers can run on machines without it — or, with
``read="workers"``, ships the store's settings and each worker reads its company itself
(:mod:`assistant.profile.batch.reading`: the same store path on every node, or the Chroma server). The
driver alone writes the output folder, as each result arrives:

    DIR/profiles/<name>.json     the profile (one line of JSON)
    DIR/reports/<name>.md|.html  the reports
    DIR/state/<name>.json        the ledger entry, written last: status ok|failed, error, fingerprint …
    DIR/profiles.jsonl           rebuilt at the end of every run from the state (one line per ok company,
    DIR/summary.csv              in the run's company order; one CSV row per company, failures too)
    DIR/batch.json               the last run's report

Every file is written to a temporary name and renamed, so a run killed at any point (even SIGKILL) leaves
whole files; a company counts as done only when its state file says ``ok`` with the same document
fingerprint (the stored documents' sha256) and options (reference date, summary, model), so the next run
skips it and redoes the rest, and the rebuilt outputs hold every company exactly once. A failed company is
tried again by the next run. A lock file keeps two runs from writing one folder.

``<name>`` is the company name made safe for any file system (reserved characters replaced; a short
hash of the original name appended when anything was changed, so names never collide).
"""

from assistant.core.names import safe_name
from assistant.profile.batch.files import BatchRun, FolderLock, StateEntry, write_atomic
from assistant.profile.batch.reading import open_store
from assistant.profile.batch.run import BatchOptions, BatchReport, run_batch
from assistant.profile.batch.task import _SUMMARIZERS, CompanyResult, Task, csv_row, profile_task

__all__ = [
    "_SUMMARIZERS",
    "BatchOptions",
    "BatchReport",
    "BatchRun",
    "CompanyResult",
    "FolderLock",
    "StateEntry",
    "Task",
    "csv_row",
    "open_store",
    "profile_task",
    "run_batch",
    "safe_name",
    "write_atomic",
]
