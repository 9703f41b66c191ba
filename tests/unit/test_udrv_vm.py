#!/usr/bin/env python3
"""Host tests of tools/udrv-vm's pure parts: kernel choice, the log scanner,
the control channel, kmemleak records, the cpio writer and the /init
template.  Usage: test_udrv_vm.py PATH/TO/udrv-vm (unittest output)."""

import os
import re
import subprocess
import sys
import tempfile
import unittest
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from unittest import mock

VM_PATH = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "tools", "udrv-vm")
_loader = SourceFileLoader("udrv_vm", VM_PATH)
_spec = spec_from_loader("udrv_vm", _loader)
vm = module_from_spec(_spec)
sys.dont_write_bytecode = True
_loader.exec_module(vm)


class KernelChoice(unittest.TestCase):
    def test_version_order_is_natural(self):
        vs = ["6.12.118+deb12-amd64", "6.1.0-10-amd64", "6.1.0-9-amd64",
              "6.12.2-udrv-debug"]
        self.assertEqual(sorted(vs, key=vm._version_key),
                         ["6.1.0-9-amd64", "6.1.0-10-amd64",
                          "6.12.2-udrv-debug", "6.12.118+deb12-amd64"])

    def test_archive_pick_newest_plain_flavour(self):
        pkgs = ["linux-image-6.12.107+deb12-amd64",
                "linux-image-6.12.118+deb12-amd64",
                "linux-image-6.12.118+deb12-rt-amd64",
                "linux-image-6.12.118+deb12-cloud-amd64",
                "linux-image-6.12.118+deb12-amd64-unsigned",
                "linux-image-6.12.118+deb12-amd64-dbg"]
        self.assertEqual(vm.pick_archive_kernel("6.12", pkgs),
                         "6.12.118+deb12-amd64")
        self.assertEqual(vm.pick_archive_kernel("6.12.107", pkgs),
                         "6.12.107+deb12-amd64")
        # Whole components only: 6.12.1 is not a prefix of 6.12.118.
        self.assertIsNone(vm.pick_archive_kernel("6.12.1", pkgs))
        self.assertIsNone(vm.pick_archive_kernel("6.1", pkgs))
        self.assertEqual(vm.pick_archive_kernel("6.12.118+deb12-rt-amd64",
                                                pkgs),
                         "6.12.118+deb12-rt-amd64")

    def _default(self, build, distro, running, installed, built=()):
        with mock.patch.object(vm, "build_kernels", return_value=build), \
             mock.patch.object(vm, "distribution_default_kernel",
                               return_value=distro), \
             mock.patch.object(vm, "built_kernels",
                               return_value={b: "/x" for b in built}), \
             mock.patch.object(vm.os, "uname",
                               return_value=mock.Mock(release=running)):
            return vm.default_kernel("/b", installed)

    def test_default_precedence_never_newest(self):
        inst = ["6.1.0-57-amd64", "6.12.118+deb12-amd64"]
        self.assertEqual(self._default(["6.12.118+deb12-amd64"],
                                       "6.1.0-57-amd64", "x", inst)[0],
                         "6.12.118+deb12-amd64")
        self.assertEqual(self._default([], "6.1.0-57-amd64", "x", inst)[0],
                         "6.1.0-57-amd64")
        self.assertEqual(self._default([], None, "6.12.118+deb12-amd64",
                                       inst)[0], "6.12.118+deb12-amd64")
        # Two kernels, no rule picks one: no default, never the newest.
        self.assertEqual(self._default([], None, "x", inst), (None, None))
        # The debug kernel is never the "only one installed".
        self.assertEqual(self._default([], None, "x",
                                       ["6.1.0-57-amd64", "6.12.2-udrv-debug"],
                                       built=["6.12.2-udrv-debug"])[0],
                         "6.1.0-57-amd64")

    def test_find_kernel_prefix_and_errors(self):
        inst = ["6.1.0-57-amd64", "6.12.118+deb12-amd64"]
        with tempfile.TemporaryDirectory() as d:
            def files(v):
                p = os.path.join(d, v)
                return {"image": p, "moddir": d, "modules": p, "kdir": d,
                        "headers": p + ".h"}
            for v in inst:
                open(os.path.join(d, v), "w").close()
            with mock.patch.object(vm, "installed_kernels",
                                   return_value=inst), \
                 mock.patch.object(vm, "kernel_files", side_effect=files), \
                 mock.patch.object(vm, "built_kernels", return_value={}), \
                 mock.patch.object(vm, "archive_kernel", return_value=None):
                self.assertEqual(vm.find_kernel("6.12", None),
                                 "6.12.118+deb12-amd64")
                self.assertEqual(vm.find_kernel("6.1", None),
                                 "6.1.0-57-amd64")
                with self.assertRaisesRegex(vm.HarnessError, "matches"):
                    vm.find_kernel("6", None)
                with self.assertRaisesRegex(vm.HarnessError,
                                            "not installed.*apt-get install"):
                    vm.find_kernel("5.10", None)
                with self.assertRaisesRegex(vm.HarnessError,
                                            "no debug kernel"):
                    vm.find_kernel("debug", None)
            # With the debug kernel built, 6.12 still means Debian's.
            inst.append("6.12.118-udrv-debug")
            open(os.path.join(d, inst[-1]), "w").close()
            with mock.patch.object(vm, "installed_kernels",
                                   return_value=inst), \
                 mock.patch.object(vm, "kernel_files", side_effect=files), \
                 mock.patch.object(vm, "built_kernels",
                                   return_value={inst[-1]: d}):
                self.assertEqual(vm.find_kernel("6.12", None),
                                 "6.12.118+deb12-amd64")
                self.assertEqual(vm.find_kernel("debug", None), inst[-1])
                with self.assertRaisesRegex(
                        vm.HarnessError,
                        "missing .*h.*linux-headers-6.1.0-57-amd64"):
                    vm.find_kernel("6.1", None, need_headers=True)


