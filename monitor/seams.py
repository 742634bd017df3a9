"""The seams between layers, as Protocols: what each side may rely on, nothing more.

* `Classifier` — the pure model the pipeline calls (`monitor.classify.Classifier`
  and its lazy wrapper satisfy it; tests pass their own).
* `Sink` — a chat service that takes one message; `ReadBackSink` — one that can
  also find a message it posted before (Slack), so an interrupted post is never
  sent twice.  Sinks without read-back are at-least-once after a crash.
* `ClassifierFactory` / `PipelineFactory` — how `monitor run` builds (and, after a
  reload or a retrain, rebuilds) the classifier and each thread's pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # type names only: importing these at run time would form a cycle
    import sqlite_utils

    from monitor.alert.format import Message
    from monitor.config import Config
    from monitor.models import Classification, Receipt
    from monitor.pipeline import Pipeline


class Classifier(Protocol):
    """Pure: the same text gives the same verdict, no IO."""

    @property
    def version(self) -> str:
        """The model artifact's version, stored with every verdict."""
        ...

    def classify(self, title: str, text: str, lang: str | None = None) -> Classification: ...


class Sink(Protocol):
    name: str
    supports_threads: bool  # replies of a story go in the first alert's thread
    feedback: bool  # item alerts carry feedback buttons

    def post(self, channel: str, message: Message, *, alert_id: int | None = None,
             thread_ts: str | None = None, broadcast: bool = False,
             text_only: bool = False) -> Receipt: ...


@runtime_checkable
class ReadBackSink(Sink, Protocol):
    def find_posted(self, channel: str, alert_id: int, oldest: float,
                    thread_ts: str | None = None) -> str | None:
        """ts of the message tagged `alert_id` posted since `oldest`, None if none.

        Raises `monitor.models.ReadBackError` when the service cannot be asked
        (kind UNKNOWN: the caller must not guess then) or refuses to be asked
        (kind PERMANENT)."""
        ...


class ClassifierFactory(Protocol):
    def __call__(self, config: Config, /) -> Classifier: ...


class PipelineFactory(Protocol):
    def __call__(self, config: Config, db: sqlite_utils.Database, classifier: Classifier,
                 /) -> Pipeline: ...
