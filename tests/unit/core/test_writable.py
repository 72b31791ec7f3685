"""One check, before any work, that a destination folder can be written: ``core.files.check_writable_folder``,
used by bundles (``--output``, before training) and by explanation and mask outputs (``--out``, ``--explain``,
segmentation ``--output``, before the attributions or the segmentation).

Before there were two with two messages: explanations asked ``os.access``, which answers for the kernel's
permission rule and not for what an NFS server squashing root, an ACL or the file system decides (it said
"writable" of a folder that then refused the files, after the work; and "read-only" of one an ACL lets us
write), while bundles tried a probe folder but let a destination that is a link to a missing folder pass,
to fail when the bundle was saved, after the whole training run.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from meddx.bundle.bundle import check_destination_free
from meddx.core.errors import BundleError, ConfigError, MeddxError
from meddx.explain.outputs import SUMMARY, refuse_taken


def _refuse_new_entries(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` refuses a new entry, as a root-squashed NFS share does for root, while ``os.access`` says
    it is writable (it asks the permission bits, which let root through)."""
    real = os.mkdir

    def mkdir(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).parent == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "access", lambda *a, **k: True)


def _explain(target: Path) -> None:
    refuse_taken(target, [target / SUMMARY], "--out", overwrite=False)


def _bundle(target: Path) -> None:
    check_destination_free(target, "--output")


@pytest.mark.parametrize(("check", "error", "flag"), [(_explain, ConfigError, "--out"),
                                                      (_bundle, BundleError, "--output")])
@pytest.mark.parametrize("sub", ["new", "new/deeper"])
def test_a_folder_that_refuses_new_entries_is_refused_in_one_format(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check, error, flag: str, sub: str) -> None:  # type: ignore[no-untyped-def]
    locked = tmp_path / "locked"
    locked.mkdir()
    _refuse_new_entries(monkeypatch, locked)
    target = locked / sub
    with pytest.raises(error) as caught:
        check(target)
    assert str(caught.value) == (f"{flag} {target}: cannot write in {locked} (permission denied); nothing was "
                                 "written: choose a writable folder")
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("check", [_explain, _bundle])
def test_a_folder_os_access_calls_read_only_is_accepted_when_writing_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check) -> None:  # type: ignore[no-untyped-def]
    # an ACL granting this user what the mode bits refuse: access(2) says no, the writes succeed
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    check(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # the probe is gone, and nothing was made


@pytest.mark.parametrize("check", [_explain, _bundle])
def test_a_destination_that_is_a_link_to_a_missing_folder_is_refused_first(tmp_path: Path, check) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    with pytest.raises(MeddxError, match=rf"^--\w+ {tmp_path / 'out'}: a link to {tmp_path / 'gone'}, which is not "
                                         "there; nothing was written"):
        check(tmp_path / "out")


def test_an_existing_empty_folder_is_left_as_it_was(tmp_path: Path) -> None:
    from meddx.core.files import check_writable_folder

    check_writable_folder(tmp_path, "--out")
    check_writable_folder(tmp_path / "a" / "b", "--out")
    assert list(tmp_path.iterdir()) == []


def test_a_file_on_the_way_is_named(tmp_path: Path) -> None:
    from meddx.core.files import check_writable_folder

    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match=rf"^--out {tmp_path / 'f' / 'sub'}: {tmp_path / 'f'} is a file; expected a "
                                          "folder"):
        check_writable_folder(tmp_path / "f" / "sub", "--out", ConfigError)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (a folder where mkdir always fails)")
def test_a_real_folder_that_refuses_folders() -> None:
    # /proc's mode bits let root write (os.access says yes); the kernel refuses any new entry there
    from meddx.core.files import check_writable_folder

    with pytest.raises(MeddxError, match=r"^--out /proc/meddx-nowhere/x: cannot write in /proc \("):
        check_writable_folder(Path("/proc/meddx-nowhere/x"), "--out")
