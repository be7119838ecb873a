"""`python -m app`: serve on the embedded defaults (127.0.0.1:5000)."""

import os

from app import create_app

if __name__ == "__main__":
    host = os.environ.get("CONVSCOPE_HOST", "127.0.0.1")
    port = int(os.environ.get("CONVSCOPE_PORT", "5000"))
    create_app().run(host=host, port=port)
