"""Device selection (CPU or CUDA GPU through thinc and cupy)."""
from .device import DeviceError, device_info, select_device

__all__ = ["DeviceError", "device_info", "select_device"]
