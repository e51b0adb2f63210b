# gate.py: a test-only hook of the development server.  With a gate
# directory (--gate-dir, or MBK_DEVSERVER_GATE_DIR), a command NAME from a
# client waits while the file NAME.hold exists there, up to a deadline,
# then runs; NAME.waiting exists while one waits.  mongod has no such
# thing: it lets a test hold a command at a known point without timing.

import os
import re
import threading
import time

# The default deadline, below libmongoc's default socketTimeoutMS (300 s),
# so a held client gets its answer, not a network timeout.
DEFAULT_DEADLINE = 240.0
POLL = 0.02
NAME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_]*$')


class Gate:
    """Holds commands while NAME.hold exists in directory (None: never)."""

    def __init__(self, directory, deadline, log):
        self.dir = directory or None
        self.deadline = deadline if deadline and deadline > 0 \
            else DEFAULT_DEADLINE
        self.log = log
        self.lock = threading.Lock()
        self.waiting = {}  # command name -> commands waiting now

    def _deadline_of(self, hold):
        """A positive number in the hold file is its deadline in seconds;
        anything else (an empty file) means the server's."""
        try:
            with open(hold, encoding='ascii', errors='replace') as f:
                v = float(f.read(64).strip() or 0)
        except (OSError, ValueError):
            return self.deadline
        return v if 0 < v < 1e6 else self.deadline

    def _mark(self, name, delta):
        marker = os.path.join(self.dir, name + '.waiting')
        with self.lock:
            n = self.waiting.get(name, 0) + delta
            self.waiting[name] = n
            try:
                if n > 0:
                    with open(marker + '.tmp', 'w') as f:
                        f.write('%d\n' % n)
                    os.replace(marker + '.tmp', marker)
                else:
                    os.unlink(marker)
            except OSError as exc:
                self.log('gate: %s: %s' % (marker, exc))

    def wait(self, name, db, arg):
        """Return once NAME.hold is gone or its deadline passed (NAME the
        command's name, db its database, arg its first value)."""
        if self.dir is None or not NAME_RE.match(name):
            return
        hold = os.path.join(self.dir, name + '.hold')
        if not os.path.exists(hold):
            return
        target = '%s.%s' % (db, arg)
        limit = self._deadline_of(hold)
        self.log('gate: %s %s waits while %s exists (at most %g s)'
                 % (name, target, hold, limit))
        self._mark(name, 1)
        end = time.monotonic() + limit
        try:
            while os.path.exists(hold):
                if time.monotonic() >= end:
                    self.log('gate: %s %s held for %g s, the deadline: '
                             'running it' % (name, target, limit))
                    return
                time.sleep(POLL)
            self.log('gate: %s %s released' % (name, target))
        finally:
            self._mark(name, -1)
