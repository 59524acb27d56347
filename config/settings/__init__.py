"""Settings package: base (shared), local (the embedded demo default), test, production."""
