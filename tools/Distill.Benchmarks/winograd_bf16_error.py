"""How far Winograd's F(m x m, 3x3) lands from the exact sums when its transformed tiles and kernels are rounded to
bfloat16 (as VDPBF16PS products need), for several sets of interpolation points. It simulates in float64 what
Native/winograd-bf16-probe.c runs: bf16 inputs and weights, B^T d B rounded to bf16, G g G^T rounded to bf16, products
summed in float32, A^T m A; it prints the largest difference from the exact sums relative to the largest value, to set
beside the 2^-6 (1.6e-2) the bf16 self-check allows a convolution. Needs numpy and sympy (Debian's python3-torch
brings both).  usage: python3 winograd_bf16_error.py [CHANNELS]
"""
import sys

import numpy as np
import sympy as sp


def toom_cook(points, m, r=3):
    """A^T, G, B^T of F(m, r) on the given finite points plus the point at infinity (Lavin and Gray's form)."""
    n = m + r - 1
    x = sp.symbols("x")
    finite = [sp.nsimplify(p) for p in points]
    product = sp.prod([x - p for p in finite])
    at, g, bt = sp.zeros(m, n), sp.zeros(n, r), sp.zeros(n, n)
    for j, p in enumerate(finite):
        for i in range(m):
            at[i, j] = p**i
        scale = sp.prod([p - q for k, q in enumerate(finite) if k != j])
        for i in range(r):
            g[j, i] = p**i / scale
        for i, c in enumerate(sp.Poly(sp.cancel(product / (x - p)), x).all_coeffs()[::-1]):
            bt[j, i] = c
    at[m - 1, n - 1], g[n - 1, r - 1] = 1, 1
    for i, c in enumerate(sp.Poly(product, x).all_coeffs()[::-1]):
        bt[n - 1, i] = c
    return (np.array(a, dtype=float) for a in (at, g, bt))


def bf16(a):
    """Rounded to the nearest bfloat16 (ties to even), as float64."""
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def relative_error(points, m, channels, tiles=400, seed=2019):
    at, g, bt = toom_cook(points, m)
    rng = np.random.default_rng(seed)
    n = m + 2
    d = bf16(rng.uniform(-1, 1, (tiles, channels, n, n)))
    w = bf16(rng.uniform(-1, 1, (channels, channels, 3, 3)) / np.sqrt(channels * 9))
    exact = np.zeros((tiles, channels, m, m))
    for i in range(m):
        for j in range(m):
            exact[:, :, i, j] = np.einsum("tcab,kcab->tk", d[:, :, i : i + 3, j : j + 3], w)
    v = bf16(np.einsum("ia,tcab,jb->tcij", bt, d, bt))
    u = bf16(np.einsum("ia,kcab,jb->kcij", g, w, g))
    products = np.einsum("tcij,kcij->tkij", v, u).astype(np.float32).astype(np.float64)
    y = np.einsum("ai,tkij,bj->tkab", at, products, at)
    return np.abs(y - exact).max() / np.abs(exact).max()


if __name__ == "__main__":
    channels = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    half = sp.Rational(1, 2)
    cases = [
        (2, (0, 1, -1)),
        (3, (0, 1, -1, 2)),
        (3, (0, 1, -1, half)),
        (4, (0, 1, -1, 2, -2)),
        (4, (0, 1, -1, half, -half)),
        (4, (0, -1, 1, half, -2)),
    ]
    print(f"{channels} channels in and out; the bf16 self-check allows {2**-6:.1e}")
    for m, points in cases:
        print(f"F({m}x{m}, 3x3) points {', '.join(str(p) for p in points)}, inf: {relative_error(points, m, channels):.1e}")
