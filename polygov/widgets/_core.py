"""Shared machinery of the polygov widgets: debouncing, messages, figures as images.

A polygov widget is a thin view over one pure function call.  This module holds
what every view needs and nothing else:

* :class:`Debouncer` - collapse a burst of control changes (a slider being
  dragged) into one recomputation, with ``wait=0`` for synchronous updates
  (used by the tests and by :meth:`LabWidget.update`);
* :func:`message_html` - the clear, styled message shown *instead of* a
  traceback when a choice leaves no data or is invalid;
* :func:`figure_png` - render a matplotlib figure to PNG bytes without pyplot,
  so views can update an :class:`ipywidgets.Image` from any thread and never
  touch global matplotlib state.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import threading
import warnings
from collections.abc import Callable

import ipywidgets as W

from ..errors import PolygovWarning

__all__ = ["Debouncer", "LabWidget", "NoDataError", "figure_png", "message_html", "new_figure",
           "row_layout"]


class NoDataError(ValueError):
    """A widget choice leaves nothing to compute (no indicator, no country-year...)."""


class Debouncer:
    """Call ``fn`` once, ``wait`` seconds after the last of a burst of calls.

    Parameters
    ----------
    fn : callable
        Called without arguments.
    wait : float
        Quiet period in seconds.  ``0`` makes every call synchronous (tests,
        scripts).

    Notes
    -----
    Inside a running asyncio loop (a Jupyter kernel handling a widget message)
    the call is scheduled with ``loop.call_later``, so it runs on the kernel's
    own thread; elsewhere a :class:`threading.Timer` is used.  :meth:`flush`
    runs a pending call now; :meth:`cancel` drops it.
    """

    def __init__(self, fn: Callable[[], None], wait: float = 0.3):
        if wait < 0:
            raise ValueError(f"debounce wait must be >= 0 seconds, got {wait}")
        self.fn = fn
        self.wait = float(wait)
        self._lock = threading.Lock()
        self._handle: asyncio.TimerHandle | threading.Timer | None = None
        self.calls = 0  # how many times fn actually ran (for tests and diagnostics)

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def __call__(self, *_args, **_kwargs) -> None:
        if self.wait == 0:
            self._run()
            return
        with self._lock:
            self._cancel_locked()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._handle = loop.call_later(self.wait, self._fire)
            else:
                t = threading.Timer(self.wait, self._fire)
                t.daemon = True
                self._handle = t
                t.start()

    def _cancel_locked(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        with self._lock:
            self._handle = None
        self._run()

    def _run(self) -> None:
        self.calls += 1
        self.fn()

    def flush(self) -> None:
        """Run a pending call now (no-op when nothing is pending)."""
        with self._lock:
            was = self._handle is not None
            self._cancel_locked()
        if was:
            self._run()

    def cancel(self) -> None:
        with self._lock:
            self._cancel_locked()


_STYLE = {
    "info": ("#1f3a93", "#eef2fb"),
    "warning": ("#8a4b00", "#fff4e0"),
    "error": ("#922b21", "#fdecea"),
}


def message_html(text: str, *, kind: str = "warning", title: str | None = None) -> str:
    """A small styled HTML box for a widget message (never a traceback)."""
    fg, bg = _STYLE.get(kind, _STYLE["warning"])
    head = f"<b>{html.escape(title)}</b><br>" if title else ""
    body = html.escape(str(text)).replace("\n", "<br>")
    return (f'<div class="polygov-message polygov-message-{kind}" style="border-left:4px solid {fg};'
            f'background:{bg};color:{fg};padding:6px 10px;margin:4px 0;">{head}{body}</div>')


def row_layout():
    """Layout of an output row: wraps when narrow, never stretches images vertically."""
    return W.Layout(flex_flow="row wrap", align_items="flex-start")


def new_figure(figsize=(7.0, 4.0), nrows: int = 1, ncols: int = 1, *, layout="constrained", **kw):
    """A pyplot-free matplotlib Figure with its Axes (no global state touched)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100, layout=layout)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def figure_png(fig) -> bytes:
    """Render a matplotlib Figure (made by :func:`new_figure`) to PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class LabWidget(W.VBox):
    """Base class: controls + outputs, one pure computation, debounced refresh.

    Subclasses implement :meth:`_compute` (read the controls, call the pure
    function, return its result) and :meth:`_render` (show that result).  An
    exception raised by the computation - normally one of the library's own
    clear ``ValueError``/``KeyError`` messages - is shown in :attr:`message`
    instead of a traceback, and the previous outputs are blanked so nothing
    stale is read.  polygov warnings raised during a successful computation
    are shown there as notes (and kept in :attr:`warnings`), after the widget's
    own notes about the choice (:meth:`_notes`).

    Attributes
    ----------
    message : ipywidgets.HTML
        Empty when all is well; otherwise the message.
    result : object
        The last successful result of the pure function (None after an error).
    error : str or None
        The text of the last message (None when all is well).
    notes : list of str
        The widget's own notes on the last successful choice (e.g. a method it
        substituted), shown in :attr:`message`.
    warnings : list of str
        polygov warnings raised by the last successful computation.
    """

    def __init__(self, *, debounce: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        self.message = W.HTML(value="")
        self.message.add_class("polygov-message-box")
        self.result = None
        self.error: str | None = None
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.n_updates = 0
        self._held = 0
        self._dirty = False
        self._debouncer = Debouncer(self._refresh, wait=debounce)

    # -- wiring ----------------------------------------------------------------
    def _watch(self, *controls: W.Widget) -> None:
        for c in controls:
            c.observe(self._changed, names="value")

    def _changed(self, _change=None) -> None:
        if self._held:
            self._dirty = True
            return
        self._debouncer()

    @contextlib.contextmanager
    def batch(self):
        """Change several controls, then recompute once (synchronously) on exit::

            with widget.batch():
                widget.year.value = 2010
                widget.aggregation.value = "geometric mean"
        """
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held and self._dirty:
                self._dirty = False
                self.update()

    def update(self) -> None:
        """Recompute now, synchronously (drops any pending debounced update)."""
        self._debouncer.cancel()
        self._refresh()

    # -- the refresh cycle -------------------------------------------------------
    def _refresh(self) -> None:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PolygovWarning)
                res = self._compute()
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never as a traceback
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            if isinstance(exc, NoDataError):
                title, kind = "Nothing to show for this choice", "warning"
            elif isinstance(exc, (ValueError, KeyError, TypeError, ZeroDivisionError)):
                title, kind = "This choice does not work", "error"
            else:  # not one of polygov's own messages: say what it was
                title, kind = "Unexpected error", "error"
                msg = f"{type(exc).__name__}: {msg}"
            self.result = None
            self.notes = []
            self.error = str(msg)
            self.message.value = message_html(self.error, kind=kind, title=title)
            self._clear()
        else:
            self.result = res
            self.error = None
            notes = list(dict.fromkeys(str(w.message) for w in caught
                                       if issubclass(w.category, PolygovWarning)))
            self.warnings = notes
            self.notes = self._notes()
            self.message.value = "".join(message_html(n, kind="info", title="Note")
                                         for n in [*self.notes, *notes[:3]])
            self._render(res)
        self.n_updates += 1

    #: ``"module.function"`` of the pure function the widget calls (set by subclasses).
    function: str = ""

    def arguments(self) -> dict:  # pragma: no cover - abstract
        """Keyword arguments of the pure function for the current controls."""
        raise NotImplementedError

    def code(self, data: str = "data") -> str:
        """The current screen as one line of Python: the pure call the widget makes.

        Parameters
        ----------
        data : str
            Name of the variable holding the widget's data in your session.
        """
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments().items())
        return f"{self.function}({data}, {args})"

    def _notes(self) -> list[str]:
        """Notes about the current choice shown above the outputs (e.g. a method substituted)."""
        return []

    def _describe(self) -> str:
        """A short, deterministic description of the current state (for the repr)."""
        return ""

    def __repr__(self) -> str:
        state = "error: " + self.error[:80] if self.error else self._describe()
        return f"{type(self).__name__}({state})"

    def _compute(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _render(self, result) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _clear(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
