"""How the package finds libusher (USHER_LIBRARY, the checkout's build
directory, the system loader), each checked in a fresh interpreter."""

import os
import subprocess
import sys
import unittest
from pathlib import Path

from helpers import BINDING, ROOT, usher


def import_usher(**env_changes):
    """(exit status, stdout, stderr) of `import usher` in a child process
    with the environment changed (a None value removes the variable)."""
    env = dict(os.environ, PYTHONPATH=str(BINDING), PYTHONDONTWRITEBYTECODE="1")
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    child = subprocess.run([sys.executable, "-c", "import usher; print(usher.LIBRARY_PATH)"],
                           env=env, capture_output=True, text=True, cwd="/")
    return child.returncode, child.stdout.strip(), child.stderr


class LibraryLookupTest(unittest.TestCase):
    def test_usher_library_names_the_file_to_load(self):
        status, out, err = import_usher(USHER_LIBRARY=usher.LIBRARY_PATH)
        self.assertEqual((status, out), (0, usher.LIBRARY_PATH), err)

    def test_a_usher_library_that_does_not_load_fails_the_import(self):
        status, out, err = import_usher(USHER_LIBRARY="/nonexistent/libusher.so")
        self.assertNotEqual(status, 0)
        self.assertIn("ImportError", err)
        self.assertIn("/nonexistent/libusher.so", err)
        self.assertIn("USHER_LIBRARY", err)

    def test_the_checkout_build_directory_named_by_build(self):
        library = Path(usher.LIBRARY_PATH).resolve()
        try:
            build = library.parent.relative_to(ROOT.resolve())
        except ValueError:
            self.skipTest("the library in use is not in this checkout")
        status, out, err = import_usher(USHER_LIBRARY=None, BUILD=str(build))
        self.assertEqual(status, 0, err)
        self.assertEqual(Path(out), ROOT / build / "libusher.so")

    def test_a_build_directory_without_a_library_falls_back(self):
        status, out, err = import_usher(USHER_LIBRARY=None, BUILD="no/such/dir")
        self.assertNotIn("no/such/dir", out)
        if (ROOT / "build" / "libusher.so").exists():
            self.assertEqual((status, Path(out)), (0, ROOT / "build" / "libusher.so"), err)


if __name__ == "__main__":
    unittest.main()
