"""Test settings: one BLAS thread, so timings and test durations do not collapse when the 2 cores are shared."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
