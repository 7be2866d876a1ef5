"""The binding mirrors include/usher.h exactly: structure sizes and field
offsets, enum values and constants are compared with what a C compiler
says (a small C program generated from the binding's own tables), and the
ctypes prototypes with the header's declarations."""

import ctypes
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

from helpers import ROOT, usher
from usher import _library, _structs, constants, enums

HEADER = ROOT / "include" / "usher.h"

# The C prefix of each enum class's members.
ENUM_PREFIXES = {
    enums.Status: "USHER_", enums.EventType: "USHER_EVENT_",
    enums.ChannelFlag: "USHER_CHANNEL_", enums.AgentState: "USHER_AGENT_",
    enums.AwayReason: "USHER_AWAY_", enums.ReturnReason: "USHER_RETURN_",
    enums.LoadCap: "USHER_CAP_", enums.AgentFlag: "USHER_AGENT_",
    enums.ReleaseFlag: "USHER_RELEASE_", enums.Strategy: "USHER_STRATEGY_",
    enums.AssignMode: "USHER_ASSIGN_", enums.TicketOrder: "USHER_ORDER_",
    enums.RepeatFlag: "USHER_REPEAT_", enums.WidenAction: "USHER_WIDEN_",
    enums.TicketState: "USHER_TICKET_", enums.SlaTarget: "USHER_SLA_",
    enums.SlaPolicyFlag: "USHER_SLA_", enums.SlaReport: "USHER_SLA_",
    enums.SlaState: "USHER_SLA_", enums.Why: "USHER_WHY_",
}


def enum_constants():
    """{C name: Python value} of every enum member of the binding."""
    found = {}
    for enum_class, prefix in ENUM_PREFIXES.items():
        for member in enum_class:
            found[prefix + member.name] = int(member)
    return found


def macro_constants():
    return {"USHER_" + name: getattr(constants, name) for name in constants.__all__}


def c_program():
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "usher.h"',
             "int main(void)", "{"]
    for struct in _structs.ALL:
        c = struct._c_name_
        lines.append(f'    printf("size {c} %zu\\n", sizeof({c}));')
        for field, _ in struct._fields_:
            lines.append(f'    printf("field {c}.{field} %zu %zu\\n", offsetof({c}, {field}), '
                         f"sizeof((({c} *)0)->{field}));")
    for name in enum_constants():
        lines.append(f'    printf("value {name} %lld\\n", (long long){name});')
    for name in macro_constants():
        lines.append(f'    printf("value {name} %llu\\n", (unsigned long long){name});')
    lines += ["    return 0;", "}"]
    return "\n".join(lines) + "\n"


def compile_and_run(source):
    """The output of the C program, or None when no C compiler exists."""
    cc = shlex.split(os.environ.get("CC") or "cc")
    if shutil.which(cc[0]) is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "layout.c")
        exe = os.path.join(tmp, "layout")
        with open(src, "w") as f:
            f.write(source)
        subprocess.run(cc + ["-std=c11", "-Wall", "-Werror", "-I", str(ROOT / "include"), src,
                             "-o", exe], check=True, capture_output=True, text=True)
        return subprocess.run([exe], check=True, capture_output=True, text=True).stdout


class CompiledLayoutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        output = compile_and_run(c_program())
        if output is None:
            raise unittest.SkipTest("no C compiler (set CC)")
        cls.c = {}
        for line in output.splitlines():
            kind, name, *numbers = line.split()
            cls.c[(kind, name)] = [int(n) for n in numbers]

    def test_struct_sizes_match_c(self):
        for struct in _structs.ALL:
            with self.subTest(struct=struct._c_name_):
                self.assertEqual(ctypes.sizeof(struct), self.c[("size", struct._c_name_)][0])

    def test_field_offsets_and_sizes_match_c(self):
        for struct in _structs.ALL:
            for field, ctype in struct._fields_:
                key = ("field", f"{struct._c_name_}.{field}")
                with self.subTest(field=key[1]):
                    offset, size = self.c[key]
                    self.assertEqual(getattr(struct, field).offset, offset)
                    self.assertEqual(ctypes.sizeof(ctype), size)

    def test_every_byte_is_a_declared_field(self):
        # The header has no implicit padding (docs/FFI.md): a field missing
        # from a mirror (a reserved one, say) leaves a gap between fields.
        for struct in _structs.ALL:
            with self.subTest(struct=struct._c_name_):
                declared = sum(ctypes.sizeof(ctype) for _, ctype in struct._fields_)
                self.assertEqual(declared, self.c[("size", struct._c_name_)][0])

    def test_enum_values_match_c(self):
        for name, value in enum_constants().items():
            with self.subTest(name=name):
                self.assertEqual(value, self.c[("value", name)][0])

    def test_constants_match_c(self):
        for name, value in macro_constants().items():
            with self.subTest(name=name):
                self.assertEqual(value, self.c[("value", name)][0])


