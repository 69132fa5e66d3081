"""A Windows Job Object around one interpreter of the portable runner: its whole process tree killed at once, memory capped.

Only on Windows (ctypes, kernel32); everywhere else Job.create returns None. The interpreter is put in the job right
after it starts, before it has read a plan, so every process the submission starts is in the job too. Closing the
job's last handle (the grading process ending, however) kills them all.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
LIMIT_JOB_MEMORY = 0x00000200
LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x00000400  # no error-report dialog that would hold a crashed process open
LIMIT_KILL_ON_JOB_CLOSE = 0x00002000


class _Basic(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32), ("SchedulingClass", ctypes.c_uint32)]


class _Io(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("ReadOperationCount", "WriteOperationCount",
                                                      "OtherOperationCount", "ReadTransferCount",
                                                      "WriteTransferCount", "OtherTransferCount")]


class _Extended(ctypes.Structure):
    _fields_ = [("BasicLimitInformation", _Basic), ("IoInfo", _Io), ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t), ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t)]


class Job:
    """A Job Object holding one interpreter and everything it starts."""

    def __init__(self, kernel32: Any, handle: int) -> None:
        self._kernel32, self._handle = kernel32, handle

    @classmethod
    def create(cls, process_handle: int) -> Job | None:
        """A job that kills its processes when closed, with `process_handle` in it; None off Windows or if refused."""
        if sys.platform != "win32":
            return None
        try:
            from ctypes import wintypes

            kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
            kernel32.CreateJobObjectW.restype = wintypes.HANDLE
            kernel32.CreateJobObjectW.argtypes = (ctypes.c_void_p, wintypes.LPCWSTR)
            for name in ("SetInformationJobObject", "QueryInformationJobObject"):
                getattr(kernel32, name).argtypes = (wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
                                                    *((ctypes.c_void_p,) if name.startswith("Query") else ()))
            kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
            kernel32.TerminateJobObject.argtypes = (wintypes.HANDLE, ctypes.c_uint)
            kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
            handle = kernel32.CreateJobObjectW(None, None)
            if not handle:
                return None
            job = cls(kernel32, handle)
            if not job._set(LIMIT_KILL_ON_JOB_CLOSE | LIMIT_DIE_ON_UNHANDLED_EXCEPTION, 0) or \
                    not kernel32.AssignProcessToJobObject(handle, int(process_handle)):
                job.close()
                return None
            return job
        except (OSError, AttributeError, ValueError):
            return None

    def _info(self) -> _Extended | None:
        info = _Extended()
        ok = self._kernel32.QueryInformationJobObject(self._handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                                                      ctypes.byref(info), ctypes.sizeof(info), None)
        return info if ok else None

    def _set(self, flags: int, job_memory: int) -> bool:
        info = _Extended()
        info.BasicLimitInformation.LimitFlags = flags
        info.JobMemoryLimit = job_memory
        return bool(self._kernel32.SetInformationJobObject(self._handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                                                           ctypes.byref(info), ctypes.sizeof(info)))

    def limit_memory(self, extra_bytes: int) -> bool:
        """Cap the job's committed memory at its peak so far (torch, warmed up) plus `extra_bytes`."""
        info = self._info()
        if info is None:
            return False
        return self._set(LIMIT_KILL_ON_JOB_CLOSE | LIMIT_DIE_ON_UNHANDLED_EXCEPTION | LIMIT_JOB_MEMORY,
                         info.PeakJobMemoryUsed + extra_bytes)

    def kill(self) -> None:
        """End every process in the job."""
        self._kernel32.TerminateJobObject(self._handle, 1)

    def close(self) -> None:
        if self._handle:
            self._kernel32.CloseHandle(self._handle)
            self._handle = 0
