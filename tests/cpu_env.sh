#!/bin/sh
# Environment of one of the two CPU settings under which `make test` runs (see README, "Reproducibility").
#   portable: PyTorch's plain (non-vectorised) kernels, MKL restricted to SSE4.2, OpenBLAS's Nehalem kernels,
#             NumPy's AVX2 loops disabled, one thread: the arithmetic of an old or different CPU.
#   native:   PyTorch's AVX2 kernels where the CPU has them (ATEN_CPU_CAPABILITY=avx2), and every other library's
#             own choice of kernels and threads.
# Prints KEY=VALUE words for `env`.
case "$1" in
  portable)
    printf 'ATEN_CPU_CAPABILITY=default OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1'
    if [ "$(uname -m)" = x86_64 ]; then
      printf ' MKL_ENABLE_INSTRUCTIONS=SSE4_2 OPENBLAS_CORETYPE=Nehalem'
      # NumPy warns at import when asked to disable a feature the CPU lacks; only switch AVX2 off where it is on.
      if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then printf ' NPY_DISABLE_CPU_FEATURES=X86_V3,X86_V4,AVX512_ICL,AVX512_SPR'; fi
    fi
    echo ;;
  native)
    if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then echo 'ATEN_CPU_CAPABILITY=avx2'; else echo 'ANALYSIS_CPU=native'; fi ;;
  *)
    echo "usage: $0 portable|native" >&2; exit 2 ;;
esac