class LogScanner(unittest.TestCase):
    BAD = [
        "[    3.1] BUG: KASAN: slab-use-after-free in f+0x1/0x2",
        "[    3.1] WARNING: CPU: 0 PID: 1 at kernel/x.c:1 f+0x1/0x2",
        "[    3.1] WARNING: possible circular locking dependency detected",
        "[    3.1] udrv_stub 0000:00:02.0: DMA-API: udrv_stub 0000:00:02.0: "
        "device driver frees DMA memory with different size",
        "[    3.1] DMA-API: udrv_stub 0000:00:02.0: device driver failed to "
        "check map error",
        "[    3.1] inconsistent lock state",
        "[    3.1] BUG: sleeping function called from invalid context at x",
        "[    3.1] rcu: INFO: rcu_preempt self-detected stall on CPU",
        "[    3.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
        "[    3.1] INFO: task sh:1 blocked for more than 120 seconds.",
        "[    3.1] Oops: 0000 [#1] SMP",
        "[    3.1] UBSAN: shift-out-of-bounds in x.c:1:2",
    ]
    HARMLESS = [
        "[    0.5] DMA-API: preallocated 65536 debug entries",
        "[    0.5] DMA-API: debugging enabled by kernel config",
        "[    0.5] kmemleak: Kernel memory leak detector initialized",
        "[    1.0] udrv_stub: loading out-of-tree module taints kernel.",
        "[    2.0] DMAR: DRHD: handling fault status reg 2",
        "[    2.0] DMAR: [DMA Write NO_PASID] Request device [00:02.0] fault "
        "addr 0x1000 [fault reason 0x05] PTE Write access is not set",
        "[    0.0] Linux version 6.12.118-udrv-debug",
    ]

    def test_reports_fail(self):
        for line in self.BAD:
            self.assertTrue(vm.scan_log([line]), line)

    def test_harmless_lines_pass(self):
        for line in self.HARMLESS:
            self.assertEqual(vm.scan_log([line]), [], line)

    def test_context_is_shown(self):
        lines = [f"line {i}" for i in range(30)]
        lines[10] = "[ 1.0] BUG: KASAN: double-free in x"
        out = vm.scan_log(lines)
        self.assertIn("> " + lines[10], out)
        self.assertIn("  line 8", out)
        self.assertIn("  line 21", out)
        self.assertNotIn("  line 22", out)


class ControlChannel(unittest.TestCase):
    def test_parse(self):
        data = (b"@@UDRV-RUNNING\n@@UDRV-KMEMLEAK-BEGIN\n"
                b"unreferenced object 0xffff888004a1b200 (size 128):\n"
                b"  backtrace (crc 0):\n"
                b"    udrv_stub_fault_init+0x7a/0xff0 [udrv_stub_fault]\n"
                b"unreferenced object 0xffff888004a1c000 (size 64):\n"
                b"    kmalloc_trace+0x1/0x2\n"
                b"@@UDRV-KMEMLEAK-END\n@@UDRV-DMESG-BEGIN\r\nboot\n"
                b"\x1b[0mlast\n@@UDRV-DMESG-END\n@@UDRV-STATUS 3\n")
        status, error, dmesg, leaks = vm.parse_control(data)
        self.assertEqual((status, error), (3, None))
        self.assertEqual(dmesg, ["boot", "last"])
        self.assertEqual(len(leaks), 5)
        stub = vm.stub_leaks(leaks)
        self.assertEqual(stub[0],
                         "unreferenced object 0xffff888004a1b200 (size 128):")
        self.assertEqual(len(stub), 3)  # only the record naming udrv_stub
        # A bare module-area frame counts on the debug kernel only.
        anon = ["unreferenced object 0x1 (size 8):", "    0xffffffffa0018108"]
        self.assertEqual(vm.stub_leaks(anon), [])
        self.assertEqual(vm.stub_leaks(anon, modules_are_ours=True), anon)

    def test_error(self):
        status, error, _, _ = vm.parse_control(
            b"@@UDRV-ERROR insmod x failed\n")
        self.assertEqual((status, error), (None, "insmod x failed"))


class Initramfs(unittest.TestCase):
    def test_cpio_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.cpio")
            c = vm.Cpio(path)
            c.file("udrv/bin/x", b"hello", 0o755)
            c.symlink("bin/sh", "/bin/busybox")
            c.chardev("dev/null", 1, 3)
            c.file("udrv/bin/x", b"again")  # a second entry is dropped
            c.close()
            out = subprocess.run(["cpio", "-itv", "--quiet", "-F", path],
                                 stdout=subprocess.PIPE, text=True,
                                 check=True).stdout
        names = [line.split()[-1] if "->" not in line else
                 line.split()[-3] for line in out.splitlines()]
        self.assertEqual(names, ["udrv", "udrv/bin", "udrv/bin/x", "bin",
                                 "bin/sh", "dev", "dev/null"])
        self.assertRegex(out, r"-rwxr-xr-x .* 5 .*udrv/bin/x")
        self.assertRegex(out, r"crw------- .* 1, +3 .*dev/null")

    def test_every_init_word_is_replaced(self):
        with open(vm.INIT_SCRIPT) as f:
            words = set(re.findall(r"@[A-Z]+@", f.read()))
        self.assertEqual(words, set(vm.INIT_WORDS))

    def test_pci_id(self):
        self.assertEqual(vm.pci_id("1B36:0010"), "0x1b36:0x0010")
        with self.assertRaises(Exception):
            vm.pci_id("1b36-0010")


if __name__ == "__main__":
    unittest.main(verbosity=2)
