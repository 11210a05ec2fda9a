"""The ``lamina`` command: ``demo``, ``info``, ``plugins``, ``bench``."""

import argparse
import importlib
import sys


def _gemm_tiles():
    import lamina
    from lamina._kernels import _gemm, _runtime

    isa = _runtime.ISA_NAMES.index(lamina.get_isa())
    parts = []
    for dtype in ("float64", "float32"):
        b = _gemm.block_sizes(isa, dtype)
        parts.append(f"{dtype} {b['mr']}x{b['nr']} (MC {b['mc']}, KC {b['kc']}, NC {b['nc']})")
    return "; ".join(parts)


def _wait_policy():
    import os

    policy = os.environ.get("OMP_WAIT_POLICY")
    if policy:
        return f"OMP_WAIT_POLICY={policy}"
    return f"GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT', '(libgomp default)')}"


def _info(args):
    import platform

    import numpy as np

    import lamina
    from lamina import _build_info as b
    from lamina._kernels import _runtime

    omp = (f"on (OpenMP {b.OPENMP_VERSION or _runtime.openmp_date()}, max threads "
           f"{_runtime.omp_max_threads()}, {_runtime.omp_num_procs()} processors; idle "
           f"threads: {_wait_policy()})"
           if _runtime.openmp_enabled() else "off (serial build)")
    lines = [
        f"lamina {lamina.__version__}",
        f"  python          {platform.python_version()} ({sys.executable})",
        f"  numpy           {np.__version__}",
        f"  built with      {b.C_COMPILER}, Cython {b.CYTHON_VERSION}, meson {b.MESON_VERSION},"
        f" buildtype {b.BUILDTYPE}" + (f", -march={b.MARCH}" if b.MARCH else ""),
        f"  openmp          {omp}",
        f"  simd isa        {lamina.get_isa()} (available: "
        f"{', '.join(_runtime.available_isas())}; best: {_runtime.best_isa()}; "
        "override with LAMINA_ISA)",
        f"  gemm tiles      {_gemm_tiles()}",
        f"  threads         {lamina.get_num_threads()}",
        "  plugins",
    ]
    lines += ["    " + line for line in _plugin_lines()]
    print("\n".join(lines))
    return 0


def _plugin_lines():
    from lamina import plugins

    rows = plugins.status(load=True)
    if not rows:
        return ["(none installed)"]
    out = []
    for r in rows:
        line = (f"{r['name']:<16} {r['state']:<12} {r['group']:<24} "
                f"{r['distribution']} {r['version']}")
        if r["error"]:
            line += f"  -- {r['error']}"
        out.append(line)
    return out


def _plugins(args):
    if args.reload:
        from lamina import plugins

        plugins.reload()
    print("\n".join(_plugin_lines()))
    return 0


def _bench(args):
    from lamina._bench import AREAS
    from lamina._bench._common import environment_lines

    module = importlib.import_module(AREAS[args.area])
    print("\n".join(environment_lines()))
    print()
    print(module.run(args))
    return 0


def _demo(args):
    from lamina._demo import main as demo_main

    return demo_main(args)


def build_parser():
    from lamina._bench import AREAS

    parser = argparse.ArgumentParser(prog="lamina", description="lamina: fast CPU linear "
                                     "algebra for deep learning")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="show the build, SIMD/OpenMP runtime and plugins")
    p.set_defaults(func=_info)
    p = sub.add_parser("demo", help="train on the bundled digits and compare with NumPy/PyTorch")
    from lamina._demo import add_arguments as demo_arguments

    demo_arguments(p)
    p.set_defaults(func=_demo)
    p = sub.add_parser("plugins", help="list plugins and their states")
    p.add_argument("--reload", action="store_true", help="rescan entry points first")
    p.set_defaults(func=_plugins)
    p = sub.add_parser("bench", help="time lamina beside its peers")
    bench_sub = p.add_subparsers(dest="area", required=True)
    for area, modname in AREAS.items():
        module = importlib.import_module(modname)
        summary = (module.__doc__ or "").strip().splitlines()[0]
        # argparse %-formats help strings: a literal "%" must be doubled.
        ap = bench_sub.add_parser(area, help=summary.replace("%", "%%"))
        module.add_arguments(ap)
        ap.add_argument("--threads", type=int, default=None,
                        help="lamina thread count (default: lamina.get_num_threads())")
        ap.set_defaults(func=_bench)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    threads = getattr(args, "threads", None)
    if threads is None:
        return args.func(args)
    import lamina

    with lamina.threads(threads):          # scoped: main() may run inside a live process
        return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