def header_text():
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


class HeaderCoverageTest(unittest.TestCase):
    def test_every_enum_constant_of_the_header_is_bound(self):
        blocks = re.findall(r"enum\s+usher_\w+\s*\{(.*?)\}", header_text(), flags=re.S)
        in_header = set(re.findall(r"\b(USHER_\w+)\s*=", "".join(blocks)))
        self.assertGreater(len(in_header), 90)  # the parse found the enums
        self.assertEqual(in_header - set(enum_constants()), set())
        self.assertEqual(set(enum_constants()) - in_header, set())

    def test_every_numeric_macro_of_the_header_is_bound(self):
        defined = set(re.findall(r"^#define (USHER_\w+) ", HEADER.read_text(), flags=re.M))
        not_numbers = {"USHER_H", "USHER_API", "USHER_VERSION_STRING"}
        self.assertEqual(defined - not_numbers - set(macro_constants()), set())
        self.assertEqual(usher.version(), re.search(
            r'#define USHER_VERSION_STRING "(.*)"', HEADER.read_text()).group(1))


# C type (a parameter without its name, spaces normalised) -> ctypes type.
def _ctypes_for(c_type):
    P = ctypes.POINTER
    scalars = {"uint32_t": ctypes.c_uint32, "uint64_t": ctypes.c_uint64,
               "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64,
               "size_t": ctypes.c_size_t, "usher_status": ctypes.c_int32,
               "double": ctypes.c_double}
    structs = {s._c_name_: s for s in _structs.ALL}
    fixed = {"void": None, "const char*": ctypes.c_char_p, "char*": ctypes.c_char_p,
             "void*": ctypes.c_void_p, "const void*": ctypes.c_void_p,
             "usher_engine*": ctypes.c_void_p, "const usher_engine*": ctypes.c_void_p,
             "usher_engine**": P(ctypes.c_void_p),
             "usher_event_fn": _library.EVENT_FN, "usher_score_fn": _library.SCORE_FN,
             "usher_write_fn": _library.WRITE_FN}
    if c_type in fixed:
        return fixed[c_type]
    if c_type in scalars:
        return scalars[c_type]
    base = c_type.removeprefix("const ").removesuffix("*")
    if c_type.endswith("*") and base in scalars:
        return P(scalars[base])
    if c_type.endswith("*") and base in structs:
        return P(structs[base])
    raise AssertionError(f"no ctypes mapping for C type '{c_type}'")


def _normalise(declaration_part):
    return re.sub(r"\s*\*", "*", " ".join(declaration_part.split()))


def _parameter_type(parameter):
    parameter = _normalise(parameter)
    if parameter == "void":
        return None
    return re.match(r"^(.*?)\s*\b\w+$", parameter).group(1)


def header_functions():
    """{name: (C return type, [C parameter types])} from the header."""
    found = {}
    pattern = r"USHER_API\s+([^;(]*?)\b(usher_\w+)\s*\(([^)]*)\)\s*;"
    for ret, name, params in re.findall(pattern, header_text()):
        types = [_parameter_type(p) for p in params.split(",")]
        found[name] = (_normalise(ret), [t for t in types if t is not None])
    return found


class PrototypeTest(unittest.TestCase):
    def test_every_header_function_is_declared_with_its_c_types(self):
        functions = header_functions()
        self.assertEqual(len(functions), len(re.findall(r"^USHER_API ", HEADER.read_text(),
                                                        flags=re.M)))
        self.assertEqual(set(functions), set(_library.PROTOTYPES))
        for name, (ret, params) in functions.items():
            with self.subTest(function=name):
                restype, argtypes = _library.PROTOTYPES[name]
                self.assertIs(restype, _ctypes_for(ret))
                self.assertEqual(argtypes, [_ctypes_for(p) for p in params])

    def test_callback_types_match_the_header_typedefs(self):
        text = header_text()
        for typedef, fn_type in (("usher_event_fn", _library.EVENT_FN),
                                 ("usher_score_fn", _library.SCORE_FN),
                                 ("usher_write_fn", _library.WRITE_FN)):
            with self.subTest(typedef=typedef):
                ret, params = re.search(r"typedef\s+(\w+)\s*\(\*\s*" + typedef +
                                        r"\)\s*\(([^)]*)\)", text).groups()
                self.assertIs(fn_type._restype_, _ctypes_for(ret))
                self.assertEqual(list(fn_type._argtypes_),
                                 [_ctypes_for(_parameter_type(p)) for p in params.split(",")])

    def test_every_bound_function_is_used_by_the_package(self):
        package = ROOT / "bindings" / "python" / "usher"
        code = "".join(p.read_text() for p in package.glob("*.py") if p.name != "_library.py")
        unused = {name for name in _library.PROTOTYPES if f"LIB.{name}" not in code}
        self.assertEqual(unused, set())


if __name__ == "__main__":
    unittest.main()
